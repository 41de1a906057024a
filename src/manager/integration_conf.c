/*
 * integration_conf.c - <integration> parsing (see integration_conf.h).
 *
 * A block is parsed in two passes: the <name> first, because it decides
 * whether the block is ours at all (a Wazuh-only integration such as slack
 * is warned about and skipped without judging its other elements), then
 * every element through one table. The block is built in a local struct
 * and appended only when complete, so a failed block leaves nothing behind.
 *
 * The api_key is a secret: no message built here contains it, not even a
 * part of it when it is malformed, and it is wiped when freed. hook_url may
 * be one too (Slack-style webhook URLs embed a token), so its value is not
 * echoed either.
 */
#include "manager/integration_conf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

enum ic_kind {
	IK_NAME,
	IK_KEY,
	IK_URL,
	IK_LEVEL,
	IK_RULES,
	IK_GROUPS,
	IK_LOCATION,
	IK_FORMAT,
	IK_MAX_LOG,
	IK_OPTIONS,
	IK_TIMEOUT,
	IK_RETRIES,
};

struct ic_elem {
	const char *name;
	enum ic_kind kind;
};

static const struct ic_elem ic_table[] = {
    {"name", IK_NAME},
    {"api_key", IK_KEY},
    {"hook_url", IK_URL},
    {"level", IK_LEVEL},
    {"rule_id", IK_RULES},
    {"group", IK_GROUPS},
    {"event_location", IK_LOCATION},
    {"alert_format", IK_FORMAT},
    {"max_log", IK_MAX_LOG},
    {"options", IK_OPTIONS},
    {"timeout", IK_TIMEOUT},
    {"retries", IK_RETRIES},
};

/* Wazuh integrations Vigie does not implement: warned about, skipped. */
static const char *const ic_wazuh_only[] = {"slack", "pagerduty", "shuffle", "maltiverse"};

/* Every name Wazuh accepts, for did-you-mean hints. */
static const char *const ic_known_names[] = {"virustotal", "slack", "pagerduty", "shuffle",
					     "maltiverse"};

/* Rule groups Wazuh moves out of rule.groups (alert.c's compliance list). */
static const char *const ic_compliance[] = {"pci_dss_", "cis_",         "gdpr_", "gpg13_",
					    "hipaa_",   "nist_800_53_", "tsc_"};

#define IC_RULE_ID_MAX 999999999u
#define IC_LEVEL_MAX 16u
#define IC_CUSTOM "custom-"
#define IC_NAME_MAX 64

static const char *ic_esc(char *dst, size_t dstsz, const char *s)
{
	return vg_escape(dst, dstsz, s, strlen(s));
}

static void ic_int_free(struct mgr_integration *i)
{
	vg_free(i->name);
	if (i->api_key != NULL)
		vg_freezero(i->api_key, strlen(i->api_key));
	vg_free(i->hook_url);
	vg_free(i->rule_ids);
	for (size_t k = 0; k < i->ngroups; k++)
		vg_free(i->groups[k]);
	vg_free(i->groups);
	vg_osmatch_free(i->event_location);
	vg_free(i->options);
	memset(i, 0, sizeof(*i));
}

static void ic_int_defaults(struct mgr_integration *i, long line)
{
	const struct mgr_vt_options vt = MGR_VT_OPTIONS_INIT;

	memset(i, 0, sizeof(*i));
	i->max_log = MGR_INT_MAX_LOG;
	i->timeout = MGR_INT_TIMEOUT;
	i->retries = MGR_INT_RETRIES;
	i->vt = vt;
	i->line = line;
}

/* ---- Durations and the virustotal options ---------------------------------- */

