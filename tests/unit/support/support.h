/*
 * support.h - Helpers shared by the cmocka unit tests (linked into each).
 */
#ifndef VG_TEST_SUPPORT_H
#define VG_TEST_SUPPORT_H

/* The whole contents of path (at most 1 MiB), NUL-terminated; fails the
 * test if it cannot be read. Free with vg_free. */
char *vg_test_read_file(const char *path);

/* How many times needle occurs in hay (overlapping occurrences count). */
int vg_test_count(const char *hay, const char *needle);

#endif
