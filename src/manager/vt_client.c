/*
 * vt_client.c - VirusTotal v3 lookups on libcurl's multi interface
 * (vt_client.h, docs/virustotal.md).
 *
 * One easy handle per lookup, all in one multi handle owned by the
 * caller's thread; the multi keeps a connection pool, so a burst of
 * lookups reuses a few TLS sessions. Finished transfers are turned into a
 * struct vt_answer here (curl's result) or by vt_answer_parse (HTTP status
 * and body), then reported through done().
 *
 * The API key lives in one header list, "x-apikey: KEY", shared by every
 * handle; it is wiped when the client is freed. A file lookup never puts
 * it in a URL. The overall_quotas request must (VirusTotal's path is
 * /users/{key}/...): its URL is built from the header's copy, handed to
 * libcurl and wiped, and its answer's detail is made of curl's fixed error
 * names only, never curl's error buffer, which may quote the URL.
 * CURLOPT_VERBOSE is never set, so libcurl prints no headers or URLs, and
 * no message built here quotes the key.
 *
 * Thread model: everything but vt_client_wakeup runs on the owner's thread.
 */
#include "manager/vt_client.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/str.h"

#define VT_URL_MAX 2048u
#define VT_KEY_HEADER "x-apikey: "
/* base URL (at most VT_URL_MAX / 2) + /users/ + the key percent-encoded */
#define VT_ALLOWANCE_URL_MAX (VT_URL_MAX / 2 + 3 * VT_API_KEY_MAX + 32)
/* "Vigie/x.y.z; gzip": VirusTotal only gzips for a user agent saying gzip
 * (the AppEngine rule, reference virustotal-api.md §0). */
#define VT_USER_AGENT "Vigie/" VIGIE_VERSION "; gzip"

struct vt_xfer {
	struct vt_client *c;
	CURL *easy;
	void *ctx;
	vt_allowance_fn allowance_fn; /* non-NULL: an overall_quotas request */
	size_t max_body;
	struct vg_buf body;
	bool too_big; /* the write callback refused bytes past max_body */
	int64_t start_ms;
	char sha256[65];
	char errbuf[CURL_ERROR_SIZE];
	struct vt_xfer *prev, *next;
};

struct vt_client {
	CURLM *multi;
	struct curl_slist *headers; /* x-apikey first; shared by every handle */
	char *base_url;             /* no trailing '/' */
	char *ca_file;
	long timeout_ms;
	long connect_timeout_ms;
	long low_speed_time_s;
	size_t max_body;
	struct vt_xfer *xfers; /* in flight */
	size_t inflight;
};

/* ------------------------------------------------------------- process */

int vt_client_global_init(struct vg_err *err)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return vg_err_set(err, VG_EINTERNAL, "vt: curl_global_init: %s",
				  curl_easy_strerror(rc));
	return 0;
}

void vt_client_global_cleanup(void)
{
	curl_global_cleanup();
}

/* --------------------------------------------------------------- options */

/* Printable ASCII only: a CR or LF would inject headers. */
static bool key_valid(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n >= VT_API_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (k[i] <= ' ' || k[i] > '~')
			return false;
	return true;
}

static int copy_base_url(struct vt_client *c, const char *url, struct vg_err *err)
{
	size_t i, n = strlen(url);

	if (!vg_str_has_icase_prefix(url, "https://") && !vg_str_has_icase_prefix(url, "http://"))
		return vg_err_set(err, VG_EPARSE,
				  "vt: base URL must start with https:// or http://");
	if (n > VT_URL_MAX / 2)
		return vg_err_set(err, VG_EPARSE, "vt: base URL over %u bytes", VT_URL_MAX / 2);
	for (i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] > '~' || url[i] == '?' || url[i] == '#')
			return vg_err_set(err, VG_EPARSE,
					  "vt: base URL holds a space, control, '?' or '#'");
	while (n > 0 && url[n - 1] == '/')
		n--;
	c->base_url = vg_xstrndup(url, n);
	return 0;
}

static int make_headers(struct vt_client *c, const char *key, struct vg_err *err)
{
	char h[VT_API_KEY_MAX + 16]; /* key_valid: the key fits */
	struct curl_slist *l;
	int rc = 0;

	snprintf(h, sizeof(h), VT_KEY_HEADER "%s", key);
	l = curl_slist_append(NULL, h);
	explicit_bzero(h, sizeof(h)); /* libcurl holds the only copy now */
	if (l != NULL)
		c->headers = l;
	if (l == NULL || curl_slist_append(c->headers, "Accept: application/json") == NULL)
		rc = vg_err_set(err, VG_EINTERNAL, "vt: out of memory (headers)");
	return rc;
}

