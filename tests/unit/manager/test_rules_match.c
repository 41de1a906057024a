/*
 * Unit tests for src/manager/rules_match.c: evaluating events against the
 * fixture ruleset tests/fixtures/rules/match.xml (run through ctest, which
 * sets VG_SOURCE_DIR). Also prints a rough per-event cost (no assertion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "manager/rules.h"

#define EICAR_SHA256 "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"

struct fx {
	struct rules_set *set;
	struct rules_state *st;
	struct an_fields *fields;
	struct an_event ev;
};

static char *fixture(const char *rel)
{
	const char *src = getenv("VG_SOURCE_DIR");
	return vg_xasprintf("%s/tests/fixtures/rules/%s", src != NULL ? src : ".", rel);
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char *file = fixture("match.xml");
	char *l1 = fixture("lists/malware-hashes");
	char *l2 = fixture("lists/ips");
	char *mitre = fixture("mitre.tsv");
	const char *files[] = {file};
	const char *names[] = {"etc/lists/malware-hashes", "etc/lists/ips"};
	const char *paths[] = {l1, l2};
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR);
	int rc = rules_load_files(files, 1, names, paths, 2, mitre, 12, &f->set, &err);
	if (rc != 0)
		fprintf(stderr, "load: %s\n", err.msg);
	vg_free(file);
	vg_free(l1);
	vg_free(l2);
	vg_free(mitre);
	if (rc != 0)
		return -1;
	if (rules_state_new(f->set, &f->st, NULL) != 0)
		return -1;
	f->fields = an_fields_new();
	f->ev.fields = f->fields;
	f->ev.time_ms = 1700000000000;
	f->ev.location = "syscheck";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rules_state_free(f->st);
	rules_set_free(f->set);
	an_fields_free(f->fields);
	vg_free(f);
	return 0;
}

static void ev_fim(struct fx *f, const char *decoder, const char *file, const char *sha,
		   const char *size, const char *uname)
{
	an_fields_clear(f->fields);
	f->ev.decoder = decoder;
	f->ev.log = "File changed";
	f->ev.location = "syscheck";
	assert_int_equal(an_fields_add(f->fields, "file", file, NULL), 0);
	if (sha != NULL)
		assert_int_equal(an_fields_add(f->fields, "sha256_after", sha, NULL), 0);
	if (size != NULL)
		assert_int_equal(an_fields_add(f->fields, "size", size, NULL), 0);
	if (uname != NULL)
		assert_int_equal(an_fields_add(f->fields, "uname", uname, NULL), 0);
}

static struct rules_result eval(struct fx *f)
{
	struct rules_result r;
	assert_int_equal(rules_eval(f->set, f->st, &f->ev, &r, NULL, NULL), 0);
	return r;
}

static void test_rules_match__loads_fixture(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rules_set_count(f->set), 13);
	assert_int_equal(rules_set_list_count(f->set), 2);
}

static void test_rules_match__decoded_as_selects_top_rule(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_new_entry", "/etc/x", NULL, "1", "root");
	struct rules_result r = eval(f);
	assert_non_null(r.alert);
	assert_int_equal(r.alert->id, 554);
	assert_int_equal(r.alert->level, 5);
	assert_string_equal(r.alert->description, "File added to the system.");
	assert_string_equal(r.alert->groups, "ossec,syscheck,syscheck_entry_added,");
	assert_false(r.alert->mail);

	ev_fim(f, "other", "/etc/x", NULL, NULL, NULL);
	r = eval(f);
	assert_null(r.alert);
	assert_int_equal(r.matched_id, 0);
}

static void test_rules_match__var_and_groups_concatenate(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_integrity_changed", "/etc/x", NULL, NULL, NULL);
	struct rules_result r = eval(f);
	assert_int_equal(r.alert->id, 550);
	assert_string_equal(r.alert->groups, "ossec,syscheck,pci_dss_11.5,");
	assert_int_equal(r.alert->n_mitre, 1);
	assert_string_equal(r.alert->mitre_ids[0], "T1565.001");
	assert_string_equal(r.alert->mitre_techniques[0], "Stored Data Manipulation");
	assert_int_equal(r.alert->n_tactics, 1);
	assert_string_equal(r.alert->mitre_tactics[0], "Impact");
}

static void test_rules_match__mitre_unknown_kept_tactics_dedup(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_deleted", "/etc/x", NULL, NULL, NULL);
	f->ev.log = "File deleted";
	struct rules_result r = eval(f);
	assert_int_equal(r.alert->id, 553);
	assert_int_equal(r.alert->n_mitre, 3);
	assert_string_equal(r.alert->mitre_ids[2], "T9999");
	assert_null(r.alert->mitre_techniques[2]);
	assert_int_equal(r.alert->n_tactics, 2);
	assert_string_equal(r.alert->mitre_tactics[0], "Defense Evasion");
	assert_string_equal(r.alert->mitre_tactics[1], "Impact");
}

static void test_rules_match__list_child_wins_with_description(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_new_entry", "/tmp/eicar", EICAR_SHA256, "69", "root");
	struct rules_result r = eval(f);
	assert_int_equal(r.alert->id, 100200);
	assert_string_equal(r.alert->description, "Malware /tmp/eicar: " EICAR_SHA256 " ()");
	assert_true(r.alert->mail);
	assert_true(r.alert->no_full_log);
	assert_string_equal(r.alert->groups, "local,");

	/* Also a child of 550 (if_sid "554, 550"). */
	ev_fim(f, "syscheck_integrity_changed", "/etc/x", EICAR_SHA256, NULL, NULL);
	assert_int_equal(eval(f).alert->id, 100200);
}

