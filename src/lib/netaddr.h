/*
 * netaddr.h - Syntax of the network addresses ossec.conf names: ports, host
 * names, IPv4/IPv6 literals and CIDR networks.
 *
 * Shared by the agent's <client> and the manager's <remote>/<auth>, so both
 * daemons agree on what an address is. Nothing here resolves a name or
 * touches the network: a host name is checked for syntax only (resolution
 * happens when connecting, and may legitimately fail at load time).
 *
 * Functions return 0 or VG_EPARSE and take no vg_err: the caller (a
 * configuration parser) knows the file, line and element to name.
 * Pure functions; thread-safe.
 */
#ifndef VG_NETADDR_H
#define VG_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define VG_NETADDR_HOST_MAX 253 /* longest DNS name, without the trailing dot */
/* Room for any address text accepted here, NUL included. */
#define VG_NETADDR_TEXT_MAX (VG_NETADDR_HOST_MAX + 3)

/* A parsed IP address: family is AF_INET (4 bytes used) or AF_INET6. */
struct vg_ipaddr {
	int family;
	unsigned char addr[16];
};

/* A network: the address with the host bits cleared, and a prefix length. */
struct vg_cidr {
	struct vg_ipaddr ip;
	unsigned prefix; /* 0..32 or 0..128 */
};

/* A whole decimal port, 1..65535 (0, signs, spaces and garbage refused). */
int vg_netaddr_parse_port(const char *s, uint16_t *out) VG_MUST_CHECK;

/*
 * An IPv4 dotted quad or an IPv6 literal, optionally in brackets
 * ("[::1]"). Zone ids ("fe80::1%eth0") are refused: Wazuh configures the
 * interface apart (<interface_index>).
 */
int vg_netaddr_parse_ip(const char *s, struct vg_ipaddr *out) VG_MUST_CHECK;

/*
 * True when s is a syntactically valid host name: dot-separated labels of
 * 1..63 letters, digits, '-' (not first or last) or '_' (seen in internal
 * names and in Wazuh's MANAGER_IP placeholder), at most 253 bytes, one
 * optional trailing dot. An all-numeric name such as 1.2.3.256 is not a
 * host name (it is a bad IPv4 address).
 */
bool vg_netaddr_is_hostname(const char *s);

/*
 * A host to connect to: an IP literal or a host name. On success the
 * normalised text (IP printed back canonically, brackets dropped, host name
 * as given without its trailing dot) is copied to out (VG_NETADDR_TEXT_MAX
 * bytes).
 */
int vg_netaddr_parse_host(const char *s, char out[VG_NETADDR_TEXT_MAX]) VG_MUST_CHECK;

/*
 * A network: "ADDR", "ADDR/PREFIX" or, for IPv4, "ADDR/DOTTED.MASK" with a
 * contiguous mask (OSSEC's syntax). A bare address is a host network (/32
 * or /128). Host bits set below the prefix are cleared, as Wazuh does.
 */
int vg_cidr_parse(const char *s, struct vg_cidr *out) VG_MUST_CHECK;

/*
 * True when ip lies in c. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what
 * a dual-stack socket reports) matches IPv4 networks.
 */
bool vg_cidr_match(const struct vg_cidr *c, const struct vg_ipaddr *ip);

/* Print c as "ADDR/PREFIX" into out (at least 50 bytes). Returns out. */
char *vg_cidr_format(const struct vg_cidr *c, char *out, size_t outsz);

#endif
