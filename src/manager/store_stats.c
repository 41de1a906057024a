/*
 * store_stats.c - Aggregates over the alert store (see store_stats.h).
 *
 * Every query is bounded by time and walks the alert_time index; the
 * per-level buckets read only (time_ms, level) pairs.
 */
#include "manager/store_stats.h"

#include <stdio.h>

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/mem.h"

enum { Q_LEVELS, Q_RULES, Q_AGENTS, Q_FILES, Q_N };

static const char *const sql[Q_N] = {
    [Q_LEVELS] = "SELECT (time_ms / ?3) * ?3 AS b, level, count(*) FROM alert"
		 " WHERE time_ms >= ?1 AND time_ms < ?2 GROUP BY b, level ORDER BY b, level",
    [Q_RULES] = "SELECT rule_id, count(*) AS n, max(rowno) FROM alert WHERE time_ms >= ?1"
		" GROUP BY rule_id ORDER BY n DESC, rule_id LIMIT ?2",
    [Q_AGENTS] = "SELECT agent_id, count(*) AS n, max(rowno) FROM alert WHERE time_ms >= ?1"
		 " GROUP BY agent_id ORDER BY n DESC, agent_id LIMIT ?2",
    [Q_FILES] = "SELECT count(*) FROM (SELECT DISTINCT agent_id, path FROM alert"
		" WHERE time_ms >= ?2 AND rule_id = ?1)",
};

struct store_stats {
	sqlite3 *db;
	sqlite3_stmt *st[Q_N];
	sqlite3_stmt *label_rule, *label_agent; /* the label of a top row, by rowno */
};

int store_stats_open(const char *path, struct store_stats **out, struct vg_err *err)
{
	struct store_stats *s = vg_xcalloc(1, sizeof(*s));
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	int rc;

	*out = NULL;
	o.readonly = true;
	o.what = "alert store";
	rc = vg_db_open(path, &o, &s->db, err);
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
	vg_db_close(s->db);
	vg_free(s);
}

int store_stats_levels(struct store_stats *s, int64_t since_ms, int64_t until_ms, int64_t bucket_ms,
		       store_stats_level_fn fn, void *ctx, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[Q_LEVELS];
	int rc;

	if (bucket_ms <= 0)
		return vg_err_set(err, VG_EPARSE, "a bucket must last at least 1 ms");
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

int store_stats_files(struct store_stats *s, unsigned rule_id, int64_t since_ms, uint64_t *n,
		      struct vg_err *err)
{
	sqlite3_stmt *st = s->st[Q_FILES];
	int rc;

	*n = 0;
	sqlite3_bind_int(st, 1, (int)rule_id);
	sqlite3_bind_int64(st, 2, since_ms);
	rc = vg_db_step(st, "count the files", err);
	if (rc == 1)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	vg_db_reset(st);
	return rc < 0 ? rc : 0;
}
