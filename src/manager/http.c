/*
 * http.c - The manager's HTTP server on libmicrohttpd (see http.h).
 *
 * MHD runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION). A
 * request object is created by the URI log callback, which is the only
 * place MHD shows the raw request target: it is parsed here (path split on
 * '/' then each segment percent-decoded, so "%2F" never makes a segment
 * and "%2e%2e" is seen as ".."; query pairs decoded with '+' as space), the
 * body is accumulated under HTTP_BODY_MAX, and on the last call of the
 * access handler the request is dispatched: routes, then 404/405 under
 * /api/, then a static file of the web root. The handler fills a struct
 * http_resp on the stack, turned into an MHD response with the security
 * headers every response carries.
 *
 * Static files are opened with an openat walk from the web root, every
 * component with O_NOFOLLOW: a symlink anywhere below the root is a 404,
 * so nothing outside the root can be reached, whatever the links say.
 *
 * An SSE stream's reader callback blocks its connection's thread in next()
 * for at most HTTP_SSE_POLL_MS, so a stop (the stopping flag) or a
 * keepalive is never late by more than that. The stream's state is freed,
 * and done(ctx) called, when MHD destroys the response.
 *
 * Thread model: the server struct is read-only once started except the
 * atomic stopping flag; a request and its response belong to their
 * connection's thread.
 */
#include "manager/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define HTTP_PARAMS_MAX 8
#define HTTP_QUERY_MAX 64
#define HTTP_HEADERS_MAX 16
#define HTTP_STACK_SIZE (256u * 1024u)
#define HTTP_ERR_DETAIL_MAX 512
#define HTTP_RESP_MAX (16u * 1024u * 1024u) /* a JSON answer */

static const char http_csp[] = "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
			       "style-src 'self'; script-src 'self'; frame-ancestors 'none'";

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes;
	size_t nroutes;
	void *ctx;
	http_auth_fn auth;
	char *web_root; /* NULL: no static files */
	char *cert_pem, *key_pem;
	bool tls;
	uint16_t port;
	unsigned keepalive_ms;
	atomic_bool stopping;
};

struct http_kv {
	char *name;
	char *value;
};

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	enum http_method method;
	bool method_known;
	bool started;
	unsigned early_status; /* 400/414 found while parsing the target; 0 if fine */
	bool body_too_big;
	size_t uri_len;
	char *path; /* decoded, "/a/b" */
	char **segs;
	size_t nsegs;
	struct http_kv query[HTTP_QUERY_MAX];
	size_t nquery;
	struct http_kv params[HTTP_PARAMS_MAX];
	size_t nparams;
	struct vg_buf body;
	char client[INET6_ADDRSTRLEN + 8];
	void *user;
	void **user_slot; /* &user: lets the auth hook set it through a const req */
};

struct http_sse {
	struct http_server *srv;
	int (*next)(void *ctx, struct vg_buf *buf, int wait_ms);
	void (*done)(void *ctx);
	void *ctx;
	struct vg_buf pending;
	size_t off;
	bool ended;
	int64_t last_ms;
};

enum http_kind { RESP_NONE, RESP_BODY, RESP_FILE, RESP_STREAM };

struct http_resp {
	enum http_kind kind;
	unsigned status;
	const char *ctype;
	const char *cache; /* Cache-Control; NULL: no-store */
	struct vg_buf body;
	int fd;
	uint64_t fsize;
	struct http_sse *sse;
	struct http_kv headers[HTTP_HEADERS_MAX];
	size_t nheaders;
};

static const char *const http_method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE"};

/* ---- small helpers ---- */

/* Percent-decode src[0..len) into a new string; NULL for a bad escape or a
 * decoded NUL. plus: '+' is a space (query strings). */
