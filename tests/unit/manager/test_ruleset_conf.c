/* Unit tests for src/manager/ruleset_conf.c: the <ruleset> section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "manager/ruleset_conf.h"

static int parse(const char *text, struct ruleset_conf *c, struct vg_err *err)
{
	struct vg_conf_section sec = {"ruleset", ruleset_conf_parse, c};
	return vg_conf_load_buffer("ossec.conf", text, strlen(text), &sec, 1, err);
}

static void test_ruleset_conf__items_in_order_across_sections(void **state)
{
	struct ruleset_conf c;
	(void)state;

	vg_log_set_level(VG_LOG_ERROR);
	ruleset_conf_init(&c);
	assert_int_equal(parse("<ossec_config><ruleset>\n"
			       "<decoder_dir>ruleset/decoders</decoder_dir>\n"
			       "<rule_dir pattern=\"_rules.xml$\">ruleset/rules</rule_dir>\n"
			       "<rule_exclude>0215-policy_rules.xml</rule_exclude>\n"
			       "<list>etc/lists/audit-keys</list>\n"
			       "</ruleset></ossec_config>\n"
			       "<ossec_config><ruleset><rule_include>etc/x.xml</rule_include>"
			       "</ruleset></ossec_config>",
			       &c, NULL),
			 0);
	assert_true(c.present);
	assert_true(c.warned_decoders);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.items[0].kind, RULESET_RULE_DIR);
	assert_string_equal(c.items[0].path, "ruleset/rules");
	assert_string_equal(c.items[0].pattern, "_rules.xml$");
	assert_int_equal(c.items[0].line, 3);
	assert_int_equal(c.items[1].kind, RULESET_RULE_EXCLUDE);
	assert_int_equal(c.items[2].kind, RULESET_LIST);
	assert_string_equal(c.items[2].path, "etc/lists/audit-keys");
	assert_int_equal(c.items[3].kind, RULESET_RULE_INCLUDE);
	assert_null(c.items[3].pattern);
	ruleset_conf_free(&c);
}

static void test_ruleset_conf__unknown_element_and_empty_path(void **state)
{
	struct ruleset_conf c;
	struct vg_err err = VG_ERR_INIT;
	(void)state;

	ruleset_conf_init(&c);
	assert_int_equal(parse("<ossec_config><ruleset>\n<rules_dir>x</rules_dir>"
			       "</ruleset></ossec_config>",
			       &c, &err),
			 VG_EPARSE);
	assert_non_null(strstr(err.msg, "ossec.conf:2: <ruleset>: unknown element <rules_dir>; "
					"did you mean <rule_dir>?"));
	ruleset_conf_free(&c);
	ruleset_conf_init(&c);
	vg_err_clear(&err);
	assert_int_equal(
	    parse("<ossec_config><ruleset><list></list></ruleset></ossec_config>", &c, &err),
	    VG_EPARSE);
	assert_non_null(strstr(err.msg, "<list> needs a path"));
	ruleset_conf_free(&c);
	ruleset_conf_init(&c);
	assert_int_equal(parse("<ossec_config><ruleset><list x=\"1\">a</list></ruleset>"
			       "</ossec_config>",
			       &c, &err),
			 VG_EPARSE);
	ruleset_conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ruleset_conf__items_in_order_across_sections),
	    cmocka_unit_test(test_ruleset_conf__unknown_element_and_empty_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
