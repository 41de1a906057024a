/*
 * watch.c - Realtime change notification: fanotify filesystem marks, with an
 * inotify fallback per root.
 *
 * fanotify (FAN_REPORT_DFID_NAME) puts one FAN_MARK_FILESYSTEM mark on each
 * filesystem holding a root (deduplicated by fsid). Each event carries the
 * file handle of the directory and the entry name; the directory is opened
 * with open_by_handle_at(O_PATH) and its path read back from /proc/self/fd
 * (walking up with ".." when the path is longer than the kernel will print),
 * and the result is cached by handle bytes. The cache is flushed whenever a
 * directory is deleted or moved, so a cached path is never older than the
 * last rename seen. Events are then filtered to the roots.
 *
 * inotify (a root whose filesystem refuses fanotify, or FIM_RT_INOTIFY)
 * watches every directory, keeps a wd -> path table, adds watches for each
 * directory created or moved in and reports it with FIM_WATCH_DIR so the
 * caller rescans what appeared before its watch existed. A directory moved
 * out forgets its subtree's watches; moved in again, it gets new ones (the
 * move pair needs no cookie matching that way).
 *
 * A root that is missing is watched from its nearest existing ancestor
 * (fanotify: the filesystem mark already sees it; inotify: a watch on the
 * ancestor). Any structural event on the root or an ancestor re-checks it:
 * appeared -> CHANGED|DIR, gone -> REMOVED|DIR, replaced -> CHANGED|DIR.
 *
 * Invariant: an event is either reported, covered by a later event that is
 * reported (a deleted directory's children, see fan_resolve_dir), or
 * replaced by a lost() call. Nothing is dropped silently.
 *
 * Threads: fim_watch_new/add_root/start run on the caller's thread and set
 * every watch before fim_watch_start returns; from then on the object belongs
 * to the watcher thread, which invokes the callbacks, until fim_watch_free
 * wakes it through an eventfd and joins it.
 */
#include "fim/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define W_READ_BUF (256u * 1024u)
/* Paths are built in capped buffers; far above any real tree. */
#define W_PATH_CAP (1u << 20)
#define W_CACHE_BUCKETS 1024u
#define W_CACHE_MAX 8192u
#define W_WALK_UP_MAX 65536u
#define W_HANDLE_MAX 128u

#define W_FAN_MASK                                                                                 \
	(FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_CLOSE_WRITE | FAN_ATTRIB |  \
	 FAN_ONDIR)
