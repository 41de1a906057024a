/* Unit tests for src/manager/vt_quota.c: minute, UTC day and month quotas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <time.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "manager/vt_quota.h"
#include "support/support.h"

#define S 1000LL
#define MIN_MS 60000LL
#define DAY_MS 86400000LL
#define JAN1_2024 (1704067200LL * S) /* 2024-01-01T00:00:00Z */
#define FEB1_2024 (1706745600LL * S)
#define FEB29_2024 (1709164800LL * S)
#define MAR1_2024 (1709251200LL * S)
#define JAN1_2025 (1735689600LL * S)
#define T0 (JAN1_2024 + 10 * DAY_MS + 12 * 3600 * S) /* 2024-01-11 12:00 UTC */

struct fixture {
	void *dbdir; /* struct vg_test_dbdir */
	sqlite3 *db;
	struct vt_quota *q;
	struct vt_quota_opts o;
};

static void fx_open(struct fixture *f)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;

	if (vg_db_open(((struct vg_test_dbdir *)f->dbdir)->db, &dbo, &f->db, &err) != 0 ||
	    vt_quota_open(f->db, &f->o, &f->q, &err) != 0)
		fail_msg("open: %s", err.msg);
}

static void fx_close(struct fixture *f)
{
	vt_quota_close(f->q);
	vg_db_close(f->db);
	f->q = NULL;
	f->db = NULL;
}

/* Reopen with new limits (what a restart with another config does). */
static void fx_limits(struct fixture *f, int64_t minute, int64_t day, int64_t month)
{
	fx_close(f);
	f->o.per_minute = minute;
	f->o.per_day = day;
	f->o.per_month = month;
	fx_open(f);
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vt_quota_opts o = VT_QUOTA_OPTS_INIT;

	if (vg_test_dbdir_setup(&f->dbdir, "vg-vtquota", "integrations.db") != 0)
		return -1;
	f->o = o;
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fx_close(f);
	vg_test_dbdir_teardown(&f->dbdir);
	vg_free(f);
	return 0;
}

/* take in its own transaction: 0, or VG_ETOOBIG with *wait (may be NULL) */
static int take(struct fixture *f, int64_t now, int64_t *wait, enum vt_window *blocked)
{
	struct vg_err err = VG_ERR_INIT;
	int64_t w = 0;
	int rc = vg_db_begin(f->db, &err);

	if (rc == 0)
		rc = vt_quota_take(f->q, now, &w, blocked, &err);
	rc = vg_db_end(f->db, rc, &err);
	if (rc != 0 && rc != VG_ETOOBIG)
		fail_msg("take: %s", err.msg);
	if (rc == 0)
		assert_int_equal(w, now);
	else
		assert_true(w > now);
	if (wait != NULL)
		*wait = w;
	return rc;
}

static void status(struct fixture *f, int64_t now, struct vt_quota_status *s)
{
	struct vg_err err = VG_ERR_INIT;
	if (vt_quota_status(f->q, now, s, &err) != 0)
		fail_msg("status: %s", err.msg);
}

/* ---- Calendar ---------------------------------------------------------------------- */

