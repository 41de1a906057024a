/*
 * responder.c - Alerts into commands, commands to agents, reports back (see
 * responder.h).
 *
 * A round: record the ACKs heard since the last one; read new alerts and,
 * with the position, queue their commands and record the reports that came
 * back (one transaction); hand the queued commands over; withdraw the
 * expired ones (their report goes through an event outbox in the same
 * transaction as the state change); deliver that outbox; sleep until woken
 * or RESPONDER_POLL_MS.
 */
#include "manager/responder.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ar/actions.h"
#include "ar/arlog.h"
#include "lib/clock.h"
#include "lib/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/notify.h"
#include "lib/str.h"
#include "manager/cmdq.h"
#include "manager/evoutbox.h"
#include "manager/registry.h"
#include "manager/store.h"

#define ACKS_MAX 4096 /* ACKs heard between two rounds; more are heard again */

struct responder {
	struct responder_opts o;
	char *home, *manager_name;
	struct cmdq *q;
	struct mgr_evoutbox *outbox;
	struct store_reader *store;  /* followed */
	struct store_reader *lookup; /* single alerts, inside the follow's callback */
	struct reg *reg;
	uint64_t pushed_upto; /* queued commands handed over up to this id */
	pthread_mutex_t mu;   /* guards acks */
	uint64_t acks[ACKS_MAX];
	size_t nacks;
	struct vg_notify wake;
	atomic_bool stop;
	pthread_t thread;
	bool running;
};

/* ---------------------------------------------------------------- ACKs */

void responder_acked(struct responder *r, const char *agent_id, uint64_t id)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->nacks < ACKS_MAX)
		r->acks[r->nacks++] = id; /* else: still queued, pushed again, ACKed again */
	pthread_mutex_unlock(&r->mu);
	vg_notify_kick(&r->wake);
}

static int record_acks(struct responder *r, struct vg_err *err)
{
	uint64_t ids[ACKS_MAX];
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	n = r->nacks;
	memcpy(ids, r->acks, n * sizeof(ids[0]));
	r->nacks = 0;
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cmdq_set_state(r->q, ids[i], "taken", NULL, vg_clock_ms(CLOCK_REALTIME), err);
	return rc;
}

/* ---------------------------------------------------------------- alerts in */

/* The FIM alert a VirusTotal alert answers (owned), or NULL. */
static json_t *source_alert(struct responder *r, const json_t *alert)
{
	const json_t *src = json_object_get(
	    json_object_get(json_object_get(alert, "data"), "virustotal"), "source");
	const char *id = json_string_value(json_object_get(src, "alert_id"));
	char *text = NULL;
	json_t *fim;

	if (id == NULL || store_get(r->lookup, id, &text, NULL) != 0)
		return NULL;
	fim = json_loads(text, 0, NULL);
	vg_free(text);
	return fim;
}

static bool is_deletion(const json_t *alert)
{
	const char *ev =
	    json_string_value(json_object_get(json_object_get(alert, "syscheck"), "event"));

	return ev != NULL && strcmp(ev, "deleted") == 0;
}

/*
 * The file a built-in acts on: the alert's, with the inode of the FIM alert
 * behind a verdict. NULL when there is nothing to act on: no file with a
 * sha256, or a verdict about a file that was deleted (the lookup of a
 * deletion: Wazuh's virustotal.py asks about those too).
 */
static json_t *target_of(struct responder *r, const json_t *alert)
{
	struct ar_target t, ft;
	json_t *fim = NULL, *out = NULL;

	if (ar_target_of_alert(alert, &t, NULL) != 0 || is_deletion(alert))
		return NULL;
	fim = source_alert(r, alert);
	if (fim == NULL || !is_deletion(fim)) {
		if (t.inode == 0 && fim != NULL && ar_target_of_alert(fim, &ft, NULL) == 0 &&
		    strcmp(ft.path, t.path) == 0)
			t.inode = ft.inode;
		out = json_pack("{s:s,s:s,s:I}", "path", t.path, "sha256", t.sha256, "inode",
				(json_int_t)t.inode);
	}
	json_decref(fim);
	return out;
}

