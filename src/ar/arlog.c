/*
 * arlog.c - HOME/logs/active-responses.log lines (see arlog.h).
 */
#include "ar/arlog.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/json.h"

int ar_log_format(struct vg_buf *out, time_t when, const char *program, const json_t *json,
		  const char *text, struct vg_err *err)
{
	struct tm tm;
	char stamp[32];

	vg_buf_reset(out);
	if (localtime_r(&when, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y/%m/%d %H:%M:%S", &tm) == 0)
		return vg_err_set(err, VG_EINTERNAL, "cannot format the time %lld",
				  (long long)when);
	if (vg_buf_printf(out, "%s active-response/bin/%s: ", stamp, program) != 0 ||
	    vg_json_dump(out, json, err) != 0 ||
	    (text != NULL && vg_buf_printf(out, " %s", text) != 0) || vg_buf_putc(out, '\n') != 0 ||
	    out->len > AR_LOG_LINE_MAX)
		return vg_err_set(err, VG_ETOOBIG, "an active-response log line is over %u bytes",
				  AR_LOG_LINE_MAX);
	return 0;
}

int ar_log_append(const char *home, const struct vg_buf *line, struct vg_err *err)
{
	struct vg_buf path;
	ssize_t n;
	int fd, rc = 0;

	vg_buf_init(&path, 4096);
	if (vg_buf_printf(&path, "%s/logs", home) != 0) {
		rc = vg_err_set(err, VG_ETOOBIG, "HOME is too long");
		goto out;
	}
	rc = vg_fs_mkdirs(vg_buf_cstr(&path), 0750, err);
	if (rc != 0 || (rc = vg_buf_puts(&path, "/active-responses.log")) != 0)
		goto out;
	fd = open(vg_buf_cstr(&path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		rc = vg_err_errno(err, errno, "cannot open %s", vg_buf_cstr(&path));
		goto out;
	}
	n = write(fd, line->data, line->len);
	if (n < 0 || (size_t)n != line->len)
		rc = vg_err_errno(err, n < 0 ? errno : EIO, "cannot write to %s",
				  vg_buf_cstr(&path));
	if (close(fd) != 0 && rc == 0)
		rc = vg_err_errno(err, errno, "cannot write to %s", vg_buf_cstr(&path));
out:
	vg_buf_free(&path);
	return rc;
}
