/*
 * ar_conf.c - <command> and <active-response> parsing, and the alert
 * matcher (see ar_conf.h).
 *
 * Each block is built in a local struct and appended only when complete,
 * so a failed block leaves nothing behind. Elements go through one table
 * per section; the last occurrence of an element wins, as in Wazuh.
 * Command references are resolved when the <active-response> is read, in
 * document order, because that is what Wazuh does: a file that loads in
 * Wazuh loads here and means the same.
 */
#include "manager/ar_conf.h"

#include <string.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/integration_filter.h"

#define AC_RULE_ID_MAX 999999999u

/* Bits of mgr_ar_conf.warned. */
enum ac_warn { AW_EXPECT, AW_REPEATED, AW_CA_STORE, AW_CA_VERIFY };

enum ac_kind {
	AK_NAME,
	AK_EXECUTABLE,
	AK_TIMEOUT_ALLOWED,
	AK_EXTRA_ARGS,
	AK_DISABLED,
	AK_COMMAND,
	AK_LOCATION,
	AK_AGENT_ID,
	AK_RULES_ID,
	AK_RULES_GROUP,
	AK_LEVEL,
	AK_TIMEOUT,
	AK_EXPIRE,
	AK_IGNORED, /* a Wazuh element without a Vigie meaning */
};

struct ac_elem {
	const char *name;
	enum ac_kind kind;
	int warn; /* enum ac_warn for AK_IGNORED */
	const char *why;
};

static const struct ac_elem ac_cmd_table[] = {
    {"name", AK_NAME, 0, NULL},
    {"executable", AK_EXECUTABLE, 0, NULL},
    {"timeout_allowed", AK_TIMEOUT_ALLOWED, 0, NULL},
    {"extra_args", AK_EXTRA_ARGS, 0, NULL},
    {"expect", AK_IGNORED, AW_EXPECT, "deprecated since Wazuh 4.2"},
};

static const struct ac_elem ac_ar_table[] = {
    {"disabled", AK_DISABLED, 0, NULL},
    {"command", AK_COMMAND, 0, NULL},
    {"location", AK_LOCATION, 0, NULL},
    {"agent_id", AK_AGENT_ID, 0, NULL},
    {"rules_id", AK_RULES_ID, 0, NULL},
    {"rules_group", AK_RULES_GROUP, 0, NULL},
    {"level", AK_LEVEL, 0, NULL},
    {"timeout", AK_TIMEOUT, 0, NULL},
    {"expire", AK_EXPIRE, 0, NULL},
    {"repeated_offenders", AK_IGNORED, AW_REPEATED, "Wazuh's firewall escalation"},
    {"ca_store", AK_IGNORED, AW_CA_STORE, "a Wazuh Windows agent option"},
    {"ca_verification", AK_IGNORED, AW_CA_VERIFY, "a Wazuh Windows agent option"},
};

struct ac_loc {
	const char *word;
	enum mgr_ar_location loc;
};

static const struct ac_loc ac_locations[] = {
    {"local", MGR_AR_LOCAL},
    {"server", MGR_AR_SERVER},
    {"AS", MGR_AR_SERVER},
    {"analysisd", MGR_AR_SERVER},
    {"analysis-server", MGR_AR_SERVER},
    {"defined-agent", MGR_AR_DEFINED_AGENT},
    {"all", MGR_AR_ALL},
    {"any", MGR_AR_ALL},
};

/* An <active-response> being parsed: the struct plus what is checked at
 * the end of the block. */
struct ac_block {
	struct mgr_active_response ar;
	bool disabled;
	bool has_location;
	const struct vg_conf_node *command, *location, *agent_id, *timeout;
};

static const char *ac_esc(char *dst, size_t dstsz, const char *s)
{
	return vg_escape(dst, dstsz, s, strlen(s));
}

static void ac_cmd_free(struct mgr_ar_command *c)
{
	vg_free(c->name);
	vg_free(c->executable);
	vg_free(c->extra_args);
	memset(c, 0, sizeof(*c));
}

