/*
 * Unit tests for src/manager/alerts_file.c: ids, the level filter, daily
 * rotation with an injected clock, hard links, gzip of the past day,
 * truncation to a recorded position, write errors (an injected write that
 * stops half-way with ENOSPC), and batching (alerts kept in memory until
 * drained, by size, rotation or close). Real files under a mkdtemp HOME;
 * TZ=UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <zlib.h>

#include "lib/mem.h"
#include "manager/alerts_file.h"
#include "support/support.h"

#define DAY10 1704891124000LL      /* 2024-01-10 12:52:04 UTC */
#define DAY10_LATE 1704931199000LL /* 2024-01-10 23:59:59 UTC */
#define DAY11 1704931201000LL      /* 2024-01-11 00:00:01 UTC */

struct t {
	char home[64];
	int64_t now_ms;
	int fail_after; /* write calls before failing; < 0: never */
	int writes;
	int calls; /* write calls, failing or not */
	struct an_fields *fl;
	struct an_event ev;
	struct an_rule_info rule;
};

static int64_t t_clock(void *ctx)
{
	return ((struct t *)ctx)->now_ms;
}

/* Writes half the bytes, then fails with ENOSPC, once fail_after writes passed. */
static ssize_t t_write(void *ctx, int fd, const void *p, size_t n)
{
	struct t *t = ctx;

	t->calls++;
	if (t->fail_after >= 0 && t->writes++ >= t->fail_after) {
		if (n > 1 && write(fd, p, n / 2) < 0)
			return -1;
		errno = ENOSPC;
		return n > 1 ? (ssize_t)(n / 2) : -1;
	}
	return write(fd, p, n);
}

static int setup(void **state)
{
	struct t *t = vg_xcalloc(1, sizeof(*t));

	snprintf(t->home, sizeof(t->home), "/tmp/vg-alerts-XXXXXX");
	assert_non_null(mkdtemp(t->home));
	t->now_ms = DAY10;
	t->fail_after = -1;
	t->fl = an_fields_new();
	assert_int_equal(an_fields_add(t->fl, "file", "/etc/passwd", NULL), 0);
	t->ev = (struct an_event){.time_ms = DAY10 + 611,
				  .agent_id = "000",
				  .agent_name = "host",
				  .location = "syscheck",
				  .full_log = "File '/etc/passwd' modified\nMode: scheduled\n",
				  .decoder = "json",
				  .fields = t->fl};
	t->rule = (struct an_rule_info){.id = 550,
					.level = 7,
					.description = "Integrity checksum changed.",
					.groups = "ossec,syscheck,pci_dss_11.5,",
					.firedtimes = 1};
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	char *cmd = vg_xasprintf("rm -rf '%s'", t->home);

	assert_int_equal(system(cmd), 0);
	vg_free(cmd);
	an_fields_free(t->fl);
	vg_free(t);
	return 0;
}

static struct an_alerts_file *open_batched(struct t *t, size_t batch_bytes)
{
	struct an_alerts_file_opts o = AN_ALERTS_FILE_OPTS_INIT;
	struct an_alerts_file *f = NULL;
	struct vg_err err = VG_ERR_INIT;

	o.home = t->home;
	o.fmt.manager_name = "mgr";
	o.clock_ms = t_clock;
	o.clock_ctx = t;
	o.write_fn = t_write;
	o.write_ctx = t;
	o.compress_inline = true;
	o.batch_bytes = batch_bytes;
	if (an_alerts_file_open(&o, &f, &err) != 0)
		fail_msg("open: %s", err.msg);
	return f;
}

static struct an_alerts_file *open_writer(struct t *t, bool json, bool log)
{
	struct an_alerts_file_opts o = AN_ALERTS_FILE_OPTS_INIT;
	struct an_alerts_file *f = NULL;
	struct vg_err err = VG_ERR_INIT;

	o.home = t->home;
	o.jsonout_output = json;
	o.alerts_log = log;
	o.fmt.manager_name = "mgr";
	o.clock_ms = t_clock;
	o.clock_ctx = t;
	o.write_fn = t_write;
	o.write_ctx = t;
	o.compress_inline = true;
	if (an_alerts_file_open(&o, &f, &err) != 0)
		fail_msg("open: %s", err.msg);
	return f;
}

