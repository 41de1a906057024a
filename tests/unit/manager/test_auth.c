/*
 * Unit tests for src/manager/auth.c: sessions, tokens, CSRF and the login
 * rate limiter, over a real users file in a mkdtemp home and an injected
 * clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <pthread.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/mem.h"
#include "manager/auth.h"
#include "manager/users.h"

#define PW "alice-password"
#define ADDR "192.0.2.7"

struct fixture {
	char home[64];
	struct users *users;
	struct auth *auth;
	time_t now;
};

static time_t fake_now(void *ctx)
{
	return ((struct fixture *)ctx)->now;
}

static struct auth *auth_with_cap(struct fixture *f, size_t cap)
{
	struct auth_opts o = AUTH_OPTS_INIT;
	o.users = f->users;
	o.now = fake_now;
	o.now_ctx = f;
	o.max_credentials = cap;
	return auth_new(&o);
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;

	snprintf(f->home, sizeof(f->home), "/tmp/vg-test-auth-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	assert_int_equal(users_set_password(f->home, "alice", PW, &err), 0);
	assert_int_equal(users_open(f->home, &f->users, NULL, &err), 0);
	f->now = 1000000;
	f->auth = auth_with_cap(f, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	auth_free(f->auth);
	users_free(f->users);
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* A successful login of alice from addr. */
static void login(struct fixture *f, enum auth_kind kind, const char *addr, char id[AUTH_ID_TEXT],
		  char csrf[AUTH_ID_TEXT])
{
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(auth_login(f->auth, "alice", PW, addr, kind, id, csrf, NULL, &err), 0);
}

static int bad_login(struct fixture *f, const char *addr, unsigned *wait)
{
	char id[AUTH_ID_TEXT];
	return auth_login(f->auth, "alice", "wrong-password", addr, AUTH_SESSION, id, NULL, wait,
			  NULL);
}

static bool url_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
			   *s) == NULL)
			return false;
	return true;
}

static void test_auth__session_login_gives_cookie_and_csrf(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT], csrf[AUTH_ID_TEXT], csrf2[AUTH_ID_TEXT];
	char user[USERS_NAME_MAX + 1];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_SESSION, ADDR, id, csrf);
	assert_int_equal(strlen(id), AUTH_ID_LEN);
	assert_int_equal(strlen(csrf), AUTH_ID_LEN);
	assert_true(url_safe(id));
	assert_true(url_safe(csrf));
	assert_string_not_equal(id, csrf);

	assert_int_equal(auth_check_session(f->auth, id, user, csrf2, &err), 0);
	assert_string_equal(user, "alice");
	assert_string_equal(csrf, csrf2);
	assert_int_equal(auth_check_csrf(f->auth, id, csrf, &err), 0);
	/* a cookie is not a Bearer token */
	assert_int_equal(auth_check_token(f->auth, id, user, &err), VG_EPERM);
	assert_string_equal(user, "");

	/* each login gets its own id */
	char other[AUTH_ID_TEXT];
	login(f, AUTH_SESSION, ADDR, other, NULL);
	assert_string_not_equal(id, other);
	assert_int_equal(auth_count(f->auth), 2);
}

static void test_auth__wrong_password_and_unknown_user_get_no_id(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT] = "x", csrf[AUTH_ID_TEXT] = "x";
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(auth_login(f->auth, "alice", "wrong-password", ADDR, AUTH_SESSION, id,
				    csrf, NULL, &err),
			 VG_EPERM);
	assert_string_equal(id, "");
	assert_string_equal(csrf, "");
	assert_int_equal(auth_login(f->auth, "mallory", PW, ADDR, AUTH_TOKEN, id, NULL, NULL, &err),
			 VG_EPERM);
	assert_int_equal(auth_login(f->auth, NULL, NULL, ADDR, AUTH_TOKEN, id, NULL, NULL, &err),
			 VG_EPERM);
	assert_int_equal(auth_count(f->auth), 0);
}

static void test_auth__token_expires_after_900_s(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT], user[USERS_NAME_MAX + 1];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_TOKEN, ADDR, id, NULL);
	assert_int_equal(auth_check_token(f->auth, id, user, &err), 0);
	assert_string_equal(user, "alice");
	assert_int_equal(auth_check_session(f->auth, id, user, NULL, &err), VG_EPERM);
	f->now += AUTH_TOKEN_TTL_S - 1; /* use does not extend a token */
	assert_int_equal(auth_check_token(f->auth, id, NULL, &err), 0);
	f->now += 1;
	assert_int_equal(auth_check_token(f->auth, id, NULL, &err), VG_EPERM);
	assert_int_equal(auth_count(f->auth), 0);
}

