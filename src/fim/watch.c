/*
 * watch.c - Realtime change notification: the watcher object, its roots and
 * its thread. The backends live in watch_fanotify.c (filesystem marks) and
 * watch_inotify.c (a watch per directory, the fallback per root).
 *
 * fim_watch_start lets fanotify take every root whose filesystem allows it
 * and gives the rest to inotify; from then on each root belongs to one
 * backend, and a backend's events are routed here (fim__watch_route): kept
 * when under a root it serves, translated back from fanotify's symlink-free
 * form to the configured path, and reported to the caller.
 *
 * A root that is missing is watched from its nearest existing ancestor
 * (fanotify: the filesystem mark already sees it; inotify: a watch on the
 * ancestor). Any structural event on the root or an ancestor re-checks it:
 * appeared -> CHANGED|DIR, gone -> REMOVED|DIR, replaced -> CHANGED|DIR.
 *
 * Invariant: an event is either reported, covered by a later event that is
 * reported (a deleted directory's children, see watch_fanotify.c), or
 * replaced by a lost() call. Nothing is dropped silently.
 *
 * Threads: fim_watch_new/add_root/start run on the caller's thread and set
 * every watch before fim_watch_start returns; from then on the object belongs
 * to the watcher thread, which polls both backends and invokes the
 * callbacks, until fim_watch_free wakes it through an eventfd and joins it.
 */
#include "fim/watch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fim/watch_int.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/* ------------------------------------------------------------------ */
/* Paths and roots                                                     */

/* path lies at or below base, at a '/' boundary. */
bool fim__watch_under(const char *path, size_t plen, const char *base, size_t blen)
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
size_t fim__watch_parent_len(const char *path, size_t len)
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
size_t fim__watch_existing_dir(const char *path, size_t len, bool follow_last)
{
	size_t cut = len;
	for (;;) {
		struct stat st;
		char *probe = vg_xstrndup(path, cut);
		bool ok = w_is_dir(probe, follow_last || cut != len, &st);
		vg_free(probe);
		if (ok || cut <= 1)
			return cut;
		cut = fim__watch_parent_len(path, cut);
	}
}

/*
 * Symlink-free form of r->path as fanotify will print it: the real path of
 * the nearest existing directory plus the rest. Roots are config paths, so
 * a PATH_MAX bound is fine here (event paths themselves have none).
 */