static char *http_decode(const char *src, size_t len, bool plus)
{
	char *out = vg_xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (c == '%') {
			int hi = i + 2 < len ? vg_hex_digit(src[i + 1]) : -1;
			int lo = i + 2 < len ? vg_hex_digit(src[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				vg_free(out);
				return NULL;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static void http_kv_free(struct http_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vg_free(kv[i].name);
		vg_free(kv[i].value);
		kv[i].name = kv[i].value = NULL;
	}
}

/* ---- parsing the request target ---- */

static int http_parse_path(struct http_req *r, const char *p, size_t len)
{
	struct vg_buf path = VG_BUF_INIT(HTTP_URL_MAX);
	int rc = 0;

	if (len == 0 || p[0] != '/')
		return VG_EPARSE; /* "*" and absolute-form targets are not served */
	const char *s = p + 1, *end = p + len;
	while (s <= end && len > 1) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		const char *e = slash != NULL ? slash : end;
		char *seg = http_decode(s, (size_t)(e - s), false);
		if (seg == NULL) {
			rc = VG_EPARSE;
			break;
		}
		r->segs = vg_xreallocarray(r->segs, r->nsegs + 1, sizeof(*r->segs));
		r->segs[r->nsegs++] = seg;
		if (vg_buf_putc(&path, '/') != 0 || vg_buf_puts(&path, seg) != 0) {
			rc = VG_ETOOBIG;
			break;
		}
		s = e + 1;
	}
	if (rc == 0 && path.len == 0 && vg_buf_putc(&path, '/') != 0)
		rc = VG_ETOOBIG;
	r->path = rc == 0 ? vg_buf_take(&path) : NULL;
	vg_buf_free(&path);
	return rc;
}

static int http_parse_query(struct http_req *r, const char *q)
{
	while (*q != '\0') {
		const char *amp = strchr(q, '&');
		size_t len = amp != NULL ? (size_t)(amp - q) : strlen(q);
		if (len > 0) {
			const char *eq = memchr(q, '=', len);
			size_t nlen = eq != NULL ? (size_t)(eq - q) : len;
			if (r->nquery == HTTP_QUERY_MAX)
				return VG_ETOOBIG;
			struct http_kv *kv = &r->query[r->nquery];
			kv->name = http_decode(q, nlen, true);
			kv->value =
			    eq != NULL ? http_decode(eq + 1, len - nlen - 1, true) : vg_xstrdup("");
			r->nquery++;
			if (kv->name == NULL || kv->value == NULL)
				return VG_EPARSE;
		}
		q += len + (amp != NULL);
	}
	return 0;
}

/* MHD's URI log callback: the request object, from the raw target. */
static void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req *r = vg_xcalloc(1, sizeof(*r));
	const char *q;

	r->srv = cls;
	r->conn = conn;
	r->user_slot = &r->user;
	r->uri_len = strlen(uri);
	vg_buf_init(&r->body, HTTP_BODY_MAX);
	if (r->uri_len > HTTP_URL_MAX) {
		r->early_status = MHD_HTTP_URI_TOO_LONG;
		return r;
	}
	q = strchr(uri, '?');
	size_t plen = q != NULL ? (size_t)(q - uri) : r->uri_len;
	if (http_parse_path(r, uri, plen) != 0 || (q != NULL && http_parse_query(r, q + 1) != 0))
		r->early_status = MHD_HTTP_BAD_REQUEST;
	return r;
}

static void http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nsegs; i++)
		vg_free(r->segs[i]);
	vg_free(r->segs);
	vg_free(r->path);
	http_kv_free(r->query, r->nquery);
	http_kv_free(r->params, r->nparams);
	vg_buf_free(&r->body);
	vg_free(r);
}

static void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	http_req_free(*con_cls);
	*con_cls = NULL;
}

/* ---- the response object ---- */

static void http_resp_init(struct http_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->fd = -1;
	vg_buf_init(&resp->body, HTTP_RESP_MAX);
}

static void http_sse_free(void *cls)
{
	struct http_sse *s = cls;

	if (s->done != NULL)
		s->done(s->ctx);
	vg_buf_free(&s->pending);
	vg_free(s);
}

