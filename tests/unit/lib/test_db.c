/* Unit tests for src/lib/db.c: the project's SQLite open, errors, schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "support/support.h"

static int setup(void **state)
{
	return vg_test_dbdir_setup(state, "vg-db", "t.db");
}

static int teardown(void **state)
{
	return vg_test_dbdir_teardown(state);
}

static sqlite3 *open_ok(const char *path, const struct vg_db_opts *o)
{
	struct vg_err err = VG_ERR_INIT;
	sqlite3 *db = NULL;
	if (vg_db_open(path, o, &db, &err) != 0)
		fail_msg("open %s: %s", path, err.msg);
	return db;
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	struct vg_err err = VG_ERR_INIT;
	int64_t v = -1;
	assert_int_equal(vg_db_prepare(db, sql, &st, &err), 0);
	assert_int_equal(vg_db_step(st, "pragma", &err), 1);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_db__open_applies_mode_and_pragmas(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct stat st;
	sqlite3_stmt *jm = NULL;
	struct vg_err err = VG_ERR_INIT;

	o.mode = 0640;
	o.cache_kib = 4096;
	sqlite3 *db = open_ok(f->db, &o);
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(pragma_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(pragma_int(db, "PRAGMA cache_size"), -4096);
	assert_int_equal(vg_db_prepare(db, "PRAGMA journal_mode", &jm, &err), 0);
	assert_int_equal(vg_db_step(jm, "pragma", &err), 1);
	assert_string_equal((const char *)sqlite3_column_text(jm, 0), "wal");
	sqlite3_finalize(jm);
	assert_non_null(strstr(vg_db_name(db), "t.db"));
	vg_db_close(db);
}

/*
 * The cache holds cache_kib whatever the page size: on a new file the page
 * size used to come after cache_size, and SQLite then kept the page count
 * of 4 KiB pages (1 MiB asked, 16 MiB held at 64 KiB pages).
 */
static void test_db__cache_size_holds_with_large_pages(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	sqlite3_stmt *ins = NULL;
	int used = 0, high = 0;

	o.page_size = 65536;
	o.cache_kib = 1024;
	sqlite3 *db = open_ok(f->db, &o);
	assert_int_equal(pragma_int(db, "PRAGMA page_size"), 65536);
	assert_int_equal(vg_db_exec(db, "CREATE TABLE t (v BLOB)", "creating the test table", &err),
			 0);
	assert_int_equal(vg_db_begin(db, &err), 0);
	assert_int_equal(vg_db_prepare(db, "INSERT INTO t (v) VALUES (zeroblob(4000))", &ins, &err),
			 0);
	for (int i = 0; i < 4096; i++) /* 16 MiB of rows */
		assert_int_equal(vg_db_step(ins, "inserting", &err), 0);
	sqlite3_finalize(ins);
	assert_int_equal(vg_db_end(db, 0, &err), 0);
	assert_int_equal(sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_USED, &used, &high, 0),
			 SQLITE_OK);
	assert_true(used <= 3 * 1024 * 1024); /* 1 MiB and a few pages in use */
	vg_db_close(db);
}

static void test_db__errors_name_the_file_and_sqlite_words(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_err err = VG_ERR_INIT;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = open_ok(f->db, NULL);

	assert_int_equal(vg_db_exec(db, "CREATE TABLE t (k TEXT PRIMARY KEY)", "create", &err), 0);
	assert_int_equal(vg_db_exec(db, "SELEC nonsense", "bad sql", &err), VG_EINTERNAL);
	assert_non_null(strstr(err.msg, f->db));
	assert_non_null(strstr(err.msg, "bad sql"));
	assert_non_null(strstr(err.msg, "syntax error"));

	vg_err_clear(&err);
	assert_int_equal(vg_db_prepare(db, "INSERT INTO t VALUES (?1)", &st, &err), 0);
	sqlite3_bind_text(st, 1, "a", -1, SQLITE_STATIC);
	assert_int_equal(vg_db_step(st, "insert", &err), 0);
	sqlite3_bind_text(st, 1, "a", -1, SQLITE_STATIC);
	assert_int_equal(vg_db_step(st, "insert again", &err), VG_EINTERNAL);
	assert_non_null(strstr(err.msg, "UNIQUE constraint failed"));
	/* the statement was reset: usable again */
	sqlite3_bind_text(st, 1, "b", -1, SQLITE_STATIC);
	assert_int_equal(vg_db_step(st, "insert", NULL), 0);
	sqlite3_finalize(st);

	assert_int_equal(vg_db_code(SQLITE_FULL), VG_ETOOBIG);
	assert_int_equal(vg_db_code(SQLITE_READONLY_DBMOVED), VG_EPERM);
	assert_int_equal(vg_db_code(SQLITE_NOTADB), VG_EPARSE);
	assert_int_equal(vg_db_code(SQLITE_CORRUPT_INDEX), VG_EPARSE);
	assert_int_equal(vg_db_code(SQLITE_CANTOPEN), VG_ENOTFOUND);
	assert_int_equal(vg_db_code(SQLITE_IOERR_WRITE), VG_EINTERNAL);
	vg_db_close(db);
}

