/*
 * ruleset_load.h - ossec.conf and the rules it names, loaded in one step.
 *
 * vigie-manager (start-up and SIGHUP) and `vigie logtest` must see exactly
 * the same rules for the same HOME and configuration, or logtest would test
 * something the daemon does not run. This is the one sequence both use:
 * find the shipped ruleset root, read ossec.conf (<syscheck>, <ruleset>,
 * <global>, <alerts>), then load the rules and lists <ruleset> names (or the
 * default discovery: shipped rules, then HOME/etc/rules and HOME/etc/lists).
 *
 * Thread model: no shared state; call it from any one thread at a time per
 * output.
 */
#ifndef MGR_RULESET_LOAD_H
#define MGR_RULESET_LOAD_H

#include "lib/err.h"
#include "manager/config.h"
#include "manager/rules.h"

struct mgr_load_opts {
	const char *home;         /* -D HOME: relative <ruleset> paths, etc/rules, etc/lists */
	const char *config_path;  /* ossec.conf; NULL: built-in defaults, no file read */
	const char *ruleset_root; /* shipped ruleset; NULL: mgr_ruleset_root() */
};

#define MGR_LOAD_OPTS_INIT                                                                         \
	{                                                                                          \
		NULL, NULL, NULL                                                                   \
	}

/*
 * Load the configuration into *cfg and the rule set into *rules (both the
 * caller's: mgr_config_free, rules_set_free). Errors name FILE:LINE (a bad
 * ossec.conf, a bad rule file) or every ruleset root tried; on failure cfg
 * holds nothing to free and *rules is NULL.
 */
int mgr_load_rules(const struct mgr_load_opts *o, struct mgr_config *cfg, struct rules_set **rules,
		   struct vg_err *err) VG_MUST_CHECK;

#endif
