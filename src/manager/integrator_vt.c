/*
 * integrator_vt.c - The virustotal integration's jobs: from an alert to a
 * verdict event, never wasting a request.
 *
 * An alert becomes a job only when it brings a hash worth judging: not a
 * deleted file, not the empty file, and not an attribute-only change
 * (its hash was judged when its content last changed: such an alert gets
 * the cached verdict if there is one, and no request either way). A
 * ready job is served from the verdict cache when it can; otherwise its
 * hash is looked up once, within the quota, and the answer completes every
 * job waiting for that hash in one transaction with the cache entry and
 * their result events. Failures keep the jobs: a 429 or a refused key
 * pauses lookups (one alert says so), a timeout, 5xx, bad answer or
 * network failure retries with exponential back-off, and the job dies
 * (visibly: vt_jobs dead state and an error alert) after max_attempts.
 *
 * With use_quota_endpoint, the key's real allowance is asked from
 * /users/{key}/overall_quotas at start (lookups wait for that first
 * answer, at most the client's timeout), every hour, and after a 429; it
 * lowers the quota's day and month limits (vt_quota_set_allowance) and
 * raises its used counters. The endpoint is optional: an answer it cannot
 * give is one warning and the configured limits, never an alert.
 */
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "manager/integration_filter.h"
#include "manager/integrator_int.h"

/* sha256 of zero bytes: the empty file is never looked up */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---------------------------------------------------------------- alerts */

/* What the alert's syscheck block says beyond the store's columns. */
struct fim_facts {
	bool hash_changed; /* a new file, or its content changed */
	bool executable;   /* perm_after has an x */
	bool added;
	char agent_ip[VT_JOB_AGENT_IP_MAX + 1];
};

static bool list_has(const json_t *arr, const char *a, const char *b)
{
	size_t i;
	const json_t *v;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		if (s != NULL && (strcmp(s, a) == 0 || strcmp(s, b) == 0))
			return true;
	}
	return false;
}

static void alert_facts(const struct store_alert *a, struct fim_facts *f)
{
	json_t *root = json_loadb(a->json, a->json_len, 0, NULL);
	const json_t *sc = json_object_get(root, "syscheck");
	const char *event = json_string_value(json_object_get(sc, "event"));
	const char *perm = json_string_value(json_object_get(sc, "perm_after"));
	const char *ip = json_string_value(json_object_get(json_object_get(root, "agent"), "ip"));
	const json_t *changed = json_object_get(sc, "changed_attributes");

	memset(f, 0, sizeof(*f));
	f->added = event != NULL && strcmp(event, "added") == 0;
	/* no syscheck event (a rule's own alert on a hash): judge it */
	f->hash_changed = event == NULL || f->added || !json_is_array(changed) ||
			  list_has(changed, "sha256", "md5");
	f->executable = perm != NULL && strchr(perm, 'x') != NULL;
	snprintf(f->agent_ip, sizeof(f->agent_ip), "%s", ip != NULL ? ip : "any");
	json_decref(root);
}

static void job_from_alert(struct integrator *it, const struct store_alert *a,
			   const struct fim_facts *f, struct vt_job *j)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->integration, sizeof(j->integration), "%s", it->vt->name);
	snprintf(j->alert_id, sizeof(j->alert_id), "%s", a->id);
	snprintf(j->sha256, sizeof(j->sha256), "%s", a->sha256);
	snprintf(j->agent_id, sizeof(j->agent_id), "%s", a->agent_id ? a->agent_id : "000");
	snprintf(j->agent_name, sizeof(j->agent_name), "%s",
		 a->agent_name ? a->agent_name : it->manager_name);
	snprintf(j->agent_ip, sizeof(j->agent_ip), "%s", f->agent_ip);
	snprintf(j->path, sizeof(j->path), "%s", a->path ? a->path : "");
	snprintf(j->md5, sizeof(j->md5), "%s", a->md5 ? a->md5 : "");
	snprintf(j->sha1, sizeof(j->sha1), "%s", a->sha1 ? a->sha1 : "");
	j->prio = !f->added       ? VT_PRIO_MODIFIED
		  : f->executable ? VT_PRIO_NEW_EXEC
				  : VT_PRIO_NEW_FILE;
}

