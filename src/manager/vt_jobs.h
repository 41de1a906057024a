/*
 * vt_jobs.h - The durable queue of VirusTotal lookups, and the integrator's
 *             position in the alert stream.
 *
 * A job is one file to judge, born from one alert: its sha256 (the
 * lookup key), where it came from (alert id, agent id, name and ip, file
 * path, md5, sha1: what the injected result must carry), a priority class
 * and a state:
 *
 *   queued --start--> in_flight --complete--> done
 *     ^  ^               |  |
 *     |  +---postpone----+  +--retry (attempts + 1 < max)--> queued
 *     |                     +--retry (attempts + 1 >= max)--> dead
 *     +--- at open: every in_flight job (the process died mid-request)
 *
 * Crash story (at-least-once request, exactly-once result): the integrator
 * adds a batch's jobs and moves its cursor in one transaction; commits
 * vt_jobs_start with the quota take before sending the request; and
 * completes a job in the same transaction as the injected result and the
 * cache put. A crash before that commit leaves the job in_flight; the
 * next open makes it queued again and the request is made again. vt_jobs_add
 * is idempotent per (integration, alert id), so replaying alerts after a
 * crash never makes a second job.
 *
 * De-duplication: vt_jobs_ready never returns a job whose sha256 is in
 * flight; when an answer comes, vt_jobs_for_sha256 lists every job waiting
 * for that hash (queued or in flight) so the integrator completes them all
 * from ONE request. A ready batch may hold several jobs with one sha256:
 * start one, the others are completed with it.
 *
 * Times are epoch milliseconds from the caller's clock. Transactions: none
 * begun or committed here, except that vt_jobs_open's requeue runs as one
 * statement (autocommit when the caller has no transaction open). Thread
 * model: one owner thread per handle.
 */
#ifndef MGR_VT_JOBS_H
#define MGR_VT_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "manager/vt_db.h"

#define VT_JOB_NAME_MAX 64     /* integration name ("virustotal") */
#define VT_JOB_ALERT_ID_MAX 64 /* alert id ("1704891124.123456") */
#define VT_JOB_AGENT_ID_MAX 23
#define VT_JOB_AGENT_NAME_MAX 128
#define VT_JOB_AGENT_IP_MAX 63
#define VT_JOB_PATH_MAX 4095
#define VT_JOB_ERROR_MAX 255  /* last error, cut to fit */
#define VT_JOB_OUTCOME_MAX 63 /* "malicious", "clean", "not_found", "cache"... */
#define VT_JOB_MAX_ATTEMPTS 5 /* default bound before dead-letter */

struct vt_jobs;

enum vt_job_prio {
	VT_PRIO_NEW_EXEC, /* a new executable file: served first */
	VT_PRIO_NEW_FILE,
	VT_PRIO_MODIFIED,
	VT_PRIO_N,
};

enum vt_job_state {
	VT_JOB_QUEUED,
	VT_JOB_IN_FLIGHT,
	VT_JOB_DONE,
	VT_JOB_DEAD,
	VT_JOB_STATE_N,
};

/* One job, copied out (no pointers: nothing to free). */
struct vt_job {
	int64_t id; /* > 0, given by vt_jobs_add */
	char integration[VT_JOB_NAME_MAX + 1];
	char alert_id[VT_JOB_ALERT_ID_MAX + 1];
	char sha256[VT_SHA256_HEX + 1];
	char agent_id[VT_JOB_AGENT_ID_MAX + 1];
	char agent_name[VT_JOB_AGENT_NAME_MAX + 1];
	char agent_ip[VT_JOB_AGENT_IP_MAX + 1];
	char path[VT_JOB_PATH_MAX + 1];
	char md5[33];  /* "" when unknown */
	char sha1[41]; /* "" when unknown */
	enum vt_job_prio prio;
	enum vt_job_state state;
	int64_t created_ms;
	int64_t next_try_ms;
	int64_t updated_ms; /* last change of state */
	int64_t attempts;   /* failed tries so far (retry counts them) */
	char last_error[VT_JOB_ERROR_MAX + 1];
	char outcome[VT_JOB_OUTCOME_MAX + 1]; /* set by complete */
};

struct vt_jobs_opts {
	int64_t max_attempts; /* failed tries before dead; 0 = VT_JOB_MAX_ATTEMPTS */
	bool keep_in_flight;  /* a second writer beside the integrator (`vigie lookup`):
				 jobs in flight are the running integrator's, not a
				 crash's: leave them */
};

#define VT_JOBS_OPTS_INIT                                                                          \
	{                                                                                          \
		0, false                                                                           \
	}

/* "queued", "in_flight", "done", "dead" / "new_executable", "new_file", "modified". */
const char *vt_job_state_name(enum vt_job_state s);
const char *vt_job_prio_name(enum vt_job_prio p);

/*
 * Open the queue on db (the caller's handle, see vt_cache_open): creates
 * its tables when missing, then makes every in_flight job queued again
 * (their requests died with the previous process); *requeued (may be NULL)
 * receives how many. o may be NULL (defaults).
 */
