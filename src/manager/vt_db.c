/*
 * vt_db.c - Per-module schema versions and sha256 checking for
 *           integrations.db (see vt_db.h for why not user_version).
 */
#include "manager/vt_db.h"

#include <stdbool.h>
#include <string.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "lib/str.h"

#define VT_DB_ESC_MAX 96 /* an escaped bad value in a message */

static const char vt_db_registry[] = "CREATE TABLE IF NOT EXISTS schema_module ("
				     "module TEXT NOT NULL PRIMARY KEY, version BIGINT NOT NULL)";

char *vt_db_path(const char *home)
{
	return vg_xasprintf("%s/queue/integrations.db", home);
}

/* Whether schema_module exists (a read-only handle cannot create it). */
static bool vt_db_has_registry(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	/* preparing fails ("no such table") exactly when it is missing */
	int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM schema_module", -1, &st, NULL);

	sqlite3_finalize(st);
	return rc == SQLITE_OK;
}

/* *version = the module's recorded version, 0 when it has none. */
static int vt_db_version(sqlite3 *db, const char *module, int64_t *version, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = vg_db_prepare(db, "SELECT version FROM schema_module WHERE module = ?1", &st, err);

	*version = 0;
	if (rc == 0) {
		sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
		rc = vg_db_step(st, "reading a module's schema version", err);
	}
	if (rc == 1) {
		*version = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int vt_db_record(sqlite3 *db, const char *module, int version, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = vg_db_prepare(db,
			       "INSERT INTO schema_module (module, version) VALUES (?1, ?2) "
			       "ON CONFLICT (module) DO NOTHING",
			       &st, err);

	if (rc == 0) {
		sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, version);
		rc = vg_db_step(st, "recording a module's schema version", err);
	}
	sqlite3_finalize(st);
	return rc;
}

int vt_db_module(sqlite3 *db, const char *module, int version, const char *ddl, struct vg_err *err)
{
	bool readonly = sqlite3_db_readonly(db, "main") == 1;
	int64_t have = 0;
	int rc = readonly ? 0 : vg_db_exec(db, vt_db_registry, "creating schema_module", err);

	if (rc == 0 && readonly && !vt_db_has_registry(db))
		rc = vg_err_set(err, VG_ENOTFOUND, "%s holds no %s tables", vg_db_name(db), module);
	if (rc == 0)
		rc = vt_db_version(db, module, &have, err);
	if (rc != 0)
		goto out;
	if (have == version)
		goto out;
	if (have != 0) {
		rc = vg_err_set(err, VG_EPARSE,
				"%s holds %s schema version %lld; this Vigie knows %d",
				vg_db_name(db), module, (long long)have, version);
		goto out;
	}
	if (readonly) {
		rc = vg_err_set(err, VG_ENOTFOUND, "%s holds no %s tables", vg_db_name(db), module);
		goto out;
	}
	rc = vg_db_exec(db, ddl, module, err);
	if (rc == 0)
		rc = vt_db_record(db, module, version, err);
out:
	return rc;
}

int vt_sha256_norm(const char *in, char out[VT_SHA256_HEX + 1], struct vg_err *err)
{
	char esc[VT_DB_ESC_MAX];
	size_t n = strnlen(in, VT_SHA256_HEX + 1);
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n && vg_hex_digit(in[i]) >= 0; i++)
		out[i] = (char)"0123456789abcdef"[vg_hex_digit(in[i])];
	if (n != VT_SHA256_HEX || i != n) {
		out[0] = '\0';
		return vg_err_set(err, VG_EPARSE, "'%s' is not a sha256 (64 hex digits)",
				  vg_escape(esc, sizeof(esc), in, strnlen(in, 80)));
	}
	out[n] = '\0';
	return 0;
}
