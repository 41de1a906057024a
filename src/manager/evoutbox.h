/*
 * evoutbox.h - A manager thread's events, written in the same transaction
 * as the state change that produced them, then moved to the event queue:
 * exactly once without a distributed transaction.
 *
 * The integrator (VirusTotal results) and the responder (expired commands)
 * change their own SQLite state and must raise an event about it. The
 * event goes into a table of the same database inside the caller's
 * transaction (mgr_evoutbox_add); mgr_evoutbox_deliver later appends the
 * rows to the event queue under the producer's source, numbered by the
 * table (the queue drops a number it already took from that source), and
 * only then deletes them. A crash in between repeats a number, never an
 * event.
 *
 * Threads: the object belongs to the thread that owns the database handle.
 */
#ifndef MGR_EVOUTBOX_H
#define MGR_EVOUTBOX_H

#include <stdatomic.h>
#include <stddef.h>

#include <sqlite3.h>

#include "lib/dqueue.h"
#include "lib/err.h"

#define MGR_EVOUTBOX_BATCH 64 /* rows moved per mgr_evoutbox_deliver */

struct mgr_evoutbox;

/* The table (created if missing) in db; queue, source and stop are
 * borrowed (stop: a full queue stops waiting when it is set). */
int mgr_evoutbox_open(sqlite3 *db, const char *table, struct vg_dq *queue, const char *source,
		      const atomic_bool *stop, struct mgr_evoutbox **out,
		      struct vg_err *err) VG_MUST_CHECK;
void mgr_evoutbox_close(struct mgr_evoutbox *ob);

/*
 * Add an event for agent_id (name, ip: "" = "any"), location LOC: the queue
 * record's location is "[ID] (NAME) IP->LOC", which the analysis accepts
 * from the manager's own '@' sources. Inside the caller's transaction.
 */
int mgr_evoutbox_add(struct mgr_evoutbox *ob, const char *agent_id, const char *agent_name,
		     const char *agent_ip, const char *loc, const char *line, size_t len,
		     struct vg_err *err) VG_MUST_CHECK;

/* Move up to MGR_EVOUTBOX_BATCH events to the queue, oldest first. */
int mgr_evoutbox_deliver(struct mgr_evoutbox *ob, struct vg_err *err) VG_MUST_CHECK;

#endif
