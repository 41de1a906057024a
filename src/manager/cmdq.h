/*
 * cmdq.h - The manager's durable command queue and its view of every
 * agent's quarantine: HOME/queue/responses.db (docs/active-response.md).
 *
 * A command is a row: id, agent, what (the COMMAND JSON without "id"),
 * when it was queued, when it expires, and its state:
 *
 *   queued   waiting for its agent (connected or not)
 *   taken    the agent acknowledged it: it recorded the id, it runs it at
 *            most once (ar/executor.h)
 *   done / refused / failed   the agent's report came back (the result)
 *   expired  the agent did not take it before expires_ms
 *
 * Ids are unique across the database's life and beyond: each is the clock
 * in microseconds, or one more than the last when that is higher, so a
 * recreated (or restored) database never reuses an id an agent has
 * already taken.
 * `vigie quarantine --agent` adds rows from another process; the responder
 * thread (responder.h) moves them along.
 *
 * The quarantine view (agent, quarantine id, state quarantined / restored /
 * deleted, path, manifest) follows the agents' reports, so listing what an
 * agent holds needs no round trip to it.
 *
 * Threads: a handle belongs to one thread; open one per thread or process
 * (SQLite WAL: one writer at a time, with the busy timeout).
 */
#ifndef MGR_CMDQ_H
#define MGR_CMDQ_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"

#define CMDQ_DB "queue/responses.db" /* under HOME */
#define CMDQ_STATE_MAX 16

struct cmdq;

struct cmdq_row {
	uint64_t id;
	char agent_id[16];
	char state[CMDQ_STATE_MAX];
	int64_t created_ms, expires_ms, updated_ms; /* expires_ms 0: never */
	const char *json;                           /* borrowed until the next call */
	const char *result; /* the report's "vigie" object as JSON, or NULL */
};

/* Open (create) HOME/queue/responses.db. readonly: for the CLI's reads. */
int cmdq_open(const char *home, bool readonly, struct cmdq **out, struct vg_err *err) VG_MUST_CHECK;
void cmdq_close(struct cmdq *q);

/* The handle, for a transaction around several calls (vg_db_begin/end)
 * and for an event outbox in the same database. */
sqlite3 *cmdq_db(struct cmdq *q);

/* Queue json (an object without "id") for agent_id; *id receives its id. */
int cmdq_add(struct cmdq *q, const char *agent_id, const char *json, int64_t now_ms,
	     int64_t expires_ms, uint64_t *id, struct vg_err *err) VG_MUST_CHECK;

/* Move command id to state (with the result JSON, may be NULL). A command
 * already reported (done / refused / failed) keeps its state unless the
 * new state is a report too; an expired one keeps it (its own report says
 * "expired"). An unknown id changes nothing (not an error). */
int cmdq_set_state(struct cmdq *q, uint64_t id, const char *state, const char *result,
		   int64_t now_ms, struct vg_err *err) VG_MUST_CHECK;

/* One command; VG_ENOTFOUND if unknown. Strings borrowed until the next call. */
int cmdq_get(struct cmdq *q, uint64_t id, struct cmdq_row *out, struct vg_err *err) VG_MUST_CHECK;

typedef int (*cmdq_row_fn)(void *ctx, const struct cmdq_row *r);

/* The queued commands with an id above after_id, in id order, up to max;
 * fn returning non-zero stops. */
int cmdq_queued(struct cmdq *q, uint64_t after_id, int max, cmdq_row_fn fn, void *ctx,
		struct vg_err *err) VG_MUST_CHECK;

/* The queued commands whose expires_ms passed. */
int cmdq_expired(struct cmdq *q, int64_t now_ms, int max, cmdq_row_fn fn, void *ctx,
		 struct vg_err *err) VG_MUST_CHECK;

/* The alert store position the responder reached. */
int cmdq_position(struct cmdq *q, int64_t *row, struct vg_err *err) VG_MUST_CHECK;
int cmdq_set_position(struct cmdq *q, int64_t row, struct vg_err *err) VG_MUST_CHECK;

/* ---- The quarantine view ---- */

struct cmdq_qrow {
	const char *agent_id, *qid, *state, *path, *manifest; /* borrowed */
	int64_t updated_ms;
};
typedef int (*cmdq_qrow_fn)(void *ctx, const struct cmdq_qrow *r);

int cmdq_quarantine_put(struct cmdq *q, const char *agent_id, const char *qid, const char *state,
			const char *path, const char *manifest, int64_t now_ms,
			struct vg_err *err) VG_MUST_CHECK;

/*
 * Queue an operator's restore or delete (op "restore" / "delete") of agent
 * agent_id's quarantined file qid, expiring at expires_ms: the command
 * executor.h reads. VG_ENOTFOUND when the view has no such file, VG_EPERM
 * when the agent reported it restored or deleted already (nothing to do).
 */
int cmdq_quarantine_op(struct cmdq *q, const char *agent_id, const char *op, const char *qid,
		       bool force, int64_t now_ms, int64_t expires_ms, uint64_t *id,
		       struct vg_err *err) VG_MUST_CHECK;

/* Rows of agent_id (NULL: every agent), newest first; state NULL: any. */
int cmdq_quarantine_list(struct cmdq *q, const char *agent_id, const char *state, cmdq_qrow_fn fn,
			 void *ctx, struct vg_err *err) VG_MUST_CHECK;

#endif
