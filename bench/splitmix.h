/*
 * splitmix.h - splitmix64, the pseudo-random numbers of the generators
 * (gen_corpus, gen_events, gen_alerts) and of the fuzz replay driver
 * (tests/fuzz/replay.c): a seed gives the same numbers on every machine,
 * which rand() does not promise.
 *
 * Header-only on purpose, as lines.h: each user is a program of its own.
 */
#ifndef BENCH_SPLITMIX_H
#define BENCH_SPLITMIX_H

#include <stdint.h>

#define SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ull

/* The number that follows state x (a pure function: seeds per index). */
static inline uint64_t splitmix64_at(uint64_t x)
{
	x += SPLITMIX64_GAMMA;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The next number of the stream *state, which moves on. */
static inline uint64_t splitmix64_next(uint64_t *state)
{
	uint64_t v = splitmix64_at(*state);
	*state += SPLITMIX64_GAMMA;
	return v;
}

#endif