static void ac_ar_free(struct mgr_active_response *ar)
{
	vg_free(ar->command);
	vg_free(ar->agent_id);
	vg_free(ar->rule_ids);
	for (size_t k = 0; k < ar->ngroups; k++)
		vg_free(ar->groups[k]);
	vg_free(ar->groups);
	memset(ar, 0, sizeof(*ar));
}

/* ---- Element helpers ------------------------------------------------------- */

static int ac_unknown(const struct vg_conf_node *n, const char *where, const struct ac_elem *table,
		      size_t ntable, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(ac_ar_table)];
	char esc[64];

	for (size_t k = 0; k < ntable && k < VG_ARRAY_LEN(names); k++)
		names[k] = table[k].name;
	const char *hint = vg_conf_hint(vg_conf_node_name(n), names, ntable);
	ac_esc(esc, sizeof(esc), vg_conf_node_name(n));
	if (hint != NULL)
		return vg_conf_error(n, err, "%s: unknown element <%s>; did you mean <%s>?", where,
				     esc, hint);
	return vg_conf_error(n, err, "%s: unknown element <%s>", where, esc);
}

static void ac_warn_once(struct mgr_ar_conf *c, const struct ac_elem *e,
			 const struct vg_conf_node *n, const char *where)
{
	uint64_t bit = UINT64_C(1) << e->warn;

	if ((c->warned & bit) == 0)
		vg_log_warn("%s:%ld: %s: <%s> (%s) has no meaning in Vigie; ignored",
			    vg_conf_node_file(n), vg_conf_node_line(n), where, e->name, e->why);
	c->warned |= bit;
}

static int ac_uint(const struct vg_conf_node *n, const char *where, const char *what, uint64_t hi,
		   unsigned *out, struct vg_err *err)
{
	uint64_t v;
	char esc[64];
	const char *text = vg_conf_node_text(n);

	if (vg_parse_u64(text, hi, &v) != 0)
		return vg_conf_error(
		    n, err, "%s: <%s>: expected a number from 0 to %llu, got \"%s\"", where, what,
		    (unsigned long long)hi, ac_esc(esc, sizeof(esc), text));
	*out = (unsigned)v;
	return 0;
}

/* A name that becomes part of a path or a log line: one safe component. */
static int ac_name(const struct vg_conf_node *n, const char *where, const char *what, char **out,
		   struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	size_t len = strlen(text);
	char esc[MGR_AR_NAME_MAX + 16];

	if (len == 0 || len > MGR_AR_NAME_MAX || !vg_str_is_name(text, len))
		return vg_conf_error(n, err,
				     "%s: <%s>: \"%s\": expected 1 to %d letters, digits, '.', "
				     "'_' or '-'",
				     where, what, ac_esc(esc, sizeof(esc), text), MGR_AR_NAME_MAX);
	if (strcmp(what, "executable") == 0 && (strcmp(text, ".") == 0 || strcmp(text, "..") == 0))
		return vg_conf_error(n, err, "%s: <executable>: \"%s\" is not a file name", where,
				     text);
	vg_free(*out);
	*out = vg_xstrdup(text);
	return 0;
}

/* ---- <command> ------------------------------------------------------------- */

static int ac_cmd_apply(struct mgr_ar_conf *c, const struct ac_elem *e,
			const struct vg_conf_node *n, struct mgr_ar_command *cmd,
			struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);

	switch (e->kind) {
	case AK_NAME:
		return ac_name(n, "<command>", "name", &cmd->name, err);
	case AK_EXECUTABLE:
		return ac_name(n, "<command>", "executable", &cmd->executable, err);
	case AK_TIMEOUT_ALLOWED:
		return vg_conf_yesno(n, text, "<command>: <timeout_allowed>", &cmd->timeout_allowed,
				     err);
	case AK_EXTRA_ARGS:
		if (strlen(text) > MGR_AR_ARGS_MAX)
			return vg_conf_error(n, err,
					     "<command>: <extra_args>: longer than %d bytes",
					     MGR_AR_ARGS_MAX);
		for (const char *p = text; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				return vg_conf_error(n, err,
						     "<command>: <extra_args> holds a control "
						     "byte at offset %zu",
						     (size_t)(p - text));
		vg_free(cmd->extra_args);
		cmd->extra_args = vg_xstrdup(text);
		return 0;
	case AK_IGNORED:
		ac_warn_once(c, e, n, "<command>");
		return 0;
	default:
		return vg_conf_error(n, err, "<command>: <%s>: internal error", e->name);
	}
}

