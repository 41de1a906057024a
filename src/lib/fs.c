/*
 * fs.c - Path operations without the PATH_MAX limit.
 */
#include "lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "lib/mem.h"

int vg_fs_open_parent(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || slash == NULL) {
		errno = EINVAL;
		return -1;
	}
	*name = slash + 1;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *p = path + 1;
	while (fd >= 0 && p < slash) {
		const char *end = memchr(p, '/', (size_t)(slash - p));
		if (end == NULL)
			end = slash;
		if (end > p) {
			char *comp = vg_xstrndup(p, (size_t)(end - p));
			int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
			int saved = errno;
			vg_free(comp);
			close(fd);
			errno = saved;
			fd = nfd;
		}
		p = end + 1;
	}
	return fd;
}

int vg_fs_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd >= 0 || errno != ENAMETOOLONG)
		return fd;
	const char *name;
	int dfd = vg_fs_open_parent(path, &name);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, name, flags | O_CLOEXEC);
	int saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

int vg_fs_stat(const char *path, struct stat *st, int nofollow)
{
	int flag = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
	int rc = fstatat(AT_FDCWD, path, st, flag);
	if (rc == 0 || errno != ENAMETOOLONG)
		return rc;
	const char *name;
	int dfd = vg_fs_open_parent(path, &name);
	if (dfd < 0)
		return -1;
	rc = fstatat(dfd, name, st, flag);
	int saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}

static int fs_too_big(const char *path, const char *what, const struct vg_buf *b,
		      struct vg_err *err)
{
	return vg_err_set(err, VG_ETOOBIG, "%s%s: larger than %zu bytes", what, path, b->max);
}

int vg_fs_read_file(const char *path, const char *what, struct vg_buf *b, struct vg_err *err)
{
	struct stat st;
	char chunk[65536];
	int rc = 0;

	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vg_err_errno(err, errno, "cannot open %s%s", what, path);
	if (fstat(fd, &st) != 0) {
		rc = vg_err_errno(err, errno, "cannot stat %s%s", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = vg_err_set(err, VG_EPARSE, "%s%s: not a regular file", what, path);
		goto out;
	}
	if ((unsigned long long)st.st_size > b->max) {
		rc = fs_too_big(path, what, b, err);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = vg_err_errno(err, errno, "cannot read %s%s", what, path);
			goto out;
		}
		if (n == 0)
			break;
		/* the file may have grown since fstat: the buffer's cap still holds */
		if (vg_buf_append(b, chunk, (size_t)n) != 0) {
			rc = fs_too_big(path, what, b, err);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

int vg_fs_mkdirs(const char *path, mode_t mode, struct vg_err *err)
{
	char *copy = vg_xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST) {
			rc = vg_err_errno(err, errno, "cannot create directory %s", copy);
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	vg_free(copy);
	return rc;
}

int vg_fs_sync_dir(const char *dir, struct vg_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return vg_err_errno(err, errno, "cannot open directory %s", dir);
	rc = fsync(fd) == 0 ? 0 : vg_err_errno(err, errno, "cannot sync directory %s", dir);
	close(fd);
	return rc;
}
