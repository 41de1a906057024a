/*
 * clock.h - Milliseconds of a clock, the unit Vigie's timers and stored
 * times use: CLOCK_REALTIME for times that are stored or shown,
 * CLOCK_MONOTONIC for deadlines.
 */
#ifndef VG_CLOCK_H
#define VG_CLOCK_H

#include <stdint.h>
#include <time.h>

/* clock_gettime(id) in milliseconds. */
int64_t vg_clock_ms(clockid_t id);

#endif
