/* Unit tests for src/manager/fields.c: the ordered map of decoded fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/mem.h"
#include "manager/fields.h"

static int setup(void **state)
{
	*state = an_fields_new();
	return 0;
}

static int teardown(void **state)
{
	an_fields_free(*state);
	return 0;
}

static void test_fields__get_returns_added_values(void **state)
{
	struct an_fields *f = *state;

	assert_int_equal(an_fields_add(f, "file", "/root/x", NULL), 0);
	assert_int_equal(an_fields_add(f, "size", "69", NULL), 0);
	assert_string_equal(an_fields_get(f, "file"), "/root/x");
	assert_string_equal(an_fields_get(f, "size"), "69");
	assert_null(an_fields_get(f, "md5"));
	assert_int_equal(an_fields_count(f), 2);
}

static void test_fields__names_are_case_sensitive(void **state)
{
	struct an_fields *f = *state;

	assert_int_equal(an_fields_add(f, "md5", "a", NULL), 0);
	assert_null(an_fields_get(f, "MD5"));
	assert_null(an_fields_get(f, "md"));
	assert_null(an_fields_get(f, "md5x"));
}

static void test_fields__empty_value_differs_from_absent(void **state)
{
	struct an_fields *f = *state;

	assert_int_equal(an_fields_add(f, "tag", "", NULL), 0);
	assert_non_null(an_fields_get(f, "tag"));
	assert_string_equal(an_fields_get(f, "tag"), "");
	assert_null(an_fields_get(f, "mode"));
}

static void test_fields__iteration_keeps_insertion_order(void **state)
{
	struct an_fields *f = *state;
	static const char *const names[] = {"zeta", "alpha", "mid", "beta"};
	const char *n, *v;
	char val[8];

	for (size_t i = 0; i < 4; i++) {
		snprintf(val, sizeof(val), "%zu", i);
		assert_int_equal(an_fields_add(f, names[i], val, NULL), 0);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(an_fields_at(f, i, &n, &v), 0);
		assert_string_equal(n, names[i]);
		snprintf(val, sizeof(val), "%zu", i);
		assert_string_equal(v, val);
	}
	assert_int_equal(an_fields_at(f, 4, &n, &v), VG_ENOTFOUND);
	assert_null(n);
	assert_null(v);
}

static void test_fields__readd_replaces_in_place(void **state)
{
	struct an_fields *f = *state;
	const char *n, *v;

	assert_int_equal(an_fields_add(f, "a", "1", NULL), 0);
	assert_int_equal(an_fields_add(f, "b", "2", NULL), 0);
	assert_int_equal(an_fields_add(f, "a", "a much longer value than before", NULL), 0);
	assert_int_equal(an_fields_count(f), 2);
	assert_int_equal(an_fields_at(f, 0, &n, &v), 0);
	assert_string_equal(n, "a");
	assert_string_equal(v, "a much longer value than before");
	assert_string_equal(an_fields_get(f, "b"), "2");
}

static void test_fields__addn_takes_a_slice(void **state)
{
	struct an_fields *f = *state;
	const char line[] = "user=root host=x";
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(an_fields_addn(f, "user", line + 5, 4, NULL), 0);
	assert_string_equal(an_fields_get(f, "user"), "root");
	assert_int_equal(an_fields_addn(f, "bad", "a\0b", 3, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_null(an_fields_get(f, "bad"));
}

static void test_fields__rejects_bad_names(void **state)
{
	struct an_fields *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char longname[AN_FIELDS_NAME_MAX + 2];

	assert_int_equal(an_fields_add(f, "", "v", NULL), VG_EPARSE);
	assert_int_equal(an_fields_add(f, NULL, "v", NULL), VG_EPARSE);
	assert_int_equal(an_fields_add(f, "k", NULL, NULL), VG_EPARSE);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(an_fields_add(f, longname, "v", &err), VG_ETOOBIG);
	assert_null(an_fields_get(f, longname));
	assert_int_equal(an_fields_count(f), 0);
}

static void test_fields__caps_count_and_value_size(void **state)
{
	struct an_fields *f = *state;
	char name[16];

	for (int i = 0; i < AN_FIELDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(an_fields_add(f, name, "v", NULL), 0);
	}
	assert_int_equal(an_fields_add(f, "one_more", "v", NULL), VG_ETOOBIG);
	/* Replacing an existing name still works at the cap. */
	assert_int_equal(an_fields_add(f, "f7", "new", NULL), 0);
	assert_string_equal(an_fields_get(f, "f7"), "new");
	assert_string_equal(an_fields_get(f, "f255"), "v");

	char *big = vg_xmalloc(AN_FIELDS_VALUE_MAX + 2);
	memset(big, 'x', AN_FIELDS_VALUE_MAX + 1);
	big[AN_FIELDS_VALUE_MAX + 1] = '\0';
	assert_int_equal(an_fields_add(f, "f0", big, NULL), VG_ETOOBIG);
	assert_string_equal(an_fields_get(f, "f0"), "v"); /* unchanged */
	vg_free(big);
}