/* Drop what a previous fill left (a later fill replaces it); headers stay. */
static void http_resp_reset(struct http_resp *resp)
{
	vg_buf_reset(&resp->body);
	if (resp->fd >= 0)
		close(resp->fd);
	resp->fd = -1;
	if (resp->sse != NULL)
		http_sse_free(resp->sse);
	resp->sse = NULL;
	resp->kind = RESP_NONE;
	resp->ctype = NULL;
	resp->cache = NULL;
}

static void http_resp_free(struct http_resp *resp)
{
	http_resp_reset(resp);
	vg_buf_free(&resp->body);
	http_kv_free(resp->headers, resp->nheaders);
}

void http_header(struct http_resp *resp, const char *name, const char *value)
{
	if (resp->nheaders == HTTP_HEADERS_MAX) {
		vg_log_warn("more than %d headers on one response; %s dropped", HTTP_HEADERS_MAX,
			    name);
		return;
	}
	resp->headers[resp->nheaders].name = vg_xstrdup(name);
	resp->headers[resp->nheaders].value = vg_xstrdup(value);
	resp->nheaders++;
}

void http_json(struct http_resp *resp, unsigned status, json_t *body)
{
	struct vg_err e = VG_ERR_INIT;

	http_resp_reset(resp);
	if (body == NULL || vg_json_dump(&resp->body, body, &e) != 0) {
		vg_log_error("cannot serialise a response: %s", body == NULL ? "no body" : e.msg);
		json_decref(body);
		vg_buf_reset(&resp->body);
		if (vg_buf_puts(&resp->body,
				"{\"error\":500,\"title\":\"Internal Server Error\"}") != 0)
			vg_buf_reset(&resp->body); /* cannot happen: far under the cap */
		status = 500;
	} else {
		json_decref(body);
	}
	resp->kind = RESP_BODY;
	resp->status = status;
	resp->ctype = "application/json; charset=utf-8";
}

void http_error(struct http_resp *resp, unsigned status, const char *fmt, ...)
{
	char detail[HTTP_ERR_DETAIL_MAX];
	va_list ap;
	const char *title = MHD_get_reason_phrase_for(status);

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_t *j = json_object();
	json_object_set_new(j, "error", json_integer(status));
	json_object_set_new(j, "title",
			    json_string(title != NULL && title[0] != '\0' ? title : "Error"));
	json_object_set_new(j, "detail", vg_json_string_lossy(detail, strlen(detail)));
	http_json(resp, status, j);
}

void http_stream(struct http_resp *resp, int (*next)(void *ctx, struct vg_buf *buf, int wait_ms),
		 void (*done)(void *ctx), void *ctx)
{
	struct http_sse *s = vg_xcalloc(1, sizeof(*s));

	http_resp_reset(resp);
	s->next = next;
	s->done = done;
	s->ctx = ctx;
	vg_buf_init(&s->pending, HTTP_SSE_BUF_MAX);
	resp->sse = s; /* transferred: freed with the MHD response */
	resp->kind = RESP_STREAM;
	resp->status = 200;
	resp->ctype = "text/event-stream; charset=utf-8";
}

/* ---- SSE ---- */

