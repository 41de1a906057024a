/*
 * Unit tests for src/manager/vt_client.c against a real HTTP/1.1 server on
 * 127.0.0.1 (port 0) run by this file: a fixture serving canned VirusTotal
 * answers chosen by the hash asked (the real EICAR object gzipped, 404,
 * 429, 500, a slow-loris, oversized bodies, a slow answer), recording every
 * request head so the tests check what the client sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/vt_client.h"
#include "support/support.h"

#define API_KEY "k3y-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
#define EICAR_SHA256 "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
#define H(n) "000000000000000000000000000000000000000000000000000000000000000" #n
#define SHA_NOT_FOUND H(1)
#define SHA_QUOTA H(2)
#define SHA_SERVER H(3)
#define SHA_SLOW_LORIS H(4)
#define SHA_BIG_LENGTH H(5)
#define SHA_BIG_CHUNKED H(6)
#define SHA_SLOW_ANSWER H(7)
#define SHA_GZIP_BOMB H(8)
#define SHA_HANG_UP H(9) /* the connection closed after the request, no answer */
/* overall_quotas: the answer depends on the key in the path */
#define KEY_FORBIDDEN "forbidden/key+with%odd?chars#0123456789"
#define KEY_FORBIDDEN_URL "forbidden%2Fkey%2Bwith%25odd%3Fchars%230123456789"
#define KEY_HANG_UP "hang-up-key-0123456789abcdef"
#define QUOTAS_BODY                                                                                \
	"{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"used\":2}},"                 \
	"\"api_requests_hourly\":{\"user\":{\"allowed\":3600,\"used\":2}},"                        \
	"\"api_requests_monthly\":{\"user\":{\"allowed\":15500,\"used\":3}}}}"
#define SMALL_CAP 4096u
#define MAX_CONNS 64
#define MAX_REQS 64

/* ------------------------------------------------------ the fixture server */

struct srv {
	int lfd;
	int port;
	volatile int stop;
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_t conns[MAX_CONNS];
	int nconns;
	char *reqs[MAX_REQS]; /* request heads, in arrival order */
	int nreqs;
	char *eicar; /* the fixture body */
	size_t eicar_len;
};

struct conn {
	struct srv *s;
	int fd;
};

static bool send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The request head (up to the blank line), or NULL. */
static char *read_head(int fd)
{
	char buf[8192];
	size_t n = 0;

	while (n + 1 < sizeof(buf)) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		if (r <= 0)
			return NULL;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return vg_xstrdup(buf);
	}
	return NULL;
}

static bool head_has(const char *head, const char *needle)
{
	return strcasestr(head, needle) != NULL;
}

static void *gzip(const void *p, size_t n, size_t *out_len)
{
	z_stream z;
	size_t cap = n + 1024;
	unsigned char *out = vg_xmalloc(cap);

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* len SIZE_MAX: body is a C string. */
static void reply(int fd, const char *status, const char *extra, const void *body, size_t len)
{
	char head[512];

	if (len == SIZE_MAX)
		len = strlen(body);
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: "
			 "%zu\r\nConnection: close\r\n\r\n",
			 status, extra, len);
	if (send_all(fd, head, (size_t)n))
		send_all(fd, body, len);
}

static void serve_eicar(struct conn *c, const char *head)
{
	if (head_has(head, "accept-encoding: gzip")) {
		size_t zlen;
		void *z = gzip(c->s->eicar, c->s->eicar_len, &zlen);
		reply(c->fd, "200 OK", "Content-Encoding: gzip\r\n", z, zlen);
		vg_free(z);
	} else {
		reply(c->fd, "200 OK", "", c->s->eicar, c->s->eicar_len);
	}
}

static void serve_slow_loris(struct conn *c)
{
	const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			   "Content-Length: 1000\r\n\r\n";
	int i;

	if (!send_all(c->fd, head, strlen(head)))
		return;
	for (i = 0; i < 30 && !c->s->stop; i++) {
		if (!send_all(c->fd, "{", 1))
			return; /* the client gave up */
		sleep_ms(1000);
	}
}

