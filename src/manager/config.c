/*
 * config.c - Loading the manager's ossec.conf (see config.h).
 */
#include "manager/config.h"

#include "lib/conf.h"

void mgr_config_init(struct mgr_config *cfg)
{
	const struct an_settings defaults = AN_SETTINGS_INIT;

	fim_config_init(&cfg->syscheck);
	ruleset_conf_init(&cfg->ruleset);
	cfg->settings = defaults;
	mgr_remote_conf_init(&cfg->remote);
	mgr_auth_conf_init(&cfg->auth);
	mgr_integration_conf_init(&cfg->integrations);
	mgr_ar_conf_init(&cfg->ar);
	mgr_dashboard_conf_init(&cfg->dashboard);
}

int mgr_config_load(const char *path, struct mgr_config *cfg, struct vg_err *err)
{
	struct vg_conf_section sections[10] = {
	    {"syscheck", fim_config_parse, &cfg->syscheck},
	    {"ruleset", ruleset_conf_parse, &cfg->ruleset},
	    {"remote", mgr_remote_conf_parse, &cfg->remote},
	    {"auth", mgr_auth_conf_parse, &cfg->auth},
	    {"integration", mgr_integration_conf_parse, &cfg->integrations},
	    {"command", mgr_ar_command_parse, &cfg->ar},
	    {"active-response", mgr_ar_response_parse, &cfg->ar},
	    {"dashboard", mgr_dashboard_conf_parse, &cfg->dashboard},
	};
	int rc;

	mgr_config_init(cfg);
	an_settings_sections(&cfg->settings, &sections[8]);
	rc = vg_conf_load(path, sections, sizeof(sections) / sizeof(sections[0]), err);
	if (rc == 0)
		rc = mgr_remote_conf_finish(&cfg->remote, &cfg->auth, err);
	if (rc != 0)
		mgr_config_free(cfg);
	return rc;
}

void mgr_config_free(struct mgr_config *cfg)
{
	fim_config_free(&cfg->syscheck);
	ruleset_conf_free(&cfg->ruleset);
	mgr_remote_conf_free(&cfg->remote);
	mgr_auth_conf_free(&cfg->auth);
	mgr_integration_conf_free(&cfg->integrations);
	mgr_ar_conf_free(&cfg->ar);
	mgr_dashboard_conf_free(&cfg->dashboard);
}
