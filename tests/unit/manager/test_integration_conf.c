/*
 * Unit tests for src/manager/integration_conf.c: the seed's <integration>
 * block, Wazuh's defaults, every element, errors with file:line and hints,
 * Wazuh-only integrations skipped with a warning, virustotal's options,
 * and the API key in no message or log line (real log file in mkdtemp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/config.h"
#include "manager/integration_conf.h"

#define SECRET "5ecre7c0ffee5ecre7c0ffee5ecre7c0ffee5ecre7c0ffee5ecre7c0ffee0042"

struct fixture {
	struct vg_test_logdir d;
	struct mgr_integration_conf c;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	vg_test_logdir_open(&f->d, "intconf");
	mgr_integration_conf_init(&f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_integration_conf_free(&f->c);
	vg_test_logdir_close(&f->d);
	vg_free(f);
	return 0;
}

static int load(struct fixture *f, const char *xml)
{
	struct vg_conf_section s[] = {{"integration", mgr_integration_conf_parse, &f->c}};

	mgr_integration_conf_free(&f->c);
	vg_err_clear(&f->err);
	return vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &f->err);
}

static void load_ok(struct fixture *f, const char *xml)
{
	vg_test_conf_ok(load(f, xml), &f->err);
}

static void expect_error(struct fixture *f, const char *xml, const char *want)
{
	vg_test_conf_error(load(f, xml), &f->err, want);
}

#define CONF(body) "<ossec_config>" body "</ossec_config>"
#define INT(body) CONF("<integration>" body "</integration>")
#define VT(body) INT("<name>virustotal</name><api_key>" SECRET "</api_key>" body)

static void test_integration_conf__seed_block_loads_unchanged(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF("\n  <integration>\n    <name>virustotal</name>\n"
			"    <api_key>KEY</api_key>\n    <group>syscheck</group>\n"
			"    <alert_format>json</alert_format>\n  </integration>\n"));
	assert_int_equal(f->c.n, 1);
	const struct mgr_integration *i = &f->c.items[0];
	assert_int_equal(i->kind, MGR_INT_VIRUSTOTAL);
	assert_string_equal(i->name, "virustotal");
	assert_string_equal(i->api_key, "KEY");
	assert_int_equal(i->ngroups, 1);
	assert_string_equal(i->groups[0], "syscheck");
	assert_true(i->json_format);
	assert_int_equal(i->line, 2);
	/* Wazuh's defaults, and Vigie's for virustotal */
	assert_string_equal(i->hook_url, "https://www.virustotal.com/api/v3");
	assert_int_equal(i->level, 0);
	assert_int_equal(i->nrule_ids, 0);
	assert_null(i->event_location);
	assert_int_equal(i->max_log, 165);
	assert_int_equal(i->timeout, 10);
	assert_int_equal(i->retries, 3);
	assert_null(i->options);
	assert_int_equal(i->vt.requests_per_minute, 4);
	assert_int_equal(i->vt.requests_per_day, 500);
	assert_int_equal(i->vt.requests_per_month, 15500);
	assert_int_equal(i->vt.cache_malicious_ttl, 30 * 86400);
	assert_int_equal(i->vt.cache_clean_ttl, 7 * 86400);
	assert_int_equal(i->vt.cache_not_found_ttl, 86400);
	assert_int_equal(i->vt.max_attempts, 8);
	assert_false(i->vt.use_quota_endpoint);
	assert_ptr_equal(mgr_integration_conf_vt(&f->c), i);
}

