/*
 * bare_hash.c - The bare read-and-hash floor, for bench/run.
 *
 *   bare_hash one FILE            one-pass md5+sha1+sha256 on one core
 *   bare_hash parallel FILE       the same digests spread over two threads
 *   bare_hash tree DIR THREADS    walk DIR and hash every regular file with
 *                                 THREADS hashing threads; nothing else
 *
 * "one" and "parallel" print the three digests, then a key=value line
 * (bytes, seconds, mbps with MB = 10^6 bytes, as `openssl speed` counts).
 * "tree" prints files=, bytes=, seconds=. bench/run parses those lines.
 *
 * The tree mode is the floor a full Vigie scan is measured against: one
 * walker (fts, physical, lstat per entry as any scanner must) feeds a bounded
 * queue of path batches; each hashing thread owns one fim_hasher and does open,
 * read, md5+sha1+sha256, close. No database, no events, no attributes beyond
 * what the walk already returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fim/config.h"
#include "fim/hash.h"
#include "lib/mem.h"
#include "lib/str.h"

#define QUEUE_CAP 64u /* batches */
#define BATCH 64u     /* paths per batch: one wake-up per 64 files, not per file */
#define MAX_THREADS 64u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_digests(const struct fim_digests *d, uint64_t bytes, double secs)
{
	printf("md5=%s\nsha1=%s\nsha256=%s\n", d->md5, d->sha1, d->sha256);
	printf("bytes=%llu seconds=%.3f mbps=%.1f\n", (unsigned long long)bytes, secs,
	       secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
}

/* "one" and "parallel": hash one file, report the rate. */
static int cmd_file(const char *path, bool parallel)
{
	struct vg_err err = VG_ERR_INIT;
	struct fim_hasher *h = NULL;
	struct fim_digests d;
	uint64_t bytes = 0;
	int rc = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "bare_hash: %s: %s\n", path, strerror(errno));
		return 1;
	}
	double t0 = now_s();
	if (parallel) {
		rc = fim_hash_fd_parallel(fd, FIM_CHECK_SUM, 0, &d, &bytes, &err);
	} else {
		rc = fim_hasher_new(&h, &err);
		if (rc == 0)
			rc = fim_hasher_fd(h, fd, FIM_CHECK_SUM, 0, &d, &bytes, &err);
	}
	double t1 = now_s();
	if (rc != 0)
		fprintf(stderr, "bare_hash: %s: %s\n", path, err.msg);
	else
		print_digests(&d, bytes, t1 - t0);
	fim_hasher_free(h);
	close(fd);
	return rc != 0;
}

/* ------------------------------------------------------------------------ */
/* tree: one walker, N hashing threads                                      */
/* ------------------------------------------------------------------------ */

struct batch {
	char *path[BATCH];
	unsigned n;
};

struct pathq {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	pthread_cond_t nonfull;
	struct batch *item[QUEUE_CAP];
	size_t head, count;
	bool closed;
};

struct worker {
	pthread_t tid;
	struct pathq *q;
	uint64_t files, bytes, errors;
};

static void pathq_push(struct pathq *q, struct batch *b)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == QUEUE_CAP)
		pthread_cond_wait(&q->nonfull, &q->mu);
	q->item[(q->head + q->count) % QUEUE_CAP] = b; /* transferred */
	q->count++;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

/* NULL once the queue is closed and drained. */
static struct batch *pathq_pop(struct pathq *q)
{
	struct batch *p = NULL;

	pthread_mutex_lock(&q->mu);
	while (q->count == 0 && !q->closed)
		pthread_cond_wait(&q->nonempty, &q->mu);
	if (q->count > 0) {
		p = q->item[q->head];
		q->head = (q->head + 1) % QUEUE_CAP;
		q->count--;
		pthread_cond_signal(&q->nonfull);
	}
	pthread_mutex_unlock(&q->mu);
	return p;
}

