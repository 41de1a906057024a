/*
 * agents.c - `vigie agents list|show|add|remove` (docs/agents.md).
 *
 * Works on the registry through manager/registry.h only: list and show open
 * it read-only; add and remove open the writer, which SQLite's WAL lets run
 * beside a running manager (each change is one transaction, taken in turn
 * under the busy timeout). A removal revokes the agent's certificates at
 * commit: the manager checks reg_is_revoked() on each new connection, so
 * the agent is refused from its next connection on.
 *
 * Output: a table for people (the columns of Wazuh's agent_control -l) or,
 * with --json, one JSON object per agent and line, keyed like Wazuh's API
 * (id, name, ip, status, version, group, configSum, dateAdd, lastKeepAlive).
 *
 * Exit status: 0 done, 1 failed (unknown agent, refused, registry error),
 * 2 usage error (bad option, bad id or status syntax).
 *
 * Single-threaded.
 */
#include "cli/agents.h"
#include "cli/usage.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/common.h"
#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/registry.h"

#define AG_MAX_LINE 65536 /* one JSON line: an agent's fields are bounded well below */
#define AG_TIME_TEXT 32
#define AG_COLS 6

struct ag_opts {
	const char *home;
	const char *cmd; /* list, show, add, remove */
	const char *arg; /* ID or NAME */
	const char *status;
	const char *ip;
	const char *groups;
	bool json;
	bool yes;
	bool force;
};

/* ---------------------------------------------------------------- options */

static void ag_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie agents list [--status STATUS] [--json] [-D HOME]\n"
		"       vigie agents show ID [--json] [-D HOME]\n"
		"       vigie agents add NAME [--ip ADDRESS] [--groups LIST] [--force] [-D HOME]\n"
		"       vigie agents remove ID [--yes] [-D HOME]\n"
		"List, show, add and remove the agents enrolled with the manager (Wazuh's\n"
		"agent_control -l/-i and manage_agents -a/-r). The registry is\n"
		"HOME/queue/agents.db; agent 000 is the manager itself, named after its host.\n"
		"\n"
		"Commands:\n"
		"  list         every agent, in id order: ID NAME IP STATUS VERSION\n"
		"               LAST-KEEPALIVE (times in UTC, '-' when there is none)\n"
		"  show ID      one agent with all its fields (ID: '001' or '1')\n"
		"  add NAME     enroll an agent without the network (manage_agents -a)\n"
		"               and print its new id; NAME is 1 to %d of letters, digits,\n"
		"               '.', '_' and '-', not only digits\n"
		"  remove ID    remove an agent and revoke its certificates: the manager\n"
		"               refuses its next connection; ids are never reused; the\n"
		"               manager (000) cannot be removed\n"
		"\n"
		"Options:\n"
		"  -D, --home DIR       manager home (default: %s)\n"
		"  -s, --status STATUS  list: only active, disconnected or never_connected\n"
		"                       agents (disconnected: no keepalive for %d s)\n"
		"  -j, --json           list, show: one JSON object per agent and line\n"
		"  -i, --ip ADDRESS     add: the agent's address: 'any' (default), an IPv4\n"
		"                       or IPv6 address, optionally /prefix\n"
		"  -g, --groups LIST    add: comma-separated groups (default: default)\n"
		"  -f, --force          add: replace an agent of the same name (its id is\n"
		"                       removed and its certificates revoked)\n"
		"  -y, --yes            remove: do not ask for confirmation (required when\n"
		"                       standard input is not a terminal)\n"
		"  -h, --help           print this help and exit\n"
		"\n"
		"Examples:\n"
		"  vigie agents list --status disconnected\n"
		"  vigie agents show 001 --json | jq .lastKeepAlive\n"
		"  vigie agents add web-1 --ip 10.0.0.5 --groups web,linux\n"
		"  vigie agents remove 003 --yes\n"
		"\n"
		"Exit status: 0 on success; 1 when the agent does not exist, the change\n"
		"is refused (a name already enrolled, agent 000, a declined confirmation)\n"
		"or the registry cannot be read or written; 2 on a usage error.\n",
		REG_NAME_MAX, VG_DEFAULT_HOME, REG_DISCONNECT_DEFAULT);
}