int mgr_int_parse_duration(const char *s, uint32_t max, uint32_t *out)
{
	char num[24];
	uint64_t v, unit = 1;
	size_t len = strlen(s);

	*out = 0;
	if (len == 0 || len >= sizeof(num))
		return VG_EPARSE;
	switch (s[len - 1]) {
	case 's':
		len--;
		break;
	case 'm':
		unit = 60;
		len--;
		break;
	case 'h':
		unit = 3600;
		len--;
		break;
	case 'd':
		unit = 86400;
		len--;
		break;
	default:
		break;
	}
	memcpy(num, s, len);
	num[len] = '\0';
	int rc = vg_parse_u64(num, UINT32_MAX, &v);
	if (rc != 0)
		return rc;
	if (v > max / unit)
		return VG_ETOOBIG;
	*out = (uint32_t)(v * unit);
	return 0;
}

enum vo_kind { VO_COUNT, VO_TTL, VO_ATTEMPTS, VO_BOOL };

struct vo_key {
	const char *name;
	enum vo_kind kind;
	size_t off;
};

#define VO_OFF(f) offsetof(struct mgr_vt_options, f)

static const struct vo_key vo_keys[] = {
    {"requests_per_minute", VO_COUNT, VO_OFF(requests_per_minute)},
    {"requests_per_day", VO_COUNT, VO_OFF(requests_per_day)},
    {"requests_per_month", VO_COUNT, VO_OFF(requests_per_month)},
    {"cache_malicious_ttl", VO_TTL, VO_OFF(cache_malicious_ttl)},
    {"cache_clean_ttl", VO_TTL, VO_OFF(cache_clean_ttl)},
    {"cache_not_found_ttl", VO_TTL, VO_OFF(cache_not_found_ttl)},
    {"max_attempts", VO_ATTEMPTS, VO_OFF(max_attempts)},
    {"use_quota_endpoint", VO_BOOL, VO_OFF(use_quota_endpoint)},
};

static int vo_unknown(const char *key, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(vo_keys)];
	char esc[80];

	for (size_t i = 0; i < VG_ARRAY_LEN(vo_keys); i++)
		names[i] = vo_keys[i].name;
	const char *hint = vg_conf_hint(key, names, VG_ARRAY_LEN(names));
	ic_esc(esc, sizeof(esc), key);
	if (hint != NULL)
		return vg_err_set(err, VG_EPARSE, "unknown key \"%s\"; did you mean \"%s\"?", esc,
				  hint);
	return vg_err_set(err, VG_EPARSE, "unknown key \"%s\" (virustotal knows %s, %s, ...)", esc,
			  vo_keys[0].name, vo_keys[3].name);
}