static char *path(struct t *t, const char *rel)
{
	return vg_xasprintf("%s/logs/alerts/%s", t->home, rel);
}

static long long fsize(struct t *t, const char *rel)
{
	char *p = path(t, rel);
	struct stat st;
	long long r = stat(p, &st) == 0 ? (long long)st.st_size : -1;
	vg_free(p);
	return r;
}

static ino_t inode_of(struct t *t, const char *rel)
{
	char *p = path(t, rel);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	vg_free(p);
	return st.st_ino;
}

static char *slurp(struct t *t, const char *rel)
{
	char *p = path(t, rel);
	char *s = vg_test_read_file(p);
	vg_free(p);
	return s;
}

/* Every line is a JSON object; returns how many. */
static int count_json_lines(const char *text)
{
	int n = 0;
	for (const char *p = text; *p != '\0'; n++) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		json_error_t jerr;
		json_t *j = json_loadb(p, (size_t)(nl - p), 0, &jerr);
		if (j == NULL)
			fail_msg("line %d is not JSON: %s", n + 1, jerr.text);
		json_decref(j);
		p = nl + 1;
	}
	return n;
}

static struct an_alert_id write_ok(struct t *t, struct an_alerts_file *f)
{
	struct an_alert_id id;
	struct vg_err err = VG_ERR_INIT;
	if (an_alerts_file_write(f, &t->ev, &t->rule, &id, &err) != 0)
		fail_msg("write: %s", err.msg);
	return id;
}

/* ---- Ids and filter ---------------------------------------------------------- */

static void test_alerts_file__id_offset_is_alerts_log_size(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_writer(t, true, true);
	char buf[AN_ALERT_ID_MAX];

	struct an_alert_id a = write_ok(t, f);
	assert_int_equal(a.sec, DAY10 / 1000);
	assert_int_equal(a.offset, 0);
	long long log1 = fsize(t, "alerts.log");
	assert_true(log1 > 0);
	struct an_alert_id b = write_ok(t, f);
	assert_int_equal(b.offset, log1);
	/* The id inside the JSON line is the one returned; last_json is that line. */
	size_t len;
	const char *last = an_alerts_file_last_json(f, &len);
	json_t *j = json_loadb(last, len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "id")), an_alert_id_str(&b, buf));
	json_decref(j);
	an_alerts_file_close(f);

	char *log = slurp(t, "alerts.log");
	assert_true(strncmp(log, "** Alert 1704891124.0: - ossec,syscheck,pci_dss_11.5,\n", 54) ==
		    0);
	assert_int_equal(vg_test_count(log, "** Alert "), 2);
	vg_free(log);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 2);
	vg_free(json);

	/* Restart: sizes are picked up from the existing files. */
	f = open_writer(t, true, true);
	long long before = fsize(t, "alerts.log");
	assert_true(before > log1);
	assert_int_equal(write_ok(t, f).offset, before);
	an_alerts_file_close(f);
}

static void test_alerts_file__json_only_offset_and_level_filter(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_writer(t, true, false);

	struct an_alert_id a = write_ok(t, f);
	assert_int_equal(a.offset, 0);
	long long j1 = fsize(t, "alerts.json");
	assert_int_equal(write_ok(t, f).offset, j1);
	long long j2 = fsize(t, "alerts.json");
	assert_int_equal(fsize(t, "alerts.log"), -1);
	/* Below log_alert_level (3): nothing written, id {0, 0}. */
	t->rule.level = 2;
	assert_false(an_alerts_file_wants(f, 2));
	struct an_alert_id z = write_ok(t, f);
	assert_int_equal(z.sec, 0);
	assert_int_equal(z.offset, 0);
	assert_int_equal(fsize(t, "alerts.json"), j2);
	an_alerts_file_close(f);
}

/* ---- Rotation ---------------------------------------------------------------- */

