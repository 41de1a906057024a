/*
 * vt_answer.c - Classify a VirusTotal v3 file lookup and build the message
 * injected back into analysis (vt_answer.h, docs/virustotal.md).
 *
 * Invariant: VT_FOUND is only ever returned for a 200 whose body is a
 * well-typed file object for the hash asked (data.id and, when present,
 * attributes.sha256 equal to it). Every doubt is VT_BAD_ANSWER, which the
 * integrator retries: a lost lookup costs a request, a wrong verdict costs
 * a missed malware or a false alarm.
 *
 * "total": VirusTotal v3 has no such field. Wazuh's v2 total counted the
 * engines listed in "scans", i.e. those that returned a result; the
 * VirusTotal GUI's ratio ("66/71") is malicious over malicious + suspicious +
 * undetected + harmless. Vigie uses that sum: engines that timed out,
 * failed or do not support the type (timeout, confirmed-timeout, failure,
 * type-unsupported) gave no verdict and are not counted. (Wazuh's unreleased
 * v3 script put the malicious count in total, a bug not copied.)
 *
 * Pure functions; any thread.
 */
#include "manager/vt_answer.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/json.h"
#include "lib/str.h"

#define VT_PERMALINK_FMT "https://www.virustotal.com/gui/file/%s/detection"
/* Bytes of untrusted text quoted in a detail message. */
#define VT_QUOTE_MAX 96u

/* ---------------------------------------------------------------- helpers */

const char *vt_outcome_name(enum vt_outcome o)
{
	switch (o) {
	case VT_FOUND:
		return "VT_FOUND";
	case VT_NOT_FOUND:
		return "VT_NOT_FOUND";
	case VT_AUTH:
		return "VT_AUTH";
	case VT_QUOTA:
		return "VT_QUOTA";
	case VT_SERVER:
		return "VT_SERVER";
	case VT_BAD_ANSWER:
		return "VT_BAD_ANSWER";
	case VT_TIMEOUT:
		return "VT_TIMEOUT";
	case VT_NETWORK:
		return "VT_NETWORK";
	}
	return "VT_UNKNOWN";
}

void vt_answer_fail(struct vt_answer *out, enum vt_outcome o, long http_status, const char *detail)
{
	memset(out, 0, sizeof(*out));
	out->outcome = o;
	out->http_status = http_status;
	if (detail != NULL)
		vg_strlcpy(out->detail, detail, sizeof(out->detail));
}

/*
 * Make out a bad answer with a printf-style reason. Returns 1: the
 * internal readers return 0 to go on and 1 once the answer is classified
 * bad (vt_answer_parse turns that into 0, a classification).
 */
static int bad_answer(struct vt_answer *out, const char *fmt, ...) VG_PRINTF(2, 3);

static int bad_answer(struct vt_answer *out, const char *fmt, ...)
{
	long status = out->http_status;
	char code[VT_ANSWER_CODE_MAX];
	va_list ap;

	vg_strlcpy(code, out->vt_code, sizeof(code));
	vt_answer_fail(out, VT_BAD_ANSWER, status, NULL);
	vg_strlcpy(out->vt_code, code, sizeof(out->vt_code));
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	return 1;
}

/* True when s is exactly n hex digits. */
static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (vg_hex_digit(s[i]) < 0)
			return false;
	return s[n] == '\0';
}

/* Copy the n hex digits of s into dst (n + 1 bytes) in lower case. */
static void hex_lower(char *dst, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
	dst[n] = '\0';
}

/*
 * Copy the UTF-8 string s into dst (size dstsz), cut at a character
 * boundary and at the first NUL (jansson strings may hold "\u0000").
 */
static void copy_text(char *dst, size_t dstsz, const char *s)
{
	size_t n = strlen(s);

	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0u) == 0x80u)
			n--; /* do not split a multi-byte character */
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* ----------------------------------------------------------- error bodies */

/*
 * Read {"error":{"code":"...","message":"..."}} into vt_code and detail.
 * Returns false when the body is not that shape; vt_code keeps only name
 * characters so it is safe in logs and events.
 */
