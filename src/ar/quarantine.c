/*
 * quarantine.c - Quarantine, remove-threat and restore without trusting the
 * path an alert names (contract and manifest fields: quarantine.h).
 *
 * Every path is first normalised lexically ("." and ".." folded, so a ".."
 * cannot climb out of a root unnoticed), matched against the roots (their
 * realpath or their configured spelling), rewritten onto the canonical root,
 * then walked from "/" one component at a time with openat(O_NOFOLLOW |
 * O_DIRECTORY). The walk never lets the kernel resolve a name, so a symlink
 * planted anywhere on the way is seen (and named in the reason) instead of
 * followed. The file is lstat'ed before it is opened (a FIFO or a device is
 * never opened at all), then opened O_NOFOLLOW | O_NONBLOCK and checked on
 * the descriptor: regular, the same inode as the lstat, the expected inode,
 * device and sha256.
 *
 * From then on the descriptor is the truth and the name is re-checked (same
 * device and inode) right after a rename and right before an unlink: what
 * is moved or removed is the file that was hashed, or the action is undone
 * and refused. The window between that last check and unlink(2) cannot be
 * closed from user space; it is one system call wide.
 *
 * The manifest is written (temp + fsync + rename, RENAME_NOREPLACE to claim
 * the id) before the content moves, so a quarantined file never lacks one;
 * a failed move removes it again.
 *
 * Threads: no shared state; any thread may call any function.
 */
#include "ar/quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fim/hash.h"
#include "fim/names.h"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define AR_MANIFEST_MAX (1024u * 1024u) /* the verdict is the big part */
#define AR_ESC_MAX 160                  /* an escaped path, so the sentence fits VG_ERR_MSG_MAX */
#define AR_COPY_BUF (64u * 1024u)
#define AR_QID_TRIES 8 /* ids are time + 12 random bits: a clash is rare */

struct ar_root {
	char *canon; /* realpath at load, or conf when it did not resolve */
	char *conf;  /* as configured (normalised) */
};

struct ar_roots {
	struct ar_root *v;
	size_t n;
};

/* A file checked against the verdict: the descriptor is what was hashed. */
struct target {
	struct vg_buf path; /* canonical, normalised */
	int dfd;            /* its directory, walked symlink-free */
	const char *name;   /* last component, inside path */
	int fd;             /* the file */
	struct stat st;
	struct fim_digests dg;
};

/* ---------------------------------------------------------------- helpers */

static void say(struct ar_outcome *o, enum ar_status s, const char *fmt, ...) VG_PRINTF(3, 4);

static void say(struct ar_outcome *o, enum ar_status s, const char *fmt, ...)
{
	va_list ap;

	o->status = s;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
}

/* The path (or its first len bytes) escaped for a reason. */
static const char *esc(char dst[AR_ESC_MAX], const char *p, size_t len)
{
	return vg_escape(dst, AR_ESC_MAX, p, len);
}

static const char *errtext(int errnum, char *buf, size_t n)
{
	/* GNU strerror_r: thread-safe, may or may not use buf. */
	return strerror_r(errnum, buf, n);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static bool hex_string(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return false;
	for (i = 0; i < len; i++) {
		if (vg_hex_digit(s[i]) < 0)
			return false;
	}
	return true;
}

static bool qid_valid(const char *qid)
{
	size_t i;

	if (!hex_string(qid, AR_QID_LEN))
		return false;
	for (i = 0; i < AR_QID_LEN; i++) {
		if (qid[i] >= 'A' && qid[i] <= 'F')
			return false;
	}
	return true;
}

/*
 * Fold "." and ".." and repeated slashes of an absolute path. Lexical on
 * purpose: the result is walked without following anything, so it names
 * exactly what will be touched.
 */
static int path_normalize(const char *in, struct vg_buf *out)
{
	const char *p = in, *end;
	char *slash;
	size_t n;

	vg_buf_reset(out);
	if (in == NULL || in[0] != '/')
		return VG_EPARSE;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			slash = out->len > 0 ? memrchr(out->data, '/', out->len) : NULL;
			if (slash != NULL)
				vg_buf_truncate(out, (size_t)(slash - out->data));
		} else if (vg_buf_putc(out, '/') != 0 || vg_buf_append(out, p, n) != 0) {
			return VG_ETOOBIG;
		}
		p = end;
	}
	if (out->len == 0 && vg_buf_putc(out, '/') != 0)
		return VG_ETOOBIG;
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy in (from offset 0, at most max bytes) to out; 0 or an errno value. */
static int copy_fd(int in, int out, uint64_t max)
{
	char *buf = vg_xmalloc(AR_COPY_BUF);
	uint64_t off = 0;
	ssize_t n;
	int e = 0;

	for (;;) {
		n = pread(in, buf, AR_COPY_BUF, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : 0;
			break;
		}
		if (off + (uint64_t)n > max) {
			e = EFBIG;
			break;
		}
		e = write_all(out, buf, (size_t)n);
		if (e != 0)
			break;
		off += (uint64_t)n;
	}
	vg_free(buf);
	return e;
}

/* Does dfd/name still name the file st describes? */
static bool same_name(int dfd, const char *name, const struct stat *st)
{
	struct stat now;

	return fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st->st_dev &&
	       now.st_ino == st->st_ino;
}