static void check_gz(struct t *t, const char *rel, const char *want_prefix)
{
	char *p = path(t, rel);
	gzFile g = gzopen(p, "rb");
	char buf[4096];
	assert_non_null(g);
	int n = gzread(g, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(gzclose(g), Z_OK);
	assert_true(strncmp(buf, want_prefix, strlen(want_prefix)) == 0);
	vg_free(p);
}

static void test_alerts_file__rotates_at_midnight_and_compresses(void **state)
{
	struct t *t = *state;
	t->now_ms = DAY10_LATE;
	struct an_alerts_file *f = open_writer(t, true, true);

	write_ok(t, f);
	assert_int_equal(inode_of(t, "alerts.json"), inode_of(t, "2024/Jan/ossec-alerts-10.json"));
	assert_int_equal(inode_of(t, "alerts.log"), inode_of(t, "2024/Jan/ossec-alerts-10.log"));
	t->now_ms = DAY11;
	struct an_alert_id id = write_ok(t, f);
	assert_int_equal(id.offset, 0); /* a new day's alerts.log */
	/* Links moved to the 11th; the 10th is gzipped and its plain file gone. */
	assert_int_equal(inode_of(t, "alerts.json"), inode_of(t, "2024/Jan/ossec-alerts-11.json"));
	assert_int_equal(inode_of(t, "alerts.log"), inode_of(t, "2024/Jan/ossec-alerts-11.log"));
	assert_int_equal(fsize(t, "2024/Jan/ossec-alerts-10.json"), -1);
	assert_int_equal(fsize(t, "2024/Jan/ossec-alerts-10.log"), -1);
	assert_int_equal(fsize(t, "2024/Jan/ossec-alerts-10.json.gz.tmp"), -1);
	check_gz(t, "2024/Jan/ossec-alerts-10.json.gz",
		 "{\"timestamp\":\"2024-01-10T12:52:04.611+0000\"");
	check_gz(t, "2024/Jan/ossec-alerts-10.log.gz", "** Alert 1704891124.0:");
	an_alerts_file_close(f);
}

static void test_alerts_file__helper_thread_and_month_change(void **state)
{
	struct t *t = *state;
	struct an_alerts_file_opts o = AN_ALERTS_FILE_OPTS_INIT;
	struct an_alerts_file *f = NULL;

	t->now_ms = 1706745599000LL; /* 2024-01-31 23:59:59 */
	o.home = t->home;
	o.clock_ms = t_clock;
	o.clock_ctx = t;
	assert_int_equal(an_alerts_file_open(&o, &f, NULL), 0);
	write_ok(t, f);
	t->now_ms = 1706745600000LL; /* 2024-02-01 00:00:00 */
	write_ok(t, f);
	an_alerts_file_wait_compress(f);
	assert_int_equal(inode_of(t, "alerts.json"), inode_of(t, "2024/Feb/ossec-alerts-01.json"));
	assert_int_equal(fsize(t, "2024/Jan/ossec-alerts-31.json"), -1);
	check_gz(t, "2024/Jan/ossec-alerts-31.json.gz", "{\"timestamp\":");
	an_alerts_file_close(f);
}

static void test_alerts_file__stale_previous_day_compressed_after_first_write(void **state)
{
	struct t *t = *state;
	t->now_ms = DAY10;
	struct an_alerts_file *f = open_writer(t, true, true);
	write_ok(t, f);
	an_alerts_file_close(f);
	/* Down over midnight: the 10th is still plain when the 11th starts. */
	t->now_ms = DAY11;
	f = open_writer(t, true, true);
	assert_true(fsize(t, "2024/Jan/ossec-alerts-10.json") > 0);
	write_ok(t, f);
	assert_int_equal(fsize(t, "2024/Jan/ossec-alerts-10.json"), -1);
	check_gz(t, "2024/Jan/ossec-alerts-10.json.gz", "{\"timestamp\":");
	an_alerts_file_close(f);
}

/* ---- Recovery ------------------------------------------------------------------ */

static void test_alerts_file__truncate_to_position(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_writer(t, true, true);
	struct an_alerts_pos pos;
	struct vg_err err = VG_ERR_INIT;

	write_ok(t, f);
	assert_int_equal(an_alerts_file_flush(f, &err), 0);
	an_alerts_file_position(f, &pos);
	assert_int_equal(pos.day, 20240110);
	assert_int_equal(pos.json_size, fsize(t, "alerts.json"));
	assert_int_equal(pos.log_size, fsize(t, "alerts.log"));
	write_ok(t, f);
	write_ok(t, f);
	an_alerts_file_close(f);

	/* Restart: the two alerts after the position are cut; ids continue from it. */
	f = open_writer(t, true, true);
	assert_int_equal(an_alerts_file_truncate_to(f, &pos, &err), 0);
	assert_int_equal(fsize(t, "alerts.json"), pos.json_size);
	assert_int_equal(fsize(t, "alerts.log"), pos.log_size);
	assert_int_equal(write_ok(t, f).offset, pos.log_size);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 2);
	vg_free(json);
	an_alerts_file_close(f);
}

