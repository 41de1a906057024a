/*
 * fdref.h - A file descriptor shared between threads by reference count.
 *
 * The walker lists a directory on its own thread while hash workers open
 * the files in it, relative to its descriptor, on theirs: each job holds a
 * reference, so the descriptor lives exactly as long as its last user, and
 * a worker's openat resolves one name, not the whole path again (nor a
 * path whose parents were swapped for symlinks since the walk saw them).
 *
 * get and put may be called from any thread; the descriptor itself is
 * only read (openat, fstatat) while a reference is held.
 */
#ifndef VG_FDREF_H
#define VG_FDREF_H

struct vg_fdref;

/* A new reference (count 1) owning fd, which is closed with the last put. */
struct vg_fdref *vg_fdref_new(int fd);
/* One more reference to r; returns r. */
struct vg_fdref *vg_fdref_get(struct vg_fdref *r);
/* Drop a reference; the last one closes the descriptor. NULL allowed. */
void vg_fdref_put(struct vg_fdref *r);
/* The descriptor, valid while the caller holds a reference. */
int vg_fdref_fd(const struct vg_fdref *r);

#endif
