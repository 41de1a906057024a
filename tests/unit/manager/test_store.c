/* Unit tests for src/manager/store.c: the SQLite alert store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/mem.h"
#include "manager/store.h"

#define GROUPS_554 "ossec,syscheck,syscheck_entry_added,syscheck_file,pci_dss_11.5,gpg13_4.11,"

struct fixture {
	char dir[64];
	char db[128];
	struct store *w;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/alerts.db", f->dir);
	if (store_open(f->db, &f->w, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	store_close(f->w);
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", f->db, sfx[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/ro", f->dir);
	rmdir(p);
	rmdir(f->dir);
	vg_free(f);
	return 0;
}

/* A distinctive alert number i; strings live in the caller's buffers. */
struct alert_buf {
	char id[32];
	char path[64];
	char md5[33];
	char sha1[41];
	char sha256[65];
	char json[128];
	struct store_alert a;
};

static void make_alert(struct alert_buf *b, int i, int64_t time_ms)
{
	snprintf(b->id, sizeof(b->id), "%lld.%d", (long long)(time_ms / 1000), 1000 + i);
	snprintf(b->path, sizeof(b->path), "/srv/%s/file%d", i % 2 ? "odd" : "even", i);
	snprintf(b->md5, sizeof(b->md5), "%032x", i);
	snprintf(b->sha1, sizeof(b->sha1), "%040x", i + 100000);
	snprintf(b->sha256, sizeof(b->sha256), "%064x", i + 200000);
	snprintf(b->json, sizeof(b->json), "{\"id\":\"%s\",\"n\":%d}", b->id, i);
	b->a = (struct store_alert){
	    .id = b->id,
	    .time_ms = time_ms,
	    .rule_id = i % 3 == 0 ? 554 : 550,
	    .level = (unsigned)(3 + i % 5),
	    .agent_id = i % 4 == 0 ? "000" : "001",
	    .agent_name = "host",
	    .decoder = "syscheck_new_entry",
	    .location = "syscheck",
	    .description = i % 3 == 0 ? "File added to the system." : "Integrity checksum changed.",
	    .path = b->path,
	    .md5 = b->md5,
	    .sha1 = b->sha1,
	    .sha256 = b->sha256,
	    .groups = i % 2 ? GROUPS_554 : "ossec,syscheck,",
	    .json = b->json,
	};
}

static void add_ok(struct store *w, const struct store_alert *a, bool expect_added)
{
	struct vg_err err = VG_ERR_INIT;
	bool added = !expect_added;
	if (store_add(w, a, &added, &err) != 0)
		fail_msg("store_add: %s", err.msg);
	assert_int_equal(added, expect_added);
}

/* Add n alerts numbered from first, one per second from t0, and commit. */
static void add_batch(struct store *w, int first, int n, int64_t t0, uint64_t seq)
{
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;
	assert_int_equal(store_begin(w, &err), 0);
	for (int i = first; i < first + n; i++) {
		make_alert(&b, i, t0 + (int64_t)i * 1000);
		add_ok(w, &b.a, true);
	}
	if (store_commit(w, seq, "json=1;log=2", &err) != 0)
		fail_msg("store_commit: %s", err.msg);
}

static struct store_reader *reader_ok(const char *path)
{
	struct store_reader *r = NULL;
	struct vg_err err = VG_ERR_INIT;
	if (store_reader_open(path, &r, &err) != 0)
		fail_msg("store_reader_open: %s", err.msg);
	return r;
}

static uint64_t count_ok(struct store_reader *r, const struct store_filter *f)
{
	struct vg_err err = VG_ERR_INIT;
	uint64_t n = 0;
	if (store_count(r, f, &n, &err) != 0)
		fail_msg("store_count: %s", err.msg);
	return n;
}

/* Collects ids and times of the rows a query hands out. */
struct rows {
	size_t n;
	char id[64][32];
	int64_t time[64];
	char path[64][64];
};

static int collect(void *ctx, const struct store_alert *a)
{
	struct rows *r = ctx;
	if (r->n < 64) {
		snprintf(r->id[r->n], sizeof(r->id[0]), "%s", a->id);
		snprintf(r->path[r->n], sizeof(r->path[0]), "%s", a->path ? a->path : "");
		r->time[r->n] = a->time_ms;
	}
	r->n++;
	return 0;
}

static void query_ok(struct store_reader *r, const struct store_filter *f, struct rows *out,
		     struct store_cursor *next)
{
	struct vg_err err = VG_ERR_INIT;
	memset(out, 0, sizeof(*out));
	if (store_query(r, f, collect, out, next, &err) != 0)
		fail_msg("store_query: %s", err.msg);
}

