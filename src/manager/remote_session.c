/*
 * remote_session.c - The events protocol on 1514, one connection's state
 * (docs/transport.md): certificate -> registry, HELLO/WELCOME, BATCH/ACK,
 * KEEPALIVE/PONG, COMMAND/COMMAND_ACK.
 *
 * Who an agent is comes only from its certificate: the serial is looked
 * up in the registry (revoked or unknown is refused), the CN must be the
 * id the registry gives that serial, and HELLO, each batch and the
 * locations written into the queue must agree with it. The address is the
 * TCP peer's.
 *
 * A batch is checked whole (lib/wire.h), rewritten into records
 * ("[001] (name) ip->LOC\nLINE") and pushed to the agents' FIFO
 * (ingest.h), which drops the ids at or below the agent's enqueued mark (a
 * resend of what it holds or analysis committed). The batch's last id then
 * waits in the connection's ACK list until the agent's durable mark
 * reaches it (analysis committed its alerts): remote__session_acks, run
 * when the FIFO's eventfd fires, sends the highest id due (ACKs are
 * cumulative). A batch of duplicates only waits too, or is acknowledged at
 * once when already durable. When the FIFO is full, the rewritten batch
 * stays on the connection, which stops reading, and the loop retries it
 * every REMOTE_RETRY_MS and at each release. Keepalives only update memory;
 * remote__session_flush writes them all in one registry transaction once
 * a second and checks that no connected agent was removed meanwhile.
 * Runs on the remote's thread only.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lib/common.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/evqueue.h"
#include "manager/remote_int.h"

#define SESSION_OUTBOX_LOCATION "vigie-agent"

/* ---------------------------------------------------------------- accept */

void remote__session_accepted(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;
	struct vg_pki_peer peer;
	struct reg_agent a;
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	char msg[192];
	int rc;

	if (cert == NULL) {
		remote__refuse(r, c, "no client certificate");
		return;
	}
	if (vg_pki_verify_peer(r->ca, cert, VG_PKI_CLIENT, 0, &peer, &e) != 0) {
		remote__refuse(r, c, e.msg);
		return;
	}
	rc = reg_find_serial(r->reg, peer.serial, &a, &e);
	if (rc == VG_EPERM || rc == VG_ENOTFOUND) {
		snprintf(msg, sizeof(msg), "agent certificate serial %s %s", peer.serial,
			 rc == VG_EPERM ? "revoked" : "unknown");
		vg_log_warn("%s from %s", msg, c->addr);
		remote__error(r, c, msg);
		return;
	}
	if (rc != 0) {
		vg_log_error("agent certificate from %s: %s", c->addr, e.msg);
		remote__error(r, c, "manager error: try again later");
		return;
	}
	if (strcmp(a.id, peer.cn) != 0) {
		snprintf(msg, sizeof(msg), "certificate CN %s is not its agent's id %s", peer.cn,
			 a.id);
		remote__refuse(r, c, msg);
		return;
	}
	vg_strlcpy(c->id, a.id, sizeof(c->id));
	vg_strlcpy(c->name, a.name, sizeof(c->name));
	vg_strlcpy(c->serial, peer.serial, sizeof(c->serial));
}

/* ---------------------------------------------------------------- HELLO */

