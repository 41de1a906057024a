/*
 * Unit tests for src/manager/users.c: the dashboard's users file, its scrypt
 * hashes, the first start's admin password, reloads and malformed lines, on
 * real files in a mkdtemp home.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/mem.h"
#include "manager/users.h"

/* Hashes made by Python's hashlib.scrypt (an independent implementation)
 * of "password1" with salt bytes 0..15. */
#define BOB_LINE                                                                                   \
	"bob:$scrypt$N=32768,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$"                                    \
	"DIAuL4vzUyogANMF0sLWPafawEUMlyz5NIGfJ0yvrls="
#define CAROL_LINE                                                                                 \
	"carol:$scrypt$N=1024,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$"                                   \
	"EznlQ7V/b0/Ex1WVXw+W6ui3CigrUmis5JIZzdlNLJE="

struct fixture {
	char home[64];
	char etc[96];
	char users[128];
	char pass[128];
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->home, sizeof(f->home), "/tmp/vg-test-users-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	snprintf(f->etc, sizeof(f->etc), "%s/etc", f->home);
	snprintf(f->users, sizeof(f->users), "%s/%s", f->home, USERS_FILE);
	snprintf(f->pass, sizeof(f->pass), "%s/%s", f->home, USERS_ADMIN_PASS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* Write the users file with text and mode. */
static void put_users(const struct fixture *f, const char *text, mode_t mode)
{
	mkdir(f->etc, 0750);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.test", f->users);
	FILE *fp = fopen(tmp, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(tmp, mode), 0);
	assert_int_equal(rename(tmp, f->users), 0); /* a new inode, as a rewrite */
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_users__first_open_creates_admin_with_generated_password(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;
	bool created = false;

	assert_int_equal(users_open(f->home, &u, &created, &err), 0);
	assert_true(created);
	assert_int_equal(users_count(u), 1);
	assert_int_equal(mode_of(f->users), 0600);
	assert_int_equal(mode_of(f->pass), 0600);

	char *pw = vg_test_read_file(f->pass);
	assert_int_equal(strlen(pw), USERS_GEN_LEN + 1);
	assert_int_equal(pw[USERS_GEN_LEN], '\n');
	pw[USERS_GEN_LEN] = '\0';
	assert_int_equal(users_check(u, "admin", pw, &err), 0);

	/* the users file holds a hash of it, never the password itself */
	char *text = vg_test_read_file(f->users);
	assert_non_null(strstr(text, "admin:$scrypt$N=32768,r=8,p=1$"));
	assert_null(strstr(text, pw));
	vg_free(text);
	vg_free(pw);
	users_free(u);

	/* a second start keeps the users and does not make a new password */
	assert_int_equal(users_open(f->home, &u, &created, &err), 0);
	assert_false(created);
	assert_int_equal(users_count(u), 1);
	users_free(u);
}

static void test_users__generated_passwords_differ(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	users_free(u);
	char *first = vg_test_read_file(f->pass);
	assert_int_equal(unlink(f->users), 0);
	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	users_free(u);
	char *second = vg_test_read_file(f->pass);
	assert_string_not_equal(first, second);
	vg_free(first);
	vg_free(second);
}

static void test_users__wrong_password_unknown_user_and_bad_input_are_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	put_users(f, BOB_LINE "\n", 0600);
	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	assert_int_equal(users_check(u, "bob", "password1", &err), 0);

	assert_int_equal(users_check(u, "bob", "password2", &err), VG_EPERM);
	vg_test_err_mentions(&err, "wrong user name or password");
	vg_err_clear(&err);
	assert_int_equal(users_check(u, "nobody", "password1", &err), VG_EPERM);
	vg_err_clear(&err);
	assert_int_equal(users_check(u, "bob", "", &err), VG_EPERM);
	vg_err_clear(&err);
	assert_int_equal(users_check(u, "bo b", "password1", &err), VG_EPERM);
	vg_err_clear(&err);
	assert_int_equal(users_check(u, "BOB", "password1", &err), VG_EPERM);
	users_free(u);
}

static void test_users__reads_hashes_of_other_scrypt_implementations(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	/* other costs than the default are honoured (carol: N=1024) */
	put_users(f, "# users\n\n" BOB_LINE "\n" CAROL_LINE "\n", 0600);
	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	assert_int_equal(users_count(u), 2);
	assert_int_equal(users_check(u, "bob", "password1", &err), 0);
	assert_int_equal(users_check(u, "carol", "password1", &err), 0);
	assert_int_equal(users_check(u, "carol", "password0", &err), VG_EPERM);
	users_free(u);
}

static void test_users__set_password_round_trip(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	/* on a home without etc/ yet: created, and no admin is made up */
	assert_int_equal(users_set_password(f->home, "alice", "correct horse", &err), 0);
	assert_int_equal(mode_of(f->users), 0600);
	assert_int_equal(access(f->pass, F_OK), -1);
	char *text = vg_test_read_file(f->users);
	assert_int_equal(strncmp(text, "alice:$scrypt$N=32768,r=8,p=1$", 30), 0);
	/* 16 bytes of salt (24 base64), 32 of key (44), one line */
	const char *salt = text + 30;
	const char *key = strchr(salt, '$');
	assert_non_null(key);
	assert_int_equal(key - salt, 24);
	assert_int_equal(strlen(key + 1), 44 + 1);
	assert_null(strstr(text, "correct horse"));

	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	assert_int_equal(users_count(u), 1);
	assert_int_equal(users_check(u, "alice", "correct horse", &err), 0);
	assert_int_equal(users_check(u, "alice", "correct horsE", &err), VG_EPERM);
	users_free(u);

	/* the same password again gets a fresh salt */
	assert_int_equal(users_set_password(f->home, "alice", "correct horse", &err), 0);
	char *again = vg_test_read_file(f->users);
	assert_string_not_equal(text, again);
	vg_free(again);
	vg_free(text);
}

static void test_users__running_object_sees_a_rewrite(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	char *old = vg_test_read_file(f->pass);
	old[USERS_GEN_LEN] = '\0';
	assert_int_equal(users_check(u, "admin", old, &err), 0);

	assert_int_equal(users_set_password(f->home, "admin", "new admin pw", &err), 0);
	/* the stale generated password file is gone */
	assert_int_equal(access(f->pass, F_OK), -1);
	assert_int_equal(users_check(u, "admin", "new admin pw", &err), 0);
	assert_int_equal(users_check(u, "admin", old, &err), VG_EPERM);
	vg_err_clear(&err);

	/* a new user is seen too, and the admin kept */
	assert_int_equal(users_set_password(f->home, "bob.smith-2", "bobs password", &err), 0);
	assert_int_equal(users_count(u), 2);
	assert_int_equal(users_check(u, "bob.smith-2", "bobs password", &err), 0);
	assert_int_equal(users_check(u, "admin", "new admin pw", &err), 0);
	vg_free(old);
	users_free(u);
}

static void test_users__rewrite_keeps_comments_and_other_lines(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;

	put_users(f, "# dashboard users\n" BOB_LINE "\n\n" CAROL_LINE "\n", 0600);
	assert_int_equal(users_set_password(f->home, "bob", "another pw", &err), 0);
	char *text = vg_test_read_file(f->users);
	assert_int_equal(strncmp(text, "# dashboard users\nbob:$scrypt$", 30), 0);
	assert_null(strstr(text, BOB_LINE));
	assert_non_null(strstr(text, "\n\n" CAROL_LINE "\n"));
	assert_int_equal(vg_test_count(text, "bob:"), 1);
	vg_free(text);
}

static void test_users__malformed_lines_name_file_and_line(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
	    {"bob", "expected NAME:HASH"},
	    {":$scrypt$N=1024,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODw==",
	     "user name"},
	    {"b b:$scrypt$N=1024,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODw==",
	     "user name"},
	    {"bob:$2y$10$abcdefghijklmnopqrstuv", "does not start with $scrypt$"},
	    {"bob:$scrypt$N=1000,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODw==",
	     "power of two"},
	    {"bob:$scrypt$N=1024,r=0,p=1$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODw==",
	     "r must be"},
	    {"bob:$scrypt$N=1024,r=8,p=99$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODw==",
	     "p must be"},
	    {"bob:$scrypt$N=1048576,r=32,p=1$AAECAwQFBgcICQoLDA0ODw==$AAECAwQFBgcICQoLDA0ODw==",
	     "256 MiB"},
	    {"bob:$scrypt$N=1024,r=8,p=1$not*base64$AAECAwQFBgcICQoLDA0ODw==", "salt"},
	    {"bob:$scrypt$N=1024,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$AAEC", "key"},
	    {"bob:$scrypt$N=1024,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==", "salt"},
	    {BOB_LINE "\n" BOB_LINE, "listed twice"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vg_err err = VG_ERR_INIT;
		struct users *u = (struct users *)f;
		char text[1024], where[160];

		snprintf(text, sizeof(text), "# users\n" CAROL_LINE "\n%s\n", bad[i].line);
		put_users(f, text, 0600);
		assert_int_equal(users_open(f->home, &u, NULL, &err), VG_EPARSE);
		assert_null(u);
		/* the duplicate is reported where it repeats */
		snprintf(where, sizeof(where), "%s:%d: ", f->users,
			 strstr(bad[i].line, "\n") != NULL ? 4 : 3);
		vg_test_err_mentions(&err, where);
		vg_test_err_mentions(&err, bad[i].why);

		/* setting a password refuses to touch such a file */
		vg_err_clear(&err);
		assert_int_equal(users_set_password(f->home, "carol", "password1", &err),
				 VG_EPARSE);
		vg_test_err_mentions(&err, where);
		char *now = vg_test_read_file(f->users);
		assert_string_equal(now, text);
		vg_free(now);
	}
}

static void test_users__refuses_a_file_others_can_read_or_a_link(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;
	char target[160];

	put_users(f, BOB_LINE "\n", 0644);
	assert_int_equal(users_open(f->home, &u, NULL, &err), VG_EPERM);
	vg_test_err_mentions(&err, "chmod 600");
	assert_null(u);

	snprintf(target, sizeof(target), "%s/elsewhere", f->home);
	assert_int_equal(rename(f->users, target), 0);
	assert_int_equal(chmod(target, 0600), 0);
	assert_int_equal(symlink(target, f->users), 0);
	vg_err_clear(&err);
	assert_int_equal(users_open(f->home, &u, NULL, &err), VG_EPERM);
	vg_test_err_mentions(&err, "symbolic link");
}

static void test_users__bad_reload_keeps_the_users_loaded(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	put_users(f, BOB_LINE "\n", 0600);
	assert_int_equal(users_open(f->home, &u, NULL, &err), 0);
	put_users(f, "garbage\n", 0600);
	assert_int_equal(users_check(u, "bob", "password1", &err), 0);
	assert_int_equal(users_count(u), 1);
	/* fixed: the new list wins */
	put_users(f, CAROL_LINE "\n", 0600);
	assert_int_equal(users_check(u, "carol", "password1", &err), 0);
	assert_int_equal(users_check(u, "bob", "password1", &err), VG_EPERM);
	users_free(u);
}

static void test_users__set_password_refuses_bad_names_and_short_passwords(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char big[USERS_PASSWORD_MAX + 2];

	assert_int_equal(users_set_password(f->home, "alice", "1234567", &err), VG_EPARSE);
	vg_test_err_mentions(&err, "at least 8");
	vg_err_clear(&err);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(users_set_password(f->home, "alice", big, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "at most");
	static const char *const names[] = {
	    "",  "a:b",  "a b",
	    "é", "../x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		vg_err_clear(&err);
		assert_int_equal(users_set_password(f->home, names[i], "long enough", &err),
				 VG_EPARSE);
		vg_test_err_mentions(&err, "user name");
	}
	assert_int_equal(access(f->users, F_OK), -1);
	/* 8 bytes and 64 characters of name are fine */
	assert_int_equal(
	    users_set_password(f->home,
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			       "12345678", &err),
	    0);
}

static void test_users__rewrite_keeps_the_owner_when_run_as_root(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct stat st;

	if (geteuid() != 0)
		skip();
	put_users(f, BOB_LINE "\n", 0600);
	assert_int_equal(chown(f->users, 4321, 4322), 0);
	assert_int_equal(users_set_password(f->home, "bob", "password2", &err), 0);
	assert_int_equal(stat(f->users, &st), 0);
	assert_int_equal(st.st_uid, 4321);
	assert_int_equal(st.st_gid, 4322);
	assert_int_equal(st.st_mode & 07777, 0600);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_users__first_open_creates_admin_with_generated_password),
	    T(test_users__generated_passwords_differ),
	    T(test_users__wrong_password_unknown_user_and_bad_input_are_refused),
	    T(test_users__reads_hashes_of_other_scrypt_implementations),
	    T(test_users__set_password_round_trip),
	    T(test_users__running_object_sees_a_rewrite),
	    T(test_users__rewrite_keeps_comments_and_other_lines),
	    T(test_users__malformed_lines_name_file_and_line),
	    T(test_users__refuses_a_file_others_can_read_or_a_link),
	    T(test_users__bad_reload_keeps_the_users_loaded),
	    T(test_users__set_password_refuses_bad_names_and_short_passwords),
	    T(test_users__rewrite_keeps_the_owner_when_run_as_root),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
