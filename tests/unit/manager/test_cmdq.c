/*
 * Unit tests for src/manager/cmdq.c: the durable command queue and the
 * quarantine view, on a real HOME/queue/responses.db in a mkdtemp HOME.
 * Ids follow the clock (a recreated database never goes back), states only
 * move forward once reported, the queued/expired readers, the responder's
 * position, and a read-only handle seeing what the writer committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/db.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/cmdq.h"

struct fx {
	char home[64];
	struct cmdq *q;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char qdir[96];

	vg_strlcpy(f->home, "/tmp/vg-cmdq-XXXXXX", sizeof(f->home));
	assert_non_null(mkdtemp(f->home));
	snprintf(qdir, sizeof(qdir), "%s/queue", f->home);
	assert_int_equal(mkdir(qdir, 0700), 0);
	if (cmdq_open(f->home, false, &f->q, &f->err) != 0)
		fail_msg("cmdq_open: %s", f->err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cmdq_close(f->q);
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

static int64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t add(struct fx *f, const char *agent, const char *json, int64_t expires_ms)
{
	uint64_t id = 0;

	if (cmdq_add(f->q, agent, json, 1000, expires_ms, &id, &f->err) != 0)
		fail_msg("cmdq_add: %s", f->err.msg);
	return id;
}

/* A row's state and result, copied out of the borrowed row. */
static void get(struct fx *f, uint64_t id, char *state, size_t n, char **result)
{
	struct cmdq_row r;

	if (cmdq_get(f->q, id, &r, &f->err) != 0)
		fail_msg("cmdq_get %llu: %s", (unsigned long long)id, f->err.msg);
	assert_int_equal(r.id, id);
	vg_strlcpy(state, r.state, n);
	if (result != NULL)
		*result = r.result != NULL ? vg_xstrdup(r.result) : NULL;
}

static void test_cmdq__ids_follow_the_clock_then_grow_by_one(void **state)
{
	struct fx *f = *state;
	int64_t before = clock_us();
	uint64_t a = add(f, "001", "{\"n\":1}", 0);
	uint64_t b = add(f, "001", "{\"n\":2}", 0);
	int64_t after = clock_us();
	char *sql;

	assert_true(a >= (uint64_t)before);
	assert_true(b > a);
	assert_true(b <= (uint64_t)after + 1);

	/* Ids that ran ahead of the clock (a burst, or a clock set back): the
	 * next is one more than the last, never the clock again. */
	sql = vg_xasprintf("INSERT INTO commands VALUES (%lld, '001', 'done', 0, 0, 0, '{}', NULL)",
			   (long long)(after + 3600LL * 1000000));
	assert_int_equal(vg_db_exec(cmdq_db(f->q), sql, "insert", &f->err), 0);
	vg_free(sql);
	uint64_t c = add(f, "002", "{\"n\":3}", 0);
	uint64_t d = add(f, "002", "{\"n\":4}", 0);
	assert_int_equal(c, (uint64_t)(after + 3600LL * 1000000) + 1);
	assert_int_equal(d, c + 1);
}

static void test_cmdq__recreated_database_never_reuses_an_id(void **state)
{
	struct fx *f = *state;
	const char *sfx[] = {"", "-wal", "-shm"};
	uint64_t last = 0;
	char p[160];

	for (int i = 0; i < 5; i++)
		last = add(f, "001", "{}", 0);
	cmdq_close(f->q);
	f->q = NULL;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s%s", f->home, CMDQ_DB, sfx[i]);
		unlink(p);
	}
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(cmdq_open(f->home, false, &f->q, &f->err), 0);
	assert_true(add(f, "001", "{}", 0) > last);
}

