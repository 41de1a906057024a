/*
 * Unit tests for src/manager/http.c: a real server on 127.0.0.1 port 0,
 * libcurl as the client. Routing ({name} params, 404, 405 with Allow),
 * query decoding, the body (413) and URL (414) caps, the auth hook,
 * static files from a web root in mkdtemp (index, types, ETag/304, HEAD,
 * traversal, dotfiles, symlinks out), the security headers, SSE (events,
 * keepalive, http_stop with a stream open) and TLS with a self-signed
 * certificate made by the openssl command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "support/support.h"

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/http.h"

/* ---- what the server serves ---- */

struct counters {
	atomic_int auth_calls;
	atomic_int silent_calls; /* next() calls of the silent stream */
	atomic_int done_calls;
};

static void h_ping(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	http_json(resp, 200, json_pack("{s:b}", "pong", 1));
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void h_item(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	size_t len;
	(void)http_req_body(req, &len);
	http_json(resp, 200,
		  json_pack("{s:o,s:o,s:o,s:o,s:s,s:I,s:o,s:o}", "id",
			    str_or_null(http_req_param(req, "id")), "tag",
			    str_or_null(http_req_param(req, "tag")), "q",
			    str_or_null(http_req_query(req, "q")), "x",
			    str_or_null(http_req_query(req, "x")), "path", http_req_path(req),
			    "body", (json_int_t)len, "cookie",
			    str_or_null(http_req_cookie(req, "vigie_session")), "client",
			    str_or_null(http_req_client(req))));
}

static void h_secret(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	http_json(resp, 200,
		  json_pack("{s:s,s:b}", "user", (const char *)http_req_user(req), "tls",
			    http_req_tls(req)));
}

static void h_nothing(void *ctx, const struct http_req *req, struct http_resp *resp)
{
}

/* A stream of three events, then the end. */
struct three {
	int sent;
	struct counters *c;
};

static int three_next(void *ctx, struct vg_buf *buf, int wait_ms)
{
	struct three *t = ctx;
	if (t->sent == 3)
		return -1;
	t->sent++;
	return vg_buf_printf(buf, "event: alert\nid: %d\ndata: {\"n\":%d}\n\n", t->sent, t->sent);
}

static void three_done(void *ctx)
{
	struct three *t = ctx;
	atomic_fetch_add(&t->c->done_calls, 1);
	vg_free(t);
}

static void h_stream(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct three *t = vg_xcalloc(1, sizeof(*t));
	t->c = ctx;
	http_stream(resp, three_next, three_done, t);
}

/* A stream that never has anything: waits as told. */
static int silent_next(void *ctx, struct vg_buf *buf, int wait_ms)
{
	struct counters *c = ctx;
	struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};

	atomic_fetch_add(&c->silent_calls, 1);
	nanosleep(&ts, NULL);
	return 0;
}

static void silent_done(void *ctx)
{
	struct counters *c = ctx;
	atomic_fetch_add(&c->done_calls, 1);
}

static void h_silent(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	http_stream(resp, silent_next, silent_done, ctx);
}

/* Bearer "good" is alice; anything else is a 401 with a challenge. */
static int auth(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct counters *c = ctx;
	const char *h = http_req_header(req, "authorization"); /* any case */

	atomic_fetch_add(&c->auth_calls, 1);
	if (h != NULL && strcmp(h, "Bearer good") == 0) {
		http_req_set_user(req, "alice");
		return 0;
	}
	http_header(resp, "WWW-Authenticate", "Bearer");
	http_error(resp, 401, "who are you?");
	return -1;
}

static const struct http_route routes[] = {
    {HTTP_GET, "/api/ping", h_ping, true},
    {HTTP_GET, "/api/items/{id}", h_item, true},
    {HTTP_DELETE, "/api/items/{id}", h_item, true},
    {HTTP_POST, "/api/items/{id}/tags/{tag}", h_item, true},
    {HTTP_POST, "/api/upload", h_item, true},
    {HTTP_GET, "/api/secret", h_secret, false},
    {HTTP_GET, "/api/nothing", h_nothing, true},
    {HTTP_GET, "/api/stream", h_stream, true},
    {HTTP_GET, "/api/silent", h_silent, true},
};