static void serve_big(struct conn *c, bool chunked)
{
	char *body = vg_xmalloc(SMALL_CAP * 4);
	char line[64];
	int i;

	memset(body, ' ', SMALL_CAP * 4);
	if (!chunked) {
		reply(c->fd, "200 OK", "", body, SMALL_CAP * 4);
		vg_free(body);
		return;
	}
	const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n";
	if (send_all(c->fd, head, strlen(head))) {
		for (i = 0; i < 8; i++) {
			int n = snprintf(line, sizeof(line), "%x\r\n", SMALL_CAP);
			if (!send_all(c->fd, line, (size_t)n) ||
			    !send_all(c->fd, body, SMALL_CAP) || !send_all(c->fd, "\r\n", 2))
				break;
		}
		send_all(c->fd, "0\r\n\r\n", 5);
	}
	vg_free(body);
}

/* A small gzip body that inflates past the cap (a "zip bomb"). */
static void serve_gzip_bomb(struct conn *c)
{
	size_t n = SMALL_CAP * 64, zlen;
	char *plain = vg_xcalloc(1, n);
	void *z = gzip(plain, n, &zlen);

	reply(c->fd, "200 OK", "Content-Encoding: gzip\r\n", z, zlen);
	vg_free(z);
	vg_free(plain);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char *head = read_head(c->fd);

	if (head != NULL) {
		pthread_mutex_lock(&c->s->mu);
		if (c->s->nreqs < MAX_REQS)
			c->s->reqs[c->s->nreqs++] = vg_xstrdup(head);
		pthread_mutex_unlock(&c->s->mu);
		if (strstr(head, "/users/" API_KEY "/overall_quotas ") != NULL)
			reply(c->fd, "200 OK", "", QUOTAS_BODY, SIZE_MAX);
		else if (strstr(head, "/users/" KEY_FORBIDDEN_URL "/overall_quotas ") != NULL)
			reply(c->fd, "403 Forbidden", "",
			      "{\"error\":{\"code\":\"ForbiddenError\",\"message\":\"User "
			      "forbidden/key+with%odd?chars#0123456789 may not\"}}",
			      SIZE_MAX);
		else if (strstr(head, "/overall_quotas ") != NULL)
			; /* KEY_HANG_UP: closed below, unanswered */
		else if (strstr(head, "/files/" EICAR_SHA256 " ") != NULL)
			serve_eicar(c, head);
		else if (strstr(head, SHA_NOT_FOUND) != NULL)
			reply(c->fd, "404 Not Found", "",
			      "{\"error\":{\"code\":\"NotFoundError\",\"message\":\"File not "
			      "found\"}}",
			      SIZE_MAX);
		else if (strstr(head, SHA_QUOTA) != NULL)
			reply(c->fd, "429 Too Many Requests", "",
			      "{\"error\":{\"code\":\"QuotaExceededError\",\"message\":\"Quota\"}}",
			      SIZE_MAX);
		else if (strstr(head, SHA_SERVER) != NULL)
			reply(c->fd, "500 Internal Server Error", "", "oops", 4);
		else if (strstr(head, SHA_SLOW_LORIS) != NULL)
			serve_slow_loris(c);
		else if (strstr(head, SHA_BIG_LENGTH) != NULL)
			serve_big(c, false);
		else if (strstr(head, SHA_BIG_CHUNKED) != NULL)
			serve_big(c, true);
		else if (strstr(head, SHA_GZIP_BOMB) != NULL)
			serve_gzip_bomb(c);
		else if (strstr(head, SHA_HANG_UP) != NULL)
			; /* closed below, unanswered */
		else if (strstr(head, SHA_SLOW_ANSWER) != NULL) {
			sleep_ms(800);
			reply(c->fd, "503 Service Unavailable", "", "{}", 2);
		} else
			reply(c->fd, "400 Bad Request", "", "{}", 2);
	}
	vg_free(head);
	close(c->fd);
	vg_free(c);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct srv *s = arg;

	while (!s->stop) {
		struct pollfd p = {s->lfd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct conn *c = vg_xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		pthread_mutex_lock(&s->mu);
		if (s->nconns < MAX_CONNS &&
		    pthread_create(&s->conns[s->nconns], NULL, conn_main, c) == 0) {
			s->nconns++;
			c = NULL;
		}
		pthread_mutex_unlock(&s->mu);
		if (c != NULL) {
			close(fd);
			vg_free(c);
		}
	}
	return NULL;
}

/* A listening socket on 127.0.0.1, ephemeral port. */
static int listen_any(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int setup(void **state)
{
	struct srv *s = vg_xcalloc(1, sizeof(*s));
	const char *src = getenv("VG_SOURCE_DIR");
	char *path;

	if (src == NULL)
		return -1;
	path = vg_xasprintf("%s/tests/fixtures/virustotal/v3_file_eicar_275a021b_2024-07-17.json",
			    src);
	s->eicar = vg_test_read_file(path);
	s->eicar_len = strlen(s->eicar);
	vg_free(path);
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = listen_any(&s->port);
	if (pthread_create(&s->acceptor, NULL, accept_main, s) != 0)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct srv *s = *state;
	int i;

	s->stop = 1;
	pthread_join(s->acceptor, NULL);
	for (i = 0; i < s->nconns; i++)
		pthread_join(s->conns[i], NULL);
	close(s->lfd);
	for (i = 0; i < s->nreqs; i++)
		vg_free(s->reqs[i]);
	pthread_mutex_destroy(&s->mu);
	vg_free(s->eicar);
	vg_free(s);
	return 0;
}

/* -------------------------------------------------------------- helpers */

struct result {
	bool done;
	int calls;
	struct vt_answer a;
	long latency_ms;
};

static void on_done(void *done_ctx, void *lookup_ctx, const struct vt_answer *a, long latency_ms)
{
	int *order = done_ctx;
	struct result *r = lookup_ctx;

	r->done = true;
	r->calls++;
	r->a = *a;
	r->latency_ms = latency_ms;
	if (order != NULL)
		*order += 1;
}

struct allowance_result {
	int calls;
	struct vt_allowance a;
};

static void on_allowance(void *ctx, const struct vt_allowance *a)
{
	struct allowance_result *r = ctx;

	r->calls++;
	r->a = *a;
}

static struct vt_client *client_with_key(int port, const char *key, unsigned timeout_s,
					 size_t max_body)
{
	struct vt_client_opts o = VT_CLIENT_OPTS_INIT;
	struct vt_client *c = NULL;
	struct vg_err err = VG_ERR_INIT;
	char *url = vg_xasprintf("http://127.0.0.1:%d/api/v3/", port);

	o.base_url = url;
	o.api_key = key;
	o.timeout_s = timeout_s;
	o.max_body = max_body;
	if (vt_client_new(&o, &c, &err) != 0)
		fail_msg("vt_client_new: %s", err.msg);
	vg_free(url);
	return c;
}

static struct vt_client *client_for(int port, unsigned timeout_s, size_t max_body)
{
	return client_with_key(port, API_KEY, timeout_s, max_body);
}

/* Run c until nothing is in flight or deadline_ms passed. */
static void drain(struct vt_client *c, long deadline_ms, int *order)
{
	struct vg_err err = VG_ERR_INIT;
	long waited = 0;

	while (vt_client_inflight(c) > 0 && waited < deadline_ms) {
		if (vt_client_run(c, 50, on_done, order, &err) != 0)
			fail_msg("vt_client_run: %s", err.msg);
		waited += 50; /* an upper bound of the time spent */
	}
	assert_int_equal(vt_client_inflight(c), 0);
}

/* One overall_quotas request with key, run to its end. */
static struct allowance_result allowance_one(int port, const char *key)
{
	struct vt_client *c = client_with_key(port, key, 5, 0);
	struct allowance_result r = {0};
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vt_client_allowance(c, on_allowance, &r, &err), 0);
	assert_int_equal(vt_client_inflight(c), 1);
	drain(c, 20000, NULL);
	vt_client_free(c);
	assert_int_equal(r.calls, 1);
	/* no detail ever quotes the key, raw or encoded, nor the URL */
	assert_null(strstr(r.a.detail, key));
	assert_null(strstr(r.a.detail, KEY_FORBIDDEN_URL));
	assert_null(strstr(r.a.detail, "/users/"));
	return r;
}

static struct result lookup_one(struct srv *s, const char *sha, unsigned timeout_s, size_t max_body)
{
	struct vt_client *c = client_for(s->port, timeout_s, max_body);
	struct result r = {0};
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vt_client_lookup(c, sha, &r, &err), 0);
	assert_int_equal(vt_client_inflight(c), 1);
	drain(c, 20000, NULL);
	vt_client_free(c);
	assert_true(r.done);
	assert_int_equal(r.calls, 1);
	/* No answer detail ever quotes the key. */
	assert_null(strstr(r.a.detail, API_KEY));
	return r;
}

