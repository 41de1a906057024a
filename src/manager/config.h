/*
 * config.h - The manager's ossec.conf: every section vigie-manager reads.
 *
 * One loader for the daemon and for `vigie logtest`, so both see the same
 * rules and settings: <syscheck> (the manager monitors itself as agent
 * 000), <ruleset>, <global>, <alerts>, <remote> and <auth> (the
 * listeners; without a <remote>, one on 1514), <integration> (virustotal
 * and custom-* scripts), <command> and <active-response> (parsed and
 * checked; running them is issue 6's next step), <dashboard> (the HTTP
 * server of the dashboard and API; off without the block). Wazuh sections Vigie does not
 * implement are warned about once by lib/conf; errors name FILE:LINE.
 */
#ifndef MGR_CONFIG_H
#define MGR_CONFIG_H

#include "fim/config.h"
#include "lib/err.h"
#include "manager/ar_conf.h"
#include "manager/dashboard_conf.h"
#include "manager/integration_conf.h"
#include "manager/remote_conf.h"
#include "manager/ruleset_conf.h"
#include "manager/settings.h"

struct mgr_config {
	struct fim_config syscheck; /* ndirs == 0: no self-monitoring */
	struct ruleset_conf ruleset;
	struct an_settings settings;
	struct mgr_remote_conf remote; /* at least one listener after a load */
	struct mgr_auth_conf auth;
	struct mgr_integration_conf integrations; /* <integration> blocks, file order */
	struct mgr_ar_conf ar; /* <command> and <active-response> blocks, file order */
	struct mgr_dashboard_conf dashboard; /* <dashboard>: off without a block */
};

/* Wazuh's defaults: what a file without any of these sections gives. */
void mgr_config_init(struct mgr_config *cfg);

/* Load path into cfg (initialised here). On failure cfg holds nothing. */
int mgr_config_load(const char *path, struct mgr_config *cfg, struct vg_err *err) VG_MUST_CHECK;

/* Free what a successful load allocated. */
void mgr_config_free(struct mgr_config *cfg);

#endif
