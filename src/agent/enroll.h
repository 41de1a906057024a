/*
 * enroll.h - The agent's side of enrollment (port 1515, docs/transport.md).
 *
 * The agent makes a new key and a CSR for its name (lib/pki.h: the key goes
 * to HOME/etc/agent.key.new, the working agent.key is untouched until the
 * manager's certificate is accepted), connects with TLS 1.3 without
 * verifying the manager (it does not know the CA yet, as Wazuh's agent-auth
 * without <server_ca_path>), sends one ENROLL frame and reads one answer:
 * ENROLLED stores agent.pem, agent-ca.pem and agent.key; ERROR is the
 * manager's refusal (VG_EPERM with its text).
 *
 * The password (from <authorization_pass_path>, when that file exists) is
 * only ever in the passfile buffer and in the request body; both are wiped
 * before they are freed, and no message or log line holds it.
 *
 * Building the request and reading the answer are separate functions with
 * no I/O, so the unit tests and fuzzers call them without a network.
 * Threads: none of their own; call from one thread at a time per HOME.
 */
#ifndef AGENT_ENROLL_H
#define AGENT_ENROLL_H

#include <stddef.h>

#include "lib/client_conf.h"
#include "lib/err.h"
#include "lib/pki.h"

/* What goes into an ENROLL frame (all borrowed). */
struct enroll_request {
	const char *name;    /* agent name (required) */
	char *const *groups; /* NULL when ngroups is 0 */
	size_t ngroups;
	const char *password; /* NULL: no password */
	size_t password_len;
	const char *csr; /* PEM (required) */
};

/*
 * The ENROLL JSON {name, groups (comma list, only when there are groups),
 * version "Vigie v" VIGIE_VERSION, password (only when given), csr} into
 * *out (NUL-terminated, *len bytes). It holds the password: release it with
 * vg_freezero(*out, *len). A password that is not valid UTF-8 or longer
 * than VG_PASSFILE_MAX bytes is refused (VG_EPARSE / VG_ETOOBIG, the message
 * does not quote it).
 */
int enroll_request_json(const struct enroll_request *r, char **out, size_t *len,
			struct vg_err *err) VG_MUST_CHECK;

/* What an ENROLLED frame says; strings owned, free with enroll_answer_free. */
struct enroll_answer {
	char *id;   /* the agent id the manager chose ("001") */
	char *name; /* as the manager recorded it; NULL when absent */
	char *cert; /* the agent certificate, PEM */
	char *ca;   /* the manager's CA certificate, PEM */
};

/*
 * Read the manager's answer, a frame of type (enum vg_wire_type) with its
 * payload. ENROLLED with string id, cert and ca fills *out and returns 0.
 * ERROR is VG_EPERM with "the manager refused the enrollment: TEXT" (TEXT
 * escaped). Anything else (another type, bad JSON, missing fields) is
 * VG_EPARSE. *out is cleared first.
 */
int enroll_parse_answer(unsigned type, const void *payload, size_t len, struct enroll_answer *out,
			struct vg_err *err) VG_MUST_CHECK;

void enroll_answer_free(struct enroll_answer *a);

/*
 * Enroll once with c's <enrollment> settings: CSR into etc_dir, password
 * from authorization_pass_path when the file exists, TLS connection to
 * manager_address:port (timeout_ms for the connection and for each frame),
 * ENROLL, answer, vg_pki_agent_store into etc_dir. Logs "enrolled as agent
 * ID (NAME) with MANAGER:PORT" and copies the id to id (may be NULL). A
 * failure leaves an enrolled agent's files as they were.
 */
int enroll_run(const struct vg_client_conf *c, const char *etc_dir, int timeout_ms,
	       char id[VG_PKI_CN_MAX + 1], struct vg_err *err) VG_MUST_CHECK;

#endif
