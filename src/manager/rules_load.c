/*
 * rules_load.c - Read Wazuh rule files into an immutable, compiled set.
 *
 * Three phases. (1) Discovery: the <ruleset> items (or the default layout)
 * become an ordered list of rule files and named CDB lists; a relative path
 * missing under HOME is looked up in the shipped ruleset root, so Wazuh's
 * default <ruleset> block works on an empty HOME. (2) Parsing: each file is
 * read by lib/conf (several top-level <group> and <var> elements), $VAR
 * references are substituted, each <rule> is compiled (patterns, lists,
 * description pieces, mitre) into a struct rules_rule. (3) Linking: if_sid /
 * if_group become child arrays (ordered as Wazuh inserts them: by level,
 * highest first, stable), cycles are refused, and if_matched_* rules get
 * the frequency history they search and the rules that feed it.
 *
 * Every error names FILE:LINE; the first one stops the load and nothing is
 * returned, so a reload with a broken file keeps the running set.
 * Single-threaded; the result is read-only.
 */
#include "manager/rules.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/conf.h"
#include "lib/hmap.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/rules_int.h"

#define RULES_MAX_VARS 1024
#define RULES_MAX_VALUE (64u * 1024u)
#define RULES_MAX_IF_SID 256
#define RULES_PATH_MAX 4096
#define RULES_MSG_HEAD_MAX 128 /* a message head: a code constant and an escaped word */

/* Elements of <rule> Vigie implements. */
static const char *const ld_elements[] = {
    "match",    "regex",          "decoded_as",       "category",
    "field",    "list",           "location",         "description",
    "group",    "mitre",          "options",          "if_sid",
    "if_group", "if_matched_sid", "if_matched_group", "info",
};

/* Elements of a Wazuh 4.x <rule> Vigie does not implement: the rule is skipped. */
static const char *const ld_unimplemented[] = {
    "srcip",
    "dstip",
    "srcport",
    "dstport",
    "user",
    "srcuser",
    "dstuser",
    "program_name",
    "hostname",
    "time",
    "weekday",
    "id",
    "url",
    "action",
    "status",
    "system_name",
    "protocol",
    "data",
    "extra_data",
    "srcgeoip",
    "dstgeoip",
    "if_level",
    "if_matched_regex",
    "if_fts",
    "same_source_ip",
    "same_srcip",
    "same_id",
    "same_user",
    "same_srcuser",
    "same_dstuser",
    "same_location",
    "same_srcport",
    "same_dstport",
    "same_protocol",
    "same_action",
    "same_url",
    "same_data",
    "same_extra_data",
    "same_status",
    "same_system_name",
    "same_program_name",
    "same_agent",
    "same_field",
    "not_same_source_ip",
    "not_same_user",
    "not_same_agent",
    "not_same_id",
    "not_same_field",
    "different_url",
    "different_srcip",
    "different_srcgeoip",
    "different_field",
    "global_frequency",
    "check_diff",
    "check_if_ignored",
    "ignore",
    "compiled_rule",
    "cve",
    "fts",
    "different_srcuser",
    "different_dstuser",
    "different_id",
    "different_location",
    "different_protocol",
};

static const char *const ld_rule_attrs[] = {"id",        "level",     "maxsize",
					    "frequency", "timeframe", "ignore",
					    "overwrite", "noalert",   "accuracy"};

static const char *const ld_options[] = {"no_full_log", "alert_by_email", "no_email_alert",
					 "no_counter",  "no_log",         "no_ar"};

struct ld_var {
	char *name;
	char *value;
};

struct ld {
	struct rules_set *set;
	struct vg_hmap *ids;     /* id (unsigned) -> index + 1 */
	struct vg_hmap *skipped; /* ids of rules skipped for an unimplemented element */
	struct vg_hmap *mitre_warned;
	size_t n_vars;
	struct ld_var vars[RULES_MAX_VARS];
};

/* Small helpers ---------------------------------------------------------- */

