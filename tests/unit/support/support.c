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
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"

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

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) == 0 ? 0 : -1;
}

void vg_test_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int vg_test_dbdir_setup(void **state, const char *tag, const char *name)
{
	struct vg_test_dbdir *d = vg_xcalloc(1, sizeof(*d));

	snprintf(d->dir, sizeof(d->dir), "/tmp/%s-XXXXXX", tag);
	if (mkdtemp(d->dir) == NULL) {
		vg_free(d);
		return -1;
	}
	snprintf(d->db, sizeof(d->db), "%.63s/%.60s", d->dir, name);
	*state = d;
	return 0;
}

int vg_test_dbdir_teardown(void **state)
{
	struct vg_test_dbdir *d = *state;
	vg_test_rmtree(d->dir);
	vg_free(d);
	return 0;
}

void vg_test_err_mentions(const struct vg_err *err, const char *want)
{
	if (strstr(err->msg, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err->msg, want);
}

char *vg_test_read_log(const char *path)
{
	vg_log_close();
	char *s = vg_test_read_file(path);
	assert_int_equal(vg_log_open(path, false, NULL), 0);
	return s;
}

char *vg_test_src_path(const char *rel)
{
	const char *src = getenv("VG_SOURCE_DIR");

	if (src == NULL) {
		print_message("VG_SOURCE_DIR not set (run through ctest)\n");
		skip();
	}
	return vg_xasprintf("%s/%s", src, rel);
}

char *vg_test_read_src(const char *rel)
{
	char *p = vg_test_src_path(rel);
	char *text = vg_test_read_file(p);
	vg_free(p);
	return text;
}

json_t *vg_test_load_src_json(const char *rel)
{
	char *p = vg_test_src_path(rel);
	json_error_t jerr;
	json_t *j = json_load_file(p, JSON_PRESERVE_ORDER, &jerr);
	if (j == NULL)
		fail_msg("cannot load %s: %s", p, jerr.text);
	vg_free(p);
	return j;
}

void vg_test_logdir_open(struct vg_test_logdir *d, const char *tag)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/vg-test-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	assert_int_equal(vg_log_open(d->log, false, NULL), 0);
}

void vg_test_logdir_close(struct vg_test_logdir *d)
{
	vg_log_close();
	vg_test_rmtree(d->dir);
}

void vg_test_conf_ok(int rc, const struct vg_err *err)
{
	if (rc != 0)
		fail_msg("%s", err->msg);
}

void vg_test_conf_error(int rc, const struct vg_err *err, const char *want)
{
	assert_int_equal(rc, VG_EPARSE);
	vg_test_err_mentions(err, want);
}

void vg_test_write_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0); /* whatever the umask */
	assert_int_equal(close(fd), 0);
}

void vg_test_fmt(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	assert_true(len >= 0 && (size_t)len < n);
}
