/*
 * remote_conf.c - <remote> and <auth> parsing (see remote_conf.h).
 *
 * Same shape as settings.c: one table lists every element of both
 * sections and what to do with it, and "not implemented" warnings are
 * given once per element name (a bit in the section struct's warned).
 * A <remote> block is parsed into a local struct and appended only when
 * complete and secure, so a failed or syslog block leaves nothing behind;
 * its port is checked against the earlier blocks while its node is at hand
 * for the FILE:LINE of the message.
 */
#include "manager/remote_conf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/passfile.h"
#include "lib/str.h"

enum rc_scope { RC_REMOTE, RC_AUTH };

enum rc_kind {
	RK_CONNECTION, /* secure | syslog */
	RK_PORT,       /* 1..65535 */
	RK_PROTO,      /* tcp, udp, tcp,udp */
	RK_BIND,       /* IP literal */
	RK_BOOL,
	RK_UINT,  /* 1..MGR_REMOTE_QUEUE_MAX */
	RK_RATE,  /* 0..MGR_REMOTE_EPS_MAX */
	RK_ALLOW, /* a CIDR appended to allowed */
	RK_DENY,  /* a CIDR appended to denied */
	RK_PATH,  /* a path, "" = unset */
	RK_WARN,  /* Wazuh has it, Vigie does not: accepted, warned once */
};

struct rc_elem {
	enum rc_scope scope;
	const char *name;
	enum rc_kind kind;
	size_t off;
};

#define R_OFF(f) offsetof(struct mgr_remote, f)
#define A_OFF(f) offsetof(struct mgr_auth_conf, f)

static const struct rc_elem rc_table[] = {
    {RC_REMOTE, "connection", RK_CONNECTION, 0},
    {RC_REMOTE, "port", RK_PORT, R_OFF(port)},
    {RC_REMOTE, "protocol", RK_PROTO, 0},
    {RC_REMOTE, "local_ip", RK_BIND, 0},
    {RC_REMOTE, "bind", RK_BIND, 0},
    {RC_REMOTE, "ipv6", RK_BOOL, R_OFF(ipv6)},
    {RC_REMOTE, "queue_size", RK_UINT, R_OFF(queue_size)},
    {RC_REMOTE, "agent_events_per_second", RK_RATE, R_OFF(events_per_second)},
    {RC_REMOTE, "allowed-ips", RK_ALLOW, 0},
    {RC_REMOTE, "denied-ips", RK_DENY, 0},
    {RC_REMOTE, "rids_closing_time", RK_WARN, 0},
    {RC_REMOTE, "connection_overtake_time", RK_WARN, 0},
    {RC_REMOTE, "agents", RK_WARN, 0},
    {RC_AUTH, "disabled", RK_BOOL, A_OFF(disabled)},
    {RC_AUTH, "remote_enrollment", RK_BOOL, A_OFF(remote_enrollment)},
    {RC_AUTH, "port", RK_PORT, A_OFF(port)},
    {RC_AUTH, "ipv6", RK_BOOL, A_OFF(ipv6)},
    {RC_AUTH, "use_source_ip", RK_BOOL, A_OFF(use_source_ip)},
    {RC_AUTH, "purge", RK_BOOL, A_OFF(purge)},
    {RC_AUTH, "use_password", RK_BOOL, A_OFF(use_password)},
    {RC_AUTH, "ssl_verify_host", RK_BOOL, A_OFF(ssl_verify_host)},
    {RC_AUTH, "ssl_manager_cert", RK_PATH, A_OFF(ssl_manager_cert)},
    {RC_AUTH, "ssl_manager_key", RK_PATH, A_OFF(ssl_manager_key)},
    {RC_AUTH, "ssl_agent_ca", RK_PATH, A_OFF(ssl_agent_ca)},
    {RC_AUTH, "ssl_auto_negotiate", RK_WARN, 0},
    {RC_AUTH, "ciphers", RK_WARN, 0},
    {RC_AUTH, "limit_maxagents", RK_WARN, 0},
    {RC_AUTH, "force", RK_WARN, 0},
    {RC_AUTH, "force_insert", RK_WARN, 0},
    {RC_AUTH, "force_time", RK_WARN, 0},
    {RC_AUTH, "key_request", RK_WARN, 0},
};

/* Not elements: warnings about values, with bits after the table's. */
enum { RC_BIT_SYSLOG = VG_ARRAY_LEN(rc_table), RC_BIT_UDP };

_Static_assert(VG_ARRAY_LEN(rc_table) + 2 <= 64, "one warned bit per element");

static const char *const rc_where[] = {"<remote>", "<auth>"};

/* A <remote> block being parsed. */
struct rc_block {
	struct mgr_remote r;
	bool syslog;
	bool tcp, udp;                    /* from <protocol>; tcp alone by default */
	const struct vg_conf_node *proto; /* the <protocol> element, if any */
};

