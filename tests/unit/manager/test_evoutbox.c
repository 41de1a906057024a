/*
 * Unit tests for src/manager/evoutbox.c: events written in the producer's
 * transaction reach a real event queue (lib/dqueue.h) exactly once, under
 * the producer's source, in order, a batch at a time; a rolled-back
 * transaction delivers nothing; a delivery repeated after a crash (rows
 * still there) never duplicates an event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/db.h"
#include "lib/dqueue.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/evoutbox.h"
#include "manager/evqueue.h"

#define SOURCE "@test"

struct fx {
	char dir[64];
	sqlite3 *db;
	struct vg_dq *q;
	struct mgr_evoutbox *ob;
	atomic_bool stop;
	struct vg_err err;
};

static void open_db(struct fx *f)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	char *path = vg_xasprintf("%s/producer.db", f->dir);

	if (vg_db_open(path, &o, &f->db, &f->err) != 0)
		fail_msg("vg_db_open: %s", f->err.msg);
	vg_free(path);
	if (mgr_evoutbox_open(f->db, "outbox", f->q, SOURCE, &f->stop, &f->ob, &f->err) != 0)
		fail_msg("mgr_evoutbox_open: %s", f->err.msg);
}

static void close_db(struct fx *f)
{
	mgr_evoutbox_close(f->ob);
	vg_db_close(f->db);
	f->ob = NULL;
	f->db = NULL;
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char *qpath;

	vg_strlcpy(f->dir, "/tmp/vg-evoutbox-XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	qpath = vg_xasprintf("%s/events.db", f->dir);
	assert_int_equal(vg_dq_open(qpath, NULL, &f->q, &f->err), 0);
	vg_free(qpath);
	atomic_init(&f->stop, false);
	open_db(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close_db(f);
	vg_dq_close(f->q);
	vg_test_rmtree(f->dir);
	vg_free(f);
	return 0;
}

static void add(struct fx *f, const char *line)
{
	if (mgr_evoutbox_add(f->ob, "001", "web1", "", "LOC", line, strlen(line), &f->err) != 0)
		fail_msg("mgr_evoutbox_add: %s", f->err.msg);
}

static void deliver(struct fx *f)
{
	if (mgr_evoutbox_deliver(f->ob, &f->err) != 0)
		fail_msg("mgr_evoutbox_deliver: %s", f->err.msg);
}

/* Every record of the queue: "SOURCE|source_seq|data" per line. */
struct seen {
	char text[64 * 1024];
	size_t n;
};

static int keep(void *ctx, const struct vg_dq_rec *rec)
{
	struct seen *s = ctx;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s|%.*s\n", rec->source, (int)rec->len,
		 (const char *)rec->data);
	s->n++;
	return 0;
}

static void read_all(struct fx *f, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(vg_dq_read(f->q, 0, 100000, keep, s, NULL, &f->err), 0);
}

static int64_t rows_left(struct fx *f)
{
	sqlite3_stmt *st = NULL;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT count(*) FROM outbox", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_evoutbox__committed_rows_reach_the_queue(void **state)
{
	struct fx *f = *state;
	struct seen s;

	assert_int_equal(vg_db_begin(f->db, &f->err), 0);
	add(f, "{\"a\":1}");
	add(f, "{\"a\":2}");
	assert_int_equal(vg_db_end(f->db, 0, &f->err), 0);
	read_all(f, &s);
	assert_int_equal(s.n, 0); /* nothing until delivered */

	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text, SOURCE "|[001] (web1) any->LOC\n{\"a\":1}\n" SOURCE
					   "|[001] (web1) any->LOC\n{\"a\":2}\n");
	assert_int_equal(rows_left(f), 0);

	/* An address, when the producer knows one. */
	assert_int_equal(
	    mgr_evoutbox_add(f->ob, "002", "db", "10.0.0.2", "active-response", "x", 1, &f->err),
	    0);
	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.text, SOURCE "|[002] (db) 10.0.0.2->active-response\nx\n"));
}

