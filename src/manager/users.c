/*
 * users.c - The dashboard's users and their scrypt hashes (see users.h).
 *
 * Reading: the file is opened without following links, judged by fstat on
 * the open descriptor (regular, 0600-ish, capped size), parsed whole into a
 * fresh list, and only then swapped in, so a reader never sees a half-parsed
 * list. The stamp (device, inode, size, mtime, ctime) of what was read is
 * kept; users_check compares it with an lstat of the path to know when to
 * reload.
 *
 * Writing: a lock file (dashboard.users.lock, flock) serialises writers in
 * any process; the new contents go to a mkostemp file in HOME/etc that is
 * fsynced and renamed over the old one, then the directory is fsynced.
 * Comments and other users' lines are kept byte for byte.
 *
 * Timing: an unknown user, an unusable name or an out-of-bounds password is
 * checked against a dummy record with the default parameters and a random
 * salt, so every users_check does one scrypt with the same cost.
 *
 * Threads: one mutex per struct users guards the list and the stamps; it is
 * released before the scrypt (the record is copied out), so logins on
 * several threads hash in parallel.
 */
#define OPENSSL_NO_DEPRECATED
#include "manager/users.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hmap.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define US_N_DEFAULT 32768u /* 2^15: about 32 MiB and 50-100 ms per hash */
#define US_R_DEFAULT 8u
#define US_P_DEFAULT 1u
#define US_N_MAX (1u << 20)
#define US_R_MAX 32u
#define US_P_MAX 16u
#define US_MEM_MAX (256u * 1024 * 1024) /* 128 * N * r: refuse a hash costlier */
#define US_SALT_LEN 16
#define US_KEY_LEN 32
#define US_BYTES_MIN 8  /* least salt or key decoded from a file */
#define US_BYTES_MAX 64 /* most salt or key decoded from a file */
#define US_FILE_MAX (4u * 1024 * 1024)
#define US_LINE_MAX 512 /* one formatted line, generously */
#define US_PREFIX "$scrypt$"
#define US_GEN_ALPHABET "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
#define US_LOCK_SUFFIX ".lock"

/* One user's hash and its parameters. */
struct us_rec {
	char name[USERS_NAME_MAX + 1];
	uint64_t n;
	uint32_t r, p;
	unsigned char salt[US_BYTES_MAX];
	size_t salt_len;
	unsigned char key[US_BYTES_MAX];
	size_t key_len;
	uint64_t stamp; /* rec_stamp, computed when the file is read */
};

/* A parsed file: records and a name -> index + 1 map. */
struct us_list {
	struct us_rec *recs;
	size_t n;
	struct vg_hmap *by_name;
};

/* What identifies one version of the file. */
struct us_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct users {
	pthread_mutex_t mu;
	char *path;
	struct us_list list;
	struct us_rec dummy; /* the default cost, random salt and key */
	struct us_stamp loaded;
	struct us_stamp failed; /* a version that did not load: logged once */
	bool has_failed;
	bool missing_logged;
};

/* ------------------------------------------------------------------------ */
/* Base64 and the hash text                                                  */

/* Strict padded base64 of US_BYTES_MIN..US_BYTES_MAX bytes into out. */
static bool b64_decode(const char *s, size_t len, unsigned char *out, size_t *n)
{
	return vg_base64_decode(s, len, out, US_BYTES_MAX, n) == 0 && *n >= US_BYTES_MIN;
}

/* Append "$scrypt$N=..,r=..,p=..$SALT$KEY" for rec to b. */
static int hash_format(struct vg_buf *b, const struct us_rec *rec)
{
	unsigned char enc[(US_BYTES_MAX + 2) / 3 * 4 + 1];

	int rc = vg_buf_printf(b, "%sN=%" PRIu64 ",r=%" PRIu32 ",p=%" PRIu32 "$", US_PREFIX, rec->n,
			       rec->r, rec->p);
	if (rc == 0) {
		EVP_EncodeBlock(enc, rec->salt, (int)rec->salt_len);
		rc = vg_buf_printf(b, "%s$", (const char *)enc);
	}
	if (rc == 0) {
		EVP_EncodeBlock(enc, rec->key, (int)rec->key_len);
		rc = vg_buf_puts(b, (const char *)enc);
	}
	OPENSSL_cleanse(enc, sizeof(enc));
	return rc;
}

