/*
 * osmatch.h - Wazuh/OSSEC "OSMatch" (sregex) patterns.
 *
 * The simple matcher behind <ignore type="sregex">, restrict= and
 * event_location: a pattern is alternatives separated by '|'; each is a
 * case-insensitive substring match, '^' anchors it at the start and '$' at
 * the end ('^x$' is equality); a leading '!' negates the whole pattern.
 * Compiled patterns are immutable and safe to share between threads.
 */
#ifndef VG_OSMATCH_H
#define VG_OSMATCH_H

#include <stdbool.h>

#include "lib/err.h"

struct vg_osmatch;

/* Compile pattern; an empty pattern or alternative is VG_EPARSE. */
int vg_osmatch_compile(const char *pattern, struct vg_osmatch **out,
		       struct vg_err *err) VG_MUST_CHECK;
bool vg_osmatch_test(const struct vg_osmatch *m, const char *s);
/* The source pattern. Borrowed. */
const char *vg_osmatch_pattern(const struct vg_osmatch *m);
void vg_osmatch_free(struct vg_osmatch *m);

#endif
