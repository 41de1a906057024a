/*
 * Unit tests for src/manager/rules_load.c: loading errors (file:line),
 * overwrite, skipping unimplemented elements, lists and the default
 * discovery with a temporary HOME and ruleset root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/rules.h"

struct tmp {
	char dir[64];
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tmp *t = vg_xcalloc(1, sizeof(*t));
	vg_strlcpy(t->dir, "/tmp/vg-rules-XXXXXX", sizeof(t->dir));
	if (mkdtemp(t->dir) == NULL)
		return -1;
	vg_log_set_level(VG_LOG_ERROR);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char *cmd = vg_xasprintf("rm -rf '%s'", t->dir);
	int rc = system(cmd);
	vg_free(cmd);
	vg_free(t);
	return rc == 0 ? 0 : -1;
}

/* Load one rule file with text; list "etc/lists/l" holds "k:v". */
static int load_text(struct tmp *t, const char *text, struct rules_set **set, struct vg_err *err)
{
	char *file = vg_xasprintf("%s/r.xml", t->dir);
	char *list = vg_xasprintf("%s/l", t->dir);
	const char *files[] = {file};
	const char *names[] = {"etc/lists/l"};
	const char *paths[] = {list};

	put(file, text);
	put(list, "k:v\n");
	int rc = rules_load_files(files, 1, names, paths, 1, NULL, 12, set, err);
	vg_free(file);
	vg_free(list);
	return rc;
}

static void expect_error(struct tmp *t, const char *text, const char *needle)
{
	struct rules_set *set = NULL;
	struct vg_err err = VG_ERR_INIT;

	assert_int_not_equal(load_text(t, text, &set, &err), 0);
	assert_null(set);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
}

#define R(id, body) "<rule id=\"" #id "\" level=\"3\">" body "<description>d</description></rule>"

static void test_rules_load__duplicate_id_is_error(void **state)
{
	expect_error(*state, "<group name=\"a,\">\n" R(1, "") "\n" R(1, "") "</group>",
		     "r.xml:3: rule 1: duplicated id (first defined at ");
}

static void test_rules_load__overwrite_replaces_in_place(void **state)
{
	struct rules_set *set = NULL;
	struct vg_err err = VG_ERR_INIT;
	const char *text = "<group name=\"a,\">" R(1, "") R(
	    2, "<if_sid>1</if_sid>") "<rule id=\"1\" level=\"9\" overwrite=\"yes\"><match>x</match>"
				     "<description>new</description></rule></group>";

	assert_int_equal(load_text(*state, text, &set, &err), 0);
	assert_int_equal(rules_set_count(set), 2);
	struct rules_state *st = NULL;
	assert_int_equal(rules_state_new(set, &st, NULL), 0);
	struct an_fields *f = an_fields_new();
	struct an_event ev = {.fields = f, .log = "x"};
	struct rules_result r;
	assert_int_equal(rules_eval(set, st, &ev, &r, NULL, NULL), 0);
	assert_int_equal(r.alert->id, 2); /* the child kept its overwritten parent */
	ev.log = "y";
	assert_int_equal(rules_eval(set, st, &ev, &r, NULL, NULL), 0);
	assert_null(r.alert); /* new <match> applies */
	an_fields_free(f);
	rules_state_free(st);
	rules_set_free(set);
}

static void test_rules_load__unknown_if_sid_is_error(void **state)
{
	expect_error(*state, "<group name=\"a,\">\n" R(5, "<if_sid>77</if_sid>") "</group>",
		     "r.xml:2: rule 5: if_sid 77: no such rule");
}

static void test_rules_load__if_sid_cycle_is_error(void **state)
{
	expect_error(*state,
		     "<group name=\"a,\">" R(5, "<if_sid>6</if_sid>")
			 R(6, "<if_sid>5</if_sid>") "</group>",
		     "if_sid cycle");
	expect_error(*state, "<group name=\"a,\">" R(5, "<if_sid>5</if_sid>") "</group>",
		     "its own parent");
}

static void test_rules_load__bad_regex_names_pattern(void **state)
{
	expect_error(*state, "<group name=\"a,\">\n\n" R(5, "<regex>a(b</regex>") "</group>",
		     "r.xml:3: rule 5: <regex>: bad pattern \"a(b\"");
	expect_error(
	    *state,
	    "<group name=\"a,\">" R(5, "<field name=\"x\" type=\"pcre2\">a[</field>") "</group>",
	    "bad pattern \"a[\": at offset");
}