/* ---- fixture ---- */

struct fixture {
	char dir[64];
	char web[96];
	struct counters c;
	struct http_server *srv;
	char base[64];
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = vg_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	vg_free(p);
}

static void start(struct fixture *f, const char *cert, const char *key, unsigned keepalive_ms)
{
	struct http_opts o = {.bind = "127.0.0.1",
			      .port = 0,
			      .cert_pem = cert,
			      .key_pem = key,
			      .web_root = f->web,
			      .routes = routes,
			      .nroutes = sizeof(routes) / sizeof(routes[0]),
			      .ctx = &f->c,
			      .auth = auth,
			      .sse_keepalive_ms = keepalive_ms};
	struct vg_err err = VG_ERR_INIT;

	int rc = http_start(&o, &f->srv, &err);
	if (rc != 0)
		fail_msg("http_start: %s", err.msg);
	assert_int_not_equal(http_port(f->srv), 0);
	snprintf(f->base, sizeof(f->base), "%s://127.0.0.1:%u", cert != NULL ? "https" : "http",
		 http_port(f->srv));
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	char *p;

	vg_strlcpy(f->dir, "/tmp/vg-test-http-XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->web, sizeof(f->web), "%s/web", f->dir);
	assert_int_equal(mkdir(f->web, 0755), 0);
	write_file(f->dir, "outside.txt", "SECRET-OUTSIDE");
	write_file(f->web, "index.html", "<!doctype html><title>Vigie</title>");
	write_file(f->web, "app.js", "console.log(1);");
	write_file(f->web, "style.css", "body{}");
	write_file(f->web, "data.json", "{}");
	write_file(f->web, "logo.svg", "<svg/>");
	write_file(f->web, "img.png", "PNG");
	write_file(f->web, "favicon.ico", "ICO");
	write_file(f->web, "font.woff2", "WOFF");
	write_file(f->web, "readme.txt", "hello");
	write_file(f->web, "blob.bin", "BIN");
	write_file(f->web, ".hidden", "HIDDEN");
	p = vg_xasprintf("%s/sub", f->web);
	assert_int_equal(mkdir(p, 0755), 0);
	write_file(p, "page.html", "<p>sub</p>");
	vg_free(p);
	p = vg_xasprintf("%s/link.txt", f->web);
	char *target = vg_xasprintf("%s/outside.txt", f->dir);
	assert_int_equal(symlink(target, p), 0);
	vg_free(p);
	vg_free(target);
	p = vg_xasprintf("%s/linkdir", f->web);
	assert_int_equal(symlink(f->dir, p), 0);
	vg_free(p);
	*state = f;
	return 0;
}

static int setup_started(void **state)
{
	setup(state);
	start(*state, NULL, NULL, 0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	http_stop(f->srv);
	vg_test_rmtree(f->dir);
	vg_free(f);
	return 0;
}

/* ---- the client ---- */

struct fetch {
	long status;
	CURLcode rc;
	struct vg_buf body;
	struct vg_buf head;
	double secs;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct vg_buf *b = ud;
	return vg_buf_append(b, p, size * n) == 0 ? size * n : 0;
}

struct req_opts {
	const char *method; /* NULL: GET */
	const char *body;   /* POST/PUT body */
	size_t body_len;
	const char *headers[4]; /* NULL-terminated */
	long timeout_ms;        /* 0: 5 s */
	const char *cainfo;
};

static void fetch(struct fixture *f, const char *path, const struct req_opts *o, struct fetch *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char *url = vg_xasprintf("%s%s", f->base, path);
	struct timespec t0, t1;

	memset(out, 0, sizeof(*out));
	vg_buf_init(&out->body, 4u << 20);
	vg_buf_init(&out->head, 1u << 16);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o != NULL && o->timeout_ms ? o->timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (o != NULL && o->method != NULL) {
		if (strcmp(o->method, "HEAD") == 0)
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		else
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	}
	if (o != NULL && o->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
	}
	for (size_t i = 0; o != NULL && i < 4 && o->headers[i] != NULL; i++)
		h = curl_slist_append(h, o->headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (o != NULL && o->cainfo != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cainfo);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->rc = curl_easy_perform(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	vg_free(url);
}

static void fetch_free(struct fetch *r)
{
	vg_buf_free(&r->body);
	vg_buf_free(&r->head);
}

/* The value of response header name (case-insensitive), copied to out. */
static const char *header(const struct fetch *r, const char *name, char *out, size_t outsz)
{
	const char *p = vg_buf_cstr(&r->head);
	size_t nlen = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r\n");
			snprintf(out, outsz, "%.*s", (int)len, v);
			return out;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static void assert_header(const struct fetch *r, const char *name, const char *want)
{
	char v[512];
	if (header(r, name, v, sizeof(v)) == NULL)
		fail_msg("no %s header in:\n%s", name, vg_buf_cstr(&r->head));
	assert_string_equal(v, want);
}

static json_t *body_json(const struct fetch *r)
{
	json_t *j = json_loadb(r->body.data != NULL ? r->body.data : "", r->body.len, 0, NULL);
	if (j == NULL)
		fail_msg("not JSON: %s", vg_buf_cstr(&r->body));
	return j;
}

static void get(struct fixture *f, const char *path, long want, struct fetch *r)
{
	fetch(f, path, NULL, r);
	assert_int_equal(r->rc, CURLE_OK);
	if (r->status != want)
		fail_msg("%s: status %ld, want %ld: %s", path, r->status, want,
			 vg_buf_cstr(&r->body));
}

static void expect_error(struct fixture *f, const char *path, const struct req_opts *o, long want)
{
	struct fetch r;
	fetch(f, path, o, &r);
	assert_int_equal(r.rc, CURLE_OK);
	if (r.status != want)
		fail_msg("%s: status %ld, want %ld: %s", path, r.status, want,
			 vg_buf_cstr(&r.body));
	json_t *j = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "error")), want);
	assert_non_null(json_string_value(json_object_get(j, "title")));
	assert_non_null(json_string_value(json_object_get(j, "detail")));
	assert_header(&r, "Content-Type", "application/json; charset=utf-8");
	json_decref(j);
	fetch_free(&r);
}

/* ---- routing ---- */

static void test_http__routes_with_params(void **state)
{
	struct fixture *f = *state;
	struct fetch r;

	get(f, "/api/ping", 200, &r);
	assert_header(&r, "Content-Type", "application/json; charset=utf-8");
	assert_header(&r, "Cache-Control", "no-store");
	json_t *j = body_json(&r);
	assert_true(json_is_true(json_object_get(j, "pong")));
	json_decref(j);
	fetch_free(&r);

	struct req_opts o = {.method = "POST", .body = "abc", .body_len = 3};
	fetch(f, "/api/items/42/tags/red", &o, &r);
	assert_int_equal(r.status, 200);
	j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "42");
	assert_string_equal(json_string_value(json_object_get(j, "tag")), "red");
	assert_int_equal(json_integer_value(json_object_get(j, "body")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "client")), "127.0.0.1");
	json_decref(j);
	fetch_free(&r);

	/* an encoded slash stays inside its segment */
	get(f, "/api/items/a%2Fb", 200, &r);
	j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "a/b");
	json_decref(j);
	fetch_free(&r);
}

