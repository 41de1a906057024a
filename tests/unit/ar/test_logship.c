/*
 * Unit tests for src/ar/logship.c: shipping HOME/logs/active-responses.log
 * line by line with durable positions, on a real file in a mkdtemp HOME
 * and a real SQLite database (HOME/queue/ar.db), reopened to play a
 * restart. The emit callback records what it was handed and can refuse.
 */
#include <fcntl.h>
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

#include "ar/arlog.h"
#include "ar/logship.h"
#include "lib/db.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "support/support.h"

#define MAX_LINES 64

struct got {
	uint64_t seq;
	size_t len;
	char *line;
	char *location;
};

struct fx {
	char home[64];
	char log[128];
	char dbpath[128];
	sqlite3 *db;
	struct ar_logship *ls;
	struct got got[MAX_LINES];
	size_t ngot;
	uint64_t refuse_seq; /* emit refuses this seq (0 = none) */
	size_t refused;      /* times it refused */
	struct vg_err err;
};

static int emit(void *ctx, uint64_t seq, const char *location, const char *line, size_t len)
{
	struct fx *f = ctx;

	if (seq == f->refuse_seq) {
		f->refused++;
		return -1;
	}
	assert_true(f->ngot < MAX_LINES);
	f->got[f->ngot].seq = seq;
	f->got[f->ngot].len = len;
	f->got[f->ngot].line = vg_xmalloc(len + 1);
	memcpy(f->got[f->ngot].line, line, len);
	f->got[f->ngot].line[len] = '\0';
	f->got[f->ngot].location = vg_xstrdup(location);
	f->ngot++;
	return 0;
}

static void forget(struct fx *f)
{
	for (size_t i = 0; i < f->ngot; i++) {
		vg_free(f->got[i].line);
		vg_free(f->got[i].location);
	}
	f->ngot = 0;
}

static void open_ls(struct fx *f)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;

	assert_int_equal(vg_db_open(f->dbpath, &o, &f->db, &f->err), 0);
	if (ar_logship_open(f->db, f->home, emit, f, &f->ls, &f->err) != 0)
		fail_msg("ar_logship_open: %s", f->err.msg);
}

static void close_ls(struct fx *f)
{
	ar_logship_close(f->ls);
	f->ls = NULL;
	vg_db_close(f->db);
	f->db = NULL;
}

/* A restart: a new ar_logship on a new connection to the same file. */
static void reopen(struct fx *f)
{
	close_ls(f);
	open_ls(f);
}

/* Run once; returns *behind. The lines emitted are in f->got. */
static int run(struct fx *f)
{
	int behind = -1;

	if (ar_logship_run(f->ls, &behind, &f->err) != 0)
		fail_msg("ar_logship_run: %s", f->err.msg);
	assert_true(behind == 0 || behind == 1);
	return behind;
}

static void append_to(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void append(struct fx *f, const char *s)
{
	append_to(f->log, s, strlen(s));
}

static void assert_got(const struct fx *f, size_t i, uint64_t seq, const char *line)
{
	assert_true(i < f->ngot);
	assert_int_equal(f->got[i].seq, seq);
	assert_string_equal(f->got[i].line, line);
	assert_int_equal(f->got[i].len, strlen(line));
	assert_string_equal(f->got[i].location, f->log);
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char *dir;

	vg_log_set_level(VG_LOG_ERROR);
	snprintf(f->home, sizeof(f->home), "/tmp/vg-test-logship-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	snprintf(f->log, sizeof(f->log), "%s/" AR_LOG_FILE, f->home);
	snprintf(f->dbpath, sizeof(f->dbpath), "%s/queue/ar.db", f->home);
	dir = vg_xasprintf("%s/logs", f->home);
	assert_int_equal(vg_fs_mkdirs(dir, 0750, NULL), 0);
	vg_free(dir);
	dir = vg_xasprintf("%s/queue", f->home);
	assert_int_equal(vg_fs_mkdirs(dir, 0750, NULL), 0);
	vg_free(dir);
	open_ls(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close_ls(f);
	forget(f);
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_logship__no_file_yet_is_nothing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 0);
	assert_string_equal(ar_logship_path(f->ls), f->log);
}

static void test_logship__lines_in_order_with_seq_and_location(void **state)
{
	struct fx *f = *state;

	append(f, "one\ntwo\n");
	append(f, "three\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 3);
	assert_got(f, 0, 1, "one");
	assert_got(f, 1, 2, "two");
	assert_got(f, 2, 3, "three");

	/* a second run has nothing new */
	forget(f);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 0);

	/* and the next line gets the next number */
	append(f, "four\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 1);
	assert_got(f, 0, 4, "four");
}

static void test_logship__partial_line_waits_for_its_newline(void **state)
{
	struct fx *f = *state;

	append(f, "done\nhalf");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 1);
	assert_got(f, 0, 1, "done");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 1); /* still waiting */
	append(f, " and the rest\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 2);
	assert_got(f, 1, 2, "half and the rest");
}

static void test_logship__restart_continues_after_last_line(void **state)
{
	struct fx *f = *state;

	append(f, "a\nb\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 2);
	forget(f);
	reopen(f);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 0); /* nothing again */
	append(f, "c\n");
	reopen(f);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 1);
	assert_got(f, 0, 3, "c");
}

static void test_logship__refused_line_comes_again_with_same_seq(void **state)
{
	struct fx *f = *state;

	append(f, "a\nb\nc\n");
	f->refuse_seq = 2;
	assert_int_equal(run(f), 1); /* behind */
	assert_int_equal(f->ngot, 1);
	assert_got(f, 0, 1, "a");
	assert_int_equal(f->refused, 1); /* stopped at the first refusal */

	/* refused again: still behind, nothing more emitted */
	assert_int_equal(run(f), 1);
	assert_int_equal(f->ngot, 1);
	assert_int_equal(f->refused, 2);

	/* accepted after a restart too: same line, same number */
	reopen(f);
	f->refuse_seq = 0;
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 3);
	assert_got(f, 1, 2, "b");
	assert_got(f, 2, 3, "c");
}

