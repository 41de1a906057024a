/*
 * users.h - The dashboard's users and their password hashes
 * (docs/dashboard-users.md).
 *
 * HOME/etc/dashboard.users holds one user a line:
 *
 *   NAME:$scrypt$N=32768,r=8,p=1$SALT_B64$HASH_B64
 *
 * NAME is 1..64 of [A-Za-z0-9._-]; the hash is scrypt (OpenSSL 3's EVP_KDF
 * "SCRYPT") of the password with a 16-byte random salt, 32 bytes of key,
 * both in standard padded base64. Empty lines and lines starting with '#'
 * are allowed; anything else is a malformed line, an error naming FILE:LINE.
 * The file is mode 0600, never a symbolic link, and only ever replaced
 * whole (a temporary file, fsync, rename), so a reader sees the old or the
 * new file, never half of one.
 *
 * A running manager sees `vigie passwd` at once: users_check stats the file
 * and reloads it when its inode, size or mtime changed. A reload that fails
 * (a hand edit gone wrong) keeps the users last loaded and logs the error
 * once, so a typo does not lock everyone out.
 *
 * Passwords are never logged, never stored, and every buffer derived from one
 * is wiped. Checking an unknown user costs the same scrypt as a known one.
 *
 * Threads: a struct users may be used by several threads at once (one
 * mutex, never held during the slow hash). users_set_password may run in
 * another process at the same time (a lock file serialises writers).
 */
#ifndef MGR_USERS_H
#define MGR_USERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "lib/err.h"

#define USERS_FILE "etc/dashboard.users"            /* under HOME */
#define USERS_ADMIN_PASS "etc/dashboard.admin.pass" /* under HOME, first start */
#define USERS_ADMIN "admin"
#define USERS_NAME_MAX 64       /* bytes of a user name */
#define USERS_PASSWORD_MIN 8    /* bytes */
#define USERS_PASSWORD_MAX 1024 /* bytes: a cap on what is hashed */
#define USERS_GEN_LEN 20        /* characters of the generated admin password */
#define USERS_MAX 10000         /* users in the file */

struct users;

/*
 * Open the users of home (HOME/etc/dashboard.users). When the file does not
 * exist, create it with user "admin" and a random password of
 * USERS_GEN_LEN characters written to HOME/etc/dashboard.admin.pass (0600;
 * only its location is logged) and set *created (may be NULL). A malformed
 * file is VG_EPARSE naming FILE:LINE; a file that group or others can read,
 * or that is not a regular file, is VG_EPERM. Free with users_free.
 */
int users_open(const char *home, struct users **out, bool *created,
	       struct vg_err *err) VG_MUST_CHECK;

/* Wipe and free; NULL is allowed. */
void users_free(struct users *u);

/*
 * Whether password is name's: 0, or VG_EPERM for a wrong password, an
 * unknown user or an unusable name or password (the same scrypt work is done
 * in every case, so the time does not tell whether the user exists). Reloads
 * the file first when it changed. Thread-safe.
 */
int users_check(struct users *u, const char *name, const char *password,
		struct vg_err *err) VG_MUST_CHECK;

/*
 * A value that changes whenever name's password does (a digest of its
 * salt and key, never the key itself), into *stamp: sessions remember it
 * and end when it changes. VG_ENOTFOUND when name is not, or no longer, a
 * user. Reloads the file first when it changed. Thread-safe.
 */
int users_stamp(struct users *u, const char *name, uint64_t *stamp) VG_MUST_CHECK;

/* How many users are loaded (after a reload check). Thread-safe. */
size_t users_count(struct users *u);

/*
 * Give name (created when absent) password in HOME/etc/dashboard.users,
 * replacing the file atomically (0600, the previous owner kept when run as
 * root). A name outside [A-Za-z0-9._-]{1,64} is VG_EPARSE; a password
 * shorter than USERS_PASSWORD_MIN or longer than USERS_PASSWORD_MAX bytes
 * is VG_EPARSE; a malformed existing file is VG_EPARSE
 * naming FILE:LINE and is left as it is. Setting "admin"'s password removes
 * HOME/etc/dashboard.admin.pass, which would otherwise hold a stale one.
 * HOME/etc is created when missing.
 */
int users_set_password(const char *home, const char *name, const char *password,
		       struct vg_err *err) VG_MUST_CHECK;

/* True when name is a valid user name (1..64 of [A-Za-z0-9._-]). */
bool users_name_valid(const char *name);

#endif