/* ---------------------------------------------------------------- results */

static void job_source(const struct vt_job *j, struct vt_source *src)
{
	*src = (struct vt_source){j->alert_id, j->path,     j->md5,       j->sha1,
				  j->sha256,   j->agent_id, j->agent_name};
}

static const char *outcome_word(const struct vt_answer *a)
{
	switch (a->outcome) {
	case VT_FOUND:
		return a->malicious > 0 ? "malicious" : "clean";
	case VT_NOT_FOUND:
		return "not_found";
	case VT_AUTH:
		return "credentials";
	case VT_QUOTA:
		return "quota";
	case VT_TIMEOUT:
		return "timeout";
	case VT_SERVER:
		return "server_error";
	case VT_BAD_ANSWER:
		return "bad_answer";
	case VT_NETWORK:
		break;
	}
	return "network_error";
}

static void log_job(struct integrator *it, const struct vt_job *j, const struct vt_answer *a,
		    enum vt_cache_state cache, long latency_ms)
{
	struct mgr_intlog_entry e = MGR_INTLOG_ENTRY_INIT;
	struct vt_quota_status q;
	struct vg_err err = VG_ERR_INIT;

	e.time_ms = int__now(it);
	e.integration = j->integration;
	e.alert_id = j->alert_id;
	e.agent_id = j->agent_id;
	e.sha256 = j->sha256;
	e.outcome = outcome_word(a);
	e.http_status = (int)a->http_status;
	e.latency_ms = latency_ms;
	e.cache = cache == VT_CACHE_HIT    ? MGR_INTLOG_CACHE_HIT
		  : cache == VT_CACHE_MISS ? MGR_INTLOG_CACHE_MISS
					   : MGR_INTLOG_CACHE_NONE;
	e.message = a->detail[0] != '\0' ? a->detail : NULL;
	if (vt_quota_status(it->quota, e.time_ms, &q, &err) == 0) {
		e.quota_minute = q.w[VT_WINDOW_MINUTE].left;
		e.quota_day = q.w[VT_WINDOW_DAY].left;
		e.quota_month = q.w[VT_WINDOW_MONTH].left;
	}
	int__log(it, &e);
}

/* The job's result event into the outbox (inside the open transaction). */
static int job_event(struct integrator *it, const struct vt_job *j, const struct vt_answer *a,
		     enum vt_cache_state cache, long latency_ms, struct vg_err *err)
{
	struct vt_extra x = {cache, latency_ms};
	struct vt_source src;
	int rc;

	if (strcmp(j->integration, INTEGRATOR_LOOKUP) == 0)
		return 0; /* the command reads the verdict from the cache */
	job_source(j, &src);
	vg_buf_reset(&it->ev);
	rc = vt_answer_event(a, &src, &x, &it->ev, err);
	if (rc == 0)
		rc = int__outbox_add(it, j->agent_id, j->agent_name, j->agent_ip, it->ev.data,
				     it->ev.len, err);
	return rc;
}

/* Complete job j with verdict a (inside the open transaction). */
static int job_done(struct integrator *it, const struct vt_job *j, const struct vt_answer *a,
		    enum vt_cache_state cache, long latency_ms, struct vg_err *err)
{
	int rc = vt_jobs_complete(it->jobs, j->id, outcome_word(a), int__now(it), err);

	if (rc == 0)
		rc = job_event(it, j, a, cache, latency_ms, err);
	return rc;
}

/* The cached verdict of sha256 into *a: 0, VG_ENOTFOUND on a miss. */
static int cache_lookup(struct integrator *it, const char *sha256, struct vt_answer *a,
			struct vg_err *err)
{
	struct vt_cache_hit hit = {0};
	int rc = vt_cache_get(it->cache, sha256, int__now(it), &hit, err);