static char *request_head(struct srv *s, int i)
{
	char *h;

	pthread_mutex_lock(&s->mu);
	h = i < s->nreqs ? vg_xstrdup(s->reqs[i]) : NULL;
	pthread_mutex_unlock(&s->mu);
	assert_non_null(h);
	return h;
}

/* ---------------------------------------------------------------- tests */

static void test_vt_client__gzip_eicar_is_found_and_the_request_is_right(void **state)
{
	struct srv *s = *state;
	struct result r = lookup_one(s, EICAR_SHA256, 5, 0);
	char *head = request_head(s, 0);
	char *first_line_end = strstr(head, "\r\n");

	assert_int_equal(r.a.outcome, VT_FOUND);
	assert_int_equal(r.a.http_status, 200);
	assert_int_equal(r.a.malicious, 66);
	assert_int_equal(r.a.total, 71);
	assert_string_equal(r.a.sha256, EICAR_SHA256);
	assert_true(r.latency_ms >= 0 && r.latency_ms < 5000);
	/* GET {base}/files/{sha256}, the base's trailing '/' dropped. */
	assert_true(strncmp(head, "GET /api/v3/files/" EICAR_SHA256 " HTTP/1.1\r\n",
			    strlen("GET /api/v3/files/" EICAR_SHA256 " HTTP/1.1\r\n")) == 0);
	assert_true(head_has(head, "\r\nx-apikey: " API_KEY "\r\n"));
	assert_true(head_has(head, "\r\naccept-encoding: gzip"));
	assert_true(head_has(head, "\r\nuser-agent: Vigie/"));
	assert_true(head_has(head, "\r\naccept: application/json\r\n"));
	/* The key is in its header only, never in the request line (URL). */
	*first_line_end = '\0';
	assert_null(strstr(head, API_KEY));
	assert_int_equal(vg_test_count(first_line_end + 2, API_KEY), 1);
	vg_free(head);
}

