/*
 * ar_conf.h - The manager's <command> and <active-response> sections
 * (Wazuh 4.x syntax, src/config/active-response.c; reference §7).
 *
 * This is configuration only: what runs, where, on which alerts. The
 * responder (manager/responder.h) runs the responses: on the owning agent,
 * durably, at most once (docs/active-response.md).
 *
 * <command> (several blocks, one struct each):
 *   name             required; letters, digits, '.', '_', '-' (Wazuh
 *                    refuses a leading '!'); unique.
 *   executable       required; one file name under HOME/active-response/bin.
 *   timeout_allowed  yes / no (default no).
 *   extra_args       kept verbatim (Wazuh hands them to the script).
 *   expect           deprecated since Wazuh 4.2: warned about once, ignored.
 *
 * <active-response> (several blocks):
 *   disabled     yes / no (default no). yes: the block is checked element by
 *                element, then dropped (Wazuh skips it the same way).
 *   command      required: the name of a <command> defined earlier in the
 *                file (Wazuh reads in document order), or a built-in:
 *                `quarantine` or `remove-threat`, which need no <command>.
 *                A <command> of the same name replaces the built-in (a
 *                Wazuh remove-threat.sh keeps running unchanged).
 *   location     required: local (the agent that produced the alert),
 *                server (also AS, analysisd, analysis-server), defined-agent
 *                (needs agent_id), all (also any).
 *   agent_id     digits; defined-agent with agent 000 is warned about and the
 *                block dropped (as Wazuh: the manager is not an agent here).
 *   rules_id     comma list of rule ids (spaces and empty items tolerated).
 *   rules_group  groups separated by ',' or '|'; exact group names.
 *   level        0..20 (Wazuh's range); 0 = not a filter.
 *   timeout      seconds; only for a command with timeout_allowed yes.
 *                Otherwise, as Wazuh, a warning and the timeout is 0.
 *                Built-ins do not take one.
 *   expire       Vigie: seconds a command waits for an agent that is not
 *                connected before it is dropped and reported (default 0:
 *                the block's timeout when it has one, else a day,
 *                RESPONDER_EXPIRE_S). At most MGR_AR_TIMEOUT_MAX.
 *   repeated_offenders, ca_store, ca_verification: Wazuh agent-side
 *                options without a Vigie meaning; warned about once.
 *
 * Errors read "FILE:LINE: <command>: ..." / "<active-response>: ..." with
 * did-you-mean hints. Not thread-safe: parse on one thread, then publish
 * read-only; ar_matches is pure and any thread may call it.
 */
#ifndef MGR_AR_CONF_H
#define MGR_AR_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "manager/store.h"

#define MGR_AR_MAX 256             /* blocks of each kind kept */
#define MGR_AR_MAX_LIST 256        /* rule ids or groups in one block */
#define MGR_AR_NAME_MAX 64         /* bytes of a command name or executable */
#define MGR_AR_ARGS_MAX 1024       /* bytes of extra_args */
#define MGR_AR_LEVEL_MAX 20        /* Wazuh's bound */
#define MGR_AR_TIMEOUT_MAX 2592000 /* seconds: 30 days */
#define MGR_AR_AGENT_ID_MAX 8      /* digits */
#define MGR_AR_QUARANTINE "quarantine"
#define MGR_AR_REMOVE_THREAT "remove-threat"

struct mgr_ar_command {
	char *name;
	char *executable; /* a file name under HOME/active-response/bin */
	char *extra_args; /* NULL when absent */
	bool timeout_allowed;
	long line; /* of the <command> element */
};

enum mgr_ar_kind {
	MGR_AR_SCRIPT,        /* a <command>: cmd_index says which */
	MGR_AR_BUILTIN_QUAR,  /* built-in quarantine (with restore) */
	MGR_AR_BUILTIN_REMOVE /* built-in remove-threat */
};

enum mgr_ar_location {
	MGR_AR_LOCAL,         /* the agent the alert came from */
	MGR_AR_SERVER,        /* the manager */
	MGR_AR_DEFINED_AGENT, /* agent_id */
	MGR_AR_ALL,           /* every agent */
};

struct mgr_active_response {
	char *command; /* as written */
	enum mgr_ar_kind kind;
	size_t cmd_index; /* into mgr_ar_conf.commands; MGR_AR_SCRIPT only */
	enum mgr_ar_location location;
	char *agent_id;     /* defined-agent only, else NULL */
	unsigned *rule_ids; /* NULL/0: not a filter */
	size_t nrule_ids;
	char **groups; /* NULL/0: not a filter */
	size_t ngroups;
	unsigned level;   /* 0: not a filter */
	unsigned timeout; /* seconds; 0 unless the command allows one */
	unsigned expire;  /* Vigie: seconds a command waits for its agent; 0 = default */
	long line;        /* of the <active-response> element */
};

struct mgr_ar_conf {
	struct mgr_ar_command *commands; /* file order */
	size_t ncommands;
	struct mgr_active_response *items; /* enabled blocks, file order */
	size_t n;
	uint64_t warned; /* one warning per meaningless Wazuh element per load */
};

void mgr_ar_conf_init(struct mgr_ar_conf *c);

/* vg_conf_section handlers for "command" and "active-response"; ctx is the
 * same mgr_ar_conf for both. */
int mgr_ar_command_parse(void *ctx, const struct vg_conf_node *node,
			 struct vg_err *err) VG_MUST_CHECK;
int mgr_ar_response_parse(void *ctx, const struct vg_conf_node *node,
			  struct vg_err *err) VG_MUST_CHECK;

/* The <command> an active response runs, or NULL for a built-in. Borrowed. */
const struct mgr_ar_command *mgr_ar_command_of(const struct mgr_ar_conf *c,
					       const struct mgr_active_response *ar);

/*
 * Does ar fire on alert a? Wazuh's binding (analysisd rules.c): any filter
 * the block sets that passes is enough (OR): level (alert level at least
 * this), rules_id (any id equals the rule's), rules_group (any group equals
 * one of rule.groups; compliance tokens never, as for integrations). A
 * block without filters fires on nothing; an alert without a rule or of
 * level 0 fires nothing. Pure.
 */
bool ar_matches(const struct mgr_active_response *ar, const struct store_alert *a);

/* Free everything and re-initialise c. */
void mgr_ar_conf_free(struct mgr_ar_conf *c);

#endif