	if (rc == 0)
		rc = vt_answer_from_cache(hit.json, a, err);
	vt_cache_hit_clear(&hit);
	return rc;
}

static int64_t ttl_of(const struct integrator *it, const struct vt_answer *a)
{
	const struct mgr_vt_options *o = &it->vt->vt;
	if (a->outcome == VT_NOT_FOUND)
		return o->cache_not_found_ttl;
	return a->malicious > 0 ? o->cache_malicious_ttl : o->cache_clean_ttl;
}

static int cache_put(struct integrator *it, const struct vt_answer *a, struct vg_err *err)
{
	enum vt_verdict v = a->outcome == VT_NOT_FOUND ? VT_VERDICT_NOT_FOUND
			    : a->malicious > 0         ? VT_VERDICT_MALICIOUS
						       : VT_VERDICT_CLEAN;
	struct vg_buf text = VG_BUF_INIT(4096);
	int rc = 0;

	if (ttl_of(it, a) == 0) /* that class is configured not to be cached */
		return 0;
	rc = vt_answer_cache_text(a, &text, err);
	if (rc == 0)
		rc = vt_cache_put(it->cache, a->sha256, v, vg_buf_cstr(&text), int__now(it), err);
	vg_buf_free(&text);
	return rc;
}

/* ---------------------------------------------------------------- new alerts */

/* Several virustotal blocks are filters in front of one client: any may match. */
/* Does a VirusTotal block match a (an alert, or a rule class when by_class)? */
static bool vt_blocks_match(const struct integrator *it, const struct store_alert *a, bool by_class)
{
	if (it->vt == NULL)
		return false;
	for (size_t i = 0; i < it->o.conf->n; i++) {
		const struct mgr_integration *b = &it->o.conf->items[i];
		if (b->kind == MGR_INT_VIRUSTOTAL &&
		    (by_class ? integration_matches_class(b, a) : integration_matches_alert(b, a)))
			return true;
	}
	return false;
}

bool int__vt_wants(const struct integrator *it, const struct store_alert *a)
{
	return vt_blocks_match(it, a, false);
}

bool int__vt_wants_class(const struct integrator *it, const struct store_alert *c)
{
	return vt_blocks_match(it, c, true);
}

int int__vt_take_alert(struct integrator *it, const struct store_alert *a, struct vg_err *err)
{
	struct fim_facts f;
	struct vt_job j;
	struct vt_answer cached;
	struct vg_err e = VG_ERR_INIT;
	bool added = false;
	int rc;

	if (a->sha256 == NULL || strlen(a->sha256) != VT_SHA256_HEX ||
	    strcmp(a->sha256, EMPTY_SHA256) == 0)
		return 0;
	alert_facts(a, &f);
	job_from_alert(it, a, &f, &j);
	if (f.hash_changed)
		return vt_jobs_add(it->jobs, &j, int__now(it), &j.id, &added, err);
	/* attribute-only change: the cached verdict, or nothing */
	rc = cache_lookup(it, j.sha256, &cached, &e);
	if (rc != 0)
		return rc == VG_ENOTFOUND || rc == VG_EPARSE ? 0 : vg_err_set(err, rc, "%s", e.msg);
	rc = vt_jobs_add(it->jobs, &j, int__now(it), &j.id, &added, err);
	if (rc == 0 && added)
		rc = job_done(it, &j, &cached, VT_CACHE_HIT, -1, err);
	if (rc == 0 && added)
		log_job(it, &j, &cached, VT_CACHE_HIT, -1);
	return rc;
}

/* ---------------------------------------------------------------- allowance */

