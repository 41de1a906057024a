/* Unit tests for src/lib/dqueue.c: the durable FIFO of the manager's events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "lib/dqueue.h"
#include "lib/mem.h"
#include "support/support.h"

static int setup(void **state)
{
	return vg_test_dbdir_setup(state, "vg-dqueue", "events.db");
}

static int teardown(void **state)
{
	return vg_test_dbdir_teardown(state);
}

static struct vg_dq *open_ok(const char *path, const struct vg_dq_opts *o)
{
	struct vg_dq *q = NULL;
	struct vg_err err = VG_ERR_INIT;
	if (vg_dq_open(path, o, &q, &err) != 0)
		fail_msg("open %s: %s", path, err.msg);
	return q;
}

static uint64_t append_ok(struct vg_dq *q, const char *src, uint64_t sseq, const char *data)
{
	struct vg_err err = VG_ERR_INIT;
	bool dup = true;
	uint64_t seq = 0;
	if (vg_dq_append(q, src, sseq, data, strlen(data), &dup, &seq, &err) != 0)
		fail_msg("append: %s", err.msg);
	assert_false(dup);
	assert_true(seq > 0);
	return seq;
}

/* Collects what vg_dq_read hands out. */
struct seen {
	size_t n;
	size_t stop_after; /* 0 = never stop */
	uint64_t seq[64];
	uint64_t sseq[64];
	char src[64][8];
	char data[64][32];
};

static int collect(void *ctx, const struct vg_dq_rec *r)
{
	struct seen *s = ctx;
	if (s->n < 64) {
		s->seq[s->n] = r->seq;
		s->sseq[s->n] = r->source_seq;
		snprintf(s->src[s->n], sizeof(s->src[0]), "%s", r->source);
		snprintf(s->data[s->n], sizeof(s->data[0]), "%.*s", (int)r->len,
			 (const char *)r->data);
	}
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static void read_all(struct vg_dq *q, uint64_t after, struct seen *s)
{
	struct vg_err err = VG_ERR_INIT;
	size_t n = 0;
	memset(s, 0, sizeof(*s));
	if (vg_dq_read(q, after, 1000, collect, s, &n, &err) != 0)
		fail_msg("read: %s", err.msg);
	assert_int_equal(n, s->n);
}

static void test_dqueue__reads_in_append_order(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct seen s;
	uint64_t seqs[5];
	char buf[16];

	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "ev%d", i);
		seqs[i] = append_ok(q, "000", 0, buf);
		if (i > 0)
			assert_true(seqs[i] > seqs[i - 1]);
	}
	read_all(q, 0, &s);
	assert_int_equal(s.n, 5);
	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "ev%d", i);
		assert_string_equal(s.data[i], buf);
		assert_int_equal(s.seq[i], seqs[i]);
		assert_string_equal(s.src[i], "000");
	}
	/* after a cursor: only the later ones, and max is honoured */
	struct vg_err err = VG_ERR_INIT;
	size_t n = 0;
	memset(&s, 0, sizeof(s));
	assert_int_equal(vg_dq_read(q, seqs[1], 2, collect, &s, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s.data[0], "ev2");
	assert_string_equal(s.data[1], "ev3");
	/* a callback can stop the read early */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(vg_dq_read(q, 0, 10, collect, &s, &n, &err), 0);
	assert_int_equal(n, 1);
	vg_dq_close(q);
}

static void test_dqueue__duplicate_source_seq_is_a_noop(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct vg_err err = VG_ERR_INIT;
	struct vg_dq_stats st;
	struct seen s;
	bool dup = false;
	uint64_t seq = 99;

	uint64_t first = append_ok(q, "001", 7, "a");
	assert_int_equal(vg_dq_append(q, "001", 7, "b", 1, &dup, &seq, &err), 0);
	assert_true(dup);
	assert_int_equal(seq, 0);
	/* lower than the mark: also a redelivery */
	assert_int_equal(vg_dq_append(q, "001", 3, "c", 1, &dup, &seq, &err), 0);
	assert_true(dup);
	/* another source, or no numbering: new */
	append_ok(q, "002", 7, "d");
	append_ok(q, "001", 0, "e");
	append_ok(q, "001", 0, "f");
	/* still a duplicate once the original record was consumed and trimmed */
	assert_int_equal(vg_dq_trim(q, first, &err), 0);
	assert_int_equal(vg_dq_append(q, "001", 7, "g", 1, &dup, &seq, &err), 0);
	assert_true(dup);
	append_ok(q, "001", 8, "h");
	read_all(q, 0, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.data[0], "d");
	assert_string_equal(s.data[3], "h");
	assert_int_equal(s.sseq[3], 8);
	vg_dq_stats(q, &st);
	assert_int_equal(st.duplicates, 3);
	assert_int_equal(st.appended, 5);
	vg_dq_close(q);
}

