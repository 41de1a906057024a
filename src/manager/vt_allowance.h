/*
 * vt_allowance.h - What GET /users/{key}/overall_quotas says about the API
 * key's allowance (docs/virustotal.md, reference virustotal-api.md §3).
 *
 * One pure step, no I/O, no state (any thread, fuzzable): HTTP status +
 * body -> the day's and the month's allowance and use, or why none can be
 * had. The endpoint is optional (issue 5 §4, option use_quota_endpoint):
 * some keys get 403 from it, so nothing it answers is ever an alert, only
 * a state the integrator logs once.
 *
 * The answer's shape:
 *   {"data":{"api_requests_daily":{"user":{"allowed":N,"used":M},
 *                                  "group":{"allowed":N,"used":M,...}},
 *            "api_requests_hourly":{...}, "api_requests_monthly":{...}}}
 * "group" is there only when the user belongs to a group, whose allowance
 * is shared with its other members. A window's room is then the smaller of
 * the two rooms (allowed - used), so the block with less room left binds:
 * its allowed AND its used are reported (mixing the group's allowance with
 * the user's use would overstate the room when other members spent some).
 * With equal use this is "the smaller allowance wins". Vigie has no hourly
 * window (the minute limit is tighter): api_requests_hourly is not read.
 *
 * Secrets: the key is in the request's URL path, so the detail never
 * quotes the body (a 403's message may echo the user id, i.e. the key) nor
 * a URL: only the status and fixed words.
 */
#ifndef MGR_VT_ALLOWANCE_H
#define MGR_VT_ALLOWANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Largest overall_quotas body read (a real one is under 1 KB). */
#define VT_ALLOWANCE_BODY_MAX (64u * 1024u)

enum vt_allowance_state {
	VT_ALLOWANCE_OK,          /* 200 with at least one well-formed window */
	VT_ALLOWANCE_UNAVAILABLE, /* 401, 403, 404, other 4xx, 3xx, or a malformed
				     200: this key or service gives no allowance */
	VT_ALLOWANCE_FAILED,      /* network, timeout, 429 or 5xx: ask again later */
};

struct vt_allowance_window {
	bool known;      /* the window was in the answer */
	int64_t allowed; /* >= 1 */
	int64_t used;    /* >= 0; may exceed allowed (VirusTotal overshoots) */
};

struct vt_allowance {
	enum vt_allowance_state state;
	long http_status; /* 0: no HTTP answer */
	struct vt_allowance_window day, month;
	char detail[VG_ERR_MSG_MAX]; /* why, for the log when not OK; never the
					key, a URL or the body's text */
};

/* "ok", "unavailable", "failed". Never NULL. */
const char *vt_allowance_state_name(enum vt_allowance_state s);

/*
 * Classify the answer to GET /users/{key}/overall_quotas (status and the
 * decoded body[0..len), not necessarily NUL-terminated) into *out, which
 * is always fully written. A window is well-formed when its "user" block
 * (and "group" block, if any) has an integer "allowed" >= 1 and an integer
 * "used" >= 0; allowed 0 is no allowance Vigie could schedule by, so it is
 * malformed. A malformed daily or monthly window, or neither present, makes
 * the whole answer VT_ALLOWANCE_UNAVAILABLE: half-believed numbers are
 * worse than the configuration's.
 */
void vt_allowance_parse(long http_status, const char *body, size_t len, struct vt_allowance *out);

/* Fill *out as state s (not OK) with http_status and detail (may be NULL). */
void vt_allowance_fail(struct vt_allowance *out, enum vt_allowance_state s, long http_status,
		       const char *detail);

#endif
