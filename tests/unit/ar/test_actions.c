/*
 * Unit tests for src/ar/actions.c: the file an alert names, and each
 * built-in performed on real files (a mkdtemp directory holding HOME and
 * the watched root) with its one report line in
 * HOME/logs/active-responses.log. Every line is checked as JSON and then
 * fed to the manager's decoder and the shipped ruleset, which must raise
 * the rule written for that outcome (ruleset/rules/9900-vigie_rules.xml).
 */
#include <fcntl.h>
#include <limits.h>
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

#include "ar/actions.h"
#include "ar/arlog.h"
#include "fim/hash.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/decode.h"
#include "manager/event.h"
#include "manager/fields.h"
#include "manager/rules.h"
#include "support/support.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define CMD_ID 9007199254740993ull /* 2^53 + 1: exact only as a string */
#define CMD_ID_S "9007199254740993"

/* The shipped ruleset, loaded once for the group. */
struct group {
	char home[64];
	struct rules_set *rules;
};

struct fx {
	char base[PATH_MAX];
	char home[PATH_MAX];
	char watch[PATH_MAX];
	char file[PATH_MAX];   /* watch/eicar.com */
	char sha[65];          /* EICAR's */
	const struct group *g; /* cmocka hands each test the group's state first */
	struct ar_roots *roots;
	json_t *alert;
	struct ar_act act;
	struct ar_target t;
	struct ar_outcome o;
	struct vg_err err;
};

/* ---------------------------------------------------------------- helpers */

static void sha_of(const char *content, char out[65])
{
	struct fim_digests d;

	fim_hash_buffer(content, strlen(content), FIM_CHECK_SHA256, &d);
	memcpy(out, d.sha256, 65);
}

static struct ar_roots *roots_for(const char *dir)
{
	struct fim_config cfg;
	struct ar_roots *r = NULL;
	struct vg_err err = VG_ERR_INIT;

	fim_config_init(&cfg);
	cfg.dirs = vg_xcalloc(1, sizeof(*cfg.dirs));
	cfg.dirs[0].path = vg_xstrdup(dir);
	cfg.ndirs = 1;
	assert_int_equal(ar_roots_new(&cfg, &r, &err), 0);
	fim_config_free(&cfg);
	return r;
}

/* A VirusTotal 87105 alert about path with sha256. */
static json_t *vt_alert(const char *path, const char *sha)
{
	return json_pack("{s:s,s:{s:s,s:i},s:{s:{s:s,s:i,s:{s:s}}}}", "id", "1700000000.7", "rule",
			 "id", "87105", "level", 12, "data", "virustotal", "sha256", sha,
			 "positives", 60, "source", "file", path);
}

/* The n-th line (0-based) of the log without its newline; the log must
 * hold exactly nlines lines. Caller frees. */
static char *log_line(const struct fx *f, int nlines, int n)
{
	char path[PATH_MAX + 32];
	char *all, *l, *nl, *line;

	snprintf(path, sizeof(path), "%s/" AR_LOG_FILE, f->home);
	all = vg_test_read_file(path);
	if (vg_test_count(all, "\n") != nlines)
		fail_msg("%d lines in the log, wanted %d:\n%s", vg_test_count(all, "\n"), nlines,
			 all);
	l = all;
	for (int i = 0; i < n; i++)
		l = strchr(l, '\n') + 1;
	nl = strchr(l, '\n');
	line = vg_xmalloc((size_t)(nl - l) + 1);
	memcpy(line, l, (size_t)(nl - l));
	line[nl - l] = '\0';
	vg_free(all);
	return line;
}

/* The rule the manager raises for line (decoder + shipped ruleset). */
static unsigned rule_for(const struct rules_set *rules, const char *line, const char **decoder_ok)
{
	struct an_source src = {.agent_id = "001",
				.location = "/var/ossec/logs/active-responses.log"};
	struct an_decoded *d = NULL;
	struct rules_state *st = NULL;
	struct rules_result r;
	struct vg_err err = VG_ERR_INIT;
	const struct an_event *ev;
	unsigned id;

	if (an_decode(&src, line, strlen(line), 0, &d, &err) != 0)
		fail_msg("an_decode: %s", err.msg);
	ev = an_decoded_event(d);
	*decoder_ok = ev->decoder != NULL && strcmp(ev->decoder, "ar_log_json") == 0 ? "yes" : "no";
	assert_int_equal(rules_state_new(rules, &st, NULL), 0);
	assert_int_equal(rules_eval(rules, st, ev, &r, NULL, NULL), 0);
	id = r.alert != NULL ? r.alert->id : 0;
	rules_state_free(st);
	an_decoded_free(d);
	return id;
}