int int__vt_allowance_init(struct integrator *it, struct vg_err *err)
{
	int rc;

	it->allowance_on = it->vt != NULL && it->vt->vt.use_quota_endpoint;
	it->allowance_first = it->allowance_on;
	it->allowance_state = VT_ALLOWANCE_OK;
	if (it->allowance_on)
		return 0; /* what was stored holds until the first answer */
	/* the option was turned off: VirusTotal's old word no longer applies */
	rc = int__begin(it, err);
	if (rc == 0)
		rc = vt_quota_set_allowance(it->quota, VT_WINDOW_DAY, 0, err);
	if (rc == 0)
		rc = vt_quota_set_allowance(it->quota, VT_WINDOW_MONTH, 0, err);
	return int__end(it, rc, err);
}

/* Ask overall_quotas when it is due; a request that cannot start is retried. */
static void allowance_ask(struct integrator *it)
{
	int64_t now = int__now(it);
	struct vg_err err = VG_ERR_INIT;

	if (!it->allowance_on || it->allowance_inflight || it->auth_paused ||
	    now < it->allowance_next_ms)
		return;
	if (vt_client_allowance(it->client, int__vt_allowance_done, it, &err) != 0) {
		vg_log_warn("VirusTotal allowance not asked: %s", err.msg);
		it->allowance_first = false;
		it->allowance_next_ms = now + INT_ALLOWANCE_RETRY_MS;
		return;
	}
	it->allowance_inflight = true;
	it->allowance_next_ms = now + INT_ALLOWANCE_PERIOD_MS;
}

/* One window of the answer into the quota; unknown: the configuration's. */
static int allowance_window(struct integrator *it, enum vt_window w,
			    const struct vt_allowance_window *a, struct vg_err *err)
{
	int rc = vt_quota_set_allowance(it->quota, w, a->known ? a->allowed : 0, err);

	if (rc == 0 && a->known)
		rc = vt_quota_observe(it->quota, int__now(it), w, a->used, err);
	return rc;
}

static void allowance_log(struct integrator *it, const struct vt_allowance *a)
{
	struct vt_quota_status q;
	struct vg_err err = VG_ERR_INIT;

	if (vt_quota_status(it->quota, int__now(it), &q, &err) != 0) {
		vg_log_warn("%s", err.msg);
		return;
	}
	vg_log_info("VirusTotal allowance: day %lld used of %lld, month %lld used of %lld "
		    "(%s); limits now %lld a day, %lld a month (0: unlimited)",
		    (long long)a->day.used, (long long)a->day.allowed, (long long)a->month.used,
		    (long long)a->month.allowed,
		    a->day.known && a->month.known ? "both reported"
		    : a->day.known                 ? "no monthly window"
						   : "no daily window",
		    (long long)q.w[VT_WINDOW_DAY].limit, (long long)q.w[VT_WINDOW_MONTH].limit);
}

/* Not OK: warn once per state; unavailable forgets what was stored. */
static int allowance_failed(struct integrator *it, const struct vt_allowance *a, struct vg_err *err)
{
	int rc = 0;

	if (a->state != it->allowance_state)
		vg_log_warn("VirusTotal allowance (overall_quotas) %s: %s; %s",
			    vt_allowance_state_name(a->state), a->detail,
			    a->state == VT_ALLOWANCE_UNAVAILABLE
				? "the configured limits apply"
				: "the last known limits apply, asking again later");
	if (a->state == VT_ALLOWANCE_FAILED) {
		it->allowance_next_ms = int__now(it) + INT_ALLOWANCE_RETRY_MS;
		return 0;
	}
	rc = vt_quota_set_allowance(it->quota, VT_WINDOW_DAY, 0, err);
	if (rc == 0)
		rc = vt_quota_set_allowance(it->quota, VT_WINDOW_MONTH, 0, err);
	return rc;
}