static void *ld_idx_val(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

static long ld_lookup_id(struct vg_hmap *m, unsigned id)
{
	void *v = vg_hmap_get(m, &id, sizeof(id));
	return v != NULL ? (long)((uintptr_t)v - 1) : -1;
}

static int ld_err(const struct vg_conf_node *n, struct vg_err *err, unsigned id, const char *fmt,
		  const char *a, const char *b) VG_PRINTF(4, 0);

/* "FILE:LINE: rule ID: " + message (a and b are two escaped strings; a may
 * be a head built of a code constant and an untrusted word). */
static int ld_err(const struct vg_conf_node *n, struct vg_err *err, unsigned id, const char *fmt,
		  const char *a, const char *b)
{
	char msg[256];
	char ea[RULES_MSG_HEAD_MAX], eb[72];

	vg_escape(ea, sizeof(ea), a != NULL ? a : "", a != NULL ? strlen(a) : 0);
	vg_escape(eb, sizeof(eb), b != NULL ? b : "", b != NULL ? strlen(b) : 0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(msg, sizeof(msg), fmt, ea, eb);
#pragma GCC diagnostic pop
	if (id != 0)
		return vg_conf_error(n, err, "rule %u: %s", id, msg);
	return vg_conf_error(n, err, "%s", msg);
}

static bool ld_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static int ld_unknown(const struct vg_conf_node *n, struct vg_err *err, unsigned id,
		      const char *what, const char *word, const char *const *cands, size_t nc)
{
	const char *hint = vg_conf_hint(word, cands, nc);
	char head[RULES_MSG_HEAD_MAX];

	snprintf(head, sizeof(head), "unknown %s %s", what, word);
	return ld_err(n, err, id, hint != NULL ? "%s; did you mean %s?" : "%s%s", head,
		      hint != NULL ? hint : "");
}

/* $VAR substitution, as Wazuh's XML reader does: a '$' followed by the name
 * of a variable defined in the file is replaced; anything else stays. */
static char *ld_subst(const struct ld *ld, const char *s)
{
	struct vg_buf b = VG_BUF_INIT(RULES_MAX_VALUE);
	const char *p = s;

	if (strchr(s, '$') == NULL || ld->n_vars == 0)
		return vg_xstrdup(s);
	while (*p != '\0') {
		const struct ld_var *hit = NULL;
		if (*p == '$') {
			size_t len = 1;
			while (p[len] == '_' || (p[len] >= 'a' && p[len] <= 'z') ||
			       (p[len] >= 'A' && p[len] <= 'Z') || (p[len] >= '0' && p[len] <= '9'))
				len++;
			for (size_t i = 0; i < ld->n_vars && len > 1; i++)
				if (strlen(ld->vars[i].name) == len - 1 &&
				    memcmp(ld->vars[i].name, p + 1, len - 1) == 0)
					hit = &ld->vars[i];
			if (hit != NULL) {
				if (vg_buf_puts(&b, hit->value) != 0)
					break;
				p += len;
				continue;
			}
		}
		if (vg_buf_putc(&b, *p++) != 0)
			break;
	}
	char *r = vg_xstrdup(b.data != NULL ? b.data : "");
	vg_buf_free(&b);
	return r;
}

static int ld_u32(const struct vg_conf_node *n, struct vg_err *err, unsigned id, const char *what,
		  const char *v, uint64_t min, uint64_t max, unsigned *out)
{
	uint64_t u = 0;

	if (vg_parse_u64(v, max, &u) != 0 || u < min) {
		char head[RULES_MSG_HEAD_MAX];
		snprintf(head, sizeof(head), "%s: expected a number in %llu..%llu", what,
			 (unsigned long long)min, (unsigned long long)max);
		return ld_err(n, err, id, "%s, got \"%s\"", head, v);
	}
	*out = (unsigned)u;
	return 0;
}

/* Patterns ---------------------------------------------------------------- */

static void ld_pat_free(struct rules_pat *p)
{
	if (p == NULL)
		return;
	vg_osmatch_free(p->om);
	vg_osregex_free(p->orx);
	pcre2_code_free(p->pc);
	vg_free(p);
}

static int ld_pat_kind(const struct vg_conf_node *n, struct vg_err *err, unsigned id,
		       enum rules_pat_kind *kind)
{
	const char *t = vg_conf_node_attr(n, "type");
	static const char *const kinds[] = {"osmatch", "osregex", "pcre2"};

	if (t == NULL)
		return 0;
	for (size_t i = 0; i < VG_ARRAY_LEN(kinds); i++)
		if (strcasecmp(t, kinds[i]) == 0) {
			*kind = (enum rules_pat_kind)i;
			return 0;
		}
	return ld_unknown(n, err, id, "type=", t, kinds, VG_ARRAY_LEN(kinds));
}

static int ld_pat_compile(const struct vg_conf_node *n, struct vg_err *err, unsigned id,
			  const char *pattern, struct rules_pat *p)
{
	struct vg_err e = VG_ERR_INIT;
	int rc = 0;

	if (p->kind == RULES_PAT_OSMATCH)
		rc = vg_osmatch_compile(pattern, &p->om, &e);
	else if (p->kind == RULES_PAT_OSREGEX)
		rc = vg_osregex_compile(pattern, &p->orx, &e);
	else {
		int code = 0;
		PCRE2_SIZE off = 0;
		p->pc =
		    pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
		if (p->pc == NULL) {
			PCRE2_UCHAR buf[120];
			pcre2_get_error_message(code, buf, sizeof(buf));
			snprintf(e.msg, sizeof(e.msg), "at offset %zu: %s", (size_t)off,
				 (const char *)buf);
			rc = VG_EPARSE;
		}
	}
	if (rc != 0) {
		char esc[96];
		vg_escape(esc, sizeof(esc), pattern, strlen(pattern));
		return vg_conf_error(n, err, "rule %u: <%s>: bad pattern \"%s\": %s", id,
				     vg_conf_node_name(n), esc, e.msg);
	}
	return 0;
}

/* Compile a pattern element; type= and negate= as Wazuh reads them. */
static int ld_pat(const struct vg_conf_node *n, struct vg_err *err, unsigned id,
		  const char *pattern, enum rules_pat_kind dflt, struct rules_pat **out)
{
	struct rules_pat *p = vg_xcalloc(1, sizeof(*p));
	const char *neg = vg_conf_node_attr(n, "negate");
	int rc;

	p->kind = dflt;
	rc = ld_pat_kind(n, err, id, &p->kind);
	if (rc == 0 && neg != NULL)
		rc = vg_conf_yesno(n, neg, "negate", &p->negate, err);
	if (rc == 0 && *pattern == '\0')
		rc = vg_conf_error(n, err, "rule %u: <%s> is empty", id, vg_conf_node_name(n));
	if (rc == 0)
		rc = ld_pat_compile(n, err, id, pattern, p);
	if (rc != 0) {
		ld_pat_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* Freeing ----------------------------------------------------------------- */

static void ld_rule_free(struct rules_rule *r)
{
	if (r == NULL)
		return;
	vg_free(r->file);
	vg_free(r->decoded_as);
	vg_free(r->category);
	ld_pat_free(r->match);
	ld_pat_free(r->regex);
	ld_pat_free(r->location);
	for (size_t i = 0; i < r->n_fields; i++) {
		vg_free(r->fields[i].name);
		vg_osmatch_free(r->fields[i].pat.om);
		vg_osregex_free(r->fields[i].pat.orx);
		pcre2_code_free(r->fields[i].pat.pc);
	}
	vg_free(r->fields);
	for (size_t i = 0; i < r->n_lists; i++) {
		vg_free(r->lists[i].field);
		vg_osmatch_free(r->lists[i].check);
	}
	vg_free(r->lists);
	vg_free(r->if_sid);
	vg_free(r->if_group);
	vg_osmatch_free(r->if_matched_group);
	vg_free(r->children);
	vg_free(r->feeds);
	vg_free(r->groups);
	vg_free(r->description);
	for (size_t i = 0; i < r->n_desc; i++)
		vg_free(r->desc[i].text);
	vg_free(r->desc);
	for (size_t i = 0; i < r->info.n_mitre; i++)
		vg_free(r->mitre_ids[i]);
	vg_free(r->mitre_ids);
	vg_free(r->mitre_techniques);
	vg_free(r->mitre_tactics);
	vg_free(r);
}

void rules_set_free(struct rules_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		ld_rule_free(set->rules[i]);
	vg_free(set->rules);
	vg_free(set->top);
	for (size_t i = 0; i < set->n_lists; i++) {
		vg_free(set->list_names[i]);
		vg_cdblist_free(set->lists[i]);
	}
	vg_free(set->list_names);
	vg_free(set->lists);
	vg_free(set->hist_cap);
	mitre_free(set->mitre);
	vg_free(set);
}

size_t rules_set_count(const struct rules_set *set)
{
	return set != NULL ? set->n : 0;
}

size_t rules_set_list_count(const struct rules_set *set)
{
	return set != NULL ? set->n_lists : 0;
}

/* One rule's elements ---------------------------------------------------- */

static int ld_if_sid(struct rules_rule *r, const struct vg_conf_node *n, const char *text,
		     struct vg_err *err)
{
	const char *p = text;

	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		char num[16];
		size_t len = strspn(p, "0123456789");
		if (len == 0 || len >= sizeof(num) ||
		    (p[len] != '\0' && strchr(", \t\r\n", p[len]) == NULL))
			return ld_err(n, err, r->id, "<if_sid>: expected rule ids, got \"%s\"%s",
				      text, "");
		memcpy(num, p, len);
		num[len] = '\0';
		unsigned v = 0;
		int rc = ld_u32(n, err, r->id, "<if_sid>", num, 1, UINT32_MAX, &v);
		if (rc != 0)
			return rc;
		if (r->n_if_sid == RULES_MAX_IF_SID)
			return vg_conf_error(n, err, "rule %u: <if_sid>: too many ids", r->id);
		r->if_sid = vg_xreallocarray(r->if_sid, r->n_if_sid + 1, sizeof(*r->if_sid));
		r->if_sid[r->n_if_sid++] = v;
		p += len;
	}
	if (r->n_if_sid == 0)
		return vg_conf_error(n, err, "rule %u: <if_sid> is empty", r->id);
	return 0;
}

static int ld_field(struct rules_rule *r, const struct vg_conf_node *n, const char *text,
		    struct vg_err *err)
{
	const char *name = vg_conf_node_attr(n, "name");
	struct rules_pat *p = NULL;

	if (name == NULL || *name == '\0')
		return vg_conf_error(n, err, "rule %u: <field> needs name=", r->id);
	int rc = ld_pat(n, err, r->id, text, RULES_PAT_OSREGEX, &p);
	if (rc != 0)
		return rc;
	r->fields = vg_xreallocarray(r->fields, r->n_fields + 1, sizeof(*r->fields));
	r->fields[r->n_fields].name = vg_xstrdup(name);
	r->fields[r->n_fields].pat = *p;
	r->n_fields++;
	vg_free(p); /* contents transferred */
	return 0;
}

static int ld_list(struct ld *ld, struct rules_rule *r, const struct vg_conf_node *n,
		   const char *text, struct vg_err *err)
{
	const char *field = vg_conf_node_attr(n, "field");
	const char *lookup = vg_conf_node_attr(n, "lookup");
	const char *check = vg_conf_node_attr(n, "check_value");
	struct rules_listref ref = {0};
	struct vg_err e = VG_ERR_INIT;

	if (field == NULL || *field == '\0')
		return vg_conf_error(n, err, "rule %u: <list> needs field=", r->id);
	if (lookup != NULL && vg_cdblist_lookup_parse(lookup, &ref.how, &e) != 0)
		return ld_err(n, err, r->id, "<list>: unknown lookup=\"%s\"%s", lookup, "");
	for (size_t i = 0; i < ld->set->n_lists && ref.list == NULL; i++)
		if (strcmp(ld->set->list_names[i], text) == 0)
			ref.list = ld->set->lists[i];
	if (ref.list == NULL)
		return ld_err(n, err, r->id,
			      "<list>: list \"%s\" is not declared in <ruleset> or was not "
			      "found%s",
			      text, "");
	if (check != NULL && vg_osmatch_compile(check, &ref.check, &e) != 0)
		return ld_err(n, err, r->id, "<list>: bad check_value \"%s\"%s", check, "");
	ref.field = vg_xstrdup(field);
	r->lists = vg_xreallocarray(r->lists, r->n_lists + 1, sizeof(*r->lists));
	r->lists[r->n_lists++] = ref; /* transferred */
	return 0;
}

static int ld_options_el(struct rules_rule *r, const struct vg_conf_node *n, const char *text,
			 struct vg_err *err)
{
	const char *s = text;
	const char *item = NULL;
	size_t len = 0;

	while (vg_str_next_item(&s, &item, &len)) {
		char opt[32];
		if (len >= sizeof(opt))
			return ld_err(n, err, r->id, "<options>: unknown option \"%s\"%s", text,
				      "");
		memcpy(opt, item, len);
		opt[len] = '\0';
		if (strcmp(opt, "no_full_log") == 0)
			r->info.no_full_log = true;
		else if (strcmp(opt, "no_counter") == 0)
			r->info.no_counter = true;
		else if (strcmp(opt, "alert_by_email") == 0)
			r->alert_by_email = true;
		else if (strcmp(opt, "no_email_alert") == 0)
			r->no_email_alert = true;
		else if (strcmp(opt, "no_log") == 0)
			r->no_log = true;
		else if (strcmp(opt, "no_ar") != 0)
			return ld_unknown(n, err, r->id, "option", opt, ld_options,
					  VG_ARRAY_LEN(ld_options));
	}
	return 0;
}

static int ld_mitre(struct rules_rule *r, const struct vg_conf_node *n, struct vg_err *err)
{
	for (const struct vg_conf_node *c = vg_conf_node_first(n); c != NULL;
	     c = vg_conf_node_next(c)) {
		if (strcmp(vg_conf_node_name(c), "id") != 0)
			return ld_err(c, err, r->id,
				      "<mitre>: unknown element <%s>; expected <id>%s",
				      vg_conf_node_name(c), "");
		if (*vg_conf_node_text(c) == '\0')
			return vg_conf_error(c, err, "rule %u: <mitre><id> is empty", r->id);
		r->mitre_ids =
		    vg_xreallocarray(r->mitre_ids, r->info.n_mitre + 1, sizeof(*r->mitre_ids));
		r->mitre_ids[r->info.n_mitre++] = vg_xstrdup(vg_conf_node_text(c));
	}
	return 0;
}

/* Split the description into literal text and $(field) references. */
static void ld_description(struct rules_rule *r)
{
	const char *p = r->description;

	if (strstr(p, "$(") == NULL)
		return;
	while (*p != '\0') {
		const char *open = strstr(p, "$(");
		const char *close = open != NULL ? strchr(open + 2, ')') : NULL;
		size_t lit = close != NULL ? (size_t)(open - p) : strlen(p);
		if (lit > 0) {
			r->desc = vg_xreallocarray(r->desc, r->n_desc + 1, sizeof(*r->desc));
			r->desc[r->n_desc++] = (struct rules_desc_part){vg_xstrndup(p, lit), false};
		}
		if (close == NULL)
			break;
		r->desc = vg_xreallocarray(r->desc, r->n_desc + 1, sizeof(*r->desc));
		r->desc[r->n_desc++] = (struct rules_desc_part){
		    vg_xstrndup(open + 2, (size_t)(close - open - 2)), true};
		p = close + 1;
	}
}

/* Append text to a pattern accumulated over repeated elements ('|' joins them,
 * as Wazuh joins several <match> or <regex> of one rule). */
static void ld_join(char **acc, const char *text)
{
	char *n = *acc == NULL ? vg_xstrdup(text) : vg_xasprintf("%s|%s", *acc, text);
	vg_free(*acc);
	*acc = n;
}

struct ld_pending {
	char *match, *regex, *location;
	const struct vg_conf_node *match_n, *regex_n, *location_n;
};

static int ld_element(struct ld *ld, struct rules_rule *r, const struct vg_conf_node *c,
		      struct ld_pending *pend, struct vg_err *err)
{
	const char *name = vg_conf_node_name(c);
	char *text = ld_subst(ld, vg_conf_node_text(c));
	int rc = 0;

	if (strcmp(name, "match") == 0) {
		ld_join(&pend->match, text);
		pend->match_n = c;
	} else if (strcmp(name, "regex") == 0) {
		ld_join(&pend->regex, text);
		pend->regex_n = c;
	} else if (strcmp(name, "location") == 0) {
		ld_join(&pend->location, text);
		pend->location_n = c;
	} else if (strcmp(name, "decoded_as") == 0) {
		vg_free(r->decoded_as);
		r->decoded_as = vg_xstrdup(text);
	} else if (strcmp(name, "category") == 0) {
		vg_free(r->category);
		r->category = vg_xstrdup(text);
	} else if (strcmp(name, "field") == 0) {
		rc = ld_field(r, c, text, err);
	} else if (strcmp(name, "list") == 0) {
		rc = ld_list(ld, r, c, text, err);
	} else if (strcmp(name, "description") == 0) {
		char *d = r->description != NULL ? vg_xasprintf("%s%s", r->description, text)
						 : vg_xstrdup(text);
		vg_free(r->description);
		r->description = d;
	} else if (strcmp(name, "group") == 0) {
		char *g = vg_xasprintf("%s%s", r->groups, text);
		vg_free(r->groups);
		r->groups = g;
	} else if (strcmp(name, "mitre") == 0) {
		rc = ld_mitre(r, c, err);
	} else if (strcmp(name, "options") == 0) {
		rc = ld_options_el(r, c, text, err);
	} else if (strcmp(name, "if_sid") == 0) {
		rc = ld_if_sid(r, c, text, err);
	} else if (strcmp(name, "if_group") == 0) {
		vg_free(r->if_group);
		r->if_group = vg_xstrdup(text);
	} else if (strcmp(name, "if_matched_sid") == 0) {
		rc = ld_u32(c, err, r->id, "<if_matched_sid>", text, 1, UINT32_MAX,
			    &r->if_matched_sid);
		r->has_context = true;
	} else if (strcmp(name, "if_matched_group") == 0) {
		struct vg_err e = VG_ERR_INIT;
		vg_osmatch_free(r->if_matched_group);
		r->if_matched_group = NULL;
		if (vg_osmatch_compile(text, &r->if_matched_group, &e) != 0)
			rc = ld_err(c, err, r->id, "<if_matched_group>: bad pattern \"%s\"%s", text,
				    "");
		r->has_context = true;
	}
	/* "info" is documentation only: nothing to check. */
	vg_free(text);
	return rc;
}

static int ld_finish_patterns(struct rules_rule *r, struct ld_pending *p, struct vg_err *err)
{
	int rc = 0;

	if (p->match != NULL)
		rc = ld_pat(p->match_n, err, r->id, p->match, RULES_PAT_OSMATCH, &r->match);
	if (rc == 0 && p->regex != NULL)
		rc = ld_pat(p->regex_n, err, r->id, p->regex, RULES_PAT_OSREGEX, &r->regex);
	if (rc == 0 && p->location != NULL)
		rc =
		    ld_pat(p->location_n, err, r->id, p->location, RULES_PAT_OSMATCH, &r->location);
	vg_free(p->match);
	vg_free(p->regex);
	vg_free(p->location);
	return rc;
}

/* First unimplemented or unknown element of a rule: 1 skip, <0 error, 0 none. */
static int ld_check_elements(const struct vg_conf_node *rn, unsigned id, struct vg_err *err)
{
	for (const struct vg_conf_node *c = vg_conf_node_first(rn); c != NULL;
	     c = vg_conf_node_next(c)) {
		const char *name = vg_conf_node_name(c);
		if (ld_in(name, ld_elements, VG_ARRAY_LEN(ld_elements)))
			continue;
		if (ld_in(name, ld_unimplemented, VG_ARRAY_LEN(ld_unimplemented))) {
			vg_log_warn("%s:%ld: rule %u not loaded: Vigie does not implement <%s> "
				    "(ignoring it would widen the rule)",
				    vg_conf_node_file(c), vg_conf_node_line(c), id, name);
			return 1;
		}
		const char *all[VG_ARRAY_LEN(ld_elements) + VG_ARRAY_LEN(ld_unimplemented)];
		memcpy(all, ld_elements, sizeof(ld_elements));
		memcpy(all + VG_ARRAY_LEN(ld_elements), ld_unimplemented, sizeof(ld_unimplemented));
		return ld_unknown(c, err, id, "element", name, all, VG_ARRAY_LEN(all));
	}
	return 0;
}

static int ld_attrs(struct ld *ld, struct rules_rule *r, const struct vg_conf_node *rn,
		    bool *overwrite, struct vg_err *err)
{
	const char *an = NULL, *av = NULL;
	int rc = 0;
	unsigned freq = 0;
	bool has_freq = false;

	for (size_t i = 0; rc == 0 && vg_conf_node_attr_at(rn, i, &an, &av); i++) {
		char *v = ld_subst(ld, av);
		if (strcmp(an, "id") == 0)
			rc = ld_u32(rn, err, 0, "rule id=", v, 1, 9999999, &r->id);
		else if (strcmp(an, "level") == 0)
			rc = ld_u32(rn, err, r->id, "level=", v, 0, 16, &r->level);
		else if (strcmp(an, "maxsize") == 0)
			rc = ld_u32(rn, err, r->id, "maxsize=", v, 1, 9999, &r->maxsize);
		else if (strcmp(an, "frequency") == 0) {
			rc = ld_u32(rn, err, r->id, "frequency=", v, 2, 9999, &freq);
			has_freq = true;
		} else if (strcmp(an, "timeframe") == 0)
			rc = ld_u32(rn, err, r->id, "timeframe=", v, 1, 99999, &r->timeframe);
		else if (strcmp(an, "ignore") == 0)
			rc = ld_u32(rn, err, r->id, "ignore=", v, 1, 999999, &r->ignore);
		else if (strcmp(an, "overwrite") == 0)
			rc = vg_conf_yesno(rn, v, "overwrite=", overwrite, err);
		else if (strcmp(an, "noalert") == 0)
			r->noalert = true; /* Wazuh: any value ("1", "yes") */
		else if (strcmp(an, "accuracy") != 0)
			rc = ld_unknown(rn, err, r->id, "attribute", an, ld_rule_attrs,
					VG_ARRAY_LEN(ld_rule_attrs));
		vg_free(v);
	}
	if (rc == 0 && r->id == 0)
		rc = vg_conf_error(rn, err, "<rule> needs id=");
	if (rc == 0 && vg_conf_node_attr(rn, "level") == NULL)
		rc = vg_conf_error(rn, err, "rule %u: <rule> needs level=", r->id);
	r->frequency = has_freq ? freq - 2 : 0;
	return rc;
}

static void ld_resolve_mitre(struct ld *ld, struct rules_rule *r)
{
	size_t n = r->info.n_mitre;

	if (n == 0)
		return;
	r->mitre_techniques = vg_xcalloc(n, sizeof(*r->mitre_techniques));
	r->mitre_tactics = vg_xcalloc(n * 32 + 1, sizeof(*r->mitre_tactics));
	for (size_t i = 0; i < n; i++) {
		const struct mitre_technique *t = mitre_get(ld->set->mitre, r->mitre_ids[i]);
		if (t == NULL) {
			const char *id = r->mitre_ids[i];
			if (vg_hmap_get(ld->mitre_warned, id, strlen(id)) == NULL) {
				vg_log_warn("%s:%ld: rule %u: unknown MITRE technique %s "
					    "(kept, without name or tactic)",
					    r->file, r->line, r->id, id);
				vg_hmap_put(ld->mitre_warned, id, strlen(id), ld);
			}
			continue;
		}
		r->mitre_techniques[i] = t->name;
		for (size_t k = 0; k < t->n_tactics; k++) {
			bool seen = false;
			for (size_t j = 0; j < r->info.n_tactics && !seen; j++)
				seen = strcmp(r->mitre_tactics[j], t->tactics[k]) == 0;
			if (!seen && r->info.n_tactics < n * 32)
				r->mitre_tactics[r->info.n_tactics++] = t->tactics[k];
		}
	}
	r->info.mitre_ids = (const char *const *)r->mitre_ids;
	r->info.mitre_techniques = r->mitre_techniques;
	r->info.mitre_tactics = r->mitre_tactics;
}

/* Place r in the set: a new id, or overwrite="yes" of an existing one.
 * r is transferred: freed on failure. */
static int ld_add_rule(struct ld *ld, struct rules_rule *r, bool overwrite,
		       const struct vg_conf_node *rn, struct vg_err *err)
{
	struct rules_set *set = ld->set;
	long at = ld_lookup_id(ld->ids, r->id);

	if (at >= 0 && !overwrite) {
		const struct rules_rule *o = set->rules[at];
		int rc = vg_conf_error(rn, err,
				       "rule %u: duplicated id (first defined at %s:%ld); use "
				       "overwrite=\"yes\" to replace it",
				       r->id, o->file, o->line);
		ld_rule_free(r);
		return rc;
	}
	if (at >= 0) {
		/* Wazuh keeps the overwritten rule's place in the tree: its parents. */
		struct rules_rule *o = set->rules[at];
		vg_free(r->if_sid);
		vg_free(r->if_group);
		r->if_sid = o->if_sid;
		r->n_if_sid = o->n_if_sid;
		r->if_group = o->if_group;
		o->if_sid = NULL;
		o->if_group = NULL;
		o->n_if_sid = 0;
		ld_rule_free(o);
		set->rules[at] = r; /* transferred */
		return 0;
	}
	if (set->n >= RULES_MAX_RULES) {
		ld_rule_free(r);
		return vg_conf_error(rn, err, "more than %d rules", RULES_MAX_RULES);
	}
	set->rules = vg_xreallocarray(set->rules, set->n + 1, sizeof(*set->rules));
	set->rules[set->n] = r; /* transferred */
	unsigned id = r->id;
	vg_hmap_put(ld->ids, &id, sizeof(id), ld_idx_val(set->n));
	set->n++;
	return 0;
}

static int ld_rule(struct ld *ld, const struct vg_conf_node *rn, const char *group_name,
		   struct vg_err *err)
{
	struct rules_rule *r = vg_xcalloc(1, sizeof(*r));
	struct ld_pending pend = {0};
	bool overwrite = false;
	int rc;

	r->file = vg_xstrdup(vg_conf_node_file(rn));
	r->line = vg_conf_node_line(rn);
	r->groups = vg_xstrdup(group_name);
	r->search = -1;
	rc = ld_attrs(ld, r, rn, &overwrite, err);
	if (rc == 0) {
		rc = ld_check_elements(rn, r->id, err);
		if (rc == 1) { /* unimplemented: skipped, and so are its descendants */
			unsigned id = r->id;
			vg_hmap_put(ld->skipped, &id, sizeof(id), ld);
			ld_rule_free(r);
			return 0;
		}
	}
	for (const struct vg_conf_node *c = vg_conf_node_first(rn); rc == 0 && c != NULL;
	     c = vg_conf_node_next(c))
		rc = ld_element(ld, r, c, &pend, err);
	int prc = ld_finish_patterns(r, &pend, err);
	rc = rc != 0 ? rc : prc;
	if (rc == 0 && r->description == NULL)
		rc = vg_conf_error(rn, err, "rule %u: <description> is missing", r->id);
	if (rc == 0 && (r->frequency > 0 || r->timeframe > 0) && !r->has_context)
		rc = vg_conf_error(rn, err,
				   "rule %u: frequency/timeframe without <if_matched_sid> or "
				   "<if_matched_group>",
				   r->id);
	if (rc != 0) {
		ld_rule_free(r);
		return rc;
	}
	/* Wazuh: if_matched_sid / if_matched_group double as the parent. */
	if (r->if_matched_sid != 0 && r->n_if_sid == 0 && r->if_group == NULL) {
		r->if_sid = vg_xcalloc(1, sizeof(*r->if_sid));
		r->if_sid[0] = r->if_matched_sid;
		r->n_if_sid = 1;
	}
	if (r->if_matched_group != NULL && r->n_if_sid == 0 && r->if_group == NULL)
		r->if_group = vg_xstrdup(vg_osmatch_pattern(r->if_matched_group));
	ld_description(r);
	ld_resolve_mitre(ld, r);
	r->info.id = r->id;
	r->info.level = r->level;
	r->info.groups = r->groups;
	r->info.mail =
	    (r->level >= ld->set->email_alert_level || r->alert_by_email) && !r->no_email_alert;
	return ld_add_rule(ld, r, overwrite, rn, err);
}

static int ld_group(struct ld *ld, const struct vg_conf_node *g, struct vg_err *err)
{
	const char *an = NULL, *av = NULL;
	char *name = NULL;
	int rc = 0;

	for (size_t i = 0; vg_conf_node_attr_at(g, i, &an, &av); i++)
		if (strcmp(an, "name") != 0)
			return ld_err(g, err, 0, "<group>: unknown attribute %s%s", an, "");
	name =
	    ld_subst(ld, vg_conf_node_attr(g, "name") != NULL ? vg_conf_node_attr(g, "name") : "");
	for (const struct vg_conf_node *c = vg_conf_node_first(g); rc == 0 && c != NULL;
	     c = vg_conf_node_next(c)) {
		if (strcmp(vg_conf_node_name(c), "rule") == 0)
			rc = ld_rule(ld, c, name, err);
		else {
			static const char *const cands[] = {"rule"};
			rc = ld_unknown(c, err, 0, "element in <group>:", vg_conf_node_name(c),
					cands, 1);
		}
	}
	vg_free(name);
	return rc;
}

static void ld_vars_clear(struct ld *ld)
{
	for (size_t i = 0; i < ld->n_vars; i++) {
		vg_free(ld->vars[i].name);
		vg_free(ld->vars[i].value);
	}
	ld->n_vars = 0;
}

/* lib/conf callback: the file's top-level elements. */
static int ld_file_root(void *ctx, const struct vg_conf_node *root, struct vg_err *err)
{
	struct ld *ld = ctx;
	static const char *const top[] = {"group", "var"};
	int rc = 0;

	ld_vars_clear(ld);
	for (const struct vg_conf_node *c = vg_conf_node_first(root); c != NULL;
	     c = vg_conf_node_next(c)) {
		if (strcmp(vg_conf_node_name(c), "var") != 0)
			continue;
		const char *name = vg_conf_node_attr(c, "name");
		if (name == NULL || *name == '\0')
			return vg_conf_error(c, err, "<var> needs name=");
		if (ld->n_vars == RULES_MAX_VARS)
			return vg_conf_error(c, err, "more than %d <var>", RULES_MAX_VARS);
		ld->vars[ld->n_vars].name = vg_xstrdup(name);
		ld->vars[ld->n_vars].value = vg_xstrdup(vg_conf_node_text(c));
		ld->n_vars++;
	}
	for (const struct vg_conf_node *c = vg_conf_node_first(root); rc == 0 && c != NULL;
	     c = vg_conf_node_next(c)) {
		const char *name = vg_conf_node_name(c);
		if (strcmp(name, "group") == 0)
			rc = ld_group(ld, c, err);
		else if (strcmp(name, "rule") == 0)
			rc = ld_rule(ld, c, "", err);
		else if (strcmp(name, "var") != 0)
			rc = ld_unknown(c, err, 0, "top-level element", name, top,
					VG_ARRAY_LEN(top));
	}
	ld_vars_clear(ld);
	return rc;
}

/* Linking ----------------------------------------------------------------- */

/* Insert child into a try-order list as Wazuh does: before the first
 * sibling of a strictly lower level, so higher levels are tried first and
 * equal levels keep load order. */
static void ld_insert(const struct rules_set *set, size_t **list, size_t *n, size_t child)
{
	size_t at = *n;

	for (size_t i = 0; i < *n; i++)
		if (set->rules[child]->level > set->rules[(*list)[i]]->level) {
			at = i;
			break;
		}
	*list = vg_xreallocarray(*list, *n + 1, sizeof(**list));
	memmove(*list + at + 1, *list + at, (*n - at) * sizeof(**list));
	(*list)[at] = child;
	(*n)++;
}

/* Drop rules whose if_sid names a skipped rule, transitively, then compact. */
static void ld_drop_skipped(struct ld *ld)
{
	struct rules_set *set = ld->set;
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < set->n; i++) {
			struct rules_rule *r = set->rules[i];
			for (size_t k = 0; r != NULL && k < r->n_if_sid; k++) {
				unsigned p = r->if_sid[k];
				if (vg_hmap_get(ld->skipped, &p, sizeof(p)) == NULL)
					continue;
				vg_log_warn("%s:%ld: rule %u not loaded: its parent %u was not "
					    "loaded",
					    r->file, r->line, r->id, p);
				unsigned id = r->id;
				vg_hmap_put(ld->skipped, &id, sizeof(id), ld);
				ld_rule_free(r);
				set->rules[i] = NULL;
				changed = true;
				break;
			}
		}
	}
	size_t w = 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->rules[i] != NULL)
			set->rules[w++] = set->rules[i];
	set->n = w;
	vg_hmap_free(ld->ids, NULL);
	ld->ids = vg_hmap_new();
	for (size_t i = 0; i < set->n; i++) {
		unsigned id = set->rules[i]->id;
		vg_hmap_put(ld->ids, &id, sizeof(id), ld_idx_val(i));
	}
}