static void w_root_canon(struct fim__watch_root *r)
{
	char real[PATH_MAX];
	struct vg_buf b = VG_BUF_INIT(FIM__WATCH_PATH_CAP);
	size_t cut = fim__watch_existing_dir(r->path, r->len, r->follow);
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

void fim__watch_changed(struct fim_watch *w, const char *path, size_t len, unsigned flags)
{
	w->ops->changed(w->ctx, path, len, flags);
}

void fim__watch_lost(struct fim_watch *w, const char *root)
{
	w->ops->lost(w->ctx, root);
}

/*
 * Something structural happened to the root or one of its ancestors: look
 * again and report what changed. quiet: state only (an overflow rebuild
 * reports through lost()).
 */
void fim__watch_root_recheck(struct fim_watch *w, struct fim__watch_root *r, bool quiet)
{
	struct stat st;

	/* bounded: the root may appear while its ancestor is being watched */
	for (int tries = 0; tries < 8; tries++) {
		if (w_is_dir(r->path, r->follow, &st)) {
			bool same = r->present && st.st_dev == r->dev && st.st_ino == r->ino;
			if (same)
				return;
			if (r->backend == FIM_RT_INOTIFY) {
				fim__watch_in_drop_ancestor(w, r);
				fim__watch_in_forget_tree(w, r->path, r->len);
				(void)fim__watch_in_add_tree(w, r, r->path, r->len);
			}
			r->present = true;
			r->dev = st.st_dev;
			r->ino = st.st_ino;
			w_root_canon(r);
			if (!quiet)
				fim__watch_changed(w, r->path, r->len,
						   FIM_WATCH_CHANGED | FIM_WATCH_DIR);
			return;
		}
		/* a file or a symlink that takes its place: the caller records it */
		bool gone = r->present, replaced = false;
		if (gone) {
			if (r->backend == FIM_RT_INOTIFY)
				fim__watch_in_forget_tree(w, r->path, r->len);
			if (!quiet)
				fim__watch_changed(w, r->path, r->len,
						   FIM_WATCH_REMOVED | FIM_WATCH_DIR);
			replaced = lstat(r->path, &st) == 0;
			if (!quiet && replaced)
				fim__watch_changed(w, r->path, r->len, FIM_WATCH_CHANGED);
		}
		r->present = false;
		w_root_canon(r);
		if (r->backend != FIM_RT_INOTIFY)
			return;
		fim__watch_in_watch_ancestor(w, r);
		if (!w_is_dir(r->path, r->follow, &st)) {
			/* made after the lstat above but before the ancestor's watch
			 * was set: inotify said nothing of it */
			if (!quiet && gone && !replaced && lstat(r->path, &st) == 0)
				fim__watch_changed(w, r->path, r->len, FIM_WATCH_CHANGED);
			return;
		}
	}
}

/*
 * Route one event (absolute path) of a backend to the caller. canon: the
 * path is in fanotify's symlink-free form and is translated back to the
 * configured root. Structural events on a root or an ancestor re-check it.
 * Only the first root the path lies in reports it.
 */
void fim__watch_route(struct fim_watch *w, enum fim_realtime_backend src, bool canon,
		      const char *path, size_t len, unsigned flags)
{
	const struct fim__watch_root *hit = NULL;
	bool structural = (flags & FIM_WATCH_DIR) != 0;

	for (size_t i = 0; i < w->nroots; i++) {
		struct fim__watch_root *r = &w->roots[i];
		const char *base = canon ? r->canon : r->path;
		size_t blen = canon ? r->canon_len : r->len;
		if (r->backend != src)
			continue;
		if (structural && fim__watch_under(base, blen, path, len)) {
			/* the root itself or an ancestor appeared or went */
			fim__watch_root_recheck(w, r, false);
			continue;
		}
		if (hit != NULL || !fim__watch_under(path, len, base, blen))
			continue;
		hit = r;
		if (!canon || (blen == r->len && memcmp(base, r->path, blen) == 0)) {
			fim__watch_changed(w, path, len, flags);
			continue;
		}
		/* translate the canonical prefix back to the configured root */
		struct vg_buf b = VG_BUF_INIT(FIM__WATCH_PATH_CAP);
		const char *rest = path + blen;
		size_t rest_len = len - blen;
		if (blen == 1 && len > 1) { /* canonical root "/": keep the slash */
			rest = path;
			rest_len = len;
		}
		if (vg_buf_append(&b, r->path, r->len == 1 ? 0 : r->len) == 0 &&
		    vg_buf_append(&b, rest, rest_len) == 0)
			fim__watch_changed(w, b.data, b.len, flags);
		else
			fim__watch_lost(w, r->path);
		vg_buf_free(&b);
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
			fim__watch_fan_read(w);
		if (pfd[2].revents != 0)
			fim__watch_in_read(w);
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
	vg_buf_init(&w->path, FIM__WATCH_PATH_CAP);
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
	struct fim__watch_root *r = &w->roots[w->nroots++];
	memset(r, 0, sizeof(*r));
	r->path = vg_xstrndup(root, len);
	r->len = len;
	r->follow = follow;
	r->anc_wd = -1;
	r->backend = FIM_RT_AUTO;
	return 0;
}

int fim_watch_start(struct fim_watch *w, struct vg_err *err)
{
	int rc = 0;
	bool any_in = false;
	if (w->started)
		return vg_err_set(err, VG_EINTERNAL, "watch: already started");
	w->rbuf = vg_xmalloc(FIM__WATCH_READ_BUF);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0) {
		rc = vg_err_errno(err, errno, "watch: eventfd");
		goto out;
	}
	rc = fim__watch_fan_start(w, err);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < w->nroots; i++) {
		if (w->roots[i].backend != FIM_RT_FANOTIFY) {
			w->roots[i].backend = FIM_RT_INOTIFY;
			any_in = true;
		}
	}
	if (any_in) {
		rc = fim__watch_in_start(w, err);
		if (rc != 0)
			goto out;
	}
	/* set every watch now: a scan started after this returns misses nothing */
	for (size_t i = 0; i < w->nroots; i++)
		fim__watch_root_recheck(w, &w->roots[i], true);

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
	fim__watch_fan_free(w);
	fim__watch_in_free(w);
	for (size_t i = 0; i < w->nroots; i++) {
		vg_free(w->roots[i].path);
		vg_free(w->roots[i].canon);
	}
	vg_free(w->roots);
	vg_free(w->rbuf);
	vg_buf_free(&w->path);
	vg_free(w);
}