static void test_dqueue__source_last_survives_trim_and_reopen(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	uint64_t last = 99;

	assert_int_equal(vg_dq_source_last(q, "001", &last, NULL), 0);
	assert_int_equal(last, 0); /* never seen */
	append_ok(q, "001", 5, "a");
	uint64_t seq = append_ok(q, "001", 9, "b");
	append_ok(q, "002", 3, "c");
	append_ok(q, "001", 0, "d"); /* no numbering: the mark stays */
	assert_int_equal(vg_dq_source_last(q, "001", &last, NULL), 0);
	assert_int_equal(last, 9);
	assert_int_equal(vg_dq_trim(q, seq, NULL), 0);
	vg_dq_close(q);
	q = open_ok(f->db, NULL);
	assert_int_equal(vg_dq_source_last(q, "001", &last, NULL), 0);
	assert_int_equal(last, 9);
	assert_int_equal(vg_dq_source_last(q, "002", &last, NULL), 0);
	assert_int_equal(last, 3);
	vg_dq_close(q);
}

static void test_dqueue__batch_is_one_ordered_append(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct vg_err err = VG_ERR_INIT;
	struct vg_dq_rec recs[] = {
	    {0, "001", 1, "one", 3},
	    {0, "001", 2, "two", 3},
	    {0, "001", 2, "dup", 3}, /* same source_seq inside the batch */
	    {0, NULL, 0, NULL, 0},   /* empty record, default source */
	};
	struct seen s;
	size_t added = 0;

	assert_int_equal(vg_dq_append_batch(q, recs, 4, &added, &err), 0);
	assert_int_equal(added, 3);
	read_all(q, 0, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.data[0], "one");
	assert_string_equal(s.data[1], "two");
	assert_string_equal(s.data[2], "");
	assert_string_equal(s.src[2], "");
	/* the whole batch again: all duplicates but the unnumbered one */
	assert_int_equal(vg_dq_append_batch(q, recs, 4, &added, &err), 0);
	assert_int_equal(added, 1);
	vg_dq_close(q);
}

static void test_dqueue__trim_deletes_consumed_and_seq_never_reused(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct vg_err err = VG_ERR_INIT;
	struct vg_dq_stats st;
	struct seen s;
	uint64_t seqs[5];

	for (int i = 0; i < 5; i++)
		seqs[i] = append_ok(q, "000", 0, "xy");
	assert_int_equal(vg_dq_trim(q, seqs[2], &err), 0);
	vg_dq_stats(q, &st);
	assert_int_equal(st.pending_records, 2);
	assert_int_equal(st.pending_bytes, 4);
	read_all(q, 0, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], seqs[3]);
	/* idempotent */
	assert_int_equal(vg_dq_trim(q, seqs[2], &err), 0);
	assert_int_equal(vg_dq_trim(q, seqs[4], &err), 0);
	vg_dq_stats(q, &st);
	assert_int_equal(st.pending_records, 0);
	assert_int_equal(st.pending_bytes, 0);
	vg_dq_close(q);
	/* emptied and reopened: the next seq still follows the last one */
	q = open_ok(f->db, NULL);
	assert_true(append_ok(q, "000", 0, "z") > seqs[4]);
	vg_dq_close(q);
}

struct producer {
	struct vg_dq *q;
	int delay_ms;
	bool wake_only;
};

