/*
 * notify.h - A wake-up flag that one thread waits on and any thread sets.
 *
 * kick() sets the flag and wakes the waiter; wait() returns when the flag is
 * set (clearing it) or the timeout passes. A kick that comes while nobody
 * waits is not lost: the next wait returns at once. The struct is public so
 * owners can embed it; use the functions only.
 */
#ifndef VG_NOTIFY_H
#define VG_NOTIFY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vg_notify {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked;
};

void vg_notify_init(struct vg_notify *n);
void vg_notify_destroy(struct vg_notify *n);
/* Any thread. Takes void * so it can serve as a callback. */
void vg_notify_kick(void *n);
/* Wait for a kick at most timeout_ns (UINT64_MAX: no limit). */
void vg_notify_wait(struct vg_notify *n, uint64_t timeout_ns);

#endif
