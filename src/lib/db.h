/*
 * db.h - Thin SQLite helpers shared by every database of the project.
 *
 * Every Vigie database (event queue, alert store, later the verdict cache
 * and the job queues) is opened the same way: the file is created with a
 * chosen mode before SQLite touches it (SQLite gives its -wal and -shm files
 * the database file's mode), extended result codes, a busy timeout, WAL and
 * synchronous=NORMAL. In WAL mode that means a committed transaction survives
 * the process being killed (even with kill -9), but the last transactions
 * before a power loss or kernel crash may be rolled back (never corrupted).
 *
 * The helpers work on plain sqlite3 handles: they add error mapping and
 * messages, not another abstraction. Every failure is reported as a VG_E*
 * code with a message naming the database file and SQLite's own words:
 * SQLITE_FULL (disk or size limit) is VG_ETOOBIG, permission and read-only
 * problems VG_EPERM, "not a database" and corruption VG_EPARSE, a file that
 * cannot be opened VG_ENOTFOUND, the rest VG_EINTERNAL.
 *
 * Thread model: a handle opened here is NOMUTEX: it belongs to one thread
 * at a time, the caller serializes (see each module's header).
 */
#ifndef VG_DB_H
#define VG_DB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "lib/err.h"

struct vg_db_opts {
	bool readonly;     /* open an existing database for reading only */
	mode_t mode;       /* file mode when created (and enforced); 0 = 0600 */
	int busy_ms;       /* busy timeout; 0 = 10 s */
	int64_t cache_kib; /* page cache in KiB; 0 = SQLite's default (2 MiB) */
	const char *what;  /* names the database in messages ("event queue") */
	int page_size;     /* bytes, a power of two 512..65536, for a new file; 0 = 4096 */
};

#define VG_DB_OPTS_INIT                                                                            \
	{                                                                                          \
		false, 0, 0, 0, "database", 0                                                      \
	}

/*
 * Open (creating when not readonly) the database at path with the project's
 * settings; ":memory:" is accepted. The parent directory must exist: a
 * missing one is VG_ENOTFOUND naming it. A file that is not a SQLite
 * database is VG_EPARSE. *out is NULL on failure.
 */
int vg_db_open(const char *path, const struct vg_db_opts *opts, sqlite3 **out,
	       struct vg_err *err) VG_MUST_CHECK;

/* Close db (NULL allowed); an open transaction is rolled back. */
void vg_db_close(sqlite3 *db);

/* The VG_E* code for a SQLite result code (primary or extended). */
int vg_db_code(int rc);

/*
 * Record a SQLite failure rc as "<file>: <what>: <SQLite message>" in err
 * and return its VG_E* code. db may be NULL (the message is then generic).
 */
int vg_db_fail(sqlite3 *db, int rc, const char *what, struct vg_err *err);

/* Run one or more statements that return no rows of interest. */
int vg_db_exec(sqlite3 *db, const char *sql, const char *what, struct vg_err *err) VG_MUST_CHECK;

/* Prepare a statement kept for the handle's life (SQLITE_PREPARE_PERSISTENT). */
int vg_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Prepare the n statements sql[i] into st[i] (persistent). On failure the
 * ones already prepared stay in st for vg_db_finalize_all, which the
 * caller's close function runs anyway.
 */
int vg_db_prepare_all(sqlite3 *db, const char *const *sql, size_t n, sqlite3_stmt **st,
		      struct vg_err *err) VG_MUST_CHECK;

/* Finalize the n statements of st (NULL entries allowed). */
void vg_db_finalize_all(sqlite3_stmt **st, size_t n);

/*
 * Step st once. Returns 1 for a row (the statement stays active), 0 when
 * done (the statement is reset and its bindings cleared), a VG_E* code on
 * failure (the statement is reset too).
 */
int vg_db_step(sqlite3_stmt *st, const char *what, struct vg_err *err) VG_MUST_CHECK;

/* Reset st and clear its bindings (after reading rows). NULL allowed. */
void vg_db_reset(sqlite3_stmt *st);

/* BEGIN IMMEDIATE: takes the write lock now, where the busy timeout applies. */
int vg_db_begin(sqlite3 *db, struct vg_err *err) VG_MUST_CHECK;
/* COMMIT; an error if SQLite already rolled back (after SQLITE_FULL...). */
int vg_db_commit(sqlite3 *db, struct vg_err *err) VG_MUST_CHECK;

/*
 * End the open transaction: commit when rc is 0, else (or when the commit
 * fails) roll back. Returns the final status: rc, or the commit's failure.
 */
int vg_db_end(sqlite3 *db, int rc, struct vg_err *err) VG_MUST_CHECK;
/* ROLLBACK when a transaction is open; nothing otherwise. */
void vg_db_rollback(sqlite3 *db);

/*
 * Bring the schema to version: a new database (user_version 0) gets
 * schema_sql and user_version = version in one transaction; the same version
 * is accepted as is; any other version is refused (VG_EPARSE) and the file
 * is never rewritten, so an older Vigie cannot damage a newer database.
 */
int vg_db_schema(sqlite3 *db, const char *schema_sql, int version,
		 struct vg_err *err) VG_MUST_CHECK;

/* The file name of db for messages ("" for :memory:). Borrowed. */
const char *vg_db_name(sqlite3 *db);

#endif
