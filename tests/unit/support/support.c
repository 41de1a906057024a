/*
 * support.c - Helpers shared by the unit tests.
 */
#include "support/support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

char *vg_test_read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	struct vg_buf b = VG_BUF_INIT(1 << 20);
	char chunk[4096];
	size_t n;

	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(vg_buf_append(&b, chunk, n), 0);
	fclose(fp);
	return vg_buf_take(&b);
}

int vg_test_count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}
