/*
 * baseline.c - The FIM baseline database (SQLite, WAL, one writer).
 *
 * Schema (version BL_SCHEMA_VERSION in PRAGMA user_version):
 *   file_entry  one row per path, path a BLOB primary key (WITHOUT ROWID,
 *               so rows are stored in path order and a directory's subtree
 *               is one contiguous range of the B-tree)
 *   meta        small key/value engine state
 *   outbox      events waiting for delivery, by sequence number (version 2;
 *               a version 1 file gets the table at open)
 * A database with a newer or unknown version is refused, never rewritten:
 * an older Vigie must not corrupt a newer baseline.
 *
 * Statements are prepared once at open and cached in the handle. The handle
 * belongs to one thread (SQLITE_OPEN_NOMUTEX); the callback of
 * fim_baseline_foreach_under runs while a statement is active, so the
 * handle refuses reentrant calls instead of corrupting the walk.
 *
 * Errors name the database file: SQLITE_FULL (disk or size limit) is
 * VG_ETOOBIG, permission problems VG_EPERM, "not a database" and corruption
 * VG_EPARSE, the rest VG_EINTERNAL. SQLITE_BUSY is waited out by the busy
 * timeout first.
 */
#include "fim/baseline.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "lib/common.h"
#include "lib/db.h"
#include "lib/dbckpt.h"
#include "lib/mem.h"
#include "lib/str.h"

#define BL_SCHEMA_VERSION 2

/*
 * WAL frames (4 KiB pages) that start a checkpoint on the checkpointer's
 * thread: a baseline build's WAL goes into the database file while the scan
 * goes on, and closing copies only what the last 4 MiB left (SQLite's own
 * checkpoint in the engine's thread cost a 100k-file build ~4% at close).
 */
#define BL_WAL_PAGES 1024

enum bl_stmt {
	ST_GET,
	ST_PUT,
	ST_DEL,
	ST_COUNT,
	ST_RANGE,
	ST_META_GET,
	ST_META_SET,
	ST_OUTBOX_ADD,
	ST_OUTBOX_ALL,
	ST_OUTBOX_TRIM,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT_ALL_STMTS,
};

#define BL_COLS                                                                                    \
	"path, mode, dev, inode, size, uid, gid, user_name, group_name, mtime, mtime_ns, "         \
	"ctime, ctime_ns, hash_state, md5, sha1, sha256"

/* Column indexes of BL_COLS. */
enum {
	C_PATH,
	C_MODE,
	C_DEV,
	C_INODE,
	C_SIZE,
	C_UID,
	C_GID,
	C_USER,
	C_GROUP,
	C_MTIME,
	C_MTIME_NS,
	C_CTIME,
	C_CTIME_NS,
	C_HASH_STATE,
	C_MD5,
	C_SHA1,
	C_SHA256,
};

