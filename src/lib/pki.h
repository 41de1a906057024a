/*
 * pki.h - Vigie's certificate authority: the trust the agent <-> manager TLS
 * channel stands on (issue 4, docs/pki.md).
 *
 * The manager owns a CA (ca.key + ca.pem under HOME/etc) created on first
 * start, a server certificate issued by it (server.key + server.pem), and
 * signs each enrolled agent's CSR into a client certificate whose CN is the
 * agent id the manager chose ("001"); the name the agent asked for is never
 * copied, so an agent cannot pick its identity. The agent keeps agent.key,
 * agent.pem and the manager's CA (agent-ca.pem). Private keys are ECDSA P-256,
 * written 0600 through a temporary file and a rename, and refused on load when
 * group or others can read them.
 *
 * Everything that comes from the network (CSR, certificate PEM) is capped at
 * VG_PKI_MAX_PEM bytes and parsed by OpenSSL from memory. Failures are VG_EPARSE
 * (malformed input), VG_EPERM (well-formed but not trusted or not allowed),
 * VG_ENOTFOUND (missing file), VG_ETOOBIG (over the cap) or VG_EINTERNAL,
 * with a message naming the file. OpenSSL's per-thread error queue is left
 * empty after every call, so a TLS connection on the same thread never sees a
 * stale error. Secrets are never logged.
 *
 * Threads: a struct vg_pki_ca is read-only once opened; verify and sign may be
 * called on it from several threads at once. The functions that write files
 * must not run concurrently on the same directory (the daemon's pid file lock
 * ensures one manager or agent per home).
 *
 * Times: every `now` parameter is the clock to use (seconds since the epoch);
 * 0 means the current time. Tests inject other values.
 */
#ifndef VG_PKI_H
#define VG_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "lib/err.h"

/* Largest CSR or certificate PEM accepted from the network or a file. */
#define VG_PKI_MAX_PEM (16 * 1024)

/* File names in the directory given to the functions (HOME/etc). */
#define VG_PKI_CA_KEY "ca.key"               /* manager, 0600 */
#define VG_PKI_CA_CERT "ca.pem"              /* manager, 0644 */
#define VG_PKI_SERVER_KEY "server.key"       /* manager, 0600 */
#define VG_PKI_SERVER_CERT "server.pem"      /* manager, 0644 */
#define VG_PKI_AGENT_KEY "agent.key"         /* agent, 0600 */
#define VG_PKI_AGENT_KEY_NEW "agent.key.new" /* agent, 0600, during enrollment */
#define VG_PKI_AGENT_CERT "agent.pem"        /* agent, 0644 */
#define VG_PKI_AGENT_CA "agent-ca.pem"       /* agent: the manager's CA, 0644 */

/* Lifetimes (days) and the renewal margin of the server certificate. */
#define VG_PKI_CA_DAYS 3652
#define VG_PKI_SERVER_DAYS 730
#define VG_PKI_AGENT_DAYS 3652
#define VG_PKI_RENEW_DAYS 30

/* Longest CN we issue or return; a serial as uppercase hex (128 bits + NUL,
 * with room for certificates of other CAs that use up to 20 bytes). */
#define VG_PKI_CN_MAX 64
#define VG_PKI_SERIAL_MAX 41

struct vg_pki_ca;

/*
 * Open the manager's CA in dir: load dir/ca.key and dir/ca.pem, or create
 * both when neither exists (CN "Vigie CA <hostname>", 10 years, P-256). A key
 * without a certificate (a crash during creation) gets a new certificate; a
 * certificate without its key, a key that does not match the certificate, a
 * certificate that is not a CA, a corrupt or unreadable file, or a key file
 * readable by group/others is an error naming the file: nothing is replaced.
 * *created tells whether a new CA was made (may be NULL). Free with
 * vg_pki_ca_free.
 */
int vg_pki_ca_open(const char *dir, const char *hostname, struct vg_pki_ca **out, bool *created,
		   struct vg_err *err) VG_MUST_CHECK;

/*
 * Load only a CA certificate (the agent's agent-ca.pem) as a trust anchor:
 * the result verifies peers but cannot sign (signing returns VG_EPERM).
 */
int vg_pki_ca_load_trust(const char *path, struct vg_pki_ca **out,
			 struct vg_err *err) VG_MUST_CHECK;

void vg_pki_ca_free(struct vg_pki_ca *ca);

/* The CA certificate, borrowed for the life of ca (for SSL_CTX stores). */
X509 *vg_pki_ca_cert(const struct vg_pki_ca *ca);

/* The CA certificate as PEM (sent to agents at enrollment); vg_free it. */
int vg_pki_ca_cert_pem(const struct vg_pki_ca *ca, char **out, struct vg_err *err) VG_MUST_CHECK;

