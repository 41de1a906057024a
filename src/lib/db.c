/*
 * db.c - Thin SQLite helpers: open with the project's pragmas, error mapping.
 *
 * Kept deliberately small: the modules own their schemas, statements and
 * locking; this file only makes every database open, fail and report the
 * same way (see db.h for the settings and the error mapping).
 */
#include "lib/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/str.h"

#define DB_BUSY_MS_DEFAULT 10000

int vg_db_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_TOOBIG:
		return VG_ETOOBIG;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return VG_EPERM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return VG_EPARSE;
	case SQLITE_CANTOPEN:
		return VG_ENOTFOUND;
	default:
		return VG_EINTERNAL;
	}
}

const char *vg_db_name(sqlite3 *db)
{
	const char *name = db != NULL ? sqlite3_db_filename(db, "main") : NULL;
	return name != NULL ? name : "";
}

int vg_db_fail(sqlite3 *db, int rc, const char *what, struct vg_err *err)
{
	const char *name = vg_db_name(db);
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	return vg_err_set(err, vg_db_code(rc), "%s: %s: %s", name[0] != '\0' ? name : "database",
			  what, msg);
}

int vg_db_exec(sqlite3 *db, const char *sql, const char *what, struct vg_err *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : vg_db_fail(db, rc, what, err);
}

int vg_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, struct vg_err *err)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	return rc == SQLITE_OK ? 0 : vg_db_fail(db, rc, "preparing a statement", err);
}

int vg_db_prepare_all(sqlite3 *db, const char *const *sql, size_t n, sqlite3_stmt **st,
		      struct vg_err *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = vg_db_prepare(db, sql[i], &st[i], err);
	return rc;
}

void vg_db_finalize_all(sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sqlite3_finalize(st[i]);
}

int vg_db_step(sqlite3_stmt *st, const char *what, struct vg_err *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	/* the message must be read before the reset can replace it */
	int code = rc == SQLITE_DONE ? 0 : vg_db_fail(sqlite3_db_handle(st), rc, what, err);
	vg_db_reset(st);
	return code;
}

void vg_db_reset(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int vg_db_begin(sqlite3 *db, struct vg_err *err)
{
	return vg_db_exec(db, "BEGIN IMMEDIATE", "begin", err);
}

int vg_db_commit(sqlite3 *db, struct vg_err *err)
{
	/* SQLite may already have rolled back after SQLITE_FULL or an I/O error */
	if (sqlite3_get_autocommit(db))
		return vg_err_set(err, VG_EINTERNAL,
				  "%s: commit without an open transaction (rolled back after an "
				  "earlier error?)",
				  vg_db_name(db));
	return vg_db_exec(db, "COMMIT", "commit", err);
}

int vg_db_end(sqlite3 *db, int rc, struct vg_err *err)
{
	if (rc == 0)
		rc = vg_db_commit(db, err);
	if (rc != 0)
		vg_db_rollback(db);
	return rc;
}

void vg_db_rollback(sqlite3 *db)
{
	if (db == NULL || sqlite3_get_autocommit(db))
		return;
	/* a failure leaves nothing to do: SQLite rolls back on close */
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- Open ------------------------------------------------------------------- */

/*
 * Say clearly which directory is missing rather than letting SQLite report
 * "unable to open database file", and create the file with its mode before
 * SQLite opens it.
 */
static int db_prepare_file(const char *path, const struct vg_db_opts *o, struct vg_err *err)
{
	char *dir = vg_xstrdup(path);
	char *slash = strrchr(dir, '/');
	mode_t mode = o->mode != 0 ? o->mode : 0600;
	struct stat st;
	int rc = 0;
	int fd = -1;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		vg_strlcpy(dir, ".", 2);
	if (stat(dir, &st) != 0) {
		rc = vg_err_errno(err, errno, "%s directory %s", o->what, dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = vg_err_set(err, VG_ENOTFOUND, "%s directory %s is not a directory", o->what,
				dir);
		goto out;
	}
	if (o->readonly)
		goto out; /* SQLite reports a missing file as it opens it */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		rc = vg_err_errno(err, errno, "%s %s", o->what, path);
		goto out;
	}
	if (fchmod(fd, mode) != 0)
		rc = vg_err_errno(err, errno, "%s %s: chmod %04o", o->what, path, (unsigned)mode);
out:
	if (fd >= 0)
		close(fd);
	vg_free(dir);
	return rc;
}

static int db_cache_size(sqlite3 *db, const struct vg_db_opts *o, struct vg_err *err)
{
	char sql[64];

	if (o->cache_kib <= 0)
		return 0;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%lld", (long long)o->cache_kib);
	return vg_db_exec(db, sql, "setting the cache size", err);
}

static int db_settings(sqlite3 *db, const struct vg_db_opts *o, struct vg_err *err)
{
	char sql[160];
	int rc;

	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, o->busy_ms > 0 ? o->busy_ms : DB_BUSY_MS_DEFAULT);
	/* the first statements that read the file: "not a database" shows here */
	if (o->readonly) {
		rc = db_cache_size(db, o, err);
		return rc != 0 ? rc
			       : vg_db_exec(db, "SELECT count(*) FROM sqlite_master",
					    "reading the schema", err);
	}
	/* before WAL: the page size of a WAL database can no longer change */
	if (o->page_size > 0) {
		snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", o->page_size);
		rc = vg_db_exec(db, sql, "setting the page size", err);
		if (rc != 0)
			return rc;
	}
	/*
	 * After the page size: on a new file, SQLite keeps the cache's size in
	 * pages of the size in force when cache_size ran, so 64 MiB asked at
	 * 4 KiB pages became 1 GiB of 64 KiB pages (the alert store grew by
	 * every page it wrote).
	 */
	if ((rc = db_cache_size(db, o, err)) != 0)
		return rc;
	return vg_db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
			  "setting WAL mode", err);
}