/* An integer in [lo, hi], or VG_EPARSE naming the key. */
static int vo_uint(const char *key, const json_t *v, uint64_t lo, uint64_t hi, uint64_t *out,
		   struct vg_err *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < lo || (uint64_t)json_integer_value(v) > hi)
		return vg_err_set(err, VG_EPARSE, "\"%s\": expected an integer from %llu to %llu",
				  key, (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int vo_ttl(const char *key, const json_t *v, uint32_t *out, struct vg_err *err)
{
	uint64_t n;

	if (json_is_integer(v)) {
		int rc = vo_uint(key, v, 0, MGR_VT_TTL_MAX, &n, err);
		*out = (uint32_t)n;
		return rc;
	}
	if (json_is_string(v) &&
	    mgr_int_parse_duration(json_string_value(v), MGR_VT_TTL_MAX, out) == 0)
		return 0;
	return vg_err_set(err, VG_EPARSE,
			  "\"%s\": expected a duration: seconds, or a number with s, m, h or d "
			  "(\"30d\"), at most 3650d",
			  key);
}

static int vo_apply(const struct vo_key *k, const json_t *v, struct mgr_vt_options *o,
		    struct vg_err *err)
{
	void *field = (char *)o + k->off;
	uint64_t n;
	int rc;

	switch (k->kind) {
	case VO_COUNT:
		rc = vo_uint(k->name, v, 0, MGR_VT_RATE_MAX, &n, err);
		*(unsigned *)field = (unsigned)n;
		return rc;
	case VO_TTL:
		return vo_ttl(k->name, v, field, err);
	case VO_ATTEMPTS:
		rc = vo_uint(k->name, v, 1, MGR_VT_ATTEMPTS_MAX, &n, err);
		*(unsigned *)field = (unsigned)n;
		return rc;
	case VO_BOOL:
		if (!json_is_boolean(v))
			return vg_err_set(err, VG_EPARSE, "\"%s\": expected true or false",
					  k->name);
		*(bool *)field = json_is_true(v);
		return 0;
	default:
		return vg_err_set(err, VG_EINTERNAL, "\"%s\": internal error", k->name);
	}
}

int mgr_vt_options_parse(const char *json, struct mgr_vt_options *out, struct vg_err *err)
{
	const struct mgr_vt_options defaults = MGR_VT_OPTIONS_INIT;
	struct mgr_vt_options o = defaults;
	json_error_t je;
	const char *key;
	json_t *v;
	char esc[96];
	int rc = 0;

	*out = defaults;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return vg_err_set(err, VG_EPARSE, "invalid JSON at line %d column %d: %s", je.line,
				  je.column, ic_esc(esc, sizeof(esc), je.text));
	if (!json_is_object(root)) {
		rc = vg_err_set(err, VG_EPARSE, "expected a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		size_t i;
		for (i = 0; i < VG_ARRAY_LEN(vo_keys); i++)
			if (strcmp(vo_keys[i].name, key) == 0)
				break;
		rc = i == VG_ARRAY_LEN(vo_keys) ? vo_unknown(key, err)
						: vo_apply(&vo_keys[i], v, &o, err);
		if (rc != 0)
			goto out;
	}
	*out = o;
out:
	json_decref(root);
	return rc;
}

/* ---- Elements ------------------------------------------------------------- */

static int ic_uint(const struct vg_conf_node *n, const char *what, uint64_t lo, uint64_t hi,
		   unsigned *out, struct vg_err *err)
{
	uint64_t v;
	char esc[64];
	const char *text = vg_conf_node_text(n);

	if (vg_parse_u64(text, hi, &v) != 0 || v < lo)
		return vg_conf_error(n, err,
				     "<integration>: <%s>: expected a number from %llu to %llu, "
				     "got \"%s\"",
				     what, (unsigned long long)lo, (unsigned long long)hi,
				     ic_esc(esc, sizeof(esc), text));
	*out = (unsigned)v;
	return 0;
}

/*
 * The key: 1..256 printable ASCII bytes without spaces (it becomes an HTTP
 * header value, so CR/LF must never pass). The message says what is wrong
 * and nothing of the value.
 */
static int ic_key(const struct vg_conf_node *n, struct mgr_integration *i, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	size_t len = strlen(text);

	if (len == 0)
		return vg_conf_error(n, err, "<integration>: <api_key> is empty");
	if (len > MGR_INT_KEY_MAX)
		return vg_conf_error(n, err,
				     "<integration>: <api_key> is longer than %d bytes (value "
				     "not shown)",
				     MGR_INT_KEY_MAX);
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)text[k] <= 0x20 || (unsigned char)text[k] >= 0x7f)
			return vg_conf_error(n, err,
					     "<integration>: <api_key> holds a space or a "
					     "non-printable byte at offset %zu (value not shown); "
					     "a VirusTotal key is 64 hex digits",
					     k);
	if (i->api_key != NULL)
		vg_freezero(i->api_key, strlen(i->api_key));
	i->api_key = vg_xstrdup(text);
	return 0;
}

static int ic_url(const struct vg_conf_node *n, struct mgr_integration *i, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	size_t len = strlen(text);

	if (len == 0 || len > MGR_INT_URL_MAX)
		return vg_conf_error(n, err,
				     "<integration>: <hook_url>: expected a URL of 1 to %d "
				     "bytes",
				     MGR_INT_URL_MAX);
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)text[k] < 0x20 || (unsigned char)text[k] == 0x7f)
			return vg_conf_error(n, err,
					     "<integration>: <hook_url> holds a control byte at "
					     "offset %zu",
					     k);
	vg_free(i->hook_url);
	i->hook_url = vg_xstrdup(text);
	return 0;
}

