/* Unit tests for src/lib/pki.c: the CA, server and agent certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/mem.h"
#include "lib/pki.h"
#include "support/support.h"

#define DAY ((time_t)86400)

/* Three homes: the manager's etc, an agent's etc, another manager's etc. */
struct fx {
	char mgr[64];
	char agent[64];
	char other[64];
};

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->mgr, sizeof(f->mgr), "/tmp/vg-pki-mgr-XXXXXX");
	snprintf(f->agent, sizeof(f->agent), "/tmp/vg-pki-agent-XXXXXX");
	snprintf(f->other, sizeof(f->other), "/tmp/vg-pki-other-XXXXXX");
	if (mkdtemp(f->mgr) == NULL || mkdtemp(f->agent) == NULL || mkdtemp(f->other) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vg_test_rmtree(f->mgr);
	vg_test_rmtree(f->agent);
	vg_test_rmtree(f->other);
	vg_free(f);
	return 0;
}

static char *path_in(const char *dir, const char *name)
{
	return vg_xasprintf("%s/%s", dir, name);
}

static char *read_in(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	char *s = vg_test_read_file(p);
	vg_free(p);
	return s;
}

static mode_t mode_of(const char *dir, const char *name)
{
	struct stat st;
	char *p = path_in(dir, name);
	assert_int_equal(stat(p, &st), 0);
	vg_free(p);
	return st.st_mode & 07777;
}

static bool exists_in(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	bool ok = access(p, F_OK) == 0;
	vg_free(p);
	return ok;
}

static X509 *pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	return x;
}

static struct vg_pki_ca *open_ca(const char *dir, bool want_created)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = NULL;
	bool created = !want_created;
	int rc = vg_pki_ca_open(dir, "testhost", &ca, &created, &err);
	if (rc != 0)
		fail_msg("vg_pki_ca_open: %s", err.msg);
	assert_true(created == want_created);
	return ca;
}

/* A CSR for key, with CN cn, signed by signer (another key: a bad signature). */
static char *csr_pem(EVP_PKEY *key, const char *cn, EVP_PKEY *signer)
{
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
				   (const unsigned char *)cn, -1, -1, 0);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, signer, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	long n = BIO_get_mem_data(bio, &p);
	char *s = vg_xstrndup(p, (size_t)n);
	BIO_free(bio);
	X509_REQ_free(req);
	return s;
}

/* Sign a fresh agent's CSR as agent id with ca; returns the cert PEM. */
static char *enroll(struct vg_pki_ca *ca, const char *agent_dir, const char *id,
		    char serial[VG_PKI_SERIAL_MAX])
{
	struct vg_err err = VG_ERR_INIT;
	char *csr = NULL, *cert = NULL;
	assert_int_equal(vg_pki_agent_csr(agent_dir, "ubuntu-jammy", &csr, &err), 0);
	if (vg_pki_sign_agent(ca, csr, strlen(csr), id, 0, &cert, serial, &err) != 0)
		fail_msg("sign: %s", err.msg);
	vg_free(csr);
	return cert;
}

/* ------------------------------------------------------------------------ */