static void test_rules_load__unimplemented_element_skips_rule(void **state)
{
	struct rules_set *set = NULL;
	struct vg_err err = VG_ERR_INIT;
	const char *text =
	    "<group name=\"a,\">" R(1, "") R(2, "<srcip>1.2.3.4</srcip>") R(3, "<if_sid>2</if_sid>")
		R(4, "<if_sid>3</if_sid>") R(5, "<if_sid>1</if_sid>") "</group>";

	assert_int_equal(load_text(*state, text, &set, &err), 0);
	assert_int_equal(rules_set_count(set), 2); /* 2 and its descendants 3, 4 skipped */
	rules_set_free(set);
}

static void test_rules_load__unknown_element_has_hint(void **state)
{
	expect_error(*state, "<group name=\"a,\">\n" R(5, "<decoded_az>x</decoded_az>") "</group>",
		     "r.xml:2: rule 5: unknown element decoded_az; did you mean decoded_as?");
	expect_error(*state, "<group name=\"a,\"><rule id=\"5\" levle=\"3\"/></group>",
		     "unknown attribute levle; did you mean level?");
	expect_error(*state, "<group name=\"a,\">" R(5, "<options>no_ful_log</options>") "</group>",
		     "did you mean no_full_log?");
	expect_error(*state, "<grup name=\"a,\"/>", "did you mean group?");
}

static void test_rules_load__list_must_be_declared(void **state)
{
	struct rules_set *set = NULL;
	struct vg_err err = VG_ERR_INIT;

	expect_error(
	    *state,
	    "<group name=\"a,\">" R(5, "<list field=\"f\">etc/lists/nope</list>") "</group>",
	    "list \"etc/lists/nope\" is not declared");
	assert_int_equal(
	    load_text(
		*state,
		"<group name=\"a,\">" R(
		    5, "<list field=\"f\" lookup=\"not_match_key\">etc/lists/l</list>") "</group>",
		&set, &err),
	    0);
	assert_int_equal(rules_set_list_count(set), 1);
	rules_set_free(set);
	expect_error(*state,
		     "<group name=\"a,\">" R(
			 5, "<list field=\"f\" lookup=\"bogus\">etc/lists/l</list>") "</group>",
		     "unknown lookup=\"bogus\"");
}

static void test_rules_load__bad_values(void **state)
{
	expect_error(*state, "<group name=\"a,\"><rule id=\"5\" level=\"17\"/></group>", "level=");
	expect_error(
	    *state,
	    "<group name=\"a,\"><rule id=\"5\" level=\"3\" frequency=\"1\"><if_matched_sid>"
	    "1</if_matched_sid><description>d</description></rule></group>",
	    "frequency=");
	expect_error(*state,
		     "<group name=\"a,\"><rule id=\"5\" level=\"3\" frequency=\"4\"><description>d"
		     "</description></rule></group>",
		     "without <if_matched_sid>");
	expect_error(*state, "<group name=\"a,\"><rule id=\"5\" level=\"3\"></rule></group>",
		     "<description> is missing");
	expect_error(*state, "<group name=\"a,\"><rule id=\"5\" level=\"3\">", "malformed XML");
}

