/*
 * dashboard.c - The dashboard's pieces, started and stopped together (see
 * dashboard.h).
 */
#include "manager/dashboard.h"

#include <stdbool.h>

#include <openssl/crypto.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/api.h"
#include "manager/auth.h"
#include "manager/http.h"
#include "manager/paths.h"
#include "manager/users.h"

#define PEM_MAX (256u * 1024u)

struct dashboard {
	struct users *users;
	struct auth *auth;
	struct api *api;
	struct http_server *http;
};

/* A PEM file (certificate or key) into b; errors name it. */
static int read_pem(const char *home, const char *conf_path, const char *what, struct vg_buf *b,
		    struct vg_err *err)
{
	char *path = mgr_dashboard_path(home, conf_path);
	int rc = vg_fs_read_file(path, what, b, err);

	vg_free(path);
	return rc;
}

static int serve(struct dashboard *d, const struct dashboard_opts *o, const char *web_root,
		 struct vg_err *err)
{
	struct vg_buf cert = VG_BUF_INIT(PEM_MAX), key = VG_BUF_INIT(PEM_MAX);
	struct http_opts ho = {0};
	size_t n = 0;
	int rc = 0;

	if (o->conf->ssl_cert != NULL)
		rc = read_pem(o->home, o->conf->ssl_cert, "dashboard certificate", &cert, err);
	if (rc == 0 && o->conf->ssl_key != NULL)
		rc = read_pem(o->home, o->conf->ssl_key, "dashboard key", &key, err);
	ho.bind = o->conf->bind;
	ho.port = o->conf->port;
	ho.cert_pem = cert.len > 0 ? vg_buf_cstr(&cert) : NULL;
	ho.key_pem = key.len > 0 ? vg_buf_cstr(&key) : NULL;
	ho.web_root = web_root;
	ho.routes = api_routes(&n);
	ho.nroutes = n;
	ho.ctx = d->api;
	ho.auth = api_auth;
	if (rc == 0)
		rc = http_start(&ho, &d->http, err);
	vg_buf_free(&cert);
	if (key.data != NULL)
		OPENSSL_cleanse(key.data, key.len); /* a private key */
	vg_buf_free(&key);
	return rc;
}

int dashboard_start(const struct dashboard_opts *o, struct dashboard **out, struct vg_err *err)
{
	struct dashboard *d;
	struct auth_opts ao = AUTH_OPTS_INIT;
	char *web_root = NULL;
	bool created = false;
	int rc;

	*out = NULL;
	if (!o->conf->enabled)
		return 0;
	d = vg_xcalloc(1, sizeof(*d));
	rc = o->conf->web_root != NULL ? 0 : mgr_web_root(&web_root, err);
	if (rc == 0)
		rc = users_open(o->home, &d->users, &created, err);
	if (rc == 0) {
		ao.users = d->users;
		d->auth = auth_new(&ao);
		struct api_opts apo = {o->home, o->manager_name, o->vt_limits, d->auth};
		rc = api_open(&apo, &d->api, err);
	}
	if (rc == 0)
		rc = serve(d, o, o->conf->web_root != NULL ? o->conf->web_root : web_root, err);
	if (rc == 0) {
		vg_log_info("dashboard on %s://%s:%u/%s",
			    o->conf->ssl_cert != NULL ? "https" : "http", o->conf->bind,
			    (unsigned)http_port(d->http),
			    created ? " (admin password in etc/dashboard.admin.pass)" : "");
		*out = d;
	} else {
		dashboard_stop(d);
	}
	vg_free(web_root);
	return rc;
}

uint16_t dashboard_port(const struct dashboard *d)
{
	return d != NULL ? http_port(d->http) : 0;
}

void dashboard_stop(struct dashboard *d)
{
	if (d == NULL)
		return;
	http_stop(d->http);
	api_close(d->api);
	auth_free(d->auth);
	users_free(d->users);
	vg_free(d);
}
