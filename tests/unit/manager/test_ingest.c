/*
 * Unit tests for src/manager/ingest.c: the agents' in-memory FIFO, its
 * marks, bounds, read/release/rewind and the consumer's wake-ups.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "manager/ingest.h"

/* Records id..id+n-1 whose data is "e<id>". */
struct recs {
	struct mgr_ingest_rec r[16];
	char text[16][16];
};

static const struct mgr_ingest_rec *mk(struct recs *b, uint64_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(b->text[i], sizeof(b->text[i]), "e%llu", (unsigned long long)(first + i));
		b->r[i] = (struct mgr_ingest_rec){first + i, b->text[i], strlen(b->text[i])};
	}
	return b->r;
}

struct seen {
	struct vg_buf out;
	size_t stop_at; /* refuse the record at this index (0 = none) */
	size_t n;
};

static int collect(void *ctx, const struct mgr_ingest_item *it)
{
	struct seen *s = ctx;
	if (s->stop_at != 0 && s->n + 1 == s->stop_at)
		return 1;
	s->n++;
	assert_int_equal(vg_buf_printf(&s->out, "%s:%llu:%.*s ", it->agent,
				       (unsigned long long)it->id, (int)it->len,
				       (const char *)it->data),
			 0);
	return 0;
}

static int mark_list(void *ctx, const char *agent, uint64_t id)
{
	assert_int_equal(vg_buf_printf(ctx, "%s=%llu ", agent, (unsigned long long)id), 0);
	return 0;
}

static bool fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

static void test_ingest__fifo_order_across_agents_and_dedup(void **state)
{
	struct mgr_ingest *in = NULL;
	struct recs b;
	struct seen s = {.out = VG_BUF_INIT(4096)};
	size_t added = 9;
	uint64_t enq, dur;

	(void)state;
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 1, 2), 2, &added, NULL), 0);
	assert_int_equal(added, 2);
	assert_int_equal(mgr_ingest_push(in, "002", mk(&b, 7, 1), 1, &added, NULL), 0);
	/* a resend of 1..2 plus 3: only 3 is new */
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 1, 3), 3, &added, NULL), 0);
	assert_int_equal(added, 1);
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(enq, 3);
	assert_int_equal(dur, 0);
	assert_int_equal(mgr_ingest_read(in, 100, collect, &s), 4);
	assert_string_equal(vg_buf_cstr(&s.out), "001:1:e1 001:2:e2 002:7:e7 001:3:e3 ");
	struct mgr_ingest_stats st;
	mgr_ingest_stats(in, &st);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.unread, 0);
	vg_buf_free(&s.out);
	mgr_ingest_free(in);
}

static void test_ingest__release_publishes_durable_marks(void **state)
{
	struct mgr_ingest *in = NULL;
	struct recs b;
	struct seen s = {.out = VG_BUF_INIT(4096), .stop_at = 3};
	struct vg_buf marks = VG_BUF_INIT(4096);
	uint64_t enq, dur;

	(void)state;
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 1, 3), 3, NULL, NULL), 0);
	assert_int_equal(mgr_ingest_push(in, "002", mk(&b, 5, 1), 1, NULL, NULL), 0);
	/* the third record fails: two read */
	assert_int_equal(mgr_ingest_read(in, 100, collect, &s), 2);
	assert_int_equal(mgr_ingest_marks_read(in, mark_list, &marks), 0);
	assert_string_equal(vg_buf_cstr(&marks), "001=2 ");
	assert_false(fd_readable(mgr_ingest_fd(in)));
	mgr_ingest_release(in);
	assert_true(fd_readable(mgr_ingest_fd(in)));
	mgr_ingest_fd_clear(in);
	assert_false(fd_readable(mgr_ingest_fd(in)));
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(enq, 3);
	assert_int_equal(dur, 2);
	/* the failed record comes first again */
	vg_buf_reset(&s.out);
	s.stop_at = 0;
	assert_int_equal(mgr_ingest_read(in, 100, collect, &s), 2);
	assert_string_equal(vg_buf_cstr(&s.out), "001:3:e3 002:5:e5 ");
	mgr_ingest_release(in);
	mgr_ingest_marks(in, "002", &enq, &dur);
	assert_int_equal(dur, 5);
	struct mgr_ingest_stats st;
	mgr_ingest_stats(in, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.bytes, 0);
	vg_buf_free(&s.out);
	vg_buf_free(&marks);
	mgr_ingest_free(in);
}

