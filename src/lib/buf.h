/*
 * buf.h - Growable byte buffers with a mandatory cap.
 *
 * Every buffer fed by the network, a file or a rule has a maximum size: an
 * append past it fails with VG_ETOOBIG and leaves the buffer unchanged. The
 * contents are always NUL-terminated (the NUL is not counted in len), so a
 * buffer of text can be handed to C string functions. The struct is public
 * because buffers live on the stack; treat the fields as read-only.
 */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/err.h"

struct vg_buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* bytes of content allowed, excluding the NUL */
};

#define VG_BUF_INIT(max)                                                                           \
	{                                                                                          \
		NULL, 0, 0, (max)                                                                  \
	}

void vg_buf_init(struct vg_buf *b, size_t max);
int vg_buf_append(struct vg_buf *b, const void *p, size_t n) VG_MUST_CHECK;
/*
 * Grow the contents by n bytes for the caller to fill (a read(2) or
 * inflate target): *p points at them, valid until the next change of b.
 * Their value is unspecified until written. VG_ETOOBIG past the cap.
 */
int vg_buf_extend(struct vg_buf *b, size_t n, void **p) VG_MUST_CHECK;
int vg_buf_puts(struct vg_buf *b, const char *s) VG_MUST_CHECK;
int vg_buf_putc(struct vg_buf *b, char c) VG_MUST_CHECK;
int vg_buf_printf(struct vg_buf *b, const char *fmt, ...) VG_PRINTF(2, 3) VG_MUST_CHECK;
int vg_buf_vprintf(struct vg_buf *b, const char *fmt, va_list ap) VG_PRINTF(2, 0) VG_MUST_CHECK;
/* Contents as a C string; "" for an empty buffer. Borrowed. */
const char *vg_buf_cstr(const struct vg_buf *b);
/* Drop the contents, keep the memory. */
void vg_buf_reset(struct vg_buf *b);
/* Cut the contents to len bytes (len <= b->len). */
void vg_buf_truncate(struct vg_buf *b, size_t len);
/* Move the contents out: the caller owns the result (vg_free). Never NULL. */
char *vg_buf_take(struct vg_buf *b);
void vg_buf_free(struct vg_buf *b);

#endif
