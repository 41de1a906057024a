/*
 * pki.c - Vigie's certificate authority (see pki.h and docs/pki.md).
 *
 * Built on OpenSSL 3's EVP/X509 API only; OPENSSL_NO_DEPRECATED below makes
 * a deprecated call a compile error. Keys are ECDSA P-256: small, fast to
 * generate and sign with, accepted by every TLS 1.3 stack.
 *
 * Invariants: a private key only ever exists on disk as a 0600 file created
 * with O_EXCL and moved into place by rename (or link, when an existing file
 * must never be replaced: the CA key); private key PEM in memory lives in
 * OpenSSL secure-memory BIOs or in buffers wiped with vg_freezero. Names that
 * come from configuration go into certificates as typed ASN.1 values, never
 * through OpenSSL's config-string parser, so a comma in a host name cannot
 * add an extension. Every failure empties OpenSSL's error queue.
 *
 * Threads: struct vg_pki_ca is immutable after open (the X509_STORE does
 * its own locking), so signing and verifying need no lock.
 */
#define OPENSSL_NO_DEPRECATED
#include "lib/pki.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/hostname.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "lib/tls.h"

struct vg_pki_ca {
	X509 *cert;
	EVP_PKEY *key; /* NULL for a trust-only CA (the agent's copy) */
	X509_STORE *store;
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/* Record a failure with OpenSSL's last reason appended, and empty the
 * thread's error queue so it cannot leak into a later TLS call. */
/* Refuse to prompt on the terminal for the passphrase of an encrypted key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */

/*
 * Read a whole PEM file of at most VG_PKI_MAX_PEM bytes into a fresh
 * NUL-terminated buffer (*out, *len; free with vg_freezero(*out, *len + 1)).
 * A secret must not be readable by group or others.
 */
static int read_pem_file(const char *path, bool secret, char **out, size_t *len, struct vg_err *err)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0, want = 0;
	int rc = 0;

	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vg_err_errno(err, errno, "cannot open %s", path);
	if (fstat(fd, &st) != 0) {
		rc = vg_err_errno(err, errno, "cannot stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = vg_err_set(err, VG_EPARSE, "%s is not a regular file", path);
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		rc = vg_err_set(err, VG_EPERM,
				"private key %s is accessible by group or others (mode %04o): "
				"chmod 600 it",
				path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > VG_PKI_MAX_PEM) {
		rc = vg_err_set(err, VG_ETOOBIG, "%s is over %d bytes", path, VG_PKI_MAX_PEM);
		goto out;
	}
	want = (size_t)st.st_size;
	data = vg_xmalloc(want + 1);
	while (got < want) {
		ssize_t n = read(fd, data + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = vg_err_errno(err, errno, "cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	data[got] = '\0';
	*out = data; /* transferred */
	*len = got;
	data = NULL;
out:
	if (data != NULL)
		vg_freezero(data, want + 1);
	close(fd);
	return rc;
}

/*
 * Write dir/name atomically with mode: a fresh name.tmp (O_EXCL, so it is
 * never readable by others even for a moment), fsync, then rename over the
 * old file, or link when replace is false so an existing file is never
 * overwritten (EEXIST is an error).
 */
static int write_atomic(const char *dir, const char *name, const void *data, size_t len,
			mode_t mode, bool replace, struct vg_err *err)
{
	char *path = vg_xasprintf("%s/%s", dir, name);
	char *tmp = vg_xasprintf("%s/%s.tmp", dir, name);
	const char *p = data;
	size_t done = 0;
	int rc = 0;

	if (unlink(tmp) != 0 && errno != ENOENT) {
		rc = vg_err_errno(err, errno, "cannot remove stale %s", tmp);
		goto out;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = vg_err_errno(err, errno, "cannot create %s", tmp);
		goto out;
	}
	if (fchmod(fd, mode) != 0) /* the umask may have taken bits off a 0644 */
		rc = vg_err_errno(err, errno, "cannot chmod %s", tmp);
	while (rc == 0 && done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = vg_err_errno(err, errno, "cannot write %s", tmp);
		else
			done += (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = vg_err_errno(err, errno, "cannot sync %s", tmp);
	if (close(fd) != 0 && rc == 0)
		rc = vg_err_errno(err, errno, "cannot close %s", tmp);
	if (rc == 0 && replace && rename(tmp, path) != 0)
		rc = vg_err_errno(err, errno, "cannot rename %s to %s", tmp, path);
	if (rc == 0 && !replace && link(tmp, path) != 0)
		rc = vg_err_errno(err, errno, "cannot create %s", path);
	if (rc != 0 || !replace)
		unlink(tmp);
	if (rc == 0)
		rc = vg_fs_sync_dir(dir, err);
out:
	vg_free(tmp);
	vg_free(path);
	return rc;
}

/* Whether path exists (anything but ENOENT counts: reading will say why). */
static bool file_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* ------------------------------------------------------------------------ */
/* PEM in memory                                                             */

/* The contents of a memory BIO as a C string (vg_free). */
static char *bio_take_string(BIO *bio)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	return vg_xstrndup(n > 0 ? p : "", n > 0 ? (size_t)n : 0);
}

static int cert_to_pem(X509 *x, char **out, struct vg_err *err)
{
	*out = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
		BIO_free(bio);
		return vg_tls_err(err, VG_EINTERNAL, "cannot encode a certificate");
	}
	*out = bio_take_string(bio);
	BIO_free(bio);
	return 0;
}

/* Write key as PKCS#8 PEM to dir/name (0600); the PEM only ever lives in a
 * secure-memory BIO, which OpenSSL wipes when freed. */
static int write_key(const char *dir, const char *name, EVP_PKEY *key, bool replace,
		     struct vg_err *err)
{
	char *p = NULL;
	int rc;
	BIO *bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(bio);
		return vg_tls_err(err, VG_EINTERNAL, "cannot encode private key %s/%s", dir, name);
	}
	long n = BIO_get_mem_data(bio, &p);
	rc = write_atomic(dir, name, p, n > 0 ? (size_t)n : 0, 0600, replace, err);
	BIO_free(bio);
	return rc;
}

static int load_key(const char *path, EVP_PKEY **out, struct vg_err *err)
{
	char *data = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = read_pem_file(path, true, &data, &len, err);
	if (rc != 0)
		return rc;
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	vg_freezero(data, len + 1);
	if (*out == NULL)
		return vg_tls_err(err, VG_EPARSE, "cannot parse private key %s", path);
	return 0;
}

/* Parse one PEM certificate of at most VG_PKI_MAX_PEM bytes; what names it. */
static int parse_cert(const char *pem, size_t len, const char *what, X509 **out, struct vg_err *err)
{
	*out = NULL;
	if (pem == NULL || len == 0)
		return vg_err_set(err, VG_EPARSE, "%s is empty", what);
	if (len > VG_PKI_MAX_PEM)
		return vg_err_set(err, VG_ETOOBIG, "%s of %zu bytes is over the %d-byte limit",
				  what, len, VG_PKI_MAX_PEM);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (*out == NULL)
		return vg_tls_err(err, VG_EPARSE, "cannot parse %s", what);
	return 0;
}

static int load_cert(const char *path, X509 **out, struct vg_err *err)
{
	char *data = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = read_pem_file(path, false, &data, &len, err);
	if (rc == 0)
		rc = parse_cert(data, len, path, out, err);
	vg_free(data);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Building certificates                                                     */

/* 1..64 characters from [A-Za-z0-9._-]: agent ids and names, and what a
 * verified CN may hold (so it is safe in logs, paths and SQL). */
static bool valid_cn(const char *s, size_t len)
{
	return len <= VG_PKI_CN_MAX && vg_str_is_name(s, len);
}

static bool valid_dns(const char *s)
{
	size_t len = strlen(s);
	return len <= 253 && s[0] != '.' && s[0] != '-' && vg_str_is_name(s, len);
}

/* An ASN.1 serial as uppercase hex without leading zeros (like
 * `openssl x509 -serial`). */
static int serial_hex(const ASN1_INTEGER *ai, char out[VG_PKI_SERIAL_MAX], struct vg_err *err)
{
	out[0] = '\0';
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	int rc = 0;
	if (hex == NULL)
		rc = vg_tls_err(err, VG_EPARSE, "cannot read a certificate serial");
	else if (strlen(hex) >= VG_PKI_SERIAL_MAX)
		rc = vg_err_set(err, VG_EPERM, "certificate serial is longer than 20 bytes");
	else
		vg_strlcpy(out, hex, VG_PKI_SERIAL_MAX);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* A random 128-bit serial with the top bit set, so it is always 32 hex
 * digits (RFC 5280: positive, at most 20 bytes, unpredictable). */
static int set_random_serial(X509 *x, char serial[VG_PKI_SERIAL_MAX], struct vg_err *err)
{
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *ai = NULL;
	int rc = 0;
	if (bn == NULL || BN_rand(bn, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || X509_set_serialNumber(x, ai) != 1)
		rc = vg_tls_err(err, VG_EINTERNAL, "cannot make a random serial");
	else
		rc = serial_hex(ai, serial, err);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/* One extension from OpenSSL's textual form; only fixed strings of ours. */
static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* What a certificate to make looks like. */
struct cert_spec {
	const char *cn;
	EVP_PKEY *pub;       /* the subject's key */
	X509 *issuer;        /* NULL: self-signed */
	EVP_PKEY *sign_key;  /* the issuer's private key */
	int days;            /* validity from now */
	time_t now;          /* 0: the current time */
	const char *ku;      /* keyUsage */
	const char *eku;     /* extendedKeyUsage or NULL (the CA) */
	GENERAL_NAMES *sans; /* subjectAltName or NULL */
};

static int make_cert(const struct cert_spec *s, X509 **out, char serial[VG_PKI_SERIAL_MAX],
		     struct vg_err *err)
{
	X509V3_CTX ctx;
	time_t now = s->now != 0 ? s->now : time(NULL);
	X509 *x = X509_new();
	int rc = 0;

	*out = NULL;
	if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1)
		goto fail;
	rc = set_random_serial(x, serial, err);
	if (rc != 0)
		goto out;
	X509_NAME *subject = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn,
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, s->issuer != NULL ? X509_get_subject_name(s->issuer)
						      : subject) != 1)
		goto fail;
	/* Five minutes back: an agent whose clock is a little behind still
	 * accepts a certificate issued a moment ago. */
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -300, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), s->days, 0, &now) == NULL ||
	    X509_set_pubkey(x, s->pub) != 1)
		goto fail;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, s->issuer != NULL ? s->issuer : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints,
		    s->issuer == NULL ? "critical,CA:TRUE" : "critical,CA:FALSE") != 0 ||
	    add_ext(x, &ctx, NID_key_usage, s->ku) != 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") != 0 ||
	    (s->eku != NULL && add_ext(x, &ctx, NID_ext_key_usage, s->eku) != 0))
		goto fail;
	if (s->sans != NULL &&
	    X509_add1_ext_i2d(x, NID_subject_alt_name, s->sans, 0, X509V3_ADD_DEFAULT) != 1)
		goto fail;
	if (X509_sign(x, s->sign_key, EVP_sha256()) <= 0)
		goto fail;
	*out = x; /* transferred */
	x = NULL;
	goto out;
fail:
	rc = vg_tls_err(err, VG_EINTERNAL, "cannot make certificate for %s", s->cn);
out:
	X509_free(x);
	return rc;
}

