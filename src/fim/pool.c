/*
 * pool.c - Hashing workers fed by a bounded queue.
 *
 * One mutex guards both the pending queue and the done list: the critical
 * sections are a few pointer moves. It was still contended with three
 * threads taking it twice per small file (workers slept on it ~8% of a
 * baseline scan), so a worker takes a share of the queue per round and
 * hands finished jobs back without waiting for the lock between small
 * files (pool_run), and the owner looks at an atomic count before locking
 * for the done list.
 */
#include "fim/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fim/config.h"
#include "lib/common.h"
#include "lib/fdref.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/*
 * Queued jobs per worker: deep enough that the workers never starve while
 * the submitting thread waits for a core (3 threads on 2 cores, and the
 * thread's SQLite commits): 1024 scan corpus A ~5% faster than 256
 * (medians of 6, interleaved). Each queued job may hold an open directory
 * (fim_job_open_at), so the queue takes at most half of RLIMIT_NOFILE (the
 * daemons raise it to the hard limit: lib/daemon.h).
 */
#define POOL_QUEUE_PER_WORKER_MAX 1024
#define POOL_QUEUE_PER_WORKER_MIN 16
#define POOL_TAKE_MAX 16                /* jobs a worker takes per lock round */
#define POOL_RIDE_MAX (1u << 20)        /* bytes of the next job a finished one may wait for */
#define POOL_PARALLEL_MIN (64ull << 20) /* split digests over 2 threads above */

struct fim_pool {
	pthread_mutex_t lock;
	pthread_cond_t has_work;
	pthread_cond_t has_room;
	struct fim_job *head, *tail; /* pending */
	struct fim_job *done_head, *done_tail;
	size_t pending, cap;
	uint64_t in_flight;
	atomic_size_t ndone; /* jobs on the done list; written under the lock */
	bool stopping;
	void (*done)(void *ctx);
	void *ctx;
	unsigned nworkers;
	pthread_t *threads;
};

struct fim_job *fim_job_new(const char *path, size_t len)
{
	struct fim_job *job = vg_xcalloc(1, sizeof(*job));
	job->entry.path = vg_xstrndup(path, len);
	job->entry.path_len = len;
	return job;
}

void fim_job_open_at(struct fim_job *job, struct vg_fdref *dir, const char *name)
{
	size_t n = strlen(name);

	if (n > job->entry.path_len ||
	    memcmp(job->entry.path + job->entry.path_len - n, name, n) != 0)
		return; /* not the path's last component: opened by path */
	vg_fdref_put(job->at);
	job->at = vg_fdref_get(dir);
	job->name_off = job->entry.path_len - n;
}

void fim_job_free(struct fim_job *job)
{
	if (job == NULL)
		return;
	vg_fdref_put(job->at);
	fim_entry_clear(&job->entry);
	fim_entry_clear(&job->old);
	vg_free(job);
}

static int pool_hash(struct fim_hasher *h, struct fim_job *job, int fd, const struct stat *st)
{
	struct vg_err err = VG_ERR_INIT;
	uint64_t nread = 0;
	int rc;

	if (st->st_size >= 0 && (uint64_t)st->st_size >= POOL_PARALLEL_MIN)
		rc = fim_hash_fd_parallel(fd, job->which, job->max_size, &job->entry.digests,
					  &nread, &err);
	else
		rc = fim_hasher_fd(h, fd, job->which, job->max_size, &job->entry.digests, &nread,
				   &err);
	if (rc == 0)
		return FIM_HASH_OK;
	memset(&job->entry.digests, 0, sizeof(job->entry.digests));
	if (rc == VG_ETOOBIG)
		return FIM_HASH_TOO_BIG; /* grew past the limit while being read */
	char esc[512];
	vg_log_warn("cannot hash '%s': %s",
		    vg_escape(esc, sizeof(esc), job->entry.path, job->entry.path_len), err.msg);
	return FIM_HASH_UNREADABLE;
}

/* open(2) or lstat(2) the job's file: relative to its directory when it has one. */
static int pool_open(const struct fim_job *job)
{
	if (job->at == NULL)
		return vg_fs_open(job->entry.path, FIM_POOL_OPEN_FLAGS);
	return openat(vg_fdref_fd(job->at), job->entry.path + job->name_off, FIM_POOL_OPEN_FLAGS);
}

static int pool_lstat(const struct fim_job *job, struct stat *st)
{
	if (job->at == NULL)
		return vg_fs_stat(job->entry.path, st, 1);
	return fstatat(vg_fdref_fd(job->at), job->entry.path + job->name_off, st,
		       AT_SYMLINK_NOFOLLOW);
}

static void pool_run_job(struct fim_hasher *h, struct fim_job *job)
{
	int fd = pool_open(job);
	struct stat st;

	if (fd < 0) {
		int errnum = errno;
		/* a lazily walked file has no attributes yet: take them from lstat */
		if (job->entry.mode == 0 && pool_lstat(job, &st) == 0)
			fim_entry_set_stat(&job->entry, &st);
		errno = errnum;
		job->vanished = errno == ENOENT || errno == ENOTDIR;
		job->entry.hash_state = FIM_HASH_UNREADABLE;
		if (!job->vanished) {
			char esc[512];
			vg_log_warn(
			    "cannot open '%s': %s",
			    vg_escape(esc, sizeof(esc), job->entry.path, job->entry.path_len),
			    strerror(errno));
		}
		return;
	}
	if (fstat(fd, &st) != 0) {
		job->entry.hash_state = FIM_HASH_UNREADABLE;
		close(fd);
		return;
	}
	/* report the file that was opened; a later change shows on the next look */
	fim_entry_set_stat(&job->entry, &st);
	if (!S_ISREG(st.st_mode) || job->which == 0) {
		job->entry.hash_state = FIM_HASH_NONE; /* swapped, or no digest wanted */
	} else if (job->max_size != 0 && (uint64_t)st.st_size > job->max_size) {
		job->entry.hash_state = FIM_HASH_TOO_BIG;
	} else {
		/* O_NONBLOCK is left on: it has no effect on regular files */
		job->entry.hash_state = pool_hash(h, job, fd, &st);
	}
	close(fd);
}

/*
 * Take the next jobs off the pending queue (lock held): a fair share of it,
 * so one lock round serves several small files while the other workers
 * still find work, and a single realtime job is taken alone.
 */
static struct fim_job *pool_take(struct fim_pool *p)
{
	size_t n = VG_MIN((size_t)POOL_TAKE_MAX, VG_MAX(1, p->pending / (2 * p->nworkers)));
	struct fim_job *first = p->head, *last = first;

	for (size_t i = 1; i < n; i++)
		last = last->next;
	p->head = last->next;
	if (p->head == NULL)
		p->tail = NULL;
	last->next = NULL;
	/* wake a blocked submitter once the queue is half empty, not per job */
	if (p->pending >= p->cap / 2 && p->pending - n < p->cap / 2)
		pthread_cond_signal(&p->has_room);
	p->pending -= n;
	return first;
}

/* Append the finished jobs first..last (lock held); tell the owner if it had none. */
static void pool_put_done(struct fim_pool *p, struct fim_job *first, struct fim_job *last, size_t n)
{
	bool was_empty = p->done_head == NULL;

	if (p->done_tail != NULL)
		p->done_tail->next = first;
	else
		p->done_head = first;
	p->done_tail = last;
	atomic_fetch_add_explicit(&p->ndone, n, memory_order_relaxed);
	/* a non-empty list was announced already and is taken whole */
	if (was_empty && p->done != NULL)
		p->done(p->ctx);
}

/*
 * Hash a taken run of jobs. Each finished job goes to the done list at once
 * when the lock is free, else it rides with the next one if that one is
 * short: a worker does not sleep on the lock between small files, and a
 * finished file never waits for a long one (a realtime event stays prompt).
 * Lazily walked files have no size yet: they come from a first scan, which
 * emits no events.
 */
static void pool_run(struct fim_pool *p, struct fim_hasher *h, struct fim_job *job)
{
	struct fim_job *first = NULL, *last = NULL;
	size_t n = 0;

	while (job != NULL) {
		struct fim_job *next = job->next;
		job->next = NULL;
		pool_run_job(h, job);
		if (last != NULL)
			last->next = job;
		else
			first = job;
		last = job;
		n++;
		job = next;
		if (job != NULL && job->entry.size < POOL_RIDE_MAX) {
			if (pthread_mutex_trylock(&p->lock) != 0)
				continue;
		} else {
			pthread_mutex_lock(&p->lock); /* kept for the next take when the run ends */
		}
		pool_put_done(p, first, last, n);
		first = last = NULL;
		n = 0;
		if (job != NULL)
			pthread_mutex_unlock(&p->lock);
	}
}

static void *pool_worker(void *arg)
{
	struct fim_pool *p = arg;
	struct fim_hasher *h = NULL;
	struct vg_err err = VG_ERR_INIT;

	if (fim_hasher_new(&h, &err) != 0) {
		vg_log_error("hash worker cannot start: %s", err.msg);
		return NULL;
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->has_work, &p->lock);
		if (p->stopping)
			break;
		struct fim_job *jobs = pool_take(p);
		pthread_mutex_unlock(&p->lock);
		pool_run(p, h, jobs); /* returns with the lock held */
	}
	pthread_mutex_unlock(&p->lock);
	fim_hasher_free(h);
	return NULL;
}