static bool read_error_body(const char *body, size_t len, struct vt_answer *out)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *e = json_object_get(root, "error");
	json_t *code = json_object_get(e, "code");
	json_t *msg = json_object_get(e, "message");
	char esc[VT_QUOTE_MAX];
	bool ok = false;

	if (!json_is_object(e) || !json_is_string(code))
		goto out;
	if (json_string_length(code) == 0 || json_string_length(code) >= sizeof(out->vt_code) ||
	    !vg_str_is_name(json_string_value(code), json_string_length(code)))
		goto out;
	vg_strlcpy(out->vt_code, json_string_value(code), sizeof(out->vt_code));
	if (json_is_string(msg)) {
		vg_escape(esc, sizeof(esc), json_string_value(msg), json_string_length(msg));
		snprintf(out->detail, sizeof(out->detail), "HTTP %ld %s: %s", out->http_status,
			 out->vt_code, esc);
	} else {
		snprintf(out->detail, sizeof(out->detail), "HTTP %ld %s", out->http_status,
			 out->vt_code);
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

/* Classify a non-200 status: credentials, quota, server, not found. */
static int classify_status(const char *body, size_t len, struct vt_answer *out)
{
	long st = out->http_status;
	bool has_error = read_error_body(body, len, out);

	if (!has_error)
		snprintf(out->detail, sizeof(out->detail), "HTTP %ld", st);
	if (st == 404) {
		/* Only VirusTotal's own "not found" is a verdict (found 0): a
		 * proxy's or a wrong base URL's 404 must not be. */
		if (has_error && strcmp(out->vt_code, "NotFoundError") == 0) {
			out->outcome = VT_NOT_FOUND;
			return 0;
		}
		return bad_answer(out, "HTTP 404 without a NotFoundError body (wrong base URL?)");
	}
	if (st == 401 || st == 403)
		out->outcome = VT_AUTH;
	else if (st == 429 || st == 204) /* 204: v2's quota answer, empty body */
		out->outcome = VT_QUOTA;
	else if (st >= 500 && st <= 599)
		out->outcome = VT_SERVER;
	else
		return bad_answer(out, "unexpected HTTP status %ld", st);
	return 0;
}

/* -------------------------------------------------------------- file body */

/* An optional non-negative count: absent is 0; wrong type or range fails. */
static bool get_count(const json_t *stats, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(stats, key);

	*v = 0;
	if (j == NULL)
		return true;
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) > (json_int_t)VT_ANSWER_COUNT_MAX)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

/* An epoch date: absent gives 0 when optional; else a positive integer. */
static bool get_date(const json_t *attrs, const char *key, bool required, int64_t *v)
{
	const json_t *j = json_object_get(attrs, key);

	*v = 0;
	if (j == NULL)
		return !required;
	/* Up to year 9999, so the event's date always formats. */
	if (!json_is_integer(j) || json_integer_value(j) <= 0 ||
	    json_integer_value(j) > 253402300799LL)
		return false;
	*v = (int64_t)json_integer_value(j);
	return true;
}

/* A required hex hash attribute of n digits into dst (lower case). */
static bool get_hash(const json_t *attrs, const char *key, size_t n, char *dst)
{
	const json_t *j = json_object_get(attrs, key);

	if (!json_is_string(j) || json_string_length(j) != n || !is_hex(json_string_value(j), n))
		return false;
	hex_lower(dst, json_string_value(j), n);
	return true;
}

/* An optional string: absent is ""; another type fails. */
static bool get_text(const json_t *obj, const char *key, char *dst, size_t dstsz)
{
	const json_t *j = json_object_get(obj, key);

	dst[0] = '\0';
	if (j == NULL)
		return true;
	if (!json_is_string(j))
		return false;
	copy_text(dst, dstsz, json_string_value(j));
	return true;
}

static int read_stats(const json_t *attrs, struct vt_answer *out)
{
	const json_t *stats = json_object_get(attrs, "last_analysis_stats");

	if (stats == NULL)
		return bad_answer(out,
				  "file object without last_analysis_stats (not analysed yet?)");
	if (!json_is_object(stats))
		return bad_answer(out, "last_analysis_stats is not an object");
	if (!get_count(stats, "malicious", &out->malicious) ||
	    !get_count(stats, "suspicious", &out->suspicious) ||
	    !get_count(stats, "undetected", &out->undetected) ||
	    !get_count(stats, "harmless", &out->harmless))
		return bad_answer(out, "last_analysis_stats: a count is not an integer in 0..%u",
				  VT_ANSWER_COUNT_MAX);
	/* Each term is capped, so the sum cannot overflow. */
	out->total = out->malicious + out->suspicious + out->undetected + out->harmless;
	return 0;
}

