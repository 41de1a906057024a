/* Unit tests for src/manager/paths.c: finding the shipped ruleset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/mem.h"
#include "manager/paths.h"

static void test_paths__env_names_the_root(void **state)
{
	char *root = NULL;

	setenv("VIGIE_RULESET_DIR", "/tmp", 1);
	assert_int_equal(mgr_ruleset_root(&root, NULL), 0);
	assert_string_equal(root, "/tmp");
	vg_free(root);
	unsetenv("VIGIE_RULESET_DIR");
}

static void test_paths__env_that_is_no_directory_is_an_error(void **state)
{
	struct vg_err err = VG_ERR_INIT;
	char *root = (char *)"sentinel";

	setenv("VIGIE_RULESET_DIR", "/nonexistent/vigie-ruleset", 1);
	assert_int_equal(mgr_ruleset_root(&root, &err), VG_ENOTFOUND);
	assert_null(root);
	assert_non_null(strstr(err.msg, "/nonexistent/vigie-ruleset"));
	unsetenv("VIGIE_RULESET_DIR");
}

/* A test binary lives in the build tree: no ../share, so the source tree. */
static void test_paths__build_tree_binary_uses_the_source_ruleset(void **state)
{
	char *root = NULL;

	unsetenv("VIGIE_RULESET_DIR");
	assert_int_equal(mgr_ruleset_root(&root, NULL), 0);
	assert_string_equal(root, VIGIE_SOURCE_RULESET);
	vg_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths__env_names_the_root),
	    cmocka_unit_test(test_paths__env_that_is_no_directory_is_an_error),
	    cmocka_unit_test(test_paths__build_tree_binary_uses_the_source_ruleset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
