/*
 * vigie-load.c - Many simulated agents on one manager (issue 4's load test).
 *
 *   vigie-load -m HOST -p PORT -e ENROLL_PORT -n AGENTS -d DIR
 *              [-P PASSFILE] [-b BATCH] [-t THREADS] EVENTS
 *
 * Each simulated agent is a real client of the protocol (docs/transport.md):
 * it enrolls once on ENROLL_PORT (its key and certificate are kept in
 * DIR/agent-NNNN/, so later runs reuse them), opens its own TLS 1.3
 * connection to PORT with its certificate, says HELLO, and sends its share
 * of the event lines of EVENTS (line i goes to agent i mod AGENTS) as zlib
 * batches of at most BATCH events, each answered by an ACK. A thread drives
 * AGENTS/THREADS connections: it sends one batch on each, then reads each
 * ACK, so every agent has a batch in flight and the manager sees them all
 * at once, as it would 500 real agents.
 *
 * Output (key=value, read by bench/run): agents, setup_s (reading EVENTS,
 * enrollment, connections), events (acknowledged), seconds (first batch to last ACK),
 * events_per_s, cpu_s (this process while sending, user + system: the
 * agents' side of the CPU), bytes (sent, compressed).
 *
 * The agents' work here is the protocol's (batching, zlib, TLS), not the
 * FIM engine's: the events come ready-made, like gen_events makes them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/enroll.h"
#include "lines.h"
#include "lib/fs.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/passfile.h"
#include "lib/pki.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "lib/wire.h"

#define IO_MS 60000
#define INPUT_MAX (4096ull * 1024 * 1024)

struct opts {
	const char *host, *dir, *passfile, *events;
	uint16_t port, enroll_port;
	unsigned agents, threads, batch;
};

struct sim {
	char id[VG_PKI_CN_MAX + 1];
	SSL_CTX *ctx;
	struct vg_tls_conn *conn;
	uint64_t next_id;    /* event ids: above what the manager holds */
	size_t next, stride; /* this agent's lines: next, next + stride, ... */
	uint32_t max_frame, max_inflated, max_events;
	uint64_t sent_bytes;
	size_t acked;
};

struct load {
	struct opts o;
	struct bench_lines lines;
	struct sim *sims;
	char *password;
	size_t password_len;
};

static void usage(void)
{
	fprintf(stderr, "usage: vigie-load -m HOST -p PORT -e ENROLL_PORT -n AGENTS -d DIR "
			"[-P PASSFILE] [-b BATCH] [-t THREADS] EVENTS\n");
	exit(2);
}

static unsigned num(const char *s, unsigned max)
{
	uint64_t v;
	if (vg_parse_u64(s, max, &v) != 0 || v == 0)
		usage();
	return (unsigned)v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){.host = "127.0.0.1", .threads = 2, .batch = 500};
	while ((c = getopt(argc, argv, "m:p:e:n:d:P:b:t:")) != -1) {
		switch (c) {
		case 'm':
			o->host = optarg;
			break;
		case 'p':
			o->port = (uint16_t)num(optarg, 65535);
			break;
		case 'e':
			o->enroll_port = (uint16_t)num(optarg, 65535);
			break;
		case 'n':
			o->agents = num(optarg, 100000);
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'P':
			o->passfile = optarg;
			break;
		case 'b':
			o->batch = num(optarg, VG_WIRE_EVENTS_MAX);
			break;
		case 't':
			o->threads = num(optarg, 64);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || o->port == 0 || o->enroll_port == 0 || o->agents == 0 ||
	    o->dir == NULL)
		usage();
	o->events = argv[optind];
}