/*
 * Make sure dir/server.key + dir/server.pem hold a server certificate from ca
 * for names: names[0] is the host name (also the CN), the rest are further
 * DNS names or IP addresses (v4 or v6, told apart by parsing), all of them in
 * subjectAltName. A new key and certificate (2 years, serverAuth) are issued
 * when the files are missing, unreadable or do not match each other, when the
 * certificate is not from ca, expires within VG_PKI_RENEW_DAYS of now, is not
 * yet valid, or when its name list differs from names (order and case do not
 * matter). *renewed tells whether new files were written (may be NULL).
 * A name that is neither a DNS name nor an IP address is VG_EPARSE.
 */
int vg_pki_server_ensure(const struct vg_pki_ca *ca, const char *dir, const char *const *names,
			 size_t n_names, time_t now, bool *renewed,
			 struct vg_err *err) VG_MUST_CHECK;

/*
 * Agent side of enrollment: generate a P-256 key into dir/agent.key.new
 * (0600, replacing an earlier unfinished one) and return a CSR for it whose
 * CN is agent_name, as PEM (*csr_pem, vg_free). The working agent.key is not
 * touched until vg_pki_agent_store accepts the signed certificate, so a
 * failed enrollment never breaks an enrolled agent.
 */
int vg_pki_agent_csr(const char *dir, const char *agent_name, char **csr_pem,
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Agent side, after enrollment: check that cert_pem is a client certificate
 * signed by ca_pem for the key in dir/agent.key.new, then write
 * dir/agent-ca.pem and dir/agent.pem and move agent.key.new to agent.key.
 * The agent id (the certificate's CN) is copied to id (may be NULL).
 */
int vg_pki_agent_store(const char *dir, const char *cert_pem, size_t cert_len, const char *ca_pem,
		       size_t ca_len, char id[VG_PKI_CN_MAX + 1], struct vg_err *err) VG_MUST_CHECK;

/*
 * The CN of the certificate in the PEM file path (the agent reads its own id
 * from agent.pem for HELLO). Exactly one CN of 1..64 of [A-Za-z0-9._-] is
 * required (VG_EPERM otherwise); the certificate is not verified.
 */
int vg_pki_cert_cn(const char *path, char cn[VG_PKI_CN_MAX + 1], struct vg_err *err) VG_MUST_CHECK;

/*
 * Manager side of enrollment: sign the CSR in csr_pem (at most
 * VG_PKI_MAX_PEM bytes, PEM) into a client certificate (clientAuth, 10 years)
 * whose subject is only CN=agent_id. Of the CSR only the public key is used,
 * after its self-signature is checked; RSA under 2048 bits, EC curves other
 * than P-256/P-384/P-521 and other key types except Ed25519/Ed448 are refused
 * (VG_EPERM). Returns the certificate as PEM (*cert_pem, vg_free) and its
 * fresh random 128-bit serial as uppercase hex (the registry's revocation
 * key, the same text as `openssl x509 -noout -serial`).
 */
int vg_pki_sign_agent(const struct vg_pki_ca *ca, const char *csr_pem, size_t csr_len,
		      const char *agent_id, time_t now, char **cert_pem,
		      char serial[VG_PKI_SERIAL_MAX], struct vg_err *err) VG_MUST_CHECK;

enum vg_pki_role {
	VG_PKI_CLIENT, /* an agent presenting its certificate to the manager */
	VG_PKI_SERVER, /* the manager presenting its certificate to an agent */
};

/* What a verified peer certificate says. */
struct vg_pki_peer {
	char cn[VG_PKI_CN_MAX + 1];     /* the agent id for a client */
	char serial[VG_PKI_SERIAL_MAX]; /* uppercase hex: check it against revocations */
	time_t not_after;
};

/*
 * Verify a peer certificate: issued directly by ca (no intermediates; any
 * chain the peer sent is ignored), within its validity at now, not a CA, with
 * the extended key usage of role (clientAuth or serverAuth; a certificate
 * without that EKU is refused, so a server certificate cannot act as an
 * agent), and a CN of 1..64 characters from [A-Za-z0-9._-]. Fills *out and
 * returns 0, or VG_EPERM with the reason. Revocation is the caller's: look up
 * out->serial in the registry.
 *
 * Meant for the TLS server: after the handshake, call it on
 * SSL_get0_peer_certificate(ssl); or inside an SSL_CTX_set_verify callback
 * at depth 0 on X509_STORE_CTX_get_current_cert(ctx) (it uses its own store
 * and context, so it does not disturb the one being verified). Thread-safe.
 */
int vg_pki_verify_peer(const struct vg_pki_ca *ca, X509 *cert, enum vg_pki_role role, time_t now,
		       struct vg_pki_peer *out, struct vg_err *err) VG_MUST_CHECK;

/* The same on a PEM certificate (at most VG_PKI_MAX_PEM bytes). */
int vg_pki_verify_peer_pem(const struct vg_pki_ca *ca, const char *pem, size_t len,
			   enum vg_pki_role role, time_t now, struct vg_pki_peer *out,
			   struct vg_err *err) VG_MUST_CHECK;

#endif