static void test_ingest__rewind_reads_again(void **state)
{
	struct mgr_ingest *in = NULL;
	struct recs b;
	struct seen s = {.out = VG_BUF_INIT(4096)};
	uint64_t enq, dur;

	(void)state;
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 1, 2), 2, NULL, NULL), 0);
	assert_int_equal(mgr_ingest_read(in, 1, collect, &s), 1);
	mgr_ingest_release(in);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 3, 1), 1, NULL, NULL), 0);
	assert_int_equal(mgr_ingest_read(in, 100, collect, &s), 2);
	mgr_ingest_rewind(in); /* the commit failed */
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(dur, 1);
	assert_true(mgr_ingest_pending(in));
	vg_buf_reset(&s.out);
	assert_int_equal(mgr_ingest_read(in, 100, collect, &s), 2);
	assert_string_equal(vg_buf_cstr(&s.out), "001:2:e2 001:3:e3 ");
	vg_buf_free(&s.out);
	mgr_ingest_free(in);
}

static void test_ingest__bounds_refuse_whole_pushes(void **state)
{
	const struct mgr_ingest_opts o = {3, 0};
	struct mgr_ingest *in = NULL;
	struct recs b;
	struct seen s = {.out = VG_BUF_INIT(4096)};
	size_t added = 9;
	uint64_t enq, dur;

	(void)state;
	assert_int_equal(mgr_ingest_new(&o, &in, NULL), 0);
	/* an empty FIFO takes any batch: it could never fit otherwise */
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 1, 4), 4, NULL, NULL), 0);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 5, 1), 1, &added, NULL), VG_ETOOBIG);
	assert_int_equal(added, 0);
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(enq, 4); /* nothing of the refused push was taken */
	assert_int_equal(mgr_ingest_read(in, 100, collect, &s), 4);
	/* read but not released: still counted */
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 5, 1), 1, NULL, NULL), VG_ETOOBIG);
	mgr_ingest_release(in);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 5, 1), 1, &added, NULL), 0);
	assert_int_equal(added, 1);
	assert_int_equal(
	    mgr_ingest_push(in, "0123456789012345678901234", mk(&b, 1, 1), 1, NULL, NULL),
	    VG_EPARSE);
	vg_buf_free(&s.out);
	mgr_ingest_free(in);
}

static void test_ingest__seed_drops_committed_resends(void **state)
{
	struct mgr_ingest *in = NULL;
	struct recs b;
	size_t added = 9;
	uint64_t enq, dur;

	(void)state;
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	mgr_ingest_seed(in, "001", 5);
	mgr_ingest_seed(in, "001", 2); /* never lowers */
	mgr_ingest_marks(in, "001", &enq, &dur);
	assert_int_equal(enq, 5);
	assert_int_equal(dur, 5);
	assert_int_equal(mgr_ingest_push(in, "001", mk(&b, 3, 4), 4, &added, NULL), 0);
	assert_int_equal(added, 1); /* only 6 */
	mgr_ingest_free(in);
}

struct pusher {
	struct mgr_ingest *in;
};

static void *push_later(void *arg)
{
	struct pusher *p = arg;
	struct recs b;
	usleep(50 * 1000);
	assert_int_equal(mgr_ingest_push(p->in, "001", mk(&b, 1, 1), 1, NULL, NULL), 0);
	return NULL;
}

static void test_ingest__wait_wakes_on_push_and_kick(void **state)
{
	struct mgr_ingest *in = NULL;
	struct pusher p;
	pthread_t t;

	(void)state;
	assert_int_equal(mgr_ingest_new(NULL, &in, NULL), 0);
	uint64_t gen = mgr_ingest_gen(in);
	assert_false(mgr_ingest_wait(in, gen, 10)); /* timeout */
	mgr_ingest_kick(in);                        /* a kick after gen: no wait at all */
	assert_false(mgr_ingest_wait(in, gen, 5000));
	p.in = in;
	assert_int_equal(pthread_create(&t, NULL, push_later, &p), 0);
	assert_true(mgr_ingest_wait(in, mgr_ingest_gen(in), 5000));
	pthread_join(t, NULL);
	mgr_ingest_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ingest__fifo_order_across_agents_and_dedup),
	    cmocka_unit_test(test_ingest__release_publishes_durable_marks),
	    cmocka_unit_test(test_ingest__rewind_reads_again),
	    cmocka_unit_test(test_ingest__bounds_refuse_whole_pushes),
	    cmocka_unit_test(test_ingest__seed_drops_committed_resends),
	    cmocka_unit_test(test_ingest__wait_wakes_on_push_and_kick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
