/*
 * integration_filter.c - The <integration> alert filter (see
 * integration_filter.h).
 *
 * The raw group string is walked in place (no allocation, no copy): this
 * runs for every alert and every integration block.
 */
#include "manager/integration_filter.h"

#include <string.h>

#include "lib/common.h"

/* Wazuh's compliance prefixes: these tokens go to their own arrays, not
 * to rule.groups (alert.c put_groups). */
static const char *const if_compliance[] = {"pci_dss_", "cis_",         "gdpr_", "gpg13_",
					    "hipaa_",   "nist_800_53_", "tsc_"};

static bool if_is_compliance(const char *tok, size_t len)
{
	for (size_t k = 0; k < VG_ARRAY_LEN(if_compliance); k++) {
		size_t plen = strlen(if_compliance[k]);
		if (len >= plen && memcmp(tok, if_compliance[k], plen) == 0)
			return true;
	}
	return false;
}

/* Does the raw group string hold want as one of rule.groups' entries? */
static bool if_has_group(const char *groups, const char *want)
{
	size_t wlen = strlen(want);
	const char *p = groups;

	while (*p != '\0') {
		const char *end = strchrnul(p, ',');
		size_t len = (size_t)(end - p);
		if (len == wlen && memcmp(p, want, len) == 0 && !if_is_compliance(p, len))
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

bool integration_matches_fields(const struct mgr_integration *i, const char *location,
				unsigned level, unsigned rule_id, const char *groups)
{
	if (i->event_location != NULL &&
	    !vg_osmatch_test(i->event_location, location != NULL ? location : ""))
		return false;
	if (i->level != 0 && level < i->level)
		return false;
	if (i->ngroups > 0) {
		bool any = false;
		for (size_t k = 0; !any && k < i->ngroups; k++)
			any = if_has_group(groups != NULL ? groups : "", i->groups[k]);
		if (!any)
			return false;
	}
	if (i->nrule_ids > 0) {
		bool any = false;
		for (size_t k = 0; !any && k < i->nrule_ids; k++)
			any = i->rule_ids[k] == rule_id;
		if (!any)
			return false;
	}
	return true;
}

bool integration_matches(const struct mgr_integration *i, const struct an_event *ev,
			 const struct an_rule_info *rule)
{
	if (rule == NULL)
		return false;
	return integration_matches_fields(i, ev->location, rule->level, rule->id, rule->groups);
}

bool integration_matches_alert(const struct mgr_integration *i, const struct store_alert *a)
{
	/* The store keeps alerts of a rule only; rule_id 0 is "no rule". */
	if (a->rule_id == 0)
		return false;
	return integration_matches_fields(i, a->location, a->level, a->rule_id, a->groups);
}

bool integration_matches_class(const struct mgr_integration *i, const struct store_alert *c)
{
	struct mgr_integration by_rule = *i; /* a shallow copy, read only */

	by_rule.event_location = NULL;
	return integration_matches_alert(&by_rule, c);
}