static void test_integration_conf__every_element(void **state)
{
	struct fixture *f = *state;

	load_ok(f, INT("<name>custom-teams</name><api_key>tok</api_key>"
		       "<hook_url>https://example.org/hook?a=1 b</hook_url><level>7</level>"
		       "<rule_id>550, ,554,,87105</rule_id><group>syscheck, web,</group>"
		       "<event_location>^syscheck$|virustotal</event_location>"
		       "<alert_format>text</alert_format><max_log>1024</max_log>"
		       "<options>{\"channel\": \"#sec\", \"n\": [1, 2]}</options>"
		       "<timeout>30</timeout><retries>0</retries>"));
	const struct mgr_integration *i = &f->c.items[0];
	assert_int_equal(i->kind, MGR_INT_CUSTOM);
	assert_string_equal(i->name, "custom-teams");
	assert_string_equal(i->api_key, "tok");
	assert_string_equal(i->hook_url, "https://example.org/hook?a=1 b");
	assert_int_equal(i->level, 7);
	assert_int_equal(i->nrule_ids, 3);
	assert_int_equal(i->rule_ids[0], 550);
	assert_int_equal(i->rule_ids[2], 87105);
	assert_int_equal(i->ngroups, 2);
	assert_string_equal(i->groups[1], "web");
	assert_true(vg_osmatch_test(i->event_location, "syscheck"));
	assert_false(vg_osmatch_test(i->event_location, "/var/log/syscheck.log"));
	assert_false(i->json_format);
	assert_int_equal(i->max_log, 1024);
	/* custom options are the script's business: kept verbatim */
	assert_string_equal(i->options, "{\"channel\": \"#sec\", \"n\": [1, 2]}");
	assert_int_equal(i->timeout, 30);
	assert_int_equal(i->retries, 0);
	assert_null(mgr_integration_conf_vt(&f->c));
	/* no key, no hook: NULL (the runner passes "") */
	load_ok(f, INT("<name>custom-x</name><alert_format>json_full</alert_format>"));
	assert_null(f->c.items[0].api_key);
	assert_null(f->c.items[0].hook_url);
	assert_true(f->c.items[0].json_format); /* anything starting with json */
	/* hook_url overrides virustotal's API base; a trailing / is dropped */
	load_ok(f, VT("<hook_url>http://127.0.0.1:8080/api/v3/</hook_url>"));
	assert_string_equal(f->c.items[0].hook_url, "http://127.0.0.1:8080/api/v3");
}

static void test_integration_conf__several_blocks_in_order(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF("<integration><name>custom-a</name></integration>\n"
			"<integration><name>virustotal</name><api_key>K</api_key>"
			"<rule_id>554</rule_id></integration>\n"
			"<integration><name>slack</name><hook_url>https://hooks.slack.com/x"
			"</hook_url><whatever/></integration>\n"
			"<integration><name>virustotal</name><api_key>K</api_key>"
			"<group>malware</group></integration>"));
	assert_int_equal(f->c.n, 3); /* slack skipped */
	assert_string_equal(f->c.items[0].name, "custom-a");
	assert_int_equal(f->c.items[1].rule_ids[0], 554);
	assert_int_equal(f->c.items[2].line, 4);
	assert_ptr_equal(mgr_integration_conf_vt(&f->c), &f->c.items[1]);
	/* two virustotal blocks are two filters before one client: they agree */
	expect_error(f,
		     CONF("<integration><name>virustotal</name><api_key>K</api_key></integration>\n"
			  "<integration><name>virustotal</name><api_key>K</api_key>"
			  "<options>{\"requests_per_minute\":60}</options></integration>"),
		     "t.conf:2: <integration>: virustotal blocks share one client: <api_key>, "
		     "<hook_url> and <options> must be those of the block at line 1");
}

static void test_integration_conf__wazuh_only_integrations_warned_and_skipped(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF("<integration><name>slack</name></integration>\n"
			"<integration><name>pagerduty</name><api_key>" SECRET "</api_key>"
			"</integration>\n<integration><name>shuffle</name></integration>\n"
			"<integration><name>maltiverse</name></integration>"));
	assert_int_equal(f->c.n, 0);
	char *log = vg_test_read_log(f->d.log);
	assert_non_null(strstr(log, "t.conf:1: <integration>: slack is a Wazuh integration "
				    "Vigie does not implement; block ignored"));
	assert_non_null(strstr(log, "t.conf:2: <integration>: pagerduty is a Wazuh"));
	assert_non_null(strstr(log, "t.conf:3: <integration>: shuffle"));
	assert_non_null(strstr(log, "t.conf:4: <integration>: maltiverse"));
	assert_null(strstr(log, SECRET));
	vg_free(log);
}

