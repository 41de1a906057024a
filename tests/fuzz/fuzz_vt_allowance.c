/*
 * fuzz_vt_allowance.c - libFuzzer target: answers of GET /users/{key}/
 * overall_quotas (untrusted network input) through vt_allowance_parse. Any
 * crash, leak or sanitizer report is a bug; so is an OK state with no
 * window known, a known window with allowed < 1 or used < 0, a window known
 * outside an OK state, or a detail that quotes the body's bytes. The first
 * byte picks the HTTP status.
 *
 * scripts/fuzz vt_allowance runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 * The seeds (tests/fuzz/seeds) are VirusTotal answers prefixed with a
 * status byte (0: HTTP 200).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager/vt_allowance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int window_ok(const struct vt_allowance_window *w)
{
	return !w->known || (w->allowed >= 1 && w->used >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 200, 200, 403, 401, 404, 429, 500, 503, 302, 0};
	struct vt_allowance a;

	if (size < 1)
		return 0;
	long st = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	vt_allowance_parse(st, (const char *)data + 1, size - 1, &a);
	if (a.state == VT_ALLOWANCE_OK && (st != 200 || (!a.day.known && !a.month.known)))
		abort();
	if (a.state != VT_ALLOWANCE_OK && (a.day.known || a.month.known))
		abort();
	if (!window_ok(&a.day) || !window_ok(&a.month))
		abort();
	if (strnlen(a.detail, sizeof(a.detail)) == sizeof(a.detail))
		abort();
	return 0;
}
