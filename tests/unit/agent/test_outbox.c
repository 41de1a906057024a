/*
 * Unit tests for src/agent/outbox.c: the shipping outbox (records, FIM
 * redelivery, the bound and its waits, the wake fd, reopening). Each test
 * has its own mkdtemp directory; the log goes to a file there.
 */
#include <poll.h>
#include <pthread.h>
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

#include "agent/outbox.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "support/support.h"

struct fx {
	char dir[64];
	char *path;
	char *log;
	struct outbox *ob;
};

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigie-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = vg_xasprintf("%s/outbox.db", f->dir);
	f->log = vg_xasprintf("%s/log", f->dir);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	outbox_close(f->ob);
	vg_log_close();
	vg_test_rmtree(f->dir);
	vg_free(f->path);
	vg_free(f->log);
	vg_free(f);
	return 0;
}

static void open_ob(struct fx *f, uint64_t max_events, uint64_t max_bytes)
{
	struct vg_err err = VG_ERR_INIT;
	if (outbox_open(f->path, max_events, max_bytes, &f->ob, &err) != 0)
		fail_msg("outbox_open: %s", err.msg);
}

static uint64_t pending(struct fx *f)
{
	struct vg_dq_stats st;
	vg_dq_stats(outbox_queue(f->ob), &st);
	return st.pending_records;
}

struct seen {
	size_t n;
	uint64_t seq[8];
	uint64_t source_seq[8];
	char source[8][8];
	char data[8][64];
};

static int keep(void *ctx, const struct vg_dq_rec *rec)
{
	struct seen *s = ctx;
	if (s->n == 8)
		return 1;
	s->seq[s->n] = rec->seq;
	s->source_seq[s->n] = rec->source_seq;
	snprintf(s->source[s->n], sizeof(s->source[0]), "%s", rec->source);
	snprintf(s->data[s->n], sizeof(s->data[0]), "%.*s", (int)rec->len, (const char *)rec->data);
	s->n++;
	return 0;
}

static void read_all(struct fx *f, uint64_t after, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(vg_dq_read(outbox_queue(f->ob), after, 8, keep, s, NULL, NULL), 0);
}

static bool readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

#define EV "{\"type\":\"event\"}"

static void test_outbox__fim_event_stored_once_under_its_seq(void **state)
{
	struct fx *f = *state;
	struct seen s;

	open_ob(f, 0, 0);
	assert_false(readable(outbox_wake_fd(f->ob)));
	assert_int_equal(outbox_fim_emit(f->ob, 1732755012345678ull, EV, strlen(EV)), 0);
	/* the FIM engine hands it over again after a crash: dropped */
	assert_int_equal(outbox_fim_emit(f->ob, 1732755012345678ull, EV, strlen(EV)), 0);
	assert_int_equal(pending(f), 1);
	assert_true(readable(outbox_wake_fd(f->ob)));
	outbox_drain_wake(f->ob);
	assert_false(readable(outbox_wake_fd(f->ob)));

	/* a duplicate does not wake the shipper; a new event does */
	assert_int_equal(outbox_fim_emit(f->ob, 1732755012345678ull, EV, strlen(EV)), 0);
	assert_false(readable(outbox_wake_fd(f->ob)));
	assert_int_equal(outbox_fim_emit(f->ob, 1732755012345679ull, "{}", 2), 0);
	assert_true(readable(outbox_wake_fd(f->ob)));

	read_all(f, 0, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.source[0], "fim");
	assert_true(s.source_seq[0] == 1732755012345678ull);
	assert_string_equal(s.data[0], "syscheck\n" EV);
	assert_string_equal(s.data[1], "syscheck\n{}");
	assert_true(s.seq[1] > s.seq[0]);
}

static void test_outbox__newlines_refused(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	bool dup = true;

	open_ob(f, 0, 0);
	assert_int_equal(outbox_append(f->ob, "fim", 1, "syscheck", "a\nb", 3, &dup, &err),
			 VG_EPARSE);
	assert_false(dup);
	vg_err_clear(&err);
	assert_int_equal(outbox_append(f->ob, "fim", 2, "sys\ncheck", "{}", 2, NULL, &err),
			 VG_EPARSE);
	assert_int_equal(outbox_fim_emit(f->ob, 3, "{\n}", 3), VG_EPARSE);
	assert_int_equal(pending(f), 0);
}

struct appender {
	struct outbox *ob;
	uint64_t seq;
	atomic_int rc;
	atomic_bool done;
};

