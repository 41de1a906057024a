/*
 * store_stats.c - Aggregates over the alert store (see store_stats.h).
 *
 * Built for the overview's budget (issue 7: 200 ms with 1,000,000 alerts,
 * docs/benchmarks.md "api"): no query reads alert rows by the million. A
 * GROUP BY over a million rows sorts them in a temporary B-tree and, for
 * rule_id or level, reads every row (~1.2 KB each, 64 KiB pages): seconds.
 * Instead every count is a range of a covering index, (rclass, time_ms) or
 * (agent_id, time_ms), counted by SQLite without leaving the index:
 *
 *   levels  one range count per (bucket, rule class), summed per level.
 *           When buckets x classes is large (a long span in small buckets)
 *           the single scan is cheaper than that many seeks: it is kept.
 *   rules   one range count per rule class, summed per rule.
 *   agents  the distinct agent ids by skipping through (agent_id, time_ms)
 *           (one seek per agent), then one range count per agent.
 *   labels  the newest row of the top rules and agents (one seek each).
 *   files   the only query that reads rows (path is in no index). Reading
 *           the rule's rows (50,000 of a million in the benchmark) costs
 *           ~100 ms even mapped (mmap), so the object remembers, per
 *           (agent, path) of the rule, its newest alert time, and on each
 *           call reads only the rule's rows added since (rowno above the
 *           last one read). A pair counts when its newest time is at or
 *           after since_ms, and after the oldest alert still stored:
 *           retention deletes the oldest alerts first, so a pair whose
 *           rows are all gone has its newest time below that. The store
 *           numbering its rows again (emptied) starts the memo over; past
 *           STATS_FILES_MAX pairs it is dropped for the plain query.
 *
 * The classes and agents are few (classes are about as many as the rules
 * that fired), so the seeks cost little. Materialized CTEs keep SQLite from
 * evaluating a correlated count twice (once for the filter, once for the
 * order). Read-only connection; one object per thread (store_stats.h).
 */
#include "manager/store_stats.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/hmap.h"
#include "lib/mem.h"

/*
 * Above this many (bucket, class) range counts, levels scans the span
 * instead: each count is a B-tree seek (~1-2 us), the scan ~0.5 us a row.
 */
#define STATS_SEEKS_MAX 20000

/* Bytes of the store mapped by the read-only connection (SQLite caps it at 2 GiB by default). */
#define STATS_MMAP_BYTES (2LL * 1024 * 1024 * 1024)

/* Distinct (agent, path) pairs the files memo keeps at most (~100 B each). */
#define STATS_FILES_MAX 500000
#define STATS_KEY_MAX 8192

enum { Q_LEVELS_SCAN, Q_LEVELS, Q_CLASSES, Q_RULES, Q_AGENTS, Q_FILES, Q_FILES_NEW, Q_BOUNDS, Q_N };

/* The newest row of a class or agent since ?1 (one seek at the range's end). */
#define STATS_NEWEST(col, key)                                                                     \
	"(SELECT a.rowno FROM alert a WHERE a." col " " key " AND a.time_ms >= ?1"                 \
	" ORDER BY a.time_ms DESC, a.rowno DESC LIMIT 1)"

