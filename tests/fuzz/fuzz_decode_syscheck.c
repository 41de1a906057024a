/*
 * fuzz_decode_syscheck.c - libFuzzer target: an_syscheck_decode on arbitrary
 * bytes (an agent's event line is untrusted input). Any crash, leak or
 * sanitizer report is a bug: malformed input must give VG_EPARSE. On
 * success the accessors and the fields are walked, and the alert object is
 * dumped, so a result that jansson cannot serialise also shows up.
 *
 * scripts/fuzz decode_syscheck runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager/decode_syscheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct an_syscheck *s = NULL;
	struct vg_err err = VG_ERR_INIT;

	if (an_syscheck_decode((const char *)data, size, &s, &err) != 0) {
		if (s != NULL || err.code != VG_EPARSE || err.msg[0] == '\0')
			abort(); /* the contract: VG_EPARSE, a message, no result */
		return 0;
	}
	const struct an_fields *f = an_syscheck_fields(s);
	const char *n, *v;
	size_t total = 0;
	for (size_t i = 0; an_fields_at(f, i, &n, &v) == 0; i++)
		total += strlen(n) + strlen(v);
	if (an_syscheck_full_log(s) != NULL)
		total += strlen(an_syscheck_full_log(s));
	if (an_syscheck_block(s) != NULL) {
		char *dump = json_dumps(an_syscheck_block(s), JSON_COMPACT);
		if (dump == NULL)
			abort(); /* every string we put in must be valid UTF-8 */
		free(dump);
	}
	(void)an_syscheck_decoder(s);
	(void)total;
	an_syscheck_free(s);
	return 0;
}