/* The attributes of a file object already known to be for want. */
static int read_attributes(const json_t *attrs, const char *want, struct vt_answer *out)
{
	const json_t *ptc = json_object_get(attrs, "popular_threat_classification");
	char sha256[65];

	if (json_object_get(attrs, "sha256") != NULL) {
		if (!get_hash(attrs, "sha256", 64, sha256) || strcmp(sha256, want) != 0)
			return bad_answer(out, "attributes.sha256 is not the hash asked");
	}
	if (!get_hash(attrs, "sha1", 40, out->sha1) || !get_hash(attrs, "md5", 32, out->md5))
		return bad_answer(out, "attributes.sha1 or md5 missing or not a hex hash");
	if (!get_date(attrs, "last_analysis_date", true, &out->last_analysis_date))
		return bad_answer(out, "attributes.last_analysis_date missing or not an epoch");
	if (!get_date(attrs, "first_submission_date", false, &out->first_submission_date))
		return bad_answer(out, "attributes.first_submission_date is not an epoch");
	if (!get_text(attrs, "meaningful_name", out->meaningful_name, sizeof(out->meaningful_name)))
		return bad_answer(out, "attributes.meaningful_name is not a string");
	if (ptc != NULL && !json_is_object(ptc))
		return bad_answer(out, "popular_threat_classification is not an object");
	if (!get_text(ptc, "suggested_threat_label", out->threat_label, sizeof(out->threat_label)))
		return bad_answer(out, "suggested_threat_label is not a string");
	return read_stats(attrs, out);
}

/* 200: {"data":{"id":<want>,"type":"file","attributes":{...}}}. */
static int read_file_object(const char *body, size_t len, const char *want, struct vt_answer *out)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *data = json_object_get(root, "data");
	const json_t *id = json_object_get(data, "id");
	const json_t *type = json_object_get(data, "type");
	const json_t *attrs = json_object_get(data, "attributes");
	char idl[65];
	int rc;

	if (root == NULL) {
		char esc[VT_QUOTE_MAX];
		vg_escape(esc, sizeof(esc), jerr.text, strlen(jerr.text));
		rc = bad_answer(out, "invalid JSON at line %d: %s", jerr.line, esc);
		goto out;
	}
	if (!json_is_object(data) || !json_is_object(attrs)) {
		rc = bad_answer(out, "no data.attributes object");
		goto out;
	}
	if (!json_is_string(type) || strcmp(json_string_value(type), "file") != 0) {
		rc = bad_answer(out, "data.type is not \"file\"");
		goto out;
	}
	if (!json_is_string(id) || json_string_length(id) != 64 ||
	    !is_hex(json_string_value(id), 64)) {
		rc = bad_answer(out, "data.id is not a sha256");
		goto out;
	}
	hex_lower(idl, json_string_value(id), 64);
	if (strcmp(idl, want) != 0) {
		rc = bad_answer(out, "answer for another file (data.id %.16s...)", idl);
		goto out;
	}
	rc = read_attributes(attrs, want, out);
	if (rc == 0) {
		vg_strlcpy(out->sha256, want, sizeof(out->sha256));
		out->outcome = VT_FOUND;
	}
out:
	json_decref(root);
	return rc;
}

int vt_answer_parse(long http_status, const char *body, size_t len, const char *want_sha256,
		    struct vt_answer *out, struct vg_err *err)
{
	char want[65];

	vt_answer_fail(out, VT_BAD_ANSWER, http_status, NULL);
	if (want_sha256 == NULL || !is_hex(want_sha256, 64)) {
		vg_strlcpy(out->detail, "the hash asked is not a sha256", sizeof(out->detail));
		return vg_err_set(err, VG_EPARSE, "vt: the hash asked is not 64 hex digits");
	}
	hex_lower(want, want_sha256, 64);
	if (body == NULL)
		len = 0;
	if (len > VT_ANSWER_MAX)
		(void)bad_answer(out, "body of %zu bytes is over %u", len, VT_ANSWER_MAX);
	else if (http_status != 200)
		(void)classify_status(body == NULL ? "" : body, len, out);
	else /* the outcome stays VT_BAD_ANSWER until every check passed */
		(void)read_file_object(body == NULL ? "" : body, len, want, out);
	return 0;
}

/* ------------------------------------------------------------------ event */

/* Set o[key] = v (stolen); a NULL v or a failure (jansson out of memory)
 * sets *bad, reported once at the end as VG_EINTERNAL. */
static void put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*bad = 1;
}

static json_t *str_or_empty(const char *s)
{
	return vg_json_string_lossy(s == NULL ? "" : s, s == NULL ? 0 : strlen(s));
}

