/*
 * Unit tests for src/manager/ar_conf.c: <command> and <active-response>
 * with Wazuh's defaults, every element, the built-ins, each error with its
 * FILE:LINE message and hint, the warnings (once per load, real log file
 * in mkdtemp), a full Wazuh manager ossec.conf with the documented
 * VirusTotal remove-threat blocks, and ar_matches' truth table.
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
#include "manager/ar_conf.h"
#include "manager/config.h"

struct fixture {
	struct vg_test_logdir d;
	struct mgr_ar_conf c;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	vg_test_logdir_open(&f->d, "arconf");
	mgr_ar_conf_init(&f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_ar_conf_free(&f->c);
	vg_test_logdir_close(&f->d);
	vg_free(f);
	return 0;
}

static int load(struct fixture *f, const char *xml)
{
	struct vg_conf_section s[] = {{"command", mgr_ar_command_parse, &f->c},
				      {"active-response", mgr_ar_response_parse, &f->c}};

	mgr_ar_conf_free(&f->c);
	vg_err_clear(&f->err);
	return vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 2, &f->err);
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
#define CMD(body) "<command>" body "</command>"
#define AR(body) "<active-response>" body "</active-response>"
/* Line 2 holds the element under test in the error cases. */
#define L2(body) "<ossec_config>\n" body "\n</ossec_config>"
#define FWD CMD("<name>firewall-drop</name><executable>firewall-drop</executable>")

static void test_ar_conf__defaults(void **state)
{
	struct fixture *f = *state;
	struct mgr_config cfg;

	mgr_config_init(&cfg);
	assert_int_equal(cfg.ar.ncommands, 0);
	assert_int_equal(cfg.ar.n, 0);
	mgr_config_free(&cfg);

	load_ok(f, CONF("\n" FWD "\n" AR("<command>firewall-drop</command>"
					 "<location>local</location><level>10</level>")));
	assert_int_equal(f->c.ncommands, 1);
	const struct mgr_ar_command *c = &f->c.commands[0];
	assert_string_equal(c->name, "firewall-drop");
	assert_string_equal(c->executable, "firewall-drop");
	assert_false(c->timeout_allowed);
	assert_null(c->extra_args);
	assert_int_equal(c->line, 2);
	assert_int_equal(f->c.n, 1);
	const struct mgr_active_response *ar = &f->c.items[0];
	assert_string_equal(ar->command, "firewall-drop");
	assert_int_equal(ar->kind, MGR_AR_SCRIPT);
	assert_ptr_equal(mgr_ar_command_of(&f->c, ar), c);
	assert_int_equal(ar->location, MGR_AR_LOCAL);
	assert_null(ar->agent_id);
	assert_int_equal(ar->nrule_ids, 0);
	assert_int_equal(ar->ngroups, 0);
	assert_int_equal(ar->level, 10);
	assert_int_equal(ar->timeout, 0);
	assert_int_equal(ar->line, 3);
}

static void test_ar_conf__every_element(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF(CMD("<name>block.v2</name><executable>block_v2.sh</executable>"
			    "<timeout_allowed>yes</timeout_allowed>"
			    "<extra_args>-v --zone \"dmz\"</extra_args>")
			    FWD AR("<disabled>no</disabled><command>block.v2</command>"
				   "<location>defined-agent</location><agent_id>001</agent_id>"
				   "<rules_id>550, ,554,,87105</rules_id>"
				   "<rules_group>syscheck| virustotal ,web,</rules_group>"
				   "<level>20</level><timeout>600</timeout>")));
	assert_int_equal(f->c.ncommands, 2);
	const struct mgr_ar_command *c = &f->c.commands[0];
	assert_string_equal(c->name, "block.v2");
	assert_string_equal(c->executable, "block_v2.sh");
	assert_true(c->timeout_allowed);
	assert_string_equal(c->extra_args, "-v --zone \"dmz\"");
	const struct mgr_active_response *ar = &f->c.items[0];
	assert_int_equal(ar->kind, MGR_AR_SCRIPT);
	assert_int_equal(ar->cmd_index, 0);
	assert_int_equal(ar->location, MGR_AR_DEFINED_AGENT);
	assert_string_equal(ar->agent_id, "001");
	assert_int_equal(ar->nrule_ids, 3);
	assert_int_equal(ar->rule_ids[0], 550);
	assert_int_equal(ar->rule_ids[1], 554);
	assert_int_equal(ar->rule_ids[2], 87105);
	assert_int_equal(ar->ngroups, 3);
	assert_string_equal(ar->groups[0], "syscheck");
	assert_string_equal(ar->groups[1], "virustotal");
	assert_string_equal(ar->groups[2], "web");
	assert_int_equal(ar->level, 20);
	assert_int_equal(ar->timeout, 600);
}