/* i of an id made by make_alert ("<epoch>.<1000 + i>"). */
static int alert_no(const char *id)
{
	const char *dot = strchr(id, '.');
	assert_non_null(dot);
	return (int)strtol(dot + 1, NULL, 10) - 1000;
}

static void test_store__batch_and_checkpoint_commit_together(void **state)
{
	struct fixture *f = *state;
	struct store_filter all = STORE_FILTER_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;
	uint64_t seq = 99;
	char *pos = NULL;

	/* a new store: checkpoint 0, "" */
	assert_int_equal(store_checkpoint(f->w, &seq, &pos, &err), 0);
	assert_int_equal(seq, 0);
	assert_string_equal(pos, "");
	vg_free(pos);

	add_batch(f->w, 0, 3, 1700000000000, 42);
	/* a batch rolled back leaves neither its alerts nor its checkpoint */
	assert_int_equal(store_begin(f->w, &err), 0);
	make_alert(&b, 10, 1700000100000);
	add_ok(f->w, &b.a, true);
	store_rollback(f->w);
	/* a failing commit rolls back too: an alert without json */
	assert_int_equal(store_begin(f->w, &err), 0);
	make_alert(&b, 11, 1700000100000);
	add_ok(f->w, &b.a, true);
	b.a.json = NULL;
	assert_int_equal(store_add(f->w, &b.a, NULL, &err), VG_EINTERNAL);
	store_rollback(f->w);

	store_close(f->w);
	assert_int_equal(store_open(f->db, &f->w, &err), 0);
	assert_int_equal(store_checkpoint(f->w, &seq, &pos, &err), 0);
	assert_int_equal(seq, 42);
	assert_string_equal(pos, "json=1;log=2");
	vg_free(pos);
	struct store_reader *r = reader_ok(f->db);
	assert_int_equal(count_ok(r, &all), 3);
	store_reader_close(r);
}

static void test_store__duplicate_alert_id_is_ignored(void **state)
{
	struct fixture *f = *state;
	struct store_filter all = STORE_FILTER_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;

	add_batch(f->w, 0, 2, 1700000000000, 1);
	/* the replay after a crash: same ids, other contents */
	assert_int_equal(store_begin(f->w, &err), 0);
	make_alert(&b, 1, 1700000001000);
	b.a.description = "changed";
	b.a.groups = "replayed,";
	add_ok(f->w, &b.a, false);
	make_alert(&b, 2, 1700000002000);
	add_ok(f->w, &b.a, true);
	assert_int_equal(store_commit(f->w, 2, NULL, &err), 0);

	struct store_reader *r = reader_ok(f->db);
	assert_int_equal(count_ok(r, &all), 3);
	struct store_filter g = STORE_FILTER_INIT;
	g.group = "replayed";
	assert_int_equal(count_ok(r, &g), 0);
	struct store_filter t = STORE_FILTER_INIT;
	t.text = "changed";
	assert_int_equal(count_ok(r, &t), 2); /* "Integrity checksum changed." x2 */
	store_reader_close(r);
}