static void *append_thread(void *arg)
{
	struct appender *a = arg;
	atomic_store(&a->rc, outbox_fim_emit(a->ob, a->seq, EV, strlen(EV)));
	atomic_store(&a->done, true);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool wait_done(struct appender *a, int ms)
{
	for (int i = 0; i < ms / 10 && !atomic_load(&a->done); i++)
		sleep_ms(10);
	return atomic_load(&a->done);
}

static void test_outbox__full_waits_for_room_and_reports_once(void **state)
{
	struct fx *f = *state;
	struct appender a = {.seq = 3};
	struct outbox_full full = {0, 0};
	pthread_t t;

	open_ob(f, 2, 0);
	a.ob = f->ob;
	assert_int_equal(outbox_fim_emit(f->ob, 1, EV, strlen(EV)), 0);
	assert_int_equal(outbox_fim_emit(f->ob, 2, EV, strlen(EV)), 0);
	assert_false(outbox_full_pending(f->ob));
	assert_false(outbox_take_full(f->ob, &full));

	assert_int_equal(pthread_create(&t, NULL, append_thread, &a), 0);
	sleep_ms(200);
	assert_false(atomic_load(&a.done)); /* waiting, not dropping */
	assert_true(outbox_full_pending(f->ob));
	assert_true(outbox_take_full(f->ob, &full));
	assert_int_equal(full.events, 2);
	assert_int_equal(full.bytes, 2 * strlen("syscheck\n" EV));
	assert_false(outbox_take_full(f->ob, &full)); /* once per episode */

	/* the manager acknowledged the first: room, the append goes through */
	struct seen s;
	read_all(f, 0, &s);
	assert_int_equal(vg_dq_trim(outbox_queue(f->ob), s.seq[0], NULL), 0);
	assert_true(wait_done(&a, 5000));
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&a.rc), 0);
	assert_int_equal(pending(f), 2);

	char *log = vg_test_read_log(f->log);
	assert_int_equal(vg_test_count(log, "outbox full (2 events"), 1);
	vg_free(log);

	/* a new episode is reported again */
	struct appender b = {.ob = f->ob, .seq = 4};
	assert_int_equal(pthread_create(&t, NULL, append_thread, &b), 0);
	for (int i = 0; i < 500 && !outbox_full_pending(f->ob); i++)
		sleep_ms(10);
	assert_true(outbox_take_full(f->ob, &full));
	read_all(f, 0, &s);
	assert_int_equal(vg_dq_trim(outbox_queue(f->ob), s.seq[1], NULL), 0);
	assert_true(wait_done(&b, 5000));
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&b.rc), 0);
}

static void test_outbox__stop_while_waiting_fails_the_append(void **state)
{
	struct fx *f = *state;
	struct appender a = {.seq = 2};
	pthread_t t;

	open_ob(f, 1, 0);
	a.ob = f->ob;
	assert_int_equal(outbox_fim_emit(f->ob, 1, EV, strlen(EV)), 0);
	outbox_drain_wake(f->ob);
	assert_int_equal(pthread_create(&t, NULL, append_thread, &a), 0);
	sleep_ms(100);
	assert_false(atomic_load(&a.done));
	outbox_stop(f->ob);
	assert_true(wait_done(&a, 3000)); /* at once, not after a full room wait */
	pthread_join(t, NULL);
	assert_true(atomic_load(&a.rc) < 0); /* the FIM engine keeps the event */
	assert_int_equal(pending(f), 1);
	assert_true(readable(outbox_wake_fd(f->ob))); /* the shipper sees the stop */

	/* stopped: a full outbox fails at once; restarted: it waits again */
	assert_true(outbox_fim_emit(f->ob, 2, EV, strlen(EV)) < 0);
	outbox_restart(f->ob);
	struct appender b = {.ob = f->ob, .seq = 2};
	assert_int_equal(pthread_create(&t, NULL, append_thread, &b), 0);
	sleep_ms(100);
	assert_false(atomic_load(&b.done));
	outbox_stop(f->ob);
	assert_true(wait_done(&b, 3000));
	pthread_join(t, NULL);
}

static void test_outbox__event_larger_than_the_bound_fails_at_once(void **state)
{
	struct fx *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char big[200];

	memset(big, 'x', sizeof(big));
	open_ob(f, 0, 100);
	assert_int_equal(outbox_append(f->ob, "fim", 1, "syscheck", big, sizeof(big), NULL, &err),
			 VG_ETOOBIG);
	vg_test_err_mentions(&err, "can never fit");
}

static void test_outbox__reopen_keeps_what_was_not_trimmed(void **state)
{
	struct fx *f = *state;
	struct seen s;
	bool dup = false;

	open_ob(f, 0, 0);
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(outbox_fim_emit(f->ob, 100 + i, EV, strlen(EV)), 0);
	read_all(f, 0, &s);
	assert_int_equal(vg_dq_trim(outbox_queue(f->ob), s.seq[0], NULL), 0);
	uint64_t second = s.seq[1];
	outbox_close(f->ob);
	f->ob = NULL;

	open_ob(f, 0, 0);
	read_all(f, 0, &s);
	assert_int_equal(s.n, 2);
	assert_true(s.seq[0] == second);
	assert_true(s.source_seq[0] == 102);
	/* the trimmed event's number is still known: its redelivery is dropped */
	assert_int_equal(outbox_append(f->ob, "fim", 101, "syscheck", EV, strlen(EV), &dup, NULL),
			 0);
	assert_true(dup);
	assert_int_equal(pending(f), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_outbox__fim_event_stored_once_under_its_seq),
	    T(test_outbox__newlines_refused),
	    T(test_outbox__full_waits_for_room_and_reports_once),
	    T(test_outbox__stop_while_waiting_fails_the_append),
	    T(test_outbox__event_larger_than_the_bound_fails_at_once),
	    T(test_outbox__reopen_keeps_what_was_not_trimmed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
