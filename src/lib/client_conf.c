/*
 * client_conf.c - <client> parsing (see client_conf.h).
 *
 * One table lists every element of <client>, <client><server> and
 * <client><enrollment>, with what to do with it: a sub-block, a host, a
 * port, a bounded number, a size (K/M/G suffixes), a yes/no, a name, a group list, a path, "accept
 * and warn once" (Wazuh has it, Vigie does not), or "deprecated: error with
 * the modern spelling". The warning is given once per element name per
 * struct (a bit in c->warned). Each entry's offset is into the struct of its
 * scope: vg_client_conf, vg_client_server or vg_client_enrollment.
 */
#include "lib/client_conf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/netaddr.h"
#include "lib/str.h"

enum cl_scope { CL_CLIENT, CL_SERVER, CL_ENROLL };

enum cl_kind {
	CK_SERVER, /* the <server> block */
	CK_ENROLL, /* the <enrollment> block */
	CK_HOST,   /* host name or IP literal into a char * */
	CK_PORT,   /* 1..65535 into a uint16_t */
	CK_PROTO,  /* tcp only */
	CK_UINT,   /* min..max into an unsigned */
	CK_U64,    /* min..max into a uint64_t */
	CK_SIZE,   /* bytes, K/M/G suffixes, VG_CLIENT_OUTBOX_SIZE_MIN..MAX into a uint64_t */
	CK_BOOL,   /* yes|no into a bool */
	CK_NAME,   /* agent name into a char * */
	CK_GROUPS, /* comma list into groups/ngroups */
	CK_PATH,   /* non-empty path into a char * */
	CK_WARN,   /* Wazuh has it, Vigie does not: accepted, warned once */
	CK_OLD,    /* removed from Wazuh: error naming the replacement */
};

struct cl_elem {
	enum cl_scope scope;
	const char *name;
	enum cl_kind kind;
	size_t off;
	unsigned min, max; /* CK_UINT; for CK_OLD, min is unused and the hint is in note */
	const char *note;  /* CK_OLD: what to write instead */
};

#define CL_MAXU 1000000000u /* Wazuh's bound for retries and intervals */
#define C_OFF(f) offsetof(struct vg_client_conf, f)
#define S_OFF(f) offsetof(struct vg_client_server, f)
#define E_OFF(f) offsetof(struct vg_client_enrollment, f)

static const struct cl_elem cl_table[] = {
    {CL_CLIENT, "server", CK_SERVER, 0, 0, 0, NULL},
    {CL_CLIENT, "enrollment", CK_ENROLL, 0, 0, 0, NULL},
    {CL_CLIENT, "notify_time", CK_UINT, C_OFF(notify_time), 1, 86400, NULL},
    {CL_CLIENT, "time-reconnect", CK_UINT, C_OFF(time_reconnect), 1, 86400 * 7, NULL},
    {CL_CLIENT, "outbox_max_events", CK_U64, C_OFF(outbox_max_events), 1, CL_MAXU, NULL},
    {CL_CLIENT, "outbox_max_size", CK_SIZE, C_OFF(outbox_max_size), 0, 0, NULL},
    {CL_CLIENT, "config-profile", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "auto_restart", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "crypto_method", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "force_reconnect_interval", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "ip_update_interval", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "remote_conf", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "local_ip", CK_WARN, 0, 0, 0, NULL},
    {CL_CLIENT, "server-ip", CK_OLD, 0, 0, 0, "<server><address>"},
    {CL_CLIENT, "server-hostname", CK_OLD, 0, 0, 0, "<server><address>"},
    {CL_CLIENT, "port", CK_OLD, 0, 0, 0, "<server><port>"},
    {CL_CLIENT, "protocol", CK_OLD, 0, 0, 0, "<server><protocol>"},
    {CL_SERVER, "address", CK_HOST, S_OFF(address), 0, 0, NULL},
    {CL_SERVER, "port", CK_PORT, S_OFF(port), 0, 0, NULL},
    {CL_SERVER, "protocol", CK_PROTO, 0, 0, 0, NULL},
    {CL_SERVER, "max_retries", CK_UINT, S_OFF(max_retries), 1, CL_MAXU, NULL},
    {CL_SERVER, "retry_interval", CK_UINT, S_OFF(retry_interval), 1, CL_MAXU, NULL},
    {CL_SERVER, "interface_index", CK_WARN, 0, 0, 0, NULL},
    {CL_ENROLL, "enabled", CK_BOOL, E_OFF(enabled), 0, 0, NULL},
    {CL_ENROLL, "manager_address", CK_HOST, E_OFF(manager_address), 0, 0, NULL},
    {CL_ENROLL, "port", CK_PORT, E_OFF(port), 0, 0, NULL},
    {CL_ENROLL, "agent_name", CK_NAME, E_OFF(agent_name), 0, 0, NULL},
    {CL_ENROLL, "groups", CK_GROUPS, 0, 0, 0, NULL},
    {CL_ENROLL, "authorization_pass_path", CK_PATH, E_OFF(authorization_pass_path), 0, 0, NULL},
    {CL_ENROLL, "delay_after_enrollment", CK_UINT, E_OFF(delay_after_enrollment), 0, 3600, NULL},
    {CL_ENROLL, "use_source_ip", CK_BOOL, E_OFF(use_source_ip), 0, 0, NULL},
    {CL_ENROLL, "agent_address", CK_WARN, 0, 0, 0, NULL},
    {CL_ENROLL, "ssl_cipher", CK_WARN, 0, 0, 0, NULL},
    {CL_ENROLL, "server_ca_path", CK_WARN, 0, 0, 0, NULL},
    {CL_ENROLL, "agent_certificate_path", CK_WARN, 0, 0, 0, NULL},
    {CL_ENROLL, "agent_key_path", CK_WARN, 0, 0, 0, NULL},
    {CL_ENROLL, "auto_method", CK_WARN, 0, 0, 0, NULL},
};

