/*
 * fuzz_ar_conf.c - libFuzzer target: vg_conf_load_buffer + the manager's
 * <command> and <active-response> handlers on arbitrary bytes, then every
 * loaded active response matched against an alert whose strings are the
 * input. Any crash, leak or sanitizer report is a bug.
 *
 * scripts/fuzz ar_conf runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/ar_conf.h"
#include "manager/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgr_ar_conf c;
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR);
	mgr_ar_conf_init(&c);
	struct vg_conf_section sec[] = {
	    {"command", mgr_ar_command_parse, &c},
	    {"active-response", mgr_ar_response_parse, &c},
	};
	(void)vg_conf_load_buffer("fuzz.conf", (const char *)data, size, sec, 2, &err);

	char *str = vg_xstrndup((const char *)data, size); /* stops at the first NUL */
	struct store_alert a = {.id = "1.2",
				.rule_id = (unsigned)size,
				.level = (unsigned)(size % 17),
				.location = str,
				.groups = str,
				.json = "{}"};
	for (size_t i = 0; i < c.n; i++)
		(void)ar_matches(&c.items[i], &a);
	vg_free(str);
	mgr_ar_conf_free(&c);
	return 0;
}
