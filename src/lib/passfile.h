/*
 * passfile.h - Reading a shared secret (the enrollment password) from a file.
 *
 * Both daemons read Wazuh's authd.pass: the manager when <auth><use_password>
 * is yes (HOME/etc/authd.pass), the agent from <enrollment>
 * <authorization_pass_path>. The file must be a regular file (a symlink is
 * refused), readable by its owner and at most its group (mode within 0640:
 * 0600, 0640, 0400, 0440), hold 1..VG_PASSFILE_MAX bytes once one trailing
 * newline ("\n" or "\r\n") is removed, and contain no NUL, CR or LF inside.
 *
 * The password never appears in a message or a log line; every buffer
 * that held it is wiped before it is released. Thread-safe.
 */
#ifndef VG_PASSFILE_H
#define VG_PASSFILE_H

#include <stddef.h>

#include "lib/err.h"

#define VG_PASSFILE_MAX 128 /* bytes of password */

/*
 * Read the password of path into *out (NUL-terminated, *len bytes), to be
 * released with vg_passfile_free. Errors name the path and the rule broken:
 * VG_ENOTFOUND (no such file: callers for whom the password is optional
 * test for it), VG_EPERM (too open, not a regular file, unreadable),
 * VG_ETOOBIG (over VG_PASSFILE_MAX), VG_EPARSE (empty, control bytes).
 */
int vg_passfile_read(const char *path, char **out, size_t *len, struct vg_err *err) VG_MUST_CHECK;

/* Wipe and free a password from vg_passfile_read; NULL is allowed. */
void vg_passfile_free(char *pw, size_t len);

#endif