static bool ld_icase_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = hay; *p != '\0'; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return n == 0;
}

static int ld_parents(struct ld *ld, size_t i, struct vg_err *err)
{
	struct rules_set *set = ld->set;
	struct rules_rule *r = set->rules[i];

	for (size_t k = 0; k < r->n_if_sid; k++) {
		long p = ld_lookup_id(ld->ids, r->if_sid[k]);
		if (p < 0)
			return vg_err_set(err, VG_EPARSE,
					  "%s:%ld: rule %u: if_sid %u: no such rule", r->file,
					  r->line, r->id, r->if_sid[k]);
		if ((size_t)p == i)
			return vg_err_set(err, VG_EPARSE,
					  "%s:%ld: rule %u: if_sid cycle: the rule is its own "
					  "parent",
					  r->file, r->line, r->id);
		struct rules_rule *pr = set->rules[p];
		ld_insert(set, &pr->children, &pr->n_children, i);
		r->has_parent = true;
	}
	if (r->n_if_sid == 0 && r->if_group != NULL) {
		/* Wazuh attaches to every rule already loaded whose groups hold it. */
		for (size_t p = 0; p < i; p++) {
			struct rules_rule *pr = set->rules[p];
			if (!ld_icase_contains(pr->groups, r->if_group))
				continue;
			ld_insert(set, &pr->children, &pr->n_children, i);
			r->has_parent = true;
		}
		if (!r->has_parent)
			return vg_err_set(err, VG_EPARSE,
					  "%s:%ld: rule %u: if_group %s: no earlier rule has "
					  "that group",
					  r->file, r->line, r->id, r->if_group);
	}
	return 0;
}

