/*
 * executor.h - Running the manager's active-response commands on this
 * host, each at most once, and shipping what happened
 * (docs/active-response.md). Wazuh's execd, done durably.
 *
 * vigie-agent runs one for its host; vigie-manager runs one for itself
 * (agent 000). A command (the COMMAND frame's JSON, docs/transport.md) is
 * taken with ar_exec_submit: its id is recorded in HOME/queue/ar.db before
 * the call returns, so an id taken once is never run again, even after a
 * crash or a redelivery (at most once; the caller acknowledges the command
 * after that), and the command is kept there until it starts, so none is
 * lost to a stop or a crash (the next open queues them again). The
 * executor's thread then runs the commands in order:
 *
 *   {"type":"active-response","name":N,"builtin":"quarantine"|"remove-threat"|null,
 *    "executable":E,"extra_args":A,"timeout":T,"target":{path,sha256,inode},"alert":{...}}
 *       a built-in (actions.h) on the target (else the file the alert
 *       names), or the Wazuh script E (script.h) with "add"; a script
 *       command with a timeout runs again with "delete" T seconds later
 *       (kept in memory, as Wazuh's execd does). A script that cannot run
 *       or fails is reported by a line of the executor's own.
 *   {"type":"quarantine","op":"restore"|"delete","qid":ID,"force":B}
 *       the operator's restore / delete of a quarantined file.
 *
 * An agent whose own ossec.conf says <active-response><disabled>yes
 * (ar/agent_conf.h) still takes each command (and acknowledges it) but
 * runs none: each is reported refused, so the manager knows why.
 *
 * Every outcome ends up as a line of HOME/logs/active-responses.log; the
 * same thread ships that file's lines (logship.h) to emit, after each
 * command and whenever the file changes (inotify: lines the CLI or a script
 * started by hand wrote too). Idle, the thread sleeps in poll() with no
 * timeout.
 *
 * Threads: open/start/stop/close on one controlling thread; submit from
 * any one other thread (the shipper, the manager's command dispatcher).
 */
#ifndef AR_EXECUTOR_H
#define AR_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar/logship.h"
#include "fim/config.h"
#include "lib/err.h"

#define AR_EXEC_DB "queue/ar.db" /* under HOME */
#define AR_EXEC_PENDING_MAX 4096 /* commands taken and not run yet */
#define AR_EXEC_RETRY_MS 1000    /* shipping again after emit refused */

struct ar_exec;

struct ar_exec_opts {
	const char *home;
	const struct fim_config *fim; /* monitored roots; borrowed, may be NULL (none) */
	const char *node;             /* this host's agent name (origin.name) */
	ar_emit_fn emit;              /* where the log's lines go */
	void *ctx;
	int script_limit_ms; /* 0 = AR_SCRIPT_LIMIT_MS */
	bool disabled;       /* <active-response><disabled>yes: refuse every command */
};

/* Open the state (HOME/queue/ar.db) and resolve the monitored roots. */
int ar_exec_open(const struct ar_exec_opts *o, struct ar_exec **out,
		 struct vg_err *err) VG_MUST_CHECK;

/* Start the thread (it ships what the log holds and was not shipped). */
int ar_exec_start(struct ar_exec *ex, struct vg_err *err) VG_MUST_CHECK;

/*
 * Take a command. 0 once recorded (*id set; *duplicate when that id was
 * taken before: it is not run again): acknowledge it then. VG_EPARSE for
 * JSON that is not a command with a positive id (*id still set when it had
 * one: acknowledge it too, it will never be runnable), VG_ETOOBIG over
 * AR_EXEC_PENDING_MAX waiting, VG_EINTERNAL when the record failed.
 */
int ar_exec_submit(struct ar_exec *ex, const char *json, size_t len, uint64_t *id, bool *duplicate,
		   struct vg_err *err) VG_MUST_CHECK;

/* Refuse (and report) every command from now on, or run them again: the
 * host's <active-response><disabled> after a reload. Any thread. */
void ar_exec_set_disabled(struct ar_exec *ex, bool disabled);

/* Stop and join the thread; commands taken and not started stay in
 * ar.db and run after the next open. Idempotent; NULL allowed. */
void ar_exec_stop(struct ar_exec *ex);

/* Stop if needed, free (NULL allowed). */
void ar_exec_close(struct ar_exec *ex);

#endif
