/*
 * integrator.c - The integrator thread: follow the alert store, feed the
 * integrations, deliver their results (see integrator.h).
 *
 * One round of the loop: read up to INT_ALERTS_BATCH new alerts and turn
 * them into VirusTotal jobs in the transaction that moves the position;
 * serve ready jobs (integrator_vt.c); move finished results from the
 * result outbox to the event queue; step the custom-* scripts; then sleep
 * in the VirusTotal client's poll (woken by its transfers, by
 * integrator_wake, or after INT_POLL_MS), or on a notify without it.
 *
 * The result outbox (table int_outbox in integrations.db) is what makes a
 * result exactly once: a job completes and its event is stored in one
 * transaction; delivery appends events to the event queue under their
 * outbox number (the queue drops a number it already took from
 * INTEGRATOR_SOURCE), and only then deletes them from the outbox.
 */
#include "manager/integrator.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "lib/db.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/evoutbox.h"
#include "manager/evqueue.h"
#include "manager/integration_filter.h"
#include "manager/integrator_int.h"
#include "manager/vt_db.h"

#define INT_CURSOR "alerts"    /* the virustotal jobs' position in the store */
#define INT_CUSTOM_POLL_MS 100 /* a running script is stepped this often */
#define INT_LOCATION "virustotal"

/* ---------------------------------------------------------------- helpers */

