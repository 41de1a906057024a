/*
 * pidfile.h - One running instance per home directory.
 *
 * The pid file is held with an flock(2) lock for the life of the process:
 * a second daemon on the same HOME is refused with the first one's pid,
 * and a stale file left by a crash does not block a restart (its lock died
 * with the process).
 */
#ifndef VG_PIDFILE_H
#define VG_PIDFILE_H

#include <sys/types.h>

#include "lib/err.h"

struct vg_pidfile;

/* Lock path (created 0644) or fail with VG_EPERM naming the running pid. */
int vg_pidfile_acquire(const char *path, struct vg_pidfile **out, struct vg_err *err) VG_MUST_CHECK;
/* Write the current pid (call again after daemonizing: the pid changed). */
int vg_pidfile_write(struct vg_pidfile *p, struct vg_err *err) VG_MUST_CHECK;
/* Remove the file and release the lock. NULL is allowed. */
void vg_pidfile_release(struct vg_pidfile *p);

/*
 * Whether a daemon holds the pid file at path: *pid receives its pid (read
 * from the file) or 0 when nobody holds the lock (a file left by a process
 * that is gone does not count). A missing file is "not running", not an
 * error. Takes no lock that could keep the daemon from starting.
 */
int vg_pidfile_holder(const char *path, pid_t *pid, struct vg_err *err) VG_MUST_CHECK;

#endif