/*
 * Check line n of nlines: Wazuh's prefix for program, the JSON, words at
 * the end, the rule the manager raises. Returns the JSON (caller frees).
 */
static json_t *report(const struct fx *f, int nlines, int n, const char *program, const char *words,
		      unsigned rule)
{
	char *line = log_line(f, nlines, n), prefix[128];
	const char *brace, *decoder_ok = NULL;
	size_t len = strlen(line), wl = strlen(words);
	json_error_t je;
	json_t *j;
	unsigned got;

	/* "YYYY/MM/DD HH:MM:SS active-response/bin/NAME: {" */
	assert_true(len > 20);
	assert_true(line[4] == '/' && line[7] == '/' && line[10] == ' ' && line[13] == ':' &&
		    line[16] == ':' && line[19] == ' ');
	snprintf(prefix, sizeof(prefix), "active-response/bin/%s: {", program);
	assert_int_equal(strncmp(line + 20, prefix, strlen(prefix)), 0);
	brace = line + 20 + strlen(prefix) - 1;
	j = json_loads(brace, JSON_DISABLE_EOF_CHECK, &je);
	if (j == NULL)
		fail_msg("not JSON: %s (%s)", brace, je.text);
	/* the JSON, one space, the words, nothing else */
	assert_true(len > wl + 1);
	assert_string_equal(line + len - wl, words);
	assert_int_equal(brace[je.position], ' ');
	assert_int_equal((size_t)(brace + je.position - line), len - wl);

	got = rule_for(f->g->rules, line, &decoder_ok);
	assert_string_equal(decoder_ok, "yes");
	if (got != rule)
		fail_msg("rule %u for %s, wanted %u", got, line, rule);
	vg_free(line);
	return j;
}

static const char *js(const json_t *j, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(j, a), b));
}

/* The fields every report has. */
static void assert_common(const json_t *j, const char *cmd, const char *program, const char *action,
			  const char *status, const char *command_id)
{
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_string_equal(js(j, "origin", "name"), "node1");
	assert_string_equal(js(j, "origin", "module"), "vigie-execd");
	assert_string_equal(json_string_value(json_object_get(j, "command")), cmd);
	assert_string_equal(js(j, "parameters", "program"), program);
	assert_true(json_is_array(json_object_get(json_object_get(j, "parameters"), "extra_args")));
	assert_true(json_is_string(json_object_get(json_object_get(j, "vigie"), "command_id")));
	assert_string_equal(js(j, "vigie", "command_id"), command_id);
	assert_string_equal(js(j, "vigie", "action"), action);
	assert_string_equal(js(j, "vigie", "status"), status);
}

static void assert_reason(const json_t *j, const char *want)
{
	const char *r = js(j, "vigie", "reason");

	if (r == NULL || strstr(r, want) == NULL)
		fail_msg("reason '%s', wanted one mentioning '%s'", r != NULL ? r : "(none)", want);
}

static void quarantine_ok(struct fx *f)
{
	if (ar_act_quarantine(&f->act, &f->t, &f->o, &f->err) != 0)
		fail_msg("ar_act_quarantine: %s", f->err.msg);
	if (f->o.status != AR_DONE)
		fail_msg("quarantine %s: %s", ar_status_name(f->o.status), f->o.reason);
}

static void qfile(const struct fx *f, const char *qid, const char *ext, char *out)
{
	vg_test_fmt(out, PATH_MAX, "%s/" AR_QUARANTINE_DIR "/%s.%s", f->home, qid, ext);
}

/* ---------------------------------------------------------------- fixtures */

static int group_setup(void **state)
{
	struct group *g = vg_xcalloc(1, sizeof(*g));
	struct rules_opts ro = RULES_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR);
	snprintf(g->home, sizeof(g->home), "/tmp/vg-test-actions-rules-XXXXXX");
	if (mkdtemp(g->home) == NULL)
		return -1;
	ro.home = g->home;
	ro.ruleset_root = VIGIE_SOURCE_RULESET;
	if (rules_load(&ro, &g->rules, &err) != 0) {
		fprintf(stderr, "rules_load: %s\n", err.msg);
		return -1;
	}
	*state = g;
	return 0;
}