static int gen_key(EVP_PKEY **out, struct vg_err *err)
{
	*out = EVP_EC_gen("P-256");
	if (*out == NULL)
		return vg_tls_err(err, VG_EINTERNAL, "cannot generate a P-256 key");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Subject alternative names                                                 */

static int push_name(GENERAL_NAMES *gens, int type, const void *p, size_t len)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *v = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
	if (g == NULL || v == NULL || ASN1_STRING_set(v, p, (int)len) != 1) {
		GENERAL_NAME_free(g);
		ASN1_STRING_free(v);
		return -1;
	}
	GENERAL_NAME_set0_value(g, type, v); /* transferred */
	if (sk_GENERAL_NAME_push(gens, g) <= 0) {
		GENERAL_NAME_free(g);
		return -1;
	}
	return 0;
}

/* Host names and addresses as typed GENERAL_NAMES: an IP when it parses as
 * one, else a DNS name. */
static int names_to_gens(const char *const *names, size_t n, GENERAL_NAMES **out,
			 struct vg_err *err)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int rc = 0;

	*out = NULL;
	if (gens == NULL)
		return vg_tls_err(err, VG_EINTERNAL, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char ip[16];
		const char *s = names[i] != NULL ? names[i] : "";
		int r;
		if (inet_pton(AF_INET, s, ip) == 1)
			r = push_name(gens, GEN_IPADD, ip, 4);
		else if (inet_pton(AF_INET6, s, ip) == 1)
			r = push_name(gens, GEN_IPADD, ip, 16);
		else if (valid_dns(s))
			r = push_name(gens, GEN_DNS, s, strlen(s));
		else {
			char esc[80];
			rc = vg_err_set(err, VG_EPARSE,
					"'%s' is neither a host name nor an IP address",
					vg_escape(esc, sizeof(esc), s, strlen(s)));
			break;
		}
		if (r != 0)
			rc = vg_tls_err(err, VG_EINTERNAL, "cannot encode name %s", s);
	}
	if (rc != 0) {
		GENERAL_NAMES_free(gens);
		return rc;
	}
	*out = gens; /* transferred */
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A canonical text for a set of names ("D:host\nI:7f000001\n", sorted,
 * lowercase, without duplicates), so two lists compare with strcmp. */
