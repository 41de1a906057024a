/* Unit tests for src/manager/mitre.c: the technique TSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "manager/mitre.h"

static void test_mitre__parses_lines_comments_and_tactics(void **state)
{
	const char *data = "# header\n\nT1565.001\tStored Data Manipulation\tImpact\r\n"
			   "T1070.004\tFile Deletion\tDefense Evasion,Impact\n"
			   "T1\tNo tactic\t\n";
	struct mitre_db *db = NULL;
	(void)state;

	assert_int_equal(mitre_load_buffer("m", data, strlen(data), &db, NULL), 0);
	assert_int_equal(mitre_count(db), 3);
	const struct mitre_technique *t = mitre_get(db, "T1070.004");
	assert_non_null(t);
	assert_string_equal(t->name, "File Deletion");
	assert_int_equal(t->n_tactics, 2);
	assert_string_equal(t->tactics[0], "Defense Evasion");
	assert_string_equal(t->tactics[1], "Impact");
	assert_string_equal(mitre_get(db, "T1565.001")->tactics[0], "Impact"); /* CR trimmed */
	assert_int_equal(mitre_get(db, "T1")->n_tactics, 0);
	assert_null(mitre_get(db, "T9"));
	mitre_free(db);
}

static void test_mitre__malformed_line_names_line(void **state)
{
	struct mitre_db *db = NULL;
	struct vg_err err = VG_ERR_INIT;
	(void)state;

	assert_int_equal(mitre_load_buffer("m.tsv", "T1\ta\tb\nT2 only\n", 16, &db, &err),
			 VG_EPARSE);
	assert_null(db);
	assert_non_null(strstr(err.msg, "m.tsv:2:"));
	vg_err_clear(&err);
	assert_int_equal(mitre_load_buffer("m.tsv", "T1\ta\tb\nT1\tc\td\n", 14, &db, &err),
			 VG_EPARSE);
	assert_non_null(strstr(err.msg, "m.tsv:2: technique T1 defined twice"));
	assert_int_equal(mitre_load("/nonexistent/m.tsv", &db, NULL), VG_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mitre__parses_lines_comments_and_tactics),
	    cmocka_unit_test(test_mitre__malformed_line_names_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
