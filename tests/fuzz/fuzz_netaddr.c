/*
 * fuzz_netaddr.c - libFuzzer target: the address parsers of lib/netaddr on
 * arbitrary bytes (port, IP, host, CIDR, with invariants checked: a parsed
 * CIDR prints back to text that parses to the same network and matches its
 * own address), then the same bytes as an ossec.conf through the <client>,
 * <remote> and <auth> handlers and their finish steps. Any crash, leak,
 * sanitizer report or abort() is a bug.
 *
 * make test replays it over its seeds (tests/fuzz/replay.c). To fuzz,
 * build it with libFuzzer from the source tree:
 *   clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Isrc $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_netaddr.c \
 *     src/lib/netaddr.c src/lib/client_conf.c src/lib/passfile.c src/lib/conf.c \
 *     src/lib/buf.c src/lib/str.c src/lib/mem.c src/lib/err.c src/lib/log.c \
 *     src/lib/fs.c src/manager/remote_conf.c \
 *     $(pkg-config --libs libxml-2.0) -lpthread -o fuzz_netaddr
 *   ./fuzz_netaddr -max_len=4096 corpus/
 *   (seed corpus: tests/fixtures/conf/wazuh-4x-*.conf and a few addresses)
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