static int group_teardown(void **state)
{
	struct group *g = *state;

	rules_set_free(g->rules);
	vg_test_rmtree(g->home);
	vg_free(g);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char tmp[] = "/tmp/vg-test-actions-XXXXXX";

	f->g = *state;
	if (f->g == NULL || mkdtemp(tmp) == NULL || realpath(tmp, f->base) == NULL)
		return -1;
	vg_test_fmt(f->home, sizeof(f->home), "%s/home", f->base);
	vg_test_fmt(f->watch, sizeof(f->watch), "%s/watch", f->base);
	vg_test_fmt(f->file, sizeof(f->file), "%s/eicar.com", f->watch);
	if (mkdir(f->home, 0750) != 0 || mkdir(f->watch, 0755) != 0)
		return -1;
	vg_test_write_file(f->file, EICAR, 0644);
	sha_of(EICAR, f->sha);
	f->roots = roots_for(f->watch);
	f->alert = vt_alert(f->file, f->sha);
	f->act = (struct ar_act){f->home, "node1", f->roots, CMD_ID, f->alert};
	f->t = (struct ar_target){f->file, f->sha, 0};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ar_outcome_clear(&f->o);
	ar_roots_free(f->roots);
	json_decref(f->alert);
	vg_test_rmtree(f->base);
	vg_free(f);
	return 0;
}

/* ---------------------------------------------------------------- target */

static void test_actions__target_of_virustotal_alert(void **state)
{
	struct fx *f = *state;
	struct ar_target t;

	assert_int_equal(ar_target_of_alert(f->alert, &t, &f->err), 0);
	assert_string_equal(t.path, f->file);
	assert_string_equal(t.sha256, f->sha);
	assert_int_equal(t.inode, 0);
}

static void test_actions__target_of_fim_alert(void **state)
{
	struct fx *f = *state;
	struct ar_target t;
	json_t *a = json_pack("{s:{s:s,s:s,s:s,s:s}}", "syscheck", "path", "/srv/x", "sha256_after",
			      f->sha, "sha256_before", "00", "inode_after", "123456789012");

	assert_int_equal(ar_target_of_alert(a, &t, &f->err), 0);
	assert_string_equal(t.path, "/srv/x");
	assert_string_equal(t.sha256, f->sha);
	assert_int_equal(t.inode, 123456789012ull);

	/* inode_after as a number */
	json_object_set_new(json_object_get(a, "syscheck"), "inode_after", json_integer(4242));
	assert_int_equal(ar_target_of_alert(a, &t, &f->err), 0);
	assert_int_equal(t.inode, 4242);

	/* no inode: 0 */
	json_object_del(json_object_get(a, "syscheck"), "inode_after");
	assert_int_equal(ar_target_of_alert(a, &t, &f->err), 0);
	assert_int_equal(t.inode, 0);

	/* a VirusTotal part without the sha256 does not hide the FIM part */
	json_object_set_new(a, "data",
			    json_pack("{s:{s:{s:s}}}", "virustotal", "source", "file", "/srv/y"));
	assert_int_equal(ar_target_of_alert(a, &t, &f->err), 0);
	assert_string_equal(t.path, "/srv/x");
	json_decref(a);
}

static void test_actions__target_of_alert_naming_no_file(void **state)
{
	struct fx *f = *state;
	struct ar_target t = {"x", "y", 7};
	json_t *a =
	    json_pack("{s:{s:s},s:{s:s}}", "rule", "id", "5715", "syscheck", "path", "/srv/x");

	assert_int_equal(ar_target_of_alert(a, &t, &f->err), VG_ENOTFOUND);
	assert_null(t.path);
	assert_null(t.sha256);
	assert_int_equal(t.inode, 0);
	assert_int_equal(ar_target_of_alert(NULL, &t, NULL), VG_ENOTFOUND);
	json_decref(a);
}

/* ---------------------------------------------------------------- actions */

