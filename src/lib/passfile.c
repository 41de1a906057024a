/*
 * passfile.c - Reading authd.pass without leaking it (see passfile.h).
 *
 * The file is opened with O_NOFOLLOW and checked with fstat on the open
 * descriptor, so the file judged is the file read. At most
 * VG_PASSFILE_MAX + 3 bytes are read into a stack buffer (room for the
 * newline and one byte more to tell "too long"); that buffer is wiped with
 * explicit_bzero on every path out, and only the trimmed password is copied
 * to the heap.
 */
#include "lib/passfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"

/* password + "\r\n" + one byte to detect a longer file */
#define PF_READ_MAX (VG_PASSFILE_MAX + 3)
#define PF_MODE_MAX 0640

static int pf_check(int fd, const char *path, struct vg_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return vg_err_errno(err, errno, "cannot stat password file %s", path);
	if (!S_ISREG(st.st_mode))
		return vg_err_set(err, VG_EPERM, "password file %s is not a regular file", path);
	if ((st.st_mode & 07777 & ~(mode_t)PF_MODE_MAX) != 0)
		return vg_err_set(err, VG_EPERM,
				  "password file %s has mode 0%o: it must be readable by its "
				  "owner and group only (chmod 0600 or 0640)",
				  path, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int pf_read_all(int fd, const char *path, char *buf, size_t *n, struct vg_err *err)
{
	*n = 0;
	while (*n < PF_READ_MAX) {
		ssize_t r = read(fd, buf + *n, PF_READ_MAX - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vg_err_errno(err, errno, "cannot read password file %s", path);
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	return 0;
}

/* Trim one trailing newline and check what is left; returns its length. */
static int pf_trim(const char *buf, size_t n, const char *path, size_t *len, struct vg_err *err)
{
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	*len = n;
	if (n > VG_PASSFILE_MAX)
		return vg_err_set(err, VG_ETOOBIG, "password file %s holds more than %d bytes",
				  path, VG_PASSFILE_MAX);
	if (n == 0)
		return vg_err_set(err, VG_EPARSE, "password file %s is empty", path);
	if (memchr(buf, '\0', n) != NULL || memchr(buf, '\n', n) != NULL ||
	    memchr(buf, '\r', n) != NULL)
		return vg_err_set(err, VG_EPARSE,
				  "password file %s must hold one line without NUL bytes", path);
	return 0;
}

int vg_passfile_read(const char *path, char **out, size_t *len, struct vg_err *err)
{
	char buf[PF_READ_MAX];
	size_t n = 0;
	int rc;

	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ELOOP
			 ? vg_err_set(err, VG_EPERM, "password file %s is a symbolic link", path)
			 : vg_err_errno(err, errno, "cannot open password file %s", path);
		goto out;
	}
	rc = pf_check(fd, path, err);
	if (rc == 0)
		rc = pf_read_all(fd, path, buf, &n, err);
	if (rc == 0)
		rc = pf_trim(buf, n, path, len, err);
	if (rc == 0) {
		*out = vg_xmalloc(*len + 1);
		memcpy(*out, buf, *len);
		(*out)[*len] = '\0';
	} else {
		*len = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

void vg_passfile_free(char *pw, size_t len)
{
	if (pw != NULL)
		vg_freezero(pw, len + 1);
}