static void test_pki__ca_created_private_and_reloaded(void **state)
{
	struct fx *f = *state;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);

	assert_int_equal(mode_of(f->mgr, VG_PKI_CA_KEY), 0600);
	assert_int_equal(mode_of(f->mgr, VG_PKI_CA_CERT), 0644);
	assert_false(exists_in(f->mgr, "ca.key.tmp"));
	X509 *x = vg_pki_ca_cert(ca);
	char cn[128];
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "Vigie CA testhost");
	assert_int_equal(X509_check_ca(x), 1);
	int crit = -1;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_int_equal(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	/* 128-bit serial; 10 years (3652 days) of validity */
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	assert_true(ASN1_STRING_length(sn) == 16);
	int days = 0, secs = 0;
	assert_int_equal(
	    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
	assert_int_equal(days, VG_PKI_CA_DAYS);
	char *pem1 = NULL;
	assert_int_equal(vg_pki_ca_cert_pem(ca, &pem1, NULL), 0);
	vg_pki_ca_free(ca);

	/* reopened, not recreated: the same certificate */
	ca = open_ca(f->mgr, false);
	char *pem2 = NULL;
	assert_int_equal(vg_pki_ca_cert_pem(ca, &pem2, NULL), 0);
	assert_string_equal(pem1, pem2);
	char *disk = read_in(f->mgr, VG_PKI_CA_CERT);
	assert_string_equal(disk, pem1);
	vg_free(disk);
	vg_free(pem1);
	vg_free(pem2);
	vg_pki_ca_free(ca);
}

static void test_pki__ca_mismatched_key_refused(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = NULL;
	vg_pki_ca_free(open_ca(f->mgr, true));
	vg_pki_ca_free(open_ca(f->other, true));

	/* the other CA's key next to our certificate */
	char *src = path_in(f->other, VG_PKI_CA_KEY);
	char *dst = path_in(f->mgr, VG_PKI_CA_KEY);
	assert_int_equal(rename(src, dst), 0);
	char *before = read_in(f->mgr, VG_PKI_CA_CERT);
	assert_int_equal(vg_pki_ca_open(f->mgr, "testhost", &ca, NULL, &err), VG_EPERM);
	assert_null(ca);
	assert_non_null(strstr(err.msg, "does not match"));
	assert_non_null(strstr(err.msg, dst));
	assert_int_equal(ERR_peek_error(), 0);
	/* nothing replaced */
	char *after = read_in(f->mgr, VG_PKI_CA_CERT);
	assert_string_equal(before, after);
	vg_free(before);
	vg_free(after);
	vg_free(src);
	vg_free(dst);
}

static void test_pki__ca_corrupt_or_unprotected_refused(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = NULL;
	vg_pki_ca_free(open_ca(f->mgr, true));
	char *key = path_in(f->mgr, VG_PKI_CA_KEY);
	char *cert = path_in(f->mgr, VG_PKI_CA_CERT);

	/* a key readable by others */
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(vg_pki_ca_open(f->mgr, "testhost", &ca, NULL, &err), VG_EPERM);
	assert_non_null(strstr(err.msg, key));
	assert_non_null(strstr(err.msg, "0640"));
	assert_int_equal(chmod(key, 0600), 0);

	/* a corrupt certificate */
	FILE *fp = fopen(cert, "w");
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", fp);
	fclose(fp);
	vg_err_clear(&err);
	assert_int_equal(vg_pki_ca_open(f->mgr, "testhost", &ca, NULL, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, cert));
	assert_int_equal(ERR_peek_error(), 0);

	/* a certificate without its key: never a new key behind its back */
	assert_int_equal(unlink(key), 0);
	vg_err_clear(&err);
	assert_int_equal(vg_pki_ca_open(f->mgr, "testhost", &ca, NULL, &err), VG_ENOTFOUND);
	assert_non_null(strstr(err.msg, key));
	assert_false(exists_in(f->mgr, VG_PKI_CA_KEY));
	assert_null(ca);
	vg_free(key);
	vg_free(cert);
}

/* A key whose certificate was never written (crash) gets certified. */
static void test_pki__ca_key_alone_is_certified(void **state)
{
	struct fx *f = *state;
	vg_pki_ca_free(open_ca(f->mgr, true));
	char *cert = path_in(f->mgr, VG_PKI_CA_CERT);
	char *key_before = read_in(f->mgr, VG_PKI_CA_KEY);
	assert_int_equal(unlink(cert), 0);
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	char *key_after = read_in(f->mgr, VG_PKI_CA_KEY);
	assert_string_equal(key_before, key_after);
	assert_true(exists_in(f->mgr, VG_PKI_CA_CERT));
	vg_pki_ca_free(ca);
	vg_free(key_before);
	vg_free(key_after);
	vg_free(cert);
}

static void test_pki__server_cert_issued_and_verifies(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	const char *names[] = {"manager.example", "192.0.2.7", "::1", "vigie"};
	bool renewed = false;

	if (vg_pki_server_ensure(ca, f->mgr, names, 4, 0, &renewed, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(renewed);
	assert_int_equal(mode_of(f->mgr, VG_PKI_SERVER_KEY), 0600);
	char *pem = read_in(f->mgr, VG_PKI_SERVER_CERT);
	X509 *x = pem_cert(pem);

	/* OpenSSL's own verifier, as the agent's TLS client would use it */
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, vg_pki_ca_cert(ca));
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, x, NULL);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);

	assert_int_equal(X509_check_host(x, "manager.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "vigie", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "192.0.2.7", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
	assert_int_equal(X509_check_host(x, "evil.example", 0, 0, NULL), 0);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_false(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	int days = 0, secs = 0;
	ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x));
	assert_int_equal(days, VG_PKI_SERVER_DAYS); /* + the 5 minutes of skew */
	assert_int_equal(secs, 300);

	/* our verifier, in the server role */
	struct vg_pki_peer peer;
	assert_int_equal(vg_pki_verify_peer(ca, x, VG_PKI_SERVER, 0, &peer, &err), 0);
	assert_string_equal(peer.cn, "manager.example");
	X509_free(x);
	vg_free(pem);
	vg_pki_ca_free(ca);
}

static void test_pki__server_cert_renewed_when_due(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	const char *names[] = {"manager.example", "192.0.2.7"};
	const char *same[] = {"192.0.2.7", "MANAGER.example", "manager.example"};
	const char *more[] = {"manager.example", "192.0.2.7", "10.0.0.1"};
	time_t t0 = 1800000000; /* 2027-01-15 */
	bool renewed = false;

	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 2, t0, &renewed, &err), 0);
	assert_true(renewed);
	char *first = read_in(f->mgr, VG_PKI_SERVER_CERT);

	/* same set of names in another order and case: kept */
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, same, 3, t0 + DAY, &renewed, &err), 0);
	assert_false(renewed);
	/* 31 days before expiry: still kept */
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 2, t0 + 699 * DAY, &renewed, &err),
			 0);
	assert_false(renewed);
	char *kept = read_in(f->mgr, VG_PKI_SERVER_CERT);
	assert_string_equal(first, kept);

	/* 29 days before expiry: renewed, valid from the injected clock on */
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 2, t0 + 701 * DAY, &renewed, &err),
			 0);
	assert_true(renewed);
	char *second = read_in(f->mgr, VG_PKI_SERVER_CERT);
	assert_string_not_equal(first, second);
	X509 *x = pem_cert(second);
	time_t t = t0 + 701 * DAY;
	assert_true(X509_cmp_time(X509_get0_notBefore(x), &t) < 0);
	X509_free(x);

	/* an address added: renewed at once */
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, more, 3, t0 + 702 * DAY, &renewed, &err),
			 0);
	assert_true(renewed);
	char *third = read_in(f->mgr, VG_PKI_SERVER_CERT);
	x = pem_cert(third);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.1", 0), 1);
	X509_free(x);
	vg_free(third);

	/* expired (clock jumped past the end): renewed */
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, more, 3, t0 + 2000 * DAY, &renewed, &err),
			 0);
	assert_true(renewed);

	/* a name that could smuggle extension syntax is refused */
	const char *bad[] = {"host,DNS:evil.example"};
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, bad, 1, 0, &renewed, &err), VG_EPARSE);
	assert_false(renewed);
	vg_free(first);
	vg_free(kept);
	vg_free(second);
	vg_pki_ca_free(ca);
}