static void test_store__each_filter_selects_its_rows(void **state)
{
	struct fixture *f = *state;
	const int64_t t0 = 1700000000000;
	add_batch(f->w, 0, 24, t0, 24);
	struct store_reader *r = reader_ok(f->db);
	struct store_filter fl = STORE_FILTER_INIT;
	struct alert_buf b;
	struct rows rows;

	assert_int_equal(count_ok(r, &fl), 24);
	fl.since_ms = t0 + 5000;
	fl.until_ms = t0 + 10000;
	assert_int_equal(count_ok(r, &fl), 5); /* 5..9 */
	query_ok(r, &fl, &rows, NULL);
	assert_int_equal(rows.n, 5);
	assert_int_equal(rows.time[0], t0 + 9000); /* newest first */

	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.rule_id = 554;
	assert_int_equal(count_ok(r, &fl), 8); /* i % 3 == 0 */
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.min_level = 7;
	assert_int_equal(count_ok(r, &fl), 4); /* 3 + i % 5 >= 7: i % 5 == 4 */
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.agent_id = "000";
	assert_int_equal(count_ok(r, &fl), 6);
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.group = "pci_dss_11.5";
	assert_int_equal(count_ok(r, &fl), 12);
	fl.group = "syscheck";
	assert_int_equal(count_ok(r, &fl), 24);
	fl.group = "sys"; /* whole group names only */
	assert_int_equal(count_ok(r, &fl), 0);

	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.path_prefix = "/srv/odd/";
	assert_int_equal(count_ok(r, &fl), 12);
	fl.path_prefix = "/srv/even/file1"; /* file10, file12... file22 */
	assert_int_equal(count_ok(r, &fl), 5);
	fl.path_prefix = "/srv/%"; /* no LIKE wildcard */
	assert_int_equal(count_ok(r, &fl), 0);
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.path = "/srv/odd/file7";
	query_ok(r, &fl, &rows, NULL);
	assert_int_equal(rows.n, 1);
	assert_int_equal(alert_no(rows.id[0]), 7);
	fl.path = "/srv/odd/file"; /* exact, not a prefix */
	assert_int_equal(count_ok(r, &fl), 0);

	make_alert(&b, 7, 0);
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.hash = b.md5;
	query_ok(r, &fl, &rows, NULL);
	assert_int_equal(rows.n, 1);
	assert_string_equal(rows.path[0], "/srv/odd/file7");
	fl.hash = b.sha1;
	assert_int_equal(count_ok(r, &fl), 1);
	char upper[65];
	for (size_t i = 0; i < sizeof(upper); i++)
		upper[i] = (char)(b.sha256[i] >= 'a' ? b.sha256[i] - 32 : b.sha256[i]);
	fl.hash = upper; /* case does not matter */
	assert_int_equal(count_ok(r, &fl), 1);
	struct vg_err err = VG_ERR_INIT;
	uint64_t n = 0;
	fl.hash = "abc";
	assert_int_equal(store_count(r, &fl, &n, &err), VG_EPARSE);

	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.text = "FILE ADDED";
	assert_int_equal(count_ok(r, &fl), 8);
	fl.text = "100%";
	assert_int_equal(count_ok(r, &fl), 0);

	/* combined */
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.rule_id = 554;
	fl.agent_id = "000";
	fl.group = "ossec";
	assert_int_equal(count_ok(r, &fl), 2); /* i % 12 == 0: 0, 12 */
	store_reader_close(r);
}

static void test_store__paging_walks_every_row_once_newest_first(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;

	/* 25 alerts, several in the same millisecond */
	assert_int_equal(store_begin(f->w, &err), 0);
	for (int i = 0; i < 25; i++) {
		make_alert(&b, i, 1700000000000 + (i / 3) * 1000);
		add_ok(f->w, &b.a, true);
	}
	assert_int_equal(store_commit(f->w, 25, "", &err), 0);

	struct store_reader *r = reader_ok(f->db);
	struct store_filter fl = STORE_FILTER_INIT;
	struct store_cursor next;
	struct rows page;
	char seen[25] = {0};
	size_t total = 0;
	int64_t last_time = INT64_MAX;
	fl.limit = 10;
	for (int p = 0; p < 4; p++) {
		query_ok(r, &fl, &page, &next);
		for (size_t i = 0; i < page.n; i++) {
			int n = alert_no(page.id[i]);
			assert_true(n >= 0 && n < 25);
			assert_int_equal(seen[n], 0);
			seen[n] = 1;
			assert_true(page.time[i] <= last_time);
			last_time = page.time[i];
		}
		total += page.n;
		if (page.n == 0)
			break;
		fl.after = next;
	}
	assert_int_equal(total, 25);
	store_reader_close(r);
}

/* The single number a raw SQL query gives (reads the store's tables directly). */
static int64_t raw_count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_store__prune_deletes_old_alerts_and_their_groups(void **state)
{
	struct fixture *f = *state;
	const int64_t t0 = 1700000000000;
	struct vg_err err = VG_ERR_INIT;
	uint64_t deleted = 0;

	add_batch(f->w, 0, 10, t0, 10);
	assert_int_equal(store_prune(f->w, t0 + 4000, &deleted, &err), 0);
	assert_int_equal(deleted, 4);
	struct store_reader *r = reader_ok(f->db);
	struct store_filter fl = STORE_FILTER_INIT;
	assert_int_equal(count_ok(r, &fl), 6);
	fl.group = "ossec";
	assert_int_equal(count_ok(r, &fl), 6);
	fl.group = "pci_dss_11.5"; /* odd ones of 4..9 */
	assert_int_equal(count_ok(r, &fl), 3);
	store_reader_close(r);
	/*
	 * their keys went with them: 2 per remaining alert (the path's, and one
	 * for the three digests, whose first 16 hex digits are all 0 here)
	 */
	assert_int_equal(raw_count(f->db, "SELECT count(*) FROM alert_key"), 6 * 2);
	/* nothing left to prune: 0, not an error */
	assert_int_equal(store_prune(f->w, t0 + 4000, &deleted, &err), 0);
	assert_int_equal(deleted, 0);
	/* not inside a batch */
	assert_int_equal(store_begin(f->w, &err), 0);
	assert_int_equal(store_prune(f->w, t0, &deleted, &err), VG_EINTERNAL);
	store_rollback(f->w);
}

