/* Unit tests for src/manager/evqueue.c: event queue records and appends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/dqueue.h"
#include "lib/mem.h"
#include "manager/evqueue.h"

struct fx {
	char dir[64];
	char *path;
	struct vg_dq *q;
};

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/vigie-evqueue-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = vg_xasprintf("%s/events.db", f->dir);
	assert_int_equal(vg_dq_open(f->path, NULL, &f->q, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = vg_xasprintf("rm -rf '%s'", f->dir);
	vg_dq_close(f->q);
	assert_int_equal(system(cmd), 0);
	vg_free(cmd);
	vg_free(f->path);
	vg_free(f);
	return 0;
}

static uint64_t pending(struct fx *f)
{
	struct vg_dq_stats st;
	vg_dq_stats(f->q, &st);
	return st.pending_records;
}

struct seen {
	char source[8];
	char data[64];
};

static int keep_first(void *ctx, const struct vg_dq_rec *rec)
{
	struct seen *s = ctx;
	snprintf(s->source, sizeof(s->source), "%s", rec->source);
	snprintf(s->data, sizeof(s->data), "%.*s", (int)rec->len, (const char *)rec->data);
	return 1;
}

static void test_evqueue__record_is_location_newline_line(void **state)
{
	struct fx *f = *state;
	const struct mgr_producer p = {f->q, "000", "syscheck", NULL};
	struct seen s = {{0}, {0}};
	const char *loc, *line;
	size_t loc_len, line_len;

	assert_int_equal(mgr_evqueue_append(&p, 0, "{\"a\":1}", 7, NULL), 0);
	assert_int_equal(vg_dq_read(f->q, 0, 1, keep_first, &s, NULL, NULL), 0);
	assert_string_equal(s.source, "000");
	assert_string_equal(s.data, "syscheck\n{\"a\":1}");
	assert_int_equal(
	    mgr_evqueue_split(s.data, strlen(s.data), &loc, &loc_len, &line, &line_len, NULL), 0);
	assert_int_equal(loc_len, 8);
	assert_memory_equal(loc, "syscheck", 8);
	assert_int_equal(line_len, 7);
	assert_int_equal(
	    mgr_evqueue_split("no-newline", 10, &loc, &loc_len, &line, &line_len, NULL), VG_EPARSE);
}

/* A FIM outbox event handed over again after a crash has the same seq: the
 * queue keeps one copy. Events without a seq are always new. */
static void test_evqueue__redelivered_seq_is_dropped(void **state)
{
	struct fx *f = *state;
	struct mgr_producer p = {f->q, "000", "syscheck", NULL};

	assert_int_equal(mgr_evqueue_fim_emit(&p, 1795815310317375ull, "{}", 2), 0);
	assert_int_equal(mgr_evqueue_fim_emit(&p, 1795815310317375ull, "{}", 2), 0);
	assert_int_equal(pending(f), 1);
	assert_int_equal(mgr_evqueue_fim_emit(&p, 1795815310317376ull, "{}", 2), 0);
	assert_int_equal(pending(f), 2);
	assert_int_equal(mgr_evqueue_append(&p, 0, "{}", 2, NULL), 0);
	assert_int_equal(mgr_evqueue_append(&p, 0, "{}", 2, NULL), 0);
	assert_int_equal(pending(f), 4);
}

static void test_evqueue__newlines_are_refused(void **state)
{
	struct fx *f = *state;
	const struct mgr_producer bad_loc = {f->q, "000", "sys\ncheck", NULL};
	const struct mgr_producer p = {f->q, "000", "syscheck", NULL};
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(mgr_evqueue_append(&bad_loc, 0, "{}", 2, &err), VG_EPARSE);
	assert_int_equal(mgr_evqueue_append(&p, 0, "{}\n{}", 5, &err), VG_EPARSE);
	assert_int_equal(pending(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_evqueue__record_is_location_newline_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_evqueue__redelivered_seq_is_dropped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_evqueue__newlines_are_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