static const char *const bl_sql[ST_COUNT_ALL_STMTS] = {
    [ST_GET] = "SELECT " BL_COLS " FROM file_entry WHERE path = ?1",
    [ST_PUT] = "INSERT INTO file_entry (" BL_COLS ") VALUES "
	       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
	       "ON CONFLICT (path) DO UPDATE SET mode = excluded.mode, dev = excluded.dev, "
	       "inode = excluded.inode, size = excluded.size, uid = excluded.uid, "
	       "gid = excluded.gid, user_name = excluded.user_name, "
	       "group_name = excluded.group_name, mtime = excluded.mtime, "
	       "mtime_ns = excluded.mtime_ns, ctime = excluded.ctime, "
	       "ctime_ns = excluded.ctime_ns, hash_state = excluded.hash_state, "
	       "md5 = excluded.md5, sha1 = excluded.sha1, sha256 = excluded.sha256",
    [ST_DEL] = "DELETE FROM file_entry WHERE path = ?1",
    [ST_COUNT] = "SELECT count(*) FROM file_entry",
    /* a half-open range on the primary key: a B-tree range scan */
    [ST_RANGE] = "SELECT " BL_COLS " FROM file_entry WHERE path >= ?1 AND path < ?2 "
		 "ORDER BY path",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    /* parenthesised: one statement split over two lines, not two elements */
    [ST_META_SET] = ("INSERT INTO meta (key, value) VALUES (?1, ?2) "
		     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    [ST_OUTBOX_ADD] = "INSERT INTO outbox (seq, event) VALUES (?1, ?2)",
    [ST_OUTBOX_ALL] = "SELECT seq, event FROM outbox ORDER BY seq",
    [ST_OUTBOX_TRIM] = "DELETE FROM outbox WHERE seq <= ?1",
    /* IMMEDIATE: take the write lock now, where the busy timeout applies */
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

static const char bl_schema[] =
    "CREATE TABLE IF NOT EXISTS file_entry ("
    " path BLOB NOT NULL PRIMARY KEY, mode INTEGER NOT NULL, dev INTEGER NOT NULL,"
    " inode INTEGER NOT NULL, size INTEGER NOT NULL, uid INTEGER NOT NULL,"
    " gid INTEGER NOT NULL, user_name TEXT NOT NULL, group_name TEXT NOT NULL,"
    " mtime INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime INTEGER NOT NULL,"
    " ctime_ns INTEGER NOT NULL, hash_state INTEGER NOT NULL,"
    " md5 BLOB, sha1 BLOB, sha256 BLOB) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, event BLOB NOT NULL);"
    "PRAGMA user_version = 2;";

struct fim_baseline {
	sqlite3 *db;
	char *path; /* for messages */
	sqlite3_stmt *st[ST_COUNT_ALL_STMTS];
	struct vg_db_ckpt *ckpt; /* the WAL's checkpoints, off the engine's thread */
	bool walking;            /* inside a foreach_under callback */
	char *row_path;          /* NUL-terminated copy of the current walk row's path */
	size_t row_path_cap;
};

/* ---- Errors ----------------------------------------------------------------- */

/* Record a SQLite failure with the database path and SQLite's own words. */
static int bl_fail(const struct fim_baseline *bl, int rc, const char *what, struct vg_err *err)
{
	const char *msg = bl->db != NULL ? sqlite3_errmsg(bl->db) : sqlite3_errstr(rc);
	return vg_err_set(err, vg_db_code(rc), "baseline %s: %s: %s", bl->path, what, msg);
}

/* Reentrant calls from a walk callback would reset the walk's statement. */
static int bl_check_idle(const struct fim_baseline *bl, struct vg_err *err)
{
	if (bl->walking)
		return vg_err_set(err, VG_EINTERNAL,
				  "baseline %s: called from a foreach_under callback", bl->path);
	return 0;
}

/* Run a cached statement that returns no row (BEGIN, COMMIT, DELETE...). */
static int bl_run(struct fim_baseline *bl, enum bl_stmt s, const char *what, struct vg_err *err)
{
	int rc = sqlite3_step(bl->st[s]);
	sqlite3_reset(bl->st[s]);
	sqlite3_clear_bindings(bl->st[s]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return bl_fail(bl, rc, what, err);
	return 0;
}

/* ---- Open and close ------------------------------------------------------------ */

static int bl_user_version(struct fim_baseline *bl, int *version, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(bl->db, "PRAGMA user_version", -1, &st, NULL);

	*version = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : bl_fail(bl, rc, "reading the schema version", err);
}

/* Settings, then the schema: created when new, refused when unknown. */
static int bl_init_schema(struct fim_baseline *bl, struct vg_err *err)
{
	int version = 0;
	int rc;

	rc = bl_user_version(bl, &version, err);
	if (rc != 0)
		return rc;
	if (version > BL_SCHEMA_VERSION || version < 0)
		return vg_err_set(err, VG_EPARSE,
				  "baseline %s has schema version %d; this Vigie knows up to %d "
				  "(remove the file to rebuild the baseline)",
				  bl->path, version, BL_SCHEMA_VERSION);
	if (version == BL_SCHEMA_VERSION)
		return 0;
	rc = sqlite3_exec(bl->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(bl->db, bl_schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(bl->db, "COMMIT;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int r = bl_fail(bl, rc, "creating the schema", err);
		if (!sqlite3_get_autocommit(bl->db))
			sqlite3_exec(bl->db, "ROLLBACK;", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

int fim_baseline_open(const char *path, struct fim_baseline **out, struct vg_err *err)
{
	/*
	 * Agent state: 0600, and the -wal/-shm files SQLite derives from it. A
	 * 16 MiB page cache (allocated as used) keeps a 100k-file scan batch
	 * from spilling to the WAL page by page: 2x faster puts than the 2 MiB
	 * default.
	 */
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct fim_baseline *bl = NULL;
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	o.what = "baseline";
	o.mode = 0600;
	o.cache_kib = 16384;
	if ((rc = vg_db_open(path, &o, &db, err)) != 0)
		return rc;
	bl = vg_xcalloc(1, sizeof(*bl));
	bl->db = db; /* transferred */
	bl->path = vg_xstrdup(path);
	rc = bl_init_schema(bl, err);
	if (rc == 0)
		rc = vg_db_prepare_all(bl->db, bl_sql, ST_COUNT_ALL_STMTS, bl->st, err);
	if (rc == 0 && strcmp(path, ":memory:") != 0) /* no WAL there */
		rc = vg_db_ckpt_start(bl->db, path, &o, BL_WAL_PAGES, &bl->ckpt, err);
	if (rc != 0) {
		fim_baseline_close(bl);
		return rc;
	}
	*out = bl; /* transferred */
	return 0;
}

void fim_baseline_close(struct fim_baseline *bl)
{
	if (bl == NULL)
		return;
	vg_db_ckpt_stop(bl->ckpt);
	vg_db_finalize_all(bl->st, ST_COUNT_ALL_STMTS);
	/* an open transaction is rolled back by SQLite */
	sqlite3_close(bl->db);
	vg_free(bl->row_path);
	vg_free(bl->path);
	vg_free(bl);
}

int fim_baseline_set_max_size(struct fim_baseline *bl, uint64_t max_bytes, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	char sql[96];
	int rc = bl_check_idle(bl, err);
	int page = 4096;

	if (rc != 0)
		return rc;
	rc = sqlite3_prepare_v2(bl->db, "PRAGMA page_size", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		page = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	/* 0 restores SQLite's own maximum (about 4 billion pages) */
	uint64_t pages = max_bytes == 0 ? 4294967294u : VG_MAX(max_bytes / (uint64_t)page, 1);
	if (pages > 4294967294u)
		pages = 4294967294u;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %llu", (unsigned long long)pages);
	rc = sqlite3_exec(bl->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : bl_fail(bl, rc, "setting the size limit", err);
}

/* ---- Transactions ---------------------------------------------------------------- */

int fim_baseline_begin(struct fim_baseline *bl, struct vg_err *err)
{
	int rc = bl_check_idle(bl, err);
	return rc != 0 ? rc : bl_run(bl, ST_BEGIN, "begin", err);
}

int fim_baseline_commit(struct fim_baseline *bl, struct vg_err *err)
{
	int rc = bl_check_idle(bl, err);
	if (rc != 0)
		return rc;
	/* SQLite may already have rolled back after SQLITE_FULL or an I/O error */
	if (sqlite3_get_autocommit(bl->db))
		return vg_err_set(err, VG_EINTERNAL,
				  "baseline %s: commit without an open transaction (rolled back "
				  "after an earlier error?)",
				  bl->path);
	return bl_run(bl, ST_COMMIT, "commit", err);
}

void fim_baseline_rollback(struct fim_baseline *bl)
{
	if (bl == NULL || bl->walking || sqlite3_get_autocommit(bl->db))
		return;
	/* a failure here leaves nothing to do: SQLite rolls back on close */
	(void)bl_run(bl, ST_ROLLBACK, "rollback", NULL);
}

/* ---- Rows -------------------------------------------------------------------------- */

static void bl_copy_text(sqlite3_stmt *st, int col, char *dst, size_t dstsz)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	vg_strlcpy(dst, s != NULL ? (const char *)s : "", dstsz);
}

/* The hex form of a digest column of want bytes; "" for NULL or a bad size. */
static void bl_copy_digest(sqlite3_stmt *st, int col, char *dst, size_t want)
{
	const void *raw = sqlite3_column_blob(st, col);
	if (raw == NULL || (size_t)sqlite3_column_bytes(st, col) != want)
		dst[0] = '\0';
	else
		vg_hex_encode(dst, raw, want);
}

/* Fill every field but the path from the current row of st. */
static void bl_row_fields(sqlite3_stmt *st, struct fim_entry *e)
{
	e->mode = (mode_t)sqlite3_column_int64(st, C_MODE);
	e->dev = (uint64_t)sqlite3_column_int64(st, C_DEV);
	e->inode = (uint64_t)sqlite3_column_int64(st, C_INODE);
	e->size = (uint64_t)sqlite3_column_int64(st, C_SIZE);
	e->uid = (uint32_t)sqlite3_column_int64(st, C_UID);
	e->gid = (uint32_t)sqlite3_column_int64(st, C_GID);
	bl_copy_text(st, C_USER, e->user_name, sizeof(e->user_name));
	bl_copy_text(st, C_GROUP, e->group_name, sizeof(e->group_name));
	e->mtime = sqlite3_column_int64(st, C_MTIME);
	e->mtime_ns = sqlite3_column_int64(st, C_MTIME_NS);
	e->ctime = sqlite3_column_int64(st, C_CTIME);
	e->ctime_ns = sqlite3_column_int64(st, C_CTIME_NS);
	e->hash_state = (enum fim_hash_state)sqlite3_column_int(st, C_HASH_STATE);
	bl_copy_digest(st, C_MD5, e->digests.md5, 16);
	bl_copy_digest(st, C_SHA1, e->digests.sha1, 20);
	bl_copy_digest(st, C_SHA256, e->digests.sha256, 32);
}

/*
 * A digest column holds the raw bytes (half the size of hex: a smaller
 * baseline, fewer pages to write), or NULL when not computed, so ""
 * never masquerades as a digest.
 */
static int bl_bind_digest(sqlite3_stmt *st, int col, const char *hex)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	size_t n;
	if (hex[0] == '\0' || vg_hex_decode(hex, raw, sizeof(raw), &n) != 0)
		return sqlite3_bind_null(st, col);
	return sqlite3_bind_blob(st, col, raw, (int)n, SQLITE_TRANSIENT);
}

static int bl_bind_entry(sqlite3_stmt *st, const struct fim_entry *e)
{
	int rc = sqlite3_bind_blob64(st, C_PATH + 1, e->path, e->path_len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_MODE + 1, (sqlite3_int64)e->mode);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_DEV + 1, (sqlite3_int64)e->dev);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_INODE + 1, (sqlite3_int64)e->inode);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_SIZE + 1, (sqlite3_int64)e->size);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_UID + 1, e->uid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_GID + 1, e->gid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, C_USER + 1, e->user_name,
				       (int)strnlen(e->user_name, sizeof(e->user_name)),
				       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, C_GROUP + 1, e->group_name,
				       (int)strnlen(e->group_name, sizeof(e->group_name)),
				       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_MTIME + 1, e->mtime);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_MTIME_NS + 1, e->mtime_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_CTIME + 1, e->ctime);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_CTIME_NS + 1, e->ctime_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, C_HASH_STATE + 1, (int)e->hash_state);
	if (rc == SQLITE_OK)
		rc = bl_bind_digest(st, C_MD5 + 1, e->digests.md5);
	if (rc == SQLITE_OK)
		rc = bl_bind_digest(st, C_SHA1 + 1, e->digests.sha1);
	if (rc == SQLITE_OK)
		rc = bl_bind_digest(st, C_SHA256 + 1, e->digests.sha256);
	return rc;
}

static int bl_check_path(const struct fim_baseline *bl, const char *path, size_t len,
			 struct vg_err *err)
{
	if (path == NULL || len == 0)
		return vg_err_set(err, VG_EPARSE, "baseline %s: empty path", bl->path);
	if (memchr(path, '\0', len) != NULL)
		return vg_err_set(err, VG_EPARSE, "baseline %s: path holds a NUL byte", bl->path);
	return 0;
}

int fim_baseline_get(struct fim_baseline *bl, const char *path, size_t len, struct fim_entry *out,
		     struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_GET];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = bl_check_idle(bl, err);
	if (rc == 0)
		rc = bl_check_path(bl, path, len, err);
	if (rc != 0)
		return rc;
	rc = sqlite3_bind_blob64(st, 1, path, len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		bl_row_fields(st, out);
		out->path = vg_xstrndup(path, len);
		out->path_len = len;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		char esc[128];
		rc = vg_err_set(err, VG_ENOTFOUND, "baseline %s: no entry for %s", bl->path,
				vg_escape(esc, sizeof(esc), path, len));
	} else {
		rc = bl_fail(bl, rc, "get", err);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int fim_baseline_put(struct fim_baseline *bl, const struct fim_entry *e, struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_PUT];
	int rc = bl_check_idle(bl, err);

	if (rc == 0)
		rc = bl_check_path(bl, e->path, e->path_len, err);
	if (rc != 0)
		return rc;
	rc = bl_bind_entry(st, e);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : bl_fail(bl, rc, "put", err);
}

int fim_baseline_delete(struct fim_baseline *bl, const char *path, size_t len, struct vg_err *err)
{
	int rc = bl_check_idle(bl, err);

	if (rc == 0)
		rc = bl_check_path(bl, path, len, err);
	if (rc != 0)
		return rc;
	rc = sqlite3_bind_blob64(bl->st[ST_DEL], 1, path, len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(bl->st[ST_DEL]);
		return bl_fail(bl, rc, "delete", err);
	}
	return bl_run(bl, ST_DEL, "delete", err);
}

/* ---- Walks ------------------------------------------------------------------------- */

/* Hand the current row of st to fn, with the path copied out NUL-terminated. */
static int bl_visit(struct fim_baseline *bl, sqlite3_stmt *st, fim_baseline_fn fn, void *ctx)
{
	struct fim_entry e;
	const void *p = sqlite3_column_blob(st, C_PATH);
	size_t n = (size_t)sqlite3_column_bytes(st, C_PATH);

	if (n + 1 > bl->row_path_cap) {
		bl->row_path_cap = n + 1 > 256 ? n + 1 : 256;
		vg_free(bl->row_path);
		bl->row_path = vg_xmalloc(bl->row_path_cap);
	}
	if (n > 0)
		memcpy(bl->row_path, p, n);
	bl->row_path[n] = '\0';
	memset(&e, 0, sizeof(e));
	bl_row_fields(st, &e);
	e.path = bl->row_path; /* borrowed for the call */
	e.path_len = n;
	return fn(ctx, &e);
}

/* Step st to the end, visiting each row; fn's non-zero return stops it. */
static int bl_walk_stmt(struct fim_baseline *bl, sqlite3_stmt *st, fim_baseline_fn fn, void *ctx,
			struct vg_err *err)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = bl_visit(bl, st, fn, ctx);
		if (r != 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : bl_fail(bl, rc, "walk", err);
}

/* Run st (bound by the caller) through the walk, then reset it. */
static int bl_walk_bound(struct fim_baseline *bl, sqlite3_stmt *st, int bind_rc, fim_baseline_fn fn,
			 void *ctx, struct vg_err *err)
{
	int rc = bind_rc == SQLITE_OK ? bl_walk_stmt(bl, st, fn, ctx, err)
				      : bl_fail(bl, bind_rc, "walk", err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* The rows strictly below dir[0..n): exactly the range [dir "/", dir "0"). */
static int bl_walk_children(struct fim_baseline *bl, const char *dir, size_t n, fim_baseline_fn fn,
			    void *ctx, struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_RANGE];
	char *lo = vg_xmalloc(n + 1);
	char *hi = vg_xmalloc(n + 1);
	int rc;

	memcpy(lo, dir, n);
	memcpy(hi, dir, n);
	lo[n] = '/';
	hi[n] = '0'; /* '/' + 1: nothing sorts between "dir/\xff..." and "dir0" */
	rc = sqlite3_bind_blob64(st, 1, lo, n + 1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob64(st, 2, hi, n + 1, SQLITE_STATIC);
	rc = bl_walk_bound(bl, st, rc, fn, ctx, err);
	vg_free(lo);
	vg_free(hi);
	return rc;
}

int fim_baseline_foreach_under(struct fim_baseline *bl, const char *dir, fim_baseline_fn fn,
			       void *ctx, struct vg_err *err)
{
	size_t n = strlen(dir);
	int rc = bl_check_idle(bl, err);

	if (rc != 0)
		return rc;
	/* "/a/" is "/a"; "/" becomes "", whose range ["/", "0") is every absolute path */
	while (n > 0 && dir[n - 1] == '/')
		n--;
	bl->walking = true;
	if (n > 0) {
		/* the directory itself sorts before its children: visit it first */
		sqlite3_stmt *st = bl->st[ST_GET];
		rc = bl_walk_bound(bl, st, sqlite3_bind_blob64(st, 1, dir, n, SQLITE_STATIC), fn,
				   ctx, err);
	}
	if (rc == 0)
		rc = bl_walk_children(bl, dir, n, fn, ctx, err);
	bl->walking = false;
	return rc;
}

/* ---- Counts and meta ----------------------------------------------------------------- */

int fim_baseline_count(struct fim_baseline *bl, uint64_t *out, struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_COUNT];
	int rc = bl_check_idle(bl, err);

	*out = 0;
	if (rc != 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = bl_fail(bl, rc, "count", err);
	}
	sqlite3_reset(st);
	return rc;
}

int fim_baseline_meta_get(struct fim_baseline *bl, const char *key, int64_t *out,
			  struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_META_GET];
	int rc = bl_check_idle(bl, err);

	*out = 0;
	if (rc != 0)
		return rc;
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = vg_err_set(err, VG_ENOTFOUND, "baseline %s: no meta key %s", bl->path, key);
	} else {
		rc = bl_fail(bl, rc, "meta get", err);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int fim_baseline_meta_set(struct fim_baseline *bl, const char *key, int64_t value,
			  struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_META_SET];
	int rc = bl_check_idle(bl, err);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, value);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return bl_fail(bl, rc, "meta set", err);
	}
	return bl_run(bl, ST_META_SET, "meta set", err);
}

