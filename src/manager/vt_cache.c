/*
 * vt_cache.c - The verdict cache in SQLite (see vt_cache.h).
 *
 * Tables (module "vt_cache", version 1):
 *   vt_cache          sha256 (PRIMARY KEY, lowercase hex), verdict
 *                     ('malicious', 'clean', 'not_found'), json, stored (ms).
 *                     The expiry is not stored: it is computed from the
 *                     lifetimes of this open, so a config change applies to
 *                     every row. Index (verdict, stored) serves the prune.
 *   vt_cache_counter  one row 'cache': persisted hit and miss counters.
 *
 * "Fresh" is now < stored + ttl, written as stored > now - ttl so the
 * column stays bare and the index applies; the cutoffs are computed here
 * (saturating), not in SQL, so no SQLite-only date function is needed.
 */
#include "manager/vt_cache.h"

#include <string.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/vt_db.h"

#define VT_CACHE_SCHEMA 1
#define VT_CACHE_TTL_MAX (100LL * 366 * 86400) /* a century: keeps ms arithmetic in range */

static const char vt_cache_ddl[] =
    "CREATE TABLE IF NOT EXISTS vt_cache (sha256 TEXT NOT NULL PRIMARY KEY,"
    " verdict TEXT NOT NULL, json TEXT NOT NULL, stored BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS vt_cache_age ON vt_cache (verdict, stored);"
    "CREATE TABLE IF NOT EXISTS vt_cache_counter (name TEXT NOT NULL PRIMARY KEY,"
    " hits BIGINT NOT NULL, misses BIGINT NOT NULL);"
    "INSERT INTO vt_cache_counter (name, hits, misses) VALUES ('cache', 0, 0)"
    " ON CONFLICT (name) DO NOTHING;";

/* ?1, ?2, ?3: the malicious, clean and not_found cutoffs (stored <= cutoff: expired) */
#define VT_CACHE_EXPIRED                                                                           \
	"((verdict = 'malicious' AND stored <= ?1) OR (verdict = 'clean' AND stored <= ?2)"        \
	" OR (verdict = 'not_found' AND stored <= ?3))"

enum vt_cache_stmt {
	CS_PUT,
	CS_GET,
	CS_COUNT,
	CS_TOTALS,
	CS_SIZE,
	CS_PRUNE,
	CS_N,
};

static const char *const vt_cache_sql[CS_N] = {
    [CS_PUT] = "INSERT INTO vt_cache (sha256, verdict, json, stored) VALUES (?1, ?2, ?3, ?4)"
	       " ON CONFLICT (sha256) DO UPDATE SET verdict = excluded.verdict,"
	       " json = excluded.json, stored = excluded.stored",
    [CS_GET] = "SELECT verdict, json, stored FROM vt_cache WHERE sha256 = ?1",
    [CS_COUNT] = "UPDATE vt_cache_counter SET hits = hits + ?1, misses = misses + ?2"
		 " WHERE name = 'cache'",
    [CS_TOTALS] = "SELECT hits, misses FROM vt_cache_counter WHERE name = 'cache'",
    [CS_SIZE] = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN " VT_CACHE_EXPIRED
		" THEN 1 ELSE 0 END), 0) FROM vt_cache",
    [CS_PRUNE] =
	"DELETE FROM vt_cache WHERE sha256 IN (SELECT sha256 FROM vt_cache WHERE " VT_CACHE_EXPIRED
	" ORDER BY stored LIMIT ?4)",
};

static const char *const vt_verdict_names[] = {
    [VT_VERDICT_MALICIOUS] = "malicious",
    [VT_VERDICT_CLEAN] = "clean",
    [VT_VERDICT_NOT_FOUND] = "not_found",
};

#define VT_VERDICT_N (sizeof(vt_verdict_names) / sizeof(vt_verdict_names[0]))

struct vt_cache {
	sqlite3 *db; /* borrowed: the caller opens and closes it */
	sqlite3_stmt *st[CS_N];
	int64_t ttl_s[VT_VERDICT_N];
	int64_t hits;
	int64_t misses;
};

const char *vt_verdict_name(enum vt_verdict v)
{
	return (size_t)v < VT_VERDICT_N ? vt_verdict_names[v] : "unknown";
}