/* "YYYY-MM-DD HH:MM:SS" in UTC, Wazuh's scan_date format. */
static json_t *utc_date(int64_t epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char s[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		s[0] = '\0';
	return json_string(s);
}

static json_t *source_block(const struct vt_source *src, int *bad)
{
	json_t *o = json_object();

	if (o == NULL) {
		*bad = 1;
		return NULL;
	}
	put(o, "alert_id", str_or_empty(src->alert_id), bad);
	put(o, "file", str_or_empty(src->file), bad);
	put(o, "md5", str_or_empty(src->md5), bad);
	put(o, "sha1", str_or_empty(src->sha1), bad);
	return o;
}

/* The hash to name in the event: the one looked up, else the answer's. */
static const char *event_sha256(const struct vt_answer *a, const struct vt_source *src)
{
	if (src->sha256 != NULL && src->sha256[0] != '\0')
		return src->sha256;
	return a->sha256;
}

/* Vigie's keys common to every variant, after Wazuh's. */
static void put_extra(json_t *vt, const struct vt_extra *x, int *bad)
{
	if (x->cache == VT_CACHE_HIT)
		put(vt, "cache", json_string("hit"), bad);
	else if (x->cache == VT_CACHE_MISS)
		put(vt, "cache", json_string("miss"), bad);
	if (x->latency_ms >= 0)
		put(vt, "latency_ms", json_integer(x->latency_ms), bad);
}

static void put_found(json_t *vt, const struct vt_answer *a, const struct vt_source *src, int *bad)
{
	char link[128];

	put(vt, "found", json_integer(1), bad);
	put(vt, "malicious", json_integer(a->malicious > 0 ? 1 : 0), bad);
	put(vt, "source", source_block(src, bad), bad);
	put(vt, "sha1", json_string(a->sha1), bad);
	put(vt, "scan_date", utc_date(a->last_analysis_date), bad);
	put(vt, "positives", json_integer((json_int_t)a->malicious), bad);
	put(vt, "total", json_integer((json_int_t)a->total), bad);
	snprintf(link, sizeof(link), VT_PERMALINK_FMT, a->sha256);
	put(vt, "permalink", json_string(link), bad);
	/* Vigie's additions. */
	put(vt, "sha256", json_string(a->sha256), bad);
	put(vt, "suspicious", json_integer((json_int_t)a->suspicious), bad);
	put(vt, "undetected", json_integer((json_int_t)a->undetected), bad);
	put(vt, "harmless", json_integer((json_int_t)a->harmless), bad);
	if (a->threat_label[0] != '\0')
		put(vt, "threat_label", str_or_empty(a->threat_label), bad);
	if (a->meaningful_name[0] != '\0')
		put(vt, "meaningful_name", str_or_empty(a->meaningful_name), bad);
	if (a->first_submission_date > 0)
		put(vt, "first_submission", utc_date(a->first_submission_date), bad);
}

static void put_not_found(json_t *vt, const struct vt_answer *a, const struct vt_source *src,
			  int *bad)
{
	put(vt, "found", json_integer(0), bad);
	put(vt, "malicious", json_integer(0), bad);
	put(vt, "source", source_block(src, bad), bad);
	put(vt, "sha256", str_or_empty(event_sha256(a, src)), bad);
}

/* Wazuh's error code and description, and Vigie's reason token. */
static void error_kind(const struct vt_answer *a, long *code, const char **desc,
		       const char **reason)
{
	*code = a->http_status;
	*desc = "Error: API request fail"; /* Wazuh's text for other statuses */
	switch (a->outcome) {
	case VT_QUOTA:
		*code = 204; /* what rule 87101 matches (Wazuh 4.x, API v2) */
		*desc = "Error: Public API request rate limit reached";
		*reason = "quota";
		return;
	case VT_AUTH:
		*code = 403; /* 401 too, so 87102 fires; http_status keeps which */
		*desc = "Error: Check credentials";
		*reason = "credentials";
		return;
	case VT_TIMEOUT:
		*code = 408; /* rule 87106 */
		*desc = "Error: API request timed out";
		*reason = "timeout";
		return;
	case VT_SERVER:
		*reason = "server";
		return;
	case VT_NETWORK:
		*code = 0;
		*desc = "Error: VirusTotal unreachable";
		*reason = "network";
		return;
	default:
		*desc = "Error: Invalid answer from VirusTotal";
		*reason = "bad_answer";
		return;
	}
}

static void put_error(json_t *vt, const struct vt_answer *a, const struct vt_source *src, int *bad)
{
	const char *desc, *reason = "bad_answer";
	long code;

	error_kind(a, &code, &desc, &reason);
	put(vt, "error", json_integer(code), bad);
	put(vt, "description", json_string(desc), bad);
	/* Vigie's additions: what happened, and to which file of which agent. */
	put(vt, "reason", json_string(reason), bad);
	put(vt, "http_status", json_integer(a->http_status), bad);
	if (a->vt_code[0] != '\0')
		put(vt, "vt_code", json_string(a->vt_code), bad);
	put(vt, "sha256", str_or_empty(event_sha256(a, src)), bad);
	put(vt, "source", source_block(src, bad), bad);
	if (src->agent_id != NULL) {
		json_t *ag = json_object();
		if (ag != NULL) {
			put(ag, "id", str_or_empty(src->agent_id), bad);
			put(ag, "name", str_or_empty(src->agent_name), bad);
		}
		put(vt, "agent", ag, bad);
	}
}

int vt_answer_event(const struct vt_answer *a, const struct vt_source *src,
		    const struct vt_extra *x, struct vg_buf *out, struct vg_err *err)
{
	static const struct vt_source no_src;
	static const struct vt_extra no_extra = VT_EXTRA_INIT;
	json_t *root = json_object();
	json_t *vt = json_object();
	int bad = 0;
	int rc;

	if (src == NULL)
		src = &no_src;
	if (x == NULL)
		x = &no_extra;
	if (root == NULL || vt == NULL) {
		json_decref(vt);
		rc = vg_err_set(err, VG_EINTERNAL, "vt: out of memory building the event");
		goto out;
	}
	if (a->outcome == VT_FOUND)
		put_found(vt, a, src, &bad);
	else if (a->outcome == VT_NOT_FOUND)
		put_not_found(vt, a, src, &bad);
	else
		put_error(vt, a, src, &bad);
	put_extra(vt, x, &bad);
	put(root, "virustotal", vt, &bad); /* transferred */
	put(root, "integration", json_string("virustotal"), &bad);
	if (bad) {
		rc = vg_err_set(err, VG_EINTERNAL, "vt: out of memory building the event");
		goto out;
	}
	rc = vg_json_dump(out, root, err);
out:
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------ cache */

int vt_answer_cache_text(const struct vt_answer *a, struct vg_buf *out, struct vg_err *err)
{
	json_t *o;
	int rc;

	if (a->outcome != VT_FOUND && a->outcome != VT_NOT_FOUND)
		return vg_err_set(err, VG_EPARSE, "vt: only a verdict is cached, not %s",
				  vt_outcome_name(a->outcome));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "outcome",
		      a->outcome == VT_FOUND ? "found" : "not_found", "sha256", a->sha256, "sha1",
		      a->sha1, "md5", a->md5, "malicious", (json_int_t)a->malicious, "suspicious",
		      (json_int_t)a->suspicious, "undetected", (json_int_t)a->undetected,
		      "harmless", (json_int_t)a->harmless, "last_analysis_date",
		      (json_int_t)a->last_analysis_date, "first_submission_date",
		      (json_int_t)a->first_submission_date, "threat_label", a->threat_label,
		      "meaningful_name", a->meaningful_name);
	if (o == NULL)
		return vg_err_set(err, VG_EINTERNAL, "vt: cannot encode a verdict for the cache");
	rc = vg_json_dump(out, o, err);
	json_decref(o);
	return rc;
}

/* The fields of a found verdict; the same checks as a VirusTotal answer. */
static bool cache_found(const json_t *o, struct vt_answer *out)
{
	return get_hash(o, "sha1", 40, out->sha1) && get_hash(o, "md5", 32, out->md5) &&
	       get_count(o, "malicious", &out->malicious) &&
	       get_count(o, "suspicious", &out->suspicious) &&
	       get_count(o, "undetected", &out->undetected) &&
	       get_count(o, "harmless", &out->harmless) &&
	       get_date(o, "last_analysis_date", true, &out->last_analysis_date) &&
	       get_date(o, "first_submission_date", false, &out->first_submission_date) &&
	       get_text(o, "threat_label", out->threat_label, sizeof(out->threat_label)) &&
	       get_text(o, "meaningful_name", out->meaningful_name, sizeof(out->meaningful_name));
}

int vt_answer_from_cache(const char *text, struct vt_answer *out, struct vg_err *err)
{
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const char *outcome = json_string_value(json_object_get(o, "outcome"));
	bool ok;

	memset(out, 0, sizeof(*out));
	ok = outcome != NULL && get_hash(o, "sha256", 64, out->sha256);
	if (ok && strcmp(outcome, "found") == 0) {
		out->outcome = VT_FOUND;
		out->http_status = 200;
		ok = cache_found(o, out);
		out->total = out->malicious + out->suspicious + out->undetected + out->harmless;
	} else if (ok && strcmp(outcome, "not_found") == 0) {
		out->outcome = VT_NOT_FOUND;
		out->http_status = 404;
	} else {
		ok = false;
	}
	json_decref(o);
	if (!ok)
		return vg_err_set(err, VG_EPARSE, "vt: a cached verdict is not readable");
	return 0;
}