/* A certificate from a CA that was replaced is reissued by the new one. */
static void test_pki__server_cert_from_old_ca_replaced(void **state)
{
	struct fx *f = *state;
	struct vg_pki_ca *old = open_ca(f->mgr, true);
	struct vg_pki_ca *ca = open_ca(f->other, true);
	const char *names[] = {"manager.example"};
	bool renewed = false;
	assert_int_equal(vg_pki_server_ensure(old, f->mgr, names, 1, 0, &renewed, NULL), 0);
	assert_true(renewed);
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 1, 0, &renewed, NULL), 0);
	assert_true(renewed);
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 1, 0, &renewed, NULL), 0);
	assert_false(renewed);
	vg_pki_ca_free(old);
	vg_pki_ca_free(ca);
}

static void test_pki__agent_enrolls_with_the_id_the_manager_gives(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	char serial[VG_PKI_SERIAL_MAX];
	char *csr = NULL, *cert = NULL, *ca_pem = NULL;

	/* the agent asks to be "002"; the manager makes it "001" */
	assert_int_equal(vg_pki_agent_csr(f->agent, "002", &csr, &err), 0);
	assert_non_null(strstr(csr, "BEGIN CERTIFICATE REQUEST"));
	assert_int_equal(mode_of(f->agent, VG_PKI_AGENT_KEY_NEW), 0600);
	assert_false(exists_in(f->agent, VG_PKI_AGENT_KEY));
	assert_int_equal(vg_pki_sign_agent(ca, csr, strlen(csr), "001", 0, &cert, serial, &err), 0);
	assert_int_equal(strlen(serial), 32);

	X509 *x = pem_cert(cert);
	char line[256];
	X509_NAME_oneline(X509_get_subject_name(x), line, sizeof(line));
	assert_string_equal(line, "/CN=001");
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(x), 0);
	int days = 0, secs = 0;
	ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x));
	assert_int_equal(days, VG_PKI_AGENT_DAYS);
	X509_free(x);

	/* the transport's check: id and the serial the registry stored */
	struct vg_pki_peer peer;
	assert_int_equal(
	    vg_pki_verify_peer_pem(ca, cert, strlen(cert), VG_PKI_CLIENT, 0, &peer, &err), 0);
	assert_string_equal(peer.cn, "001");
	assert_string_equal(peer.serial, serial);
	assert_true(peer.not_after > time(NULL) + 3650 * DAY);

	/* the agent stores what the manager sent */
	char id[VG_PKI_CN_MAX + 1];
	assert_int_equal(vg_pki_ca_cert_pem(ca, &ca_pem, &err), 0);
	if (vg_pki_agent_store(f->agent, cert, strlen(cert), ca_pem, strlen(ca_pem), id, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(id, "001");
	assert_int_equal(mode_of(f->agent, VG_PKI_AGENT_KEY), 0600);
	assert_false(exists_in(f->agent, VG_PKI_AGENT_KEY_NEW));
	char *stored = read_in(f->agent, VG_PKI_AGENT_CERT);
	assert_string_equal(stored, cert);

	/* and can check the manager with its copy of the CA */
	const char *names[] = {"manager.example"};
	struct vg_pki_ca *trust = NULL;
	char *trust_path = path_in(f->agent, VG_PKI_AGENT_CA);
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 1, 0, NULL, &err), 0);
	assert_int_equal(vg_pki_ca_load_trust(trust_path, &trust, &err), 0);
	char *server = read_in(f->mgr, VG_PKI_SERVER_CERT);
	assert_int_equal(
	    vg_pki_verify_peer_pem(trust, server, strlen(server), VG_PKI_SERVER, 0, &peer, &err),
	    0);
	/* a trust-only CA cannot sign */
	vg_free(cert);
	assert_int_equal(vg_pki_sign_agent(trust, csr, strlen(csr), "003", 0, &cert, serial, &err),
			 VG_EPERM);
	vg_free(server);
	vg_pki_ca_free(trust);
	vg_free(trust_path);
	vg_free(stored);
	vg_free(ca_pem);
	vg_free(csr);
	vg_free(cert);
	vg_pki_ca_free(ca);
}

