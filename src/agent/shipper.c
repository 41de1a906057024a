/*
 * shipper.c - The agent's connection to its manager (see shipper.h).
 *
 * Layout: the pure helpers (retry, WELCOME, KEEPALIVE, clocks), then one
 * session (connect, HELLO/WELCOME, the send/receive loop), then the thread
 * that runs sessions one after the other.
 *
 * Invariant of a session: every outbox record with seq <= sent_upto was
 * sent on this connection (or is already held by the manager: WELCOME's
 * last_event); the ids of the batches not yet acknowledged are in
 * inflight[], ascending. A new session starts again from last_event, so
 * what was sent but not acknowledged is sent again (the manager drops ids
 * it already holds).
 */
#include "agent/shipper.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/conf.h"
#include "lib/fs.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pki.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "lib/wire.h"

#define SHIPPER_VERSION "Vigie v" VIGIE_VERSION
#define SHIPPER_DROPPED_WAIT_MS 1000

struct shipper {
	struct shipper_opts o;
	int io_ms;
	int ctl_fd; /* eventfd: readable once shipper_stop was called */
	atomic_bool stop;
	pthread_t thr;
};

/* ---- Pure pieces ----------------------------------------------------------------- */

uint64_t shipper_retry_next(struct shipper_retry *r, const struct vg_client_server *servers,
			    size_t nservers, bool established)
{
	const struct vg_client_server *sv = &servers[r->server];
	uint64_t wait_ms = (uint64_t)sv->retry_interval * 1000;

	if (established) {
		r->attempts = 0;
		return SHIPPER_DROPPED_WAIT_MS;
	}
	if (++r->attempts >= sv->max_retries) {
		r->attempts = 0;
		r->server = (r->server + 1) % nservers;
	}
	return wait_ms;
}

/* An optional bound: absent or 0 is def; above max is max. */
static int welcome_bound(json_t *j, const char *key, uint64_t def, uint64_t max, uint32_t *out,
			 struct vg_err *err)
{
	json_t *v = json_object_get(j, key);
	json_int_t n = 0;

	if (v != NULL && (!json_is_integer(v) || (n = json_integer_value(v)) < 0))
		return vg_err_set(err, VG_EPARSE, "WELCOME: %s is not a non-negative integer", key);
	uint64_t u = n == 0 ? def : (uint64_t)n;
	*out = (uint32_t)(u > max ? max : u);
	return 0;
}

int shipper_parse_welcome(const void *payload, size_t len, struct shipper_welcome *out,
			  struct vg_err *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *last = json_object_get(j, "last_event");
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j)) {
		rc = vg_err_set(err, VG_EPARSE, "WELCOME is not a JSON object");
		goto out;
	}
	if (!json_is_integer(last) || json_integer_value(last) < 0) {
		rc = vg_err_set(err, VG_EPARSE, "WELCOME without a non-negative last_event");
		goto out;
	}
	out->last_event = (uint64_t)json_integer_value(last);
	rc = welcome_bound(j, "max_frame", VG_WIRE_FRAME_MAX, VG_WIRE_FRAME_LIMIT, &out->max_frame,
			   err);
	if (rc == 0)
		rc = welcome_bound(j, "max_inflated", VG_WIRE_INFLATED_MAX, VG_WIRE_FRAME_LIMIT,
				   &out->max_inflated, err);
	if (rc == 0)
		rc = welcome_bound(j, "max_events", VG_WIRE_EVENTS_MAX, VG_WIRE_EVENTS_MAX * 100ull,
				   &out->max_events, err);
out:
	json_decref(j);
	return rc;
}

int shipper_keepalive_json(const char *sum, char reported[SHIPPER_SUM_HEX],
			   const struct outbox_full *full, struct vg_buf *out, struct vg_err *err)
{
	json_t *j = json_object();
	int rc;

	vg_buf_reset(out);
	if (strcmp(sum, reported) != 0) {
		json_object_set_new(j, "config_sum", json_string(sum));
		vg_strlcpy(reported, sum, SHIPPER_SUM_HEX);
	}
	if (full != NULL)
		json_object_set_new(j, "outbox_full",
				    json_pack("{s:I,s:I}", "events", (json_int_t)full->events,
					      "bytes", (json_int_t)full->bytes));
	rc = vg_json_dump(out, j, err);
	json_decref(j);
	return rc;
}

