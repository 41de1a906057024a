/*
 * watch_inotify.c - The inotify backend of the watcher: a watch per
 * directory, for the roots whose filesystem refuses fanotify (or all of them
 * with FIM_RT_INOTIFY).
 *
 * Every directory of a root is watched, and a wd -> path table names the
 * events. Each directory created or moved in gets its watches before it is
 * reported with FIM_WATCH_DIR, so the caller's rescan finds what appeared
 * before the watch existed. A directory moved out forgets its subtree's
 * watches; moved in again, it gets new ones (the move pair needs no cookie
 * matching that way). A missing root is watched through its nearest
 * existing ancestor (a watch with anc_refs, not part of a tree). A queue
 * overflow closes inotify and rebuilds every watch, then reports lost(NULL);
 * the watch limit is reported once per root as lost(root).
 *
 * No path length limit: directories are opened through openat chains and
 * watched through /proc/self/fd.
 *
 * Threads: the trees are watched on the caller's thread by fim_watch_start;
 * from then on everything runs on the watcher thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fim/watch_int.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"

#define W_IN_MASK                                                                                  \
	(IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE |        \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

/* inotify watch descriptor -> directory path. */
struct fim__watch_wd {
	struct fim__watch_wd *next;
	int wd;
	bool tree;         /* inside a root (else only an ancestor of a missing one) */
	unsigned anc_refs; /* missing roots watching through it */
	char *path;
	size_t len;
};

/* ------------------------------------------------------------------ */
/* inotify: wd table                                                   */

static struct fim__watch_wd *w_wd_find(const struct fim_watch *w, int wd)
{
	if (w->wd_buckets == 0)
		return NULL;
	for (struct fim__watch_wd *e = w->wds[(unsigned)wd % w->wd_buckets]; e != NULL; e = e->next)
		if (e->wd == wd)
			return e;
	return NULL;
}

static void w_wd_grow(struct fim_watch *w)
{
	size_t nb = w->wd_buckets ? w->wd_buckets * 2 : 256;
	struct fim__watch_wd **t = vg_xcalloc(nb, sizeof(*t));
	for (size_t i = 0; i < w->wd_buckets; i++) {
		struct fim__watch_wd *e = w->wds[i];
		while (e != NULL) {
			struct fim__watch_wd *next = e->next;
			e->next = t[(unsigned)e->wd % nb];
			t[(unsigned)e->wd % nb] = e;
			e = next;
		}
	}
	vg_free(w->wds);
	w->wds = t;
	w->wd_buckets = nb;
}