/* Parse "KEY=NUMBER" at *s up to the separator sep into *v (<= max). */
static bool param_parse(const char **s, const char *key, char sep, uint64_t max, uint64_t *v)
{
	char num[24];
	size_t klen = strlen(key);

	if (strncmp(*s, key, klen) != 0)
		return false;
	const char *start = *s + klen;
	const char *end = strchr(start, sep);
	if (end == NULL || (size_t)(end - start) >= sizeof(num))
		return false;
	memcpy(num, start, (size_t)(end - start));
	num[end - start] = '\0';
	if (vg_parse_u64(num, max, v) != 0 || *v == 0)
		return false;
	*s = end + 1;
	return true;
}

/* Parse a hash text (NUL-terminated) into rec's parameters, salt and key;
 * returns what is wrong, or NULL. */
static const char *hash_parse(const char *s, struct us_rec *rec)
{
	uint64_t n, r, p;

	if (strncmp(s, US_PREFIX, strlen(US_PREFIX)) != 0)
		return "the hash does not start with " US_PREFIX;
	s += strlen(US_PREFIX);
	if (!param_parse(&s, "N=", ',', US_N_MAX, &n) || (n & (n - 1)) != 0 || n < 2)
		return "N must be a power of two from 2 to 2^20";
	if (!param_parse(&s, "r=", ',', US_R_MAX, &r))
		return "r must be from 1 to 32";
	if (!param_parse(&s, "p=", '$', US_P_MAX, &p))
		return "p must be from 1 to 16";
	if (128 * n * r > US_MEM_MAX)
		return "N and r ask for more than 256 MiB";
	const char *dollar = strchr(s, '$');
	if (dollar == NULL || !b64_decode(s, (size_t)(dollar - s), rec->salt, &rec->salt_len))
		return "the salt is not base64 of 8 to 64 bytes";
	s = dollar + 1;
	if (!b64_decode(s, strlen(s), rec->key, &rec->key_len))
		return "the key is not base64 of 8 to 64 bytes";
	rec->n = n;
	rec->r = (uint32_t)r;
	rec->p = (uint32_t)p;
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* scrypt                                                                    */

/* Derive rec->key_len bytes from password with rec's salt and cost. */
static int scrypt_derive(const struct us_rec *rec, const char *password, size_t len,
			 unsigned char *out, struct vg_err *err)
{
	uint64_t n = rec->n, maxmem = (uint64_t)US_MEM_MAX + 1024 * 1024;
	uint32_t r = rec->r, p = rec->p;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(uintptr_t)password,
					      len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)rec->salt,
					      rec->salt_len),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
	    OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
	    OSSL_PARAM_construct_end(),
	};
	int rc = 0;

	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	if (ctx == NULL || EVP_KDF_derive(ctx, out, rec->key_len, params) != 1)
		rc = vg_err_set(err, VG_EINTERNAL, "scrypt failed");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	ERR_clear_error();
	return rc;
}