uint64_t shipper_keepalive_at(uint64_t last_sent, uint64_t last_keepalive, uint64_t notify_ms,
			      bool report_pending)
{
	uint64_t at = last_sent + notify_ms;
	if (report_pending && last_keepalive + notify_ms < at)
		at = last_keepalive + notify_ms;
	return at;
}

void shipper_config_sum(const char *path, char sum[SHIPPER_SUM_HEX])
{
	struct vg_buf b = VG_BUF_INIT(VG_CONF_MAX_SIZE);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	sum[0] = '\0';
	if (vg_fs_read_file(path, "", &b, NULL) == 0 &&
	    EVP_Digest(b.data != NULL ? b.data : "", b.len, md, &n, EVP_sha256(), NULL) == 1 &&
	    n == 32)
		vg_hex_encode(sum, md, n);
	vg_buf_free(&b);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- One session ----------------------------------------------------------------- */

enum sess_end {
	SESS_FAILED,  /* no WELCOME, or the manager's ERROR: counts as a failed attempt */
	SESS_DROPPED, /* established, then lost */
	SESS_STOPPED, /* shipper_stop */
};

struct session {
	struct shipper *s;
	const struct vg_client_server *sv;
	struct vg_dq *q;
	struct vg_tls_conn *c;
	char id[VG_PKI_CN_MAX + 1];
	char sum[SHIPPER_SUM_HEX];      /* config_sum now */
	char reported[SHIPPER_SUM_HEX]; /* config_sum last told to the manager */
	struct shipper_welcome w;
	uint64_t sent_upto;
	uint64_t inflight[SHIPPER_WINDOW];
	size_t ninflight;
	uint64_t last_sent, last_heard, last_keepalive;
	struct vg_wire_batch batch;
	bool batch_ready;
	struct vg_buf frame;
	struct vg_buf payload;
};

static bool stopping(const struct shipper *s)
{
	return atomic_load(&s->stop);
}

/* The TLS context from HOME/etc: the manager's CA, our certificate and key. */
static int sess_ctx(struct session *ss, SSL_CTX **ctx, struct vg_pki_ca **trust, struct vg_err *err)
{
	const char *etc = ss->s->o.etc_dir;
	char *ca = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_CA);
	char *cert = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_CERT);
	char *key = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_KEY);
	int rc = vg_pki_cert_cn(cert, ss->id, err);

	if (rc == 0)
		rc = vg_pki_ca_load_trust(ca, trust, err);
	if (rc == 0)
		rc = vg_tls_client_ctx(vg_pki_ca_cert(*trust), cert, key, ctx, err);
	vg_free(ca);
	vg_free(cert);
	vg_free(key);
	return rc;
}

static int sess_send(struct session *ss, unsigned type, const void *p, size_t len,
		     struct vg_err *err)
{
	int rc = vg_wire_send(ss->c, type, 0, p, len, ss->s->io_ms, err);
	if (rc == 0)
		ss->last_sent = now_ms();
	return rc;
}