static void *produce_later(void *arg)
{
	struct producer *p = arg;
	struct vg_err err = VG_ERR_INIT;
	usleep((useconds_t)p->delay_ms * 1000);
	if (p->wake_only)
		vg_dq_wake(p->q);
	else if (vg_dq_append(p->q, "000", 0, "late", 4, NULL, NULL, &err) != 0)
		fprintf(stderr, "append in thread: %s\n", err.msg);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_dqueue__wait_is_woken_by_an_append_in_another_thread(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct producer p = {q, 50, false};
	pthread_t t;
	struct seen s;

	uint64_t cursor = append_ok(q, "000", 0, "early");
	/* nothing after the cursor: times out */
	int64_t t0 = now_ms();
	assert_false(vg_dq_wait(q, cursor, 30));
	assert_true(now_ms() - t0 >= 25);
	/* something before the cursor: immediate */
	assert_true(vg_dq_wait(q, 0, 0));

	assert_int_equal(pthread_create(&t, NULL, produce_later, &p), 0);
	t0 = now_ms();
	assert_true(vg_dq_wait(q, cursor, 10000));
	assert_true(now_ms() - t0 < 5000);
	pthread_join(t, NULL);
	read_all(q, cursor, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.data[0], "late");

	/* a wake ends the wait without a record */
	p.wake_only = true;
	assert_int_equal(pthread_create(&t, NULL, produce_later, &p), 0);
	t0 = now_ms();
	assert_false(vg_dq_wait(q, s.seq[0], -1));
	assert_true(now_ms() - t0 < 5000);
	pthread_join(t, NULL);
	vg_dq_close(q);
}

static void test_dqueue__bound_refuses_then_accepts_after_trim(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq_opts o = {2, 100, false};
	struct vg_dq *q = open_ok(f->db, &o);
	struct vg_err err = VG_ERR_INIT;
	struct vg_dq_stats st;
	char big[101];

	uint64_t s1 = append_ok(q, "000", 0, "a");
	append_ok(q, "000", 0, "b");
	assert_int_equal(vg_dq_append(q, "000", 0, "c", 1, NULL, NULL, &err), VG_ETOOBIG);
	assert_non_null(strstr(err.msg, "full"));
	assert_false(vg_dq_wait_room(q, 1, 1, 10));
	vg_dq_stats(q, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.pending_records, 2);
	assert_int_equal(vg_dq_trim(q, s1, NULL), 0);
	assert_true(vg_dq_wait_room(q, 1, 1, 0));
	append_ok(q, "000", 0, "c");
	/* one record larger than max_bytes can never fit */
	assert_int_equal(vg_dq_trim(q, UINT64_MAX, NULL), 0);
	memset(big, 'x', sizeof(big));
	vg_err_clear(&err);
	assert_int_equal(vg_dq_append(q, "000", 0, big, sizeof(big), NULL, NULL, &err), VG_ETOOBIG);
	vg_dq_close(q);
}

static void test_dqueue__reopen_keeps_records_and_marks(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct vg_err err = VG_ERR_INIT;
	struct vg_dq_stats st;
	struct seen s;
	bool dup = false;

	append_ok(q, "001", 1, "one");
	uint64_t last = append_ok(q, "001", 2, "two");
	vg_dq_close(q);
	q = open_ok(f->db, NULL);
	vg_dq_stats(q, &st);
	assert_int_equal(st.pending_records, 2);
	assert_int_equal(st.pending_bytes, 6);
	assert_int_equal(st.last_seq, last);
	read_all(q, 0, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.data[1], "two");
	assert_int_equal(vg_dq_append(q, "001", 2, "two", 3, &dup, NULL, &err), 0);
	assert_true(dup);
	vg_dq_close(q);
}

/*
 * The consumer processed 1..3 and committed cursor 2 (its own result), then
 * died before trimming: after restart, reading after the cursor yields 3..5
 * again, nothing before it.
 */
static void test_dqueue__untrimmed_records_after_cursor_are_read_again(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct seen s;
	uint64_t seqs[5];

	for (int i = 0; i < 5; i++)
		seqs[i] = append_ok(q, "000", 0, i % 2 ? "odd" : "even");
	read_all(q, 0, &s);
	assert_int_equal(s.n, 5);
	uint64_t cursor = seqs[1];
	vg_dq_close(q); /* no trim: the crash */

	q = open_ok(f->db, NULL);
	assert_int_equal(vg_dq_trim(q, cursor, NULL), 0); /* startup trims to the cursor */
	read_all(q, cursor, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], seqs[2]);
	assert_int_equal(s.seq[2], seqs[4]);
	read_all(q, 0, &s);
	assert_int_equal(s.n, 3);
	vg_dq_close(q);
}

