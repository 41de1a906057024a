/*
 * vt_db.h - What the three integration-state modules share: schema versions
 *           and sha256 checking (see vt_cache.h, vt_quota.h, vt_jobs.h).
 *
 * HOME/queue/integrations.db holds the verdict cache, the quota counters
 * and the job queue. The three modules share one file (so the integrator
 * commits "job done + verdict cached + quota spent" in one transaction), so
 * the file-wide PRAGMA user_version cannot version them: each module
 * records its own version in the table
 *
 *   schema_module (module TEXT PRIMARY KEY, version BIGINT NOT NULL)
 *
 * and a module opened on a file that holds another version of its tables
 * is refused (VG_EPARSE): an older Vigie never rewrites a newer database.
 * user_version is left to the file's owner (the integrator); these modules
 * neither read nor write it.
 *
 * Creation runs no transaction of its own (the modules never begin or
 * commit, the caller does): every statement is idempotent (CREATE ... IF NOT
 * EXISTS, INSERT ... ON CONFLICT DO NOTHING) and the version row is written
 * last, so a crash half-way through leaves a file the next open completes.
 *
 * Thread model: plain functions on the caller's handle.
 */
#ifndef MGR_VT_DB_H
#define MGR_VT_DB_H

#include <sqlite3.h>

#include "lib/err.h"

#define VT_SHA256_HEX 64 /* characters of a sha256 in hex */

/* The path of the integrations database under home (vg_free). */
char *vt_db_path(const char *home);

/*
 * Make sure module's tables exist at version: a file without the module
 * gets ddl (idempotent statements, run one by one, without a transaction)
 * and the version row; the same version is accepted as is; another version
 * is VG_EPARSE naming the module and both versions. On a read-only handle
 * the module must already be there (VG_ENOTFOUND otherwise).
 */
int vt_db_module(sqlite3 *db, const char *module, int version, const char *ddl,
		 struct vg_err *err) VG_MUST_CHECK;

/*
 * Copy a sha256 given in hex (either case) as lowercase into out; anything
 * but 64 hex digits is VG_EPARSE (the message shows at most 80 escaped
 * characters of it).
 */
int vt_sha256_norm(const char *in, char out[VT_SHA256_HEX + 1], struct vg_err *err) VG_MUST_CHECK;

#endif