static int sha256_of(int fd, uint64_t max, struct fim_digests *dg, struct vg_err *err)
{
	struct fim_hasher *h = NULL;
	uint64_t n;
	int rc;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return vg_err_errno(err, errno, "cannot rewind");
	rc = fim_hasher_new(&h, err);
	if (rc == 0)
		rc = fim_hasher_fd(h, fd, FIM_CHECK_SUM, max, dg, &n, err);
	fim_hasher_free(h);
	return rc;
}

/* ------------------------------------------------------------------ roots */

int ar_roots_new(const struct fim_config *cfg, struct ar_roots **out, struct vg_err *err)
{
	struct vg_buf conf = VG_BUF_INIT(PATH_MAX), canon = VG_BUF_INIT(PATH_MAX);
	char real[PATH_MAX];
	struct ar_roots *r;
	size_t i;

	*out = NULL;
	if (cfg == NULL)
		return vg_err_set(err, VG_EINTERNAL, "no configuration for the monitored roots");
	r = vg_xcalloc(1, sizeof(*r));
	r->v = vg_xcalloc(cfg->ndirs > 0 ? cfg->ndirs : 1, sizeof(*r->v));
	for (i = 0; i < cfg->ndirs; i++) {
		if (path_normalize(cfg->dirs[i].path, &conf) != 0)
			continue; /* the parser only keeps absolute paths */
		/* a root missing now is kept as written: the walk still refuses
		 * any symlink on it, so nothing is assumed */
		if (realpath(vg_buf_cstr(&conf), real) == NULL || path_normalize(real, &canon) != 0)
			path_normalize(vg_buf_cstr(&conf), &canon);
		r->v[r->n].conf = vg_xstrdup(vg_buf_cstr(&conf));
		r->v[r->n].canon = vg_xstrdup(vg_buf_cstr(&canon));
		r->n++;
	}
	vg_buf_free(&conf);
	vg_buf_free(&canon);
	*out = r;
	return 0;
}

void ar_roots_free(struct ar_roots *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		vg_free(r->v[i].canon);
		vg_free(r->v[i].conf);
	}
	vg_free(r->v);
	vg_free(r);
}

/* When path is root or below it, *rest is what follows root ("" or "/..."). */
static bool path_under(const char *path, const char *root, const char **rest)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0) {
		*rest = path;
		return true;
	}
	if (strncmp(path, root, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return false;
	*rest = path + n;
	return true;
}

/* Rewrite the normalised path onto the canonical root it lies under. */
static bool roots_map(const struct ar_roots *roots, const char *norm, struct vg_buf *out)
{
	const char *rest;
	size_t i;

	for (i = 0; i < roots->n; i++) {
		const struct ar_root *rt = &roots->v[i];

		if (!path_under(norm, rt->canon, &rest) && !path_under(norm, rt->conf, &rest))
			continue;
		vg_buf_reset(out);
		if (strcmp(rt->canon, "/") != 0 && vg_buf_puts(out, rt->canon) != 0)
			return false;
		if (vg_buf_puts(out, rest) != 0 || (out->len == 0 && vg_buf_putc(out, '/') != 0))
			return false;
		return true;
	}
	return false;
}

int ar_roots_canonical(const struct ar_roots *roots, const char *path, struct vg_buf *out)
{
	struct vg_buf norm;
	int rc = VG_ENOTFOUND;

	vg_buf_init(&norm, AR_PATH_MAX);
	if (path_normalize(path, &norm) == 0 && roots_map(roots, vg_buf_cstr(&norm), out))
		rc = 0;
	vg_buf_free(&norm);
	return rc;
}

/* ------------------------------------------------------------------- walk */

/* Say why openat(dfd, name) failed, naming path[0..len). */
static void why_not(int dfd, const char *name, int errnum, const char *path, size_t len,
		    bool want_dir, struct ar_outcome *o)
{
	char e[AR_ESC_MAX], eb[128];
	struct stat st;

	esc(e, path, len);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			say(o, AR_REFUSED, "%s no longer exists", e);
		else
			say(o, AR_FAILED, "cannot open %s: %s", e, errtext(errno, eb, sizeof(eb)));
	} else if (S_ISLNK(st.st_mode) && want_dir) {
		say(o, AR_REFUSED, "%s is a symbolic link: refusing to follow it", e);
	} else if (S_ISLNK(st.st_mode)) {
		say(o, AR_REFUSED, "%s is a symbolic link", e);
	} else if (want_dir && !S_ISDIR(st.st_mode)) {
		say(o, AR_REFUSED, "%s is not a directory", e);
	} else if (!want_dir && !S_ISREG(st.st_mode)) {
		say(o, AR_REFUSED, "%s is not a regular file", e);
	} else {
		say(o, AR_FAILED, "cannot open %s: %s", e, errtext(errnum, eb, sizeof(eb)));
	}
}

/*
 * Open the directory holding path (normalised, absolute) from "/", refusing
 * any symlink on the way; *name points at the last component in path.
 */
static bool walk_parent(const char *path, int *dfd_out, const char **name, struct ar_outcome *o)
{
	const char *p = path + 1, *slash;
	char comp[NAME_MAX + 1], e[AR_ESC_MAX], eb[128];
	int dfd, next;
	size_t n;

	*dfd_out = -1;
	dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		say(o, AR_FAILED, "cannot open /: %s", errtext(errno, eb, sizeof(eb)));
		return false;
	}
	while ((slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		if (n > NAME_MAX) {
			say(o, AR_REFUSED, "%s has a component over %d bytes",
			    esc(e, path, strlen(path)), NAME_MAX);
			close(dfd);
			return false;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			why_not(dfd, comp, errno, path, (size_t)(slash - path), true, o);
			close(dfd);
			return false;
		}
		close(dfd);
		dfd = next;
		p = slash + 1;
	}
	*dfd_out = dfd;
	*name = p;
	return true;
}

