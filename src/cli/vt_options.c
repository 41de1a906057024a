/*
 * vt_options.c - The configured VirusTotal options, read by the CLI.
 */
#include "cli/vt_options.h"

#include "lib/mem.h"
#include "manager/config.h"

void cli_vt_options(const char *home, const char *config, struct mgr_vt_options *out)
{
	const struct mgr_vt_options dflt = MGR_VT_OPTIONS_INIT;
	char *path = config != NULL ? vg_xstrdup(config) : vg_xasprintf("%s/etc/ossec.conf", home);
	struct mgr_config cfg;

	*out = dflt;
	if (mgr_config_load(path, &cfg, NULL) == 0) {
		const struct mgr_integration *vt = mgr_integration_conf_vt(&cfg.integrations);
		if (vt != NULL)
			*out = vt->vt;
		mgr_config_free(&cfg);
	}
	vg_free(path);
}
