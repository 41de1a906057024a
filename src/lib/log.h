/*
 * log.h - The process logger (one of the two allowed globals, with config).
 *
 * Lines look like Wazuh's ossec.log:
 *   2026/11/27 19:03:48 vigie-agent[123] fim_scan_tree: WARNING: message
 * The level is checked before formatting. Messages never end in '\n'; escape
 * untrusted strings with vg_escape() and never log secrets. Thread-safe.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

#include <stdbool.h>

#include "lib/err.h"

enum vg_log_level {
	VG_LOG_DEBUG = 0,
	VG_LOG_INFO = 1,
	VG_LOG_WARN = 2,
	VG_LOG_ERROR = 3,
};

/* Name the program; log to stderr until vg_log_open() is called. */
void vg_log_init(const char *progname, enum vg_log_level level);
/* Append to path (created 0640); also copy to stderr when tee is set. */
int vg_log_open(const char *path, bool tee, struct vg_err *err) VG_MUST_CHECK;
/* Reopen the file after rotation (SIGHUP). */
int vg_log_reopen(struct vg_err *err) VG_MUST_CHECK;
void vg_log_set_level(enum vg_log_level level);
bool vg_log_enabled(enum vg_log_level level);
void vg_log_close(void);

void vg_log_at(enum vg_log_level level, const char *func, int rc, const char *fmt, ...)
    VG_PRINTF(4, 5);

#define VG_LOG_(lvl, rc, ...)                                                                      \
	do {                                                                                       \
		if (vg_log_enabled(lvl))                                                           \
			vg_log_at(lvl, __func__, rc, __VA_ARGS__);                                 \
	} while (0)

#define vg_log_error(...) VG_LOG_(VG_LOG_ERROR, 0, __VA_ARGS__)
#define vg_log_warn(...) VG_LOG_(VG_LOG_WARN, 0, __VA_ARGS__)
#define vg_log_info(...) VG_LOG_(VG_LOG_INFO, 0, __VA_ARGS__)
#define vg_log_debug(...) VG_LOG_(VG_LOG_DEBUG, 0, __VA_ARGS__)
/* The _r variants append ": " and vg_strerror(rc). */
#define vg_log_error_r(rc, ...) VG_LOG_(VG_LOG_ERROR, rc, __VA_ARGS__)
#define vg_log_warn_r(rc, ...) VG_LOG_(VG_LOG_WARN, rc, __VA_ARGS__)

#endif