static void test_fields__clear_empties_and_allows_reuse(void **state)
{
	struct an_fields *f = *state;

	assert_int_equal(an_fields_add(f, "a", "1", NULL), 0);
	an_fields_clear(f);
	assert_int_equal(an_fields_count(f), 0);
	assert_null(an_fields_get(f, "a"));
	assert_int_equal(an_fields_add(f, "b", "2", NULL), 0);
	assert_string_equal(an_fields_get(f, "b"), "2");
}

static void test_fields__null_map_is_empty(void **state)
{
	const char *n, *v;

	(void)state;
	assert_null(an_fields_get(NULL, "a"));
	assert_int_equal(an_fields_count(NULL), 0);
	assert_int_equal(an_fields_at(NULL, 0, &n, &v), VG_ENOTFOUND);
	an_fields_free(NULL);
}

/* A value borrowed from the map itself can be added back, even when the
 * map's storage has to grow for it. */
static void test_fields__add_accepts_its_own_values(void **state)
{
	struct an_fields *f = *state;
	char big[3000];

	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(an_fields_add(f, "a", big, NULL), 0);
	for (int i = 0; i < 8; i++) {
		char name[16];
		snprintf(name, sizeof(name), "copy%d", i);
		assert_int_equal(an_fields_add(f, name, an_fields_get(f, "a"), NULL), 0);
	}
	assert_string_equal(an_fields_get(f, "copy7"), big);
	/* replace with a longer value taken from the map: appended, not in place */
	assert_int_equal(an_fields_add(f, "short", "x", NULL), 0);
	assert_int_equal(an_fields_add(f, "short", an_fields_get(f, "copy3"), NULL), 0);
	assert_string_equal(an_fields_get(f, "short"), big);
	/* and a shorter one in place, over itself */
	assert_int_equal(an_fields_addn(f, "short", an_fields_get(f, "short") + 10, 5, NULL), 0);
	assert_string_equal(an_fields_get(f, "short"), "vvvvv");
	assert_string_equal(an_fields_get(f, "a"), big);
	assert_int_equal(an_fields_count(f), 10);
}

/* Many names: the absent-name filter must never hide a present one. */
static void test_fields__many_names_all_found(void **state)
{
	struct an_fields *f = *state;
	char name[16], value[16];

	for (int i = 0; i < AN_FIELDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(value, sizeof(value), "%d", i);
		assert_int_equal(an_fields_add(f, name, value, NULL), 0);
	}
	for (int i = 0; i < AN_FIELDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(value, sizeof(value), "%d", i);
		assert_string_equal(an_fields_get(f, name), value);
		assert_int_equal(an_fields_add(f, name, "again", NULL), 0); /* replace */
	}
	assert_int_equal(an_fields_count(f), AN_FIELDS_MAX);
	assert_null(an_fields_get(f, "f256"));
	an_fields_clear(f);
	assert_null(an_fields_get(f, "f1"));
	assert_int_equal(an_fields_add(f, "f1", "new", NULL), 0);
	assert_string_equal(an_fields_get(f, "f1"), "new");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fields__get_returns_added_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields__names_are_case_sensitive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields__empty_value_differs_from_absent, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fields__iteration_keeps_insertion_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fields__readd_replaces_in_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields__addn_takes_a_slice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields__rejects_bad_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields__caps_count_and_value_size, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fields__clear_empties_and_allows_reuse, setup,
					    teardown),
	    cmocka_unit_test(test_fields__null_map_is_empty),
	    cmocka_unit_test_setup_teardown(test_fields__add_accepts_its_own_values, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fields__many_names_all_found, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