_Static_assert(VG_ARRAY_LEN(cl_table) <= 64, "one warned bit per element");

static const char *const cl_where[] = {"<client>", "<client><server>", "<client><enrollment>"};

/* Parse the children of node (scope sc) into base. */
static int cl_parse_block(struct vg_client_conf *c, enum cl_scope sc, void *base,
			  const struct vg_conf_node *node, struct vg_err *err);

static const char *cl_esc(char *dst, size_t dstsz, const char *s)
{
	return vg_escape(dst, dstsz, s, strlen(s));
}

static int cl_unknown(const struct vg_conf_node *n, enum cl_scope sc, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(cl_table)];
	size_t k = 0;
	char esc[64];

	for (size_t i = 0; i < VG_ARRAY_LEN(cl_table); i++)
		if (cl_table[i].scope == sc && cl_table[i].kind != CK_OLD)
			names[k++] = cl_table[i].name;
	const char *hint = vg_conf_hint(vg_conf_node_name(n), names, k);
	cl_esc(esc, sizeof(esc), vg_conf_node_name(n));
	if (hint != NULL)
		return vg_conf_error(n, err, "%s: unknown element <%s>; did you mean <%s>?",
				     cl_where[sc], esc, hint);
	return vg_conf_error(n, err, "%s: unknown element <%s>", cl_where[sc], esc);
}

static int cl_host(const struct vg_conf_node *n, const char *what, char **field, struct vg_err *err)
{
	char norm[VG_NETADDR_TEXT_MAX];
	char esc[80];
	const char *text = vg_conf_node_text(n);

	if (vg_netaddr_parse_host(text, norm) != 0)
		return vg_conf_error(n, err,
				     "%s: expected a host name or an IPv4/IPv6 address, got \"%s\"",
				     what, cl_esc(esc, sizeof(esc), text));
	vg_free(*field);
	*field = vg_xstrdup(norm);
	return 0;
}

static int cl_port(const struct vg_conf_node *n, const char *what, uint16_t *field,
		   struct vg_err *err)
{
	char esc[64];
	const char *text = vg_conf_node_text(n);

	if (vg_netaddr_parse_port(text, field) != 0)
		return vg_conf_error(n, err, "%s: expected a port from 1 to 65535, got \"%s\"",
				     what, cl_esc(esc, sizeof(esc), text));
	return 0;
}