/* Rule ids: Wazuh tolerates spaces and empty items ("100, ,200,"). */
static int ic_rules(const struct vg_conf_node *n, struct mgr_integration *i, struct vg_err *err)
{
	const char *s = vg_conf_node_text(n), *item;
	size_t len;
	char num[16], esc[48];
	uint64_t v;

	vg_free(i->rule_ids);
	i->rule_ids = NULL;
	i->nrule_ids = 0;
	while (vg_str_next_item(&s, &item, &len)) {
		if (len == 0)
			continue;
		if (len >= sizeof(num) || (memcpy(num, item, len), num[len] = '\0',
					   vg_parse_u64(num, IC_RULE_ID_MAX, &v) != 0))
			return vg_conf_error(n, err,
					     "<integration>: <rule_id>: expected rule ids "
					     "separated by commas, got \"%s\"",
					     vg_escape(esc, sizeof(esc), item, len));
		if (i->nrule_ids == MGR_INT_MAX_LIST)
			return vg_conf_error(n, err, "<integration>: <rule_id>: more than %d ids",
					     MGR_INT_MAX_LIST);
		i->rule_ids = vg_xreallocarray(i->rule_ids, i->nrule_ids + 1, sizeof(unsigned));
		i->rule_ids[i->nrule_ids++] = (unsigned)v;
	}
	if (i->nrule_ids == 0)
		return vg_conf_error(n, err, "<integration>: <rule_id>: no rule id");
	return 0;
}

static bool ic_is_compliance(const char *g)
{
	for (size_t k = 0; k < VG_ARRAY_LEN(ic_compliance); k++)
		if (strncmp(g, ic_compliance[k], strlen(ic_compliance[k])) == 0)
			return true;
	return false;
}

static void ic_groups_clear(struct mgr_integration *i)
{
	for (size_t k = 0; k < i->ngroups; k++)
		vg_free(i->groups[k]);
	vg_free(i->groups);
	i->groups = NULL;
	i->ngroups = 0;
}

static int ic_groups(const struct vg_conf_node *n, struct mgr_integration *i, struct vg_err *err)
{
	const char *s = vg_conf_node_text(n), *item;
	size_t len;
	char esc[96];

	ic_groups_clear(i);
	while (vg_str_next_item(&s, &item, &len)) {
		if (len == 0)
			continue;
		if (i->ngroups == MGR_INT_MAX_LIST)
			return vg_conf_error(n, err, "<integration>: <group>: more than %d groups",
					     MGR_INT_MAX_LIST);
		char *g = vg_xstrndup(item, len);
		/* Wazuh compares against the alert's rule.groups, which never
		 * holds compliance tokens: such a filter never passes. */
		if (ic_is_compliance(g))
			vg_log_warn("%s:%ld: <integration>: <group>: \"%s\" is a compliance "
				    "token, not in rule.groups: it never matches (as in Wazuh)",
				    vg_conf_node_file(n), vg_conf_node_line(n),
				    ic_esc(esc, sizeof(esc), g));
		i->groups = vg_xreallocarray(i->groups, i->ngroups + 1, sizeof(char *));
		i->groups[i->ngroups++] = g; /* transferred */
	}
	if (i->ngroups == 0)
		return vg_conf_error(n, err, "<integration>: <group>: no group");
	return 0;
}

static int ic_location(const struct vg_conf_node *n, struct mgr_integration *i, struct vg_err *err)
{
	struct vg_err e = VG_ERR_INIT;
	struct vg_osmatch *m = NULL;

	if (vg_osmatch_compile(vg_conf_node_text(n), &m, &e) != 0)
		return vg_conf_error(n, err, "<integration>: <event_location>: %s", e.msg);
	vg_osmatch_free(i->event_location);
	i->event_location = m; /* transferred */
	return 0;
}

