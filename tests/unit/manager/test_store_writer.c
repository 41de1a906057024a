/* Unit tests for src/manager/store_writer.c: the store's inserts on their own thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/mem.h"
#include "manager/store.h"
#include "manager/store_writer.h"
#include "support/support.h"

struct fixture {
	struct vg_test_dbdir *dir;
	struct store *store;
	struct store_writer *w;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;
	void *dir = NULL;

	if (vg_test_dbdir_setup(&dir, "vg-sw", "alerts.db") != 0)
		return -1;
	f->dir = dir;
	if (store_open(f->dir->db, &f->store, &err) != 0 ||
	    store_writer_start(f->store, &f->w, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	void *dir = f->dir;

	store_writer_stop(f->w);
	store_close(f->store);
	vg_test_dbdir_teardown(&dir);
	vg_free(f);
	return 0;
}

/* Alert i, its strings in buffers the test overwrites once it is handed over. */
struct row {
	char id[32], path[64], sha256[65], json[256];
	struct store_alert a;
};

static void make_row(struct row *r, int i)
{
	snprintf(r->id, sizeof(r->id), "1700000000.%d", 100 + i);
	snprintf(r->path, sizeof(r->path), "/srv/file%d", i);
	snprintf(r->sha256, sizeof(r->sha256), "%064x", i + 1);
	snprintf(r->json, sizeof(r->json), "{\"id\":\"%s\",\"n\":%d}", r->id, i);
	r->a = (struct store_alert){
	    .id = r->id,
	    .time_ms = 1700000000000 + i,
	    .rule_id = 554,
	    .level = (unsigned)(3 + i % 5),
	    .agent_id = "001",
	    .agent_name = i % 2 ? "web" : NULL,
	    .location = "syscheck",
	    .description = "File added to the system.",
	    .path = r->path,
	    .sha256 = r->sha256,
	    .groups = "ossec,syscheck,",
	    .json = r->json,
	};
}

static void add_rows(struct fixture *f, int first, int n)
{
	struct vg_err err = VG_ERR_INIT;
	struct row r;

	for (int i = first; i < first + n; i++) {
		make_row(&r, i);
		if (store_writer_add(f->w, &r.a, &err) != 0)
			fail_msg("store_writer_add: %s", err.msg);
		memset(&r, 'x', sizeof(r.json)); /* the writer keeps its own copy */
	}
}

struct seen {
	int n;
	bool odd_named, even_unnamed, json_ok;
};

static int check_row(void *ctx, int64_t row, const struct store_alert *a)
{
	struct seen *s = ctx;
	struct row want;

	make_row(&want, (int)row - 1);
	s->json_ok = s->json_ok && strcmp(a->json, want.json) == 0 && strcmp(a->id, want.id) == 0 &&
		     strcmp(a->path, want.path) == 0 && a->md5 == NULL;
	if ((row - 1) % 2 == 1)
		s->odd_named = a->agent_name != NULL && strcmp(a->agent_name, "web") == 0;
	else
		s->even_unnamed = a->agent_name == NULL;
	s->n++;
	return 0;
}

static struct seen follow_all(struct fixture *f)
{
	struct vg_err err = VG_ERR_INIT;
	struct store_reader *r = NULL;
	struct store_follow fo = {.limit = 100000};
	struct seen s = {.json_ok = true};

	if (store_reader_open(f->dir->db, &r, &err) != 0 ||
	    store_follow(r, &fo, check_row, &s, &err) != 0)
		fail_msg("following: %s", err.msg);
	store_reader_close(r);
	return s;
}

static void test_store_writer__rows_handed_over_are_committed_as_given(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(store_begin(f->store, &err), 0);
	add_rows(f, 0, 1000); /* many chunks, the last one partial */
	assert_int_equal(store_writer_sync(f->w, &err), 0);
	assert_int_equal(store_commit(f->store, 1, NULL, &err), 0);
	struct seen s = follow_all(f);
	assert_int_equal(s.n, 1000);
	assert_true(s.json_ok);
	assert_true(s.odd_named);
	assert_true(s.even_unnamed);
}

static void test_store_writer__a_failed_insert_fails_the_batch_once(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct row bad;

	assert_int_equal(store_begin(f->store, &err), 0);
	add_rows(f, 0, 10);
	make_row(&bad, 10);
	bad.a.id = "not-an-id"; /* store_add refuses it on the thread */
	assert_int_equal(store_writer_add(f->w, &bad.a, &err), 0);
	add_rows(f, 11, 10);
	assert_int_equal(store_writer_sync(f->w, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "not-an-id");
	store_rollback(f->store);

	/* reported once: the next batch starts clean */
	vg_err_clear(&err);
	assert_int_equal(store_begin(f->store, &err), 0);
	add_rows(f, 0, 5);
	assert_int_equal(store_writer_sync(f->w, &err), 0);
	assert_int_equal(store_commit(f->store, 2, NULL, &err), 0);
	assert_int_equal(follow_all(f).n, 5);
}

static void test_store_writer__large_and_oversized_rows(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	size_t big = 600 * 1024; /* more than a chunk */
	char *json = vg_xmalloc(big + 1);
	struct row r;

	memset(json, ' ', big);
	memcpy(json, "{\"a\":1}", 7);
	json[big] = '\0';
	make_row(&r, 0);
	r.a.json = json;
	assert_int_equal(store_begin(f->store, &err), 0);
	assert_int_equal(store_writer_add(f->w, &r.a, &err), 0);
	assert_int_equal(store_writer_sync(f->w, &err), 0);
	assert_int_equal(store_commit(f->store, 1, NULL, &err), 0);
	vg_free(json);

	struct store_reader *rd = NULL;
	char *back = NULL;
	assert_int_equal(store_reader_open(f->dir->db, &rd, &err), 0);
	assert_int_equal(store_get(rd, r.id, &back, &err), 0);
	assert_int_equal(strlen(back), big);
	vg_free(back);
	store_reader_close(rd);

	/* a description of 16 MiB cannot be handed over: said at once */
	char *huge = vg_xmalloc(16u * 1024 * 1024 + 1);
	memset(huge, 'd', 16u * 1024 * 1024);
	huge[16u * 1024 * 1024] = '\0';
	make_row(&r, 1);
	r.a.description = huge;
	assert_int_equal(store_writer_add(f->w, &r.a, &err), VG_ETOOBIG);
	vg_free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_store_writer__rows_handed_over_are_committed_as_given, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer__a_failed_insert_fails_the_batch_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_writer__large_and_oversized_rows, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