/* A JSON control frame's object, or NULL (then c is refused). */
static json_t *frame_json(struct remote *r, struct remote__conn *c, bool empty_ok)
{
	json_error_t je;
	json_t *j;
	char msg[128];

	if (c->in.len == 0 && empty_ok)
		return json_object();
	j = json_loadb(c->in.data != NULL ? c->in.data : "", c->in.len, JSON_REJECT_DUPLICATES,
		       &je);
	if (!json_is_object(j)) {
		snprintf(msg, sizeof(msg), "%s: not a JSON object", vg_wire_type_name(c->h.type));
		remote__refuse(r, c, msg);
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * Copy a string member of at most max bytes, printable (hex digits only for
 * "config_sum", as the registry wants); false (refused) otherwise. A bad
 * value is refused here, where the agent hears why, rather than dropped
 * silently at the registry's flush.
 */
static bool json_text(struct remote *r, struct remote__conn *c, const json_t *j, const char *key,
		      char *out, size_t max)
{
	bool hex = strcmp(key, "config_sum") == 0;
	const json_t *v = json_object_get(j, key);
	char msg[128];

	if (v == NULL)
		return true;
	const char *s = json_string_value(v);
	bool ok = s != NULL && strlen(s) <= max;
	for (size_t i = 0; ok && s[i] != '\0'; i++)
		ok = hex ? vg_hex_digit(s[i]) >= 0 : s[i] >= 0x20 && s[i] < 0x7f;
	if (!ok) {
		snprintf(msg, sizeof(msg), "%s: \"%s\" must be %s of at most %zu bytes",
			 vg_wire_type_name(c->h.type), key, hex ? "hex digits" : "printable text",
			 max);
		remote__refuse(r, c, msg);
		return false;
	}
	vg_strlcpy(out, s, max + 1);
	return true;
}

/* Another connection of the same agent is stale (a reconnect): it goes. */
static void overtake(struct remote *r, struct remote__conn *c)
{
	for (struct remote__conn *o = r->conns; o != NULL; o = o->next) {
		if (o == c || o->kind != REMOTE__EVENTS || o->state == REMOTE__CLOSING ||
		    strcmp(o->id, c->id) != 0)
			continue;
		vg_log_info("agent %s: new connection from %s replaces the one from %s", c->id,
			    c->addr, o->addr);
		remote__error(r, o, "replaced by a new connection of this agent");
	}
}

/*
 * What the manager holds of the agent: its durable mark. A queue written
 * by an earlier Vigie (agents' records went through events.db) may hold a
 * higher one, whose records it still analyses: the FIFO starts from it.
 */
static int durable_mark(struct remote *r, const char *agent, uint64_t *last, struct vg_err *err)
{
	uint64_t queued = 0, enqueued = 0;
	int rc = vg_dq_source_last(r->queue, agent, &queued, err);

	if (rc != 0)
		return rc;
	mgr_ingest_seed(r->ingest, agent, queued);
	mgr_ingest_marks(r->ingest, agent, &enqueued, last);
	return 0;
}

static void welcome(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;
	struct vg_buf text = VG_BUF_INIT(VG_WIRE_CONTROL_MAX);
	uint64_t last = 0;
	json_t *j;

	if (durable_mark(r, c->id, &last, &e) != 0) {
		vg_log_error("agent %s: %s", c->id, e.msg);
		remote__error(r, c, "manager error: try again later");
		return;
	}
	j = json_pack("{s:{s:s,s:s,s:s},s:I,s:I,s:I,s:I}", "agent", "id", c->id, "name", c->name,
		      "ip", c->addr, "last_event", (json_int_t)last, "max_frame",
		      (json_int_t)r->max_frame, "max_inflated", (json_int_t)r->max_inflated,
		      "max_events", (json_int_t)r->max_events);
	if (j == NULL || vg_json_dump(&text, j, &e) != 0 ||
	    remote__send(c, VG_WIRE_WELCOME, text.data, text.len) != 0) {
		remote__error(r, c, "manager error: try again later");
	} else {
		c->state = REMOTE__READY;
		vg_log_info("agent %s (%s) connected from %s, last event %" PRIu64, c->id, c->name,
			    c->addr, last);
		remote__session_commands(r, c);
	}
	json_decref(j);
	vg_buf_free(&text);
}

static void on_hello(struct remote *r, struct remote__conn *c)
{
	char id[REG_ID_TEXT] = "";
	char msg[160];
	json_t *j;

	if (c->h.type != VG_WIRE_HELLO) {
		snprintf(msg, sizeof(msg), "expected HELLO, got %s", vg_wire_type_name(c->h.type));
		remote__refuse(r, c, msg);
		return;
	}
	if ((j = frame_json(r, c, false)) == NULL)
		return;
	if (json_text(r, c, j, "id", id, sizeof(id) - 1) &&
	    json_text(r, c, j, "version", c->ka_version, REG_VERSION_MAX) &&
	    json_text(r, c, j, "config_sum", c->ka_sum, REG_SUM_MAX)) {
		if (strcmp(id, c->id) != 0) {
			char esc[64];
			snprintf(msg, sizeof(msg), "HELLO claims agent \"%s\", certificate is %s",
				 vg_escape(esc, sizeof(esc), id, strlen(id)), c->id);
			remote__refuse(r, c, msg);
		} else {
			c->ka_pending = true; /* a HELLO is a sign of life */
			overtake(r, c);
			welcome(r, c);
		}
	}
	json_decref(j);
}

/* ---------------------------------------------------------------- BATCH */

static void batch_free(struct remote__conn *c)
{
	vg_free(c->recs);
	c->recs = NULL;
	c->nrecs = 0;
	vg_buf_free(&c->recdata);
	c->queue_full = false;
}

bool remote__session_acks(struct remote *r, struct remote__conn *c)
{
	uint64_t enqueued, durable;
	uint8_t ack[8];
	size_t k = 0;

	if (c->nacks == 0)
		return false;
	mgr_ingest_marks(r->ingest, c->id, &enqueued, &durable);
	while (k < c->nacks && c->acks[k] <= durable)
		k++;
	if (k == 0)
		return false;
	vg_wire_u64_encode(ack, c->acks[k - 1]);
	if (remote__send(c, VG_WIRE_ACK, ack, sizeof(ack)) != 0)
		remote__error(r, c, "send buffer full");
	memmove(c->acks, c->acks + k, (c->nacks - k) * sizeof(c->acks[0]));
	c->nacks -= k;
	REMOTE__COUNT(r, batches, k);
	return true;
}

/*
 * Push the held batch to the FIFO; its ACK waits for analysis. False when
 * the FIFO refused it (full): it stays held.
 */
static bool batch_commit(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;
	size_t added = 0;
	int rc = mgr_ingest_push(r->ingest, c->id, c->recs, c->nrecs, &added, &e);

	if (rc == VG_ETOOBIG) {
		if (!c->queue_full) /* once per episode */
			vg_log_warn("agent %s: batch of %zu events held, not read further: %s",
				    c->id, c->nrecs, e.msg);
		c->queue_full = true;
		return false;
	}
	if (rc != 0) {
		vg_log_error("agent %s: %s", c->id, e.msg);
		remote__error(r, c, "manager error: try again later");
		batch_free(c);
		return true;
	}
	if (c->queue_full)
		vg_log_info("agent %s: held batch taken", c->id);
	if (c->pending_ack != 0 && c->nacks < REMOTE_ACKS_MAX) /* ids increase: ascending */
		c->acks[c->nacks++] = c->pending_ack;
	else if (c->pending_ack != 0) /* never (the list full pauses reading): cumulative */
		c->acks[c->nacks - 1] = c->pending_ack;
	pthread_mutex_lock(&r->mu);
	r->stats.events += added;
	r->stats.duplicates += c->nrecs - added;
	pthread_mutex_unlock(&r->mu);
	batch_free(c);
	remote__session_acks(r, c); /* all duplicates of committed events: due now */
	return true;
}

/* What a location may not be: it would fake the prefix analysis trusts. */
static const char *bad_location(const char *loc, size_t len)
{
	if (len == 0)
		return "an empty location";
	if (len > MGR_EVQUEUE_MAX_LOCATION)
		return "a location over 1024 bytes";
	if (loc[0] == '[')
		return "a location starting with '['";
	for (size_t i = 0; i + 1 < len; i++)
		if (loc[i] == '-' && loc[i + 1] == '>')
			return "a location holding \"->\"";
	return NULL;
}

/* Rewrite the batch's records into c->recs/recdata; false when refused. */
static bool batch_rewrite(struct remote *r, struct remote__conn *c, struct vg_wire_reader *rd)
{
	char prefix[REG_ID_TEXT + REG_NAME_MAX + REMOTE_ADDR_MAX + 16];
	int plen = snprintf(prefix, sizeof(prefix), "[%s] (%s) %s->", c->id, c->name, c->addr);
	size_t *offs = vg_xcalloc(rd->count, sizeof(*offs));
	uint64_t id, prev = 0;
	const void *data;
	size_t len, i = 0;
	char msg[160];
	bool ok = true;

	c->recs = vg_xcalloc(rd->count, sizeof(*c->recs));
	c->pending_ack = 0;
	vg_buf_init(&c->recdata, r->max_inflated + rd->count * ((size_t)plen + 1));
	while (ok && vg_wire_reader_next(rd, &id, &data, &len)) {
		const char *nl = memchr(data, '\n', len);
		const char *why = nl == NULL
				      ? "no location"
				      : bad_location(data, (size_t)(nl - (const char *)data));
		if (why == NULL && (id == 0 || id > INT64_MAX))
			why = "an event id out of range";
		if (why == NULL && id <= prev)
			why = "an event id not above the previous one";
		if (why != NULL) {
			snprintf(msg, sizeof(msg), "event %" PRIu64 " of the batch has %s", id,
				 why);
			remote__refuse(r, c, msg);
			ok = false;
			break;
		}
		offs[i] = c->recdata.len;
		if (vg_buf_append(&c->recdata, prefix, (size_t)plen) != 0 ||
		    vg_buf_append(&c->recdata, data, len) != 0) {
			remote__refuse(r, c, "batch too large once rewritten");
			ok = false;
			break;
		}
		c->recs[i] = (struct mgr_ingest_rec){id, NULL, c->recdata.len - offs[i]};
		c->pending_ack = prev = id;
		i++;
	}
	for (size_t k = 0; ok && k < i; k++)
		c->recs[k].data = c->recdata.data + offs[k];
	c->nrecs = i;
	vg_free(offs);
	return ok;
}

static void on_batch(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;
	struct vg_wire_reader rd;
	char msg[160];

	if (vg_wire_reader_open(&rd, c->in.data, c->in.len, c->h.flags, r->max_inflated,
				r->max_events, &r->scratch, &e) != 0) {
		remote__refuse(r, c, e.msg);
		return;
	}
	if (strcmp(rd.agent_id, c->id) != 0) {
		char esc[64];
		snprintf(msg, sizeof(msg), "batch claims agent \"%s\"",
			 vg_escape(esc, sizeof(esc), rd.agent_id, strlen(rd.agent_id)));
		remote__refuse(r, c, msg);
		return;
	}
	if (!batch_rewrite(r, c, &rd)) {
		batch_free(c);
		return;
	}
	c->tokens -= (double)c->nrecs; /* the rate: in debt until refilled */
	batch_commit(r, c);
	if (r->scratch.cap > 2 * REMOTE_OUT_MAX)
		vg_buf_free(&r->scratch);
}

bool remote__session_retry(struct remote *r, struct remote__conn *c)
{
	return c->nrecs > 0 && batch_commit(r, c);
}

bool remote__session_refill(struct remote *r, struct remote__conn *c, int64_t now)
{
	double rate = r->events_per_second;
	bool was_empty = c->tokens <= 0;

	if (rate == 0)
		return false;
	c->tokens += rate * (double)(now - c->tokens_ms) / 1000.0;
	if (c->tokens > rate)
		c->tokens = rate;
	c->tokens_ms = now;
	return was_empty && c->tokens > 0;
}

/* ---------------------------------------------------------------- KEEPALIVE */

/* "outbox_full":{"events":N,"bytes":M}: the agent's outbox hit its bound. */
static void outbox_full(struct remote *r, struct remote__conn *c, const json_t *o)
{
	struct vg_err e = VG_ERR_INIT;
	json_int_t n = json_integer_value(json_object_get(o, "events"));
	json_int_t b = json_integer_value(json_object_get(o, "bytes"));
	char *data = vg_xasprintf("[%s] (%s) %s->" SESSION_OUTBOX_LOCATION
				  "\nossec: Agent outbox is full: %" JSON_INTEGER_FORMAT
				  " events, %" JSON_INTEGER_FORMAT " bytes wait on the agent",
				  c->id, c->name, c->addr, n, b);

	vg_log_warn("agent %s (%s): outbox full: %" JSON_INTEGER_FORMAT
		    " events, %" JSON_INTEGER_FORMAT " bytes wait on the agent",
		    c->id, c->addr, n, b);
	if (vg_dq_append(r->queue, c->id, 0, data, strlen(data), NULL, NULL, &e) != 0)
		vg_log_warn("agent %s: outbox-full event not queued: %s", c->id, e.msg);
	vg_free(data);
}

static void on_keepalive(struct remote *r, struct remote__conn *c)
{
	json_t *j = frame_json(r, c, true);

	if (j == NULL)
		return;
	if (json_text(r, c, j, "version", c->ka_version, REG_VERSION_MAX) &&
	    json_text(r, c, j, "config_sum", c->ka_sum, REG_SUM_MAX)) {
		const json_t *o = json_object_get(j, "outbox_full");
		c->ka_pending = true;
		if (json_is_object(o))
			outbox_full(r, c, o);
		if (remote__send(c, VG_WIRE_PONG, NULL, 0) != 0)
			remote__error(r, c, "send buffer full");
	}
	json_decref(j);
}

/* ---------------------------------------------------------------- frames */

/* The agent took command id (it runs each id at most once): forget it. */
static void on_command_ack(struct remote *r, struct remote__conn *c, uint64_t id)
{
	bool known = false;

	pthread_mutex_lock(&r->mu);
	for (struct remote__cmd **p = &r->cmds; *p != NULL; p = &(*p)->next) {
		struct remote__cmd *cmd = *p;
		if (cmd->id == id && strcmp(cmd->agent, c->id) == 0) {
			*p = cmd->next;
			vg_free(cmd->json);
			vg_free(cmd);
			known = true;
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
	vg_log_info("agent %s took command %" PRIu64 "%s", c->id, id,
		    known ? "" : " (not waiting here)");
	if (r->on_command_ack != NULL)
		r->on_command_ack(r->ack_ctx, c->id, id);
}

/* Commands sent on c and not acknowledged go out again on the next connection. */
static void commands_unsent(struct remote *r, const struct remote__conn *c)
{
	pthread_mutex_lock(&r->mu);
	for (struct remote__cmd *cmd = r->cmds; cmd != NULL; cmd = cmd->next)
		if (cmd->sent == c)
			cmd->sent = NULL;
	pthread_mutex_unlock(&r->mu);
}

static void on_agent_error(struct remote__conn *c)
{
	char esc[256];
	size_t n = VG_MIN(c->in.len, (size_t)200);

	vg_log_warn("agent %s (%s) sent ERROR: %s", c->id, c->addr,
		    vg_escape(esc, sizeof(esc), c->in.data != NULL ? c->in.data : "", n));
	c->state = REMOTE__CLOSING;
}

void remote__session_frame(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;
	uint64_t v;
	char msg[96];

	if (c->state == REMOTE__HELLO) {
		on_hello(r, c);
		return;
	}
	switch (c->h.type) {
	case VG_WIRE_BATCH:
		on_batch(r, c);
		break;
	case VG_WIRE_KEEPALIVE:
		on_keepalive(r, c);
		break;
	case VG_WIRE_COMMAND_ACK:
		if (vg_wire_u64_decode(c->in.data, c->in.len, &v, &e) != 0)
			remote__refuse(r, c, e.msg);
		else
			on_command_ack(r, c, v);
		break;
	case VG_WIRE_ERROR:
		on_agent_error(c);
		break;
	default:
		snprintf(msg, sizeof(msg), "unexpected %s frame", vg_wire_type_name(c->h.type));
		remote__refuse(r, c, msg);
	}
}

/* ---------------------------------------------------------------- commands */

void remote__session_commands(struct remote *r, struct remote__conn *c)
{
	uint64_t sent = 0;

	pthread_mutex_lock(&r->mu);
	for (struct remote__cmd *cmd = r->cmds; cmd != NULL; cmd = cmd->next) {
		if (cmd->sent != NULL || strcmp(cmd->agent, c->id) != 0)
			continue;
		if (remote__send(c, VG_WIRE_COMMAND, cmd->json, strlen(cmd->json)) != 0)
			break; /* the rest waits for the next wake */
		cmd->sent = c; /* kept until the agent's COMMAND_ACK */
		vg_log_info("agent %s: command %" PRIu64 " sent", c->id, cmd->id);
		sent++;
	}
	r->stats.commands += sent;
	pthread_mutex_unlock(&r->mu);
}

/* ---------------------------------------------------------------- flush */

void remote__session_flush(struct remote *r)
{
	struct vg_err e = VG_ERR_INIT;
	struct reg_keepalive *ka = vg_xcalloc(r->nconns + 1, sizeof(*ka));
	struct reg_agent a;
	size_t n = 0;

	for (struct remote__conn *c = r->conns; c != NULL; c = c->next)
		if (c->ka_pending && c->id[0] != '\0') {
			ka[n++] = (struct reg_keepalive){c->id, c->ka_version, c->ka_sum, c->addr};
			c->ka_pending = false;
		}
	if (n > 0 && reg_keepalive_many(r->reg, ka, n, &e) != 0)
		vg_log_warn("keepalives of %zu agents not recorded: %s", n, e.msg);
	vg_free(ka);
	for (struct remote__conn *c = r->conns; c != NULL; c = c->next) {
		if (c->kind != REMOTE__EVENTS || c->serial[0] == '\0' ||
		    c->state == REMOTE__CLOSING)
			continue;
		vg_err_clear(&e);
		int rc = reg_find_serial(r->reg, c->serial, &a, &e);
		if (rc == VG_EPERM || rc == VG_ENOTFOUND)
			remote__refuse(r, c, "agent removed");
	}
}

void remote__session_closed(struct remote *r, struct remote__conn *c)
{
	struct vg_err e = VG_ERR_INIT;

	if (c->ka_pending && c->id[0] != '\0' &&
	    reg_keepalive(r->reg, c->id, c->ka_version, c->ka_sum, c->addr, &e) != 0)
		vg_log_debug("agent %s: last keepalive not recorded: %s", c->id, e.msg);
	batch_free(c);
	c->nacks = 0; /* not acknowledged: the agent resends what is not durable */
	commands_unsent(r, c);
	if (c->state == REMOTE__READY || c->id[0] != '\0')
		vg_log_debug("agent %s (%s) disconnected", c->id, c->addr);
}
