/*
 * fuzz_netaddr.c - libFuzzer target: the address parsers of lib/netaddr on
 * arbitrary bytes (port, IP, host, CIDR, with invariants checked: a parsed
 * CIDR prints back to text that parses to the same network and matches its
 * own address), then the same bytes as an ossec.conf through the <client>,
 * <remote> and <auth> handlers and their finish steps. Any crash, leak,
 * sanitizer report or abort() is a bug.
 *
 * scripts/fuzz netaddr runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/client_conf.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/netaddr.h"
#include "manager/remote_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_addresses(const char *s)
{
	uint16_t port;
	struct vg_ipaddr ip;
	struct vg_cidr c, back;
	char host[VG_NETADDR_TEXT_MAX];
	char text[64];

	(void)vg_netaddr_parse_port(s, &port);
	(void)vg_netaddr_is_hostname(s);
	if (vg_netaddr_parse_host(s, host) == 0 && strlen(host) >= VG_NETADDR_TEXT_MAX)
		abort();
	if (vg_netaddr_parse_ip(s, &ip) == 0 && vg_cidr_parse(s, &c) == 0 &&
	    !vg_cidr_match(&c, &ip))
		abort(); /* a host network holds its host */
	if (vg_cidr_parse(s, &c) == 0) {
		vg_cidr_format(&c, text, sizeof(text));
		if (vg_cidr_parse(text, &back) != 0 || back.prefix != c.prefix ||
		    !vg_cidr_match(&back, &c.ip))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_client_conf cl;
	struct mgr_remote_conf rm;
	struct mgr_auth_conf au;
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR);
	char *str = vg_xstrndup((const char *)data, size); /* stops at the first NUL */
	fuzz_addresses(str);
	vg_free(str);

	vg_client_conf_init(&cl);
	mgr_remote_conf_init(&rm);
	mgr_auth_conf_init(&au);
	struct vg_conf_section sec[] = {{"client", vg_client_conf_parse, &cl},
					{"remote", mgr_remote_conf_parse, &rm},
					{"auth", mgr_auth_conf_parse, &au}};
	if (vg_conf_load_buffer("fuzz.conf", (const char *)data, size, sec, 3, &err) == 0) {
		(void)vg_client_conf_finish(&cl, "/nonexistent", &err);
		(void)mgr_remote_conf_finish(&rm, &au, &err);
	}
	vg_client_conf_free(&cl);
	mgr_remote_conf_free(&rm);
	mgr_auth_conf_free(&au);
	return 0;
}
