/*
 * ruleset_load.c - ossec.conf + rules in one step (see ruleset_load.h).
 */
#include "manager/ruleset_load.h"

#include "lib/mem.h"
#include "manager/paths.h"

/* What mgr_config_load gives for a file with no section: Wazuh's defaults. */
static void config_defaults(struct mgr_config *cfg)
{
	const struct an_settings defaults = AN_SETTINGS_INIT;

	fim_config_init(&cfg->syscheck);
	ruleset_conf_init(&cfg->ruleset);
	cfg->settings = defaults;
}

static int config_load(const char *path, struct mgr_config *cfg, struct vg_err *err)
{
	if (path != NULL)
		return mgr_config_load(path, cfg, err);
	config_defaults(cfg);
	return 0;
}

int mgr_load_rules(const struct mgr_load_opts *o, struct mgr_config *cfg, struct rules_set **rules,
		   struct vg_err *err)
{
	struct rules_opts ro = RULES_OPTS_INIT;
	char *root = NULL;
	int rc;

	*rules = NULL;
	if ((rc = config_load(o->config_path, cfg, err)) != 0)
		return rc;
	if (o->ruleset_root == NULL && (rc = mgr_ruleset_root(&root, err)) != 0)
		goto out;
	ro.home = o->home;
	ro.ruleset_root = root != NULL ? root : o->ruleset_root;
	ro.conf = &cfg->ruleset;
	ro.email_alert_level = cfg->settings.email_alert_level;
	rc = rules_load(&ro, rules, err);
out:
	if (rc != 0)
		mgr_config_free(cfg);
	vg_free(root);
	return rc;
}
