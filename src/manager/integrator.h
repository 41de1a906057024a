/*
 * integrator.h - The manager's integrations: VirusTotal lookups and
 * custom-* scripts, fed by the alert store with a durable position.
 *
 * One thread (Wazuh's integratord, done right). It follows the alert store
 * in the order alerts were added, from a position kept in
 * HOME/queue/integrations.db, so alerts written while it was busy, stopped
 * or crashed are still handled. For the virustotal integration each
 * matching alert with a file hash becomes a durable job (manager/vt_jobs.h)
 * in the same transaction as the position moves; jobs are served from the
 * verdict cache (manager/vt_cache.h) or looked up with libcurl's multi
 * interface (manager/vt_client.h) within the quota (manager/vt_quota.h),
 * one request per hash however many files share it. Each job's result is
 * written to a result outbox in the same transaction as the job completes,
 * then appended to the manager's event queue (location "virustotal", the
 * owning agent's prefix, source INTEGRATOR_SOURCE numbered by the outbox),
 * where the analysis turns it into the 87100-87106 alerts. Exactly once:
 * a crash repeats at most a request, never a result.
 *
 * custom-* integrations run their script (manager/integration_run.h) once
 * per matching alert, one at a time per integration, each with its own
 * position, advanced when the script ends: at least once across a crash.
 *
 * Threads: open, start, stop and close on the manager's main thread;
 * integrator_wake from any thread (the analysis calls it when it committed
 * alerts, so a lookup starts at once rather than at the next poll).
 */
#ifndef MGR_INTEGRATOR_H
#define MGR_INTEGRATOR_H

#include <stdint.h>

#include "lib/dqueue.h"
#include "lib/err.h"
#include "manager/integration_conf.h"

/* The event queue source of the results: '@' marks the manager's own
 * producers, which may speak for any agent (manager/analysis.c). */
#define INTEGRATOR_SOURCE "@integrator"
#define INTEGRATOR_DB "queue/integrations.db" /* under HOME */
/* The jobs `vigie lookup` adds: served like the others (cache, quota, one
 * request per hash) but raise no alert: the command prints the verdict. */
#define INTEGRATOR_LOOKUP "lookup"

struct integrator;

struct integrator_opts {
	const char *home;
	const struct mgr_integration_conf *conf; /* borrowed: must outlive the integrator */
	struct vg_dq *queue;                     /* the event queue; borrowed */
	const char *manager_name;                /* agent 000's name, for its results */
	int64_t (*clock_ms)(void *ctx);          /* wall clock in ms; NULL = the real one */
	void *clock_ctx;
};

/*
 * Open the state (HOME/queue/integrations.db, HOME/logs/integrations.log),
 * the alert store reader (HOME/queue/alerts.db must exist: the pipeline
 * creates it) and a VirusTotal client for the first virustotal block (a
 * second one is ignored with a warning: one key, one quota). Jobs left in
 * flight by a crash are queued again. Errors name the file.
 */
int integrator_open(const struct integrator_opts *o, struct integrator **out,
		    struct vg_err *err) VG_MUST_CHECK;

/* Start the thread. */
int integrator_start(struct integrator *it, struct vg_err *err) VG_MUST_CHECK;

/* New alerts may be in the store (any thread; cheap). */
void integrator_wake(struct integrator *it);

/* Stop and join the thread (lookups in flight are abandoned: their jobs
 * are queued again at the next open). Idempotent; NULL allowed. */
void integrator_stop(struct integrator *it);

/* Stop if needed, then free everything (NULL allowed). */
void integrator_close(struct integrator *it);

/* Reopen HOME/logs/integrations.log at the next round (SIGHUP, after
 * rotation). Any thread; NULL allowed. */
void integrator_reopen_log(struct integrator *it);

#endif
