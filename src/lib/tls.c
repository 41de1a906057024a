/*
 * tls.c - TLS 1.3 contexts and blocking client connections (OpenSSL).
 *
 * A client connection keeps its socket non-blocking and turns every
 * SSL_* call into "try, then poll for what OpenSSL wants until the
 * deadline": one helper (tls_io) serves connect, read and write, so a
 * silent or stalled peer can never block a thread past its timeout.
 */
#include "lib/tls.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with byte counters */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/str.h"

struct vg_tls_conn {
	int fd;
	SSL *ssl;
};

int vg_tls_err(struct vg_err *err, int code, const char *fmt, ...)
{
	char msg[VG_ERR_MSG_MAX];
	char reason[128] = "";
	unsigned long e = ERR_peek_last_error();
	va_list ap;

	if (e != 0) {
		const char *r = ERR_reason_error_string(e);
		if (r != NULL)
			vg_strlcpy(reason, r, sizeof(reason));
		else
			ERR_error_string_n(e, reason, sizeof(reason));
	}
	ERR_clear_error();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (reason[0] != '\0')
		return vg_err_set(err, code, "%s: %s", msg, reason);
	return vg_err_set(err, code, "%s", msg);
}

/* ---------------------------------------------------------------- contexts */

/* TLS 1.3 only; no session tickets (agents keep one long connection). */
static int ctx_new(const SSL_METHOD *method, SSL_CTX **out, struct vg_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	*out = NULL;
	if (ctx == NULL)
		return vg_tls_err(err, VG_EINTERNAL, "cannot create a TLS context");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		SSL_CTX_free(ctx);
		return vg_tls_err(err, VG_EINTERNAL, "cannot restrict the TLS context to TLS 1.3");
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	*out = ctx;
	return 0;
}

static int ctx_use_cert(SSL_CTX *ctx, const char *cert_path, const char *key_path,
			struct vg_err *err)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1)
		return vg_tls_err(err, VG_EPARSE, "cannot load certificate %s", cert_path);
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1)
		return vg_tls_err(err, VG_EPARSE, "cannot use private key %s with certificate %s",
				  key_path, cert_path);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return vg_tls_err(err, VG_EPARSE, "private key %s does not match certificate %s",
				  key_path, cert_path);
	return 0;
}

/* Trust exactly ca: the peer's chain must end there. */
static int ctx_trust(SSL_CTX *ctx, X509 *ca, int mode, struct vg_err *err)
{
	X509_STORE *store = X509_STORE_new();

	if (store == NULL || X509_STORE_add_cert(store, ca) != 1) {
		X509_STORE_free(store);
		return vg_tls_err(err, VG_EINTERNAL, "cannot build the TLS trust store");
	}
	SSL_CTX_set_cert_store(ctx, store); /* transferred */
	SSL_CTX_set_verify(ctx, mode, NULL);
	SSL_CTX_set_verify_depth(ctx, 1); /* leaf + our CA, no intermediates */
	return 0;
}

int vg_tls_server_ctx(const char *cert_path, const char *key_path, X509 *client_ca, SSL_CTX **out,
		      struct vg_err *err)
{
	SSL_CTX *ctx = NULL;
	int rc = ctx_new(TLS_server_method(), &ctx, err);

	if (rc == 0)
		rc = ctx_use_cert(ctx, cert_path, key_path, err);
	if (rc == 0 && client_ca != NULL)
		rc = ctx_trust(ctx, client_ca, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			       err);
	if (rc != 0) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return rc;
}

int vg_tls_client_ctx(X509 *server_ca, const char *cert_path, const char *key_path, SSL_CTX **out,
		      struct vg_err *err)
{
	SSL_CTX *ctx = NULL;
	int rc = ctx_new(TLS_client_method(), &ctx, err);

	if (rc == 0 && cert_path != NULL)
		rc = ctx_use_cert(ctx, cert_path, key_path, err);
	if (rc == 0 && server_ca != NULL)
		rc = ctx_trust(ctx, server_ca, SSL_VERIFY_PEER, err);
	if (rc == 0 && server_ca == NULL)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (rc != 0) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return rc;
}

/* ---------------------------------------------------------------- waiting */

/* Poll fd for events until deadline: 0 when ready, VG_EINTERNAL on timeout. */
static int wait_fd(int fd, short events, int64_t deadline, struct vg_err *err)
{
	for (;;) {
		int64_t left = deadline - vg_clock_ms(CLOCK_MONOTONIC);
		struct pollfd p = {.fd = fd, .events = events};
		if (left <= 0)
			return vg_err_set(err, VG_EINTERNAL, "timed out");
		int n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return vg_err_errno(err, errno, "poll");
	}
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? INT64_MAX / 2 : vg_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
}

/* ---------------------------------------------------------------- connecting */

static int tcp_connect_one(const struct addrinfo *ai, int64_t deadline, struct vg_err *err)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	int so_err = 0;
	socklen_t len = sizeof(so_err);

	if (fd < 0)
		return vg_err_errno(err, errno, "socket");
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		int rc = vg_err_errno(err, errno, "connect");
		close(fd);
		return rc;
	}
	int rc = wait_fd(fd, POLLOUT, deadline, err);
	if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) != 0)
		so_err = errno;
	if (rc == 0 && so_err != 0)
		rc = vg_err_errno(err, so_err, "connect");
	if (rc != 0) {
		close(fd);
		return rc;
	}
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A TCP connection to host:port, each resolved address in turn. */
static int tcp_connect(const char *host, uint16_t port, int64_t deadline, struct vg_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char service[8];
	struct vg_err last = VG_ERR_INIT;
	int fd = VG_ENOTFOUND;

	snprintf(service, sizeof(service), "%u", (unsigned)port);
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0)
		return vg_err_set(err, VG_ENOTFOUND, "cannot resolve %s: %s", host,
				  gai_strerror(gai));
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		vg_err_clear(&last);
		fd = tcp_connect_one(ai, deadline, &last);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return vg_err_set(err, fd, "cannot connect to %s port %u: %s", host, (unsigned)port,
				  last.msg);
	return fd;
}

