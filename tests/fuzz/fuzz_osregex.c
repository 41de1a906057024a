/*
 * fuzz_osregex.c - libFuzzer target: vg_osregex_compile + test + match on
 * arbitrary bytes. The input is split at its first NUL byte (or halfway if
 * there is none) into a pattern and a subject. Any crash, leak, sanitizer
 * report or disagreement between test() and match() is a bug (rules come
 * from files, subjects from the network: neither may crash the manager).
 * It also checks every reported span lies inside the subject.
 *
 * scripts/fuzz osregex runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/osregex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(const struct vg_osregex_span *sp, size_t len)
{
	if (sp->start > len || sp->len > len - sp->start)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul != NULL ? (size_t)(nul - data) : size / 2;
	size_t soff = nul != NULL ? plen + 1 : plen;
	char *pattern = vg_xstrndup((const char *)data, plen);
	char *subject = vg_xstrndup((const char *)data + soff, size - soff);
	struct vg_osregex *re = NULL;

	if (vg_osregex_compile(pattern, &re, NULL) == 0) {
		struct vg_osregex_match m;
		size_t slen = strlen(subject);
		bool t = vg_osregex_test(re, subject);
		bool hit = vg_osregex_match(re, subject, &m);
		if (t != hit)
			abort();
		if (hit) {
			check_span(&m.whole, slen);
			if (m.ncaptures > vg_osregex_captures(re))
				abort();
			for (unsigned i = 0; i < m.ncaptures; i++) {
				check_span(&m.cap[i], slen);
				/* Captures lie inside the whole match. */
				if (m.cap[i].start < m.whole.start ||
				    m.cap[i].start + m.cap[i].len > m.whole.start + m.whole.len)
					abort();
			}
		}
		vg_osregex_free(re);
	}
	vg_free(pattern);
	vg_free(subject);
	return 0;
}
