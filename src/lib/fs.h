/*
 * fs.h - File system helpers that work for paths of any length.
 *
 * The kernel refuses paths of PATH_MAX bytes or more, but a monitored tree
 * can hold deeper files. These helpers try the path directly and, on
 * ENAMETOOLONG, resolve the parent directory component by component with
 * openat, then act on the last component relative to it.
 */
#ifndef VG_FS_H
#define VG_FS_H

#include <stddef.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/err.h"

/* Open the parent directory of path (O_PATH) and point *name at the last
 * component; returns the fd or -1 with errno set. path must be absolute. */
int vg_fs_open_parent(const char *path, const char **name);

/* openat-style open of an absolute path of any length; -1 + errno on error. */
int vg_fs_open(const char *path, int flags);

/* lstat (nofollow) or stat of an absolute path of any length; -1 + errno. */
int vg_fs_stat(const char *path, struct stat *st, int nofollow);

/*
 * Append the whole regular file path to b, refusing (VG_ETOOBIG) more than
 * b->max bytes, checked from fstat first so a huge file is never read.
 * Messages read "cannot open <what><path>: ..." ("CDB list ", "" ...).
 */
int vg_fs_read_file(const char *path, const char *what, struct vg_buf *b,
		    struct vg_err *err) VG_MUST_CHECK;

/* fsync the directory dir, so that a rename or a new file in it is durable. */
int vg_fs_sync_dir(const char *dir, struct vg_err *err) VG_MUST_CHECK;

/* mkdir -p with mode for missing components. */
int vg_fs_mkdirs(const char *path, mode_t mode, struct vg_err *err) VG_MUST_CHECK;

#endif
