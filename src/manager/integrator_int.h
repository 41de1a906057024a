/*
 * integrator_int.h - What integrator.c (the thread, the alert stream, the
 * result outbox, custom scripts) and integrator_vt.c (VirusTotal jobs)
 * share. Everything here belongs to the integrator thread, except the
 * atomics and the notify, which other threads may touch.
 */
#ifndef MGR_INTEGRATOR_INT_H
#define MGR_INTEGRATOR_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/notify.h"
#include "manager/evoutbox.h"
#include "manager/integration_run.h"
#include "manager/integrations_log.h"
#include "manager/integrator.h"
#include "manager/store.h"
#include "manager/vt_answer.h"
#include "manager/vt_cache.h"
#include "manager/vt_client.h"
#include "manager/vt_jobs.h"
#include "manager/vt_quota.h"

#define INT_ALERTS_BATCH 256 /* alerts read from the store per round */
#define INT_JOBS_BATCH 64    /* jobs scheduled or completed per call */
#define INT_EVENT_MAX (64u * 1024u)
#define INT_POLL_MS 1000           /* longest sleep: the store is looked at again */
#define INT_BACKOFF_BASE_MS 5000   /* first retry after a failure */
#define INT_BACKOFF_MAX_MS 600000  /* retries at most 10 minutes apart */
#define INT_QUOTA_BACKOFF_MS 60000 /* after a 429 */
/* use_quota_endpoint: overall_quotas is asked this often, and sooner again
 * after a failure (network, timeout, 5xx) */
#define INT_ALLOWANCE_PERIOD_MS 3600000
#define INT_ALLOWANCE_RETRY_MS 300000

/* One custom-* integration: its script runs for one alert at a time. */
struct int_custom {
	const struct mgr_integration *conf;
	struct mgr_intrun *run; /* NULL when idle */
	int64_t run_row;        /* the store row of the alert it runs for */
	char alert_id[64];
};

struct integrator {
	struct integrator_opts o;
	char *home;
	char *manager_name;
	sqlite3 *db;
	struct vt_cache *cache;
	struct vt_quota *quota;
	struct vt_jobs *jobs;
	struct store_reader *store;
	struct mgr_intlog *log;
	struct mgr_evoutbox *outbox; /* results on their way to the event queue */
	struct vt_job *batch;        /* INT_JOBS_BATCH jobs of scratch */
	struct vg_buf ev;            /* an event's text */
	/* virustotal */
	const struct mgr_integration *vt; /* NULL: not configured */
	struct vt_client *client;
	bool auth_paused;      /* the key was refused: no lookup until restart */
	int64_t quota_wait_ms; /* no lookup before this */
	bool quota_announced;  /* 87101 raised for the current back-off */
	int64_t net_wait_ms;   /* VirusTotal unreachable: no lookup before this */
	int64_t net_failures;  /* in a row; 0 once VirusTotal answers again */
	/* use_quota_endpoint: the key's allowance from overall_quotas */
	bool allowance_on;                       /* the option is set */
	bool allowance_first;                    /* lookups wait for the first answer */
	bool allowance_inflight;                 /* a request is out */
	int64_t allowance_next_ms;               /* the next request */
	enum vt_allowance_state allowance_state; /* the last answer's, warned once */
	/* custom-* */
	struct int_custom *customs;
	size_t ncustoms;
	/* thread */
	pthread_t thr;
	bool running;
	atomic_bool stop;
	atomic_bool reopen_log;
	struct vg_notify wake; /* the sleep when no VirusTotal client polls */
};

int64_t int__now(struct integrator *it);

/* Transactions on integrations.db (every state change is inside one). */
int int__begin(struct integrator *it, struct vg_err *err) VG_MUST_CHECK;
int int__end(struct integrator *it, int rc, struct vg_err *err) VG_MUST_CHECK;

/*
 * Put one result event (an injected JSON line) for the agent of a job in
 * the result outbox, inside the open transaction.
 */
int int__outbox_add(struct integrator *it, const char *agent_id, const char *agent_name,
		    const char *agent_ip, const char *line, size_t len,
		    struct vg_err *err) VG_MUST_CHECK;

/* One integrations.log line (failures to log are logged, not returned). */
void int__log(struct integrator *it, const struct mgr_intlog_entry *e);

/* ---- integrator_vt.c ---- */

/* Whether a virustotal block takes alert a; its head is enough (store_follow's want). */
bool int__vt_wants(const struct integrator *it, const struct store_alert *a);
/* Whether a virustotal block may take alerts of rule class c (store_follow's classes). */
bool int__vt_wants_class(const struct integrator *it, const struct store_alert *c);

/* A job for alert a, which int__vt_wants took, if it needs a verdict;
 * inside the open transaction. */
int int__vt_take_alert(struct integrator *it, const struct store_alert *a,
		       struct vg_err *err) VG_MUST_CHECK;

/* Serve ready jobs: cache hits now, lookups within the quota. */
int int__vt_schedule(struct integrator *it, struct vg_err *err) VG_MUST_CHECK;

/* vt_done_fn: a lookup ended; lookup_ctx is the sha256 (vg_free'd here). */
void int__vt_done(void *ctx, void *lookup_ctx, const struct vt_answer *a, long latency_ms);

/*
 * use_quota_endpoint: set the allowance state up at start (a stored
 * allowance is forgotten when the option is off); inside no transaction.
 */
int int__vt_allowance_init(struct integrator *it, struct vg_err *err) VG_MUST_CHECK;

/* vt_allowance_fn: apply what overall_quotas said (ctx: the integrator). */
void int__vt_allowance_done(void *ctx, const struct vt_allowance *a);

/* How long the thread may sleep before VirusTotal work is due (ms, >= 0). */
int64_t int__vt_next_ms(struct integrator *it, int64_t now);

#endif