static void test_cmdq__states_move_forward_only_once_reported(void **state)
{
	struct fx *f = *state;
	uint64_t id = add(f, "001", "{\"type\":\"active-response\"}", 0);
	char st[CMDQ_STATE_MAX];
	char *res = NULL;
	struct cmdq_row r;

	assert_int_equal(cmdq_get(f->q, id, &r, &f->err), 0);
	assert_string_equal(r.agent_id, "001");
	assert_string_equal(r.state, "queued");
	assert_string_equal(r.json, "{\"type\":\"active-response\"}");
	assert_null(r.result);
	assert_int_equal(r.created_ms, 1000);
	assert_int_equal(r.updated_ms, 1000);

	assert_int_equal(cmdq_set_state(f->q, id, "taken", NULL, 2000, &f->err), 0);
	get(f, id, st, sizeof(st), &res);
	assert_string_equal(st, "taken");
	assert_null(res);

	assert_int_equal(cmdq_set_state(f->q, id, "done", "{\"status\":\"done\"}", 3000, &f->err),
			 0);
	get(f, id, st, sizeof(st), &res);
	assert_string_equal(st, "done");
	assert_string_equal(res, "{\"status\":\"done\"}");
	vg_free(res);

	/* The ACK heard after the report (ACK and report race): no effect. */
	assert_int_equal(cmdq_set_state(f->q, id, "taken", NULL, 4000, &f->err), 0);
	assert_int_equal(cmdq_set_state(f->q, id, "expired", NULL, 4000, &f->err), 0);
	get(f, id, st, sizeof(st), &res);
	assert_string_equal(st, "done");
	assert_string_equal(res, "{\"status\":\"done\"}");
	vg_free(res);
	assert_int_equal(cmdq_get(f->q, id, &r, &f->err), 0);
	assert_int_equal(r.updated_ms, 3000);

	/* A report may still correct a report (a later "failed"), keeping the
	 * earlier result when it brings none. */
	assert_int_equal(cmdq_set_state(f->q, id, "failed", NULL, 5000, &f->err), 0);
	get(f, id, st, sizeof(st), &res);
	assert_string_equal(st, "failed");
	assert_string_equal(res, "{\"status\":\"done\"}");
	vg_free(res);
}

static void test_cmdq__unknown_id_is_not_an_error(void **state)
{
	struct fx *f = *state;
	struct cmdq_row r;

	/* An agent's report or ACK about an id this database never had (it
	 * was recreated) must not stop the responder's transaction. */
	assert_int_equal(cmdq_set_state(f->q, 12345, "done", "{}", 1, &f->err), 0);
	assert_int_equal(f->err.code, 0);
	assert_int_equal(cmdq_get(f->q, 12345, &r, &f->err), VG_ENOTFOUND);
}

struct rows {
	uint64_t ids[16];
	char agents[16][16];
	size_t n, stop_at;
};

static int collect(void *ctx, const struct cmdq_row *r)
{
	struct rows *c = ctx;

	assert_true(c->n < 16);
	c->ids[c->n] = r->id;
	vg_strlcpy(c->agents[c->n], r->agent_id, sizeof(c->agents[0]));
	c->n++;
	return c->stop_at != 0 && c->n == c->stop_at;
}

static void test_cmdq__queued_lists_queued_rows_after_id_in_order(void **state)
{
	struct fx *f = *state;
	uint64_t id[5];
	struct rows c = {0};

	for (int i = 0; i < 5; i++)
		id[i] = add(f, i % 2 ? "002" : "001", "{}", 0);
	assert_int_equal(cmdq_set_state(f->q, id[2], "taken", NULL, 2000, &f->err), 0);

	assert_int_equal(cmdq_queued(f->q, 0, 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.ids[0], id[0]);
	assert_int_equal(c.ids[1], id[1]);
	assert_int_equal(c.ids[2], id[3]);
	assert_int_equal(c.ids[3], id[4]);
	assert_string_equal(c.agents[1], "002");

	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_queued(f->q, id[1], 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], id[3]);

	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_queued(f->q, 0, 2, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 2); /* max */
	assert_int_equal(c.ids[1], id[1]);

	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	assert_int_equal(cmdq_queued(f->q, 0, 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 1); /* fn stopped it: not an error */
	/* The statement was reset: the next call starts over. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_queued(f->q, 0, 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 4);
}

static void test_cmdq__expired_lists_queued_rows_past_their_time(void **state)
{
	struct fx *f = *state;
	uint64_t never = add(f, "001", "{}", 0);
	uint64_t soon = add(f, "001", "{}", 5000);
	uint64_t later = add(f, "002", "{}", 9000);
	uint64_t taken = add(f, "002", "{}", 5000);
	struct rows c = {0};

	(void)never;
	(void)later;
	assert_int_equal(cmdq_set_state(f->q, taken, "taken", NULL, 2000, &f->err), 0);
	assert_int_equal(cmdq_expired(f->q, 5000, 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 0); /* not past yet */
	assert_int_equal(cmdq_expired(f->q, 5001, 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], soon);

	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_expired(f->q, INT64_MAX, 100, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 2); /* 0 = never; the taken one is the agent's now */
	assert_int_equal(c.ids[0], soon);
	assert_int_equal(c.ids[1], later);
}

static void test_cmdq__position_is_durable(void **state)
{
	struct fx *f = *state;
	int64_t row = -1;

	assert_int_equal(cmdq_position(f->q, &row, &f->err), 0);
	assert_int_equal(row, 0);
	assert_int_equal(cmdq_set_position(f->q, 42, &f->err), 0);
	assert_int_equal(cmdq_set_position(f->q, 43, &f->err), 0);
	cmdq_close(f->q);
	assert_int_equal(cmdq_open(f->home, false, &f->q, &f->err), 0);
	assert_int_equal(cmdq_position(f->q, &row, &f->err), 0);
	assert_int_equal(row, 43);
}

struct qrows {
	char line[8][256];
	size_t n;
};

static int collect_q(void *ctx, const struct cmdq_qrow *r)
{
	struct qrows *c = ctx;

	assert_true(c->n < 8);
	snprintf(c->line[c->n++], sizeof(c->line[0]), "%s %s %s %s %s %lld", r->agent_id, r->qid,
		 r->state, r->path != NULL ? r->path : "(null)", r->manifest,
		 (long long)r->updated_ms);
	return 0;
}

static void test_cmdq__quarantine_view_put_and_list(void **state)
{
	struct fx *f = *state;
	struct qrows c = {0};

	assert_int_equal(cmdq_quarantine_put(f->q, "001", "aaaa", "quarantined", "/srv/a",
					     "{\"a\":1}", 100, &f->err),
			 0);
	assert_int_equal(cmdq_quarantine_put(f->q, "001", "bbbb", "quarantined", "/srv/b",
					     "{\"b\":1}", 200, &f->err),
			 0);
	assert_int_equal(
	    cmdq_quarantine_put(f->q, "002", "cccc", "quarantined", "/srv/c", "{}", 300, &f->err),
	    0);
	/* The restore report carries no path: the one known stays. */
	assert_int_equal(
	    cmdq_quarantine_put(f->q, "001", "aaaa", "restored", NULL, "{\"a\":2}", 400, &f->err),
	    0);

	assert_int_equal(cmdq_quarantine_list(f->q, "001", NULL, collect_q, &c, &f->err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.line[0], "001 aaaa restored /srv/a {\"a\":2} 400"); /* newest first */
	assert_string_equal(c.line[1], "001 bbbb quarantined /srv/b {\"b\":1} 200");

	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_quarantine_list(f->q, NULL, "quarantined", collect_q, &c, &f->err),
			 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.line[0], "002 cccc quarantined /srv/c {} 300");
	assert_string_equal(c.line[1], "001 bbbb quarantined /srv/b {\"b\":1} 200");

	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_quarantine_list(f->q, NULL, NULL, collect_q, &c, &f->err), 0);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cmdq_quarantine_list(f->q, "003", NULL, collect_q, &c, &f->err), 0);
	assert_int_equal(c.n, 0);
}