static void test_rules_match__deepest_child_and_negate(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_new_entry", "/tmp/a", "00", "1234", "root");
	struct rules_result r = eval(f);
	assert_int_equal(r.alert->id, 100202); /* 554 -> 100201 -> 100202 (pcre2) */
	assert_true(r.alert->mail);            /* alert_by_email below level 12 */

	ev_fim(f, "syscheck_new_entry", "/tmp/a", "00", "12", "alice");
	r = eval(f);
	assert_int_equal(r.alert->id, 100203); /* negated field */
	assert_false(r.alert->mail);
	assert_true(r.alert->no_counter);

	ev_fim(f, "syscheck_new_entry", "/tmp/a", "00", "12", "root");
	r = eval(f);
	assert_int_equal(r.alert->id, 100201);
	assert_string_equal(r.alert->description, "File added in /tmp/a");

	/* No uname at all: a negated condition on an absent field fails too. */
	ev_fim(f, "syscheck_new_entry", "/tmp/a", "00", "12", NULL);
	assert_int_equal(eval(f).alert->id, 100201);
}

static void test_rules_match__if_group_and_match(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_deleted", "/etc/important", NULL, NULL, NULL);
	f->ev.log = "File '/etc/important' deleted";
	assert_int_equal(eval(f).alert->id, 100300);
	f->ev.log = "File '/etc/other' deleted";
	assert_int_equal(eval(f).alert->id, 553);
}

static void test_rules_match__firedtimes_count_per_rule(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_new_entry", "/etc/x", NULL, NULL, NULL);
	assert_int_equal(eval(f).alert->firedtimes, 1);
	assert_int_equal(eval(f).alert->firedtimes, 2);
	ev_fim(f, "syscheck_new_entry", "/tmp/x", NULL, "1", "root");
	assert_int_equal(eval(f).alert->firedtimes, 1); /* 100201's own count */
	ev_fim(f, "syscheck_new_entry", "/etc/x", NULL, NULL, NULL);
	assert_int_equal(eval(f).alert->firedtimes, 3);
}

