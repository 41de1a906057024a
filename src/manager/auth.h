/*
 * auth.h - The dashboard's and the API's logged-in clients: sessions
 * (a cookie + a CSRF token, for the browser), API tokens (Bearer, for
 * scripts), and the login rate limiter (docs/api.md, Authentication).
 *
 * A login checks the password with users.h and hands out a new id: 32
 * random bytes in base64url (43 characters). Only SHA-256 digests of ids are
 * kept, so a memory dump of the manager yields no live credential. A
 * session's CSRF token is derived from its id (SHA-256 of a label and the
 * id), so it needs no storage either and cannot be computed without the
 * cookie.
 *
 * Lifetimes: a session ends AUTH_SESSION_IDLE_S after its last use or
 * AUTH_SESSION_MAX_S after the login, whichever comes first; a token ends
 * AUTH_TOKEN_TTL_S after it was issued (Wazuh's auth_token_exp_timeout), use
 * or not. At most max_credentials live at once: the oldest is dropped to
 * make room. Everything is in memory: a restart logs everyone out.
 *
 * Rate limit: per client address (an IPv6 client's /64: one host holds a
 * whole /64 and could take a new address per guess), AUTH_FAIL_MAX failed
 * logins within
 * AUTH_FAIL_WINDOW_S refuse that address's logins for AUTH_BLOCK_S, without
 * checking the password; a success clears the address's failures. Logins
 * being checked count as failures until they end, so parallel requests
 * cannot get more than AUTH_FAIL_MAX guesses through.
 *
 * Threads: every function may be called from several threads at once (one
 * mutex, never held during the slow password hash).
 */
#ifndef MGR_AUTH_H
#define MGR_AUTH_H

#include <stddef.h>
#include <time.h>

#include "lib/err.h"
#include "manager/users.h"

#define AUTH_ID_LEN 43 /* characters of an id or CSRF token: base64url of 32 bytes */
#define AUTH_ID_TEXT (AUTH_ID_LEN + 1)
#define AUTH_SESSION_IDLE_S 1800
#define AUTH_SESSION_MAX_S (12 * 3600)
#define AUTH_TOKEN_TTL_S 900
#define AUTH_FAIL_MAX 5
#define AUTH_FAIL_WINDOW_S 60
#define AUTH_BLOCK_S 60
#define AUTH_CHECKS_MAX 4          /* password checks at once (scrypt: ~32 MiB each) */
#define AUTH_MAX_CREDENTIALS 10000 /* default cap of live sessions + tokens */
#define AUTH_MAX_CLIENTS 10000     /* addresses the rate limiter remembers */
#define AUTH_CLIENT_MAX 63         /* bytes of a client address kept */

enum auth_kind {
	AUTH_SESSION, /* the dashboard's cookie, with a CSRF token */
	AUTH_TOKEN,   /* a Bearer token for scripts */
};

struct auth_opts {
	struct users *users; /* borrowed; must outlive the struct auth */
	/* The clock in seconds (monotonic is best); NULL: CLOCK_MONOTONIC. */
	time_t (*now)(void *ctx);
	void *now_ctx;
	size_t max_credentials; /* 0: AUTH_MAX_CREDENTIALS */
};

#define AUTH_OPTS_INIT                                                                             \
	{                                                                                          \
		NULL, NULL, NULL, 0                                                                \
	}

struct auth;

/* A new, empty authenticator over o->users. Free with auth_free. */
struct auth *auth_new(const struct auth_opts *o);

/* Forget every session and token; NULL is allowed. */
void auth_free(struct auth *a);

/*
 * Log user in from client (its address, as text; at most AUTH_CLIENT_MAX
 * bytes are used) with password. On success writes the new id to id (the
 * cookie value or the Bearer token) and, for AUTH_SESSION, its CSRF token
 * to csrf (may be NULL for AUTH_TOKEN; left "" for a token), and returns 0.
 * A wrong user or password is VG_EPERM. A client over the rate limit gets
 * VG_ETOOBIG and *retry_after (may be NULL) the seconds to wait (>= 1),
 * and its password is not checked. The password is not kept.
 */
int auth_login(struct auth *a, const char *user, const char *password, const char *client,
	       enum auth_kind kind, char id[AUTH_ID_TEXT], char csrf[AUTH_ID_TEXT],
	       unsigned *retry_after, struct vg_err *err) VG_MUST_CHECK;

/*
 * Whether cookie is a live session: 0 and its user name in user (may be
 * NULL) and its CSRF token in csrf (may be NULL), and the idle timer
 * restarts; VG_EPERM for an unknown, expired or malformed value (an
 * expired session is dropped).
 */
int auth_check_session(struct auth *a, const char *cookie, char user[USERS_NAME_MAX + 1],
		       char csrf[AUTH_ID_TEXT], struct vg_err *err) VG_MUST_CHECK;

/* Whether bearer is a live token: 0 and its user (may be NULL), or VG_EPERM. */
int auth_check_token(struct auth *a, const char *bearer, char user[USERS_NAME_MAX + 1],
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Whether header (X-CSRF-Token, may be NULL) is the CSRF token of session
 * (the cookie value, checked with auth_check_session first): 0 or VG_EPERM.
 * Constant-time.
 */
int auth_check_csrf(struct auth *a, const char *session, const char *header,
		    struct vg_err *err) VG_MUST_CHECK;

/* End the session or token id: 0, or VG_ENOTFOUND when it is not live. */
int auth_logout(struct auth *a, const char *id);

/* How many sessions and tokens are live (expired ones are not counted). */
size_t auth_count(struct auth *a);

#endif
