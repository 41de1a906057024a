/*
 * Unit tests for src/manager/settings.c: <global> and <alerts> of
 * ossec.conf, defaults, a stock Wazuh block, and errors with file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/conf.h"
#include "lib/mem.h"
#include "support/support.h"
#include "manager/settings.h"

static int load(const char *xml, struct an_settings *s, struct vg_err *err)
{
	struct vg_conf_section sec[2];

	an_settings_sections(s, sec);
	return vg_conf_load_buffer("test.conf", xml, strlen(xml), sec, 2, err);
}

static void expect_error(const char *xml, const char *want)
{
	struct an_settings s = AN_SETTINGS_INIT;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(load(xml, &s, &err), VG_EPARSE);
	vg_test_err_mentions(&err, want);
}

static void test_settings__defaults_are_wazuh_defaults(void **state)
{
	(void)state;
	struct an_settings s = AN_SETTINGS_INIT;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(load("<ossec_config><global></global><alerts/></ossec_config>", &s, &err),
			 0);
	assert_true(s.jsonout_output);
	assert_true(s.alerts_log);
	assert_false(s.logall);
	assert_false(s.logall_json);
	assert_int_equal(s.log_alert_level, 3);
	assert_int_equal(s.email_alert_level, 12);
}

static void test_settings__values_and_later_blocks_win(void **state)
{
	(void)state;
	struct an_settings s = AN_SETTINGS_INIT;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(load("<ossec_config><global><jsonout_output>no</jsonout_output>"
			      "<alerts_log>no</alerts_log><logall>yes</logall></global>"
			      "<alerts><log_alert_level>0</log_alert_level>"
			      "<email_alert_level>16</email_alert_level></alerts></ossec_config>"
			      "<ossec_config><alerts><log_alert_level>7</log_alert_level></alerts>"
			      "</ossec_config>",
			      &s, &err),
			 0);
	assert_false(s.jsonout_output);
	assert_false(s.alerts_log);
	assert_true(s.logall);
	assert_int_equal(s.log_alert_level, 7);
	assert_int_equal(s.email_alert_level, 16);

	/* <global> takes email_alert_level too; the later one wins */
	assert_int_equal(load("<ossec_config><alerts><email_alert_level>16</email_alert_level>"
			      "</alerts><global><email_alert_level>10</email_alert_level></global>"
			      "</ossec_config>",
			      &s, &err),
			 0);
	assert_int_equal(s.email_alert_level, 10);
}

static void test_settings__stock_wazuh_blocks_load_with_one_warning_each(void **state)
{
	(void)state;
	const char *src = getenv("VG_SOURCE_DIR");
	if (src == NULL)
		skip();
	char *path = vg_xasprintf("%s/tests/fixtures/alerts/wazuh-global.conf", src);
	struct an_settings s = AN_SETTINGS_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct vg_conf_section sec[2];

	an_settings_sections(&s, sec);
	if (vg_conf_load(path, sec, 2, &err) != 0)
		fail_msg("load: %s", err.msg);
	vg_free(path);
	assert_true(s.logall_json); /* the second block's value */
	/* 10 distinct unimplemented elements, white_list thrice: 10 bits. */
	assert_int_equal(__builtin_popcountll(s.warned), 10);
}

static void test_settings__errors_name_file_line_and_expected(void **state)
{
	(void)state;
	expect_error("<ossec_config>\n<global>\n<jsonout_output>maybe</jsonout_output>\n</global>"
		     "</ossec_config>",
		     "test.conf:3: <global>: <jsonout_output>: expected yes or no, got \"maybe\"");
	expect_error("<ossec_config>\n<alerts>\n<log_alert_level>17</log_alert_level></alerts>"
		     "</ossec_config>",
		     "test.conf:3: <alerts>: <log_alert_level>: expected a level from 0 to 16, "
		     "got \"17\"");
	expect_error("<ossec_config><alerts><email_alert_level>-1</email_alert_level></alerts>"
		     "</ossec_config>",
		     "expected a level from 0 to 16, got \"-1\"");
	expect_error("<ossec_config>\n\n<global><jsonout_ouptut>yes</jsonout_ouptut></global>"
		     "</ossec_config>",
		     "test.conf:3: <global>: unknown element <jsonout_ouptut>; did you mean "
		     "<jsonout_output>?");
	expect_error("<ossec_config><alerts><bogus>1</bogus></alerts></ossec_config>",
		     "<alerts>: unknown element <bogus>");
	/* An element of the other section is unknown here. */
	expect_error("<ossec_config><global><log_alert_level>3</log_alert_level></global>"
		     "</ossec_config>",
		     "<global>: unknown element <log_alert_level>");
	expect_error("<ossec_config><global><alerts_log><x/></alerts_log></global></ossec_config>",
		     "<global>: <alerts_log>: unexpected element <x>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings__defaults_are_wazuh_defaults),
	    cmocka_unit_test(test_settings__values_and_later_blocks_win),
	    cmocka_unit_test(test_settings__stock_wazuh_blocks_load_with_one_warning_each),
	    cmocka_unit_test(test_settings__errors_name_file_line_and_expected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
