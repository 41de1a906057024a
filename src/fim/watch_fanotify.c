/*
 * watch_fanotify.c - The fanotify backend of the watcher: filesystem marks.
 *
 * fanotify (FAN_REPORT_DFID_NAME) puts one FAN_MARK_FILESYSTEM mark on each
 * filesystem holding a root (deduplicated by fsid): no per-directory watch,
 * no watch limit. Each event carries the file handle of the directory and
 * the entry name; the directory is opened with open_by_handle_at(O_PATH) and
 * its path read back from /proc/self/fd (walking up with ".." when the path
 * is longer than the kernel will print), and the result is cached by handle
 * bytes. The cache is flushed whenever a directory is deleted or moved, so a
 * cached path is never older than the last rename seen. The paths are then
 * routed to the roots by watch.c.
 *
 * Invariant: an event whose directory cannot be named is either covered (the
 * directory was deleted: its own deletion reports the subtree, see
 * w_fan_resolve_dir) or replaced by lost(NULL).
 *
 * Threads: marks are set on the caller's thread by fim_watch_start; events
 * are read on the watcher thread only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fim/watch_int.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"

#define W_CACHE_MAX 8192u
#define W_WALK_UP_MAX 65536u
#define W_HANDLE_MAX 128u

#define W_FAN_MASK                                                                                 \
	(FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_CLOSE_WRITE | FAN_ATTRIB |  \
	 FAN_ONDIR)

/* f_fsid of statfs, as fanotify reports it in each event. */
struct w_fsid {
	int32_t val[2];
};

struct fim__watch_mount {
	struct w_fsid fsid;
	int fd; /* a directory on that filesystem, for open_by_handle_at */
};

/* Directory handle -> path cache. */
struct fim__watch_dent {
	struct fim__watch_dent *next;
	uint64_t hash;
	size_t key_len;
	char *path;
	size_t len;
	unsigned char key[];
};

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
	for (size_t i = 0; i < FIM__WATCH_CACHE_BUCKETS; i++) {
		struct fim__watch_dent *e = w->cache[i];
		while (e != NULL) {
			struct fim__watch_dent *next = e->next;
			vg_free(e->path);
			vg_free(e);
			e = next;
		}
		w->cache[i] = NULL;
	}
	w->cache_n = 0;
}

