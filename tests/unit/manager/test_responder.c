/*
 * Unit tests for src/manager/responder.c on real parts in a mkdtemp HOME:
 * a real alert store (queue/alerts.db) the test adds alerts to, a real
 * registry (000, web1 = 001, db1 = 002), a real event queue, the real
 * <active-response> parser for the configuration, no agent channel
 * (remote NULL) and a real executor for agent 000 that quarantines into
 * HOME/quarantine and ships its log into a recording callback.
 *
 * The responder runs its thread; the test wakes it after each batch of
 * alerts and waits (bounded, WAIT_MS) for the states it expects, reading
 * HOME/queue/responses.db through a read-only handle as the CLI does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "support/support.h"

#include "ar/executor.h"
#include "fim/config.h"
#include "fim/hash.h"
#include "lib/conf.h"
#include "lib/dqueue.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/ar_conf.h"
#include "manager/cmdq.h"
#include "manager/registry.h"
#include "manager/responder.h"
#include "manager/store.h"

#define WAIT_MS 5000
#define MANAGER "vigie-mgr"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char conf_xml[] =
    "<ossec_config>\n"
    "<command><name>notify</name><executable>notify.sh</executable>"
    "<timeout_allowed>yes</timeout_allowed><extra_args>-v</extra_args></command>\n"
    "<active-response><command>quarantine</command><location>local</location>"
    "<rules_id>87105</rules_id></active-response>\n"
    "<active-response><command>quarantine</command><location>server</location>"
    "<rules_id>100001</rules_id></active-response>\n"
    "<active-response><command>notify</command><location>all</location>"
    "<rules_id>100002</rules_id><timeout>60</timeout></active-response>\n"
    "<active-response><command>notify</command><location>defined-agent</location>"
    "<agent_id>002</agent_id><rules_id>100003</rules_id></active-response>\n"
    "<active-response><command>quarantine</command><location>local</location>"
    "<rules_id>100004</rules_id><expire>1</expire></active-response>\n"
    "</ossec_config>\n";

/* What the executor shipped (its thread writes, the test reads). */
struct shipped {
	pthread_mutex_t mu;
	char text[64 * 1024];
};

struct fx {
	char home[64];
	char watch[96];
	struct mgr_ar_conf conf;
	struct store *store;
	struct vg_dq *queue;
	struct ar_exec *exec;
	struct responder *r;
	struct cmdq *ro; /* the test's read-only view of the command queue */
	struct shipped shipped;
	int next_alert;
	struct vg_err err;
};