static void die(const char *what, const struct vg_err *err)
{
	fprintf(stderr, "vigie-load: %s: %s\n", what, err->msg);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- enrollment */

static int enroll_one(struct load *l, const char *etc, unsigned i, struct vg_err *err)
{
	char name[32], *csr = NULL, *req = NULL;
	size_t req_len = 0;
	SSL_CTX *ctx = NULL;
	struct vg_tls_conn *c = NULL;
	struct vg_wire_hdr h;
	struct vg_buf answer;
	struct enroll_answer a = {0};
	int rc;

	vg_buf_init(&answer, VG_WIRE_CONTROL_MAX);
	snprintf(name, sizeof(name), "load-%04u", i);
	const struct enroll_request r = {
	    .name = name, .password = l->password, .password_len = l->password_len};
	if ((rc = vg_pki_agent_csr(etc, name, &csr, err)) != 0)
		goto out;
	struct enroll_request rr = r;
	rr.csr = csr;
	if ((rc = enroll_request_json(&rr, &req, &req_len, err)) != 0 ||
	    (rc = vg_tls_client_ctx(NULL, NULL, NULL, &ctx, err)) != 0 ||
	    (rc = vg_tls_connect(ctx, l->o.host, l->o.enroll_port, IO_MS, &c, err)) != 0 ||
	    (rc = vg_wire_send(c, VG_WIRE_ENROLL, 0, req, req_len, IO_MS, err)) != 0 ||
	    (rc = vg_wire_recv(c, VG_WIRE_CONTROL_MAX, IO_MS, &h, &answer, err)) != 0 ||
	    (rc = enroll_parse_answer(h.type, answer.data, answer.len, &a, err)) != 0)
		goto out;
	rc = vg_pki_agent_store(etc, a.cert, strlen(a.cert), a.ca, strlen(a.ca), NULL, err);
out:
	enroll_answer_free(&a);
	vg_buf_free(&answer);
	vg_tls_close(c);
	SSL_CTX_free(ctx);
	if (req != NULL)
		vg_freezero(req, req_len);
	vg_free(csr);
	return rc;
}

/* Enroll the agents that have no certificate yet; load every agent's id. */
static void enroll_all(struct load *l)
{
	struct vg_err err = VG_ERR_INIT;
	unsigned fresh = 0;

	if (mkdir(l->o.dir, 0700) != 0 && errno != EEXIST) {
		vg_err_errno(&err, errno, "cannot create %s", l->o.dir);
		die("setup", &err);
	}
	for (unsigned i = 0; i < l->o.agents; i++) {
		char *etc = vg_xasprintf("%s/agent-%04u", l->o.dir, i);
		char *pem = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_CERT);
		if (mkdir(etc, 0700) != 0 && errno != EEXIST) {
			vg_err_errno(&err, errno, "cannot create %s", etc);
			die("setup", &err);
		}
		if (access(pem, F_OK) != 0) {
			if (enroll_one(l, etc, i, &err) != 0)
				die("enrollment", &err);
			fresh++;
		}
		if (vg_pki_cert_cn(pem, l->sims[i].id, &err) != 0)
			die("agent certificate", &err);
		vg_free(etc);
		vg_free(pem);
	}
	fprintf(stderr, "vigie-load: %u agents (%u enrolled now)\n", l->o.agents, fresh);
}

/* ---------------------------------------------------------------- connections */

static uint32_t welcome_u32(json_t *w, const char *key, uint32_t dflt)
{
	json_int_t v = json_integer_value(json_object_get(w, key));
	return v > 0 && v <= UINT32_MAX ? (uint32_t)v : dflt;
}