static void test_http__unknown_route_is_404_and_method_405(void **state)
{
	struct fixture *f = *state;
	struct req_opts post = {.method = "POST", .body = "", .body_len = 0};
	struct req_opts put = {.method = "PUT", .body = "", .body_len = 0};
	struct fetch r;

	expect_error(f, "/api/nope", NULL, 404);
	expect_error(f, "/api/items/", NULL, 404); /* an empty {id} */
	expect_error(f, "/api/items/1/x", NULL, 404);
	expect_error(f, "/api/items/1", &post, 405);
	expect_error(f, "/api/ping", &put, 405);
	fetch(f, "/api/items/1", &post, &r);
	assert_header(&r, "Allow", "GET, HEAD, DELETE");
	fetch_free(&r);
	/* a method the server does not know at all is a 405 too */
	struct req_opts patch = {.method = "PATCH", .body = "", .body_len = 0};
	expect_error(f, "/api/ping", &patch, 405);
	/* a handler that answers nothing is a 500, not a hang */
	expect_error(f, "/api/nothing", NULL, 500);
}

static void test_http__query_and_path_decoded(void **state)
{
	struct fixture *f = *state;
	struct fetch r;

	get(f, "/api/items/a%20b?q=hello+world&x=%C3%A9%26%3D&flag", 200, &r);
	json_t *j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "a b");
	assert_string_equal(json_string_value(json_object_get(j, "path")), "/api/items/a b");
	assert_string_equal(json_string_value(json_object_get(j, "q")), "hello world");
	assert_string_equal(json_string_value(json_object_get(j, "x")), "\xc3\xa9&=");
	json_decref(j);
	fetch_free(&r);

	get(f, "/api/items/1", 200, &r);
	j = body_json(&r);
	assert_true(json_is_null(json_object_get(j, "q")));
	json_decref(j);
	fetch_free(&r);

	expect_error(f, "/api/items/%zz", NULL, 400);
	expect_error(f, "/api/items/a%00b", NULL, 400);
	expect_error(f, "/api/items/1?q=%4", NULL, 400);
}

