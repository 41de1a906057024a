/* Unit tests for src/fim/pool.c: the hashing workers and their queues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fim/config.h"
#include "fim/hash.h"
#include "fim/pool.h"
#include "lib/fdref.h"
#include "lib/mem.h"
#include "lib/notify.h"
#include "support/support.h"

#define MANY 2000 /* several queue lengths' worth of small files per worker */

struct fixture {
	char dir[64];
	struct vg_notify done;
	struct fim_pool *pool;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;

	vg_test_fmt(f->dir, sizeof(f->dir), "/tmp/vg-pool-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	vg_notify_init(&f->done);
	assert_int_equal(fim_pool_new(2, vg_notify_kick, &f->done, &f->pool, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fim_pool_free(f->pool);
	vg_notify_destroy(&f->done);
	vg_test_rmtree(f->dir);
	vg_free(f);
	return 0;
}

static uint64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/*
 * Wait for n jobs, woken by the done callback only: a lost wake-up would
 * leave finished jobs untaken and the wait would run out its 20 s.
 * Returns them in an array the caller frees with the jobs.
 */
static struct fim_job **wait_jobs(struct fixture *f, size_t n)
{
	struct fim_job **got = vg_xcalloc(n, sizeof(*got));
	size_t have = 0;

	while (have < n) {
		for (struct fim_job *j = fim_pool_take_done(f->pool), *next; j != NULL; j = next) {
			next = j->next;
			assert_true(have < n); /* never more than submitted */
			got[have++] = j;
		}
		if (have < n) {
			uint64_t t0 = now_s();
			vg_notify_wait(&f->done, 20000000000ull);
			assert_true(now_s() - t0 < 15);
		}
	}
	assert_int_equal(fim_pool_in_flight(f->pool), 0);
	return got;
}

static void free_jobs(struct fim_job **jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fim_job_free(jobs[i]);
	vg_free(jobs);
}

static struct fim_job *job_for(const char *path)
{
	struct fim_job *job = fim_job_new(path, strlen(path));
	job->which = FIM_CHECK_SUM;
	return job;
}

/* Many small files through two workers: each comes back once, hashed right. */
static void test_pool__every_job_back_once_with_its_digests(void **state)
{
	struct fixture *f = *state;
	char path[128], body[32];

	for (int i = 0; i < MANY; i++) {
		vg_test_fmt(path, sizeof(path), "%s/f%05d", f->dir, i);
		vg_test_fmt(body, sizeof(body), "file %d", i);
		vg_test_write_file(path, body, 0600);
		struct fim_job *job = job_for(path);
		job->mode = i;                 /* carried back untouched */
		fim_pool_submit(f->pool, job); /* transferred */
	}
	struct fim_job **got = wait_jobs(f, MANY);
	unsigned char *seen = vg_xcalloc(MANY, 1);
	for (size_t i = 0; i < MANY; i++) {
		struct fim_job *j = got[i];
		struct fim_digests want;
		assert_true(j->mode >= 0 && j->mode < MANY);
		assert_int_equal(seen[j->mode]++, 0);
		vg_test_fmt(body, sizeof(body), "file %d", j->mode);
		fim_hash_buffer(body, strlen(body), FIM_CHECK_SUM, &want);
		assert_int_equal(j->entry.hash_state, FIM_HASH_OK);
		assert_string_equal(j->entry.digests.sha256, want.sha256);
		assert_string_equal(j->entry.digests.md5, want.md5);
		assert_int_equal(j->entry.size, strlen(body));
		assert_false(j->vanished);
	}
	vg_free(seen);
	free_jobs(got, MANY);
}

/* A job opened at its directory finds the file there even after the
 * directory was renamed, where its path no longer leads. */
static void test_pool__opens_relative_to_the_walked_directory(void **state)
{
	struct fixture *f = *state;
	char sub[96], file[128], moved[96];

	vg_test_fmt(sub, sizeof(sub), "%s/sub", f->dir);
	vg_test_fmt(file, sizeof(file), "%s/name", sub);
	vg_test_fmt(moved, sizeof(moved), "%s/moved", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	vg_test_write_file(file, "content", 0600);
	struct vg_fdref *dir = vg_fdref_new(open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	assert_true(vg_fdref_fd(dir) >= 0);

	struct fim_job *at = job_for(file), *bypath = job_for(file);
	fim_job_open_at(at, dir, "name");
	vg_fdref_put(dir); /* the job holds its own reference */
	assert_int_equal(rename(sub, moved), 0);
	fim_pool_submit(f->pool, at);     /* transferred */
	fim_pool_submit(f->pool, bypath); /* transferred */

	struct fim_job **got = wait_jobs(f, 2);
	for (size_t i = 0; i < 2; i++) {
		if (got[i]->at != NULL) {
			assert_int_equal(got[i]->entry.hash_state, FIM_HASH_OK);
			assert_false(got[i]->vanished);
		} else {
			assert_true(got[i]->vanished);
		}
	}
	free_jobs(got, 2);
}

/* A name that is not the path's last component is opened by the path. */
static void test_pool__open_at_refuses_a_foreign_name(void **state)
{
	struct fixture *f = *state;
	char file[128];

	vg_test_fmt(file, sizeof(file), "%s/real", f->dir);
	vg_test_write_file(file, "x", 0600);
	struct vg_fdref *dir = vg_fdref_new(open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	struct fim_job *job = job_for(file);
	fim_job_open_at(job, dir, "other");
	assert_null(job->at);
	vg_fdref_put(dir);
	fim_pool_submit(f->pool, job); /* transferred */
	struct fim_job **got = wait_jobs(f, 1);
	assert_int_equal(got[0]->entry.hash_state, FIM_HASH_OK);
	free_jobs(got, 1);
}

/* Gone, too big, or a FIFO: each is said, none blocks a worker. */
static void test_pool__vanished_too_big_and_fifo(void **state)
{
	struct fixture *f = *state;
	char gone[128], big[128], fifo[128];

	vg_test_fmt(gone, sizeof(gone), "%s/gone", f->dir);
	vg_test_fmt(big, sizeof(big), "%s/big", f->dir);
	vg_test_fmt(fifo, sizeof(fifo), "%s/fifo", f->dir);
	vg_test_write_file(big, "0123456789", 0600);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct fim_job *jobs[3] = {job_for(gone), job_for(big), job_for(fifo)};
	jobs[1]->max_size = 4;
	for (size_t i = 0; i < 3; i++) {
		jobs[i]->mode = (int)i;
		fim_pool_submit(f->pool, jobs[i]); /* transferred */
	}
	struct fim_job **got = wait_jobs(f, 3);
	for (size_t i = 0; i < 3; i++) {
		struct fim_job *j = got[i];
		if (j->mode == 0) {
			assert_true(j->vanished);
		} else if (j->mode == 1) {
			assert_int_equal(j->entry.hash_state, FIM_HASH_TOO_BIG);
			assert_int_equal(j->entry.size, 10);
		} else {
			assert_int_equal(j->entry.hash_state, FIM_HASH_NONE);
			assert_true(S_ISFIFO(j->entry.mode));
		}
	}
	free_jobs(got, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pool__every_job_back_once_with_its_digests, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pool__opens_relative_to_the_walked_directory,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pool__open_at_refuses_a_foreign_name, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pool__vanished_too_big_and_fifo, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