static void test_alerts_file__truncate_to_earlier_day(void **state)
{
	struct t *t = *state;
	struct an_alerts_pos pos;
	t->now_ms = DAY10_LATE;
	struct an_alerts_file *f = open_writer(t, true, true);
	write_ok(t, f);
	an_alerts_file_position(f, &pos);
	t->now_ms = DAY11;
	write_ok(t, f);
	an_alerts_file_close(f);

	f = open_writer(t, true, true);
	assert_int_equal(an_alerts_file_truncate_to(f, &pos, NULL), 0);
	/* All of the 11th came after the position; the 10th is compressed and kept. */
	assert_int_equal(fsize(t, "alerts.json"), 0);
	assert_int_equal(fsize(t, "alerts.log"), 0);
	assert_true(fsize(t, "2024/Jan/ossec-alerts-10.json.gz") > 0);
	assert_int_equal(write_ok(t, f).offset, 0);
	an_alerts_file_close(f);
}

/* ---- Batching ------------------------------------------------------------------- */

static void assert_pos_equal(const struct an_alerts_pos *a, const struct an_alerts_pos *b)
{
	assert_int_equal(a->day, b->day);
	assert_int_equal(a->json_size, b->json_size);
	assert_int_equal(a->log_size, b->log_size);
}

static void assert_files_at(struct t *t, const struct an_alerts_pos *pos)
{
	assert_int_equal(fsize(t, "alerts.json"), pos->json_size);
	assert_int_equal(fsize(t, "alerts.log"), pos->log_size);
}

static void test_alerts_file__batch_keeps_alerts_until_drained(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_batched(t, 1u << 20);
	struct an_alerts_pos pos;
	struct vg_err err = VG_ERR_INIT;
	char buf[AN_ALERT_ID_MAX];

	struct an_alert_id a = write_ok(t, f);
	an_alerts_file_position(f, &pos);
	struct an_alert_id b = write_ok(t, f);
	/* Nothing written yet, but ids and the position count the kept alerts. */
	assert_int_equal(t->calls, 0);
	assert_int_equal(fsize(t, "alerts.json"), 0);
	assert_int_equal(a.offset, 0);
	assert_int_equal(b.offset, pos.log_size);
	size_t len;
	const char *last = an_alerts_file_last_json(f, &len);
	json_t *j = json_loadb(last, len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "id")), an_alert_id_str(&b, buf));
	json_decref(j);
	/* One drain: one write(2) per file, and the files are where position said. */
	an_alerts_file_position(f, &pos);
	assert_int_equal(an_alerts_file_drain(f, &err), 0);
	assert_int_equal(t->calls, 2);
	assert_files_at(t, &pos);
	assert_int_equal(an_alerts_file_drain(f, &err), 0); /* nothing kept: no write */
	assert_int_equal(t->calls, 2);
	/* Kept alerts are written by close. */
	write_ok(t, f);
	an_alerts_file_position(f, &pos);
	an_alerts_file_close(f);
	assert_files_at(t, &pos);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 3);
	vg_free(json);
}

