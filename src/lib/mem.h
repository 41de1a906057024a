/*
 * mem.h - Allocation that never returns NULL.
 *
 * The vg_x* functions abort the process with a message when memory runs out:
 * callers never test for NULL. This is the only place a library function may
 * end the process (STYLE.md rule 9).
 */
#ifndef VG_MEM_H
#define VG_MEM_H

#include <stddef.h>

void *vg_xmalloc(size_t n);
void *vg_xcalloc(size_t nmemb, size_t size);
/* Resize p to nmemb * size bytes, aborting on overflow or OOM. */
void *vg_xreallocarray(void *p, size_t nmemb, size_t size);
char *vg_xstrdup(const char *s);
char *vg_xstrndup(const char *s, size_t n);
/* Formatted allocation; aborts on OOM. */
char *vg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vg_free(void *p);
/* Wipe n bytes of p (a secret) before freeing it. NULL is allowed. */
void vg_freezero(void *p, size_t n);

#endif