static int cl_proto(const struct vg_conf_node *n, const char *what, struct vg_err *err)
{
	char esc[64];
	const char *text = vg_conf_node_text(n);

	if (strcasecmp(text, "tcp") == 0)
		return 0;
	if (strcasecmp(text, "udp") == 0)
		return vg_conf_error(n, err,
				     "%s: udp is not supported: Vigie talks to the manager over "
				     "TLS on TCP; write <protocol>tcp</protocol> or remove it",
				     what);
	return vg_conf_error(n, err, "%s: expected tcp, got \"%s\"", what,
			     cl_esc(esc, sizeof(esc), text));
}

static int cl_u64(const struct vg_conf_node *n, const char *what, const struct cl_elem *e,
		  uint64_t *field, struct vg_err *err)
{
	char esc[64];
	uint64_t v;
	const char *text = vg_conf_node_text(n);

	if (vg_parse_u64(text, e->max, &v) != 0 || v < e->min)
		return vg_conf_error(n, err, "%s: expected a number from %u to %u, got \"%s\"",
				     what, e->min, e->max, cl_esc(esc, sizeof(esc), text));
	*field = v;
	return 0;
}

static int cl_uint(const struct vg_conf_node *n, const char *what, const struct cl_elem *e,
		   unsigned *field, struct vg_err *err)
{
	uint64_t v;
	int rc = cl_u64(n, what, e, &v, err); /* e->max fits an unsigned */

	if (rc == 0)
		*field = (unsigned)v;
	return rc;
}

/* Plain bytes, or a K/KB, M/MB, G/GB, T/TB suffix (1024-based). */
static int cl_size(const struct vg_conf_node *n, const char *what, uint64_t *field,
		   struct vg_err *err)
{
	char esc[64];
	uint64_t v;
	const char *text = vg_conf_node_text(n);

	if (vg_parse_size(text, 1, &v) != 0 || v < VG_CLIENT_OUTBOX_SIZE_MIN ||
	    v > VG_CLIENT_OUTBOX_SIZE_MAX)
		return vg_conf_error(n, err,
				     "%s: expected a size from 1M to 1T (bytes, or a K, M, G or T "
				     "suffix), got \"%s\"",
				     what, cl_esc(esc, sizeof(esc), text));
	*field = v;
	return 0;
}

bool vg_client_valid_agent_name(const char *name)
{
	size_t len = strlen(name);

	return len >= 2 && len <= VG_CLIENT_NAME_MAX && vg_str_is_name(name, len);
}

static int cl_name(const struct vg_conf_node *n, const char *what, char **field, struct vg_err *err)
{
	char esc[80];
	const char *text = vg_conf_node_text(n);

	if (!vg_client_valid_agent_name(text))
		return vg_conf_error(n, err,
				     "%s: expected 2 to %d letters, digits, '.', '_' or '-', got "
				     "\"%s\"",
				     what, VG_CLIENT_NAME_MAX, cl_esc(esc, sizeof(esc), text));
	vg_free(*field);
	*field = vg_xstrdup(text);
	return 0;
}

/* A Wazuh group name: [A-Za-z0-9._-]{1,255}, not "." or "..". */
static bool cl_group_ok(const char *g, size_t len)
{
	if (len > VG_CLIENT_GROUP_MAX || (len == 1 && g[0] == '.') ||
	    (len == 2 && g[0] == '.' && g[1] == '.'))
		return false;
	return vg_str_is_name(g, len);
}

static void cl_groups_free(struct vg_client_enrollment *e)
{
	for (size_t i = 0; i < e->ngroups; i++)
		vg_free(e->groups[i]);
	vg_free(e->groups);
	e->groups = NULL;
	e->ngroups = 0;
}

static int cl_groups(const struct vg_conf_node *n, const char *what, struct vg_client_enrollment *e,
		     struct vg_err *err)
{
	const char *s = vg_conf_node_text(n);
	const char *item;
	size_t len;
	char esc[80];

