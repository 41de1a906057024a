/*
 * pool.h - The hashing worker pool.
 *
 * One worker per core (or as configured), each with its own fim_hasher.
 * Jobs go in through a bounded queue (fim_pool_submit blocks when it is
 * full: backpressure, not loss) and come back, finished, on a done list
 * that the owner drains with fim_pool_take_done. The done callback runs on
 * a worker thread when finished jobs land on an empty done list, so the
 * owner can wake up: it must then take the whole list.
 *
 * A worker opens the file itself, relative to the directory the walk found
 * it in (fim_job_open_at) or else by its path, with O_NOFOLLOW |
 * O_NONBLOCK, so a FIFO swapped in at the last moment never blocks it;
 * checks with fstat that it is still a regular file, and hashes it unless
 * it is over max_size (then hash_state is FIM_HASH_TOO_BIG).
 */
#ifndef FIM_POOL_H
#define FIM_POOL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>

#include "fim/entry.h"
#include "lib/err.h"
#include "lib/fdref.h"

/* How a file to hash is opened: never follow a link, never block on a FIFO. */
#define FIM_POOL_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

struct fim_job {
	struct fim_entry entry; /* in: path and lstat; out: digests, hash_state */
	struct fim_entry old;   /* carried for the owner; not touched */
	bool has_old;
	bool vanished;       /* out: the file was gone when the worker got to it */
	struct vg_fdref *at; /* in: open path + name_off relative to this
				directory (see fim_job_open_at), or NULL */
	size_t name_off;
	unsigned which;    /* digests wanted: FIM_CHECK_MD5 | ... */
	uint64_t max_size; /* 0 = no limit */
	int mode;          /* carried for the owner */
	struct fim_job *next;
};

struct fim_pool;

int fim_pool_new(unsigned nworkers, void (*done)(void *ctx), void *ctx, struct fim_pool **out,
		 struct vg_err *err) VG_MUST_CHECK;
/* Queue job (ownership moves to the pool until it comes back done). */
void fim_pool_submit(struct fim_pool *p, struct fim_job *job);
/* The finished jobs in completion order (a list through ->next), or NULL. */
struct fim_job *fim_pool_take_done(struct fim_pool *p);
/* Jobs submitted and not yet taken back. */
uint64_t fim_pool_in_flight(struct fim_pool *p);
/* Stop and join the workers; unfinished jobs are dropped. NULL allowed. */
void fim_pool_free(struct fim_pool *p);

/* A new job for path (copied), opened by its path. */
struct fim_job *fim_job_new(const char *path, size_t len);
/* Open job's file as name relative to dir (a reference is taken); name is
 * the last component of the job's path (else the path is opened). */
void fim_job_open_at(struct fim_job *job, struct vg_fdref *dir, const char *name);
void fim_job_free(struct fim_job *job);

#endif
