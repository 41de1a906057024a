/* Unit tests for src/lib/osmatch.c: Wazuh OSMatch (sregex) semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/osmatch.h"

static struct vg_osmatch *compile_ok(const char *p)
{
	struct vg_osmatch *m = NULL;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(vg_osmatch_compile(p, &m, &err), 0);
	assert_non_null(m);
	assert_string_equal(vg_osmatch_pattern(m), p);
	return m;
}

static void test_osmatch__end_anchor_alternatives(void **state)
{
	/* Wazuh's shipped <ignore type="sregex">: '.' is a literal byte. */
	struct vg_osmatch *m = compile_ok(".log$|.swp$");
	assert_true(vg_osmatch_test(m, "/var/log/syslog.log"));
	assert_true(vg_osmatch_test(m, "/etc/.passwd.swp"));
	assert_true(vg_osmatch_test(m, "/X/A.LOG")); /* case-insensitive */
	assert_false(vg_osmatch_test(m, "/var/log/syslog.log.1"));
	assert_false(vg_osmatch_test(m, "/var/logfile"));
	assert_false(vg_osmatch_test(m, "xlog")); /* no '.' before log */
	vg_osmatch_free(m);
}

static void test_osmatch__both_anchors_mean_equality(void **state)
{
	struct vg_osmatch *m = compile_ok("^/etc/mtab$");
	assert_true(vg_osmatch_test(m, "/etc/mtab"));
	assert_true(vg_osmatch_test(m, "/ETC/MTAB"));
	assert_false(vg_osmatch_test(m, "/etc/mtab2"));
	assert_false(vg_osmatch_test(m, "/x/etc/mtab"));
	assert_false(vg_osmatch_test(m, "/etc/mta"));
	vg_osmatch_free(m);
}

static void test_osmatch__negation_of_start_anchor(void **state)
{
	struct vg_osmatch *m = compile_ok("!^/tmp");
	assert_false(vg_osmatch_test(m, "/tmp/x"));
	assert_false(vg_osmatch_test(m, "/TMP"));
	assert_true(vg_osmatch_test(m, "/var/tmp/x"));
	assert_true(vg_osmatch_test(m, ""));
	vg_osmatch_free(m);
}

static void test_osmatch__substring_and_case(void **state)
{
	struct vg_osmatch *m = compile_ok("Secret|^/root/|key$");
	assert_true(vg_osmatch_test(m, "/home/a/mysecrets.txt"));
	assert_true(vg_osmatch_test(m, "/root/.bashrc"));
	assert_true(vg_osmatch_test(m, "/etc/ssh/host.KEY"));
	assert_false(vg_osmatch_test(m, "/home/root/x"));
	assert_false(vg_osmatch_test(m, "/etc/keys"));
	assert_false(vg_osmatch_test(m, "/home/secre"));
	vg_osmatch_free(m);
}

static void test_osmatch__dollar_inside_is_literal(void **state)
{
	struct vg_osmatch *m = compile_ok("a$b");
	assert_true(vg_osmatch_test(m, "xa$bx"));
	assert_false(vg_osmatch_test(m, "xab"));
	vg_osmatch_free(m);
	m = compile_ok("^$");
	assert_true(vg_osmatch_test(m, ""));
	assert_false(vg_osmatch_test(m, "a"));
	vg_osmatch_free(m);
}

static void test_osmatch__empty_patterns_are_errors(void **state)
{
	static const char *const bad[] = {"", "!", "a||b", "|a", "a|", "^", "$", "a|^"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vg_osmatch *m = (struct vg_osmatch *)1;
		struct vg_err err = VG_ERR_INIT;
		assert_int_equal(vg_osmatch_compile(bad[i], &m, &err), VG_EPARSE);
		assert_null(m);
		assert_int_equal(err.code, VG_EPARSE);
	}
}

static void test_osmatch__too_long_is_refused(void **state)
{
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct vg_osmatch *m = NULL;
	assert_int_equal(vg_osmatch_compile(big, &m, NULL), VG_ETOOBIG);
	assert_null(m);
	vg_osmatch_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_osmatch__end_anchor_alternatives),
	    cmocka_unit_test(test_osmatch__both_anchors_mean_equality),
	    cmocka_unit_test(test_osmatch__negation_of_start_anchor),
	    cmocka_unit_test(test_osmatch__substring_and_case),
	    cmocka_unit_test(test_osmatch__dollar_inside_is_literal),
	    cmocka_unit_test(test_osmatch__empty_patterns_are_errors),
	    cmocka_unit_test(test_osmatch__too_long_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
