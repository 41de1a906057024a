/*
 * osregex.h - Wazuh/OSSEC "OS_Regex" patterns.
 *
 * The default regex type of <regex>, <prematch>, <field>, <srcip>... in
 * Wazuh rules and decoders (docs/rules.md, "Regular expressions"):
 * alternatives separated by a top-level '|', each unanchored unless it
 * starts with '^' or ends with '$'; escapes \w \d \s \t \p \W \D \S \. and
 * the escaped literals \\ \$ \( \) \| \<; '+' and '*' after an escape repeat
 * it (after anything else they are literal bytes); one level of '(...)'
 * captures. Matching is ASCII case-insensitive, like Wazuh's.
 *
 * Matching is a Pike VM: time O(subject length x pattern size), never
 * exponential, and capped by VG_OSREGEX_MAX_STEPS.
 *
 * Compiled regexes are immutable and safe to share between threads; every
 * call works on its own stack and heap scratch.
 */
#ifndef VG_OSREGEX_H
#define VG_OSREGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

struct vg_osregex;

/* Wazuh's own limit (OS_PATTERN_MAXSIZE); longer is VG_ETOOBIG. */
#define VG_OSREGEX_MAX_PATTERN 20480
/* Capture groups per alternative; more is VG_EPARSE. */
#define VG_OSREGEX_MAX_CAPTURES 16
/*
 * Work bound for one test/match call (VM steps, summed over alternatives).
 * A call that would exceed it reports "no match". Ordinary decoders use a
 * few steps per subject byte, so this is only reached by a pattern of
 * thousands of items run on a subject of megabytes.
 */
#define VG_OSREGEX_MAX_STEPS (1UL << 28)

/* A byte range of the subject: s[start .. start + len). */
struct vg_osregex_span {
	size_t start;
	size_t len;
};

/*
 * Result of vg_osregex_match(). Plain values (offsets into the caller's
 * subject), nothing to free; valid for as long as the subject is.
 */
struct vg_osregex_match {
	struct vg_osregex_span whole; /* the matched text */
	unsigned alt;                 /* index of the alternative that matched */
	/*
	 * Groups of that alternative, numbered from 0 in each alternative (as
	 * Wazuh numbers decoder captures): in "a(\d+)|b(\w+)", cap[0] is the
	 * digits or the word, whichever alternative matched.
	 */
	unsigned ncaptures;
	struct vg_osregex_span cap[VG_OSREGEX_MAX_CAPTURES];
};

/*
 * Compile pattern into *out (caller-owned, vg_osregex_free()). Errors, with
 * *out NULL: VG_EPARSE for an empty pattern or alternative, an unknown or
 * trailing escape, an unbalanced or nested '(', '|' inside a group, more
 * than VG_OSREGEX_MAX_CAPTURES groups in an alternative; VG_ETOOBIG for a
 * pattern longer than VG_OSREGEX_MAX_PATTERN.
 */
int vg_osregex_compile(const char *pattern, struct vg_osregex **out,
		       struct vg_err *err) VG_MUST_CHECK;

/* True when some alternative matches somewhere in s. */
bool vg_osregex_test(const struct vg_osregex *re, const char *s);

/*
 * Like vg_osregex_test(), and fill *m (always written; zeroed on no match).
 * Alternatives are tried in order, the first that matches wins (as in
 * Wazuh, so "b|a" on "ab" matches "b"). Within one, the match starts as far
 * left as possible; a repeated item ('+', '*') then stops as soon as the
 * next byte fits the item after it and keeps going otherwise (so the last
 * item of an alternative takes all it can), backtracking only when that
 * choice fails: "(\S+)@(\S+)" on "a@b@c" gives "a" and "b@c",
 * "(\w+)\s*" on "abc def" gives "abc", "user (\S+)" the whole name.
 */
bool vg_osregex_match(const struct vg_osregex *re, const char *s, struct vg_osregex_match *m);

/* Most groups in any one alternative (what a decoder's <order> may use). */
unsigned vg_osregex_captures(const struct vg_osregex *re);

/* The source pattern. Borrowed. */
const char *vg_osregex_pattern(const struct vg_osregex *re);

void vg_osregex_free(struct vg_osregex *re);

#endif