static ssize_t http_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_sse *s = cls;
	int64_t ka = s->srv->keepalive_ms;

	for (;;) {
		if (s->off < s->pending.len) {
			size_t n = VG_MIN(max, s->pending.len - s->off);
			memcpy(buf, s->pending.data + s->off, n);
			s->off += n;
			return (ssize_t)n;
		}
		if (s->ended || atomic_load(&s->srv->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		vg_buf_reset(&s->pending);
		s->off = 0;
		int64_t left = s->last_ms + ka - vg_clock_ms(CLOCK_MONOTONIC);
		if (left <= 0) {
			if (vg_buf_puts(&s->pending, ": keepalive\n\n") != 0)
				s->ended = true;
			s->last_ms = vg_clock_ms(CLOCK_MONOTONIC);
			continue;
		}
		int wait = (int)VG_MIN(left, (int64_t)HTTP_SSE_POLL_MS);
		if (s->next(s->ctx, &s->pending, wait) < 0)
			s->ended = true;
		if (s->pending.len > 0)
			s->last_ms = vg_clock_ms(CLOCK_MONOTONIC);
	}
}

/* ---- sending ---- */

static void http_add_security(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy", http_csp);
}

static enum MHD_Result http_send(struct http_req *req, struct http_resp *resp)
{
	struct MHD_Response *r = NULL;
	enum MHD_Result ret;

	if (resp->kind == RESP_NONE)
		http_error(resp, 500, "the handler gave no answer");
	switch (resp->kind) {
	case RESP_FILE:
		r = MHD_create_response_from_fd(resp->fsize, resp->fd);
		if (r != NULL)
			resp->fd = -1; /* transferred */
		break;
	case RESP_STREAM:
		resp->sse->srv = req->srv;
		resp->sse->last_ms = vg_clock_ms(CLOCK_MONOTONIC);
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, http_sse_read,
						      resp->sse, http_sse_free);
		if (r != NULL)
			resp->sse = NULL; /* transferred */
		break;
	default:
		r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
						    MHD_RESPMEM_MUST_COPY);
		break;
	}
	if (r == NULL) {
		http_resp_free(resp);
		return MHD_NO;
	}
	http_add_security(r);
	MHD_add_response_header(r, "Cache-Control", resp->cache != NULL ? resp->cache : "no-store");
	if (resp->ctype != NULL)
		MHD_add_response_header(r, "Content-Type", resp->ctype);
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(req->conn, resp->status, r);
	MHD_destroy_response(r);
	http_resp_free(resp);
	return ret;
}

/* ---- static files ---- */

struct http_ctype {
	const char *ext;
	const char *type;
};

static const struct http_ctype http_ctypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"txt", "text/plain; charset=utf-8"},
};

static const char *http_ctype_for(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot != NULL)
		for (size_t i = 0; i < VG_ARRAY_LEN(http_ctypes); i++)
			if (strcasecmp(dot + 1, http_ctypes[i].ext) == 0)
				return http_ctypes[i].type;
	return "application/octet-stream";
}

/* A segment a static path may hold: no "", ".", "..", dotfile, or '/'. */
static bool http_seg_ok(const char *seg)
{
	return seg[0] != '\0' && seg[0] != '.' && strchr(seg, '/') == NULL &&
	       strlen(seg) <= NAME_MAX;
}

/* Open web_root/segs... without following any symlink; -1 when absent. */
static int http_open_under(const char *root, char *const *segs, size_t nsegs)
{
	int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (size_t i = 0; dir >= 0 && i < nsegs; i++) {
		int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
		flags |= i + 1 < nsegs ? O_DIRECTORY : O_NONBLOCK;
		int fd = openat(dir, segs[i], flags);
		close(dir);
		dir = fd;
	}
	return dir;
}

/* If-None-Match holds etag (or "*"): a list of possibly weak tags. */
static bool http_etag_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);

	while (inm != NULL && *inm != '\0') {
		while (*inm == ' ' || *inm == '\t' || *inm == ',')
			inm++;
		if (strncmp(inm, "W/", 2) == 0)
			inm += 2;
		size_t len = strcspn(inm, ", \t");
		if ((len == 1 && inm[0] == '*') || (len == elen && strncmp(inm, etag, len) == 0))
			return true;
		inm += len;
	}
	return false;
}