static void test_vt_quota__utc_calendar_resets(void **state)
{
	(void)state;
	assert_int_equal(vt_quota_next_day_ms(JAN1_2024), JAN1_2024 + DAY_MS);
	assert_int_equal(vt_quota_next_day_ms(JAN1_2024 - 1), JAN1_2024);
	assert_int_equal(vt_quota_next_month_ms(JAN1_2024), FEB1_2024);
	assert_int_equal(vt_quota_next_month_ms(FEB1_2024 - 1), FEB1_2024);
	assert_int_equal(vt_quota_next_month_ms(FEB29_2024), MAR1_2024); /* leap year */
	assert_int_equal(vt_quota_next_month_ms(JAN1_2025 - 1), JAN1_2025);
	assert_int_equal(vt_quota_month(JAN1_2024), 2024 * 12);
	assert_int_equal(vt_quota_month(JAN1_2025 - 1), 2024 * 12 + 11);
	/* against gmtime over ten years of days */
	for (int64_t d = 0; d < 3660; d++) {
		int64_t t = JAN1_2024 - 5 * 365 * DAY_MS + d * DAY_MS + 7777;
		time_t sec = (time_t)(vt_quota_next_month_ms(t) / S);
		time_t now = (time_t)(t / S);
		struct tm next, cur;

		gmtime_r(&sec, &next);
		gmtime_r(&now, &cur);
		assert_int_equal(next.tm_mday, 1);
		assert_int_equal(next.tm_hour + next.tm_min + next.tm_sec, 0);
		assert_int_equal((next.tm_year - cur.tm_year) * 12 + next.tm_mon - cur.tm_mon, 1);
		assert_int_equal(vt_quota_month(t), (cur.tm_year + 1900) * 12 + cur.tm_mon);
	}
}

static void test_vt_quota__daylight_saving_time_is_irrelevant(void **state)
{
	struct fixture *f = *state;
	/* 2024-03-10: New York springs forward at 07:00 UTC; Paris on 03-31 */
	int64_t mar10 = MAR1_2024 + 9 * DAY_MS;
	const char *zones[] = {"America/New_York", "Europe/Paris", "Australia/Lord_Howe"};
	int64_t wait = 0;
	enum vt_window b;

	fx_limits(f, 0, 2, 0);
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		assert_int_equal(vt_quota_next_day_ms(mar10 + 6 * 3600 * S), mar10 + DAY_MS);
		assert_int_equal(vt_quota_next_month_ms(mar10 + 23 * 3600 * S),
				 MAR1_2024 + 31 * DAY_MS);
	}
	assert_int_equal(take(f, mar10 + 6 * 3600 * S, NULL, NULL), 0);
	assert_int_equal(take(f, mar10 + 7 * 3600 * S, NULL, NULL), 0);
	assert_int_equal(take(f, mar10 + 8 * 3600 * S, &wait, &b), VG_ETOOBIG);
	assert_int_equal(wait, mar10 + DAY_MS);
	assert_int_equal(b, VT_WINDOW_DAY);
	assert_int_equal(take(f, mar10 + DAY_MS, NULL, NULL), 0);
	unsetenv("TZ");
	tzset();
}

/* ---- Windows ----------------------------------------------------------------------- */

static void test_vt_quota__minute_window_slides(void **state)
{
	struct fixture *f = *state;
	int64_t wait = 0;
	enum vt_window b = VT_WINDOW_DAY;

	for (int i = 0; i < 4; i++)
		assert_int_equal(take(f, T0 + i * 10 * S, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 45 * S, &wait, &b), VG_ETOOBIG);
	assert_int_equal(wait, T0 + MIN_MS); /* when the first one leaves the window */
	assert_int_equal(b, VT_WINDOW_MINUTE);
	assert_int_equal(take(f, T0 + MIN_MS - 1, &wait, NULL), VG_ETOOBIG);
	assert_int_equal(take(f, T0 + MIN_MS, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + MIN_MS + 1, &wait, NULL), VG_ETOOBIG);
	assert_int_equal(wait, T0 + 10 * S + MIN_MS);
}

static void test_vt_quota__day_resets_at_utc_midnight(void **state)
{
	struct fixture *f = *state;
	int64_t midnight = JAN1_2024 + 11 * DAY_MS;
	int64_t wait = 0;
	enum vt_window b = VT_WINDOW_MINUTE;

	fx_limits(f, 0, 3, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(f, T0 + i, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 3, &wait, &b), VG_ETOOBIG);
	assert_int_equal(wait, midnight);
	assert_int_equal(b, VT_WINDOW_DAY);
	assert_int_equal(take(f, midnight - 1, NULL, NULL), VG_ETOOBIG);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(f, midnight + i, NULL, NULL), 0);
	assert_int_equal(take(f, midnight + 3, &wait, NULL), VG_ETOOBIG);
	assert_int_equal(wait, midnight + DAY_MS);
}