static void hello(struct load *l, struct sim *s, unsigned i)
{
	struct vg_err err = VG_ERR_INIT;
	char *etc = vg_xasprintf("%s/agent-%04u", l->o.dir, i);
	char *cert = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_CERT);
	char *key = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_KEY);
	char *hello =
	    vg_xasprintf("{\"id\":\"%s\",\"version\":\"Vigie load\",\"config_sum\":\"\"}", s->id);
	struct vg_wire_hdr h;
	struct vg_buf payload;

	vg_buf_init(&payload, VG_WIRE_CONTROL_MAX);
	/* the server is checked against the CA the agent learnt at enrollment */
	char *ca_path = vg_xasprintf("%s/%s", etc, VG_PKI_AGENT_CA);
	struct vg_pki_ca *ca = NULL;
	if (vg_pki_ca_load_trust(ca_path, &ca, &err) != 0 ||
	    vg_tls_client_ctx(vg_pki_ca_cert(ca), cert, key, &s->ctx, &err) != 0 ||
	    vg_tls_connect(s->ctx, l->o.host, l->o.port, IO_MS, &s->conn, &err) != 0 ||
	    vg_wire_send(s->conn, VG_WIRE_HELLO, 0, hello, strlen(hello), IO_MS, &err) != 0 ||
	    vg_wire_recv(s->conn, VG_WIRE_CONTROL_MAX, IO_MS, &h, &payload, &err) != 0)
		die("connection", &err);
	json_t *w = json_loads(vg_buf_cstr(&payload), 0, NULL);
	if (h.type != VG_WIRE_WELCOME || w == NULL) {
		vg_err_set(&err, VG_EPARSE, "agent %s: expected WELCOME, got %s: %.200s", s->id,
			   vg_wire_type_name(h.type), vg_buf_cstr(&payload));
		die("connection", &err);
	}
	json_int_t last = json_integer_value(json_object_get(w, "last_event"));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t clock_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	s->next_id = ((uint64_t)last > clock_us ? (uint64_t)last : clock_us) + 1;
	s->max_frame = welcome_u32(w, "max_frame", VG_WIRE_FRAME_MAX);
	s->max_inflated = welcome_u32(w, "max_inflated", VG_WIRE_INFLATED_MAX);
	s->max_events = welcome_u32(w, "max_events", VG_WIRE_EVENTS_MAX);
	json_decref(w);
	vg_pki_ca_free(ca);
	vg_buf_free(&payload);
	vg_free(ca_path);
	vg_free(hello);
	vg_free(cert);
	vg_free(key);
	vg_free(etc);
}

/* ---------------------------------------------------------------- sending */

struct worker {
	struct load *l;
	unsigned first; /* agents first, first + threads, ... */
	pthread_t thr;
};

/* Build and send this agent's next batch; false when it has nothing left. */
static bool send_batch(struct load *l, struct sim *s, struct vg_wire_batch *b, struct vg_buf *frame,
		       char *rec, size_t rec_max)
{
	struct vg_err err = VG_ERR_INIT;
	size_t max = l->o.batch < s->max_events ? l->o.batch : s->max_events;

	if (s->next >= l->lines.n)
		return false;
	vg_wire_batch_reset(b, s->id);
	while (s->next < l->lines.n && b->count < max) {
		size_t len = l->lines.len[s->next];
		if (9 + len > rec_max)
			die("input", &(struct vg_err){VG_ETOOBIG, "event line too long"});
		memcpy(rec, "syscheck\n", 9);
		memcpy(rec + 9, l->lines.line[s->next], len);
		if (vg_wire_batch_add(b, s->next_id, rec, 9 + len, &err) != 0)
			break; /* full: the rest goes in the next batch */
		s->next_id++;
		s->next += s->stride;
	}
	if (vg_wire_batch_frame(b, 1, s->max_frame, frame, &err) != 0 ||
	    vg_wire_send_raw(s->conn, frame, IO_MS, &err) != 0)
		die("send", &err);
	s->sent_bytes += frame->len;
	return true;
}