void int__vt_allowance_done(void *ctx, const struct vt_allowance *a)
{
	struct integrator *it = ctx;
	struct vg_err err = VG_ERR_INIT;
	int rc = int__begin(it, &err);

	it->allowance_inflight = false;
	it->allowance_first = false;
	if (rc == 0 && a->state == VT_ALLOWANCE_OK) {
		rc = allowance_window(it, VT_WINDOW_DAY, &a->day, &err);
		if (rc == 0)
			rc = allowance_window(it, VT_WINDOW_MONTH, &a->month, &err);
	} else if (rc == 0) {
		rc = allowance_failed(it, a, &err);
	}
	rc = int__end(it, rc, &err);
	it->allowance_state = a->state;
	if (rc != 0) {
		vg_log_error("VirusTotal allowance not applied: %s", err.msg);
		return;
	}
	if (a->state == VT_ALLOWANCE_OK)
		allowance_log(it, a);
	/* a wait computed with the old limits is computed again (not a 429's) */
	if (!it->quota_announced)
		it->quota_wait_ms = 0;
}

/* ---------------------------------------------------------------- scheduling */

/* Serve j from the cache in its own transaction: true when it was a hit. */
static bool serve_cached(struct integrator *it, const struct vt_job *j, struct vg_err *err)
{
	struct vt_answer a;
	struct vg_err e = VG_ERR_INIT;
	int rc = cache_lookup(it, j->sha256, &a, &e);

	if (rc != 0)
		return false;
	rc = int__begin(it, err);
	if (rc == 0)
		rc = job_done(it, j, &a, VT_CACHE_HIT, -1, err);
	if (int__end(it, rc, err) != 0)
		return false;
	log_job(it, j, &a, VT_CACHE_HIT, -1);
	return true;
}

/* The day's (or month's) quota is spent: one alert a day says so. */
static int announce_exhausted(struct integrator *it, int64_t until, struct vg_err *err)
{
	struct vt_answer a;
	char why[160];
	bool announce = false;
	int rc = vt_quota_exhausted_notice(it->quota, int__now(it), &announce, err);

	if (rc != 0 || !announce)
		return rc;
	snprintf(why, sizeof(why), "VirusTotal quota spent: lookups wait until %lld (epoch ms)",
		 (long long)until);
	vt_answer_fail(&a, VT_QUOTA, 0, why);
	vg_buf_reset(&it->ev);
	rc = vt_answer_event(&a, NULL, NULL, &it->ev, err);
	if (rc == 0)
		rc = int__outbox_add(it, "000", it->manager_name, "any", it->ev.data, it->ev.len,
				     err);
	vg_log_warn("%s", why);
	return rc;
}

/* Spend one request of the quota and mark j in flight, or say when to retry. */
static int take_quota(struct integrator *it, const struct vt_job *j, bool *go, struct vg_err *err)
{
	int64_t now = int__now(it), wait = 0;
	enum vt_window w = VT_WINDOW_MINUTE;
	int rc = int__begin(it, err);

	*go = false;
	if (rc == 0) {
		rc = vt_quota_take(it->quota, now, &wait, &w, err);
		if (rc == VG_ETOOBIG) {
			it->quota_wait_ms = wait;
			rc = w == VT_WINDOW_MINUTE ? 0 : announce_exhausted(it, wait, err);
		} else if (rc == 0) {
			rc = vt_jobs_start(it->jobs, j->id, now, err);
			*go = rc == 0;
		}
	}
	return int__end(it, rc, err);
}

static bool started_before(const struct vt_job *jobs, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (jobs[k].state == VT_JOB_IN_FLIGHT &&
		    strcmp(jobs[k].sha256, jobs[i].sha256) == 0)
			return true;
	return false;
}

