/*
 * vt_jobs.c - The durable lookup queue in SQLite (see vt_jobs.h).
 *
 * Tables (module "vt_jobs", version 1):
 *   vt_job     one row per job; ids are never reused (AUTOINCREMENT: a
 *              log line names one job forever, even after a prune);
 *              UNIQUE (integration, alert_id) makes add idempotent; state is text ('queued',
 * 'in_flight', 'done', 'dead') so the file reads well in the sqlite3 shell; prio is 0 (new
 * executable) .. 2 (modified). Indexes: (state, prio, created, id) serves vt_jobs_ready in order,
 * (sha256, state) the de-duplication, (state, updated) the prune. vt_cursor  name -> pos: the
 * integrator's position in the alert store.
 *
 * Transitions are single UPDATEs guarded by the states they start from, so
 * a stale or repeated call changes nothing and says so (VG_ENOTFOUND).
 */
#include "manager/vt_jobs.h"

#include <string.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "lib/str.h"

#define VT_JOBS_SCHEMA 1
#define VT_JOBS_ATTEMPTS_MAX 1000 /* a sanity bound on max_attempts */

static const char vt_jobs_ddl[] =
    "CREATE TABLE IF NOT EXISTS vt_job (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " integration TEXT NOT NULL, alert_id TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " agent_id TEXT NOT NULL, agent_name TEXT NOT NULL, agent_ip TEXT NOT NULL,"
    " path TEXT NOT NULL, md5 TEXT NOT NULL, sha1 TEXT NOT NULL, prio INTEGER NOT NULL,"
    " state TEXT NOT NULL, created BIGINT NOT NULL, next_try BIGINT NOT NULL,"
    " updated BIGINT NOT NULL, attempts BIGINT NOT NULL, last_error TEXT NOT NULL,"
    " outcome TEXT NOT NULL, UNIQUE (integration, alert_id));"
    "CREATE INDEX IF NOT EXISTS vt_job_ready ON vt_job (state, prio, created, id);"
    "CREATE INDEX IF NOT EXISTS vt_job_sha ON vt_job (sha256, state);"
    "CREATE INDEX IF NOT EXISTS vt_job_age ON vt_job (state, updated);"
    "CREATE TABLE IF NOT EXISTS vt_cursor (name TEXT NOT NULL PRIMARY KEY,"
    " pos BIGINT NOT NULL);";

#define VT_JOB_COLS                                                                                \
	"id, integration, alert_id, sha256, agent_id, agent_name, agent_ip, path, md5, sha1,"      \
	" prio, state, created, next_try, updated, attempts, last_error, outcome"
#define VT_JOB_PENDING "state IN ('queued', 'in_flight')"

enum vt_jobs_stmt {
	JS_ADD,
	JS_FIND,
	JS_GET,
	JS_READY,
	JS_FOR_SHA,
	JS_LIST,
	JS_COUNT,
	JS_START,
	JS_COMPLETE,
	JS_RETRY,
	JS_POSTPONE,
	JS_REVIVE,
	JS_REQUEUE,
	JS_PRUNE,
	JS_CUR_GET,
	JS_CUR_SET,
	JS_N,
};