static void test_ar_conf__locations(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *word;
		enum mgr_ar_location loc;
	} cases[] = {
	    {"local", MGR_AR_LOCAL},      {"server", MGR_AR_SERVER},          {"AS", MGR_AR_SERVER},
	    {"analysisd", MGR_AR_SERVER}, {"analysis-server", MGR_AR_SERVER}, {"all", MGR_AR_ALL},
	    {"any", MGR_AR_ALL}};
	char xml[256];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		snprintf(xml, sizeof(xml),
			 CONF(AR("<command>quarantine</command><location>%s</location>"
				 "<level>3</level>")),
			 cases[k].word);
		load_ok(f, xml);
		assert_int_equal(f->c.n, 1);
		assert_int_equal(f->c.items[0].location, cases[k].loc);
	}
}

static void test_ar_conf__builtins_need_no_command(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF(AR("<command>quarantine</command><location>local</location>"
			   "<rules_id>87105</rules_id>")
			    AR("<command>remove-threat</command><location>local</location>"
			       "<rules_group>virustotal</rules_group>")));
	assert_int_equal(f->c.ncommands, 0);
	assert_int_equal(f->c.n, 2);
	assert_int_equal(f->c.items[0].kind, MGR_AR_BUILTIN_QUAR);
	assert_int_equal(f->c.items[1].kind, MGR_AR_BUILTIN_REMOVE);
	assert_null(mgr_ar_command_of(&f->c, &f->c.items[0]));
	assert_null(mgr_ar_command_of(&f->c, &f->c.items[1]));

	/* a <command> of the same name is the user's script: it wins */
	load_ok(f, CONF(CMD("<name>remove-threat</name><executable>remove-threat.sh</executable>")
			    AR("<command>remove-threat</command><location>local</location>"
			       "<rules_id>87105</rules_id>")));
	assert_int_equal(f->c.items[0].kind, MGR_AR_SCRIPT);
	assert_string_equal(mgr_ar_command_of(&f->c, &f->c.items[0])->executable,
			    "remove-threat.sh");
}

static void test_ar_conf__disabled_block_is_dropped(void **state)
{
	struct fixture *f = *state;

	/* as Wazuh: no command or location check once disabled */
	load_ok(f, CONF(AR("<disabled>yes</disabled><command>nope</command>")
			    AR("<disabled>no</disabled><command>quarantine</command>"
			       "<location>all</location><level>12</level>")));
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.items[0].location, MGR_AR_ALL);
	/* but each element is still checked */
	expect_error(f, L2(AR("<disabled>maybe</disabled>")),
		     "t.conf:2: <active-response>: <disabled>: expected yes or no, got \"maybe\"");
}