static void test_dqueue__not_a_database_is_a_clear_error(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = NULL;
	struct vg_err err = VG_ERR_INIT;
	FILE *fp = fopen(f->db, "w");
	char missing[160];

	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not a SQLite database, just some text\n", fp);
	fclose(fp);
	assert_int_equal(vg_dq_open(f->db, NULL, &q, &err), VG_EPARSE);
	assert_null(q);
	assert_non_null(strstr(err.msg, f->db));
	assert_non_null(strstr(err.msg, "not a database"));

	snprintf(missing, sizeof(missing), "%s/nodir/events.db", f->dir);
	vg_err_clear(&err);
	assert_int_equal(vg_dq_open(missing, NULL, &q, &err), VG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nodir"));
}

static void test_dqueue__seqs_survive_trims_and_a_new_file(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq_opts o = VG_DQ_OPTS_INIT;
	struct vg_dq_stats st;
	struct timespec ts;
	char wal[300];

	o.seq_from_clock = true;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t before_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	struct vg_dq *q = open_ok(f->db, &o);
	uint64_t first = append_ok(q, "fim", 1, "a");
	assert_true(first > before_us); /* numbered from the clock, not from 1 */
	assert_int_equal(vg_dq_trim(q, first, NULL), 0);
	vg_dq_close(q);
	/* emptied and reopened: the last seq is remembered, the next is above */
	q = open_ok(f->db, &o);
	vg_dq_stats(q, &st);
	assert_int_equal(st.last_seq, first);
	assert_int_equal(append_ok(q, "fim", 2, "b"), first + 1);
	vg_dq_close(q);
	/* a new file (the old one deleted) still never reuses a seq */
	unlink(f->db);
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", f->db);
	unlink(wal);
	q = open_ok(f->db, &o);
	assert_true(append_ok(q, "fim", 3, "c") > first + 1);
	vg_dq_close(q);
}

/* Prints records/s; asserts nothing about time (shared 2-core machine). */
static void test_dqueue__measure_append_rates(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_dq *q = open_ok(f->db, NULL);
	struct vg_dq_rec *recs = vg_xcalloc(1000, sizeof(*recs));
	struct vg_err err = VG_ERR_INIT;
	struct timespec a, b;
	char data[400];
	const int singles = 2000;
	const int batches = 20;

	memset(data, 'e', sizeof(data));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < singles; i++)
		assert_int_equal(
		    vg_dq_append(q, "000", (uint64_t)i + 1, data, sizeof(data), NULL, NULL, &err),
		    0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s1 = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	for (size_t i = 0; i < 1000; i++)
		recs[i] = (struct vg_dq_rec){0, "001", 0, data, sizeof(data)};
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < batches; i++)
		assert_int_equal(vg_dq_append_batch(q, recs, 1000, NULL, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s2 = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("dqueue: %.0f records/s one per transaction, %.0f records/s in batches "
		      "of 1000 (400-byte records)\n",
		      singles / s1, batches * 1000 / s2);
	vg_free(recs);
	vg_dq_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dqueue__reads_in_append_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__source_last_survives_trim_and_reopen,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__duplicate_source_seq_is_a_noop, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__batch_is_one_ordered_append, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__trim_deletes_consumed_and_seq_never_reused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_dqueue__wait_is_woken_by_an_append_in_another_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__bound_refuses_then_accepts_after_trim,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__reopen_keeps_records_and_marks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_dqueue__untrimmed_records_after_cursor_are_read_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__not_a_database_is_a_clear_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__seqs_survive_trims_and_a_new_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dqueue__measure_append_rates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
