/* Unit tests for src/lib/notify.c: the wake-up flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "lib/notify.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A kick with nobody waiting is remembered once. */
static void test_notify__early_kick_is_not_lost(void **state)
{
	struct vg_notify n;
	vg_notify_init(&n);
	vg_notify_kick(&n);
	uint64_t t0 = now_ns();
	vg_notify_wait(&n, 5000000000ull);
	assert_true(now_ns() - t0 < 1000000000ull);
	/* consumed: the next wait times out */
	t0 = now_ns();
	vg_notify_wait(&n, 50000000ull);
	assert_true(now_ns() - t0 >= 50000000ull);
	vg_notify_destroy(&n);
}

static void *kick_later(void *arg)
{
	struct timespec ts = {0, 20000000};
	nanosleep(&ts, NULL);
	vg_notify_kick(arg);
	return NULL;
}

static void test_notify__kick_wakes_a_waiter(void **state)
{
	struct vg_notify n;
	pthread_t t;
	vg_notify_init(&n);
	assert_int_equal(pthread_create(&t, NULL, kick_later, &n), 0);
	uint64_t t0 = now_ns();
	vg_notify_wait(&n, UINT64_MAX);
	assert_true(now_ns() - t0 < 5000000000ull);
	pthread_join(t, NULL);
	vg_notify_destroy(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify__early_kick_is_not_lost),
	    cmocka_unit_test(test_notify__kick_wakes_a_waiter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