static void test_db__transactions_commit_and_roll_back(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_err err = VG_ERR_INIT;
	sqlite3 *db = open_ok(f->db, NULL);

	assert_int_equal(vg_db_exec(db, "CREATE TABLE t (v INTEGER)", "create", &err), 0);
	assert_int_equal(vg_db_begin(db, &err), 0);
	assert_int_equal(vg_db_exec(db, "INSERT INTO t VALUES (1)", "insert", &err), 0);
	vg_db_rollback(db);
	assert_int_equal(pragma_int(db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(vg_db_begin(db, &err), 0);
	assert_int_equal(vg_db_exec(db, "INSERT INTO t VALUES (2)", "insert", &err), 0);
	assert_int_equal(vg_db_commit(db, &err), 0);
	assert_int_equal(pragma_int(db, "SELECT sum(v) FROM t"), 2);
	/* commit with nothing open is an error; rollback is a no-op */
	assert_int_equal(vg_db_commit(db, &err), VG_EINTERNAL);
	assert_non_null(strstr(err.msg, "without an open transaction"));
	vg_db_rollback(db);
	vg_db_close(db);
}

static void test_db__schema_is_created_once_and_newer_refused(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_err err = VG_ERR_INIT;
	sqlite3 *db = open_ok(f->db, NULL);
	const char *schema = "CREATE TABLE t (v INTEGER);";

	assert_int_equal(vg_db_schema(db, schema, 3, &err), 0);
	assert_int_equal(pragma_int(db, "PRAGMA user_version"), 3);
	/* again: accepted as is (a second CREATE would fail) */
	assert_int_equal(vg_db_schema(db, schema, 3, &err), 0);
	/* a database of another version is refused and left alone */
	assert_int_equal(vg_db_schema(db, schema, 2, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "schema version 3"));
	assert_int_equal(pragma_int(db, "PRAGMA user_version"), 3);
	/* a failing schema leaves version 0 */
	vg_db_close(db);
	unlink(f->db);
	db = open_ok(f->db, NULL);
	vg_err_clear(&err);
	assert_int_equal(vg_db_schema(db, "CREATE TABLE x (a); CREATE TABLE x (b);", 1, &err),
			 VG_EINTERNAL);
	assert_int_equal(pragma_int(db, "PRAGMA user_version"), 0);
	assert_int_equal(pragma_int(db, "SELECT count(*) FROM sqlite_master"), 0);
	vg_db_close(db);
}

static void test_db__bad_files_give_clear_codes(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_db_opts ro = VG_DB_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	sqlite3 *db = NULL;
	char p[160];

	ro.readonly = true;
	ro.what = "test db";
	assert_int_equal(vg_db_open(f->db, &ro, &db, &err), VG_ENOTFOUND);
	assert_null(db);
	assert_non_null(strstr(err.msg, "test db"));

	snprintf(p, sizeof(p), "%s/missing/t.db", f->dir);
	vg_err_clear(&err);
	assert_int_equal(vg_db_open(p, NULL, &db, &err), VG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "missing"));

	vg_err_clear(&err);
	assert_int_equal(vg_db_open("", NULL, &db, &err), VG_EINTERNAL);

	FILE *fp = fopen(f->db, "w");
	assert_non_null(fp);
	for (int i = 0; i < 100; i++)
		fputs("garbage garbage garbage garbage\n", fp);
	fclose(fp);
	vg_err_clear(&err);
	assert_int_equal(vg_db_open(f->db, NULL, &db, &err), VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vg_db_open(f->db, &ro, &db, &err), VG_EPARSE);
	unlink(f->db);

	/* a read-only handle refuses writes with VG_EPERM */
	db = open_ok(f->db, NULL);
	assert_int_equal(vg_db_exec(db, "CREATE TABLE t (v)", "create", &err), 0);
	vg_db_close(db);
	db = open_ok(f->db, &ro);
	vg_err_clear(&err);
	assert_int_equal(vg_db_exec(db, "INSERT INTO t VALUES (1)", "insert", &err), VG_EPERM);
	vg_db_close(db);
}

/* A bad statement in the middle: named error, the ones before it stay
 * prepared for vg_db_finalize_all (ASan checks nothing leaks). */
static void test_db__prepare_all_stops_at_the_bad_one(void **state)
{
	struct vg_test_dbdir *f = *state;
	sqlite3 *db = open_ok(f->db, NULL);
	static const char *const sql[] = {"SELECT 1", "SELEKT 2", "SELECT 3"};
	sqlite3_stmt *st[3] = {NULL, NULL, NULL};
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vg_db_prepare_all(db, sql, 3, st, &err), VG_EINTERNAL);
	assert_non_null(strstr(err.msg, "SELEKT"));
	assert_non_null(st[0]);
	assert_null(st[2]);
	vg_db_finalize_all(st, 3);
	assert_int_equal(vg_db_prepare_all(db, sql, 1, st, &err), 0);
	assert_int_equal(sqlite3_step(st[0]), SQLITE_ROW);
	vg_db_finalize_all(st, 1);
	vg_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_db__prepare_all_stops_at_the_bad_one, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_db__cache_size_holds_with_large_pages, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_db__open_applies_mode_and_pragmas, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_db__errors_name_the_file_and_sqlite_words, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_db__transactions_commit_and_roll_back, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_db__schema_is_created_once_and_newer_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_db__bad_files_give_clear_codes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