static void test_pki__cert_cn_reads_the_agent_id(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	char serial[VG_PKI_SERIAL_MAX], cn[VG_PKI_CN_MAX + 1];
	char *cert = enroll(ca, f->agent, "017", serial);
	char *ca_pem = NULL;
	char *path = path_in(f->agent, VG_PKI_AGENT_CERT);

	assert_int_equal(vg_pki_cert_cn(path, cn, &err), VG_ENOTFOUND);
	vg_test_err_mentions(&err, path);
	assert_string_equal(cn, "");
	vg_err_clear(&err);
	assert_int_equal(vg_pki_ca_cert_pem(ca, &ca_pem, &err), 0);
	assert_int_equal(
	    vg_pki_agent_store(f->agent, cert, strlen(cert), ca_pem, strlen(ca_pem), NULL, &err),
	    0);
	assert_int_equal(vg_pki_cert_cn(path, cn, &err), 0);
	assert_string_equal(cn, "017");

	/* not a certificate: an error naming the file */
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", fp);
	fclose(fp);
	vg_err_clear(&err);
	assert_int_equal(vg_pki_cert_cn(path, cn, &err), VG_EPARSE);
	vg_test_err_mentions(&err, path);
	assert_int_equal(ERR_peek_error(), 0);
	vg_free(path);
	vg_free(ca_pem);
	vg_free(cert);
	vg_pki_ca_free(ca);
}

static void test_pki__agent_store_refuses_a_cert_for_another_key(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	char serial[VG_PKI_SERIAL_MAX];
	char *ca_pem = NULL, *csr = NULL;
	/* a certificate for another agent's key (f->other) */
	char *cert = enroll(ca, f->other, "001", serial);
	assert_int_equal(vg_pki_agent_csr(f->agent, "me", &csr, NULL), 0);
	assert_int_equal(vg_pki_ca_cert_pem(ca, &ca_pem, NULL), 0);
	assert_int_equal(
	    vg_pki_agent_store(f->agent, cert, strlen(cert), ca_pem, strlen(ca_pem), NULL, &err),
	    VG_EPERM);
	assert_non_null(strstr(err.msg, VG_PKI_AGENT_KEY_NEW));
	assert_false(exists_in(f->agent, VG_PKI_AGENT_KEY));
	assert_false(exists_in(f->agent, VG_PKI_AGENT_CERT));
	vg_free(csr);
	vg_free(ca_pem);
	vg_free(cert);
	vg_pki_ca_free(ca);
}