static void test_logship__replaced_file_read_from_start(void **state)
{
	struct fx *f = *state;
	char *tmp = vg_xasprintf("%s.new", f->log);
	struct stat a, b;

	append(f, "old 1\nold 2\nold 3\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 3);
	assert_int_equal(stat(f->log, &a), 0);
	/* rotated: a new file (longer than the old offset, so only the inode
	 * tells) renamed over it */
	append_to(tmp, "new 1 is a longer line\nnew 2\n", 29);
	assert_int_equal(rename(tmp, f->log), 0);
	assert_int_equal(stat(f->log, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 5);
	assert_got(f, 3, 4, "new 1 is a longer line");
	assert_got(f, 4, 5, "new 2");

	/* truncated in place (shorter than the offset): from its start too */
	assert_int_equal(truncate(f->log, 0), 0);
	append(f, "t\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 6);
	assert_got(f, 5, 6, "t");
	vg_free(tmp);
}

static void test_logship__empty_lines_skipped(void **state)
{
	struct fx *f = *state;

	append(f, "\na\n\n\nb\n\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 2);
	assert_got(f, 0, 1, "a");
	assert_got(f, 1, 2, "b");
}

/* n bytes of c then, when nl, a newline. */
static void append_fill(struct fx *f, size_t n, char c, int nl)
{
	char *s = vg_xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\n';
	append_to(f->log, s, n + (nl != 0));
	vg_free(s);
}

static void test_logship__oversized_line_skipped(void **state)
{
	struct fx *f = *state;

	append(f, "before\n");
	append_fill(f, AR_LOG_LINE_MAX + 100, 'x', 1);
	append(f, "after\n");
	/* the longest line arlog writes (AR_LOG_LINE_MAX with its newline) is shipped */
	append_fill(f, AR_LOG_LINE_MAX - 1, 'y', 1);
	append(f, "last\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 4);
	assert_got(f, 0, 1, "before");
	assert_got(f, 1, 2, "after");
	assert_int_equal(f->got[2].seq, 3);
	assert_int_equal(f->got[2].len, AR_LOG_LINE_MAX - 1);
	assert_int_equal(f->got[2].line[0], 'y');
	assert_got(f, 3, 4, "last");
}

/* An oversized line still being written when a run comes: skipped to its
 * end all the same, also across a restart in the middle of it. */
static void test_logship__oversized_partial_line_skipped_across_runs(void **state)
{
	struct fx *f = *state;

	append(f, "first\n");
	append_fill(f, AR_LOG_LINE_MAX + 10, 'x', 0);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 1);
	append_fill(f, 10, 'x', 0);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 1);
	reopen(f);
	append(f, "tail of the long one\nnext\n");
	assert_int_equal(run(f), 0);
	assert_int_equal(f->ngot, 2);
	assert_got(f, 1, 2, "next");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_logship__no_file_yet_is_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logship__lines_in_order_with_seq_and_location,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logship__partial_line_waits_for_its_newline, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_logship__restart_continues_after_last_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_logship__refused_line_comes_again_with_same_seq,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logship__replaced_file_read_from_start, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_logship__empty_lines_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logship__oversized_line_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_logship__oversized_partial_line_skipped_across_runs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