static void test_auth__session_expires_when_idle(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_SESSION, ADDR, id, NULL);
	/* each use restarts the idle timer */
	for (int i = 0; i < 3; i++) {
		f->now += AUTH_SESSION_IDLE_S - 1;
		assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), 0);
	}
	f->now += AUTH_SESSION_IDLE_S;
	assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), VG_EPERM);
	/* and it stays dead */
	f->now -= 10;
	assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), VG_EPERM);
}

static void test_auth__session_ends_after_12_hours_in_use(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;
	time_t start = f->now;

	login(f, AUTH_SESSION, ADDR, id, NULL);
	while (f->now + 600 < start + AUTH_SESSION_MAX_S) {
		f->now += 600;
		assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), 0);
	}
	f->now = start + AUTH_SESSION_MAX_S - 1;
	assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), 0);
	f->now += 1;
	assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), VG_EPERM);
}

static void test_auth__csrf_mismatch_is_refused(void **state)
{
	struct fixture *f = *state;
	char a[AUTH_ID_TEXT], acsrf[AUTH_ID_TEXT], b[AUTH_ID_TEXT], bcsrf[AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_SESSION, ADDR, a, acsrf);
	login(f, AUTH_SESSION, ADDR, b, bcsrf);
	assert_int_equal(auth_check_csrf(f->auth, a, acsrf, &err), 0);
	/* another session's token, the cookie itself, a changed or cut one, none */
	assert_int_equal(auth_check_csrf(f->auth, a, bcsrf, &err), VG_EPERM);
	vg_test_err_mentions(&err, "CSRF");
	assert_int_equal(auth_check_csrf(f->auth, a, a, &err), VG_EPERM);
	acsrf[5] = acsrf[5] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_check_csrf(f->auth, a, acsrf, &err), VG_EPERM);
	acsrf[5] = '\0';
	assert_int_equal(auth_check_csrf(f->auth, a, acsrf, &err), VG_EPERM);
	assert_int_equal(auth_check_csrf(f->auth, a, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_csrf(f->auth, a, "", &err), VG_EPERM);
	assert_int_equal(auth_check_csrf(f->auth, NULL, bcsrf, &err), VG_EPERM);
}

static void test_auth__malformed_ids_are_refused(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT], longer[AUTH_ID_TEXT + 1];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_SESSION, ADDR, id, NULL);
	snprintf(longer, sizeof(longer), "%sA", id);
	static const char *const bad[] = {"", "abc", "../../etc/passwd",
					  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(auth_check_session(f->auth, bad[i], NULL, NULL, &err), VG_EPERM);
		assert_int_equal(auth_check_token(f->auth, bad[i], NULL, &err), VG_EPERM);
		assert_int_equal(auth_logout(f->auth, bad[i]), VG_ENOTFOUND);
	}
	assert_int_equal(auth_check_session(f->auth, NULL, NULL, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_session(f->auth, longer, NULL, NULL, &err), VG_EPERM);
	/* an id of the right shape that was never issued */
	char forged[AUTH_ID_TEXT];
	memcpy(forged, id, sizeof(forged));
	forged[0] = forged[0] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_check_session(f->auth, forged, NULL, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_session(f->auth, id, NULL, NULL, &err), 0);
}

static void test_auth__five_failures_block_the_address_for_60_s(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;
	unsigned wait = 99;

	for (int i = 0; i < AUTH_FAIL_MAX; i++) {
		assert_int_equal(bad_login(f, ADDR, &wait), VG_EPERM);
		assert_int_equal(wait, 0);
		f->now += 2;
	}
	/* blocked: even the right password is not checked */
	assert_int_equal(
	    auth_login(f->auth, "alice", PW, ADDR, AUTH_SESSION, id, NULL, &wait, &err),
	    VG_ETOOBIG);
	assert_int_equal(wait, AUTH_BLOCK_S - 2);
	vg_test_err_mentions(&err, "retry in");
	assert_string_equal(id, "");
	/* another address is not */
	login(f, AUTH_SESSION, "2001:db8::1", id, NULL);
	f->now += AUTH_BLOCK_S - 3;
	assert_int_equal(bad_login(f, ADDR, &wait), VG_ETOOBIG);
	assert_int_equal(wait, 1);
	f->now += 1;
	login(f, AUTH_SESSION, ADDR, id, NULL);
}