int vt_client_new(const struct vt_client_opts *o, struct vt_client **out, struct vg_err *err)
{
	struct vt_client *c = NULL;
	unsigned t, ct;
	int rc;

	*out = NULL;
	if (o->api_key == NULL || !key_valid(o->api_key)) {
		rc = vg_err_set(err, VG_EPARSE,
				"vt: the API key must be 1 to %u printable characters",
				VT_API_KEY_MAX - 1);
		goto out;
	}
	c = vg_xcalloc(1, sizeof(*c));
	rc = copy_base_url(c, o->base_url != NULL ? o->base_url : VT_BASE_URL_DEFAULT, err);
	if (rc != 0)
		goto out;
	rc = make_headers(c, o->api_key, err);
	if (rc != 0)
		goto out;
	t = o->timeout_s != 0 ? o->timeout_s : VT_TIMEOUT_DEFAULT_S;
	ct = o->connect_timeout_s != 0 ? o->connect_timeout_s : VT_CONNECT_TIMEOUT_DEFAULT_S;
	c->timeout_ms = (long)t * 1000;
	c->connect_timeout_ms = (long)(ct < t ? ct : t) * 1000;
	/* Half the timeout: a trickle ends well before the total timeout would
	 * when that one is long; with short timeouts both end it in time. */
	c->low_speed_time_s = t / 2 > 0 ? (long)(t / 2) : 1;
	c->max_body =
	    (o->max_body == 0 || o->max_body > VT_ANSWER_MAX) ? VT_ANSWER_MAX : o->max_body;
	if (o->ca_file != NULL)
		c->ca_file = vg_xstrdup(o->ca_file);
	c->multi = curl_multi_init();
	if (c->multi == NULL) {
		rc = vg_err_set(err, VG_EINTERNAL, "vt: curl_multi_init failed");
		goto out;
	}
	*out = c; /* transferred */
	c = NULL;
out:
	vt_client_free(c);
	return rc;
}

/* ------------------------------------------------------------- transfers */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct vt_xfer *x = arg;
	size_t len = size * n; /* libcurl guarantees size == 1 */

	if (len > x->max_body - x->body.len) {
		x->too_big = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (vg_buf_append(&x->body, p, len) != 0) {
		x->too_big = true;
		return 0;
	}
	return len;
}

static void xfer_free(struct vt_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL) {
		curl_multi_remove_handle(x->c->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	if (x->allowance_fn != NULL) {
		/* the body may echo the key, the error buffer quote the URL */
		if (x->body.data != NULL)
			explicit_bzero(x->body.data, x->body.len);
		vg_buf_free(&x->body);
		vg_freezero(x, sizeof(*x));
		return;
	}
	vg_buf_free(&x->body);
	vg_free(x);
}

static void xfer_unlink(struct vt_xfer *x)
{
	struct vt_client *c = x->c;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		c->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	c->inflight--;
}

/* Every option of one lookup; false if libcurl refused one. */
static bool xfer_setopts(struct vt_xfer *x, const char *url)
{
	struct vt_client *c = x->c;
	CURL *e = x->easy;
	bool ok = true;

	ok = ok && curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_USERAGENT, VT_USER_AGENT) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip") == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	if (c->ca_file != NULL)
		ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
	/* A redirect would carry x-apikey to wherever it points: never follow. */
	ok = ok && curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms) == CURLE_OK;
	ok =
	    ok && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, VT_LOW_SPEED_BYTES) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s) == CURLE_OK;
	/* Content-Length over the cap ends it before any byte; the write
	 * callback caps the decoded size (a gzip bomb) and chunked answers. */
	ok = ok &&
	     curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	return ok;
}

static struct vt_xfer *xfer_new(struct vt_client *c, void *ctx, size_t max_body)
{
	struct vt_xfer *x = vg_xcalloc(1, sizeof(*x));

	x->c = c;
	x->ctx = ctx;
	x->max_body = max_body;
	vg_buf_init(&x->body, max_body);
	return x;
}