/*
 * Run one SSL call (op) until it completes, waiting on the socket for what
 * OpenSSL asks. Returns the call's positive result, 0 on a clean close by
 * the peer (SSL_ERROR_ZERO_RETURN, or EOF), or a VG_E* code.
 */
typedef int (*tls_op_fn)(SSL *ssl, void *buf, size_t n, size_t *done);

static int tls_io(struct vg_tls_conn *c, tls_op_fn op, void *buf, size_t n, size_t *done,
		  int64_t deadline, struct vg_err *err)
{
	for (;;) {
		ERR_clear_error();
		int r = op(c->ssl, buf, n, done);
		if (r > 0)
			return r;
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			return errno == 0 || errno == ECONNRESET || errno == EPIPE
				   ? 0
				   : vg_err_errno(err, errno, "connection");
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return vg_tls_err(err, VG_EPERM, "TLS");
		int rc = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, err);
		if (rc != 0)
			return rc;
	}
}

static int op_connect(SSL *ssl, void *buf, size_t n, size_t *done)
{
	return SSL_connect(ssl);
}

static int op_read(SSL *ssl, void *buf, size_t n, size_t *done)
{
	return SSL_read_ex(ssl, buf, n, done);
}

static int op_write(SSL *ssl, void *buf, size_t n, size_t *done)
{
	return SSL_write_ex(ssl, buf, n, done);
}

int vg_tls_connect(SSL_CTX *ctx, const char *host, uint16_t port, int timeout_ms,
		   struct vg_tls_conn **out, struct vg_err *err)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct vg_tls_conn *c = NULL;
	struct vg_err e = VG_ERR_INIT;
	int rc;

	*out = NULL;
	int fd = tcp_connect(host, port, deadline, err);
	if (fd < 0)
		return fd;
	c = vg_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		rc = vg_tls_err(err, VG_EINTERNAL, "cannot start TLS with %s port %u", host,
				(unsigned)port);
		goto out;
	}
	rc = tls_io(c, op_connect, NULL, 0, NULL, deadline, &e);
	if (rc == 0)
		rc = vg_err_set(&e, VG_EPERM, "closed by the server during the handshake");
	if (rc < 0) {
		long v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK)
			rc = vg_err_set(err, VG_EPERM,
					"TLS with %s port %u: server certificate "
					"refused: %s",
					host, (unsigned)port, X509_verify_cert_error_string(v));
		else
			rc = vg_err_set(err, rc, "TLS with %s port %u: %s", host, (unsigned)port,
					e.msg);
		goto out;
	}
	rc = 0;
	*out = c;
	c = NULL;
out:
	vg_tls_close(c);
	return rc;
}

/* ---------------------------------------------------------------- I/O */

int vg_tls_write(struct vg_tls_conn *c, const void *p, size_t n, int timeout_ms, struct vg_err *err)
{
	int64_t deadline = deadline_of(timeout_ms);
	size_t off = 0;

	while (off < n) {
		size_t done = 0;
		int rc =
		    tls_io(c, op_write, (char *)(uintptr_t)p + off, n - off, &done, deadline, err);
		if (rc == 0)
			return vg_err_set(err, VG_EINTERNAL, "connection closed by the peer");
		if (rc < 0)
			return rc;
		off += done;
	}
	return 0;
}

int vg_tls_read(struct vg_tls_conn *c, void *p, size_t n, int timeout_ms, struct vg_err *err)
{
	int64_t deadline = deadline_of(timeout_ms);
	size_t off = 0;

	while (off < n) {
		size_t done = 0;
		int rc = tls_io(c, op_read, (char *)p + off, n - off, &done, deadline, err);
		if (rc == 0 && off == 0)
			return vg_err_set(err, VG_ENOTFOUND, "connection closed by the peer");
		if (rc == 0)
			return vg_err_set(err, VG_EINTERNAL, "connection closed in mid-frame");
		if (rc < 0)
			return rc;
		off += done;
	}
	return 0;
}

int vg_tls_pending(struct vg_tls_conn *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	return SSL_pending(c->ssl) > 0 || poll(&p, 1, 0) > 0;
}

int vg_tls_fd(const struct vg_tls_conn *c)
{
	return c->fd;
}

SSL *vg_tls_ssl(const struct vg_tls_conn *c)
{
	return c->ssl;
}

void vg_tls_traffic(const struct vg_tls_conn *c, uint64_t *sent, uint64_t *received)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	*sent = *received = 0;
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		*sent = ti.tcpi_bytes_acked;
		*received = ti.tcpi_bytes_received;
	}
}

void vg_tls_close(struct vg_tls_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		if (SSL_is_init_finished(c->ssl))
			(void)SSL_shutdown(c->ssl); /* best effort: non-blocking */
		SSL_free(c->ssl);
	}
	ERR_clear_error();
	close(c->fd);
	vg_free(c);
}
