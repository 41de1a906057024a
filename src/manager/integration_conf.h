/*
 * integration_conf.h - The manager's <integration> sections (Wazuh 4.x).
 *
 * Wazuh's integratord reads one <integration> block per integration
 * (several allowed, one struct each; reference §4.1). Vigie keeps the
 * syntax and the defaults so a Wazuh manager's ossec.conf loads unchanged:
 *
 *   name            required: "virustotal" (Vigie's built-in client) or
 *                   "custom-<x>" (a script HOME/integrations/custom-<x>,
 *                   run with Wazuh's argv, integration_run.h). slack,
 *                   pagerduty, shuffle and maltiverse are Wazuh names Vigie
 *                   does not implement: the block is warned about and
 *                   skipped. Anything else is an error.
 *   api_key         required for virustotal. A secret: it appears in no
 *                   message, is wiped on free, and is handed to custom
 *                   scripts only (their argv[2], Wazuh's contract).
 *   hook_url        virustotal: the API base (default
 *                   https://www.virustotal.com/api/v3; http(s):// only).
 *   level           alert level at least this; 0 = no filter.
 *   rule_id         comma list of rule ids; any one passes.
 *   group           comma list of rule groups; any one passes.
 *   event_location  OSMatch (sregex) on the alert's location.
 *   alert_format    "json..." = the alert JSON; else Wazuh's legacy text.
 *   max_log         165..1024 (full_log cut in the legacy format).
 *   options         a JSON object. For virustotal it holds Vigie's
 *                   settings (struct mgr_vt_options); for custom scripts it
 *                   is written verbatim to the options file.
 *   timeout         seconds, 10.   retries: 3.
 *
 * Errors read "FILE:LINE: <integration>: ..." with did-you-mean hints for
 * unknown elements, names and options keys. Not thread-safe: parse on one
 * thread, then publish read-only.
 */
#ifndef MGR_INTEGRATION_CONF_H
#define MGR_INTEGRATION_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "lib/osmatch.h"

#define MGR_INT_MAX 64            /* <integration> blocks kept */
#define MGR_INT_MAX_LIST 256      /* rule ids or groups in one block */
#define MGR_INT_KEY_MAX 256       /* bytes of api_key */
#define MGR_INT_URL_MAX 2048      /* bytes of hook_url */
#define MGR_INT_OPTIONS_MAX 65536 /* bytes of options */
#define MGR_INT_TIMEOUT 10        /* seconds, Wazuh's default */
#define MGR_INT_TIMEOUT_MAX 3600
#define MGR_INT_RETRIES 3 /* Wazuh's default */
#define MGR_INT_RETRIES_MAX 100
#define MGR_INT_MAX_LOG 165 /* Wazuh's default and minimum */
#define MGR_INT_MAX_LOG_MAX 1024
#define MGR_INT_VT_NAME "virustotal"
#define MGR_INT_VT_BASE "https://www.virustotal.com/api/v3"

/* Vigie's options for virustotal: public-key quotas, cache lifetimes. */
#define MGR_VT_PER_MINUTE 4u
#define MGR_VT_PER_DAY 500u
#define MGR_VT_PER_MONTH 15500u
#define MGR_VT_TTL_MALICIOUS (30u * 86400u)
#define MGR_VT_TTL_CLEAN (7u * 86400u)
#define MGR_VT_TTL_NOT_FOUND 86400u
#define MGR_VT_MAX_ATTEMPTS 8u
#define MGR_VT_RATE_MAX 1000000000u     /* sanity bound of the request counts */
#define MGR_VT_TTL_MAX (3650u * 86400u) /* ten years */
#define MGR_VT_ATTEMPTS_MAX 1000u

enum mgr_int_kind {
	MGR_INT_VIRUSTOTAL, /* the built-in client: never runs a script */
	MGR_INT_CUSTOM,     /* custom-*: HOME/integrations/<name> */
};

struct mgr_vt_options {
	unsigned requests_per_minute; /* 4; 0 = unlimited */
	unsigned requests_per_day;    /* 500; 0 = unlimited */
	unsigned requests_per_month;  /* 15500; 0 = unlimited */
	uint32_t cache_malicious_ttl; /* seconds, 30 days; 0 = never cached */
	uint32_t cache_clean_ttl;     /* seconds, 7 days */
	uint32_t cache_not_found_ttl; /* seconds, 1 day */
	unsigned max_attempts;        /* tries before a job is dead-lettered, 8 */
	bool use_quota_endpoint;      /* read /users/{key}/overall_quotas, false */
};

#define MGR_VT_OPTIONS_INIT                                                                        \
	{                                                                                          \
		MGR_VT_PER_MINUTE, MGR_VT_PER_DAY, MGR_VT_PER_MONTH, MGR_VT_TTL_MALICIOUS,         \
		    MGR_VT_TTL_CLEAN, MGR_VT_TTL_NOT_FOUND, MGR_VT_MAX_ATTEMPTS, false             \
	}

struct mgr_integration {
	enum mgr_int_kind kind;
	char *name;         /* "virustotal", "custom-x" */
	char *api_key;      /* NULL when absent (never for virustotal); secret */
	char *hook_url;     /* NULL when absent; virustotal: the API base, never NULL */
	unsigned level;     /* 0: no level filter */
	unsigned *rule_ids; /* NULL/0: no rule filter */
	size_t nrule_ids;
	char **groups; /* NULL/0: no group filter */
	size_t ngroups;
	struct vg_osmatch *event_location; /* NULL: no location filter */
	bool json_format;                  /* alert_format starts with "json" */
	unsigned max_log;                  /* 165..1024 */
	char *options;            /* the <options> text (a JSON object), NULL when absent */
	struct mgr_vt_options vt; /* virustotal only (defaults otherwise) */
	unsigned timeout;         /* seconds, 10 */
	unsigned retries;         /* 3 */
	long line;                /* of the <integration> element */
};

struct mgr_integration_conf {
	struct mgr_integration *items; /* kept blocks, in file order */
	size_t n;
};

void mgr_integration_conf_init(struct mgr_integration_conf *c);

/* vg_conf_section handler for "integration"; ctx is a mgr_integration_conf. */
int mgr_integration_conf_parse(void *ctx, const struct vg_conf_node *node,
			       struct vg_err *err) VG_MUST_CHECK;

/*
 * Parse a virustotal options object (the text of <options>) into *out,
 * which starts from the defaults. Errors (VG_EPARSE: bad JSON, unknown
 * key, wrong type or range) name the key; the caller adds FILE:LINE.
 */
int mgr_vt_options_parse(const char *json, struct mgr_vt_options *out,
			 struct vg_err *err) VG_MUST_CHECK;

/*
 * A duration: whole seconds, or a number with an s, m, h or d suffix
 * ("30d"). At most max seconds (VG_ETOOBIG), else VG_EPARSE.
 */
int mgr_int_parse_duration(const char *s, uint32_t max, uint32_t *out) VG_MUST_CHECK;

/* The first virustotal block, or NULL. Borrowed. */
const struct mgr_integration *mgr_integration_conf_vt(const struct mgr_integration_conf *c);

/* Free every block (wiping the keys) and re-initialise c. */
void mgr_integration_conf_free(struct mgr_integration_conf *c);

#endif
