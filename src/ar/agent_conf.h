/*
 * agent_conf.h - An agent's own <active-response> section (Wazuh 4.x,
 * agent side): whether this host runs the manager's active responses.
 *
 *   <active-response>
 *     <disabled>yes</disabled>   yes: every command is refused and reported
 *                                (default no)
 *   </active-response>
 *
 * ca_store, ca_verification and repeated_offenders are Wazuh agent options
 * without a Vigie meaning: one warning each, then ignored. Anything else
 * is an error "FILE:LINE: <active-response>: unknown element <x>".
 */
#ifndef AR_AGENT_CONF_H
#define AR_AGENT_CONF_H

#include <stdbool.h>

#include "lib/conf.h"
#include "lib/err.h"

struct ar_agent_conf {
	bool disabled;
};

void ar_agent_conf_init(struct ar_agent_conf *c);

/* vg_conf_section handler; ctx is a struct ar_agent_conf. Later blocks
 * override earlier ones, element by element (Wazuh's merge). */
int ar_agent_conf_parse(void *ctx, const struct vg_conf_node *node,
			struct vg_err *err) VG_MUST_CHECK;

#endif