static void test_vt_quota__month_resets_on_the_first(void **state)
{
	struct fixture *f = *state;
	int64_t wait = 0;
	enum vt_window b = VT_WINDOW_MINUTE;

	fx_limits(f, 0, 0, 4);
	/* two in January, two on Feb 28 and 29 (leap year): the month is full */
	assert_int_equal(take(f, FEB1_2024 - DAY_MS, NULL, NULL), 0);
	assert_int_equal(take(f, FEB1_2024 - 1, NULL, NULL), 0);
	assert_int_equal(take(f, FEB1_2024, NULL, NULL), 0); /* a new month */
	assert_int_equal(take(f, FEB29_2024 - DAY_MS, NULL, NULL), 0);
	assert_int_equal(take(f, FEB29_2024, NULL, NULL), 0);
	assert_int_equal(take(f, FEB29_2024 + 1, NULL, NULL), 0);
	assert_int_equal(take(f, FEB29_2024 + 2, &wait, &b), VG_ETOOBIG);
	assert_int_equal(wait, MAR1_2024);
	assert_int_equal(b, VT_WINDOW_MONTH);
	assert_int_equal(take(f, MAR1_2024, NULL, NULL), 0);
}

static void test_vt_quota__the_latest_reset_of_the_full_windows_wins(void **state)
{
	struct fixture *f = *state;
	int64_t wait = 0;
	enum vt_window b = VT_WINDOW_MINUTE;

	fx_limits(f, 2, 2, 0);
	assert_int_equal(take(f, T0, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 1, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 2, &wait, &b), VG_ETOOBIG);
	assert_int_equal(wait, JAN1_2024 + 11 * DAY_MS); /* not T0 + 60 s */
	assert_int_equal(b, VT_WINDOW_DAY);
}

static void test_vt_quota__zero_is_unlimited(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;

	fx_limits(f, 0, 0, 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(take(f, T0 + i, NULL, NULL), 0);
	status(f, T0 + 300, &s);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 300);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].left, -1);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 300);
	assert_int_equal(s.w[VT_WINDOW_MONTH].left, -1);
	assert_int_equal(s.wait_until_ms, T0 + 300);
}

static void test_vt_quota__status_reports_use_room_and_resets(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;

	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].limit, 4);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 0);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].reset_ms, T0);
	assert_int_equal(s.w[VT_WINDOW_DAY].left, 500);
	assert_int_equal(s.w[VT_WINDOW_MONTH].left, 15500);
	assert_int_equal(take(f, T0, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 5 * S, NULL, NULL), 0);
	status(f, T0 + 30 * S, &s);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 2);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].left, 2);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].reset_ms, T0 + MIN_MS);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 2);
	assert_int_equal(s.w[VT_WINDOW_DAY].left, 498);
	assert_int_equal(s.w[VT_WINDOW_DAY].reset_ms, JAN1_2024 + 11 * DAY_MS);
	assert_int_equal(s.w[VT_WINDOW_MONTH].used, 2);
	assert_int_equal(s.w[VT_WINDOW_MONTH].reset_ms, FEB1_2024);
	assert_int_equal(s.wait_until_ms, T0 + 30 * S);
	status(f, T0 + 61 * S, &s);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 1);
	status(f, JAN1_2024 + 11 * DAY_MS, &s); /* the next day: nothing used yet */
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 0);
	assert_int_equal(s.w[VT_WINDOW_MONTH].used, 2);
	assert_string_equal(vt_window_name(VT_WINDOW_MONTH), "month");
}

static void refund(struct fixture *f, int64_t taken)
{
	struct vg_err err = VG_ERR_INIT;
	if (vt_quota_refund(f->q, taken, &err) != 0)
		fail_msg("refund: %s", err.msg);
}