	cl_groups_free(e);
	if (s[0] == '\0')
		return 0; /* <groups/>: none, as Wazuh */
	while (vg_str_next_item(&s, &item, &len)) {
		char *g = vg_xstrndup(item, len);
		int rc = 0;
		if (!cl_group_ok(item, len))
			rc = vg_conf_error(n, err,
					   "%s: bad group name \"%s\": expected 1 to %d letters, "
					   "digits, '.', '_' or '-'",
					   what, cl_esc(esc, sizeof(esc), g), VG_CLIENT_GROUP_MAX);
		else if (e->ngroups == VG_CLIENT_MAX_GROUPS)
			rc = vg_conf_error(n, err, "%s: more than %d groups", what,
					   VG_CLIENT_MAX_GROUPS);
		if (rc != 0) {
			vg_free(g);
			cl_groups_free(e);
			return rc;
		}
		e->groups = vg_xreallocarray(e->groups, e->ngroups + 1, sizeof(*e->groups));
		e->groups[e->ngroups++] = g; /* transferred */
	}
	return 0;
}

static int cl_path(const struct vg_conf_node *n, const char *what, char **field, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);

	if (text[0] == '\0' || strlen(text) >= PATH_MAX)
		return vg_conf_error(n, err, "%s: expected a path", what);
	vg_free(*field);
	*field = vg_xstrdup(text);
	return 0;
}

static void cl_server_free(struct vg_client_server *s)
{
	vg_free(s->address);
	s->address = NULL;
}

static int cl_server(struct vg_client_conf *c, const struct vg_conf_node *n, struct vg_err *err)
{
	struct vg_client_server s = {NULL, VG_CLIENT_PORT, 5, 10};
	int rc;

	if (c->nservers == VG_CLIENT_MAX_SERVERS)
		return vg_conf_error(n, err, "<client>: more than %d <server> blocks",
				     VG_CLIENT_MAX_SERVERS);
	rc = cl_parse_block(c, CL_SERVER, &s, n, err);
	if (rc == 0 && s.address == NULL)
		rc = vg_conf_error(n, err, "<client><server>: missing <address>");
	if (rc != 0) {
		cl_server_free(&s);
		return rc;
	}
	c->servers = vg_xreallocarray(c->servers, c->nservers + 1, sizeof(*c->servers));
	c->servers[c->nservers++] = s; /* transferred */
	return 0;
}

static int cl_leaf(const struct vg_conf_node *n, const char *what, struct vg_err *err)
{
	if (vg_conf_node_first(n) != NULL)
		return vg_conf_error(n, err, "%s: unexpected element <%s>", what,
				     vg_conf_node_name(vg_conf_node_first(n)));
	return 0;
}

static int cl_apply(struct vg_client_conf *c, size_t idx, void *base, const struct vg_conf_node *n,
		    struct vg_err *err)
{
	const struct cl_elem *e = &cl_table[idx];
	char what[96];
	void *field = (char *)base + e->off;
	int rc;

	snprintf(what, sizeof(what), "%s: <%s>", cl_where[e->scope], e->name);
	switch (e->kind) {
	case CK_SERVER:
		return cl_server(c, n, err);
	case CK_ENROLL:
		return cl_parse_block(c, CL_ENROLL, &c->enrollment, n, err);
	case CK_WARN:
		if ((c->warned & (UINT64_C(1) << idx)) == 0)
			vg_log_warn("%s:%ld: %s is not implemented by Vigie; ignored",
				    vg_conf_node_file(n), vg_conf_node_line(n), what);
		c->warned |= UINT64_C(1) << idx;
		return 0;
	case CK_OLD:
		return vg_conf_error(n, err, "%s was removed in Wazuh 3.0; use %s", what, e->note);
	default:
		break;
	}
	rc = cl_leaf(n, what, err);
	if (rc != 0)
		return rc;
	switch (e->kind) {
	case CK_HOST:
		return cl_host(n, what, field, err);
	case CK_PORT:
		return cl_port(n, what, field, err);
	case CK_PROTO:
		return cl_proto(n, what, err);
	case CK_UINT:
		return cl_uint(n, what, e, field, err);
	case CK_U64:
		return cl_u64(n, what, e, field, err);
	case CK_SIZE:
		return cl_size(n, what, field, err);
	case CK_BOOL:
		return vg_conf_yesno(n, vg_conf_node_text(n), what, field, err);
	case CK_NAME:
		return cl_name(n, what, field, err);
	case CK_GROUPS:
		return cl_groups(n, what, base, err);
	case CK_PATH:
		return cl_path(n, what, field, err);
	default:
		return vg_conf_error(n, err, "%s: internal error", what);
	}
}