/* lstat, then open without following or blocking, then the same on the fd. */
static bool open_file(struct target *t, struct ar_outcome *o)
{
	const char *path = vg_buf_cstr(&t->path);
	char e[AR_ESC_MAX], eb[128];
	struct stat st;

	if (t->name[0] == '\0' || fstatat(t->dfd, t->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode)) {
		why_not(t->dfd, t->name[0] != '\0' ? t->name : ".", errno, path, strlen(path),
			false, o);
		return false;
	}
	t->fd = openat(t->dfd, t->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (t->fd < 0) {
		why_not(t->dfd, t->name, errno, path, strlen(path), false, o);
		return false;
	}
	esc(e, path, strlen(path));
	if (fstat(t->fd, &t->st) != 0) {
		say(o, AR_FAILED, "cannot stat %s: %s", e, errtext(errno, eb, sizeof(eb)));
		return false;
	}
	if (!S_ISREG(t->st.st_mode) || t->st.st_dev != st.st_dev || t->st.st_ino != st.st_ino) {
		say(o, AR_REFUSED, "%s was replaced while being checked", e);
		return false;
	}
	return true;
}

/* The descriptor against the verdict: inode, device, sha256. */
static bool check_expect(struct target *t, const struct ar_expect *x, struct ar_outcome *o)
{
	const char *path = vg_buf_cstr(&t->path);
	struct vg_err herr = VG_ERR_INIT;
	char e[AR_ESC_MAX];
	int rc;

	esc(e, path, strlen(path));
	if (x->inode != 0 && (uint64_t)t->st.st_ino != x->inode) {
		say(o, AR_REFUSED, "%s changed since the verdict (inode %llu expected %llu)", e,
		    (unsigned long long)t->st.st_ino, (unsigned long long)x->inode);
		return false;
	}
	if (x->device != 0 && (uint64_t)t->st.st_dev != x->device) {
		say(o, AR_REFUSED, "%s changed since the verdict (device %llu expected %llu)", e,
		    (unsigned long long)t->st.st_dev, (unsigned long long)x->device);
		return false;
	}
	/* capped at the size seen: a file that keeps growing is a changed file */
	rc = sha256_of(t->fd, (uint64_t)t->st.st_size + 1, &t->dg, &herr);
	if (rc == VG_ETOOBIG) {
		say(o, AR_REFUSED, "%s changed since the verdict (it grew while hashed)", e);
		return false;
	}
	if (rc != 0) {
		say(o, AR_FAILED, "cannot read %s: %s", e, herr.msg);
		return false;
	}
	if (strcasecmp(t->dg.sha256, x->sha256) != 0) {
		say(o, AR_REFUSED,
		    "%s changed since the verdict (sha256 %.12s... expected %.12s...)", e,
		    t->dg.sha256, x->sha256);
		return false;
	}
	return true;
}

/* All the checks of quarantine.h; false with *o filled when one says no. */
static bool target_check(const struct ar_roots *roots, const char *path, const struct ar_expect *x,
			 struct target *t, struct ar_outcome *o)
{
	struct vg_buf norm = VG_BUF_INIT(AR_PATH_MAX);
	char e[AR_ESC_MAX];
	bool ok = false;

	esc(e, path, strlen(path));
	if (path_normalize(path, &norm) != 0) {
		say(o, AR_REFUSED, "%s is not an absolute path", e);
		goto out;
	}
	if (!roots_map(roots, vg_buf_cstr(&norm), &t->path)) {
		say(o, AR_REFUSED, "%s is outside the monitored directories", e);
		goto out;
	}
	ok = walk_parent(vg_buf_cstr(&t->path), &t->dfd, &t->name, o) && open_file(t, o) &&
	     check_expect(t, x, o);
out:
	vg_buf_free(&norm);
	return ok;
}

static void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	vg_buf_init(&t->path, AR_PATH_MAX);
	t->dfd = -1;
	t->fd = -1;
}

static void target_free(struct target *t)
{
	close_fd(&t->fd);
	close_fd(&t->dfd);
	vg_buf_free(&t->path);
}

/* Cleared, and "failed" until an outcome is reached: a caller that reads
 * the outcome without checking the return value never sees "done". */
static void outcome_reset(struct ar_outcome *o)
{
	memset(o, 0, sizeof(*o));
	say(o, AR_FAILED, "the action did not run");
}

static int check_args(const struct ar_expect *x, struct ar_outcome *out, struct vg_err *err)
{
	if (out == NULL)
		return vg_err_set(err, VG_EINTERNAL, "no outcome to fill");
	outcome_reset(out);
	if (x == NULL || !hex_string(x->sha256, 64))
		return vg_err_set(err, VG_EPARSE, "the expected sha256 is not 64 hex digits");
	return 0;
}

/* ------------------------------------------------------- quarantine store */