static void test_http__headers_and_cookies(void **state)
{
	struct fixture *f = *state;
	struct req_opts o = {.headers = {"Cookie: theme=dark; vigie_session=s3cr3t", NULL}};
	struct fetch r;

	fetch(f, "/api/items/1", &o, &r);
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "cookie")), "s3cr3t");
	json_decref(j);
	fetch_free(&r);
}

/* ---- caps ---- */

static void test_http__body_over_cap_is_413(void **state)
{
	struct fixture *f = *state;
	char *big = vg_xmalloc(HTTP_BODY_MAX + 1);
	struct fetch r;

	memset(big, 'a', HTTP_BODY_MAX + 1);
	struct req_opts exact = {.method = "POST", .body = big, .body_len = HTTP_BODY_MAX};
	fetch(f, "/api/upload", &exact, &r);
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "body")), HTTP_BODY_MAX);
	json_decref(j);
	fetch_free(&r);

	struct req_opts over = {.method = "POST", .body = big, .body_len = HTTP_BODY_MAX + 1};
	expect_error(f, "/api/upload", &over, 413);
	/* chunked: no Content-Length to refuse up front, the count is kept */
	struct req_opts chunked = {.method = "POST",
				   .body = big,
				   .body_len = HTTP_BODY_MAX + 1,
				   .headers = {"Transfer-Encoding: chunked", NULL}};
	expect_error(f, "/api/upload", &chunked, 413);
	vg_free(big);
}

static void test_http__url_over_cap_is_414(void **state)
{
	struct fixture *f = *state;
	char *path = vg_xmalloc(HTTP_URL_MAX + 32);
	struct fetch r;

	/* just under the cap: served */
	memcpy(path, "/api/items/", 11);
	memset(path + 11, 'x', HTTP_URL_MAX - 11);
	path[HTTP_URL_MAX] = '\0';
	get(f, path, 200, &r);
	fetch_free(&r);
	memset(path + 11, 'x', HTTP_URL_MAX);
	path[HTTP_URL_MAX + 11] = '\0';
	expect_error(f, path, NULL, 414);
	vg_free(path);
}

/* ---- auth ---- */

