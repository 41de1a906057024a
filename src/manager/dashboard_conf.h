/*
 * dashboard_conf.h - The manager's <dashboard> section: where the HTTP
 * server of the dashboard and REST API (manager/http.h) listens.
 *
 *   <dashboard>
 *     <enabled>yes</enabled>         yes when the block is present
 *     <bind>127.0.0.1</bind>         an IP literal; 0.0.0.0 or :: for all
 *     <port>5601</port>
 *     <ssl_cert>etc/dashboard.pem</ssl_cert>   relative to HOME, or absolute
 *     <ssl_key>etc/dashboard.key</ssl_key>
 *     <web_root>/usr/share/vigie/web</web_root> optional; default: the caller's
 *   </dashboard>
 *
 * No <dashboard> block means no dashboard, as no <remote> means no
 * listener: a default server on 127.0.0.1:5601 would make every manager of
 * the test suite fight for that port. Several blocks merge, later elements
 * winning (as Wazuh merges repeated sections).
 *
 * Checked here, at the end of each block, with FILE:LINE: the port, the
 * address, certificate and key set together, and TLS when an enabled
 * dashboard binds a non-loopback address (the message names both fixes).
 * Whether the files exist and hold a matching pair is the caller's
 * business when it reads them (mgr_dashboard_path resolves them).
 *
 * Not thread-safe: parse on one thread, publish read-only.
 */
#ifndef MGR_DASHBOARD_CONF_H
#define MGR_DASHBOARD_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "lib/netaddr.h"

#define MGR_DASHBOARD_BIND "127.0.0.1"
#define MGR_DASHBOARD_PORT 5601

struct mgr_dashboard_conf {
	bool present;                   /* a <dashboard> block was read */
	bool enabled;                   /* <enabled>: yes with a block, no without */
	char bind[VG_NETADDR_TEXT_MAX]; /* <bind>: canonical IP text, 127.0.0.1 */
	uint16_t port;                  /* <port>, 5601 */
	char *ssl_cert;                 /* <ssl_cert>: NULL = plain HTTP (loopback only) */
	char *ssl_key;                  /* <ssl_key>: set with ssl_cert */
	char *web_root;                 /* <web_root>: NULL = the caller's default */
	long line;                      /* of the last <dashboard> element */
};

void mgr_dashboard_conf_init(struct mgr_dashboard_conf *d);

/* vg_conf_section handler; ctx is the struct mgr_dashboard_conf. */
int mgr_dashboard_conf_parse(void *ctx, const struct vg_conf_node *node,
			     struct vg_err *err) VG_MUST_CHECK;

/* True when ip (an IP literal) is a loopback address: 127.0.0.0/8, ::1,
 * ::ffff:127.0.0.0/104. False for anything that does not parse. */
bool mgr_dashboard_is_loopback(const char *ip);

/* path made absolute against home ("etc/x.pem" -> "HOME/etc/x.pem"); an
 * absolute path is copied. The caller frees with vg_free. */
char *mgr_dashboard_path(const char *home, const char *path);

void mgr_dashboard_conf_free(struct mgr_dashboard_conf *d);

#endif
