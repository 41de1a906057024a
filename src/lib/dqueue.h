/*
 * dqueue.h - A durable FIFO of opaque records in one SQLite file.
 *
 * The manager's event queue (HOME/queue/events.db): producers (the
 * in-process FIM engine, later the agent connections) append records; one
 * consumer (the analysis thread) reads them in order, processes them,
 * commits its own result together with the last seq it processed (the
 * cursor, kept by the consumer: see manager/store.h), then trims the queue
 * up to that seq. A crash anywhere in that cycle loses nothing and, since
 * the cursor commits with the result, processes nothing twice: records
 * after the cursor are read again at restart; records at or before it are
 * trimmed again.
 *
 * Records:
 * - seq: global, assigned at append, strictly increasing, never reused
 *   (not even after the queue was emptied; with opts.seq_from_clock, not
 *   even by a new queue file).
 * - source (text, e.g. an agent id "001") and source_seq: the producer's own
 *   numbering, which must increase per source. The queue remembers the
 *   highest source_seq accepted per source, even after the records are
 *   trimmed, so an append whose source_seq is at or below it is a no-op
 *   reported as a duplicate: a redelivery after a lost acknowledgement is
 *   harmless. A producer that restarts its numbering needs a new source key.
 *   source_seq 0 means "no numbering": always a new record.
 *
 * Durability: an append returns after its transaction committed (WAL,
 * synchronous=NORMAL): it survives SIGTERM and kill -9; a power loss or
 * kernel crash may roll back the last commits, never corrupt the file.
 *
 * Backpressure: opts.max_records / opts.max_bytes bound what is pending
 * (appended, not yet trimmed). An append that would pass a bound fails with
 * VG_ETOOBIG and writes nothing: the producer must wait (vg_dq_wait_room)
 * and retry, never drop. A single record larger than max_bytes can never
 * fit and is also VG_ETOOBIG.
 *
 * Threads: append, append_batch, trim, stats, wake and the waits may be
 * called from any thread (one internal mutex, one writer connection). read
 * and wait belong to the single consumer thread (its own read connection,
 * so producers never wait for the consumer's callback).
 */
#ifndef VG_DQUEUE_H
#define VG_DQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct vg_dq;

struct vg_dq_opts {
	uint64_t max_records; /* pending records allowed; 0 = unbounded */
	uint64_t max_bytes;   /* pending data bytes allowed; 0 = unbounded */
	/*
	 * A new queue's first seq is the clock in µs instead of 1, so seqs stay
	 * unique even across a queue file that was deleted and created again:
	 * for producers that use them as ids a receiver deduplicates (the
	 * agent's outbox: event ids).
	 */
	bool seq_from_clock;
};

#define VG_DQ_OPTS_INIT                                                                            \
	{                                                                                          \
		1000000, 1024ull * 1024 * 1024, false                                              \
	}

/* One record to append (append_batch) or read back (borrowed, read only). */
struct vg_dq_rec {
	uint64_t seq;        /* set by the queue on read; ignored on append */
	const char *source;  /* never NULL on read; NULL on append means "" */
	uint64_t source_seq; /* 0 = no numbering */
	const void *data;
	size_t len;
};

struct vg_dq_stats {
	uint64_t pending_records; /* appended, not yet trimmed */
	uint64_t pending_bytes;   /* their data bytes */
	uint64_t last_seq;        /* highest seq ever assigned; 0 when none */
	uint64_t appended;        /* records appended by this handle */
	uint64_t duplicates;      /* appends refused as duplicates by this handle */
	uint64_t full;            /* appends refused by the bounds (VG_ETOOBIG) */
};

/*
 * Open (create) the queue at path, mode 0600. The directory must exist.
 * A file that is not a queue database is VG_EPARSE. opts NULL = defaults.
 */
int vg_dq_open(const char *path, const struct vg_dq_opts *opts, struct vg_dq **out,
	       struct vg_err *err) VG_MUST_CHECK;