/* Depth-first search for a cycle; color: 0 new, 1 on the path, 2 done. */
static int ld_cycle(const struct rules_set *set, size_t i, unsigned char *color, struct vg_err *err)
{
	const struct rules_rule *r = set->rules[i];

	color[i] = 1;
	for (size_t k = 0; k < r->n_children; k++) {
		size_t c = r->children[k];
		if (color[c] == 1)
			return vg_err_set(
			    err, VG_EPARSE, "%s:%ld: rule %u: if_sid cycle through rule %u",
			    set->rules[c]->file, set->rules[c]->line, set->rules[c]->id, r->id);
		if (color[c] == 0) {
			int rc = ld_cycle(set, c, color, err);
			if (rc != 0)
				return rc;
		}
	}
	color[i] = 2;
	return 0;
}

static void ld_feed(struct rules_rule *r, size_t h)
{
	r->feeds = vg_xreallocarray(r->feeds, r->n_feeds + 1, sizeof(*r->feeds));
	r->feeds[r->n_feeds++] = h;
}

static size_t ld_new_hist(struct rules_set *set)
{
	set->hist_cap = vg_xreallocarray(set->hist_cap, set->n_hist + 1, sizeof(*set->hist_cap));
	set->hist_cap[set->n_hist] = 1;
	return set->n_hist++;
}

