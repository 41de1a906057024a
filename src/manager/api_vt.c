/*
 * api_vt.c - GET /api/virustotal/quota and /api/virustotal/files
 * (docs/api.md).
 *
 * The quota, cache and job counts come from the integration's own state
 * (vt_status.h). The judged files come from the alert store: VirusTotal's
 * alerts (87105 malicious; 87104 with suspicious engines) hold the file,
 * its agent and the verdict, newest first, one item per agent, path and
 * hash; each carries the quarantine state the manager's view knows.
 */
#include "manager/api_int.h"

#include <stdio.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/vt_status.h"

#define FILES_SCAN 2000 /* alerts read for one list (newest first) */

static json_t *vt_state(struct api *a, bool files, struct vg_err *err)
{
	json_t *out = NULL;
	int rc =
	    vt_status_read(a->home, &a->o.vt_limits, vg_clock_ms(CLOCK_REALTIME), files, &out, err);

	if (rc == VG_ENOTFOUND)
		return json_null(); /* no integration ran yet */
	return rc == 0 ? out : NULL;
}

/* A quota window as the dashboard reads it: reset_ms becomes resets_at. */
static json_t *window(const json_t *w)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "limit",
			 json_integer_value(json_object_get(w, "limit")), "used",
			 json_integer_value(json_object_get(w, "used")), "left",
			 json_integer_value(json_object_get(w, "left")), "resets_at",
			 json_integer_value(json_object_get(w, "reset_ms")));
}

json_t *api__vt_summary(struct api *a, struct vg_err *err)
{
	json_t *st = vt_state(a, false, err), *q, *out;
	json_int_t hits, misses;

	if (st == NULL)
		return NULL;
	q = json_object_get(st, "quota"); /* NULL when no integration ran: zeros */
	hits = json_integer_value(json_object_get(json_object_get(st, "cache"), "hits"));
	misses = json_integer_value(json_object_get(json_object_get(st, "cache"), "misses"));
	out = json_pack("{s:b, s:o, s:o, s:o, s:I, s:{s:I, s:I, s:f}}", "enabled",
			!json_is_null(st), "minute", window(json_object_get(q, "minute")), "day",
			window(json_object_get(q, "day")), "month",
			window(json_object_get(q, "month")), "queue",
			json_integer_value(json_object_get(json_object_get(st, "jobs"), "queued")),
			"cache", "hits", hits, "misses", misses, "ratio",
			hits + misses > 0 ? (double)hits / (double)(hits + misses) : 0.0);
	json_decref(st);
	return out;
}

void api__vt_quota(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct vg_err err = VG_ERR_INIT;
	json_t *s = api__vt_summary(ctx, &err);

	if (s == NULL) {
		api__fail(resp, "reading the VirusTotal state", &err);
		return;
	}
	http_json(resp, 200, json_pack("{s:o, s:i}", "data", s, "error", 0));
}

/* ---------------------------------------------------------------- judged files */

struct judged {
	struct api *a;
	bool suspicious;
	json_t *items, *seen; /* seen: "agent\npath\nsha256" -> true */
};

static const char *vt_str(const json_t *vt, const char *key)
{
	const char *s = json_string_value(json_object_get(vt, key));

	return s != NULL ? s : "";
}

static json_int_t vt_int(const json_t *vt, const char *key)
{
	const json_t *v = json_object_get(vt, key);
	uint64_t n = 0;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && vg_parse_u64(json_string_value(v), INT64_MAX, &n) == 0)
		return (json_int_t)n;
	return 0;
}

