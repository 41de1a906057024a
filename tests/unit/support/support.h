/*
 * support.h - Helpers shared by the cmocka unit tests (linked into each).
 */
#ifndef VG_TEST_SUPPORT_H
#define VG_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

/* The whole contents of path (at most 1 MiB), NUL-terminated; fails the
 * test if it cannot be read. Free with vg_free. */
char *vg_test_read_file(const char *path);

/* Write content to path (created or truncated) with mode; fails the test. */
void vg_test_write_file(const char *path, const char *content, mode_t mode);

/* snprintf that fails the test rather than cut its output (paths). */
void vg_test_fmt(char *dst, size_t n, const char *fmt, ...) VG_PRINTF(3, 4);

/* How many times needle occurs in hay (overlapping occurrences count). */
int vg_test_count(const char *hay, const char *needle);

/* Fail the test unless err's message contains want (both are shown). */
void vg_test_err_mentions(const struct vg_err *err, const char *want);

/* What the logger wrote so far to path, its file (closed, read, reopened). */
char *vg_test_read_log(const char *path);

/* A fresh directory under /tmp with a database path in it, for one test. */
struct vg_test_dbdir {
	char dir[64]; /* /tmp/<tag>-XXXXXX */
	char db[128]; /* dir/<name> */
};

/*
 * cmocka setup/teardown: *state becomes a new struct vg_test_dbdir whose
 * directory exists; teardown removes the directory and all it holds.
 */
int vg_test_dbdir_setup(void **state, const char *tag, const char *name);
int vg_test_dbdir_teardown(void **state);

/* Remove path and everything below it (no symlink is followed). */
void vg_test_rmtree(const char *path);

/*
 * A temporary directory whose "log" file takes the log, for the tests that
 * check what is logged (the configuration parsers'). close removes it all.
 */
struct vg_test_logdir {
	char dir[64];  /* /tmp/vg-test-<tag>-XXXXXX */
	char log[128]; /* dir/log */
};
void vg_test_logdir_open(struct vg_test_logdir *d, const char *tag);
void vg_test_logdir_close(struct vg_test_logdir *d);

/* A configuration load's result: success, or VG_EPARSE whose message has want. */
void vg_test_conf_ok(int rc, const struct vg_err *err);
void vg_test_conf_error(int rc, const struct vg_err *err, const char *want);

/*
 * Files of the source tree (fixtures, the shipped ruleset): the path of rel
 * under $VG_SOURCE_DIR (ctest sets it; the test is skipped without it),
 * its contents, or its JSON (a failure fails the test). Caller frees.
 */
char *vg_test_src_path(const char *rel);
char *vg_test_read_src(const char *rel);
#include <jansson.h>
json_t *vg_test_load_src_json(const char *rel);

#endif