/* Which options a command accepts: a letter of "sjigfy". */
static bool ag_allowed(const char *cmd, int opt)
{
	static const struct cli_subcmd table[] = {
	    {"list", "sj"}, {"show", "j"}, {"add", "igf"}, {"remove", "y"}};

	return cli_subcmd_allows(table, sizeof(table) / sizeof(table[0]), cmd, opt);
}

static int ag_check_args(struct ag_opts *o, const char *seen, char **pos, int npos)
{
	bool needs_arg;

	if (npos == 0)
		return cli_usage_error("agents", "%s",
				       "missing command (list, show, add or remove)");
	o->cmd = pos[0];
	if (strcmp(o->cmd, "list") != 0 && strcmp(o->cmd, "show") != 0 &&
	    strcmp(o->cmd, "add") != 0 && strcmp(o->cmd, "remove") != 0)
		return cli_usage_error("agents", "unknown command '%s'", o->cmd);
	needs_arg = strcmp(o->cmd, "list") != 0;
	if (npos != (needs_arg ? 2 : 1))
		return cli_usage_error("agents", "%s takes %s argument", o->cmd,
				       needs_arg ? "one" : "no");
	o->arg = needs_arg ? pos[1] : NULL;
	for (const char *p = seen; *p != '\0'; p++)
		if (!ag_allowed(o->cmd, *p))
			return cli_usage_error("agents", "%s does not take -%c", o->cmd, *p);
	return 0;
}

/* 0: run; 1: --help was printed; 2: usage error (already reported). */
static int ag_parse_args(int argc, char **argv, struct ag_opts *o)
{
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'D'},
	    {"status", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"ip", required_argument, NULL, 'i'},
	    {"groups", required_argument, NULL, 'g'},
	    {"force", no_argument, NULL, 'f'},
	    {"yes", no_argument, NULL, 'y'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char seen[16] = "";
	int c;

	*o = (struct ag_opts){.home = VG_DEFAULT_HOME};
	optind = 1; /* argv is the subcommand's: parse it from its start */
	while ((c = getopt_long(argc, argv, "D:s:ji:g:fyh", longopts, NULL)) != -1) {
		cli_seen_add(seen, sizeof(seen), c);
		switch (c) {
		case 'D':
			o->home = optarg;
			break;
		case 's':
			o->status = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'i':
			o->ip = optarg;
			break;
		case 'g':
			o->groups = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'y':
			o->yes = true;
			break;
		case 'h':
			ag_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'vigie agents --help'.\n");
			return 2;
		}
	}
	return ag_check_args(o, seen, argv + optind, argc - optind);
}

/* ---------------------------------------------------------------- output */

/* Epoch seconds as ISO 8601 UTC, "-" for 0 (never). */
static const char *ag_time(int64_t t, char out[AG_TIME_TEXT])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, AG_TIME_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		vg_strlcpy(out, "-", AG_TIME_TEXT);
	return out;
}

static json_t *ag_groups_json(const char *groups)
{
	json_t *arr = json_array();
	const char *p = groups;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		json_array_append_new(arr, json_stringn(p, n));
		p += n;
		if (*p == ',')
			p++;
	}
	return arr;
}

/* Wazuh API keys; a time that is not known yet is null. */
static json_t *ag_json(const struct reg_agent *a)
{
	char t[AG_TIME_TEXT];
	json_t *j = json_object();

	json_object_set_new(j, "id", json_string(a->id));
	json_object_set_new(j, "name", json_string(a->name));
	json_object_set_new(j, "ip", json_string(a->ip));
	json_object_set_new(j, "status", json_string(reg_status_name(a->status)));
	json_object_set_new(j, "version", a->version[0] ? json_string(a->version) : json_null());
	json_object_set_new(j, "group", ag_groups_json(a->groups));
	json_object_set_new(j, "configSum",
			    a->config_sum[0] ? json_string(a->config_sum) : json_null());
	json_object_set_new(j, "dateAdd", json_string(ag_time(a->enrolled, t)));
	json_object_set_new(j, "lastKeepAlive",
			    a->last_keepalive > 0 ? json_string(ag_time(a->last_keepalive, t))
						  : json_null());
	return j;
}

static int ag_print_json(const struct reg_agent *a)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_buf b = VG_BUF_INIT(AG_MAX_LINE);
	json_t *j = ag_json(a);
	int rc = vg_json_dump(&b, j, &err);

	if (rc == 0)
		printf("%s\n", vg_buf_cstr(&b));
	else
		fprintf(stderr, "vigie agents: %s\n", err.msg);
	json_decref(j);
	vg_buf_free(&b);
	return rc;
}