static const char *const vt_jobs_sql[JS_N] = {
    [JS_ADD] = "INSERT INTO vt_job (integration, alert_id, sha256, agent_id, agent_name,"
	       " agent_ip, path, md5, sha1, prio, state, created, next_try, updated, attempts,"
	       " last_error, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	       " 'queued', ?11, ?11, ?11, 0, '', '')"
	       " ON CONFLICT (integration, alert_id) DO NOTHING RETURNING id",
    [JS_FIND] = "SELECT id FROM vt_job WHERE integration = ?1 AND alert_id = ?2",
    [JS_GET] = "SELECT " VT_JOB_COLS " FROM vt_job WHERE id = ?1",
    [JS_READY] = "SELECT " VT_JOB_COLS " FROM vt_job WHERE state = 'queued' AND next_try <= ?1"
		 " AND NOT EXISTS (SELECT 1 FROM vt_job f WHERE f.sha256 = vt_job.sha256"
		 " AND f.state = 'in_flight') ORDER BY prio, created, id LIMIT ?2",
    [JS_FOR_SHA] = "SELECT " VT_JOB_COLS " FROM vt_job WHERE sha256 = ?1 AND " VT_JOB_PENDING
		   " ORDER BY created, id LIMIT ?2",
    [JS_LIST] = "SELECT " VT_JOB_COLS " FROM vt_job WHERE state = ?1 ORDER BY created, id"
		" LIMIT ?2",
    [JS_COUNT] = "SELECT state, COUNT(*) FROM vt_job GROUP BY state",
    [JS_START] = "UPDATE vt_job SET state = 'in_flight', updated = ?2"
		 " WHERE id = ?1 AND state = 'queued'",
    [JS_COMPLETE] = "UPDATE vt_job SET state = 'done', outcome = ?2, updated = ?3"
		    " WHERE id = ?1 AND " VT_JOB_PENDING,
    [JS_RETRY] = "UPDATE vt_job SET attempts = attempts + 1, next_try = ?2, last_error = ?3,"
		 " updated = ?4, state = CASE WHEN attempts + 1 >= ?5 THEN 'dead'"
		 " ELSE 'queued' END WHERE id = ?1 AND " VT_JOB_PENDING " RETURNING state",
    [JS_POSTPONE] = "UPDATE vt_job SET state = 'queued', next_try = ?2, updated = ?3"
		    " WHERE id = ?1 AND " VT_JOB_PENDING,
    [JS_REVIVE] = "UPDATE vt_job SET state = 'queued', attempts = 0, next_try = ?2,"
		  " updated = ?2 WHERE id = ?1 AND state = 'dead'",
    [JS_REQUEUE] = "UPDATE vt_job SET state = 'queued' WHERE state = 'in_flight'",
    [JS_PRUNE] = "DELETE FROM vt_job WHERE id IN (SELECT id FROM vt_job WHERE state = 'done'"
		 " AND updated <= ?1 ORDER BY updated, id LIMIT ?2)",
    [JS_CUR_GET] = "SELECT pos FROM vt_cursor WHERE name = ?1",
    [JS_CUR_SET] = "INSERT INTO vt_cursor (name, pos) VALUES (?1, ?2)"
		   " ON CONFLICT (name) DO UPDATE SET pos = excluded.pos",
};

static const char *const vt_job_state_names[VT_JOB_STATE_N] = {"queued", "in_flight", "done",
							       "dead"};
static const char *const vt_job_prio_names[VT_PRIO_N] = {"new_executable", "new_file", "modified"};

struct vt_jobs {
	sqlite3 *db; /* borrowed */
	sqlite3_stmt *st[JS_N];
	int64_t max_attempts;
};

const char *vt_job_state_name(enum vt_job_state s)
{
	return (unsigned)s < VT_JOB_STATE_N ? vt_job_state_names[s] : "unknown";
}

const char *vt_job_prio_name(enum vt_job_prio p)
{
	return (unsigned)p < VT_PRIO_N ? vt_job_prio_names[p] : "unknown";
}

static int vt_job_state_parse(const char *s, enum vt_job_state *out)
{
	for (int i = 0; i < VT_JOB_STATE_N; i++) {
		if (strcmp(s, vt_job_state_names[i]) == 0) {
			*out = (enum vt_job_state)i;
			return 0;
		}
	}
	return VG_EPARSE;
}

/* Run a statement whose rows do not matter; *changed = rows it changed. */
static int vt_jobs_run(struct vt_jobs *j, sqlite3_stmt *st, const char *what, int64_t *changed,
		       struct vg_err *err)
{
	int rc = vg_db_step(st, what, err);

	if (rc == 1) {
		vg_db_reset(st);
		rc = 0;
	}
	if (changed != NULL)
		*changed = rc == 0 ? sqlite3_changes(j->db) : 0;
	return rc;
}

/* ---- Open ------------------------------------------------------------------------- */

int vt_jobs_open(sqlite3 *db, const struct vt_jobs_opts *o, struct vt_jobs **out, int64_t *requeued,
		 struct vg_err *err)
{
	struct vt_jobs_opts defaults = VT_JOBS_OPTS_INIT;
	struct vt_jobs *j = vg_xcalloc(1, sizeof(*j));
	int64_t n = 0;
	int rc = 0;