static void test_cmdq__readonly_handle_reads_what_a_writer_wrote(void **state)
{
	struct fx *f = *state;
	struct cmdq *ro = NULL;
	struct cmdq_row r;
	struct rows c = {0};
	struct qrows qc = {0};
	uint64_t a = add(f, "001", "{\"n\":1}", 0);

	assert_int_equal(cmdq_open(f->home, true, &ro, &f->err), 0);
	assert_int_equal(cmdq_get(ro, a, &r, &f->err), 0);
	assert_string_equal(r.state, "queued");

	/* Written after the reader's last read: the reader still sees it (a
	 * row it left borrowed must not pin an old snapshot). */
	uint64_t b = add(f, "002", "{\"n\":2}", 0);
	assert_int_equal(cmdq_set_state(f->q, a, "taken", NULL, 2000, &f->err), 0);
	assert_int_equal(
	    cmdq_quarantine_put(f->q, "002", "dddd", "quarantined", "/x", "{}", 1, &f->err), 0);
	assert_int_equal(cmdq_queued(ro, 0, 10, collect, &c, &f->err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], b);
	assert_int_equal(cmdq_get(ro, a, &r, &f->err), 0);
	assert_string_equal(r.state, "taken");
	assert_int_equal(cmdq_quarantine_list(ro, NULL, NULL, collect_q, &qc, &f->err), 0);
	assert_int_equal(qc.n, 1);

	/* It cannot write. */
	uint64_t id = 0;
	assert_true(cmdq_add(ro, "001", "{}", 1, 0, &id, &f->err) < 0);
	cmdq_close(ro);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_cmdq__ids_follow_the_clock_then_grow_by_one),
	    T(test_cmdq__recreated_database_never_reuses_an_id),
	    T(test_cmdq__states_move_forward_only_once_reported),
	    T(test_cmdq__unknown_id_is_not_an_error),
	    T(test_cmdq__queued_lists_queued_rows_after_id_in_order),
	    T(test_cmdq__expired_lists_queued_rows_past_their_time),
	    T(test_cmdq__position_is_durable),
	    T(test_cmdq__quarantine_view_put_and_list),
	    T(test_cmdq__readonly_handle_reads_what_a_writer_wrote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
