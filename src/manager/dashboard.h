/*
 * dashboard.h - The manager's dashboard and REST API, as one object the
 * daemon starts and stops: the users file (manager/users.h), sessions and
 * tokens (manager/auth.h), the API (manager/api.h) and the HTTP server
 * (manager/http.h) serving them and the web assets (docs/api.md).
 *
 * On the first start an admin password is generated into
 * HOME/etc/dashboard.admin.pass (0600); its location, never its content,
 * is logged with the dashboard's address.
 *
 * Threads: start/stop on the manager's main thread.
 */
#ifndef MGR_DASHBOARD_H
#define MGR_DASHBOARD_H

#include <stdint.h>

#include "lib/err.h"
#include "manager/dashboard_conf.h"
#include "manager/vt_quota.h"

struct dashboard;

struct dashboard_opts {
	const char *home;
	const struct mgr_dashboard_conf *conf; /* read during the call */
	const char *manager_name;
	struct vt_quota_opts vt_limits;
};

/* Serve as conf says (nothing when it is not enabled: *out stays NULL).
 * Errors name the file (certificate, key) or the address. */
int dashboard_start(const struct dashboard_opts *o, struct dashboard **out,
		    struct vg_err *err) VG_MUST_CHECK;

/* The port served (the ephemeral one for port 0); 0 for NULL. */
uint16_t dashboard_port(const struct dashboard *d);

/* Stop serving and free (NULL allowed). */
void dashboard_stop(struct dashboard *d);

#endif
