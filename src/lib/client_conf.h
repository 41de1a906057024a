/*
 * client_conf.h - The agent's <client> section of ossec.conf (Wazuh 4.x).
 *
 * <client> lists the managers (<server>, repeatable, tried in order) and
 * how the agent enrolls (<enrollment>). Names, defaults and bounds are
 * Wazuh's (docs/configuration.md has the table): port 1514, enrollment port
 * 1515, notify_time 10 s, time-reconnect 60 s, max_retries 5,
 * retry_interval 10 s, delay_after_enrollment 20 s. Vigie's own elements:
 * <outbox_max_events> (1000000) and <outbox_max_size> (1 GiB) bound the
 * shipping outbox (src/agent/outbox.h). Differences on purpose:
 * <protocol>udp</protocol> is an error (Vigie's channel is TLS over TCP);
 * bad values are errors, not warnings. Wazuh elements without a Vigie
 * meaning (<config-profile>, <crypto_method>, <auto_restart>,
 * <server_ca_path>, ...) are accepted with one warning per element name.
 *
 * It lives in lib, not in src/agent, because it depends on nothing of the
 * agent and so can be unit-tested and fuzzed like the other parsers; only
 * vigie-agent registers it.
 *
 * Several <client> blocks may appear: servers accumulate, later scalar
 * values win. After vg_conf_load, call vg_client_conf_finish to fill the
 * defaults that depend on other elements or on the host.
 *
 * Not thread-safe: parse on one thread, then publish read-only.
 */
#ifndef VG_CLIENT_CONF_H
#define VG_CLIENT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"

#define VG_CLIENT_PORT 1514
#define VG_CLIENT_ENROLL_PORT 1515
#define VG_CLIENT_MAX_SERVERS 64
#define VG_CLIENT_MAX_GROUPS 128 /* Wazuh's MAX_GROUPS_PER_MULTIGROUP */
#define VG_CLIENT_GROUP_MAX 255  /* bytes of one group name */
#define VG_CLIENT_NAME_MAX 128   /* bytes of an agent name (Wazuh's bound) */
#define VG_CLIENT_PASS_PATH "etc/authd.pass"
#define VG_CLIENT_OUTBOX_EVENTS 1000000u              /* <outbox_max_events> default */
#define VG_CLIENT_OUTBOX_SIZE (1024ull * 1024 * 1024) /* <outbox_max_size> default */
#define VG_CLIENT_OUTBOX_SIZE_MIN (1024ull * 1024)    /* room for the largest event */
#define VG_CLIENT_OUTBOX_SIZE_MAX (1024ull * 1024 * 1024 * 1024)

struct vg_client_server {
	char *address;           /* host name or IP literal, normalised (no brackets) */
	uint16_t port;           /* <port>, 1514 */
	unsigned max_retries;    /* <max_retries>, 5: attempts before the next server */
	unsigned retry_interval; /* <retry_interval>, 10 s between attempts */
};

struct vg_client_enrollment {
	bool enabled;          /* <enabled>, yes */
	char *manager_address; /* NULL until finish: the first server's */
	uint16_t port;         /* <port>, 1515 */
	char *agent_name;      /* NULL until finish: the host name */
	char **groups;         /* <groups>, comma list; NULL when none */
	size_t ngroups;
	char *authorization_pass_path;   /* NULL until finish: HOME/etc/authd.pass */
	unsigned delay_after_enrollment; /* <delay_after_enrollment>, 20 s */
	bool use_source_ip;              /* <use_source_ip>, no */
};

struct vg_client_conf {
	bool present; /* a <client> section was seen */
	struct vg_client_server *servers;
	size_t nservers;
	unsigned notify_time;       /* <notify_time>, 10 s: keepalive interval */
	unsigned time_reconnect;    /* <time-reconnect>, 60 s: silence before reconnecting */
	uint64_t outbox_max_events; /* <outbox_max_events>, 1000000: events not yet acknowledged */
	uint64_t outbox_max_size;   /* <outbox_max_size>, 1 GiB: their bytes */
	struct vg_client_enrollment enrollment;
	/* parser state */
	uint64_t warned;  /* unimplemented elements already named */
	char *first_file; /* where the first <client> is, for finish's errors */
	long first_line;
};

/* Wazuh's defaults, no server. */
void vg_client_conf_init(struct vg_client_conf *c);

/*
 * vg_conf_section handler for "client"; ctx is a struct vg_client_conf *
 * initialised with vg_client_conf_init. Errors read "FILE:LINE: <client>...".
 */
int vg_client_conf_parse(void *ctx, const struct vg_conf_node *node,
			 struct vg_err *err) VG_MUST_CHECK;

/*
 * Complete a loaded configuration: no-op without a <client> section;
 * otherwise at least one <server> is required, enrollment.manager_address
 * defaults to the first server's address, agent_name to the host name
 * (which must then be a valid agent name), and a relative
 * authorization_pass_path is taken under home (left relative when home is
 * NULL).
 */
int vg_client_conf_finish(struct vg_client_conf *c, const char *home,
			  struct vg_err *err) VG_MUST_CHECK;

/* True when name is a valid Wazuh agent name: 2..128 of [A-Za-z0-9._-]. */
bool vg_client_valid_agent_name(const char *name);

/* Free what parse and finish allocated; c is left initialised. */
void vg_client_conf_free(struct vg_client_conf *c);

#endif
