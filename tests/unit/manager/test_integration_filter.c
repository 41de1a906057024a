/*
 * Unit tests for src/manager/integration_filter.c: Wazuh's integratord
 * filters (AND across the filters a block sets, OR within a list), on the
 * pipeline's records and on a stored alert, with blocks parsed from XML
 * so the test sees what a configuration gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/conf.h"
#include "manager/integration_conf.h"
#include "manager/integration_filter.h"

/* Parse one <integration> body (custom-t unless the body names one). */
static void parse(struct mgr_integration_conf *c, const char *body)
{
	char xml[1024];
	struct vg_err err = VG_ERR_INIT;
	struct vg_conf_section s[] = {{"integration", mgr_integration_conf_parse, c}};

	snprintf(xml, sizeof(xml),
		 "<ossec_config><integration><name>custom-t</name>%s</integration>"
		 "</ossec_config>",
		 body);
	mgr_integration_conf_init(c);
	if (vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c->n, 1);
}

#define FIM_GROUPS "ossec,syscheck,syscheck_entry_added,syscheck_file,pci_dss_11.5,gdpr_II_5.1.f,"

static bool on_fields(const char *body, const char *location, unsigned level, unsigned id,
		      const char *groups)
{
	struct mgr_integration_conf c;

	parse(&c, body);
	bool m = integration_matches_fields(&c.items[0], location, level, id, groups);
	mgr_integration_conf_free(&c);
	return m;
}

static void test_integration_filter__no_filter_takes_everything(void **state)
{
	(void)state;
	assert_true(on_fields("", "syscheck", 5, 554, FIM_GROUPS));
	assert_true(on_fields("", NULL, 0, 1, NULL));
}

static void test_integration_filter__level_is_at_least(void **state)
{
	(void)state;
	assert_true(on_fields("<level>5</level>", "syscheck", 5, 554, FIM_GROUPS));
	assert_true(on_fields("<level>5</level>", "syscheck", 12, 554, FIM_GROUPS));
	assert_false(on_fields("<level>5</level>", "syscheck", 4, 554, FIM_GROUPS));
	assert_true(on_fields("<level>0</level>", "syscheck", 0, 554, FIM_GROUPS)); /* 0: none */
}

static void test_integration_filter__group_exact_any_of_list(void **state)
{
	(void)state;
	assert_true(on_fields("<group>syscheck</group>", "syscheck", 5, 554, FIM_GROUPS));
	assert_true(on_fields("<group>web,syscheck_file</group>", "x", 5, 554, FIM_GROUPS));
	assert_false(on_fields("<group>web,attack</group>", "x", 5, 554, FIM_GROUPS));
	/* exact names: no prefix or substring match, case matters */
	assert_false(on_fields("<group>sys</group>", "x", 5, 554, FIM_GROUPS));
	assert_false(on_fields("<group>syscheck_entry</group>", "x", 5, 554, FIM_GROUPS));
	assert_false(on_fields("<group>Syscheck</group>", "x", 5, 554, FIM_GROUPS));
	/* the last group of a string without a trailing comma */
	assert_true(on_fields("<group>virustotal</group>", "x", 12, 87105, "virustotal"));
	/* compliance tokens are not in rule.groups: never match, as in Wazuh */
	assert_false(on_fields("<group>pci_dss_11.5</group>", "x", 5, 554, FIM_GROUPS));
	assert_false(on_fields("<group>gdpr_II_5.1.f</group>", "x", 5, 554, FIM_GROUPS));
	/* a rule without groups */
	assert_false(on_fields("<group>syscheck</group>", "x", 5, 554, NULL));
	assert_false(on_fields("<group>syscheck</group>", "x", 5, 554, ""));
}

static void test_integration_filter__rule_id_any_of_list(void **state)
{
	(void)state;
	assert_true(on_fields("<rule_id>554</rule_id>", "x", 5, 554, ""));
	assert_true(on_fields("<rule_id>550, 553,554</rule_id>", "x", 5, 553, ""));
	assert_false(on_fields("<rule_id>550,553</rule_id>", "x", 5, 554, ""));
	assert_false(on_fields("<rule_id>55</rule_id>", "x", 5, 554, ""));
}