	*out = NULL;
	if (requeued != NULL)
		*requeued = 0;
	if (o == NULL)
		o = &defaults;
	j->db = db;
	j->max_attempts = o->max_attempts > 0 ? o->max_attempts : VT_JOB_MAX_ATTEMPTS;
	if (o->max_attempts < 0 || o->max_attempts > VT_JOBS_ATTEMPTS_MAX)
		rc = vg_err_set(err, o->max_attempts < 0 ? VG_EPARSE : VG_ETOOBIG,
				"lookup attempts: %lld is not in 1..%d", (long long)o->max_attempts,
				VT_JOBS_ATTEMPTS_MAX);
	if (rc == 0)
		rc = vt_db_module(db, "vt_jobs", VT_JOBS_SCHEMA, vt_jobs_ddl, err);
	if (rc == 0)
		rc = vg_db_prepare_all(db, vt_jobs_sql, JS_N, j->st, err);
	/* a request in flight died with the previous process: make it again */
	if (rc == 0 && sqlite3_db_readonly(db, "main") != 1 && !o->keep_in_flight)
		rc = vt_jobs_run(j, j->st[JS_REQUEUE], "requeueing jobs in flight", &n, err);
	if (rc != 0) {
		vt_jobs_close(j);
		return rc;
	}
	if (requeued != NULL)
		*requeued = n;
	*out = j; /* transferred */
	return 0;
}

void vt_jobs_close(struct vt_jobs *j)
{
	if (j == NULL)
		return;
	vg_db_finalize_all(j->st, JS_N);
	vg_free(j);
}

/* ---- Add -------------------------------------------------------------------------- */

/* s must fit max bytes, be UTF-8 and, when required, not be empty. */
static int vt_jobs_check_text(const char *field, const char *s, size_t max, bool required,
			      struct vg_err *err)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return vg_err_set(err, VG_ETOOBIG, "job %s over %zu bytes", field, max);
	if (required && n == 0)
		return vg_err_set(err, VG_EPARSE, "job without %s", field);
	if (!vg_utf8_valid(s, n))
		return vg_err_set(err, VG_EPARSE, "job %s is not UTF-8", field);
	return 0;
}

/* "" or exactly len hex digits, copied lowercase into out. */
static int vt_jobs_check_hex(const char *field, const char *s, size_t len, char *out,
			     struct vg_err *err)
{
	size_t n = strnlen(s, len + 1);

	out[0] = '\0';
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int d = vg_hex_digit(s[i]);
		if (d < 0 || n != len) {
			out[0] = '\0';
			return vg_err_set(err, VG_EPARSE, "job %s is not %zu hex digits", field,
					  len);
		}
		out[i] = "0123456789abcdef"[d];
	}
	out[n] = '\0';
	return 0;
}

static int vt_jobs_check(const struct vt_job *in, char sha[VT_SHA256_HEX + 1], char md5[33],
			 char sha1[41], struct vg_err *err)
{
	int rc = vt_sha256_norm(in->sha256, sha, err);

	if (rc == 0)
		rc = vt_jobs_check_hex("md5", in->md5, 32, md5, err);
	if (rc == 0)
		rc = vt_jobs_check_hex("sha1", in->sha1, 40, sha1, err);
	if (rc == 0)
		rc = vt_jobs_check_text("integration", in->integration, VT_JOB_NAME_MAX, true, err);
	if (rc == 0)
		rc = vt_jobs_check_text("alert id", in->alert_id, VT_JOB_ALERT_ID_MAX, true, err);
	if (rc == 0)
		rc = vt_jobs_check_text("agent id", in->agent_id, VT_JOB_AGENT_ID_MAX, false, err);
	if (rc == 0)
		rc = vt_jobs_check_text("agent name", in->agent_name, VT_JOB_AGENT_NAME_MAX, false,
					err);
	if (rc == 0)
		rc = vt_jobs_check_text("agent ip", in->agent_ip, VT_JOB_AGENT_IP_MAX, false, err);
	if (rc == 0)
		rc = vt_jobs_check_text("path", in->path, VT_JOB_PATH_MAX, false, err);
	if (rc == 0 && (unsigned)in->prio >= VT_PRIO_N)
		rc = vg_err_set(err, VG_EPARSE, "job priority %d is not a priority class",
				(int)in->prio);
	return rc;
}