static int ac_cmd_finish(const struct mgr_ar_conf *c, const struct vg_conf_node *node,
			 const struct mgr_ar_command *cmd, struct vg_err *err)
{
	if (cmd->name == NULL || cmd->executable == NULL)
		return vg_conf_error(node, err,
				     "<command>: Missing command options. You must specify a "
				     "<name> and <executable>.");
	for (size_t k = 0; k < c->ncommands; k++)
		if (strcmp(c->commands[k].name, cmd->name) == 0)
			return vg_conf_error(node, err,
					     "<command>: \"%s\" is already defined at line %ld",
					     cmd->name, c->commands[k].line);
	if (c->ncommands == MGR_AR_MAX)
		return vg_conf_error(node, err, "<command>: more than %d blocks", MGR_AR_MAX);
	return 0;
}

void mgr_ar_conf_init(struct mgr_ar_conf *c)
{
	memset(c, 0, sizeof(*c));
}

int mgr_ar_command_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct mgr_ar_conf *c = ctx;
	struct mgr_ar_command cmd = {.line = vg_conf_node_line(node)};
	int rc = 0;

	for (const struct vg_conf_node *n = vg_conf_node_first(node); rc == 0 && n != NULL;
	     n = vg_conf_node_next(n)) {
		size_t k;
		for (k = 0; k < VG_ARRAY_LEN(ac_cmd_table); k++)
			if (strcmp(ac_cmd_table[k].name, vg_conf_node_name(n)) == 0)
				break;
		if (k == VG_ARRAY_LEN(ac_cmd_table))
			rc = ac_unknown(n, "<command>", ac_cmd_table, k, err);
		else if (vg_conf_node_first(n) != NULL)
			rc = vg_conf_error(n, err, "<command>: <%s>: unexpected element <%s>",
					   ac_cmd_table[k].name,
					   vg_conf_node_name(vg_conf_node_first(n)));
		else
			rc = ac_cmd_apply(c, &ac_cmd_table[k], n, &cmd, err);
	}
	if (rc == 0)
		rc = ac_cmd_finish(c, node, &cmd, err);
	if (rc != 0)
		goto out;
	c->commands = vg_xreallocarray(c->commands, c->ncommands + 1, sizeof(*c->commands));
	c->commands[c->ncommands++] = cmd; /* transferred */
	return 0;
out:
	ac_cmd_free(&cmd);
	return rc;
}

/* ---- <active-response> elements ------------------------------------------- */

static int ac_location(const struct vg_conf_node *n, struct ac_block *b, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	const char *words[VG_ARRAY_LEN(ac_locations)];
	char esc[64];

	for (size_t k = 0; k < VG_ARRAY_LEN(ac_locations); k++) {
		words[k] = ac_locations[k].word;
		if (strcmp(text, ac_locations[k].word) == 0) {
			b->ar.location = ac_locations[k].loc;
			b->has_location = true;
			b->location = n;
			return 0;
		}
	}
	const char *hint = vg_conf_hint(text, words, VG_ARRAY_LEN(words));
	ac_esc(esc, sizeof(esc), text);
	if (hint != NULL)
		return vg_conf_error(n, err,
				     "<active-response>: Invalid location: '%s'; did you mean "
				     "'%s'?",
				     esc, hint);
	return vg_conf_error(n, err,
			     "<active-response>: Invalid location: '%s' (one of local, server, "
			     "defined-agent, all)",
			     esc);
}

static int ac_agent_id(const struct vg_conf_node *n, struct ac_block *b, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	size_t len = strlen(text);
	char esc[64];

	for (size_t k = 0; k < len; k++)
		if (text[k] < '0' || text[k] > '9')
			len = 0;
	if (len == 0 || len > MGR_AR_AGENT_ID_MAX)
		return vg_conf_error(n, err,
				     "<active-response>: <agent_id>: expected an agent id of 1 "
				     "to %d digits (\"001\"), got \"%s\"",
				     MGR_AR_AGENT_ID_MAX, ac_esc(esc, sizeof(esc), text));
	vg_free(b->ar.agent_id);
	b->ar.agent_id = vg_xstrdup(text);
	b->agent_id = n;
	return 0;
}