static void test_evoutbox__rolled_back_rows_deliver_nothing(void **state)
{
	struct fx *f = *state;
	struct seen s;

	assert_int_equal(vg_db_begin(f->db, &f->err), 0);
	add(f, "{\"lost\":1}");
	assert_int_equal(vg_db_end(f->db, VG_EINTERNAL, &f->err), VG_EINTERNAL);
	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(rows_left(f), 0);
}

static void test_evoutbox__repeated_delivery_never_duplicates(void **state)
{
	struct fx *f = *state;
	struct vg_dq_stats st;
	struct seen s;

	add(f, "{\"e\":1}");
	add(f, "{\"e\":2}");
	assert_int_equal(
	    vg_db_exec(f->db, "CREATE TABLE saved AS SELECT * FROM outbox", "save", &f->err), 0);
	deliver(f);
	deliver(f); /* nothing left */

	/* A crash after the queue took the events, before the outbox's delete:
	 * the rows are back with their numbers, and delivered again. */
	assert_int_equal(
	    vg_db_exec(f->db, "INSERT INTO outbox SELECT * FROM saved", "re-insert", &f->err), 0);
	assert_int_equal(rows_left(f), 2);
	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, 2);
	vg_dq_stats(f->q, &st);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(rows_left(f), 0); /* and the outbox is trimmed all the same */

	/* The numbering goes on above the delivered ones. */
	add(f, "{\"e\":3}");
	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.text, "{\"e\":3}"));
}

static void test_evoutbox__big_backlog_takes_several_batches_in_order(void **state)
{
	struct fx *f = *state;
	const int n = MGR_EVOUTBOX_BATCH * 2 + 5;
	char line[32];
	struct seen s;
	int rounds = 0;

	assert_int_equal(vg_db_begin(f->db, &f->err), 0);
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "{\"i\":%d}", i);
		add(f, line);
	}
	assert_int_equal(vg_db_end(f->db, 0, &f->err), 0);

	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, MGR_EVOUTBOX_BATCH);
	assert_int_equal(rows_left(f), n - MGR_EVOUTBOX_BATCH);
	while (rows_left(f) > 0 && rounds++ < 10)
		deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, n);
	assert_int_equal(rounds, 2);

	/* In the order they were added. */
	const char *p = s.text;
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "{\"i\":%d}\n", i);
		p = strstr(p, line);
		assert_non_null(p);
	}
}

static void test_evoutbox__location_too_long_is_refused(void **state)
{
	struct fx *f = *state;
	char loc[MGR_EVQUEUE_MAX_LOCATION + 1];

	memset(loc, 'l', sizeof(loc) - 1);
	loc[sizeof(loc) - 1] = '\0';
	assert_int_equal(mgr_evoutbox_add(f->ob, "001", "web1", "", loc, "x", 1, &f->err),
			 VG_ETOOBIG);
	assert_int_equal(rows_left(f), 0);
}

static void test_evoutbox__recreated_database_is_not_taken_for_a_replay(void **state)
{
	struct fx *f = *state;
	const char *sfx[] = {"", "-wal", "-shm"};
	char p[160];
	struct seen s;

	add(f, "{\"old\":1}");
	add(f, "{\"old\":2}");
	deliver(f);

	/* The producer's database is lost and created again: its numbering
	 * must not restart below what the queue already took from the source,
	 * or the queue drops the new events as redeliveries. */
	close_db(f);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/producer.db%s", f->dir, sfx[i]);
		unlink(p);
	}
	open_db(f);
	add(f, "{\"new\":1}");
	deliver(f);
	read_all(f, &s);
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.text, "{\"new\":1}"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_evoutbox__committed_rows_reach_the_queue),
	    T(test_evoutbox__rolled_back_rows_deliver_nothing),
	    T(test_evoutbox__repeated_delivery_never_duplicates),
	    T(test_evoutbox__big_backlog_takes_several_batches_in_order),
	    T(test_evoutbox__location_too_long_is_refused),
	    T(test_evoutbox__recreated_database_is_not_taken_for_a_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