static void test_store__reader_sees_committed_batches_only(void **state)
{
	struct fixture *f = *state;
	struct store_reader *r = reader_ok(f->db);
	struct store_filter all = STORE_FILTER_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;
	char *json = NULL;

	assert_int_equal(count_ok(r, &all), 0);
	assert_int_equal(store_begin(f->w, &err), 0);
	make_alert(&b, 1, 1700000000000);
	add_ok(f->w, &b.a, true);
	assert_int_equal(count_ok(r, &all), 0);
	assert_int_equal(store_get(r, b.id, &json, &err), VG_ENOTFOUND);
	assert_int_equal(store_commit(f->w, 1, NULL, &err), 0);
	assert_int_equal(count_ok(r, &all), 1);
	vg_err_clear(&err);
	assert_int_equal(store_get(r, b.id, &json, &err), 0);
	assert_string_equal(json, b.json);
	vg_free(json);
	store_reader_close(r);
}

/* What a follower saw: rows handed to it and the heads its want judged. */
struct followed {
	size_t n, heads;
	int64_t row[16];
	char id[16][32];
	bool head_had_json; /* a head carried a column it should not */
	int64_t stop_at;    /* fn stops at this row (0: never) */
};

static bool want_level_5(void *ctx, const struct store_alert *head)
{
	struct followed *fo = ctx;
	fo->heads++;
	if (head->json != NULL || head->path != NULL || head->sha256 != NULL)
		fo->head_had_json = true;
	return head->level == 5 && head->groups != NULL && strstr(head->groups, "syscheck") != NULL;
}

static int follow_one(void *ctx, int64_t row, const struct store_alert *a)
{
	struct followed *fo = ctx;
	if (row == fo->stop_at)
		return 1;
	assert_true(fo->n < 16);
	assert_non_null(a->json); /* whole rows */
	fo->row[fo->n] = row;
	snprintf(fo->id[fo->n++], sizeof(fo->id[0]), "%s", a->id);
	return 0;
}

static void follow_ok(struct store_reader *r, struct store_follow *sf, struct followed *fo)
{
	struct vg_err err = VG_ERR_INIT;
	if (store_follow(r, sf, follow_one, fo, &err) != 0)
		fail_msg("store_follow: %s", err.msg);
}

static void test_store__follow_hands_wanted_rows_in_order(void **state)
{
	struct fixture *f = *state;
	struct store_reader *r = reader_ok(f->db);
	struct store_follow all = {.after = 0, .limit = 4};
	struct followed fo = {0};
	struct alert_buf b;

	follow_ok(r, &all, &fo); /* empty store */
	assert_int_equal(all.last_row, 0);
	assert_int_equal(all.seen, 0);
	assert_int_equal(all.through, 0);
	add_batch(f->w, 0, 10, 1700000000000, 1); /* levels 3,4,5,6,7,3,...: 5 at i = 2, 7 */
	follow_ok(r, &all, &fo);
	assert_int_equal(all.last_row, 10);
	assert_int_equal(all.seen, 4); /* the limit: there may be more */
	assert_int_equal(all.through, 4);
	assert_int_equal(fo.n, 4);
	make_alert(&b, 0, 1700000000000);
	assert_string_equal(fo.id[0], b.id);
	assert_int_equal(fo.row[3], 4);

	/* heads first: only the wanted rows are read whole, the others skipped */
	struct store_follow want = {.after = 1, .limit = 100, .want = want_level_5};
	memset(&fo, 0, sizeof(fo));
	follow_ok(r, &want, &fo);
	assert_int_equal(fo.heads, 9);
	assert_false(fo.head_had_json);
	assert_int_equal(fo.n, 2);
	assert_int_equal(fo.row[0], 3); /* i = 2 */
	assert_int_equal(fo.row[1], 8); /* i = 7 */
	make_alert(&b, 7, 1700000000000 + 7000);
	assert_string_equal(fo.id[1], b.id);
	assert_int_equal(want.seen, 9);
	assert_int_equal(want.through, 10); /* skipped rows move the position too */

	/* fn stopping at a row: the position stays before it */
	struct store_follow stop = {.after = 0, .limit = 100, .want = want_level_5};
	memset(&fo, 0, sizeof(fo));
	fo.stop_at = 8;
	follow_ok(r, &stop, &fo);
	assert_int_equal(fo.n, 1);
	assert_int_equal(stop.through, 7);
	assert_int_equal(stop.seen, 7);

	/* a position above the last row: retention emptied and refilled the store */
	struct store_follow above = {.after = 50, .limit = 100};
	memset(&fo, 0, sizeof(fo));
	follow_ok(r, &above, &fo);
	assert_int_equal(above.seen, 0);
	assert_int_equal(above.through, 50);
	assert_int_equal(above.last_row, 10);
	store_reader_close(r);
}