int int__vt_schedule(struct integrator *it, struct vg_err *err)
{
	size_t n = 0;
	int rc;

	if (it->vt == NULL)
		return 0;
	allowance_ask(it);
	rc = vt_jobs_ready(it->jobs, int__now(it), it->batch, INT_JOBS_BATCH, &n, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct vt_job *j = &it->batch[i];
		bool go = false;
		if (serve_cached(it, j, err))
			continue;
		if (it->auth_paused || it->allowance_first || int__now(it) < it->quota_wait_ms ||
		    started_before(it->batch, i))
			continue; /* stays queued; a twin's answer completes it */
		rc = take_quota(it, j, &go, err);
		if (rc != 0 || !go)
			break;
		j->state = VT_JOB_IN_FLIGHT;
		rc = vt_client_lookup(it->client, j->sha256, vg_xstrdup(j->sha256), err);
	}
	return rc;
}

int64_t int__vt_next_ms(struct integrator *it, int64_t now)
{
	int64_t ms = INT_POLL_MS;

	if (it->quota_wait_ms > now && it->quota_wait_ms - now < ms)
		ms = it->quota_wait_ms - now;
	if (it->net_wait_ms > now && it->net_wait_ms - now < ms)
		ms = it->net_wait_ms - now;
	if (it->allowance_on && !it->allowance_inflight && !it->auth_paused &&
	    it->allowance_next_ms - now < ms)
		ms = it->allowance_next_ms > now ? it->allowance_next_ms - now : 0;
	return ms;
}

/* ---------------------------------------------------------------- answers */

static int64_t backoff_ms(int64_t attempts)
{
	int64_t d = INT_BACKOFF_BASE_MS;
	for (int64_t i = 0; i < attempts && d < INT_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < INT_BACKOFF_MAX_MS ? d : INT_BACKOFF_MAX_MS;
}

/* A verdict: cache it, complete every job of the hash with its event. */
static int on_verdict(struct integrator *it, const struct vt_job *jobs, size_t n,
		      const struct vt_answer *a, long latency_ms, struct vg_err *err)
{
	int rc = cache_put(it, a, err);

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = job_done(it, &jobs[i], a, VT_CACHE_MISS, latency_ms, err);
	it->quota_announced = false;
	return rc;
}

/* 429 or a refused key: the jobs wait; one alert per pause says why. */
static int on_pause(struct integrator *it, const struct vt_job *jobs, size_t n,
		    const struct vt_answer *a, struct vg_err *err)
{
	/* A refused key pauses on auth_paused, not on a timer: the jobs are
	 * ready again at once, for the integrator a reload or restart makes. */
	int64_t now = int__now(it),
		until = a->outcome == VT_AUTH ? now : now + INT_QUOTA_BACKOFF_MS;
	/* a 429 after the previous back-off ended starts a new one: say so again */
	bool announce = a->outcome == VT_AUTH ? !it->auth_paused
					      : !it->quota_announced || now >= it->quota_wait_ms;
	int rc = 0;

	if (a->outcome == VT_AUTH) {
		if (!it->auth_paused) /* once per pause, not once per answer */
			vg_log_error("VirusTotal refused the API key (HTTP %ld): lookups stop "
				     "until the configuration changes (restart or SIGHUP)",
				     a->http_status);
		it->auth_paused = true;
	} else {
		it->quota_wait_ms = until;
		it->quota_announced = true;
		/* VirusTotal counted more than Vigie did: ask it how much */
		if (it->allowance_on && !it->allowance_inflight)
			it->allowance_next_ms = now;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = vt_jobs_postpone(it->jobs, jobs[i].id, until, now, err);
	if (rc == 0 && announce && n > 0)
		rc = job_event(it, &jobs[0], a, VT_CACHE_NONE, -1, err);
	return rc;
}

/*
 * VirusTotal unreachable (connection refused, DNS, TLS, reset): an outage,
 * not the job's fault. Lookups wait on one back-off for all (5 s, doubling
 * to 10 min) and the jobs keep their attempts, so however long the outage,
 * they are looked up when it ends; a request that never left is refunded.
 */
static int on_unreachable(struct integrator *it, const struct vt_job *jobs, size_t n,
			  const struct vt_answer *a, struct vg_err *err)
{
	int64_t now = int__now(it), until;
	int rc = 0;

	/* lookups that were in flight together fail together: one step each wait */
	if (now >= it->net_wait_ms) {
		it->net_wait_ms = now + backoff_ms(it->net_failures++);
		if (it->net_failures == 1)
			vg_log_warn("VirusTotal unreachable (%s): lookups wait, retrying with "
				    "back-off",
				    a->detail);
	}
	until = it->net_wait_ms;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (jobs[i].state == VT_JOB_IN_FLIGHT && a->unsent)
			rc = vt_quota_refund(it->quota, jobs[i].updated_ms, err);
		if (rc == 0)
			rc = vt_jobs_postpone(it->jobs, jobs[i].id, until, now, err);
	}
	return rc;
}

/* VirusTotal answered (whatever it said): an outage is over. */
static void reachable(struct integrator *it)
{
	if (it->net_failures > 0)
		vg_log_info("VirusTotal reachable again after %" PRId64 " failed attempts",
			    it->net_failures);
	it->net_failures = 0;
	it->net_wait_ms = 0;
}

/* A failed attempt: back off; an alert on the first failure and at death. */
static int on_failure(struct integrator *it, const struct vt_job *jobs, size_t n,
		      const struct vt_answer *a, long latency_ms, struct vg_err *err)
{
	int64_t now = int__now(it);
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct vt_job *j = &jobs[i];
		int64_t next = now + backoff_ms(j->attempts);
		bool dead = false;
		if (j->state != VT_JOB_IN_FLIGHT) { /* a twin waiting: same delay, no attempt */
			rc = vt_jobs_postpone(it->jobs, j->id, next, now, err);
			continue;
		}
		rc = vt_jobs_retry(it->jobs, j->id, next, a->detail, now, &dead, err);
		if (rc == 0 && (dead || j->attempts == 0))
			rc = job_event(it, j, a, VT_CACHE_NONE, latency_ms, err);
		if (rc == 0 && dead)
			vg_log_error("VirusTotal lookup of %s for alert %s given up after %lld "
				     "attempts: %s",
				     j->sha256, j->alert_id, (long long)j->attempts + 1, a->detail);
	}
	return rc;
}

