/*
 * remote_enroll.c - Enrollment on 1515: one ENROLL frame, one ENROLLED or
 * ERROR answer, then the connection closes (Wazuh's authd;
 * docs/transport.md).
 *
 * Order matters for what a refusal leaves behind: everything that can be
 * checked without writing (password, name, groups, an active agent of the
 * same name) is checked first; the registry row is then written, the CSR
 * signed under the new id and the serial recorded; if signing fails the
 * new row is removed again. The password is compared in constant time and
 * never logged or echoed; refusals are logged with the peer's address.
 * Runs on the remote's thread only.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/remote_int.h"

/* The members of an ENROLL request (borrowed from its JSON). */
struct enroll_req {
	const char *name, *groups, *version, *password, *csr;
	size_t password_len, csr_len;
};

static bool enroll_parse(const json_t *j, struct enroll_req *q, const char **why)
{
	const json_t *pw = json_object_get(j, "password");
	const json_t *csr = json_object_get(j, "csr");

	q->name = json_string_value(json_object_get(j, "name"));
	q->groups = json_string_value(json_object_get(j, "groups"));
	q->version = json_string_value(json_object_get(j, "version"));
	q->password = json_string_value(pw);
	q->password_len = json_string_length(pw);
	q->csr = json_string_value(csr);
	q->csr_len = json_string_length(csr);
	*why = q->name == NULL  ? "ENROLL without a \"name\""
	       : q->csr == NULL ? "ENROLL without a \"csr\""
				: NULL;
	if (q->groups != NULL && q->groups[0] == '\0')
		q->groups = NULL;
	return *why == NULL;
}

/* Constant time in the password's bytes; a length mismatch still compares. */
static bool password_ok(const struct remote *r, const struct enroll_req *q)
{
	if (r->password == NULL)
		return true;
	if (q->password == NULL)
		return false;
	if (q->password_len != r->password_len) {
		(void)CRYPTO_memcmp(r->password, r->password, r->password_len);
		return false;
	}
	return CRYPTO_memcmp(q->password, r->password, r->password_len) == 0;
}

/* Refuse the request: log "enrollment from ADDR refused: why", answer ERROR. */
static void enroll_refuse(struct remote *r, struct remote__conn *c, const char *why)
{
	vg_log_warn("enrollment from %s refused: %s", c->addr, why);
	remote__error(r, c, why);
}

/* Checks that write nothing; *force when a stale agent of that name goes. */
static bool enroll_check(struct remote *r, struct remote__conn *c, const struct enroll_req *q,
			 bool *force)
{
	struct vg_err e = VG_ERR_INIT;
	struct reg_agent a;
	char msg[VG_ERR_MSG_MAX + 64];

	*force = false;
	if (!password_ok(r, q)) {
		enroll_refuse(r, c,
			      q->password == NULL ? "a password is required" : "invalid password");
		return false;
	}
	if (reg_check_name(q->name, &e) != 0 ||
	    (q->groups != NULL && reg_check_groups(q->groups, &e) != 0)) {
		enroll_refuse(r, c, e.msg);
		return false;
	}
	int rc = reg_find_name(r->reg, q->name, &a, &e);
	if (rc == 0 && a.status == REG_ACTIVE) {
		snprintf(msg, sizeof(msg),
			 "agent name '%s' is already enrolled as %s, which is active: remove it "
			 "first (vigie agents remove %s)",
			 q->name, a.id, a.id);
		enroll_refuse(r, c, msg);
		return false;
	}
	if (rc != 0 && rc != VG_ENOTFOUND) {
		vg_log_error("enrollment from %s: %s", c->addr, e.msg);
		remote__error(r, c, "manager error: try again later");
		return false;
	}
	*force = rc == 0;
	if (*force)
		vg_log_info("enrollment of '%s' from %s replaces agent %s", q->name, c->addr, a.id);
	return true;
}

static void enrolled(struct remote *r, struct remote__conn *c, const char *id, const char *name,
		     const char *cert)
{
	struct vg_buf text = VG_BUF_INIT(VG_WIRE_CONTROL_MAX);
	json_t *j =
	    json_pack("{s:s,s:s,s:s,s:s}", "id", id, "name", name, "cert", cert, "ca", r->ca_pem);

	if (j == NULL || vg_json_dump(&text, j, NULL) != 0 ||
	    remote__send(c, VG_WIRE_ENROLLED, text.data, text.len) != 0) {
		remote__error(r, c, "manager error: answer too large");
	} else {
		vg_log_info("agent %s (%s) enrolled from %s", id, name, c->addr);
		REMOTE__COUNT(r, enrolled, 1);
		c->state = REMOTE__CLOSING; /* after ENROLLED is out */
	}
	json_decref(j);
	vg_buf_free(&text);
}

static void enroll_write(struct remote *r, struct remote__conn *c, const struct enroll_req *q,
			 bool force)
{
	struct vg_err e = VG_ERR_INIT;
	char id[REG_ID_TEXT] = "";
	char serial[VG_PKI_SERIAL_MAX];
	char *cert = NULL;
	const char *ip = r->auth.use_source_ip ? c->addr : "any";
	int rc = reg_enroll(r->reg, q->name, ip, q->groups, q->version, force, id, &e);

	if (rc != 0) {
		enroll_refuse(r, c, e.msg);
		return;
	}
	rc = vg_pki_sign_agent(r->ca, q->csr, q->csr_len, id, 0, &cert, serial, &e);
	if (rc == 0)
		rc = reg_add_serial(r->reg, id, serial, &e);
	if (rc != 0) {
		struct vg_err e2 = VG_ERR_INIT;
		if (reg_remove(r->reg, id, NULL, &e2) != 0)
			vg_log_error("agent %s left without certificate: %s", id, e2.msg);
		enroll_refuse(r, c, e.msg);
	} else {
		enrolled(r, c, id, q->name, cert);
	}
	vg_free(cert);
}

void remote__enroll(struct remote *r, struct remote__conn *c)
{
	struct enroll_req q;
	json_error_t je;
	json_t *j = NULL;
	const char *why = NULL;
	bool force = false;
	char msg[64];

	if (c->h.type != VG_WIRE_ENROLL) {
		snprintf(msg, sizeof(msg), "expected ENROLL, got %s", vg_wire_type_name(c->h.type));
		enroll_refuse(r, c, msg);
		return;
	}
	j = json_loadb(c->in.data != NULL ? c->in.data : "", c->in.len, JSON_REJECT_DUPLICATES,
		       &je);
	if (!json_is_object(j))
		enroll_refuse(r, c, "ENROLL: not a JSON object");
	else if (!enroll_parse(j, &q, &why))
		enroll_refuse(r, c, why);
	else if (enroll_check(r, c, &q, &force))
		enroll_write(r, c, &q, force);
	/* the request held the password: wipe it before the buffer is reused */
	if (c->in.data != NULL)
		OPENSSL_cleanse(c->in.data, c->in.len);
	json_decref(j);
}