static void test_http__auth_only_for_private_routes(void **state)
{
	struct fixture *f = *state;
	struct req_opts good = {.headers = {"Authorization: Bearer good", NULL}};
	struct req_opts bad = {.headers = {"Authorization: Bearer bad", NULL}};
	struct fetch r;

	get(f, "/api/ping", 200, &r);
	fetch_free(&r);
	get(f, "/", 200, &r);
	fetch_free(&r);
	expect_error(f, "/api/nope", NULL, 404);
	assert_int_equal(atomic_load(&f->c.auth_calls), 0);

	expect_error(f, "/api/secret", NULL, 401);
	expect_error(f, "/api/secret", &bad, 401);
	fetch(f, "/api/secret", &bad, &r);
	assert_header(&r, "WWW-Authenticate", "Bearer");
	fetch_free(&r);
	assert_int_equal(atomic_load(&f->c.auth_calls), 3);

	fetch(f, "/api/secret", &good, &r);
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "user")), "alice");
	assert_true(json_is_false(json_object_get(j, "tls")));
	json_decref(j);
	fetch_free(&r);
	assert_int_equal(atomic_load(&f->c.auth_calls), 4);
}

/* ---- static files ---- */

static void test_http__static_index_and_types(void **state)
{
	struct fixture *f = *state;
	static const char *const cases[][2] = {
	    {"/", "text/html; charset=utf-8"},
	    {"/index.html", "text/html; charset=utf-8"},
	    {"/app.js", "text/javascript; charset=utf-8"},
	    {"/style.css", "text/css; charset=utf-8"},
	    {"/data.json", "application/json; charset=utf-8"},
	    {"/logo.svg", "image/svg+xml"},
	    {"/img.png", "image/png"},
	    {"/favicon.ico", "image/x-icon"},
	    {"/font.woff2", "font/woff2"},
	    {"/readme.txt", "text/plain; charset=utf-8"},
	    {"/blob.bin", "application/octet-stream"},
	    {"/sub/page.html", "text/html; charset=utf-8"},
	};
	struct fetch r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get(f, cases[i][0], 200, &r);
		assert_header(&r, "Content-Type", cases[i][1]);
		assert_header(&r, "Cache-Control", "no-cache");
		fetch_free(&r);
	}
	get(f, "/", 200, &r);
	assert_string_equal(vg_buf_cstr(&r.body), "<!doctype html><title>Vigie</title>");
	fetch_free(&r);
}

static void test_http__static_etag_304_and_head(void **state)
{
	struct fixture *f = *state;
	struct fetch r;
	char etag[128], line[160], len[32];

	get(f, "/app.js", 200, &r);
	assert_non_null(header(&r, "ETag", etag, sizeof(etag)));
	assert_int_equal(etag[0], '"');
	fetch_free(&r);

	snprintf(line, sizeof(line), "If-None-Match: \"nope\", %s", etag);
	struct req_opts o = {.headers = {line, NULL}};
	fetch(f, "/app.js", &o, &r);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.body.len, 0);
	assert_header(&r, "ETag", etag);
	assert_header(&r, "Cache-Control", "no-cache");
	fetch_free(&r);

	/* another tag: the whole file again */
	struct req_opts other = {.headers = {"If-None-Match: \"0-0\"", NULL}};
	fetch(f, "/app.js", &other, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(vg_buf_cstr(&r.body), "console.log(1);");
	fetch_free(&r);

	/* a changed file gets another tag */
	write_file(f->web, "app.js", "console.log(22);");
	fetch(f, "/app.js", &o, &r);
	assert_int_equal(r.status, 200);
	fetch_free(&r);

	struct req_opts head = {.method = "HEAD"};
	fetch(f, "/app.js", &head, &r);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_non_null(header(&r, "Content-Length", len, sizeof(len)));
	assert_string_equal(len, "16");
	fetch_free(&r);
}

static void test_http__static_refuses_escapes(void **state)
{
	struct fixture *f = *state;
	static const char *const paths[] = {
	    "/../etc/passwd",
	    "/../outside.txt",
	    "/%2e%2e/outside.txt",
	    "/sub/../../outside.txt",
	    "/.hidden",
	    "/%2ehidden",
	    "/link.txt",
	    "/linkdir/outside.txt",
	    "/sub",
	    "/sub/",
	    "//index.html",
	    "/nope.html",
	    "/..%2foutside.txt",
	};
	struct req_opts post = {.method = "POST", .body = "", .body_len = 0};
	struct fetch r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		fetch(f, paths[i], NULL, &r);
		if (r.status != 404 || strstr(vg_buf_cstr(&r.body), "SECRET") != NULL ||
		    strstr(vg_buf_cstr(&r.body), "HIDDEN") != NULL)
			fail_msg("%s: %ld %s", paths[i], r.status, vg_buf_cstr(&r.body));
		fetch_free(&r);
	}
	expect_error(f, "/index.html", &post, 405);
	fetch(f, "/", &post, &r);
	assert_header(&r, "Allow", "GET, HEAD");
	fetch_free(&r);
}

