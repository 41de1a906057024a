/*
 * config.c - The <syscheck> section: Wazuh 4.x names, defaults, validation.
 *
 * fim_config_parse() is a vg_conf handler. Each child element of <syscheck>
 * is looked up in one table (sc_elems) that says how to parse it: a yes/no,
 * a bounded number, or a function for the structured ones (<directories>,
 * <ignore>, <file_limit>...). Sub-blocks Wazuh has but Vigie does not use
 * (<synchronization>, <whodata>, most of <diff>) are validated with the
 * same tables and then dropped, so a typo there is still an error.
 *
 * Differences from Wazuh, on purpose (docs/configuration.md lists them):
 * bad values are errors, not warnings that skip the entry; scan_time and
 * scan_day do not force frequency to a week (the scheduler runs at both);
 * a directory configured twice keeps its last configuration.
 *
 * Errors read "FILE:LINE: <syscheck>: ..." and come from vg_conf_error().
 * The parser keeps no state outside the struct fim_config it fills.
 */
#include "fim/config.h"

#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define SC "<syscheck>"
#define SC_MAX_DIRS_PER_ELEM 64 /* Wazuh's MAX_DIR_SIZE */
#define SC_MAX_ENTRIES 65536    /* directories or ignores in all: a sanity bound */
#define SC_KB 1024u
#define SC_NO_FIELD SIZE_MAX

/* Tables ---------------------------------------------------------------- */

enum sc_kind {
	SC_BOOL,   /* yes|no into a bool */
	SC_U64,    /* decimal in [min, max] into a uint64_t */
	SC_TIME,   /* number with an optional s/m/h/d/w unit, in seconds */
	SC_SIZE,   /* number with an optional unit; plain = KB; at least min bytes */
	SC_TEXT,   /* any non-empty text */
	SC_CHOICE, /* one of the '|'-separated words in choices */
	SC_FN,     /* a function does everything */
	SC_WARN,   /* accepted and ignored with a warning (note says why) */
};

struct sc_elem;
typedef int (*sc_fn)(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		     const char *where, struct vg_err *err);

struct sc_elem {
	const char *name;
	enum sc_kind kind;
	size_t off; /* field in base, or SC_NO_FIELD to validate only */
	int64_t min, max;
	const char *choices; /* SC_CHOICE */
	sc_fn fn;            /* SC_FN */
	const char *note;    /* SC_WARN */
};

/* Helpers --------------------------------------------------------------- */

static const char *sc_esc(char *buf, size_t sz, const char *s)
{
	return vg_escape(buf, sz, s, strlen(s));
}

/* Refuse any attribute on an element that takes none. */
static int sc_no_attrs(const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	const char *name, *value;
	char esc[64];

	if (!vg_conf_node_attr_at(n, 0, &name, &value))
		return 0;
	return vg_conf_error(n, err, "%s: <%s>: unknown attribute %s", where, vg_conf_node_name(n),
			     sc_esc(esc, sizeof(esc), name));
}

static int sc_no_children(const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	const struct vg_conf_node *c = vg_conf_node_first(n);
	if (c == NULL)
		return 0;
	return vg_conf_error(n, err, "%s: <%s>: unexpected element <%s>", where,
			     vg_conf_node_name(n), vg_conf_node_name(c));
}

/* A leaf element: text only, no attributes or children. */
static int sc_leaf(const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	int rc = sc_no_attrs(n, where, err);
	return rc != 0 ? rc : sc_no_children(n, where, err);
}

static int sc_unknown_elem(const struct vg_conf_node *n, const char *where,
			   const struct sc_elem *table, size_t ntable, struct vg_err *err)
{
	const char **names = vg_xcalloc(ntable, sizeof(*names));
	char esc[64];

	for (size_t i = 0; i < ntable; i++)
		names[i] = table[i].name;
	const char *name = vg_conf_node_name(n);
	const char *hint = vg_conf_hint(name, names, ntable);
	sc_esc(esc, sizeof(esc), name);
	int rc = hint != NULL
		     ? vg_conf_error(n, err, "%s: unknown element <%s>; did you mean <%s>?", where,
				     esc, hint)
		     : vg_conf_error(n, err, "%s: unknown element <%s>", where, esc);
	vg_free(names);
	return rc;
}

/* Seconds, with Wazuh's optional unit suffix (s, m, h, d, w). */
static int sc_parse_time(const char *s, uint64_t *out)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	char num[24];
	size_t len = strlen(s);
	uint64_t mult = 1;

	*out = 0;
	if (len > 0 && !isdigit((unsigned char)s[len - 1])) {
		size_t i;
		for (i = 0; i < VG_ARRAY_LEN(units); i++)
			if (tolower((unsigned char)s[len - 1]) == units[i].unit)
				break;
		if (i == VG_ARRAY_LEN(units))
			return VG_EPARSE;
		mult = units[i].mult;
		len--;
	}
	if (len == 0 || len >= sizeof(num))
		return VG_EPARSE;
	memcpy(num, s, len);
	num[len] = '\0';
	uint64_t v;
	int rc = vg_parse_u64(num, UINT32_MAX, &v);
	if (rc != 0)
		return rc;
	*out = v * mult;
	return 0;
}

static bool sc_choice(const char *choices, const char *s, size_t *index)
{
	size_t len = strlen(s), i = 0;

	for (const char *p = choices; *p != '\0'; i++) {
		const char *bar = strchr(p, '|');
		size_t wl = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (wl == len && len > 0 && strncmp(p, s, len) == 0) {
			*index = i;
			return true;
		}
		p += wl + (bar != NULL);
	}
	return false;
}

