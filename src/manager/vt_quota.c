/*
 * vt_quota.c - The VirusTotal quota scheduler in SQLite (see vt_quota.h).
 *
 * Tables (module "vt_quota", version 1):
 *   vt_quota_request  one row per request of the last minute (at_ms); rows
 *                     at or before now - 60 s are trimmed on each take, so
 *                     the table holds about per_minute rows.
 *   vt_quota_period   'day' and 'month': the period key (UTC day number,
 *                     year * 12 + month - 1) and the requests counted in it;
 *                     a counter whose key is not the current period counts
 *                     0 (the reset is implicit: no timer, nothing to miss
 *                     while the manager is down). 'announced': the UTC day
 *                     of the last "quota exhausted" alert. 'day_allowed' and
 *                     'month_allowed' (period 0): the allowance VirusTotal
 *                     reported, in "used"; absent when none is known.
 *
 * Every call reads the state from the database, so the caller's rollback
 * is the only undo needed. The calendar is computed here (Howard Hinnant's
 * days_from_civil), never with SQLite date functions or the local zone.
 */
#include "manager/vt_quota.h"

#include <string.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "manager/vt_db.h"

#define VT_QUOTA_SCHEMA 1

static const char vt_quota_ddl[] =
    "CREATE TABLE IF NOT EXISTS vt_quota_request (id INTEGER PRIMARY KEY,"
    " at_ms BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS vt_quota_request_at ON vt_quota_request (at_ms);"
    "CREATE TABLE IF NOT EXISTS vt_quota_period (name TEXT NOT NULL PRIMARY KEY,"
    " period BIGINT NOT NULL, used BIGINT NOT NULL);";

enum vt_quota_stmt {
	QS_TRIM,
	QS_NTH,
	QS_WINDOW,
	QS_ADD,
	QS_PERIOD_GET,
	QS_PERIOD_ADD,
	QS_PERIOD_RAISE,
	QS_PERIOD_SET,
	QS_UNADD,
	QS_PERIOD_SUB,
	QS_PERIOD_DEL,
	QS_N,
};

static const char *const vt_quota_sql[QS_N] = {
    [QS_TRIM] = "DELETE FROM vt_quota_request WHERE at_ms <= ?1",
    /* the limit-th most recent request in the window: it sets the next slide */
    [QS_NTH] = "SELECT at_ms FROM vt_quota_request WHERE at_ms > ?1"
	       " ORDER BY at_ms DESC LIMIT 1 OFFSET ?2",
    [QS_WINDOW] = "SELECT COUNT(*), MIN(at_ms) FROM vt_quota_request WHERE at_ms > ?1",
    [QS_ADD] = "INSERT INTO vt_quota_request (at_ms) VALUES (?1)",
    [QS_PERIOD_GET] = "SELECT period, used FROM vt_quota_period WHERE name = ?1",
    /* add ?3 in period ?2; a counter of another period restarts from ?3 */
    [QS_PERIOD_ADD] = "INSERT INTO vt_quota_period (name, period, used) VALUES (?1, ?2, ?3)"
		      " ON CONFLICT (name) DO UPDATE SET used = CASE WHEN"
		      " vt_quota_period.period = excluded.period THEN vt_quota_period.used"
		      " + excluded.used ELSE excluded.used END, period = excluded.period",
    [QS_PERIOD_RAISE] = "INSERT INTO vt_quota_period (name, period, used) VALUES (?1, ?2, ?3)"
			" ON CONFLICT (name) DO UPDATE SET used = CASE WHEN"
			" vt_quota_period.period = excluded.period AND vt_quota_period.used"
			" > excluded.used THEN vt_quota_period.used ELSE excluded.used END,"
			" period = excluded.period",
    [QS_PERIOD_SET] = "INSERT INTO vt_quota_period (name, period, used) VALUES (?1, ?2, ?3)"
		      " ON CONFLICT (name) DO UPDATE SET period = excluded.period,"
		      " used = excluded.used",
    /* one request recorded at ?1 (several may share a millisecond) */
    [QS_UNADD] = "DELETE FROM vt_quota_request WHERE id = (SELECT id FROM vt_quota_request"
		 " WHERE at_ms = ?1 LIMIT 1)",
    [QS_PERIOD_SUB] = "UPDATE vt_quota_period SET used = used - 1 WHERE name = ?1"
		      " AND period = ?2 AND used > 0",
    [QS_PERIOD_DEL] = "DELETE FROM vt_quota_period WHERE name = ?1",
};