/* Histories: one per if_matched_sid target (shared, as Wazuh's
 * sid_prev_matched list), one per if_matched_group rule. */
static int ld_histories(struct ld *ld, struct vg_err *err)
{
	struct rules_set *set = ld->set;
	long *by_target = vg_xcalloc(set->n + 1, sizeof(*by_target));
	int rc = 0;

	for (size_t i = 0; i < set->n; i++)
		by_target[i] = -1;
	for (size_t i = 0; i < set->n && rc == 0; i++) {
		struct rules_rule *r = set->rules[i];
		if (r->if_matched_sid != 0) {
			long t = ld_lookup_id(ld->ids, r->if_matched_sid);
			if (t < 0) {
				rc = vg_err_set(err, VG_EPARSE,
						"%s:%ld: rule %u: if_matched_sid %u: no such rule",
						r->file, r->line, r->id, r->if_matched_sid);
				break;
			}
			if (by_target[t] < 0) {
				by_target[t] = (long)ld_new_hist(set);
				ld_feed(set->rules[t], (size_t)by_target[t]);
			}
			r->search = by_target[t];
		} else if (r->if_matched_group != NULL) {
			size_t h = ld_new_hist(set);
			r->search = (long)h;
			for (size_t x = 0; x < set->n; x++)
				if (vg_osmatch_test(r->if_matched_group, set->rules[x]->groups))
					ld_feed(set->rules[x], h);
		}
		if (r->search >= 0 && set->hist_cap[r->search] < r->frequency + 1)
			set->hist_cap[r->search] = r->frequency + 1;
	}
	vg_free(by_target);
	return rc;
}

