/*
 * vt_quota.h - The VirusTotal request quota: per sliding minute, UTC day
 *              and calendar month, persisted across restarts.
 *
 * Three limits, each 0 = unlimited (defaults: the public key's 4 per
 * minute, 500 per day, 15500 per month):
 * - minute: at most per_minute requests in ANY 60-second window. The
 *   request times of the last 60 s are stored; a request at t is allowed
 *   when fewer than per_minute were made in (t - 60 s, t].
 * - day: at most per_day between two 00:00 UTC (VirusTotal's reset).
 * - month: at most per_month between two 1st-of-month 00:00 UTC.
 * Day and month are plain UTC calendar arithmetic on epoch time (no
 * localtime, no time zone, so daylight saving time cannot move a reset).
 *
 * VirusTotal's word (GET /users/{key}/overall_quotas, vt_allowance.h) can
 * lower the day and month limits at run time: vt_quota_set_allowance
 * stores the reported allowance, and the limit that applies is
 *   configured 0 (unlimited)  -> the reported allowance
 *   otherwise                 -> min(configured, reported)
 * never above a non-zero configured value. Why: the configuration is the
 * operator's budget, and it can be deliberately below the key's allowance
 * (a key shared by several managers or tools, a premium key whose
 * allowance is not all Vigie's), so a report must not spend more than was
 * granted; a key allowing less than configured is a fact, and scheduling
 * past it only buys 429s. 0 means "no budget of my own": VirusTotal's word
 * is then the only limit. The reported allowance is stored in the database
 * like the counters, so `vigie status` (which opens the quota with the
 * configured limits) shows the same limit as the manager, and a restart
 * keeps it until the next report. vt_quota_observe raises the used counters
 * to what VirusTotal reports (requests of other users of the key count).
 * The minute limit is never reported (VirusTotal has no minute counter).
 *
 * vt_quota_take is the only way to spend: it refuses (VG_ETOOBIG) with the
 * earliest time a request may go, or records the request. All state lives
 * in the database and is read on each call (nothing cached in memory), so
 * a transaction the caller rolls back also rolls the spending back.
 *
 * Times are epoch milliseconds from the caller's clock (tests inject it).
 * A clock stepping backwards is tolerated, not trusted: the minute window
 * counts every stored request after now - 60 s (future ones included), and
 * a day or month counter restarts when the period changes either way.
 *
 * Transactions: none begun or committed here (see vt_cache.h). Thread
 * model: one owner thread per handle, like the sqlite3 handle.
 */
#ifndef MGR_VT_QUOTA_H
#define MGR_VT_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"

#define VT_QUOTA_MINUTE_MS 60000
#define VT_QUOTA_DAY_MS 86400000
#define VT_QUOTA_LIMIT_MAX 1000000000 /* a sanity bound on configured limits */

struct vt_quota;

struct vt_quota_opts {
	int64_t per_minute; /* 0 = unlimited; negative is VG_EPARSE */
	int64_t per_day;
	int64_t per_month;
};

/* The public API key's allowance (VirusTotal's documented public limits). */
#define VT_QUOTA_OPTS_INIT                                                                         \
	{                                                                                          \
		4, 500, 15500                                                                      \
	}

enum vt_window {
	VT_WINDOW_MINUTE,
	VT_WINDOW_DAY,
	VT_WINDOW_MONTH,
	VT_WINDOW_N,
};

struct vt_quota_use {
	int64_t limit;    /* the one that applies (see above); 0 = unlimited */
	int64_t used;     /* in the current window */
	int64_t left;     /* limit - used, at least 0; -1 when unlimited */
	int64_t reset_ms; /* minute: when the oldest counted request leaves the
			     window (now when none); day, month: the next reset */
};

struct vt_quota_status {
	struct vt_quota_use w[VT_WINDOW_N]; /* indexed by enum vt_window */
	int64_t wait_until_ms;              /* earliest time a request may go (<= now: now) */
};

/* "minute", "day", "month". */
const char *vt_window_name(enum vt_window w);

