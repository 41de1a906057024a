/*
 * Unit tests for src/manager/analysis.c: the queue -> alerts pipeline,
 * with the real queue, the shipped ruleset, real alert files and store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "lib/dqueue.h"
#include "lib/fs.h"
#include "lib/mem.h"
#include "manager/analysis.h"
#include "manager/evqueue.h"
#include "manager/ingest.h"
#include "manager/store.h"
#include "support/support.h"

struct fx {
	char home[64];
	char *queue_path;
	struct vg_dq *q;
	struct rules_set *rules;
	struct an_settings settings;
	struct an_pipeline *p;
};

/* An agent "added" event for path, with a harmless sha256. */
static char *event_line(const char *path)
{
	return vg_xasprintf(
	    "{\"type\":\"event\",\"data\":{\"path\":\"%s\",\"version\":2,\"mode\":\"realtime\","
	    "\"type\":\"added\",\"timestamp\":1704891124,\"attributes\":{\"type\":\"file\","
	    "\"size\":3,\"perm\":\"rw-r--r--\",\"uid\":\"0\",\"gid\":\"0\",\"user_name\":"
	    "\"root\",\"group_name\":\"root\",\"inode\":\"21388\",\"mtime\":1704891124,"
	    "\"hash_md5\":\"d41d8cd98f00b204e9800998ecf8427e\",\"hash_sha1\":"
	    "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\",\"hash_sha256\":"
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}}}",
	    path);
}

static void append_raw(struct fx *f, const char *line)
{
	const struct mgr_producer prod = {f->q, "000", "syscheck", NULL};
	assert_int_equal(mgr_evqueue_append(&prod, 0, line, strlen(line), NULL), 0);
}

static void append_event(struct fx *f, const char *path)
{
	char *line = event_line(path);
	append_raw(f, line);
	vg_free(line);
}

static void open_queue(struct fx *f)
{
	assert_int_equal(vg_dq_open(f->queue_path, NULL, &f->q, NULL), 0);
}

static void open_pipeline(struct fx *f)
{
	const struct an_pipeline_opts o = {
	    .home = f->home,
	    .settings = &f->settings,
	    .manager_name = "testhost",
	    .queue = f->q,
	    .rules = f->rules,
	};
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(an_pipeline_open(&o, &f->p, &err), 0);
}

static size_t run(struct fx *f)
{
	struct vg_err err = VG_ERR_INIT;
	size_t n = 0;
	assert_int_equal(an_pipeline_run(f->p, 0, &n, &err), 0);
	return n;
}

