/* Unit tests for src/lib/hmap.c: byte-string keyed hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hmap.h"

static void test_hmap__put_get_del(void **state)
{
	struct vg_hmap *m = vg_hmap_new();
	int a = 1, b = 2;

	assert_null(vg_hmap_put(m, "a", 1, &a));
	assert_ptr_equal(vg_hmap_get(m, "a", 1), &a);
	assert_ptr_equal(vg_hmap_put(m, "a", 1, &b), &a); /* replace returns old */
	assert_ptr_equal(vg_hmap_get(m, "a", 1), &b);
	assert_null(vg_hmap_get(m, "ab", 2));
	/* keys are bytes: an embedded NUL and 0xff are distinct keys */
	assert_null(vg_hmap_put(m, "x\0y", 3, &a));
	assert_null(vg_hmap_get(m, "x", 1));
	assert_ptr_equal(vg_hmap_get(m, "x\0y", 3), &a);
	assert_int_equal(vg_hmap_count(m), 2);
	assert_ptr_equal(vg_hmap_del(m, "a", 1), &b);
	assert_null(vg_hmap_del(m, "a", 1));
	assert_int_equal(vg_hmap_count(m), 1);
	vg_hmap_free(m, NULL);
}

/* Many inserts and deletes: every remaining key must stay reachable
 * (exercises growth and backward-shift deletion). */
static void test_hmap__churn_keeps_every_key(void **state)
{
	struct vg_hmap *m = vg_hmap_new();
	static int vals[20000];
	char key[32];

	for (int i = 0; i < 20000; i++) {
		int n = snprintf(key, sizeof(key), "/path/%d", i);
		vals[i] = i;
		assert_null(vg_hmap_put(m, key, (size_t)n, &vals[i]));
	}
	for (int i = 0; i < 20000; i += 3) {
		int n = snprintf(key, sizeof(key), "/path/%d", i);
		assert_ptr_equal(vg_hmap_del(m, key, (size_t)n), &vals[i]);
	}
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(key, sizeof(key), "/path/%d", i);
		int *v = vg_hmap_get(m, key, (size_t)n);
		if (i % 3 == 0)
			assert_null(v);
		else
			assert_int_equal(*v, i);
	}
	assert_int_equal(vg_hmap_count(m), 20000 - 6667);
	vg_hmap_free(m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hmap__put_get_del),
	    cmocka_unit_test(test_hmap__churn_keeps_every_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