static void test_http__security_headers_everywhere(void **state)
{
	struct fixture *f = *state;
	static const char *const paths[] = {"/api/ping", "/", "/api/nope", "/nope", "/api/secret"};
	struct fetch r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		fetch(f, paths[i], NULL, &r);
		assert_header(&r, "X-Content-Type-Options", "nosniff");
		assert_header(&r, "X-Frame-Options", "DENY");
		assert_header(&r, "Referrer-Policy", "no-referrer");
		assert_header(&r, "Content-Security-Policy",
			      "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
			      "style-src 'self'; script-src 'self'; frame-ancestors 'none'");
		fetch_free(&r);
	}
}

/* ---- SSE ---- */

static void test_http__stream_sends_events_then_ends(void **state)
{
	struct fixture *f = *state;
	struct fetch r;

	get(f, "/api/stream", 200, &r);
	assert_header(&r, "Content-Type", "text/event-stream; charset=utf-8");
	assert_header(&r, "Cache-Control", "no-store");
	assert_header(&r, "X-Frame-Options", "DENY");
	assert_string_equal(vg_buf_cstr(&r.body), "event: alert\nid: 1\ndata: {\"n\":1}\n\n"
						  "event: alert\nid: 2\ndata: {\"n\":2}\n\n"
						  "event: alert\nid: 3\ndata: {\"n\":3}\n\n");
	fetch_free(&r);
	/* done() runs when MHD lets the response go, just after the answer */
	for (int i = 0; i < 100 && atomic_load(&f->c.done_calls) == 0; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&f->c.done_calls), 1);
}

static void test_http__stream_keepalive_after_silence(void **state)
{
	struct fixture *f;
	struct req_opts o = {.timeout_ms = 1100};
	struct fetch r;

	setup(state);
	f = *state;
	start(f, NULL, NULL, 300);
	fetch(f, "/api/silent", &o, &r);
	assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(r.status, 200);
	int n = vg_test_count(vg_buf_cstr(&r.body), ": keepalive\n\n");
	if (n < 2 || n > 4)
		fail_msg("%d keepalives in 1.1 s at 300 ms: %s", n, vg_buf_cstr(&r.body));
	/* next() was given at most HTTP_SSE_POLL_MS each time: called often */
	assert_true(atomic_load(&f->c.silent_calls) >= 4);
	fetch_free(&r);
	teardown(state);
}

struct bg_fetch {
	struct fixture *f;
	struct fetch r;
};

static void *bg_fetch_run(void *arg)
{
	struct bg_fetch *b = arg;
	struct req_opts o = {.timeout_ms = 10000};
	fetch(b->f, "/api/silent", &o, &b->r);
	return NULL;
}

static void test_http__stop_ends_open_streams(void **state)
{
	struct fixture *f;
	struct bg_fetch b;
	pthread_t t;
	struct timespec t0, t1;

	setup(state);
	f = *state;
	start(f, NULL, NULL, 0);
	b.f = f;
	assert_int_equal(pthread_create(&t, NULL, bg_fetch_run, &b), 0);
	for (int i = 0; i < 500 && atomic_load(&f->c.silent_calls) == 0; i++)
		usleep(10000);
	assert_true(atomic_load(&f->c.silent_calls) > 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	http_stop(f->srv);
	f->srv = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs >= 1.0)
		fail_msg("http_stop took %.2f s with a stream open", secs);
	assert_int_equal(atomic_load(&f->c.done_calls), 1);
	pthread_join(t, NULL);
	assert_true(b.r.secs < 5.0); /* the client saw the end, not its timeout */
	assert_int_equal(b.r.status, 200);
	fetch_free(&b.r);
	teardown(state);
}