/* The COMMAND JSON (without id) block ar sends for alert. */
static json_t *command_of(struct responder *r, const struct mgr_active_response *ar, json_t *alert)
{
	const struct mgr_ar_command *c = mgr_ar_command_of(r->o.conf, ar);
	json_t *j = json_object();

	json_object_set_new(j, "type", json_string("active-response"));
	json_object_set_new(j, "name", json_string(ar->command));
	if (c == NULL) {
		json_t *target = target_of(r, alert);
		if (target == NULL) {
			json_decref(j);
			return NULL;
		}
		json_object_set_new(
		    j, "builtin",
		    json_string(ar->kind == MGR_AR_BUILTIN_QUAR ? "quarantine" : "remove-threat"));
		json_object_set_new(j, "target", target);
	} else {
		json_object_set_new(j, "executable", json_string(c->executable));
		if (c->extra_args != NULL)
			json_object_set_new(j, "extra_args", json_string(c->extra_args));
		json_object_set_new(j, "timeout", json_integer(ar->timeout));
	}
	json_object_set(j, "alert", alert);
	return j;
}

struct target_ctx {
	struct responder *r;
	const char *text; /* the command */
	int64_t now, expires;
	size_t n;
	int rc;
	struct vg_err *err;
};

static int queue_for(struct target_ctx *t, const char *agent_id)
{
	uint64_t id;

	t->rc = cmdq_add(t->r->q, agent_id, t->text, t->now, t->expires, &id, t->err);
	if (t->rc == 0) {
		t->n++;
		vg_log_info("command %" PRIu64 " queued for agent %s", id, agent_id);
	}
	return t->rc;
}

static int queue_each_agent(void *ctx, const struct reg_agent *a)
{
	return queue_for(ctx, a->id);
}

/* Queue ar's command for each agent its location names. */
static int queue_command(struct responder *r, const struct mgr_active_response *ar,
			 const struct store_alert *a, json_t *alert, struct vg_err *err)
{
	json_t *cmd = command_of(r, ar, alert);
	char *text;

	if (cmd == NULL) {
		vg_log_debug("alert %s: no file to act on (none named, or deleted)", a->id);
		return 0;
	}
	text = json_dumps(cmd, JSON_COMPACT);
	int64_t now = vg_clock_ms(CLOCK_REALTIME);
	int64_t life = ar->expire > 0 ? ar->expire : ar->timeout > 0 ? ar->timeout : r->o.expire_s;
	struct target_ctx t = {r, text, now, now + life * 1000, 0, 0, err};

	json_decref(cmd);
	if (text == NULL)
		return vg_err_set(err, VG_EINTERNAL, "cannot build a command");
	switch (ar->location) {
	case MGR_AR_LOCAL:
		queue_for(&t, a->agent_id != NULL ? a->agent_id : "000");
		break;
	case MGR_AR_SERVER:
		queue_for(&t, "000");
		break;
	case MGR_AR_DEFINED_AGENT:
		queue_for(&t, ar->agent_id);
		break;
	case MGR_AR_ALL:
		if (reg_list(r->reg, NULL, queue_each_agent, &t, err) != 0 && t.rc == 0)
			t.rc = VG_EINTERNAL;
		break;
	}
	vg_free(text);
	return t.rc;
}

/* The view of an agent's quarantine after a report. */
static int record_quarantine(struct responder *r, const char *agent_id, const json_t *v,
			     struct vg_err *err)
{
	const char *action = json_string_value(json_object_get(v, "action"));
	const char *qid = json_string_value(json_object_get(v, "quarantine_id"));
	const json_t *manifest = json_object_get(v, "manifest");
	const char *state = NULL;
	char *text;
	int rc;

	if (qid == NULL || manifest == NULL || action == NULL)
		return 0;
	if (strcmp(action, "quarantine") == 0)
		state = "quarantined";
	else if (strcmp(action, "restore") == 0)
		state = "restored";
	else if (strcmp(action, "delete") == 0)
		state = "deleted";
	else
		return 0;
	text = json_dumps(manifest, JSON_COMPACT);
	rc = cmdq_quarantine_put(r->q, agent_id, qid, state,
				 json_string_value(json_object_get(manifest, "path")),
				 text != NULL ? text : "{}", vg_clock_ms(CLOCK_REALTIME), err);
	vg_free(text);
	return rc;
}

/* A decoded number: the JSON decoder keeps Wazuh's strings ("5"). 0 if none. */
static uint64_t json_uint(const json_t *j)
{
	uint64_t v = 0;

	if (json_is_integer(j) && json_integer_value(j) > 0)
		return (uint64_t)json_integer_value(j);
	if (json_is_string(j) && vg_parse_u64(json_string_value(j), UINT64_MAX, &v) != 0)
		return 0;
	return v;
}

/*
 * Is command id the reporting agent's own? The alert's agent comes from its
 * connection, the id from a line the agent wrote: one agent must not settle
 * (or fake the result of) another's command.
 */