static void test_ar_conf__errors_name_file_and_line(void **state)
{
	struct fixture *f = *state;

	expect_error(f, L2(CMD("<nam>x</nam>")),
		     "t.conf:2: <command>: unknown element <nam>; did you mean <name>?");
	expect_error(f, L2(CMD("<name>x</name>")),
		     "t.conf:2: <command>: Missing command options. You must specify a <name> "
		     "and <executable>.");
	expect_error(f, L2(CMD("<executable>x</executable>")), "t.conf:2: <command>: Missing");
	expect_error(f, L2(CMD("<name>!x</name><executable>x</executable>")),
		     "t.conf:2: <command>: <name>: \"!x\": expected 1 to 64 letters");
	expect_error(f, L2(CMD("<name>x</name><executable>../../bin/sh</executable>")),
		     "t.conf:2: <command>: <executable>: \"../../bin/sh\": expected");
	expect_error(f, L2(CMD("<name>x</name><executable>..</executable>")),
		     "t.conf:2: <command>: <executable>: \"..\" is not a file name");
	expect_error(f,
		     L2(CMD("<name>x</name><executable>x</executable>"
			    "<timeout_allowed>1</timeout_allowed>")),
		     "t.conf:2: <command>: <timeout_allowed>: expected yes or no, got \"1\"");
	expect_error(f,
		     L2(CMD("<name>x</name><executable>x</executable>") "\n" CMD(
			 "<name>x</name><executable>y</executable>")),
		     "t.conf:3: <command>: \"x\" is already defined at line 2");
	expect_error(f,
		     L2(CMD("<name>x</name><executable>x</executable><extra_args><a/>"
			    "</extra_args>")),
		     "t.conf:2: <command>: <extra_args>: unexpected element <a>");

	expect_error(f, L2(AR("<comand>x</comand>")),
		     "t.conf:2: <active-response>: unknown element <comand>; did you mean "
		     "<command>?");
	expect_error(f, L2(AR("<command>quarantine</command>")),
		     "t.conf:2: <active-response>: Missing <command> or <location>");
	expect_error(f, L2(AR("<location>local</location>")),
		     "t.conf:2: <active-response>: Missing <command> or <location>");
	expect_error(f, L2(AR("<command>quarantine</command><location>locale</location>")),
		     "t.conf:2: <active-response>: Invalid location: 'locale'; did you mean "
		     "'local'?");
	expect_error(f, L2(AR("<command>quarantine</command><location>mars</location>")),
		     "t.conf:2: <active-response>: Invalid location: 'mars' (one of local, "
		     "server, defined-agent, all)");
	expect_error(f, L2(AR("<command>quarantine</command><location>defined-agent</location>")),
		     "t.conf:2: <active-response>: 'defined-agent' needs an <agent_id>");
	expect_error(f, L2(AR("<agent_id>00a</agent_id>")),
		     "t.conf:2: <active-response>: <agent_id>: expected an agent id of 1 to 8 "
		     "digits (\"001\"), got \"00a\"");
	expect_error(f, L2(AR("<command>quarantin</command><location>local</location>")),
		     "t.conf:2: <active-response>: Invalid command 'quarantin'; did you mean "
		     "'quarantine'?");
	expect_error(f,
		     L2(AR("<command>firewall-drop</command><location>local</location>") "\n" FWD),
		     "t.conf:2: <active-response>: Invalid command 'firewall-drop': define it "
		     "in a <command> block before this one");
	expect_error(f, L2(AR("<rules_id>550,abc</rules_id>")),
		     "t.conf:2: <active-response>: <rules_id>: expected rule ids separated by "
		     "commas, got \"abc\"");
	expect_error(f, L2(AR("<rules_id> , </rules_id>")),
		     "t.conf:2: <active-response>: <rules_id>: no rule id");
	expect_error(f, L2(AR("<rules_group>a b</rules_group>")),
		     "t.conf:2: <active-response>: <rules_group>: \"a b\" is not a group name");
	expect_error(f, L2(AR("<rules_group>|,</rules_group>")),
		     "t.conf:2: <active-response>: <rules_group>: no group");
	expect_error(f, L2(AR("<level>21</level>")),
		     "t.conf:2: <active-response>: <level>: expected a number from 0 to 20, got "
		     "\"21\"");
	expect_error(f, L2(AR("<level>-1</level>")), "<level>: expected a number");
	expect_error(f, L2(AR("<timeout>2592001</timeout>")),
		     "t.conf:2: <active-response>: <timeout>: expected a number from 0 to "
		     "2592000, got \"2592001\"");
	assert_int_equal(f->c.n, 0);
	assert_int_equal(f->c.ncommands, 0);
}