#define W_IN_MASK                                                                                  \
	(IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE |        \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

struct w_root {
	char *path; /* as configured, reported to the caller */
	size_t len;
	char *canon; /* symlink-free form, what fanotify paths look like */
	size_t canon_len;
	bool follow;
	enum fim_realtime_backend backend; /* FANOTIFY or INOTIFY once started */
	bool present;                      /* a directory is there */
	dev_t dev;
	ino_t ino;
	bool limit_warned; /* inotify: watch limit already reported */
	int anc_wd;        /* inotify: ancestor watched while missing, or -1 */
};

/* f_fsid of statfs, as fanotify reports it in each event. */
struct w_fsid {
	int32_t val[2];
};

struct w_mount {
	struct w_fsid fsid;
	int fd; /* a directory on that filesystem, for open_by_handle_at */
};

/* Directory handle -> path cache (fanotify). */
struct w_dent {
	struct w_dent *next;
	uint64_t hash;
	size_t key_len;
	char *path;
	size_t len;
	unsigned char key[];
};

/* inotify watch descriptor -> directory path. */
struct w_wd {
	struct w_wd *next;
	int wd;
	bool tree;         /* inside a root (else only an ancestor of a missing one) */
	unsigned anc_refs; /* missing roots watching through it */
	char *path;
	size_t len;
};

struct fim_watch {
	enum fim_realtime_backend want;
	const struct fim_watch_ops *ops;
	void *ctx;
	struct w_root *roots;
	size_t nroots;
	bool started;
	pthread_t thread;
	int stop_fd;

	int fan_fd;
	struct w_mount *mounts;
	size_t nmounts;
	struct w_dent *cache[W_CACHE_BUCKETS];
	size_t cache_n;

	int in_fd;
	struct w_wd **wds;
	size_t wd_buckets;
	size_t wd_n;

	unsigned char *rbuf; /* W_READ_BUF bytes */
	struct vg_buf path;  /* scratch for the event being resolved */
};

/* ------------------------------------------------------------------ */
/* Paths and roots                                                     */

/* path lies at or below base, at a '/' boundary. */
static bool w_under(const char *path, size_t plen, const char *base, size_t blen)
{
	if (plen < blen || memcmp(path, base, blen) != 0)
		return false;
	return plen == blen || path[blen] == '/' || (blen == 1 && base[0] == '/');
}

static bool w_is_dir(const char *path, bool follow, struct stat *st)
{
	int rc = follow ? stat(path, st) : lstat(path, st);
	return rc == 0 && S_ISDIR(st->st_mode);
}

/* Length of the parent of path[0..len) ("/" has itself as parent). */
static size_t w_parent_len(const char *path, size_t len)
{
	while (len > 1 && path[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : 1;
}

/*
 * Length of the longest prefix of path[0..len) that is an existing
 * directory ("/" at worst). The last component is followed only if
 * follow_last; its ancestors always are (as the kernel does).
 */
static size_t w_existing_dir(const char *path, size_t len, bool follow_last)
{
	size_t cut = len;
	for (;;) {
		struct stat st;
		char *probe = vg_xstrndup(path, cut);
		bool ok = w_is_dir(probe, follow_last || cut != len, &st);
		vg_free(probe);
		if (ok || cut <= 1)
			return cut;
		cut = w_parent_len(path, cut);
	}
}

/*
 * Symlink-free form of r->path as fanotify will print it: the real path of
 * the nearest existing directory plus the rest. Roots are config paths, so
 * a PATH_MAX bound is fine here (event paths themselves have none).
 */
static void w_root_canon(struct w_root *r)
{
	char real[PATH_MAX];
	struct vg_buf b = VG_BUF_INIT(W_PATH_CAP);
	size_t cut = w_existing_dir(r->path, r->len, r->follow);
	char *probe = vg_xstrndup(r->path, cut);
	const char *rest = r->path + cut;
	size_t rest_len = r->len - cut;

	if (rest_len > 0 && rest[0] == '/') {
		rest++;
		rest_len--;
	}
	int rc = realpath(probe, real) != NULL ? vg_buf_puts(&b, real) : -1;
	if (rc == 0 && rest_len > 0 && b.len != 1)
		rc = vg_buf_putc(&b, '/');
	if (rc == 0)
		rc = vg_buf_append(&b, rest, rest_len);
	if (rc != 0) {
		vg_buf_reset(&b);
		if (vg_buf_append(&b, r->path, r->len) != 0) /* under the cap */
			vg_log_error("root path over the cap");
	}
	vg_free(probe);
	vg_free(r->canon);
	r->canon_len = b.len;
	r->canon = vg_buf_take(&b);
}

static void w_changed(struct fim_watch *w, const char *path, size_t len, unsigned flags)
{
	w->ops->changed(w->ctx, path, len, flags);
}

static void w_lost(struct fim_watch *w, const char *root)
{
	w->ops->lost(w->ctx, root);
}

static int w_in_add_tree(struct fim_watch *w, struct w_root *r, const char *path, size_t len);
static void w_in_watch_ancestor(struct fim_watch *w, struct w_root *r);
static void w_in_drop_ancestor(struct fim_watch *w, struct w_root *r);
static void w_in_forget_tree(struct fim_watch *w, const char *path, size_t len);

/*
 * Something structural happened to the root or one of its ancestors: look
 * again and report what changed. quiet: state only (an overflow rebuild
 * reports through lost()).
 */
static void w_root_recheck(struct fim_watch *w, struct w_root *r, bool quiet)
{
	struct stat st;

	/* bounded: the root may appear while its ancestor is being watched */
	for (int tries = 0; tries < 8; tries++) {
		if (w_is_dir(r->path, r->follow, &st)) {
			bool same = r->present && st.st_dev == r->dev && st.st_ino == r->ino;
			if (same)
				return;
			if (r->backend == FIM_RT_INOTIFY) {
				w_in_drop_ancestor(w, r);
				w_in_forget_tree(w, r->path, r->len);
				(void)w_in_add_tree(w, r, r->path, r->len);
			}
			r->present = true;
			r->dev = st.st_dev;
			r->ino = st.st_ino;
			w_root_canon(r);
			if (!quiet)
				w_changed(w, r->path, r->len, FIM_WATCH_CHANGED | FIM_WATCH_DIR);
			return;
		}
		if (r->present) {
			if (r->backend == FIM_RT_INOTIFY)
				w_in_forget_tree(w, r->path, r->len);
			if (!quiet)
				w_changed(w, r->path, r->len, FIM_WATCH_REMOVED | FIM_WATCH_DIR);
			/* a file or a symlink took its place: the caller records it */
			if (!quiet && lstat(r->path, &st) == 0)
				w_changed(w, r->path, r->len, FIM_WATCH_CHANGED);
		}
		r->present = false;
		w_root_canon(r);
		if (r->backend != FIM_RT_INOTIFY)
			return;
		w_in_watch_ancestor(w, r);
		if (!w_is_dir(r->path, r->follow, &st))
			return;
	}
}

/*
 * Route one event (absolute path) of a backend to the caller. canon: the
 * path is in fanotify's symlink-free form and is translated back to the
 * configured root. Structural events on a root or an ancestor re-check it.
 * Returns the root the path lies in, or NULL.
 */
static struct w_root *w_route(struct fim_watch *w, enum fim_realtime_backend src, bool canon,
			      const char *path, size_t len, unsigned flags)
{
	struct w_root *hit = NULL;
	bool structural = (flags & FIM_WATCH_DIR) != 0;

	for (size_t i = 0; i < w->nroots; i++) {
		struct w_root *r = &w->roots[i];
		const char *base = canon ? r->canon : r->path;
		size_t blen = canon ? r->canon_len : r->len;
		if (r->backend != src)
			continue;
		if (structural && w_under(base, blen, path, len)) {
			/* the root itself or an ancestor appeared or went */
			w_root_recheck(w, r, false);
			continue;
		}
		if (hit != NULL || !w_under(path, len, base, blen))
			continue;
		hit = r;
		if (!canon || (blen == r->len && memcmp(base, r->path, blen) == 0)) {
			w_changed(w, path, len, flags);
			continue;
		}
		/* translate the canonical prefix back to the configured root */
		struct vg_buf b = VG_BUF_INIT(W_PATH_CAP);
		const char *rest = path + blen;
		size_t rest_len = len - blen;
		if (blen == 1 && len > 1) { /* canonical root "/": keep the slash */
			rest = path;
			rest_len = len;
		}
		if (vg_buf_append(&b, r->path, r->len == 1 ? 0 : r->len) == 0 &&
		    vg_buf_append(&b, rest, rest_len) == 0)
			w_changed(w, b.data, b.len, flags);
		else
			w_lost(w, r->path);
		vg_buf_free(&b);
	}
	return hit;
}

/* ------------------------------------------------------------------ */
/* fanotify: directory handle cache                                    */

static uint64_t w_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void w_cache_flush(struct fim_watch *w)
{
	for (size_t i = 0; i < W_CACHE_BUCKETS; i++) {
		struct w_dent *e = w->cache[i];
		while (e != NULL) {
			struct w_dent *next = e->next;
			vg_free(e->path);
			vg_free(e);
			e = next;
		}
		w->cache[i] = NULL;
	}
	w->cache_n = 0;
}

static const struct w_dent *w_cache_get(struct fim_watch *w, const unsigned char *key, size_t klen,
					uint64_t h)
{
	for (const struct w_dent *e = w->cache[h % W_CACHE_BUCKETS]; e != NULL; e = e->next)
		if (e->hash == h && e->key_len == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

static void w_cache_put(struct fim_watch *w, const unsigned char *key, size_t klen, uint64_t h,
			const char *path, size_t len)
{
	/* a full cache restarts empty: cheap, and directories are re-resolved */
	if (w->cache_n >= W_CACHE_MAX)
		w_cache_flush(w);
	struct w_dent *e = vg_xmalloc(sizeof(*e) + klen);
	e->hash = h;
	e->key_len = klen;
	memcpy(e->key, key, klen);
	e->path = vg_xstrndup(path, len);
	e->len = len;
	e->next = w->cache[h % W_CACHE_BUCKETS];
	w->cache[h % W_CACHE_BUCKETS] = e;
	w->cache_n++;
}

/* ------------------------------------------------------------------ */
/* fanotify: handle -> path                                            */

/* Name of the entry of dir whose inode is ino (for walking up). */
static int w_name_in(int dirfd, ino_t ino, struct vg_buf *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	int rc = -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_ino != ino || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		vg_buf_reset(name);
		rc = vg_buf_puts(name, de->d_name) == 0 ? 0 : -1;
		break;
	}
	closedir(d);
	return rc;
}

/* readlink of /proc/self/fd/fd into out (appended); -1 with errno set. */
static int w_proc_path(int fd, struct vg_buf *out)
{
	char link[64], tmp[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, tmp, sizeof(tmp));
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (vg_buf_append(out, tmp, (size_t)n) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Path of directory fd. The kernel will not print a path longer than a
 * page, so deep directories are named by walking up with ".." and finding
 * each child by inode number until an ancestor has a printable path.
 */
static int w_fd_path(int fd, struct vg_buf *out)
{
	size_t base = out->len;
	if (w_proc_path(fd, out) == 0)
		return 0;
	if (errno != ENAMETOOLONG)
		return -1;

	struct vg_buf names = VG_BUF_INIT(W_PATH_CAP); /* "/c/b/a" reversed by component */
	struct vg_buf name = VG_BUF_INIT(NAME_MAX + 1);
	int cur = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	int rc = -1;
	for (unsigned depth = 0; cur >= 0 && depth < W_WALK_UP_MAX; depth++) {
		struct stat st;
		int parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(cur, &st) != 0 ||
		    w_name_in(parent, st.st_ino, &name) != 0) {
			if (parent >= 0)
				close(parent);
			break;
		}
		/* prepend "/name" */
		struct vg_buf next = VG_BUF_INIT(W_PATH_CAP);
		int bad = vg_buf_putc(&next, '/') || vg_buf_append(&next, name.data, name.len) ||
			  vg_buf_append(&next, names.data, names.len);
		vg_buf_free(&names);
		names = next;
		close(cur);
		cur = parent;
		if (bad)
			break;
		vg_buf_truncate(out, base);
		if (w_proc_path(cur, out) == 0) {
			if (out->len == base + 1) /* parent is "/" */
				vg_buf_truncate(out, base);
			rc = vg_buf_append(out, names.data, names.len) == 0 ? 0 : -1;
			break;
		}
		if (errno != ENAMETOOLONG)
			break;
	}
	if (cur >= 0)
		close(cur);
	if (rc != 0) {
		vg_buf_truncate(out, base);
		errno = ENAMETOOLONG;
	}
	vg_buf_free(&names);
	vg_buf_free(&name);
	return rc;
}

static const struct w_mount *w_mount_find(const struct fim_watch *w, const struct w_fsid *fsid)
{
	for (size_t i = 0; i < w->nmounts; i++)
		if (memcmp(&w->mounts[i].fsid, fsid, sizeof(*fsid)) == 0)
			return &w->mounts[i];
	return NULL;
}

enum w_res { W_RES_OK, W_RES_GONE, W_RES_FAIL };

/*
 * Put the path of the directory (fsid, handle) into w->path. W_RES_GONE:
 * the directory was deleted; its own deletion event, queued after this one
 * in its parent, reports the subtree removed, so the event is covered.
 */
static enum w_res w_fan_resolve_dir(struct fim_watch *w, const struct w_fsid *fsid,
				    const struct file_handle *fh)
{
	union {
		struct file_handle fh;
		unsigned char raw[sizeof(struct file_handle) + W_HANDLE_MAX];
	} h;
	unsigned char key[sizeof(struct w_fsid) + 8 + W_HANDLE_MAX];
	unsigned bytes, type;

	memcpy(&bytes, &fh->handle_bytes, sizeof(bytes));
	memcpy(&type, &fh->handle_type, sizeof(type));
	if (bytes > W_HANDLE_MAX)
		return W_RES_FAIL;
	memcpy(key, fsid, sizeof(*fsid));
	memcpy(key + sizeof(*fsid), &bytes, 4);
	memcpy(key + sizeof(*fsid) + 4, &type, 4);
	memcpy(key + sizeof(*fsid) + 8, fh->f_handle, bytes);
	size_t klen = sizeof(*fsid) + 8 + bytes;
	uint64_t hv = w_hash(key, klen);

	vg_buf_reset(&w->path);
	const struct w_dent *e = w_cache_get(w, key, klen, hv);
	if (e != NULL)
		return vg_buf_append(&w->path, e->path, e->len) == 0 ? W_RES_OK : W_RES_FAIL;

	const struct w_mount *m = w_mount_find(w, fsid);
	if (m == NULL)
		return W_RES_FAIL;
	h.fh.handle_bytes = bytes;
	h.fh.handle_type = (int)type;
	memcpy(h.fh.f_handle, fh->f_handle, bytes);
	int fd = open_by_handle_at(m->fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE || errno == ENOENT ? W_RES_GONE : W_RES_FAIL;
	struct stat st;
	enum w_res res = W_RES_FAIL;
	if (fstat(fd, &st) == 0 && st.st_nlink == 0)
		res = W_RES_GONE; /* removed, only our reference keeps it */
	else if (w_fd_path(fd, &w->path) == 0)
		res = W_RES_OK;
	close(fd);
	if (res == W_RES_OK)
		w_cache_put(w, key, klen, hv, w->path.data, w->path.len);
	return res;
}

static unsigned w_fan_flags(uint64_t mask)
{
	unsigned flags = 0;
	if (mask & (FAN_CREATE | FAN_MOVED_TO | FAN_CLOSE_WRITE | FAN_ATTRIB))
		flags |= FIM_WATCH_CHANGED;
	else if (mask & (FAN_DELETE | FAN_MOVED_FROM))
		flags |= FIM_WATCH_REMOVED;
	if ((mask & FAN_ONDIR) &&
	    (mask & (FAN_CREATE | FAN_MOVED_TO | FAN_DELETE | FAN_MOVED_FROM)))
		flags |= FIM_WATCH_DIR;
	if ((mask & FAN_CREATE) && !(mask & FAN_ONDIR))
		flags |= FIM_WATCH_CREATED;
	if (mask & FAN_CLOSE_WRITE)
		flags |= FIM_WATCH_CLOSED;
	return flags;
}

/* One event: m is a copy of the metadata at raw (which may be unaligned). */
static void w_fan_event(struct fim_watch *w, const struct fanotify_event_metadata *m,
			const unsigned char *raw)
{
	const unsigned char *p = raw + m->metadata_len;
	const unsigned char *end = raw + m->event_len;
	const struct fanotify_event_info_fid *fid = NULL;
	const char *name = NULL;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *hdr = (const void *)p;
		if (hdr->len < sizeof(*hdr) || p + hdr->len > end)
			break;
		if (hdr->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
		    hdr->info_type == FAN_EVENT_INFO_TYPE_DFID) {
			fid = (const void *)p;
			const struct file_handle *fh = (const void *)fid->handle;
			const unsigned char *nm = fh->f_handle + fh->handle_bytes;
			if (fh->handle_bytes > W_HANDLE_MAX || nm > p + hdr->len) {
				fid = NULL; /* malformed: treated as unknown below */
				break;
			}
			/* the name is NUL-terminated within the record */
			if (hdr->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME && nm < p + hdr->len &&
			    memchr(nm, '\0', (size_t)(p + hdr->len - nm)) != NULL)
				name = (const char *)nm;
			break;
		}
		p += hdr->len;
	}
	unsigned flags = w_fan_flags(m->mask);
	if (fid == NULL || flags == 0) {
		if (fid == NULL)
			w_lost(w, NULL); /* cannot tell where: rescan all */
		return;
	}

	struct w_fsid fsid;
	memcpy(&fsid, &fid->fsid, sizeof(fsid));
	enum w_res res = w_fan_resolve_dir(w, &fsid, (const struct file_handle *)fid->handle);
	if (res == W_RES_GONE) {
		vg_log_debug("event in a deleted directory: covered by its deletion");
	} else if (res == W_RES_FAIL) {
		vg_log_warn("cannot resolve a directory handle: rescanning all roots");
		w_lost(w, NULL);
	} else {
		if (name != NULL && name[0] != '\0' && strcmp(name, ".") != 0) {
			if (w->path.len != 1 && vg_buf_putc(&w->path, '/') != 0)
				res = W_RES_FAIL;
			if (vg_buf_puts(&w->path, name) != 0)
				res = W_RES_FAIL;
		}
		if (res == W_RES_OK)
			(void)w_route(w, FIM_RT_FANOTIFY, true, w->path.data, w->path.len, flags);
		else
			w_lost(w, NULL);
	}
	/* a directory went away or moved: cached paths below it are stale */
	if ((m->mask & FAN_ONDIR) && (m->mask & (FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO)))
		w_cache_flush(w);
}

static void w_fan_read(struct fim_watch *w)
{
	for (;;) {
		ssize_t n = read(w->fan_fd, w->rbuf, W_READ_BUF);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				vg_log_warn("fanotify read: %s", strerror(errno));
			return;
		}
		size_t off = 0;
		while ((size_t)n - off >= sizeof(struct fanotify_event_metadata)) {
			/* records are 4-byte aligned, the metadata has a u64: copy it */
			struct fanotify_event_metadata m;
			memcpy(&m, w->rbuf + off, sizeof(m));
			if (m.event_len < sizeof(m) || m.event_len > (size_t)n - off ||
			    m.metadata_len < sizeof(m) || m.metadata_len > m.event_len ||
			    m.vers != FANOTIFY_METADATA_VERSION) {
				vg_log_error("fanotify: malformed event (version %u)", m.vers);
				w_lost(w, NULL);
				break;
			}
			if (m.fd >= 0)
				close(m.fd);
			if (m.mask & FAN_Q_OVERFLOW) {
				vg_log_warn("fanotify queue overflow: rescanning all roots");
				w_cache_flush(w);
				w_lost(w, NULL);
			} else {
				w_fan_event(w, &m, w->rbuf + off);
			}
			off += m.event_len;
		}
	}
}

/*
 * Mark the filesystem of r (or of its nearest existing ancestor) unless
 * already marked. Returns 0 or -errno; on failure nothing is kept.
 */
static int w_fan_mark(struct fim_watch *w, struct w_root *r)
{
	int rc = 0;
	size_t cut = w_existing_dir(r->path, r->len, r->follow);
	char *probe = vg_xstrndup(r->path, cut);
	int fd = open(probe, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	vg_free(probe);
	if (fd < 0)
		return -errno;

	struct statfs sfs;
	if (fstatfs(fd, &sfs) != 0) {
		rc = -errno;
		goto out;
	}
	struct w_fsid fsid;
	memcpy(&fsid, &sfs.f_fsid, sizeof(fsid));
	if (w_mount_find(w, &fsid) != NULL)
		goto out; /* that filesystem is already marked */
	/* handles must be resolvable, or the events are useless */
	union {
		struct file_handle fh;
		unsigned char raw[sizeof(struct file_handle) + W_HANDLE_MAX];
	} h;
	int mnt_id;
	h.fh.handle_bytes = W_HANDLE_MAX;
	if (name_to_handle_at(fd, "", &h.fh, &mnt_id, AT_EMPTY_PATH) != 0) {
		rc = -errno;
		goto out;
	}
	int probe_fd = open_by_handle_at(fd, &h.fh, O_PATH | O_CLOEXEC);
	if (probe_fd < 0) {
		rc = -errno;
		goto out;
	}
	close(probe_fd);
	if (fanotify_mark(w->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, W_FAN_MASK, fd, NULL) !=
	    0) {
		rc = -errno;
		goto out;
	}
	w->mounts = vg_xreallocarray(w->mounts, w->nmounts + 1, sizeof(*w->mounts));
	memcpy(&w->mounts[w->nmounts].fsid, &sfs.f_fsid, sizeof(struct w_fsid));
	w->mounts[w->nmounts].fd = fd; /* transferred */
	w->nmounts++;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* inotify: wd table                                                   */

static struct w_wd *w_wd_find(const struct fim_watch *w, int wd)
{
	if (w->wd_buckets == 0)
		return NULL;
	for (struct w_wd *e = w->wds[(unsigned)wd % w->wd_buckets]; e != NULL; e = e->next)
		if (e->wd == wd)
			return e;
	return NULL;
}

static void w_wd_grow(struct fim_watch *w)
{
	size_t nb = w->wd_buckets ? w->wd_buckets * 2 : 256;
	struct w_wd **t = vg_xcalloc(nb, sizeof(*t));
	for (size_t i = 0; i < w->wd_buckets; i++) {
		struct w_wd *e = w->wds[i];
		while (e != NULL) {
			struct w_wd *next = e->next;
			e->next = t[(unsigned)e->wd % nb];
			t[(unsigned)e->wd % nb] = e;
			e = next;
		}
	}
	vg_free(w->wds);
	w->wds = t;
	w->wd_buckets = nb;
}

static struct w_wd *w_wd_put(struct fim_watch *w, int wd, const char *path, size_t len)
{
	struct w_wd *e = w_wd_find(w, wd);
	if (e != NULL)
		return e;
	if (w->wd_n >= w->wd_buckets)
		w_wd_grow(w);
	e = vg_xcalloc(1, sizeof(*e));
	e->wd = wd;
	e->path = vg_xstrndup(path, len);
	e->len = len;
	e->next = w->wds[(unsigned)wd % w->wd_buckets];
	w->wds[(unsigned)wd % w->wd_buckets] = e;
	w->wd_n++;
	return e;
}

static void w_wd_del(struct fim_watch *w, int wd)
{
	if (w->wd_buckets == 0)
		return;
	struct w_wd **pp = &w->wds[(unsigned)wd % w->wd_buckets];
	for (; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->wd != wd)
			continue;
		struct w_wd *e = *pp;
		*pp = e->next;
		vg_free(e->path);
		vg_free(e);
		w->wd_n--;
		return;
	}
}

static void w_wd_clear(struct fim_watch *w)
{
	for (size_t i = 0; i < w->wd_buckets; i++) {
		struct w_wd *e = w->wds[i];
		while (e != NULL) {
			struct w_wd *next = e->next;
			vg_free(e->path);
			vg_free(e);
			e = next;
		}
	}
	vg_free(w->wds);
	w->wds = NULL;
	w->wd_buckets = 0;
	w->wd_n = 0;
}

/* A directory moved out or removed: drop the tree watches at or below path. */
static void w_in_forget_tree(struct fim_watch *w, const char *path, size_t len)
{
	for (size_t i = 0; i < w->wd_buckets; i++) {
		struct w_wd **pp = &w->wds[i];
		while (*pp != NULL) {
			struct w_wd *e = *pp;
			if (!e->tree || e->anc_refs > 0 || !w_under(e->path, e->len, path, len)) {
				pp = &e->next;
				continue;
			}
			(void)inotify_rm_watch(w->in_fd, e->wd);
			*pp = e->next;
			vg_free(e->path);
			vg_free(e);
			w->wd_n--;
		}
	}
}

/* ------------------------------------------------------------------ */
/* inotify: watches                                                    */

/*
 * Open a directory by a path of any length: direct when short, otherwise
 * one component at a time with openat.
 */
static int w_open_dir(const char *path, size_t len, bool follow)
{
	int nf = follow ? 0 : O_NOFOLLOW;
	if (len < PATH_MAX)
		return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | nf);
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char comp[NAME_MAX + 1];
	size_t i = 0;
	while (fd >= 0 && i < len) {
		while (i < len && path[i] == '/')
			i++;
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j == i)
			break;
		if (j - i > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, path + i, j - i);
		comp[j - i] = '\0';
		bool last = j >= len;
		int flags = last ? O_RDONLY | nf : O_PATH;
		int next = openat(fd, comp, flags | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
		i = j;
	}
	return fd;
}

/*
 * Watch the directory at path and everything below it (no recursion: a
 * queue of paths; no PATH_MAX limit: openat chains and /proc/self/fd).
 * Returns 0, or -ENOSPC when the watch limit stopped it.
 */
static int w_in_add_tree(struct fim_watch *w, struct w_root *r, const char *path, size_t len)
{
	char **queue = NULL;
	size_t *lens = NULL;
	size_t qn = 0, qcap = 0;
	int rc = 0;

	queue = vg_xreallocarray(queue, 16, sizeof(*queue));
	lens = vg_xreallocarray(lens, 16, sizeof(*lens));
	qcap = 16;
	queue[qn] = vg_xstrndup(path, len);
	lens[qn++] = len;
	while (qn > 0) {
		char *dir = queue[--qn];
		size_t dlen = lens[qn];
		int fd = w_open_dir(dir, dlen, r->follow);
		if (fd < 0) {
			vg_free(dir);
			continue; /* gone or not a directory: its own event tells */
		}
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		int wd = rc == 0 ? inotify_add_watch(w->in_fd, link, W_IN_MASK) : -1;
		if (wd < 0 && rc == 0 && errno == ENOSPC) {
			rc = -ENOSPC;
			if (!r->limit_warned) {
				r->limit_warned = true;
				vg_log_warn("inotify watch limit reached under %s: raise "
					    "fs.inotify.max_user_watches; rescanning the root",
					    r->path);
				w_lost(w, r->path);
			}
		}
		/* a directory already in a tree (symlink loop, race) is not walked again */
		struct w_wd *e = wd >= 0 ? w_wd_find(w, wd) : NULL;
		bool descend = wd >= 0 && (e == NULL || !e->tree);
		if (descend) {
			e = w_wd_put(w, wd, dir, dlen);
			if (e->len != dlen || memcmp(e->path, dir, dlen) != 0) {
				vg_free(e->path); /* was an ancestor watch: same directory */
				e->path = vg_xstrndup(dir, dlen);
				e->len = dlen;
			}
			e->tree = true;
		}
		DIR *d = descend ? fdopendir(fd) : NULL;
		if (d == NULL) {
			close(fd);
			vg_free(dir);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			struct stat st;
			bool sub = de->d_type == DT_DIR;
			if (de->d_type == DT_UNKNOWN || (de->d_type == DT_LNK && r->follow))
				sub = fstatat(dirfd(d), de->d_name, &st,
					      r->follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0 &&
				      S_ISDIR(st.st_mode);
			if (!sub)
				continue;
			struct vg_buf b = VG_BUF_INIT(W_PATH_CAP);
			if ((dlen == 1 ? 0 : vg_buf_append(&b, dir, dlen)) != 0 ||
			    vg_buf_putc(&b, '/') != 0 || vg_buf_puts(&b, de->d_name) != 0) {
				vg_buf_free(&b);
				continue;
			}
			if (qn == qcap) {
				qcap *= 2;
				queue = vg_xreallocarray(queue, qcap, sizeof(*queue));
				lens = vg_xreallocarray(lens, qcap, sizeof(*lens));
			}
			lens[qn] = b.len;
			queue[qn++] = vg_buf_take(&b);
		}
		closedir(d);
		vg_free(dir);
	}
	vg_free(queue);
	vg_free(lens);
	return rc;
}

static void w_in_drop_ancestor(struct fim_watch *w, struct w_root *r)
{
	if (r->anc_wd < 0)
		return;
	struct w_wd *e = w_wd_find(w, r->anc_wd);
	if (e != NULL && e->anc_refs > 0 && --e->anc_refs == 0 && !e->tree) {
		(void)inotify_rm_watch(w->in_fd, e->wd);
		w_wd_del(w, e->wd);
	}
	r->anc_wd = -1;
}

/*
 * The root is missing: watch its nearest existing ancestor for it to
 * appear. Repeats while a deeper component appears meanwhile.
 */
static void w_in_watch_ancestor(struct fim_watch *w, struct w_root *r)
{
	size_t start = w_parent_len(r->path, r->len);
	w_in_drop_ancestor(w, r);
	for (int tries = 0; tries < 64; tries++) {
		size_t cut = w_existing_dir(r->path, start, true);
		char *probe = vg_xstrndup(r->path, cut);
		int wd = inotify_add_watch(w->in_fd, probe, W_IN_MASK);
		if (wd >= 0) {
			w_wd_put(w, wd, probe, cut)->anc_refs++;
			r->anc_wd = wd;
		} else {
			vg_log_warn("cannot watch %s for a missing root: %s", probe,
				    strerror(errno));
		}
		vg_free(probe);
		if (wd < 0 || w_existing_dir(r->path, start, true) == cut)
			return;
		w_in_drop_ancestor(w, r);
	}
}

static unsigned w_in_flags(uint32_t mask)
{
	unsigned flags = 0;
	if (mask & (IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB))
		flags |= FIM_WATCH_CHANGED;
	else if (mask & (IN_DELETE | IN_MOVED_FROM))
		flags |= FIM_WATCH_REMOVED;
	if ((mask & IN_ISDIR) && (mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)))
		flags |= FIM_WATCH_DIR;
	if ((mask & IN_CREATE) && !(mask & IN_ISDIR))
		flags |= FIM_WATCH_CREATED;
	if (mask & IN_CLOSE_WRITE)
		flags |= FIM_WATCH_CLOSED;
	return flags;
}

/* Close and reopen inotify, watch every root again (after an overflow). */
static void w_in_rebuild(struct fim_watch *w)
{
	close(w->in_fd);
	w_wd_clear(w);
	w->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->in_fd < 0)
		vg_log_error("inotify_init1: %s: realtime stopped", strerror(errno));
	for (size_t i = 0; i < w->nroots; i++) {
		struct w_root *r = &w->roots[i];
		if (r->backend != FIM_RT_INOTIFY)
			continue;
		r->present = false;
		r->anc_wd = -1;
		r->limit_warned = false;
		if (w->in_fd >= 0)
			w_root_recheck(w, r, true);
	}
}

/* Self events: only roots and ancestors of missing roots care. */
static void w_in_self(struct fim_watch *w, const struct w_wd *e, uint32_t mask)
{
	for (size_t i = 0; i < w->nroots; i++) {
		struct w_root *r = &w->roots[i];
		if (r->backend != FIM_RT_INOTIFY || !w_under(r->path, r->len, e->path, e->len))
			continue;
		if (mask & (IN_DELETE_SELF | IN_MOVE_SELF))
			w_root_recheck(w, r, false);
		else if (e->len == r->len && (mask & IN_ATTRIB))
			w_changed(w, r->path, r->len, FIM_WATCH_CHANGED);
	}
}

/* Returns false when the rest of the buffer must be dropped (rebuilt). */
static bool w_in_event(struct fim_watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		vg_log_warn("inotify queue overflow: raise fs.inotify.max_queued_events; "
			    "rescanning all roots");
		w_in_rebuild(w);
		w_lost(w, NULL);
		return false;
	}
	if (ev->mask & IN_UNMOUNT) {
		w_lost(w, NULL);
		return true;
	}
	struct w_wd *e = w_wd_find(w, ev->wd);
	if (e == NULL)
		return true; /* a watch already forgotten: its removal was reported */
	if (ev->mask & IN_IGNORED) {
		int wd = e->wd;
		for (size_t i = 0; i < w->nroots; i++)
			if (w->roots[i].anc_wd == wd)
				w->roots[i].anc_wd = -1;
		w_wd_del(w, wd);
		return true;
	}
	if (ev->len == 0 || ev->name[0] == '\0') {
		w_in_self(w, e, ev->mask);
		return true;
	}
	unsigned flags = w_in_flags(ev->mask);
	if (flags == 0)
		return true;
	vg_buf_reset(&w->path);
	if ((e->len == 1 ? 0 : vg_buf_append(&w->path, e->path, e->len)) != 0 ||
	    vg_buf_putc(&w->path, '/') != 0 || vg_buf_puts(&w->path, ev->name) != 0) {
		w_lost(w, NULL);
		return true;
	}
	/* copy: routing may re-enter and reuse the scratch buffer */
	char *path = vg_xstrndup(w->path.data, w->path.len);
	size_t len = w->path.len;
	if ((flags & FIM_WATCH_DIR) && (flags & FIM_WATCH_REMOVED))
		w_in_forget_tree(w, path, len);
	if ((flags & FIM_WATCH_DIR) && (flags & FIM_WATCH_CHANGED)) {
		/* watch first, then report, so the caller's rescan misses nothing */
		for (size_t i = 0; i < w->nroots; i++) {
			struct w_root *r = &w->roots[i];
			if (r->backend == FIM_RT_INOTIFY && r->present &&
			    w_under(path, len, r->path, r->len) && len != r->len) {
				(void)w_in_add_tree(w, r, path, len);
				break;
			}
		}
	}
	(void)w_route(w, FIM_RT_INOTIFY, false, path, len, flags);
	vg_free(path);
	return true;
}

static void w_in_read(struct fim_watch *w)
{
	for (;;) {
		if (w->in_fd < 0)
			return;
		ssize_t n = read(w->in_fd, w->rbuf, W_READ_BUF);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				vg_log_warn("inotify read: %s", strerror(errno));
			return;
		}
		size_t off = 0;
		while (off + sizeof(struct inotify_event) <= (size_t)n) {
			const struct inotify_event *ev = (const void *)(w->rbuf + off);
			off += sizeof(*ev) + ev->len;
			if (!w_in_event(w, ev))
				break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Thread and public API                                               */

static void *w_thread(void *arg)
{
	struct fim_watch *w = arg;
	for (;;) {
		struct pollfd pfd[3] = {
		    {.fd = w->stop_fd, .events = POLLIN},
		    {.fd = w->fan_fd, .events = POLLIN},
		    {.fd = w->in_fd, .events = POLLIN},
		};
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			vg_log_error("poll: %s: realtime stopped", strerror(errno));
			break;
		}
		if (pfd[0].revents != 0)
			break;
		if (pfd[1].revents != 0)
			w_fan_read(w);
		if (pfd[2].revents != 0)
			w_in_read(w);
	}
	return NULL;
}

int fim_watch_new(enum fim_realtime_backend backend, const struct fim_watch_ops *ops, void *ctx,
		  struct fim_watch **out, struct vg_err *err)
{
	*out = NULL;
	if (ops == NULL || ops->changed == NULL || ops->lost == NULL)
		return vg_err_set(err, VG_EINTERNAL, "watch: changed and lost callbacks required");
	struct fim_watch *w = vg_xcalloc(1, sizeof(*w));
	w->want = backend;
	w->ops = ops;
	w->ctx = ctx;
	w->stop_fd = -1;
	w->fan_fd = -1;
	w->in_fd = -1;
	vg_buf_init(&w->path, W_PATH_CAP);
	*out = w; /* transferred */
	return 0;
}

int fim_watch_add_root(struct fim_watch *w, const char *root, bool follow, struct vg_err *err)
{
	if (w->started)
		return vg_err_set(err, VG_EINTERNAL, "watch: roots must be added before start");
	size_t len = strlen(root);
	if (len == 0 || root[0] != '/')
		return vg_err_set(err, VG_EPARSE, "watch: root must be an absolute path");
	while (len > 1 && root[len - 1] == '/')
		len--;
	w->roots = vg_xreallocarray(w->roots, w->nroots + 1, sizeof(*w->roots));
	struct w_root *r = &w->roots[w->nroots++];
	memset(r, 0, sizeof(*r));
	r->path = vg_xstrndup(root, len);
	r->len = len;
	r->follow = follow;
	r->anc_wd = -1;
	r->backend = FIM_RT_AUTO;
	return 0;
}

/* fanotify for every root that allows it; the rest are left to inotify. */
static int w_start_fanotify(struct fim_watch *w, struct vg_err *err)
{
	if (w->want == FIM_RT_INOTIFY)
		return 0;
	w->fan_fd =
	    fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
			  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (w->fan_fd < 0) {
		int e = errno;
		if (w->want == FIM_RT_FANOTIFY)
			return vg_err_errno(err, e,
					    "fanotify_init (needs CAP_SYS_ADMIN, Linux 5.9)");
		vg_log_info("fanotify unavailable (%s): using inotify", strerror(e));
		return 0;
	}
	for (size_t i = 0; i < w->nroots; i++) {
		struct w_root *r = &w->roots[i];
		int rc = w_fan_mark(w, r);
		if (rc == 0) {
			r->backend = FIM_RT_FANOTIFY;
			continue;
		}
		if (w->want == FIM_RT_FANOTIFY)
			return vg_err_errno(err, -rc, "fanotify filesystem mark for %s", r->path);
		vg_log_info("fanotify refused for %s (%s): using inotify", r->path, strerror(-rc));
	}
	return 0;
}

int fim_watch_start(struct fim_watch *w, struct vg_err *err)
{
	int rc = 0;
	bool any_in = false;
	if (w->started)
		return vg_err_set(err, VG_EINTERNAL, "watch: already started");
	w->rbuf = vg_xmalloc(W_READ_BUF);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0) {
		rc = vg_err_errno(err, errno, "watch: eventfd");
		goto out;
	}
	rc = w_start_fanotify(w, err);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < w->nroots; i++) {
		if (w->roots[i].backend != FIM_RT_FANOTIFY) {
			w->roots[i].backend = FIM_RT_INOTIFY;
			any_in = true;
		}
	}
	if (any_in) {
		w->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->in_fd < 0) {
			rc = vg_err_errno(err, errno, "watch: inotify_init1");
			goto out;
		}
	}
	/* set every watch now: a scan started after this returns misses nothing */
	for (size_t i = 0; i < w->nroots; i++)
		w_root_recheck(w, &w->roots[i], true);

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int e = pthread_create(&w->thread, NULL, w_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		rc = vg_err_errno(err, e, "watch: pthread_create");
		goto out;
	}
	w->started = true;
out:
	return rc;
}

