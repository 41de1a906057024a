/*
 * watch_int.h - Internals of the realtime watcher shared by its three files.
 *
 * watch.c owns the object, its roots and its thread; watch_fanotify.c and
 * watch_inotify.c are the two backends. Each root is served by exactly one
 * backend once started (fim__watch_root.backend); the shared code routes a
 * backend's events to the caller through fim__watch_route, and re-checks a
 * root (fim__watch_root_recheck) when something structural happened to it or
 * to one of its ancestors, calling back into the inotify backend for the
 * roots it serves (fanotify's filesystem mark needs nothing per root).
 *
 * Tables private to one backend (struct fim__watch_mount, fim__watch_dent,
 * fim__watch_wd) are defined in that backend's file; the object only holds
 * pointers to them, and each backend frees its own part.
 *
 * Threads: as for struct fim_watch (watch.h): everything here runs on the
 * caller's thread until fim_watch_start returns, then on the watcher thread
 * only. Nothing here takes a lock.
 */
#ifndef FIM_WATCH_INT_H
#define FIM_WATCH_INT_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "fim/config.h"
#include "fim/watch.h"
#include "lib/buf.h"
#include "lib/err.h"

/* One read() of either backend's queue. */
#define FIM__WATCH_READ_BUF (256u * 1024u)
/* Paths are built in capped buffers; far above any real tree. */
#define FIM__WATCH_PATH_CAP (1u << 20)
/* Buckets of the fanotify directory handle -> path cache. */
#define FIM__WATCH_CACHE_BUCKETS 1024u

struct fim__watch_root {
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

struct fim__watch_mount; /* watch_fanotify.c: a marked filesystem */
struct fim__watch_dent;  /* watch_fanotify.c: a cached directory path */
struct fim__watch_wd;    /* watch_inotify.c: a watch descriptor's directory */

struct fim_watch {
	enum fim_realtime_backend want;
	const struct fim_watch_ops *ops;
	void *ctx;
	struct fim__watch_root *roots;
	size_t nroots;
	bool started;
	pthread_t thread;
	int stop_fd;

	/* fanotify (watch_fanotify.c) */
	int fan_fd;
	struct fim__watch_mount *mounts;
	size_t nmounts;
	struct fim__watch_dent *cache[FIM__WATCH_CACHE_BUCKETS];
	size_t cache_n;

	/* inotify (watch_inotify.c) */
	int in_fd;
	struct fim__watch_wd **wds;
	size_t wd_buckets;
	size_t wd_n;

	unsigned char *rbuf; /* FIM__WATCH_READ_BUF bytes, for both backends */
	struct vg_buf path;  /* scratch for the event being resolved */
};

/* ------------------------------------------------------------------ */
/* watch.c: paths, roots, routing                                      */

/* path lies at or below base, at a '/' boundary. */
bool fim__watch_under(const char *path, size_t plen, const char *base, size_t blen);
/* Length of the parent of path[0..len) ("/" has itself as parent). */
size_t fim__watch_parent_len(const char *path, size_t len);
/*
 * Length of the longest prefix of path[0..len) that is an existing
 * directory ("/" at worst). The last component is followed only if
 * follow_last; its ancestors always are (as the kernel does).
 */
size_t fim__watch_existing_dir(const char *path, size_t len, bool follow_last);
/* The caller's callbacks (struct fim_watch_ops); path borrowed for the call. */
void fim__watch_changed(struct fim_watch *w, const char *path, size_t len, unsigned flags);
void fim__watch_lost(struct fim_watch *w, const char *root);
/*
 * Something structural happened to r or one of its ancestors: look again,
 * update r (presence, identity, canonical path, inotify watches) and report
 * what changed. quiet: update only (start, or an overflow rebuild that
 * reports through lost()).
 */
void fim__watch_root_recheck(struct fim_watch *w, struct fim__watch_root *r, bool quiet);
/*
 * Route one event (absolute path, flags: enum fim_watch_flag) of backend
 * src to the caller, for the roots src serves. canon: the path is in
 * fanotify's symlink-free form and is translated back to the configured
 * root. A structural event (FIM_WATCH_DIR) on a root or an ancestor
 * re-checks that root. With src FIM_RT_INOTIFY, path must not point into
 * w->path: a re-check re-enters the inotify backend.
 */
void fim__watch_route(struct fim_watch *w, enum fim_realtime_backend src, bool canon,
		      const char *path, size_t len, unsigned flags);

/* ------------------------------------------------------------------ */
/* watch_fanotify.c                                                    */

/*
 * Unless w->want is FIM_RT_INOTIFY: open fanotify and mark the filesystem
 * of each root, setting its backend to FIM_RT_FANOTIFY. A root refused (or
 * fanotify itself) is left to inotify with FIM_RT_AUTO; with FIM_RT_FANOTIFY
 * it fails instead.
 */
int fim__watch_fan_start(struct fim_watch *w, struct vg_err *err) VG_MUST_CHECK;
/* Drain the fanotify queue (non-blocking) and report its events. */
void fim__watch_fan_read(struct fim_watch *w);
/* Close fanotify and the marked filesystems, empty the cache. */
void fim__watch_fan_free(struct fim_watch *w);

/* ------------------------------------------------------------------ */
/* watch_inotify.c                                                     */

/* Open the inotify instance for the roots that fell back to it. */
int fim__watch_in_start(struct fim_watch *w, struct vg_err *err) VG_MUST_CHECK;
/*
 * Watch the directory at path (inside r) and everything below it. Returns
 * 0, or -ENOSPC when the watch limit stopped it (reported once per root
 * through lost()).
 */
int fim__watch_in_add_tree(struct fim_watch *w, struct fim__watch_root *r, const char *path,
			   size_t len);
/* A directory moved out or removed: drop the tree watches at or below path. */
void fim__watch_in_forget_tree(struct fim_watch *w, const char *path, size_t len);
/* r is missing: watch its nearest existing ancestor for it to appear. */
void fim__watch_in_watch_ancestor(struct fim_watch *w, struct fim__watch_root *r);
/* r no longer needs its ancestor watch (it appeared, or is re-watched). */
void fim__watch_in_drop_ancestor(struct fim_watch *w, struct fim__watch_root *r);
/* Drain the inotify queue (non-blocking) and report its events. */
void fim__watch_in_read(struct fim_watch *w);
/* Close inotify and free the watch table. */
void fim__watch_in_free(struct fim_watch *w);

#endif
