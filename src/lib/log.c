/*
 * log.c - The process logger.
 *
 * One mutex serialises lines so that threads never interleave; each line is
 * formatted into a stack buffer and written with one fwrite. The log file is
 * reopened on request so logrotate can move it.
 */
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/str.h"

static struct {
	pthread_mutex_t lock;
	_Atomic int level;
	char prog[32];
	char *path;
	FILE *fp;
	bool tee;
} vg_logger = {PTHREAD_MUTEX_INITIALIZER, VG_LOG_INFO, "vigie", NULL, NULL, true};

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

void vg_log_init(const char *progname, enum vg_log_level level)
{
	vg_strlcpy(vg_logger.prog, progname, sizeof(vg_logger.prog));
	atomic_store(&vg_logger.level, level);
}

void vg_log_set_level(enum vg_log_level level)
{
	atomic_store(&vg_logger.level, level);
}

bool vg_log_enabled(enum vg_log_level level)
{
	return (int)level >= atomic_load(&vg_logger.level);
}

static FILE *log_fopen(const char *path, struct vg_err *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		vg_err_errno(err, errno, "cannot open log file %s", path);
		return NULL;
	}
	FILE *fp = fdopen(fd, "a");
	if (fp == NULL) {
		vg_err_errno(err, errno, "cannot open log file %s", path);
		close(fd);
	}
	return fp;
}

int vg_log_open(const char *path, bool tee, struct vg_err *err)
{
	FILE *fp = log_fopen(path, err);
	if (fp == NULL)
		return err != NULL ? err->code : VG_EINTERNAL;
	pthread_mutex_lock(&vg_logger.lock);
	if (vg_logger.fp != NULL)
		fclose(vg_logger.fp);
	vg_free(vg_logger.path);
	vg_logger.path = vg_xstrdup(path);
	vg_logger.fp = fp;
	vg_logger.tee = tee;
	pthread_mutex_unlock(&vg_logger.lock);
	return 0;
}

int vg_log_reopen(struct vg_err *err)
{
	int rc = 0;
	pthread_mutex_lock(&vg_logger.lock);
	if (vg_logger.path != NULL) {
		FILE *fp = log_fopen(vg_logger.path, err);
		if (fp == NULL) {
			rc = VG_EINTERNAL;
		} else {
			fclose(vg_logger.fp);
			vg_logger.fp = fp;
		}
	}
	pthread_mutex_unlock(&vg_logger.lock);
	return rc;
}

void vg_log_close(void)
{
	pthread_mutex_lock(&vg_logger.lock);
	if (vg_logger.fp != NULL)
		fclose(vg_logger.fp);
	vg_logger.fp = NULL;
	vg_free(vg_logger.path);
	vg_logger.path = NULL;
	vg_logger.tee = true;
	pthread_mutex_unlock(&vg_logger.lock);
}

void vg_log_at(enum vg_log_level level, const char *func, int rc, const char *fmt, ...)
{
	char line[2048];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int saved_errno = errno;

	localtime_r(&now, &tm);
	size_t n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S ", &tm);
	int k = snprintf(line + n, sizeof(line) - n, "%s[%ld] %s: %s: ", vg_logger.prog,
			 (long)getpid(), func, level_names[level]);
	if (k > 0)
		n += (size_t)k < sizeof(line) - n ? (size_t)k : sizeof(line) - n - 1;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k < sizeof(line) - n ? (size_t)k : sizeof(line) - n - 1;
	if (rc != 0 && n < sizeof(line) - 1) {
		k = snprintf(line + n, sizeof(line) - n, ": %s", vg_strerror(rc));
		if (k > 0)
			n += (size_t)k < sizeof(line) - n ? (size_t)k : sizeof(line) - n - 1;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';

	pthread_mutex_lock(&vg_logger.lock);
	if (vg_logger.fp != NULL) {
		fwrite(line, 1, n, vg_logger.fp);
		fflush(vg_logger.fp);
	}
	if (vg_logger.fp == NULL || vg_logger.tee)
		fwrite(line, 1, n, stderr);
	pthread_mutex_unlock(&vg_logger.lock);
	errno = saved_errno;
}
