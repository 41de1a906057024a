/*
 * fuzz_conf.c - libFuzzer target: vg_conf_load_buffer + the <syscheck>
 * handler on arbitrary bytes. Any crash, leak or sanitizer report is a bug
 * (DESIGN.md invariant 5: bad config gets an error, never a crash).
 *
 * scripts/fuzz conf runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>

#include "fim/config.h"
#include "lib/conf.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fim_config cfg;
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR); /* warnings are expected, keep output quiet */
	fim_config_init(&cfg);
	struct vg_conf_section s[] = {{"syscheck", fim_config_parse, &cfg}};
	if (vg_conf_load_buffer("fuzz.conf", (const char *)data, size, s, 1, &err) == 0) {
		/* Exercise the lookups on what was loaded. */
		int depth;
		(void)fim_config_ignored(&cfg, "/etc/passwd");
		(void)fim_config_dir_for(&cfg, "/etc/ssh/sshd_config", &depth);
	}
	fim_config_free(&cfg);
	return 0;
}
