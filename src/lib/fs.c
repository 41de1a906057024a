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