/*
 * Open the quota on db (the caller's handle, see vt_cache_open): creates its
 * tables when missing. o may be NULL (VT_QUOTA_OPTS_INIT). Limits above
 * VT_QUOTA_LIMIT_MAX are VG_ETOOBIG.
 */
int vt_quota_open(sqlite3 *db, const struct vt_quota_opts *o, struct vt_quota **out,
		  struct vg_err *err) VG_MUST_CHECK;

/* Finalize the statements (NULL allowed); the handle stays open. */
void vt_quota_close(struct vt_quota *q);

/*
 * Spend one request at now_ms: 0 when every window has room (the request
 * is recorded, *wait_until_ms = now_ms); VG_ETOOBIG (no message) when one
 * is full, with *wait_until_ms the earliest time a request may go: the
 * latest of the resets of the full windows (the next slide of the minute
 * window, 00:00 UTC tomorrow, the 1st of next month 00:00 UTC). A take at
 * exactly that time succeeds unless other requests were taken meanwhile.
 * blocked (may be NULL) names the window that sets the wait.
 */
int vt_quota_take(struct vt_quota *q, int64_t now_ms, int64_t *wait_until_ms,
		  enum vt_window *blocked, struct vg_err *err) VG_MUST_CHECK;

/*
 * Give back the request taken at taken_ms (its vt_quota_take's now_ms)
 * because it never reached VirusTotal (connection refused, DNS, TLS
 * handshake): an outage must not spend the day's allowance. Undoes one
 * take of that millisecond in the minute window and, in the same day and
 * month only, the counters (never below 0). A take no longer in the
 * minute window (trimmed) is not refunded at all: nothing happens.
 */
int vt_quota_refund(struct vt_quota *q, int64_t taken_ms, struct vg_err *err) VG_MUST_CHECK;

/* Use, room and reset per window at now_ms, for the dashboard and `vigie status`. */
int vt_quota_status(struct vt_quota *q, int64_t now_ms, struct vt_quota_status *out,
		    struct vg_err *err) VG_MUST_CHECK;

/*
 * Raise the day or month counter to used when VirusTotal reports more
 * (GET /users/{key}/overall_quotas, or a 429 QuotaExceededError: pass the
 * limit). Never lowers a counter. VG_EPARSE for the minute window.
 */
int vt_quota_observe(struct vt_quota *q, int64_t now_ms, enum vt_window w, int64_t used,
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Store VirusTotal's reported allowance of window w (VT_WINDOW_DAY or
 * VT_WINDOW_MONTH), which caps that window's limit as described above;
 * allowed 0 forgets it (the configured limit applies again). Values above
 * VT_QUOTA_LIMIT_MAX are stored as that. VG_EPARSE for the minute window or
 * a negative value. vt_quota_status's limit is the one that applies.
 */
int vt_quota_set_allowance(struct vt_quota *q, enum vt_window w, int64_t allowed,
			   struct vg_err *err) VG_MUST_CHECK;

/*
 * Whether to raise the "quota exhausted" alert now: *announce becomes true
 * (and the UTC day is recorded as announced) when the day or month window
 * is full at now_ms and no announcement was recorded for this UTC day;
 * false otherwise (a full minute window is normal pacing, never
 * announced). So the integrator raises ONE alert per exhausted day, not
 * one per waiting file, even across restarts.
 */
int vt_quota_exhausted_notice(struct vt_quota *q, int64_t now_ms, bool *announce,
			      struct vg_err *err) VG_MUST_CHECK;

/* UTC calendar helpers (pure). The day number of now_ms (floor of ms / day). */
int64_t vt_quota_day(int64_t now_ms);
/* The month key of now_ms: year * 12 + month - 1 (UTC). */
int64_t vt_quota_month(int64_t now_ms);
/* 00:00 UTC of the day after now_ms's day, and of the 1st of the next month. */
int64_t vt_quota_next_day_ms(int64_t now_ms);
int64_t vt_quota_next_month_ms(int64_t now_ms);

#endif