int64_t int__now(struct integrator *it)
{
	struct timespec ts;

	if (it->o.clock_ms != NULL)
		return it->o.clock_ms(it->o.clock_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int int__begin(struct integrator *it, struct vg_err *err)
{
	return vg_db_begin(it->db, err);
}

int int__end(struct integrator *it, int rc, struct vg_err *err)
{
	return vg_db_end(it->db, rc, err);
}

void int__log(struct integrator *it, const struct mgr_intlog_entry *e)
{
	struct vg_err err = VG_ERR_INIT;

	if (it->log != NULL && mgr_intlog_write(it->log, e, &err) != 0)
		vg_log_warn("%s", err.msg);
}

int int__outbox_add(struct integrator *it, const char *agent_id, const char *agent_name,
		    const char *agent_ip, const char *line, size_t len, struct vg_err *err)
{
	return mgr_evoutbox_add(it->outbox, agent_id, agent_name, agent_ip, INT_LOCATION, line, len,
				err);
}

/* ---------------------------------------------------------------- the alert stream */

struct pull {
	struct integrator *it;
	int rc;
	struct vg_err *err;
};

static bool pull_wants(void *ctx, const struct store_alert *head)
{
	const struct pull *p = ctx;
	return int__vt_wants(p->it, head);
}

/* The rule classes' rows of no interest are passed over inside the store. */
static bool pull_classes(void *ctx, const struct store_alert *c)
{
	const struct pull *p = ctx;
	return int__vt_wants_class(p->it, c);
}

static int pull_one(void *ctx, int64_t row, const struct store_alert *a)
{
	struct pull *p = ctx;

	(void)row;
	p->rc = int__vt_take_alert(p->it, a, p->err);
	return p->rc != 0;
}

/* New alerts into jobs, with the position, in one transaction. */
static int pull_alerts(struct integrator *it, bool *more, struct vg_err *err)
{
	struct pull p = {it, 0, err};
	struct store_follow f = {
	    .limit = INT_ALERTS_BATCH, .want = pull_wants, .classes = pull_classes};
	int rc = vt_jobs_cursor_get(it->jobs, INT_CURSOR, &f.after, err);

	*more = false;
	if (rc == 0)
		rc = int__begin(it, err);
	if (rc == 0)
		rc = store_follow(it->store, &f, pull_one, &p, err);
	if (rc == 0)
		rc = p.rc;
	if (rc == 0 && f.seen == 0 && f.after > f.last_row) {
		/* retention emptied the store: its row numbers start again */
		vg_log_warn("integrator: the alert store restarted its numbering, following "
			    "it from its first alert");
		f.through = 0;
	}
	if (rc == 0 && f.through != f.after) /* an idle round writes nothing */
		rc = vt_jobs_cursor_set(it->jobs, INT_CURSOR, f.through, err);
	rc = int__end(it, rc, err);
	*more = rc == 0 && f.seen == INT_ALERTS_BATCH;
	return rc;
}

/* ---------------------------------------------------------------- result delivery */

/* ---------------------------------------------------------------- custom-* scripts */

struct custom_pick {
	struct int_custom *c;
	int64_t row; /* the row to run for, 0 when none */
	char *json;
	char alert_id[64];
};

static bool custom_wants(void *ctx, const struct store_alert *head)
{
	const struct custom_pick *p = ctx;
	return integration_matches_alert(p->c->conf, head);
}

static bool custom_classes(void *ctx, const struct store_alert *c)
{
	const struct custom_pick *p = ctx;
	return integration_matches_class(p->c->conf, c);
}

/* The first alert the script wants: taken, and the follow stops there. */
static int custom_pick_one(void *ctx, int64_t row, const struct store_alert *a)
{
	struct custom_pick *p = ctx;

	p->row = row;
	p->json = vg_xstrdup(a->json);
	snprintf(p->alert_id, sizeof(p->alert_id), "%s", a->id);
	return 1;
}

static int custom_set_cursor(struct integrator *it, struct int_custom *c, int64_t row,
			     struct vg_err *err)
{
	int rc = int__begin(it, err);
	if (rc == 0)
		rc = vt_jobs_cursor_set(it->jobs, c->conf->name, row, err);
	return int__end(it, rc, err);
}

/* Start c's script on its next matching alert, skipping the others. */
static int custom_start(struct integrator *it, struct int_custom *c, struct vg_err *err)
{
	struct mgr_intrun_opts ro = MGR_INTRUN_OPTS_INIT;
	struct custom_pick p = {c, 0, NULL, ""};
	struct store_follow f = {
	    .limit = INT_ALERTS_BATCH, .want = custom_wants, .classes = custom_classes};
	int rc = vt_jobs_cursor_get(it->jobs, c->conf->name, &f.after, err);

	if (rc == 0)
		rc = store_follow(it->store, &f, custom_pick_one, &p, err);
	if (rc == 0 && p.row == 0 && f.through > f.after) /* none wanted: skip them */
		rc = custom_set_cursor(it, c, f.through, err);
	if (rc == 0 && p.row != 0) {
		ro.home = it->home;
		rc = mgr_intrun_start(c->conf, &ro, p.json, strlen(p.json), &c->run, err);
		c->run_row = p.row;
		snprintf(c->alert_id, sizeof(c->alert_id), "%s", p.alert_id);
		if (rc != 0) { /* logged; the alert is not retried forever */
			vg_log_error("integration %s for alert %s: %s", c->conf->name, p.alert_id,
				     err->msg);
			vg_err_clear(err);
			rc = custom_set_cursor(it, c, p.row, err);
		}
	}
	vg_free(p.json);
	return rc;
}

static void custom_log(struct integrator *it, struct int_custom *c)
{
	const struct mgr_intrun_result *r = mgr_intrun_result(c->run);
	struct mgr_intlog_entry e = MGR_INTLOG_ENTRY_INIT;
	char msg[96];

	snprintf(msg, sizeof(msg), "exit %d%s", r->exit_status, r->timed_out ? " (timed out)" : "");
	e.time_ms = int__now(it);
	e.integration = c->conf->name;
	e.alert_id = c->alert_id;
	e.outcome = r->exit_status == 0 ? "done" : "error";
	e.latency_ms = r->elapsed_ms;
	e.message = msg;
	int__log(it, &e);
}

static int custom_step(struct integrator *it, struct int_custom *c, struct vg_err *err)
{
	bool done = false;
	int rc;

	if (c->run == NULL)
		return custom_start(it, c, err);
	rc = mgr_intrun_step(c->run, 0, &done, err); /* 0: its own monotonic clock */
	if (rc != 0 || !done)
		return rc;
	custom_log(it, c);
	mgr_intrun_free(c->run);
	c->run = NULL;
	return custom_set_cursor(it, c, c->run_row, err);
}

/* ---------------------------------------------------------------- the thread */

static void round_failed(struct integrator *it, const char *what, struct vg_err *err)
{
	vg_log_error("integrator: %s: %s", what, err->msg);
	vg_err_clear(err);
}

/* One round; *busy when more work is ready at once. */
static void round_once(struct integrator *it, bool *busy)
{
	struct vg_err err = VG_ERR_INIT;
	bool more = false;

	if (atomic_exchange(&it->reopen_log, false) && it->log != NULL &&
	    mgr_intlog_reopen(it->log, &err) != 0)
		round_failed(it, "reopening the log", &err);
	if (pull_alerts(it, &more, &err) != 0)
		round_failed(it, "reading new alerts", &err);
	if (int__vt_schedule(it, &err) != 0)
		round_failed(it, "scheduling lookups", &err);
	if (mgr_evoutbox_deliver(it->outbox, &err) != 0)
		round_failed(it, "delivering results", &err);
	for (size_t i = 0; i < it->ncustoms; i++)
		if (custom_step(it, &it->customs[i], &err) != 0)
			round_failed(it, it->customs[i].conf->name, &err);
	*busy = more;
}

static int64_t sleep_ms(struct integrator *it, bool busy)
{
	int64_t ms = busy ? 0 : int__vt_next_ms(it, int__now(it));

	for (size_t i = 0; i < it->ncustoms; i++)
		if (it->customs[i].run != NULL && ms > INT_CUSTOM_POLL_MS)
			ms = INT_CUSTOM_POLL_MS;
	return ms;
}

static void *thread_main(void *arg)
{
	struct integrator *it = arg;
	struct vg_err err = VG_ERR_INIT;

	while (!atomic_load(&it->stop)) {
		bool busy = false;
		round_once(it, &busy);
		int64_t ms = sleep_ms(it, busy);
		if (it->client == NULL) {
			vg_notify_wait(&it->wake, (uint64_t)ms * 1000000u);
		} else if (vt_client_run(it->client, (int)ms, int__vt_done, it, &err) != 0) {
			round_failed(it, "VirusTotal client", &err);
			vg_notify_wait(&it->wake, (uint64_t)ms * 1000000u);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- open and close */

static int open_state(struct integrator *it, struct vg_err *err)
{
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	const struct mgr_vt_options *v = it->vt != NULL ? &it->vt->vt : NULL;
	struct vt_cache_opts co = {0, 0, 0};
	struct vt_quota_opts qo = {MGR_VT_PER_MINUTE, MGR_VT_PER_DAY, MGR_VT_PER_MONTH};
	struct vt_jobs_opts jo = VT_JOBS_OPTS_INIT;
	char *path = vt_db_path(it->home);
	int64_t requeued = 0;
	int rc;

	if (v != NULL) {
		co = (struct vt_cache_opts){v->cache_malicious_ttl, v->cache_clean_ttl,
					    v->cache_not_found_ttl};
		qo = (struct vt_quota_opts){v->requests_per_minute, v->requests_per_day,
					    v->requests_per_month};
		jo.max_attempts = v->max_attempts;
	}
	dbo.what = "integrations state";
	rc = vg_db_open(path, &dbo, &it->db, err);
	if (rc == 0)
		rc = vt_cache_open(it->db, &co, &it->cache, err);
	if (rc == 0)
		rc = vt_quota_open(it->db, &qo, &it->quota, err);
	if (rc == 0)
		rc = vt_jobs_open(it->db, &jo, &it->jobs, &requeued, err);
	if (rc == 0)
		rc = mgr_evoutbox_open(it->db, "int_outbox", it->o.queue, INTEGRATOR_SOURCE,
				       &it->stop, &it->outbox, err);
	if (rc == 0)
		rc = int__vt_allowance_init(it, err);
	if (rc == 0 && requeued > 0)
		vg_log_info("integrator: %" PRId64
			    " lookups interrupted by a stop are queued again",
			    requeued);
	vg_free(path);
	return rc;
}

static int open_client(struct integrator *it, struct vg_err *err)
{
	struct vt_client_opts co = VT_CLIENT_OPTS_INIT;

	it->vt = mgr_integration_conf_vt(it->o.conf);
	if (it->vt == NULL)
		return 0;
	co.base_url = it->vt->hook_url;
	co.api_key = it->vt->api_key;
	co.timeout_s = it->vt->timeout;
	return vt_client_new(&co, &it->client, err);
}

static int open_customs(struct integrator *it, struct vg_err *err)
{
	const struct mgr_integration_conf *c = it->o.conf;

	it->customs = vg_xcalloc(c->n > 0 ? c->n : 1, sizeof(*it->customs));
	for (size_t i = 0; i < c->n; i++) {
		if (c->items[i].kind != MGR_INT_CUSTOM)
			continue;
		struct vg_err e = VG_ERR_INIT;
		if (mgr_intrun_check(it->home, c->items[i].name, &e) != 0) {
			/* Wazuh enables an integration only when its script exists */
			vg_log_warn("integration %s not enabled: %s", c->items[i].name, e.msg);
			continue;
		}
		it->customs[it->ncustoms++].conf = &c->items[i];
		vg_log_info("Enabling integration for: '%s'.", c->items[i].name);
	}
	return 0;
}

int integrator_open(const struct integrator_opts *o, struct integrator **out, struct vg_err *err)
{
	struct integrator *it = vg_xcalloc(1, sizeof(*it));
	char *store = vg_xasprintf("%s/queue/alerts.db", o->home);
	char *log = vg_xasprintf("%s/%s", o->home, MGR_INTLOG_PATH);
	int rc;

	*out = NULL;
	it->o = *o;
	it->home = vg_xstrdup(o->home);
	it->manager_name = vg_xstrdup(o->manager_name != NULL ? o->manager_name : "");
	it->o.home = it->home;
	it->o.manager_name = it->manager_name;
	vg_notify_init(&it->wake);
	vg_buf_init(&it->ev, INT_EVENT_MAX);
	it->batch = vg_xcalloc(INT_JOBS_BATCH, sizeof(*it->batch));
	rc = open_client(it, err);
	if (rc == 0)
		rc = open_state(it, err);
	if (rc == 0)
		rc = store_reader_open(store, &it->store, err);
	if (rc == 0)
		rc = mgr_intlog_open(log, &it->log, err);
	if (rc == 0)
		rc = open_customs(it, err);
	if (rc == 0 && it->vt != NULL)
		vg_log_info("Enabling integration for: '%s' (%s).", it->vt->name, it->vt->hook_url);
	vg_free(store);
	vg_free(log);
	if (rc != 0) {
		integrator_close(it);
		return rc;
	}
	*out = it;
	return 0;
}

int integrator_start(struct integrator *it, struct vg_err *err)
{
	int e = pthread_create(&it->thr, NULL, thread_main, it);

	if (e != 0)
		return vg_err_errno(err, e, "cannot start the integrator thread");
	it->running = true;
	return 0;
}

void integrator_wake(struct integrator *it)
{
	if (it == NULL)
		return;
	if (it->client != NULL)
		vt_client_wakeup(it->client);
	vg_notify_kick(&it->wake);
}

void integrator_stop(struct integrator *it)
{
	if (it == NULL || !it->running)
		return;
	atomic_store(&it->stop, true);
	integrator_wake(it);
	pthread_join(it->thr, NULL);
	it->running = false;
}

void integrator_reopen_log(struct integrator *it)
{
	if (it == NULL)
		return;
	atomic_store(&it->reopen_log, true);
	integrator_wake(it);
}

void integrator_close(struct integrator *it)
{
	if (it == NULL)
		return;
	integrator_stop(it);
	for (size_t i = 0; i < it->ncustoms; i++)
		mgr_intrun_free(it->customs[i].run);
	vg_free(it->customs);
	vt_client_free(it->client);
	mgr_evoutbox_close(it->outbox);
	vt_jobs_close(it->jobs);
	vt_quota_close(it->quota);
	vt_cache_close(it->cache);
	vg_db_close(it->db);
	store_reader_close(it->store);
	mgr_intlog_close(it->log);
	vg_buf_free(&it->ev);
	vg_free(it->batch);
	vg_notify_destroy(&it->wake);
	vg_free(it->home);
	vg_free(it->manager_name);
	vg_free(it);
}