int vg_db_open(const char *path, const struct vg_db_opts *opts, sqlite3 **out, struct vg_err *err)
{
	struct vg_db_opts o = opts != NULL ? *opts : (struct vg_db_opts)VG_DB_OPTS_INIT;
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	int rc;

	*out = NULL;
	if (o.what == NULL)
		o.what = "database";
	if (path == NULL || path[0] == '\0')
		return vg_err_set(err, VG_EINTERNAL, "%s: empty database path", o.what);
	if (strcmp(path, ":memory:") != 0) {
		rc = db_prepare_file(path, &o, err);
		if (rc != 0)
			return rc;
	}
	flags |= o.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = vg_err_set(err, vg_db_code(rc), "%s %s: opening: %s", o.what, path,
				db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	rc = db_settings(db, &o, err);
out:
	if (rc != 0) {
		vg_db_close(db);
		return rc;
	}
	*out = db; /* transferred */
	return 0;
}

void vg_db_close(sqlite3 *db)
{
	/* v2: statements the caller forgot do not keep the file open forever */
	sqlite3_close_v2(db);
}

/* ---- Schema ------------------------------------------------------------------ */

static int db_user_version(sqlite3 *db, int *version, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	*version = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		rc = vg_db_fail(db, rc, "reading the schema version", err);
	sqlite3_finalize(st);
	return rc;
}

int vg_db_schema(sqlite3 *db, const char *schema_sql, int version, struct vg_err *err)
{
	char sql[64];
	int have = 0;
	int rc = db_user_version(db, &have, err);

	if (rc != 0)
		return rc;
	if (have == version)
		return 0;
	if (have != 0)
		return vg_err_set(err, VG_EPARSE,
				  "%s has schema version %d; this Vigie knows version %d",
				  vg_db_name(db), have, version);
	rc = vg_db_begin(db, err);
	if (rc != 0)
		return rc;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	rc = vg_db_exec(db, schema_sql, "creating the schema", err);
	if (rc == 0)
		rc = vg_db_exec(db, sql, "setting the schema version", err);
	if (rc == 0)
		rc = vg_db_commit(db, err);
	if (rc != 0)
		vg_db_rollback(db);
	return rc;
}