void int__vt_done(void *ctx, void *lookup_ctx, const struct vt_answer *answer, long latency_ms)
{
	struct integrator *it = ctx;
	char *sha256 = lookup_ctx;
	struct vt_answer v = *answer, *a = &v;
	struct vg_err err = VG_ERR_INIT;
	size_t n = 0;
	int rc = vt_jobs_for_sha256(it->jobs, sha256, it->batch, INT_JOBS_BATCH, &n, &err);

	if (a->outcome != VT_NETWORK)
		reachable(it);
	if (v.sha256[0] == '\0') /* a not-found answer names no hash: the one asked */
		snprintf(v.sha256, sizeof(v.sha256), "%s", sha256);
	if (rc == 0)
		rc = int__begin(it, &err);
	if (rc == 0) {
		if (a->outcome == VT_FOUND || a->outcome == VT_NOT_FOUND)
			rc = on_verdict(it, it->batch, n, a, latency_ms, &err);
		else if (a->outcome == VT_QUOTA || a->outcome == VT_AUTH)
			rc = on_pause(it, it->batch, n, a, &err);
		else if (a->outcome == VT_NETWORK)
			rc = on_unreachable(it, it->batch, n, a, &err);
		else
			rc = on_failure(it, it->batch, n, a, latency_ms, &err);
		rc = int__end(it, rc, &err);
	}
	if (rc != 0) /* the jobs stay in flight: queued again at the next start */
		vg_log_error("VirusTotal answer for %s not recorded: %s", sha256, err.msg);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (it->batch[i].state == VT_JOB_IN_FLIGHT || a->outcome == VT_FOUND ||
		    a->outcome == VT_NOT_FOUND)
			log_job(it, &it->batch[i], a, VT_CACHE_MISS, latency_ms);
	vg_free(sha256);
}