static bool class_level_5(void *ctx, const struct store_alert *c)
{
	struct followed *fo = ctx;
	fo->heads++; /* here: classes judged */
	if (c->json != NULL || c->agent_id != NULL || c->location != NULL || c->time_ms != 0)
		fo->head_had_json = true; /* a class has no row's fields */
	return c->level == 5;
}

static bool class_none(void *ctx, const struct store_alert *c)
{
	(void)ctx;
	(void)c;
	return false;
}

/* Rows of refused rule classes are passed over in SQLite: the follower sees
 * each class once and only its classes' rows, and its position still moves
 * past everything examined. */
static void test_store__follow_by_rule_class(void **state)
{
	struct fixture *f = *state;
	struct store_reader *r = reader_ok(f->db);
	struct followed fo = {0};

	/* 40 alerts of 20 rule classes (2 rule ids, 5 levels, 2 group lists);
	 * level 5 every fifth, from i = 2: rows 3, 8, ..., 38 */
	add_batch(f->w, 0, 40, 1700000000000, 1);
	struct store_follow cls = {.after = 0, .limit = 100, .classes = class_level_5};
	follow_ok(r, &cls, &fo);
	assert_int_equal(fo.heads, 20); /* each class judged once, not each row */
	assert_false(fo.head_had_json);
	assert_int_equal(fo.n, 8);
	for (size_t k = 0; k < fo.n; k++)
		assert_int_equal(fo.row[k], 3 + 5 * (int64_t)k);
	assert_int_equal(cls.seen, 8);
	assert_int_equal(cls.through, 40);

	/* one row a call: the position stops at the row handed while there may be more */
	struct store_follow one = {.after = 0, .limit = 1, .classes = class_level_5};
	memset(&fo, 0, sizeof(fo));
	for (int k = 0; k <= 8; k++) {
		follow_ok(r, &one, &fo);
		assert_int_equal(one.seen, k < 8 ? 1 : 0);
		assert_int_equal(one.through, k < 8 ? 3 + 5 * k : 40);
		one.after = one.through;
	}
	assert_int_equal(fo.n, 8);

	/* no class wanted: nothing handed, everything passed */
	struct store_follow none = {.after = 0, .limit = 100, .classes = class_none};
	memset(&fo, 0, sizeof(fo));
	follow_ok(r, &none, &fo);
	assert_int_equal(fo.n, 0);
	assert_int_equal(none.seen, 0);
	assert_int_equal(none.through, 40);
	store_reader_close(r);
}

static void test_store__alert_from_pipeline_records(void **state)
{
	(void)state;
	struct an_rule_info rule = {
	    .id = 554, .level = 5, .description = "File added", .groups = GROUPS_554};
	struct an_event ev = {.time_ms = 1704891124611,
			      .agent_id = "000",
			      .agent_name = "h",
			      .location = "syscheck",
			      .decoder = "syscheck_new_entry"};
	struct store_alert a;

	ev.syscheck = "{}"; /* the store reads ev.fim, not the text */
	ev.syscheck_len = 2;
	ev.fim = (struct an_fim_keys){
	    "/root/TestEICAR.txt", "69630e4574ec6798239b091cda43dca0",
	    "cf8bd9dfddff007f75adf4c2be48005cea317c62",
	    "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"};
	store_alert_from(&a, "1.2", "{}", 2, &ev, &rule);
	assert_string_equal(a.path, "/root/TestEICAR.txt");
	assert_string_equal(a.sha256 + 60, "8267");
	assert_int_equal(a.rule_id, 554);
	assert_int_equal(a.time_ms, 1704891124611);
	assert_string_equal(a.groups, GROUPS_554);

	ev.syscheck = NULL;
	ev.fim = (struct an_fim_keys){NULL, NULL, NULL, NULL};
	ev.data = json_pack("{s:{s:{s:s, s:s, s:s}}}", "virustotal", "source", "file", "/tmp/x",
			    "md5", "69630e4574ec6798239b091cda43dca0", "sha1",
			    "cf8bd9dfddff007f75adf4c2be48005cea317c62");
	store_alert_from(&a, "1.3", "{}", 2, &ev, &rule);
	assert_string_equal(a.path, "/tmp/x");
	assert_string_equal(a.md5, "69630e4574ec6798239b091cda43dca0");
	assert_null(a.sha256);
	json_decref(ev.data);
}

