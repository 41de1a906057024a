/* Unit tests for src/manager/store_stats.c: the overview's aggregates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "lib/mem.h"
#include "manager/store.h"
#include "manager/store_stats.h"

#define T0 1699999200000LL /* a multiple of an hour */
#define HOUR 3600000LL

struct fixture {
	char dir[64];
	char db[128];
	struct store *w;
	struct store_stats *s;
	int64_t next_off;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;

	snprintf(f->dir, sizeof(f->dir), "/tmp/vg-stats-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/alerts.db", f->dir);
	if (store_open(f->db, &f->w, &err) != 0 || store_stats_open(f->db, &f->s, &err) != 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *sfx[] = {"", "-wal", "-shm"};
	char p[160];

	store_stats_close(f->s);
	store_close(f->w);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->db, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	vg_free(f);
	return 0;
}

/* One committed alert. */
static void add(struct fixture *f, int64_t t, unsigned rule, unsigned level, const char *agent,
		const char *desc, const char *path)
{
	struct vg_err err = VG_ERR_INIT;
	char id[48], name[32];
	struct store_alert a;

	snprintf(id, sizeof(id), "%lld.%lld", (long long)(t / 1000), (long long)++f->next_off);
	snprintf(name, sizeof(name), "name-%s", agent);
	a = (struct store_alert){.id = id,
				 .time_ms = t,
				 .rule_id = rule,
				 .level = level,
				 .agent_id = agent,
				 .agent_name = name,
				 .description = desc,
				 .path = path,
				 .groups = "syscheck,",
				 .json = "{}"};
	assert_int_equal(store_begin(f->w, &err), 0);
	assert_int_equal(store_add(f->w, &a, NULL, &err), 0);
	assert_int_equal(store_commit(f->w, 0, NULL, &err), 0);
}

/* ---------------------------------------------------------------- levels */

struct lv {
	int64_t b[16];
	unsigned level[16];
	uint64_t n[16];
	size_t k;
};

static int on_level(void *ctx, int64_t b, unsigned level, uint64_t n)
{
	struct lv *l = ctx;

	assert_true(l->k < 16);
	l->b[l->k] = b;
	l->level[l->k] = level;
	l->n[l->k++] = n;
	return 0;
}

static void test_store_stats__levels_count_per_bucket_and_level(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct lv seek = {0}, scan = {0};

	add(f, T0 + 10, 554, 5, "001", "added", "/a");
	add(f, T0 + 20, 550, 7, "001", "changed", "/a");
	add(f, T0 + 30, 554, 5, "002", "added", "/b");
	add(f, T0 + HOUR + 5, 87105, 12, "002", "vt", "/b");
	add(f, T0 + 3 * HOUR, 554, 5, "001", "added", "/c"); /* outside until */
	add(f, T0 - 1, 554, 5, "001", "added", "/d");        /* before since */

	/* 2 hours in hour buckets: one range count per (bucket, class) */
	assert_int_equal(store_stats_levels(f->s, T0, T0 + 2 * HOUR, HOUR, on_level, &seek, &err),
			 0);
	assert_int_equal(seek.k, 3);
	assert_true(seek.b[0] == T0 && seek.level[0] == 5 && seek.n[0] == 2);
	assert_true(seek.b[1] == T0 && seek.level[1] == 7 && seek.n[1] == 1);
	assert_true(seek.b[2] == T0 + HOUR && seek.level[2] == 12 && seek.n[2] == 1);

	/* a year in minutes is too many seeks: the scan gives the same counts */
	assert_int_equal(
	    store_stats_levels(f->s, T0, T0 + 365 * 24 * HOUR, 60000, on_level, &scan, &err), 0);
	assert_int_equal(scan.k, 4);
	assert_true(scan.b[0] == T0 && scan.level[0] == 5 && scan.n[0] == 2);
	assert_true(scan.b[3] == T0 + 3 * HOUR && scan.n[3] == 1);

	assert_int_equal(store_stats_levels(f->s, T0, T0 + HOUR, 0, on_level, &scan, &err),
			 VG_EPARSE);
}

/* ---------------------------------------------------------------- top */

struct tops {
	char key[4][16], label[4][32];
	uint64_t n[4];
	size_t k;
};

static int on_top(void *ctx, const char *key, const char *label, uint64_t n)
{
	struct tops *t = ctx;

	assert_true(t->k < 4);
	snprintf(t->key[t->k], sizeof(t->key[0]), "%s", key);
	snprintf(t->label[t->k], sizeof(t->label[0]), "%s", label);
	t->n[t->k++] = n;
	return 0;
}

static void test_store_stats__top_rules_and_agents_most_first_newest_label(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct tops r = {0}, a = {0}, one = {0};

	add(f, T0 - 5, 550, 7, "009", "too old", "/x"); /* before since: not counted */
	add(f, T0 + 1, 554, 5, "002", "added one", "/a");
	add(f, T0 + 2, 554, 5, "001", "added two", "/b");
	add(f, T0 + 3, 554, 3, "001", "added at another level", "/c"); /* another class */
	add(f, T0 + 4, 550, 7, "001", "changed", "/a");

	assert_int_equal(store_stats_top(f->s, STORE_STATS_RULES, T0, 10, on_top, &r, &err), 0);
	assert_int_equal(r.k, 2);
	assert_string_equal(r.key[0], "554");
	assert_int_equal(r.n[0], 3);
	assert_string_equal(r.label[0], "added at another level"); /* the newest */
	assert_string_equal(r.key[1], "550");
	assert_int_equal(r.n[1], 1);

	assert_int_equal(store_stats_top(f->s, STORE_STATS_AGENTS, T0, 10, on_top, &a, &err), 0);
	assert_int_equal(a.k, 2);
	assert_string_equal(a.key[0], "001");
	assert_int_equal(a.n[0], 3);
	assert_string_equal(a.label[0], "name-001");
	assert_string_equal(a.key[1], "002");

	assert_int_equal(store_stats_top(f->s, STORE_STATS_AGENTS, T0, 1, on_top, &one, &err), 0);
	assert_int_equal(one.k, 1);
}

/* ---------------------------------------------------------------- files */

static uint64_t files(struct fixture *f, int64_t since)
{
	struct vg_err err = VG_ERR_INIT;
	uint64_t n = 99;

	assert_int_equal(store_stats_files(f->s, 87105, since, &n, &err), 0);
	return n;
}

static void test_store_stats__files_follow_new_alerts_and_retention(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	uint64_t n = 0;

	assert_int_equal(files(f, 0), 0);
	add(f, T0, 87105, 12, "001", "vt", "/a");
	add(f, T0 + 10, 87105, 12, "001", "vt", "/a"); /* the same file again */
	add(f, T0 + 20, 87105, 12, "002", "vt", "/a"); /* another agent's */
	add(f, T0 + 30, 554, 5, "001", "added", "/z"); /* another rule */
	assert_int_equal(files(f, 0), 2);
	assert_int_equal(files(f, T0 + 15), 1);

	/* alerts added after a call are counted by the next one */
	add(f, T0 + HOUR, 87105, 12, "001", "vt", "/b");
	add(f, T0 + HOUR + 1, 87105, 12, "001", "vt", "/a"); /* /a of 001 is newer now */
	assert_int_equal(files(f, T0 + 15), 3);
	assert_int_equal(files(f, T0 + HOUR + 1), 1);

	/* another rule: another memo, the same answers as the plain query */
	assert_int_equal(store_stats_files(f->s, 554, 0, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(files(f, 0), 3);

	/* retention: 002's only alert goes, so does its file */
	assert_int_equal(store_prune(f->w, T0 + 25, NULL, &err), 0);
	assert_int_equal(files(f, 0), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_store_stats__levels_count_per_bucket_and_level,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_store_stats__top_rules_and_agents_most_first_newest_label, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_stats__files_follow_new_alerts_and_retention,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