/* Close (NULL allowed). No other thread may still use q. */
void vg_dq_close(struct vg_dq *q);

/*
 * Append one record, durable on return. *duplicate (may be NULL) tells
 * whether it was a duplicate (then 0 is returned and nothing is written);
 * *seq (may be NULL) receives its seq, 0 for a duplicate. VG_ETOOBIG when a
 * bound is reached (see above). Thread-safe.
 */
int vg_dq_append(struct vg_dq *q, const char *source, uint64_t source_seq, const void *data,
		 size_t len, bool *duplicate, uint64_t *seq, struct vg_err *err) VG_MUST_CHECK;

/*
 * Append n records in one transaction (all or nothing), in array order.
 * *added (may be NULL) receives how many were new (the rest duplicates).
 * The bounds are checked for the whole batch. Thread-safe.
 */
int vg_dq_append_batch(struct vg_dq *q, const struct vg_dq_rec *recs, size_t n, size_t *added,
		       struct vg_err *err) VG_MUST_CHECK;

/*
 * Called by vg_dq_read for each record, in seq order; the record and its
 * pointers are valid during the call only. Return 0 to go on, anything else
 * to stop (vg_dq_read then returns 0).
 */
typedef int (*vg_dq_read_fn)(void *ctx, const struct vg_dq_rec *rec);

/*
 * Read up to max records with seq > after_seq, oldest first, into fn.
 * *n_read (may be NULL) receives how many fn saw. Consumer thread only;
 * fn may call append, trim and stats, not read.
 */
int vg_dq_read(struct vg_dq *q, uint64_t after_seq, size_t max, vg_dq_read_fn fn, void *ctx,
	       size_t *n_read, struct vg_err *err) VG_MUST_CHECK;

/*
 * Delete the records with seq <= upto_seq (the consumer calls it once its
 * own result is committed). Idempotent. Wakes producers waiting for room.
 * Thread-safe.
 */
int vg_dq_trim(struct vg_dq *q, uint64_t upto_seq, struct vg_err *err) VG_MUST_CHECK;

/*
 * Block until a record with seq > after_seq exists, vg_dq_wake is called,
 * or timeout_ms passes (< 0 = no timeout). Returns true when such a record
 * exists. Woken by appends through this handle (other processes' appends
 * are seen at the next timeout).
 */
bool vg_dq_wait(struct vg_dq *q, uint64_t after_seq, int timeout_ms);

/*
 * Block until an append of n records of bytes data bytes would fit the
 * bounds, vg_dq_wake is called, or timeout_ms passes. True when it fits.
 */
bool vg_dq_wait_room(struct vg_dq *q, uint64_t n, uint64_t bytes, int timeout_ms);

/*
 * Call fn(ctx) after each append that added records, on the appending
 * thread, outside the queue's lock: for a consumer that waits on something
 * else too (the manager's analysis waits on its agents' FIFO). Set it
 * before any producer starts; fn NULL removes it.
 */
void vg_dq_on_append(struct vg_dq *q, void (*fn)(void *ctx), void *ctx);

/* Wake every waiter once (shutdown: they return and check their flags). */
void vg_dq_wake(struct vg_dq *q);

/*
 * The highest source_seq the queue took from source (0 when none), kept
 * after its records were trimmed: what a producer that resends may skip.
 * Thread-safe.
 */
int vg_dq_source_last(struct vg_dq *q, const char *source, uint64_t *seq,
		      struct vg_err *err) VG_MUST_CHECK;

/* Current counters. Thread-safe. */
void vg_dq_stats(struct vg_dq *q, struct vg_dq_stats *out);

/*
 * The pending records and bytes and the last seq of the queue at path,
 * read through a read-only connection beside its owner (`vigie status`);
 * the per-handle counters are 0. VG_ENOTFOUND when there is no queue.
 */
int vg_dq_peek(const char *path, struct vg_dq_stats *out, struct vg_err *err) VG_MUST_CHECK;

#endif