static void http_serve_static(struct http_server *srv, const struct http_req *req,
			      struct http_resp *resp)
{
	char *index = "index.html";
	char *const *segs = req->nsegs == 0 ? &index : req->segs;
	size_t nsegs = req->nsegs == 0 ? 1 : req->nsegs;
	struct stat st;
	char etag[64];
	int fd = -1;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		http_header(resp, "Allow", "GET, HEAD");
		http_error(resp, 405, "%s: only GET and HEAD", req->path);
		return;
	}
	for (size_t i = 0; i < nsegs; i++)
		if (!http_seg_ok(segs[i]))
			goto notfound;
	if (srv->web_root == NULL)
		goto notfound;
	fd = http_open_under(srv->web_root, segs, nsegs);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto notfound;
	snprintf(etag, sizeof(etag), "\"%jx-%jx\"", (uintmax_t)st.st_size,
		 (uintmax_t)st.st_mtim.tv_sec * 1000000000u + (uintmax_t)st.st_mtim.tv_nsec);
	http_header(resp, "ETag", etag);
	http_resp_reset(resp);
	if (http_etag_matches(http_req_header(req, "If-None-Match"), etag)) {
		close(fd);
		resp->kind = RESP_BODY;
		resp->status = 304;
		resp->cache = "no-cache";
		return;
	}
	resp->kind = RESP_FILE;
	resp->status = 200;
	resp->fd = fd; /* transferred */
	resp->fsize = (uint64_t)st.st_size;
	resp->ctype = http_ctype_for(segs[nsegs - 1]);
	resp->cache = "no-cache";
	return;
notfound:
	if (fd >= 0)
		close(fd);
	http_error(resp, 404, "no such file");
}

/* ---- routing ---- */

/* Does pattern match the request's segments? Fills params when it does. */
static bool http_match(const char *pattern, struct http_req *req)
{
	const char *p = pattern;
	size_t i = 0;

	http_kv_free(req->params, req->nparams);
	req->nparams = 0;
	if (*p == '/')
		p++;
	if (*p == '\0')
		return req->nsegs == 0;
	for (;; i++) {
		const char *e = strchr(p, '/');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (i == req->nsegs)
			return false;
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			if (req->segs[i][0] == '\0' || req->nparams == HTTP_PARAMS_MAX)
				return false;
			req->params[req->nparams].name = vg_xstrndup(p + 1, len - 2);
			req->params[req->nparams].value = vg_xstrdup(req->segs[i]);
			req->nparams++;
		} else if (strlen(req->segs[i]) != len || strncmp(p, req->segs[i], len) != 0) {
			return false;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return i + 1 == req->nsegs;
}

static bool http_method_fits(enum http_method route, enum http_method req)
{
	return route == req || (route == HTTP_GET && req == HTTP_HEAD);
}

static void http_allow(struct http_server *srv, struct http_req *req, struct http_resp *resp)
{
	bool allow[VG_ARRAY_LEN(http_method_names)] = {false};
	struct vg_buf b = VG_BUF_INIT(128);

	for (size_t i = 0; i < srv->nroutes; i++)
		if (http_match(srv->routes[i].pattern, req)) {
			allow[srv->routes[i].method] = true;
			if (srv->routes[i].method == HTTP_GET)
				allow[HTTP_HEAD] = true;
		}
	for (size_t m = 0; m < VG_ARRAY_LEN(allow); m++)
		if (allow[m] &&
		    vg_buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", http_method_names[m]) != 0)
			break;
	http_header(resp, "Allow", vg_buf_cstr(&b));
	vg_buf_free(&b);
}

static void http_dispatch(struct http_server *srv, struct http_req *req, struct http_resp *resp)
{
	const struct http_route *route = NULL;
	bool known = false;

	for (size_t i = 0; i < srv->nroutes && route == NULL; i++) {
		if (!http_match(srv->routes[i].pattern, req))
			continue;
		known = true;
		if (req->method_known && http_method_fits(srv->routes[i].method, req->method))
			route = &srv->routes[i];
	}
	if (route != NULL) {
		if (!route->public_route && srv->auth != NULL &&
		    srv->auth(srv->ctx, req, resp) != 0) {
			if (resp->kind == RESP_NONE)
				http_error(resp, 401, "authentication required");
			return;
		}
		route->fn(srv->ctx, req, resp);
		return;
	}
	if (known) {
		http_allow(srv, req, resp);
		http_error(resp, 405, "%s: method not allowed", req->path);
		return;
	}
	if (req->nsegs > 0 && strcmp(req->segs[0], "api") == 0) {
		http_error(resp, 404, "no such route");
		return;
	}
	http_serve_static(srv, req, resp);
}

/* ---- MHD's access handler ---- */

static bool http_method_parse(const char *m, enum http_method *out)
{
	for (size_t i = 0; i < VG_ARRAY_LEN(http_method_names); i++)
		if (strcmp(m, http_method_names[i]) == 0) {
			*out = (enum http_method)i;
			return true;
		}
	return false;
}

static void http_client_text(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	vg_strlcpy(r->client, "?", sizeof(r->client));
	if (ci == NULL || ci->client_addr == NULL)
		return;
	socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							       : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, len, r->client, sizeof(r->client), NULL, 0,
			NI_NUMERICHOST) != 0)
		vg_strlcpy(r->client, "?", sizeof(r->client));
}