/* Connect, check the manager's certificate, HELLO, WELCOME. */
static int sess_open(struct session *ss, struct vg_err *err)
{
	SSL_CTX *ctx = NULL;
	struct vg_pki_ca *trust = NULL;
	struct vg_pki_peer peer;
	struct vg_wire_hdr h;
	json_t *hello = NULL;
	int rc = sess_ctx(ss, &ctx, &trust, err);

	if (rc == 0)
		rc = vg_tls_connect(ctx, ss->sv->address, ss->sv->port, ss->s->io_ms, &ss->c, err);
	if (rc == 0)
		rc = vg_pki_verify_peer(trust, SSL_get0_peer_certificate(vg_tls_ssl(ss->c)),
					VG_PKI_SERVER, 0, &peer, err);
	if (rc != 0)
		goto out;
	shipper_config_sum(ss->s->o.config_path, ss->sum);
	hello = json_pack("{s:s,s:s,s:s}", "id", ss->id, "version", SHIPPER_VERSION, "config_sum",
			  ss->sum);
	vg_buf_reset(&ss->payload);
	rc = vg_json_dump(&ss->payload, hello, err);
	if (rc == 0)
		rc = sess_send(ss, VG_WIRE_HELLO, ss->payload.data, ss->payload.len, err);
	if (rc == 0)
		rc = vg_wire_recv(ss->c, VG_WIRE_CONTROL_MAX, ss->s->io_ms, &h, &ss->payload, err);
	if (rc == 0 && h.type == VG_WIRE_ERROR)
		rc = VG_EPERM; /* logged by the caller with the text */
	else if (rc == 0 && h.type != VG_WIRE_WELCOME)
		rc = vg_err_set(err, VG_EPARSE, "the manager answered HELLO with %s",
				vg_wire_type_name(h.type));
	if (rc == 0)
		rc = shipper_parse_welcome(ss->payload.data, ss->payload.len, &ss->w, err);
	vg_strlcpy(ss->reported, ss->sum, sizeof(ss->reported));
out:
	json_decref(hello);
	vg_pki_ca_free(trust);
	SSL_CTX_free(ctx);
	return rc;
}

/* The text of an ERROR frame in payload, escaped for the log. */
static const char *sess_error_text(const struct vg_buf *payload, char *esc, size_t escsz)
{
	json_error_t jerr;
	json_t *j = json_loadb(payload->data != NULL ? payload->data : "", payload->len, 0, &jerr);
	const char *why = json_string_value(json_object_get(j, "error"));

	if (why != NULL)
		vg_escape(esc, escsz, why, strlen(why));
	else
		vg_escape(esc, escsz, vg_buf_cstr(payload), payload->len);
	json_decref(j);
	return esc;
}

/* Start from what the manager holds: trim it, send what follows. */
static void sess_welcomed(struct session *ss)
{
	struct vg_dq_stats st;
	struct vg_err err = VG_ERR_INIT;

	vg_dq_stats(ss->q, &st);
	if (ss->w.last_event > st.last_seq)
		vg_log_warn("the manager holds events up to %llu but this outbox has numbered only "
			    "%llu: was %s removed? New events are dropped by the manager until "
			    "their ids pass %llu",
			    (unsigned long long)ss->w.last_event, (unsigned long long)st.last_seq,
			    OUTBOX_FILE, (unsigned long long)ss->w.last_event);
	if (vg_dq_trim(ss->q, ss->w.last_event, &err) != 0)
		vg_log_warn("outbox not trimmed: %s", err.msg);
	ss->sent_upto = ss->w.last_event;
	ss->last_heard = ss->last_keepalive = now_ms();
	vg_wire_batch_init(&ss->batch, ss->id, ss->w.max_inflated, ss->w.max_events);
	ss->batch_ready = true;
}

/* ---- Batches --------------------------------------------------------------------- */

struct fill {
	struct vg_wire_batch *b;
	uint64_t oversize; /* a record that does not fit an empty batch */
	int rc;
	struct vg_err *err;
};

static int fill_one(void *ctx, const struct vg_dq_rec *rec)
{
	struct fill *f = ctx;
	struct vg_err e = VG_ERR_INIT;
	int rc = vg_wire_batch_add(f->b, rec->seq, rec->data, rec->len, &e);

	if (rc == VG_ETOOBIG) {
		if (f->b->count == 0)
			f->oversize = rec->seq;
		return 1; /* full: the record waits for the next batch */
	}
	if (rc != 0) {
		f->rc = vg_err_set(f->err, rc, "%s", e.msg);
		return 1;
	}
	return 0;
}

/* Fill the batch from the records after sent_upto, at most max_raw bytes. */
static int sess_fill(struct session *ss, size_t max_raw, uint64_t *oversize, struct vg_err *err)
{
	struct fill f = {&ss->batch, 0, 0, err};
	int rc;

	vg_wire_batch_free(&ss->batch);
	vg_wire_batch_init(&ss->batch, ss->id, max_raw, ss->w.max_events);
	rc = vg_dq_read(ss->q, ss->sent_upto, ss->w.max_events, fill_one, &f, NULL, err);
	*oversize = f.oversize;
	return rc != 0 ? rc : f.rc;
}

