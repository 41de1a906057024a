/*
 * fuzz_cdblist.c - libFuzzer target: vg_cdblist_load_buffer and every lookup
 * on arbitrary bytes. A CDB list is operator-supplied text that may come from
 * a threat feed; any crash, leak or sanitizer report is a bug (junk lines are
 * skipped, never fatal).
 *
 * The input is split at its first 0xff byte: what comes before is the list,
 * what comes after is the field to look up (so the fuzzer can aim lookups at
 * keys it put in the list); with no 0xff the whole input is both.
 *
 * scripts/fuzz cdblist runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/cdblist.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/osmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_cdblist *l = NULL;
	struct vg_osmatch *m = NULL;
	const uint8_t *sep = memchr(data, 0xff, size);
	size_t list_len = sep != NULL ? (size_t)(sep - data) : size;
	const uint8_t *field = sep != NULL ? sep + 1 : data;
	size_t field_len = sep != NULL ? size - list_len - 1 : size;

	vg_log_set_level(VG_LOG_ERROR); /* junk-line warnings are expected */
	if (vg_cdblist_load_buffer("fuzz", (const char *)data, list_len, &l, NULL) != 0)
		return 0;
	char *f = vg_xstrndup((const char *)field, field_len); /* cut at any NUL */
	if (vg_osmatch_compile("^a|b$", &m, NULL) != 0)
		m = NULL;
	(void)vg_cdblist_get(l, f);
	(void)vg_cdblist_address_get(l, f);
	for (int k = VG_CDBLIST_MATCH_KEY; k <= VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE; k++) {
		(void)vg_cdblist_match(l, (enum vg_cdblist_lookup)k, f,
				       m != NULL ? vg_cdblist_check_osmatch : NULL, m);
	}
	vg_osmatch_free(m);
	vg_free(f);
	vg_cdblist_free(l);
	return 0;
}
