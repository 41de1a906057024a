/*
 * fuzz_registry.c - libFuzzer target: the agent registry's validators and
 * its writer on arbitrary text. Names, groups, addresses, versions,
 * checksums and certificate serials reach the registry from enrollment
 * requests and keepalives (network input); any crash, leak or sanitizer
 * report is a bug, and whatever is accepted must read back unchanged.
 *
 * The input (cut at its first NUL) is tried as every field in turn on a
 * fresh in-memory registry.
 *
 * scripts/fuzz registry runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "manager/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_opts o = REG_OPTS_INIT;
	struct reg *r = NULL;
	struct reg_agent a;
	char *s = vg_xstrndup((const char *)data, size);
	char id[REG_ID_TEXT];
	int64_t num;
	bool revoked;
	enum reg_status st;

	(void)reg_check_groups(s, NULL);
	(void)reg_id_parse(s, &num, NULL);
	(void)reg_status_parse(s, &st, NULL);
	o.manager_name = "fuzz-manager";
	if (reg_open(":memory:", &o, &r, NULL) != 0)
		abort();
	if (reg_enroll(r, s, NULL, NULL, NULL, false, id, NULL) == 0) {
		if (reg_check_name(s, NULL) != 0 || reg_get(r, id, &a, NULL) != 0 ||
		    strcmp(a.name, s) != 0)
			abort();
	}
	if (reg_enroll(r, "agent", s, s, s, true, id, NULL) == 0) {
		if (reg_get(r, id, &a, NULL) != 0 || strcmp(a.ip, s) != 0 ||
		    strcmp(a.groups, s[0] ? s : REG_DEFAULT_GROUP) != 0)
			abort();
	}
	(void)reg_keepalive(r, "001", s, s, s, NULL);
	if (reg_add_serial(r, "000", s, NULL) == 0 &&
	    (reg_is_revoked(r, s, &revoked, NULL) != 0 || revoked))
		abort();
	(void)reg_revoke_serial(r, s, NULL);
	(void)reg_remove(r, s, NULL, NULL);
	reg_close(r);
	vg_free(s);
	return 0;
}
