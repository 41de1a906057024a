/*
 * fuzz_ar_command.c - libFuzzer target: what an agent reads from a manager's
 * COMMAND (the target an alert names, what a command does) and its own
 * <active-response> section, on arbitrary bytes. Any crash, leak or
 * sanitizer report is a bug.
 *
 * make test replays it over its seeds (tests/fuzz/replay.c). To fuzz,
 * build it with libFuzzer from the source tree:
 *   clang -std=c17 -D_GNU_SOURCE -DVIGIE_VERSION=\"fuzz\" -g -O1 \
 *     -fsanitize=fuzzer,address,undefined \
 *     -Isrc $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_ar_command.c \
 *     src/ar/actions.c src/ar/agent_conf.c src/ar/arlog.c src/ar/quarantine.c \
 *     src/fim/hash.c src/fim/names.c src/fim/config.c src/lib/[a-z]*.c \
 *     $(pkg-config --libs libxml-2.0) -ljansson -lcrypto -lssl -lsqlite3 -lpcre2-8 \
 *     -lz -lpthread -o fuzz_ar_command
 *   ./fuzz_ar_command -max_len=65536 corpus/
 *   (seeds: the "alert" objects of the .json files in
 *    tests/fixtures/seed-alerts, and
 *    tests/unit/ar/test_executor.c's commands)
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