/* HOME/quarantine, 0700 and ours; created when asked. */
static int qdir_open(const char *home, bool create, int *qfd, struct vg_err *err)
{
	struct vg_buf p = VG_BUF_INIT(AR_PATH_MAX);
	struct stat st;
	int rc = 0;

	*qfd = -1;
	if (home == NULL || vg_buf_printf(&p, "%s/%s", home, AR_QUARANTINE_DIR) != 0) {
		rc = vg_err_set(err, VG_EPARSE, "HOME is missing or too long");
		goto out;
	}
	if (create && mkdir(vg_buf_cstr(&p), 0700) != 0 && errno != EEXIST) {
		rc = vg_err_errno(err, errno, "cannot create %s", vg_buf_cstr(&p));
		goto out;
	}
	*qfd = open(vg_buf_cstr(&p), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*qfd < 0) {
		rc = vg_err_errno(err, errno, "cannot open %s", vg_buf_cstr(&p));
		goto out;
	}
	if (fstat(*qfd, &st) != 0 || st.st_uid != geteuid()) {
		rc = vg_err_set(err, VG_EPERM, "%s is not owned by the running user",
				vg_buf_cstr(&p));
		goto out;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(*qfd, 0700) != 0)
		rc = vg_err_errno(err, errno, "cannot make %s private", vg_buf_cstr(&p));
out:
	if (rc != 0)
		close_fd(qfd);
	vg_buf_free(&p);
	return rc;
}

/* Microseconds since the epoch, shifted, plus 12 random bits: sortable. */
static void qid_make(char out[AR_QID_LEN + 1])
{
	struct timespec ts;
	uint16_t r = 0;
	uint64_t v;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint16_t)ts.tv_nsec;
	v = ((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u) << 12;
	snprintf(out, AR_QID_LEN + 1, "%016llx", (unsigned long long)(v | (r & 0xfffu)));
}

static void qname(char *dst, size_t n, const char *prefix, const char *qid, const char *ext)
{
	snprintf(dst, n, "%s%s%s", prefix, qid, ext);
}

/*
 * Write ID.json atomically. With claim, an existing ID.json is a clash:
 * returns 1 and leaves it alone.
 */
static int manifest_write(int qfd, const char *qid, const json_t *m, bool claim, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(AR_MANIFEST_MAX);
	char tmp[64], fin[64];
	int fd = -1, rc, e;

	qname(tmp, sizeof(tmp), ".", qid, ".json.tmp");
	qname(fin, sizeof(fin), "", qid, ".json");
	rc = vg_json_dump(&b, m, err);
	if (rc != 0 || (rc = vg_buf_putc(&b, '\n')) != 0)
		goto out;
	unlinkat(qfd, tmp, 0); /* left by a crash */
	fd = openat(qfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = vg_err_errno(err, errno, "cannot create the manifest %s", tmp);
		goto out;
	}
	e = write_all(fd, b.data, b.len);
	if (e == 0 && fsync(fd) != 0)
		e = errno;
	if (e == 0 && renameat2(qfd, tmp, qfd, fin, claim ? RENAME_NOREPLACE : 0) != 0)
		e = errno;
	if (e == EEXIST && claim) {
		rc = 1;
	} else if (e != 0) {
		rc = vg_err_errno(err, e, "cannot write the manifest %s", fin);
	} else {
		fsync(qfd);
	}
out:
	if (fd >= 0) {
		close(fd);
		if (rc != 0)
			unlinkat(qfd, tmp, 0);
	}
	vg_buf_free(&b);
	return rc;
}

