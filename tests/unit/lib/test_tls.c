/*
 * Unit tests for src/lib/tls.c: real TLS 1.3 handshakes on 127.0.0.1
 * between a server thread and vg_tls_connect, with certificates from
 * lib/pki (the manager's CA, another CA, an agent).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>

#include "lib/mem.h"
#include "lib/pki.h"
#include "lib/tls.h"
#include "lib/wire.h"
#include "support/support.h"

struct fx {
	char mgr[64], agent[64], other[64];
	struct vg_pki_ca *ca, *other_ca;
};

/* The server thread: accept one client, handshake, echo one frame. */
struct server {
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	bool silent;  /* accept TCP but never speak TLS */
	int accepted; /* SSL_accept's result */
	pthread_t thr;
};

static char *in(const char *dir, const char *name)
{
	return vg_xasprintf("%s/%s", dir, name);
}

/* An agent certificate from ca into dir (agent.key/agent.pem/agent-ca.pem). */
static void enroll(struct vg_pki_ca *ca, const char *dir)
{
	char *csr = NULL, *cert = NULL, *ca_pem = NULL;
	char serial[VG_PKI_SERIAL_MAX];

	assert_int_equal(vg_pki_agent_csr(dir, "web1", &csr, NULL), 0);
	assert_int_equal(vg_pki_sign_agent(ca, csr, strlen(csr), "001", 0, &cert, serial, NULL), 0);
	assert_int_equal(vg_pki_ca_cert_pem(ca, &ca_pem, NULL), 0);
	assert_int_equal(
	    vg_pki_agent_store(dir, cert, strlen(cert), ca_pem, strlen(ca_pem), NULL, NULL), 0);
	vg_free(csr);
	vg_free(cert);
	vg_free(ca_pem);
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	const char *names[] = {"localhost", "127.0.0.1"};

	snprintf(f->mgr, sizeof(f->mgr), "/tmp/vg-tls-mgr-XXXXXX");
	snprintf(f->agent, sizeof(f->agent), "/tmp/vg-tls-agent-XXXXXX");
	snprintf(f->other, sizeof(f->other), "/tmp/vg-tls-other-XXXXXX");
	if (mkdtemp(f->mgr) == NULL || mkdtemp(f->agent) == NULL || mkdtemp(f->other) == NULL)
		return -1;
	if (vg_pki_ca_open(f->mgr, "mgr", &f->ca, NULL, NULL) != 0 ||
	    vg_pki_server_ensure(f->ca, f->mgr, names, 2, 0, NULL, NULL) != 0 ||
	    vg_pki_ca_open(f->other, "other", &f->other_ca, NULL, NULL) != 0 ||
	    vg_pki_server_ensure(f->other_ca, f->other, names, 2, 0, NULL, NULL) != 0)
		return -1;
	enroll(f->ca, f->agent);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vg_pki_ca_free(f->ca);
	vg_pki_ca_free(f->other_ca);
	vg_test_rmtree(f->mgr);
	vg_test_rmtree(f->agent);
	vg_test_rmtree(f->other);
	vg_free(f);
	return 0;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	uint8_t buf[64];
	size_t n = 0;

	if (fd < 0)
		return NULL;
	if (s->silent) {
		while (read(fd, buf, sizeof(buf)) > 0) /* until the client gives up */
			;
		close(fd);
		return NULL;
	}
	SSL *ssl = SSL_new(s->ctx);
	SSL_set_fd(ssl, fd);
	s->accepted = SSL_accept(ssl);
	if (s->accepted == 1 && SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1)
		(void)SSL_write(ssl, buf, (int)n);
	if (s->accepted == 1)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
	close(fd);
	return NULL;
}

/* Listen on 127.0.0.1, port 0, and serve one client from a thread. */
static void server_start(struct server *s, const char *dir, X509 *client_ca, bool silent)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	char *cert = in(dir, VG_PKI_SERVER_CERT), *key = in(dir, VG_PKI_SERVER_KEY);

	memset(s, 0, sizeof(*s));
	s->silent = silent;
	assert_int_equal(vg_tls_server_ctx(cert, key, client_ca, &s->ctx, NULL), 0);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thr, NULL, serve, s), 0);
	vg_free(cert);
	vg_free(key);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thr, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

/* The agent's client context: its certificate, trusting ca. */
static SSL_CTX *agent_ctx(struct fx *f, X509 *ca)
{
	char *cert = in(f->agent, VG_PKI_AGENT_CERT), *key = in(f->agent, VG_PKI_AGENT_KEY);
	SSL_CTX *ctx = NULL;
	assert_int_equal(vg_tls_client_ctx(ca, cert, key, &ctx, NULL), 0);
	vg_free(cert);
	vg_free(key);
	return ctx;
}