static int record(void *ctx, uint64_t seq, const char *location, const char *line, size_t len)
{
	struct shipped *s = ctx;
	size_t used;

	(void)seq;
	(void)location;
	pthread_mutex_lock(&s->mu);
	used = strlen(s->text);
	snprintf(s->text + used, sizeof(s->text) - used, "%.*s\n", (int)len, line);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void mkdir_in(const char *home, const char *sub, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", home, sub);
	assert_int_equal(mkdir(out, 0700), 0);
}

static void make_registry(struct fx *f)
{
	struct reg_opts o = REG_OPTS_INIT;
	struct reg *w = NULL;
	char *path = reg_path(f->home);
	char id[REG_ID_TEXT];

	o.manager_name = MANAGER;
	assert_int_equal(reg_open(path, &o, &w, &f->err), 0);
	assert_int_equal(reg_enroll(w, "web1", NULL, NULL, NULL, false, id, &f->err), 0);
	assert_string_equal(id, "001");
	assert_int_equal(reg_enroll(w, "db1", NULL, NULL, NULL, false, id, &f->err), 0);
	assert_string_equal(id, "002");
	reg_close(w);
	vg_free(path);
}

static void load_conf(struct fx *f)
{
	struct vg_conf_section s[] = {{"command", mgr_ar_command_parse, &f->conf},
				      {"active-response", mgr_ar_response_parse, &f->conf}};

	mgr_ar_conf_init(&f->conf);
	if (vg_conf_load_buffer("ossec.conf", conf_xml, strlen(conf_xml), s, 2, &f->err) != 0)
		fail_msg("config: %s", f->err.msg);
	assert_int_equal(f->conf.n, 5);
}

static void start_exec(struct fx *f)
{
	struct ar_exec_opts o = {0};
	struct fim_config fim;

	fim_config_init(&fim);
	fim.dirs = vg_xcalloc(1, sizeof(*fim.dirs));
	fim.dirs[0].path = vg_xstrdup(f->watch);
	fim.ndirs = 1;
	o.home = f->home;
	o.fim = &fim;
	o.node = MANAGER;
	o.emit = record;
	o.ctx = &f->shipped;
	assert_int_equal(ar_exec_open(&o, &f->exec, &f->err), 0);
	fim_config_free(&fim);
	assert_int_equal(ar_exec_start(f->exec, &f->err), 0);
}

static void start_responder(struct fx *f)
{
	struct responder_opts o = {0};

	o.home = f->home;
	o.conf = &f->conf;
	o.remote = NULL;
	o.local = f->exec;
	o.queue = f->queue;
	o.manager_name = MANAGER;
	if (responder_open(&o, &f->r, &f->err) != 0)
		fail_msg("responder_open: %s", f->err.msg);
	assert_int_equal(responder_start(f->r, &f->err), 0);
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char path[160];

	pthread_mutex_init(&f->shipped.mu, NULL);
	vg_strlcpy(f->home, "/tmp/vg-responder-XXXXXX", sizeof(f->home));
	assert_non_null(mkdtemp(f->home));
	mkdir_in(f->home, "queue", path, sizeof(path));
	mkdir_in(f->home, "watch", f->watch, sizeof(f->watch));
	snprintf(path, sizeof(path), "%s/queue/alerts.db", f->home);
	assert_int_equal(store_open(path, &f->store, &f->err), 0);
	snprintf(path, sizeof(path), "%s/queue/events.db", f->home);
	assert_int_equal(vg_dq_open(path, NULL, &f->queue, &f->err), 0);
	make_registry(f);
	load_conf(f);
	start_exec(f);
	start_responder(f);
	assert_int_equal(cmdq_open(f->home, true, &f->ro, &f->err), 0);
	f->next_alert = 1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cmdq_close(f->ro);
	responder_close(f->r); /* before the executor it hands commands to */
	ar_exec_close(f->exec);
	vg_dq_close(f->queue);
	store_close(f->store);
	mgr_ar_conf_free(&f->conf);
	vg_test_rmtree(f->home);
	pthread_mutex_destroy(&f->shipped.mu);
	vg_free(f);
	return 0;
}

/* ---------------------------------------------------------------- alerts in */

/*
 * Store alert body (owned, decref'd here) as rule rule_id of agent_id, with
 * Wazuh's rule and agent objects; commit, wake the responder. The alert's
 * id into id_out (may be NULL).
 */
static void add_alert(struct fx *f, unsigned rule_id, const char *agent_id, const char *groups,
		      json_t *body, char id_out[32])
{
	struct store_alert a = {0};
	char id[32];
	char *text;
	bool added = false;

	snprintf(id, sizeof(id), "1700000000.%d", f->next_alert++);
	json_object_set_new(body, "id", json_string(id));
	json_object_set_new(body, "rule",
			    json_pack("{s:I,s:i,s:s}", "id", (json_int_t)rule_id, "level", 12,
				      "description", "test"));
	json_object_set_new(body, "agent",
			    json_pack("{s:s,s:s}", "id", agent_id, "name",
				      strcmp(agent_id, "001") == 0   ? "web1"
				      : strcmp(agent_id, "002") == 0 ? "db1"
								     : MANAGER));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	a.id = id;
	a.time_ms = 1700000000000;
	a.rule_id = rule_id;
	a.level = 12;
	a.agent_id = agent_id;
	a.groups = groups;
	a.json = text;
	assert_int_equal(store_begin(f->store, &f->err), 0);
	if (store_add(f->store, &a, &added, &f->err) != 0)
		fail_msg("store_add: %s", f->err.msg);
	assert_true(added);
	assert_int_equal(store_commit(f->store, 0, NULL, &f->err), 0);
	free(text); /* jansson's */
	if (id_out != NULL)
		vg_strlcpy(id_out, id, 32);
	responder_wake(f->r);
}

static json_t *fim_alert(const char *path, const char *sha256, json_int_t inode, const char *event)
{
	return json_pack("{s:{s:s,s:s,s:I,s:s}}", "syscheck", "path", path, "sha256_after", sha256,
			 "inode_after", inode, "event", event);
}

static json_t *vt_alert(const char *path, const char *sha256, const char *fim_id)
{
	return json_pack("{s:{s:{s:i,s:s,s:{s:s,s:s}}}}", "data", "virustotal", "malicious", 1,
			 "sha256", sha256, "source", "file", path, "alert_id", fim_id);
}

/* ---------------------------------------------------------------- reading back */

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* The commands as "AGENT STATE" lines in id order (caller frees). */
static char *commands(struct fx *f, const char *where)
{
	char *sql = vg_xasprintf("SELECT agent_id, state FROM commands %s ORDER BY id",
				 where != NULL ? where : "");
	sqlite3_stmt *st = NULL;
	char *out = vg_xstrdup("");

	assert_int_equal(sqlite3_prepare_v2(cmdq_db(f->ro), sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *n = vg_xasprintf("%s%s %s\n", out, sqlite3_column_text(st, 0),
				       sqlite3_column_text(st, 1));
		vg_free(out);
		out = n;
	}
	sqlite3_finalize(st);
	vg_free(sql);
	return out;
}

/* Wait until the commands read want (true) or WAIT_MS passed (false). */
static bool wait_commands(struct fx *f, const char *where, const char *want)
{
	for (int t = 0; t < WAIT_MS; t += 20) {
		char *got = commands(f, where);
		bool ok = strcmp(got, want) == 0;
		vg_free(got);
		if (ok)
			return true;
		sleep_ms(20);
	}
	return false;
}

static void expect_commands(struct fx *f, const char *where, const char *want)
{
	if (!wait_commands(f, where, want)) {
		char *got = commands(f, where);
		fail_msg("commands: want\n%s\ngot\n%s", want, got);
	}
}

/* Wait until the responder's position reached row (alerts are rows 1..n). */
static void wait_position(struct fx *f, int64_t row)
{
	int64_t pos = 0;

	for (int t = 0; t < WAIT_MS; t += 20) {
		assert_int_equal(cmdq_position(f->ro, &pos, &f->err), 0);
		if (pos >= row)
			return;
		sleep_ms(20);
	}
	fail_msg("position %lld, want %lld", (long long)pos, (long long)row);
}

/* The last command's id and JSON (owned). */
static json_t *last_command(struct fx *f, uint64_t *id)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL;

	assert_int_equal(
	    sqlite3_prepare_v2(cmdq_db(f->ro),
			       "SELECT id, json FROM commands ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*id = (uint64_t)sqlite3_column_int64(st, 0);
	j = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	sqlite3_finalize(st);
	assert_non_null(j);
	return j;
}

static const char *jpath(const json_t *j, const char *a, const char *b)
{
	const json_t *o = json_object_get(j, a);
	return json_string_value(b != NULL ? json_object_get(o, b) : o);
}

/* ---------------------------------------------------------------- tests */

static void test_responder__verdict_queues_a_quarantine_for_its_agent(void **state)
{
	struct fx *f = *state;
	char fim_id[32];
	uint64_t id;

	add_alert(f, 554, "001", "ossec,syscheck,",
		  fim_alert("/srv/www/evil.php", SHA_A, 4242, "added"), fim_id);
	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/www/evil.php", SHA_A, fim_id),
		  NULL);
	expect_commands(f, NULL, "001 queued\n");

	json_t *cmd = last_command(f, &id);
	assert_true(id > 0);
	assert_string_equal(jpath(cmd, "type", NULL), "active-response");
	assert_string_equal(jpath(cmd, "name", NULL), "quarantine");
	assert_string_equal(jpath(cmd, "builtin", NULL), "quarantine");
	assert_string_equal(jpath(cmd, "target", "path"), "/srv/www/evil.php");
	assert_string_equal(jpath(cmd, "target", "sha256"), SHA_A);
	/* The inode of the FIM alert the verdict answers: the agent checks it. */
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(cmd, "target"), "inode")), 4242);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(cmd, "alert"), "rule"), "id")),
			 87105);
	assert_null(json_object_get(cmd, "id")); /* the row's id, added on delivery */
	json_decref(cmd);

	/* A verdict whose FIM alert is not (or no longer) stored: no inode. */
	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/www/b.php", SHA_A, "1.1"), NULL);
	expect_commands(f, NULL, "001 queued\n001 queued\n");
	cmd = last_command(f, &id);
	assert_string_equal(jpath(cmd, "target", "path"), "/srv/www/b.php");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(cmd, "target"), "inode")), 0);
	json_decref(cmd);
}