/* A request that never left (connection refused) gives its take back. */
static void test_vt_quota__a_refund_gives_one_take_back(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;

	for (int i = 0; i < 4; i++) /* two takes in the same millisecond */
		assert_int_equal(take(f, T0 + (i / 2) * S, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 2 * S, NULL, NULL), VG_ETOOBIG);
	refund(f, T0 + S);
	status(f, T0 + 2 * S, &s);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 3); /* one of the two only */
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 3);
	assert_int_equal(s.w[VT_WINDOW_MONTH].used, 3);
	assert_int_equal(take(f, T0 + 2 * S, NULL, NULL), 0);
	/* no take at that time in the minute window: nothing is given back */
	refund(f, T0 - MIN_MS);
	status(f, T0 + 2 * S, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 4);
	/* yesterday's take leaves today's counter alone */
	assert_int_equal(take(f, JAN1_2024 + 11 * DAY_MS - 1, NULL, NULL), 0);
	assert_int_equal(take(f, JAN1_2024 + 11 * DAY_MS + 1, NULL, NULL), 0);
	refund(f, JAN1_2024 + 11 * DAY_MS - 1);
	status(f, JAN1_2024 + 11 * DAY_MS + 1, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 1);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 1);
	assert_int_equal(s.w[VT_WINDOW_MONTH].used, 5);
}

static void test_vt_quota__state_survives_a_restart(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;
	int64_t wait = 0;

	for (int i = 0; i < 4; i++)
		assert_int_equal(take(f, T0 + i * S, NULL, NULL), 0);
	fx_close(f);
	fx_open(f);
	assert_int_equal(take(f, T0 + 10 * S, &wait, NULL), VG_ETOOBIG);
	assert_int_equal(wait, T0 + MIN_MS);
	status(f, T0 + 10 * S, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 4);
	assert_int_equal(s.w[VT_WINDOW_MONTH].used, 4);
}

static void test_vt_quota__a_rolled_back_take_is_not_spent(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_quota_status s;
	int64_t wait = 0;

	assert_int_equal(vg_db_begin(f->db, &err), 0);
	assert_int_equal(vt_quota_take(f->q, T0, &wait, NULL, &err), 0);
	vg_db_rollback(f->db);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].used, 0);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 0);
}

static void test_vt_quota__observe_raises_but_never_lowers(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_quota_status s;
	int64_t wait = 0;

	assert_int_equal(take(f, T0, NULL, NULL), 0);
	assert_int_equal(vt_quota_observe(f->q, T0, VT_WINDOW_DAY, 499, &err), 0);
	assert_int_equal(vt_quota_observe(f->q, T0, VT_WINDOW_DAY, 10, &err), 0);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 499);
	assert_int_equal(s.w[VT_WINDOW_MONTH].used, 1);
	assert_int_equal(take(f, T0 + MIN_MS, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 2 * MIN_MS, &wait, NULL), VG_ETOOBIG);
	assert_int_equal(wait, JAN1_2024 + 11 * DAY_MS);
	assert_int_equal(vt_quota_observe(f->q, T0, VT_WINDOW_MINUTE, 4, &err), VG_EPARSE);
}