static void test_integration_filter__event_location_osmatch(void **state)
{
	(void)state;
	assert_true(on_fields("<event_location>syscheck</event_location>", "syscheck", 5, 1, ""));
	assert_true(on_fields("<event_location>^/var/log|syscheck</event_location>",
			      "/var/log/auth.log", 5, 1, ""));
	assert_false(
	    on_fields("<event_location>^syscheck$</event_location>", "syscheck2", 5, 1, ""));
	assert_false(on_fields("<event_location>!syscheck</event_location>", "syscheck", 5, 1, ""));
	assert_false(on_fields("<event_location>syscheck</event_location>", NULL, 5, 1, ""));
}

/* Every combination of four set filters: passes only when all four do. */
static void test_integration_filter__and_across_filters(void **state)
{
	static const char body[] = "<event_location>syscheck</event_location><level>7</level>"
				   "<group>syscheck</group><rule_id>550,554</rule_id>";
	(void)state;
	for (int bits = 0; bits < 16; bits++) {
		bool loc = bits & 1, lvl = bits & 2, grp = bits & 4, rid = bits & 8;
		bool m = on_fields(body, loc ? "syscheck" : "/var/log/x", lvl ? 7 : 6,
				   rid ? 554 : 553, grp ? "ossec,syscheck," : "ossec,web,");
		if (m != (loc && lvl && grp && rid))
			fail_msg("combination %d gave %d", bits, m);
	}
}

static void test_integration_filter__pipeline_and_store_records(void **state)
{
	struct mgr_integration_conf c;
	struct an_fields *fields = NULL;
	(void)state;

	parse(&c, "<group>syscheck</group><level>5</level>");
	const struct mgr_integration *i = &c.items[0];
	struct an_event ev = {.agent_id = "001", .location = "syscheck", .fields = fields};
	struct an_rule_info rule = {.id = 554, .level = 5, .groups = FIM_GROUPS};
	assert_true(integration_matches(i, &ev, &rule));
	rule.level = 3;
	assert_false(integration_matches(i, &ev, &rule));
	assert_false(integration_matches(i, &ev, NULL)); /* no rule block: skipped */

	struct store_alert a = {.id = "1715702735.1234",
				.rule_id = 554,
				.level = 7,
				.location = "syscheck",
				.groups = FIM_GROUPS};
	assert_true(integration_matches_alert(i, &a));
	a.groups = "ossec,web,";
	assert_false(integration_matches_alert(i, &a));
	a.groups = FIM_GROUPS;
	a.rule_id = 0;
	assert_false(integration_matches_alert(i, &a));
	mgr_integration_conf_free(&c);
}

/* A rule class has no location: the class test leaves <event_location> to
 * the alert test and applies every other filter. */
static void test_integration_filter__class_leaves_location_to_the_alert(void **state)
{
	struct mgr_integration_conf c;
	(void)state;

	parse(&c, "<event_location>^syscheck$</event_location><group>syscheck</group>"
		  "<level>5</level>");
	const struct mgr_integration *i = &c.items[0];
	struct store_alert cls = {.rule_id = 554, .level = 7, .groups = FIM_GROUPS};
	assert_true(integration_matches_class(i, &cls));
	assert_false(integration_matches_alert(i, &cls)); /* no location: refused */
	cls.level = 3;
	assert_false(integration_matches_class(i, &cls));
	cls.level = 7;
	cls.groups = "ossec,web,";
	assert_false(integration_matches_class(i, &cls));
	cls.groups = FIM_GROUPS;
	cls.rule_id = 0;
	assert_false(integration_matches_class(i, &cls));
	assert_non_null(i->event_location); /* the block itself is untouched */
	mgr_integration_conf_free(&c);
}

/* The seed's block takes the FIM alert and not the VirusTotal one. */
static void test_integration_filter__seed_block(void **state)
{
	(void)state;
	assert_true(on_fields("<group>syscheck</group><alert_format>json</alert_format>",
			      "syscheck", 5, 554, FIM_GROUPS));
	assert_false(on_fields("<group>syscheck</group>", "virustotal", 12, 87105, "virustotal,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integration_filter__no_filter_takes_everything),
	    cmocka_unit_test(test_integration_filter__level_is_at_least),
	    cmocka_unit_test(test_integration_filter__group_exact_any_of_list),
	    cmocka_unit_test(test_integration_filter__rule_id_any_of_list),
	    cmocka_unit_test(test_integration_filter__event_location_osmatch),
	    cmocka_unit_test(test_integration_filter__and_across_filters),
	    cmocka_unit_test(test_integration_filter__pipeline_and_store_records),
	    cmocka_unit_test(test_integration_filter__class_leaves_location_to_the_alert),
	    cmocka_unit_test(test_integration_filter__seed_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