/* Rule ids: Wazuh tolerates spaces and empty items ("100, ,200,"). */
static int ac_rules(const struct vg_conf_node *n, struct mgr_active_response *ar,
		    struct vg_err *err)
{
	const char *s = vg_conf_node_text(n), *item;
	size_t len;
	char num[16], esc[48];
	uint64_t v;

	vg_free(ar->rule_ids);
	ar->rule_ids = NULL;
	ar->nrule_ids = 0;
	while (vg_str_next_item(&s, &item, &len)) {
		if (len == 0)
			continue;
		if (len >= sizeof(num) || (memcpy(num, item, len), num[len] = '\0',
					   vg_parse_u64(num, AC_RULE_ID_MAX, &v) != 0))
			return vg_conf_error(n, err,
					     "<active-response>: <rules_id>: expected rule ids "
					     "separated by commas, got \"%s\"",
					     vg_escape(esc, sizeof(esc), item, len));
		if (ar->nrule_ids == MGR_AR_MAX_LIST)
			return vg_conf_error(n, err,
					     "<active-response>: <rules_id>: more than %d ids",
					     MGR_AR_MAX_LIST);
		ar->rule_ids = vg_xreallocarray(ar->rule_ids, ar->nrule_ids + 1, sizeof(unsigned));
		ar->rule_ids[ar->nrule_ids++] = (unsigned)v;
	}
	if (ar->nrule_ids == 0)
		return vg_conf_error(n, err, "<active-response>: <rules_id>: no rule id");
	return 0;
}

static void ac_groups_clear(struct mgr_active_response *ar)
{
	for (size_t k = 0; k < ar->ngroups; k++)
		vg_free(ar->groups[k]);
	vg_free(ar->groups);
	ar->groups = NULL;
	ar->ngroups = 0;
}

/*
 * Wazuh matches rules_group as an OSRegex on the rule's group string, so
 * both "a|b" (regex alternation) and "a,b," (the group string's own
 * separator) appear in real files. Both split into exact group names here.
 */
static int ac_groups(const struct vg_conf_node *n, struct mgr_active_response *ar,
		     struct vg_err *err)
{
	const char *p = vg_conf_node_text(n);
	char esc[96];

	ac_groups_clear(ar);
	while (*p != '\0') {
		size_t len = strcspn(p, ",|");
		const char *end = p + len;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0) {
			if (!vg_str_is_name(p, len))
				return vg_conf_error(n, err,
						     "<active-response>: <rules_group>: \"%s\" is "
						     "not a group name (letters, digits, '.', '_', "
						     "'-'; separate groups with ',' or '|')",
						     vg_escape(esc, sizeof(esc), p, len));
			if (ar->ngroups == MGR_AR_MAX_LIST)
				return vg_conf_error(n, err,
						     "<active-response>: <rules_group>: more than "
						     "%d groups",
						     MGR_AR_MAX_LIST);
			ar->groups = vg_xreallocarray(ar->groups, ar->ngroups + 1, sizeof(char *));
			ar->groups[ar->ngroups++] = vg_xstrndup(p, len);
		}
		p = *end != '\0' ? end + 1 : end;
	}
	if (ar->ngroups == 0)
		return vg_conf_error(n, err, "<active-response>: <rules_group>: no group");
	return 0;
}

