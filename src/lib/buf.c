/*
 * buf.c - Capped growable buffers (curl's dynbuf, OpenSSH's sshbuf max).
 *
 * Growth doubles the capacity, clamped to max + 1 for the terminating NUL.
 * Sizes are checked for overflow before any arithmetic.
 */
#include "lib/buf.h"

#include <stdio.h>
#include <string.h>

#include "lib/mem.h"

void vg_buf_init(struct vg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int buf_reserve(struct vg_buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return VG_ETOOBIG;
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap != 0 ? b->cap : 64;
	while (cap < need)
		cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
	b->data = vg_xreallocarray(b->data, cap, 1);
	b->cap = cap;
	return 0;
}

int vg_buf_append(struct vg_buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);
	if (rc != 0)
		return rc;
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int vg_buf_extend(struct vg_buf *b, size_t n, void **p)
{
	int rc = buf_reserve(b, n);
	if (rc != 0)
		return rc;
	*p = b->data + b->len;
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int vg_buf_puts(struct vg_buf *b, const char *s)
{
	return vg_buf_append(b, s, strlen(s));
}

int vg_buf_putc(struct vg_buf *b, char c)
{
	return vg_buf_append(b, &c, 1);
}

int vg_buf_vprintf(struct vg_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return VG_EINTERNAL;
	int rc = buf_reserve(b, (size_t)n);
	if (rc != 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *vg_buf_cstr(const struct vg_buf *b)
{
	return b->data != NULL ? b->data : "";
}

void vg_buf_reset(struct vg_buf *b)
{
	vg_buf_truncate(b, 0);
}

void vg_buf_truncate(struct vg_buf *b, size_t len)
{
	if (b->data == NULL || len > b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *vg_buf_take(struct vg_buf *b)
{
	char *p = b->data != NULL ? b->data : vg_xstrdup("");
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p; /* transferred */
}

void vg_buf_free(struct vg_buf *b)
{
	vg_free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