static int ld_link(struct ld *ld, struct vg_err *err)
{
	struct rules_set *set = ld->set;
	unsigned char *color = NULL;
	int rc = 0;

	ld_drop_skipped(ld);
	for (size_t i = 0; i < set->n && rc == 0; i++)
		rc = ld_parents(ld, i, err);
	if (rc != 0)
		return rc;
	color = vg_xcalloc(set->n + 1, 1);
	for (size_t i = 0; i < set->n && rc == 0; i++)
		if (color[i] == 0)
			rc = ld_cycle(set, i, color, err);
	/* A cycle leaves no root to reach it from: check that everything was seen. */
	vg_free(color);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < set->n; i++)
		if (!set->rules[i]->has_parent)
			ld_insert(set, &set->top, &set->n_top, i);
	return ld_histories(ld, err);
}

/* Discovery --------------------------------------------------------------- */

struct ld_files {
	size_t n;
	char **paths;
	size_t n_lists;
	char **list_names;
	char **list_paths;
};

static void ld_files_free(struct ld_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		vg_free(f->paths[i]);
	vg_free(f->paths);
	for (size_t i = 0; i < f->n_lists; i++) {
		vg_free(f->list_names[i]);
		vg_free(f->list_paths[i]);
	}
	vg_free(f->list_names);
	vg_free(f->list_paths);
}