static void read_ack(struct sim *s, size_t count, struct vg_buf *payload)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_wire_hdr h;
	uint64_t id;

	for (;;) {
		if (vg_wire_recv(s->conn, VG_WIRE_CONTROL_MAX, IO_MS, &h, payload, &err) != 0)
			die("ack", &err);
		if (h.type == VG_WIRE_ACK)
			break;
		if (h.type == VG_WIRE_ERROR) {
			vg_err_set(&err, VG_EPERM, "agent %s: %s", s->id, vg_buf_cstr(payload));
			die("manager", &err);
		}
	}
	if (vg_wire_u64_decode(payload->data, payload->len, &id, &err) != 0)
		die("ack", &err);
	s->acked += count;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct load *l = w->l;
	struct vg_wire_batch b;
	struct vg_buf frame, payload;
	size_t rec_max = 1u << 20;
	char *rec = vg_xmalloc(rec_max);
	size_t *inflight = vg_xcalloc(l->o.agents, sizeof(*inflight));

	vg_wire_batch_init(&b, "", VG_WIRE_INFLATED_MAX, VG_WIRE_EVENTS_MAX);
	vg_buf_init(&frame, VG_WIRE_FRAME_LIMIT);
	vg_buf_init(&payload, VG_WIRE_CONTROL_MAX);
	for (bool more = true; more;) {
		more = false;
		for (unsigned i = w->first; i < l->o.agents; i += l->o.threads) {
			inflight[i] = 0;
			if (send_batch(l, &l->sims[i], &b, &frame, rec, rec_max)) {
				inflight[i] = b.count;
				more = true;
			}
		}
		for (unsigned i = w->first; i < l->o.agents; i += l->o.threads)
			if (inflight[i] > 0)
				read_ack(&l->sims[i], inflight[i], &payload);
	}
	vg_wire_batch_free(&b);
	vg_buf_free(&frame);
	vg_buf_free(&payload);
	vg_free(inflight);
	vg_free(rec);
	return NULL;
}

/* ---------------------------------------------------------------- main */

static void load_input(struct load *l)
{
	struct vg_err err = VG_ERR_INIT;

	vg_buf_init(&l->lines.text, INPUT_MAX);
	if (vg_fs_read_file(l->o.events, "events file ", &l->lines.text, &err) != 0)
		die("events", &err);
	bench_lines_split(&l->lines);
	if (l->lines.n == 0) {
		vg_err_set(&err, VG_EPARSE, "%s holds no event line", l->o.events);
		die("events", &err);
	}
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct load l = {0};
	struct vg_err err = VG_ERR_INIT;
	size_t acked = 0;
	uint64_t bytes = 0;

	double setup0 = now_s(); /* setup_s: input, enrollment, connections */

	signal(SIGPIPE, SIG_IGN);
	parse(argc, argv, &l.o);
	if (l.o.threads > l.o.agents)
		l.o.threads = l.o.agents;
	if (l.o.passfile != NULL &&
	    vg_passfile_read(l.o.passfile, &l.password, &l.password_len, &err) != 0)
		die("password", &err);
	load_input(&l);
	l.sims = vg_xcalloc(l.o.agents, sizeof(*l.sims));
	enroll_all(&l);
	for (unsigned i = 0; i < l.o.agents; i++) {
		l.sims[i].next = i;
		l.sims[i].stride = l.o.agents;
		hello(&l, &l.sims[i], i);
	}
	struct worker *w = vg_xcalloc(l.o.threads, sizeof(*w));
	double cpu0 = cpu_s(), t0 = now_s();
	for (unsigned t = 0; t < l.o.threads; t++) {
		w[t] = (struct worker){.l = &l, .first = t};
		pthread_create(&w[t].thr, NULL, work, &w[t]);
	}
	for (unsigned t = 0; t < l.o.threads; t++)
		pthread_join(w[t].thr, NULL);
	double secs = now_s() - t0, cpu = cpu_s() - cpu0;
	for (unsigned i = 0; i < l.o.agents; i++) {
		acked += l.sims[i].acked;
		bytes += l.sims[i].sent_bytes;
		vg_tls_close(l.sims[i].conn);
		SSL_CTX_free(l.sims[i].ctx);
	}
	printf("agents=%u setup_s=%.3f events=%zu seconds=%.3f events_per_s=%.0f cpu_s=%.3f "
	       "bytes=%" PRIu64 "\n",
	       l.o.agents, t0 - setup0, acked, secs, acked / secs, cpu, bytes);
	vg_free(w);
	vg_free(l.sims);
	vg_free(l.lines.line);
	vg_free(l.lines.len);
	vg_buf_free(&l.lines.text);
	if (l.password != NULL)
		vg_passfile_free(l.password, l.password_len);
	return acked == l.lines.n ? 0 : 1;
}