static void test_actions__quarantine_done_reported(void **state)
{
	struct fx *f = *state;
	char bin[PATH_MAX];
	json_t *j;

	quarantine_ok(f);
	assert_int_equal(strlen(f->o.qid), AR_QID_LEN);
	assert_int_equal(access(f->file, F_OK), -1);
	qfile(f, f->o.qid, "bin", bin);
	assert_int_equal(access(bin, F_OK), 0);

	j = report(f, 1, 0, "quarantine", " Quarantined threat", 99910);
	assert_common(j, "add", "active-response/bin/quarantine", "quarantine", "done", CMD_ID_S);
	assert_true(
	    json_equal(json_object_get(json_object_get(j, "parameters"), "alert"), f->alert));
	assert_string_equal(js(j, "vigie", "quarantine_id"), f->o.qid);
	assert_string_equal(js(j, "vigie", "file"), f->file);
	assert_null(json_object_get(json_object_get(j, "vigie"), "reason"));
	assert_string_equal(js(json_object_get(j, "vigie"), "manifest", "path"), f->file);
	assert_string_equal(js(json_object_get(j, "vigie"), "manifest", "sha256"), f->sha);
	assert_string_equal(js(json_object_get(j, "vigie"), "manifest", "rule_id"), "87105");
	assert_string_equal(js(json_object_get(j, "vigie"), "manifest", "alert_id"),
			    "1700000000.7");
	json_decref(j);
}