static void test_ar_conf__warnings_once_and_dropped_values(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF(CMD("<name>x</name><executable>x</executable><expect>srcip</expect>")
			    CMD("<name>y</name><executable>y</executable><expect>user</expect>")
				AR("<command>x</command><location>local</location>"
				   "<level>5</level><timeout>60</timeout>"
				   "<repeated_offenders>30,60</repeated_offenders>")
				    AR("<command>quarantine</command><location>server</location>"
				       "<agent_id>002</agent_id><rules_id>1</rules_id>"
				       "<repeated_offenders>1</repeated_offenders>"
				       "<ca_store>etc/wpk_root.pem</ca_store>"
				       "<ca_verification>yes</ca_verification>")
					AR("<command>quarantine</command>"
					   "<location>defined-agent</location>"
					   "<agent_id>000</agent_id><level>3</level>")
					    AR("<command>quarantine</command>"
					       "<location>local</location>")));
	/* timeout without timeout_allowed: warned, 0 (Wazuh); agent_id
	 * outside defined-agent: warned, dropped; agent 000: block dropped */
	assert_int_equal(f->c.n, 3);
	assert_int_equal(f->c.items[0].timeout, 0);
	assert_null(f->c.items[1].agent_id);
	assert_int_equal(f->c.items[2].level, 0);
	char *log = vg_test_read_log(f->d.log);
	assert_int_equal(vg_test_count(log, "<expect> (deprecated since Wazuh 4.2) has no"), 1);
	assert_int_equal(vg_test_count(log, "<repeated_offenders>"), 1);
	assert_int_equal(vg_test_count(log, "<ca_store>"), 1);
	assert_int_equal(vg_test_count(log, "<ca_verification>"), 1);
	assert_int_equal(vg_test_count(log, "command 'x' does not allow a timeout"), 1);
	assert_int_equal(vg_test_count(log, "<agent_id> is only used with"), 1);
	assert_int_equal(vg_test_count(log, "<agent_id> 000 is the manager"), 1);
	assert_int_equal(vg_test_count(log, "it fires on no alert"), 1);
	vg_free(log);
	assert_int_equal(__builtin_popcountll(f->c.warned), 4);
}

static void test_ar_conf__built_in_takes_no_timeout(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF(AR("<command>quarantine</command><location>local</location>"
			   "<level>5</level><timeout>60</timeout>")));
	assert_int_equal(f->c.items[0].timeout, 0);
	char *log = vg_test_read_log(f->d.log);
	assert_int_equal(vg_test_count(log, "command 'quarantine' does not allow a timeout"), 1);
	vg_free(log);
}

static void test_ar_conf__expire(void **state)
{
	struct fixture *f = *state;

	/* Vigie's own element: for built-ins and scripts alike, and apart
	 * from the timeout (how long a command waits for its agent). */
	load_ok(f, CONF(CMD("<name>s</name><executable>s.sh</executable>"
			    "<timeout_allowed>yes</timeout_allowed>")
			    AR("<command>quarantine</command><location>local</location>"
			       "<level>5</level><expire>3600</expire>")
				AR("<command>s</command><location>all</location><level>5</level>"
				   "<timeout>60</timeout><expire>2592000</expire>")
				    AR("<command>s</command><location>local</location>"
				       "<level>5</level>")));
	assert_int_equal(f->c.n, 3);
	assert_int_equal(f->c.items[0].expire, 3600);
	assert_int_equal(f->c.items[0].timeout, 0);
	assert_int_equal(f->c.items[1].expire, MGR_AR_TIMEOUT_MAX);
	assert_int_equal(f->c.items[1].timeout, 60);
	assert_int_equal(f->c.items[2].expire, 0); /* default: the responder decides */

	expect_error(f,
		     L2(AR("<command>quarantine</command><location>local</location>"
			   "<expire>soon</expire>")),
		     "t.conf:2: <active-response>: <expire>: expected a number from 0 to 2592000, "
		     "got \"soon\"");
	expect_error(f, L2(AR("<expire>-1</expire>")), "t.conf:2: <active-response>: <expire>: ");
	expect_error(f, L2(AR("<expire>2592001</expire>")),
		     "t.conf:2: <active-response>: <expire>: expected a number from 0 to "
		     "2592000, got \"2592001\"");
	assert_int_equal(f->c.n, 0);
}

static void test_ar_conf__reference_poc_blocks(void **state)
{
	struct fixture *f = *state;

	/* reference §7, verbatim */
	load_ok(f, CONF("<command><name>remove-threat</name><executable>remove-threat.sh"
			"</executable>\n  <timeout_allowed>no</timeout_allowed></command>\n"
			"<active-response><disabled>no</disabled><command>remove-threat"
			"</command>\n  <location>local</location><rules_id>87105</rules_id>"
			"</active-response>"));
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.items[0].rule_ids[0], 87105);
	assert_int_equal(f->c.items[0].location, MGR_AR_LOCAL);
}