/* The queue's bound for nworkers (see POOL_QUEUE_PER_WORKER_MAX). */
static size_t pool_queue_cap(unsigned nworkers)
{
	struct rlimit rl;
	size_t per = POOL_QUEUE_PER_WORKER_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		per = VG_MIN(per, (size_t)rl.rlim_cur / 2 / nworkers);
	return (size_t)nworkers * VG_MAX(per, (size_t)POOL_QUEUE_PER_WORKER_MIN);
}

int fim_pool_new(unsigned nworkers, void (*done)(void *ctx), void *ctx, struct fim_pool **out,
		 struct vg_err *err)
{
	struct fim_pool *p = vg_xcalloc(1, sizeof(*p));

	*out = NULL;
	if (nworkers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = n > 0 ? (unsigned)n : 1;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->has_work, NULL);
	pthread_cond_init(&p->has_room, NULL);
	p->cap = pool_queue_cap(nworkers);
	p->done = done;
	p->ctx = ctx;
	p->threads = vg_xcalloc(nworkers, sizeof(*p->threads));
	for (unsigned i = 0; i < nworkers; i++) {
		int rc = pthread_create(&p->threads[i], NULL, pool_worker, p);
		if (rc != 0) {
			fim_pool_free(p);
			return vg_err_errno(err, rc, "cannot start hash workers");
		}
		p->nworkers++;
	}
	*out = p;
	return 0;
}