static void test_vt_client__upper_case_hash_is_asked_in_lower_case(void **state)
{
	struct srv *s = *state;
	char up[65];
	struct result r;
	char *head;
	size_t i;

	for (i = 0; i < 64; i++)
		up[i] = (EICAR_SHA256[i] >= 'a') ? (char)(EICAR_SHA256[i] - 32) : EICAR_SHA256[i];
	up[64] = '\0';
	r = lookup_one(s, up, 5, 0);
	assert_int_equal(r.a.outcome, VT_FOUND);
	head = request_head(s, 0);
	assert_non_null(strstr(head, "/files/" EICAR_SHA256 " "));
	vg_free(head);
}

static void test_vt_client__404_is_not_found(void **state)
{
	struct result r = lookup_one(*state, SHA_NOT_FOUND, 5, 0);

	assert_int_equal(r.a.outcome, VT_NOT_FOUND);
	assert_int_equal(r.a.http_status, 404);
}

static void test_vt_client__429_is_quota(void **state)
{
	struct result r = lookup_one(*state, SHA_QUOTA, 5, 0);

	assert_int_equal(r.a.outcome, VT_QUOTA);
	assert_string_equal(r.a.vt_code, "QuotaExceededError");
}

static void test_vt_client__500_is_server(void **state)
{
	struct result r = lookup_one(*state, SHA_SERVER, 5, 0);

	assert_int_equal(r.a.outcome, VT_SERVER);
	assert_int_equal(r.a.http_status, 500);
}

