/*
 * fuzz_dashboard_conf.c - libFuzzer target: vg_conf_load_buffer + the
 * manager's <dashboard> handler on arbitrary bytes, then the helpers on
 * what was loaded. Any crash, leak or sanitizer report is a bug; so is a
 * loaded configuration that serves plain HTTP off loopback (the invariant
 * the parser exists to keep).
 *
 * scripts/fuzz dashboard_conf runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
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