/* ---- Outbox ------------------------------------------------------------------------ */

int fim_baseline_outbox_add(struct fim_baseline *bl, uint64_t seq, const void *event, size_t len,
			    struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_OUTBOX_ADD];
	int rc = bl_check_idle(bl, err);

	if (rc != 0)
		return rc;
	if (seq > INT64_MAX || len > INT_MAX)
		return vg_err_set(err, VG_ETOOBIG, "baseline %s: outbox event too big", bl->path);
	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 2, event, (int)len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return bl_fail(bl, rc, "outbox add", err);
	}
	return bl_run(bl, ST_OUTBOX_ADD, "outbox add", err);
}

int fim_baseline_outbox_foreach(struct fim_baseline *bl, fim_outbox_fn fn, void *ctx,
				uint64_t *last, struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_OUTBOX_ALL];
	int rc = bl_check_idle(bl, err);

	*last = 0;
	if (rc != 0)
		return rc;
	bl->walking = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const void *ev = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		if (fn(ctx, seq, ev != NULL ? ev : "", len) != 0)
			break;
		*last = seq;
	}
	bl->walking = false;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : bl_fail(bl, rc, "outbox read", err);
	sqlite3_reset(st);
	return rc;
}

int fim_baseline_outbox_trim(struct fim_baseline *bl, uint64_t upto, struct vg_err *err)
{
	sqlite3_stmt *st = bl->st[ST_OUTBOX_TRIM];
	int rc = bl_check_idle(bl, err);

	if (rc != 0)
		return rc;
	rc = sqlite3_bind_int64(st, 1, upto > INT64_MAX ? INT64_MAX : (sqlite3_int64)upto);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return bl_fail(bl, rc, "outbox trim", err);
	}
	return bl_run(bl, ST_OUTBOX_TRIM, "outbox trim", err);
}