static void test_pki__verify_refuses_untrusted_expired_and_misused(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	/* same host name, so the same issuer name: only the signature differs */
	struct vg_pki_ca *other = open_ca(f->other, true);
	struct vg_pki_peer peer;
	char serial[VG_PKI_SERIAL_MAX];
	char *good = enroll(ca, f->agent, "001", serial);
	char *foreign = enroll(other, f->agent, "001", serial);

	assert_int_equal(
	    vg_pki_verify_peer_pem(ca, foreign, strlen(foreign), VG_PKI_CLIENT, 0, &peer, &err),
	    VG_EPERM);
	assert_non_null(strstr(err.msg, "refused"));
	assert_string_equal(peer.cn, "");
	assert_int_equal(ERR_peek_error(), 0);

	/* 11 years on: expired; a day before issue: not yet valid */
	vg_err_clear(&err);
	assert_int_equal(vg_pki_verify_peer_pem(ca, good, strlen(good), VG_PKI_CLIENT,
						time(NULL) + 11 * 366 * DAY, &peer, &err),
			 VG_EPERM);
	assert_non_null(strstr(err.msg, "expired"));
	vg_err_clear(&err);
	assert_int_equal(vg_pki_verify_peer_pem(ca, good, strlen(good), VG_PKI_CLIENT,
						time(NULL) - DAY, &peer, &err),
			 VG_EPERM);
	assert_non_null(strstr(err.msg, "not yet valid"));
	/* within its life, with an injected clock: fine */
	assert_int_equal(vg_pki_verify_peer_pem(ca, good, strlen(good), VG_PKI_CLIENT,
						time(NULL) + 9 * 365 * DAY, &peer, &err),
			 0);

	/* an agent certificate is not a server certificate */
	assert_int_equal(
	    vg_pki_verify_peer_pem(ca, good, strlen(good), VG_PKI_SERVER, 0, &peer, NULL),
	    VG_EPERM);
	/* the server's certificate cannot act as an agent, nor can the CA's */
	const char *names[] = {"manager.example"};
	assert_int_equal(vg_pki_server_ensure(ca, f->mgr, names, 1, 0, NULL, NULL), 0);
	char *server = read_in(f->mgr, VG_PKI_SERVER_CERT);
	assert_int_equal(
	    vg_pki_verify_peer_pem(ca, server, strlen(server), VG_PKI_CLIENT, 0, &peer, NULL),
	    VG_EPERM);
	assert_int_equal(vg_pki_verify_peer(ca, vg_pki_ca_cert(ca), VG_PKI_CLIENT, 0, &peer, NULL),
			 VG_EPERM);
	assert_int_equal(vg_pki_verify_peer(ca, NULL, VG_PKI_CLIENT, 0, &peer, NULL), VG_EPERM);
	vg_free(server);
	vg_free(good);
	vg_free(foreign);
	vg_pki_ca_free(other);
	vg_pki_ca_free(ca);
}

