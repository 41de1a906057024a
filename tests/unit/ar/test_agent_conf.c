/*
 * test_agent_conf.c - The agent's own <active-response> section.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ar/agent_conf.h"
#include "lib/common.h"
#include "support/support.h"

static int load(const char *xml, struct ar_agent_conf *c, struct vg_err *err)
{
	const struct vg_conf_section sections[] = {{"active-response", ar_agent_conf_parse, c}};

	ar_agent_conf_init(c);
	return vg_conf_load_buffer("agent.conf", xml, strlen(xml), sections, VG_ARRAY_LEN(sections),
				   err);
}

static void test_agent_conf__default_runs_responses(void **state)
{
	struct ar_agent_conf c;
	struct vg_err err = VG_ERR_INIT;

	vg_test_conf_ok(
	    load("<ossec_config><active-response></active-response></ossec_config>", &c, &err),
	    &err);
	assert_false(c.disabled);
}

static void test_agent_conf__disabled_and_later_blocks_override(void **state)
{
	struct ar_agent_conf c;
	struct vg_err err = VG_ERR_INIT;

	vg_test_conf_ok(load("<ossec_config><active-response><disabled>yes</disabled>"
			     "</active-response></ossec_config>",
			     &c, &err),
			&err);
	assert_true(c.disabled);
	vg_test_conf_ok(load("<ossec_config><active-response><disabled>yes</disabled>"
			     "</active-response></ossec_config>\n<ossec_config><active-response>"
			     "<disabled>no</disabled></active-response></ossec_config>",
			     &c, &err),
			&err);
	assert_false(c.disabled);
}

static void test_agent_conf__wazuh_agent_options_are_ignored(void **state)
{
	struct ar_agent_conf c;
	struct vg_err err = VG_ERR_INIT;

	vg_test_conf_ok(load("<ossec_config><active-response><disabled>no</disabled>"
			     "<ca_store>etc/wpk_root.pem</ca_store>"
			     "<ca_verification>yes</ca_verification>"
			     "<repeated_offenders>1,5,10</repeated_offenders>"
			     "</active-response></ossec_config>",
			     &c, &err),
			&err);
	assert_false(c.disabled);
}

static void test_agent_conf__mistakes_name_file_and_line(void **state)
{
	struct ar_agent_conf c;
	struct vg_err err = VG_ERR_INIT;

	vg_test_conf_error(load("<ossec_config>\n<active-response>\n<disabled>maybe</disabled>\n"
				"</active-response></ossec_config>",
				&c, &err),
			   &err, "agent.conf:3:");
	vg_err_clear(&err);
	vg_test_conf_error(load("<ossec_config>\n<active-response>\n<disable>yes</disable>\n"
				"</active-response></ossec_config>",
				&c, &err),
			   &err, "did you mean <disabled>?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agent_conf__default_runs_responses),
	    cmocka_unit_test(test_agent_conf__disabled_and_later_blocks_override),
	    cmocka_unit_test(test_agent_conf__wazuh_agent_options_are_ignored),
	    cmocka_unit_test(test_agent_conf__mistakes_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