static void test_store__bad_paths_give_clear_errors(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct store_reader *r = NULL;
	struct vg_err err = VG_ERR_INIT;
	char p[160];

	snprintf(p, sizeof(p), "%s/nodir/alerts.db", f->dir);
	assert_int_equal(store_open(p, &s, &err), VG_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err.msg, "nodir"));
	snprintf(p, sizeof(p), "%s/none.db", f->dir);
	vg_err_clear(&err);
	assert_int_equal(store_reader_open(p, &r, &err), VG_ENOTFOUND);
	assert_null(r);
	/* a file that is no SQLite database */
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	for (int i = 0; i < 100; i++)
		fputs("{\"not\":\"a database\"}\n", fp);
	fclose(fp);
	vg_err_clear(&err);
	assert_int_equal(store_open(p, &s, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "none.db"));
	unlink(p);
}

/* Root ignores file modes: a read-only tmpfs in a private mount namespace. */
static void test_store__read_only_file_system_is_eperm(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct vg_err err = VG_ERR_INIT;
	char mnt[128], p[160];

	snprintf(mnt, sizeof(mnt), "%s/ro", f->dir);
	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		print_message("skipped: needs root and mount namespaces\n");
		skip();
	}
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", MS_RDONLY, "size=64k") != 0) {
		print_message("skipped: cannot mount tmpfs\n");
		skip();
	}
	snprintf(p, sizeof(p), "%s/alerts.db", mnt);
	assert_int_equal(store_open(p, &s, &err), VG_EPERM);
	assert_null(s);
	assert_non_null(strstr(err.msg, p));
	umount(mnt);
}

/* Keys live in partitions of 8192 alerts: lookups must find every partition's. */
static void test_store__path_and_hash_lookups_span_key_partitions(void **state)
{
	struct fixture *f = *state;
	const int n = 8192 + 300;
	const int64_t t0 = 1700000000000;
	struct vg_err err = VG_ERR_INIT;
	struct store_filter fl = STORE_FILTER_INIT;
	struct alert_buf b;
	struct rows rows;

	assert_int_equal(store_begin(f->w, &err), 0);
	for (int i = 0; i < n; i++) {
		make_alert(&b, i, t0 + i);
		b.a.json = "{}";
		add_ok(f->w, &b.a, true);
	}
	assert_int_equal(store_commit(f->w, 1, NULL, &err), 0);
	assert_true(raw_count(f->db, "SELECT count(*) FROM key_part") >= 2);
	/* vg_db_opts.page_size reached the new file (set before WAL mode) */
	assert_int_equal(raw_count(f->db, "PRAGMA page_size"), 65536);
	struct store_reader *r = reader_ok(f->db);
	const int probe[] = {0, 5, 8191, 8192, n - 1};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		make_alert(&b, probe[i], 0);
		fl = (struct store_filter)STORE_FILTER_INIT;
		fl.path = b.path;
		query_ok(r, &fl, &rows, NULL);
		assert_int_equal(rows.n, 1);
		assert_int_equal(alert_no(rows.id[0]), probe[i]);
		fl.path = NULL;
		fl.hash = b.sha256; /* every sha256 here shares its first 16 digits: re-checked */
		query_ok(r, &fl, &rows, NULL);
		assert_int_equal(rows.n, 1);
		assert_int_equal(alert_no(rows.id[0]), probe[i]);
	}
	store_reader_close(r);
	/* prune the first partition whole: its key_part row goes, lookups still work */
	uint64_t deleted = 0;
	assert_int_equal(store_prune(f->w, t0 + 8192, &deleted, &err), 0);
	assert_int_equal(deleted, 8192);
	assert_int_equal(raw_count(f->db, "SELECT count(*) FROM key_part WHERE part = 0"), 0);
	add_batch(f->w, n, 1, t0 + n, 2); /* the writer re-adds what it needs */
	r = reader_ok(f->db);
	make_alert(&b, n, 0);
	fl = (struct store_filter)STORE_FILTER_INIT;
	fl.hash = b.md5;
	assert_int_equal(count_ok(r, &fl), 1);
	make_alert(&b, 3, 0);
	fl.hash = b.md5;
	assert_int_equal(count_ok(r, &fl), 0);
	store_reader_close(r);
}

/*
 * A batch's keys go out in statements of several sizes (1024, 128, 16
 * rows, then single rows): 293 alerts with four distinct keys each are
 * 1172 keys, which needs every size. Each key must be stored once.
 */
/* Alert i with digests whose first 16 digits differ: four keys of its own. */
static void make_keyed_alert(struct alert_buf *b, int i, int64_t t0)
{
	make_alert(b, i, t0 + i);
	snprintf(b->md5, sizeof(b->md5), "%016x%016x", i + 1, 0);
	snprintf(b->sha1, sizeof(b->sha1), "%016x%024x", i + 50000, 0);
	snprintf(b->sha256, sizeof(b->sha256), "%016x%048x", i + 90000, 0);
}