static void test_vt_client__slow_loris_times_out_within_the_timeout(void **state)
{
	struct result r = lookup_one(*state, SHA_SLOW_LORIS, 2, 0);

	assert_int_equal(r.a.outcome, VT_TIMEOUT);
	/* Timeout 2 s: the low-speed abort (1 s) or the total ends it. */
	assert_true(r.latency_ms >= 900);
	assert_true(r.latency_ms <= 2600);
}

static void test_vt_client__oversized_bodies_are_bad_answers(void **state)
{
	struct result r;

	r = lookup_one(*state, SHA_BIG_LENGTH, 5, SMALL_CAP);
	assert_int_equal(r.a.outcome, VT_BAD_ANSWER);
	assert_non_null(strstr(r.a.detail, "body over 4096 bytes"));
	r = lookup_one(*state, SHA_BIG_CHUNKED, 5, SMALL_CAP);
	assert_int_equal(r.a.outcome, VT_BAD_ANSWER);
	assert_non_null(strstr(r.a.detail, "body over 4096 bytes"));
	r = lookup_one(*state, SHA_GZIP_BOMB, 5, SMALL_CAP);
	assert_int_equal(r.a.outcome, VT_BAD_ANSWER);
	assert_non_null(strstr(r.a.detail, "body over 4096 bytes"));
}

static void test_vt_client__connection_refused_is_network(void **state)
{
	int port;
	int fd = listen_any(&port);
	struct vt_client *c;
	struct result r = {0};
	struct vg_err err = VG_ERR_INIT;

	(void)state;
	close(fd); /* nothing listens there any more */
	c = client_for(port, 5, 0);
	assert_int_equal(vt_client_lookup(c, EICAR_SHA256, &r, &err), 0);
	drain(c, 10000, NULL);
	vt_client_free(c);
	assert_true(r.done);
	assert_int_equal(r.a.outcome, VT_NETWORK);
	assert_int_equal(r.a.http_status, 0);
	assert_true(r.a.detail[0] != '\0');
	assert_true(r.a.unsent); /* the integrator gives its quota back */
}

/* A request that reached the server may have been counted: not "unsent". */
static void test_vt_client__a_hang_up_after_the_request_was_sent(void **state)
{
	struct result r = lookup_one(*state, SHA_HANG_UP, 5, 0);

	assert_int_equal(r.a.outcome, VT_NETWORK);
	assert_false(r.a.unsent);
}

static void test_vt_client__lookups_in_flight_complete_independently(void **state)
{
	struct srv *s = *state;
	struct vt_client *c = client_for(s->port, 5, 0);
	struct result slow = {0}, r[4] = {{0}};
	const char *shas[4] = {EICAR_SHA256, SHA_NOT_FOUND, SHA_QUOTA, EICAR_SHA256};
	struct vg_err err = VG_ERR_INIT;
	int order = 0, slow_rank = -1, i;

	assert_int_equal(vt_client_lookup(c, SHA_SLOW_ANSWER, &slow, &err), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(vt_client_lookup(c, shas[i], &r[i], &err), 0);
	assert_int_equal(vt_client_inflight(c), 5);
	while (vt_client_inflight(c) > 0) {
		assert_int_equal(vt_client_run(c, 100, on_done, &order, &err), 0);
		if (slow.done && slow_rank < 0)
			slow_rank = order;
	}
	/* The 800 ms answer, asked first, came last; the others did not wait. */
	assert_int_equal(slow_rank, 5);
	assert_int_equal(slow.a.outcome, VT_SERVER);
	assert_int_equal(r[0].a.outcome, VT_FOUND);
	assert_int_equal(r[1].a.outcome, VT_NOT_FOUND);
	assert_int_equal(r[2].a.outcome, VT_QUOTA);
	assert_int_equal(r[3].a.outcome, VT_FOUND);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_true(r[i].latency_ms < slow.latency_ms);
	}
	vt_client_free(c);
}

