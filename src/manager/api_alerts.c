/*
 * api_alerts.c - GET /api/alerts, /api/alerts/{id}, /api/stats and the
 * live stream /api/stream (docs/api.md).
 *
 * Lists page with the store's cursor, written "TIME.ROW" (the next page's
 * `after`), so paging through millions of alerts costs one index seek a
 * page. The stream follows the store from where it stood when the client
 * connected (or from Last-Event-ID, the position the client saw last).
 */
#include "manager/api_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define TEXT_MAX 256u    /* bytes of q, group */
#define PATH_MAX_Q 4096u /* bytes of path */

/* ---------------------------------------------------------------- parameters */

static bool text_param(const struct http_req *req, struct http_resp *resp, const char *name,
		       size_t max, const char **out)
{
	*out = http_req_query(req, name);
	if (*out != NULL && **out == '\0')
		*out = NULL;
	if (*out != NULL && strlen(*out) > max) {
		http_error(resp, 400, "%s: at most %zu bytes", name, max);
		return false;
	}
	return true;
}

static bool cursor_param(const struct http_req *req, struct http_resp *resp, struct store_cursor *c)
{
	const char *v = http_req_query(req, "after");
	long long t, r;
	int used = 0;

	*c = (struct store_cursor){0, 0};
	if (v == NULL || *v == '\0')
		return true;
	if (sscanf(v, "%lld.%lld%n", &t, &r, &used) != 2 || v[used] != '\0' || t < 0 || r < 0) {
		http_error(resp, 400, "after: expected the 'next' of a previous page");
		return false;
	}
	*c = (struct store_cursor){t, r};
	return true;
}

static bool hash_ok(const char *h)
{
	size_t n = strlen(h);

	if (n != 32 && n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", h[i]) == NULL)
			return false;
	return true;
}

/* The filter of a list request; false when a 400 was written. */
static bool filter_of(const struct http_req *req, struct http_resp *resp, struct store_filter *f)
{
	uint64_t level, rule, limit;

	*f = (struct store_filter)STORE_FILTER_INIT;
	if (!api__time(req, resp, "since", 0, &f->since_ms) ||
	    !api__time(req, resp, "until", 0, &f->until_ms) ||
	    !api__uint(req, resp, "level", 0, 16, 0, &level) ||
	    !api__uint(req, resp, "rule.id", 1, UINT32_MAX, 0, &rule) ||
	    !api__uint(req, resp, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) ||
	    !text_param(req, resp, "group", TEXT_MAX, &f->group) ||
	    !text_param(req, resp, "q", TEXT_MAX, &f->text) ||
	    !text_param(req, resp, "path", PATH_MAX_Q, &f->path_prefix) ||
	    !text_param(req, resp, "hash", 64, &f->hash) ||
	    !text_param(req, resp, "agent.id", 8, &f->agent_id) ||
	    !cursor_param(req, resp, &f->after))
		return false;
	if (f->agent_id != NULL && !api__agent_id(f->agent_id)) {
		http_error(resp, 400, "agent.id: expected digits such as 001");
		return false;
	}
	if (f->hash != NULL && !hash_ok(f->hash)) {
		http_error(resp, 400, "hash: expected an md5, sha1 or sha256 in hex");
		return false;
	}
	f->min_level = (unsigned)level;
	f->rule_id = (unsigned)rule;
	f->limit = (size_t)limit;
	return true;
}

/* ---------------------------------------------------------------- lists */

static int collect(void *ctx, const struct store_alert *a)
{
	json_t *alert =
	    json_loadb(a->json, a->json_len != 0 ? a->json_len : strlen(a->json), 0, NULL);

	if (alert != NULL)
		json_array_append_new(ctx, alert);
	return 0;
}

void api__alerts(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	struct store_filter f;
	struct store_cursor next = {0, 0};
	struct vg_err err = VG_ERR_INIT;
	json_t *items;
	char cur[48];
	int rc;

	if (!filter_of(req, resp, &f))
		return;
	items = json_array();
	pthread_mutex_lock(&a->mu);
	rc = store_query(a->store, &f, collect, items, &next, &err);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0) {
		json_decref(items);
		api__fail(resp, "reading alerts", &err);
		return;
	}
	snprintf(cur, sizeof(cur), "%" PRId64 ".%" PRId64, next.time_ms, next.row);
	api__items(resp, 200, items,
		   json_array_size(items) == f.limit ? json_string(cur) : json_null());
}

void api__alert(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	const char *id = http_req_param(req, "id");
	struct vg_err err = VG_ERR_INIT;
	char *text = NULL, esc[64];
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = store_get(a->store, id, &text, &err);
	pthread_mutex_unlock(&a->mu);
	if (rc == VG_ENOTFOUND || rc == VG_EPARSE) {
		http_error(resp, 404, "no alert %s", vg_escape(esc, sizeof(esc), id, strlen(id)));
		return;
	}
	if (rc != 0) {
		api__fail(resp, "reading an alert", &err);
		return;
	}
	json_t *items = json_array();
	json_t *alert = json_loads(text, 0, NULL);
	if (alert != NULL)
		json_array_append_new(items, alert);
	vg_free(text);
	api__items(resp, 200, items, NULL);
}

/* ---------------------------------------------------------------- the overview */

struct levels {
	json_t *buckets; /* [{"start":ms,"levels":{"LEVEL":n}}], oldest first */
	json_t *last;
	int64_t last_ms;
};

