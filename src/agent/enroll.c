/*
 * enroll.c - The agent's side of enrollment (see enroll.h).
 *
 * The request JSON is built by jansson without the password, then the
 * password is added by hand as the last member, in the single buffer
 * append that also closes the object: a vg_buf grows by realloc, and an
 * append after the password could leave an unwiped copy of it in the freed
 * block. jansson never sees the password for the same reason (its strings
 * are freed without being wiped).
 */
#include "agent/enroll.h"

#include <jansson.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/passfile.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "lib/wire.h"

#define ENROLL_VERSION "Vigie v" VIGIE_VERSION
/* The request: name, groups, csr (<= VG_PKI_MAX_PEM, escaped) and password. */
#define ENROLL_REQ_MAX (VG_WIRE_CONTROL_MAX)
/* Worst case of one escaped password byte: \u00XX. */
#define ENROLL_PASS_ESC_MAX (VG_PASSFILE_MAX * 6 + 16)

/* ---- The request --------------------------------------------------------------- */

static char *enroll_groups(char *const *groups, size_t n)
{
	struct vg_buf b;

	/* each group is at most VG_CLIENT_GROUP_MAX: the cap holds them all */
	vg_buf_init(&b, n * (VG_CLIENT_GROUP_MAX + 1) + 1);
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && vg_buf_putc(&b, ',') != 0) || vg_buf_puts(&b, groups[i]) != 0)
			break;
	return vg_buf_take(&b);
}

/*
 * ,"password":"ESCAPED"} into out (ENROLL_PASS_ESC_MAX bytes); returns the
 * length. The caller checked the length and UTF-8 validity.
 */
static size_t enroll_pass_member(char *out, const char *pw, size_t len)
{
	static const char head[] = ",\"password\":\"";
	static const char hex[] = "0123456789abcdef";
	size_t o = sizeof(head) - 1;

	memcpy(out, head, o);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o++] = '}';
	return o;
}

/* The members other than the password, as a JSON object. */
static json_t *enroll_public_members(const struct enroll_request *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "name", json_string(r->name));
	if (r->ngroups > 0) {
		char *g = enroll_groups(r->groups, r->ngroups);
		json_object_set_new(j, "groups", json_string(g));
		vg_free(g);
	}
	json_object_set_new(j, "version", json_string(ENROLL_VERSION));
	json_object_set_new(j, "csr", json_string(r->csr));
	return j;
}

int enroll_request_json(const struct enroll_request *r, char **out, size_t *len, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(ENROLL_REQ_MAX);
	char esc[ENROLL_PASS_ESC_MAX];
	json_t *j = NULL;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (r->name == NULL || r->csr == NULL || !vg_utf8_valid(r->name, strlen(r->name)) ||
	    !vg_utf8_valid(r->csr, strlen(r->csr)))
		return vg_err_set(err, VG_EPARSE,
				  "enrollment request: a name and a CSR are needed");
	if (r->password != NULL && r->password_len > VG_PASSFILE_MAX)
		return vg_err_set(err, VG_ETOOBIG, "the enrollment password is over %d bytes",
				  VG_PASSFILE_MAX);
	if (r->password != NULL && !vg_utf8_valid(r->password, r->password_len))
		return vg_err_set(err, VG_EPARSE,
				  "the enrollment password is not valid UTF-8 (JSON cannot carry "
				  "it)");
	j = enroll_public_members(r);
	rc = vg_json_dump(&b, j, err);
	if (rc != 0)
		goto out;
	if (r->password != NULL) {
		size_t n = enroll_pass_member(esc, r->password, r->password_len);
		vg_buf_truncate(&b, b.len - 1); /* the closing brace */
		rc = vg_buf_append(&b, esc, n);
		explicit_bzero(esc, sizeof(esc));
		if (rc != 0) {
			rc =
			    vg_err_set(err, rc, "enrollment request over %u bytes", ENROLL_REQ_MAX);
			goto out;
		}
	}
	*len = b.len;
	*out = vg_buf_take(&b); /* transferred */
out:
	json_decref(j);
	if (b.data != NULL) {
		size_t n = b.cap;
		vg_freezero(vg_buf_take(&b), n);
	}
	return rc;
}

/* ---- The answer ------------------------------------------------------------------ */

static char *enroll_str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s != NULL ? vg_xstrdup(s) : NULL;
}

static int enroll_refused(json_t *j, struct vg_err *err)
{
	const char *why = json_string_value(json_object_get(j, "error"));
	char esc[200];

	if (why == NULL)
		return vg_err_set(err, VG_EPARSE,
				  "the manager answered ERROR without an \"error\" text");
	return vg_err_set(err, VG_EPERM, "the manager refused the enrollment: %s",
			  vg_escape(esc, sizeof(esc), why, strlen(why)));
}