static bool own_command(struct responder *r, const struct store_alert *a, uint64_t id)
{
	struct cmdq_row row;

	if (cmdq_get(r->q, id, &row, NULL) != 0)
		return false;
	if (a->agent_id != NULL && strcmp(row.agent_id, a->agent_id) == 0)
		return true;
	vg_log_warn("agent %s reported on command %" PRIu64 " of agent %s: ignored",
		    a->agent_id != NULL ? a->agent_id : "(none)", id, row.agent_id);
	return false;
}

/* An active-response report: the command's result, the quarantine view. */
static int record_report(struct responder *r, const struct store_alert *a, const json_t *alert,
			 struct vg_err *err)
{
	const json_t *v = json_object_get(json_object_get(alert, "data"), "vigie");
	const char *status = json_string_value(json_object_get(v, "status"));
	uint64_t id = json_uint(json_object_get(v, "command_id"));
	int rc = 0;

	if (status == NULL)
		return 0; /* a script's own line: its command was accounted for at its ACK */
	if (id > 0 && !own_command(r, a, id))
		id = 0; /* unknown, or another agent's: its own quarantine view still counts */
	if (strcmp(status, "done") == 0 || strcmp(status, "refused") == 0 ||
	    strcmp(status, "failed") == 0) {
		json_t *res = json_deep_copy(v);
		json_object_del(res, "manifest");
		char *text = json_dumps(res, JSON_COMPACT);
		if (id > 0)
			rc = cmdq_set_state(r->q, id, status, text, vg_clock_ms(CLOCK_REALTIME),
					    err);
		vg_free(text);
		json_decref(res);
	}
	if (rc == 0 && strcmp(status, "done") == 0 && a->agent_id != NULL)
		rc = record_quarantine(r, a->agent_id, v, err);
	return rc;
}

static bool is_report(const struct store_alert *a)
{
	return a->groups != NULL && strstr(a->groups, "active_response") != NULL;
}

struct pull {
	struct responder *r;
	int rc;
	struct vg_err *err;
};

/* Reports, and the alerts a block binds a response to: the rule decides
 * (ar_matches reads rule id, level and groups), so the store skips the
 * other rule classes' rows without reading them. */
static bool pull_wants(void *ctx, const struct store_alert *head)
{
	const struct pull *p = ctx;
	const struct mgr_ar_conf *conf = p->r->o.conf;

	if (is_report(head))
		return true;
	for (size_t i = 0; i < conf->n; i++)
		if (ar_matches(&conf->items[i], head))
			return true;
	return false;
}

static int take_alert(void *ctx, int64_t row, const struct store_alert *a)
{
	struct pull *p = ctx;
	struct responder *r = p->r;
	json_t *alert = json_loadb(a->json, a->json_len, 0, NULL);

	(void)row;
	if (alert == NULL)
		return 0; /* the store holds valid JSON; nothing to act on otherwise */
	for (size_t i = 0; i < r->o.conf->n && p->rc == 0 && !is_report(a); i++)
		if (ar_matches(&r->o.conf->items[i], a))
			p->rc = queue_command(r, &r->o.conf->items[i], a, alert, p->err);
	if (p->rc == 0 && is_report(a))
		p->rc = record_report(r, a, alert, p->err);
	json_decref(alert);
	return p->rc != 0;
}

/* New alerts into commands and results, with the position, in one transaction. */
static int pull_alerts(struct responder *r, bool *more, struct vg_err *err)
{
	struct pull p = {r, 0, err};
	struct store_follow f = {.limit = RESPONDER_BATCH, .classes = pull_wants};
	int rc = cmdq_position(r->q, &f.after, err);

	*more = false;
	if (rc == 0)
		rc = vg_db_begin(cmdq_db(r->q), err);
	if (rc == 0)
		rc = store_follow(r->store, &f, take_alert, &p, err);
	if (rc == 0)
		rc = p.rc;
	if (rc == 0 && f.seen == 0 && f.after > f.last_row)
		f.through = 0; /* retention emptied the store: its numbering starts again */
	if (rc == 0 && f.through != f.after)
		rc = cmdq_set_position(r->q, f.through, err);
	rc = vg_db_end(cmdq_db(r->q), rc, err);
	*more = rc == 0 && f.seen == RESPONDER_BATCH;
	return rc;
}

/* ---------------------------------------------------------------- commands out */

struct push {
	struct responder *r;
	uint64_t last, first_failed;
	size_t n;
};