struct waker {
	struct vt_client *c;
};

static void *wake_later(void *arg)
{
	struct waker *w = arg;

	sleep_ms(200);
	vt_client_wakeup(w->c);
	return NULL;
}

static void test_vt_client__wakeup_ends_a_wait_from_another_thread(void **state)
{
	struct srv *s = *state;
	struct waker w = {client_for(s->port, 5, 0)};
	struct vg_err err = VG_ERR_INIT;
	struct timespec t0, t1;
	pthread_t th;
	long ms;

	assert_int_equal(pthread_create(&th, NULL, wake_later, &w), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(vt_client_run(w.c, 10000, on_done, NULL, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 150 && ms < 5000);
	vt_client_free(w.c);
}

static void test_vt_client__free_cancels_lookups_in_flight(void **state)
{
	struct srv *s = *state;
	struct vt_client *c = client_for(s->port, 10, 0);
	struct result r = {0};
	struct vg_err err = VG_ERR_INIT;
	int i;

	assert_int_equal(vt_client_lookup(c, SHA_SLOW_LORIS, &r, &err), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(vt_client_run(c, 50, on_done, NULL, &err), 0);
	assert_int_equal(vt_client_inflight(c), 1);
	vt_client_free(c);
	assert_false(r.done); /* never reported */
}

static void test_vt_client__bad_options_and_hashes_are_refused(void **state)
{
	struct vt_client_opts o = VT_CLIENT_OPTS_INIT;
	struct vt_client *c = NULL;
	struct vg_err err = VG_ERR_INIT;
	int sentinel;

	(void)state;
	/* A key with a newline (header injection): refused, not quoted. */
	o.api_key = "secret-key-123\r\nX-Evil: 1";
	assert_int_equal(vt_client_new(&o, &c, &err), VG_EPARSE);
	assert_null(c);
	assert_null(strstr(err.msg, "secret-key-123"));
	vg_err_clear(&err);
	o.api_key = NULL;
	assert_int_equal(vt_client_new(&o, &c, &err), VG_EPARSE);
	vg_err_clear(&err);
	o.api_key = "secret-key-123";
	o.base_url = "ftp://example.com/api";
	assert_int_equal(vt_client_new(&o, &c, &err), VG_EPARSE);
	assert_null(strstr(err.msg, "secret-key-123"));
	vg_err_clear(&err);
	o.base_url = "https://example.com/api?apikey=x";
	assert_int_equal(vt_client_new(&o, &c, &err), VG_EPARSE);
	vg_err_clear(&err);
	o.base_url = NULL; /* the default, nothing is sent */
	assert_int_equal(vt_client_new(&o, &c, &err), 0);
	assert_int_equal(vt_client_lookup(c, "44d88612fea8a8f36de82e1278abb02f", &sentinel, &err),
			 VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vt_client_lookup(c, H(x), &sentinel, &err), VG_EPARSE);
	assert_int_equal(vt_client_lookup(c, NULL, &sentinel, NULL), VG_EPARSE);
	assert_int_equal(vt_client_inflight(c), 0);
	vt_client_free(c);
	vt_client_free(NULL);
}

/* GET {base}/users/{key}/overall_quotas with the key in its header too. */
static void test_vt_client__allowance_request_path_and_answer(void **state)
{
	struct srv *s = *state;
	struct vt_client *c = client_for(s->port, 5, 0);
	struct allowance_result r = {0};
	struct result lookup = {0};
	struct vg_err err = VG_ERR_INIT;
	const char *line = "GET /api/v3/users/" API_KEY "/overall_quotas HTTP/1.1\r\n";
	char *head;

	/* a lookup beside it: each end goes to its own callback */
	assert_int_equal(vt_client_lookup(c, SHA_NOT_FOUND, &lookup, &err), 0);
	assert_int_equal(vt_client_allowance(c, on_allowance, &r, &err), 0);
	assert_int_equal(vt_client_inflight(c), 2);
	drain(c, 20000, NULL);
	vt_client_free(c);
	assert_int_equal(r.calls, 1);
	assert_int_equal(lookup.calls, 1);
	assert_int_equal(lookup.a.outcome, VT_NOT_FOUND);
	assert_int_equal(r.a.state, VT_ALLOWANCE_OK);
	assert_int_equal(r.a.http_status, 200);
	assert_int_equal(r.a.day.allowed, 5);
	assert_int_equal(r.a.day.used, 2);
	assert_int_equal(r.a.month.allowed, 15500);
	assert_int_equal(r.a.month.used, 3);
	head = request_head(s, 0);
	if (strstr(head, "/overall_quotas") == NULL) {
		vg_free(head);
		head = request_head(s, 1);
	}
	assert_true(strncmp(head, line, strlen(line)) == 0);
	assert_true(head_has(head, "\r\nx-apikey: " API_KEY "\r\n"));
	assert_true(head_has(head, "\r\nuser-agent: Vigie/"));
	vg_free(head);
}

/* A key with URL characters is percent-encoded; a 403 echoing it is unquoted. */
static void test_vt_client__allowance_403_never_quotes_the_key(void **state)
{
	struct srv *s = *state;
	struct allowance_result r = allowance_one(s->port, KEY_FORBIDDEN);
	char *head = request_head(s, 0);

	assert_int_equal(r.a.state, VT_ALLOWANCE_UNAVAILABLE);
	assert_int_equal(r.a.http_status, 403);
	assert_non_null(strstr(head, "GET /api/v3/users/" KEY_FORBIDDEN_URL "/overall_quotas "));
	vg_free(head);
}

static void test_vt_client__allowance_failures_never_quote_the_key(void **state)
{
	struct srv *s = *state;
	struct allowance_result r = allowance_one(s->port, KEY_HANG_UP);
	int port, fd;

	assert_int_equal(r.a.state, VT_ALLOWANCE_FAILED);
	assert_true(r.a.detail[0] != '\0');
	fd = listen_any(&port);
	close(fd); /* nothing listens there any more */
	r = allowance_one(port, KEY_HANG_UP);
	assert_int_equal(r.a.state, VT_ALLOWANCE_FAILED);
	assert_int_equal(r.a.http_status, 0);
	assert_true(r.a.detail[0] != '\0');
}

static int group_setup(void **state)
{
	(void)state;
	return vt_client_global_init(NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	vt_client_global_cleanup();
	return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_vt_client__gzip_eicar_is_found_and_the_request_is_right),
	    T(test_vt_client__upper_case_hash_is_asked_in_lower_case),
	    T(test_vt_client__404_is_not_found),
	    T(test_vt_client__429_is_quota),
	    T(test_vt_client__500_is_server),
	    T(test_vt_client__slow_loris_times_out_within_the_timeout),
	    T(test_vt_client__oversized_bodies_are_bad_answers),
	    T(test_vt_client__connection_refused_is_network),
	    T(test_vt_client__a_hang_up_after_the_request_was_sent),
	    T(test_vt_client__lookups_in_flight_complete_independently),
	    T(test_vt_client__wakeup_ends_a_wait_from_another_thread),
	    T(test_vt_client__free_cancels_lookups_in_flight),
	    T(test_vt_client__allowance_request_path_and_answer),
	    T(test_vt_client__allowance_403_never_quotes_the_key),
	    T(test_vt_client__allowance_failures_never_quote_the_key),
	    cmocka_unit_test(test_vt_client__bad_options_and_hashes_are_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
