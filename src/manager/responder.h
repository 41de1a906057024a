/*
 * responder.h - The manager's active responses: alerts in, commands to the
 * right agent out, each durably queued, delivered, run at most once and
 * accounted for (docs/active-response.md). Wazuh's analysisd AR dispatch,
 * with the durable command queue Wazuh lacks.
 *
 * One thread. It follows the alert store from a durable position (as the
 * integrator does) and, in the transaction that moves the position:
 *   - for each alert that an <active-response> block matches (ar_matches),
 *     queues one command per target agent (manager/cmdq.h): location local
 *     = the alert's agent, server = 000, defined-agent = agent_id, all =
 *     every agent of the registry. The command holds the alert, the block's
 *     command (built-in or script, extra_args, timeout) and the target file
 *     (path, sha256, and the inode of the FIM alert a VirusTotal alert
 *     answers), and expires after the block's timeout, else RESPONDER_EXPIRE_S;
 *   - for each active-response report coming back (group active_response,
 *     data.vigie), records the command's result and the agent's quarantine
 *     view. Those alerts never trigger a response themselves (no loops).
 * Then it hands the queued commands to their agent: 000's to the manager's
 * own executor (ar/executor.h), the others' to the agent channel
 * (remote_command), which keeps each until the agent's ACK; an ACK moves
 * the command to "taken". A command still queued when it expires is
 * withdrawn and reported as a refusal ("expired") through the event queue,
 * so an alert says so. Commands `vigie quarantine --agent` queued are
 * picked up within RESPONDER_POLL_MS.
 *
 * Threads: open/start/stop/close on the manager's main thread;
 * responder_wake and responder_acked from any thread.
 */
#ifndef MGR_RESPONDER_H
#define MGR_RESPONDER_H

#include <stdint.h>

#include "ar/executor.h"
#include "lib/dqueue.h"
#include "lib/err.h"
#include "manager/ar_conf.h"
#include "manager/remote.h"

#define RESPONDER_SOURCE "@responder" /* the event queue source of its reports */
#define RESPONDER_EXPIRE_S 86400      /* a command without timeout waits a day */
#define RESPONDER_POLL_MS 1000        /* commands queued by another process */
#define RESPONDER_BATCH 256           /* alerts or commands per step */

struct responder;

struct responder_opts {
	const char *home;
	const struct mgr_ar_conf *conf; /* borrowed: must outlive the responder */
	struct remote *remote;          /* borrowed; NULL: no agent channel */
	struct ar_exec *local;          /* borrowed; NULL: nothing runs on this host */
	struct vg_dq *queue;            /* the event queue; borrowed */
	const char *manager_name;
	int64_t expire_s; /* 0 = RESPONDER_EXPIRE_S */
};

/* Open HOME/queue/responses.db, the alert store and the registry readers. */
int responder_open(const struct responder_opts *o, struct responder **out,
		   struct vg_err *err) VG_MUST_CHECK;
int responder_start(struct responder *r, struct vg_err *err) VG_MUST_CHECK;

/* New alerts may be in the store. Any thread; NULL allowed. */
void responder_wake(struct responder *r);

/* The agent took command id (remote_opts.on_command_ack). Any thread; NULL allowed. */
void responder_acked(struct responder *r, const char *agent_id, uint64_t id);

/* Stop and join (idempotent; NULL allowed); close frees too. */
void responder_stop(struct responder *r);
void responder_close(struct responder *r);

#endif
