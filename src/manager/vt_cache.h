/*
 * vt_cache.h - The VirusTotal verdict cache, by sha256, shared by all agents.
 *
 * One row per sha256 (lowercase hex) in the integrator's integrations.db:
 * the verdict class (malicious, clean, not_found), the compact JSON text the
 * integrator gives (opaque here: whatever it needs to rebuild the injected
 * event) and when it was stored. A row is fresh while now < stored +
 * lifetime(class); the lifetimes come from the options at open and apply to
 * every row, old ones included, so shortening a lifetime in the config
 * takes effect at the next start. Expired rows answer "miss" and stay until
 * vt_cache_put replaces them or vt_cache_prune removes them.
 *
 * Times are epoch milliseconds (the caller's clock, injected in tests);
 * lifetimes are seconds.
 *
 * Transactions: no function here begins or commits one. The caller wraps
 * several modules' writes (job done + cache put + quota spent) in one
 * vg_db_begin/vg_db_commit; a single call outside a transaction commits
 * on its own (SQLite's autocommit). vt_cache_get writes too: it counts the
 * hit or miss in a persisted counter row.
 *
 * SQL in the subset SQLite and PostgreSQL share (ON CONFLICT, excluded).
 *
 * Thread model: a cache belongs to the thread that owns its sqlite3 handle
 * (the integrator); the caller serializes.
 */
#ifndef MGR_VT_CACHE_H
#define MGR_VT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"

#define VT_CACHE_TTL_MALICIOUS (30 * 86400) /* seconds */
#define VT_CACHE_TTL_CLEAN (7 * 86400)
#define VT_CACHE_TTL_NOT_FOUND 86400
#define VT_CACHE_JSON_MAX (256 * 1024) /* bytes of one stored verdict */

struct vt_cache;

enum vt_verdict {
	VT_VERDICT_MALICIOUS,
	VT_VERDICT_CLEAN,
	VT_VERDICT_NOT_FOUND,
};

struct vt_cache_opts {
	/* lifetimes in seconds; 0 = the default above; negative is VG_EPARSE */
	int64_t ttl_malicious_s;
	int64_t ttl_clean_s;
	int64_t ttl_not_found_s;
};

#define VT_CACHE_OPTS_INIT                                                                         \
	{                                                                                          \
		0, 0, 0                                                                            \
	}

/* A fresh entry, copied out. */
struct vt_cache_hit {
	enum vt_verdict verdict;
	char *json;         /* the stored text, NUL-terminated; vt_cache_hit_clear frees */
	int64_t stored_ms;  /* when it was put */
	int64_t expires_ms; /* stored + lifetime of its class */
};

struct vt_cache_stats {
	int64_t entries;      /* rows, expired ones included */
	int64_t expired;      /* rows past their lifetime at the given now */
	int64_t hits;         /* since open */
	int64_t misses;       /* since open */
	int64_t hits_total;   /* persisted: since the database was created */
	int64_t misses_total; /* idem */
};

/* "malicious", "clean", "not_found". */
const char *vt_verdict_name(enum vt_verdict v);
/* The verdict for a name above; VG_EPARSE for any other text. */
int vt_verdict_parse(const char *s, enum vt_verdict *out, struct vg_err *err) VG_MUST_CHECK;

/*
 * Open the cache on db (opened by the caller with vg_db_open and closed by
 * it after vt_cache_close): creates its tables when missing (see vt_db.h for
 * versions), prepares its statements. o may be NULL (defaults).
 */
int vt_cache_open(sqlite3 *db, const struct vt_cache_opts *o, struct vt_cache **out,
		  struct vg_err *err) VG_MUST_CHECK;

/* Finalize the statements (NULL allowed); the handle stays open. */
void vt_cache_close(struct vt_cache *c);

/* The lifetime in seconds of a class as configured. */
int64_t vt_cache_ttl(const struct vt_cache *c, enum vt_verdict v);

/*
 * Store (or replace) the verdict for sha256 (64 hex digits, either case;
 * kept lowercase) with json (1..VT_CACHE_JSON_MAX bytes, VG_ETOOBIG above,
 * VG_EPARSE when empty or not UTF-8) at now_ms.
 */
int vt_cache_put(struct vt_cache *c, const char *sha256, enum vt_verdict v, const char *json,
		 int64_t now_ms, struct vg_err *err) VG_MUST_CHECK;

/*
 * Look sha256 up at now_ms: 0 and *out filled for a fresh entry,
 * VG_ENOTFOUND (no message) when absent or expired (a miss); either is
 * counted. *out is cleared first; free it with vt_cache_hit_clear.
 */
int vt_cache_get(struct vt_cache *c, const char *sha256, int64_t now_ms, struct vt_cache_hit *out,
		 struct vg_err *err) VG_MUST_CHECK;

/* Free the json of a hit (cleared or filled) and clear it. */
void vt_cache_hit_clear(struct vt_cache_hit *h);

/* Counters and sizes at now_ms. */
int vt_cache_stats(struct vt_cache *c, int64_t now_ms, struct vt_cache_stats *out,
		   struct vg_err *err) VG_MUST_CHECK;

/*
 * Delete at most max (> 0) expired rows, oldest first; *deleted (may be
 * NULL) receives how many. Bounded so a large prune never holds the
 * writer lock for long: call it again while it deletes max.
 */
int vt_cache_prune(struct vt_cache *c, int64_t now_ms, int64_t max, int64_t *deleted,
		   struct vg_err *err) VG_MUST_CHECK;

#endif