static bool ld_exists(const char *path, bool want_dir)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* Resolve a <ruleset> path: absolute as is; relative under HOME; else the
 * shipped root ("ruleset/X" -> ROOT/X, "etc/lists/X" -> ROOT/lists/X). */
static char *ld_resolve(const struct rules_opts *o, const char *p, bool want_dir)
{
	if (p[0] == '/')
		return ld_exists(p, want_dir) ? vg_xstrdup(p) : NULL;
	char *h = vg_xasprintf("%s/%s", o->home != NULL ? o->home : ".", p);
	if (ld_exists(h, want_dir))
		return h;
	vg_free(h);
	if (o->ruleset_root == NULL)
		return NULL;
	const char *rest = NULL;
	char *r = NULL;
	if (strncmp(p, "ruleset/", 8) == 0)
		rest = p + 8;
	else if (strncmp(p, "etc/lists/", 10) == 0 || strcmp(p, "etc/lists") == 0)
		rest = p + 4;
	if (rest != NULL)
		r = vg_xasprintf("%s/%s", o->ruleset_root, rest);
	if (r != NULL && ld_exists(r, want_dir))
		return r;
	vg_free(r);
	return NULL;
}

static int ld_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the regular files in dir accepted by re (NULL: *.xml). */
static void ld_scan(const char *dir, const struct vg_osregex *re, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (re != NULL ? !vg_osregex_test(re, e->d_name)
			       : (len < 4 || strcmp(e->d_name + len - 4, ".xml") != 0))
			continue;
		char *full = vg_xasprintf("%s/%s", dir, e->d_name);
		if (ld_exists(full, false)) {
			*out = vg_xreallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = full;
		} else {
			vg_free(full);
		}
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), ld_cmp);
}

static void ld_add_file(struct ld_files *f, char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->paths[i], path) == 0) {
			vg_free(path);
			return;
		}
	f->paths = vg_xreallocarray(f->paths, f->n + 1, sizeof(*f->paths));
	f->paths[f->n++] = path; /* transferred */
}

static void ld_add_list(struct ld_files *f, const char *name, char *path)
{
	for (size_t i = 0; i < f->n_lists; i++)
		if (strcmp(f->list_names[i], name) == 0) {
			vg_free(path);
			return;
		}
	f->list_names = vg_xreallocarray(f->list_names, f->n_lists + 1, sizeof(*f->list_names));
	f->list_paths = vg_xreallocarray(f->list_paths, f->n_lists + 1, sizeof(*f->list_paths));
	f->list_names[f->n_lists] = vg_xstrdup(name);
	f->list_paths[f->n_lists++] = path; /* transferred */
}

static bool ld_excluded(const struct ruleset_conf *c, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	for (size_t i = 0; i < c->n; i++) {
		const struct ruleset_item *it = &c->items[i];
		if (it->kind != RULESET_RULE_EXCLUDE)
			continue;
		const char *eb = strrchr(it->path, '/');
		if (strcmp(it->path, base) == 0 ||
		    (eb != NULL && strcmp(eb + 1, base) == 0 && strlen(path) >= strlen(it->path) &&
		     strcmp(path + strlen(path) - strlen(it->path), it->path) == 0))
			return true;
	}
	return false;
}

static int ld_conf_item(const struct rules_opts *o, const struct ruleset_item *it,
			struct ld_files *f, struct vg_err *err)
{
	if (it->kind == RULESET_LIST) {
		char *p = ld_resolve(o, it->path, false);
		if (p == NULL)
			vg_log_warn("%s:%ld: <list> %s: not found under HOME or the shipped "
				    "ruleset; rules using it will fail to load",
				    it->file, it->line, it->path);
		else
			ld_add_list(f, it->path, p);
		return 0;
	}
	if (it->kind == RULESET_RULE_INCLUDE) {
		char *p = ld_resolve(o, it->path, false);
		if (p == NULL)
			return vg_err_set(err, VG_ENOTFOUND, "%s:%ld: <rule_include> %s: not found",
					  it->file, it->line, it->path);
		ld_add_file(f, p);
		return 0;
	}
	if (it->kind != RULESET_RULE_DIR)
		return 0;
	char *dir = ld_resolve(o, it->path, true);
	struct vg_osregex *re = NULL;
	struct vg_err e = VG_ERR_INIT;
	if (it->pattern != NULL && vg_osregex_compile(it->pattern, &re, &e) != 0) {
		vg_free(dir);
		return vg_err_set(err, VG_EPARSE, "%s:%ld: <rule_dir pattern=>: %s", it->file,
				  it->line, e.msg);
	}
	if (dir == NULL) {
		if (strcmp(it->path, "etc/rules") != 0) /* usually absent on a fresh HOME */
			vg_log_warn("%s:%ld: <rule_dir> %s: no such directory", it->file, it->line,
				    it->path);
	} else {
		char **names = NULL;
		size_t n = 0;
		ld_scan(dir, re, &names, &n);
		for (size_t i = 0; i < n; i++)
			ld_add_file(f, names[i]); /* transferred */
		vg_free(names);
	}
	vg_osregex_free(re);
	vg_free(dir);
	return 0;
}

