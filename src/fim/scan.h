/*
 * scan.h - Walking a monitored tree.
 *
 * fim_walk visits every file below a start directory that the <directories>
 * entry governing it asks for: it walks with openat/fdopendir/fstatat from
 * directory descriptors, so paths of any length work; it never follows
 * symlinks unless follow_symbolic_link is set (and then detects loops); it
 * honours recursion_level, <ignore>, restrict= and skip_nfs/dev/sys/proc;
 * it never opens FIFOs, sockets or devices (they are skipped with a debug
 * line). Directories are descended, not reported. Vanishing entries and a
 * directory replaced by a file mid-walk are skipped, not errors.
 *
 * The walker runs on the caller's thread and holds one open descriptor per
 * directory level, plus those its callback keeps (fim_walk_item.parent).
 */
#ifndef FIM_SCAN_H
#define FIM_SCAN_H

#include <stddef.h>
#include <sys/stat.h>

#include "fim/config.h"
#include "lib/err.h"
#include "lib/fdref.h"

struct fim_walk_item {
	const char *path; /* absolute; borrowed for the call */
	size_t path_len;
	/*
	 * lstat, or stat of the target when following; NULL for a regular file
	 * under FIM_WALK_LAZY_STAT (the caller will open it and fstat anyway)
	 */
	const struct stat *st;
	const struct fim_dir *dir;
	/* the parent directory, open; NULL outside walks. A callback that
	 * opens the file later (on another thread) keeps it with vg_fdref_get */
	struct vg_fdref *parent;
	const char *name; /* the last component, relative to parent */
};

/* Called for each file; a non-zero return stops the walk and is returned. */
typedef int (*fim_walk_fn)(void *ctx, const struct fim_walk_item *it);

enum fim_walk_flag {
	/*
	 * Do not stat entries that readdir already says are regular files: for
	 * callers that open and fstat every file anyway (a first scan, vigie
	 * scan), it saves one system call per file.
	 */
	FIM_WALK_LAZY_STAT = 1u << 0,
};

/*
 * Walk start, which must be dir->path or lie below it (the depth limit is
 * counted from dir->path). If start is itself a file it is reported alone.
 * flags: enum fim_walk_flag. VG_ENOTFOUND when start does not exist; other
 * failures below start are logged and skipped.
 */
int fim_walk(const struct fim_config *cfg, const struct fim_dir *dir, const char *start,
	     unsigned flags, fim_walk_fn fn, void *ctx, struct vg_err *err) VG_MUST_CHECK;

/*
 * Whether a single path (not walked) passes dir's filters: depth, ignore and
 * restrict. depth is the number of components of path below dir->path.
 */
int fim_walk_accepts(const struct fim_config *cfg, const struct fim_dir *dir, const char *path,
		     int depth, const struct stat *st);

#endif