static struct fim__watch_wd *w_wd_put(struct fim_watch *w, int wd, const char *path, size_t len)
{
	struct fim__watch_wd *e = w_wd_find(w, wd);
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
	struct fim__watch_wd **pp = &w->wds[(unsigned)wd % w->wd_buckets];
	for (; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->wd != wd)
			continue;
		struct fim__watch_wd *e = *pp;
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
		struct fim__watch_wd *e = w->wds[i];
		while (e != NULL) {
			struct fim__watch_wd *next = e->next;
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
void fim__watch_in_forget_tree(struct fim_watch *w, const char *path, size_t len)
{
	for (size_t i = 0; i < w->wd_buckets; i++) {
		struct fim__watch_wd **pp = &w->wds[i];
		while (*pp != NULL) {
			struct fim__watch_wd *e = *pp;
			if (!e->tree || e->anc_refs > 0 ||
			    !fim__watch_under(e->path, e->len, path, len)) {
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
int fim__watch_in_add_tree(struct fim_watch *w, struct fim__watch_root *r, const char *path,
			   size_t len)
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
				fim__watch_lost(w, r->path);
			}
		}
		/* a directory already in a tree (symlink loop, race) is not walked again */
		struct fim__watch_wd *e = wd >= 0 ? w_wd_find(w, wd) : NULL;
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
			struct vg_buf b = VG_BUF_INIT(FIM__WATCH_PATH_CAP);
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

void fim__watch_in_drop_ancestor(struct fim_watch *w, struct fim__watch_root *r)
{
	if (r->anc_wd < 0)
		return;
	struct fim__watch_wd *e = w_wd_find(w, r->anc_wd);
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
void fim__watch_in_watch_ancestor(struct fim_watch *w, struct fim__watch_root *r)
{
	size_t start = fim__watch_parent_len(r->path, r->len);
	fim__watch_in_drop_ancestor(w, r);
	for (int tries = 0; tries < 64; tries++) {
		size_t cut = fim__watch_existing_dir(r->path, start, true);
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
		if (wd < 0 || fim__watch_existing_dir(r->path, start, true) == cut)
			return;
		fim__watch_in_drop_ancestor(w, r);
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
		struct fim__watch_root *r = &w->roots[i];
		if (r->backend != FIM_RT_INOTIFY)
			continue;
		r->present = false;
		r->anc_wd = -1;
		r->limit_warned = false;
		if (w->in_fd >= 0)
			fim__watch_root_recheck(w, r, true);
	}
}

/* Self events: only roots and ancestors of missing roots care. */
static void w_in_self(struct fim_watch *w, const struct fim__watch_wd *e, uint32_t mask)
{
	for (size_t i = 0; i < w->nroots; i++) {
		struct fim__watch_root *r = &w->roots[i];
		if (r->backend != FIM_RT_INOTIFY ||
		    !fim__watch_under(r->path, r->len, e->path, e->len))
			continue;
		if (mask & (IN_DELETE_SELF | IN_MOVE_SELF))
			fim__watch_root_recheck(w, r, false);
		else if (e->len == r->len && (mask & IN_ATTRIB))
			fim__watch_changed(w, r->path, r->len, FIM_WATCH_CHANGED);
	}
}

/* Returns false when the rest of the buffer must be dropped (rebuilt). */
static bool w_in_event(struct fim_watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		vg_log_warn("inotify queue overflow: raise fs.inotify.max_queued_events; "
			    "rescanning all roots");
		w_in_rebuild(w);
		fim__watch_lost(w, NULL);
		return false;
	}
	if (ev->mask & IN_UNMOUNT) {
		fim__watch_lost(w, NULL);
		return true;
	}
	struct fim__watch_wd *e = w_wd_find(w, ev->wd);
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
		fim__watch_lost(w, NULL);
		return true;
	}
	/* copy: routing may re-enter and reuse the scratch buffer */
	char *path = vg_xstrndup(w->path.data, w->path.len);
	size_t len = w->path.len;
	if ((flags & FIM_WATCH_DIR) && (flags & FIM_WATCH_REMOVED))
		fim__watch_in_forget_tree(w, path, len);
	if ((flags & FIM_WATCH_DIR) && (flags & FIM_WATCH_CHANGED)) {
		/* watch first, then report, so the caller's rescan misses nothing */
		for (size_t i = 0; i < w->nroots; i++) {
			struct fim__watch_root *r = &w->roots[i];
			if (r->backend == FIM_RT_INOTIFY && r->present &&
			    fim__watch_under(path, len, r->path, r->len) && len != r->len) {
				(void)fim__watch_in_add_tree(w, r, path, len);
				break;
			}
		}
	}
	fim__watch_route(w, FIM_RT_INOTIFY, false, path, len, flags);
	vg_free(path);
	return true;
}

void fim__watch_in_read(struct fim_watch *w)
{
	for (;;) {
		if (w->in_fd < 0)
			return;
		ssize_t n = read(w->in_fd, w->rbuf, FIM__WATCH_READ_BUF);
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
/* inotify: lifetime                                                   */

int fim__watch_in_start(struct fim_watch *w, struct vg_err *err)
{
	w->in_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->in_fd < 0)
		return vg_err_errno(err, errno, "watch: inotify_init1");
	return 0;
}

void fim__watch_in_free(struct fim_watch *w)
{
	if (w->in_fd >= 0)
		close(w->in_fd);
	w->in_fd = -1;
	w_wd_clear(w);
}