/* Any JSON object; kept verbatim (Wazuh writes it to the options file). */
static int ic_options(const struct vg_conf_node *n, struct mgr_integration *i, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	json_error_t je;
	char esc[96];

	if (strlen(text) > MGR_INT_OPTIONS_MAX)
		return vg_conf_error(n, err, "<integration>: <options>: longer than %d bytes",
				     MGR_INT_OPTIONS_MAX);
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return vg_conf_error(n, err,
				     "<integration>: <options>: invalid JSON at line %d column "
				     "%d: %s",
				     je.line, je.column, ic_esc(esc, sizeof(esc), je.text));
	bool obj = json_is_object(root);
	json_decref(root);
	if (!obj)
		return vg_conf_error(n, err,
				     "<integration>: <options>: expected a JSON object "
				     "({\"key\": value, ...})");
	vg_free(i->options);
	i->options = vg_xstrdup(text);
	return 0;
}

static int ic_apply(const struct ic_elem *e, const struct vg_conf_node *n,
		    struct mgr_integration *i, struct vg_err *err)
{
	if (vg_conf_node_first(n) != NULL)
		return vg_conf_error(n, err, "<integration>: <%s>: unexpected element <%s>",
				     e->name, vg_conf_node_name(vg_conf_node_first(n)));
	switch (e->kind) {
	case IK_NAME:
		return 0; /* read by the first pass */
	case IK_KEY:
		return ic_key(n, i, err);
	case IK_URL:
		return ic_url(n, i, err);
	case IK_LEVEL:
		return ic_uint(n, e->name, 0, IC_LEVEL_MAX, &i->level, err);
	case IK_RULES:
		return ic_rules(n, i, err);
	case IK_GROUPS:
		return ic_groups(n, i, err);
	case IK_LOCATION:
		return ic_location(n, i, err);
	case IK_FORMAT:
		i->json_format = strncmp(vg_conf_node_text(n), "json", 4) == 0;
		return 0;
	case IK_MAX_LOG:
		return ic_uint(n, e->name, MGR_INT_MAX_LOG, MGR_INT_MAX_LOG_MAX, &i->max_log, err);
	case IK_OPTIONS:
		return ic_options(n, i, err);
	case IK_TIMEOUT:
		return ic_uint(n, e->name, 1, MGR_INT_TIMEOUT_MAX, &i->timeout, err);
	case IK_RETRIES:
		return ic_uint(n, e->name, 0, MGR_INT_RETRIES_MAX, &i->retries, err);
	default:
		return vg_conf_error(n, err, "<integration>: <%s>: internal error", e->name);
	}
}

static int ic_unknown(const struct vg_conf_node *n, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(ic_table)];
	char esc[64];

	for (size_t k = 0; k < VG_ARRAY_LEN(ic_table); k++)
		names[k] = ic_table[k].name;
	const char *hint = vg_conf_hint(vg_conf_node_name(n), names, VG_ARRAY_LEN(names));
	ic_esc(esc, sizeof(esc), vg_conf_node_name(n));
	if (hint != NULL)
		return vg_conf_error(
		    n, err, "<integration>: unknown element <%s>; did you mean <%s>?", esc, hint);
	return vg_conf_error(n, err, "<integration>: unknown element <%s>", esc);
}

/* ---- The name -------------------------------------------------------------- */

enum ic_verdict { IC_OURS, IC_SKIP };

/*
 * Judge the block's <name> (the last one wins, as for every element):
 * IC_OURS with i->name and i->kind set, IC_SKIP (warned) for a Wazuh-only
 * integration, or an error.
 */
static int ic_name(const struct vg_conf_node *node, struct mgr_integration *i,
		   enum ic_verdict *verdict, struct vg_err *err)
{
	const struct vg_conf_node *name = NULL;
	char esc[IC_NAME_MAX + 16];

