/*
 * alert.c - The alerts.json line and the alerts.log block (see alert.h).
 *
 * The JSON is written as text straight into the caller's buffer: building a
 * json_t tree and dumping it costs several times more than the ~1 µs budget
 * an alert has at 100,000 alerts/s. Correctness rests on one escaper
 * (an_alert_json_string) through which every string goes, keys included,
 * and on a fixed emission order mirroring Wazuh's Eventinfo_to_jsonstr and
 * W_ParseJSON (to_json.c, json_extended.c). On failure the buffer is cut
 * back to its length on entry, so a caller never sees half an alert.
 *
 * The alerts.log block mirrors OS_Log (analysisd/alerts/log.c) line for
 * line, including its FIM "Attributes:" section and the "key: value" lines
 * of other decoders. Its lines are appended piece by piece (PUT_ALL), not
 * printf'd: a block is some twenty lines, and vsnprintf, which a capped
 * buffer runs twice per line, cost more than the whole JSON line.
 */
#include "manager/alert.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/hostname.h"
#include "lib/mem.h"
#include "lib/str.h"

#define JSON_MAX_DEPTH 64

/*
 * vg_buf_append and vg_buf_putc, with the common case (the buffer has
 * room) inlined: an alert is some 300 appends, and the calls were ~10% of
 * the analysis thread. Room means len + n + 1 <= cap, and vg_buf never
 * grows cap past max + 1, so the cap is kept; else vg_buf does it all.
 */
static inline int put_n(struct vg_buf *out, const char *p, size_t n)
{
	if (out->data == NULL || n >= out->cap - out->len)
		return vg_buf_append(out, p, n);
	memcpy(out->data + out->len, p, n);
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}

static inline int put_c(struct vg_buf *out, char c)
{
	if (out->data == NULL || out->cap - out->len < 2)
		return vg_buf_putc(out, c);
	out->data[out->len++] = c;
	out->data[out->len] = '\0';
	return 0;
}

/* The local-time breakdown of one second, reused while seconds repeat. */
struct time_cache {
	int64_t sec;
	bool valid;
	char iso[32];  /* 2024-01-10T12:52:04 */
	char zone[16]; /* +0000 */
	char log[32];  /* 2024 Jan 10 12:52:04 */
};

struct an_alert_fmt {
	char *manager;
	char *cluster_name; /* NULL: no "cluster" */
	char *cluster_node;
	struct time_cache tc;
};

/* ---- Formatter ------------------------------------------------------------ */

struct an_alert_fmt *an_alert_fmt_new(const struct an_alert_fmt_opts *opts)
{
	struct an_alert_fmt *f = vg_xcalloc(1, sizeof(*f));

	f->manager = opts != NULL && opts->manager_name != NULL ? vg_xstrdup(opts->manager_name)
								: vg_hostname();
	if (opts != NULL && opts->cluster_name != NULL) {
		f->cluster_name = vg_xstrdup(opts->cluster_name);
		f->cluster_node =
		    vg_xstrdup(opts->cluster_node != NULL ? opts->cluster_node : f->manager);
	}
	return f;
}

void an_alert_fmt_free(struct an_alert_fmt *f)
{
	if (f == NULL)
		return;
	vg_free(f->manager);
	vg_free(f->cluster_name);
	vg_free(f->cluster_node);
	vg_free(f);
}

const char *an_alert_fmt_manager(const struct an_alert_fmt *f)
{
	return f->manager;
}

/* Floor division, so times before 1970 still get ms in [0, 1000). */
static void split_ms(int64_t ms, int64_t *sec, unsigned *frac)
{
	int64_t s = ms / 1000;
	if (ms % 1000 < 0)
		s--;
	*sec = s;
	*frac = (unsigned)(ms - s * 1000);
}