static void mkdirs(const char *base, const char *rel)
{
	char *p = vg_xasprintf("%s/%s", base, rel);
	char *cmd = vg_xasprintf("mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	vg_free(cmd);
	vg_free(p);
}

static void putf(const char *base, const char *rel, const char *text)
{
	char *p = vg_xasprintf("%s/%s", base, rel);
	put(p, text);
	vg_free(p);
}

/* A temp ROOT with rules and a list, a HOME with local_rules.xml. */
static void make_tree(struct tmp *t)
{
	mkdirs(t->dir, "root/rules");
	mkdirs(t->dir, "root/lists/sub");
	mkdirs(t->dir, "root/mitre");
	mkdirs(t->dir, "home/etc/rules");
	putf(t->dir, "root/rules/0010-b.xml",
	     "<group name=\"b,\">" R(
		 20, "<if_sid>10</if_sid><list field=\"h\">etc/lists/mh</list>") "</group>");
	putf(t->dir, "root/rules/0005-a.xml", "<group name=\"a,\">" R(10, "") "</group>");
	putf(t->dir, "root/rules/notes.txt", "not xml");
	putf(t->dir, "root/lists/mh", "k:v\n");
	putf(t->dir, "root/lists/sub/x", "a:b\n");
	putf(t->dir, "root/lists/mh.cdb", "binary");
	putf(t->dir, "root/mitre/enterprise-attack.tsv", "T1\tOne\tImpact\n");
	putf(t->dir, "home/etc/rules/local_rules.xml",
	     "<group name=\"local,\">" R(
		 100001, "<if_sid>20</if_sid><mitre><id>T1</id></mitre>") "</group>");
}

static void test_rules_load__default_discovery(void **state)
{
	struct tmp *t = *state;
	struct rules_set *set = NULL;
	struct vg_err err = VG_ERR_INIT;
	struct rules_opts o = RULES_OPTS_INIT;

	make_tree(t);
	char *home = vg_xasprintf("%s/home", t->dir);
	char *root = vg_xasprintf("%s/root", t->dir);
	o.home = home;
	o.ruleset_root = root;
	int rc = rules_load(&o, &set, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rules_set_count(set), 3);
	assert_int_equal(rules_set_list_count(set), 2); /* mh and sub/x, not mh.cdb */
	rules_set_free(set);
	vg_free(home);
	vg_free(root);
}

static void test_rules_load__wazuh_default_ruleset_block(void **state)
{
	struct tmp *t = *state;
	struct rules_set *set = NULL;
	struct vg_err err = VG_ERR_INIT;
	struct rules_opts o = RULES_OPTS_INIT;
	struct ruleset_conf c;
	char *conf = vg_xasprintf("%s/ossec.conf", t->dir);
	struct vg_conf_section sec = {"ruleset", ruleset_conf_parse, &c};

	make_tree(t);
	put(conf, "<ossec_config><ruleset>\n"
		  "<decoder_dir>ruleset/decoders</decoder_dir>\n"
		  "<rule_dir>ruleset/rules</rule_dir>\n"
		  "<rule_exclude>0215-policy_rules.xml</rule_exclude>\n"
		  "<list>etc/lists/mh</list>\n"
		  "<list>etc/lists/missing</list>\n"
		  "<rule_dir>etc/rules</rule_dir>\n"
		  "</ruleset></ossec_config>\n");
	ruleset_conf_init(&c);
	assert_int_equal(vg_conf_load(conf, &sec, 1, &err), 0);
	char *home = vg_xasprintf("%s/home", t->dir);
	char *root = vg_xasprintf("%s/root", t->dir);
	o.home = home;
	o.ruleset_root = root;
	o.conf = &c;
	int rc = rules_load(&o, &set, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rules_set_count(set), 3);
	assert_int_equal(rules_set_list_count(set), 1);
	rules_set_free(set);

	/* Excluding the file that defines 10 breaks 20's if_sid. */
	ruleset_conf_free(&c);
	ruleset_conf_init(&c);
	put(conf, "<ossec_config><ruleset><rule_dir>ruleset/rules</rule_dir>"
		  "<rule_exclude>0005-a.xml</rule_exclude><list>etc/lists/mh</list>"
		  "</ruleset></ossec_config>");
	assert_int_equal(vg_conf_load(conf, &sec, 1, &err), 0);
	assert_int_equal(rules_load(&o, &set, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "0010-b.xml:1: rule 20: if_sid 10: no such rule"));

	/* An undeclared list is an error for the rule using it. */
	ruleset_conf_free(&c);
	ruleset_conf_init(&c);
	vg_err_clear(&err);
	put(conf, "<ossec_config><ruleset><rule_dir>ruleset/rules</rule_dir>"
		  "</ruleset></ossec_config>");
	assert_int_equal(vg_conf_load(conf, &sec, 1, &err), 0);
	assert_int_equal(rules_load(&o, &set, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "etc/lists/mh\" is not declared"));
	ruleset_conf_free(&c);
	vg_free(home);
	vg_free(root);
	vg_free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rules_load__duplicate_id_is_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__overwrite_replaces_in_place, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__unknown_if_sid_is_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__if_sid_cycle_is_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__bad_regex_names_pattern, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__unimplemented_element_skips_rule,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__unknown_element_has_hint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__list_must_be_declared, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__bad_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__default_discovery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_load__wazuh_default_ruleset_block, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
