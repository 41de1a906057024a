/*
 * fuzz_ar_command.c - libFuzzer target: what an agent reads from a manager's
 * COMMAND (the target an alert names, what a command does) and its own
 * <active-response> section, on arbitrary bytes. Any crash, leak or
 * sanitizer report is a bug.
 *
 * scripts/fuzz ar_command runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "ar/actions.h"
#include "ar/agent_conf.h"
#include "lib/conf.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ar_outcome o = {AR_REFUSED, "", "", NULL};
	struct ar_agent_conf c;
	struct ar_target t;
	struct vg_err err = VG_ERR_INIT;
	const struct vg_conf_section sec[] = {{"active-response", ar_agent_conf_parse, &c}};
	json_t *cmd = json_loadb((const char *)data, size, 0, NULL);

	vg_log_set_level(VG_LOG_ERROR);
	if (cmd != NULL) {
		struct ar_what w = ar_what_of(cmd, &o);
		/* every word is a string the report can print */
		if (strlen(w.program) + strlen(w.cmd) + strlen(w.action) == 0)
			__builtin_trap();
		if (ar_target_of_alert(json_object_get(cmd, "alert"), &t, NULL) == 0 &&
		    (t.path == NULL || t.sha256 == NULL))
			__builtin_trap();
		json_decref(cmd);
	}
	ar_agent_conf_init(&c);
	(void)vg_conf_load_buffer("fuzz.conf", (const char *)data, size, sec, 1, &err);
	return 0;
}
