/* Unit tests for src/lib/pidfile.c: the lock, and telling who holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/pidfile.h"
#include "support/support.h"

static int setup(void **state)
{
	return vg_test_dbdir_setup(state, "vg-pidfile", "daemon.pid");
}

static int teardown(void **state)
{
	return vg_test_dbdir_teardown(state);
}

static void test_pidfile__one_holder_at_a_time(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_pidfile *a = NULL, *b = NULL;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vg_pidfile_acquire(f->db, &a, NULL), 0);
	assert_int_equal(vg_pidfile_write(a, NULL), 0);
	assert_int_equal(vg_pidfile_acquire(f->db, &b, &err), VG_EPERM);
	vg_test_err_mentions(&err, "another instance is running");
	assert_null(b);
	vg_pidfile_release(a);
	assert_int_equal(vg_pidfile_acquire(f->db, &b, NULL), 0);
	vg_pidfile_release(b);
}

static void test_pidfile__holder_is_the_locking_process(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct vg_pidfile *p = NULL;
	pid_t pid = 12345;

	/* no file: nobody */
	assert_int_equal(vg_pidfile_holder(f->db, &pid, NULL), 0);
	assert_int_equal(pid, 0);
	assert_int_equal(vg_pidfile_acquire(f->db, &p, NULL), 0);
	assert_int_equal(vg_pidfile_write(p, NULL), 0);
	assert_int_equal(vg_pidfile_holder(f->db, &pid, NULL), 0);
	assert_int_equal(pid, getpid());
	/* asking did not take the lock: the holder still holds it alone */
	vg_pidfile_release(p);
	FILE *fp = fopen(f->db, "w"); /* a stale file of a dead daemon */
	assert_non_null(fp);
	fputs("999999\n", fp);
	fclose(fp);
	assert_int_equal(vg_pidfile_holder(f->db, &pid, NULL), 0);
	assert_int_equal(pid, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pidfile__one_holder_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pidfile__holder_is_the_locking_process, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