static void test_actions__quarantine_refused_reported(void **state)
{
	struct fx *f = *state;
	json_t *j;

	vg_test_write_file(f->file, "something else now\n", 0644);
	assert_int_equal(ar_act_quarantine(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_REFUSED);
	assert_int_equal(access(f->file, F_OK), 0);
	j = report(f, 1, 0, "quarantine", " Error quarantining threat", 99912);
	assert_common(j, "add", "active-response/bin/quarantine", "quarantine", "refused",
		      CMD_ID_S);
	assert_reason(j, f->o.reason);
	assert_null(json_object_get(json_object_get(j, "vigie"), "quarantine_id"));
	json_decref(j);
}

static void test_actions__remove_done_reported(void **state)
{
	struct fx *f = *state;
	json_t *j;

	assert_int_equal(ar_act_remove(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_DONE);
	assert_int_equal(access(f->file, F_OK), -1);
	j = report(f, 1, 0, "remove-threat", " Successfully removed threat", 99911);
	assert_common(j, "add", "active-response/bin/remove-threat", "remove-threat", "done",
		      CMD_ID_S);
	assert_string_equal(js(j, "vigie", "file"), f->file);
	json_decref(j);
}

static void test_actions__remove_refused_when_file_changed(void **state)
{
	struct fx *f = *state;
	json_t *j;
	char *s;

	vg_test_write_file(f->file, "a clean file now\n", 0644);
	assert_int_equal(ar_act_remove(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_REFUSED);
	assert_true(f->o.reason[0] != '\0');
	s = vg_test_read_file(f->file);
	assert_string_equal(s, "a clean file now\n");
	vg_free(s);
	j = report(f, 1, 0, "remove-threat", " Error removing threat", 99913);
	assert_common(j, "add", "active-response/bin/remove-threat", "remove-threat", "refused",
		      CMD_ID_S);
	assert_reason(j, f->o.reason);
	json_decref(j);
}

static void test_actions__restore_unknown_id_failed_and_reported(void **state)
{
	struct fx *f = *state;
	json_t *j;

	f->act.command_id = 0; /* an operator's */
	assert_int_equal(ar_act_restore(&f->act, "0123456789abcdef", false, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_FAILED);
	assert_true(f->o.reason[0] != '\0');
	j = report(f, 1, 0, "quarantine", " Error restoring quarantined file", 99915);
	assert_common(j, "delete", "active-response/bin/quarantine", "restore", "failed", "0");
	assert_reason(j, f->o.reason);

	/* a malformed id (a path) as well */
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_act_restore(&f->act, "../../etc/passwd", false, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_FAILED);
	json_decref(j);
	j = report(f, 2, 1, "quarantine", " Error restoring quarantined file", 99915);
	json_decref(j);
}

/* A root configured through a symlink: the alert says /link/eicar.com, the
 * manifest the real path; the restore still counts for the alert's path. */
static void test_actions__restored_through_a_symlinked_root(void **state)
{
	struct fx *f = *state;
	char link[PATH_MAX + 16], via[PATH_MAX + 32], qid[AR_QID_LEN + 1];
	struct ar_roots *roots;

	snprintf(link, sizeof(link), "%s/link", f->base);
	snprintf(via, sizeof(via), "%s/eicar.com", link);
	assert_int_equal(symlink(f->watch, link), 0);
	roots = roots_for(link);
	f->act.roots = roots;
	f->t.path = via;
	assert_int_equal(ar_act_quarantine(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_DONE);
	memcpy(qid, f->o.qid, sizeof(qid));
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_act_restore(&f->act, qid, false, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_DONE);
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_act_quarantine(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_REFUSED);
	assert_non_null(strstr(f->o.reason, "restored to this path by an operator"));
	assert_int_equal(access(f->file, F_OK), 0);
	ar_roots_free(roots);
}

static void test_actions__restored_file_not_quarantined_again(void **state)
{
	struct fx *f = *state;
	char qid[AR_QID_LEN + 1], *s;
	json_t *j;

	quarantine_ok(f);
	memcpy(qid, f->o.qid, sizeof(qid));
	ar_outcome_clear(&f->o);

	assert_int_equal(ar_act_restore(&f->act, qid, false, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_DONE);
	s = vg_test_read_file(f->file);
	assert_string_equal(s, EICAR);
	vg_free(s);
	j = report(f, 2, 1, "quarantine", " Restored quarantined file", 99914);
	assert_common(j, "delete", "active-response/bin/quarantine", "restore", "done", CMD_ID_S);
	assert_string_equal(js(j, "vigie", "file"), f->file);
	assert_string_equal(js(j, "vigie", "quarantine_id"), qid);
	json_decref(j);
	ar_outcome_clear(&f->o);

	/* the same alert again (the FIM saw it come back): left alone */
	assert_int_equal(ar_act_quarantine(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_REFUSED);
	assert_non_null(strstr(f->o.reason, "restored to this path by an operator"));
	assert_int_equal(access(f->file, F_OK), 0);
	j = report(f, 3, 2, "quarantine", " Error quarantining threat",
		   99919); /* quietly: not an error again */
	assert_reason(j, "restored to this path by an operator");
	json_decref(j);
	ar_outcome_clear(&f->o);

	/* nor removed */
	assert_int_equal(ar_act_remove(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_REFUSED);
	assert_int_equal(access(f->file, F_OK), 0);

	/* the same content elsewhere is still acted on */
	ar_outcome_clear(&f->o);
	char other[PATH_MAX + 16];
	snprintf(other, sizeof(other), "%s/other.com", f->watch);
	vg_test_write_file(other, EICAR, 0644);
	f->t.path = other;
	quarantine_ok(f);
	assert_int_equal(access(other, F_OK), -1);
}

static void test_actions__delete_done_reported_as_purge(void **state)
{
	struct fx *f = *state;
	char qid[AR_QID_LEN + 1], bin[PATH_MAX], jsn[PATH_MAX];
	json_t *j;

	quarantine_ok(f);
	memcpy(qid, f->o.qid, sizeof(qid));
	ar_outcome_clear(&f->o);
	f->act.command_id = 77;
	assert_int_equal(ar_act_delete(&f->act, qid, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_DONE);
	qfile(f, qid, "bin", bin);
	qfile(f, qid, "json", jsn);
	assert_int_equal(access(bin, F_OK), -1);
	assert_int_equal(access(jsn, F_OK), -1);
	assert_int_equal(access(f->file, F_OK), -1);
	j = report(f, 2, 1, "quarantine", " Deleted quarantined file", 99916);
	assert_common(j, "purge", "active-response/bin/quarantine", "delete", "done", "77");
	assert_string_equal(js(j, "vigie", "file"), f->file);
	json_decref(j);

	/* again: the id is gone */
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_act_delete(&f->act, qid, &f->o, &f->err), 0);
	assert_int_not_equal(f->o.status, AR_DONE);
	j = report(f, 3, 2, "quarantine", " Error deleting quarantined file", 99917);
	json_decref(j);
}

/* A report that cannot be written is an error, the outcome still known. */
static void test_actions__unwritable_log_is_an_error(void **state)
{
	struct fx *f = *state;
	char logs[PATH_MAX + 8];

	snprintf(logs, sizeof(logs), "%s/logs", f->home);
	vg_test_write_file(logs, "a file where the directory should be\n", 0644);
	assert_int_not_equal(ar_act_quarantine(&f->act, &f->t, &f->o, &f->err), 0);
	assert_int_equal(f->o.status, AR_DONE);
	assert_int_equal(access(f->file, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_actions__target_of_virustotal_alert, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__target_of_fim_alert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions__target_of_alert_naming_no_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__quarantine_done_reported, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__quarantine_refused_reported, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__remove_done_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions__remove_refused_when_file_changed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__restore_unknown_id_failed_and_reported,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions__restored_through_a_symlinked_root, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__restored_file_not_quarantined_again,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions__delete_done_reported_as_purge, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_actions__unwritable_log_is_an_error, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
