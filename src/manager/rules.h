/*
 * rules.h - The manager's rule engine: Wazuh's XML rule language.
 *
 * rules_load reads the rule files and CDB lists a <ruleset> section names
 * (or the shipped defaults), checks and compiles everything once, and
 * builds Wazuh's rule tree: rules without a parent (no if_sid, if_group,
 * if_matched_*) are tried in turn; when a rule matches, its children are
 * tried and the first matching child wins, recursively, so the deepest
 * matching rule along the first matching path fires (docs/rules.md, "Rules").
 *
 * Threads: a struct rules_set is immutable once loaded and may be shared by
 * any number of analysis threads. What changes per event (firedtimes, the
 * frequency history, the description buffer) lives in a struct rules_state,
 * one per analysis thread. Reload = rules_load a new set, swap the pointer,
 * give each thread a new state, free the old set when no thread uses it.
 */
#ifndef AN_RULES_H
#define AN_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "manager/event.h"
#include "manager/ruleset_conf.h"

#define RULES_EMAIL_ALERT_LEVEL_DEFAULT 12
/* Caps: one rule file, the rules of a set, a description after substitution. */
#define RULES_MAX_RULES 200000
#define RULES_MAX_DESCRIPTION 8192

struct rules_set;
struct rules_state;

struct rules_opts {
	const char *home;                /* -D HOME: relative <ruleset> paths start here */
	const char *ruleset_root;        /* shipped ruleset (ROOT/rules, ROOT/lists, ROOT/mitre) */
	const struct ruleset_conf *conf; /* NULL or !present: the default discovery */
	unsigned email_alert_level;      /* <global><email_alert_level> */
	const char *mitre_path;          /* NULL: ROOT/mitre/enterprise-attack.tsv if present */
};
#define RULES_OPTS_INIT                                                                            \
	{                                                                                          \
		NULL, NULL, NULL, RULES_EMAIL_ALERT_LEVEL_DEFAULT, NULL                            \
	}

/*
 * Load a rule set into *out (caller-owned, rules_set_free). Errors name
 * FILE:LINE: malformed XML, unknown element or attribute (with a hint), bad
 * value, bad regex, if_sid naming an unknown id, an if_sid cycle, a
 * duplicated id without overwrite="yes", a reference to an undeclared or
 * missing list (VG_EPARSE), unreadable files (VG_ENOTFOUND / VG_EPERM).
 * Rules using a Wazuh element Vigie does not implement are skipped with a
 * warning (with their if_sid descendants), never loaded wider than written.
 */
int rules_load(const struct rules_opts *opts, struct rules_set **out,
	       struct vg_err *err) VG_MUST_CHECK;

/* Same, from explicit files and lists (tests, logtest): files[] in order;
 * lists[i] is loaded from list_paths[i] under the name list_names[i]. */
int rules_load_files(const char *const *files, size_t nfiles, const char *const *list_names,
		     const char *const *list_paths, size_t nlists, const char *mitre_path,
		     unsigned email_alert_level, struct rules_set **out,
		     struct vg_err *err) VG_MUST_CHECK;

void rules_set_free(struct rules_set *set);
/* Rules and lists loaded (skipped rules are not counted). */
size_t rules_set_count(const struct rules_set *set);
size_t rules_set_list_count(const struct rules_set *set);

/* Per-thread mutable state for set (which must outlive it). */
int rules_state_new(const struct rules_set *set, struct rules_state **out,
		    struct vg_err *err) VG_MUST_CHECK;
void rules_state_free(struct rules_state *st);

struct rules_result {
	/* The rule that alerts (level > 0), or NULL. Borrowed from the state
	 * and the set until the next rules_eval on this state. */
	const struct an_rule_info *alert;
	unsigned matched_id;    /* the rule that fired (level 0 too), 0: none */
	unsigned matched_level; /* its level */
	bool no_log;            /* options no_log: do not write this alert */
	bool ignored;           /* fired inside its ignore= window: no alert */
};

/* wazuh-logtest's "Trying rule" lines: called for each rule tried. */
struct rules_trace {
	void (*fn)(void *ctx, unsigned id, unsigned level, const char *description, unsigned depth,
		   bool matched);
	void *ctx;
};

/*
 * Evaluate ev against the set, updating st (firedtimes, frequency history).
 * *out is always written. Fails only with VG_EINTERNAL (a PCRE2 internal
 * error); a rule that cannot evaluate simply does not match.
 */
int rules_eval(const struct rules_set *set, struct rules_state *st, const struct an_event *ev,
	       struct rules_result *out, const struct rules_trace *trace, struct vg_err *err);

#endif
