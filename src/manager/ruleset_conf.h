/*
 * ruleset_conf.h - The <ruleset> section of ossec.conf, as Wazuh has it.
 *
 * <rule_dir pattern="...">, <rule_include>, <rule_exclude> and <list> say
 * which rule files and CDB lists the manager loads (rules_load resolves the
 * paths); <decoder_dir>, <decoder_include> and <decoder_exclude> are
 * accepted and warned about once (Vigie's decoders are built in). Several
 * <ruleset> sections accumulate, as in Wazuh.
 *
 * Plain data, filled on the configuration thread, then read-only.
 */
#ifndef AN_RULESET_CONF_H
#define AN_RULESET_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/conf.h"
#include "lib/err.h"

/* One <rule_dir>, <rule_include>, <rule_exclude> or <list>, in file order. */
enum ruleset_item_kind {
	RULESET_RULE_DIR,
	RULESET_RULE_INCLUDE,
	RULESET_RULE_EXCLUDE,
	RULESET_LIST,
};

struct ruleset_item {
	enum ruleset_item_kind kind;
	char *path;    /* as written, e.g. "ruleset/rules", "etc/lists/audit-keys" */
	char *pattern; /* rule_dir pattern= (OS_Regex on the file name), or NULL */
	char *file;    /* where it was declared, for messages */
	long line;
};

struct ruleset_conf {
	bool present; /* at least one <ruleset> section was seen */
	bool warned_decoders;
	size_t n;
	struct ruleset_item *items;
};

void ruleset_conf_init(struct ruleset_conf *c);
void ruleset_conf_free(struct ruleset_conf *c);

/*
 * vg_conf_section_fn for "ruleset" (ctx: struct ruleset_conf *). Unknown
 * elements are VG_EPARSE with a did-you-mean hint; an empty path too.
 */
int ruleset_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err);

#endif
