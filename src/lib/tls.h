/*
 * tls.h - TLS 1.3 contexts and blocking client connections (OpenSSL).
 *
 * One TLS library for the whole product: OpenSSL, which also hashes files
 * and runs the CA (lib/pki.h). Contexts allow TLS 1.3 only. Trust is
 * Vigie's private CA: the chain is verified by OpenSSL against exactly one
 * CA certificate, then the caller checks the peer with vg_pki_verify_peer
 * (extended key usage, CN) and, on the manager, the registry (revocation).
 * Host names are not checked: only the manager holds a certificate of its
 * CA with the serverAuth usage (docs/transport.md explains why that is
 * enough).
 *
 * The server side (the manager's event loop) drives non-blocking SSL
 * objects from its own context; the client side (agent, `vigie-agent
 * --enroll`, load tool) uses vg_tls_conn: a connected, blocking-with-
 * timeout socket and its SSL. OpenSSL writes to sockets with write(2): the
 * process must ignore SIGPIPE (vg_daemon_signals does). Threads: an SSL_CTX may be shared by
 * threads once built; a vg_tls_conn belongs to one thread.
 */
#ifndef VG_TLS_H
#define VG_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "lib/err.h"

struct vg_tls_conn;

/*
 * Fill err from OpenSSL's error queue (the first reason) after a failed
 * call, prefixed by the printf-style message; the queue is left empty.
 * Returns code.
 */
int vg_tls_err(struct vg_err *err, int code, const char *fmt, ...) VG_PRINTF(3, 4);

/*
 * A server context presenting cert_path/key_path (PEM). With client_ca, a
 * client certificate chaining to exactly that CA is required (the
 * handshake fails otherwise); without, none is asked for (enrollment).
 */
int vg_tls_server_ctx(const char *cert_path, const char *key_path, X509 *client_ca, SSL_CTX **out,
		      struct vg_err *err) VG_MUST_CHECK;

/*
 * A client context. With server_ca, the server's chain must end at that CA
 * (else the handshake fails); without, the server is not verified (first
 * enrollment: the agent learns the CA from the answer). With
 * cert_path/key_path, that certificate is presented.
 */
int vg_tls_client_ctx(X509 *server_ca, const char *cert_path, const char *key_path, SSL_CTX **out,
		      struct vg_err *err) VG_MUST_CHECK;

/*
 * Connect to host (name or IP literal) port, trying each resolved address
 * in turn, and complete the handshake, all within timeout_ms. Errors name
 * host and port and say whether the TCP connection or TLS failed.
 */
int vg_tls_connect(SSL_CTX *ctx, const char *host, uint16_t port, int timeout_ms,
		   struct vg_tls_conn **out, struct vg_err *err) VG_MUST_CHECK;

/* Write all n bytes within timeout_ms. */
int vg_tls_write(struct vg_tls_conn *c, const void *p, size_t n, int timeout_ms,
		 struct vg_err *err) VG_MUST_CHECK;

/*
 * Read exactly n bytes within timeout_ms. A clean close by the peer before
 * the first byte is VG_ENOTFOUND ("connection closed"); a timeout or a
 * close in the middle is VG_EINTERNAL.
 */
int vg_tls_read(struct vg_tls_conn *c, void *p, size_t n, int timeout_ms,
		struct vg_err *err) VG_MUST_CHECK;

/* Whether bytes can be read without blocking (in SSL's buffer or the socket). */
int vg_tls_pending(struct vg_tls_conn *c);

/* The socket (to poll on) and the SSL (to look at the peer). Borrowed. */
int vg_tls_fd(const struct vg_tls_conn *c);
SSL *vg_tls_ssl(const struct vg_tls_conn *c);

/* Bytes sent and received on the socket so far (TLS records included). */
void vg_tls_traffic(const struct vg_tls_conn *c, uint64_t *sent, uint64_t *received);

/* Send close_notify (best effort) and free (NULL allowed). */
void vg_tls_close(struct vg_tls_conn *c);

#endif
