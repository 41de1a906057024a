/*
 * Unit tests for src/lib/passfile.c: the authd.pass rules, on real files in
 * a mkdtemp directory.
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
#include "lib/passfile.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg-test-passfile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/authd.pass", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vg_test_rmtree(f->dir);
	vg_free(f);
	return 0;
}

static void put(const struct fixture *f, const char *data, size_t len, mode_t mode)
{
	unlink(f->path);
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(f->path, mode), 0);
}

static void expect_fail(const struct fixture *f, int code, const char *want)
{
	struct vg_err err = VG_ERR_INIT;
	char *pw = (char *)"sentinel";
	size_t len = 99;

	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), code);
	assert_null(pw);
	assert_int_equal(len, 0);
	vg_test_err_mentions(&err, want);
	assert_non_null(strstr(err.msg, f->path));
}

static void test_passfile__reads_and_trims_one_newline(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char *pw;
	size_t len;

	put(f, "s3cret!\n", 8, 0600);
	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), 0);
	assert_int_equal(len, 7);
	assert_string_equal(pw, "s3cret!");
	vg_passfile_free(pw, len);

	put(f, "with space\r\n", 12, 0640);
	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), 0);
	assert_string_equal(pw, "with space");
	vg_passfile_free(pw, len);

	put(f, "nonl", 4, 0400);
	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), 0);
	assert_string_equal(pw, "nonl");
	vg_passfile_free(pw, len);
	vg_passfile_free(NULL, 0);
}

static void test_passfile__exactly_128_bytes_and_over(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char buf[200];
	char *pw;
	size_t len;

	memset(buf, 'p', sizeof(buf));
	buf[VG_PASSFILE_MAX] = '\n';
	put(f, buf, VG_PASSFILE_MAX + 1, 0600);
	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), 0);
	assert_int_equal(len, VG_PASSFILE_MAX);
	vg_passfile_free(pw, len);

	memset(buf, 'p', sizeof(buf));
	put(f, buf, VG_PASSFILE_MAX + 1, 0600);
	expect_fail(f, VG_ETOOBIG, "more than 128 bytes");
	put(f, buf, sizeof(buf), 0600);
	expect_fail(f, VG_ETOOBIG, "more than 128 bytes");
}

static void test_passfile__missing_too_open_empty(void **state)
{
	struct fixture *f = *state;

	expect_fail(f, VG_ENOTFOUND, "cannot open password file");
	put(f, "pw\n", 3, 0644);
	expect_fail(f, VG_EPERM, "mode 0644");
	put(f, "pw\n", 3, 0604);
	expect_fail(f, VG_EPERM, "chmod 0600 or 0640");
	put(f, "pw\n", 3, 0660);
	expect_fail(f, VG_EPERM, "mode 0660");
	put(f, "pw\n", 3, 0700);
	expect_fail(f, VG_EPERM, "mode 0700");
	put(f, "", 0, 0600);
	expect_fail(f, VG_EPARSE, "is empty");
	put(f, "\n", 1, 0600);
	expect_fail(f, VG_EPARSE, "is empty");
	put(f, "two\nlines\n", 10, 0600);
	expect_fail(f, VG_EPARSE, "one line");
	put(f, "nul\0byte", 8, 0600);
	expect_fail(f, VG_EPARSE, "one line");
}

static void test_passfile__symlink_and_directory_refused(void **state)
{
	struct fixture *f = *state;
	char target[160];

	snprintf(target, sizeof(target), "%s/real", f->dir);
	FILE *fp = fopen(target, "w");
	assert_non_null(fp);
	fputs("pw\n", fp);
	fclose(fp);
	assert_int_equal(chmod(target, 0600), 0);
	assert_int_equal(symlink(target, f->path), 0);
	expect_fail(f, VG_EPERM, "symbolic link");
	unlink(f->path);
	assert_int_equal(mkdir(f->path, 0700), 0);
	expect_fail(f, VG_EPERM, "not a regular file");
}

/* The message never carries the password, whatever the failure. */
static void test_passfile__errors_do_not_leak_the_password(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char *pw;
	size_t len;

	put(f, "TopSecretValue\n", 15, 0644);
	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), VG_EPERM);
	assert_null(strstr(err.msg, "TopSecret"));
	vg_err_clear(&err);
	put(f, "TopSecretValue\nmore", 19, 0600);
	assert_int_equal(vg_passfile_read(f->path, &pw, &len, &err), VG_EPARSE);
	assert_null(strstr(err.msg, "TopSecret"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_passfile__reads_and_trims_one_newline, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_passfile__exactly_128_bytes_and_over, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_passfile__missing_too_open_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_passfile__symlink_and_directory_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_passfile__errors_do_not_leak_the_password, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
