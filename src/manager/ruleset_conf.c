/*
 * ruleset_conf.c - Parse <ruleset> into a list of items kept in file order.
 *
 * Order matters: Wazuh loads rule files in the order rule_dir and
 * rule_include name them, so the items are kept as one ordered list rather
 * than one list per kind. Path resolution (HOME, shipped root) is the rule
 * loader's job, not this parser's: the configuration stays what was written.
 */
#include "manager/ruleset_conf.h"

#include <string.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

static const char *const ruleset_elements[] = {
    "rule_dir",    "rule_include",    "rule_exclude",    "list",
    "decoder_dir", "decoder_include", "decoder_exclude",
};

void ruleset_conf_init(struct ruleset_conf *c)
{
	memset(c, 0, sizeof(*c));
}

void ruleset_conf_free(struct ruleset_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		vg_free(c->items[i].path);
		vg_free(c->items[i].pattern);
		vg_free(c->items[i].file);
	}
	vg_free(c->items);
	memset(c, 0, sizeof(*c));
}

static int ruleset_add(struct ruleset_conf *c, enum ruleset_item_kind kind,
		       const struct vg_conf_node *n, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	const char *pattern = vg_conf_node_attr(n, "pattern");
	const char *aname = NULL;

	if (*text == '\0')
		return vg_conf_error(n, err, "<ruleset>: <%s> needs a path", vg_conf_node_name(n));
	for (size_t i = 0; vg_conf_node_attr_at(n, i, &aname, &(const char *){NULL}); i++)
		if (kind != RULESET_RULE_DIR || strcmp(aname, "pattern") != 0)
			return vg_conf_error(n, err, "<ruleset>: <%s> has no attribute %s",
					     vg_conf_node_name(n), aname);
	c->items = vg_xreallocarray(c->items, c->n + 1, sizeof(*c->items));
	struct ruleset_item *it = &c->items[c->n++];
	it->kind = kind;
	it->path = vg_xstrdup(text);
	it->pattern = pattern != NULL ? vg_xstrdup(pattern) : NULL;
	it->file = vg_xstrdup(vg_conf_node_file(n));
	it->line = vg_conf_node_line(n);
	return 0;
}

int ruleset_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct ruleset_conf *c = ctx;

	c->present = true;
	for (const struct vg_conf_node *n = vg_conf_node_first(node); n != NULL;
	     n = vg_conf_node_next(n)) {
		const char *name = vg_conf_node_name(n);
		int rc = 0;
		if (strcmp(name, "rule_dir") == 0)
			rc = ruleset_add(c, RULESET_RULE_DIR, n, err);
		else if (strcmp(name, "rule_include") == 0)
			rc = ruleset_add(c, RULESET_RULE_INCLUDE, n, err);
		else if (strcmp(name, "rule_exclude") == 0)
			rc = ruleset_add(c, RULESET_RULE_EXCLUDE, n, err);
		else if (strcmp(name, "list") == 0)
			rc = ruleset_add(c, RULESET_LIST, n, err);
		else if (vg_str_has_icase_prefix(name, "decoder_") &&
			 (strcmp(name, "decoder_dir") == 0 ||
			  strcmp(name, "decoder_include") == 0 ||
			  strcmp(name, "decoder_exclude") == 0)) {
			if (!c->warned_decoders)
				vg_log_warn("%s:%ld: <ruleset>: <%s> ignored: Vigie's decoders are "
					    "built in",
					    vg_conf_node_file(n), vg_conf_node_line(n), name);
			c->warned_decoders = true;
		} else {
			const char *hint =
			    vg_conf_hint(name, ruleset_elements, VG_ARRAY_LEN(ruleset_elements));
			char esc[80];
			vg_escape(esc, sizeof(esc), name, strlen(name));
			rc = hint != NULL
				 ? vg_conf_error(n, err,
						 "<ruleset>: unknown element <%s>; did "
						 "you mean <%s>?",
						 esc, hint)
				 : vg_conf_error(n, err, "<ruleset>: unknown element <%s>", esc);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}
