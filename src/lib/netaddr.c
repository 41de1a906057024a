/*
 * netaddr.c - Ports, host names, IP literals and CIDRs (see netaddr.h).
 *
 * IP literals go through inet_pton, which is strict (no octal, no short
 * forms such as "10.1"), so what is accepted here is what connect() and
 * bind() will take. Host names are checked label by label; the only
 * ambiguity, a dotted all-numeric string, is settled as "an IP address or
 * nothing" so that 10.0.0.256 is an error rather than a name to resolve.
 */
#include "lib/netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/str.h"

#define NA_LABEL_MAX 63

int vg_netaddr_parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	*out = 0;
	if (vg_parse_u64(s, UINT16_MAX, &v) != 0 || v == 0)
		return VG_EPARSE;
	*out = (uint16_t)v;
	return 0;
}

int vg_netaddr_parse_ip(const char *s, struct vg_ipaddr *out)
{
	char tmp[64];
	size_t len = strlen(s);

	memset(out, 0, sizeof(*out));
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len - 2 >= sizeof(tmp))
			return VG_EPARSE;
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
		/* brackets are for IPv6 only: "[1.2.3.4]" is a typo */
		if (inet_pton(AF_INET6, tmp, out->addr) != 1)
			return VG_EPARSE;
		out->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return VG_EPARSE;
}

static bool na_label_ok(const char *l, size_t len)
{
	if (len == 0 || len > NA_LABEL_MAX || l[0] == '-' || l[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)l[i];
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
	}
	return true;
}

bool vg_netaddr_is_hostname(const char *s)
{
	size_t len = strlen(s);
	bool alpha = false;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > VG_NETADDR_HOST_MAX)
		return false;
	for (size_t start = 0; start <= len;) {
		const char *dot = memchr(s + start, '.', len - start);
		size_t end = dot != NULL ? (size_t)(dot - s) : len;
		if (!na_label_ok(s + start, end - start))
			return false;
		start = end + 1;
	}
	for (size_t i = 0; i < len; i++)
		if (isalpha((unsigned char)s[i]) || s[i] == '-' || s[i] == '_')
			alpha = true;
	/* "1.2.3.256" and "10.1" are malformed IPv4, not names to resolve */
	return alpha;
}

int vg_netaddr_parse_host(const char *s, char out[VG_NETADDR_TEXT_MAX])
{
	struct vg_ipaddr ip;

	out[0] = '\0';
	if (vg_netaddr_parse_ip(s, &ip) == 0) {
		if (inet_ntop(ip.family, ip.addr, out, VG_NETADDR_TEXT_MAX) == NULL)
			return VG_EPARSE;
		return 0;
	}
	if (!vg_netaddr_is_hostname(s))
		return VG_EPARSE;
	size_t len = strlen(s);
	if (s[len - 1] == '.')
		len--;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Prefix length of a contiguous IPv4 netmask in dotted form, or -1. */
static int na_mask_prefix(const char *s)
{
	unsigned char m[4];
	int prefix = 0;

	if (inet_pton(AF_INET, s, m) != 1)
		return -1;
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	while (prefix < 32 && (v & (UINT32_C(1) << (31 - prefix))) != 0)
		prefix++;
	/* contiguous: every bit below the run of ones is zero */
	if (prefix < 32 && (v & ((UINT32_C(1) << (32 - prefix)) - 1)) != 0)
		return -1;
	return prefix;
}

static void na_clear_host_bits(struct vg_cidr *c)
{
	size_t nbytes = c->ip.family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < nbytes; i++) {
		unsigned bits = i * 8 >= c->prefix ? 0 : c->prefix - (unsigned)i * 8;
		if (bits < 8)
			c->ip.addr[i] &= (unsigned char)(0xffu << (8 - bits));
	}
}

int vg_cidr_parse(const char *s, struct vg_cidr *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		return VG_EPARSE;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (vg_netaddr_parse_ip(addr, &out->ip) != 0)
		return VG_EPARSE;
	unsigned max = out->ip.family == AF_INET ? 32 : 128;
	out->prefix = max;
	if (slash != NULL) {
		uint64_t v;
		int mask;
		if (vg_parse_u64(slash + 1, max, &v) == 0) {
			out->prefix = (unsigned)v;
		} else if (out->ip.family == AF_INET && strchr(slash + 1, '.') != NULL &&
			   (mask = na_mask_prefix(slash + 1)) >= 0) {
			out->prefix = (unsigned)mask;
		} else {
			memset(out, 0, sizeof(*out));
			return VG_EPARSE;
		}
	}
	na_clear_host_bits(out);
	return 0;
}

static bool na_prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	size_t full = prefix / 8;
	unsigned rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool vg_cidr_match(const struct vg_cidr *c, const struct vg_ipaddr *ip)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (c->ip.family == ip->family)
		return na_prefix_equal(c->ip.addr, ip->addr, c->prefix);
	if (c->ip.family == AF_INET && ip->family == AF_INET6 &&
	    memcmp(ip->addr, mapped, sizeof(mapped)) == 0)
		return na_prefix_equal(c->ip.addr, ip->addr + 12, c->prefix);
	return false;
}

char *vg_cidr_format(const struct vg_cidr *c, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->ip.family, c->ip.addr, a, sizeof(a)) == NULL)
		a[0] = '\0';
	snprintf(out, outsz, "%s/%u", a, c->prefix);
	return out;
}