static char *gens_canon(const GENERAL_NAMES *gens)
{
	int n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	char **items = vg_xcalloc((size_t)n + 1, sizeof(*items));
	struct vg_buf b = VG_BUF_INIT((size_t)1 << 20);
	size_t k = 0;

	for (int i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int type = 0;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
		const unsigned char *d = ASN1_STRING_get0_data(v);
		size_t len = (size_t)ASN1_STRING_length(v);
		if (type == GEN_DNS) {
			char *s = vg_xasprintf("D:%.*s", (int)len, (const char *)d);
			for (char *c = s; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			items[k++] = s;
		} else if (type == GEN_IPADD && len <= 16) {
			char hex[33];
			vg_hex_encode(hex, d, len);
			items[k++] = vg_xasprintf("I:%s", hex);
		}
	}
	qsort(items, k, sizeof(*items), cmp_str);
	for (size_t i = 0; i < k; i++) {
		if ((i == 0 || strcmp(items[i], items[i - 1]) != 0) &&
		    vg_buf_printf(&b, "%s\n", items[i]) != 0)
			break; /* over 1 MiB of names: compares unequal, renews */
	}
	for (size_t i = 0; i < k; i++)
		vg_free(items[i]);
	vg_free(items);
	return vg_buf_take(&b);
}

/* ------------------------------------------------------------------------ */
/* The CA                                                                    */

static int ca_finish(struct vg_pki_ca *ca, const char *cert_path, struct vg_err *err)
{
	if (X509_check_ca(ca->cert) < 1)
		return vg_err_set(err, VG_EPERM, "%s is not a CA certificate", cert_path);
	ca->store = X509_STORE_new();
	if (ca->store == NULL || X509_STORE_add_cert(ca->store, ca->cert) != 1)
		return vg_tls_err(err, VG_EINTERNAL, "cannot build a store for %s", cert_path);
	return 0;
}

static int ca_make_cert(struct vg_pki_ca *ca, const char *dir, const char *hostname,
			struct vg_err *err)
{
	char serial[VG_PKI_SERIAL_MAX];
	char *host = hostname != NULL && hostname[0] != '\0' ? vg_xstrdup(hostname) : vg_hostname();
	char *pem = NULL;
	char *cn = vg_xasprintf("Vigie CA %.55s", host); /* CN is at most 64 */

	vg_free(host);
	struct cert_spec spec = {
	    .cn = cn,
	    .pub = ca->key,
	    .sign_key = ca->key,
	    .days = VG_PKI_CA_DAYS,
	    .ku = "critical,keyCertSign,cRLSign",
	};
	int rc = make_cert(&spec, &ca->cert, serial, err);
	if (rc == 0)
		rc = cert_to_pem(ca->cert, &pem, err);
	if (rc == 0)
		rc = write_atomic(dir, VG_PKI_CA_CERT, pem, strlen(pem), 0644, false, err);
	if (rc == 0)
		vg_log_info("created CA certificate %s/%s (CN \"%s\", serial %s)", dir,
			    VG_PKI_CA_CERT, cn, serial);
	vg_free(pem);
	vg_free(cn);
	return rc;
}

int vg_pki_ca_open(const char *dir, const char *hostname, struct vg_pki_ca **out, bool *created,
		   struct vg_err *err)
{
	char *key_path = vg_xasprintf("%s/%s", dir, VG_PKI_CA_KEY);
	char *cert_path = vg_xasprintf("%s/%s", dir, VG_PKI_CA_CERT);
	struct vg_pki_ca *ca = vg_xcalloc(1, sizeof(*ca));
	bool has_key = file_exists(key_path);
	bool has_cert = file_exists(cert_path);
	int rc = 0;

	*out = NULL;
	if (created != NULL)
		*created = false;
	if (!has_key && has_cert) {
		rc = vg_err_set(err, VG_ENOTFOUND,
				"CA certificate %s exists but its key %s is missing: restore the "
				"key, or move both away to make a new CA (every agent then "
				"enrolls again)",
				cert_path, key_path);
		goto out;
	}
	if (!has_key) {
		rc = gen_key(&ca->key, err);
		if (rc == 0)
			rc = write_key(dir, VG_PKI_CA_KEY, ca->key, false, err);
	} else {
		rc = load_key(key_path, &ca->key, err);
	}
	if (rc != 0)
		goto out;
	if (!has_cert) {
		/* a key alone is a creation cut short: certify it now */
		rc = ca_make_cert(ca, dir, hostname, err);
		if (rc == 0 && created != NULL)
			*created = true;
	} else {
		rc = load_cert(cert_path, &ca->cert, err);
		if (rc == 0 && X509_check_private_key(ca->cert, ca->key) != 1)
			rc = vg_tls_err(err, VG_EPERM, "CA key %s does not match certificate %s",
					key_path, cert_path);
	}
	if (rc == 0)
		rc = ca_finish(ca, cert_path, err);
	if (rc == 0) {
		*out = ca; /* transferred */
		ca = NULL;
	}
out:
	if (rc != 0)
		ERR_clear_error();
	vg_pki_ca_free(ca);
	vg_free(cert_path);
	vg_free(key_path);
	return rc;
}

int vg_pki_ca_load_trust(const char *path, struct vg_pki_ca **out, struct vg_err *err)
{
	struct vg_pki_ca *ca = vg_xcalloc(1, sizeof(*ca));
	*out = NULL;
	int rc = load_cert(path, &ca->cert, err);
	if (rc == 0)
		rc = ca_finish(ca, path, err);
	if (rc == 0) {
		*out = ca; /* transferred */
		ca = NULL;
	}
	vg_pki_ca_free(ca);
	return rc;
}

void vg_pki_ca_free(struct vg_pki_ca *ca)
{
	if (ca == NULL)
		return;
	X509_STORE_free(ca->store);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key); /* OpenSSL wipes the key material */
	vg_free(ca);
}