void fim_pool_submit(struct fim_pool *p, struct fim_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	while (p->pending >= p->cap)
		pthread_cond_wait(&p->has_room, &p->lock);
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->pending++;
	p->in_flight++;
	pthread_cond_signal(&p->has_work);
	pthread_mutex_unlock(&p->lock);
}

struct fim_job *fim_pool_take_done(struct fim_pool *p)
{
	/* the owner asks after every submit: most times there is nothing */
	if (atomic_load_explicit(&p->ndone, memory_order_relaxed) == 0)
		return NULL;
	pthread_mutex_lock(&p->lock);
	struct fim_job *list = p->done_head;
	p->in_flight -= atomic_exchange_explicit(&p->ndone, 0, memory_order_relaxed);
	p->done_head = p->done_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	return list;
}

uint64_t fim_pool_in_flight(struct fim_pool *p)
{
	pthread_mutex_lock(&p->lock);
	uint64_t n = p->in_flight;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void pool_free_list(struct fim_job *j)
{
	while (j != NULL) {
		struct fim_job *next = j->next;
		fim_job_free(j);
		j = next;
	}
}

void fim_pool_free(struct fim_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->has_work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->threads[i], NULL);
	pool_free_list(p->head);
	pool_free_list(p->done_head);
	pthread_cond_destroy(&p->has_work);
	pthread_cond_destroy(&p->has_room);
	pthread_mutex_destroy(&p->lock);
	vg_free(p->threads);
	vg_free(p);
}