static void test_alerts_file__batch_drains_whole_alerts_at_its_size(void **state)
{
	struct t *t = *state;
	struct an_alerts_pos one, pos;

	/* How big one alert is, both files together. */
	struct an_alerts_file *f = open_batched(t, 1u << 20);
	write_ok(t, f);
	an_alerts_file_position(f, &one);
	an_alerts_file_close(f);
	size_t alert = (size_t)(one.json_size + one.log_size);

	/* A batch of 2.5 alerts: the third write sends three alerts in one write per file. */
	f = open_batched(t, alert * 5 / 2);
	t->calls = 0;
	write_ok(t, f);
	write_ok(t, f);
	assert_int_equal(t->calls, 0);
	write_ok(t, f);
	assert_int_equal(t->calls, 2);
	an_alerts_file_position(f, &pos);
	assert_files_at(t, &pos);
	an_alerts_file_close(f);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 4);
	vg_free(json);
	char *log = slurp(t, "alerts.log");
	assert_int_equal(vg_test_count(log, "** Alert "), 4);
	vg_free(log);
}

static void test_alerts_file__failed_drain_keeps_alerts_and_whole_files(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_batched(t, 1u << 20);
	struct an_alerts_pos pos, kept;
	struct vg_err err = VG_ERR_INIT;

	write_ok(t, f);
	assert_int_equal(an_alerts_file_drain(f, &err), 0);
	an_alerts_file_position(f, &pos);
	write_ok(t, f);
	write_ok(t, f);
	an_alerts_file_position(f, &kept);
	/* alerts.log goes through, alerts.json stops half-way: both are cut back. */
	t->writes = 0;
	t->fail_after = 1;
	assert_int_not_equal(an_alerts_file_drain(f, &err), 0);
	assert_non_null(strstr(err.msg, "ossec-alerts-10.json: write"));
	assert_files_at(t, &pos);
	struct an_alerts_pos after;
	an_alerts_file_position(f, &after);
	assert_pos_equal(&after, &kept);
	/* Space again: the kept alerts land whole. */
	t->fail_after = -1;
	assert_int_equal(an_alerts_file_drain(f, &err), 0);
	assert_files_at(t, &kept);
	an_alerts_file_close(f);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 3);
	vg_free(json);
}

static void test_alerts_file__failed_write_drops_only_its_alert(void **state)
{
	struct t *t = *state;
	struct an_alerts_pos one, pos;
	struct an_alert_id id;
	struct vg_err err = VG_ERR_INIT;

	struct an_alerts_file *f = open_batched(t, 1u << 20);
	write_ok(t, f);
	an_alerts_file_position(f, &one);
	an_alerts_file_close(f);
	size_t alert = (size_t)(one.json_size + one.log_size);

	/* The second alert fills the batch and its drain fails. */
	f = open_batched(t, alert * 3 / 2);
	write_ok(t, f);
	an_alerts_file_position(f, &pos);
	t->writes = 0;
	t->fail_after = 0;
	assert_int_not_equal(an_alerts_file_write(f, &t->ev, &t->rule, &id, &err), 0);
	assert_int_equal(id.offset, 0);
	assert_files_at(t, &one);
	struct an_alerts_pos after;
	an_alerts_file_position(f, &after);
	assert_pos_equal(&after, &pos);
	/* The retry drains the kept alert first, then lands where the failed one would have. */
	t->fail_after = -1;
	assert_int_equal(write_ok(t, f).offset, pos.log_size);
	an_alerts_file_close(f);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 3);
	vg_free(json);
}

static void test_alerts_file__truncate_to_among_kept_alerts(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_batched(t, 1u << 20);
	struct an_alerts_pos first, pos;
	struct vg_err err = VG_ERR_INIT;

	write_ok(t, f);
	assert_int_equal(an_alerts_file_drain(f, &err), 0);
	write_ok(t, f);
	an_alerts_file_position(f, &first);
	write_ok(t, f);
	/* Cut among the kept alerts: the third is dropped, the files are untouched. */
	t->calls = 0;
	assert_int_equal(an_alerts_file_truncate_to(f, &first, &err), 0);
	an_alerts_file_position(f, &pos);
	assert_pos_equal(&pos, &first);
	assert_int_equal(t->calls, 0);
	assert_int_equal(write_ok(t, f).offset, first.log_size);
	an_alerts_file_close(f);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 3);
	vg_free(json);
}

