/*
 * integration_filter.h - Which alerts an <integration> block takes.
 *
 * Wazuh's integratord (reference §4.2) checks, for each integration, the
 * filters the block sets, in this order: event_location (OSMatch on the
 * alert's location), level (alert level at least this), group (any listed
 * group equals one of the rule's groups), rule_id (any listed id equals the
 * rule's). Every filter that is set must pass (AND); within one list any
 * entry passes (OR); a block without filters takes every alert. An alert
 * without a rule never passes.
 *
 * Groups are compared exactly against the rule's groups as the alert shows
 * them in rule.groups: the compliance tokens of the raw group string
 * (pci_dss_*, gdpr_*, hipaa_*, nist_800_53_*, tsc_*, gpg13_*, cis_*) are
 * not among them, so, as in Wazuh, a filter on them never passes.
 *
 * Pure functions over read-only data: any thread may call them.
 */
#ifndef MGR_INTEGRATION_FILTER_H
#define MGR_INTEGRATION_FILTER_H

#include <stdbool.h>

#include "manager/event.h"
#include "manager/integration_conf.h"
#include "manager/store.h"

/*
 * The fields the filters read. location and groups may be NULL (treated
 * as ""); groups is Wazuh's raw rule group string ("ossec,syscheck,").
 */
bool integration_matches_fields(const struct mgr_integration *i, const char *location,
				unsigned level, unsigned rule_id, const char *groups);

/* On the analysis pipeline's records; rule NULL: no match. */
bool integration_matches(const struct mgr_integration *i, const struct an_event *ev,
			 const struct an_rule_info *rule);

/* On an alert read back from the alert store (what the integrator reads). */
bool integration_matches_alert(const struct mgr_integration *i, const struct store_alert *a);

/*
 * Whether alerts of a rule class (c: rule id, level and groups only) may
 * match i: its other filters decide, <event_location> (a field of each
 * alert) is left for integration_matches_alert.
 */
bool integration_matches_class(const struct mgr_integration *i, const struct store_alert *c);

#endif