static void test_responder__verdict_about_a_deleted_file_queues_nothing(void **state)
{
	struct fx *f = *state;
	char fim_id[32];

	add_alert(f, 553, "001", "ossec,syscheck,",
		  fim_alert("/srv/www/gone.php", SHA_A, 7, "deleted"), fim_id);
	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/www/gone.php", SHA_A, fim_id),
		  NULL);
	wait_position(f, 2);
	char *got = commands(f, NULL);
	assert_string_equal(got, "");
	vg_free(got);
}

static void test_responder__locations_all_and_defined_agent(void **state)
{
	struct fx *f = *state;
	uint64_t id;

	add_alert(f, 100002, "001", "web,", fim_alert("/srv/x", SHA_A, 1, "modified"), NULL);
	/* One per registered agent; 000's went to the local executor. */
	expect_commands(f, "WHERE agent_id != '000'", "001 queued\n002 queued\n");
	expect_commands(f, "WHERE agent_id = '000'", "000 taken\n");
	json_t *cmd = last_command(f, &id);
	assert_string_equal(jpath(cmd, "executable", NULL), "notify.sh");
	assert_string_equal(jpath(cmd, "extra_args", NULL), "-v");
	assert_int_equal(json_integer_value(json_object_get(cmd, "timeout")), 60);
	assert_null(json_object_get(cmd, "builtin"));
	json_decref(cmd);

	add_alert(f, 100003, "001", "web,", fim_alert("/srv/x", SHA_A, 1, "modified"), NULL);
	expect_commands(f, "WHERE agent_id != '000'", "001 queued\n002 queued\n002 queued\n");
}