X509 *vg_pki_ca_cert(const struct vg_pki_ca *ca)
{
	return ca->cert;
}

int vg_pki_ca_cert_pem(const struct vg_pki_ca *ca, char **out, struct vg_err *err)
{
	return cert_to_pem(ca->cert, out, err);
}

/* ------------------------------------------------------------------------ */
/* The manager's server certificate                                          */

/*
 * Why the server certificate in dir must be (re)issued for the canonical
 * name list want at now, as a message in why; 0 when it is fine as it is.
 */
static int server_check(const struct vg_pki_ca *ca, const char *dir, const char *want, time_t now,
			struct vg_err *why)
{
	char *key_path = vg_xasprintf("%s/%s", dir, VG_PKI_SERVER_KEY);
	char *cert_path = vg_xasprintf("%s/%s", dir, VG_PKI_SERVER_CERT);
	time_t limit = now + (time_t)VG_PKI_RENEW_DAYS * 86400;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	GENERAL_NAMES *sans = NULL;
	char *have = NULL;
	int rc = load_cert(cert_path, &cert, why);
	if (rc == 0)
		rc = load_key(key_path, &key, why);
	if (rc != 0)
		goto out;
	if (X509_check_private_key(cert, key) != 1) {
		rc = vg_tls_err(why, VG_EPERM, "%s does not match %s", key_path, cert_path);
	} else if (X509_verify(cert, X509_get0_pubkey(ca->cert)) != 1) {
		rc = vg_tls_err(why, VG_EPERM, "%s is not signed by the CA", cert_path);
	} else if (X509_cmp_time(X509_get0_notAfter(cert), &limit) <= 0) {
		rc = vg_err_set(why, VG_EPERM, "%s expires within %d days", cert_path,
				VG_PKI_RENEW_DAYS);
	} else if (X509_cmp_time(X509_get0_notBefore(cert), &now) >= 0) {
		rc = vg_err_set(why, VG_EPERM, "%s is not valid yet", cert_path);
	} else {
		sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
		have = gens_canon(sans);
		if (strcmp(have, want) != 0)
			rc = vg_err_set(why, VG_EPERM, "the names in %s changed", cert_path);
	}
out:
	ERR_clear_error();
	vg_free(have);
	GENERAL_NAMES_free(sans);
	X509_free(cert);
	EVP_PKEY_free(key);
	vg_free(cert_path);
	vg_free(key_path);
	return rc;
}