static const char *rc_esc(char *dst, size_t dstsz, const char *s)
{
	return vg_escape(dst, dstsz, s, strlen(s));
}

static void rc_warn_once(uint64_t *warned, unsigned bit, const struct vg_conf_node *n,
			 const char *what)
{
	if ((*warned & (UINT64_C(1) << bit)) == 0)
		vg_log_warn("%s:%ld: %s", vg_conf_node_file(n), vg_conf_node_line(n), what);
	*warned |= UINT64_C(1) << bit;
}

static int rc_unknown(const struct vg_conf_node *n, enum rc_scope sc, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(rc_table)];
	size_t k = 0;
	char esc[64];

	for (size_t i = 0; i < VG_ARRAY_LEN(rc_table); i++)
		if (rc_table[i].scope == sc)
			names[k++] = rc_table[i].name;
	const char *hint = vg_conf_hint(vg_conf_node_name(n), names, k);
	rc_esc(esc, sizeof(esc), vg_conf_node_name(n));
	if (hint != NULL)
		return vg_conf_error(n, err, "%s: unknown element <%s>; did you mean <%s>?",
				     rc_where[sc], esc, hint);
	return vg_conf_error(n, err, "%s: unknown element <%s>", rc_where[sc], esc);
}

static int rc_connection(const struct vg_conf_node *n, const char *what, struct rc_block *b,
			 struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	char esc[64];

	if (strcasecmp(text, "secure") == 0 || strcasecmp(text, "syslog") == 0) {
		b->syslog = strcasecmp(text, "syslog") == 0;
		return 0;
	}
	return vg_conf_error(n, err, "%s: expected secure or syslog, got \"%s\"", what,
			     rc_esc(esc, sizeof(esc), text));
}

/*
 * Wazuh's list: tcp, udp or both. Whether udp alone is acceptable depends on
 * <connection> (a syslog block may use it), which can come later in the
 * block: mgr_remote_conf_parse decides once the block is read.
 */
static int rc_proto(const struct vg_conf_node *n, const char *what, struct rc_block *b,
		    struct vg_err *err)
{
	const char *s = vg_conf_node_text(n);
	const char *item;
	size_t len;
	char esc[64];

	b->tcp = b->udp = false;
	b->proto = n;
	while (vg_str_next_item(&s, &item, &len)) {
		if (len == 3 && strncasecmp(item, "tcp", 3) == 0)
			b->tcp = true;
		else if (len == 3 && strncasecmp(item, "udp", 3) == 0)
			b->udp = true;
		else
			return vg_conf_error(n, err, "%s: expected tcp, got \"%s\"", what,
					     rc_esc(esc, sizeof(esc), vg_conf_node_text(n)));
	}
	return 0;
}

static int rc_bind(const struct vg_conf_node *n, const char *what, struct rc_block *b,
		   struct vg_err *err)
{
	struct vg_ipaddr ip;
	const char *text = vg_conf_node_text(n);
	char esc[80];

	if (vg_netaddr_parse_ip(text, &ip) != 0 || vg_netaddr_parse_host(text, b->r.bind) != 0)
		return vg_conf_error(n, err, "%s: expected an IPv4 or IPv6 address, got \"%s\"",
				     what, rc_esc(esc, sizeof(esc), text));
	return 0;
}

static int rc_cidr(const struct vg_conf_node *n, const char *what, struct rc_block *b, bool allow,
		   struct vg_err *err)
{
	struct vg_cidr c;
	const char *text = vg_conf_node_text(n);
	char esc[80];

	if (vg_cidr_parse(text, &c) != 0)
		return vg_conf_error(n, err,
				     "%s: expected an IP address or network (10.0.0.0/8, "
				     "fd00::/8), got \"%s\"",
				     what, rc_esc(esc, sizeof(esc), text));
	if (b->r.nallowed + b->r.ndenied >= MGR_REMOTE_MAX_IPS)
		return vg_conf_error(n, err, "%s: more than %d networks in one <remote>", what,
				     MGR_REMOTE_MAX_IPS);
	struct vg_cidr **arr = allow ? &b->r.allowed : &b->r.denied;
	size_t *cnt = allow ? &b->r.nallowed : &b->r.ndenied;
	*arr = vg_xreallocarray(*arr, *cnt + 1, sizeof(**arr));
	(*arr)[(*cnt)++] = c;
	return 0;
}

static int rc_queue(const struct vg_conf_node *n, const char *what, unsigned *out,
		    struct vg_err *err)
{
	uint64_t v;
	const char *text = vg_conf_node_text(n);
	char esc[64];