static int manifest_load(int qfd, const char *qid, json_t **out, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(AR_MANIFEST_MAX);
	json_error_t je;
	char fin[64];
	void *p;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	qname(fin, sizeof(fin), "", qid, ".json");
	fd = openat(qfd, fin, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			   ? vg_err_set(err, VG_ENOTFOUND, "no quarantined file has the id %s", qid)
			   : vg_err_errno(err, errno, "cannot open the manifest %s", fin);
	for (;;) {
		if ((rc = vg_buf_extend(&b, 4096, &p)) != 0) {
			vg_err_set(err, rc, "the manifest %s is over %u bytes", fin,
				   AR_MANIFEST_MAX);
			break;
		}
		n = read(fd, p, 4096);
		if (n < 0 && errno == EINTR)
			n = 0;
		if (n < 0) {
			rc = vg_err_errno(err, errno, "cannot read the manifest %s", fin);
			break;
		}
		vg_buf_truncate(&b, b.len - 4096 + (size_t)n);
		if (n == 0)
			break;
	}
	close(fd);
	if (rc == 0) {
		*out = json_loadb(b.data != NULL ? b.data : "", b.len, 0, &je);
		if (*out == NULL || !json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			rc = vg_err_set(err, VG_EPARSE, "the manifest %s is malformed", fin);
		}
	}
	vg_buf_free(&b);
	return rc;
}

/* A user's (group's) name as a JSON string, "" when unknown. */
static json_t *name_of(bool group, uint32_t id)
{
	char *name = fim_names_lookup(group, id);
	json_t *j = vg_json_string_lossy(name, strlen(name));

	vg_free(name);
	return j;
}

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *jstr_or_null(const char *s)
{
	return s != NULL ? vg_json_string_lossy(s, strlen(s)) : json_null();
}

static json_t *manifest_new(const char *qid, const struct target *t, const struct ar_qmeta *m,
			    const char *method)
{
	const char *path = vg_buf_cstr(&t->path);
	json_t *j = json_object();
	char when[40], *hex;
	struct tm tm;
	struct timespec now;

	json_object_set_new(j, "id", json_string(qid));
	json_object_set_new(j, "path", vg_json_string_lossy(path, t->path.len));
	if (!vg_utf8_valid(path, t->path.len)) {
		/* the exact bytes, for restore: "path" had to be made UTF-8 */
		hex = vg_xmalloc(2 * t->path.len + 1);
		vg_hex_encode(hex, path, t->path.len);
		json_object_set_new(j, "path_hex", json_string(hex));
		vg_free(hex);
	}
	json_object_set_new(j, "size", jint((uint64_t)t->st.st_size));
	json_object_set_new(j, "uid", jint(t->st.st_uid));
	json_object_set_new(j, "gid", jint(t->st.st_gid));
	json_object_set_new(j, "owner", name_of(false, t->st.st_uid));
	json_object_set_new(j, "group", name_of(true, t->st.st_gid));
	json_object_set_new(j, "mode", jint(t->st.st_mode & 07777));
	json_object_set_new(j, "atime", json_integer(t->st.st_atim.tv_sec));
	json_object_set_new(j, "atime_ns", json_integer(t->st.st_atim.tv_nsec));
	json_object_set_new(j, "mtime", json_integer(t->st.st_mtim.tv_sec));
	json_object_set_new(j, "mtime_ns", json_integer(t->st.st_mtim.tv_nsec));
	json_object_set_new(j, "inode", jint(t->st.st_ino));
	json_object_set_new(j, "device", jint(t->st.st_dev));
	json_object_set_new(j, "sha256", json_string(t->dg.sha256));
	json_object_set_new(j, "md5", json_string(t->dg.md5));
	json_object_set_new(j, "sha1", json_string(t->dg.sha1));
	json_object_set_new(j, "alert_id", jstr_or_null(m != NULL ? m->alert_id : NULL));
	json_object_set_new(j, "rule_id", jstr_or_null(m != NULL ? m->rule_id : NULL));
	json_object_set_new(j, "verdict",
			    m != NULL && m->verdict != NULL ? json_deep_copy(m->verdict)
							    : json_null());
	clock_gettime(CLOCK_REALTIME, &now);
	if (gmtime_r(&now.tv_sec, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		when[0] = '\0';
	else /* milliseconds: the time from a verdict to its action is measured */
		snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
			 now.tv_nsec / 1000000);
	json_object_set_new(j, "quarantined_at", json_string(when));
	json_object_set_new(j, "method", json_string(method));
	return j;
}

/* Remove ID.bin and ID.json (whichever exist); true when one did. */
static bool qfiles_remove(int qfd, const char *qid)
{
	char bin[64], js[64];
	bool any;

	qname(bin, sizeof(bin), "", qid, ".bin");
	qname(js, sizeof(js), "", qid, ".json");
	any = unlinkat(qfd, bin, 0) == 0;
	any = (unlinkat(qfd, js, 0) == 0) || any;
	fsync(qfd);
	return any;
}

/* ------------------------------------------------------------- quarantine */

/* Same filesystem: rename, then make sure the name moved was the fd's. */
static int move_rename(struct target *t, int qfd, const char *qid, struct ar_outcome *o)
{
	char bin[64], e[AR_ESC_MAX], eb[128];

	qname(bin, sizeof(bin), "", qid, ".bin");
	esc(e, vg_buf_cstr(&t->path), t->path.len);
	if (renameat2(t->dfd, t->name, qfd, bin, RENAME_NOREPLACE) != 0) {
		if (errno == EXDEV)
			return EXDEV;
		say(o, AR_FAILED, "cannot move %s into the quarantine: %s", e,
		    errtext(errno, eb, sizeof(eb)));
		return -1;
	}
	if (!same_name(qfd, bin, &t->st)) {
		if (renameat2(qfd, bin, t->dfd, t->name, RENAME_NOREPLACE) != 0) {
			say(o, AR_FAILED,
			    "%s was replaced while being quarantined and could not be put back "
			    "(left as quarantine/%s)",
			    e, bin);
			return -2; /* keep the manifest: it tells where the file is */
		}
		say(o, AR_REFUSED, "%s was replaced while being quarantined: put back", e);
		return -1;
	}
	if (fchmod(t->fd, 0) != 0)
		vg_log_warn("cannot set mode 0000 on quarantine/%s", bin);
	fsync(qfd);
	fsync(t->dfd);
	return 0;
}

/* Other filesystem: copy the checked fd, verify, re-check the name, unlink. */
static int move_copy(struct target *t, int qfd, const char *qid, const struct ar_expect *x,
		     struct ar_outcome *o)
{
	char bin[64], e[AR_ESC_MAX], eb[128];
	struct fim_digests dg;
	struct vg_err herr = VG_ERR_INIT;
	int out, rc = -1, errnum;

	qname(bin, sizeof(bin), "", qid, ".bin");
	esc(e, vg_buf_cstr(&t->path), t->path.len);
	out = openat(qfd, bin, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (out < 0) {
		say(o, AR_FAILED, "cannot create quarantine/%s: %s", bin,
		    errtext(errno, eb, sizeof(eb)));
		return -1;
	}
	errnum = copy_fd(t->fd, out, (uint64_t)t->st.st_size);
	if (errnum == 0 && fsync(out) != 0)
		errnum = errno;
	if (errnum == EFBIG) {
		say(o, AR_REFUSED, "%s changed since the verdict (it grew while copied)", e);
	} else if (errnum != 0) {
		say(o, AR_FAILED, "cannot copy %s into the quarantine: %s", e,
		    errtext(errnum, eb, sizeof(eb)));
	} else if (sha256_of(out, (uint64_t)t->st.st_size + 1, &dg, &herr) != 0) {
		say(o, AR_FAILED, "cannot verify the copy of %s: %s", e, herr.msg);
	} else if (strcasecmp(dg.sha256, x->sha256) != 0) {
		say(o, AR_REFUSED,
		    "%s changed while being copied (sha256 %.12s... expected %.12s...)", e,
		    dg.sha256, x->sha256);
	} else if (!same_name(t->dfd, t->name, &t->st)) {
		say(o, AR_REFUSED, "%s was replaced while being quarantined: left in place", e);
	} else if (unlinkat(t->dfd, t->name, 0) != 0) {
		say(o, AR_FAILED, "cannot remove %s after copying it: %s", e,
		    errtext(errno, eb, sizeof(eb)));
	} else {
		rc = 0;
		fsync(t->dfd);
	}
	close(out);
	if (rc != 0)
		unlinkat(qfd, bin, 0);
	return rc;
}

/* Claim an id by writing its manifest; VG_E* or 0 with qid set. */
static int claim_id(int qfd, const struct target *t, const struct ar_qmeta *m, const char *method,
		    char qid[AR_QID_LEN + 1], json_t **man, struct vg_err *err)
{
	int i, rc = 1;

	*man = NULL;
	for (i = 0; i < AR_QID_TRIES && rc == 1; i++) {
		json_decref(*man);
		qid_make(qid);
		*man = manifest_new(qid, t, m, method);
		rc = manifest_write(qfd, qid, *man, true, err);
	}
	if (rc == 1)
		rc = vg_err_set(err, VG_EINTERNAL, "no free quarantine id after %d tries",
				AR_QID_TRIES);
	if (rc != 0) {
		json_decref(*man);
		*man = NULL;
	}
	return rc;
}

int ar_quarantine_file(const char *home, const struct ar_roots *roots, const char *path,
		       const struct ar_expect *e, const struct ar_qmeta *m, struct ar_outcome *out,
		       struct vg_err *err)
{
	struct vg_err merr = VG_ERR_INIT;
	struct target t;
	struct stat qst;
	char qid[AR_QID_LEN + 1];
	json_t *man = NULL;
	int qfd = -1, rc, mv;
	bool same_fs;

	target_init(&t);
	rc = check_args(e, out, err);
	if (rc != 0)
		goto out;
	if (roots == NULL || path == NULL) {
		rc = vg_err_set(err, VG_EINTERNAL, "quarantine needs roots and a path");
		goto out;
	}
	rc = qdir_open(home, true, &qfd, err);
	if (rc != 0 || !target_check(roots, path, e, &t, out))
		goto out;
	same_fs = fstat(qfd, &qst) == 0 && qst.st_dev == t.st.st_dev;
	rc = claim_id(qfd, &t, m, same_fs ? "rename" : "copy", qid, &man, err);
	if (rc != 0)
		goto out;
	mv = same_fs ? move_rename(&t, qfd, qid, out) : EXDEV;
	if (mv == EXDEV) {
		/* bind mounts share st_dev yet cannot rename across */
		json_object_set_new(man, "method", json_string("copy"));
		if (same_fs && manifest_write(qfd, qid, man, false, &merr) != 0) {
			say(out, AR_FAILED, "%s", merr.msg);
			mv = -1;
		} else {
			mv = move_copy(&t, qfd, qid, e, out);
		}
	}
	if (mv == -1)
		qfiles_remove(qfd, qid);
	if (mv != 0)
		goto out;
	say(out, AR_DONE, "%s", "");
	vg_strlcpy(out->qid, qid, sizeof(out->qid));
	out->manifest = man; /* transferred */
	man = NULL;
out:
	json_decref(man);
	close_fd(&qfd);
	target_free(&t);
	return rc;
}

int ar_remove_file(const struct ar_roots *roots, const char *path, const struct ar_expect *e,
		   struct ar_outcome *out, struct vg_err *err)
{
	struct target t;
	char es[AR_ESC_MAX], eb[128];
	int rc;

	target_init(&t);
	rc = check_args(e, out, err);
	if (rc != 0)
		goto out;
	if (roots == NULL || path == NULL) {
		rc = vg_err_set(err, VG_EINTERNAL, "remove needs roots and a path");
		goto out;
	}
	if (!target_check(roots, path, e, &t, out))
		goto out;
	esc(es, vg_buf_cstr(&t.path), t.path.len);
	if (!same_name(t.dfd, t.name, &t.st)) {
		say(out, AR_REFUSED, "%s was replaced while being checked", es);
	} else if (unlinkat(t.dfd, t.name, 0) != 0) {
		say(out, AR_FAILED, "cannot remove %s: %s", es, errtext(errno, eb, sizeof(eb)));
	} else {
		fsync(t.dfd);
		say(out, AR_DONE, "%s", "");
	}
out:
	target_free(&t);
	return rc;
}

/* ------------------------------------------------------ list, show, delete */

static int qid_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids in the quarantine directory, sorted (oldest first). */
static size_t qids_read(int qfd, char ***ids)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0, len;
	int fd = dup(qfd);

	*ids = NULL;
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len != AR_QID_LEN + 5 || strcmp(de->d_name + AR_QID_LEN, ".json") != 0)
			continue;
		*ids = vg_xreallocarray(*ids, n + 1, sizeof(**ids));
		(*ids)[n++] = vg_xstrndup(de->d_name, AR_QID_LEN);
	}
	closedir(d);
	if (n > 0)
		qsort(*ids, n, sizeof(**ids), qid_cmp);
	return n;
}