static void test_integration_conf__errors_name_file_line_and_hint(void **state)
{
	struct fixture *f = *state;

	expect_error(f, CONF("\n<integration><level>3</level></integration>"),
		     "t.conf:2: <integration>: missing <name> (virustotal or custom-...)");
	expect_error(f, INT("\n<name>virustotl</name>"),
		     "t.conf:2: <integration>: Invalid integration: 'virustotl'. Not currently "
		     "supported; did you mean 'virustotal'?");
	expect_error(f, INT("<name>splunk</name>"), "Invalid integration: 'splunk'");
	expect_error(f, INT("<name>custom-</name>"), "a custom integration is custom-<x>");
	expect_error(f, INT("<name>custom-../../bin/sh</name>"),
		     "\"custom-../../bin/sh\": a custom integration");
	expect_error(f, VT("\n<levle>3</levle>"),
		     "t.conf:2: <integration>: unknown element <levle>; did you mean <level>?");
	expect_error(f, VT("<level>17</level>"),
		     "<integration>: <level>: expected a number from 0 to 16, got \"17\"");
	expect_error(f, VT("<max_log>100</max_log>"),
		     "<max_log>: expected a number from 165 to 1024, got \"100\"");
	expect_error(f, VT("<max_log>1025</max_log>"), "got \"1025\"");
	expect_error(f, VT("<timeout>0</timeout>"), "<timeout>: expected a number from 1 to 3600");
	expect_error(f, VT("<retries>three</retries>"),
		     "<retries>: expected a number from 0 to 100, got \"three\"");
	expect_error(f, VT("<rule_id>550,abc</rule_id>"),
		     "<rule_id>: expected rule ids separated by commas, got \"abc\"");
	expect_error(f, VT("<rule_id> , </rule_id>"), "<rule_id>: no rule id");
	expect_error(f, VT("<group>,</group>"), "<group>: no group");
	expect_error(f, VT("<event_location>a||b</event_location>"), "<event_location>: ");
	expect_error(f, VT("<level><x/></level>"), "<level>: unexpected element <x>");
	expect_error(f, INT("\n<name>virustotal</name>"),
		     "t.conf:1: <integration>: Unable to enable integration for: 'virustotal'. "
		     "Missing API Key.");
	expect_error(f, VT("\n<hook_url>ftp://x/api</hook_url>"),
		     "t.conf:2: <integration>: <hook_url>: for virustotal, the API base: "
		     "http://... or https://...");
	expect_error(f, VT("<options>[1]</options>"), "<options>: expected a JSON object");
	expect_error(f, INT("<name>custom-x</name>\n<options>{\"a\":</options>"),
		     "t.conf:2: <integration>: <options>: invalid JSON at line 1");
}

static void test_integration_conf__vt_options(void **state)
{
	struct fixture *f = *state;

	load_ok(f, VT("<options>{\"requests_per_minute\": 60, \"requests_per_day\": 0,"
		      "\"requests_per_month\": 1000000, \"cache_malicious_ttl\": \"90d\","
		      "\"cache_clean_ttl\": \"12h\", \"cache_not_found_ttl\": 600,"
		      "\"max_attempts\": 3, \"use_quota_endpoint\": true}</options>"));
	const struct mgr_vt_options *o = &f->c.items[0].vt;
	assert_int_equal(o->requests_per_minute, 60);
	assert_int_equal(o->requests_per_day, 0); /* unlimited */
	assert_int_equal(o->requests_per_month, 1000000);
	assert_int_equal(o->cache_malicious_ttl, 90 * 86400);
	assert_int_equal(o->cache_clean_ttl, 12 * 3600);
	assert_int_equal(o->cache_not_found_ttl, 600);
	assert_int_equal(o->max_attempts, 3);
	assert_true(o->use_quota_endpoint);
	/* a partial object keeps the other defaults */
	load_ok(f, VT("<options>{\"cache_clean_ttl\": \"45m\"}</options>"));
	assert_int_equal(f->c.items[0].vt.cache_clean_ttl, 45 * 60);
	assert_int_equal(f->c.items[0].vt.requests_per_minute, 4);

	expect_error(f, VT("\n<options>{\"request_per_minute\": 4}</options>"),
		     "t.conf:2: <integration>: <options>: unknown key \"request_per_minute\"; "
		     "did you mean \"requests_per_minute\"?");
	expect_error(f, VT("<options>{\"colour\": 4}</options>"), "unknown key \"colour\"");
	expect_error(f, VT("<options>{\"requests_per_minute\": -1}</options>"),
		     "\"requests_per_minute\": expected an integer from 0 to 1000000000");
	expect_error(f, VT("<options>{\"requests_per_day\": \"500\"}</options>"),
		     "\"requests_per_day\": expected an integer");
	expect_error(f, VT("<options>{\"max_attempts\": 0}</options>"),
		     "\"max_attempts\": expected an integer from 1 to 1000");
	expect_error(f, VT("<options>{\"cache_clean_ttl\": \"7w\"}</options>"),
		     "\"cache_clean_ttl\": expected a duration");
	expect_error(f, VT("<options>{\"cache_clean_ttl\": \"3651d\"}</options>"),
		     "\"cache_clean_ttl\": expected a duration");
	expect_error(f, VT("<options>{\"use_quota_endpoint\": \"yes\"}</options>"),
		     "\"use_quota_endpoint\": expected true or false");
	expect_error(f, VT("\n\n<options>{\"a\":1,\"a\":2}</options>"),
		     "t.conf:3: <integration>: <options>: invalid JSON");
	expect_error(f, VT("\n<options>not json</options>"),
		     "t.conf:2: <integration>: <options>: invalid JSON at line 1 column");
}