	for (const struct vg_conf_node *n = vg_conf_node_first(node); n != NULL;
	     n = vg_conf_node_next(n))
		if (strcmp(vg_conf_node_name(n), "name") == 0)
			name = n;
	if (name == NULL)
		return vg_conf_error(node, err,
				     "<integration>: missing <name> (virustotal or custom-...)");
	const char *text = vg_conf_node_text(name);
	size_t len = strlen(text);
	for (size_t k = 0; k < VG_ARRAY_LEN(ic_wazuh_only); k++)
		if (strcmp(text, ic_wazuh_only[k]) == 0) {
			vg_log_warn("%s:%ld: <integration>: %s is a Wazuh integration Vigie does "
				    "not implement; block ignored",
				    vg_conf_node_file(name), vg_conf_node_line(name), text);
			*verdict = IC_SKIP;
			return 0;
		}
	*verdict = IC_OURS;
	if (strcmp(text, MGR_INT_VT_NAME) == 0) {
		i->kind = MGR_INT_VIRUSTOTAL;
	} else if (strncmp(text, IC_CUSTOM, strlen(IC_CUSTOM)) == 0) {
		/* It names a file under HOME/integrations: one safe component. */
		if (len == strlen(IC_CUSTOM) || len > IC_NAME_MAX || !vg_str_is_name(text, len))
			return vg_conf_error(name, err,
					     "<integration>: <name>: \"%s\": a custom integration "
					     "is custom-<x>, with <x> of letters, digits, '.', '_' "
					     "and '-' (at most %d bytes in all)",
					     ic_esc(esc, sizeof(esc), text), IC_NAME_MAX);
		i->kind = MGR_INT_CUSTOM;
	} else {
		const char *hint = vg_conf_hint(text, ic_known_names, VG_ARRAY_LEN(ic_known_names));
		ic_esc(esc, sizeof(esc), text);
		if (hint != NULL)
			return vg_conf_error(name, err,
					     "<integration>: Invalid integration: '%s'. Not "
					     "currently supported; did you mean '%s'?",
					     esc, hint);
		return vg_conf_error(name, err,
				     "<integration>: Invalid integration: '%s'. Not currently "
				     "supported (Vigie runs virustotal and custom-* scripts)",
				     esc);
	}
	i->name = vg_xstrdup(text);
	return 0;
}

/* ---- Whole block ------------------------------------------------------------ */

/* The last child element called name, or NULL: for the FILE:LINE of errors. */
static const struct vg_conf_node *ic_child(const struct vg_conf_node *node, const char *name)
{
	const struct vg_conf_node *found = NULL;

	for (const struct vg_conf_node *n = vg_conf_node_first(node); n != NULL;
	     n = vg_conf_node_next(n))
		if (strcmp(vg_conf_node_name(n), name) == 0)
			found = n;
	return found;
}

static bool ic_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * virustotal: the key, the API base (hook_url) and the options. Several
 * virustotal blocks are several filters in front of one client, so they
 * must agree on what the client uses.
 */
static int ic_finish_vt(const struct vg_conf_node *node, const struct mgr_integration_conf *c,
			struct mgr_integration *i, struct vg_err *err)
{
	struct vg_err e = VG_ERR_INIT;
	const struct vg_conf_node *url = ic_child(node, "hook_url");
	const struct vg_conf_node *opt = ic_child(node, "options");