/* ---- TLS ---- */

static void test_http__tls(void **state)
{
	struct fixture *f;
	char *cmd, *cert_path, *key_path, *cert, *key;
	struct fetch r;

	setup(state);
	f = *state;
	cert_path = vg_xasprintf("%s/cert.pem", f->dir);
	key_path = vg_xasprintf("%s/key.pem", f->dir);
	cmd = vg_xasprintf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
			   "-keyout %s -out %s -days 1 -subj /CN=127.0.0.1 "
			   "-addext subjectAltName=IP:127.0.0.1 2>/dev/null",
			   key_path, cert_path);
	assert_int_equal(system(cmd), 0);
	cert = vg_test_read_file(cert_path);
	key = vg_test_read_file(key_path);
	start(f, cert, key, 0);
	vg_freezero(key, strlen(key));

	struct req_opts o = {.headers = {"Authorization: Bearer good", NULL}, .cainfo = cert_path};
	fetch(f, "/api/secret", &o, &r);
	if (r.rc != CURLE_OK)
		fail_msg("https: %s", curl_easy_strerror(r.rc));
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_true(json_is_true(json_object_get(j, "tls")));
	json_decref(j);
	assert_header(&r, "X-Content-Type-Options", "nosniff");
	fetch_free(&r);

	/* a static file over TLS (MHD reads the fd instead of sendfile) */
	struct req_opts s = {.cainfo = cert_path};
	fetch(f, "/readme.txt", &s, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(vg_buf_cstr(&r.body), "hello");
	fetch_free(&r);

	/* plain HTTP on the TLS port gets no answer */
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", http_port(f->srv));
	fetch(f, "/api/ping", NULL, &r);
	assert_int_not_equal(r.status, 200);
	fetch_free(&r);

	vg_free(cert);
	vg_free(cmd);
	vg_free(cert_path);
	vg_free(key_path);
	teardown(state);
}

static void test_http__start_errors(void **state)
{
	struct http_server *s = (struct http_server *)1;
	struct vg_err err = VG_ERR_INIT;
	struct http_opts o = {.bind = "localhost", .port = 0};

	assert_int_equal(http_start(&o, &s, &err), VG_EPARSE);
	assert_null(s);
	vg_test_err_mentions(&err, "localhost");

	struct http_opts bad_tls = {.bind = "127.0.0.1", .cert_pem = "junk", .key_pem = "junk"};
	vg_err_clear(&err);
	assert_int_not_equal(http_start(&bad_tls, &s, &err), 0);
	assert_null(s);
	vg_test_err_mentions(&err, "TLS");

	/* a port in use */
	struct http_server *a = NULL;
	struct http_opts any = {.bind = "127.0.0.1", .port = 0};
	vg_err_clear(&err);
	assert_int_equal(http_start(&any, &a, &err), 0);
	struct http_opts same = {.bind = "127.0.0.1", .port = http_port(a)};
	vg_err_clear(&err);
	assert_int_not_equal(http_start(&same, &s, &err), 0);
	assert_null(s);
	vg_test_err_mentions(&err, "cannot serve on 127.0.0.1 port");
	http_stop(a);
	http_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_started, teardown)
	    T(test_http__routes_with_params),
	    T(test_http__unknown_route_is_404_and_method_405),
	    T(test_http__query_and_path_decoded),
	    T(test_http__headers_and_cookies),
	    T(test_http__body_over_cap_is_413),
	    T(test_http__url_over_cap_is_414),
	    T(test_http__auth_only_for_private_routes),
	    T(test_http__static_index_and_types),
	    T(test_http__static_etag_304_and_head),
	    T(test_http__static_refuses_escapes),
	    T(test_http__security_headers_everywhere),
	    T(test_http__stream_sends_events_then_ends),
	    cmocka_unit_test(test_http__stream_keepalive_after_silence),
	    cmocka_unit_test(test_http__stop_ends_open_streams),
	    cmocka_unit_test(test_http__tls),
	    cmocka_unit_test(test_http__start_errors),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
