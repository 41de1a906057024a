/*
 * fuzz_rules.c - libFuzzer target: load arbitrary bytes as a Wazuh rule
 * file (lib/conf + rules_load), then evaluate one event against whatever
 * loaded. Any crash, leak or sanitizer report is a bug: a broken rule file
 * must give an error, never a crash.
 *
 * scripts/fuzz rules runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/log.h"
#include "manager/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-rules-XXXXXX";
	int fd = mkstemp(path);
	struct rules_set *set = NULL;
	struct rules_state *st = NULL;

	vg_log_set_level(VG_LOG_ERROR);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	const char *files[] = {path};
	if (rules_load_files(files, 1, NULL, NULL, 0, NULL, 12, &set, NULL) == 0 &&
	    rules_state_new(set, &st, NULL) == 0) {
		struct an_fields *f = an_fields_new();
		struct an_event ev = {
		    .fields = f, .log = "File '/tmp/x' added", .decoder = "syscheck_new_entry"};
		struct rules_result r;
		if (an_fields_add(f, "file", "/tmp/x", NULL) == 0)
			(void)rules_eval(set, st, &ev, &r, NULL, NULL);
		an_fields_free(f);
	}
	rules_state_free(st);
	rules_set_free(set);
	unlink(path);
	return 0;
}
