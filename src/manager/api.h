/*
 * api.h - The REST API (docs/api.md): the routes the HTTP server
 * (manager/http.h) serves under /api, reading the manager's state beside
 * it: the alert store, the agent registry, the command queue and its
 * quarantine view, the VirusTotal integration's state.
 *
 * Every handler runs on an HTTP pool thread. The API owns its own
 * read-only connections (never the pipeline's writer), each behind a
 * mutex, and one writer connection to the command queue for the
 * restores it queues; a live stream opens a store reader of its own.
 *
 * Threads: api_open/api_close on the manager's main thread; the routes'
 * handlers on any thread.
 */
#ifndef MGR_API_H
#define MGR_API_H

#include <stddef.h>

#include "lib/err.h"
#include "manager/http.h"
#include "manager/vt_quota.h"

#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 500
#define API_STREAM_POLL_MS 250 /* how often a live stream looks for new alerts */
#define API_STATS_SPAN_MS (24 * 3600 * 1000LL)
#define API_STATS_BUCKET_MS (3600 * 1000LL)
#define API_TOP_MAX 10
#define API_RESTORE_EXPIRE_S 86400 /* a restore waits a day for its agent */

struct api;

struct auth;

struct api_opts {
	const char *home;
	const char *manager_name;
	struct vt_quota_opts vt_limits; /* the configured quota (not stored) */
	struct auth *auth;              /* sessions and tokens; borrowed */
};

/* Open the readers (HOME/queue/alerts.db and agents.db must exist: the
 * manager creates them before the HTTP server starts). */
int api_open(const struct api_opts *o, struct api **out, struct vg_err *err) VG_MUST_CHECK;
void api_close(struct api *a);

/* Every route (their ctx is the struct api): the login routes (public)
 * and the data routes; *n their count. */
const struct http_route *api_routes(size_t *n);

/*
 * http_opts.auth (ctx: the struct api): a request to a non-public route
 * needs "Authorization: Bearer TOKEN" (POST /api/security/user/authenticate)
 * or the dashboard's session cookie, and with the cookie a state-changing
 * method (POST, PUT, DELETE) needs its X-CSRF-Token. 401 / 403 otherwise.
 */
int api_auth(void *ctx, const struct http_req *req, struct http_resp *resp);

#endif