static void test_vt_quota__exhaustion_is_announced_once_per_day(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	int64_t next_day = JAN1_2024 + 11 * DAY_MS;
	bool announce = true;

	fx_limits(f, 1, 2, 0);
	assert_int_equal(vt_quota_exhausted_notice(f->q, T0, &announce, &err), 0);
	assert_false(announce);
	assert_int_equal(take(f, T0, NULL, NULL), 0);
	/* only the minute window is full: pacing, not exhaustion */
	assert_int_equal(vt_quota_exhausted_notice(f->q, T0, &announce, &err), 0);
	assert_false(announce);
	assert_int_equal(take(f, T0 + MIN_MS, NULL, NULL), 0);
	assert_int_equal(vt_quota_exhausted_notice(f->q, T0 + MIN_MS, &announce, &err), 0);
	assert_true(announce);
	for (int i = 2; i < 50; i++) {
		assert_int_equal(vt_quota_exhausted_notice(f->q, T0 + i * S, &announce, &err), 0);
		assert_false(announce);
	}
	fx_close(f);
	fx_open(f);
	assert_int_equal(vt_quota_exhausted_notice(f->q, T0 + 3 * MIN_MS, &announce, &err), 0);
	assert_false(announce); /* the restart does not repeat it */
	assert_int_equal(take(f, next_day, NULL, NULL), 0);
	assert_int_equal(take(f, next_day + MIN_MS, NULL, NULL), 0);
	assert_int_equal(vt_quota_exhausted_notice(f->q, next_day + MIN_MS, &announce, &err), 0);
	assert_true(announce); /* a new day, exhausted again */
}

/* set_allowance in its own transaction */
static void allow(struct fixture *f, enum vt_window w, int64_t allowed)
{
	struct vg_err err = VG_ERR_INIT;
	int rc = vg_db_begin(f->db, &err);

	if (rc == 0)
		rc = vt_quota_set_allowance(f->q, w, allowed, &err);
	if (vg_db_end(f->db, rc, &err) != 0)
		fail_msg("set_allowance: %s", err.msg);
}

static void test_vt_quota__a_reported_allowance_lowers_the_limit(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;
	enum vt_window blocked = VT_WINDOW_MINUTE;
	int64_t wait = 0;

	fx_limits(f, 0, 500, 15500);
	allow(f, VT_WINDOW_DAY, 5);
	allow(f, VT_WINDOW_MONTH, 100);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 5);
	assert_int_equal(s.w[VT_WINDOW_DAY].left, 5);
	assert_int_equal(s.w[VT_WINDOW_MONTH].limit, 100);
	for (int i = 0; i < 5; i++)
		assert_int_equal(take(f, T0 + i, NULL, NULL), 0);
	assert_int_equal(take(f, T0 + 5, &wait, &blocked), VG_ETOOBIG);
	assert_int_equal(blocked, VT_WINDOW_DAY);
	assert_int_equal(wait, JAN1_2024 + 11 * DAY_MS);
}

static void test_vt_quota__a_reported_allowance_never_raises_the_configuration(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;

	fx_limits(f, 4, 500, 15500);
	allow(f, VT_WINDOW_DAY, 1000000);
	allow(f, VT_WINDOW_MONTH, (int64_t)VT_QUOTA_LIMIT_MAX * 60); /* the doc's hourly-sized */
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 500);
	assert_int_equal(s.w[VT_WINDOW_MONTH].limit, 15500);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].limit, 4);
}

static void test_vt_quota__unlimited_takes_the_reported_allowance(void **state)
{
	struct fixture *f = *state;
	struct vt_quota_status s;

	fx_limits(f, 0, 0, 0);
	allow(f, VT_WINDOW_DAY, 7);
	allow(f, VT_WINDOW_MONTH, (int64_t)VT_QUOTA_LIMIT_MAX * 60);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 7);
	assert_int_equal(s.w[VT_WINDOW_MONTH].limit, VT_QUOTA_LIMIT_MAX);
	assert_int_equal(s.w[VT_WINDOW_MINUTE].limit, 0);
	/* 0 forgets it: unlimited again */
	allow(f, VT_WINDOW_DAY, 0);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 0);
	assert_int_equal(s.w[VT_WINDOW_DAY].left, -1);
}