static void close_all(struct fx *f)
{
	an_pipeline_close(f->p);
	f->p = NULL;
	vg_dq_close(f->q);
	f->q = NULL;
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	const struct an_settings defaults = AN_SETTINGS_INIT;
	struct rules_opts ro = RULES_OPTS_INIT;

	strcpy(f->home, "/tmp/vigie-analysis-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	char *qdir = vg_xasprintf("%s/queue", f->home);
	assert_int_equal(vg_fs_mkdirs(qdir, 0750, NULL), 0);
	vg_free(qdir);
	f->queue_path = vg_xasprintf("%s/queue/events.db", f->home);
	f->settings = defaults;
	ro.home = f->home;
	ro.ruleset_root = VIGIE_SOURCE_RULESET;
	assert_int_equal(rules_load(&ro, &f->rules, NULL), 0);
	open_queue(f);
	open_pipeline(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close_all(f);
	rules_set_free(f->rules);
	vg_test_rmtree(f->home);
	vg_free(f->queue_path);
	vg_free(f);
	return 0;
}

static char *alerts_json(const struct fx *f)
{
	char *p = vg_xasprintf("%s/logs/alerts/alerts.json", f->home);
	char *s = vg_test_read_file(p);
	vg_free(p);
	return s;
}

static uint64_t stored(const struct fx *f)
{
	char *db = vg_xasprintf("%s/queue/alerts.db", f->home);
	struct store_reader *r = NULL;
	struct store_filter all = {0};
	uint64_t n = 0;

	assert_int_equal(store_reader_open(db, &r, NULL), 0);
	assert_int_equal(store_count(r, &all, &n, NULL), 0);
	store_reader_close(r);
	vg_free(db);
	return n;
}

/* Run SQL on the store from a connection of the test's own. */
static void store_sql(const struct fx *f, const char *sql)
{
	char *db = vg_xasprintf("%s/queue/alerts.db", f->home);
	sqlite3 *h = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 10000);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	sqlite3_close(h);
	vg_free(db);
}

/*
 * An insert that fails on the store writer's thread fails the whole batch:
 * nothing of it stays in the files or the store, and once the store takes
 * rows again every alert is written once.
 */
static void test_analysis__a_failed_store_insert_rolls_the_batch_back(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	size_t n = 0;

	store_sql(f, "CREATE TRIGGER refuse BEFORE INSERT ON alert WHEN NEW.path = '/srv/bad'"
		     " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	append_event(f, "/srv/a");
	append_event(f, "/srv/bad");
	append_event(f, "/srv/c");
	assert_int_not_equal(an_pipeline_run(f->p, 0, &n, &err), 0);
	vg_test_err_mentions(&err, "injected failure");
	char *json = alerts_json(f);
	assert_string_equal(json, "");
	vg_free(json);
	assert_int_equal(stored(f), 0);

	store_sql(f, "DROP TRIGGER refuse");
	assert_int_equal(run(f), 3);
	json = alerts_json(f);
	assert_int_equal(vg_test_count(json, "\n"), 3);
	assert_int_equal(vg_test_count(json, "\"path\":\"/srv/bad\""), 1);
	vg_free(json);
	assert_int_equal(stored(f), 3);
}

static void test_analysis__each_event_becomes_one_alert_everywhere(void **state)
{
	struct fx *f = *state;
	struct an_pipeline_stats st;
	struct vg_dq_stats qs;

	append_event(f, "/srv/a");
	append_event(f, "/srv/b");
	append_event(f, "/srv/c");
	assert_int_equal(run(f), 3);
	an_pipeline_stats(f->p, &st);
	assert_int_equal(st.events, 3);
	assert_int_equal(st.alerts, 3);
	assert_int_equal(st.skipped, 0);

	char *json = alerts_json(f);
	assert_int_equal(vg_test_count(json, "\n"), 3);
	assert_int_equal(vg_test_count(json, "\"id\":\"554\""), 3);
	assert_non_null(strstr(json, "\"agent\":{\"id\":\"000\",\"name\":\"testhost\"}"));
	assert_non_null(strstr(json, "\"path\":\"/srv/c\""));
	vg_free(json);
	assert_int_equal(stored(f), 3);
	vg_dq_stats(f->q, &qs);
	assert_int_equal(qs.pending_records, 0); /* trimmed once committed */
	assert_int_equal(st.cursor, qs.last_seq);
}

static void test_analysis__bad_records_are_skipped_not_fatal(void **state)
{
	struct fx *f = *state;
	struct an_pipeline_stats st;

	append_raw(f, "{\"type\":\"event\",\"data\":{\"path\":");
	append_raw(f, "{\"type\":\"event\",\"data\":{\"path\":42}}");
	append_event(f, "/srv/after-the-junk");
	assert_int_equal(run(f), 3);
	an_pipeline_stats(f->p, &st);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.alerts, 1);
	char *json = alerts_json(f);
	assert_non_null(strstr(json, "/srv/after-the-junk"));
	vg_free(json);
}

static void test_analysis__scan_markers_raise_nothing(void **state)
{
	struct fx *f = *state;
	struct an_pipeline_stats st;

	append_raw(f, "{\"type\":\"scan_start\",\"data\":{\"timestamp\":1704891124}}");
	append_raw(f, "{\"type\":\"scan_end\",\"data\":{\"timestamp\":1704891125}}");
	assert_int_equal(run(f), 2);
	an_pipeline_stats(f->p, &st);
	assert_int_equal(st.alerts, 0);
	assert_int_equal(st.skipped, 0);
}

/* 1 MiB fields: a FIM path over the decoder's cap is a logged skip; a JSON
 * event with a 1 MiB value decodes (rule 87100's chain sees it) and raises
 * a VirusTotal alert; the event after both is analysed as usual. */
static void test_analysis__one_mib_fields_are_handled(void **state)
{
	struct fx *f = *state;
	struct an_pipeline_stats st;
	const size_t big = 1024 * 1024;
	char *path = vg_xmalloc(big + 2);

	path[0] = '/';
	memset(path + 1, 'p', big);
	path[big + 1] = '\0';
	append_event(f, path);
	char *vt = vg_xasprintf("{\"virustotal\":{\"found\":1,\"malicious\":1,\"source\":"
				"{\"file\":\"%s\"},\"positives\":57,\"total\":70},"
				"\"integration\":\"virustotal\"}",
				path + big / 2);
	const struct mgr_producer prod = {f->q, "000", "virustotal", NULL};
	assert_int_equal(mgr_evqueue_append(&prod, 0, vt, strlen(vt), NULL), 0);
	append_event(f, "/srv/after-the-big-ones");
	assert_int_equal(run(f), 3);
	an_pipeline_stats(f->p, &st);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.alerts, 2);
	char *json = alerts_json(f);
	assert_non_null(strstr(json, "\"id\":\"87105\""));
	assert_non_null(strstr(json, "/srv/after-the-big-ones"));
	vg_free(json);
	vg_free(vt);
	vg_free(path);
}

