/*
 * watch.h - Realtime change notification: fanotify, with an inotify fallback.
 *
 * fanotify (FAN_REPORT_DFID_NAME, filesystem marks) covers a whole
 * filesystem with one mark: no per-directory watch, no watch limit; events
 * are filtered to the configured roots. Where the kernel refuses it (no
 * CAP_SYS_ADMIN, old kernel, a filesystem without file handles) or the
 * configuration asks, inotify watches each directory, adds watches for new
 * directories as they appear and reports them so the caller rescans them
 * (files created before the watch existed are not missed).
 *
 * A watcher runs its own thread and reports through callbacks invoked on
 * that thread: the callbacks must be quick and thread-safe (push to a
 * queue). Paths are absolute and borrowed for the call.
 */
#ifndef FIM_WATCH_H
#define FIM_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "fim/config.h"
#include "lib/err.h"

enum fim_watch_flag {
	FIM_WATCH_CHANGED = 1u << 0, /* created, written, attributes, moved in */
	FIM_WATCH_REMOVED = 1u << 1, /* deleted or moved out */
	FIM_WATCH_DIR = 1u << 2,     /* path is (was) a directory: rescan the subtree */
	FIM_WATCH_CREATED = 1u << 3, /* a file was created here (it may still be written) */
	FIM_WATCH_CLOSED = 1u << 4,  /* a writer closed the file */
};
/*
 * FIM_WATCH_DIR is set only when a directory appeared (created, moved in, a
 * root came back) or went away; an attribute change on a directory comes
 * without it. CHANGED means "look at this path": the caller stats it, so a
 * CHANGED for something already gone is harmless. Duplicates happen.
 */

struct fim_watch_ops {
	/* Something happened at path (flags: enum fim_watch_flag). */
	void (*changed)(void *ctx, const char *path, size_t len, unsigned flags);
	/*
	 * Events were lost (queue overflow, watch limit, a root replaced): the
	 * caller must rescan root (NULL = every root) and report it.
	 */
	void (*lost)(void *ctx, const char *root);
};

struct fim_watch;

/*
 * Create a watcher for the roots given (absolute directory paths; a root
 * that does not exist yet is watched from its nearest existing parent and
 * reported as changed when it appears). follow: follow symlinked
 * directories.
 */
int fim_watch_new(enum fim_realtime_backend backend, const struct fim_watch_ops *ops, void *ctx,
		  struct fim_watch **out, struct vg_err *err) VG_MUST_CHECK;
int fim_watch_add_root(struct fim_watch *w, const char *root, bool follow,
		       struct vg_err *err) VG_MUST_CHECK;
/*
 * Set every watch (fanotify marks, or the inotify walk of each tree) and
 * start the watcher thread. When it returns, the watches are in place: a
 * scan the caller starts afterwards cannot miss a change made after it.
 * With FIM_RT_AUTO each root whose filesystem refuses fanotify falls back to
 * inotify; FIM_RT_FANOTIFY fails instead. Roots cannot be added afterwards.
 */
int fim_watch_start(struct fim_watch *w, struct vg_err *err) VG_MUST_CHECK;
/*
 * The backend in use once started: FIM_RT_FANOTIFY or FIM_RT_INOTIFY
 * (FIM_RT_INOTIFY as soon as any root had to fall back to it).
 */
enum fim_realtime_backend fim_watch_backend(const struct fim_watch *w);
/* Stop the thread and free everything. NULL is allowed. */
void fim_watch_free(struct fim_watch *w);

#endif
