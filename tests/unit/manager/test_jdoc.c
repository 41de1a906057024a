/* Unit tests for src/manager/jdoc.c: the fast JSON line reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "manager/jdoc.h"

/* Parse text, check the "a" string and "n" integer members, return whether
 * jansson had to take the line. */
static bool parse_and_check(const char *text, const char *want_a, int64_t want_n)
{
	struct jdoc d;
	json_t *keep = NULL;
	struct vg_err err = VG_ERR_INIT;

	jdoc_init(&d);
	assert_int_equal(jdoc_parse(&d, text, strlen(text), "test", &keep, &err), 0);
	const struct jv *a = jv_get(d.v, &d.v[0], "a");
	const struct jv *n = jv_get(d.v, &d.v[0], "n");
	assert_non_null(a);
	assert_int_equal(a->type, JV_STRING);
	assert_string_equal(a->str, want_a);
	assert_non_null(n);
	assert_int_equal(n->num, want_n);
	assert_null(jv_get(d.v, &d.v[0], "absent"));
	bool slow = keep != NULL;
	jdoc_free(&d);
	json_decref(keep);
	return slow;
}

static void test_jdoc__usual_lines_take_the_fast_path(void **state)
{
	assert_false(parse_and_check("{\"a\":\"x\\ty\",\"n\":-42,\"o\":{\"k\":[1,true,null]}}",
				     "x\ty", -42));
}

/* A surrogate pair and a 19-digit integer are outside the subset: jansson
 * decodes them, and the nodes read the same. */
static void test_jdoc__unusual_lines_go_through_jansson(void **state)
{
	assert_true(parse_and_check("{\"a\":\"\\ud83d\\ude00\",\"n\":1}", "\xf0\x9f\x98\x80", 1));
	assert_true(
	    parse_and_check("{\"a\":\"z\",\"n\":1234567890123456789}", "z", 1234567890123456789LL));
}

static void test_jdoc__invalid_json_and_duplicates_are_errors(void **state)
{
	static const char *const bad[] = {"{\"a\":", "[1,2]x", "{\"a\":1,\"a\":2}", "nope"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jdoc d;
		json_t *keep = NULL;
		struct vg_err err = VG_ERR_INIT;
		jdoc_init(&d);
		assert_int_equal(jdoc_parse(&d, bad[i], strlen(bad[i]), "line", &keep, &err),
				 VG_EPARSE);
		assert_null(keep);
		assert_non_null(strstr(err.msg, "line: not JSON: "));
		jdoc_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jdoc__usual_lines_take_the_fast_path),
	    cmocka_unit_test(test_jdoc__unusual_lines_go_through_jansson),
	    cmocka_unit_test(test_jdoc__invalid_json_and_duplicates_are_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