static void test_rules_match__frequency_counts_like_wazuh(void **state)
{
	struct fx *f = *state;

	ev_fim(f, "syscheck_integrity_changed", "/etc/x", NULL, NULL, NULL);
	/* frequency="3": the third 550 within 60 s fires 100400. */
	assert_int_equal(eval(f).alert->id, 550);
	f->ev.time_ms += 1000;
	assert_int_equal(eval(f).alert->id, 550);
	f->ev.time_ms += 1000;
	struct rules_result r = eval(f);
	assert_int_equal(r.alert->id, 100400);
	/* The burst is consumed: the next two do not fire it again... */
	f->ev.time_ms += 1000;
	assert_int_equal(eval(f).alert->id, 550);
	f->ev.time_ms += 1000;
	assert_int_equal(eval(f).alert->id, 550);
	/* ...the third new one does. */
	f->ev.time_ms += 1000;
	assert_int_equal(eval(f).alert->id, 100400);
	/* Outside the timeframe the history does not count. */
	f->ev.time_ms += 120000;
	assert_int_equal(eval(f).alert->id, 550);
	f->ev.time_ms += 120000;
	assert_int_equal(eval(f).alert->id, 550);
	f->ev.time_ms += 120000;
	assert_int_equal(eval(f).alert->id, 550);
}

static void ev_vt(struct fx *f, const char *ip, const char *log)
{
	an_fields_clear(f->fields);
	f->ev.decoder = "json";
	f->ev.location = "virustotal";
	f->ev.log = log;
	assert_int_equal(an_fields_add(f->fields, "integration", "virustotal", NULL), 0);
	if (ip != NULL)
		assert_int_equal(an_fields_add(f->fields, "data.ip", ip, NULL), 0);
}

static void test_rules_match__level0_noalert_address_list(void **state)
{
	struct fx *f = *state;

	ev_vt(f, "10.1.2.3", "x");
	assert_int_equal(eval(f).alert->id, 100501); /* 10.1. -> bad-net */

	ev_vt(f, "10.2.2.3", "x");
	struct rules_result r = eval(f);
	assert_null(r.alert); /* level 0 parent: no alert, but it fired */
	assert_int_equal(r.matched_id, 100500);

	/* noalert child matches but does not fire: the parent fires. */
	ev_vt(f, NULL, "malicious 3");
	r = eval(f);
	assert_int_equal(r.matched_id, 100500);

	ev_vt(f, NULL, "positives: 4");
	assert_int_equal(eval(f).alert->id, 100503);
	f->ev.location = "elsewhere";
	assert_int_equal(eval(f).matched_id, 100500);
}

struct trace_rec {
	char buf[512];
};

static void trace_fn(void *ctx, unsigned id, unsigned level, const char *d, unsigned depth,
		     bool matched)
{
	struct trace_rec *t = ctx;
	size_t n = strlen(t->buf);
	(void)level;
	(void)d;
	snprintf(t->buf + n, sizeof(t->buf) - n, "%u:%u:%d ", id, depth, matched);
}

static void test_rules_match__trace_reports_tries(void **state)
{
	struct fx *f = *state;
	struct trace_rec t = {{0}};
	struct rules_trace tr = {trace_fn, &t};
	struct rules_result r;

	ev_fim(f, "syscheck_new_entry", "/tmp/a", "00", "12", "root");
	assert_int_equal(rules_eval(f->set, f->st, &f->ev, &r, &tr, NULL), 0);
	assert_int_equal(r.alert->id, 100201);
	assert_non_null(strstr(t.buf, "554:0:1 100200:1:0 100201:1:1 100202:2:0 100203:2:0 "));
	assert_non_null(strstr(t.buf, "550:0:0"));
}

static void test_rules_match__speed_report(void **state)
{
	struct fx *f = *state;
	struct timespec a, b;
	const int n = 200000;

	ev_fim(f, "syscheck_new_entry", "/tmp/a", EICAR_SHA256, "12", "root");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		struct rules_result r;
		if (rules_eval(f->set, f->st, &f->ev, &r, NULL, NULL) != 0 || r.alert == NULL)
			fail();
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
	print_message("rules_eval: %.0f ns per FIM event (%d events)\n", ns, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rules_match__loads_fixture, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__decoded_as_selects_top_rule, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__var_and_groups_concatenate, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__mitre_unknown_kept_tactics_dedup,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__list_child_wins_with_description,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__deepest_child_and_negate, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__if_group_and_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__firedtimes_count_per_rule, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__frequency_counts_like_wazuh, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__level0_noalert_address_list, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__trace_reports_tries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules_match__speed_report, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
