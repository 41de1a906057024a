/*
 * outbox.h - The agent's shipping outbox: events waiting for the manager's
 * acknowledgement (docs/transport.md, "Delivery guarantees").
 *
 * A durable queue (lib/dqueue.h) at HOME/queue/outbox.db. The FIM engine,
 * run with opts.outbox, hands each event to outbox_fim_emit after it is
 * committed to the baseline's own outbox, under its FIM sequence number;
 * the outbox stores it as source "fim", source_seq = that number, data
 * "syscheck\n" + json, so an event the engine hands over again after a
 * crash is recognised and dropped. The record's outbox seq is the event id
 * sent in BATCH frames; the shipper (shipper.h) reads the records in order
 * and trims them once the manager's ACK covers them.
 *
 * Bounded by <client><outbox_max_events> and <outbox_max_size>: when full,
 * an append waits for room (the shipper trimming) until outbox_stop; then
 * it fails and the FIM engine keeps the event in its baseline outbox for
 * the next start, so nothing is lost. Each episode of a full outbox is
 * logged once (warning, with the counts) and remembered until the shipper
 * takes it (outbox_take_full) to report it in a KEEPALIVE.
 *
 * The shipper sleeps in poll() between keepalives; outbox_wake_fd is an
 * eventfd made readable by every new record, so an append wakes it without
 * any periodic polling.
 *
 * Threads: outbox_append / outbox_fim_emit / outbox_ar_emit on the producer
 * threads (the FIM engine, the active-response executor), outbox_queue's reads and outbox_wake_fd
 * on the shipper thread (the queue's single consumer), outbox_stop / outbox_restart and
 * outbox_take_full from any thread.
 */
#ifndef AGENT_OUTBOX_H
#define AGENT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dqueue.h"
#include "lib/err.h"

#define OUTBOX_FILE "queue/outbox.db" /* under HOME */
#define OUTBOX_FIM_SOURCE "fim"
#define OUTBOX_FIM_LOCATION "syscheck"
#define OUTBOX_AR_SOURCE "ar" /* the active-responses.log lines (ar/logship.h) */

struct outbox;

/* What a full outbox held when its bound was hit. */
struct outbox_full {
	uint64_t events; /* records pending */
	uint64_t bytes;  /* their data bytes */
};

/*
 * Open (create) the outbox at path (its directory must exist), bounded by
 * max_events records and max_bytes data bytes (0 = unbounded). Records
 * left by an earlier run are kept. Free with outbox_close.
 */
int outbox_open(const char *path, uint64_t max_events, uint64_t max_bytes, struct outbox **out,
		struct vg_err *err) VG_MUST_CHECK;

/* Close (NULL allowed). No other thread may still use ob. */
void outbox_close(struct outbox *ob);

/*
 * Append "location\nline" under (source, seq) (seq 0: no numbering), durable
 * on return, waiting while the outbox is full. *duplicate (may be NULL)
 * tells whether (source, seq) was already taken (nothing written, 0
 * returned). VG_ETOOBIG when stopped while waiting for room, or when the
 * record alone exceeds max_bytes; VG_EPARSE for a location with a newline
 * or a line with a newline. Producer thread.
 */
int outbox_append(struct outbox *ob, const char *source, uint64_t seq, const char *location,
		  const char *line, size_t len, bool *duplicate, struct vg_err *err) VG_MUST_CHECK;

/*
 * fim_emit_fn-compatible (ctx is the struct outbox *): append a FIM event
 * under its outbox seq. < 0 (logged) when it could not be stored: the
 * engine then stops and keeps the event.
 */
int outbox_fim_emit(void *ctx, uint64_t seq, const char *json, size_t len);

/*
 * ar_emit_fn-compatible (ctx is the struct outbox *): append a line of
 * active-responses.log under the executor's number (source "ar"), so a
 * line shipped again after a crash is dropped. < 0 (logged) when it cannot
 * be taken now: the executor retries.
 */
int outbox_ar_emit(void *ctx, uint64_t seq, const char *location, const char *line, size_t len);

/*
 * Make appends waiting for room give up (< 0) and refuse to wait from now
 * on, until outbox_restart. Wakes the shipper too. Any thread.
 */
void outbox_stop(struct outbox *ob);
void outbox_restart(struct outbox *ob);

/*
 * The full episode not yet reported: true (and *out filled, the episode
 * marked reported) once per episode; false when nothing is to be reported.
 * An episode ends when an append succeeds again. Any thread.
 */
bool outbox_take_full(struct outbox *ob, struct outbox_full *out);

/* Whether outbox_take_full would return true now (nothing is taken). */
bool outbox_full_pending(struct outbox *ob);

/* The queue, for the shipper's reads and trims. Borrowed. */
struct vg_dq *outbox_queue(struct outbox *ob);

/*
 * An fd (eventfd) that becomes readable when a record is appended or the
 * outbox is stopped; outbox_drain_wake makes it unreadable again. Shipper
 * thread.
 */
int outbox_wake_fd(const struct outbox *ob);
void outbox_drain_wake(struct outbox *ob);

#endif