/* The table: measured in a first pass over the agents, printed in a second. */
struct ag_table {
	bool measure;
	int width[AG_COLS];
	int rc;
};

static int ag_json_row(void *ctx, const struct reg_agent *a)
{
	struct ag_table *t = ctx;
	t->rc = ag_print_json(a);
	return t->rc;
}

/* ---------------------------------------------------------------- commands */

static void ag_cells(const int *width, const char *const *cell)
{
	for (int i = 0; i + 1 < AG_COLS; i++)
		printf("%-*s  ", width[i], cell[i]);
	printf("%s\n", cell[AG_COLS - 1]);
}

static int ag_table_row(void *ctx, const struct reg_agent *a)
{
	struct ag_table *t = ctx;
	char ka[AG_TIME_TEXT];
	const char *cell[AG_COLS] = {a->id,
				     a->name,
				     a->ip,
				     reg_status_name(a->status),
				     a->version[0] ? a->version : "-",
				     ag_time(a->last_keepalive, ka)};

	if (!t->measure) {
		ag_cells(t->width, cell);
		return 0;
	}
	for (int i = 0; i < AG_COLS; i++)
		if ((int)strlen(cell[i]) > t->width[i])
			t->width[i] = (int)strlen(cell[i]);
	return 0;
}

static int ag_list(const struct ag_opts *o, struct reg *r, struct vg_err *err)
{
	static const char *const head[AG_COLS] = {"ID",     "NAME",    "IP",
						  "STATUS", "VERSION", "LAST-KEEPALIVE"};
	struct ag_table t = {.measure = true};
	enum reg_status status = REG_ACTIVE;
	const enum reg_status *filter = NULL;

	if (o->status != NULL) {
		if (reg_status_parse(o->status, &status, err) != 0)
			return VG_EINTERNAL; /* checked by ag_check_values already */
		filter = &status;
	}
	if (o->json) {
		int rc = reg_list(r, filter, ag_json_row, &t, err);
		return rc != 0 ? rc : t.rc;
	}
	for (int i = 0; i < AG_COLS; i++)
		t.width[i] = (int)strlen(head[i]);
	if (reg_list(r, filter, ag_table_row, &t, err) != 0)
		return VG_EINTERNAL;
	ag_cells(t.width, head);
	t.measure = false;
	return reg_list(r, filter, ag_table_row, &t, err);
}

static int ag_show(const struct ag_opts *o, struct reg *r, struct vg_err *err)
{
	struct reg_agent *a = vg_xmalloc(sizeof(*a));
	char t1[AG_TIME_TEXT], t2[AG_TIME_TEXT];
	int rc = reg_get(r, o->arg, a, err);

	if (rc == 0 && o->json) {
		rc = ag_print_json(a);
	} else if (rc == 0) {
		printf("ID:              %s\n"
		       "Name:            %s\n"
		       "IP:              %s\n"
		       "Status:          %s\n"
		       "Version:         %s\n"
		       "Groups:          %s\n"
		       "Config checksum: %s\n"
		       "Enrolled:        %s\n"
		       "Last keepalive:  %s\n",
		       a->id, a->name, a->ip, reg_status_name(a->status),
		       a->version[0] ? a->version : "-", a->groups[0] ? a->groups : "-",
		       a->config_sum[0] ? a->config_sum : "-", ag_time(a->enrolled, t1),
		       ag_time(a->last_keepalive, t2));
	}
	vg_free(a);
	return rc;
}

static int ag_add(const struct ag_opts *o, struct reg *r, struct vg_err *err)
{
	char id[REG_ID_TEXT];
	int rc = reg_enroll(r, o->arg, o->ip, o->groups, NULL, o->force, id, err);

	if (rc == 0)
		printf("%s\n", id);
	return rc;
}

/* Ask on the terminal; true when the answer is y or yes. */
static bool ag_confirm(const struct reg_agent *a)
{
	char line[16];

	fprintf(stderr, "Remove agent %s (%s) and revoke its certificates? [y/N] ", a->id, a->name);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
}

