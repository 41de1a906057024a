/*
 * vt_allowance.c - Read the answer of GET /users/{key}/overall_quotas
 * (vt_allowance.h).
 *
 * Invariant: state OK only for a 200 whose every daily/monthly block read
 * is well-typed; anything else leaves both windows unknown, so the caller
 * can never apply half an answer. Details are built from the status and
 * fixed words only (the body may echo the key).
 *
 * Pure functions; any thread.
 */
#include "manager/vt_allowance.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lib/str.h"

const char *vt_allowance_state_name(enum vt_allowance_state s)
{
	switch (s) {
	case VT_ALLOWANCE_OK:
		return "ok";
	case VT_ALLOWANCE_UNAVAILABLE:
		return "unavailable";
	case VT_ALLOWANCE_FAILED:
		return "failed";
	}
	return "unknown";
}

void vt_allowance_fail(struct vt_allowance *out, enum vt_allowance_state s, long http_status,
		       const char *detail)
{
	memset(out, 0, sizeof(*out));
	out->state = s;
	out->http_status = http_status;
	if (detail != NULL)
		vg_strlcpy(out->detail, detail, sizeof(out->detail));
}

/* {"allowed":N>=1,"used":M>=0} (other keys ignored) into allowed/used. */
static bool read_block(const json_t *b, int64_t *allowed, int64_t *used)
{
	const json_t *a = json_object_get(b, "allowed");
	const json_t *u = json_object_get(b, "used");

	if (!json_is_integer(a) || !json_is_integer(u))
		return false;
	*allowed = json_integer_value(a);
	*used = json_integer_value(u);
	return *allowed >= 1 && *used >= 0;
}

/*
 * One window ("api_requests_daily"): absent is fine (known false), present
 * must be well-formed. With a group, the block with less room binds.
 */
static bool read_window(const json_t *data, const char *name, struct vt_allowance_window *w)
{
	const json_t *win = json_object_get(data, name);
	const json_t *group;
	int64_t ga, gu;

	memset(w, 0, sizeof(*w));
	if (win == NULL)
		return true;
	if (!json_is_object(win) ||
	    !read_block(json_object_get(win, "user"), &w->allowed, &w->used))
		return false;
	group = json_object_get(win, "group");
	if (group != NULL) {
		if (!read_block(group, &ga, &gu))
			return false;
		/* both in 1..2^63-1 and 0..2^63-1: the differences cannot overflow */
		if (ga - gu < w->allowed - w->used) {
			w->allowed = ga;
			w->used = gu;
		}
	}
	w->known = true;
	return true;
}

static void read_ok_body(const char *body, size_t len, struct vt_allowance *out)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *data = json_object_get(root, "data");
	bool ok = json_is_object(data) && read_window(data, "api_requests_daily", &out->day) &&
		  read_window(data, "api_requests_monthly", &out->month) &&
		  (out->day.known || out->month.known);

	json_decref(root);
	if (ok)
		return;
	vt_allowance_fail(out, VT_ALLOWANCE_UNAVAILABLE, 200,
			  "HTTP 200 without well-formed daily or monthly allowances");
}

void vt_allowance_parse(long http_status, const char *body, size_t len, struct vt_allowance *out)
{
	char why[64];

	memset(out, 0, sizeof(*out));
	out->state = VT_ALLOWANCE_OK;
	out->http_status = http_status;
	if (http_status == 200) {
		read_ok_body(body != NULL ? body : "", body != NULL ? len : 0, out);
		return;
	}
	snprintf(why, sizeof(why), "HTTP %ld", http_status);
	if (http_status == 429 || (http_status >= 500 && http_status <= 599))
		vt_allowance_fail(out, VT_ALLOWANCE_FAILED, http_status, why);
	else
		vt_allowance_fail(out, VT_ALLOWANCE_UNAVAILABLE, http_status, why);
}