/* VirusTotal's "2007-04-17 09:32:18" (UTC) as ISO 8601, "" when absent. */
static json_t *iso_utc(const char *s)
{
	char out[32];

	if (s == NULL || strlen(s) != 19 || s[10] != ' ')
		return json_string("");
	snprintf(out, sizeof(out), "%.10sT%sZ", s, s + 11);
	return json_string(out);
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* The quarantine the manager's view knows for this file, or null. */
static int quarantine_row(void *ctx, const struct cmdq_qrow *r)
{
	json_t **out = ctx;
	const char *sha = json_string_value(json_object_get(*out, "sha256"));
	const char *path = json_string_value(json_object_get(*out, "path"));
	json_t *m;
	bool same;

	/* the path first: the manifest is parsed only for this file's rows */
	if (sha == NULL || path == NULL || strcmp(or_empty(r->path), path) != 0)
		return 0;
	m = json_loads(r->manifest, 0, NULL);
	same = strcmp(or_empty(json_string_value(json_object_get(m, "sha256"))), sha) == 0;
	json_decref(m);
	if (!same)
		return 0;
	json_object_set_new(*out, "quarantine",
			    json_pack("{s:s, s:s}", "state", r->state, "id", r->qid));
	return 1; /* newest first: the latest state */
}

static void add_quarantine(struct api *a, const char *agent, json_t *item)
{
	struct vg_err err = VG_ERR_INIT;

	json_object_set_new(item, "quarantine", json_null());
	if (cmdq_quarantine_list(a->cmdq, agent, NULL, quarantine_row, &item, &err) != 0)
		vg_log_warn("api: the quarantine view: %s", err.msg);
}

static int judged_one(void *ctx, const struct store_alert *al)
{
	struct judged *j = ctx;
	json_t *alert =
	    json_loadb(al->json, al->json_len != 0 ? al->json_len : strlen(al->json), 0, NULL);
	const json_t *vt = json_object_get(json_object_get(alert, "data"), "virustotal");
	const json_t *src = json_object_get(vt, "source");
	const char *agent = al->agent_id != NULL ? al->agent_id : "000";
	char *key;

	if (vt == NULL || (j->suspicious && vt_int(vt, "suspicious") == 0)) {
		json_decref(alert);
		return 0;
	}
	key = vg_xasprintf("%s\n%s\n%s", agent, vt_str(src, "file"), vt_str(vt, "sha256"));
	if (json_object_get(j->seen, key) == NULL) {
		json_t *item = json_pack(
		    "{s:{s:s, s:s?}, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "agent",
		    "id", agent, "name", al->agent_name, "path", vt_str(src, "file"), "sha256",
		    vt_str(vt, "sha256"), "positives", vt_int(vt, "positives"), "suspicious",
		    vt_int(vt, "suspicious"), "total", vt_int(vt, "total"), "threat_label",
		    vt_str(vt, "threat_label"), "first_seen", "", "permalink",
		    vt_str(vt, "permalink"), "alert_id", al->id, "time",
		    json_string_value(json_object_get(alert, "timestamp")) != NULL
			? json_string_value(json_object_get(alert, "timestamp"))
			: "");
		if (item != NULL) {
			json_object_set_new(
			    item, "first_seen",
			    iso_utc(json_string_value(json_object_get(vt, "first_submission"))));
			add_quarantine(j->a, agent, item);
			json_array_append_new(j->items, item);
		}
		json_object_set_new(j->seen, key, json_true());
	}
	vg_free(key);
	json_decref(alert);
	return json_array_size(j->items) >= API_PAGE_MAX;
}

static void judged_files(struct api *a, bool suspicious, struct http_resp *resp)
{
	struct store_filter f = STORE_FILTER_INIT;
	struct judged j = {a, suspicious, json_array(), json_object()};
	struct vg_err err = VG_ERR_INIT;
	int rc;

	f.rule_id = suspicious ? 87104 : 87105;
	f.limit = FILES_SCAN;
	pthread_mutex_lock(&a->mu);
	rc = store_query(a->store, &f, judged_one, &j, NULL, &err);
	pthread_mutex_unlock(&a->mu);
	json_decref(j.seen);
	if (rc != 0) {
		json_decref(j.items);
		api__fail(resp, "reading VirusTotal's verdicts", &err);
		return;
	}
	api__items(resp, 200, j.items, NULL);
}

/* Why a job waits, in a word the dashboard translates. */
static const char *why_waiting(const json_t *job, int64_t now)
{
	const char *e = json_string_value(json_object_get(job, "last_error"));
	json_int_t next = json_integer_value(json_object_get(job, "next_try_ms"));

	if (e != NULL && *e != '\0')
		return "retry";
	return next > now ? "quota" : "queued";
}

static void pending_files(struct api *a, struct http_resp *resp)
{
	struct vg_err err = VG_ERR_INIT;
	json_t *st = vt_state(a, true, &err), *items = json_array(), *job;
	int64_t now = vg_clock_ms(CLOCK_REALTIME);
	size_t i;

	if (st == NULL) {
		json_decref(items);
		api__fail(resp, "reading the VirusTotal state", &err);
		return;
	}
	json_array_foreach(json_object_get(st, "waiting"), i, job)
	{
		json_array_append_new(
		    items,
		    json_pack("{s:{s:O?}, s:O?, s:O?, s:O?, s:I, s:s, s:O?}", "agent", "id",
			      json_object_get(job, "agent"), "path", json_object_get(job, "path"),
			      "sha256", json_object_get(job, "sha256"), "priority",
			      json_object_get(job, "priority"), "since",
			      json_integer_value(json_object_get(job, "created_ms")), "why",
			      why_waiting(job, now), "last_error",
			      json_object_get(job, "last_error")));
	}
	json_decref(st);
	api__items(resp, 200, items, NULL);
}

void api__vt_files(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	const char *state = http_req_query(req, "state");

	if (state == NULL || *state == '\0' || strcmp(state, "malicious") == 0)
		judged_files(ctx, false, resp);
	else if (strcmp(state, "suspicious") == 0)
		judged_files(ctx, true, resp);
	else if (strcmp(state, "pending") == 0)
		pending_files(ctx, resp);
	else
		http_error(resp, 400, "state: expected malicious, suspicious or pending");
}