/* Keys are inserted as the batch goes (every 4096) and at the commit. */
static void test_store__every_key_of_a_batch_is_stored_once(void **state)
{
	struct fixture *f = *state;
	const int n = 2500; /* 10,000 keys: two inserts during the batch, one at the commit */
	const int64_t t0 = 1700000000000;
	struct vg_err err = VG_ERR_INIT;
	struct store_filter fl = STORE_FILTER_INIT;
	struct alert_buf b;

	assert_int_equal(store_begin(f->w, &err), 0);
	for (int i = 0; i < n; i++) {
		make_keyed_alert(&b, i, t0);
		add_ok(f->w, &b.a, true);
	}
	assert_int_equal(store_commit(f->w, 1, NULL, &err), 0);
	assert_int_equal(raw_count(f->db, "SELECT count(*) FROM alert_key"), 4 * n);

	/* a rolled back batch takes the keys it inserted along with it */
	assert_int_equal(store_begin(f->w, &err), 0);
	for (int i = n; i < n + 1500; i++) {
		make_keyed_alert(&b, i, t0);
		add_ok(f->w, &b.a, true);
	}
	store_rollback(f->w);
	assert_int_equal(raw_count(f->db, "SELECT count(*) FROM alert_key"), 4 * n);

	struct store_reader *r = reader_ok(f->db);
	const int probe[] = {0, 1023, 1024, 2047, 2048, n - 1, n + 10};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		char hash[65];
		snprintf(hash, sizeof(hash), "%016x%048x", probe[i] + 90000, 0);
		fl.hash = hash;
		assert_int_equal(count_ok(r, &fl), probe[i] < n ? 1 : 0);
		snprintf(hash, sizeof(hash), "%016x%016x", probe[i] + 1, 0);
		fl.hash = hash;
		assert_int_equal(count_ok(r, &fl), probe[i] < n ? 1 : 0);
	}
	store_reader_close(r);
}

/* A class first seen in a rolled back batch is gone with it: the cache must forget it. */
static void test_store__rollback_forgets_new_rule_classes(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;

	assert_int_equal(store_begin(f->w, &err), 0);
	make_alert(&b, 1, 1700000000000);
	b.a.groups = "brand_new,";
	b.a.rule_id = 100200;
	add_ok(f->w, &b.a, true);
	store_rollback(f->w);
	assert_int_equal(store_begin(f->w, &err), 0);
	add_ok(f->w, &b.a, true);
	assert_int_equal(store_commit(f->w, 1, NULL, &err), 0);

	struct store_reader *r = reader_ok(f->db);
	struct store_filter fl = STORE_FILTER_INIT;
	struct rows rows;
	fl.group = "brand_new";
	assert_int_equal(count_ok(r, &fl), 1);
	fl.group = NULL;
	fl.rule_id = 100200;
	query_ok(r, &fl, &rows, NULL);
	assert_int_equal(rows.n, 1);
	store_reader_close(r);
}

/* Ids are stored as two integers: only Wazuh's canonical "<epoch>.<offset>". */
static void test_store__malformed_alert_id_is_eparse(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"",     "1",    "1.",   ".1",   "1.2.3",
			     "01.2", "1.02", "-1.2", "1.2x", "12345678901234567890.1"};
	struct vg_err err = VG_ERR_INIT;
	struct alert_buf b;
	char *json = NULL;

	assert_int_equal(store_begin(f->w, &err), 0);
	make_alert(&b, 1, 1700000000000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b.a.id = bad[i];
		vg_err_clear(&err);
		assert_int_equal(store_add(f->w, &b.a, NULL, &err), VG_EPARSE);
	}
	b.a.id = "0.0";
	add_ok(f->w, &b.a, true);
	assert_int_equal(store_commit(f->w, 1, NULL, &err), 0);
	struct store_reader *r = reader_ok(f->db);
	assert_int_equal(store_get(r, "0.0", &json, &err), 0);
	assert_string_equal(json, b.json);
	vg_free(json);
	vg_err_clear(&err);
	assert_int_equal(store_get(r, "00.0", &json, &err), VG_ENOTFOUND);
	assert_null(json);
	store_reader_close(r);
}