static void pathq_close(struct pathq *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

static void hash_one_path(struct worker *w, struct fim_hasher *h, const char *path)
{
	struct vg_err err = VG_ERR_INIT;
	struct fim_digests d;
	uint64_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0) {
		w->errors++;
		return;
	}
	if (fim_hasher_fd(h, fd, FIM_CHECK_SUM, 0, &d, &n, &err) != 0)
		w->errors++;
	else
		w->files++;
	w->bytes += n;
	close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct vg_err err = VG_ERR_INIT;
	struct fim_hasher *h = NULL;
	struct batch *b;

	if (fim_hasher_new(&h, &err) != 0) {
		fprintf(stderr, "bare_hash: %s\n", err.msg);
		w->errors++;
	}
	while ((b = pathq_pop(w->q)) != NULL) {
		for (unsigned i = 0; i < b->n; i++) {
			if (h != NULL)
				hash_one_path(w, h, b->path[i]);
			vg_free(b->path[i]);
		}
		vg_free(b);
	}
	fim_hasher_free(h);
	return NULL;
}

/* Walk root and queue every regular file; returns the walk errors. */
static uint64_t walk_tree(const char *root, struct pathq *q)
{
	char *roots[] = {(char *)(uintptr_t)root, NULL};
	uint64_t errors = 0;
	struct batch *b = vg_xcalloc(1, sizeof(*b));
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *e;

	if (fts == NULL) {
		fprintf(stderr, "bare_hash: %s: %s\n", root, strerror(errno));
		vg_free(b);
		return 1;
	}
	while ((e = fts_read(fts)) != NULL) {
		if (e->fts_info == FTS_F) {
			b->path[b->n++] = vg_xstrndup(e->fts_path, e->fts_pathlen);
			if (b->n == BATCH) {
				pathq_push(q, b); /* transferred */
				b = vg_xcalloc(1, sizeof(*b));
			}
		} else if (e->fts_info == FTS_ERR || e->fts_info == FTS_DNR ||
			   e->fts_info == FTS_NS)
			errors++;
	}
	fts_close(fts);
	if (b->n > 0)
		pathq_push(q, b); /* transferred */
	else
		vg_free(b);
	return errors;
}

static int cmd_tree(const char *root, const char *threads_arg)
{
	struct pathq q;
	struct worker w[MAX_THREADS];
	uint64_t nthreads, files = 0, bytes = 0, errors;

	if (vg_parse_u64(threads_arg, MAX_THREADS, &nthreads) != 0 || nthreads == 0) {
		fprintf(stderr, "bare_hash: THREADS must be 1..%u\n", MAX_THREADS);
		return 2;
	}
	memset(&q, 0, sizeof(q));
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.nonempty, NULL);
	pthread_cond_init(&q.nonfull, NULL);
	memset(w, 0, sizeof(w));

	double t0 = now_s();
	for (uint64_t i = 0; i < nthreads; i++) {
		w[i].q = &q;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "bare_hash: cannot start thread\n");
			return 1;
		}
	}
	errors = walk_tree(root, &q);
	pathq_close(&q);
	for (uint64_t i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		files += w[i].files;
		bytes += w[i].bytes;
		errors += w[i].errors;
	}
	double secs = now_s() - t0;

	printf("files=%llu bytes=%llu errors=%llu seconds=%.3f mbps=%.1f\n",
	       (unsigned long long)files, (unsigned long long)bytes, (unsigned long long)errors,
	       secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
	pthread_cond_destroy(&q.nonfull);
	pthread_cond_destroy(&q.nonempty);
	pthread_mutex_destroy(&q.mu);
	return errors != 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bare_hash one FILE | parallel FILE | tree DIR THREADS\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "one") == 0)
		return cmd_file(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "parallel") == 0)
		return cmd_file(argv[2], true);
	if (argc == 4 && strcmp(argv[1], "tree") == 0)
		return cmd_tree(argv[2], argv[3]);
	return usage();
}