static void test_alerts_file__rotation_drains_into_the_old_day(void **state)
{
	struct t *t = *state;
	t->now_ms = DAY10_LATE;
	struct an_alerts_file *f = open_batched(t, 1u << 20);
	write_ok(t, f);
	t->now_ms = DAY11;
	write_ok(t, f);
	/* The 10th got its kept alert before it was compressed. */
	assert_true(fsize(t, "2024/Jan/ossec-alerts-10.json.gz") > 0);
	assert_int_equal(fsize(t, "alerts.json"), 0);
	an_alerts_file_close(f);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 1);
	vg_free(json);
}

/* ---- Errors -------------------------------------------------------------------- */

static void test_alerts_file__enospc_cuts_back_partial_writes(void **state)
{
	struct t *t = *state;
	struct an_alerts_file *f = open_writer(t, true, true);
	struct an_alert_id id;
	struct vg_err err = VG_ERR_INIT;

	write_ok(t, f);
	long long j = fsize(t, "alerts.json"), l = fsize(t, "alerts.log");
	/* The log block fails half-way. */
	t->writes = 0;
	t->fail_after = 0;
	assert_int_not_equal(an_alerts_file_write(f, &t->ev, &t->rule, &id, &err), 0);
	assert_non_null(strstr(err.msg, "ossec-alerts-10.log: write"));
	assert_non_null(strstr(err.msg, "No space left"));
	assert_int_equal(fsize(t, "alerts.json"), j);
	assert_int_equal(fsize(t, "alerts.log"), l);
	/* The log block goes through, the JSON line fails: both are cut back. */
	t->writes = 0;
	t->fail_after = 1;
	vg_err_clear(&err);
	assert_int_not_equal(an_alerts_file_write(f, &t->ev, &t->rule, &id, &err), 0);
	assert_non_null(strstr(err.msg, "ossec-alerts-10.json: write"));
	assert_int_equal(fsize(t, "alerts.json"), j);
	assert_int_equal(fsize(t, "alerts.log"), l);
	/* Space again: the retry lands where the failed alert would have. */
	t->fail_after = -1;
	assert_int_equal(write_ok(t, f).offset, l);
	an_alerts_file_close(f);
	char *json = slurp(t, "alerts.json");
	assert_int_equal(count_json_lines(json), 2);
	vg_free(json);
}

static void test_alerts_file__unwritable_directory_is_named(void **state)
{
	struct t *t = *state;
	struct an_alerts_file_opts o = AN_ALERTS_FILE_OPTS_INIT;
	struct an_alerts_file *f = (struct an_alerts_file *)&o;
	struct vg_err err = VG_ERR_INIT;
	char *logs = vg_xasprintf("%s/logs", t->home);
	char *alerts = vg_xasprintf("%s/logs/alerts", t->home);

	/* A file where the directory should be (works as root, unlike chmod). */
	assert_int_equal(mkdir(logs, 0750), 0);
	FILE *fp = fopen(alerts, "w");
	assert_non_null(fp);
	fclose(fp);
	o.home = t->home;
	assert_int_not_equal(an_alerts_file_open(&o, &f, &err), 0);
	assert_null(f);
	assert_non_null(strstr(err.msg, alerts));
	vg_free(logs);
	vg_free(alerts);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_alerts_file__id_offset_is_alerts_log_size, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__json_only_offset_and_level_filter,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__rotates_at_midnight_and_compresses,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__helper_thread_and_month_change, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_alerts_file__stale_previous_day_compressed_after_first_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__truncate_to_position, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__truncate_to_earlier_day, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__batch_keeps_alerts_until_drained,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__batch_drains_whole_alerts_at_its_size,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_alerts_file__failed_drain_keeps_alerts_and_whole_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__failed_write_drops_only_its_alert,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__truncate_to_among_kept_alerts, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__rotation_drains_into_the_old_day,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__enospc_cuts_back_partial_writes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts_file__unwritable_directory_is_named, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