/* A record no batch can carry: skip it (trimmed with the next ACK past it). */
static void sess_skip(struct session *ss, uint64_t seq)
{
	struct vg_err err = VG_ERR_INIT;

	vg_log_error("outbox event %llu does not fit the manager's batch bounds "
		     "(%u bytes raw, %u bytes framed): dropped",
		     (unsigned long long)seq, ss->w.max_inflated, ss->w.max_frame);
	ss->sent_upto = seq;
	if (ss->ninflight == 0 && vg_dq_trim(ss->q, seq, &err) != 0)
		vg_log_warn("outbox not trimmed: %s", err.msg);
}

/*
 * Send the next batch if there are records after sent_upto (*sent says).
 * A compressed frame over max_frame is built again with half the raw bytes.
 */
static int sess_ship(struct session *ss, bool *sent, struct vg_err *err)
{
	size_t max_raw = ss->w.max_inflated;
	uint64_t oversize;
	int rc;

	*sent = false;
	for (;;) {
		rc = sess_fill(ss, max_raw, &oversize, err);
		if (rc != 0)
			return rc;
		if (ss->batch.count == 0) {
			if (oversize == 0)
				return 0;
			sess_skip(ss, oversize);
			max_raw = ss->w.max_inflated;
			continue;
		}
		rc = vg_wire_batch_frame(&ss->batch, SHIPPER_ZLIB_LEVEL, ss->w.max_frame,
					 &ss->frame, NULL);
		if (rc == VG_ETOOBIG && ss->batch.count > 1) {
			max_raw = ss->batch.raw.len / 2;
			continue;
		}
		if (rc == VG_ETOOBIG) {
			sess_skip(ss, ss->batch.last_id);
			max_raw = ss->w.max_inflated;
			continue;
		}
		if (rc != 0)
			return vg_err_set(err, rc, "cannot frame a batch");
		break;
	}
	rc = vg_wire_send_raw(ss->c, &ss->frame, ss->s->io_ms, err);
	if (rc != 0)
		return rc;
	ss->last_sent = now_ms();
	ss->inflight[ss->ninflight++] = ss->batch.last_id;
	ss->sent_upto = ss->batch.last_id;
	vg_log_debug("sent %zu events up to %llu (%zu bytes)", ss->batch.count,
		     (unsigned long long)ss->batch.last_id, ss->frame.len);
	*sent = true;
	return 0;
}

/* ---- Frames from the manager ------------------------------------------------------ */

static int sess_ack(struct session *ss, struct vg_err *err)
{
	uint64_t acked;
	size_t k = 0;
	int rc = vg_wire_u64_decode(ss->payload.data, ss->payload.len, &acked, err);

	if (rc != 0)
		return rc;
	if (acked > ss->sent_upto)
		return vg_err_set(err, VG_EPARSE, "ACK %llu is past the last event sent (%llu)",
				  (unsigned long long)acked, (unsigned long long)ss->sent_upto);
	while (k < ss->ninflight && ss->inflight[k] <= acked)
		k++;
	memmove(ss->inflight, ss->inflight + k, (ss->ninflight - k) * sizeof(ss->inflight[0]));
	ss->ninflight -= k;
	return vg_dq_trim(ss->q, acked, err);
}

static int sess_command(struct session *ss, struct vg_err *err)
{
	struct vg_err e = VG_ERR_INIT;
	uint8_t ack[8];
	uint64_t id = 0;
	bool dup = false;
	int rc = ar_exec_submit(ss->s->o.exec, ss->payload.data, ss->payload.len, &id, &dup, &e);

	if (id == 0) {
		vg_log_warn("COMMAND without a numeric id from the manager: ignored");
		return 0;
	}
	if (rc != 0 && rc != VG_EPARSE) {
		vg_log_warn("command %llu not taken now (the manager sends it again): %s",
			    (unsigned long long)id, e.msg);
		return 0;
	}
	if (rc != 0)
		vg_log_warn("command %llu refused: %s", (unsigned long long)id, e.msg);
	else
		vg_log_info("command %llu from the manager%s", (unsigned long long)id,
			    dup ? ": taken before, not run again" : "");
	vg_wire_u64_encode(ack, id);
	return sess_send(ss, VG_WIRE_COMMAND_ACK, ack, sizeof(ack), err);
}