static const char *const vt_window_names[VT_WINDOW_N] = {"minute", "day", "month"};

struct vt_quota {
	sqlite3 *db; /* borrowed */
	sqlite3_stmt *st[QS_N];
	int64_t limit[VT_WINDOW_N]; /* configured; see vt_quota_effective */
};

/* The row holding VirusTotal's reported allowance of w (day, month). */
static const char *const vt_allowed_names[VT_WINDOW_N] = {NULL, "day_allowed", "month_allowed"};

const char *vt_window_name(enum vt_window w)
{
	return (unsigned)w < VT_WINDOW_N ? vt_window_names[w] : "unknown";
}

/* ---- UTC calendar ---------------------------------------------------------------- */

static int64_t vt_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian). */
static int64_t vt_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = vt_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void vt_civil_from_days(int64_t z, int64_t *y, int64_t *m)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = vt_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t vt_quota_day(int64_t now_ms)
{
	return vt_floor_div(now_ms, VT_QUOTA_DAY_MS);
}

int64_t vt_quota_month(int64_t now_ms)
{
	int64_t y, m;

	vt_civil_from_days(vt_quota_day(now_ms), &y, &m);
	return y * 12 + m - 1;
}

int64_t vt_quota_next_day_ms(int64_t now_ms)
{
	return (vt_quota_day(now_ms) + 1) * VT_QUOTA_DAY_MS;
}

int64_t vt_quota_next_month_ms(int64_t now_ms)
{
	int64_t next = vt_quota_month(now_ms) + 1;

	return vt_days_from_civil(vt_floor_div(next, 12), next - vt_floor_div(next, 12) * 12 + 1,
				  1) *
	       VT_QUOTA_DAY_MS;
}

/* ---- Open ------------------------------------------------------------------------- */

static int vt_quota_set_limit(struct vt_quota *q, enum vt_window w, int64_t limit,
			      struct vg_err *err)
{
	if (limit < 0 || limit > VT_QUOTA_LIMIT_MAX)
		return vg_err_set(err, limit < 0 ? VG_EPARSE : VG_ETOOBIG,
				  "requests per %s: %lld is not in 0..%d (0 = unlimited)",
				  vt_window_name(w), (long long)limit, VT_QUOTA_LIMIT_MAX);
	q->limit[w] = limit;
	return 0;
}

int vt_quota_open(sqlite3 *db, const struct vt_quota_opts *o, struct vt_quota **out,
		  struct vg_err *err)
{
	struct vt_quota_opts defaults = VT_QUOTA_OPTS_INIT;
	struct vt_quota *q = vg_xcalloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	q->db = db;
	rc = vt_quota_set_limit(q, VT_WINDOW_MINUTE, o->per_minute, err);
	if (rc == 0)
		rc = vt_quota_set_limit(q, VT_WINDOW_DAY, o->per_day, err);
	if (rc == 0)
		rc = vt_quota_set_limit(q, VT_WINDOW_MONTH, o->per_month, err);
	if (rc == 0)
		rc = vt_db_module(db, "vt_quota", VT_QUOTA_SCHEMA, vt_quota_ddl, err);
	if (rc == 0)
		rc = vg_db_prepare_all(db, vt_quota_sql, QS_N, q->st, err);
	if (rc != 0) {
		vt_quota_close(q);
		return rc;
	}
	*out = q; /* transferred */
	return 0;
}

void vt_quota_close(struct vt_quota *q)
{
	if (q == NULL)
		return;
	vg_db_finalize_all(q->st, QS_N);
	vg_free(q);
}

/* ---- State ------------------------------------------------------------------------ */

