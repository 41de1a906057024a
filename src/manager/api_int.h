/*
 * api_int.h - What the API's files share (api.c: the object, routes and
 * parameter parsing; api_alerts.c, api_vt.c, api_agents.c: the handlers).
 */
#ifndef MGR_API_INT_H
#define MGR_API_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "manager/api.h"
#include "manager/cmdq.h"
#include "manager/registry.h"
#include "manager/store.h"
#include "manager/store_stats.h"

struct api {
	struct api_opts o;
	char *home, *manager_name;
	char *store_path;
	pthread_mutex_t mu; /* guards the handles below: one SQLite connection each */
	struct store_reader *store;
	struct store_stats *stats;
	struct reg *reg;
	struct cmdq *cmdq; /* writer: restores */
};

/* {"data":{"affected_items":items,"total_affected_items":N[,"next":next]},"error":0};
 * takes items (and next, NULL = no key). */
void api__items(struct http_resp *resp, unsigned status, json_t *items, json_t *next);

/* Query parameters; false (and a 400 in resp) when present and malformed. */
bool api__uint(const struct http_req *req, struct http_resp *resp, const char *name, uint64_t lo,
	       uint64_t hi, uint64_t dflt, uint64_t *out);
bool api__time(const struct http_req *req, struct http_resp *resp, const char *name, int64_t dflt,
	       int64_t *out_ms);

/* An agent id ("001", digits) / quarantine id (16 lowercase hex) in a path. */
bool api__agent_id(const char *s);
bool api__qid(const char *s);

/* A failure to read: logged, 500/503 to the client without internals. */
void api__fail(struct http_resp *resp, const char *what, const struct vg_err *err);

/* The handlers (api_alerts.c, api_vt.c, api_agents.c). */
void api__alerts(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__alert(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__stats(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__stream(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__vt_quota(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__vt_files(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__agents(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__quarantine(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__restore(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__authenticate(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__session_new(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__session_get(void *ctx, const struct http_req *req, struct http_resp *resp);
void api__session_end(void *ctx, const struct http_req *req, struct http_resp *resp);

#define API_COOKIE "vigie_session"

/* The VirusTotal part of the overview (api_vt.c): quota, queue, cache. */
json_t *api__vt_summary(struct api *a, struct vg_err *err);

#endif