static void copy_db(const char *from_dir, const char *to_dir, const char *name)
{
	char *cmd = vg_xasprintf("cp -f %s/%s %s/ && (cp -f %s/%s-wal %s/ 2>/dev/null; true)",
				 from_dir, name, to_dir, from_dir, name, to_dir);
	assert_int_equal(system(cmd), 0);
	vg_free(cmd);
}

/* Keep only the offsets of the ids: "<epoch>.<offset>" -> offsets in order. */
static void id_offsets(const char *json, char *out, size_t size)
{
	size_t o = 0;
	for (const char *p = strstr(json, "\"id\":\""); p != NULL; p = strstr(p + 1, "\"id\":\"")) {
		const char *dot = strchr(p + 6, '.');
		const char *q = strchr(p + 6, '"');
		if (dot == NULL || q == NULL || dot > q)
			continue; /* a rule id */
		o += (size_t)snprintf(out + o, size - o, "%.*s,", (int)(q - dot - 1), dot + 1);
	}
}

/*
 * kill -9 after a batch's alerts were written but before it committed: the
 * store and the queue are back at the previous checkpoint while the alert
 * files already hold the lost batch. Run `before` events to a commit, then
 * `after` events once for reference and once more from the pre-crash
 * databases: the next start must cut the files back and redo the batch,
 * giving the same alerts at the same offsets, each once.
 */
static void crash_and_replay(struct fx *f, const char *const *before, size_t nbefore,
			     const char *const *after, size_t nafter)
{
	char saved[] = "/tmp/vigie-analysis-saved-XXXXXX";
	char *qdir = vg_xasprintf("%s/queue", f->home);
	char ref[256] = "", got[256] = "";
	const int total = (int)(nbefore + nafter);

	assert_non_null(mkdtemp(saved));
	for (size_t i = 0; i < nbefore; i++)
		append_event(f, before[i]);
	run(f);
	an_pipeline_close(f->p); /* a new store was anchored even with no event */
	f->p = NULL;
	for (size_t i = 0; i < nafter; i++)
		append_event(f, after[i]);
	vg_dq_close(f->q);
	f->q = NULL;
	copy_db(qdir, saved, "alerts.db");
	copy_db(qdir, saved, "events.db");
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) { /* the crash: databases from before, files from after */
			copy_db(saved, qdir, "alerts.db");
			copy_db(saved, qdir, "events.db");
		}
		open_queue(f);
		open_pipeline(f);
		assert_int_equal(run(f), nafter);
		char *json = alerts_json(f);
		id_offsets(json, pass == 0 ? ref : got, sizeof(ref));
		assert_int_equal(vg_test_count(json, "\n"), total);
		for (size_t i = 0; i < nafter; i++) {
			char *needle = vg_xasprintf("\"path\":\"%s\"", after[i]);
			assert_int_equal(vg_test_count(json, needle), 1);
			vg_free(needle);
		}
		vg_free(json);
		if (pass == 0)
			close_all(f);
	}
	assert_string_equal(got, ref);
	assert_int_equal(stored(f), total);
	vg_test_rmtree(saved);
	vg_free(qdir);
}

static void test_analysis__replay_after_a_crash_writes_nothing_twice(void **state)
{
	static const char *const before[] = {"/srv/one"};
	static const char *const after[] = {"/srv/two", "/srv/three"};
	crash_and_replay(*state, before, 1, after, 2);
}

/* The same crash before the very first batch committed: a new store is
 * anchored at open, so the files are cut back to where they were then. */
static void test_analysis__crash_before_the_first_commit_writes_nothing_twice(void **state)
{
	static const char *const after[] = {"/srv/one", "/srv/two"};
	crash_and_replay(*state, NULL, 0, after, 2);
}

static void test_analysis__level_below_log_alert_level_is_not_written(void **state)
{
	struct fx *f = *state;
	struct an_pipeline_stats st;

	an_pipeline_close(f->p);
	f->settings.log_alert_level = 6; /* 554 is level 5 */
	open_pipeline(f);
	append_event(f, "/srv/quiet");
	run(f);
	an_pipeline_stats(f->p, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.alerts, 0);
	assert_int_equal(stored(f), 0);
}

/* A record as the agent channel writes it: source = agent id, prefixed location. */
static void append_agent(struct fx *f, const char *source, const char *location, const char *path)
{
	char *line = event_line(path);
	char *data = vg_xasprintf("%s\n%s", location, line);
	assert_int_equal(vg_dq_append(f->q, source, 0, data, strlen(data), NULL, NULL, NULL), 0);
	vg_free(data);
	vg_free(line);
}