	if (vg_parse_u64(text, MGR_REMOTE_QUEUE_MAX, &v) != 0 || v == 0)
		return vg_conf_error(n, err, "%s: expected a number from 1 to %u, got \"%s\"", what,
				     MGR_REMOTE_QUEUE_MAX, rc_esc(esc, sizeof(esc), text));
	*out = (unsigned)v;
	return 0;
}

static int rc_rate(const struct vg_conf_node *n, const char *what, unsigned *out,
		   struct vg_err *err)
{
	uint64_t v;
	const char *text = vg_conf_node_text(n);
	char esc[64];

	if (vg_parse_u64(text, MGR_REMOTE_EPS_MAX, &v) != 0)
		return vg_conf_error(n, err,
				     "%s: expected events per second from 0 (no bound) to %u, got "
				     "\"%s\"",
				     what, MGR_REMOTE_EPS_MAX, rc_esc(esc, sizeof(esc), text));
	*out = (unsigned)v;
	return 0;
}

static int rc_path(const struct vg_conf_node *n, const char *what, char **field, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);

	if (strlen(text) >= PATH_MAX)
		return vg_conf_error(n, err, "%s: path too long", what);
	vg_free(*field);
	/* an empty element, as in Wazuh's template, means "not set" */
	*field = text[0] == '\0' ? NULL : vg_xstrdup(text);
	return 0;
}

static int rc_port(const struct vg_conf_node *n, const char *what, uint16_t *field,
		   struct vg_err *err)
{
	char esc[64];
	const char *text = vg_conf_node_text(n);

	if (vg_netaddr_parse_port(text, field) != 0)
		return vg_conf_error(n, err, "%s: expected a port from 1 to 65535, got \"%s\"",
				     what, rc_esc(esc, sizeof(esc), text));
	return 0;
}

/* Apply element idx of node n; base is the struct rc_block or mgr_auth_conf. */
static int rc_apply(size_t idx, void *base, uint64_t *warned, const struct vg_conf_node *n,
		    struct vg_err *err)
{
	const struct rc_elem *e = &rc_table[idx];
	void *field =
	    (char *)(e->scope == RC_REMOTE ? (void *)&((struct rc_block *)base)->r : base) + e->off;
	char what[96];

	snprintf(what, sizeof(what), "%s: <%s>", rc_where[e->scope], e->name);
	if (e->kind == RK_WARN) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%s is not implemented by Vigie; ignored", what);
		rc_warn_once(warned, (unsigned)idx, n, msg);
		return 0;
	}
	if (vg_conf_node_first(n) != NULL)
		return vg_conf_error(n, err, "%s: unexpected element <%s>", what,
				     vg_conf_node_name(vg_conf_node_first(n)));
	switch (e->kind) {
	case RK_CONNECTION:
		return rc_connection(n, what, base, err);
	case RK_PORT:
		return rc_port(n, what, field, err);
	case RK_PROTO:
		return rc_proto(n, what, base, err);
	case RK_BIND:
		return rc_bind(n, what, base, err);
	case RK_BOOL:
		return vg_conf_yesno(n, vg_conf_node_text(n), what, field, err);
	case RK_UINT:
		return rc_queue(n, what, field, err);
	case RK_RATE:
		return rc_rate(n, what, field, err);
	case RK_ALLOW:
	case RK_DENY:
		return rc_cidr(n, what, base, e->kind == RK_ALLOW, err);
	case RK_PATH:
		return rc_path(n, what, field, err);
	default:
		return vg_conf_error(n, err, "%s: internal error", what);
	}
}

static int rc_parse(enum rc_scope sc, void *base, uint64_t *warned, const struct vg_conf_node *node,
		    struct vg_err *err)
{
	int rc = 0;

	for (const struct vg_conf_node *n = vg_conf_node_first(node); rc == 0 && n != NULL;
	     n = vg_conf_node_next(n)) {
		const char *name = vg_conf_node_name(n);
		size_t i;
		for (i = 0; i < VG_ARRAY_LEN(rc_table); i++)
			if (rc_table[i].scope == sc && strcmp(rc_table[i].name, name) == 0)
				break;
		rc = i == VG_ARRAY_LEN(rc_table) ? rc_unknown(n, sc, err)
						 : rc_apply(i, base, warned, n, err);
	}
	return rc;
}

static void rc_remote_free(struct mgr_remote *r)
{
	vg_free(r->allowed);
	vg_free(r->denied);
	r->allowed = r->denied = NULL;
	r->nallowed = r->ndenied = 0;
}

static void rc_remote_defaults(struct mgr_remote *r, long line)
{
	memset(r, 0, sizeof(*r));
	r->port = MGR_REMOTE_PORT;
	r->queue_size = MGR_REMOTE_QUEUE_SIZE;
	r->events_per_second = MGR_REMOTE_EPS;
	r->line = line;
}

