/*
 * ruleset_load.c - ossec.conf + rules in one step (see ruleset_load.h).
 */
#include "manager/ruleset_load.h"

#include "lib/mem.h"
#include "manager/paths.h"

static int config_load(const char *path, struct mgr_config *cfg, struct vg_err *err)
{
	if (path != NULL)
		return mgr_config_load(path, cfg, err);
	mgr_config_init(cfg);
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
