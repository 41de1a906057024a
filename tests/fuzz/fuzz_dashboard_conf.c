/*
 * fuzz_dashboard_conf.c - libFuzzer target: vg_conf_load_buffer + the
 * manager's <dashboard> handler on arbitrary bytes, then the helpers on
 * what was loaded. Any crash, leak or sanitizer report is a bug; so is a
 * loaded configuration that serves plain HTTP off loopback (the invariant
 * the parser exists to keep).
 *
 * make test replays it over its seeds (tests/fuzz/replay.c). To fuzz,
 * build it with libFuzzer from the source tree:
 *   clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Isrc $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_dashboard_conf.c \
 *     src/lib/conf.c src/lib/osmatch.c src/lib/buf.c src/lib/str.c \
 *     src/lib/mem.c src/lib/err.c src/lib/log.c src/lib/fs.c src/lib/netaddr.c \
 *     src/manager/dashboard_conf.c \
 *     $(pkg-config --libs libxml-2.0) -lpthread -o fuzz_dashboard_conf
 *   ./fuzz_dashboard_conf -max_len=65536 corpus/   (seed corpus: the
 *     <dashboard> blocks of tests/unit/manager/test_dashboard_conf.c)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/dashboard_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgr_dashboard_conf d;
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR);
	mgr_dashboard_conf_init(&d);
	struct vg_conf_section s[] = {{"dashboard", mgr_dashboard_conf_parse, &d}};
	if (vg_conf_load_buffer("fuzz.conf", (const char *)data, size, s, 1, &err) == 0) {
		if (d.enabled && d.ssl_cert == NULL && !mgr_dashboard_is_loopback(d.bind))
			abort();
		if ((d.ssl_cert == NULL) != (d.ssl_key == NULL))
			abort();
		if (d.ssl_cert != NULL)
			vg_free(mgr_dashboard_path("/var/ossec", d.ssl_cert));
	}
	mgr_dashboard_conf_free(&d);
	return 0;
}