int ar_quarantine_list(const char *home, json_t **out, struct vg_err *err)
{
	struct vg_err lerr = VG_ERR_INIT;
	char **ids = NULL;
	json_t *m;
	size_t i, n = 0;
	int qfd = -1, rc;

	*out = NULL;
	rc = qdir_open(home, false, &qfd, &lerr);
	if (rc == VG_ENOTFOUND) {
		*out = json_array(); /* nothing was ever quarantined */
		return 0;
	}
	if (rc != 0)
		return vg_err_set(err, rc, "%s", lerr.msg);
	n = qids_read(qfd, &ids);
	*out = json_array();
	for (i = 0; i < n; i++) {
		vg_err_clear(&lerr);
		if (qid_valid(ids[i]) && manifest_load(qfd, ids[i], &m, &lerr) == 0)
			json_array_append_new(*out, m);
		else if (qid_valid(ids[i]))
			vg_log_warn("skipping a quarantine entry: %s", lerr.msg);
		vg_free(ids[i]);
	}
	vg_free(ids);
	close(qfd);
	return 0;
}

/* The id checked and the store opened for show, restore and delete. */
static int qopen_existing(const char *home, const char *qid, int *qfd, struct vg_err *err)
{
	struct vg_err lerr = VG_ERR_INIT;
	int rc;

	*qfd = -1;
	if (!qid_valid(qid))
		return vg_err_set(err, VG_ENOTFOUND, "a quarantine id is %d lowercase hex digits",
				  AR_QID_LEN);
	rc = qdir_open(home, false, qfd, &lerr);
	if (rc == VG_ENOTFOUND)
		return vg_err_set(err, rc, "no quarantined file has the id %s", qid);
	if (rc != 0)
		return vg_err_set(err, rc, "%s", lerr.msg);
	return 0;
}