/* IPv6 clients count by /64: a new address per guess gains nothing. IPv4,
 * also as a dual-stack socket maps it, counts by the address alone. */
static void test_auth__ipv6_clients_count_by_their_64(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT], addr[64];
	unsigned wait;

	for (int i = 0; i < AUTH_FAIL_MAX; i++) {
		vg_test_fmt(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1);
		assert_int_equal(bad_login(f, addr, &wait), VG_EPERM);
	}
	assert_int_equal(bad_login(f, "2001:db8:1:2:ffff:ffff:ffff:ffff", &wait), VG_ETOOBIG);
	assert_int_equal(bad_login(f, "[2001:db8:1:2::99]", &wait), VG_ETOOBIG);
	/* the next /64 is another client */
	login(f, AUTH_SESSION, "2001:db8:1:3::1", id, NULL);
	for (int i = 0; i < AUTH_FAIL_MAX; i++) {
		vg_test_fmt(addr, sizeof(addr), "::ffff:192.0.2.%d", i + 1);
		assert_int_equal(bad_login(f, addr, &wait), VG_EPERM);
	}
	login(f, AUTH_SESSION, "::ffff:192.0.2.200", id, NULL);
	for (int i = 0; i < AUTH_FAIL_MAX; i++)
		assert_int_equal(bad_login(f, "::ffff:192.0.2.9", &wait), VG_EPERM);
	assert_int_equal(bad_login(f, "::ffff:192.0.2.9", &wait), VG_ETOOBIG);
}

static void test_auth__success_resets_and_old_failures_expire(void **state)
{
	struct fixture *f = *state;
	char id[AUTH_ID_TEXT];
	unsigned wait;

	for (int i = 0; i < AUTH_FAIL_MAX - 1; i++)
		assert_int_equal(bad_login(f, ADDR, &wait), VG_EPERM);
	login(f, AUTH_TOKEN, ADDR, id, NULL);
	for (int i = 0; i < AUTH_FAIL_MAX - 1; i++)
		assert_int_equal(bad_login(f, ADDR, &wait), VG_EPERM);
	/* four failures a window ago do not count with four now */
	f->now += AUTH_FAIL_WINDOW_S;
	for (int i = 0; i < AUTH_FAIL_MAX - 1; i++)
		assert_int_equal(bad_login(f, ADDR, &wait), VG_EPERM);
	login(f, AUTH_TOKEN, ADDR, id, NULL);
}

static void test_auth__logout_ends_a_session_or_token(void **state)
{
	struct fixture *f = *state;
	char s[AUTH_ID_TEXT], t[AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_SESSION, ADDR, s, NULL);
	login(f, AUTH_TOKEN, ADDR, t, NULL);
	assert_int_equal(auth_logout(f->auth, s), 0);
	assert_int_equal(auth_check_session(f->auth, s, NULL, NULL, &err), VG_EPERM);
	assert_int_equal(auth_logout(f->auth, s), VG_ENOTFOUND);
	assert_int_equal(auth_check_token(f->auth, t, NULL, &err), 0);
	assert_int_equal(auth_logout(f->auth, t), 0);
	assert_int_equal(auth_check_token(f->auth, t, NULL, &err), VG_EPERM);
	assert_int_equal(auth_count(f->auth), 0);
}

