/*
 * integrations_log.c - integrations.log writer (see integrations_log.h).
 *
 * Lines are built whole in a capped buffer and written with one write(2)
 * on an O_APPEND descriptor, so concurrent writers never interleave
 * within a line and `tail -f` never sees half of one. Values longer than
 * fit are cut by vg_escape (ending in "...").
 */
#include "manager/integrations_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/common.h"
#include "lib/mem.h"
#include "lib/str.h"

#define IL_VALUE_MAX 256    /* escaped bytes of one field */
#define IL_MESSAGE_MAX 1024 /* escaped bytes of the message */

struct mgr_intlog {
	pthread_mutex_t lock;
	char *path;
	int fd;
};

static int il_open_fd(const char *path, int *fd, struct vg_err *err)
{
	*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (*fd < 0)
		return vg_err_errno(err, errno, "cannot open %s", path);
	return 0;
}

/* One field: " key=value", value escaped, "-" when empty, quoted with a space. */
static int il_put(struct vg_buf *b, const char *key, const char *value, size_t max, bool quote)
{
	char esc[IL_MESSAGE_MAX];

	if (value == NULL || value[0] == '\0')
		return vg_buf_printf(b, " %s=-", key);
	vg_escape(esc, max < sizeof(esc) ? max : sizeof(esc), value, strlen(value));
	if (quote || strchr(esc, ' ') != NULL || strchr(esc, '=') != NULL)
		return vg_buf_printf(b, " %s=\"%s\"", key, esc);
	return vg_buf_printf(b, " %s=%s", key, esc);
}

static int il_put_num(struct vg_buf *b, const char *key, int64_t v, bool present)
{
	if (!present)
		return vg_buf_printf(b, " %s=-", key);
	return vg_buf_printf(b, " %s=%lld", key, (long long)v);
}

static int il_quota(struct vg_buf *b, const struct mgr_intlog_entry *e)
{
	const int64_t q[3] = {e->quota_minute, e->quota_day, e->quota_month};
	int rc = vg_buf_puts(b, " quota_left=");

	for (int k = 0; rc == 0 && k < 3; k++) {
		if (k > 0)
			rc = vg_buf_putc(b, '/');
		if (rc == 0)
			rc = q[k] < 0 ? vg_buf_putc(b, '-')
				      : vg_buf_printf(b, "%lld", (long long)q[k]);
	}
	return rc;
}

static int il_time(struct vg_buf *b, int64_t ms)
{
	struct timespec ts;
	struct tm tm;

	if (ms <= 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	time_t sec = (time_t)(ms / 1000);
	gmtime_r(&sec, &tm);
	return vg_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (int)(ms % 1000));
}

static const char *const il_cache[] = {"-", "hit", "miss"};

int mgr_intlog_format(struct vg_buf *out, const struct mgr_intlog_entry *e)
{
	size_t before = out->len;
	char name[IL_VALUE_MAX];
	int rc = il_time(out, e->time_ms);

	if (rc == 0) {
		const char *n = e->integration != NULL ? e->integration : "-";
		rc = vg_buf_printf(out, " %s", vg_escape(name, sizeof(name), n, strlen(n)));
	}
	if (rc == 0)
		rc = il_put(out, "alert", e->alert_id, IL_VALUE_MAX, false);
	if (rc == 0)
		rc = il_put(out, "agent", e->agent_id, IL_VALUE_MAX, false);
	if (rc == 0)
		rc = il_put(out, "sha256", e->sha256, IL_VALUE_MAX, false);
	if (rc == 0)
		rc = il_put(out, "outcome", e->outcome, IL_VALUE_MAX, false);
	if (rc == 0)
		rc = il_put_num(out, "http", e->http_status, e->http_status > 0);
	if (rc == 0)
		rc = il_put_num(out, "latency_ms", e->latency_ms, e->latency_ms >= 0);
	if (rc == 0)
		rc = vg_buf_printf(out, " cache=%s",
				   (unsigned)e->cache < 3 ? il_cache[e->cache] : "-");
	if (rc == 0)
		rc = il_quota(out, e);
	if (rc == 0)
		rc = il_put(out, "msg", e->message, IL_MESSAGE_MAX, true);
	if (rc == 0)
		rc = vg_buf_putc(out, '\n');
	if (rc != 0)
		vg_buf_truncate(out, before);
	return rc;
}

int mgr_intlog_open(const char *path, struct mgr_intlog **out, struct vg_err *err)
{
	int fd;
	int rc = il_open_fd(path, &fd, err);

	*out = NULL;
	if (rc != 0)
		return rc;
	struct mgr_intlog *l = vg_xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->path = vg_xstrdup(path);
	l->fd = fd;
	*out = l;
	return 0;
}

int mgr_intlog_write(struct mgr_intlog *l, const struct mgr_intlog_entry *e, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(MGR_INTLOG_LINE_MAX);
	int rc = mgr_intlog_format(&b, e);

	if (rc != 0) {
		rc = vg_err_set(err, rc, "integrations.log: line too long");
		goto out;
	}
	pthread_mutex_lock(&l->lock);
	ssize_t w = l->fd >= 0 ? write(l->fd, b.data, b.len) : -1;
	int saved = errno;
	pthread_mutex_unlock(&l->lock);
	if (w != (ssize_t)b.len)
		rc = vg_err_errno(err, w < 0 ? saved : EIO, "cannot write %s", l->path);
out:
	vg_buf_free(&b);
	return rc;
}

int mgr_intlog_reopen(struct mgr_intlog *l, struct vg_err *err)
{
	int fd;
	int rc = il_open_fd(l->path, &fd, err);

	if (rc != 0)
		return rc; /* keep writing to the old file rather than nowhere */
	pthread_mutex_lock(&l->lock);
	int old = l->fd;
	l->fd = fd;
	pthread_mutex_unlock(&l->lock);
	if (old >= 0)
		close(old);
	return 0;
}

void mgr_intlog_close(struct mgr_intlog *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->lock);
	vg_free(l->path);
	vg_free(l);
}