/* The command text with its id, for the local executor. */
static char *with_id(const struct cmdq_row *row)
{
	json_t *j = json_loads(row->json, 0, NULL);
	char *text;

	json_object_set_new(j, "id", json_integer((json_int_t)row->id));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static int push_local(struct responder *r, const struct cmdq_row *row, struct vg_err *err)
{
	char *text = with_id(row);
	uint64_t id;
	bool dup;
	int rc = text != NULL ? ar_exec_submit(r->o.local, text, strlen(text), &id, &dup, err)
			      : vg_err_set(err, VG_EINTERNAL, "cannot build a command");

	vg_free(text);
	if (rc == 0 || rc == VG_EPARSE) /* taken, or never runnable: either way not queued */
		responder_acked(r, "000", row->id);
	return rc == VG_EPARSE ? 0 : rc;
}

static int push_one(void *ctx, const struct cmdq_row *row)
{
	struct push *p = ctx;
	struct responder *r = p->r;
	struct vg_err e = VG_ERR_INIT;
	int rc;

	if (strcmp(row->agent_id, "000") == 0)
		rc = r->o.local != NULL ? push_local(r, row, &e)
					: vg_err_set(&e, VG_ENOTFOUND, "no local executor");
	else
		rc = r->o.remote != NULL
			 ? remote_command(r->o.remote, row->agent_id, row->id, row->json, &e)
			 : vg_err_set(&e, VG_ENOTFOUND, "no agent channel");
	if (rc != 0) {
		vg_log_debug("command %" PRIu64 " for agent %s waits: %s", row->id, row->agent_id,
			     e.msg);
		if (p->first_failed == 0)
			p->first_failed = row->id;
	}
	p->last = row->id;
	p->n++;
	return 0;
}

static int push_commands(struct responder *r, bool *more, struct vg_err *err)
{
	struct push p = {r, 0, 0, 0};
	int rc = cmdq_queued(r->q, r->pushed_upto, RESPONDER_BATCH, push_one, &p, err);

	if (rc == 0 && p.n > 0)
		r->pushed_upto = p.first_failed != 0 ? p.first_failed - 1 : p.last;
	*more = rc == 0 && p.n == RESPONDER_BATCH && p.first_failed == 0;
	return rc;
}

/* ---------------------------------------------------------------- expiry */

/* The report of an expired command into the event outbox, as the agent's. */
static int report_expired(struct responder *r, const struct cmdq_row *row, struct vg_err *err)
{
	json_t *cmd = json_loads(row->json, 0, NULL);
	struct ar_act a = {r->home, r->manager_name, NULL, row->id, json_object_get(cmd, "alert")};
	struct ar_outcome o = {AR_REFUSED, "", "", NULL};
	struct ar_what w = ar_what_of(cmd, &o);
	struct ar_target t = {NULL, NULL, 0};
	struct reg_agent ag = {0};
	struct vg_buf b = VG_BUF_INIT(AR_LOG_LINE_MAX + 1);
	const char *words = NULL;
	json_t *m = NULL;
	int rc;

	snprintf(o.reason, sizeof(o.reason),
		 "agent %s did not take the command before it expired (%" PRId64 " s)",
		 row->agent_id, (row->expires_ms - row->created_ms) / 1000);
	if (ar_target_of_alert(a.alert, &t, NULL) != 0)
		t.path = NULL;
	if (reg_get(r->reg, row->agent_id, &ag, NULL) != 0)
		vg_strlcpy(ag.name, "unknown", sizeof(ag.name));
	rc = ar_act_message(&a, w.program, w.cmd, w.action, t.path, &o, &m, &words, err);
	if (rc == 0)
		rc = ar_log_format(&b, time(NULL), w.program, m, words, err);
	if (rc == 0) /* the line without its newline */
		rc = mgr_evoutbox_add(r->outbox, row->agent_id, ag.name, "", "active-response",
				      b.data, b.len - 1, err);
	vg_buf_free(&b);
	json_decref(m);
	json_decref(cmd);
	return rc;
}

struct expire {
	struct responder *r;
	int rc;
	struct vg_err *err;
};

static int expire_one(void *ctx, const struct cmdq_row *row)
{
	struct expire *x = ctx;
	struct responder *r = x->r;

	if (r->o.remote != NULL && strcmp(row->agent_id, "000") != 0 &&
	    !remote_command_cancel(r->o.remote, row->id) && r->pushed_upto >= row->id)
		return 0; /* on its way: the agent's ACK decides */
	x->rc = cmdq_set_state(r->q, row->id, "expired", NULL, vg_clock_ms(CLOCK_REALTIME), x->err);
	if (x->rc == 0)
		x->rc = report_expired(r, row, x->err);
	if (x->rc == 0)
		vg_log_warn("command %" PRIu64 " for agent %s expired", row->id, row->agent_id);
	return x->rc;
}

static int expire_commands(struct responder *r, struct vg_err *err)
{
	struct expire x = {r, 0, err};
	int rc = vg_db_begin(cmdq_db(r->q), err);

	if (rc == 0)
		rc = cmdq_expired(r->q, vg_clock_ms(CLOCK_REALTIME), RESPONDER_BATCH, expire_one,
				  &x, err);
	if (rc == 0)
		rc = x.rc;
	return vg_db_end(cmdq_db(r->q), rc, err);
}

/* ---------------------------------------------------------------- the thread */

static void step(struct responder *r, const char *what, int rc, struct vg_err *e)
{
	if (rc != 0)
		vg_log_error("responder: %s: %s", what, e->msg);
	vg_err_clear(e);
}

static void *thread_main(void *arg)
{
	struct responder *r = arg;
	struct vg_err e = VG_ERR_INIT;

	while (!atomic_load(&r->stop)) {
		bool more_alerts = false, more_cmds = false;
		step(r, "recording ACKs", record_acks(r, &e), &e);
		step(r, "reading alerts", pull_alerts(r, &more_alerts, &e), &e);
		step(r, "handing commands over", push_commands(r, &more_cmds, &e), &e);
		step(r, "expiring commands", expire_commands(r, &e), &e);
		step(r, "delivering reports", mgr_evoutbox_deliver(r->outbox, &e), &e);
		if (!more_alerts && !more_cmds)
			vg_notify_wait(&r->wake, (uint64_t)RESPONDER_POLL_MS * 1000000u);
	}
	return NULL;
}

int responder_open(const struct responder_opts *o, struct responder **out, struct vg_err *err)
{
	struct responder *r = vg_xcalloc(1, sizeof(*r));
	struct reg_opts ro = REG_OPTS_INIT;
	char *store = vg_xasprintf("%s/queue/alerts.db", o->home);
	char *reg = reg_path(o->home);
	int rc;

	*out = NULL;
	r->o = *o;
	r->home = vg_xstrdup(o->home);
	r->manager_name = vg_xstrdup(o->manager_name != NULL ? o->manager_name : "manager");
	r->o.home = r->home;
	r->o.manager_name = r->manager_name;
	if (r->o.expire_s <= 0)
		r->o.expire_s = RESPONDER_EXPIRE_S;
	pthread_mutex_init(&r->mu, NULL);
	vg_notify_init(&r->wake);
	ro.readonly = true;
	rc = cmdq_open(o->home, false, &r->q, err);
	if (rc == 0)
		rc = mgr_evoutbox_open(cmdq_db(r->q), "ar_outbox", o->queue, RESPONDER_SOURCE,
				       &r->stop, &r->outbox, err);
	if (rc == 0)
		rc = store_reader_open(store, &r->store, err);
	if (rc == 0)
		rc = store_reader_open(store, &r->lookup, err);
	if (rc == 0)
		rc = reg_open(reg, &ro, &r->reg, err);
	vg_free(store);
	vg_free(reg);
	if (rc != 0)
		responder_close(r);
	else
		*out = r;
	return rc;
}

int responder_start(struct responder *r, struct vg_err *err)
{
	int rc = pthread_create(&r->thread, NULL, thread_main, r);

	if (rc != 0)
		return vg_err_errno(err, rc, "cannot start the responder thread");
	r->running = true;
	return 0;
}

void responder_wake(struct responder *r)
{
	if (r != NULL)
		vg_notify_kick(&r->wake);
}

void responder_stop(struct responder *r)
{
	if (r == NULL || !r->running)
		return;
	atomic_store(&r->stop, true);
	vg_notify_kick(&r->wake);
	pthread_join(r->thread, NULL);
	r->running = false;
}

void responder_close(struct responder *r)
{
	if (r == NULL)
		return;
	responder_stop(r);
	mgr_evoutbox_close(r->outbox);
	cmdq_close(r->q);
	store_reader_close(r->store);
	store_reader_close(r->lookup);
	reg_close(r->reg);
	vg_notify_destroy(&r->wake);
	pthread_mutex_destroy(&r->mu);
	vg_free(r->home);
	vg_free(r->manager_name);
	vg_free(r);
}