int ar_quarantine_show(const char *home, const char *qid, json_t **out, struct vg_err *err)
{
	int qfd, rc;

	*out = NULL;
	rc = qopen_existing(home, qid, &qfd, err);
	if (rc == 0)
		rc = manifest_load(qfd, qid, out, err);
	if (rc == VG_EPARSE)
		rc = VG_ENOTFOUND; /* the contract: a malformed entry is not there */
	close_fd(&qfd);
	return rc;
}

int ar_quarantine_delete(const char *home, const char *qid, struct ar_outcome *out,
			 struct vg_err *err)
{
	struct vg_err lerr = VG_ERR_INIT;
	json_t *m = NULL;
	int qfd, rc;

	if (out == NULL)
		return vg_err_set(err, VG_EINTERNAL, "no outcome to fill");
	outcome_reset(out);
	rc = qopen_existing(home, qid, &qfd, err);
	if (rc != 0)
		goto out;
	if (manifest_load(qfd, qid, &m, &lerr) != 0)
		m = NULL; /* a broken entry can still be deleted */
	if (!qfiles_remove(qfd, qid)) {
		rc = vg_err_set(err, VG_ENOTFOUND, "no quarantined file has the id %s", qid);
		goto out;
	}
	say(out, AR_DONE, "%s", "");
	vg_strlcpy(out->qid, qid, sizeof(out->qid));
	out->manifest = m; /* transferred */
	m = NULL;
out:
	json_decref(m);
	close_fd(&qfd);
	return rc;
}

/* ---------------------------------------------------------------- restore */

struct restore {
	struct vg_buf path; /* normalised, absolute */
	uint64_t uid, gid, mode;
	struct timespec times[2]; /* atime, mtime (futimens order) */
	const char *sha256;
};