static int add_level(void *ctx, int64_t bucket_ms, unsigned level, uint64_t n)
{
	struct levels *l = ctx;
	char key[8];

	if (l->last == NULL || l->last_ms != bucket_ms) {
		l->last = json_pack("{s:I, s:{}}", "start", (json_int_t)bucket_ms, "levels");
		json_array_append_new(l->buckets, l->last);
		l->last_ms = bucket_ms;
	}
	snprintf(key, sizeof(key), "%u", level);
	json_object_set_new(json_object_get(l->last, "levels"), key, json_integer((json_int_t)n));
	return 0;
}

struct top {
	json_t *items;
	const char *label; /* "description" (rules) or "name" (agents) */
};

static int add_top(void *ctx, const char *key, const char *label, uint64_t n)
{
	struct top *t = ctx;

	json_array_append_new(t->items, json_pack("{s:s, s:s, s:I}", "id", key, t->label, label,
						  "count", (json_int_t)n));
	return 0;
}

/* The store's part of the overview, under the API's lock. */
static int overview(struct api *a, int64_t since, int64_t until, int64_t bucket, json_t *data,
		    struct vg_err *err)
{
	struct levels l = {json_array(), NULL, 0};
	struct top rules = {json_array(), "description"}, agents = {json_array(), "name"};
	uint64_t files = 0;
	int rc;

	pthread_mutex_lock(&a->mu);
	rc = store_stats_levels(a->stats, since, until, bucket, add_level, &l, err);
	if (rc == 0)
		rc = store_stats_top(a->stats, STORE_STATS_RULES, since, API_TOP_MAX, add_top,
				     &rules, err);
	if (rc == 0)
		rc = store_stats_top(a->stats, STORE_STATS_AGENTS, since, API_TOP_MAX, add_top,
				     &agents, err);
	if (rc == 0)
		rc = store_stats_files(a->stats, 87105, since, &files, err);
	pthread_mutex_unlock(&a->mu);
	json_object_set_new(data, "bucket_ms", json_integer((json_int_t)bucket));
	json_object_set_new(data, "alerts_by_level", l.buckets);
	json_object_set_new(data, "top_rules", rules.items);
	json_object_set_new(data, "top_agents", agents.items);
	json_object_set_new(data, "malicious_files", json_integer((json_int_t)files));
	return rc;
}

void api__stats(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	struct vg_err err = VG_ERR_INIT;
	int64_t now = vg_clock_ms(CLOCK_REALTIME), since, until;
	uint64_t bucket_s;
	json_t *data, *vt;

	if (!api__time(req, resp, "since", now - API_STATS_SPAN_MS, &since) ||
	    !api__time(req, resp, "until", now + 1, &until) ||
	    !api__uint(req, resp, "bucket", 60, 86400, API_STATS_BUCKET_MS / 1000, &bucket_s))
		return;
	data = json_pack("{s:I, s:I}", "since", (json_int_t)since, "until", (json_int_t)until);
	if (overview(a, since, until, (int64_t)bucket_s * 1000, data, &err) != 0) {
		json_decref(data);
		api__fail(resp, "computing the overview", &err);
		return;
	}
	vg_err_clear(&err);
	vt = api__vt_summary(a, &err);
	json_object_set_new(data, "virustotal", vt != NULL ? vt : json_null());
	http_json(resp, 200, json_pack("{s:o, s:i}", "data", data, "error", 0));
}

/* ---------------------------------------------------------------- the stream */

struct stream {
	struct store_reader *r;
	int64_t row; /* the last row sent */
	struct vg_buf *buf;
	int rc;
};

static int stream_one(void *ctx, int64_t row, const struct store_alert *a)
{
	struct stream *s = ctx;
	size_t len = a->json_len != 0 ? a->json_len : strlen(a->json);

	/* one alert per "data:" line: alerts.json lines hold no newline */
	if (vg_buf_printf(s->buf, "event: alert\nid: %" PRId64 "\ndata: ", row) != 0 ||
	    vg_buf_append(s->buf, a->json, len) != 0 || vg_buf_puts(s->buf, "\n\n") != 0) {
		s->rc = VG_ETOOBIG;
		return 1;
	}
	s->row = row;
	return 0;
}

static int stream_next(void *ctx, struct vg_buf *buf, int wait_ms)
{
	struct stream *s = ctx;
	struct vg_err err = VG_ERR_INIT;
	struct store_follow f = {.after = s->row, .limit = 64};

	s->buf = buf;
	s->rc = 0;
	if (store_follow(s->r, &f, stream_one, s, &err) != 0) {
		vg_log_warn("api: live stream: %s", err.msg);
		return -1;
	}
	if (f.seen == 0 && f.last_row < f.after)
		s->row = f.last_row; /* retention emptied the store: follow its new numbering */
	if (f.seen == 0 && s->rc == 0)
		usleep((useconds_t)(wait_ms < API_STREAM_POLL_MS ? wait_ms : API_STREAM_POLL_MS) *
		       1000);
	return 0;
}

static void stream_done(void *ctx)
{
	struct stream *s = ctx;

	store_reader_close(s->r);
	vg_free(s);
}

void api__stream(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	struct stream *s = vg_xcalloc(1, sizeof(*s));
	const char *resume = http_req_header(req, "Last-Event-ID");
	struct vg_err err = VG_ERR_INIT;
	struct store_follow f = {.after = INT64_MAX};
	uint64_t row;

	if (store_reader_open(a->store_path, &s->r, &err) != 0 ||
	    store_follow(s->r, &f, stream_one, s, &err) != 0) {
		stream_done(s);
		api__fail(resp, "opening the live stream", &err);
		return;
	}
	s->row = f.last_row;
	if (resume != NULL && vg_parse_u64(resume, (uint64_t)f.last_row, &row) == 0)
		s->row = (int64_t)row; /* resume after what the client saw */
	http_stream(resp, stream_next, stream_done, s);
}
