/*
 * Unit tests for src/manager/ruleset_load.c: ossec.conf + rules in one step,
 * as vigie-manager and `vigie logtest` load them, with a temporary HOME and
 * the source tree's shipped ruleset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/ruleset_load.h"

struct tmp {
	char home[64];
	char *conf; /* HOME/ossec.conf (written by the test that needs it) */
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
	vg_strlcpy(t->home, "/tmp/vg-rsload-XXXXXX", sizeof(t->home));
	if (mkdtemp(t->home) == NULL)
		return -1;
	char *rules = vg_xasprintf("%s/etc/rules", t->home);
	int rc = vg_fs_mkdirs(rules, 0755, NULL);
	vg_free(rules);
	t->conf = vg_xasprintf("%s/ossec.conf", t->home);
	unsetenv("VIGIE_RULESET_DIR");
	vg_log_set_level(VG_LOG_ERROR);
	*state = t;
	return rc;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char *cmd = vg_xasprintf("rm -rf '%s'", t->home);
	int rc = system(cmd);
	vg_free(cmd);
	vg_free(t->conf);
	vg_free(t);
	return rc == 0 ? 0 : -1;
}

/* Load with HOME = t->home and the given config path (NULL: defaults). */
static int load(struct tmp *t, const char *conf, struct mgr_config *cfg, struct rules_set **rules,
		struct vg_err *err)
{
	struct mgr_load_opts o = MGR_LOAD_OPTS_INIT;

	o.home = t->home;
	o.config_path = conf;
	return mgr_load_rules(&o, cfg, rules, err);
}

/* How many rules the defaults load (the shipped ruleset, empty HOME). */
static size_t default_count(struct tmp *t)
{
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(load(t, NULL, &cfg, &rules, &err), 0);
	size_t n = rules_set_count(rules);
	rules_set_free(rules);
	mgr_config_free(&cfg);
	return n;
}

static void test_ruleset_load__no_config_loads_the_shipped_ruleset(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(load(t, NULL, &cfg, &rules, &err), 0);
	assert_non_null(rules);
	/* 500 550 553 554 560 650 657 87100-87106 99901-99904 99910-99919
	 * (docs/ruleset.md) */
	assert_int_equal(rules_set_count(rules), 28);
	assert_true(rules_set_list_count(rules) >= 1); /* malware-hashes */
	assert_int_equal(cfg.settings.log_alert_level, 3);
	assert_int_equal(cfg.settings.email_alert_level, 12);
	assert_false(cfg.ruleset.present);
	assert_int_equal(cfg.syscheck.ndirs, 0);
	rules_set_free(rules);
	mgr_config_free(&cfg);
}

static void test_ruleset_load__config_ruleset_excludes_a_file(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;
	size_t all = default_count(t);

	put(t->conf, "<ossec_config>\n  <ruleset>\n    <rule_dir>ruleset/rules</rule_dir>\n"
		     "    <rule_exclude>9900-vigie_rules.xml</rule_exclude>\n"
		     "  </ruleset>\n  <alerts>\n    <log_alert_level>5</log_alert_level>\n"
		     "  </alerts>\n</ossec_config>\n");
	assert_int_equal(load(t, t->conf, &cfg, &rules, &err), 0);
	assert_int_equal(rules_set_count(rules), all - 14); /* 99901-99904, 99910-99919 gone */
	assert_true(cfg.ruleset.present);
	assert_int_equal(cfg.settings.log_alert_level, 5);
	rules_set_free(rules);
	mgr_config_free(&cfg);
}

static void test_ruleset_load__home_rules_load_after_the_shipped_ones(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;
	size_t all = default_count(t);
	char *local = vg_xasprintf("%s/etc/rules/local_rules.xml", t->home);

	/* if_sid 554 only resolves if the shipped rules loaded first */
	put(local, "<group name=\"local,\">\n  <rule id=\"100200\" level=\"7\">\n"
		   "    <if_sid>554</if_sid>\n    <description>x</description>\n"
		   "  </rule>\n</group>\n");
	assert_int_equal(load(t, NULL, &cfg, &rules, &err), 0);
	assert_int_equal(rules_set_count(rules), all + 1);
	rules_set_free(rules);
	mgr_config_free(&cfg);
	vg_free(local);
}

static void test_ruleset_load__bad_config_names_file_and_line(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = (struct rules_set *)t; /* must be reset */
	struct vg_err err = VG_ERR_INIT;

	put(t->conf, "<ossec_config>\n  <ruleset>\n    <rule_dirx>x</rule_dirx>\n"
		     "  </ruleset>\n</ossec_config>\n");
	assert_int_equal(load(t, t->conf, &cfg, &rules, &err), VG_EPARSE);
	assert_null(rules);
	char *where = vg_xasprintf("%s:3", t->conf);
	assert_non_null(strstr(err.msg, where));
	vg_free(where);
}

/* The configuration loaded, the rules did not: cfg is freed (ASan: no leak). */
static void test_ruleset_load__bad_rule_file_frees_the_config(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;
	char *local = vg_xasprintf("%s/etc/rules/local_rules.xml", t->home);

	put(t->conf, "<ossec_config>\n  <syscheck>\n    <directories>/tmp</directories>\n"
		     "  </syscheck>\n</ossec_config>\n");
	put(local, "<group name=\"x,\">\n  <rule id=\"100300\" level=\"3\">\n"
		   "    <if_sid>99999999</if_sid>\n  </rule>\n</group>\n");
	assert_int_equal(load(t, t->conf, &cfg, &rules, &err), VG_EPARSE);
	assert_null(rules);
	assert_non_null(strstr(err.msg, "local_rules.xml:"));
	vg_free(local);
}

static void test_ruleset_load__missing_ruleset_root_is_an_error(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;

	put(t->conf, "<ossec_config>\n  <syscheck>\n    <directories>/tmp</directories>\n"
		     "  </syscheck>\n</ossec_config>\n");
	setenv("VIGIE_RULESET_DIR", "/nonexistent/vigie-ruleset", 1);
	assert_int_equal(load(t, t->conf, &cfg, &rules, &err), VG_ENOTFOUND);
	unsetenv("VIGIE_RULESET_DIR");
	assert_null(rules);
	assert_non_null(strstr(err.msg, "/nonexistent/vigie-ruleset"));
}

/* An explicit root is used as given, without looking anywhere else. */
static void test_ruleset_load__explicit_root_is_used(void **state)
{
	struct tmp *t = *state;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;
	struct vg_err err = VG_ERR_INIT;
	struct mgr_load_opts o = MGR_LOAD_OPTS_INIT;
	char *root = vg_xasprintf("%s/root", t->home);
	char *rdir = vg_xasprintf("%s/rules", root);

	assert_int_equal(vg_fs_mkdirs(rdir, 0755, NULL), 0);
	put(t->conf, "<ossec_config/>\n");
	o.home = t->home;
	o.config_path = t->conf;
	o.ruleset_root = root;
	assert_int_equal(mgr_load_rules(&o, &cfg, &rules, &err), 0);
	assert_int_equal(rules_set_count(rules), 0); /* empty root, empty HOME */
	rules_set_free(rules);
	mgr_config_free(&cfg);
	vg_free(rdir);
	vg_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ruleset_load__no_config_loads_the_shipped_ruleset,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ruleset_load__config_ruleset_excludes_a_file,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ruleset_load__home_rules_load_after_the_shipped_ones, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ruleset_load__bad_config_names_file_and_line,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ruleset_load__bad_rule_file_frees_the_config,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ruleset_load__missing_ruleset_root_is_an_error,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ruleset_load__explicit_root_is_used, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