static const struct fim__watch_dent *w_cache_get(struct fim_watch *w, const unsigned char *key,
						 size_t klen, uint64_t h)
{
	for (const struct fim__watch_dent *e = w->cache[h % FIM__WATCH_CACHE_BUCKETS]; e != NULL;
	     e = e->next)
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
	struct fim__watch_dent *e = vg_xmalloc(sizeof(*e) + klen);
	e->hash = h;
	e->key_len = klen;
	memcpy(e->key, key, klen);
	e->path = vg_xstrndup(path, len);
	e->len = len;
	e->next = w->cache[h % FIM__WATCH_CACHE_BUCKETS];
	w->cache[h % FIM__WATCH_CACHE_BUCKETS] = e;
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

	struct vg_buf names = VG_BUF_INIT(FIM__WATCH_PATH_CAP); /* "/c/b/a" reversed by component */
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
		struct vg_buf next = VG_BUF_INIT(FIM__WATCH_PATH_CAP);
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

static const struct fim__watch_mount *w_mount_find(const struct fim_watch *w,
						   const struct w_fsid *fsid)
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
/* True when directory fd has been removed (only open references keep it). */
static bool w_fd_unlinked(int fd)
{
	struct stat st;
	int saved = errno;
	bool gone = fstat(fd, &st) == 0 && st.st_nlink == 0;
	errno = saved; /* the caller reports the error that led here */
	return gone;
}

/*
 * open_by_handle_at, tried twice: a directory that another process is
 * removing at that very moment can fail with ENOMEM instead of ESTALE while
 * its inode is torn down (seen with parallel test suites on one
 * filesystem); a moment later the kernel says ESTALE. Treating the first
 * error as a loss would rescan every root and raise a queue-full alert for
 * a directory that is simply gone.
 */
static int w_open_handle(int mount_fd, struct file_handle *fh)
{
	int fd = open_by_handle_at(mount_fd, fh, O_PATH | O_CLOEXEC);
	if (fd >= 0 || errno == ESTALE || errno == ENOENT)
		return fd;
	nanosleep(&(struct timespec){0, 1000000}, NULL);
	return open_by_handle_at(mount_fd, fh, O_PATH | O_CLOEXEC);
}

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
	const struct fim__watch_dent *e = w_cache_get(w, key, klen, hv);
	if (e != NULL)
		return vg_buf_append(&w->path, e->path, e->len) == 0 ? W_RES_OK : W_RES_FAIL;

	const struct fim__watch_mount *m = w_mount_find(w, fsid);
	if (m == NULL) {
		errno = EXDEV; /* a filesystem we do not watch */
		return W_RES_FAIL;
	}
	h.fh.handle_bytes = bytes;
	h.fh.handle_type = (int)type;
	memcpy(h.fh.f_handle, fh->f_handle, bytes);
	int fd = w_open_handle(m->fd, &h.fh);
	if (fd < 0)
		return errno == ESTALE || errno == ENOENT ? W_RES_GONE : W_RES_FAIL;
	enum w_res res = W_RES_FAIL;
	if (w_fd_unlinked(fd))
		res = W_RES_GONE; /* removed, only our reference keeps it */
	else if (w_fd_path(fd, &w->path) == 0)
		res = W_RES_OK;
	else if (w_fd_unlinked(fd))
		res = W_RES_GONE; /* removed while we walked up to name it */
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
			fim__watch_lost(w, NULL); /* cannot tell where: rescan all */
		return;
	}

	struct w_fsid fsid;
	memcpy(&fsid, &fid->fsid, sizeof(fsid));
	enum w_res res = w_fan_resolve_dir(w, &fsid, (const struct file_handle *)fid->handle);
	if (res == W_RES_GONE) {
		vg_log_debug("event in a deleted directory: covered by its deletion");
	} else if (res == W_RES_FAIL) {
		vg_log_warn("cannot resolve a directory handle (%s): rescanning all roots",
			    strerror(errno));
		fim__watch_lost(w, NULL);
	} else {
		if (name != NULL && name[0] != '\0' && strcmp(name, ".") != 0) {
			if (w->path.len != 1 && vg_buf_putc(&w->path, '/') != 0)
				res = W_RES_FAIL;
			if (vg_buf_puts(&w->path, name) != 0)
				res = W_RES_FAIL;
		}
		if (res == W_RES_OK)
			fim__watch_route(w, FIM_RT_FANOTIFY, true, w->path.data, w->path.len,
					 flags);
		else
			fim__watch_lost(w, NULL);
	}
	/* a directory went away or moved: cached paths below it are stale */
	if ((m->mask & FAN_ONDIR) && (m->mask & (FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO)))
		w_cache_flush(w);
}

void fim__watch_fan_read(struct fim_watch *w)
{
	for (;;) {
		ssize_t n = read(w->fan_fd, w->rbuf, FIM__WATCH_READ_BUF);
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
				fim__watch_lost(w, NULL);
				break;
			}
			if (m.fd >= 0)
				close(m.fd);
			if (m.mask & FAN_Q_OVERFLOW) {
				vg_log_warn("fanotify queue overflow: rescanning all roots");
				w_cache_flush(w);
				fim__watch_lost(w, NULL);
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
static int w_fan_mark(struct fim_watch *w, struct fim__watch_root *r)
{
	int rc = 0;
	size_t cut = fim__watch_existing_dir(r->path, r->len, r->follow);
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
/* fanotify: lifetime                                                  */

/* fanotify for every root that allows it; the rest are left to inotify. */
int fim__watch_fan_start(struct fim_watch *w, struct vg_err *err)
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
		struct fim__watch_root *r = &w->roots[i];
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

void fim__watch_fan_free(struct fim_watch *w)
{
	if (w->fan_fd >= 0)
		close(w->fan_fd);
	w->fan_fd = -1;
	for (size_t i = 0; i < w->nmounts; i++)
		close(w->mounts[i].fd);
	vg_free(w->mounts);
	w->mounts = NULL;
	w->nmounts = 0;
	w_cache_flush(w);
}