static void test_tls__mutual_handshake_and_echo(void **state)
{
	struct fx *f = *state;
	struct server s;
	struct vg_tls_conn *c = NULL;
	struct vg_wire_hdr h;
	struct vg_buf payload;
	struct vg_pki_peer peer;
	uint64_t sent, received;

	server_start(&s, f->mgr, vg_pki_ca_cert(f->ca), false);
	SSL_CTX *ctx = agent_ctx(f, vg_pki_ca_cert(f->ca));
	assert_int_equal(vg_tls_connect(ctx, "127.0.0.1", s.port, 5000, &c, NULL), 0);
	assert_int_equal(SSL_version(vg_tls_ssl(c)), TLS1_3_VERSION);
	assert_int_equal(vg_pki_verify_peer(f->ca, SSL_get0_peer_certificate(vg_tls_ssl(c)),
					    VG_PKI_SERVER, 0, &peer, NULL),
			 0);
	/* a frame goes out and comes back through the echo */
	assert_int_equal(vg_wire_send(c, VG_WIRE_KEEPALIVE, 0, "{}", 2, 5000, NULL), 0);
	vg_buf_init(&payload, 1024);
	assert_int_equal(vg_wire_recv(c, 1024, 5000, &h, &payload, NULL), 0);
	assert_int_equal(h.type, VG_WIRE_KEEPALIVE);
	assert_string_equal(vg_buf_cstr(&payload), "{}");
	vg_tls_traffic(c, &sent, &received);
	assert_true(sent > 10 && received > 10);
	/* then the server closes: a clean close is VG_ENOTFOUND */
	assert_int_equal(vg_wire_recv(c, 1024, 5000, &h, &payload, NULL), VG_ENOTFOUND);
	vg_buf_free(&payload);
	vg_tls_close(c);
	SSL_CTX_free(ctx);
	server_stop(&s);
	assert_int_equal(s.accepted, 1);
}

static void test_tls__server_refuses_a_client_without_certificate(void **state)
{
	struct fx *f = *state;
	struct server s;
	struct vg_tls_conn *c = NULL;
	SSL_CTX *ctx = NULL;
	uint8_t b[8];

	server_start(&s, f->mgr, vg_pki_ca_cert(f->ca), false);
	assert_int_equal(vg_tls_client_ctx(vg_pki_ca_cert(f->ca), NULL, NULL, &ctx, NULL), 0);
	/* TLS 1.3: the client may finish before the server's verdict arrives */
	int rc = vg_tls_connect(ctx, "127.0.0.1", s.port, 5000, &c, NULL);
	if (rc == 0)
		rc = vg_tls_read(c, b, sizeof(b), 5000, NULL);
	assert_true(rc < 0);
	vg_tls_close(c);
	SSL_CTX_free(ctx);
	server_stop(&s);
	assert_int_not_equal(s.accepted, 1);
}

static void test_tls__client_refuses_a_server_of_another_ca(void **state)
{
	struct fx *f = *state;
	struct server s;
	struct vg_tls_conn *c = NULL;
	struct vg_err err = VG_ERR_INIT;

	server_start(&s, f->other, NULL, false);
	SSL_CTX *ctx = agent_ctx(f, vg_pki_ca_cert(f->ca));
	assert_int_equal(vg_tls_connect(ctx, "127.0.0.1", s.port, 5000, &c, &err), VG_EPERM);
	vg_test_err_mentions(&err, "server certificate refused");
	assert_null(c);
	SSL_CTX_free(ctx);
	server_stop(&s);
}

static void test_tls__enrollment_context_does_not_verify(void **state)
{
	struct fx *f = *state;
	struct server s;
	struct vg_tls_conn *c = NULL;
	SSL_CTX *ctx = NULL;

	server_start(&s, f->other, NULL, false);
	assert_int_equal(vg_tls_client_ctx(NULL, NULL, NULL, &ctx, NULL), 0);
	assert_int_equal(vg_tls_connect(ctx, "localhost", s.port, 5000, &c, NULL), 0);
	assert_int_equal(vg_tls_write(c, "x", 1, 5000, NULL), 0);
	vg_tls_close(c);
	SSL_CTX_free(ctx);
	server_stop(&s);
}

static void test_tls__timeouts_and_refused_ports(void **state)
{
	struct fx *f = *state;
	struct server s;
	struct vg_tls_conn *c = NULL;
	struct vg_err err = VG_ERR_INIT;
	SSL_CTX *ctx = agent_ctx(f, vg_pki_ca_cert(f->ca));

	server_start(&s, f->mgr, NULL, true); /* never answers the ClientHello */
	assert_true(vg_tls_connect(ctx, "127.0.0.1", s.port, 300, &c, &err) < 0);
	vg_test_err_mentions(&err, "timed out");
	assert_null(c);
	server_stop(&s);
	/* the port is closed now */
	vg_err_clear(&err);
	assert_true(vg_tls_connect(ctx, "127.0.0.1", s.port, 1000, &c, &err) < 0);
	vg_test_err_mentions(&err, "cannot connect to 127.0.0.1 port");
	vg_err_clear(&err);
	assert_int_equal(vg_tls_connect(ctx, "no-such-host.invalid", 1514, 1000, &c, &err),
			 VG_ENOTFOUND);
	SSL_CTX_free(ctx);
}

static void test_tls__bad_key_files(void **state)
{
	struct fx *f = *state;
	SSL_CTX *ctx = NULL;
	struct vg_err err = VG_ERR_INIT;
	char *cert = in(f->mgr, VG_PKI_SERVER_CERT), *key = in(f->agent, VG_PKI_AGENT_KEY);

	assert_int_equal(vg_tls_server_ctx(cert, key, NULL, &ctx, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "cannot use private key");
	assert_null(ctx);
	vg_err_clear(&err);
	assert_int_equal(vg_tls_server_ctx("/nonexistent.pem", key, NULL, &ctx, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "/nonexistent.pem");
	vg_free(cert);
	vg_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls__mutual_handshake_and_echo),
	    cmocka_unit_test(test_tls__server_refuses_a_client_without_certificate),
	    cmocka_unit_test(test_tls__client_refuses_a_server_of_another_ca),
	    cmocka_unit_test(test_tls__enrollment_context_does_not_verify),
	    cmocka_unit_test(test_tls__timeouts_and_refused_ports),
	    cmocka_unit_test(test_tls__bad_key_files),
	};
	signal(SIGPIPE, SIG_IGN); /* as the daemons do: a closed peer is an error, not a signal */
	return cmocka_run_group_tests(tests, setup, teardown);
}