/* Every regular file under dir, recursively, as list "etc/lists/<rel>". */
static void ld_scan_lists(struct ld_files *f, const char *dir, const char *rel, int depth)
{
	DIR *d = depth < 8 ? opendir(dir) : NULL;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || (len > 4 && strcmp(e->d_name + len - 4, ".cdb") == 0))
			continue;
		names = vg_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = vg_xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), ld_cmp);
	for (size_t i = 0; i < n; i++) {
		char *full = vg_xasprintf("%s/%s", dir, names[i]);
		char *name = vg_xasprintf("%s/%s", rel, names[i]);
		if (ld_exists(full, true)) {
			ld_scan_lists(f, full, name, depth + 1);
			vg_free(full);
		} else if (ld_exists(full, false)) {
			ld_add_list(f, name, full); /* transferred */
		} else {
			vg_free(full);
		}
		vg_free(name);
		vg_free(names[i]);
	}
	vg_free(names);
}

static void ld_default_files(const struct rules_opts *o, struct ld_files *f)
{
	char *dirs[2] = {NULL, NULL};
	char *ldirs[2] = {NULL, NULL};

	if (o->home != NULL) {
		ldirs[0] = vg_xasprintf("%s/etc/lists", o->home); /* HOME first: it wins */
		dirs[1] = vg_xasprintf("%s/etc/rules", o->home);
	}
	if (o->ruleset_root != NULL) {
		dirs[0] = vg_xasprintf("%s/rules", o->ruleset_root);
		ldirs[1] = vg_xasprintf("%s/lists", o->ruleset_root);
	}
	for (size_t k = 0; k < 2; k++) {
		char **names = NULL;
		size_t n = 0;
		if (dirs[k] != NULL)
			ld_scan(dirs[k], NULL, &names, &n);
		for (size_t i = 0; i < n; i++)
			ld_add_file(f, names[i]); /* transferred */
		vg_free(names);
		if (ldirs[k] != NULL)
			ld_scan_lists(f, ldirs[k], "etc/lists", 0);
		vg_free(dirs[k]);
		vg_free(ldirs[k]);
	}
}

/* Entry points ------------------------------------------------------------ */

static int ld_run(struct ld_files *f, const char *mitre_path, unsigned email_level,
		  struct rules_set **out, struct vg_err *err)
{
	struct ld *ld = vg_xcalloc(1, sizeof(*ld));
	struct rules_set *set = vg_xcalloc(1, sizeof(*set));
	int rc = 0;

	*out = NULL;
	set->email_alert_level = email_level;
	ld->set = set;
	ld->ids = vg_hmap_new();
	ld->skipped = vg_hmap_new();
	ld->mitre_warned = vg_hmap_new();
	if (mitre_path != NULL)
		rc = mitre_load(mitre_path, &set->mitre, err);
	for (size_t i = 0; i < f->n_lists && rc == 0; i++) {
		struct vg_cdblist *l = NULL;
		rc = vg_cdblist_load(f->list_paths[i], &l, err);
		if (rc != 0)
			break;
		set->lists = vg_xreallocarray(set->lists, set->n_lists + 1, sizeof(*set->lists));
		set->list_names =
		    vg_xreallocarray(set->list_names, set->n_lists + 1, sizeof(*set->list_names));
		set->lists[set->n_lists] = l; /* transferred */
		set->list_names[set->n_lists++] = vg_xstrdup(f->list_names[i]);
	}
	for (size_t i = 0; i < f->n && rc == 0; i++)
		rc = vg_conf_load_elements(f->paths[i], ld_file_root, ld, err);
	if (rc == 0)
		rc = ld_link(ld, err);
	vg_hmap_free(ld->ids, NULL);
	vg_hmap_free(ld->skipped, NULL);
	vg_hmap_free(ld->mitre_warned, NULL);
	ld_vars_clear(ld);
	vg_free(ld);
	if (rc != 0) {
		rules_set_free(set);
		return rc;
	}
	vg_log_info("loaded %zu rules from %zu files and %zu lists", set->n, f->n, set->n_lists);
	*out = set;
	return 0;
}

int rules_load_files(const char *const *files, size_t nfiles, const char *const *list_names,
		     const char *const *list_paths, size_t nlists, const char *mitre_path,
		     unsigned email_alert_level, struct rules_set **out, struct vg_err *err)
{
	struct ld_files f = {0};

	for (size_t i = 0; i < nfiles; i++)
		ld_add_file(&f, vg_xstrdup(files[i]));
	for (size_t i = 0; i < nlists; i++)
		ld_add_list(&f, list_names[i], vg_xstrdup(list_paths[i]));
	int rc = ld_run(&f, mitre_path, email_alert_level, out, err);
	ld_files_free(&f);
	return rc;
}

int rules_load(const struct rules_opts *opts, struct rules_set **out, struct vg_err *err)
{
	struct ld_files f = {0};
	char *mitre = NULL;
	int rc = 0;

	*out = NULL;
	if (opts->conf != NULL && opts->conf->present) {
		for (size_t i = 0; i < opts->conf->n && rc == 0; i++)
			rc = ld_conf_item(opts, &opts->conf->items[i], &f, err);
		size_t w = 0;
		for (size_t i = 0; i < f.n; i++) {
			if (ld_excluded(opts->conf, f.paths[i]))
				vg_free(f.paths[i]);
			else
				f.paths[w++] = f.paths[i];
		}
		f.n = w;
	} else {
		ld_default_files(opts, &f);
	}
	if (opts->mitre_path != NULL)
		mitre = vg_xstrdup(opts->mitre_path);
	else if (opts->ruleset_root != NULL) {
		mitre = vg_xasprintf("%s/mitre/enterprise-attack.tsv", opts->ruleset_root);
		if (!ld_exists(mitre, false)) {
			vg_free(mitre);
			mitre = NULL;
		}
	}
	if (rc == 0)
		rc = ld_run(&f, mitre, opts->email_alert_level, out, err);
	vg_free(mitre);
	ld_files_free(&f);
	return rc;
}