/* Run a statement that returns no row. */
static int vt_quota_run(sqlite3_stmt *st, const char *what, struct vg_err *err)
{
	int rc = vg_db_step(st, what, err);

	if (rc == 1) {
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

/* The counter name in period (0 when it holds another period or is absent). */
static int vt_quota_period_used(struct vt_quota *q, const char *name, int64_t period, int64_t *used,
				struct vg_err *err)
{
	sqlite3_stmt *st = q->st[QS_PERIOD_GET];
	int rc;

	*used = 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = vg_db_step(st, "reading a quota counter", err);
	if (rc == 1) {
		if (sqlite3_column_int64(st, 0) == period)
			*used = sqlite3_column_int64(st, 1);
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

static int vt_quota_period_write(struct vt_quota *q, enum vt_quota_stmt which, const char *name,
				 int64_t period, int64_t n, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[which];

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, period);
	sqlite3_bind_int64(st, 3, n);
	return vt_quota_run(st, "writing a quota counter", err);
}

/* The minute window: requests in (now - 60 s, now] and when the next slot frees. */
static int vt_quota_minute(struct vt_quota *q, int64_t now_ms, struct vt_quota_use *u,
			   int64_t *wait_ms, struct vg_err *err)
{
	int64_t since = now_ms - VT_QUOTA_MINUTE_MS;
	sqlite3_stmt *st = q->st[QS_WINDOW];
	int rc;

	*wait_ms = now_ms;
	sqlite3_bind_int64(st, 1, since);
	rc = vg_db_step(st, "counting the last minute's requests", err);
	if (rc != 1)
		return rc < 0 ? rc : vg_err_set(err, VG_EINTERNAL, "no count of requests");
	u->used = sqlite3_column_int64(st, 0);
	u->reset_ms = u->used > 0 ? sqlite3_column_int64(st, 1) + VT_QUOTA_MINUTE_MS : now_ms;
	vg_db_reset(st);
	if (u->limit == 0 || u->used < u->limit)
		return 0;
	st = q->st[QS_NTH];
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, u->limit - 1);
	rc = vg_db_step(st, "finding the minute window's slide", err);
	if (rc == 1) {
		*wait_ms = sqlite3_column_int64(st, 0) + VT_QUOTA_MINUTE_MS;
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

static void vt_quota_left(struct vt_quota_use *u)
{
	u->left = u->limit == 0 ? -1 : (u->used < u->limit ? u->limit - u->used : 0);
}

/*
 * The limit that applies: the configured one, lowered to what VirusTotal
 * reported; a configured 0 (unlimited) takes the reported one as is.
 */
static int64_t vt_quota_effective(int64_t configured, int64_t reported)
{
	if (reported <= 0)
		return configured;
	if (configured == 0 || reported < configured)
		return reported;
	return configured;
}

/* Every window's limit into out (the reported allowances read from the db). */
static int vt_quota_limits(struct vt_quota *q, struct vt_quota_status *out, struct vg_err *err)
{
	int rc = 0;

	for (int w = 0; w < VT_WINDOW_N; w++) {
		int64_t reported = 0;
		if (vt_allowed_names[w] != NULL)
			rc = vt_quota_period_used(q, vt_allowed_names[w], 0, &reported, err);
		if (rc != 0)
			return rc;
		out->w[w].limit = vt_quota_effective(q->limit[w], reported);
	}
	return 0;
}

/* Fill out for now_ms; out->wait_until_ms > now_ms when a window is full. */
static int vt_quota_check(struct vt_quota *q, int64_t now_ms, struct vt_quota_status *out,
			  enum vt_window *blocked, struct vg_err *err)
{
	int64_t wait[VT_WINDOW_N];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vt_quota_limits(q, out, err);
	if (rc == 0)
		rc = vt_quota_minute(q, now_ms, &out->w[VT_WINDOW_MINUTE], &wait[VT_WINDOW_MINUTE],
				     err);
	if (rc == 0)
		rc = vt_quota_period_used(q, "day", vt_quota_day(now_ms),
					  &out->w[VT_WINDOW_DAY].used, err);
	if (rc == 0)
		rc = vt_quota_period_used(q, "month", vt_quota_month(now_ms),
					  &out->w[VT_WINDOW_MONTH].used, err);
	if (rc != 0)
		return rc;
	out->w[VT_WINDOW_DAY].reset_ms = vt_quota_next_day_ms(now_ms);
	out->w[VT_WINDOW_MONTH].reset_ms = vt_quota_next_month_ms(now_ms);
	for (int w = VT_WINDOW_DAY; w < VT_WINDOW_N; w++) {
		struct vt_quota_use *u = &out->w[w];
		wait[w] = u->limit > 0 && u->used >= u->limit ? u->reset_ms : now_ms;
	}
	out->wait_until_ms = now_ms;
	for (int w = 0; w < VT_WINDOW_N; w++) {
		vt_quota_left(&out->w[w]);
		if (wait[w] > out->wait_until_ms) {
			out->wait_until_ms = wait[w];
			if (blocked != NULL)
				*blocked = (enum vt_window)w;
		}
	}
	return 0;
}

/* ---- Public ----------------------------------------------------------------------- */

int vt_quota_take(struct vt_quota *q, int64_t now_ms, int64_t *wait_until_ms,
		  enum vt_window *blocked, struct vg_err *err)
{
	struct vt_quota_status s;
	sqlite3_stmt *st = q->st[QS_TRIM];
	int rc;

	*wait_until_ms = now_ms;
	if (blocked != NULL)
		*blocked = VT_WINDOW_MINUTE;
	sqlite3_bind_int64(st, 1, now_ms - VT_QUOTA_MINUTE_MS);
	rc = vt_quota_run(st, "trimming the minute window", err);
	if (rc == 0)
		rc = vt_quota_check(q, now_ms, &s, blocked, err);
	if (rc != 0)
		return rc;
	if (s.wait_until_ms > now_ms) {
		*wait_until_ms = s.wait_until_ms;
		return VG_ETOOBIG;
	}
	st = q->st[QS_ADD];
	sqlite3_bind_int64(st, 1, now_ms);
	rc = vt_quota_run(st, "recording a request", err);
	if (rc == 0)
		rc = vt_quota_period_write(q, QS_PERIOD_ADD, "day", vt_quota_day(now_ms), 1, err);
	if (rc == 0)
		rc = vt_quota_period_write(q, QS_PERIOD_ADD, "month", vt_quota_month(now_ms), 1,
					   err);
	return rc;
}

int vt_quota_refund(struct vt_quota *q, int64_t taken_ms, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[QS_UNADD];
	int rc;

	sqlite3_bind_int64(st, 1, taken_ms);
	rc = vt_quota_run(st, "refunding a request", err);
	if (rc == 0 && sqlite3_changes(q->db) == 0)
		return 0; /* out of the minute window, or never taken: nothing to give back */
	st = q->st[QS_PERIOD_SUB];
	sqlite3_bind_text(st, 1, "day", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, vt_quota_day(taken_ms));
	if (rc == 0)
		rc = vt_quota_run(st, "refunding a request", err);
	sqlite3_bind_text(st, 1, "month", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, vt_quota_month(taken_ms));
	if (rc == 0)
		rc = vt_quota_run(st, "refunding a request", err);
	return rc;
}

int vt_quota_status(struct vt_quota *q, int64_t now_ms, struct vt_quota_status *out,
		    struct vg_err *err)
{
	return vt_quota_check(q, now_ms, out, NULL, err);
}

int vt_quota_observe(struct vt_quota *q, int64_t now_ms, enum vt_window w, int64_t used,
		     struct vg_err *err)
{
	if (w == VT_WINDOW_DAY)
		return vt_quota_period_write(q, QS_PERIOD_RAISE, "day", vt_quota_day(now_ms), used,
					     err);
	if (w == VT_WINDOW_MONTH)
		return vt_quota_period_write(q, QS_PERIOD_RAISE, "month", vt_quota_month(now_ms),
					     used, err);
	return vg_err_set(err, VG_EPARSE, "only the day and month quota counters can be raised");
}

int vt_quota_set_allowance(struct vt_quota *q, enum vt_window w, int64_t allowed,
			   struct vg_err *err)
{
	sqlite3_stmt *st = q->st[QS_PERIOD_DEL];
	const char *name = (unsigned)w < VT_WINDOW_N ? vt_allowed_names[w] : NULL;

	if (name == NULL || allowed < 0)
		return vg_err_set(err, VG_EPARSE,
				  "only a day or month allowance of 0 or more can be set");
	if (allowed > 0)
		return vt_quota_period_write(
		    q, QS_PERIOD_SET, name, 0,
		    allowed < VT_QUOTA_LIMIT_MAX ? allowed : VT_QUOTA_LIMIT_MAX, err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return vt_quota_run(st, "forgetting a reported allowance", err);
}

int vt_quota_exhausted_notice(struct vt_quota *q, int64_t now_ms, bool *announce,
			      struct vg_err *err)
{
	struct vt_quota_status s;
	int64_t day = vt_quota_day(now_ms);
	int64_t last = 0;
	bool full;
	int rc;

	*announce = false;
	rc = vt_quota_check(q, now_ms, &s, NULL, err);
	if (rc != 0)
		return rc;
	full = (s.w[VT_WINDOW_DAY].limit > 0 && s.w[VT_WINDOW_DAY].left == 0) ||
	       (s.w[VT_WINDOW_MONTH].limit > 0 && s.w[VT_WINDOW_MONTH].left == 0);
	if (!full)
		return 0;
	/* 'announced' keeps used = 1 for the announced day, 0 means never */
	rc = vt_quota_period_used(q, "announced", day, &last, err);
	if (rc != 0 || last != 0)
		return rc;
	rc = vt_quota_period_write(q, QS_PERIOD_SET, "announced", day, 1, err);
	if (rc == 0)
		*announce = true;
	return rc;
}
