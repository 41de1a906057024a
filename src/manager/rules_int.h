/*
 * rules_int.h - The compiled rule set, shared by rules_load.c (which builds
 * it) and rules_match.c (which walks it). Nothing else may include this.
 *
 * A rule is compiled into flat arrays of conditions, checked cheapest first;
 * the tree is arrays of child indices; everything an alert needs that does
 * not depend on the event (groups, mitre, options) is precomputed into an
 * an_rule_info template that evaluation copies and completes.
 */
#ifndef AN_RULES_INT_H
#define AN_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/cdblist.h"
#include "lib/osmatch.h"
#include "lib/osregex.h"
#include "manager/event.h"
#include "manager/mitre.h"

enum rules_pat_kind { RULES_PAT_OSMATCH, RULES_PAT_OSREGEX, RULES_PAT_PCRE2 };

struct rules_pat {
	enum rules_pat_kind kind;
	bool negate;
	struct vg_osmatch *om;
	struct vg_osregex *orx;
	pcre2_code *pc;
};

struct rules_field {
	char *name;
	struct rules_pat pat;
};

struct rules_listref {
	char *field;
	enum vg_cdblist_lookup how;
	const struct vg_cdblist *list; /* borrowed from the set */
	struct vg_osmatch *check;      /* check_value, or NULL */
};

/* A description piece: literal text, or the name of a field to substitute. */
struct rules_desc_part {
	char *text;
	bool is_field;
};

struct rules_rule {
	unsigned id;
	unsigned level;
	char *file;
	long line;
	bool noalert;
	unsigned frequency; /* Wazuh's stored value: attribute - 2 */
	bool has_context;   /* if_matched_sid / if_matched_group */
	unsigned timeframe;
	unsigned ignore;
	unsigned maxsize;
	bool no_log;
	bool alert_by_email;
	bool no_email_alert;

	char *decoded_as;
	char *category;
	struct rules_pat *match;
	struct rules_pat *regex;
	struct rules_pat *location;
	size_t n_fields;
	struct rules_field *fields;
	size_t n_lists;
	struct rules_listref *lists;

	/* The tree. */
	size_t n_if_sid;
	unsigned *if_sid;
	char *if_group;
	unsigned if_matched_sid;
	struct vg_osmatch *if_matched_group;
	size_t n_children;
	size_t *children; /* indices into set->rules, in try order */
	bool has_parent;
	long search;    /* history this rule searches (if_matched_*), or -1 */
	size_t n_feeds; /* histories this rule's firing feeds */
	size_t *feeds;

	char *groups;
	char *description;
	size_t n_desc;
	struct rules_desc_part *desc; /* NULL: no $(field), use description */
	char **mitre_ids;
	const char **mitre_techniques;
	const char **mitre_tactics;
	struct an_rule_info info; /* template: description/firedtimes/mail filled per event */
};

struct rules_set {
	size_t n;
	struct rules_rule **rules; /* load order (overwrite keeps the first place) */
	size_t n_top;
	size_t *top; /* rules without parents, in try order */
	size_t n_lists;
	char **list_names;
	struct vg_cdblist **lists;
	size_t n_hist;
	unsigned *hist_cap; /* entries each history keeps */
	unsigned email_alert_level;
	struct mitre_db *mitre;
	bool has_pcre2;
};

#endif