	if (i->api_key == NULL)
		return vg_conf_error(node, err,
				     "<integration>: Unable to enable integration for: "
				     "'virustotal'. Missing API Key.");
	if (i->hook_url == NULL) {
		i->hook_url = vg_xstrdup(MGR_INT_VT_BASE);
	} else {
		if (!vg_str_has_icase_prefix(i->hook_url, "http://") &&
		    !vg_str_has_icase_prefix(i->hook_url, "https://"))
			return vg_conf_error(url, err,
					     "<integration>: <hook_url>: for virustotal, the API "
					     "base: http://... or https://... (default %s)",
					     MGR_INT_VT_BASE);
		size_t len = strlen(i->hook_url);
		while (len > 0 && i->hook_url[len - 1] == '/')
			i->hook_url[--len] = '\0';
	}
	if (i->options != NULL && mgr_vt_options_parse(i->options, &i->vt, &e) != 0)
		return vg_conf_error(opt, err, "<integration>: <options>: %s", e.msg);
	const struct mgr_integration *first = mgr_integration_conf_vt(c);
	if (first != NULL &&
	    (!ic_same(first->api_key, i->api_key) || !ic_same(first->hook_url, i->hook_url) ||
	     memcmp(&first->vt, &i->vt, sizeof(i->vt)) != 0))
		return vg_conf_error(node, err,
				     "<integration>: virustotal blocks share one client: "
				     "<api_key>, <hook_url> and <options> must be those of the "
				     "block at line %ld",
				     first->line);
	return 0;
}

/*
 * Mask in msg every run of at least 8 bytes (the whole key when shorter)
 * that is also in the key: a message may quote a value the user pasted the
 * key into (an options key, an element name), possibly cut short.
 */
static void ic_scrub(char *msg, const char *key)
{
	size_t mlen = strlen(msg), klen = strlen(key);
	size_t min = klen < 8 ? klen : 8;

	if (klen == 0)
		return;
	for (size_t p = 0; p < mlen; p++) {
		size_t best = 0;
		for (size_t q = 0; q < klen; q++) {
			size_t n = 0;
			while (p + n < mlen && q + n < klen && msg[p + n] == key[q + n])
				n++;
			best = n > best ? n : best;
		}
		if (best >= min) {
			memset(msg + p, '*', best);
			p += best - 1;
		}
	}
}

void mgr_integration_conf_init(struct mgr_integration_conf *c)
{
	memset(c, 0, sizeof(*c));
}

int mgr_integration_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct mgr_integration_conf *c = ctx;
	struct mgr_integration i;
	enum ic_verdict verdict = IC_SKIP;
	int rc;

	ic_int_defaults(&i, vg_conf_node_line(node));
	rc = ic_name(node, &i, &verdict, err);
	if (rc != 0 || verdict == IC_SKIP)
		goto out;
	for (const struct vg_conf_node *n = vg_conf_node_first(node); rc == 0 && n != NULL;
	     n = vg_conf_node_next(n)) {
		size_t k;
		for (k = 0; k < VG_ARRAY_LEN(ic_table); k++)
			if (strcmp(ic_table[k].name, vg_conf_node_name(n)) == 0)
				break;
		rc = k == VG_ARRAY_LEN(ic_table) ? ic_unknown(n, err)
						 : ic_apply(&ic_table[k], n, &i, err);
	}
	if (rc == 0 && i.kind == MGR_INT_VIRUSTOTAL)
		rc = ic_finish_vt(node, c, &i, err);
	if (rc == 0 && c->n == MGR_INT_MAX)
		rc = vg_conf_error(node, err, "<integration>: more than %d blocks", MGR_INT_MAX);
	if (rc != 0)
		goto out;
	c->items = vg_xreallocarray(c->items, c->n + 1, sizeof(*c->items));
	c->items[c->n++] = i; /* transferred */
	return 0;
out:
	if (rc != 0 && err != NULL && ic_child(node, "api_key") != NULL)
		ic_scrub(err->msg, vg_conf_node_text(ic_child(node, "api_key")));
	ic_int_free(&i);
	return rc;
}

const struct mgr_integration *mgr_integration_conf_vt(const struct mgr_integration_conf *c)
{
	for (size_t k = 0; k < c->n; k++)
		if (c->items[k].kind == MGR_INT_VIRUSTOTAL)
			return &c->items[k];
	return NULL;
}

void mgr_integration_conf_free(struct mgr_integration_conf *c)
{
	for (size_t k = 0; k < c->n; k++)
		ic_int_free(&c->items[k]);
	vg_free(c->items);
	mgr_integration_conf_init(c);
}