static void test_analysis__agent_location_gives_agent_and_location(void **state)
{
	struct fx *f = *state;
	struct an_pipeline_stats st;

	append_agent(f, "001", "[001] (web1) 10.0.0.5->syscheck", "/srv/agent");
	/* a location naming another agent than the source is not believed */
	append_agent(f, "001", "[002] (db1) 10.0.0.6->syscheck", "/srv/forged");
	append_agent(f, "001", "[001] web1 10.0.0.5->syscheck", "/srv/malformed");
	assert_int_equal(run(f), 3);
	an_pipeline_stats(f->p, &st);
	assert_int_equal(st.alerts, 1);
	assert_int_equal(st.skipped, 2);
	char *json = alerts_json(f);
	assert_non_null(
	    strstr(json, "\"agent\":{\"id\":\"001\",\"name\":\"web1\",\"ip\":\"10.0.0.5\"}"));
	assert_non_null(strstr(json, "\"location\":\"syscheck\""));
	assert_non_null(strstr(json, "/srv/agent"));
	assert_null(strstr(json, "/srv/forged"));
	assert_null(strstr(json, "10.0.0.6"));
	vg_free(json);
}

static void test_analysis__agent_outbox_full_raises_99902(void **state)
{
	struct fx *f = *state;
	const char *data = "[001] (web1) 10.0.0.5->vigie-agent\nossec: Agent outbox is full: 7 "
			   "events, 99 bytes wait on the agent";

	assert_int_equal(vg_dq_append(f->q, "001", 0, data, strlen(data), NULL, NULL, NULL), 0);
	assert_int_equal(run(f), 1);
	char *json = alerts_json(f);
	assert_non_null(strstr(json, "\"level\":9"));
	assert_non_null(strstr(json, "\"id\":\"99902\""));
	assert_non_null(strstr(json, "agent_flooding"));
	assert_non_null(strstr(json, "\"location\":\"vigie-agent\""));
	vg_free(json);
}

/* Records of both inputs in one batch; the agents' marks commit with it. */
static void test_analysis__fifo_records_commit_their_marks(void **state)
{
	struct fx *f = *state;
	struct mgr_ingest *in = NULL;
	struct mgr_ingest_rec recs[2];
	char *data[2];
	uint64_t enq, dur;

	close_all(f);
	open_queue(f);
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	const struct an_pipeline_opts o = {
	    .home = f->home,
	    .settings = &f->settings,
	    .manager_name = "testhost",
	    .queue = f->q,
	    .ingest = in,
	    .rules = f->rules,
	};
	assert_int_equal(an_pipeline_open(&o, &f->p, NULL), 0);
	for (int i = 0; i < 2; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/srv/fifo%d", i);
		char *line = event_line(path);
		data[i] = vg_xasprintf("[001] (web1) 10.0.0.5->syscheck\n%s", line);
		vg_free(line);
		recs[i] = (struct mgr_ingest_rec){41 + (uint64_t)i, data[i], strlen(data[i])};
	}
	assert_int_equal(mgr_ingest_push(in, "001", recs, 2, NULL, NULL), 0);
	append_event(f, "/srv/local");
	assert_int_equal(run(f), 3);
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(dur, 42);
	char *json = alerts_json(f);
	assert_non_null(strstr(json, "/srv/fifo1"));
	assert_non_null(strstr(json, "/srv/local"));
	vg_free(json);
	/* a restart: a fresh FIFO learns the mark from the store */
	an_pipeline_close(f->p);
	f->p = NULL;
	mgr_ingest_free(in);
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	struct an_pipeline_opts o2 = o;
	o2.ingest = in;
	assert_int_equal(an_pipeline_open(&o2, &f->p, NULL), 0);
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(enq, 42);
	assert_int_equal(dur, 42);
	an_pipeline_close(f->p); /* before the FIFO it borrows */
	f->p = NULL;
	mgr_ingest_free(in);
	vg_free(data[0]);
	vg_free(data[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_analysis__a_failed_store_insert_rolls_the_batch_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__each_event_becomes_one_alert_everywhere,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__bad_records_are_skipped_not_fatal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__scan_markers_raise_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__one_mib_fields_are_handled, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_analysis__replay_after_a_crash_writes_nothing_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_analysis__crash_before_the_first_commit_writes_nothing_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_analysis__level_below_log_alert_level_is_not_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__agent_location_gives_agent_and_location,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__agent_outbox_full_raises_99902, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_analysis__fifo_records_commit_their_marks, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
