/*
 * agent_conf.c - The agent's <active-response> section (see agent_conf.h).
 */
#include "ar/agent_conf.h"

#include <string.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/str.h"

static const char *const ignored[] = {"ca_store", "ca_verification", "repeated_offenders"};

void ar_agent_conf_init(struct ar_agent_conf *c)
{
	c->disabled = false;
}

static int element(struct ar_agent_conf *c, const struct vg_conf_node *n, struct vg_err *err)
{
	const char *name = vg_conf_node_name(n);
	const char *known[] = {"disabled", ignored[0], ignored[1], ignored[2]};
	const char *hint;
	char esc[64];

	if (strcmp(name, "disabled") == 0)
		return vg_conf_yesno(n, vg_conf_node_text(n), "<active-response>: <disabled>",
				     &c->disabled, err);
	for (size_t i = 0; i < VG_ARRAY_LEN(ignored); i++)
		if (strcmp(name, ignored[i]) == 0) {
			vg_log_warn("%s:%ld: <active-response>: <%s> has no meaning for Vigie: "
				    "ignored",
				    vg_conf_node_file(n), vg_conf_node_line(n), name);
			return 0;
		}
	vg_escape(esc, sizeof(esc), name, strlen(name));
	hint = vg_conf_hint(name, known, VG_ARRAY_LEN(known));
	if (hint != NULL)
		return vg_conf_error(n, err,
				     "<active-response>: unknown element <%s>; did you mean <%s>?",
				     esc, hint);
	return vg_conf_error(n, err, "<active-response>: unknown element <%s>", esc);
}

int ar_agent_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	int rc = 0;

	for (const struct vg_conf_node *n = vg_conf_node_first(node); n != NULL && rc == 0;
	     n = vg_conf_node_next(n))
		rc = element(ctx, n, err);
	return rc;
}
