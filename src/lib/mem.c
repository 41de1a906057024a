/*
 * mem.c - Allocation wrappers that abort on out-of-memory.
 *
 * Vigie's daemons cannot make useful progress without memory, and checking
 * every allocation hides the real error paths, so OOM is fatal here (as
 * OpenSSH's xmalloc and Redis's zmalloc do).
 */
#include "lib/mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void mem_oom(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof(msg), "vigie: out of memory allocating %zu bytes\n", n);
	if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0)
		_exit(70);
	abort();
}

void *vg_xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);
	if (p == NULL)
		mem_oom(n);
	return p;
}

void *vg_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb != 0 ? nmemb : 1, size != 0 ? size : 1);
	if (p == NULL)
		mem_oom(nmemb * size);
	return p;
}

void *vg_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		mem_oom(SIZE_MAX);
	size_t n = nmemb * size;
	void *q = realloc(p, n != 0 ? n : 1);
	if (q == NULL)
		mem_oom(n);
	return q;
}

char *vg_xstrdup(const char *s)
{
	return vg_xstrndup(s, strlen(s));
}

char *vg_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = vg_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *vg_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		mem_oom(strlen(fmt));
	return p;
}

void vg_free(void *p)
{
	free(p);
}

void vg_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
