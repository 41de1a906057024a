/*
 * notify.c - Wake-up flag over a mutex and a CLOCK_MONOTONIC condition
 * variable (wall-clock jumps do not stretch or cut a timed wait).
 */
#include "lib/notify.h"

#include <errno.h>
#include <time.h>

#define NS_PER_S 1000000000ull

void vg_notify_init(struct vg_notify *n)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&n->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &ca);
	pthread_condattr_destroy(&ca);
	n->kicked = false;
}

void vg_notify_destroy(struct vg_notify *n)
{
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
}

void vg_notify_kick(void *arg)
{
	struct vg_notify *n = arg;
	pthread_mutex_lock(&n->lock);
	n->kicked = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void vg_notify_wait(struct vg_notify *n, uint64_t timeout_ns)
{
	struct timespec ts;
	bool forever = timeout_ns == UINT64_MAX;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ns > 3600 * NS_PER_S)
		timeout_ns = 3600 * NS_PER_S; /* keep the arithmetic far from overflow */
	uint64_t ns = (uint64_t)ts.tv_nsec + timeout_ns % NS_PER_S;
	ts.tv_sec += (time_t)(timeout_ns / NS_PER_S + ns / NS_PER_S);
	ts.tv_nsec = (long)(ns % NS_PER_S);
	pthread_mutex_lock(&n->lock);
	while (!n->kicked) {
		int rc = forever ? pthread_cond_wait(&n->cond, &n->lock)
				 : pthread_cond_timedwait(&n->cond, &n->lock, &ts);
		if (rc == ETIMEDOUT)
			break;
	}
	n->kicked = false;
	pthread_mutex_unlock(&n->lock);
}
