/* Unit tests for src/lib/dbckpt.c: WAL checkpoints on their own thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "lib/db.h"
#include "lib/dbckpt.h"
#include "lib/mem.h"
#include "support/support.h"

#define PAGES 16          /* the checkpointer's threshold, in 4 KiB pages */
#define COMMITS 300       /* each of a 16 KiB row: ~5 WAL frames */
#define FRAME (4096 + 24) /* a WAL frame: a page and its header */

static int setup(void **state)
{
	return vg_test_dbdir_setup(state, "vg-ckpt", "t.db");
}

static int teardown(void **state)
{
	return vg_test_dbdir_teardown(state);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	struct vg_err err = VG_ERR_INIT;
	if (vg_db_exec(db, sql, "test", &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
}

/* The database at path, with a table t of blobs. */
static sqlite3 *open_table(const char *path)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	sqlite3 *db = NULL;

	if (vg_db_open(path, &o, &db, &err) != 0)
		fail_msg("open %s: %s", path, err.msg);
	exec_ok(db, "CREATE TABLE t (b BLOB)");
	return db;
}

static off_t wal_size(const char *db)
{
	char wal[160];
	struct stat st;

	vg_test_fmt(wal, sizeof(wal), "%s-wal", db);
	return stat(wal, &st) == 0 ? st.st_size : -1;
}

/*
 * A writer that never pauses: without the checkpointer's wait its WAL would
 * hold every commit (~1,500 frames); with it, the WAL starts over and stays
 * near twice the threshold, and every row is there.
 */
static void test_dbckpt__a_busy_writer_keeps_a_bounded_wal(void **state)
{
	struct vg_test_dbdir *d = *state;
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_ckpt *c = NULL;
	sqlite3 *db = open_table(d->db);
	off_t max_wal = 0;

	assert_int_equal(vg_db_ckpt_start(db, d->db, &o, PAGES, &c, &err), 0);
	for (int i = 0; i < COMMITS; i++) {
		exec_ok(db, "INSERT INTO t VALUES (zeroblob(16384))");
		off_t sz = wal_size(d->db);
		max_wal = sz > max_wal ? sz : max_wal;
	}
	assert_true(vg_db_ckpt_runs(c) > 0);
	assert_true(max_wal < (off_t)(3 * PAGES + 10) * FRAME);
	vg_db_ckpt_stop(c);

	sqlite3_stmt *st = NULL;
	assert_int_equal(vg_db_prepare(db, "SELECT count(*) FROM t", &st, &err), 0);
	assert_int_equal(vg_db_step(st, "counting", &err), 1);
	assert_int_equal(sqlite3_column_int(st, 0), COMMITS);
	sqlite3_finalize(st);
	vg_db_close(db);
}

/* Below the threshold nothing runs; stopping then is immediate and clean. */
static void test_dbckpt__small_wal_is_left_alone(void **state)
{
	struct vg_test_dbdir *d = *state;
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_ckpt *c = NULL;
	sqlite3 *db = open_table(d->db);

	assert_int_equal(vg_db_ckpt_start(db, d->db, &o, 1000, &c, &err), 0);
	exec_ok(db, "INSERT INTO t VALUES (zeroblob(16384))");
	assert_int_equal(vg_db_ckpt_runs(c), 0);
	vg_db_ckpt_stop(c);
	vg_db_ckpt_stop(NULL);
	vg_db_close(db);
}

static void test_dbckpt__unopenable_database_is_an_error(void **state)
{
	struct vg_test_dbdir *d = *state;
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_ckpt *c = (struct vg_db_ckpt *)&err; /* must be reset to NULL */
	sqlite3 *db = open_table(d->db);
	char missing[192];

	vg_test_fmt(missing, sizeof(missing), "%s/no/such/dir/t.db", d->dir);
	assert_int_equal(vg_db_ckpt_start(db, missing, &o, 16, &c, &err), VG_ENOTFOUND);
	assert_null(c);
	vg_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dbckpt__a_busy_writer_keeps_a_bounded_wal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dbckpt__small_wal_is_left_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dbckpt__unopenable_database_is_an_error, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