static int cl_parse_block(struct vg_client_conf *c, enum cl_scope sc, void *base,
			  const struct vg_conf_node *node, struct vg_err *err)
{
	int rc = 0;

	for (const struct vg_conf_node *n = vg_conf_node_first(node); rc == 0 && n != NULL;
	     n = vg_conf_node_next(n)) {
		const char *name = vg_conf_node_name(n);
		size_t i;
		for (i = 0; i < VG_ARRAY_LEN(cl_table); i++)
			if (cl_table[i].scope == sc && strcmp(cl_table[i].name, name) == 0)
				break;
		rc = i == VG_ARRAY_LEN(cl_table) ? cl_unknown(n, sc, err)
						 : cl_apply(c, i, base, n, err);
	}
	return rc;
}

void vg_client_conf_init(struct vg_client_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->notify_time = 10;
	c->time_reconnect = 60;
	c->outbox_max_events = VG_CLIENT_OUTBOX_EVENTS;
	c->outbox_max_size = VG_CLIENT_OUTBOX_SIZE;
	c->enrollment.enabled = true;
	c->enrollment.port = VG_CLIENT_ENROLL_PORT;
	c->enrollment.delay_after_enrollment = 20;
}

int vg_client_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct vg_client_conf *c = ctx;

	if (!c->present) {
		c->present = true;
		c->first_file = vg_xstrdup(vg_conf_node_file(node));
		c->first_line = vg_conf_node_line(node);
	}
	return cl_parse_block(c, CL_CLIENT, c, node, err);
}

static int cl_default_name(struct vg_client_enrollment *e, struct vg_err *err)
{
	char host[HOST_NAME_MAX + 1];
	char esc[80];

	if (gethostname(host, sizeof(host)) != 0)
		return vg_err_set(err, VG_EPARSE,
				  "<client><enrollment>: cannot read the host name; set "
				  "<agent_name>");
	host[sizeof(host) - 1] = '\0';
	if (!vg_client_valid_agent_name(host))
		return vg_err_set(err, VG_EPARSE,
				  "<client><enrollment>: the host name \"%s\" is not a valid agent "
				  "name; set <agent_name>",
				  cl_esc(esc, sizeof(esc), host));
	e->agent_name = vg_xstrdup(host);
	return 0;
}

int vg_client_conf_finish(struct vg_client_conf *c, const char *home, struct vg_err *err)
{
	struct vg_client_enrollment *e = &c->enrollment;

	if (!c->present)
		return 0;
	if (c->nservers == 0)
		return vg_err_set(err, VG_EPARSE,
				  "%s:%ld: <client>: no <server> with an <address>: the agent "
				  "needs a manager",
				  c->first_file, c->first_line);
	if (e->manager_address == NULL)
		e->manager_address = vg_xstrdup(c->servers[0].address);
	if (e->agent_name == NULL) {
		int rc = cl_default_name(e, err);
		if (rc != 0)
			return rc;
	}
	const char *pass =
	    e->authorization_pass_path != NULL ? e->authorization_pass_path : VG_CLIENT_PASS_PATH;
	char *full =
	    pass[0] == '/' || home == NULL ? vg_xstrdup(pass) : vg_xasprintf("%s/%s", home, pass);
	vg_free(e->authorization_pass_path);
	e->authorization_pass_path = full; /* transferred */
	return 0;
}

void vg_client_conf_free(struct vg_client_conf *c)
{
	for (size_t i = 0; i < c->nservers; i++)
		cl_server_free(&c->servers[i]);
	vg_free(c->servers);
	vg_free(c->enrollment.manager_address);
	vg_free(c->enrollment.agent_name);
	cl_groups_free(&c->enrollment);
	vg_free(c->enrollment.authorization_pass_path);
	vg_free(c->first_file);
	vg_client_conf_init(c);
}