/* The first call: headers are in. Refuse what can be refused unread. */
static unsigned http_first_call(struct http_req *r, const char *method)
{
	const char *cl;
	uint64_t n;

	r->started = true;
	r->method_known = http_method_parse(method, &r->method);
	http_client_text(r);
	if (r->early_status != 0)
		return r->early_status;
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && vg_parse_u64(cl, UINT64_MAX, &n) == 0 && n > HTTP_BODY_MAX)
		return MHD_HTTP_CONTENT_TOO_LARGE;
	return 0;
}

static enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				       const char *method, const char *version,
				       const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_req *r = *con_cls;
	struct http_resp resp;
	unsigned early = 0;

	if (r == NULL)
		return MHD_NO; /* the URI callback always makes one */
	r->conn = conn;
	if (!r->started) {
		early = http_first_call(r, method);
		if (early == 0)
			return MHD_YES;
	} else if (*upload_size > 0) {
		if (!r->body_too_big && vg_buf_append(&r->body, upload_data, *upload_size) != 0)
			r->body_too_big = true; /* read on to the end, then answer 413 */
		*upload_size = 0;
		return MHD_YES;
	} else if (r->body_too_big) {
		early = MHD_HTTP_CONTENT_TOO_LARGE;
	}
	http_resp_init(&resp);
	if (early == MHD_HTTP_URI_TOO_LONG)
		http_error(&resp, early, "the URL is longer than %u bytes", HTTP_URL_MAX);
	else if (early == MHD_HTTP_CONTENT_TOO_LARGE)
		http_error(&resp, early, "the body is larger than %u bytes", HTTP_BODY_MAX);
	else if (early != 0)
		http_error(&resp, early, "malformed request target");
	else
		http_dispatch(srv, r, &resp);
	return http_send(r, &resp);
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap) VG_PRINTF(2, 0);
static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	if (!vg_log_enabled(VG_LOG_DEBUG))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	vg_log_debug("libmicrohttpd: %s", msg);
}

/* ---- the server ---- */

union http_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

static int http_sockaddr(const char *bind, uint16_t port, union http_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, bind, &sa->in4.sin_addr) == 1) {
		sa->in4.sin_family = AF_INET;
		sa->in4.sin_port = htons(port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, bind, &sa->in6.sin6_addr) == 1) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(port);
		return AF_INET6;
	}
	return -1;
}

#define HTTP_OPT(o, v, p) ((struct MHD_OptionItem){(o), (intptr_t)(v), (p)})