static const char *const sql[Q_N] = {
    [Q_LEVELS_SCAN] = "SELECT (time_ms / ?3) * ?3 AS b, level, count(*) FROM alert"
		      " WHERE time_ms >= ?1 AND time_ms < ?2 GROUP BY b, level ORDER BY b, level",
    [Q_LEVELS] =
	"WITH RECURSIVE bk(b) AS (SELECT (?1 / ?3) * ?3 UNION ALL"
	" SELECT b + ?3 FROM bk WHERE b + ?3 < ?2),"
	" k AS MATERIALIZED (SELECT bk.b AS b, c.level AS level,"
	" (SELECT count(*) FROM alert a WHERE a.rclass = c.rclass"
	" AND a.time_ms >= max(bk.b, ?1) AND a.time_ms < min(bk.b + ?3, ?2)) AS n"
	" FROM bk CROSS JOIN rule_class c)"
	" SELECT b, level, sum(n) AS n FROM k WHERE n > 0 GROUP BY b, level ORDER BY b, level",
    [Q_CLASSES] = "SELECT count(*) FROM rule_class",
    [Q_RULES] =
	"WITH k AS MATERIALIZED (SELECT r.rule_id AS rule_id,"
	" (SELECT count(*) FROM alert a WHERE a.rclass = r.rclass AND a.time_ms >= ?1) AS n,"
	" " STATS_NEWEST(
	    "rclass",
	    "= r.rclass") " AS newest FROM rule_class r)"
			  " SELECT rule_id, sum(n) AS total, max(newest) FROM k WHERE n > 0"
			  " GROUP BY rule_id ORDER BY total DESC, rule_id LIMIT ?2",
    /* agent ids by a loose index scan; NULL (no agent) counted as one more */
    [Q_AGENTS] =
	"WITH RECURSIVE ag(id) AS (SELECT min(agent_id) FROM alert UNION ALL"
	" SELECT (SELECT min(agent_id) FROM alert WHERE agent_id > ag.id) FROM ag"
	" WHERE ag.id IS NOT NULL),"
	" ids(id) AS (SELECT id FROM ag WHERE id IS NOT NULL UNION ALL SELECT NULL),"
	" k AS MATERIALIZED (SELECT id,"
	" (SELECT count(*) FROM alert a WHERE a.agent_id IS ids.id AND a.time_ms >= ?1) AS n,"
	" " STATS_NEWEST(
	    "agent_id",
	    "IS ids.id") " AS newest FROM ids)"
			 " SELECT id, n, newest FROM k WHERE n > 0 ORDER BY n DESC, id LIMIT ?2",
    [Q_FILES] = "SELECT count(*) FROM (SELECT DISTINCT agent_id, path FROM alert"
		" WHERE time_ms >= ?2 AND rclass IN (SELECT rclass FROM rule_class"
		" WHERE rule_id = ?1))",
    /* the rule's rows in (?2, ?3]: the rowno test is on the index entry */
    [Q_FILES_NEW] = "SELECT agent_id, path, time_ms FROM alert WHERE rclass IN"
		    " (SELECT rclass FROM rule_class WHERE rule_id = ?1)"
		    " AND rowno > ?2 AND rowno <= ?3",
    [Q_BOUNDS] = "SELECT coalesce(max(rowno), 0), (SELECT min(time_ms) FROM alert) FROM alert",
};

/* Per (agent, path) of one rule, its newest alert time (see the top). */
struct files_memo {
	unsigned rule_id;     /* 0: empty */
	int64_t last_row;     /* the rule's rows up to it are in seen */
	struct vg_hmap *seen; /* "agent\0path" -> int64_t *newest time_ms */
};

struct store_stats {
	sqlite3 *db;
	sqlite3_stmt *st[Q_N];
	sqlite3_stmt *label_rule, *label_agent; /* the label of a top row, by rowno */
	struct files_memo files;
};

static void memo_reset(struct files_memo *m)
{
	vg_hmap_free(m->seen, vg_free);
	*m = (struct files_memo){0, 0, NULL};
}

int store_stats_open(const char *path, struct store_stats **out, struct vg_err *err)
{
	struct store_stats *s = vg_xcalloc(1, sizeof(*s));
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	int rc;

	*out = NULL;
	o.readonly = true;
	o.what = "alert store";
	rc = vg_db_open(path, &o, &s->db, err);
	if (rc == 0) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA mmap_size = %lld", STATS_MMAP_BYTES);
		rc = vg_db_exec(s->db, pragma, "mapping the alert store", err);
	}
	if (rc == 0)
		rc = vg_db_prepare_all(s->db, sql, Q_N, s->st, err);
	if (rc == 0)
		rc = vg_db_prepare(s->db, "SELECT description FROM alert WHERE rowno = ?1",
				   &s->label_rule, err);
	if (rc == 0)
		rc = vg_db_prepare(s->db, "SELECT agent_name FROM alert WHERE rowno = ?1",
				   &s->label_agent, err);
	if (rc != 0)
		store_stats_close(s);
	else
		*out = s;
	return rc;
}