static bool jget_u64(const json_t *m, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(m, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

/* What restore needs from the manifest; false when it is unusable. */
static bool restore_read(const json_t *m, struct restore *r)
{
	const char *hex = json_string_value(json_object_get(m, "path_hex"));
	const char *path = json_string_value(json_object_get(m, "path"));
	uint64_t at = 0, atn = 0, mt = 0, mtn = 0;
	unsigned char *raw = NULL;
	size_t n = 0;
	bool ok;

	if (hex != NULL) {
		raw = vg_xmalloc(strlen(hex) / 2 + 2);
		if (vg_hex_decode(hex, raw, strlen(hex) / 2, &n) != 0 || memchr(raw, 0, n) != NULL)
			n = 0;
		raw[n] = '\0';
		path = n > 0 ? (const char *)raw : NULL;
	}
	r->sha256 = json_string_value(json_object_get(m, "sha256"));
	ok = path != NULL && path_normalize(path, &r->path) == 0 &&
	     strcmp(path, vg_buf_cstr(&r->path)) == 0 && hex_string(r->sha256, 64) &&
	     jget_u64(m, "uid", &r->uid) && jget_u64(m, "gid", &r->gid) &&
	     jget_u64(m, "mode", &r->mode) && r->uid < (uid_t)-1 && r->gid < (gid_t)-1 &&
	     jget_u64(m, "atime", &at) && jget_u64(m, "atime_ns", &atn) &&
	     jget_u64(m, "mtime", &mt) && jget_u64(m, "mtime_ns", &mtn) && atn < 1000000000u &&
	     mtn < 1000000000u;
	r->times[0].tv_sec = (time_t)at;
	r->times[0].tv_nsec = (long)atn;
	r->times[1].tv_sec = (time_t)mt;
	r->times[1].tv_nsec = (long)mtn;
	vg_free(raw);
	return ok;
}

/* ID.bin, opened and checked against the manifest's sha256. */
static int open_bin(int qfd, const char *qid, const struct restore *r, struct ar_outcome *o)
{
	struct vg_err herr = VG_ERR_INIT;
	struct fim_digests dg;
	struct stat st;
	char bin[64], eb[128];
	int fd;

	qname(bin, sizeof(bin), "", qid, ".bin");
	fd = openat(qfd, bin, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		say(o, AR_FAILED, "cannot open quarantine/%s: %s", bin,
		    errtext(errno, eb, sizeof(eb)));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    sha256_of(fd, (uint64_t)st.st_size + 1, &dg, &herr) != 0 ||
	    strcasecmp(dg.sha256, r->sha256) != 0) {
		say(o, AR_FAILED, "quarantine/%s does not match its manifest's sha256", bin);
		close(fd);
		return -1;
	}
	return fd;
}

/* Write the content into a temp next to the target with owner, mode, times. */
static bool restore_temp(int dfd, const char *tmp, int bin, const struct restore *r,
			 struct ar_outcome *o)
{
	char e[AR_ESC_MAX], eb[128];
	int fd, errnum = 0;

	esc(e, vg_buf_cstr(&r->path), r->path.len);
	unlinkat(dfd, tmp, 0); /* ours, left by a crash (never followed) */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		say(o, AR_FAILED, "cannot create a file next to %s: %s", e,
		    errtext(errno, eb, sizeof(eb)));
		return false;
	}
	errnum = copy_fd(bin, fd, UINT64_MAX);
	/* chown before chmod: chown drops set-id bits */
	if (errnum == 0 && fchown(fd, (uid_t)r->uid, (gid_t)r->gid) != 0)
		errnum = errno;
	if (errnum == 0 && fchmod(fd, (mode_t)(r->mode & 07777)) != 0)
		errnum = errno;
	if (errnum == 0 && futimens(fd, r->times) != 0)
		errnum = errno;
	if (errnum == 0 && fsync(fd) != 0)
		errnum = errno;
	close(fd);
	if (errnum != 0) {
		unlinkat(dfd, tmp, 0);
		say(o, AR_FAILED, "cannot restore %s: %s", e, errtext(errnum, eb, sizeof(eb)));
		return false;
	}
	return true;
}

/* Put the content back at r->path; true when done. */
static bool restore_put(int qfd, const char *qid, const struct restore *r, bool force,
			struct ar_outcome *o)
{
	char e[AR_ESC_MAX], eb[128], tmp[64];
	const char *name;
	struct stat st;
	int dfd = -1, bin = -1;
	bool ok = false;

	esc(e, vg_buf_cstr(&r->path), r->path.len);
	qname(tmp, sizeof(tmp), ".vigie-restore-", qid, "");
	bin = open_bin(qfd, qid, r, o);
	if (bin < 0 || !walk_parent(vg_buf_cstr(&r->path), &dfd, &name, o))
		goto out;
	if (name[0] == '\0') {
		say(o, AR_FAILED, "the manifest of %s names no file", qid);
		goto out;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!force) {
			say(o, AR_REFUSED, "%s already exists: not overwriting it without force",
			    e);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			say(o, AR_REFUSED, "%s is now a directory: not replacing it", e);
			goto out;
		}
	} else if (errno != ENOENT) {
		say(o, AR_FAILED, "cannot stat %s: %s", e, errtext(errno, eb, sizeof(eb)));
		goto out;
	}
	if (!restore_temp(dfd, tmp, bin, r, o))
		goto out;
	/* without force, a file that appeared meanwhile still wins */
	if (renameat2(dfd, tmp, dfd, name, force ? 0 : RENAME_NOREPLACE) != 0) {
		if (errno == EEXIST)
			say(o, AR_REFUSED, "%s already exists: not overwriting it without force",
			    e);
		else
			say(o, AR_FAILED, "cannot restore %s: %s", e,
			    errtext(errno, eb, sizeof(eb)));
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	fsync(dfd);
	ok = true;
out:
	close_fd(&bin);
	close_fd(&dfd);
	return ok;
}

int ar_quarantine_restore(const char *home, const char *qid, bool force, struct ar_outcome *out,
			  struct vg_err *err)
{
	struct restore r;
	json_t *m = NULL;
	int qfd = -1, rc;

	memset(&r, 0, sizeof(r));
	vg_buf_init(&r.path, AR_PATH_MAX);
	if (out == NULL)
		return vg_err_set(err, VG_EINTERNAL, "no outcome to fill");
	outcome_reset(out);
	rc = qopen_existing(home, qid, &qfd, err);
	if (rc != 0 || (rc = manifest_load(qfd, qid, &m, err)) != 0)
		goto out;
	vg_strlcpy(out->qid, qid, sizeof(out->qid));
	if (!restore_read(m, &r)) {
		say(out, AR_FAILED, "the manifest of %s is malformed", qid);
		goto out;
	}
	if (!restore_put(qfd, qid, &r, force, out))
		goto out;
	/* only now: a failed restore keeps the quarantined copy */
	qfiles_remove(qfd, qid);
	say(out, AR_DONE, "%s", "");
	out->manifest = m; /* transferred */
	m = NULL;
out:
	json_decref(m);
	vg_buf_free(&r.path);
	close_fd(&qfd);
	return rc;
}

/* ---------------------------------------------------------------- outcome */

void ar_outcome_clear(struct ar_outcome *out)
{
	if (out == NULL)
		return;
	json_decref(out->manifest);
	memset(out, 0, sizeof(*out));
}

const char *ar_status_name(enum ar_status s)
{
	switch (s) {
	case AR_DONE:
		return "done";
	case AR_REFUSED:
		return "refused";
	case AR_FAILED:
		return "failed";
	}
	return "unknown";
}