/* Read and handle one frame. *end is set when the session must end. */
static int sess_recv(struct session *ss, bool *end, struct vg_err *err)
{
	struct vg_wire_hdr h;
	char esc[256];
	int rc = vg_wire_recv(ss->c, VG_WIRE_CONTROL_MAX, ss->s->io_ms, &h, &ss->payload, err);

	if (rc != 0)
		return rc;
	ss->last_heard = now_ms();
	switch (h.type) {
	case VG_WIRE_ACK:
		return sess_ack(ss, err);
	case VG_WIRE_PONG:
		return 0;
	case VG_WIRE_COMMAND:
		return sess_command(ss, err);
	case VG_WIRE_ERROR:
		vg_log_error("the manager %s:%u closes the connection: %s", ss->sv->address,
			     (unsigned)ss->sv->port,
			     sess_error_text(&ss->payload, esc, sizeof(esc)));
		*end = true;
		return 0;
	default:
		return vg_err_set(err, VG_EPARSE, "unexpected %s frame from the manager",
				  vg_wire_type_name(h.type));
	}
}

static int sess_keepalive(struct session *ss, struct vg_err *err)
{
	struct outbox_full full;
	bool has_full = outbox_take_full(ss->s->o.outbox, &full);
	int rc;

	shipper_config_sum(ss->s->o.config_path, ss->sum);
	rc = shipper_keepalive_json(ss->sum, ss->reported, has_full ? &full : NULL, &ss->payload,
				    err);
	if (rc == 0)
		rc = sess_send(ss, VG_WIRE_KEEPALIVE, ss->payload.data, ss->payload.len, err);
	if (rc == 0)
		ss->last_keepalive = ss->last_sent;
	return rc;
}