int vt_jobs_open(sqlite3 *db, const struct vt_jobs_opts *o, struct vt_jobs **out, int64_t *requeued,
		 struct vg_err *err) VG_MUST_CHECK;

/* Finalize the statements (NULL allowed); the handle stays open. */
void vt_jobs_close(struct vt_jobs *j);

/*
 * Add a queued job from in's integration, alert_id, sha256 (either case,
 * kept lowercase), agent_*, path, md5, sha1 (lowercase hex or "") and prio;
 * created and next_try are now_ms, attempts 0. The other fields of in are
 * ignored. Idempotent: when (integration, alert_id) already has a job
 * (whatever its state) nothing changes, *id is that job's and *added false.
 * id and added may be NULL. VG_EPARSE for a bad hash, an empty integration
 * or alert id, an unknown prio; VG_ETOOBIG for a field over its size.
 */
int vt_jobs_add(struct vt_jobs *j, const struct vt_job *in, int64_t now_ms, int64_t *id,
		bool *added, struct vg_err *err) VG_MUST_CHECK;

/* The job id into *out; VG_ENOTFOUND (with a message) when there is none. */
int vt_jobs_get(struct vt_jobs *j, int64_t id, struct vt_job *out,
		struct vg_err *err) VG_MUST_CHECK;

/*
 * Up to max queued jobs with next_try <= now_ms whose sha256 is not in
 * flight, by priority class then age (created, then id), into out[0..*n).
 */
int vt_jobs_ready(struct vt_jobs *j, int64_t now_ms, struct vt_job *out, size_t max, size_t *n,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Up to max jobs waiting for sha256 (queued, whatever their next_try, or
 * in flight), oldest first, into out[0..*n).
 */
int vt_jobs_for_sha256(struct vt_jobs *j, const char *sha256, struct vt_job *out, size_t max,
		       size_t *n, struct vg_err *err) VG_MUST_CHECK;

/* Up to max jobs in state s, oldest first (the dead letters, the waiting files...). */
int vt_jobs_list(struct vt_jobs *j, enum vt_job_state s, struct vt_job *out, size_t max, size_t *n,
		 struct vg_err *err) VG_MUST_CHECK;

/* How many jobs are in each state, indexed by enum vt_job_state. */
int vt_jobs_count(struct vt_jobs *j, int64_t counts[VT_JOB_STATE_N],
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Transitions. Each changes one job and fails with VG_ENOTFOUND (with a
 * message) when the job does not exist or is not in a state the arrow
 * starts from (see the diagram above), so a result is never recorded twice.
 *   start:    queued -> in_flight (a request is being made for it).
 *   complete: queued or in_flight -> done, with outcome (1..63 bytes).
 *   retry:    queued or in_flight -> queued at next_try_ms with error (cut
 *             to VT_JOB_ERROR_MAX) and attempts + 1; -> dead when attempts
 *             reach max_attempts. *dead (may be NULL) says which.
 *   postpone: queued or in_flight -> queued at next_try_ms, attempts
 *             unchanged (quota wait, 429, paused credentials: not failures).
 *   revive:   dead -> queued now, attempts 0 (an operator's retry).
 */
int vt_jobs_start(struct vt_jobs *j, int64_t id, int64_t now_ms, struct vg_err *err) VG_MUST_CHECK;
int vt_jobs_complete(struct vt_jobs *j, int64_t id, const char *outcome, int64_t now_ms,
		     struct vg_err *err) VG_MUST_CHECK;
int vt_jobs_retry(struct vt_jobs *j, int64_t id, int64_t next_try_ms, const char *error,
		  int64_t now_ms, bool *dead, struct vg_err *err) VG_MUST_CHECK;
int vt_jobs_postpone(struct vt_jobs *j, int64_t id, int64_t next_try_ms, int64_t now_ms,
		     struct vg_err *err) VG_MUST_CHECK;
int vt_jobs_revive(struct vt_jobs *j, int64_t id, int64_t now_ms, struct vg_err *err) VG_MUST_CHECK;

/*
 * Delete at most max (> 0) done jobs last changed at or before before_ms;
 * *deleted (may be NULL) receives how many. Safe for idempotence as long
 * as the cursor is past their alerts (it is: the cursor moved in the
 * transaction that added them).
 */
int vt_jobs_prune(struct vt_jobs *j, int64_t before_ms, int64_t max, int64_t *deleted,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * The integrator's durable position in the alert stream (the alert
 * store's rowno), per name (e.g. the integration's): *pos = 0 when never
 * set. set writes pos (>= 0) as is; commit it with the jobs it covers.
 */
int vt_jobs_cursor_get(struct vt_jobs *j, const char *name, int64_t *pos,
		       struct vg_err *err) VG_MUST_CHECK;
int vt_jobs_cursor_set(struct vt_jobs *j, const char *name, int64_t pos,
		       struct vg_err *err) VG_MUST_CHECK;

#endif