/* Hand x, its URL built, to the multi; on failure x is the caller's still. */
static int xfer_start(struct vt_xfer *x, const char *url, struct vg_err *err)
{
	struct vt_client *c = x->c;

	x->easy = curl_easy_init();
	if (x->easy == NULL || !xfer_setopts(x, url))
		return vg_err_set(err, VG_EINTERNAL, "vt: libcurl refused the request's options");
	x->start_ms = vg_clock_ms(CLOCK_MONOTONIC);
	if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		return vg_err_set(err, VG_EINTERNAL, "vt: curl_multi_add_handle failed");
	}
	x->next = c->xfers;
	if (c->xfers != NULL)
		c->xfers->prev = x;
	c->xfers = x;
	c->inflight++;
	return 0;
}

int vt_client_lookup(struct vt_client *c, const char *sha256, void *ctx, struct vg_err *err)
{
	struct vg_buf url = VG_BUF_INIT(VT_URL_MAX);
	struct vt_xfer *x = NULL;
	size_t i;
	int rc;

	if (sha256 == NULL || strlen(sha256) != 64) {
		rc = vg_err_set(err, VG_EPARSE, "vt: a lookup needs a sha256 (64 hex digits)");
		goto out;
	}
	if (c->inflight >= VT_CLIENT_MAX_INFLIGHT) {
		rc = vg_err_set(err, VG_ETOOBIG, "vt: %u lookups already in flight",
				VT_CLIENT_MAX_INFLIGHT);
		goto out;
	}
	x = xfer_new(c, ctx, c->max_body);
	for (i = 0; i < 64; i++) {
		int d = vg_hex_digit(sha256[i]);
		if (d < 0) {
			rc = vg_err_set(err, VG_EPARSE,
					"vt: a lookup needs a sha256 (64 hex digits)");
			goto out;
		}
		x->sha256[i] = "0123456789abcdef"[d];
	}
	rc = vg_buf_printf(&url, "%s/files/%s", c->base_url, x->sha256);
	if (rc != 0) {
		rc = vg_err_set(err, rc, "vt: lookup URL too long");
		goto out;
	}
	rc = xfer_start(x, vg_buf_cstr(&url), err);
	if (rc == 0)
		x = NULL; /* transferred */
out:
	xfer_free(x);
	vg_buf_free(&url);
	return rc;
}

/*
 * {base}/users/{key, percent-encoded}/overall_quotas into url (stack, so
 * no realloc leaves a copy of the key behind; the caller wipes it). The
 * base is at most VT_URL_MAX / 2, the key under VT_API_KEY_MAX: it fits.
 */
static void allowance_url(const struct vt_client *c, char url[VT_ALLOWANCE_URL_MAX])
{
	const char *k = c->headers->data + strlen(VT_KEY_HEADER);
	size_t n = (size_t)snprintf(url, VT_ALLOWANCE_URL_MAX, "%s/users/", c->base_url);

	for (; *k != '\0'; k++) {
		unsigned char ch = (unsigned char)*k;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~')
			url[n++] = (char)ch;
		else
			n += (size_t)snprintf(url + n, VT_ALLOWANCE_URL_MAX - n, "%%%02X", ch);
	}
	snprintf(url + n, VT_ALLOWANCE_URL_MAX - n, "/overall_quotas");
}

int vt_client_allowance(struct vt_client *c, vt_allowance_fn fn, void *ctx, struct vg_err *err)
{
	char url[VT_ALLOWANCE_URL_MAX];
	struct vt_xfer *x;
	int rc;

	if (c->inflight >= VT_CLIENT_MAX_INFLIGHT)
		return vg_err_set(err, VG_ETOOBIG, "vt: %u requests already in flight",
				  VT_CLIENT_MAX_INFLIGHT);
	x = xfer_new(c, ctx,
		     c->max_body < VT_ALLOWANCE_BODY_MAX ? c->max_body : VT_ALLOWANCE_BODY_MAX);
	x->allowance_fn = fn;
	allowance_url(c, url);
	rc = xfer_start(x, url, err); /* libcurl keeps its own copy of the URL */
	explicit_bzero(url, sizeof(url));
	if (rc != 0)
		xfer_free(x);
	return rc;
}

/* ---------------------------------------------------------------- results */

/* No byte of the request was sent (curl counts the request's header
 * bytes only once they are written): VirusTotal cannot have counted it. */
static bool xfer_unsent(struct vt_xfer *x)
{
	long sent = -1;

	return curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0;
}

