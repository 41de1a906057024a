/*
 * pool.c - Hashing workers fed by a bounded queue.
 *
 * One mutex guards both the pending queue and the done list: the critical
 * sections are a few pointer moves, far shorter than hashing a file, so a
 * single lock does not limit throughput and keeps the logic obvious.
 */
#include "fim/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fim/config.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

/*
 * Queued jobs per worker: deep enough that the workers never starve while
 * the submitting thread waits for a core (3 threads on 2 cores, and the
 * thread's SQLite commits): 1024 scan corpus A ~5% faster than 256
 * (medians of 6, interleaved). Each queued job may hold an open file, so
 * the queue takes at most half of RLIMIT_NOFILE (the daemons raise it to
 * the hard limit: lib/daemon.h).
 */
#define POOL_QUEUE_PER_WORKER_MAX 1024
#define POOL_QUEUE_PER_WORKER_MIN 16
#define POOL_PARALLEL_MIN (64ull << 20) /* split digests over 2 threads above */

struct fim_pool {
	pthread_mutex_t lock;
	pthread_cond_t has_work;
	pthread_cond_t has_room;
	struct fim_job *head, *tail; /* pending */
	struct fim_job *done_head, *done_tail;
	size_t pending, cap;
	uint64_t in_flight;
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
	job->fd = -1;
	return job;
}

void fim_job_free(struct fim_job *job)
{
	if (job == NULL)
		return;
	if (job->fd >= 0)
		close(job->fd);
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

static void pool_run_job(struct fim_hasher *h, struct fim_job *job)
{
	int fd = job->fd;
	struct stat st;

	job->fd = -1;
	if (fd < 0)
		fd = vg_fs_open(job->entry.path, FIM_POOL_OPEN_FLAGS);
	if (fd < 0) {
		int errnum = errno;
		/* a lazily walked file has no attributes yet: take them from lstat */
		if (job->entry.mode == 0 && vg_fs_stat(job->entry.path, &st, 1) == 0)
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
		struct fim_job *job = p->head;
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->pending--;
		/* wake a blocked submitter once per half queue, not per job */
		if (p->pending == p->cap / 2)
			pthread_cond_signal(&p->has_room);
		pthread_mutex_unlock(&p->lock);

		job->next = NULL;
		pool_run_job(h, job);

		pthread_mutex_lock(&p->lock);
		if (p->done_tail != NULL)
			p->done_tail->next = job;
		else
			p->done_head = job;
		p->done_tail = job;
		if (p->done != NULL)
			p->done(p->ctx);
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
	pthread_mutex_lock(&p->lock);
	struct fim_job *list = p->done_head;
	for (struct fim_job *j = list; j != NULL; j = j->next)
		p->in_flight--;
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