static int vt_jobs_find(struct vt_jobs *j, const struct vt_job *in, int64_t *id, struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_FIND];
	int rc;

	sqlite3_bind_text(st, 1, in->integration, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->alert_id, -1, SQLITE_STATIC);
	rc = vg_db_step(st, "finding a job by alert", err);
	if (rc == 1) {
		*id = sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		return 0;
	}
	return rc < 0 ? rc
		      : vg_err_set(err, VG_EINTERNAL, "job of alert %s vanished", in->alert_id);
}

int vt_jobs_add(struct vt_jobs *j, const struct vt_job *in, int64_t now_ms, int64_t *id,
		bool *added, struct vg_err *err)
{
	char sha[VT_SHA256_HEX + 1], md5[33], sha1[41];
	sqlite3_stmt *st = j->st[JS_ADD];
	int64_t got = 0;
	int rc;

	if (id != NULL)
		*id = 0;
	if (added != NULL)
		*added = false;
	rc = vt_jobs_check(in, sha, md5, sha1, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_text(st, 1, in->integration, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->alert_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, in->agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->agent_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, in->agent_ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, in->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, md5, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, sha1, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, (int)in->prio);
	sqlite3_bind_int64(st, 11, now_ms);
	rc = vg_db_step(st, "adding a job", err);
	if (rc == 1) { /* RETURNING id: a new row */
		got = sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		if (added != NULL)
			*added = true;
		rc = 0;
	} else if (rc == 0) { /* the alert already has its job */
		rc = vt_jobs_find(j, in, &got, err);
	}
	if (rc == 0 && id != NULL)
		*id = got;
	return rc;
}

/* ---- Read ------------------------------------------------------------------------- */

static void vt_jobs_col(sqlite3_stmt *st, int col, char *dst, size_t dstsz)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	vg_strlcpy(dst, v != NULL ? (const char *)v : "", dstsz);
}

static int vt_jobs_row(sqlite3_stmt *st, struct vt_job *out, struct vg_err *err)
{
	char state[16];
	int prio = sqlite3_column_int(st, 10);

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	vt_jobs_col(st, 1, out->integration, sizeof(out->integration));
	vt_jobs_col(st, 2, out->alert_id, sizeof(out->alert_id));
	vt_jobs_col(st, 3, out->sha256, sizeof(out->sha256));
	vt_jobs_col(st, 4, out->agent_id, sizeof(out->agent_id));
	vt_jobs_col(st, 5, out->agent_name, sizeof(out->agent_name));
	vt_jobs_col(st, 6, out->agent_ip, sizeof(out->agent_ip));
	vt_jobs_col(st, 7, out->path, sizeof(out->path));
	vt_jobs_col(st, 8, out->md5, sizeof(out->md5));
	vt_jobs_col(st, 9, out->sha1, sizeof(out->sha1));
	vt_jobs_col(st, 11, state, sizeof(state));
	out->created_ms = sqlite3_column_int64(st, 12);
	out->next_try_ms = sqlite3_column_int64(st, 13);
	out->updated_ms = sqlite3_column_int64(st, 14);
	out->attempts = sqlite3_column_int64(st, 15);
	vt_jobs_col(st, 16, out->last_error, sizeof(out->last_error));
	vt_jobs_col(st, 17, out->outcome, sizeof(out->outcome));
	if (prio < 0 || prio >= VT_PRIO_N || vt_job_state_parse(state, &out->state) != 0)
		return vg_err_set(err, VG_EPARSE, "job %lld: bad priority or state",
				  (long long)out->id);
	out->prio = (enum vt_job_prio)prio;
	return 0;
}