/* Stored, like the counters: a restart and `vigie status`'s handle see it. */
static void test_vt_quota__a_reported_allowance_is_seen_by_another_handle(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	struct vt_quota_opts o = {4, 500, 15500};
	struct vt_quota_status s;
	struct vt_quota *q = NULL;
	sqlite3 *ro = NULL;

	allow(f, VT_WINDOW_DAY, 5);
	assert_int_equal(vg_db_begin(f->db, &err), 0);
	assert_int_equal(vt_quota_observe(f->q, T0, VT_WINDOW_DAY, 3, &err), 0);
	assert_int_equal(vg_db_end(f->db, 0, &err), 0);
	dbo.readonly = true;
	assert_int_equal(vg_db_open(((struct vg_test_dbdir *)f->dbdir)->db, &dbo, &ro, &err), 0);
	assert_int_equal(vt_quota_open(ro, &o, &q, &err), 0);
	assert_int_equal(vt_quota_status(q, T0, &s, &err), 0);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 5);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 3);
	assert_int_equal(s.w[VT_WINDOW_DAY].left, 2);
	vt_quota_close(q);
	vg_db_close(ro);
	fx_close(f);
	fx_open(f);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 5);
}

static void test_vt_quota__a_bad_allowance_is_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_quota_status s;

	assert_int_equal(vt_quota_set_allowance(f->q, VT_WINDOW_MINUTE, 4, &err), VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vt_quota_set_allowance(f->q, VT_WINDOW_DAY, -1, &err), VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vt_quota_set_allowance(f->q, VT_WINDOW_N, 4, &err), VG_EPARSE);
	status(f, T0, &s);
	assert_int_equal(s.w[VT_WINDOW_DAY].limit, 500);
}

static void test_vt_quota__bad_limits_are_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_quota_opts o = VT_QUOTA_OPTS_INIT;
	struct vt_quota *q = NULL;

	o.per_day = -1;
	assert_int_equal(vt_quota_open(f->db, &o, &q, &err), VG_EPARSE);
	assert_null(q);
	vg_test_err_mentions(&err, "requests per day");
	o.per_day = 0;
	o.per_month = (int64_t)VT_QUOTA_LIMIT_MAX + 1;
	vg_err_clear(&err);
	assert_int_equal(vt_quota_open(f->db, &o, &q, &err), VG_ETOOBIG);
}

static void test_vt_quota__a_read_only_handle_reads_the_status(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	struct vt_quota_status s;
	struct vt_quota *q = NULL;
	sqlite3 *ro = NULL;
	int64_t wait = 0;

	assert_int_equal(take(f, T0, NULL, NULL), 0);
	dbo.readonly = true;
	assert_int_equal(vg_db_open(((struct vg_test_dbdir *)f->dbdir)->db, &dbo, &ro, &err), 0);
	assert_int_equal(vt_quota_open(ro, NULL, &q, &err), 0);
	assert_int_equal(vt_quota_status(q, T0, &s, &err), 0);
	assert_int_equal(s.w[VT_WINDOW_DAY].used, 1);
	assert_int_equal(vt_quota_take(q, T0 + MIN_MS, &wait, NULL, &err), VG_EPERM);
	vt_quota_close(q);
	vg_db_close(ro);
}

static void test_vt_quota__a_read_only_handle_needs_the_tables(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	char *path = vg_xasprintf("%s/other.db", ((struct vg_test_dbdir *)f->dbdir)->dir);
	struct vt_quota *q = NULL;
	sqlite3 *db = NULL;

	assert_int_equal(vg_db_open(path, &dbo, &db, &err), 0);
	assert_int_equal(vg_db_exec(db, "CREATE TABLE t (x INTEGER)", "test", &err), 0);
	vg_db_close(db);
	dbo.readonly = true;
	assert_int_equal(vg_db_open(path, &dbo, &db, &err), 0);
	assert_int_equal(vt_quota_open(db, NULL, &q, &err), VG_ENOTFOUND);
	assert_null(q);
	vg_db_close(db);
	vg_free(path);
}

/* ---- Property ---------------------------------------------------------------------- */

#define P_MINUTE 3
#define P_DAY 40
#define P_MONTH 100
#define P_MAX 4000

