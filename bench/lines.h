/*
 * lines.h - An input file held in memory and split into lines, for the
 * benchmark programs that replay event lines (decode_bench, analysis_bench).
 *
 * Header-only on purpose: every bench/NAME.c is a program of its own, and this
 * is the only code two of them share.
 */
#ifndef BENCH_LINES_H
#define BENCH_LINES_H

#include <stddef.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"

struct bench_lines {
	struct vg_buf text; /* the whole input; lines point into it */
	const char **line;
	size_t *len;
	size_t n;
};

/* Split the text in place: lines point into it, without their newline;
 * empty lines are skipped. */
static inline void bench_lines_split(struct bench_lines *l)
{
	size_t cap = 0;

	for (char *p = l->text.data, *end = p + l->text.len; p != NULL && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		if (len > 0) {
			if (l->n == cap) {
				cap = cap ? cap * 2 : 4096;
				l->line = vg_xreallocarray(l->line, cap, sizeof(*l->line));
				l->len = vg_xreallocarray(l->len, cap, sizeof(*l->len));
			}
			l->line[l->n] = p;
			l->len[l->n++] = len;
		}
		p = nl ? nl + 1 : NULL;
	}
}

#endif
