/*
 * vt_status.c - The VirusTotal integration's state as JSON (see vt_status.h).
 */
#include "manager/vt_status.h"

#include <unistd.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "manager/vt_cache.h"
#include "manager/vt_db.h"
#include "manager/vt_jobs.h"

static json_t *vs_window(const struct vt_quota_use *u)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "limit", (json_int_t)u->limit, "used",
			 (json_int_t)u->used, "left", (json_int_t)u->left, "reset_ms",
			 (json_int_t)u->reset_ms);
}

/* Up to VT_STATUS_LIST_MAX jobs in state s, as JSON objects. */
static int vs_jobs(struct vt_jobs *j, enum vt_job_state s, json_t **out, struct vg_err *err)
{
	struct vt_job *jobs = vg_xcalloc(VT_STATUS_LIST_MAX, sizeof(*jobs));
	size_t n = 0;
	int rc = vt_jobs_list(j, s, jobs, VT_STATUS_LIST_MAX, &n, err);

	*out = json_array();
	for (size_t i = 0; rc == 0 && i < n; i++)
		json_array_append_new(
		    *out,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "path", jobs[i].path,
			      "sha256", jobs[i].sha256, "agent", jobs[i].agent_id, "state",
			      vt_job_state_name(jobs[i].state), "priority",
			      vt_job_prio_name(jobs[i].prio), "created_ms",
			      (json_int_t)jobs[i].created_ms, "next_try_ms",
			      (json_int_t)jobs[i].next_try_ms, "attempts",
			      (json_int_t)jobs[i].attempts, "last_error", jobs[i].last_error));
	vg_free(jobs);
	return rc;
}

static json_t *vs_parts(sqlite3 *db, const struct vt_quota_opts *qo, int64_t now, bool files,
			struct vg_err *err)
{
	struct vt_quota *q = NULL;
	struct vt_cache *c = NULL;
	struct vt_jobs *j = NULL;
	struct vt_quota_status qs;
	struct vt_cache_stats cs;
	int64_t counts[VT_JOB_STATE_N] = {0};
	json_t *out = NULL;
	int rc = vt_quota_open(db, qo, &q, err);

	if (rc == 0)
		rc = vt_quota_status(q, now, &qs, err);
	if (rc == 0)
		rc = vt_cache_open(db, NULL, &c, err);
	if (rc == 0)
		rc = vt_cache_stats(c, now, &cs, err);
	if (rc == 0)
		rc = vt_jobs_open(db, NULL, &j, NULL, err);
	if (rc == 0)
		rc = vt_jobs_count(j, counts, err);
	if (rc == 0)
		out = json_pack(
		    "{s:{s:o, s:o, s:o}, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}}", "quota",
		    "minute", vs_window(&qs.w[VT_WINDOW_MINUTE]), "day",
		    vs_window(&qs.w[VT_WINDOW_DAY]), "month", vs_window(&qs.w[VT_WINDOW_MONTH]),
		    "cache", "entries", (json_int_t)cs.entries, "expired", (json_int_t)cs.expired,
		    "hits", (json_int_t)cs.hits_total, "misses", (json_int_t)cs.misses_total,
		    "jobs", "queued", (json_int_t)counts[VT_JOB_QUEUED], "in_flight",
		    (json_int_t)counts[VT_JOB_IN_FLIGHT], "done", (json_int_t)counts[VT_JOB_DONE],
		    "dead", (json_int_t)counts[VT_JOB_DEAD]);
	json_t *waiting = NULL, *dead = NULL;
	if (out != NULL && files &&
	    (vs_jobs(j, VT_JOB_QUEUED, &waiting, err) != 0 ||
	     vs_jobs(j, VT_JOB_DEAD, &dead, err) != 0)) {
		json_decref(out);
		out = NULL;
	}
	if (out != NULL && files) {
		json_object_set(out, "waiting", waiting);
		json_object_set(out, "dead", dead);
	}
	json_decref(waiting);
	json_decref(dead);
	vt_jobs_close(j);
	vt_cache_close(c);
	vt_quota_close(q);
	return out;
}

int vt_status_read(const char *home, const struct vt_quota_opts *limits, int64_t now_ms, bool files,
		   json_t **out, struct vg_err *err)
{
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	sqlite3 *db = NULL;
	char *path = vt_db_path(home);
	int rc;

	*out = NULL;
	dbo.readonly = true;
	dbo.what = "integrations state";
	if (access(path, F_OK) != 0)
		rc = vg_err_set(err, VG_ENOTFOUND, "%s: no integration ran yet", path);
	else
		rc = vg_db_open(path, &dbo, &db, err);
	if (rc == 0 && (*out = vs_parts(db, limits, now_ms, files, err)) == NULL)
		rc = err != NULL && err->code != 0 ? err->code : VG_EINTERNAL;
	vg_db_close(db);
	vg_free(path);
	return rc;
}