/* Parse one element of a table into base. */
static int sc_apply(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		    const char *where, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	char what[160], esc[64];
	uint64_t u = 0;
	int rc = 0;

	if (e->kind == SC_FN)
		return e->fn(base, e, n, where, err);
	if (e->kind == SC_WARN) {
		vg_log_warn("%s:%ld: %s: <%s> %s; ignored", vg_conf_node_file(n),
			    vg_conf_node_line(n), where, e->name, e->note);
		return 0;
	}
	if ((rc = sc_leaf(n, where, err)) != 0)
		return rc;
	snprintf(what, sizeof(what), "%s: <%s>", where, e->name);
	switch (e->kind) {
	case SC_BOOL: {
		bool b;
		rc = vg_conf_yesno(n, text, what, &b, err);
		if (rc == 0 && e->off != SC_NO_FIELD)
			*(bool *)((char *)base + e->off) = b;
		return rc;
	}
	case SC_U64:
		rc = vg_parse_u64(text, (uint64_t)e->max, &u);
		if (rc != 0 || u < (uint64_t)e->min)
			return vg_conf_error(
			    n, err, "%s: expected a number from %lld to %lld, got \"%s\"", what,
			    (long long)e->min, (long long)e->max, sc_esc(esc, sizeof(esc), text));
		break;
	case SC_TIME:
		rc = sc_parse_time(text, &u);
		if (rc != 0 || u < (uint64_t)e->min || u > (uint64_t)e->max)
			return vg_conf_error(n, err,
					     "%s: expected a time from %lld to %lld seconds "
					     "(units s, m, h, d, w), got \"%s\"",
					     what, (long long)e->min, (long long)e->max,
					     sc_esc(esc, sizeof(esc), text));
		break;
	case SC_SIZE:
		rc = vg_parse_size(text, SC_KB, &u);
		if (rc != 0 || u < (uint64_t)e->min)
			return vg_conf_error(n, err,
					     "%s: expected a size of at least %lld bytes "
					     "(plain number = KB, or KB, MB, GB), got \"%s\"",
					     what, (long long)e->min,
					     sc_esc(esc, sizeof(esc), text));
		break;
	case SC_TEXT:
		if (text[0] == '\0')
			return vg_conf_error(n, err, "%s: empty value", what);
		return 0;
	case SC_CHOICE: {
		size_t idx;
		if (!sc_choice(e->choices, text, &idx))
			return vg_conf_error(n, err, "%s: expected one of %s, got \"%s\"", what,
					     e->choices, sc_esc(esc, sizeof(esc), text));
		if (e->off != SC_NO_FIELD)
			*(int *)((char *)base + e->off) = (int)idx;
		return 0;
	}
	default:
		return vg_conf_error(n, err, "%s: internal error (kind)", what);
	}
	if (e->off != SC_NO_FIELD)
		*(uint64_t *)((char *)base + e->off) = u;
	return 0;
}

