/* Unit tests for src/fim/changeq.c: the coalescing realtime queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fim/changeq.h"
#include "fim/watch.h"
#include "lib/mem.h"

static void count_wake(void *ctx)
{
	(*(int *)ctx)++;
}

#define MS 1000000ull

static void test_changeq__coalesces_and_settles(void **state)
{
	int wakes = 0;
	struct fim_changeq *q = fim_changeq_new(100, 50 * MS, 1000 * MS, count_wake, &wakes);
	struct fim_change c;
	uint64_t wait;

	fim_changeq_push(q, "/a", 2, FIM_WATCH_CHANGED);
	fim_changeq_push(q, "/b", 2, FIM_WATCH_CHANGED);
	fim_changeq_push(q, "/a", 2, FIM_WATCH_REMOVED); /* merges, moves /a to the back */
	assert_int_equal(wakes, 3);
	assert_int_equal(fim_changeq_count(q), 2);
	uint64_t now = fim_now_ns();
	assert_false(fim_changeq_pop(q, now, &c, &wait)); /* not settled yet */
	assert_true(wait > 0 && wait <= 50 * MS);
	assert_true(fim_changeq_pop(q, now + 60 * MS, &c, &wait));
	assert_string_equal(c.path, "/b");
	vg_free(c.path);
	assert_true(fim_changeq_pop(q, now + 60 * MS, &c, &wait));
	assert_string_equal(c.path, "/a");
	assert_int_equal(c.flags, FIM_WATCH_CHANGED | FIM_WATCH_REMOVED);
	vg_free(c.path);
	assert_false(fim_changeq_pop(q, now + 60 * MS, &c, &wait));
	assert_int_equal(wait, UINT64_MAX);
	fim_changeq_free(q);
}

/* A bounded queue turns the excess into a lost notice, never a drop. */
static void test_changeq__full_queue_becomes_lost_all(void **state)
{
	int wakes = 0;
	struct fim_changeq *q = fim_changeq_new(2, 0, 0, count_wake, &wakes);
	bool all;
	char **roots;
	size_t n;

	assert_false(fim_changeq_take_lost(q, &all, &roots, &n));
	fim_changeq_push(q, "/1", 2, FIM_WATCH_CHANGED);
	fim_changeq_push(q, "/2", 2, FIM_WATCH_CHANGED);
	fim_changeq_push(q, "/3", 2, FIM_WATCH_CHANGED);
	assert_int_equal(fim_changeq_count(q), 2);
	assert_true(fim_changeq_take_lost(q, &all, &roots, &n));
	assert_true(all);
	assert_false(fim_changeq_take_lost(q, &all, &roots, &n));
	fim_changeq_free(q);
}

static void test_changeq__lost_roots_dedup(void **state)
{
	int wakes = 0;
	struct fim_changeq *q = fim_changeq_new(10, 0, 0, count_wake, &wakes);
	bool all;
	char **roots;
	size_t n;

	fim_changeq_push_lost(q, "/r1");
	fim_changeq_push_lost(q, "/r2");
	fim_changeq_push_lost(q, "/r1");
	assert_true(fim_changeq_take_lost(q, &all, &roots, &n));
	assert_false(all);
	assert_int_equal(n, 2);
	assert_string_equal(roots[0], "/r1");
	assert_string_equal(roots[1], "/r2");
	for (size_t i = 0; i < n; i++)
		vg_free(roots[i]);
	vg_free(roots);
	fim_changeq_free(q);
}

/* A path pushed without pause is still released after the max delay. */
static void test_changeq__max_delay_caps_settling(void **state)
{
	int wakes = 0;
	struct fim_changeq *q = fim_changeq_new(10, 1000 * MS, 100 * MS, count_wake, &wakes);
	struct fim_change c;
	uint64_t wait;
	uint64_t t0 = fim_now_ns();

	fim_changeq_push(q, "/busy", 5, FIM_WATCH_CHANGED);
	fim_changeq_push(q, "/busy", 5, FIM_WATCH_CHANGED);
	assert_true(fim_changeq_pop(q, t0 + 200 * MS, &c, &wait));
	assert_string_equal(c.path, "/busy");
	vg_free(c.path);
	fim_changeq_free(q);
}

/* A created file waits for its writer's close, then settles as usual. */
static void test_changeq__created_file_waits_for_close(void **state)
{
	int wakes = 0;
	struct fim_changeq *q = fim_changeq_new(10, 5 * MS, 2000 * MS, count_wake, &wakes);
	struct fim_change c;
	uint64_t wait;
	uint64_t t0 = fim_now_ns();

	fim_changeq_push(q, "/new", 4, FIM_WATCH_CHANGED | FIM_WATCH_CREATED);
	fim_changeq_push(q, "/other", 6, FIM_WATCH_CHANGED);
	/* /other settles first although it came later */
	assert_true(fim_changeq_pop(q, t0 + 100 * MS, &c, &wait));
	assert_string_equal(c.path, "/other");
	vg_free(c.path);
	assert_false(fim_changeq_pop(q, t0 + 100 * MS, &c, &wait));
	assert_true(wait > 1800 * MS); /* held until the max delay */
	fim_changeq_push(q, "/new", 4, FIM_WATCH_CHANGED | FIM_WATCH_CLOSED);
	assert_false(fim_changeq_pop(q, fim_now_ns(), &c, &wait)); /* settling now */
	assert_true(wait <= 5 * MS);
	assert_true(fim_changeq_pop(q, fim_now_ns() + 10 * MS, &c, &wait));
	assert_string_equal(c.path, "/new");
	assert_int_equal(c.flags, FIM_WATCH_CHANGED | FIM_WATCH_CREATED | FIM_WATCH_CLOSED);
	vg_free(c.path);

	/* never closed (a hard link, a writer that keeps it open): the max delay */
	fim_changeq_push(q, "/link", 5, FIM_WATCH_CHANGED | FIM_WATCH_CREATED);
	uint64_t t1 = fim_now_ns();
	assert_false(fim_changeq_pop(q, t1 + 1000 * MS, &c, &wait));
	assert_true(fim_changeq_pop(q, t1 + 2001 * MS, &c, &wait));
	vg_free(c.path);
	fim_changeq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_changeq__coalesces_and_settles),
	    cmocka_unit_test(test_changeq__full_queue_becomes_lost_all),
	    cmocka_unit_test(test_changeq__lost_roots_dedup),
	    cmocka_unit_test(test_changeq__max_delay_caps_settling),
	    cmocka_unit_test(test_changeq__created_file_waits_for_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