/* Two listeners clash when they share a port and one address. */
static bool rc_clash(uint16_t port_a, const char *bind_a, uint16_t port_b, const char *bind_b)
{
	return port_a == port_b &&
	       (bind_a[0] == '\0' || bind_b[0] == '\0' || strcmp(bind_a, bind_b) == 0);
}

void mgr_remote_conf_init(struct mgr_remote_conf *r)
{
	memset(r, 0, sizeof(*r));
}

void mgr_auth_conf_init(struct mgr_auth_conf *a)
{
	memset(a, 0, sizeof(*a));
	a->remote_enrollment = true;
	a->port = MGR_AUTH_PORT;
}

int mgr_remote_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct mgr_remote_conf *rc = ctx;
	struct rc_block b = {.syslog = false, .tcp = true, .udp = false, .proto = NULL};
	int ret;

	rc->nblocks++;
	rc_remote_defaults(&b.r, vg_conf_node_line(node));
	ret = rc_parse(RC_REMOTE, &b, &rc->warned, node, err);
	if (ret != 0)
		goto out;
	if (b.syslog) {
		rc_warn_once(&rc->warned, RC_BIT_SYSLOG, node,
			     "<remote>: <connection>syslog</connection> is not implemented by "
			     "Vigie; block ignored");
		goto out;
	}
	if (!b.tcp) {
		ret = vg_conf_error(b.proto, err,
				    "<remote>: <protocol>: udp is not supported: agents talk to "
				    "Vigie over TLS on TCP; write <protocol>tcp</protocol>");
		goto out;
	}
	if (b.udp)
		rc_warn_once(&rc->warned, RC_BIT_UDP, node,
			     "<remote>: <protocol>: udp is not implemented by Vigie; listening "
			     "on tcp only");
	for (size_t i = 0; i < rc->nremotes; i++)
		if (rc_clash(b.r.port, b.r.bind, rc->remotes[i].port, rc->remotes[i].bind)) {
			ret = vg_conf_error(node, err,
					    "<remote>: port %u is already used by the <remote> "
					    "at line %ld",
					    b.r.port, rc->remotes[i].line);
			goto out;
		}
	if (rc->nremotes == MGR_REMOTE_MAX) {
		ret = vg_conf_error(node, err, "<remote>: more than %d listeners", MGR_REMOTE_MAX);
		goto out;
	}
	rc->remotes = vg_xreallocarray(rc->remotes, rc->nremotes + 1, sizeof(*rc->remotes));
	rc->remotes[rc->nremotes++] = b.r; /* transferred */
	return 0;
out:
	rc_remote_free(&b.r);
	return ret;
}

int mgr_auth_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct mgr_auth_conf *a = ctx;

	return rc_parse(RC_AUTH, a, &a->warned, node, err);
}

int mgr_remote_conf_finish(struct mgr_remote_conf *r, const struct mgr_auth_conf *a,
			   struct vg_err *err)
{
	if ((a->ssl_manager_cert == NULL) != (a->ssl_manager_key == NULL))
		return vg_err_set(err, VG_EPARSE,
				  "<auth>: <ssl_manager_cert> and <ssl_manager_key> go together: "
				  "set both or neither");
	if (a->disabled || !a->remote_enrollment)
		return 0;
	for (size_t i = 0; i < r->nremotes; i++)
		if (rc_clash(a->port, "", r->remotes[i].port, r->remotes[i].bind))
			return vg_err_set(err, VG_EPARSE,
					  "<auth>: <port> %u is also the port of the <remote>%s; "
					  "use two ports (Wazuh: 1515 and 1514)",
					  a->port, " block");
	return 0;
}

int mgr_auth_password(const struct mgr_auth_conf *a, const char *home, char **out, size_t *len,
		      struct vg_err *err)
{
	struct vg_err e = VG_ERR_INIT;

	*out = NULL;
	*len = 0;
	if (!a->use_password)
		return 0;
	char *path = vg_xasprintf("%s/%s", home, MGR_AUTH_PASS_PATH);
	int rc = vg_passfile_read(path, out, len, &e);
	if (rc == VG_ENOTFOUND)
		vg_err_set(err, rc,
			   "<auth><use_password> is yes but %s does not exist: write the "
			   "enrollment password in it (chmod 0600)",
			   path);
	else if (rc != 0)
		vg_err_set(err, rc, "<auth><use_password> is yes: %s", e.msg);
	vg_free(path);
	return rc;
}

void mgr_remote_conf_free(struct mgr_remote_conf *r)
{
	for (size_t i = 0; i < r->nremotes; i++)
		rc_remote_free(&r->remotes[i]);
	vg_free(r->remotes);
	mgr_remote_conf_init(r);
}

void mgr_auth_conf_free(struct mgr_auth_conf *a)
{
	vg_free(a->ssl_manager_cert);
	vg_free(a->ssl_manager_key);
	vg_free(a->ssl_agent_ca);
	mgr_auth_conf_init(a);
}