int vt_verdict_parse(const char *s, enum vt_verdict *out, struct vg_err *err)
{
	char esc[64];

	for (size_t i = 0; i < VT_VERDICT_N; i++) {
		if (strcmp(s, vt_verdict_names[i]) == 0) {
			*out = (enum vt_verdict)i;
			return 0;
		}
	}
	return vg_err_set(err, VG_EPARSE, "unknown verdict '%s'",
			  vg_escape(esc, sizeof(esc), s, strnlen(s, 64)));
}

static int vt_cache_set_ttl(struct vt_cache *c, enum vt_verdict v, int64_t ttl, int64_t def,
			    struct vg_err *err)
{
	if (ttl < 0 || ttl > VT_CACHE_TTL_MAX)
		return vg_err_set(err, ttl < 0 ? VG_EPARSE : VG_ETOOBIG,
				  "cache lifetime of %s verdicts: %lld s is not in 0..%lld",
				  vt_verdict_name(v), (long long)ttl, (long long)VT_CACHE_TTL_MAX);
	c->ttl_s[v] = ttl > 0 ? ttl : def;
	return 0;
}

int vt_cache_open(sqlite3 *db, const struct vt_cache_opts *o, struct vt_cache **out,
		  struct vg_err *err)
{
	struct vt_cache_opts defaults = VT_CACHE_OPTS_INIT;
	struct vt_cache *c = vg_xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	c->db = db;
	rc = vt_cache_set_ttl(c, VT_VERDICT_MALICIOUS, o->ttl_malicious_s, VT_CACHE_TTL_MALICIOUS,
			      err);
	if (rc == 0)
		rc = vt_cache_set_ttl(c, VT_VERDICT_CLEAN, o->ttl_clean_s, VT_CACHE_TTL_CLEAN, err);
	if (rc == 0)
		rc = vt_cache_set_ttl(c, VT_VERDICT_NOT_FOUND, o->ttl_not_found_s,
				      VT_CACHE_TTL_NOT_FOUND, err);
	if (rc == 0)
		rc = vt_db_module(db, "vt_cache", VT_CACHE_SCHEMA, vt_cache_ddl, err);
	if (rc == 0)
		rc = vg_db_prepare_all(db, vt_cache_sql, CS_N, c->st, err);
	if (rc != 0) {
		vt_cache_close(c);
		return rc;
	}
	*out = c; /* transferred */
	return 0;
}

void vt_cache_close(struct vt_cache *c)
{
	if (c == NULL)
		return;
	vg_db_finalize_all(c->st, CS_N);
	vg_free(c);
}

int64_t vt_cache_ttl(const struct vt_cache *c, enum vt_verdict v)
{
	return (size_t)v < VT_VERDICT_N ? c->ttl_s[v] : 0;
}

/* now_ms - ttl in ms, saturating: rows stored at or before it are expired. */
static int64_t vt_cache_cutoff(const struct vt_cache *c, enum vt_verdict v, int64_t now_ms)
{
	int64_t ttl_ms = c->ttl_s[v] * 1000; /* <= a century: no overflow */
	return now_ms < INT64_MIN + ttl_ms ? INT64_MIN : now_ms - ttl_ms;
}

static void vt_cache_bind_cutoffs(struct vt_cache *c, sqlite3_stmt *st, int64_t now_ms)
{
	for (size_t v = 0; v < VT_VERDICT_N; v++)
		sqlite3_bind_int64(st, (int)v + 1, vt_cache_cutoff(c, (enum vt_verdict)v, now_ms));
}

int vt_cache_put(struct vt_cache *c, const char *sha256, enum vt_verdict v, const char *json,
		 int64_t now_ms, struct vg_err *err)
{
	char key[VT_SHA256_HEX + 1];
	size_t n = strnlen(json, VT_CACHE_JSON_MAX + 1);
	sqlite3_stmt *st = c->st[CS_PUT];
	int rc = vt_sha256_norm(sha256, key, err);

	if (rc != 0)
		return rc;
	if ((size_t)v >= VT_VERDICT_N)
		return vg_err_set(err, VG_EPARSE, "verdict %d for %s is not a verdict class",
				  (int)v, key);
	if (n > VT_CACHE_JSON_MAX)
		return vg_err_set(err, VG_ETOOBIG, "verdict of %s over %d bytes", key,
				  VT_CACHE_JSON_MAX);
	if (n == 0 || !vg_utf8_valid(json, n))
		return vg_err_set(err, VG_EPARSE, "verdict of %s is empty or not UTF-8", key);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, vt_verdict_name(v), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	rc = vg_db_step(st, "storing a verdict", err);
	return rc < 0 ? rc : 0;
}

