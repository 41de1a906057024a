/*
 * pidfile.c - Locked pid files.
 */
#include "lib/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/mem.h"
#include "lib/str.h"

struct vg_pidfile {
	int fd;
	char *path;
};

int vg_pidfile_acquire(const char *path, struct vg_pidfile **out, struct vg_err *err)
{
	char buf[32] = {0};
	*out = NULL;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return vg_err_errno(err, errno, "cannot open pid file %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int errnum = errno;
		if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
			buf[0] = '?';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		if (errnum == EWOULDBLOCK)
			return vg_err_set(err, VG_EPERM,
					  "another instance is running with this home (pid %s, %s)",
					  buf, path);
		return vg_err_errno(err, errnum, "cannot lock pid file %s", path);
	}
	struct vg_pidfile *p = vg_xcalloc(1, sizeof(*p));
	p->fd = fd;
	p->path = vg_xstrdup(path);
	int rc = vg_pidfile_write(p, err);
	if (rc != 0) {
		vg_pidfile_release(p);
		return rc;
	}
	*out = p;
	return 0;
}

int vg_pidfile_write(struct vg_pidfile *p, struct vg_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(p->fd, 0) != 0 || pwrite(p->fd, buf, (size_t)n, 0) != n)
		return vg_err_errno(err, errno, "cannot write pid file %s", p->path);
	return 0;
}

void vg_pidfile_release(struct vg_pidfile *p)
{
	if (p == NULL)
		return;
	unlink(p->path);
	close(p->fd);
	vg_free(p->path);
	vg_free(p);
}

int vg_pidfile_holder(const char *path, pid_t *pid, struct vg_err *err)
{
	char buf[32] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc = 0;

	*pid = 0;
	if (fd < 0)
		return errno == ENOENT ? 0
				       : vg_err_errno(err, errno, "cannot open pid file %s", path);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN); /* free: nobody runs */
	} else if (errno == EWOULDBLOCK) {
		uint64_t v = 0;
		if (pread(fd, buf, sizeof(buf) - 1, 0) > 0)
			buf[strcspn(buf, "\n")] = '\0';
		*pid = vg_parse_u64(buf, INT32_MAX, &v) == 0 && v > 0 ? (pid_t)v : -1;
	} else {
		rc = vg_err_errno(err, errno, "cannot check pid file %s", path);
	}
	close(fd);
	return rc;
}