static const struct time_cache *fmt_time(struct an_alert_fmt *f, int64_t sec)
{
	struct time_cache *tc = &f->tc;
	time_t t = (time_t)sec;
	struct tm tm;

	if (tc->valid && tc->sec == sec)
		return tc;
	if (localtime_r(&t, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
	}
	if (strftime(tc->iso, sizeof(tc->iso), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(tc->zone, sizeof(tc->zone), "%z", &tm) == 0 ||
	    strftime(tc->log, sizeof(tc->log), "%Y %b %d %H:%M:%S", &tm) == 0) {
		vg_strlcpy(tc->iso, "1970-01-01T00:00:00", sizeof(tc->iso));
		vg_strlcpy(tc->zone, "+0000", sizeof(tc->zone));
		vg_strlcpy(tc->log, "1970 Jan 01 00:00:00", sizeof(tc->log));
	}
	tc->sec = sec;
	tc->valid = true;
	return tc;
}

/* ---- Escaper ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 when p does not start one. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The escape for one byte that cannot be copied as is. */
static int escape_byte(struct vg_buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

	switch (c) {
	case '"':
		return put_n(out, "\\\"", 2);
	case '\\':
		return put_n(out, "\\\\", 2);
	case '\b':
		return put_n(out, "\\b", 2);
	case '\f':
		return put_n(out, "\\f", 2);
	case '\n':
		return put_n(out, "\\n", 2);
	case '\r':
		return put_n(out, "\\r", 2);
	case '\t':
		return put_n(out, "\\t", 2);
	default:
		if (c >= 0x80)
			return put_n(out, "\xef\xbf\xbd", 3);
		return put_n(out, u, sizeof(u));
	}
}

/*
 * Whether any of the 8 bytes at p needs a look of its own: a control byte,
 * a non-ASCII byte, '"' or '\\'. Most strings (paths, hashes, names) have
 * none, so they are skipped a word at a time. has_less(x, n) is the exact
 * "some byte < n" test for n <= 128 (no false positives or negatives).
 */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline uint64_t has_less(uint64_t x, uint64_t n)
{
	return (x - ONES * n) & ~x & HIGHS;
}

static inline bool word_special(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return ((x & HIGHS) | has_less(x, 0x20) | has_less(x ^ (ONES * '"'), 1) |
		has_less(x ^ (ONES * '\\'), 1)) != 0;
}

int an_alert_json_string(struct vg_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int rc = put_c(out, '"');

	while (rc == 0 && i < len) {
		if (len - i >= 8 && !word_special(p + i)) {
			i += 8;
			continue;
		}
		unsigned char c = p[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq(p + i, len - i);
			if (n != 0) {
				i += n;
				continue;
			}
		}
		/* Copy the clean run, then the escape, in as few appends as can be. */
		if (i > run)
			rc = put_n(out, s + run, i - run);
		if (rc == 0)
			rc = escape_byte(out, c);
		run = ++i;
	}
	if (rc == 0 && i > run)
		rc = put_n(out, s + run, i - run);
	return rc != 0 ? rc : put_c(out, '"');
}

/* ---- JSON helpers ----------------------------------------------------------- */

static int put_str(struct vg_buf *out, const char *s)
{
	return an_alert_json_string(out, s, strlen(s));
}

static int put_lit(struct vg_buf *out, const char *lit)
{
	return put_n(out, lit, strlen(lit));
}

/* Write v's decimal digits just before end; returns where they start. */
static char *digits_before(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

static int put_u64(struct vg_buf *out, uint64_t v)
{
	char tmp[24];
	char *p = digits_before(tmp + sizeof(tmp), v);

	return put_n(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int put_i64(struct vg_buf *out, int64_t v)
{
	if (v >= 0)
		return put_u64(out, (uint64_t)v);
	int rc = put_c(out, '-');
	return rc != 0 ? rc : put_u64(out, (uint64_t)0 - (uint64_t)v);
}

/* ,"key": (key is a literal of ours: no escaping needed) */
static int put_key(struct vg_buf *out, const char *key, bool first)
{
	int rc = first ? 0 : put_c(out, ',');
	if (rc == 0)
		rc = put_c(out, '"');
	if (rc == 0)
		rc = put_lit(out, key);
	return rc != 0 ? rc : put_n(out, "\":", 2);
}

static int put_real(struct vg_buf *out, double d)
{
	char tmp[40];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", d);

	if (n <= 0 || (size_t)n >= sizeof(tmp) - 2)
		return VG_EINTERNAL;
	/* Like jansson: a real always reads back as a real. */
	if (strpbrk(tmp, ".eEn") == NULL) {
		tmp[n++] = '.';
		tmp[n++] = '0';
	}
	return put_n(out, tmp, (size_t)n);
}

/* Serialise a jansson value with the alert escaper, keys in insertion order. */
static int put_json(struct vg_buf *out, json_t *j, int depth)
{
	int rc = 0;

	if (depth > JSON_MAX_DEPTH)
		return VG_EPARSE;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		bool first = true;
		rc = put_c(out, '{');
		json_object_foreach(j, k, v)
		{
			if (rc == 0 && !first)
				rc = put_c(out, ',');
			if (rc == 0)
				rc = put_str(out, k);
			if (rc == 0)
				rc = put_c(out, ':');
			if (rc == 0)
				rc = put_json(out, v, depth + 1);
			first = false;
		}
		return rc != 0 ? rc : put_c(out, '}');
	}
	case JSON_ARRAY: {
		rc = put_c(out, '[');
		for (size_t i = 0; rc == 0 && i < json_array_size(j); i++) {
			if (i > 0)
				rc = put_c(out, ',');
			if (rc == 0)
				rc = put_json(out, json_array_get(j, i), depth + 1);
		}
		return rc != 0 ? rc : put_c(out, ']');
	}
	case JSON_STRING:
		return an_alert_json_string(out, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return put_i64(out, (int64_t)json_integer_value(j));
	case JSON_REAL:
		return put_real(out, json_real_value(j));
	case JSON_TRUE:
		return put_lit(out, "true");
	case JSON_FALSE:
		return put_lit(out, "false");
	default:
		return put_lit(out, "null");
	}
}

/* ---- The rule object -------------------------------------------------------- */

/* Wazuh's compliance prefixes (json_extended.c add_group*). */
static const struct {
	const char *prefix;
	size_t plen;
	const char *key;
} compliance[] = {
    {"pci_dss_", 8, "pci_dss"}, {"cis_", 4, "cis"},     {"gdpr_", 5, "gdpr"},
    {"gpg13_", 6, "gpg13"},     {"hipaa_", 6, "hipaa"}, {"nist_800_53_", 12, "nist_800_53"},
    {"tsc_", 4, "tsc"},
};
#define N_COMPLIANCE (sizeof(compliance) / sizeof(compliance[0]))

/* Which compliance family a group token belongs to, or -1. The first byte
 * picks the candidate prefix: this runs for every group of every alert. */
static int compliance_of(const char *tok, size_t len)
{
	int k;

	switch (tok[0]) {
	case 'p':
		k = 0;
		break;
	case 'c':
		k = 1;
		break;
	case 'g':
		k = len > 1 && tok[1] == 'd' ? 2 : 3;
		break;
	case 'h':
		k = 4;
		break;
	case 'n':
		k = 5;
		break;
	case 't':
		k = 6;
		break;
	default:
		return -1;
	}
	if (len >= compliance[k].plen && memcmp(tok, compliance[k].prefix, compliance[k].plen) == 0)
		return k;
	return -1;
}

/* Next non-empty comma-separated token (strtok semantics), or false. */
static bool next_group(const char **s, const char **tok, size_t *len)
{
	const char *p = *s;

	while (*p == ',')
		p++;
	if (*p == '\0')
		return false;
	const char *end = strchrnul(p, ',');
	*tok = p;
	*len = (size_t)(end - p);
	*s = end;
	return true;
}

#define MAX_TOKENS 128

struct group_tok {
	const char *p;
	unsigned len;
	int kind; /* compliance family or -1 */
};

static int put_tok_array(struct vg_buf *out, const struct group_tok *t, size_t n, int kind)
{
	size_t skip = kind >= 0 ? compliance[kind].plen : 0, w = 0;
	int rc = put_c(out, '[');

	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (t[i].kind != kind)
			continue;
		if (w++ > 0)
			rc = put_c(out, ',');
		if (rc == 0)
			rc = an_alert_json_string(out, t[i].p + skip, t[i].len - skip);
	}
	return rc != 0 ? rc : put_c(out, ']');
}

/*
 * "groups":[...] then each compliance array in the order its family first
 * appears in the group string (Wazuh creates them lazily, in that order).
 * Tokens past MAX_TOKENS are dropped (a rule string that long is a
 * mistake; Wazuh cuts the string at 1 KiB).
 */
static int put_groups(struct vg_buf *out, const char *groups)
{
	const char *s = groups != NULL ? groups : "", *tok;
	struct group_tok t[MAX_TOKENS];
	size_t len, n = 0, norder = 0;
	int order[N_COMPLIANCE];
	bool seen[N_COMPLIANCE] = {false};

	while (n < MAX_TOKENS && next_group(&s, &tok, &len)) {
		int k = compliance_of(tok, len);
		t[n++] = (struct group_tok){tok, (unsigned)len, k};
		if (k >= 0 && !seen[k]) {
			seen[k] = true;
			order[norder++] = k;
		}
	}
	int rc = put_lit(out, ",\"groups\":");
	if (rc == 0)
		rc = put_tok_array(out, t, n, -1);
	for (size_t o = 0; rc == 0 && o < norder; o++) {
		rc = put_key(out, compliance[order[o]].key, false);
		if (rc == 0)
			rc = put_tok_array(out, t, n, order[o]);
	}
	return rc;
}

/*
 * "mitre":{"id":[],"tactic":[],"technique":[]}. Like Wazuh (to_json.c), an
 * id whose technique is unknown is left out of both "id" and "technique"
 * (Wazuh warns "Mitre Technique ID not found in database"), so the two
 * arrays stay parallel; the block is omitted when nothing is left.
 */
static int put_mitre(struct vg_buf *out, const struct an_rule_info *r)
{
	size_t known = 0, n = 0;
	int rc;

	for (size_t i = 0; i < r->n_mitre; i++)
		known += r->mitre_techniques != NULL && r->mitre_techniques[i] != NULL;
	if (known == 0 && r->n_tactics == 0)
		return 0;
	rc = put_lit(out, ",\"mitre\":{\"id\":[");
	for (size_t i = 0; rc == 0 && i < r->n_mitre; i++) {
		if (r->mitre_techniques == NULL || r->mitre_techniques[i] == NULL)
			continue;
		if (n++ > 0)
			rc = put_c(out, ',');
		if (rc == 0)
			rc = put_str(out, r->mitre_ids[i]);
	}
	if (rc == 0)
		rc = put_lit(out, "],\"tactic\":[");
	for (size_t i = 0; rc == 0 && i < r->n_tactics; i++) {
		if (i > 0)
			rc = put_c(out, ',');
		if (rc == 0)
			rc = put_str(out, r->mitre_tactics[i]);
	}
	if (rc == 0)
		rc = put_lit(out, "],\"technique\":[");
	n = 0;
	for (size_t i = 0; rc == 0 && i < r->n_mitre; i++) {
		if (r->mitre_techniques == NULL || r->mitre_techniques[i] == NULL)
			continue;
		if (n++ > 0)
			rc = put_c(out, ',');
		if (rc == 0)
			rc = put_str(out, r->mitre_techniques[i]);
	}
	return rc != 0 ? rc : put_lit(out, "]}");
}

static int put_rule(struct vg_buf *out, const struct an_rule_info *r)
{
	int rc = put_lit(out, ",\"rule\":{\"level\":");

	if (rc == 0)
		rc = put_u64(out, r->level);
	if (rc == 0)
		rc = put_lit(out, ",\"description\":");
	if (rc == 0)
		rc = put_str(out, r->description != NULL ? r->description : "");
	if (rc == 0)
		rc = put_lit(out, ",\"id\":\"");
	if (rc == 0)
		rc = put_u64(out, r->id);
	if (rc == 0)
		rc = put_c(out, '"');
	if (rc == 0)
		rc = put_mitre(out, r);
	if (rc == 0 && !r->no_counter) {
		rc = put_lit(out, ",\"firedtimes\":");
		if (rc == 0)
			rc = put_u64(out, r->firedtimes);
	}
	if (rc == 0)
		rc = put_lit(out, r->mail ? ",\"mail\":true" : ",\"mail\":false");
	if (rc == 0)
		rc = put_groups(out, r->groups);
	return rc != 0 ? rc : put_c(out, '}');
}

/* ---- alerts.json ------------------------------------------------------------ */

static bool is_manager(const struct an_event *ev)
{
	return ev->agent_id == NULL || strcmp(ev->agent_id, "000") == 0;
}

static const char *agent_name(const struct an_alert_fmt *f, const struct an_event *ev)
{
	if (ev->agent_name != NULL)
		return ev->agent_name;
	return is_manager(ev) ? f->manager : "unknown";
}

static int put_agent(struct an_alert_fmt *f, struct vg_buf *out, const struct an_event *ev)
{
	int rc = put_lit(out, ",\"agent\":{\"id\":");

	if (rc == 0)
		rc = put_str(out, ev->agent_id != NULL ? ev->agent_id : "000");
	if (rc == 0)
		rc = put_lit(out, ",\"name\":");
	if (rc == 0)
		rc = put_str(out, agent_name(f, ev));
	/* W_JSON_ParseAgentIP: "any" is no address. */
	if (rc == 0 && ev->agent_ip != NULL && strcmp(ev->agent_ip, "any") != 0) {
		rc = put_lit(out, ",\"ip\":");
		if (rc == 0)
			rc = put_str(out, ev->agent_ip);
	}
	if (rc == 0)
		rc = put_lit(out, "},\"manager\":{\"name\":");
	if (rc == 0)
		rc = put_str(out, f->manager);
	return rc != 0 ? rc : put_c(out, '}');
}

static int put_head(struct an_alert_fmt *f, struct vg_buf *out, const struct an_event *ev)
{
	int64_t sec;
	unsigned ms;
	char msbuf[8] = {'.', 0, 0, 0};

	split_ms(ev->time_ms, &sec, &ms);
	const struct time_cache *tc = fmt_time(f, sec);
	msbuf[1] = (char)('0' + ms / 100);
	msbuf[2] = (char)('0' + ms / 10 % 10);
	msbuf[3] = (char)('0' + ms % 10);

	int rc = put_lit(out, "{\"timestamp\":\"");
	if (rc == 0)
		rc = put_lit(out, tc->iso);
	if (rc == 0)
		rc = put_n(out, msbuf, 4);
	if (rc == 0)
		rc = put_lit(out, tc->zone);
	if (rc == 0)
		rc = put_c(out, '"');
	return rc;
}

static int put_id(struct an_alert_fmt *f, struct vg_buf *out, const struct an_alert_id *id)
{
	char buf[AN_ALERT_ID_MAX];
	int rc = put_lit(out, ",\"id\":\"");

	if (rc == 0)
		rc = put_lit(out, an_alert_id_str(id, buf));
	if (rc == 0)
		rc = put_c(out, '"');
	if (rc == 0 && f->cluster_name != NULL) {
		rc = put_lit(out, ",\"cluster\":{\"name\":");
		if (rc == 0)
			rc = put_str(out, f->cluster_name);
		if (rc == 0)
			rc = put_lit(out, ",\"node\":");
		if (rc == 0)
			rc = put_str(out, f->cluster_node);
		if (rc == 0)
			rc = put_c(out, '}');
	}
	return rc;
}

static int put_tail(struct vg_buf *out, const struct an_event *ev, const struct an_rule_info *r)
{
	int rc = 0;

	if (ev->full_log != NULL && !r->no_full_log) {
		rc = put_lit(out, ",\"full_log\":");
		if (rc == 0)
			rc = put_str(out, ev->full_log);
	}
	if (rc == 0 && ev->syscheck != NULL) { /* already JSON text, escaped as here */
		rc = put_lit(out, ",\"syscheck\":");
		if (rc == 0)
			rc = put_n(out, ev->syscheck, ev->syscheck_len);
	}
	if (rc == 0 && ev->decoder != NULL) {
		rc = put_lit(out, ",\"decoder\":{\"name\":");
		if (rc == 0)
			rc = put_str(out, ev->decoder);
		if (rc == 0)
			rc = put_c(out, '}');
	}
	if (rc == 0 && ev->data != NULL && json_object_size(ev->data) > 0) {
		rc = put_lit(out, ",\"data\":");
		if (rc == 0)
			rc = put_json(out, ev->data, 0);
	}
	if (rc == 0) {
		rc = put_lit(out, ",\"location\":");
		if (rc == 0)
			rc = put_str(out, ev->location != NULL ? ev->location : "");
	}
	return rc != 0 ? rc : put_c(out, '}');
}

static int fail(struct vg_buf *out, size_t mark, int rc, const char *what, struct vg_err *err)
{
	vg_buf_truncate(out, mark);
	if (rc == VG_EPARSE)
		return vg_err_set(err, rc, "%s: a JSON object is nested deeper than %d levels",
				  what, JSON_MAX_DEPTH);
	return vg_err_set(err, rc, "%s: alert over the %zu-byte buffer cap", what, out->max);
}

int an_alert_format_json(struct an_alert_fmt *f, const struct an_event *ev,
			 const struct an_rule_info *rule, const struct an_alert_id *id,
			 struct vg_buf *out, struct vg_err *err)
{
	size_t mark = out->len;
	int rc = put_head(f, out, ev);

	if (rc == 0)
		rc = put_rule(out, rule);
	if (rc == 0)
		rc = put_agent(f, out, ev);
	if (rc == 0)
		rc = put_id(f, out, id);
	if (rc == 0)
		rc = put_tail(out, ev, rule);
	if (rc != 0)
		return fail(out, mark, rc, "alerts.json", err);
	return 0;
}

/* By hand, not snprintf: each alert formats its id three times. */
char *an_alert_id_str(const struct an_alert_id *id, char *buf)
{
	char tmp[AN_ALERT_ID_MAX], *end = tmp + sizeof(tmp) - 1; /* room for the NUL */
	uint64_t mag = id->sec < 0 ? (uint64_t)0 - (uint64_t)id->sec : (uint64_t)id->sec;
	char *p = digits_before(end, id->offset);

	*--p = '.';
	p = digits_before(p, mag);
	if (id->sec < 0)
		*--p = '-';
	*end = '\0';
	memcpy(buf, p, (size_t)(end - p) + 1);
	return buf;
}

/* ---- alerts.log ------------------------------------------------------------- */

/*
 * PUT_ALL(out, "a", s, "\n"): the strings in order (none may be NULL), as
 * "%s%s%s" would. It expands to nested inline calls, not a loop over an
 * array, so the compiler sees each literal and folds its strlen: a block
 * is some eighty pieces, most of them literals.
 */
static inline int put_then(struct vg_buf *out, int rc, const char *s)
{
	return rc != 0 ? rc : put_n(out, s, strlen(s));
}

#define PA_1(o, a) put_then(o, 0, a)
#define PA_2(o, a, b) put_then(o, PA_1(o, a), b)
#define PA_3(o, a, b, c) put_then(o, PA_2(o, a, b), c)
#define PA_4(o, a, b, c, d) put_then(o, PA_3(o, a, b, c), d)
#define PA_5(o, a, b, c, d, e) put_then(o, PA_4(o, a, b, c, d), e)
#define PA_6(o, a, b, c, d, e, g) put_then(o, PA_5(o, a, b, c, d, e), g)
#define PA_7(o, a, b, c, d, e, g, h) put_then(o, PA_6(o, a, b, c, d, e, g), h)
#define PA_8(o, a, b, c, d, e, g, h, i) put_then(o, PA_7(o, a, b, c, d, e, g, h), i)
#define PA_9(o, a, b, c, d, e, g, h, i, j) put_then(o, PA_8(o, a, b, c, d, e, g, h, i), j)
#define PA_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, name, ...) name
#define PUT_ALL(out, ...)                                                                          \
	PA_PICK(__VA_ARGS__, PA_9, PA_8, PA_7, PA_6, PA_5, PA_4, PA_3, PA_2, PA_1, unused)         \
	(out, __VA_ARGS__)

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static bool has_value(const char *v)
{
	return v != NULL && *v != '\0';
}

/* " - Label: value\n" when value is set and non-empty. */
static int log_attr(struct vg_buf *out, const char *label, const char *v)
{
	if (!has_value(v))
		return 0;
	return PUT_ALL(out, " - ", label, ": ", v, "\n");
}

static int log_hash(struct vg_buf *out, const char *label, const char *v)
{
	/* OS_Log skips Wazuh's "xxx" placeholder for a hash it did not compute. */
	return v != NULL && strcmp(v, "xxx") == 0 ? 0 : log_attr(out, label, v);
}

static int log_date(struct vg_buf *out, const char *mtime)
{
	int64_t v;
	char tbuf[64];
	struct tm tm;

	if (!has_value(mtime))
		return 0;
	if (vg_parse_i64(mtime, INT64_MIN, INT64_MAX, &v) != 0)
		return PUT_ALL(out, " - Date: ", mtime);
	time_t t = (time_t)v;
	/* ctime_r's layout, newline included ("Wed Jan 10 12:52:04 2024\n"). */
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S %Y\n", &tm) == 0)
		return PUT_ALL(out, " - Date: ", mtime);
	return PUT_ALL(out, " - Date: ", tbuf);
}

static int log_owner(struct vg_buf *out, const char *label, const char *name, const char *id)
{
	if (id == NULL || !has_value(name))
		return 0;
	return PUT_ALL(out, " - ", label, ": ", name, " (", id, ")\n");
}

static int log_tags(struct vg_buf *out, const char *tags)
{
	const char *s = tags, *tok;
	size_t len;
	int rc;

	if (!has_value(tags))
		return 0;
	rc = put_lit(out, "\nTags:\n");
	while (rc == 0 && next_group(&s, &tok, &len)) {
		rc = put_lit(out, " - ");
		if (rc == 0)
			rc = put_n(out, tok, len);
		if (rc == 0)
			rc = put_c(out, '\n');
	}
	return rc;
}

/* The FIM part of OS_Log, in its order. */
static int log_fim(struct vg_buf *out, const struct an_fields *fl)
{
	static const char *const audit[][2] = {
	    {"user_name", "User name"},
	    {"audit_name", "Audit name"},
	    {"effective_name", "Effective name"},
	    {"group_name", "Group name"},
	    {"process_id", "Process id"},
	    {"process_name", "Process name"},
	    {"cwd", "Process cwd"},
	    {"parent_name", "Parent process name"},
	    {"ppid", "Parent process id"},
	    {"parent_cwd", "Parent process cwd"},
	};
	int rc = put_lit(out, "Attributes:\n");

	if (rc == 0)
		rc = log_attr(out, "Size", an_fields_get(fl, "size"));
	if (rc == 0)
		rc = log_attr(out, "Permissions", an_fields_get(fl, "perm"));
	if (rc == 0)
		rc = log_date(out, an_fields_get(fl, "mtime"));
	if (rc == 0)
		rc = log_attr(out, "Inode", an_fields_get(fl, "inode"));
	if (rc == 0)
		rc = log_owner(out, "User", an_fields_get(fl, "uname"), an_fields_get(fl, "uid"));
	if (rc == 0)
		rc = log_owner(out, "Group", an_fields_get(fl, "gname"), an_fields_get(fl, "gid"));
	if (rc == 0)
		rc = log_hash(out, "MD5", an_fields_get(fl, "md5"));
	if (rc == 0)
		rc = log_hash(out, "SHA1", an_fields_get(fl, "sha1"));
	if (rc == 0)
		rc = log_hash(out, "SHA256", an_fields_get(fl, "sha256"));
	if (rc == 0)
		rc = log_attr(out, "File attributes", an_fields_get(fl, "win_attributes"));
	for (size_t i = 0; rc == 0 && i < sizeof(audit) / sizeof(audit[0]); i++) {
		const char *v = an_fields_get(fl, audit[i][0]);
		if (has_value(v))
			rc = PUT_ALL(out, " - (Audit) ", audit[i][1], ": ", v, "\n");
	}
	const char *diff = an_fields_get(fl, "changed_content");
	if (rc == 0 && diff != NULL)
		rc = PUT_ALL(out, "\nWhat changed:\n", diff, "\n");
	return rc != 0 ? rc : log_tags(out, an_fields_get(fl, "tag"));
}

/* Other decoders: every non-empty field as "name: value". */
static int log_fields(struct vg_buf *out, const struct an_fields *fl)
{
	const char *n, *v;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < an_fields_count(fl); i++) {
		if (an_fields_at(fl, i, &n, &v) == 0 && has_value(v))
			rc = PUT_ALL(out, n, ": ", v, "\n");
	}
	return rc;
}

/* "<host>-><location>" for the manager, "(<name>) <ip>-><location>" for agents. */
static int log_where(struct an_alert_fmt *f, struct vg_buf *out, const struct an_event *ev)
{
	const char *loc = ev->location != NULL ? ev->location : "";

	if (is_manager(ev))
		return PUT_ALL(out, agent_name(f, ev), "->", loc, "\n");
	return PUT_ALL(out, "(", agent_name(f, ev), ") ",
		       ev->agent_ip != NULL ? ev->agent_ip : "any", "->", loc, "\n");
}

int an_alert_format_log(struct an_alert_fmt *f, const struct an_event *ev,
			const struct an_rule_info *rule, const struct an_alert_id *id,
			struct vg_buf *out, struct vg_err *err)
{
	size_t mark = out->len;
	int64_t sec;
	unsigned ms;
	char idbuf[AN_ALERT_ID_MAX];

	split_ms(ev->time_ms, &sec, &ms);
	const struct time_cache *tc = fmt_time(f, sec);
	int rc =
	    PUT_ALL(out, "** Alert ", an_alert_id_str(id, idbuf), ":", rule->mail ? " mail " : "",
		    " - ", or_empty(rule->groups), "\n", tc->log, " ");
	if (rc == 0)
		rc = log_where(f, out, ev);
	if (rc == 0)
		rc = put_lit(out, "Rule: ");
	if (rc == 0)
		rc = put_u64(out, rule->id);
	if (rc == 0)
		rc = put_lit(out, " (level ");
	if (rc == 0)
		rc = put_u64(out, rule->level);
	if (rc == 0)
		rc = PUT_ALL(out, ") -> '", or_empty(rule->description), "'\n",
			     or_empty(ev->full_log), "\n");
	if (rc == 0 && ev->decoder != NULL && ev->fields != NULL) {
		if (strncmp(ev->decoder, "syscheck_", 9) == 0)
			rc = log_fim(out, ev->fields);
		else
			rc = log_fields(out, ev->fields);
	}
	if (rc == 0)
		rc = put_c(out, '\n');
	if (rc != 0)
		return fail(out, mark, rc, "alerts.log", err);
	return 0;
}
