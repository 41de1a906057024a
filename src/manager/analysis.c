/*
 * analysis.c - The analysis pipeline (see analysis.h).
 *
 * A batch is one store transaction. For each record read from the queue:
 * split "location\nline", decode, evaluate the rules, and for an alert
 * write alerts.json/alerts.log (which assigns the id) and add the store row.
 * After each record that succeeded, batch_pos remembers where the alert
 * files end (counting alerts the writer still keeps in memory), so a
 * failure at record k cuts the files back to the end of record k-1 and
 * commits exactly what precedes it, once the writer has drained it to disk.
 * Record k stays decoded and evaluated (retry_seq), so the retry writes the
 * same alert and its rule counts it once, however long the disk was full.
 *
 * A batch reads the queue first (half the batch when agents' records
 * wait, so neither input starves the other), then the agents' FIFO. Both
 * kinds go through process() as a vg_dq_rec: an agent's record has the
 * FIFO's seq (unique, clock-based), its agent as source and its event id
 * as source_seq. The commit writes the FIFO's marks of the records read,
 * then releases them; a rollback rewinds the FIFO.
 */
#include "manager/analysis.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/alert.h"
#include "manager/alerts_file.h"
#include "manager/decode.h"
#include "manager/evqueue.h"
#include "manager/store.h"
#include "manager/store_writer.h"

/* Bounds of the agent prefix's parts (the registry's: manager/registry.h). */
#define AN_SRC_ID_MAX 23
#define AN_SRC_NAME_MAX 128
#define AN_SRC_IP_MAX 63

struct an_pipeline {
	struct vg_dq *queue;
	struct mgr_ingest *ingest; /* may be NULL */
	struct an_settings settings;
	char *manager_name;
	const struct rules_set *rules;
	struct rules_state *state;
	struct an_alerts_file *alerts;
	struct an_alert_fmt *fmt; /* the store's JSON when alerts.json is off */
	struct store *store;
	struct store_writer *store_writer; /* store_add on its own thread */
	struct an_decoded *decoded;
	struct vg_buf json;
	char location[MGR_EVQUEUE_MAX_LOCATION + 1];
	/* of an agent's record: "[ID] (NAME) IP->LOCATION" (remote_session.c) */
	char src_id[AN_SRC_ID_MAX + 1];
	char src_name[AN_SRC_NAME_MAX + 1];
	char src_ip[AN_SRC_IP_MAX + 1];
	size_t batch_max;
	int64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
	/* the open batch */
	struct an_alerts_pos batch_start; /* the alert files before it */
	uint64_t batch_last;              /* seq of the last queue record done */
	size_t batch_in;                  /* FIFO records done in the open batch */
	struct an_alerts_pos batch_pos;   /* the alert files after it */
	int batch_rc;                     /* first failure, stops the batch */
	bool batch_open;                  /* done, not committed: its alerts could not be drained */
	/* the record whose alert failed to write: decoded and evaluated once,
	 * so a retry writes the same alert and counts it (firedtimes) once */
	uint64_t retry_seq;
	const struct an_rule_info *retry_rule; /* borrowed from state */
	struct vg_err batch_err;
	struct an_pipeline_stats stats;
};

