/*
 * dashboard_conf.c - <dashboard> parsing (see dashboard_conf.h).
 *
 * Same shape as remote_conf.c: a table of elements and their kind, an
 * unknown element is an error with a did-you-mean hint, every message
 * reads "FILE:LINE: <dashboard>: <elem>: ...". The checks that span
 * elements run once the block is read, naming the line of the element to
 * fix (the <bind> that needs TLS, or the block itself).
 */
#include "manager/dashboard_conf.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/common.h"
#include "lib/mem.h"
#include "lib/str.h"

enum dc_kind { DK_BOOL, DK_BIND, DK_PORT, DK_PATH };

struct dc_elem {
	const char *name;
	enum dc_kind kind;
	size_t off;
};

#define D_OFF(f) offsetof(struct mgr_dashboard_conf, f)

static const struct dc_elem dc_table[] = {
    {"enabled", DK_BOOL, D_OFF(enabled)}, {"bind", DK_BIND, D_OFF(bind)},
    {"port", DK_PORT, D_OFF(port)},       {"ssl_cert", DK_PATH, D_OFF(ssl_cert)},
    {"ssl_key", DK_PATH, D_OFF(ssl_key)}, {"web_root", DK_PATH, D_OFF(web_root)},
};

static const char *dc_esc(char *dst, size_t dstsz, const char *s)
{
	return vg_escape(dst, dstsz, s, strlen(s));
}

static int dc_unknown(const struct vg_conf_node *n, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(dc_table)];
	char esc[64];

	for (size_t i = 0; i < VG_ARRAY_LEN(dc_table); i++)
		names[i] = dc_table[i].name;
	const char *hint = vg_conf_hint(vg_conf_node_name(n), names, VG_ARRAY_LEN(names));
	dc_esc(esc, sizeof(esc), vg_conf_node_name(n));
	if (hint != NULL)
		return vg_conf_error(
		    n, err, "<dashboard>: unknown element <%s>; did you mean <%s>?", esc, hint);
	return vg_conf_error(n, err, "<dashboard>: unknown element <%s>", esc);
}

/* An IP literal only: the server binds it, nothing resolves a name here. */
static int dc_bind(const struct vg_conf_node *n, const char *what, char *field, struct vg_err *err)
{
	struct vg_ipaddr ip;
	const char *text = vg_conf_node_text(n);
	char esc[80];

	if (vg_netaddr_parse_ip(text, &ip) != 0 || vg_netaddr_parse_host(text, field) != 0)
		return vg_conf_error(n, err,
				     "%s: expected an IPv4 or IPv6 address (127.0.0.1, ::1, "
				     "0.0.0.0), got \"%s\"",
				     what, dc_esc(esc, sizeof(esc), text));
	return 0;
}

static int dc_port(const struct vg_conf_node *n, const char *what, uint16_t *field,
		   struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	char esc[64];

	if (vg_netaddr_parse_port(text, field) != 0)
		return vg_conf_error(n, err, "%s: expected a port from 1 to 65535, got \"%s\"",
				     what, dc_esc(esc, sizeof(esc), text));
	return 0;
}

static int dc_path(const struct vg_conf_node *n, const char *what, char **field, struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);

	if (strlen(text) >= PATH_MAX)
		return vg_conf_error(n, err, "%s: path too long", what);
	vg_free(*field);
	/* empty means "not set", as an empty element of Wazuh's templates */
	*field = text[0] == '\0' ? NULL : vg_xstrdup(text);
	return 0;
}

static int dc_apply(const struct dc_elem *e, struct mgr_dashboard_conf *d,
		    const struct vg_conf_node *n, struct vg_err *err)
{
	void *field = (char *)d + e->off;
	char what[64];

	snprintf(what, sizeof(what), "<dashboard>: <%s>", e->name);
	if (vg_conf_node_first(n) != NULL)
		return vg_conf_error(n, err, "%s: unexpected element <%s>", what,
				     vg_conf_node_name(vg_conf_node_first(n)));
	switch (e->kind) {
	case DK_BOOL:
		return vg_conf_yesno(n, vg_conf_node_text(n), what, field, err);
	case DK_BIND:
		return dc_bind(n, what, field, err);
	case DK_PORT:
		return dc_port(n, what, field, err);
	case DK_PATH:
		return dc_path(n, what, field, err);
	}
	return vg_conf_error(n, err, "%s: internal error", what);
}

/* The checks across elements, on the merged state after a block. */
static int dc_check(const struct mgr_dashboard_conf *d, const struct vg_conf_node *block,
		    const struct vg_conf_node *bind, struct vg_err *err)
{
	if ((d->ssl_cert == NULL) != (d->ssl_key == NULL))
		return vg_conf_error(block, err,
				     "<dashboard>: <ssl_cert> and <ssl_key> go together: set "
				     "both or neither");
	if (d->enabled && d->ssl_cert == NULL && !mgr_dashboard_is_loopback(d->bind))
		return vg_conf_error(bind != NULL ? bind : block, err,
				     "<dashboard>: <bind>%s</bind> is not a loopback address: "
				     "TLS is required there; set <ssl_cert> and <ssl_key>, or "
				     "bind 127.0.0.1",
				     d->bind);
	return 0;
}

void mgr_dashboard_conf_init(struct mgr_dashboard_conf *d)
{
	memset(d, 0, sizeof(*d));
	vg_strlcpy(d->bind, MGR_DASHBOARD_BIND, sizeof(d->bind));
	d->port = MGR_DASHBOARD_PORT;
}

int mgr_dashboard_conf_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	struct mgr_dashboard_conf *d = ctx;
	const struct vg_conf_node *bind = NULL;
	int rc = 0;

	if (!d->present)
		d->enabled = true; /* a block turns the dashboard on unless it says no */
	d->present = true;
	d->line = vg_conf_node_line(node);
	for (const struct vg_conf_node *n = vg_conf_node_first(node); rc == 0 && n != NULL;
	     n = vg_conf_node_next(n)) {
		const char *name = vg_conf_node_name(n);
		size_t i;
		for (i = 0; i < VG_ARRAY_LEN(dc_table); i++)
			if (strcmp(dc_table[i].name, name) == 0)
				break;
		if (i == VG_ARRAY_LEN(dc_table)) {
			rc = dc_unknown(n, err);
			break;
		}
		if (dc_table[i].kind == DK_BIND)
			bind = n;
		rc = dc_apply(&dc_table[i], d, n, err);
	}
	if (rc == 0)
		rc = dc_check(d, node, bind, err);
	return rc;
}

bool mgr_dashboard_is_loopback(const char *ip)
{
	struct vg_ipaddr a;
	struct vg_cidr lo4, lo6;

	if (vg_netaddr_parse_ip(ip, &a) != 0 || vg_cidr_parse("127.0.0.0/8", &lo4) != 0 ||
	    vg_cidr_parse("::1/128", &lo6) != 0)
		return false;
	return vg_cidr_match(&lo4, &a) || vg_cidr_match(&lo6, &a);
}

char *mgr_dashboard_path(const char *home, const char *path)
{
	if (path[0] == '/')
		return vg_xstrdup(path);
	return vg_xasprintf("%s/%s", home, path);
}

void mgr_dashboard_conf_free(struct mgr_dashboard_conf *d)
{
	vg_free(d->ssl_cert);
	vg_free(d->ssl_key);
	vg_free(d->web_root);
	mgr_dashboard_conf_init(d);
}
