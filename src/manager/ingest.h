/*
 * ingest.h - The agents' events in memory, between the agent channel and
 * the analysis, with the per-agent marks that decide the ACKs.
 *
 * The agent keeps every event in its durable outbox until the manager
 * acknowledges it (docs/transport.md), so the manager does not store an
 * agent's events before analysis: the channel pushes each batch here (a
 * bounded FIFO), the analysis takes the records in order, commits their
 * alerts together with each agent's highest event id (the store's
 * source_mark, store.h), releases them here, and only then does the
 * channel send the ACK. A crash loses what is here; the agent sends it
 * again, since nothing of it was acknowledged.
 *
 * Per agent, two marks:
 *   enqueued  the highest event id pushed (or durable): a record at or
 *             below it is a resend of something held or committed, and is
 *             dropped by mgr_ingest_push;
 *   durable   the highest event id whose alerts are committed: what an ACK
 *             may cover and what WELCOME.last_event says. At start the
 *             store's marks are loaded as both (mgr_ingest_seed).
 *
 * Records are read, then released: mgr_ingest_read hands the consumer the
 * records after its read position without removing them; once their
 * alerts are committed mgr_ingest_release drops them and publishes the new
 * durable marks (the eventfd of mgr_ingest_fd becomes readable); after a
 * rollback mgr_ingest_rewind goes back to the oldest record kept, so a
 * failed batch is read again, never lost.
 *
 * Bounds: records and bytes kept (read or not, until released). A push
 * that would pass one is VG_ETOOBIG and takes nothing (the channel holds
 * the batch and stops reading that agent); a push into an empty FIFO is
 * always taken, so a batch larger than the bounds cannot wait forever.
 *
 * Threads: one mutex guards the FIFO and the marks. push, marks, seed, fd,
 * fd_clear, kick, stats: any thread. read, marks_read, release, rewind,
 * wait, gen, pending: the single consumer thread (the analysis); read calls
 * its callback without the lock held, so pushes go on meanwhile.
 */
#ifndef MGR_INGEST_H
#define MGR_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define MGR_INGEST_RECORDS_DEFAULT 200000u
#define MGR_INGEST_BYTES_DEFAULT (256u * 1024u * 1024u)
#define MGR_INGEST_AGENT_MAX 23 /* bytes of an agent id (registry: REG_ID_TEXT - 1) */

struct mgr_ingest;

struct mgr_ingest_opts {
	size_t max_records; /* records kept; 0 = MGR_INGEST_RECORDS_DEFAULT */
	size_t max_bytes;   /* data bytes kept; 0 = MGR_INGEST_BYTES_DEFAULT */
};

#define MGR_INGEST_OPTS_INIT                                                                       \
	{                                                                                          \
		MGR_INGEST_RECORDS_DEFAULT, MGR_INGEST_BYTES_DEFAULT                               \
	}

/* One record pushed: the agent's event id and "[001] (name) ip->LOC\nLINE". */
struct mgr_ingest_rec {
	uint64_t id; /* > 0, strictly increasing within a push */
	const void *data;
	size_t len;
};

/* One record read; every pointer is valid during the callback only. */
struct mgr_ingest_item {
	uint64_t seq;      /* unique in this process and across restarts (clock-based) */
	const char *agent; /* the agent id it was pushed under */
	uint64_t id;       /* the agent's event id */
	const void *data;
	size_t len;
};

struct mgr_ingest_stats {
	uint64_t records;    /* kept now (read or not) */
	uint64_t bytes;      /* their data bytes */
	uint64_t unread;     /* kept and not read yet */
	uint64_t pushed;     /* records taken since creation */
	uint64_t duplicates; /* records dropped as at or below enqueued */
	uint64_t full;       /* pushes refused by the bounds */
};

/* A new, empty FIFO (opts NULL = defaults). Fails only when no eventfd. */
int mgr_ingest_new(const struct mgr_ingest_opts *opts, struct mgr_ingest **out,
		   struct vg_err *err) VG_MUST_CHECK;

/* Free it (NULL allowed); no other thread may use it any more. */
void mgr_ingest_free(struct mgr_ingest *in);

/*
 * Take the records of agent with an id above its enqueued mark, in one
 * piece (all or nothing), and raise enqueued to the last one. *added (may
 * be NULL) receives how many were new. VG_ETOOBIG when the bounds refuse
 * them (nothing taken), VG_EPARSE for an agent id over
 * MGR_INGEST_AGENT_MAX. Wakes the consumer.
 */
int mgr_ingest_push(struct mgr_ingest *in, const char *agent, const struct mgr_ingest_rec *recs,
		    size_t n, size_t *added, struct vg_err *err) VG_MUST_CHECK;

/* The agent's marks (0, 0 for an agent never seen). */
void mgr_ingest_marks(struct mgr_ingest *in, const char *agent, uint64_t *enqueued,
		      uint64_t *durable);

/* Raise the agent's enqueued and durable marks to at least mark (a committed one). */
void mgr_ingest_seed(struct mgr_ingest *in, const char *agent, uint64_t mark);

/*
 * An eventfd that becomes readable when mgr_ingest_release advanced a
 * durable mark: the channel watches it and sends the ACKs now due.
 * mgr_ingest_fd_clear reads it (level-triggered epoll).
 */
int mgr_ingest_fd(const struct mgr_ingest *in);
void mgr_ingest_fd_clear(struct mgr_ingest *in);

/*
 * Waking the consumer: mgr_ingest_wait returns when a record is unread,
 * when mgr_ingest_kick was called after mgr_ingest_gen returned gen (other
 * input arrived, or a stop), or after timeout_ms (< 0: none). True when a
 * record is unread. Take gen BEFORE looking at the other inputs, so that a
 * kick in between is never missed.
 */
uint64_t mgr_ingest_gen(struct mgr_ingest *in);
void mgr_ingest_kick(struct mgr_ingest *in);
bool mgr_ingest_wait(struct mgr_ingest *in, uint64_t gen, int timeout_ms);

/* Whether a record is unread. */
bool mgr_ingest_pending(struct mgr_ingest *in);

/* Called per record by mgr_ingest_read; non-zero stops before this record. */
typedef int (*mgr_ingest_read_fn)(void *ctx, const struct mgr_ingest_item *it);

/*
 * Hand up to max unread records, oldest first, to fn; returns how many fn
 * accepted (0 returned). They stay kept until mgr_ingest_release.
 */
size_t mgr_ingest_read(struct mgr_ingest *in, size_t max, mgr_ingest_read_fn fn, void *ctx);

/* Called per agent by mgr_ingest_marks_read with the highest id read of it. */
typedef int (*mgr_ingest_mark_fn)(void *ctx, const char *agent, uint64_t id);

/*
 * For each agent with records read since the last release or rewind, its
 * highest event id read: what the consumer commits with their alerts. The
 * first non-zero fn result stops and is returned.
 */
int mgr_ingest_marks_read(struct mgr_ingest *in, mgr_ingest_mark_fn fn, void *ctx);

/*
 * The records read are committed: drop them, raise each agent's durable
 * mark to its highest id read, and signal the eventfd when one moved.
 */
void mgr_ingest_release(struct mgr_ingest *in);

/* The records read are not committed: read them again from the oldest kept. */
void mgr_ingest_rewind(struct mgr_ingest *in);

void mgr_ingest_stats(struct mgr_ingest *in, struct mgr_ingest_stats *out);

#endif
