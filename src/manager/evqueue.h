/*
 * evqueue.h - The manager's event queue: what a record holds, and how a
 * producer appends one without ever dropping it.
 *
 * Every event the manager accepts (its own FIM engine as agent 000 today,
 * agents' connections later, the integrator's results) is appended to one
 * durable queue (lib/dqueue.h, HOME/queue/events.db) before anything else
 * happens to it; analysis reads it in order. A record's source is the
 * agent id; its data is "LOCATION\nLINE": the location (Wazuh's
 * "syscheck", "virustotal", a log file...) cannot hold a newline, and
 * neither can an event line, so the first newline splits them.
 *
 * Backpressure, not loss: when the queue is full (analysis far behind, or
 * stopped by a full disk) an append waits for room, so the producer (the
 * FIM engine) slows down instead of dropping events.
 */
#ifndef MGR_EVQUEUE_H
#define MGR_EVQUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dqueue.h"
#include "lib/err.h"

#define MGR_EVQUEUE_MAX_LOCATION 1024u

/* A producer's handle: the queue, the source it appends as, its location. */
struct mgr_producer {
	struct vg_dq *queue;     /* borrowed */
	const char *source;      /* agent id, "000" for the manager */
	const char *location;    /* e.g. "syscheck" */
	const atomic_bool *stop; /* when set, a full queue stops waiting */
};

/*
 * Append "location\nline" as one durable record, waiting while the queue
 * is full (until *stop is set: then VG_ETOOBIG). seq is the producer's
 * sequence number for the record (0: none): a record whose seq is not above
 * the highest one the queue took from this source is a redelivery, and is
 * dropped (0 is returned). A location with a newline or over
 * MGR_EVQUEUE_MAX_LOCATION, or a line with a newline, is VG_EPARSE.
 */
int mgr_evqueue_append(const struct mgr_producer *p, uint64_t seq, const char *line, size_t len,
		       struct vg_err *err) VG_MUST_CHECK;

/*
 * fim_emit_fn-compatible: append json as a line of p (a struct
 * mgr_producer *) under the FIM engine's outbox seq; < 0 (logged) stops
 * the engine, which keeps the event in its outbox, so nothing is lost.
 */
int mgr_evqueue_fim_emit(void *p, uint64_t seq, const char *json, size_t len);

/*
 * Split a record's data into its location and line (both borrowed from
 * data; the location is not NUL-terminated: use *loc_len). A record with no
 * newline is VG_EPARSE.
 */
int mgr_evqueue_split(const void *data, size_t len, const char **loc, size_t *loc_len,
		      const char **line, size_t *line_len, struct vg_err *err) VG_MUST_CHECK;

#endif