void store_stats_close(struct store_stats *s)
{
	if (s == NULL)
		return;
	vg_db_finalize_all(s->st, Q_N);
	sqlite3_finalize(s->label_rule);
	sqlite3_finalize(s->label_agent);
	memo_reset(&s->files);
	vg_db_close(s->db);
	vg_free(s);
}

/* Whether one range count per (bucket, class) beats one scan of the span. */
static int levels_by_seeks(struct store_stats *s, int64_t since_ms, int64_t until_ms,
			   int64_t bucket_ms, bool *seek, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[Q_CLASSES];
	int64_t buckets = until_ms > since_ms ? (until_ms - since_ms) / bucket_ms + 2 : 1;
	int rc;

	*seek = false;
	rc = vg_db_step(st, "counting the rule classes", err);
	if (rc == 1) {
		int64_t classes = sqlite3_column_int64(st, 0);
		*seek = buckets <= STATS_SEEKS_MAX &&
			(classes == 0 || buckets * classes <= STATS_SEEKS_MAX);
		rc = 0;
	}
	vg_db_reset(st);
	return rc;
}

int store_stats_levels(struct store_stats *s, int64_t since_ms, int64_t until_ms, int64_t bucket_ms,
		       store_stats_level_fn fn, void *ctx, struct vg_err *err)
{
	sqlite3_stmt *st;
	bool seek;
	int rc;

	if (bucket_ms <= 0)
		return vg_err_set(err, VG_EPARSE, "a bucket must last at least 1 ms");
	rc = levels_by_seeks(s, since_ms, until_ms, bucket_ms, &seek, err);
	if (rc != 0)
		return rc;
	st = s->st[seek ? Q_LEVELS : Q_LEVELS_SCAN];
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	sqlite3_bind_int64(st, 3, bucket_ms);
	while ((rc = vg_db_step(st, "count alerts by level", err)) == 1)
		if (fn(ctx, sqlite3_column_int64(st, 0), (unsigned)sqlite3_column_int(st, 1),
		       (uint64_t)sqlite3_column_int64(st, 2)) != 0) {
			rc = 0;
			break;
		}
	vg_db_reset(st);
	return rc;
}

