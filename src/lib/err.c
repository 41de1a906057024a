/*
 * err.c - Recording failures into a caller-owned struct vg_err.
 *
 * The message buffer is fixed size and belongs to the caller, so recording an
 * error never allocates and works on any thread and under memory pressure.
 */
#include "lib/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int err_vset(struct vg_err *err, int code, const char *suffix, const char *fmt, va_list ap)
    VG_PRINTF(4, 0);

static int err_vset(struct vg_err *err, int code, const char *suffix, const char *fmt, va_list ap)
{
	if (err == NULL || err->code != 0)
		return code;
	err->code = code;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (suffix != NULL && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", suffix);
	return code;
}

int vg_err_set(struct vg_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int vg_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
	case ESRCH:
		return VG_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return VG_EPERM;
	case E2BIG:
	case EFBIG:
	case ENAMETOOLONG:
	case EOVERFLOW:
	case ENOSPC:
	case EDQUOT:
		return VG_ETOOBIG;
	case EINVAL:
	case EILSEQ:
		return VG_EPARSE;
	default:
		return VG_EINTERNAL;
	}
}

int vg_err_errno(struct vg_err *err, int errnum, const char *fmt, ...)
{
	int code = vg_err_from_errno(errnum);
	char text[96];
	va_list ap;

	/* strerror_r (GNU flavour) may or may not use the buffer. */
	const char *s = strerror_r(errnum, text, sizeof(text));
	va_start(ap, fmt);
	err_vset(err, code, s, fmt, ap);
	va_end(ap);
	return code;
}

const char *vg_strerror(int code)
{
	switch (code) {
	case VG_OK:
		return "success";
	case VG_ENOTFOUND:
		return "not found";
	case VG_ETOOBIG:
		return "too big";
	case VG_EPARSE:
		return "parse error";
	case VG_EPERM:
		return "permission denied";
	default:
		return "internal error";
	}
}

void vg_err_clear(struct vg_err *err)
{
	if (err != NULL) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