/* A record with the default cost and a fresh random salt (key unset). */
static int rec_fresh(struct us_rec *rec, struct vg_err *err)
{
	memset(rec, 0, sizeof(*rec));
	rec->n = US_N_DEFAULT;
	rec->r = US_R_DEFAULT;
	rec->p = US_P_DEFAULT;
	rec->salt_len = US_SALT_LEN;
	rec->key_len = US_KEY_LEN;
	if (RAND_bytes(rec->salt, US_SALT_LEN) != 1) {
		ERR_clear_error();
		return vg_err_set(err, VG_EINTERNAL, "no random bytes for a salt");
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Parsing a file                                                            */

static void list_free(struct us_list *l)
{
	if (l->recs != NULL)
		OPENSSL_cleanse(l->recs, l->n * sizeof(*l->recs));
	vg_free(l->recs);
	vg_hmap_free(l->by_name, NULL);
	*l = (struct us_list){0};
}

/* A digest of rec's salt and key: changes with every new password (new salt). */
static uint64_t rec_stamp(const struct us_rec *rec)
{
	unsigned char buf[2 * US_BYTES_MAX], md[EVP_MAX_MD_SIZE];
	uint64_t stamp = 0;

	memcpy(buf, rec->salt, rec->salt_len);
	memcpy(buf + rec->salt_len, rec->key, rec->key_len);
	if (EVP_Digest(buf, rec->salt_len + rec->key_len, md, NULL, EVP_sha256(), NULL) == 1)
		memcpy(&stamp, md, sizeof(stamp));
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(md, sizeof(md));
	return stamp;
}

/* Parse one user line (NUL-terminated, no newline) into rec. */
static int line_parse(const char *line, const char *path, size_t lineno, struct us_rec *rec,
		      struct vg_err *err)
{
	const char *colon = strchr(line, ':');

	memset(rec, 0, sizeof(*rec));
	if (colon == NULL)
		return vg_err_set(err, VG_EPARSE, "%s:%zu: expected NAME:HASH", path, lineno);
	size_t nlen = (size_t)(colon - line);
	if (nlen == 0 || nlen > USERS_NAME_MAX || !vg_str_is_name(line, nlen))
		return vg_err_set(err, VG_EPARSE,
				  "%s:%zu: the user name must be 1 to %d of A-Z a-z 0-9 . _ -",
				  path, lineno, USERS_NAME_MAX);
	memcpy(rec->name, line, nlen);
	rec->name[nlen] = '\0';
	const char *why = hash_parse(colon + 1, rec);
	if (why != NULL)
		return vg_err_set(err, VG_EPARSE, "%s:%zu: user %s: %s", path, lineno, rec->name,
				  why);
	return 0;
}

/* True for the lines that hold no user: empty, or a '#' comment. */
static bool line_is_blank(const char *line)
{
	return line[0] == '\0' || line[0] == '#';
}

/*
 * Call fn on each line of text (len bytes, NUL-terminated) with its number;
 * the line is NUL-terminated in a copy. Stops at fn's first failure.
 */
static int lines_each(const char *text, size_t len, const char *path,
		      int (*fn)(void *ctx, const char *line, size_t lineno, struct vg_err *err),
		      void *ctx, struct vg_err *err)
{
	char buf[US_LINE_MAX + 1];
	size_t lineno = 0;
	const char *p = text, *end = text + len;
	int rc = 0;

	while (rc == 0 && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (l > US_LINE_MAX || memchr(p, '\0', l) != NULL) {
			rc = vg_err_set(err, VG_EPARSE, "%s:%zu: line too long or holding a NUL",
					path, lineno);
			break;
		}
		memcpy(buf, p, l);
		buf[l] = '\0';
		rc = fn(ctx, buf, lineno, err);
		p += l + (nl != NULL ? 1 : 0);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

struct parse_ctx {
	const char *path;
	struct us_list *list;
};

static int parse_one(void *ctx, const char *line, size_t lineno, struct vg_err *err)
{
	struct parse_ctx *c = ctx;
	struct us_list *l = c->list;
	struct us_rec rec;

	if (line_is_blank(line))
		return 0;
	int rc = line_parse(line, c->path, lineno, &rec, err);
	if (rc != 0)
		return rc;
	if (vg_hmap_get(l->by_name, rec.name, strlen(rec.name)) != NULL)
		return vg_err_set(err, VG_EPARSE, "%s:%zu: user %s is listed twice", c->path,
				  lineno, rec.name);
	if (l->n >= USERS_MAX)
		return vg_err_set(err, VG_ETOOBIG, "%s:%zu: more than %d users", c->path, lineno,
				  USERS_MAX);
	rec.stamp = rec_stamp(&rec);
	l->recs = vg_xreallocarray(l->recs, l->n + 1, sizeof(*l->recs));
	l->recs[l->n++] = rec;
	vg_hmap_put(l->by_name, rec.name, strlen(rec.name), (void *)(uintptr_t)l->n);
	OPENSSL_cleanse(&rec, sizeof(rec));
	return 0;
}

static int list_parse(const char *text, size_t len, const char *path, struct us_list *out,
		      struct vg_err *err)
{
	struct parse_ctx c = {path, out};

	*out = (struct us_list){.by_name = vg_hmap_new()};
	int rc = lines_each(text, len, path, parse_one, &c, err);
	if (rc != 0)
		list_free(out);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading and writing the file                                              */

static struct us_stamp stamp_of(const struct stat *st)
{
	return (struct us_stamp){st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim};
}

static bool stamp_eq(const struct us_stamp *a, const struct us_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Check the open users file (fstat'ed in st): regular, not for others. */
static int file_judge(const struct stat *st, const char *path, struct vg_err *err)
{
	if (!S_ISREG(st->st_mode))
		return vg_err_set(err, VG_EPERM, "%s is not a regular file", path);
	if ((st->st_mode & 077) != 0)
		return vg_err_set(err, VG_EPERM,
				  "%s is accessible by group or others (mode %04o): chmod 600 it",
				  path, (unsigned)(st->st_mode & 07777));
	if (st->st_size > (off_t)US_FILE_MAX)
		return vg_err_set(err, VG_ETOOBIG, "%s is over %u bytes", path, US_FILE_MAX);
	return 0;
}

/* The whole users file into b, its stat into *st. */
static int file_read(const char *path, struct vg_buf *b, struct stat *st, struct vg_err *err)
{
	int rc = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return errno == ELOOP ? vg_err_set(err, VG_EPERM, "%s is a symbolic link", path)
				      : vg_err_errno(err, errno, "cannot open %s", path);
	if (fstat(fd, st) != 0)
		rc = vg_err_errno(err, errno, "cannot stat %s", path);
	if (rc == 0)
		rc = file_judge(st, path, err);
	while (rc == 0) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = vg_err_errno(err, errno, "cannot read %s", path);
		else if (n == 0)
			break;
		else if (vg_buf_append(b, chunk, (size_t)n) != 0)
			rc = vg_err_set(err, VG_ETOOBIG, "%s is over %u bytes", path, US_FILE_MAX);
	}
	close(fd);
	return rc;
}

/* Read and parse path into *out and the stamp of what was read. */
static int file_load(const char *path, struct us_list *out, struct us_stamp *stamp,
		     struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(US_FILE_MAX);
	struct stat st;

	*out = (struct us_list){0};
	int rc = file_read(path, &b, &st, err);
	if (rc == 0)
		rc = list_parse(vg_buf_cstr(&b), b.len, path, out, err);
	if (rc == 0)
		*stamp = stamp_of(&st);
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	vg_buf_free(&b);
	return rc;
}

static int fd_write_all(int fd, const char *data, size_t len, const char *path, struct vg_err *err)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vg_err_errno(err, errno, "cannot write %s", path);
		done += (size_t)n;
	}
	return 0;
}

/*
 * Replace path (in dir) by data, 0600, atomically: a unique temporary file
 * in dir, fsync, rename, fsync of dir. When prev is given (the old file's
 * stat) and we are root, the new file keeps the old one's owner.
 */
static int file_replace(const char *dir, const char *path, const char *data, size_t len,
			const struct stat *prev, struct vg_err *err)
{
	char *tmp = vg_xasprintf("%s.XXXXXX", path);
	int rc = 0;

	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = vg_err_errno(err, errno, "cannot create a temporary file for %s", path);
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		rc = vg_err_errno(err, errno, "cannot chmod %s", tmp);
	if (rc == 0 && prev != NULL && geteuid() == 0 &&
	    fchown(fd, prev->st_uid, prev->st_gid) != 0)
		rc = vg_err_errno(err, errno, "cannot chown %s", tmp);
	if (rc == 0)
		rc = fd_write_all(fd, data, len, tmp, err);
	if (rc == 0 && fsync(fd) != 0)
		rc = vg_err_errno(err, errno, "cannot sync %s", tmp);
	if (close(fd) != 0 && rc == 0)
		rc = vg_err_errno(err, errno, "cannot close %s", tmp);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = vg_err_errno(err, errno, "cannot rename %s to %s", tmp, path);
	if (rc != 0)
		unlink(tmp);
	if (rc == 0)
		rc = vg_fs_sync_dir(dir, err);
out:
	vg_free(tmp);
	return rc;
}

/* Take the writers' lock of the users file (blocking); returns the fd. */
static int lock_take(const char *path, int *fd, struct vg_err *err)
{
	char *lock = vg_xasprintf("%s%s", path, US_LOCK_SUFFIX);
	int rc = 0;

	*fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0)
		rc = vg_err_errno(err, errno, "cannot open lock file %s", lock);
	while (rc == 0 && flock(*fd, LOCK_EX) != 0) {
		if (errno != EINTR)
			rc = vg_err_errno(err, errno, "cannot lock %s", lock);
	}
	if (rc != 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	vg_free(lock);
	return rc;
}

static void lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* ------------------------------------------------------------------------ */
/* Setting a password                                                        */

static int password_usable(const char *password, struct vg_err *err)
{
	size_t len = strlen(password);
	if (len < USERS_PASSWORD_MIN)
		return vg_err_set(err, VG_EPARSE, "the password must be at least %d characters",
				  USERS_PASSWORD_MIN);
	if (len > USERS_PASSWORD_MAX)
		return vg_err_set(err, VG_EPARSE, "the password must be at most %d bytes",
				  USERS_PASSWORD_MAX);
	return 0;
}

/* "NAME:HASH" for password, freshly salted, into line. */
static int line_make(const char *name, const char *password, struct vg_buf *line,
		     struct vg_err *err)
{
	struct us_rec rec;

	int rc = rec_fresh(&rec, err);
	if (rc == 0)
		rc = scrypt_derive(&rec, password, strlen(password), rec.key, err);
	if (rc == 0 && (vg_buf_printf(line, "%s:", name) != 0 || hash_format(line, &rec) != 0))
		rc = vg_err_set(err, VG_EINTERNAL, "a hash line over %d bytes", US_LINE_MAX);
	OPENSSL_cleanse(&rec, sizeof(rec));
	return rc;
}

struct rewrite_ctx {
	const char *path;
	const char *name;
	const char *line; /* the new line for name */
	struct vg_buf *out;
	bool replaced;
};

/* Copy each line of the old file, name's replaced by the new one. */
static int rewrite_one(void *ctx, const char *line, size_t lineno, struct vg_err *err)
{
	struct rewrite_ctx *c = ctx;
	struct us_rec rec;
	const char *keep = line;

	if (!line_is_blank(line)) {
		int rc = line_parse(line, c->path, lineno, &rec, err);
		if (rc != 0)
			return rc;
		if (strcmp(rec.name, c->name) == 0) {
			keep = c->line;
			c->replaced = true;
		}
		OPENSSL_cleanse(&rec, sizeof(rec));
	}
	if (vg_buf_printf(c->out, "%s\n", keep) != 0)
		return vg_err_set(err, VG_ETOOBIG, "%s would be over %u bytes", c->path,
				  US_FILE_MAX);
	return 0;
}

/*
 * Under the writers' lock: the new contents of path with name's password
 * set, written in place of the old ones. When only_create is set and the
 * file exists, nothing is done (*skipped).
 */
static int set_locked(const char *dir, const char *path, const char *name, const char *password,
		      bool only_create, bool *skipped, struct vg_err *err)
{
	struct vg_buf old = VG_BUF_INIT(US_FILE_MAX), out = VG_BUF_INIT(US_FILE_MAX);
	struct vg_buf line = VG_BUF_INIT(US_LINE_MAX);
	struct us_list check = {0};
	struct rewrite_ctx c = {path, name, "", &out, false};
	struct vg_err rerr = VG_ERR_INIT;
	struct stat st;
	bool exists;
	int rc;

	*skipped = false;
	rc = file_read(path, &old, &st, &rerr);
	exists = rc == 0;
	if (rc == VG_ENOTFOUND)
		rc = 0;
	else if (rc != 0)
		vg_err_set(err, rc, "%s", rerr.msg);
	if (rc == 0 && exists && only_create) {
		*skipped = true;
		goto out;
	}
	if (rc == 0)
		rc = list_parse(vg_buf_cstr(&old), old.len, path, &check, err);
	if (rc == 0)
		rc = line_make(name, password, &line, err);
	c.line = vg_buf_cstr(&line);
	if (rc == 0)
		rc = lines_each(vg_buf_cstr(&old), old.len, path, rewrite_one, &c, err);
	if (rc == 0 && !c.replaced && vg_buf_printf(&out, "%s\n", vg_buf_cstr(&line)) != 0)
		rc = vg_err_set(err, VG_ETOOBIG, "%s would be over %u bytes", path, US_FILE_MAX);
	if (rc == 0)
		rc = file_replace(dir, path, vg_buf_cstr(&out), out.len, exists ? &st : NULL, err);
out:
	list_free(&check);
	vg_buf_free(&old);
	vg_buf_free(&out);
	if (line.data != NULL)
		OPENSSL_cleanse(line.data, line.len);
	vg_buf_free(&line);
	return rc;
}

/* Under the writers' lock, in HOME/etc (created when missing). */
static int set_password(const char *home, const char *name, const char *password,
			struct vg_err *err)
{
	char *dir = vg_xasprintf("%s/etc", home);
	char *path = vg_xasprintf("%s/%s", home, USERS_FILE);
	bool skipped;
	int lock = -1;

	int rc = vg_fs_mkdirs(dir, 0750, err);
	if (rc == 0)
		rc = lock_take(path, &lock, err);
	if (rc == 0)
		rc = set_locked(dir, path, name, password, false, &skipped, err);
	lock_release(lock);
	vg_free(dir);
	vg_free(path);
	return rc;
}

int users_set_password(const char *home, const char *name, const char *password, struct vg_err *err)
{
	if (!users_name_valid(name))
		return vg_err_set(err, VG_EPARSE,
				  "a user name must be 1 to %d of A-Z a-z 0-9 . _ -",
				  USERS_NAME_MAX);
	int rc = password_usable(password, err);
	if (rc == 0)
		rc = set_password(home, name, password, err);
	if (rc == 0 && strcmp(name, USERS_ADMIN) == 0) {
		char *pass = vg_xasprintf("%s/%s", home, USERS_ADMIN_PASS);
		if (unlink(pass) != 0 && errno != ENOENT)
			vg_log_warn("cannot remove %s, which holds a stale password: %s", pass,
				    strerror(errno));
		vg_free(pass);
	}
	return rc;
}

bool users_name_valid(const char *name)
{
	size_t len = strlen(name);
	return len >= 1 && len <= USERS_NAME_MAX && vg_str_is_name(name, len);
}

/* ------------------------------------------------------------------------ */
/* First start                                                               */

/* USERS_GEN_LEN characters from US_GEN_ALPHABET, uniformly (rejection). */
static int password_generate(char out[USERS_GEN_LEN + 2], struct vg_err *err)
{
	const size_t k = sizeof(US_GEN_ALPHABET) - 1;
	const unsigned limit = 256 - 256 % k; /* bytes >= limit would bias */
	unsigned char rnd[64];
	size_t have = 0;
	int rc = 0;

	while (rc == 0 && have < USERS_GEN_LEN) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			ERR_clear_error();
			rc = vg_err_set(err, VG_EINTERNAL, "no random bytes for a password");
			break;
		}
		for (size_t i = 0; i < sizeof(rnd) && have < USERS_GEN_LEN; i++)
			if (rnd[i] < limit)
				out[have++] = US_GEN_ALPHABET[rnd[i] % k];
	}
	out[have] = '\n';
	out[have + 1] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

/*
 * No users file: write the admin password file, then the users file (in
 * that order, so a crash in between leaves no user without a known
 * password: the next start starts over). Another process that created the
 * users file first wins.
 */
static int users_create(const char *home, bool *created, struct vg_err *err)
{
	char pw[USERS_GEN_LEN + 2];
	char *dir = vg_xasprintf("%s/etc", home);
	char *pass = vg_xasprintf("%s/%s", home, USERS_ADMIN_PASS);
	char *path = vg_xasprintf("%s/%s", home, USERS_FILE);
	bool skipped = true;
	int lock = -1;

	int rc = password_generate(pw, err);
	if (rc == 0)
		rc = vg_fs_mkdirs(dir, 0750, err);
	if (rc == 0)
		rc = lock_take(path, &lock, err);
	if (rc == 0 && access(path, F_OK) != 0) {
		rc = file_replace(dir, pass, pw, USERS_GEN_LEN + 1, NULL, err);
		pw[USERS_GEN_LEN] = '\0';
		if (rc == 0)
			rc = set_locked(dir, path, USERS_ADMIN, pw, true, &skipped, err);
	}
	lock_release(lock);
	*created = rc == 0 && !skipped;
	if (*created)
		vg_log_info("created dashboard user %s; its password is in %s (run 'vigie "
			    "passwd %s' to change it)",
			    USERS_ADMIN, pass, USERS_ADMIN);
	OPENSSL_cleanse(pw, sizeof(pw));
	vg_free(dir);
	vg_free(pass);
	vg_free(path);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The object                                                                */

int users_open(const char *home, struct users **out, bool *created, struct vg_err *err)
{
	struct users *u = vg_xcalloc(1, sizeof(*u));
	bool made = false;

	*out = NULL;
	if (created != NULL)
		*created = false;
	u->path = vg_xasprintf("%s/%s", home, USERS_FILE);
	pthread_mutex_init(&u->mu, NULL);
	int rc = rec_fresh(&u->dummy, err);
	if (rc == 0 && RAND_bytes(u->dummy.key, US_KEY_LEN) != 1)
		rc = vg_err_set(err, VG_EINTERNAL, "no random bytes for the dummy hash");
	if (rc == 0 && access(u->path, F_OK) != 0 && errno == ENOENT)
		rc = users_create(home, &made, err);
	if (rc == 0)
		rc = file_load(u->path, &u->list, &u->loaded, err);
	if (rc != 0) {
		ERR_clear_error();
		users_free(u);
		return rc;
	}
	if (created != NULL)
		*created = made;
	*out = u; /* transferred */
	return 0;
}

void users_free(struct users *u)
{
	if (u == NULL)
		return;
	list_free(&u->list);
	pthread_mutex_destroy(&u->mu);
	vg_free(u->path);
	vg_freezero(u, sizeof(*u));
}

/* Under u->mu: reload the file when it changed (see the top comment). */
static void users_refresh(struct users *u)
{
	struct vg_err err = VG_ERR_INIT;
	struct us_list fresh;
	struct us_stamp now, read;
	struct stat st;

	if (lstat(u->path, &st) != 0) {
		if (!u->missing_logged)
			vg_log_error("cannot stat %s: %s; keeping the %zu users loaded before",
				     u->path, strerror(errno), u->list.n);
		u->missing_logged = true;
		return;
	}
	u->missing_logged = false;
	now = stamp_of(&st);
	if (stamp_eq(&now, &u->loaded) || (u->has_failed && stamp_eq(&now, &u->failed)))
		return;
	if (file_load(u->path, &fresh, &read, &err) != 0) {
		vg_log_error("%s; keeping the %zu users loaded before", err.msg, u->list.n);
		u->failed = now;
		u->has_failed = true;
		return;
	}
	list_free(&u->list);
	u->list = fresh;
	u->loaded = read;
	u->has_failed = false;
	vg_log_info("reloaded %s: %zu users", u->path, u->list.n);
}

size_t users_count(struct users *u)
{
	pthread_mutex_lock(&u->mu);
	users_refresh(u);
	size_t n = u->list.n;
	pthread_mutex_unlock(&u->mu);
	return n;
}

int users_stamp(struct users *u, const char *name, uint64_t *stamp)
{
	uintptr_t i = 0;

	*stamp = 0;
	pthread_mutex_lock(&u->mu);
	users_refresh(u);
	if (users_name_valid(name))
		i = (uintptr_t)vg_hmap_get(u->list.by_name, name, strlen(name));
	if (i != 0)
		*stamp = u->list.recs[i - 1].stamp;
	pthread_mutex_unlock(&u->mu);
	return i != 0 ? 0 : VG_ENOTFOUND;
}

int users_check(struct users *u, const char *name, const char *password, struct vg_err *err)
{
	unsigned char key[US_BYTES_MAX];
	struct us_rec rec;
	bool real = false;
	size_t len = strlen(password);

	pthread_mutex_lock(&u->mu);
	users_refresh(u);
	rec = u->dummy;
	uintptr_t i = users_name_valid(name)
			  ? (uintptr_t)vg_hmap_get(u->list.by_name, name, strlen(name))
			  : 0;
	if (i != 0 && len >= USERS_PASSWORD_MIN && len <= USERS_PASSWORD_MAX) {
		rec = u->list.recs[i - 1];
		real = true;
	}
	pthread_mutex_unlock(&u->mu);

	/* the same work whatever failed above: only the comparison differs */
	int rc = scrypt_derive(&rec, password, len < USERS_PASSWORD_MAX ? len : USERS_PASSWORD_MAX,
			       key, err);
	if (rc == 0 && (CRYPTO_memcmp(key, rec.key, rec.key_len) != 0 || !real))
		rc = vg_err_set(err, VG_EPERM, "wrong user name or password");
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&rec, sizeof(rec));
	return rc;
}
