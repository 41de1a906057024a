/*
 * err.h - Vigie's one error convention.
 *
 * A function that can fail returns int: 0 on success, a negative VG_E* code on
 * failure. It may also take, as its last parameter, a caller-owned struct vg_err
 * that receives the code and a human message (file, line, path, rule...). The
 * first failure recorded wins, so a low-level message is not overwritten by the
 * callers that propagate it. NULL is accepted everywhere an err is taken.
 *
 * Codes are never renumbered.
 */
#ifndef VG_ERR_H
#define VG_ERR_H

#include <stddef.h>

enum {
	VG_OK = 0,
	VG_ENOTFOUND = -1, /* no such file, key, agent... */
	VG_ETOOBIG = -2,   /* over a configured or built-in bound */
	VG_EPARSE = -3,    /* malformed input: config, JSON, request */
	VG_EPERM = -4,     /* permission denied */
	VG_EINTERNAL = -5, /* anything else: I/O, OOM in a library, bug */
};

#define VG_ERR_MSG_MAX 256

struct vg_err {
	int code;
	char msg[VG_ERR_MSG_MAX];
};

#define VG_ERR_INIT                                                                                \
	{                                                                                          \
		0,                                                                                 \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}

#if defined(__GNUC__)
#define VG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define VG_MUST_CHECK __attribute__((warn_unused_result))
#else
#define VG_PRINTF(fmt, args)
#define VG_MUST_CHECK
#endif

/* Record a failure in err (if err is non-NULL and empty); returns code. */
int vg_err_set(struct vg_err *err, int code, const char *fmt, ...) VG_PRINTF(3, 4);

/*
 * Record a failure caused by errno value errnum: the code is derived from it
 * (ENOENT -> VG_ENOTFOUND, EACCES/EPERM -> VG_EPERM, ...) and ": strerror" is
 * appended to the message. Returns the code.
 */
int vg_err_errno(struct vg_err *err, int errnum, const char *fmt, ...) VG_PRINTF(3, 4);

/* Map an errno value to a VG_E* code. */
int vg_err_from_errno(int errnum);

/* Static text for a VG_E* code. */
const char *vg_strerror(int code);

/* Forget a recorded failure. */
void vg_err_clear(struct vg_err *err);

#endif