static void test_ar_conf__wazuh_manager_conf_loads(void **state)
{
	struct fixture *f = *state;
	char *path = vg_test_src_path("tests/fixtures/conf/wazuh-4x-manager-ar.conf");
	struct mgr_config cfg;

	/* through the manager's whole loader, as vigie-manager reads it */
	if (mgr_config_load(path, &cfg, &f->err) != 0)
		fail_msg("%s", f->err.msg);
	vg_free(path);
	assert_int_equal(cfg.ar.ncommands, 8);
	assert_string_equal(cfg.ar.commands[0].name, "disable-account");
	assert_true(cfg.ar.commands[0].timeout_allowed);
	assert_false(cfg.ar.commands[1].timeout_allowed); /* restart-wazuh */
	assert_string_equal(cfg.ar.commands[5].executable, "route-null.exe");
	assert_int_equal(cfg.ar.n, 1);
	const struct mgr_active_response *ar = &cfg.ar.items[0];
	assert_string_equal(ar->command, "remove-threat");
	assert_string_equal(mgr_ar_command_of(&cfg.ar, ar)->executable, "remove-threat.sh");
	assert_int_equal(ar->location, MGR_AR_LOCAL);
	assert_int_equal(ar->nrule_ids, 1);
	assert_int_equal(ar->rule_ids[0], 87105);
	assert_int_equal(cfg.integrations.n, 1);
	assert_int_equal(cfg.integrations.items[0].nrule_ids, 2);
	mgr_config_free(&cfg);
}

static void test_ar_conf__matches_truth_table(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CONF(AR("<command>quarantine</command><location>local</location>"
			   "<level>12</level>")
			    AR("<command>quarantine</command><location>local</location>"
			       "<rules_id>87105,550</rules_id>")
				AR("<command>quarantine</command><location>local</location>"
				   "<rules_group>virustotal|pci_dss_11.5</rules_group>")
				    AR("<command>quarantine</command><location>local</location>"
				       "<level>12</level><rules_id>550</rules_id>"
				       "<rules_group>web</rules_group>")
					AR("<command>quarantine</command>"
					   "<location>local</location>")));
	const struct mgr_active_response *lvl = &f->c.items[0], *ids = &f->c.items[1],
					 *grp = &f->c.items[2], *any = &f->c.items[3],
					 *none = &f->c.items[4];
	const struct {
		unsigned rule_id, level;
		const char *groups;
		bool lvl, ids, grp, any;
	} cases[] = {
	    /* rule  lvl groups                       lvl    ids    grp    any */
	    {87105, 12, "virustotal,", true, true, true, true},
	    {87105, 11, "virustotal,", false, true, true, false},
	    {87104, 3, "virustotal,", false, false, true, false},
	    {550, 7, "ossec,syscheck,pci_dss_11.5,", false, true, false, true},
	    {554, 7, "ossec,syscheck,pci_dss_11.5,", false, false, false, false},
	    {554, 13, "ossec,syscheck,", true, false, false, true},
	    {31100, 5, "web,accesslog,", false, false, false, true},
	    {31100, 5, "webby,virustotal_x,", false, false, false, false},
	    {87105, 0, "virustotal,", false, false, false, false}, /* level 0: never */
	    {0, 15, "virustotal,", false, false, false, false},    /* no rule: never */
	    {87105, 15, NULL, true, true, false, true},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct store_alert a;
		memset(&a, 0, sizeof(a));
		a.rule_id = cases[k].rule_id;
		a.level = cases[k].level;
		a.groups = cases[k].groups;
		if (ar_matches(lvl, &a) != cases[k].lvl || ar_matches(ids, &a) != cases[k].ids ||
		    ar_matches(grp, &a) != cases[k].grp || ar_matches(any, &a) != cases[k].any)
			fail_msg("case %zu (rule %u level %u)", k, cases[k].rule_id,
				 cases[k].level);
		assert_false(ar_matches(none, &a));
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_ar_conf__defaults),
	    T(test_ar_conf__every_element),
	    T(test_ar_conf__locations),
	    T(test_ar_conf__builtins_need_no_command),
	    T(test_ar_conf__disabled_block_is_dropped),
	    T(test_ar_conf__errors_name_file_and_line),
	    T(test_ar_conf__warnings_once_and_dropped_values),
	    T(test_ar_conf__built_in_takes_no_timeout),
	    T(test_ar_conf__expire),
	    T(test_ar_conf__reference_poc_blocks),
	    T(test_ar_conf__wazuh_manager_conf_loads),
	    T(test_ar_conf__matches_truth_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