static int ac_ar_apply(struct mgr_ar_conf *c, const struct ac_elem *e, const struct vg_conf_node *n,
		       struct ac_block *b, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);

	switch (e->kind) {
	case AK_DISABLED:
		return vg_conf_yesno(n, text, "<active-response>: <disabled>", &b->disabled, err);
	case AK_COMMAND:
		vg_free(b->ar.command);
		b->ar.command = vg_xstrdup(text);
		b->command = n;
		return 0;
	case AK_LOCATION:
		return ac_location(n, b, err);
	case AK_AGENT_ID:
		return ac_agent_id(n, b, err);
	case AK_RULES_ID:
		return ac_rules(n, &b->ar, err);
	case AK_RULES_GROUP:
		return ac_groups(n, &b->ar, err);
	case AK_LEVEL:
		return ac_uint(n, "<active-response>", "level", MGR_AR_LEVEL_MAX, &b->ar.level,
			       err);
	case AK_TIMEOUT:
		b->timeout = n;
		return ac_uint(n, "<active-response>", "timeout", MGR_AR_TIMEOUT_MAX,
			       &b->ar.timeout, err);
	case AK_EXPIRE:
		return ac_uint(n, "<active-response>", "expire", MGR_AR_TIMEOUT_MAX, &b->ar.expire,
			       err);
	case AK_IGNORED:
		ac_warn_once(c, e, n, "<active-response>");
		return 0;
	default:
		return vg_conf_error(n, err, "<active-response>: <%s>: internal error", e->name);
	}
}

/* ---- <active-response> as a whole ----------------------------------------- */

/* Resolve the command: a <command> read so far, else a built-in. */
static int ac_resolve(const struct mgr_ar_conf *c, struct ac_block *b, struct vg_err *err)
{
	const char *name = b->ar.command;
	const char *cands[MGR_AR_MAX + 2];
	size_t n = 0;
	char esc[MGR_AR_NAME_MAX + 16];

	for (size_t k = 0; k < c->ncommands; k++)
		if (strcmp(c->commands[k].name, name) == 0) {
			b->ar.kind = MGR_AR_SCRIPT;
			b->ar.cmd_index = k;
			return 0;
		}
	if (strcmp(name, MGR_AR_QUARANTINE) == 0) {
		b->ar.kind = MGR_AR_BUILTIN_QUAR;
		return 0;
	}
	if (strcmp(name, MGR_AR_REMOVE_THREAT) == 0) {
		b->ar.kind = MGR_AR_BUILTIN_REMOVE;
		return 0;
	}
	for (size_t k = 0; k < c->ncommands; k++)
		cands[n++] = c->commands[k].name;
	cands[n++] = MGR_AR_QUARANTINE;
	cands[n++] = MGR_AR_REMOVE_THREAT;
	const char *hint = vg_conf_hint(name, cands, n);
	ac_esc(esc, sizeof(esc), name);
	if (hint != NULL)
		return vg_conf_error(b->command, err,
				     "<active-response>: Invalid command '%s'; did you mean "
				     "'%s'?",
				     esc, hint);
	return vg_conf_error(b->command, err,
			     "<active-response>: Invalid command '%s': define it in a <command> "
			     "block before this one, or use quarantine or remove-threat",
			     esc);
}

enum ac_verdict { AC_KEEP, AC_DROP };

/* After every element: Wazuh's block-level checks, in Wazuh's order. */
static int ac_ar_finish(const struct mgr_ar_conf *c, const struct vg_conf_node *node,
			struct ac_block *b, enum ac_verdict *verdict, struct vg_err *err)
{
	const char *file = vg_conf_node_file(node);
	long line = vg_conf_node_line(node);
	int rc;

	*verdict = AC_DROP;
	if (b->disabled)
		return 0;
	if (b->ar.command == NULL || b->ar.command[0] == '\0' || !b->has_location)
		return vg_conf_error(node, err,
				     "<active-response>: Missing <command> or <location>");
	if (b->ar.location == MGR_AR_DEFINED_AGENT) {
		if (b->ar.agent_id == NULL)
			return vg_conf_error(b->location, err,
					     "<active-response>: 'defined-agent' needs an "
					     "<agent_id>");
		if (strspn(b->ar.agent_id, "0") == strlen(b->ar.agent_id)) {
			vg_log_warn("%s:%ld: <active-response>: <agent_id> 000 is the manager, "
				    "not an agent: use <location>server</location>; block "
				    "ignored",
				    file, line);
			return 0;
		}
	} else if (b->ar.agent_id != NULL) {
		vg_log_warn("%s:%ld: <active-response>: <agent_id> is only used with "
			    "<location>defined-agent</location>; ignored",
			    file, line);
		vg_free(b->ar.agent_id);
		b->ar.agent_id = NULL;
	}
	rc = ac_resolve(c, b, err);
	if (rc != 0)
		return rc;
	const struct mgr_ar_command *cmd = mgr_ar_command_of(c, &b->ar);
	if (b->ar.timeout != 0 && (cmd == NULL || !cmd->timeout_allowed)) {
		vg_log_warn("%s:%ld: <active-response>: command '%s' does not allow a timeout "
			    "(<timeout_allowed>no</timeout_allowed>); <timeout> ignored",
			    vg_conf_node_file(b->timeout), vg_conf_node_line(b->timeout),
			    b->ar.command);
		b->ar.timeout = 0;
	}
	if (b->ar.level == 0 && b->ar.nrule_ids == 0 && b->ar.ngroups == 0)
		vg_log_warn("%s:%ld: <active-response>: no <level>, <rules_id> or "
			    "<rules_group>: it fires on no alert (as in Wazuh)",
			    file, line);
	if (c->n == MGR_AR_MAX)
		return vg_conf_error(node, err, "<active-response>: more than %d blocks",
				     MGR_AR_MAX);
	*verdict = AC_KEEP;
	return 0;
}

