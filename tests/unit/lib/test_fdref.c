/* Unit tests for src/lib/fdref.c: the reference-counted descriptor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/fdref.h"

#define HAMMER 100000

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* The descriptor stays open until the last reference is put. */
static void test_fdref__last_put_closes(void **state)
{
	(void)state;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct vg_fdref *r = vg_fdref_new(fd);
	assert_int_equal(vg_fdref_fd(r), fd);
	assert_ptr_equal(vg_fdref_get(r), r);
	vg_fdref_put(r);
	assert_true(is_open(fd));
	vg_fdref_put(r);
	assert_false(is_open(fd));
	vg_fdref_put(NULL);
}

static void *get_put_many(void *arg)
{
	for (int i = 0; i < HAMMER; i++)
		vg_fdref_put(vg_fdref_get(arg));
	vg_fdref_put(arg); /* the reference this thread was given */
	return NULL;
}

/* Threads taking and dropping references never close it early nor twice. */
static void test_fdref__shared_between_threads(void **state)
{
	(void)state;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct vg_fdref *r = vg_fdref_new(fd);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, get_put_many, vg_fdref_get(r)), 0);
	for (int i = 0; i < HAMMER; i++)
		vg_fdref_put(vg_fdref_get(r));
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_true(is_open(fd));
	vg_fdref_put(r);
	assert_false(is_open(fd));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fdref__last_put_closes),
	    cmocka_unit_test(test_fdref__shared_between_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