static void test_integration_conf__durations(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(mgr_int_parse_duration("30d", UINT32_MAX, &v), 0);
	assert_int_equal(v, 30 * 86400);
	assert_int_equal(mgr_int_parse_duration("15", UINT32_MAX, &v), 0);
	assert_int_equal(v, 15);
	assert_int_equal(mgr_int_parse_duration("15s", UINT32_MAX, &v), 0);
	assert_int_equal(v, 15);
	assert_int_equal(mgr_int_parse_duration("2h", UINT32_MAX, &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(mgr_int_parse_duration("0m", UINT32_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mgr_int_parse_duration("", UINT32_MAX, &v), VG_EPARSE);
	assert_int_equal(mgr_int_parse_duration("d", UINT32_MAX, &v), VG_EPARSE);
	assert_int_equal(mgr_int_parse_duration("-1d", UINT32_MAX, &v), VG_EPARSE);
	assert_int_equal(mgr_int_parse_duration("1 d", UINT32_MAX, &v), VG_EPARSE);
	assert_int_equal(mgr_int_parse_duration("11d", 10 * 86400, &v), VG_ETOOBIG);
	assert_int_equal(v, 0);
}

/* Every way a block with the key can fail or warn: the key is in none. */
static void test_integration_conf__key_never_in_messages(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    INT("<name>virustotal</name><api_key>" SECRET " x</api_key>"),
	    INT("<name>virustotal</name><api_key>" SECRET "\tx</api_key>"),
	    INT("<name>virustotal</name><api_key>" SECRET SECRET SECRET SECRET SECRET "</api_key>"),
	    INT("<name>virustotal</name><api_key>" SECRET "<b/></api_key>"),
	    INT("<name>virustotal</name><api_key>x" SECRET "\xc3\xa9</api_key>"),
	    VT("<options>{\"" SECRET "\": 1}</options>"),
	    VT("<options>" SECRET "</options>"),
	    VT("<hook_url>" SECRET "</hook_url>"),
	    VT("<hook_url>https://x/" SECRET "\x01</hook_url>"),
	    VT("<" SECRET "/>"),
	    VT("<level>" SECRET "</level>"),
	    INT("<name>virustotl</name><api_key>" SECRET "</api_key>"),
	    INT("<api_key>" SECRET "</api_key>"),
	    CONF("<integration><name>virustotal</name><api_key>A</api_key></integration>"
		 "<integration><name>virustotal</name><api_key>" SECRET "</api_key></integration>"),
	    VT("<group>pci_dss_11.5</group><timeout>0</timeout>"),
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int rc = load(f, bad[k]);
		if (rc == 0)
			fail_msg("case %zu loaded", k);
		if (strstr(f->err.msg, SECRET) != NULL ||
		    strstr(f->err.msg, "5ecre7c0ffee") != NULL)
			fail_msg("case %zu: key in \"%s\"", k, f->err.msg);
	}
	/* a success and a warning: still nothing in the log */
	load_ok(f, VT("<group>pci_dss_11.5,syscheck</group>"));
	char *log = vg_test_read_log(f->d.log);
	assert_non_null(strstr(log, "\"pci_dss_11.5\" is a compliance token"));
	assert_null(strstr(log, "5ecre7c0ffee"));
	vg_free(log);
}

/* A Wazuh 4.x manager ossec.conf with several integrations, as a file. */
static void test_integration_conf__wazuh_manager_conf(void **state)
{
	struct fixture *f = *state;
	char path[128];
	struct mgr_config cfg;
	static const char conf[] =
	    "<ossec_config>\n"
	    "  <global>\n    <jsonout_output>yes</jsonout_output>\n"
	    "    <alerts_log>yes</alerts_log>\n    <logall>no</logall>\n"
	    "    <logall_json>no</logall_json>\n    <email_notification>no</email_notification>\n"
	    "  </global>\n"
	    "  <alerts>\n    <log_alert_level>3</log_alert_level>\n"
	    "    <email_alert_level>12</email_alert_level>\n  </alerts>\n"
	    "  <logging>\n    <log_format>plain</log_format>\n  </logging>\n"
	    "  <remote>\n    <connection>secure</connection>\n    <port>1514</port>\n"
	    "    <protocol>tcp</protocol>\n    <queue_size>131072</queue_size>\n  </remote>\n"
	    "  <rootcheck>\n    <disabled>no</disabled>\n  </rootcheck>\n"
	    "  <integration>\n    <name>virustotal</name>\n    <api_key>" SECRET "</api_key>\n"
	    "    <group>syscheck</group>\n    <alert_format>json</alert_format>\n"
	    "  </integration>\n"
	    "  <integration>\n    <name>slack</name>\n"
	    "    <hook_url>https://hooks.slack.com/services/T/B/X</hook_url>\n"
	    "    <level>10</level>\n    <alert_format>json</alert_format>\n"
	    "  </integration>\n"
	    "  <integration>\n    <name>custom-ticket</name>\n"
	    "    <hook_url>https://tickets.example/api</hook_url>\n"
	    "    <rule_id>87105,100200</rule_id>\n    <alert_format>json</alert_format>\n"
	    "    <options>{\"queue\": \"SOC\"}</options>\n  </integration>\n"
	    "  <ruleset>\n    <decoder_dir>ruleset/decoders</decoder_dir>\n"
	    "    <rule_dir>ruleset/rules</rule_dir>\n"
	    "    <rule_exclude>0215-policy_rules.xml</rule_exclude>\n"
	    "    <list>etc/lists/audit-keys</list>\n"
	    "    <decoder_dir>etc/decoders</decoder_dir>\n"
	    "    <rule_dir>etc/rules</rule_dir>\n  </ruleset>\n"
	    "  <auth>\n    <disabled>no</disabled>\n    <port>1515</port>\n"
	    "    <use_source_ip>no</use_source_ip>\n    <purge>yes</purge>\n"
	    "    <use_password>no</use_password>\n  </auth>\n"
	    "</ossec_config>\n";

	snprintf(path, sizeof(path), "%s/ossec.conf", f->d.dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(conf, 1, sizeof(conf) - 1, fp), sizeof(conf) - 1);
	assert_int_equal(fclose(fp), 0);
	if (mgr_config_load(path, &cfg, &f->err) != 0)
		fail_msg("%s", f->err.msg);
	assert_int_equal(cfg.integrations.n, 2);
	assert_string_equal(cfg.integrations.items[0].name, "virustotal");
	assert_string_equal(cfg.integrations.items[0].api_key, SECRET);
	assert_string_equal(cfg.integrations.items[1].name, "custom-ticket");
	assert_int_equal(cfg.integrations.items[1].nrule_ids, 2);
	mgr_config_free(&cfg);
	assert_int_equal(cfg.integrations.n, 0);
	char *log = vg_test_read_log(f->d.log);
	assert_non_null(strstr(log, "slack is a Wazuh integration Vigie does not implement"));
	assert_null(strstr(log, "5ecre7c0ffee"));
	vg_free(log);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_integration_conf__seed_block_loads_unchanged),
	    T(test_integration_conf__every_element),
	    T(test_integration_conf__several_blocks_in_order),
	    T(test_integration_conf__wazuh_only_integrations_warned_and_skipped),
	    T(test_integration_conf__errors_name_file_line_and_hint),
	    T(test_integration_conf__vt_options),
	    T(test_integration_conf__durations),
	    T(test_integration_conf__key_never_in_messages),
	    T(test_integration_conf__wazuh_manager_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