static void test_auth__the_oldest_credential_makes_room(void **state)
{
	struct fixture *f = *state;
	char id[4][AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;

	auth_free(f->auth);
	f->auth = auth_with_cap(f, 3);
	for (int i = 0; i < 4; i++) {
		login(f, i % 2 ? AUTH_TOKEN : AUTH_SESSION, ADDR, id[i], NULL);
		f->now += 1;
	}
	assert_int_equal(auth_count(f->auth), 3);
	assert_int_equal(auth_check_session(f->auth, id[0], NULL, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_token(f->auth, id[1], NULL, &err), 0);
	assert_int_equal(auth_check_session(f->auth, id[2], NULL, NULL, &err), 0);
	assert_int_equal(auth_check_token(f->auth, id[3], NULL, &err), 0);
	/* expired ones go first: tokens 1 and 3 end, session 2 stays */
	f->now += AUTH_TOKEN_TTL_S;
	assert_int_equal(auth_check_session(f->auth, id[2], NULL, NULL, &err), 0);
	login(f, AUTH_TOKEN, ADDR, id[0], NULL);
	assert_int_equal(auth_check_session(f->auth, id[2], NULL, NULL, &err), 0);
	assert_int_equal(auth_count(f->auth), 2);
}

/* Several threads log in and check at once (run under ASan/TSan). */
static void *worker(void *arg)
{
	struct fixture *f = arg;
	char id[AUTH_ID_TEXT], csrf[AUTH_ID_TEXT], user[USERS_NAME_MAX + 1];

	for (int i = 0; i < 2; i++) {
		if (auth_login(f->auth, "alice", PW, ADDR, AUTH_SESSION, id, csrf, NULL, NULL) !=
			0 ||
		    auth_check_session(f->auth, id, user, NULL, NULL) != 0 ||
		    auth_check_csrf(f->auth, id, csrf, NULL) != 0 || auth_logout(f->auth, id) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_auth__threads_share_one_authenticator(void **state)
{
	struct fixture *f = *state;
	pthread_t t[4];
	void *res;

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, f), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	assert_int_equal(auth_count(f->auth), 0);
}

/* Keep only the lines of HOME/etc/dashboard.users that are not name's. */
static void remove_user(struct fixture *f, const char *name)
{
	char path[128], tmp[136], line[512];
	size_t n = strlen(name);

	vg_test_fmt(path, sizeof(path), "%s/etc/dashboard.users", f->home);
	vg_test_fmt(tmp, sizeof(tmp), "%s.new", path);
	FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL)
		if (strncmp(line, name, n) != 0 || line[n] != ':')
			fputs(line, out);
	fclose(in);
	assert_int_equal(fchmod(fileno(out), 0600), 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* A new password (vigie passwd) ends the user's sessions and tokens, at once. */
static void test_auth__a_new_password_ends_the_users_credentials(void **state)
{
	struct fixture *f = *state;
	char s[AUTH_ID_TEXT], t[AUTH_ID_TEXT], b[AUTH_ID_TEXT], s2[AUTH_ID_TEXT];
	struct vg_err err = VG_ERR_INIT;

	login(f, AUTH_SESSION, ADDR, s, NULL);
	login(f, AUTH_TOKEN, ADDR, t, NULL);
	assert_int_equal(users_set_password(f->home, "bob", "bob-password", &err), 0);
	assert_int_equal(auth_check_session(f->auth, s, NULL, NULL, &err), 0); /* another user */
	assert_int_equal(
	    auth_login(f->auth, "bob", "bob-password", ADDR, AUTH_SESSION, b, NULL, NULL, &err), 0);

	assert_int_equal(users_set_password(f->home, "alice", "alice-new-password", &err), 0);
	assert_int_equal(auth_check_session(f->auth, s, NULL, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_token(f->auth, t, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_session(f->auth, b, NULL, NULL, &err), 0);
	assert_int_equal(auth_count(f->auth), 1); /* alice's two are gone */
	assert_int_equal(auth_login(f->auth, "alice", "alice-new-password", ADDR, AUTH_SESSION, s2,
				    NULL, NULL, &err),
			 0);
	assert_int_equal(auth_check_session(f->auth, s2, NULL, NULL, &err), 0);

	/* a user taken out of the file loses hers too */
	remove_user(f, "bob");
	assert_int_equal(auth_check_session(f->auth, b, NULL, NULL, &err), VG_EPERM);
	assert_int_equal(auth_check_session(f->auth, s2, NULL, NULL, &err), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_auth__session_login_gives_cookie_and_csrf),
	    T(test_auth__a_new_password_ends_the_users_credentials),
	    T(test_auth__wrong_password_and_unknown_user_get_no_id),
	    T(test_auth__token_expires_after_900_s),
	    T(test_auth__session_expires_when_idle),
	    T(test_auth__session_ends_after_12_hours_in_use),
	    T(test_auth__csrf_mismatch_is_refused),
	    T(test_auth__malformed_ids_are_refused),
	    T(test_auth__five_failures_block_the_address_for_60_s),
	    T(test_auth__ipv6_clients_count_by_their_64),
	    T(test_auth__success_resets_and_old_failures_expire),
	    T(test_auth__logout_ends_a_session_or_token),
	    T(test_auth__the_oldest_credential_makes_room),
	    T(test_auth__threads_share_one_authenticator),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