static void test_responder__active_response_alerts_never_trigger(void **state)
{
	struct fx *f = *state;
	char fim_id[32];

	/* Rule 87105 in the group: a report about a response, not a verdict. */
	add_alert(f, 554, "001", "ossec,syscheck,", fim_alert("/srv/a", SHA_A, 5, "added"), fim_id);
	add_alert(f, 87105, "001", "ossec,active_response,", vt_alert("/srv/a", SHA_A, fim_id),
		  NULL);
	add_alert(f, 100002, "001", "active_response,", fim_alert("/srv/a", SHA_A, 5, "added"),
		  NULL);
	wait_position(f, 3);
	char *got = commands(f, NULL);
	assert_string_equal(got, "");
	vg_free(got);
}

struct qview {
	char line[512];
	int n;
};

static int keep_q(void *ctx, const struct cmdq_qrow *r)
{
	struct qview *v = ctx;

	snprintf(v->line, sizeof(v->line), "%s %s %s %s", r->agent_id, r->qid, r->state,
		 r->path != NULL ? r->path : "(null)");
	v->n++;
	return 0;
}

static void test_responder__report_records_result_and_quarantine_view(void **state)
{
	struct fx *f = *state;
	struct qview v = {{0}, 0};
	struct cmdq_row row;
	uint64_t id;
	char sid[24];

	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/r.php", SHA_A, "1.1"), NULL);
	expect_commands(f, NULL, "001 queued\n");
	json_decref(last_command(f, &id));

	/* The agent's report, as the analysis stores it (the JSON decoder
	 * keeps Wazuh's string for the id). */
	snprintf(sid, sizeof(sid), "%llu", (unsigned long long)id);
	add_alert(f, 100092, "001", "ossec,active_response,",
		  json_pack("{s:{s:{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}}}", "data", "vigie",
			    "command_id", sid, "action", "quarantine", "status", "done", "file",
			    "/srv/r.php", "quarantine_id", "0123456789abcdef", "manifest", "id",
			    "0123456789abcdef", "path", "/srv/r.php", "sha256", SHA_A),
		  NULL);
	expect_commands(f, NULL, "001 done\n");
	assert_int_equal(cmdq_get(f->ro, id, &row, &f->err), 0);
	assert_non_null(row.result);
	json_t *res = json_loads(row.result, 0, NULL);
	assert_non_null(res);
	assert_string_equal(jpath(res, "status", NULL), "done");
	assert_string_equal(jpath(res, "quarantine_id", NULL), "0123456789abcdef");
	assert_null(json_object_get(res, "manifest")); /* in the view, not the result */
	json_decref(res);

	assert_int_equal(cmdq_quarantine_list(f->ro, "001", NULL, keep_q, &v, &f->err), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.line, "001 0123456789abcdef quarantined /srv/r.php");
}