/* Parse every child of n with table; where names n for messages. */
static int sc_children(void *base, const struct sc_elem *table, size_t ntable,
		       const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	for (const struct vg_conf_node *c = vg_conf_node_first(n); c != NULL;
	     c = vg_conf_node_next(c)) {
		const struct sc_elem *e = NULL;
		for (size_t i = 0; i < ntable && e == NULL; i++)
			if (strcmp(table[i].name, vg_conf_node_name(c)) == 0)
				e = &table[i];
		int rc = e != NULL ? sc_apply(base, e, c, where, err)
				   : sc_unknown_elem(c, where, table, ntable, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Validate-only sub-blocks ---------------------------------------------- */

#define SC_VALIDATE(nm, k, lo, hi)                                                                 \
	{                                                                                          \
		nm, k, SC_NO_FIELD, lo, hi, NULL, NULL, NULL                                       \
	}
#define SC_CHOOSE(nm, ch)                                                                          \
	{                                                                                          \
		nm, SC_CHOICE, SC_NO_FIELD, 0, 0, ch, NULL, NULL                                   \
	}

static const struct sc_elem sc_sync_elems[] = {
    SC_VALIDATE("enabled", SC_BOOL, 0, 0),
    SC_VALIDATE("interval", SC_TIME, 1, UINT32_MAX),
    SC_VALIDATE("max_interval", SC_TIME, 1, UINT32_MAX),
    SC_VALIDATE("response_timeout", SC_TIME, 1, UINT32_MAX),
    SC_VALIDATE("queue_size", SC_U64, 2, 1000000),
    SC_VALIDATE("max_eps", SC_U64, 0, 1000000),
    SC_VALIDATE("thread_pool", SC_U64, 1, 1024),
    SC_VALIDATE("registry_enabled", SC_BOOL, 0, 0),
};

static const struct sc_elem sc_whodata_elems[] = {
    SC_VALIDATE("restart_audit", SC_BOOL, 0, 0),       SC_VALIDATE("audit_key", SC_TEXT, 0, 0),
    SC_VALIDATE("startup_healthcheck", SC_BOOL, 0, 0), SC_CHOOSE("provider", "audit|ebpf"),
    SC_VALIDATE("queue_size", SC_U64, 10, 1048576),
};

static const struct sc_elem sc_quota_elems[] = {
    SC_VALIDATE("enabled", SC_BOOL, 0, 0),
    SC_VALIDATE("limit", SC_SIZE, SC_KB, 0),
};

/* <diff><file_size>: the one <diff> setting Vigie uses. */
struct sc_file_size {
	bool enabled;
	bool limit_set;
	uint64_t limit;
};

static int sc_file_size_limit(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			      const char *where, struct vg_err *err)
{
	struct sc_file_size *fs = base;
	static const struct sc_elem size = {"limit", SC_SIZE, 0, SC_KB, 0, NULL, NULL, NULL};
	int rc = sc_apply(&fs->limit, &size, n, where, err);
	fs->limit_set = rc == 0;
	return rc;
}

static const struct sc_elem sc_file_size_elems[] = {
    {"enabled", SC_BOOL, offsetof(struct sc_file_size, enabled), 0, 0, NULL, NULL, NULL},
    {"limit", SC_FN, 0, 0, 0, NULL, sc_file_size_limit, NULL},
};

static int sc_block(void *base, const struct sc_elem *table, size_t ntable,
		    const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	char sub[128];
	int rc = sc_no_attrs(n, where, err);
	if (rc != 0)
		return rc;
	snprintf(sub, sizeof(sub), "%s: <%s>", where, vg_conf_node_name(n));
	return sc_children(base, table, ntable, n, sub, err);
}

static int sc_synchronization(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			      const char *where, struct vg_err *err)
{
	return sc_block(NULL, sc_sync_elems, VG_ARRAY_LEN(sc_sync_elems), n, where, err);
}

static int sc_whodata(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		      const char *where, struct vg_err *err)
{
	return sc_block(NULL, sc_whodata_elems, VG_ARRAY_LEN(sc_whodata_elems), n, where, err);
}

static int sc_disk_quota(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			 const char *where, struct vg_err *err)
{
	return sc_block(NULL, sc_quota_elems, VG_ARRAY_LEN(sc_quota_elems), n, where, err);
}

static int sc_file_size(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			const char *where, struct vg_err *err)
{
	struct fim_config *cfg = base;
	struct sc_file_size fs = {.enabled = true};
	int rc = sc_block(&fs, sc_file_size_elems, VG_ARRAY_LEN(sc_file_size_elems), n, where, err);
	if (rc != 0)
		return rc;
	/* Disabled means no size limit on diffs, as in Wazuh. */
	if (!fs.enabled)
		cfg->diff_size_limit = UINT64_MAX;
	else if (fs.limit_set)
		cfg->diff_size_limit = fs.limit;
	return 0;
}

/* <ignore> and <nodiff> ------------------------------------------------- */

/*
 * Read an <ignore>/<nodiff> element: plain text is a path prefix, and
 * type="sregex" an OSMatch pattern (*re set). Any other attribute is an error.
 */
static int sc_pattern_elem(const struct vg_conf_node *n, const char *where, struct vg_osmatch **re,
			   struct vg_err *err)
{
	const char *name, *value, *text = vg_conf_node_text(n);
	bool sregex = false;
	char esc[64];
	int rc = sc_no_children(n, where, err);

	*re = NULL;
	for (size_t i = 0; rc == 0 && vg_conf_node_attr_at(n, i, &name, &value); i++) {
		if (strcmp(name, "type") != 0)
			return vg_conf_error(n, err, "%s: <%s>: unknown attribute %s", where,
					     vg_conf_node_name(n), sc_esc(esc, sizeof(esc), name));
		if (strcmp(value, "sregex") != 0)
			return vg_conf_error(n, err,
					     "%s: <%s>: type must be \"sregex\", got \"%s\"", where,
					     vg_conf_node_name(n), sc_esc(esc, sizeof(esc), value));
		sregex = true;
	}
	if (rc != 0)
		return rc;
	if (text[0] == '\0')
		return vg_conf_error(n, err, "%s: <%s>: empty value", where, vg_conf_node_name(n));
	if (strlen(text) >= PATH_MAX)
		return vg_conf_error(n, err, "%s: <%s>: longer than %d bytes", where,
				     vg_conf_node_name(n), PATH_MAX - 1);
	if (sregex) {
		struct vg_err cerr = VG_ERR_INIT;
		if (vg_osmatch_compile(text, re, &cerr) != 0)
			return vg_conf_error(n, err, "%s: <%s>: %s", where, vg_conf_node_name(n),
					     cerr.msg);
	}
	return 0;
}

static int sc_ignore(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		     const char *where, struct vg_err *err)
{
	struct fim_config *cfg = base;
	struct vg_osmatch *re = NULL;

	int rc = sc_pattern_elem(n, where, &re, err);
	if (rc != 0)
		return rc;
	if (cfg->nignores >= SC_MAX_ENTRIES) {
		vg_osmatch_free(re);
		return vg_conf_error(n, err, "%s: more than %d <ignore> entries", where,
				     SC_MAX_ENTRIES);
	}
	cfg->ignores = vg_xreallocarray(cfg->ignores, cfg->nignores + 1, sizeof(*cfg->ignores));
	struct fim_ignore *ig = &cfg->ignores[cfg->nignores++];
	ig->sregex = re; /* transferred */
	ig->prefix = re == NULL ? vg_xstrdup(vg_conf_node_text(n)) : NULL;
	return 0;
}

/* Vigie does not diff file contents yet: <nodiff> is validated and dropped. */
static int sc_nodiff(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		     const char *where, struct vg_err *err)
{
	struct vg_osmatch *re = NULL;
	int rc = sc_pattern_elem(n, where, &re, err);
	vg_osmatch_free(re);
	return rc;
}

static const struct sc_elem sc_diff_elems[] = {
    {"disk_quota", SC_FN, 0, 0, 0, NULL, sc_disk_quota, NULL},
    {"file_size", SC_FN, 0, 0, 0, NULL, sc_file_size, NULL},
    {"nodiff", SC_FN, 0, 0, 0, NULL, sc_nodiff, NULL},
    {"registry_nodiff", SC_WARN, 0, 0, 0, NULL, NULL, "is Windows-only"},
};

static int sc_diff(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		   const char *where, struct vg_err *err)
{
	return sc_block(base, sc_diff_elems, VG_ARRAY_LEN(sc_diff_elems), n, where, err);
}

/* <file_limit> ---------------------------------------------------------- */

struct sc_file_limit {
	bool enabled;
	uint64_t entries;
};

static const struct sc_elem sc_file_limit_elems[] = {
    {"enabled", SC_BOOL, offsetof(struct sc_file_limit, enabled), 0, 0, NULL, NULL, NULL},
    {"entries", SC_U64, offsetof(struct sc_file_limit, entries), 1, INT32_MAX, NULL, NULL, NULL},
};

/* A <file_limit> without <enabled> is enabled; without <entries> keeps the count. */
static int sc_file_limit(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			 const char *where, struct vg_err *err)
{
	struct fim_config *cfg = base;
	struct sc_file_limit fl = {true, cfg->file_limit != 0 ? cfg->file_limit : 100000};
	int rc =
	    sc_block(&fl, sc_file_limit_elems, VG_ARRAY_LEN(sc_file_limit_elems), n, where, err);
	if (rc == 0)
		cfg->file_limit = fl.enabled ? fl.entries : 0;
	return rc;
}

/* Scalars that need more than a table entry ----------------------------- */

static int sc_disabled(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		       const char *where, struct vg_err *err)
{
	struct fim_config *cfg = base;
	static const struct sc_elem b = {
	    "disabled", SC_BOOL, offsetof(struct fim_config, disabled), 0, 0, NULL, NULL, NULL};
	int rc = sc_apply(cfg, &b, n, where, err);
	if (rc == 0)
		cfg->disabled_explicit = true;
	return rc;
}

static int sc_int_value(const struct vg_conf_node *n, const char *where, int64_t lo, int64_t hi,
			int64_t *out, struct vg_err *err)
{
	char esc[64];
	int rc;

	if ((rc = sc_leaf(n, where, err)) != 0)
		return rc;
	if (vg_parse_i64(vg_conf_node_text(n), lo, hi, out) != 0)
		return vg_conf_error(n, err,
				     "%s: <%s>: expected a number from %lld to %lld, got \"%s\"",
				     where, vg_conf_node_name(n), (long long)lo, (long long)hi,
				     sc_esc(esc, sizeof(esc), vg_conf_node_text(n)));
	return 0;
}

static int sc_process_priority(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			       const char *where, struct vg_err *err)
{
	int64_t v;
	int rc = sc_int_value(n, where, -20, 19, &v, err);
	if (rc == 0)
		((struct fim_config *)base)->process_priority = (int)v;
	return rc;
}

static int sc_hash_workers(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			   const char *where, struct vg_err *err)
{
	int64_t v;
	int rc = sc_int_value(n, where, 0, 256, &v, err);
	if (rc == 0)
		((struct fim_config *)base)->hash_workers = (unsigned)v;
	return rc;
}

static int sc_realtime_backend(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			       const char *where, struct vg_err *err)
{
	static const struct sc_elem c = {"realtime_backend",      SC_CHOICE, 0,   0, 0,
					 "auto|fanotify|inotify", NULL,      NULL};
	static const enum fim_realtime_backend map[] = {FIM_RT_AUTO, FIM_RT_FANOTIFY,
							FIM_RT_INOTIFY};
	int idx = 0;
	int rc = sc_apply(&idx, &c, n, where, err);
	if (rc == 0)
		((struct fim_config *)base)->realtime_backend = map[idx];
	return rc;
}

/* Exposed to the unit tests (VG_STATIC). */
VG_STATIC int fim_config_parse_scan_time(const char *s, int *out);
VG_STATIC int fim_config_parse_scan_day(const char *s, unsigned *out);

/*
 * Wazuh's OS_IsValidUniqueTime: "HH:MM", "Ham"/"Hpm" or "HH:MMam"/"pm"
 * (case-insensitive suffix). Gives seconds after midnight.
 */
VG_STATIC int fim_config_parse_scan_time(const char *s, int *out)
{
	unsigned h = 0, m = 0;
	size_t i = 0, hd = 0;
	bool colon = false, ampm = false, pm = false;

	*out = -1;
	for (; isdigit((unsigned char)s[i]) && hd < 2; i++, hd++)
		h = h * 10 + (unsigned)(s[i] - '0');
	if (hd == 0)
		return VG_EPARSE;
	if (s[i] == ':') {
		colon = true;
		if (!isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
			return VG_EPARSE;
		m = (unsigned)(s[i + 1] - '0') * 10 + (unsigned)(s[i + 2] - '0');
		i += 3;
	}
	if (strcasecmp(s + i, "am") == 0 || strcasecmp(s + i, "pm") == 0) {
		ampm = true;
		pm = tolower((unsigned char)s[i]) == 'p';
	} else if (s[i] != '\0') {
		return VG_EPARSE;
	}
	if ((!colon && !ampm) || m > 59 || (ampm && (h < 1 || h > 12)) || (!ampm && h > 23))
		return VG_EPARSE;
	if (ampm)
		h = h % 12 + (pm ? 12 : 0);
	*out = (int)(h * 3600 + m * 60);
	return 0;
}

/* The error for a leaf whose text is not what was expected. */
static int sc_expected(const struct vg_conf_node *n, const char *where, const char *what,
		       struct vg_err *err)
{
	char esc[64];
	return vg_conf_error(n, err, "%s: <%s>: expected %s, got \"%s\"", where,
			     vg_conf_node_name(n), what,
			     sc_esc(esc, sizeof(esc), vg_conf_node_text(n)));
}

static int sc_scan_time(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			const char *where, struct vg_err *err)
{
	int t, rc = sc_leaf(n, where, err);

	if (rc != 0)
		return rc;
	if (fim_config_parse_scan_time(vg_conf_node_text(n), &t) != 0)
		return sc_expected(n, where, "a time such as 22:00, 10pm or 10:30am", err);
	((struct fim_config *)base)->scan_time = t;
	return 0;
}

/* One day name (Wazuh's OS_IsValidDay words) to a bit mask; 0 if unknown. */
static unsigned sc_day_mask(const char *s, size_t len)
{
	static const char *const days[] = {"sunday",   "monday", "tuesday", "wednesday",
					   "thursday", "friday", "saturday"};
	char w[16];

	if (len == 0 || len >= sizeof(w))
		return 0;
	memcpy(w, s, len);
	w[len] = '\0';
	if (strcasecmp(w, "weekdays") == 0)
		return 0x3eu; /* Monday..Friday */
	if (strcasecmp(w, "weekends") == 0)
		return 0x41u; /* Saturday and Sunday */
	for (unsigned i = 0; i < VG_ARRAY_LEN(days); i++)
		if (strcasecmp(w, days[i]) == 0 || (len == 3 && strncasecmp(w, days[i], 3) == 0))
			return 1u << i;
	return 0;
}

VG_STATIC int fim_config_parse_scan_day(const char *s, unsigned *out)
{
	unsigned mask = 0;
	const char *day;
	size_t len;

	*out = 0;
	while (vg_str_next_item(&s, &day, &len)) {
		unsigned m = sc_day_mask(day, len);
		if (m == 0)
			return VG_EPARSE;
		mask |= m;
	}
	*out = mask;
	return 0;
}

static int sc_scan_day(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
		       const char *where, struct vg_err *err)
{
	unsigned days;
	int rc = sc_leaf(n, where, err);

	if (rc != 0)
		return rc;
	if (fim_config_parse_scan_day(vg_conf_node_text(n), &days) != 0)
		return sc_expected(
		    n, where, "day names (sunday|sun|...|weekdays|weekends, comma-separated)", err);
	((struct fim_config *)base)->scan_days = days;
	return 0;
}

static int sc_prefilter_cmd(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			    const char *where, struct vg_err *err)
{
	return vg_conf_error(n, err,
			     "%s: <prefilter_cmd> is not supported: Vigie hashes file contents "
			     "as they are on disk; remove it (or convert files before they land "
			     "in a monitored directory)",
			     where);
}

/* <directories> --------------------------------------------------------- */

/* The attributes of one <directories> element, applied in document order. */
struct sc_dir_opts {
	unsigned checks;
	bool realtime, whodata, report_changes, follow;
	int recursion_level;
	const char *restrict_pat; /* borrowed from the node */
	char *tags;
	uint64_t diff_size_limit;
};

static const char *const sc_dir_attrs[] = {
    "check_all",       "check_sum",   "check_md5sum",         "check_sha1sum",
    "check_sha256sum", "check_size",  "check_owner",          "check_group",
    "check_perm",      "check_mtime", "check_inode",          "check_attrs",
    "realtime",        "whodata",     "report_changes",       "restrict",
    "recursion_level", "tags",        "follow_symbolic_link", "diff_size_limit",
};

/* The check bits of the check_* attributes (0 for check_attrs). */
static bool sc_check_bits(const char *name, unsigned *bits)
{
	static const struct {
		const char *name;
		unsigned bits;
	} checks[] = {
	    {"check_all", FIM_CHECK_ALL},          {"check_sum", FIM_CHECK_SUM},
	    {"check_md5sum", FIM_CHECK_MD5},       {"check_sha1sum", FIM_CHECK_SHA1},
	    {"check_sha256sum", FIM_CHECK_SHA256}, {"check_size", FIM_CHECK_SIZE},
	    {"check_owner", FIM_CHECK_OWNER},      {"check_group", FIM_CHECK_GROUP},
	    {"check_perm", FIM_CHECK_PERM},        {"check_mtime", FIM_CHECK_MTIME},
	    {"check_inode", FIM_CHECK_INODE},      {"check_attrs", 0},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(checks); i++) {
		if (strcmp(checks[i].name, name) == 0) {
			*bits = checks[i].bits;
			return true;
		}
	}
	return false;
}

/* tags: spaces, '!' and ':' are removed, as Wazuh does; NULL when empty. */
static char *sc_clean_tags(const char *s)
{
	char *t = vg_xstrdup(s);
	size_t o = 0;

	for (size_t i = 0; t[i] != '\0'; i++)
		if (!isspace((unsigned char)t[i]) && t[i] != '!' && t[i] != ':')
			t[o++] = t[i];
	t[o] = '\0';
	if (o == 0) {
		vg_free(t);
		return NULL;
	}
	return t;
}

static int sc_dir_attr(struct sc_dir_opts *o, const struct vg_conf_node *n, const char *name,
		       const char *value, const char *where, struct vg_err *err)
{
	char what[160], esc[64];
	unsigned bits = 0;
	bool yes;
	int rc;

	snprintf(what, sizeof(what), "%s: <directories> %s", where, name);
	if (sc_check_bits(name, &bits) || strcmp(name, "realtime") == 0 ||
	    strcmp(name, "whodata") == 0 || strcmp(name, "report_changes") == 0 ||
	    strcmp(name, "follow_symbolic_link") == 0) {
		rc = vg_conf_yesno(n, value, what, &yes, err);
		if (rc != 0)
			return rc;
		if (strcmp(name, "check_attrs") == 0)
			vg_log_warn("%s:%ld: %s is Windows-only; ignored", vg_conf_node_file(n),
				    vg_conf_node_line(n), what);
		else if (strncmp(name, "check_", 6) == 0)
			o->checks = yes ? o->checks | bits : o->checks & ~bits;
		else if (strcmp(name, "realtime") == 0)
			o->realtime = yes;
		else if (strcmp(name, "whodata") == 0)
			o->whodata = yes;
		else if (strcmp(name, "report_changes") == 0)
			o->report_changes = yes;
		else
			o->follow = yes;
		return 0;
	}
	if (strcmp(name, "restrict") == 0) {
		struct vg_osmatch *re = NULL;
		struct vg_err cerr = VG_ERR_INIT;
		if (vg_osmatch_compile(value, &re, &cerr) != 0)
			return vg_conf_error(n, err, "%s: %s", what, cerr.msg);
		vg_osmatch_free(re);
		o->restrict_pat = value;
		return 0;
	}
	if (strcmp(name, "recursion_level") == 0) {
		int64_t v;
		if (vg_parse_i64(value, 0, FIM_MAX_DEPTH, &v) != 0)
			return vg_conf_error(n, err,
					     "%s: expected a number from 0 to %d, got \"%s\"", what,
					     FIM_MAX_DEPTH, sc_esc(esc, sizeof(esc), value));
		o->recursion_level = (int)v;
		return 0;
	}
	if (strcmp(name, "tags") == 0) {
		vg_free(o->tags);
		o->tags = sc_clean_tags(value);
		return 0;
	}
	if (strcmp(name, "diff_size_limit") == 0) {
		if (vg_parse_size(value, SC_KB, &o->diff_size_limit) != 0 ||
		    o->diff_size_limit < SC_KB)
			return vg_conf_error(n, err,
					     "%s: expected a size of at least 1KB (plain number = "
					     "KB, or KB, MB, GB), got \"%s\"",
					     what, sc_esc(esc, sizeof(esc), value));
		return 0;
	}
	const char *hint = vg_conf_hint(name, sc_dir_attrs, VG_ARRAY_LEN(sc_dir_attrs));
	sc_esc(esc, sizeof(esc), name);
	if (hint != NULL)
		return vg_conf_error(n, err,
				     "%s: <directories>: unknown attribute %s; did you mean %s?",
				     where, esc, hint);
	return vg_conf_error(n, err, "%s: <directories>: unknown attribute %s", where, esc);
}

/* Append the value of $NAME or ${NAME} at *p to b; *p moves past it. */
static int sc_expand_var(const char **p, struct vg_buf *b, const struct vg_conf_node *n,
			 const char *where, struct vg_err *err)
{
	const char *s = *p + 1;
	bool brace = *s == '{';
	char name[128];
	size_t len = 0;

	s += brace;
	while ((isalnum((unsigned char)s[len]) || s[len] == '_') && len < sizeof(name) - 1)
		len++;
	if (len == 0 || isdigit((unsigned char)s[0]) || (brace && s[len] != '}')) {
		if (brace)
			return vg_conf_error(n, err, "%s: <directories>: bad ${...} reference",
					     where);
		*p += 1;
		return vg_buf_putc(b, '$'); /* a lone '$' is literal */
	}
	memcpy(name, s, len);
	name[len] = '\0';
	const char *v = getenv(name);
	if (v == NULL)
		return vg_conf_error(
		    n, err, "%s: <directories>: environment variable %s is not set", where, name);
	*p = s + len + brace;
	return vg_buf_puts(b, v);
}

/*
 * One path of the comma list, already trimmed: expand variables, require an
 * absolute path, collapse "//" and drop the trailing '/'. *out is the
 * caller's.
 */
static int sc_dir_path(const char *s, size_t len, const struct vg_conf_node *n, const char *where,
		       char **out, struct vg_err *err)
{
	struct vg_buf raw = VG_BUF_INIT(PATH_MAX - 1), b = VG_BUF_INIT(PATH_MAX - 1);
	char esc[80];
	int rc = 0;

	*out = NULL;
	char *item = vg_xstrndup(s, len);
	for (const char *p = item; *p != '\0' && rc == 0;) {
		if (*p == '$') {
			rc = sc_expand_var(&p, &raw, n, where, err);
		} else {
			rc = vg_buf_putc(&raw, *p);
			p++;
		}
	}
	if (rc == VG_ETOOBIG)
		rc = vg_conf_error(n, err, "%s: <directories>: path longer than %d bytes", where,
				   PATH_MAX - 1);
	if (rc != 0)
		goto out;
	const char *r = vg_buf_cstr(&raw);
	if (r[0] != '/') {
		rc = vg_conf_error(n, err, "%s: <directories>: \"%s\" is not an absolute path",
				   where, sc_esc(esc, sizeof(esc), r));
		goto out;
	}
	for (size_t i = 0; r[i] != '\0'; i++)
		if (!(r[i] == '/' && r[i + 1] == '/') && vg_buf_putc(&b, r[i]) != 0)
			break;
	if (b.len > 1 && b.data[b.len - 1] == '/')
		vg_buf_truncate(&b, b.len - 1);
	*out = vg_buf_take(&b); /* transferred */
out:
	vg_free(item);
	vg_buf_free(&raw);
	vg_buf_free(&b);
	return rc;
}

static void sc_dir_clear(struct fim_dir *d)
{
	vg_free(d->path);
	vg_osmatch_free(d->restrict_re);
	vg_free(d->tags);
	memset(d, 0, sizeof(*d));
}

/* Add (or, for a path already configured, replace) one directory; takes path. */
static int sc_add_dir(struct fim_config *cfg, const struct sc_dir_opts *o, char *path,
		      const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	struct fim_dir *d = NULL;

	for (size_t i = 0; i < cfg->ndirs && d == NULL; i++)
		if (strcmp(cfg->dirs[i].path, path) == 0)
			d = &cfg->dirs[i];
	if (d != NULL) {
		sc_dir_clear(d);
	} else {
		if (cfg->ndirs >= SC_MAX_ENTRIES) {
			vg_free(path);
			return vg_conf_error(n, err, "%s: more than %d directories", where,
					     SC_MAX_ENTRIES);
		}
		cfg->dirs = vg_xreallocarray(cfg->dirs, cfg->ndirs + 1, sizeof(*cfg->dirs));
		d = &cfg->dirs[cfg->ndirs++];
		memset(d, 0, sizeof(*d));
	}
	d->path = path; /* transferred */
	d->checks = o->checks;
	d->opts = (o->realtime || o->whodata ? FIM_OPT_REALTIME : 0) |
		  (o->whodata ? FIM_OPT_WHODATA : 0) |
		  (o->report_changes ? FIM_OPT_REPORT_CHANGES : 0) |
		  (o->follow ? FIM_OPT_FOLLOW_SYMLINK : 0);
	d->recursion_level = o->recursion_level;
	d->tags = o->tags != NULL ? vg_xstrdup(o->tags) : NULL;
	d->diff_size_limit = o->diff_size_limit;
	d->line = vg_conf_node_line(n);
	/* The pattern compiled once already when the attribute was read. */
	if (o->restrict_pat != NULL &&
	    vg_osmatch_compile(o->restrict_pat, &d->restrict_re, err) != 0)
		return vg_conf_error(n, err, "%s: <directories>: bad restrict", where);
	return 0;
}

/*
 * A path with wildcards (*, ?, [...]) stands for the directories it matches
 * when the configuration is loaded (at start and on SIGHUP). Wazuh
 * re-expands at every scan; Vigie does so on reload. Takes pattern.
 */
static int sc_add_glob(struct fim_config *cfg, const struct sc_dir_opts *o, char *pattern,
		       const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	glob_t g;
	char esc[256];
	int rc = 0;
	size_t added = 0;

	int grc = glob(pattern, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g);
	for (size_t i = 0; grc == 0 && rc == 0 && i < g.gl_pathc; i++) {
		struct stat st;
		/* GLOB_ONLYDIR is only a hint: keep what really is a directory */
		if (stat(g.gl_pathv[i], &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		char *path = vg_xstrdup(g.gl_pathv[i]);
		size_t len = strlen(path);
		if (len > 1 && path[len - 1] == '/')
			path[len - 1] = '\0';
		rc = sc_add_dir(cfg, o, path, n, where, err); /* transferred */
		added++;
	}
	if (grc == 0)
		globfree(&g);
	if (rc == 0 && added == 0)
		vg_log_warn("%s:%ld: %s: <directories>: \"%s\" matches no directory (yet); "
			    "it is expanded again on reload",
			    vg_conf_node_file(n), vg_conf_node_line(n), where,
			    sc_esc(esc, sizeof(esc), pattern));
	vg_free(pattern);
	return rc;
}

static int sc_dir_paths(struct fim_config *cfg, const struct sc_dir_opts *o,
			const struct vg_conf_node *n, const char *where, struct vg_err *err)
{
	const char *s = vg_conf_node_text(n), *item;
	size_t len, count = 0;

	if (s[0] == '\0')
		return vg_conf_error(n, err, "%s: <directories>: no path given", where);
	while (vg_str_next_item(&s, &item, &len)) {
		if (len == 0)
			return vg_conf_error(n, err, "%s: <directories>: empty path in the list",
					     where);
		if (++count > SC_MAX_DIRS_PER_ELEM)
			return vg_conf_error(n, err,
					     "%s: <directories>: more than %d paths in one element",
					     where, SC_MAX_DIRS_PER_ELEM);
		char *path = NULL;
		int rc = sc_dir_path(item, len, n, where, &path, err);
		if (rc == 0 && strpbrk(path, "*?[") != NULL)
			rc = sc_add_glob(cfg, o, path, n, where, err); /* transferred */
		else if (rc == 0)
			rc = sc_add_dir(cfg, o, path, n, where, err); /* transferred */
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int sc_directories(void *base, const struct sc_elem *e, const struct vg_conf_node *n,
			  const char *where, struct vg_err *err)
{
	struct sc_dir_opts o = {.checks = FIM_CHECK_ALL, .recursion_level = FIM_DEFAULT_DEPTH};
	const char *name, *value;
	int rc = sc_no_children(n, where, err);

	for (size_t i = 0; rc == 0 && vg_conf_node_attr_at(n, i, &name, &value); i++)
		rc = sc_dir_attr(&o, n, name, value, where, err);
	if (rc == 0)
		rc = sc_dir_paths(base, &o, n, where, err);
	vg_free(o.tags);
	return rc;
}

/* The <syscheck> table -------------------------------------------------- */

#define SC_FIELD(nm, k, field, lo, hi)                                                             \
	{                                                                                          \
		nm, k, offsetof(struct fim_config, field), lo, hi, NULL, NULL, NULL                \
	}
#define SC_CALL(nm, f)                                                                             \
	{                                                                                          \
		nm, SC_FN, 0, 0, 0, NULL, f, NULL                                                  \
	}
#define SC_IGNORED(nm, why)                                                                        \
	{                                                                                          \
		nm, SC_WARN, 0, 0, 0, NULL, NULL, why                                              \
	}

static const struct sc_elem sc_elems[] = {
    SC_CALL("disabled", sc_disabled),
    SC_CALL("directories", sc_directories),
    SC_CALL("ignore", sc_ignore),
    SC_CALL("nodiff", sc_nodiff),
    SC_FIELD("frequency", SC_U64, frequency, 1, UINT32_MAX),
    SC_CALL("scan_time", sc_scan_time),
    SC_CALL("scan_day", sc_scan_day),
    SC_FIELD("scan_on_start", SC_BOOL, scan_on_start, 0, 0),
    SC_IGNORED("alert_new_files", "is deprecated since Wazuh 3.11"),
    SC_IGNORED("auto_ignore", "is deprecated since Wazuh 3.11"),
    SC_FIELD("skip_nfs", SC_BOOL, skip_nfs, 0, 0),
    SC_FIELD("skip_dev", SC_BOOL, skip_dev, 0, 0),
    SC_FIELD("skip_sys", SC_BOOL, skip_sys, 0, 0),
    SC_FIELD("skip_proc", SC_BOOL, skip_proc, 0, 0),
    SC_FIELD("max_files_per_second", SC_U64, max_files_per_second, 0, UINT32_MAX),
    SC_CALL("file_limit", sc_file_limit),
    SC_CALL("process_priority", sc_process_priority),
    SC_FIELD("max_eps", SC_U64, max_eps, 0, 1000000),
    SC_CHOOSE("database", "disk|memory"),
    SC_CALL("synchronization", sc_synchronization),
    SC_CALL("diff", sc_diff),
    SC_CALL("whodata", sc_whodata),
    SC_CALL("prefilter_cmd", sc_prefilter_cmd),
    SC_VALIDATE("allow_remote_prefilter_cmd", SC_BOOL, 0, 0),
    SC_IGNORED("windows_registry", "is Windows-only"),
    SC_IGNORED("registry_ignore", "is Windows-only"),
    SC_IGNORED("registry_ignore_value", "is Windows-only"),
    SC_IGNORED("registry_limit", "is Windows-only"),
    SC_IGNORED("windows_audit_interval", "is Windows-only"),
    /* Vigie-only */
    SC_FIELD("file_max_size", SC_SIZE, file_max_size, SC_KB, 0),
    SC_FIELD("full_rehash", SC_BOOL, full_rehash, 0, 0),
    SC_CALL("realtime_backend", sc_realtime_backend),
    SC_CALL("hash_workers", sc_hash_workers),
};

/* Public API ------------------------------------------------------------ */

void fim_config_init(struct fim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->disabled = true; /* until a <syscheck> block is parsed */
	cfg->frequency = 43200;
	cfg->scan_time = -1;
	cfg->scan_on_start = true;
	cfg->skip_nfs = cfg->skip_dev = cfg->skip_sys = cfg->skip_proc = true;
	cfg->file_limit = 100000;
	cfg->process_priority = 10;
	cfg->max_eps = 0;
	cfg->file_max_size = 1ULL << 30;
	cfg->diff_size_limit = 50ULL << 20;
	cfg->realtime_backend = FIM_RT_AUTO;
}

int fim_config_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct fim_config *cfg = ctx;
	int rc = sc_no_attrs(node, SC, err);

	if (rc != 0)
		return rc;
	if (vg_conf_node_text(node)[0] != '\0')
		return vg_conf_error(node, err, SC ": unexpected text");
	/* Like Wazuh: a block without <disabled> enables, unless one said yes. */
	if (!cfg->disabled_explicit)
		cfg->disabled = false;
	return sc_children(cfg, sc_elems, VG_ARRAY_LEN(sc_elems), node, SC, err);
}

void fim_config_free(struct fim_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->ndirs; i++)
		sc_dir_clear(&cfg->dirs[i]);
	vg_free(cfg->dirs);
	for (size_t i = 0; i < cfg->nignores; i++) {
		vg_free(cfg->ignores[i].prefix);
		vg_osmatch_free(cfg->ignores[i].sregex);
	}
	vg_free(cfg->ignores);
	memset(cfg, 0, sizeof(*cfg));
}

bool fim_config_ignored(const struct fim_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->nignores; i++) {
		const struct fim_ignore *ig = &cfg->ignores[i];
		if (ig->prefix != NULL ? vg_str_has_icase_prefix(path, ig->prefix)
				       : vg_osmatch_test(ig->sregex, path))
			return true;
	}
	return false;
}

/* Number of non-empty '/'-separated components in s. */
static int sc_components(const char *s)
{
	int n = 0;
	for (; *s != '\0'; s++)
		if (*s != '/' && (s[1] == '/' || s[1] == '\0'))
			n++;
	return n;
}

const struct fim_dir *fim_config_dir_for(const struct fim_config *cfg, const char *path, int *depth)
{
	const struct fim_dir *best = NULL;
	size_t best_len = 0;

	if (depth != NULL)
		*depth = 0;
	for (size_t i = 0; i < cfg->ndirs; i++) {
		const struct fim_dir *d = &cfg->dirs[i];
		size_t len = strlen(d->path);
		bool root = len == 1 && d->path[0] == '/';
		bool under = root ? path[0] == '/'
				  : strncmp(path, d->path, len) == 0 &&
					(path[len] == '\0' || path[len] == '/');
		if (under && (best == NULL || len > best_len)) {
			best = d;
			best_len = len;
		}
	}
	if (best != NULL && depth != NULL)
		*depth = sc_components(path + best_len);
	return best;
}