int mgr_ar_response_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct mgr_ar_conf *c = ctx;
	struct ac_block b;
	enum ac_verdict verdict = AC_DROP;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	b.ar.line = vg_conf_node_line(node);
	for (const struct vg_conf_node *n = vg_conf_node_first(node); rc == 0 && n != NULL;
	     n = vg_conf_node_next(n)) {
		size_t k;
		for (k = 0; k < VG_ARRAY_LEN(ac_ar_table); k++)
			if (strcmp(ac_ar_table[k].name, vg_conf_node_name(n)) == 0)
				break;
		if (k == VG_ARRAY_LEN(ac_ar_table))
			rc = ac_unknown(n, "<active-response>", ac_ar_table, k, err);
		else if (vg_conf_node_first(n) != NULL)
			rc = vg_conf_error(
			    n, err, "<active-response>: <%s>: unexpected element <%s>",
			    ac_ar_table[k].name, vg_conf_node_name(vg_conf_node_first(n)));
		else
			rc = ac_ar_apply(c, &ac_ar_table[k], n, &b, err);
	}
	if (rc == 0)
		rc = ac_ar_finish(c, node, &b, &verdict, err);
	if (rc != 0 || verdict == AC_DROP)
		goto out;
	c->items = vg_xreallocarray(c->items, c->n + 1, sizeof(*c->items));
	c->items[c->n++] = b.ar; /* transferred */
	return 0;
out:
	ac_ar_free(&b.ar);
	return rc;
}

const struct mgr_ar_command *mgr_ar_command_of(const struct mgr_ar_conf *c,
					       const struct mgr_active_response *ar)
{
	if (ar->kind != MGR_AR_SCRIPT || ar->cmd_index >= c->ncommands)
		return NULL;
	return &c->commands[ar->cmd_index];
}

/* ---- Matching --------------------------------------------------------------- */

bool ar_matches(const struct mgr_active_response *ar, const struct store_alert *a)
{
	/* Wazuh binds no response to a level-0 rule, nor to "no rule". */
	if (a->rule_id == 0 || a->level == 0)
		return false;
	if (ar->level != 0 && a->level >= ar->level)
		return true;
	for (size_t k = 0; k < ar->nrule_ids; k++)
		if (ar->rule_ids[k] == a->rule_id)
			return true;
	if (ar->ngroups > 0) {
		/* The integration filter's group test alone (no other filter
		 * set): one definition of "exact group of rule.groups". */
		struct mgr_integration only_groups;
		memset(&only_groups, 0, sizeof(only_groups));
		only_groups.groups = ar->groups;
		only_groups.ngroups = ar->ngroups;
		if (integration_matches_fields(&only_groups, NULL, 0, 0, a->groups))
			return true;
	}
	return false;
}

void mgr_ar_conf_free(struct mgr_ar_conf *c)
{
	for (size_t k = 0; k < c->ncommands; k++)
		ac_cmd_free(&c->commands[k]);
	vg_free(c->commands);
	for (size_t k = 0; k < c->n; k++)
		ac_ar_free(&c->items[k]);
	vg_free(c->items);
	mgr_ar_conf_init(c);
}