/* Sleep in poll until the socket, the outbox or the stop fd wakes us, or timeout. */
static void sess_wait(struct session *ss, int timeout_ms, bool *readable)
{
	struct pollfd p[3] = {
	    {vg_tls_fd(ss->c), POLLIN, 0},
	    {outbox_wake_fd(ss->s->o.outbox), POLLIN, 0},
	    {ss->s->ctl_fd, POLLIN, 0},
	};

	*readable = vg_tls_pending(ss->c) > 0;
	if (*readable)
		return;
	if (poll(p, 3, timeout_ms) <= 0)
		return;
	if (p[1].revents & POLLIN)
		outbox_drain_wake(ss->s->o.outbox);
	*readable = (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* The established connection's loop. */
static enum sess_end sess_loop(struct session *ss)
{
	const struct vg_client_conf *cc = ss->s->o.client;
	uint64_t notify_ms = (uint64_t)cc->notify_time * 1000;
	uint64_t reconnect_ms = (uint64_t)cc->time_reconnect * 1000;
	struct vg_err err = VG_ERR_INIT;
	bool end = false;
	int rc = 0;

	while (rc == 0 && !end && !stopping(ss->s)) {
		bool sent = true, readable;
		while (rc == 0 && sent && ss->ninflight < SHIPPER_WINDOW)
			rc = sess_ship(ss, &sent, &err);
		if (rc != 0)
			break;
		uint64_t now = now_ms();
		uint64_t ka = shipper_keepalive_at(ss->last_sent, ss->last_keepalive, notify_ms,
						   outbox_full_pending(ss->s->o.outbox));
		uint64_t dead = ss->last_heard + reconnect_ms;
		if (now >= dead) {
			vg_log_warn("nothing heard from the manager %s:%u for %u s: reconnecting",
				    ss->sv->address, (unsigned)ss->sv->port, cc->time_reconnect);
			return SESS_DROPPED;
		}
		if (now >= ka) {
			rc = sess_keepalive(ss, &err);
			continue;
		}
		uint64_t next = ka < dead ? ka : dead;
		sess_wait(ss, (int)(next - now), &readable);
		if (readable && !stopping(ss->s))
			rc = sess_recv(ss, &end, &err);
	}
	if (stopping(ss->s))
		return SESS_STOPPED;
	if (rc != 0)
		vg_log_warn("connection to the manager %s:%u lost: %s", ss->sv->address,
			    (unsigned)ss->sv->port, err.msg);
	return end ? SESS_FAILED : SESS_DROPPED;
}

static enum sess_end session(struct shipper *s, const struct vg_client_server *sv)
{
	struct session ss = {.s = s, .sv = sv, .q = outbox_queue(s->o.outbox)};
	struct vg_err err = VG_ERR_INIT;
	enum sess_end end = SESS_FAILED;
	char esc[256];

	vg_buf_init(&ss.frame, VG_WIRE_FRAME_LIMIT + VG_WIRE_HDR_LEN);
	vg_buf_init(&ss.payload, VG_WIRE_CONTROL_MAX);
	int rc = sess_open(&ss, &err);
	if (rc == VG_EPERM && err.msg[0] == '\0') {
		vg_log_error("the manager %s:%u refused the connection: %s", sv->address,
			     (unsigned)sv->port, sess_error_text(&ss.payload, esc, sizeof(esc)));
	} else if (rc != 0) {
		vg_log_warn("cannot connect to the manager %s:%u: %s", sv->address,
			    (unsigned)sv->port, err.msg);
	} else {
		vg_log_info("connected to the manager %s:%u as agent %s; it holds events up to "
			    "%llu",
			    sv->address, (unsigned)sv->port, ss.id,
			    (unsigned long long)ss.w.last_event);
		sess_welcomed(&ss);
		end = sess_loop(&ss);
	}
	if (rc != 0 && stopping(s))
		end = SESS_STOPPED;
	vg_tls_close(ss.c);
	if (ss.batch_ready)
		vg_wire_batch_free(&ss.batch);
	vg_buf_free(&ss.frame);
	vg_buf_free(&ss.payload);
	return end;
}

/* ---- The thread ------------------------------------------------------------------ */

/* Wait ms or until stopped; true when stopped. */
static bool shipper_sleep(struct shipper *s, uint64_t ms)
{
	struct pollfd p = {s->ctl_fd, POLLIN, 0};
	uint64_t until = now_ms() + ms;

	for (;;) {
		uint64_t now = now_ms();
		if (stopping(s))
			return true;
		if (now >= until)
			return false;
		uint64_t left = until - now;
		(void)poll(&p, 1, left > 3600000 ? 3600000 : (int)left);
	}
}

static void *shipper_main(void *arg)
{
	struct shipper *s = arg;
	const struct vg_client_conf *cc = s->o.client;
	struct shipper_retry r = {0, 0};

	while (!stopping(s)) {
		enum sess_end end = session(s, &cc->servers[r.server]);
		if (end == SESS_STOPPED)
			break;
		uint64_t wait =
		    shipper_retry_next(&r, cc->servers, cc->nservers, end == SESS_DROPPED);
		if (shipper_sleep(s, wait))
			break;
	}
	return NULL;
}

int shipper_start(const struct shipper_opts *opts, struct shipper **out, struct vg_err *err)
{
	struct shipper *s = vg_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->o = *opts;
	s->io_ms = opts->io_timeout_ms > 0 ? opts->io_timeout_ms : SHIPPER_IO_MS;
	atomic_init(&s->stop, false);
	if (opts->client == NULL || opts->client->nservers == 0) {
		vg_free(s);
		return vg_err_set(err, VG_EPARSE, "shipper: no <server> to connect to");
	}
	s->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->ctl_fd < 0) {
		rc = vg_err_errno(err, errno, "shipper: eventfd");
		vg_free(s);
		return rc;
	}
	rc = pthread_create(&s->thr, NULL, shipper_main, s);
	if (rc != 0) {
		close(s->ctl_fd);
		vg_free(s);
		return vg_err_errno(err, rc, "shipper: cannot start its thread");
	}
	*out = s; /* transferred */
	return 0;
}

void shipper_stop(struct shipper *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	atomic_store(&s->stop, true);
	if (write(s->ctl_fd, &one, sizeof(one)) < 0)
		vg_log_debug("shipper: eventfd write: %s", strerror(errno));
	pthread_join(s->thr, NULL);
	close(s->ctl_fd);
	vg_free(s);
}