int enroll_parse_answer(unsigned type, const void *payload, size_t len, struct enroll_answer *out,
			struct vg_err *err)
{
	json_error_t jerr;
	json_t *j = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (type != VG_WIRE_ENROLLED && type != VG_WIRE_ERROR)
		return vg_err_set(err, VG_EPARSE,
				  "the manager answered the enrollment with a %s frame",
				  vg_wire_type_name(type));
	j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		rc = vg_err_set(err, VG_EPARSE, "the manager's %s answer is not a JSON object",
				vg_wire_type_name(type));
		goto out;
	}
	if (type == VG_WIRE_ERROR) {
		rc = enroll_refused(j, err);
		goto out;
	}
	out->id = enroll_str(j, "id");
	out->name = enroll_str(j, "name");
	out->cert = enroll_str(j, "cert");
	out->ca = enroll_str(j, "ca");
	if (out->id == NULL || out->cert == NULL || out->ca == NULL)
		rc = vg_err_set(err, VG_EPARSE,
				"the manager's ENROLLED answer lacks a string id, cert or ca");
out:
	if (rc != 0)
		enroll_answer_free(out);
	json_decref(j);
	return rc;
}

void enroll_answer_free(struct enroll_answer *a)
{
	vg_free(a->id);
	vg_free(a->name);
	vg_free(a->cert);
	vg_free(a->ca);
	memset(a, 0, sizeof(*a));
}

/* ---- The exchange --------------------------------------------------------------- */

/* The request for c, with the password when its file exists. */
static int enroll_build(const struct vg_client_enrollment *e, const char *csr, char **req,
			size_t *req_len, struct vg_err *err)
{
	struct enroll_request r = {e->agent_name, e->groups, e->ngroups, NULL, 0, csr};
	char *pw = NULL;
	size_t pwlen = 0;
	struct vg_err perr = VG_ERR_INIT;
	int rc = vg_passfile_read(e->authorization_pass_path, &pw, &pwlen, &perr);

	if (rc == VG_ENOTFOUND) {
		vg_log_debug("no %s: enrolling without a password", e->authorization_pass_path);
		rc = 0;
	} else if (rc != 0) {
		return vg_err_set(err, rc, "%s", perr.msg);
	}
	r.password = pw;
	r.password_len = pwlen;
	rc = enroll_request_json(&r, req, req_len, err);
	vg_passfile_free(pw, pwlen);
	return rc;
}

/* Send the request on a new connection and read the answer frame. */
static int enroll_exchange(const struct vg_client_enrollment *e, const char *req, size_t req_len,
			   int timeout_ms, struct enroll_answer *ans, struct vg_err *err)
{
	SSL_CTX *ctx = NULL;
	struct vg_tls_conn *c = NULL;
	struct vg_buf payload = VG_BUF_INIT(VG_WIRE_CONTROL_MAX);
	struct vg_wire_hdr h;
	int rc = vg_tls_client_ctx(NULL, NULL, NULL, &ctx, err);

	if (rc == 0)
		rc = vg_tls_connect(ctx, e->manager_address, e->port, timeout_ms, &c, err);
	if (rc == 0)
		rc = vg_wire_send(c, VG_WIRE_ENROLL, 0, req, req_len, timeout_ms, err);
	if (rc == 0)
		rc = vg_wire_recv(c, VG_WIRE_CONTROL_MAX, timeout_ms, &h, &payload, err);
	if (rc == 0)
		rc = enroll_parse_answer(h.type, payload.data, payload.len, ans, err);
	vg_tls_close(c);
	SSL_CTX_free(ctx);
	vg_buf_free(&payload);
	return rc;
}

int enroll_run(const struct vg_client_conf *c, const char *etc_dir, int timeout_ms,
	       char id[VG_PKI_CN_MAX + 1], struct vg_err *err)
{
	const struct vg_client_enrollment *e = &c->enrollment;
	struct enroll_answer ans = {0};
	char got[VG_PKI_CN_MAX + 1] = "";
	char *csr = NULL, *req = NULL;
	size_t req_len = 0;
	int rc;

	if (id != NULL)
		id[0] = '\0';
	rc = vg_pki_agent_csr(etc_dir, e->agent_name, &csr, err);
	if (rc == 0)
		rc = enroll_build(e, csr, &req, &req_len, err);
	if (rc == 0)
		rc = enroll_exchange(e, req, req_len, timeout_ms, &ans, err);
	if (rc == 0)
		rc = vg_pki_agent_store(etc_dir, ans.cert, strlen(ans.cert), ans.ca, strlen(ans.ca),
					got, err);
	if (rc != 0)
		goto out;
	vg_log_info("enrolled as agent %s (%s) with %s:%u", got, e->agent_name, e->manager_address,
		    (unsigned)e->port);
	if (id != NULL)
		vg_strlcpy(id, got, VG_PKI_CN_MAX + 1);
out:
	if (req != NULL)
		vg_freezero(req, req_len);
	enroll_answer_free(&ans);
	vg_free(csr);
	return rc;
}
