/*
 * remote_conf.h - The manager's <remote> and <auth> sections (Wazuh 4.x).
 *
 * <remote> declares a listener for agents (Wazuh allows several blocks,
 * one per port): connection secure, port 1514, protocol tcp, bind address
 * (<local_ip>, or Vigie's alias <bind>) all by default, queue_size 131072,
 * allowed/denied networks, and Vigie's <agent_events_per_second> (20000
 * events a second per agent; 0 = no bound). <connection>syslog</connection> blocks are
 * warned about and dropped (Vigie has no syslog listener); udp is refused
 * (Vigie's channel is TLS over TCP), "tcp,udp" keeps tcp with a warning.
 *
 * <auth> configures enrollment: disabled no, port 1515, use_password no
 * (yes: the password is HOME/etc/authd.pass, read by mgr_auth_password),
 * certificates and CA of the TLS endpoint. Wazuh elements without a Vigie
 * meaning (<rids_closing_time>, <ciphers>, <force>, <limit_maxagents>,
 * <ssl_auto_negotiate>, ...) are accepted with one warning per element.
 *
 * Errors read "FILE:LINE: <remote>: ..." with a did-you-mean hint for
 * unknown elements. Not thread-safe: parse on one thread, publish
 * read-only.
 */
#ifndef MGR_REMOTE_CONF_H
#define MGR_REMOTE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "lib/netaddr.h"

#define MGR_REMOTE_PORT 1514
#define MGR_AUTH_PORT 1515
#define MGR_REMOTE_QUEUE_SIZE 131072u
#define MGR_REMOTE_QUEUE_MAX (1u << 24) /* a sanity bound on memory */
#define MGR_REMOTE_MAX 16               /* listeners */
#define MGR_REMOTE_MAX_IPS 4096         /* allowed-ips + denied-ips of one block */
#define MGR_REMOTE_EPS 20000u           /* <agent_events_per_second> */
#define MGR_REMOTE_EPS_MAX 100000000u   /* its sanity bound */
#define MGR_AUTH_PASS_PATH "etc/authd.pass"

struct mgr_remote {
	uint16_t port;                  /* <port>, 1514 */
	char bind[VG_NETADDR_TEXT_MAX]; /* <local_ip>/<bind>: IP literal; "" = all */
	bool ipv6;                      /* <ipv6>, no: with an empty bind, listen on :: */
	unsigned queue_size;            /* <queue_size>, 131072 messages */
	unsigned events_per_second; /* Vigie's <agent_events_per_second>: per agent, 0 = no bound */
	struct vg_cidr *allowed;    /* <allowed-ips>, repeatable */
	size_t nallowed;
	struct vg_cidr *denied; /* <denied-ips>, repeatable */
	size_t ndenied;
	long line; /* of the <remote> element */
};

struct mgr_remote_conf {
	struct mgr_remote *remotes; /* secure listeners, in file order */
	size_t nremotes;
	size_t nblocks;  /* <remote> blocks seen, syslog ones included */
	uint64_t warned; /* parser state: unimplemented elements already named */
};

struct mgr_auth_conf {
	bool disabled;          /* <disabled>, no */
	bool remote_enrollment; /* <remote_enrollment>, yes: listen on port */
	uint16_t port;          /* <port>, 1515 */
	bool ipv6;              /* <ipv6>, no */
	bool use_source_ip;     /* <use_source_ip>, no: register the source address */
	bool purge;             /* <purge>, no: forget a removed agent's entry */
	bool use_password;      /* <use_password>, no */
	bool ssl_verify_host;   /* <ssl_verify_host>, no: agent cert must match its address */
	char *ssl_manager_cert; /* NULL: the certificate Vigie creates in HOME/etc */
	char *ssl_manager_key;  /* NULL: likewise */
	char *ssl_agent_ca;     /* NULL: Vigie's own CA */
	uint64_t warned;
};

void mgr_remote_conf_init(struct mgr_remote_conf *r);
void mgr_auth_conf_init(struct mgr_auth_conf *a);

/* vg_conf_section handlers; ctx is the struct of the section. */
int mgr_remote_conf_parse(void *ctx, const struct vg_conf_node *node,
			  struct vg_err *err) VG_MUST_CHECK;
int mgr_auth_conf_parse(void *ctx, const struct vg_conf_node *node,
			struct vg_err *err) VG_MUST_CHECK;

/*
 * After loading. Without a (secure) <remote> block there is no listener
 * at all, as Wazuh's remoted needs one: the manager then serves only its
 * own host (agent 000) and <auth> is not used. Checks what spans both
 * sections: the
 * enrollment port must not be a listener's port, and a manager certificate
 * needs its key (and the reverse). VG_EPARSE with a message naming both.
 */
int mgr_remote_conf_finish(struct mgr_remote_conf *r, const struct mgr_auth_conf *a,
			   struct vg_err *err) VG_MUST_CHECK;

/*
 * The enrollment password: *out = NULL when use_password is no; otherwise
 * HOME/etc/authd.pass read with vg_passfile_read (must exist, mode within
 * 0640, 1..128 bytes, one trailing newline ignored). Errors say what to fix
 * and never contain the password. Release with vg_passfile_free(*out, *len).
 */
int mgr_auth_password(const struct mgr_auth_conf *a, const char *home, char **out, size_t *len,
		      struct vg_err *err) VG_MUST_CHECK;

void mgr_remote_conf_free(struct mgr_remote_conf *r);
void mgr_auth_conf_free(struct mgr_auth_conf *a);

#endif