static void test_pki__garbage_csr_refused_cleanly(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	char serial[VG_PKI_SERIAL_MAX] = "x";
	char *cert = (char *)"x";
	char *csr = NULL;
	assert_int_equal(vg_pki_agent_csr(f->agent, "a", &csr, NULL), 0);

	/* over the cap: refused before parsing */
	char *big = vg_xmalloc(VG_PKI_MAX_PEM + 2);
	memset(big, 'A', VG_PKI_MAX_PEM + 1);
	big[VG_PKI_MAX_PEM + 1] = '\0';
	assert_int_equal(
	    vg_pki_sign_agent(ca, big, VG_PKI_MAX_PEM + 1, "001", 0, &cert, serial, &err),
	    VG_ETOOBIG);
	assert_null(cert);
	assert_string_equal(serial, "");

	const char *junk[] = {
	    "hello",
	    "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
	    ("-----BEGIN CERTIFICATE REQUEST-----\nMIIBADCBpwIBADBF\n"
	     "-----END CERTIFICATE REQUEST-----\n"),
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		vg_err_clear(&err);
		assert_int_equal(
		    vg_pki_sign_agent(ca, junk[i], strlen(junk[i]), "001", 0, &cert, serial, &err),
		    VG_EPARSE);
		assert_int_equal(ERR_peek_error(), 0);
	}
	/* truncated, empty, and a certificate where a CSR belongs */
	assert_int_equal(vg_pki_sign_agent(ca, csr, strlen(csr) / 2, "001", 0, &cert, serial, NULL),
			 VG_EPARSE);
	assert_int_equal(vg_pki_sign_agent(ca, "", 0, "001", 0, &cert, serial, NULL), VG_EPARSE);
	char *ca_pem = NULL;
	assert_int_equal(vg_pki_ca_cert_pem(ca, &ca_pem, NULL), 0);
	assert_int_equal(
	    vg_pki_sign_agent(ca, ca_pem, strlen(ca_pem), "001", 0, &cert, serial, NULL),
	    VG_EPARSE);
	/* a bad agent id from the caller */
	assert_int_equal(vg_pki_sign_agent(ca, csr, strlen(csr), "../1", 0, &cert, serial, NULL),
			 VG_EPARSE);
	/* the verifier's PEM parser has the same cap */
	struct vg_pki_peer peer;
	assert_int_equal(
	    vg_pki_verify_peer_pem(ca, big, VG_PKI_MAX_PEM + 1, VG_PKI_CLIENT, 0, &peer, NULL),
	    VG_ETOOBIG);
	assert_int_equal(vg_pki_verify_peer_pem(ca, "hello", 5, VG_PKI_CLIENT, 0, &peer, NULL),
			 VG_EPARSE);
	vg_free(ca_pem);
	vg_free(big);
	vg_free(csr);
	vg_pki_ca_free(ca);
}

static void test_pki__csr_bad_signature_or_weak_key_refused(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_pki_ca *ca = open_ca(f->mgr, true);
	char serial[VG_PKI_SERIAL_MAX];
	char *cert = NULL;
	EVP_PKEY *k1 = EVP_EC_gen("P-256");
	EVP_PKEY *k2 = EVP_EC_gen("P-256");

	/* the key of k1, signed by k2: whoever sent it does not hold k1 */
	char *forged = csr_pem(k1, "001", k2);
	assert_int_equal(
	    vg_pki_sign_agent(ca, forged, strlen(forged), "001", 0, &cert, serial, &err), VG_EPERM);
	assert_non_null(strstr(err.msg, "self-signature"));
	assert_null(cert);
	assert_int_equal(ERR_peek_error(), 0);

	/* RSA-1024 and P-224 are too weak; RSA-2048 and Ed25519 are fine */
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024);
	EVP_PKEY *p224 = EVP_EC_gen("P-224");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *weak1 = csr_pem(rsa1024, "a", rsa1024);
	char *weak2 = csr_pem(p224, "a", p224);
	vg_err_clear(&err);
	assert_int_equal(vg_pki_sign_agent(ca, weak1, strlen(weak1), "001", 0, &cert, serial, &err),
			 VG_EPERM);
	assert_non_null(strstr(err.msg, "1024"));
	vg_err_clear(&err);
	assert_int_equal(vg_pki_sign_agent(ca, weak2, strlen(weak2), "001", 0, &cert, serial, &err),
			 VG_EPERM);
	assert_non_null(strstr(err.msg, "secp224r1"));

	X509_REQ *req = X509_REQ_new();
	X509_REQ_set_pubkey(req, ed);
	X509_REQ_sign(req, ed, NULL);
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(bio, req);
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	assert_int_equal(vg_pki_sign_agent(ca, p, (size_t)n, "004", 0, &cert, serial, &err), 0);
	struct vg_pki_peer peer;
	assert_int_equal(
	    vg_pki_verify_peer_pem(ca, cert, strlen(cert), VG_PKI_CLIENT, 0, &peer, &err), 0);
	assert_string_equal(peer.cn, "004");
	vg_free(cert);
	BIO_free(bio);
	X509_REQ_free(req);

	vg_free(weak1);
	vg_free(weak2);
	vg_free(forged);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(p224);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	vg_pki_ca_free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pki__ca_created_private_and_reloaded, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pki__ca_mismatched_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__ca_corrupt_or_unprotected_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pki__ca_key_alone_is_certified, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__server_cert_issued_and_verifies, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pki__server_cert_renewed_when_due, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pki__server_cert_from_old_ca_replaced, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pki__agent_enrolls_with_the_id_the_manager_gives,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__cert_cn_reads_the_agent_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__agent_store_refuses_a_cert_for_another_key,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__verify_refuses_untrusted_expired_and_misused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__garbage_csr_refused_cleanly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pki__csr_bad_signature_or_weak_key_refused, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