int http_start(const struct http_opts *o, struct http_server **out, struct vg_err *err)
{
	struct http_server *s = NULL;
	union http_sockaddr sa;
	const char *bind = o->bind != NULL ? o->bind : "127.0.0.1";
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[16];
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	int family = http_sockaddr(bind, o->port, &sa);
	if (family < 0) {
		rc = vg_err_set(err, VG_EPARSE, "dashboard: bind: not an IP address: %s", bind);
		goto out;
	}
	if ((o->cert_pem == NULL) != (o->key_pem == NULL)) {
		rc = vg_err_set(err, VG_EPARSE, "dashboard: a TLS certificate needs its key");
		goto out;
	}
	if (o->cert_pem != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		rc =
		    vg_err_set(err, VG_EINTERNAL, "dashboard: libmicrohttpd was built without TLS");
		goto out;
	}
	s = vg_xcalloc(1, sizeof(*s));
	s->routes = o->routes;
	s->nroutes = o->nroutes;
	s->ctx = o->ctx;
	s->auth = o->auth;
	s->web_root = o->web_root != NULL ? vg_xstrdup(o->web_root) : NULL;
	s->keepalive_ms =
	    o->sse_keepalive_ms != 0 ? o->sse_keepalive_ms : HTTP_SSE_KEEPALIVE_S * 1000u;
	atomic_init(&s->stopping, false);
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	opts[n++] = HTTP_OPT(MHD_OPTION_SOCK_ADDR, 0, &sa);
	opts[n++] = HTTP_OPT(MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTIONS_MAX, NULL);
	opts[n++] = HTTP_OPT(MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_S, NULL);
	opts[n++] = HTTP_OPT(MHD_OPTION_THREAD_STACK_SIZE, HTTP_STACK_SIZE, NULL);
	opts[n++] = HTTP_OPT(MHD_OPTION_URI_LOG_CALLBACK, http_on_uri, s);
	opts[n++] = HTTP_OPT(MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s);
	opts[n++] = HTTP_OPT(MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s);
	if (o->cert_pem != NULL) {
		flags |= MHD_USE_TLS;
		s->tls = true;
		s->cert_pem = vg_xstrdup(o->cert_pem);
		s->key_pem = vg_xstrdup(o->key_pem);
		opts[n++] = HTTP_OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem);
		opts[n++] = HTTP_OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem);
		opts[n++] = HTTP_OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
				     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	}
	opts[n++] = HTTP_OPT(MHD_OPTION_END, 0, NULL);
	errno = 0;
	s->d = MHD_start_daemon(flags, o->port, NULL, NULL, http_on_request, s, MHD_OPTION_ARRAY,
				opts, MHD_OPTION_END);
	if (s->d == NULL) {
		rc = vg_err_errno(err, errno != 0 ? errno : EINVAL,
				  "dashboard: cannot serve on %s port %u%s", bind, o->port,
				  s->tls ? " (or a bad TLS certificate or key)" : "");
		goto out;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL && di->port != 0 ? di->port : o->port;
	*out = s; /* transferred */
	s = NULL;
out:
	http_stop(s);
	return rc;
}

uint16_t http_port(const struct http_server *s)
{
	return s->port;
}

void http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	/* streams see it within HTTP_SSE_POLL_MS and end; MHD joins them */
	atomic_store(&s->stopping, true);
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	vg_free(s->web_root);
	vg_free(s->cert_pem);
	if (s->key_pem != NULL)
		vg_freezero(s->key_pem, strlen(s->key_pem));
	vg_free(s);
}

/* ---- request accessors ---- */

enum http_method http_req_method(const struct http_req *r)
{
	return r->method;
}

const char *http_req_path(const struct http_req *r)
{
	return r->path;
}

const char *http_req_param(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *http_req_query(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].name, name) == 0)
			return r->query[i].value;
	return NULL;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_req_cookie(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *http_req_client(const struct http_req *r)
{
	return r->client;
}

const char *http_req_body(const struct http_req *r, size_t *len)
{
	*len = r->body.len;
	return r->body.len > 0 ? r->body.data : NULL;
}

bool http_req_tls(const struct http_req *r)
{
	return r->srv->tls;
}

void *http_req_user(const struct http_req *r)
{
	return r->user;
}

void http_req_set_user(const struct http_req *r, void *user)
{
	*r->user_slot = user;
}
