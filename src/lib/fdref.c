/*
 * fdref.c - A reference-counted file descriptor (see fdref.h).
 *
 * The count is atomic; the last put synchronises with every earlier one
 * (acquire-release), so no thread still uses the descriptor when it closes.
 */
#include "lib/fdref.h"

#include <stdatomic.h>
#include <unistd.h>

#include "lib/mem.h"

struct vg_fdref {
	atomic_uint refs;
	int fd;
};

struct vg_fdref *vg_fdref_new(int fd)
{
	struct vg_fdref *r = vg_xmalloc(sizeof(*r));

	atomic_init(&r->refs, 1);
	r->fd = fd;
	return r;
}

struct vg_fdref *vg_fdref_get(struct vg_fdref *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

void vg_fdref_put(struct vg_fdref *r)
{
	if (r == NULL || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	close(r->fd);
	vg_free(r);
}

int vg_fdref_fd(const struct vg_fdref *r)
{
	return r->fd;
}
