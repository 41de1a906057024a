/*
 * http.h - The manager's HTTP server: the dashboard's assets, the REST API
 * and its live stream (docs/api.md), on libmicrohttpd.
 *
 * One server per manager, bound as <dashboard> says (manager/dashboard_conf.h),
 * TLS when a certificate is configured. Its own threads serve the requests,
 * one thread per connection (at most HTTP_CONNECTIONS_MAX, small stacks):
 * an SSE stream then blocks only its own thread while it waits for the
 * next alert, where a pool would have to busy-poll or suspend/resume. A
 * handler runs on its connection's thread, concurrently with the others,
 * and must only read shared state through thread-safe objects (a pool of
 * store readers, registry readers...).
 *
 * Routing: a table of {method, pattern, handler}; patterns are literal
 * segments and "{name}" placeholders ("/api/alerts/{id}"), matched on the
 * decoded path; the first match wins. An unknown path is 404, a known path
 * with another method 405 (with Allow). Anything not under /api/ is a
 * static file of the web root (GET/HEAD only): "/" is index.html; no "..",
 * no hidden files, no symlink out of the root; Content-Type by extension;
 * Cache-Control no-cache with an ETag.
 *
 * Bounds: request bodies over HTTP_BODY_MAX are 413, a URL over
 * HTTP_URL_MAX 414, more than HTTP_CONNECTIONS_MAX connections refused,
 * idle connections closed after HTTP_IDLE_S.
 */
#ifndef MGR_HTTP_H
#define MGR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"

#define HTTP_BODY_MAX (64u * 1024u)
#define HTTP_URL_MAX 8192u
#define HTTP_CONNECTIONS_MAX 256u
#define HTTP_IDLE_S 60u

struct http_server;
struct http_req; /* one request, valid during the handler call */
struct http_resp;

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE };

/* A handler fills resp (http_json, http_error, http_stream...) and returns.
 * The last fill wins; headers added with http_header stay (at most 16). A
 * handler that fills nothing answers 500. Every response carries
 * X-Content-Type-Options, X-Frame-Options, Referrer-Policy, a strict
 * Content-Security-Policy and Cache-Control (no-store; no-cache for files).
 * HEAD is served by the GET route of the same path, without the body. */
typedef void (*http_handler_fn)(void *ctx, const struct http_req *req, struct http_resp *resp);

struct http_route {
	enum http_method method;
	const char *pattern; /* "/api/alerts/{id}" */
	http_handler_fn fn;
	bool public_route; /* false: the auth hook must accept the request first */
};

/* Called before every non-public /api route: 0 to go on, else it filled resp
 * (401/403) and the handler is not called. */
typedef int (*http_auth_fn)(void *ctx, const struct http_req *req, struct http_resp *resp);

struct http_opts {
	const char *bind; /* address, "127.0.0.1" */
	uint16_t port;    /* 0: an ephemeral port (tests); see http_port */
	const char *
	    cert_pem; /* NULL: plain HTTP (only allowed on loopback: the caller checks); TLS 1.2+ */
	const char *key_pem;             /* PEM text, not paths (read by the caller) */
	const char *web_root;            /* directory of the dashboard's assets */
	const struct http_route *routes; /* borrowed, must outlive the server */
	size_t nroutes;
	void *ctx; /* handed to every handler and to auth */
	http_auth_fn auth;
	unsigned sse_keepalive_ms; /* 0: HTTP_SSE_KEEPALIVE_S (tests shorten it) */
};

int http_start(const struct http_opts *o, struct http_server **out,
	       struct vg_err *err) VG_MUST_CHECK;
uint16_t http_port(const struct http_server *s);
/* Stop accepting, end streams (within HTTP_SSE_POLL_MS plus what next() takes
 * beyond its wait_ms), join the threads, free (NULL allowed). */
void http_stop(struct http_server *s);

/* ---- the request ---- */
enum http_method http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);                     /* decoded, no query */
const char *http_req_param(const struct http_req *r, const char *name);  /* "{id}" value or NULL */
const char *http_req_query(const struct http_req *r, const char *name);  /* decoded or NULL */
const char *http_req_header(const struct http_req *r, const char *name); /* case-insensitive */
const char *http_req_cookie(const struct http_req *r, const char *name);
const char *http_req_client(const struct http_req *r);            /* peer address text */
const char *http_req_body(const struct http_req *r, size_t *len); /* NULL/0 when none */
bool http_req_tls(const struct http_req *r);
void *http_req_user(const struct http_req *r);                /* what auth attached */
void http_req_set_user(const struct http_req *r, void *user); /* for the auth hook */

/* ---- the response ---- */
/* status + JSON body (takes the reference to body). */
void http_json(struct http_resp *resp, unsigned status, json_t *body);
/* {"error":status,"title":<reason phrase>,"detail":<fmt...>} */
void http_error(struct http_resp *resp, unsigned status, const char *fmt, ...) VG_PRINTF(3, 4);
/* Add a header (Set-Cookie, Retry-After, WWW-Authenticate...). */
void http_header(struct http_resp *resp, const char *name, const char *value);

/*
 * Server-Sent Events. The server calls next(ctx, buf) on a pool thread until
 * it returns < 0 or the client goes away: next appends complete SSE text
 * ("event: alert\nid: ...\ndata: ...\n\n") to buf and returns 0, or waits up
 * to wait_ms for something and returns 0 with buf empty (the server then
 * sends ": keepalive\n\n" after HTTP_SSE_KEEPALIVE_S of silence). done(ctx) is
 * called once at the end (free ctx there).
 */
#define HTTP_SSE_KEEPALIVE_S 15u
#define HTTP_SSE_POLL_MS 250             /* the longest wait_ms handed to next() */
#define HTTP_SSE_BUF_MAX (1024u * 1024u) /* what one next() call may append */
struct vg_buf;
void http_stream(struct http_resp *resp, int (*next)(void *ctx, struct vg_buf *buf, int wait_ms),
		 void (*done)(void *ctx), void *ctx);

#endif
