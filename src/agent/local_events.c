/*
 * local_events.c - JSON-lines event sink for --local-events.
 */
#include "agent/local_events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"

struct local_events {
	int fd;
	bool own;
	char *path;
};

static int local_events_fd(const char *path, struct vg_err *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return vg_err_errno(err, errno, "cannot open %s", path);
	return fd;
}

int local_events_open(const char *path, struct local_events **out, struct vg_err *err)
{
	struct local_events *le = vg_xcalloc(1, sizeof(*le));
	*out = NULL;
	if (strcmp(path, "-") == 0) {
		le->fd = STDOUT_FILENO;
	} else {
		int fd = local_events_fd(path, err);
		if (fd < 0) {
			vg_free(le);
			return fd;
		}
		le->fd = fd;
		le->own = true;
	}
	le->path = vg_xstrdup(path);
	*out = le;
	return 0;
}

int local_events_reopen(struct local_events *le, struct vg_err *err)
{
	if (!le->own)
		return 0;
	int fd = local_events_fd(le->path, err);
	if (fd < 0)
		return fd; /* keep writing to the old file rather than nowhere */
	close(le->fd);
	le->fd = fd;
	return 0;
}

int local_events_write(void *ctx, uint64_t seq, const char *json, size_t len)
{
	struct local_events *le = ctx;
	struct iovec iov[2] = {{(void *)(uintptr_t)json, len}, {"\n", 1}};
	size_t total = len + 1, done = 0;

	while (done < total) {
		ssize_t n = writev(le->fd, iov, 2);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			vg_log_error("cannot write events to %s: %s", le->path, strerror(errno));
			return -1;
		}
		done += (size_t)n;
		/* a short write: advance the iovecs past what went out */
		for (int i = 0; i < 2 && n > 0; i++) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
		}
	}
	return 0;
}

void local_events_close(struct local_events *le)
{
	if (le == NULL)
		return;
	if (le->own)
		close(le->fd);
	vg_free(le->path);
	vg_free(le);
}
