/*
 * changeq.h - The realtime change queue: coalescing, keyed by path.
 *
 * The watcher thread pushes every notification; the engine pops paths once
 * they have been quiet for the settle delay. A path pushed again before it
 * is popped is not queued twice: its flags merge and it moves to the back,
 * so a burst of notifications yields one change. A file that was created
 * and not yet closed by its writer is held until the close arrives (then it
 * settles as usual), so a file being written yields one change with its
 * final content: one lookup, not an empty-file one first. No path is held
 * longer than the maximum delay after its first push, so a file written
 * without pause, or created without a writer (a link), is still reported.
 *
 * "Lost" notices (overflow, watch limit) are kept apart: the engine takes
 * them first and rescans the roots they name.
 *
 * The queue is bounded: past max paths, further pushes turn into one lost
 * notice for every root (a full rescan), never a silent drop.
 *
 * Thread-safe: any thread pushes, one thread pops.
 */
#ifndef FIM_CHANGEQ_H
#define FIM_CHANGEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fim_changeq;

struct fim_change {
	char *path; /* owned by the caller after pop (vg_free) */
	size_t len;
	unsigned flags; /* enum fim_watch_flag, merged */
};

/* wake(ctx) is called after each push, outside the queue's lock. */
struct fim_changeq *fim_changeq_new(size_t max, uint64_t settle_ns, uint64_t max_delay_ns,
				    void (*wake)(void *ctx), void *ctx);
void fim_changeq_free(struct fim_changeq *q);

void fim_changeq_push(struct fim_changeq *q, const char *path, size_t len, unsigned flags);
/* Record lost events under root (NULL = everything). */
void fim_changeq_push_lost(struct fim_changeq *q, const char *root);

/*
 * Take the lost notices: returns true if any, with *all set when every root
 * must be rescanned, else *roots / *nroots (owned by the caller: free each
 * and the array with vg_free).
 */
bool fim_changeq_take_lost(struct fim_changeq *q, bool *all, char ***roots, size_t *nroots);

/*
 * Pop the oldest change that has settled by now_ns (CLOCK_MONOTONIC).
 * Returns true with *out filled, or false with *wait_ns set to the time
 * until the next one settles (UINT64_MAX when the queue is empty).
 */
bool fim_changeq_pop(struct fim_changeq *q, uint64_t now_ns, struct fim_change *out,
		     uint64_t *wait_ns);

size_t fim_changeq_count(struct fim_changeq *q);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t fim_now_ns(void);

#endif
