/*
 * clock.c - Milliseconds of a clock (see clock.h).
 */
#include "lib/clock.h"

int64_t vg_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