/* Step st (bound by the caller, LIMIT in ?2) into out[0..*n). */
static int vt_jobs_rows(sqlite3_stmt *st, const char *what, struct vt_job *out, size_t max,
			size_t *n, struct vg_err *err)
{
	int rc;

	*n = 0;
	if (max == 0) {
		vg_db_reset(st);
		return 0;
	}
	sqlite3_bind_int64(st, 2, (int64_t)(max < INT64_MAX ? max : INT64_MAX));
	while ((rc = vg_db_step(st, what, err)) == 1) {
		rc = vt_jobs_row(st, &out[*n], err);
		if (rc != 0 || ++*n == max)
			break;
	}
	vg_db_reset(st);
	return rc < 0 ? rc : 0;
}

int vt_jobs_get(struct vt_jobs *j, int64_t id, struct vt_job *out, struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_GET];
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = vg_db_step(st, "reading a job", err);
	if (rc == 0)
		return vg_err_set(err, VG_ENOTFOUND, "no job %lld", (long long)id);
	if (rc == 1) {
		rc = vt_jobs_row(st, out, err);
		vg_db_reset(st);
	}
	return rc;
}

int vt_jobs_ready(struct vt_jobs *j, int64_t now_ms, struct vt_job *out, size_t max, size_t *n,
		  struct vg_err *err)
{
	sqlite3_bind_int64(j->st[JS_READY], 1, now_ms);
	return vt_jobs_rows(j->st[JS_READY], "listing ready jobs", out, max, n, err);
}

int vt_jobs_for_sha256(struct vt_jobs *j, const char *sha256, struct vt_job *out, size_t max,
		       size_t *n, struct vg_err *err)
{
	char sha[VT_SHA256_HEX + 1];
	int rc = vt_sha256_norm(sha256, sha, err);

	*n = 0;
	if (rc != 0)
		return rc;
	sqlite3_bind_text(j->st[JS_FOR_SHA], 1, sha, -1, SQLITE_TRANSIENT);
	return vt_jobs_rows(j->st[JS_FOR_SHA], "listing jobs by sha256", out, max, n, err);
}

int vt_jobs_list(struct vt_jobs *j, enum vt_job_state s, struct vt_job *out, size_t max, size_t *n,
		 struct vg_err *err)
{
	*n = 0;
	if ((unsigned)s >= VT_JOB_STATE_N)
		return vg_err_set(err, VG_EPARSE, "job state %d is not a state", (int)s);
	sqlite3_bind_text(j->st[JS_LIST], 1, vt_job_state_name(s), -1, SQLITE_STATIC);
	return vt_jobs_rows(j->st[JS_LIST], "listing jobs", out, max, n, err);
}

int vt_jobs_count(struct vt_jobs *j, int64_t counts[VT_JOB_STATE_N], struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_COUNT];
	enum vt_job_state s;
	int rc;

	memset(counts, 0, sizeof(int64_t) * VT_JOB_STATE_N);
	while ((rc = vg_db_step(st, "counting jobs", err)) == 1) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		if (name != NULL && vt_job_state_parse((const char *)name, &s) == 0)
			counts[s] = sqlite3_column_int64(st, 1);
	}
	return rc;
}

/* ---- Transitions ------------------------------------------------------------------ */

/* One changed row, or VG_ENOTFOUND naming the job and the transition. */
static int vt_jobs_changed(int rc, int64_t changed, int64_t id, const char *what,
			   struct vg_err *err)
{
	if (rc == 0 && changed == 0)
		rc = vg_err_set(err, VG_ENOTFOUND, "no job %lld that can be %s", (long long)id,
				what);
	return rc;
}

/* A transition that takes only the job id and the time (start, revive). */
static int vt_jobs_move(struct vt_jobs *j, enum vt_jobs_stmt which, int64_t id, int64_t now_ms,
			const char *doing, const char *what, struct vg_err *err)
{
	sqlite3_stmt *st = j->st[which];
	int64_t n = 0;
	int rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	rc = vt_jobs_run(j, st, doing, &n, err);
	return vt_jobs_changed(rc, n, id, what, err);
}

int vt_jobs_start(struct vt_jobs *j, int64_t id, int64_t now_ms, struct vg_err *err)
{
	return vt_jobs_move(j, JS_START, id, now_ms, "starting a job", "started (queued)", err);
}