enum fim_realtime_backend fim_watch_backend(const struct fim_watch *w)
{
	bool fan = false, in = false;
	for (size_t i = 0; i < w->nroots; i++) {
		fan |= w->roots[i].backend == FIM_RT_FANOTIFY;
		in |= w->roots[i].backend == FIM_RT_INOTIFY;
	}
	if (in)
		return FIM_RT_INOTIFY;
	if (fan || w->fan_fd >= 0)
		return FIM_RT_FANOTIFY;
	return w->started ? FIM_RT_INOTIFY : w->want;
}

void fim_watch_free(struct fim_watch *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		uint64_t one = 1;
		if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
			vg_log_error("watch: cannot wake the watcher thread");
		pthread_join(w->thread, NULL);
	}
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	if (w->fan_fd >= 0)
		close(w->fan_fd);
	if (w->in_fd >= 0)
		close(w->in_fd);
	for (size_t i = 0; i < w->nmounts; i++)
		close(w->mounts[i].fd);
	vg_free(w->mounts);
	w_cache_flush(w);
	w_wd_clear(w);
	for (size_t i = 0; i < w->nroots; i++) {
		vg_free(w->roots[i].path);
		vg_free(w->roots[i].canon);
	}
	vg_free(w->roots);
	vg_free(w->rbuf);
	vg_buf_free(&w->path);
	vg_free(w);
}
