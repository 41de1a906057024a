/*
 * fuzz_vt_answer.c - libFuzzer target: VirusTotal answers (untrusted
 * network input) through vt_answer_parse, then the event built from the
 * result through vt_answer_event. Any crash, leak or sanitizer report is a
 * bug; so is a VT_FOUND whose sha256 is not the hash asked, or an event that
 * is not valid JSON. The first two bytes pick the HTTP status.
 *
 * scripts/fuzz vt_answer runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 * The seeds (tests/fuzz/seeds) are VirusTotal answers prefixed with a
 * status byte (0: HTTP 200).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "manager/vt_answer.h"

#define WANT "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 200, 200, 404, 401, 403, 429, 500, 503, 302, 0};
	const struct vt_source src = {"1.2", "/f", "m", "s", NULL, "001", "a"};
	struct vg_buf out = VG_BUF_INIT(1u << 20);
	struct vt_answer a;
	json_t *j;

	if (size < 1)
		return 0;
	long st = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	if (vt_answer_parse(st, (const char *)data + 1, size - 1, WANT, &a, NULL) != 0)
		abort();
	if (a.outcome == VT_FOUND && (st != 200 || strcmp(a.sha256, WANT) != 0))
		abort();
	if (vt_answer_event(&a, &src, NULL, &out, NULL) != 0)
		abort();
	j = json_loads(vg_buf_cstr(&out), 0, NULL);
	if (j == NULL)
		abort();
	json_decref(j);
	vg_buf_free(&out);
	return 0;
}