int vt_jobs_complete(struct vt_jobs *j, int64_t id, const char *outcome, int64_t now_ms,
		     struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_COMPLETE];
	int64_t n = 0;
	int rc = vt_jobs_check_text("outcome", outcome, VT_JOB_OUTCOME_MAX, true, err);

	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	rc = vt_jobs_run(j, st, "completing a job", &n, err);
	return vt_jobs_changed(rc, n, id, "completed (queued or in flight)", err);
}

/* error cut to VT_JOB_ERROR_MAX bytes without splitting a UTF-8 sequence. */
static void vt_jobs_cut(char dst[VT_JOB_ERROR_MAX + 1], const char *error)
{
	size_t n = strnlen(error, VT_JOB_ERROR_MAX);

	while (n > 0 && !vg_utf8_valid(error, n))
		n--;
	memcpy(dst, error, n);
	dst[n] = '\0';
}

int vt_jobs_retry(struct vt_jobs *j, int64_t id, int64_t next_try_ms, const char *error,
		  int64_t now_ms, bool *dead, struct vg_err *err)
{
	char msg[VT_JOB_ERROR_MAX + 1];
	sqlite3_stmt *st = j->st[JS_RETRY];
	int rc;

	if (dead != NULL)
		*dead = false;
	vt_jobs_cut(msg, error != NULL ? error : "");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_try_ms);
	sqlite3_bind_text(st, 3, msg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, j->max_attempts);
	rc = vg_db_step(st, "retrying a job", err);
	if (rc == 0)
		return vt_jobs_changed(0, 0, id, "retried (queued or in flight)", err);
	if (rc == 1) {
		const unsigned char *state = sqlite3_column_text(st, 0);
		if (dead != NULL)
			*dead = state != NULL && strcmp((const char *)state, "dead") == 0;
		/* step to the end: RETURNING's change is complete once the statement is done */
		rc = vg_db_step(st, "retrying a job", err);
		vg_db_reset(st);
	}
	return rc < 0 ? rc : 0;
}

int vt_jobs_postpone(struct vt_jobs *j, int64_t id, int64_t next_try_ms, int64_t now_ms,
		     struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_POSTPONE];
	int64_t n = 0;
	int rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_try_ms);
	sqlite3_bind_int64(st, 3, now_ms);
	rc = vt_jobs_run(j, st, "postponing a job", &n, err);
	return vt_jobs_changed(rc, n, id, "postponed (queued or in flight)", err);
}

int vt_jobs_revive(struct vt_jobs *j, int64_t id, int64_t now_ms, struct vg_err *err)
{
	return vt_jobs_move(j, JS_REVIVE, id, now_ms, "reviving a job", "revived (dead)", err);
}

int vt_jobs_prune(struct vt_jobs *j, int64_t before_ms, int64_t max, int64_t *deleted,
		  struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_PRUNE];

	if (deleted != NULL)
		*deleted = 0;
	if (max <= 0)
		return vg_err_set(err, VG_EPARSE, "job prune bound must be positive");
	sqlite3_bind_int64(st, 1, before_ms);
	sqlite3_bind_int64(st, 2, max);
	return vt_jobs_run(j, st, "pruning done jobs", deleted, err);
}

/* ---- Cursor ----------------------------------------------------------------------- */

int vt_jobs_cursor_get(struct vt_jobs *j, const char *name, int64_t *pos, struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_CUR_GET];
	int rc;

	*pos = 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = vg_db_step(st, "reading the alert cursor", err);
	if (rc == 1) {
		*pos = sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

int vt_jobs_cursor_set(struct vt_jobs *j, const char *name, int64_t pos, struct vg_err *err)
{
	sqlite3_stmt *st = j->st[JS_CUR_SET];
	int rc = vt_jobs_check_text("cursor name", name, VT_JOB_NAME_MAX, true, err);

	if (rc != 0)
		return rc;
	if (pos < 0)
		return vg_err_set(err, VG_EPARSE, "alert cursor %lld is negative", (long long)pos);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pos);
	return vt_jobs_run(j, st, "moving the alert cursor", NULL, err);
}
