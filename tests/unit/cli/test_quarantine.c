/*
 * test_quarantine.c - `vigie quarantine`'s pure parts: how hostile text is
 * made safe to print, the manager view's numbers, and the exit status of
 * bad usage. The command's real runs (daemons, quarantine, restore through
 * the manager) are tests/e2e/062-quarantine-cli.sh.
 *
 * The CLI is a program, not a library: its file is compiled in here to
 * reach its static helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/quarantine.c"

static void escaped(const char *in, size_t len, const char *want)
{
	char out[256];

	qu_escape(in, len, true, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_quarantine__escape_controls(void **state)
{
	(void)state;
	escaped("a\nb\x1b[31mc\\d\t\r\x7f", 14, "a\\nb\\x1b[31mc\\\\d\\t\\r\\x7f");
	escaped("nul\0here", 8, "nul\\x00here");
}

static void test_quarantine__escape_keeps_utf8_letters(void **state)
{
	(void)state;
	escaped("caf\xc3\xa9 \xe6\x97\xa5", 9, "caf\xc3\xa9 \xe6\x97\xa5");
}

static void test_quarantine__escape_c1_bidi_separators(void **state)
{
	(void)state;
	escaped("\xe2\x80\xaegpj.exe", 10, "\\u202egpj.exe"); /* right-to-left override */
	escaped("\xe2\x81\xa6x", 4, "\\u2066x");
	escaped("a\xe2\x80\xa8"
		"b",
		5, "a\\u2028b");
	escaped("\xc2\x9b"
		"31m",
		5, "\\u009b31m");           /* C1 CSI */
	escaped("\xc2\xa0", 2, "\xc2\xa0"); /* no-break space: a letter */
}

static void test_quarantine__escape_not_utf8_is_bytes(void **state)
{
	char out[64];

	(void)state;
	qu_escape("a\xff\nb", 4, true, out, sizeof(out));
	assert_null(strchr(out, '\n'));
	assert_non_null(strstr(out, "\\xff"));
	for (const char *p = out; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_quarantine__escape_cut_fits(void **state)
{
	char out[10];

	(void)state;
	qu_escape("\n\n\n\n\n\n\n\n", 8, true, out, sizeof(out));
	assert_string_equal(out, "\\n\\n\\n...");
}

static void test_quarantine__reason_keeps_backslashes(void **state)
{
	char out[64];

	(void)state;
	qu_escape("/w/a\\nb exists\n", 15, false, out, sizeof(out));
	assert_string_equal(out, "/w/a\\nb exists\\n");
}

static void test_quarantine__path_hex_wins(void **state)
{
	json_t *m = json_pack("{s:s, s:s}", "path", "/w/a\xef\xbf\xbd", "path_hex", "2f772f61ff0a");
	char out[64];

	(void)state;
	assert_string_equal(qu_path(m, out, sizeof(out)), "/w/a\\xff\\n");
	json_decref(m);
}

static void test_quarantine__view_numbers(void **state)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "mode", "416", "mtime", "1577934245", "size",
			      "x69", "path", "123");
	char t[QU_CELL_MAX];

	(void)state;
	qu_numbers(m);
	assert_int_equal(json_integer_value(json_object_get(m, "mode")), 416);
	assert_string_equal(qu_time(m, "mtime", "mtime_ns", t), "2020-01-02T03:04:05.000000000Z");
	assert_true(json_is_string(json_object_get(m, "size"))); /* not a number: kept */
	assert_true(json_is_string(json_object_get(m, "path"))); /* not a number field */
	json_decref(m);
}

/* cli_quarantine on argv as main() passes it (NULL-terminated, counted). */
#define RUN(...)                                                                                   \
	cli_quarantine((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)),                    \
		       (char *[]){__VA_ARGS__, NULL})

static void test_quarantine__usage_errors_exit_2(void **state)
{
	(void)state;
	assert_int_equal(RUN("quarantine"), 2);
	assert_int_equal(RUN("quarantine", "purge"), 2);
	assert_int_equal(RUN("quarantine", "show", "ABCDEF0123456789"), 2);
	assert_int_equal(RUN("quarantine", "list", "--agent", "x"), 2);
	assert_int_equal(RUN("quarantine", "list", "--agent", "1", "--all"), 2);
	assert_int_equal(RUN("quarantine", "delete", "0123456789abcdef", "--force"), 2);
	assert_int_equal(RUN("quarantine", "show", "0123456789abcdef", "extra"), 2);
}

static void test_quarantine__missing_home_exit_1(void **state)
{
	char dir[] = "/tmp/vg-test-qcli.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(RUN("quarantine", "list", "-D", "/nonexistent/vg"), 1);
	assert_int_equal(RUN("quarantine", "list", "--all", "-D", dir), 1); /* no queue */
	assert_int_equal(RUN("quarantine", "show", "0123456789abcdef", "-D", dir), 1);
	assert_int_equal(RUN("quarantine", "delete", "0123456789abcdef", "-D", dir), 1);
	assert_int_equal(RUN("quarantine", "list", "-D", dir), 0); /* nothing quarantined */
	assert_int_equal(rmdir(dir), 0); /* an unknown id created nothing (no log line) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quarantine__escape_controls),
	    cmocka_unit_test(test_quarantine__escape_keeps_utf8_letters),
	    cmocka_unit_test(test_quarantine__escape_c1_bidi_separators),
	    cmocka_unit_test(test_quarantine__escape_not_utf8_is_bytes),
	    cmocka_unit_test(test_quarantine__escape_cut_fits),
	    cmocka_unit_test(test_quarantine__reason_keeps_backslashes),
	    cmocka_unit_test(test_quarantine__path_hex_wins),
	    cmocka_unit_test(test_quarantine__view_numbers),
	    cmocka_unit_test(test_quarantine__usage_errors_exit_2),
	    cmocka_unit_test(test_quarantine__missing_home_exit_1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