static uint64_t rnd(uint64_t *s) /* xorshift64*: deterministic, seeded per run */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void check_windows(const int64_t *t, size_t n)
{
	size_t lo = 0;

	for (size_t i = 0; i < n; i++) { /* t is sorted: each window ending at t[i] */
		while (t[lo] <= t[i] - MIN_MS)
			lo++;
		if (i - lo + 1 > P_MINUTE)
			fail_msg("%zu requests in the 60 s before %lld", i - lo + 1,
				 (long long)t[i]);
	}
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i; k < n && vt_quota_day(t[k]) == vt_quota_day(t[i]); k++)
			;
		assert_true(k - i <= P_DAY);
	}
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i; k < n && vt_quota_month(t[k]) == vt_quota_month(t[i]); k++)
			;
		assert_true(k - i <= P_MONTH);
	}
}

static void run_property(struct fixture *f, uint64_t seed)
{
	int64_t *ok = vg_xcalloc(P_MAX, sizeof(*ok));
	int64_t now = FEB1_2024 - 3 * DAY_MS + (int64_t)(seed % DAY_MS);
	int64_t end = MAR1_2024 + 5 * DAY_MS;
	size_t n = 0, refused = 0, exact = 0;
	int64_t wait = 0;

	fx_limits(f, P_MINUTE, P_DAY, P_MONTH);
	while (now < end && n < P_MAX) {
		uint64_t r = rnd(&seed);
		int rc = take(f, now, &wait, NULL);

		if (rc == 0) {
			ok[n++] = now;
		} else if (r % 4 == 0) { /* the wait is exact: one ms early fails, on time works */
			refused++;
			assert_int_equal(take(f, wait - 1, NULL, NULL), VG_ETOOBIG);
			assert_int_equal(take(f, wait, NULL, NULL), 0);
			ok[n++] = wait;
			now = wait;
			exact++;
		} else {
			refused++;
			if (r % 4 == 1) /* obey, roughly */
				now = wait + (int64_t)(r >> 40) % (20 * S);
		}
		now += (int64_t)((r >> 8) % (r % 50 == 0 ? 4 * 3600 * S : 30 * S));
		if (r % 500 == 7) { /* a restart */
			fx_close(f);
			fx_open(f);
		}
	}
	check_windows(ok, n);
	print_message("property: %zu taken, %zu refused, %zu exact waits\n", n, refused, exact);
	/* the scheduler did work: days and months filled up, waits were met */
	assert_true(n > 2 * P_MONTH);
	assert_true(refused > 100);
	assert_true(exact > 10);
	vg_free(ok);
}

static void test_vt_quota__never_over_any_window_with_random_requests(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	run_property(f, 0x9e3779b97f4a7c15ULL);
	/* start afresh: the second run goes back in time */
	assert_int_equal(vg_db_exec(f->db,
				    "DELETE FROM vt_quota_request; DELETE FROM vt_quota_period",
				    "test", &err),
			 0);
	run_property(f, 20240229ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_vt_quota__##name, setup, teardown)
	    T(utc_calendar_resets),
	    T(daylight_saving_time_is_irrelevant),
	    T(minute_window_slides),
	    T(day_resets_at_utc_midnight),
	    T(month_resets_on_the_first),
	    T(the_latest_reset_of_the_full_windows_wins),
	    T(zero_is_unlimited),
	    T(status_reports_use_room_and_resets),
	    T(a_refund_gives_one_take_back),
	    T(state_survives_a_restart),
	    T(a_rolled_back_take_is_not_spent),
	    T(observe_raises_but_never_lowers),
	    T(a_reported_allowance_lowers_the_limit),
	    T(a_reported_allowance_never_raises_the_configuration),
	    T(unlimited_takes_the_reported_allowance),
	    T(a_reported_allowance_is_seen_by_another_handle),
	    T(a_bad_allowance_is_refused),
	    T(exhaustion_is_announced_once_per_day),
	    T(bad_limits_are_refused),
	    T(a_read_only_handle_reads_the_status),
	    T(a_read_only_handle_needs_the_tables),
	    T(never_over_any_window_with_random_requests),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