static int server_issue(const struct vg_pki_ca *ca, const char *dir, const char *cn,
			GENERAL_NAMES *sans, time_t now, struct vg_err *err)
{
	char serial[VG_PKI_SERIAL_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char *pem = NULL;
	int rc = gen_key(&key, err);
	if (rc != 0)
		goto out;
	struct cert_spec spec = {
	    .cn = cn,
	    .pub = key,
	    .issuer = ca->cert,
	    .sign_key = ca->key,
	    .days = VG_PKI_SERVER_DAYS,
	    .now = now,
	    .ku = "critical,digitalSignature",
	    .eku = "serverAuth",
	    .sans = sans,
	};
	rc = make_cert(&spec, &cert, serial, err);
	if (rc == 0)
		rc = cert_to_pem(cert, &pem, err);
	/* key first: a crash in between leaves a mismatch, which reissues */
	if (rc == 0)
		rc = write_key(dir, VG_PKI_SERVER_KEY, key, true, err);
	if (rc == 0)
		rc = write_atomic(dir, VG_PKI_SERVER_CERT, pem, strlen(pem), 0644, true, err);
	if (rc == 0)
		vg_log_info("issued server certificate %s/%s (serial %s)", dir, VG_PKI_SERVER_CERT,
			    serial);
out:
	vg_free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int vg_pki_server_ensure(const struct vg_pki_ca *ca, const char *dir, const char *const *names,
			 size_t n_names, time_t now, bool *renewed, struct vg_err *err)
{
	struct vg_err why = VG_ERR_INIT;
	GENERAL_NAMES *sans = NULL;
	char *want = NULL;
	int rc = 0;

	if (renewed != NULL)
		*renewed = false;
	if (now == 0)
		now = time(NULL);
	if (ca->key == NULL) {
		rc = vg_err_set(err, VG_EPERM, "this CA has no private key: it cannot sign");
		goto out;
	}
	if (n_names == 0 || names[0] == NULL) {
		rc = vg_err_set(err, VG_EPARSE, "the server certificate needs a host name");
		goto out;
	}
	rc = names_to_gens(names, n_names, &sans, err);
	if (rc != 0)
		goto out;
	want = gens_canon(sans);
	if (server_check(ca, dir, want, now, &why) == 0)
		goto out;
	vg_log_info("server certificate: %s: issuing a new one", why.msg);
	const char *cn = strlen(names[0]) <= VG_PKI_CN_MAX ? names[0] : "Vigie manager";
	rc = server_issue(ca, dir, cn, sans, now, err);
	if (rc == 0 && renewed != NULL)
		*renewed = true;
out:
	if (rc != 0)
		ERR_clear_error();
	vg_free(want);
	GENERAL_NAMES_free(sans);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Signing agents                                                            */

/* Refuse keys weaker than P-256 or RSA-2048, and odd types (VG_EPERM). */
static int check_key_strength(EVP_PKEY *pub, struct vg_err *err)
{
	char group[64] = "";
	size_t glen = 0;
	int bits = EVP_PKEY_get_bits(pub);

	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		/* the upper bound keeps signature checks cheap */
		if (bits < 2048 || bits > 8192)
			return vg_err_set(err, VG_EPERM,
					  "RSA key of %d bits refused (2048 to 8192 accepted)",
					  bits);
		return 0;
	case EVP_PKEY_EC: {
		if (EVP_PKEY_get_group_name(pub, group, sizeof(group), &glen) != 1 ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0 &&
		     strcmp(group, "secp521r1") != 0))
			return vg_tls_err(err, VG_EPERM,
					  "EC key on curve '%s' refused (P-256, P-384, P-521 "
					  "accepted)",
					  group[0] != '\0' ? group : "explicit parameters");
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
		int ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
		EVP_PKEY_CTX_free(ctx);
		if (!ok)
			return vg_tls_err(err, VG_EPERM, "EC public key is not a valid point");
		return 0;
	}
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return 0;
	default:
		return vg_err_set(err, VG_EPERM, "key type %s refused",
				  EVP_PKEY_get0_type_name(pub) != NULL
				      ? EVP_PKEY_get0_type_name(pub)
				      : "unknown");
	}
}

/* Parse a CSR from the network: capped, PEM only, self-signature checked,
 * key strong enough. */
static int parse_csr(const char *pem, size_t len, X509_REQ **out, struct vg_err *err)
{
	X509_REQ *req = NULL;
	int rc = 0;

	*out = NULL;
	if (pem == NULL || len == 0)
		return vg_err_set(err, VG_EPARSE, "empty certificate request");
	if (len > VG_PKI_MAX_PEM)
		return vg_err_set(err, VG_ETOOBIG,
				  "certificate request of %zu bytes is over the %d-byte limit", len,
				  VG_PKI_MAX_PEM);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		req = PEM_read_bio_X509_REQ(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (req == NULL)
		return vg_tls_err(err, VG_EPARSE, "cannot parse the certificate request");
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
	if (pub == NULL)
		rc = vg_tls_err(err, VG_EPARSE, "the certificate request has no usable public key");
	if (rc == 0)
		rc = check_key_strength(pub, err);
	if (rc == 0 && X509_REQ_verify(req, pub) != 1)
		rc = vg_tls_err(err, VG_EPERM,
				"the certificate request's self-signature does not verify");
	if (rc != 0) {
		X509_REQ_free(req);
		return rc;
	}
	*out = req; /* transferred */
	return 0;
}

int vg_pki_sign_agent(const struct vg_pki_ca *ca, const char *csr_pem, size_t csr_len,
		      const char *agent_id, time_t now, char **cert_pem,
		      char serial[VG_PKI_SERIAL_MAX], struct vg_err *err)
{
	X509_REQ *req = NULL;
	X509 *cert = NULL;
	int rc = 0;

	*cert_pem = NULL;
	serial[0] = '\0';
	if (ca->key == NULL) {
		rc = vg_err_set(err, VG_EPERM, "this CA has no private key: it cannot sign");
		goto out;
	}
	if (agent_id == NULL || !valid_cn(agent_id, strlen(agent_id))) {
		rc = vg_err_set(err, VG_EPARSE, "invalid agent id");
		goto out;
	}
	rc = parse_csr(csr_pem, csr_len, &req, err);
	if (rc != 0)
		goto out;
	/* Only the key is taken from the request: the subject is ours. */
	struct cert_spec spec = {
	    .cn = agent_id,
	    .pub = X509_REQ_get0_pubkey(req),
	    .issuer = ca->cert,
	    .sign_key = ca->key,
	    .days = VG_PKI_AGENT_DAYS,
	    .now = now,
	    .ku = "critical,digitalSignature",
	    .eku = "clientAuth",
	};
	rc = make_cert(&spec, &cert, serial, err);
	if (rc == 0)
		rc = cert_to_pem(cert, cert_pem, err);
	if (rc != 0)
		serial[0] = '\0';
out:
	if (rc != 0)
		ERR_clear_error();
	X509_free(cert);
	X509_REQ_free(req);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Verifying peers                                                           */

static int peer_cn(X509 *cert, char out[VG_PKI_CN_MAX + 1], struct vg_err *err)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return vg_err_set(err, VG_EPERM, "peer certificate must have exactly one CN");
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	const char *d = (const char *)ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s);
	if (d == NULL || len <= 0 || !valid_cn(d, (size_t)len))
		return vg_err_set(err, VG_EPERM, "peer certificate CN is not a valid id");
	memcpy(out, d, (size_t)len);
	out[len] = '\0';
	return 0;
}

int vg_pki_verify_peer(const struct vg_pki_ca *ca, X509 *cert, enum vg_pki_role role, time_t now,
		       struct vg_pki_peer *out, struct vg_err *err)
{
	bool client = role == VG_PKI_CLIENT;
	X509_STORE_CTX *ctx = NULL;
	struct tm tm;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (cert == NULL) {
		rc = vg_err_set(err, VG_EPERM, "no peer certificate");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, ca->store, cert, NULL) != 1) {
		rc = vg_tls_err(err, VG_EINTERNAL, "cannot set up certificate verification");
		goto out;
	}
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_depth(param, 0); /* leaf issued by our CA, nothing between */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
	if (now != 0)
		X509_VERIFY_PARAM_set_time(param, now);
	X509_STORE_CTX_set_purpose(ctx, client ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
	if (X509_verify_cert(ctx) != 1) {
		rc = vg_err_set(err, VG_EPERM, "peer certificate refused: %s",
				X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	/* The purpose check lets a certificate without any EKU through; ours
	 * always carry one, so demand it. */
	uint32_t want = client ? XKU_SSL_CLIENT : XKU_SSL_SERVER;
	if ((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(cert) & want) == 0 || X509_check_ca(cert) != 0) {
		rc = vg_err_set(err, VG_EPERM, "peer certificate is not a %s certificate",
				client ? "client (agent)" : "server");
		goto out;
	}
	rc = peer_cn(cert, out->cn, err);
	if (rc == 0)
		rc = serial_hex(X509_get0_serialNumber(cert), out->serial, err);
	if (rc == 0 && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		out->not_after = timegm(&tm);
out:
	if (rc != 0) {
		ERR_clear_error();
		memset(out, 0, sizeof(*out));
	}
	X509_STORE_CTX_free(ctx);
	return rc;
}

int vg_pki_verify_peer_pem(const struct vg_pki_ca *ca, const char *pem, size_t len,
			   enum vg_pki_role role, time_t now, struct vg_pki_peer *out,
			   struct vg_err *err)
{
	X509 *cert = NULL;
	memset(out, 0, sizeof(*out));
	int rc = parse_cert(pem, len, "peer certificate", &cert, err);
	if (rc == 0)
		rc = vg_pki_verify_peer(ca, cert, role, now, out, err);
	X509_free(cert);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The agent's side of enrollment                                            */

static int make_csr(EVP_PKEY *key, const char *cn, char **out, struct vg_err *err)
{
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = 0;

	*out = NULL;
	if (req == NULL || bio == NULL || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
				       (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    PEM_write_bio_X509_REQ(bio, req) != 1)
		rc = vg_tls_err(err, VG_EINTERNAL, "cannot make a certificate request");
	else
		*out = bio_take_string(bio);
	BIO_free(bio);
	X509_REQ_free(req);
	return rc;
}

int vg_pki_agent_csr(const char *dir, const char *agent_name, char **csr_pem, struct vg_err *err)
{
	EVP_PKEY *key = NULL;
	int rc = 0;

	*csr_pem = NULL;
	if (agent_name == NULL || !valid_cn(agent_name, strlen(agent_name))) {
		rc = vg_err_set(err, VG_EPARSE,
				"agent name must be 1 to %d characters from A-Z a-z 0-9 . _ -",
				VG_PKI_CN_MAX);
		goto out;
	}
	rc = gen_key(&key, err);
	if (rc == 0)
		rc = write_key(dir, VG_PKI_AGENT_KEY_NEW, key, true, err);
	if (rc == 0)
		rc = make_csr(key, agent_name, csr_pem, err);
out:
	if (rc != 0)
		ERR_clear_error();
	EVP_PKEY_free(key);
	return rc;
}

int vg_pki_cert_cn(const char *path, char cn[VG_PKI_CN_MAX + 1], struct vg_err *err)
{
	X509 *cert = NULL;
	struct vg_err e = VG_ERR_INIT;

	cn[0] = '\0';
	int rc = load_cert(path, &cert, err);
	if (rc == 0 && peer_cn(cert, cn, &e) != 0)
		rc = vg_err_set(err, VG_EPERM, "%s: %s", path, e.msg);
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

int vg_pki_agent_store(const char *dir, const char *cert_pem, size_t cert_len, const char *ca_pem,
		       size_t ca_len, char id[VG_PKI_CN_MAX + 1], struct vg_err *err)
{
	char *new_path = vg_xasprintf("%s/%s", dir, VG_PKI_AGENT_KEY_NEW);
	char *key_path = vg_xasprintf("%s/%s", dir, VG_PKI_AGENT_KEY);
	struct vg_pki_ca trust = {NULL, NULL, NULL};
	struct vg_pki_peer peer;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	if (id != NULL)
		id[0] = '\0';
	rc = parse_cert(ca_pem, ca_len, "the manager's CA certificate", &trust.cert, err);
	if (rc == 0)
		rc = ca_finish(&trust, "the manager's CA certificate", err);
	if (rc == 0)
		rc = parse_cert(cert_pem, cert_len, "the agent certificate", &cert, err);
	if (rc == 0)
		rc = vg_pki_verify_peer(&trust, cert, VG_PKI_CLIENT, 0, &peer, err);
	if (rc == 0)
		rc = load_key(new_path, &key, err);
	if (rc == 0 && X509_check_private_key(cert, key) != 1)
		rc = vg_tls_err(err, VG_EPERM, "the agent certificate is not for the key in %s",
				new_path);
	if (rc == 0)
		rc = write_atomic(dir, VG_PKI_AGENT_CA, ca_pem, ca_len, 0644, true, err);
	if (rc == 0 && rename(new_path, key_path) != 0)
		rc = vg_err_errno(err, errno, "cannot rename %s to %s", new_path, key_path);
	if (rc == 0)
		rc = write_atomic(dir, VG_PKI_AGENT_CERT, cert_pem, cert_len, 0644, true, err);
	if (rc == 0 && id != NULL)
		vg_strlcpy(id, peer.cn, VG_PKI_CN_MAX + 1);
	if (rc != 0)
		ERR_clear_error();
	X509_STORE_free(trust.store);
	X509_free(trust.cert);
	X509_free(cert);
	EVP_PKEY_free(key);
	vg_free(key_path);
	vg_free(new_path);
	return rc;
}