/* Alerts/s with every index; prints, asserts nothing about time. */
static void test_store__measure_insert_rate(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char json[1200];
	char id[32], path[64], md5[33], sha1[41], sha256[65];
	struct timespec a, b;
	const int batches = 20;

	memset(json, 'j', sizeof(json) - 1);
	json[sizeof(json) - 1] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < batches; k++) {
		assert_int_equal(store_begin(f->w, &err), 0);
		for (int i = 0; i < 1000; i++) {
			int n = k * 1000 + i;
			snprintf(id, sizeof(id), "%d.%d", 1700000000 + n / 10, n * 1071);
			snprintf(path, sizeof(path), "/home/user%d/dir%d/file%d.bin", n % 50,
				 n % 997, n);
			snprintf(md5, sizeof(md5), "%08x%024x", (unsigned)(n * 2654435761u), n);
			snprintf(sha1, sizeof(sha1), "%08x%032x", (unsigned)(n * 2246822519u), n);
			snprintf(sha256, sizeof(sha256), "%08x%056x", (unsigned)(n * 3266489917u),
				 n);
			struct store_alert al = {.id = id,
						 .time_ms = 1700000000000 + n,
						 .rule_id = 554,
						 .level = 5,
						 .agent_id = "000",
						 .agent_name = "host",
						 .decoder = "syscheck_new_entry",
						 .location = "syscheck",
						 .description = "File added to the system.",
						 .path = path,
						 .md5 = md5,
						 .sha1 = sha1,
						 .sha256 = sha256,
						 .groups = GROUPS_554,
						 .json = json,
						 .json_len = sizeof(json) - 1};
			assert_int_equal(store_add(f->w, &al, NULL, &err), 0);
		}
		assert_int_equal(store_commit(f->w, (uint64_t)k + 1, "pos", &err), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("store: %.0f alerts/s (batches of 1000, 1.2 KB json, 6 groups, all "
		      "indexes)\n",
		      batches * 1000 / s);
}

static void list_mark(void *ctx, const char *source, uint64_t last_seq)
{
	char *out = ctx;
	size_t l = strlen(out);
	snprintf(out + l, 256 - l, "%s=%llu ", source, (unsigned long long)last_seq);
}

static void marks_text(struct store *w, char *out)
{
	out[0] = '\0';
	assert_int_equal(store_marks(w, list_mark, out, NULL), 0);
}

static void test_store__source_marks_commit_with_the_batch(void **state)
{
	struct fixture *f = *state;
	char text[256];

	assert_int_equal(store_begin(f->w, NULL), 0);
	assert_int_equal(store_mark(f->w, "001", 7, NULL), 0);
	store_rollback(f->w);
	marks_text(f->w, text);
	assert_string_equal(text, "");
	assert_int_equal(store_begin(f->w, NULL), 0);
	assert_int_equal(store_mark(f->w, "001", 7, NULL), 0);
	assert_int_equal(store_mark(f->w, "002", 3, NULL), 0);
	assert_int_equal(store_commit(f->w, 0, "pos", NULL), 0);
	assert_int_equal(store_begin(f->w, NULL), 0);
	assert_int_equal(store_mark(f->w, "001", 5, NULL), 0); /* never lowers */
	assert_int_equal(store_mark(f->w, "002", 9, NULL), 0);
	assert_int_equal(store_commit(f->w, 0, "pos", NULL), 0);
	marks_text(f->w, text);
	assert_non_null(strstr(text, "001=7 "));
	assert_non_null(strstr(text, "002=9 "));
	/* kept across a reopen */
	store_close(f->w);
	f->w = NULL;
	assert_int_equal(store_open(f->db, &f->w, NULL), 0);
	marks_text(f->w, text);
	assert_non_null(strstr(text, "001=7 "));
}

static void test_store__schema_2_store_without_marks_gains_them(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	char text[256];

	store_close(f->w); /* a store written before source marks existed */
	f->w = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE source_mark", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->db, &f->w, NULL), 0);
	marks_text(f->w, text);
	assert_string_equal(text, "");
	assert_int_equal(store_begin(f->w, NULL), 0);
	assert_int_equal(store_mark(f->w, "004", 11, NULL), 0);
	assert_int_equal(store_commit(f->w, 0, "", NULL), 0);
	marks_text(f->w, text);
	assert_string_equal(text, "004=11 ");
	struct store_reader *r = NULL;
	assert_int_equal(store_reader_open(f->db, &r, NULL), 0); /* still version 2 */
	store_reader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_store__source_marks_commit_with_the_batch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__schema_2_store_without_marks_gains_them,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store__batch_and_checkpoint_commit_together, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__duplicate_alert_id_is_ignored, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__each_filter_selects_its_rows, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__paging_walks_every_row_once_newest_first,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store__prune_deletes_old_alerts_and_their_groups,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store__reader_sees_committed_batches_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__follow_hands_wanted_rows_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__follow_by_rule_class, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store__alert_from_pipeline_records, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__bad_paths_give_clear_errors, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__read_only_file_system_is_eperm, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__path_and_hash_lookups_span_key_partitions,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store__every_key_of_a_batch_is_stored_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__rollback_forgets_new_rule_classes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__malformed_alert_id_is_eparse, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store__measure_insert_rate, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
