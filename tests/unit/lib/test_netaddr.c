/*
 * Unit tests for src/lib/netaddr.c: ports, host names, IP literals, CIDRs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "lib/netaddr.h"

static void test_netaddr__port_bounds(void **state)
{
	(void)state;
	uint16_t p = 7;

	assert_int_equal(vg_netaddr_parse_port("1514", &p), 0);
	assert_int_equal(p, 1514);
	assert_int_equal(vg_netaddr_parse_port("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(vg_netaddr_parse_port("65535", &p), 0);
	assert_int_equal(p, 65535);
	const char *bad[] = {"0",  "65536", "abc",   "",    "-1",
			     "+5", " 1514", "1514 ", "15a", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = 7;
		assert_int_equal(vg_netaddr_parse_port(bad[i], &p), VG_EPARSE);
		assert_int_equal(p, 0);
	}
}

static void test_netaddr__ip_literals(void **state)
{
	(void)state;
	struct vg_ipaddr ip;

	assert_int_equal(vg_netaddr_parse_ip("10.0.0.5", &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_int_equal(ip.addr[0], 10);
	assert_int_equal(ip.addr[3], 5);
	assert_int_equal(vg_netaddr_parse_ip("::1", &ip), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(ip.addr[15], 1);
	assert_int_equal(vg_netaddr_parse_ip("[2001:db8::1]", &ip), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(ip.addr[0], 0x20);
	const char *bad[] = {"10.0.0.256",   "10.1",      "010.0.0.1", "[10.0.0.1]",
			     "fe80::1%eth0", "::g",       "[::1",      "",
			     "host",         "1.2.3.4.5", "[]",        " 10.0.0.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vg_netaddr_parse_ip(bad[i], &ip), VG_EPARSE);
}

static void test_netaddr__host_names(void **state)
{
	(void)state;
	char big[300];

	assert_true(vg_netaddr_is_hostname("manager"));
	assert_true(vg_netaddr_is_hostname("wazuh-1.example.com"));
	assert_true(vg_netaddr_is_hostname("wazuh-1.example.com."));
	assert_true(vg_netaddr_is_hostname("MANAGER_IP"));
	assert_true(vg_netaddr_is_hostname("3com.net"));
	assert_false(vg_netaddr_is_hostname(""));
	assert_false(vg_netaddr_is_hostname("."));
	assert_false(vg_netaddr_is_hostname("-bad.example"));
	assert_false(vg_netaddr_is_hostname("bad-.example"));
	assert_false(vg_netaddr_is_hostname("a..b"));
	assert_false(vg_netaddr_is_hostname("a b"));
	assert_false(vg_netaddr_is_hostname("host:1514"));
	assert_false(vg_netaddr_is_hostname("1.2.3.256"));
	assert_false(vg_netaddr_is_hostname("10.1"));
	/* a 64-byte label, then a 254-byte name */
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_false(vg_netaddr_is_hostname(big));
	for (size_t i = 0; i < 254; i++)
		big[i] = (i % 10 == 9) ? '.' : 'a';
	big[254] = '\0';
	assert_false(vg_netaddr_is_hostname(big));
	big[253] = '\0';
	big[252] = 'a';
	assert_true(vg_netaddr_is_hostname(big));
}

static void test_netaddr__host_is_normalised(void **state)
{
	(void)state;
	char out[VG_NETADDR_TEXT_MAX];

	assert_int_equal(vg_netaddr_parse_host("[2001:DB8:0:0::1]", out), 0);
	assert_string_equal(out, "2001:db8::1");
	assert_int_equal(vg_netaddr_parse_host("manager.example.", out), 0);
	assert_string_equal(out, "manager.example");
	assert_int_equal(vg_netaddr_parse_host("192.168.1.100", out), 0);
	assert_string_equal(out, "192.168.1.100");
	assert_int_equal(vg_netaddr_parse_host("300.1.1.1", out), VG_EPARSE);
	assert_string_equal(out, "");
	assert_int_equal(vg_netaddr_parse_host("bad host", out), VG_EPARSE);
}

static void test_netaddr__cidr_forms(void **state)
{
	(void)state;
	struct vg_cidr c;
	char text[64];

	assert_int_equal(vg_cidr_parse("10.1.2.3/8", &c), 0);
	assert_string_equal(vg_cidr_format(&c, text, sizeof(text)), "10.0.0.0/8");
	assert_int_equal(vg_cidr_parse("192.168.1.7", &c), 0);
	assert_string_equal(vg_cidr_format(&c, text, sizeof(text)), "192.168.1.7/32");
	assert_int_equal(vg_cidr_parse("192.168.1.0/255.255.255.0", &c), 0);
	assert_string_equal(vg_cidr_format(&c, text, sizeof(text)), "192.168.1.0/24");
	assert_int_equal(vg_cidr_parse("172.16.0.0/255.240.0.0", &c), 0);
	assert_int_equal(c.prefix, 12);
	assert_int_equal(vg_cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(vg_cidr_parse("fd00:1:2::5/17", &c), 0);
	assert_string_equal(vg_cidr_format(&c, text, sizeof(text)), "fd00::/17");
	assert_int_equal(vg_cidr_parse("::1", &c), 0);
	assert_int_equal(c.prefix, 128);
	const char *bad[] = {
	    "10.0.0.0/33",          "::/129",       "10.0.0.0/",    "/8",     "10.0.0.0/-1",
	    "10.0.0.0/255.0.255.0", "::/255.0.0.0", "10.0.0.0/8/8", "host/8", "10.0.0.0/ 8"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vg_cidr_parse(bad[i], &c), VG_EPARSE);
}

static void test_netaddr__cidr_match(void **state)
{
	(void)state;
	struct vg_cidr net, v6, all;
	struct vg_ipaddr ip;

	assert_int_equal(vg_cidr_parse("10.20.0.0/14", &net), 0);
	assert_int_equal(vg_cidr_parse("2001:db8::/32", &v6), 0);
	assert_int_equal(vg_cidr_parse("0.0.0.0/0", &all), 0);
	assert_int_equal(vg_netaddr_parse_ip("10.23.255.255", &ip), 0);
	assert_true(vg_cidr_match(&net, &ip));
	assert_true(vg_cidr_match(&all, &ip));
	assert_false(vg_cidr_match(&v6, &ip));
	assert_int_equal(vg_netaddr_parse_ip("10.24.0.0", &ip), 0);
	assert_false(vg_cidr_match(&net, &ip));
	/* what a dual-stack socket reports for an IPv4 peer */
	assert_int_equal(vg_netaddr_parse_ip("::ffff:10.21.1.1", &ip), 0);
	assert_true(vg_cidr_match(&net, &ip));
	assert_int_equal(vg_netaddr_parse_ip("::ffff:10.24.1.1", &ip), 0);
	assert_false(vg_cidr_match(&net, &ip));
	assert_int_equal(vg_netaddr_parse_ip("2001:db8:ffff::1", &ip), 0);
	assert_true(vg_cidr_match(&v6, &ip));
	assert_false(vg_cidr_match(&net, &ip));
	assert_int_equal(vg_netaddr_parse_ip("2001:db9::1", &ip), 0);
	assert_false(vg_cidr_match(&v6, &ip));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netaddr__port_bounds),
	    cmocka_unit_test(test_netaddr__ip_literals),
	    cmocka_unit_test(test_netaddr__host_names),
	    cmocka_unit_test(test_netaddr__host_is_normalised),
	    cmocka_unit_test(test_netaddr__cidr_forms),
	    cmocka_unit_test(test_netaddr__cidr_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