/* Turn a finished transfer into an answer. */
static void xfer_answer(struct vt_xfer *x, CURLcode res, struct vt_answer *a)
{
	long status = 0;
	char detail[VG_ERR_MSG_MAX];
	char esc[160];

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res == CURLE_OK) {
		/* The hash was checked at vt_client_lookup: parse cannot fail. */
		(void)vt_answer_parse(status, x->body.data, x->body.len, x->sha256, a, NULL);
		return;
	}
	/* errbuf may quote the server (a bad status line): escaped. */
	vg_escape(esc, sizeof(esc), x->errbuf, strnlen(x->errbuf, sizeof(x->errbuf)));
	snprintf(detail, sizeof(detail), "%.80s%s%s", curl_easy_strerror(res),
		 esc[0] != '\0' ? ": " : "", esc);
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		vt_answer_fail(a, VT_TIMEOUT, status, detail);
		return;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(detail, sizeof(detail), "body over %zu bytes", x->c->max_body);
		vt_answer_fail(a, VT_BAD_ANSWER, status, detail);
		return;
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		vt_answer_fail(a, VT_BAD_ANSWER, status, detail);
		return;
	default: /* connect, DNS, TLS, reset, closed early */
		vt_answer_fail(a, VT_NETWORK, status, detail);
		a->unsent = xfer_unsent(x);
		return;
	}
}

/* A finished overall_quotas request: no errbuf, no body text (see top). */
static void xfer_allowance(struct vt_xfer *x, CURLcode res, struct vt_allowance *a)
{
	long status = 0;
	char detail[128];

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res == CURLE_OK) {
		vt_allowance_parse(status, x->body.data, x->body.len, a);
		return;
	}
	if (res == CURLE_WRITE_ERROR || res == CURLE_FILESIZE_EXCEEDED) {
		snprintf(detail, sizeof(detail), "body over %zu bytes", x->max_body);
		vt_allowance_fail(a, VT_ALLOWANCE_UNAVAILABLE, status, detail);
		return;
	}
	vt_allowance_fail(a, VT_ALLOWANCE_FAILED, status, curl_easy_strerror(res));
}

/* Report and free every transfer the multi says is done; returns how many. */
static size_t reap(struct vt_client *c, vt_done_fn done, void *done_ctx)
{
	CURLMsg *m;
	size_t n = 0;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct vt_xfer *x = NULL;
		struct vt_answer a;
		struct vt_allowance al;
		vt_allowance_fn afn;
		void *ctx;
		long latency;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x == NULL)
			continue;
		afn = x->allowance_fn;
		if (afn != NULL)
			xfer_allowance(x, m->data.result, &al);
		else
			xfer_answer(x, m->data.result, &a);
		latency = (long)(vg_clock_ms(CLOCK_MONOTONIC) - x->start_ms);
		ctx = x->ctx;
		xfer_unlink(x);
		xfer_free(x); /* m is invalid from here */
		n++;
		if (afn != NULL)
			afn(ctx, &al);
		else if (done != NULL)
			done(done_ctx, ctx, &a, latency);
	}
	return n;
}

int vt_client_run(struct vt_client *c, int timeout_ms, vt_done_fn done, void *done_ctx,
		  struct vg_err *err)
{
	CURLMcode mc;
	int running = 0;

	size_t reported = 0;

	mc = curl_multi_perform(c->multi, &running);
	if (mc == CURLM_OK)
		reported = reap(c, done, done_ctx);
	/* Wait only when nothing finished: the caller acts on results first. */
	if (mc == CURLM_OK && reported == 0 && timeout_ms > 0) {
		mc = curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL);
		if (mc == CURLM_OK)
			mc = curl_multi_perform(c->multi, &running);
		if (mc == CURLM_OK)
			(void)reap(c, done, done_ctx);
	}
	if (mc != CURLM_OK)
		return vg_err_set(err, VG_EINTERNAL, "vt: curl multi: %s", curl_multi_strerror(mc));
	return 0;
}

size_t vt_client_inflight(const struct vt_client *c)
{
	return c->inflight;
}

void vt_client_wakeup(struct vt_client *c)
{
	(void)curl_multi_wakeup(c->multi);
}

/* Wipe the strings of the header list (the key) before freeing it. */
static void headers_free(struct curl_slist *l)
{
	struct curl_slist *i;

	for (i = l; i != NULL; i = i->next)
		if (i->data != NULL)
			explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

void vt_client_free(struct vt_client *c)
{
	if (c == NULL)
		return;
	while (c->xfers != NULL) {
		struct vt_xfer *x = c->xfers;
		xfer_unlink(x);
		xfer_free(x);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	headers_free(c->headers);
	vg_free(c->base_url);
	vg_free(c->ca_file);
	vg_free(c);
}