static int ag_remove(const struct ag_opts *o, struct reg *r, struct vg_err *err)
{
	struct reg_agent *a = vg_xmalloc(sizeof(*a));
	unsigned revoked = 0;
	int rc = reg_get(r, o->arg, a, err);

	/* 000 is refused by reg_remove before anything is asked */
	if (rc == 0 && !o->yes && strcmp(a->id, "000") != 0 && !ag_confirm(a))
		rc = vg_err_set(err, VG_EPERM, "agent %s not removed", a->id);
	if (rc == 0)
		rc = reg_remove(r, o->arg, &revoked, err);
	if (rc == 0)
		printf("Agent %s (%s) removed, %u certificate%s revoked.\n", a->id, a->name,
		       revoked, revoked == 1 ? "" : "s");
	vg_free(a);
	return rc;
}

/* ---------------------------------------------------------------- main */

/* Check the arguments' syntax before touching the registry (errors exit 2). */
static int ag_check_values(const struct ag_opts *o, struct vg_err *err)
{
	enum reg_status status;
	int64_t id;
	int rc = 0;

	if (o->status != NULL)
		rc = reg_status_parse(o->status, &status, err);
	if (rc == 0 && (strcmp(o->cmd, "show") == 0 || strcmp(o->cmd, "remove") == 0))
		rc = reg_id_parse(o->arg, &id, err);
	if (rc == 0 && strcmp(o->cmd, "add") == 0)
		rc = reg_check_name(o->arg, err);
	if (rc == 0 && o->ip != NULL)
		rc = reg_check_ip(o->ip, err);
	if (rc == 0 && o->groups != NULL)
		rc = reg_check_groups(o->groups, err);
	if (rc == 0 && strcmp(o->cmd, "remove") == 0 && !o->yes && !isatty(STDIN_FILENO))
		rc = vg_err_set(err, VG_EPERM,
				"standard input is not a terminal: confirm the "
				"removal with --yes");
	return rc;
}

/*
 * Open the registry: read-only for list and show; the writer for add and
 * remove. add gives a fresh HOME its queue/ (as the manager would); remove
 * never creates a registry in a mistyped HOME.
 */
static int ag_open(const struct ag_opts *o, struct reg **r, struct vg_err *err)
{
	struct reg_opts ro = REG_OPTS_INIT;
	char *path = reg_path(o->home);
	char *queue = vg_xasprintf("%s/queue", o->home);
	struct stat st;
	int rc = 0;

	ro.readonly = strcmp(o->cmd, "list") == 0 || strcmp(o->cmd, "show") == 0;
	if (strcmp(o->cmd, "add") == 0) {
		if (stat(o->home, &st) != 0 || !S_ISDIR(st.st_mode))
			rc = vg_err_set(err, VG_ENOTFOUND, "manager home %s is not a directory",
					o->home);
		else
			rc = vg_fs_mkdirs(queue, 0750, err);
	} else if (stat(path, &st) != 0) {
		rc =
		    vg_err_set(err, VG_ENOTFOUND,
			       "no agent registry at %s (has the manager run in this HOME?)", path);
	}
	if (rc == 0)
		rc = reg_open(path, &ro, r, err);
	vg_free(queue);
	vg_free(path);
	return rc;
}

int cli_agents(int argc, char **argv)
{
	struct vg_err err = VG_ERR_INIT;
	struct ag_opts o;
	struct reg *r = NULL;
	int rc, status = ag_parse_args(argc, argv, &o);

	if (status != 0)
		return status == 1 ? 0 : status;
	if (ag_check_values(&o, &err) != 0) {
		fprintf(stderr, "vigie agents: %s\nTry 'vigie agents --help'.\n", err.msg);
		return 2;
	}
	rc = ag_open(&o, &r, &err);
	if (rc == 0 && strcmp(o.cmd, "list") == 0)
		rc = ag_list(&o, r, &err);
	else if (rc == 0 && strcmp(o.cmd, "show") == 0)
		rc = ag_show(&o, r, &err);
	else if (rc == 0 && strcmp(o.cmd, "add") == 0)
		rc = ag_add(&o, r, &err);
	else if (rc == 0)
		rc = ag_remove(&o, r, &err);
	reg_close(r);
	if (rc != 0 && err.code != 0)
		fprintf(stderr, "vigie agents: %s\n", err.msg);
	return rc != 0 ? 1 : 0;
}