static int64_t now_ms(const struct an_pipeline *p)
{
	struct timespec ts;
	if (p->clock_ms != NULL)
		return p->clock_ms(p->clock_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- positions */

/* The alert files' position as the store's checkpoint text: "DAY JSON LOG". */
static void pos_format(const struct an_alerts_pos *pos, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRId32 " %" PRIu64 " %" PRIu64, pos->day, pos->json_size,
		 pos->log_size);
}

static int pos_parse(const char *text, struct an_alerts_pos *pos, struct vg_err *err)
{
	if (sscanf(text, "%" SCNd32 " %" SCNu64 " %" SCNu64, &pos->day, &pos->json_size,
		   &pos->log_size) != 3)
		return vg_err_set(err, VG_EPARSE,
				  "alert store checkpoint \"%s\" is not DAY JSON LOG", text);
	return 0;
}

/*
 * A new store has no checkpoint: anchor one at the files' current end, so
 * that a crash before the first batch commits cuts back to here (and not
 * to nothing, which would keep that batch's alerts and write them again).
 */
static int anchor(struct an_pipeline *p, struct vg_err *err)
{
	struct an_alerts_pos pos;
	char text[96];
	int rc = store_begin(p->store, err);

	an_alerts_file_position(p->alerts, &pos);
	pos_format(&pos, text, sizeof(text));
	if (rc == 0)
		rc = store_commit(p->store, 0, text, err);
	return rc;
}

/* A committed agent mark: its records at or below it are done. */
static void seed_mark(void *ctx, const char *source, uint64_t last_seq)
{
	mgr_ingest_seed(ctx, source, last_seq);
}

/* Cut the alert files back to the store's checkpoint; set the cursor. */
static int recover(struct an_pipeline *p, struct vg_err *err)
{
	char *text = NULL;
	struct an_alerts_pos pos;
	int rc = store_checkpoint(p->store, &p->stats.cursor, &text, err);

	if (rc == 0 && text[0] == '\0')
		rc = anchor(p, err);
	else if (rc == 0 && (rc = pos_parse(text, &pos, err)) == 0)
		rc = an_alerts_file_truncate_to(p->alerts, &pos, err);
	if (rc == 0 && p->stats.cursor > 0)
		vg_log_info("analysis resumes after queue record %" PRIu64, p->stats.cursor);
	if (rc == 0 && p->ingest != NULL) {
		mgr_ingest_rewind(p->ingest); /* a previous pipeline's uncommitted reads */
		rc = store_marks(p->store, seed_mark, p->ingest, err);
	}
	vg_free(text);
	return rc;
}

/* ---------------------------------------------------------------- records */

static const char *agent_name(const struct an_pipeline *p, const char *agent_id)
{
	/* agent 000 is the manager itself; others get names from enrollment */
	return strcmp(agent_id, "000") == 0 ? p->manager_name : agent_id;
}

/* The alert's JSON line for the store: alerts.json's, or formatted anew. */
static int alert_json(struct an_pipeline *p, const struct an_event *ev,
		      const struct an_rule_info *rule, const struct an_alert_id *id,
		      const char **json, size_t *len, struct vg_err *err)
{
	*json = an_alerts_file_last_json(p->alerts, len);
	if (*len > 0)
		return 0;
	vg_buf_reset(&p->json);
	int rc = an_alert_format_json(p->fmt, ev, rule, id, &p->json, err);
	*json = vg_buf_cstr(&p->json);
	*len = p->json.len;
	return rc;
}

static int emit(struct an_pipeline *p, const struct vg_dq_rec *rec, const struct an_event *ev,
		const struct an_rule_info *rule, struct vg_err *err)
{
	struct an_alert_id id;
	struct store_alert row;
	char idstr[AN_ALERT_ID_MAX];
	const char *json;
	size_t len;
	int rc = an_alerts_file_write(p->alerts, ev, rule, &id, err);

	if (rc != 0)
		return rc;
	if (id.sec == 0) /* both alert files off: still a unique id */
		id = (struct an_alert_id){ev->time_ms / 1000, rec->seq};
	if ((rc = alert_json(p, ev, rule, &id, &json, &len, err)) != 0)
		return rc;
	store_alert_from(&row, an_alert_id_str(&id, idstr), json, len, ev, rule);
	if ((rc = store_writer_add(p->store_writer, &row, err)) == 0)
		p->stats.alerts++;
	return rc;
}

static void skip(struct an_pipeline *p, const struct vg_dq_rec *rec, const char *why)
{
	p->stats.skipped++;
	if (rec->source_seq != 0)
		vg_log_warn("event %" PRIu64 " of agent %s skipped: %s", rec->source_seq,
			    rec->source, why);
	else
		vg_log_warn("queue record %" PRIu64 " from agent %s skipped: %s", rec->seq,
			    rec->source, why);
}

/* Copy s[0..n) into out (cap + 1 bytes); false when it does not fit or is empty. */
static bool copy_part(char *out, size_t cap, const char *s, size_t n)
{
	if (n == 0 || n > cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/*
 * An agent's location "[ID] (NAME) IP->LOC" into p->src_* and p->location
 * (LOC). The ID must be the record's source: the queue's source is what the
 * transport vouched for. A location without the prefix is the manager's own
 * (agent 000 or the record's source, as before). NULL when fine, else why.
 */
static const char *parse_location(struct an_pipeline *p, const struct vg_dq_rec *rec,
				  const char *loc, size_t len, struct an_source *src)
{
	const char *end = loc + len;
	const char *id_end, *name_end, *arrow = NULL;

	*src = (struct an_source){rec->source, agent_name(p, rec->source), NULL, p->location};
	if (len == 0 || loc[0] != '[') {
		if (!copy_part(p->location, MGR_EVQUEUE_MAX_LOCATION, loc, len) && len != 0)
			return "location too long";
		p->location[len] = '\0';
		return NULL;
	}
	id_end = memchr(loc, ']', len);
	if (id_end == NULL || end - id_end < 3 || id_end[1] != ' ' || id_end[2] != '(')
		return "malformed agent location";
	name_end = memchr(id_end + 3, ')', (size_t)(end - id_end - 3));
	if (name_end == NULL || end - name_end < 2 || name_end[1] != ' ')
		return "malformed agent location";
	for (const char *s = name_end + 2; s + 1 < end && arrow == NULL; s++)
		if (s[0] == '-' && s[1] == '>')
			arrow = s;
	if (arrow == NULL ||
	    !copy_part(p->src_id, AN_SRC_ID_MAX, loc + 1, (size_t)(id_end - loc - 1)) ||
	    !copy_part(p->src_name, AN_SRC_NAME_MAX, id_end + 3, (size_t)(name_end - id_end - 3)) ||
	    !copy_part(p->src_ip, AN_SRC_IP_MAX, name_end + 2, (size_t)(arrow - name_end - 2)) ||
	    !copy_part(p->location, MGR_EVQUEUE_MAX_LOCATION, arrow + 2, (size_t)(end - arrow - 2)))
		return "malformed agent location";
	/* '@' sources are the manager's own producers (the integrator): they
	 * speak for the agent whose alert they answer */
	if (strcmp(p->src_id, rec->source) != 0 && rec->source[0] != '@')
		return "agent location names another agent than the record's source";
	*src = (struct an_source){p->src_id, p->src_name,
				  strcmp(p->src_ip, "any") == 0 ? NULL : p->src_ip, p->location};
	return NULL;
}

/* Decode and evaluate one record; only a failure to write is an error. */
static int process(struct an_pipeline *p, const struct vg_dq_rec *rec, struct vg_err *err)
{
	struct vg_err e = VG_ERR_INIT;
	struct rules_result res;
	struct an_source src;
	const char *loc, *line, *why;
	size_t loc_len, line_len;

	if (rec->seq == p->retry_seq) /* decoded and evaluated already */
		return emit(p, rec, an_decoded_event(p->decoded), p->retry_rule, err);
	if (mgr_evqueue_split(rec->data, rec->len, &loc, &loc_len, &line, &line_len, &e) != 0) {
		skip(p, rec, e.msg);
		return 0;
	}
	if ((why = parse_location(p, rec, loc, loc_len, &src)) != NULL) {
		skip(p, rec, why);
		return 0;
	}
	if (an_decode_into(p->decoded, &src, line, line_len, now_ms(p), &e) != 0) {
		skip(p, rec, e.msg);
		return 0;
	}
	if (an_decoded_kind(p->decoded) != AN_DECODED_EVENT)
		return 0;
	p->stats.events++;
	const struct an_event *ev = an_decoded_event(p->decoded);
	if (rules_eval(p->rules, p->state, ev, &res, NULL, &e) != 0) {
		skip(p, rec, e.msg);
		return 0;
	}
	if (res.alert == NULL || res.no_log || res.ignored ||
	    !an_alerts_file_wants(p->alerts, res.alert->level))
		return 0;
	int rc = emit(p, rec, ev, res.alert, err);
	if (rc != 0) {
		p->retry_seq = rec->seq;
		p->retry_rule = res.alert;
	}
	return rc;
}

/* ---------------------------------------------------------------- batches */

static int on_record(void *ctx, const struct vg_dq_rec *rec)
{
	struct an_pipeline *p = ctx;
	int rc = process(p, rec, &p->batch_err);

	if (rc != 0) {
		p->batch_rc = rc;
		return 1; /* stop the batch before this record */
	}
	p->retry_seq = 0;
	p->batch_last = rec->seq;
	an_alerts_file_position(p->alerts, &p->batch_pos);
	return 0;
}

/* An agent record from the FIFO: the same as a queue record. */
static int on_agent_record(void *ctx, const struct mgr_ingest_item *it)
{
	struct an_pipeline *p = ctx;
	const struct vg_dq_rec rec = {it->seq, it->agent, it->id, it->data, it->len};
	int rc = process(p, &rec, &p->batch_err);

	if (rc != 0) {
		p->batch_rc = rc;
		return 1; /* stays first in the FIFO */
	}
	p->retry_seq = 0;
	p->batch_in++;
	an_alerts_file_position(p->alerts, &p->batch_pos);
	return 0;
}

static bool batch_done_any(const struct an_pipeline *p)
{
	return p->batch_last != p->stats.cursor || p->batch_in > 0;
}

struct mark_ctx {
	struct an_pipeline *p;
	struct vg_err *err;
};

static int write_mark(void *ctx, const char *agent, uint64_t id)
{
	struct mark_ctx *m = ctx;
	return store_mark(m->p->store, agent, id, m->err);
}

/* Not committed: the FIFO's records read are read again by the next batch. */
static void unread_agents(struct an_pipeline *p)
{
	if (p->ingest != NULL)
		mgr_ingest_rewind(p->ingest);
	p->batch_in = 0;
}

/*
 * Commit the records done so far with the checkpoint and the agents'
 * marks, then release the agents' records (which lets the channel ACK
 * them) and trim the queue.
 */
static int commit(struct an_pipeline *p, struct vg_err *err)
{
	struct vg_err e = VG_ERR_INIT;
	struct mark_ctx mc = {p, err};
	char pos[96];
	/* the rows handed over are in the transaction; a failed one fails it */
	int rc = store_writer_sync(p->store_writer, err);

	if (rc != 0)
		return rc; /* the caller rolls back */
	if (!batch_done_any(p)) {
		store_rollback(p->store);
		return 0;
	}
	pos_format(&p->batch_pos, pos, sizeof(pos));
	if (p->batch_in > 0)
		rc = mgr_ingest_marks_read(p->ingest, write_mark, &mc);
	if (rc != 0)
		return rc; /* the caller rolls back */
	if ((rc = store_commit(p->store, p->batch_last, pos, err)) != 0)
		return rc;
	if (p->batch_in > 0) {
		mgr_ingest_release(p->ingest);
		p->stats.agents += p->batch_in;
		p->batch_in = 0;
	}
	if (p->batch_last == p->stats.cursor)
		return 0;
	p->stats.cursor = p->batch_last;
	/* committed: a failed trim only delays the queue's cleanup */
	if (vg_dq_trim(p->queue, p->stats.cursor, &e) != 0)
		vg_log_warn("event queue not trimmed: %s", e.msg);
	return 0;
}

/* Cut the alert files back to pos; a failure is retried by the next write. */
static void cut_files(struct an_pipeline *p, const struct an_alerts_pos *pos)
{
	struct vg_err e = VG_ERR_INIT;
	if (an_alerts_file_truncate_to(p->alerts, pos, &e) != 0)
		vg_log_error("alert files not cut back: %s", e.msg);
}

/*
 * End the batch: drain the alerts the files keep (the checkpoint names file
 * sizes, so they must be in the files first), commit, trim. A failed drain
 * leaves the batch open, its store transaction and kept alerts intact, for
 * the next run to drain again: rolling it back would evaluate its records
 * twice (rule frequencies, firedtimes). Other failures roll it back.
 */
static int finish_batch(struct an_pipeline *p, struct vg_err *err)
{
	int rc;

	if (batch_done_any(p) && (rc = an_alerts_file_drain(p->alerts, err)) != 0) {
		p->batch_open = true;
		return rc;
	}
	p->batch_open = false;
	if ((rc = commit(p, err)) != 0) { /* nothing committed: nothing may stay in the files */
		store_rollback(p->store);
		cut_files(p, &p->batch_start);
		unread_agents(p);
	}
	return rc;
}

static int run_batch(struct an_pipeline *p, size_t *n, struct vg_err *err)
{
	bool agents = p->ingest != NULL && mgr_ingest_pending(p->ingest);
	size_t qmax = agents ? (p->batch_max + 1) / 2 : p->batch_max;
	int rc, crc;

	*n = 0;
	an_alerts_file_position(p->alerts, &p->batch_start);
	p->batch_pos = p->batch_start;
	p->batch_last = p->stats.cursor;
	p->batch_in = 0;
	p->batch_rc = 0;
	vg_err_clear(&p->batch_err);
	if ((rc = store_begin(p->store, err)) != 0)
		return rc;
	rc = vg_dq_read(p->queue, p->stats.cursor, qmax, on_record, p, n, err);
	if (rc == 0 && p->batch_rc == 0 && agents && *n < p->batch_max)
		*n += mgr_ingest_read(p->ingest, p->batch_max - *n, on_agent_record, p);
	if (rc == 0 && p->batch_rc != 0)
		rc = vg_err_set(err, p->batch_rc, "%s", p->batch_err.msg);
	if (rc != 0) /* the files must end where the part to commit ends */
		cut_files(p, &p->batch_pos);
	crc = finish_batch(p, rc == 0 ? err : NULL);
	return rc != 0 ? rc : crc;
}

/*
 * Records in either input, waiting up to timeout_ms. With a FIFO the wait
 * is on it: queue producers kick it, and the generation taken before
 * looking at the queue makes a kick in between end the wait at once.
 */
static bool input_wait(struct an_pipeline *p, int timeout_ms)
{
	if (p->ingest == NULL)
		return vg_dq_wait(p->queue, p->stats.cursor, timeout_ms);
	uint64_t gen = mgr_ingest_gen(p->ingest);
	if (mgr_ingest_pending(p->ingest) || vg_dq_wait(p->queue, p->stats.cursor, 0))
		return true;
	return mgr_ingest_wait(p->ingest, gen, timeout_ms) ||
	       vg_dq_wait(p->queue, p->stats.cursor, 0);
}

int an_pipeline_run(struct an_pipeline *p, int timeout_ms, size_t *done, struct vg_err *err)
{
	size_t total = 0, n;
	int rc = 0;

	if (p->batch_open && (rc = finish_batch(p, err)) != 0)
		goto out;
	if (input_wait(p, timeout_ms)) {
		do {
			rc = run_batch(p, &n, err);
			total += n;
		} while (rc == 0 && n == p->batch_max);
	}
out:
	if (done != NULL)
		*done = total;
	return rc;
}

/* ---------------------------------------------------------------- life cycle */

int an_pipeline_set_rules(struct an_pipeline *p, const struct rules_set *set, struct vg_err *err)
{
	struct rules_state *st = NULL;
	int rc = rules_state_new(set, &st, err);

	if (rc != 0)
		return rc;
	rules_state_free(p->state);
	p->state = st; /* transferred */
	p->rules = set;
	p->retry_seq = 0; /* its rule belonged to the old state */
	return 0;
}

static int open_outputs(struct an_pipeline *p, const struct an_pipeline_opts *o, struct vg_err *err)
{
	struct an_alerts_file_opts ao = AN_ALERTS_FILE_OPTS_INIT;
	struct an_alert_fmt_opts fo = AN_ALERT_FMT_OPTS_INIT;
	char *db = vg_xasprintf("%s/queue/alerts.db", o->home);
	int rc;

	fo.manager_name = p->manager_name;
	ao.home = o->home;
	ao.jsonout_output = o->settings->jsonout_output;
	ao.alerts_log = o->settings->alerts_log;
	ao.log_alert_level = o->settings->log_alert_level;
	ao.fmt = fo;
	ao.clock_ms = o->clock_ms;
	ao.clock_ctx = o->clock_ctx;
	ao.batch_bytes = AN_PIPELINE_FILE_BATCH;
	p->fmt = an_alert_fmt_new(&fo);
	rc = an_alerts_file_open(&ao, &p->alerts, err);
	if (rc == 0)
		rc = store_open(db, &p->store, err);
	if (rc == 0)
		rc = store_writer_start(p->store, &p->store_writer, err);
	vg_free(db);
	return rc;
}

int an_pipeline_open(const struct an_pipeline_opts *o, struct an_pipeline **out, struct vg_err *err)
{
	struct an_pipeline *p = vg_xcalloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	p->queue = o->queue;
	p->ingest = o->ingest;
	p->settings = *o->settings;
	p->manager_name = vg_xstrdup(o->manager_name);
	p->batch_max = o->batch_max != 0 ? o->batch_max : AN_PIPELINE_BATCH_DEFAULT;
	p->clock_ms = o->clock_ms;
	p->clock_ctx = o->clock_ctx;
	p->decoded = an_decoded_new();
	vg_buf_init(&p->json, AN_ALERTS_MAX_ALERT);
	if ((rc = an_pipeline_set_rules(p, o->rules, err)) != 0 ||
	    (rc = open_outputs(p, o, err)) != 0 || (rc = recover(p, err)) != 0) {
		an_pipeline_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void an_pipeline_close(struct an_pipeline *p)
{
	if (p == NULL)
		return;
	if (p->batch_open) { /* not committed: its kept alerts must not reach the files */
		struct vg_err e = VG_ERR_INIT;
		if (store_writer_sync(p->store_writer, &e) != 0)
			vg_log_info("alert store: %s (rolled back)", e.msg);
		store_rollback(p->store);
		cut_files(p, &p->batch_start);
	}
	unread_agents(p); /* the next pipeline (a reload) reads them again */
	store_writer_stop(p->store_writer);
	store_close(p->store);
	an_alerts_file_close(p->alerts);
	an_alert_fmt_free(p->fmt);
	an_decoded_free(p->decoded);
	rules_state_free(p->state);
	vg_buf_free(&p->json);
	vg_free(p->manager_name);
	vg_free(p);
}

void an_pipeline_stats(const struct an_pipeline *p, struct an_pipeline_stats *out)
{
	*out = p->stats;
}