static void test_responder__report_about_another_agents_command_is_ignored(void **state)
{
	struct fx *f = *state;
	uint64_t id;
	char sid[24];

	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/o.php", SHA_A, "1.1"), NULL);
	expect_commands(f, NULL, "001 queued\n");
	json_decref(last_command(f, &id));

	/* The alert's agent comes from the connection, the command id from
	 * the line the agent wrote: 002 cannot settle 001's command. */
	snprintf(sid, sizeof(sid), "%llu", (unsigned long long)id);
	add_alert(f, 100092, "002", "ossec,active_response,",
		  json_pack("{s:{s:{s:s,s:s,s:s}}}", "data", "vigie", "command_id", sid, "action",
			    "quarantine", "status", "done"),
		  NULL);
	wait_position(f, 2);
	char *got = commands(f, NULL);
	assert_string_equal(got, "001 queued\n");
	vg_free(got);

	/* Its own agent can. */
	add_alert(f, 100092, "001", "ossec,active_response,",
		  json_pack("{s:{s:{s:s,s:s,s:s,s:s}}}", "data", "vigie", "command_id", sid,
			    "action", "quarantine", "status", "refused", "reason", "changed"),
		  NULL);
	expect_commands(f, NULL, "001 refused\n");
}

static void test_responder__agent_000_command_runs_on_the_manager(void **state)
{
	struct fx *f = *state;
	static const char content[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-test\n";
	struct fim_digests d;
	struct stat sb;
	char path[160], qdir[160];
	int bins = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/evil.bin", f->watch);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, sizeof(content) - 1, fp), sizeof(content) - 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(stat(path, &sb), 0);
	fim_hash_buffer(content, sizeof(content) - 1, FIM_CHECK_SHA256, &d);

	add_alert(f, 100001, "001", "syscheck,",
		  fim_alert(path, d.sha256, (json_int_t)sb.st_ino, "added"), NULL);
	expect_commands(f, NULL, "000 taken\n");

	/* The executor moved it into HOME/quarantine and shipped its report. */
	snprintf(qdir, sizeof(qdir), "%s/quarantine", f->home);
	for (int t = 0; t < WAIT_MS && bins == 0; t += 20) {
		DIR *dir = opendir(qdir);
		struct dirent *e;
		while (dir != NULL && (e = readdir(dir)) != NULL)
			bins += strstr(e->d_name, ".bin") != NULL;
		if (dir != NULL)
			closedir(dir);
		if (bins == 0)
			sleep_ms(20);
	}
	assert_int_equal(bins, 1);
	assert_int_equal(access(path, F_OK), -1);
	for (int t = 0; t < WAIT_MS; t += 20) {
		pthread_mutex_lock(&f->shipped.mu);
		bool seen = strstr(f->shipped.text, "Quarantined threat") != NULL;
		pthread_mutex_unlock(&f->shipped.mu);
		if (seen)
			break;
		sleep_ms(20);
	}
	pthread_mutex_lock(&f->shipped.mu);
	assert_non_null(strstr(f->shipped.text, "Quarantined threat"));
	assert_non_null(strstr(f->shipped.text, "\"status\":\"done\""));
	pthread_mutex_unlock(&f->shipped.mu);
}

struct rec {
	char source[32];
	char data[8192];
	int n;
};

static int keep_responder(void *ctx, const struct vg_dq_rec *rec)
{
	struct rec *r = ctx;

	if (strcmp(rec->source, RESPONDER_SOURCE) != 0)
		return 0;
	vg_strlcpy(r->source, rec->source, sizeof(r->source));
	snprintf(r->data, sizeof(r->data), "%.*s", (int)rec->len, (const char *)rec->data);
	r->n++;
	return 0;
}

static void test_responder__undelivered_command_expires_with_a_report(void **state)
{
	struct fx *f = *state;
	struct rec r = {{0}, {0}, 0};

	add_alert(f, 100004, "001", "syscheck,", fim_alert("/srv/late", SHA_A, 9, "modified"),
		  NULL);
	expect_commands(f, NULL, "001 queued\n");
	/* No agent channel: nothing takes it; after its second it is withdrawn. */
	expect_commands(f, NULL, "001 expired\n");

	for (int t = 0; t < WAIT_MS && r.n == 0; t += 20) {
		assert_int_equal(vg_dq_read(f->queue, 0, 1000, keep_responder, &r, NULL, &f->err),
				 0);
		if (r.n == 0)
			sleep_ms(20);
	}
	assert_int_equal(r.n, 1);
	const char *line = strchr(r.data, '\n');
	assert_non_null(line);
	assert_int_equal(strncmp(r.data, "[001] (web1) any->", 18), 0);
	line++;
	/* Wazuh's active-responses.log line: the rules read it as an agent's. */
	assert_non_null(strstr(line, " active-response/bin/quarantine: {"));
	assert_non_null(strstr(line, "\"status\":\"refused\""));
	assert_non_null(strstr(line, "expired"));
	assert_non_null(strstr(line, "\"command_id\":\""));
	assert_non_null(strstr(line, "Error quarantining threat"));
	json_t *j = json_loads(strchr(line, '{'), JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(j);
	const json_t *v = json_object_get(j, "vigie");
	assert_string_equal(json_string_value(json_object_get(v, "status")), "refused");
	assert_non_null(strstr(json_string_value(json_object_get(v, "reason")), "expired"));
	json_decref(j);
}

static void test_responder__position_survives_a_restart(void **state)
{
	struct fx *f = *state;

	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/1", SHA_A, "1.1"), NULL);
	expect_commands(f, NULL, "001 queued\n");
	wait_position(f, 1);
	responder_close(f->r);
	f->r = NULL;
	start_responder(f);
	add_alert(f, 87105, "001", "virustotal,", vt_alert("/srv/2", SHA_A, "1.1"), NULL);
	expect_commands(f, NULL, "001 queued\n001 queued\n");
	wait_position(f, 2);
	/* Another round, to be sure the first alert is not taken again. */
	responder_wake(f->r);
	sleep_ms(200);
	char *got = commands(f, NULL);
	assert_string_equal(got, "001 queued\n001 queued\n");
	vg_free(got);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_responder__verdict_queues_a_quarantine_for_its_agent),
	    T(test_responder__verdict_about_a_deleted_file_queues_nothing),
	    T(test_responder__locations_all_and_defined_agent),
	    T(test_responder__active_response_alerts_never_trigger),
	    T(test_responder__report_records_result_and_quarantine_view),
	    T(test_responder__report_about_another_agents_command_is_ignored),
	    T(test_responder__agent_000_command_runs_on_the_manager),
	    T(test_responder__undelivered_command_expires_with_a_report),
	    T(test_responder__position_survives_a_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