/* The label column of row rowno ("" when NULL). Copied into out. */
static void label_of(sqlite3_stmt *st, int64_t rowno, char *out, size_t outsz)
{
	const unsigned char *t;

	out[0] = '\0';
	sqlite3_bind_int64(st, 1, rowno);
	if (sqlite3_step(st) == SQLITE_ROW && (t = sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, outsz, "%s", (const char *)t);
	sqlite3_reset(st);
}

int store_stats_top(struct store_stats *s, enum store_stats_by by, int64_t since_ms, unsigned limit,
		    store_stats_top_fn fn, void *ctx, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[by == STORE_STATS_RULES ? Q_RULES : Q_AGENTS];
	sqlite3_stmt *lab = by == STORE_STATS_RULES ? s->label_rule : s->label_agent;
	char label[512];
	int rc;

	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int(st, 2, (int)limit);
	while ((rc = vg_db_step(st, "count the top alerts", err)) == 1) {
		const unsigned char *key = sqlite3_column_text(st, 0);
		label_of(lab, sqlite3_column_int64(st, 2), label, sizeof(label));
		if (fn(ctx, key != NULL ? (const char *)key : "", label,
		       (uint64_t)sqlite3_column_int64(st, 1)) != 0) {
			rc = 0;
			break;
		}
	}
	vg_db_reset(st);
	return rc;
}

/* The plain query: every row of the rule since since_ms. */
static int files_query(struct store_stats *s, unsigned rule_id, int64_t since_ms, uint64_t *n,
		       struct vg_err *err)
{
	sqlite3_stmt *st = s->st[Q_FILES];
	int rc;

	sqlite3_bind_int(st, 1, (int)rule_id);
	sqlite3_bind_int64(st, 2, since_ms);
	rc = vg_db_step(st, "count the files", err);
	if (rc == 1)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	vg_db_reset(st);
	return rc < 0 ? rc : 0;
}

/* One row of the rule into the memo: its pair's newest time. */
static void memo_add(struct files_memo *m, sqlite3_stmt *st)
{
	char key[STATS_KEY_MAX];
	const unsigned char *agent = sqlite3_column_text(st, 0), *path = sqlite3_column_text(st, 1);
	int la = sqlite3_column_bytes(st, 0), lp = sqlite3_column_bytes(st, 1);
	int64_t t = sqlite3_column_int64(st, 2), *seen;
	size_t len;

	if ((size_t)la + (size_t)lp + 1 > sizeof(key)) /* a path longer than PATH_MAX */
		lp = (int)(sizeof(key) - 1 - (size_t)la);
	len = (size_t)la + 1 + (size_t)lp;
	memcpy(key, agent != NULL ? (const char *)agent : "", (size_t)la);
	key[la] = '\0';
	memcpy(key + la + 1, path != NULL ? (const char *)path : "", (size_t)lp);
	seen = vg_hmap_get(m->seen, key, len);
	if (seen == NULL) {
		seen = vg_xmalloc(sizeof(*seen));
		*seen = t;
		vg_hmap_put(m->seen, key, len, seen);
	} else if (t > *seen) {
		*seen = t;
	}
}

/* Read the rule's rows in (m->last_row, upto] into the memo. */
static int memo_update(struct store_stats *s, int64_t upto, struct vg_err *err)
{
	struct files_memo *m = &s->files;
	sqlite3_stmt *st = s->st[Q_FILES_NEW];
	int rc;

	sqlite3_bind_int(st, 1, (int)m->rule_id);
	sqlite3_bind_int64(st, 2, m->last_row);
	sqlite3_bind_int64(st, 3, upto);
	while ((rc = vg_db_step(st, "reading the files", err)) == 1)
		memo_add(m, st);
	vg_db_reset(st);
	if (rc == 0)
		m->last_row = upto;
	return rc;
}

struct memo_count {
	int64_t from_ms;
	uint64_t n;
};

static void count_since(void *ctx, const void *key, size_t len, void *val)
{
	struct memo_count *c = ctx;
	const int64_t *t = val;

	(void)key;
	(void)len;
	if (*t >= c->from_ms)
		c->n++;
}

int store_stats_files(struct store_stats *s, unsigned rule_id, int64_t since_ms, uint64_t *n,
		      struct vg_err *err)
{
	struct files_memo *m = &s->files;
	sqlite3_stmt *st = s->st[Q_BOUNDS];
	struct memo_count c = {since_ms, 0};
	int64_t last_row = 0, oldest = 0;
	int rc;

	*n = 0;
	rc = vg_db_step(st, "reading the store's bounds", err);
	if (rc == 1) {
		last_row = sqlite3_column_int64(st, 0);
		oldest = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	vg_db_reset(st);
	if (rc != 0)
		return rc;
	if (m->rule_id != rule_id || last_row < m->last_row) {
		memo_reset(m);
		m->rule_id = rule_id;
		m->seen = vg_hmap_new();
	}
	if (last_row > m->last_row && (rc = memo_update(s, last_row, err)) != 0) {
		memo_reset(m); /* partly read: start over next time */
		return rc;
	}
	if (vg_hmap_count(m->seen) > STATS_FILES_MAX) {
		memo_reset(m);
		return files_query(s, rule_id, since_ms, n, err);
	}
	if (oldest > c.from_ms)
		c.from_ms = oldest;
	vg_hmap_foreach(m->seen, count_since, &c);
	*n = c.n;
	return 0;
}