static int vt_cache_count(struct vt_cache *c, bool hit, struct vg_err *err)
{
	sqlite3_stmt *st = c->st[CS_COUNT];
	int rc;

	sqlite3_bind_int64(st, 1, hit ? 1 : 0);
	sqlite3_bind_int64(st, 2, hit ? 0 : 1);
	rc = vg_db_step(st, "counting a cache lookup", err);
	if (rc < 0)
		return rc;
	if (hit)
		c->hits++;
	else
		c->misses++;
	return 0;
}

/* Copy the row under st into out when it is fresh at now_ms. */
static int vt_cache_row(struct vt_cache *c, sqlite3_stmt *st, int64_t now_ms,
			struct vt_cache_hit *out, bool *fresh, struct vg_err *err)
{
	const char *verdict = (const char *)sqlite3_column_text(st, 0);
	const char *json = (const char *)sqlite3_column_text(st, 1);
	enum vt_verdict v;
	int rc = vt_verdict_parse(verdict != NULL ? verdict : "", &v, err);

	*fresh = false;
	if (rc != 0 || json == NULL)
		return rc != 0 ? rc : vg_err_set(err, VG_EPARSE, "cached verdict without text");
	out->stored_ms = sqlite3_column_int64(st, 2);
	if (out->stored_ms <= vt_cache_cutoff(c, v, now_ms))
		return 0;
	out->verdict = v;
	out->expires_ms = out->stored_ms + c->ttl_s[v] * 1000;
	out->json = vg_xstrdup(json);
	*fresh = true;
	return 0;
}

int vt_cache_get(struct vt_cache *c, const char *sha256, int64_t now_ms, struct vt_cache_hit *out,
		 struct vg_err *err)
{
	char key[VT_SHA256_HEX + 1];
	sqlite3_stmt *st = c->st[CS_GET];
	bool fresh = false;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vt_sha256_norm(sha256, key, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = vg_db_step(st, "looking a verdict up", err);
	if (rc == 1) {
		rc = vt_cache_row(c, st, now_ms, out, &fresh, err);
		vg_db_reset(st);
	}
	if (rc == 0)
		rc = vt_cache_count(c, fresh, err);
	if (rc != 0 || !fresh) {
		vt_cache_hit_clear(out);
		return rc != 0 ? rc : VG_ENOTFOUND;
	}
	return 0;
}

void vt_cache_hit_clear(struct vt_cache_hit *h)
{
	vg_free(h->json);
	memset(h, 0, sizeof(*h));
}

/* Two integer columns of a one-row statement. */
static int vt_cache_pair(sqlite3_stmt *st, const char *what, int64_t *a, int64_t *b,
			 struct vg_err *err)
{
	int rc = vg_db_step(st, what, err);

	if (rc == 1) {
		*a = sqlite3_column_int64(st, 0);
		*b = sqlite3_column_int64(st, 1);
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

int vt_cache_stats(struct vt_cache *c, int64_t now_ms, struct vt_cache_stats *out,
		   struct vg_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->hits = c->hits;
	out->misses = c->misses;
	rc = vt_cache_pair(c->st[CS_TOTALS], "reading the cache counters", &out->hits_total,
			   &out->misses_total, err);
	if (rc == 0) {
		vt_cache_bind_cutoffs(c, c->st[CS_SIZE], now_ms);
		rc = vt_cache_pair(c->st[CS_SIZE], "counting cached verdicts", &out->entries,
				   &out->expired, err);
	}
	return rc;
}

int vt_cache_prune(struct vt_cache *c, int64_t now_ms, int64_t max, int64_t *deleted,
		   struct vg_err *err)
{
	sqlite3_stmt *st = c->st[CS_PRUNE];
	int rc;

	if (deleted != NULL)
		*deleted = 0;
	if (max <= 0)
		return vg_err_set(err, VG_EPARSE, "cache prune bound must be positive");
	vt_cache_bind_cutoffs(c, st, now_ms);
	sqlite3_bind_int64(st, 4, max);
	rc = vg_db_step(st, "pruning expired verdicts", err);
	if (rc < 0)
		return rc;
	if (deleted != NULL)
		*deleted = sqlite3_changes(c->db);
	return 0;
}
