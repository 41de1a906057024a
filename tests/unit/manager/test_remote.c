/*
 * Unit tests for src/manager/remote*.c: a real manager channel on
 * 127.0.0.1 (ephemeral ports) with its CA, server certificate, registry,
 * event queue and agents' FIFO in a temporary HOME, and real clients built
 * from lib/tls.h and lib/wire.h, as the agent will be. The tests play the
 * analysis on the FIFO (read, then release = committed), or run the real
 * pipeline for the exactly-once cases.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "lib/dqueue.h"
#include "lib/fs.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pki.h"
#include "lib/tls.h"
#include "lib/wire.h"
#include "manager/analysis.h"
#include "manager/ingest.h"
#include "manager/registry.h"
#include "manager/remote.h"
#include "support/support.h"

#define T_MS 2000
#define T_PASSWORD "Sup3r-s3cret-enrollment"

struct fx {
	char home[64];
	char etc[96], agent[96], log[96];
	struct vg_pki_ca *ca;
	struct vg_dq *q;
	struct mgr_ingest *in;
	size_t in_records; /* the FIFO's record bound; 0: the default */
	struct mgr_remote listener;
	struct mgr_remote_conf rconf;
	struct mgr_auth_conf auth;
	struct remote *r;
	char id[VG_PKI_CN_MAX + 1]; /* the enrolled agent */
	int hello_ms;               /* 0: the default */
	atomic_uint_fast64_t acked; /* the last command id acknowledged */
	/* an "analysis" committing whatever reaches the FIFO */
	pthread_t committer;
	bool committing;
	atomic_bool stop_committer;
	/* the real one */
	struct rules_set *rules;
	struct an_settings settings;
	struct an_pipeline *p;
};

/* ---------------------------------------------------------------- fixture */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_ack(void *ctx, const char *agent_id, uint64_t id)
{
	struct fx *f = ctx;

	assert_string_equal(agent_id, "001");
	atomic_store(&f->acked, id);
}

static void start(struct fx *f, const char *password, uint32_t max_frame)
{
	struct remote_opts o = {0};
	struct reg *reg = NULL;
	char *rp = reg_path(f->home);
	char *cert = vg_xasprintf("%s/%s", f->etc, VG_PKI_SERVER_CERT);
	char *key = vg_xasprintf("%s/%s", f->etc, VG_PKI_SERVER_KEY);

	assert_int_equal(reg_open(rp, NULL, &reg, NULL), 0);
	if (f->in == NULL) {
		struct mgr_ingest_opts io = {f->in_records, 0};
		assert_int_equal(mgr_ingest_new(&io, &f->in, NULL), 0);
	}
	o.home = f->home;
	o.ingest = f->in;
	o.remote = &f->rconf;
	o.auth = &f->auth;
	o.registry = reg;
	o.ca = f->ca;
	o.server_cert = cert;
	o.server_key = key;
	o.queue = f->q;
	o.auth_bind = "127.0.0.1";
	o.password = password;
	o.password_len = password != NULL ? strlen(password) : 0;
	o.max_frame = max_frame;
	o.hello_ms = f->hello_ms;
	o.on_command_ack = on_ack;
	o.ack_ctx = f;
	struct vg_err err = VG_ERR_INIT;
	if (remote_open(&o, &f->r, &err) != 0)
		fail_msg("remote_open: %s", err.msg);
	assert_int_equal(remote_start(f->r, NULL), 0);
	vg_free(rp);
	vg_free(cert);
	vg_free(key);
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	const char *names[] = {"localhost"};

	snprintf(f->home, sizeof(f->home), "/tmp/vg-remote-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	snprintf(f->etc, sizeof(f->etc), "%s/etc", f->home);
	snprintf(f->agent, sizeof(f->agent), "%s/agent", f->home);
	snprintf(f->log, sizeof(f->log), "%s/vigie.log", f->home);
	assert_int_equal(vg_fs_mkdirs(f->etc, 0750, NULL), 0);
	assert_int_equal(vg_fs_mkdirs(f->agent, 0750, NULL), 0);
	char *qdir = vg_xasprintf("%s/queue", f->home);
	assert_int_equal(vg_fs_mkdirs(qdir, 0750, NULL), 0);
	char *qpath = vg_xasprintf("%s/events.db", qdir);
	assert_int_equal(vg_dq_open(qpath, NULL, &f->q, NULL), 0);
	vg_free(qpath);
	vg_free(qdir);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	assert_int_equal(vg_pki_ca_open(f->etc, "mgr", &f->ca, NULL, NULL), 0);
	assert_int_equal(vg_pki_server_ensure(f->ca, f->etc, names, 1, 0, NULL, NULL), 0);
	f->listener.port = 0;
	snprintf(f->listener.bind, sizeof(f->listener.bind), "127.0.0.1");
	f->listener.events_per_second = 0;
	f->rconf.remotes = &f->listener;
	f->rconf.nremotes = 1;
	mgr_auth_conf_init(&f->auth);
	f->auth.port = 0;
	f->auth.use_source_ip = true;
	*state = f;
	return 0;
}

static void committer_stop(struct fx *f);

static int teardown(void **state)
{
	struct fx *f = *state;

	remote_close(f->r);
	committer_stop(f);
	an_pipeline_close(f->p);
	rules_set_free(f->rules);
	mgr_ingest_free(f->in);
	vg_dq_close(f->q);
	vg_pki_ca_free(f->ca);
	vg_log_close();
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* ---------------------------------------------------------------- clients */

struct frame {
	struct vg_wire_hdr h;
	struct vg_buf p;
	int rc; /* of vg_wire_recv */
};

static void frame_free(struct frame *fr)
{
	vg_buf_free(&fr->p);
}

static struct frame recv_frame(struct vg_tls_conn *c)
{
	struct frame fr = {.p = VG_BUF_INIT(VG_WIRE_FRAME_MAX)};
	fr.rc = vg_wire_recv(c, VG_WIRE_FRAME_MAX, T_MS, &fr.h, &fr.p, NULL);
	return fr;
}

static void send_json(struct vg_tls_conn *c, unsigned type, const char *json)
{
	assert_int_equal(vg_wire_send(c, type, 0, json, strlen(json), T_MS, NULL), 0);
}

/* Expect an ERROR frame mentioning want, or a closed connection when want is NULL. */
static void expect_error(struct vg_tls_conn *c, const char *want)
{
	struct frame fr = recv_frame(c);
	if (want == NULL) {
		if (fr.rc == 0)
			assert_int_equal(fr.h.type, VG_WIRE_ERROR);
	} else {
		assert_int_equal(fr.rc, 0);
		assert_int_equal(fr.h.type, VG_WIRE_ERROR);
		if (strstr(vg_buf_cstr(&fr.p), want) == NULL)
			fail_msg("ERROR '%s' does not mention '%s'", vg_buf_cstr(&fr.p), want);
	}
	frame_free(&fr);
}

/* ENROLL name (with password) into dir; the answer frame. */
static struct frame enroll_to(struct fx *f, const char *dir, const char *name, const char *password)
{
	SSL_CTX *ctx = NULL;
	struct vg_tls_conn *c = NULL;
	char *csr = NULL;

	assert_int_equal(vg_pki_agent_csr(dir, name, &csr, NULL), 0);
	json_t *j = json_pack("{s:s,s:s,s:s}", "name", name, "version", "Vigie v0.4.0", "csr", csr);
	if (password != NULL)
		json_object_set_new(j, "password", json_string(password));
	struct vg_buf tb = VG_BUF_INIT(VG_WIRE_CONTROL_MAX);
	assert_int_equal(vg_json_dump(&tb, j, NULL), 0);
	const char *text = vg_buf_cstr(&tb);
	assert_int_equal(vg_tls_client_ctx(NULL, NULL, NULL, &ctx, NULL), 0);
	assert_int_equal(
	    vg_tls_connect(ctx, "127.0.0.1", remote_port(f->r, REMOTE_ENROLL), T_MS, &c, NULL), 0);
	send_json(c, VG_WIRE_ENROLL, text);
	struct frame fr = recv_frame(c);
	assert_int_equal(fr.rc, 0);
	if (fr.h.type == VG_WIRE_ENROLLED) {
		json_t *a = json_loads(vg_buf_cstr(&fr.p), 0, NULL);
		const char *cert = json_string_value(json_object_get(a, "cert"));
		const char *ca = json_string_value(json_object_get(a, "ca"));
		assert_non_null(cert);
		assert_non_null(ca);
		assert_int_equal(
		    vg_pki_agent_store(dir, cert, strlen(cert), ca, strlen(ca), f->id, NULL), 0);
		assert_string_equal(json_string_value(json_object_get(a, "id")), f->id);
		json_decref(a);
	}
	vg_tls_close(c);
	SSL_CTX_free(ctx);
	vg_buf_free(&tb);
	json_decref(j);
	vg_free(csr);
	return fr;
}

static void enroll_ok(struct fx *f, const char *name)
{
	struct frame fr = enroll_to(f, f->agent, name, NULL);
	assert_int_equal(fr.h.type, VG_WIRE_ENROLLED);
	frame_free(&fr);
}

/* Connect to the events port with dir's certificate (or none); NULL on failure. */
static struct vg_tls_conn *connect_events(struct fx *f, const char *dir, bool with_cert)
{
	SSL_CTX *ctx = NULL;
	struct vg_tls_conn *c = NULL;
	char *cert = vg_xasprintf("%s/%s", dir, VG_PKI_AGENT_CERT);
	char *key = vg_xasprintf("%s/%s", dir, VG_PKI_AGENT_KEY);

	assert_int_equal(vg_tls_client_ctx(vg_pki_ca_cert(f->ca), with_cert ? cert : NULL,
					   with_cert ? key : NULL, &ctx, NULL),
			 0);
	if (vg_tls_connect(ctx, "127.0.0.1", remote_port(f->r, REMOTE_EVENTS), T_MS, &c, NULL) != 0)
		c = NULL;
	SSL_CTX_free(ctx); /* the connection keeps its own reference */
	vg_free(cert);
	vg_free(key);
	return c;
}

/* HELLO as id; returns WELCOME's last_event. */
static uint64_t hello(struct vg_tls_conn *c, const char *id)
{
	char text[160];
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"version\":\"Vigie v0.4.0\",\"config_sum\":\"ab12\"}", id);
	send_json(c, VG_WIRE_HELLO, text);
	struct frame fr = recv_frame(c);
	assert_int_equal(fr.rc, 0);
	if (fr.h.type != VG_WIRE_WELCOME)
		fail_msg("expected WELCOME, got %s %s", vg_wire_type_name(fr.h.type),
			 vg_buf_cstr(&fr.p));
	json_t *j = json_loads(vg_buf_cstr(&fr.p), 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "agent"), "id")),
			    id);
	uint64_t last = (uint64_t)json_integer_value(json_object_get(j, "last_event"));
	json_decref(j);
	frame_free(&fr);
	return last;
}

/* Send a batch (claimed id, ids first..first+n-1 at location loc), zlib level 6. */
static void send_batch(struct vg_tls_conn *c, const char *claimed, uint64_t first, size_t n,
		       const char *loc)
{
	struct vg_wire_batch b;
	struct vg_buf frame = VG_BUF_INIT(VG_WIRE_FRAME_MAX + VG_WIRE_HDR_LEN);

	vg_wire_batch_init(&b, claimed, VG_WIRE_INFLATED_MAX, VG_WIRE_EVENTS_MAX);
	for (size_t i = 0; i < n; i++) {
		char *rec =
		    vg_xasprintf("%s\n{\"type\":\"event\",\"data\":{\"path\":\"/tmp/f%zu\"}}", loc,
				 (size_t)(first + i));
		assert_int_equal(vg_wire_batch_add(&b, first + i, rec, strlen(rec), NULL), 0);
		vg_free(rec);
	}
	assert_int_equal(vg_wire_batch_frame(&b, 6, VG_WIRE_FRAME_MAX, &frame, NULL), 0);
	assert_int_equal(vg_wire_send_raw(c, &frame, T_MS, NULL), 0);
	vg_buf_free(&frame);
	vg_wire_batch_free(&b);
}

static uint64_t expect_ack(struct vg_tls_conn *c)
{
	uint64_t v = 0;
	struct frame fr = recv_frame(c);
	assert_int_equal(fr.rc, 0);
	if (fr.h.type != VG_WIRE_ACK)
		fail_msg("expected ACK, got %s %s", vg_wire_type_name(fr.h.type),
			 vg_buf_cstr(&fr.p));
	assert_int_equal(vg_wire_u64_decode(fr.p.data, fr.p.len, &v, NULL), 0);
	frame_free(&fr);
	return v;
}

/* The queue's records, "source|source_seq|data" joined by '\n'. */
struct dump {
	struct vg_buf out;
	size_t n;
};

static int dump_rec(void *ctx, const struct vg_dq_rec *rec)
{
	struct dump *d = ctx;
	d->n++;
	assert_int_equal(vg_buf_printf(&d->out, "%s|%llu|%.*s\n", rec->source,
				       (unsigned long long)rec->source_seq, (int)rec->len,
				       (const char *)rec->data),
			 0);
	return 0;
}

static char *queue_dump(struct fx *f, size_t *n)
{
	struct dump d = {.out = VG_BUF_INIT(1 << 20)};
	assert_int_equal(vg_dq_read(f->q, 0, 1000, dump_rec, &d, NULL, NULL), 0);
	*n = d.n;
	assert_int_equal(vg_buf_puts(&d.out, ""), 0);
	return vg_buf_take(&d.out);
}

/* A second registry handle, as `vigie agents` beside the manager. */
static struct reg *reg_side(struct fx *f)
{
	struct reg *r = NULL;
	char *p = reg_path(f->home);
	assert_int_equal(reg_open(p, NULL, &r, NULL), 0);
	vg_free(p);
	return r;
}

/* ---------------------------------------------------------------- analysis */

/* The FIFO's records read, "agent|id|data" joined by '\n'. */
static int dump_item(void *ctx, const struct mgr_ingest_item *it)
{
	struct dump *d = ctx;
	d->n++;
	assert_int_equal(vg_buf_printf(&d->out, "%s|%llu|%.*s\n", it->agent,
				       (unsigned long long)it->id, (int)it->len,
				       (const char *)it->data),
			 0);
	return 0;
}

/* Read the FIFO until want records came (or T_MS passed); not released. */
static char *take(struct fx *f, size_t want, size_t *n)
{
	struct dump d = {.out = VG_BUF_INIT(1 << 20)};
	int64_t end = now_ms() + T_MS;

	while (d.n < want && now_ms() < end) {
		if (mgr_ingest_read(f->in, 1000, dump_item, &d) == 0)
			usleep(10 * 1000);
	}
	*n = d.n;
	assert_int_equal(vg_buf_puts(&d.out, ""), 0);
	return vg_buf_take(&d.out);
}

/* Nothing arrives on c within ms. */
static void expect_silence(struct vg_tls_conn *c, int ms)
{
	struct frame fr = {.p = VG_BUF_INIT(VG_WIRE_FRAME_MAX)};
	fr.rc = vg_wire_recv(c, VG_WIRE_FRAME_MAX, ms, &fr.h, &fr.p, NULL);
	if (fr.rc == 0)
		fail_msg("expected nothing, got %s", vg_wire_type_name(fr.h.type));
	frame_free(&fr);
}

static uint64_t pushed(struct fx *f)
{
	struct mgr_ingest_stats st;
	mgr_ingest_stats(f->in, &st);
	return st.pushed;
}

static int ignore_item(void *ctx, const struct mgr_ingest_item *it)
{
	(void)ctx;
	(void)it;
	return 0;
}

static void *committer(void *arg)
{
	struct fx *f = arg;
	while (!atomic_load(&f->stop_committer)) {
		if (mgr_ingest_read(f->in, 1000, ignore_item, NULL) > 0)
			mgr_ingest_release(f->in);
		else
			usleep(5 * 1000);
	}
	return NULL;
}

/* Commit whatever reaches the FIFO, as analysis would (after start). */
static void committer_start(struct fx *f)
{
	atomic_store(&f->stop_committer, false);
	assert_int_equal(pthread_create(&f->committer, NULL, committer, f), 0);
	f->committing = true;
}

static void committer_stop(struct fx *f)
{
	if (!f->committing)
		return;
	atomic_store(&f->stop_committer, true);
	pthread_join(f->committer, NULL);
	f->committing = false;
}

/* The real pipeline on the queue and the FIFO (loads the store's marks). */
static void pipeline_open(struct fx *f)
{
	const struct an_settings defaults = AN_SETTINGS_INIT;
	struct rules_opts ro = RULES_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;

	if (f->rules == NULL) {
		ro.home = f->home;
		ro.ruleset_root = VIGIE_SOURCE_RULESET;
		assert_int_equal(rules_load(&ro, &f->rules, NULL), 0);
		f->settings = defaults;
	}
	if (f->in == NULL)
		assert_int_equal(mgr_ingest_new(NULL, &f->in, NULL), 0);
	const struct an_pipeline_opts o = {
	    .home = f->home,
	    .settings = &f->settings,
	    .manager_name = "testhost",
	    .queue = f->q,
	    .ingest = f->in,
	    .rules = f->rules,
	};
	if (an_pipeline_open(&o, &f->p, &err) != 0)
		fail_msg("an_pipeline_open: %s", err.msg);
}

/* Run the pipeline until it committed want agents' records in all. */
static void pipeline_until(struct fx *f, uint64_t want)
{
	struct an_pipeline_stats st;
	struct vg_err err = VG_ERR_INIT;
	int64_t end = now_ms() + T_MS;

	do {
		if (an_pipeline_run(f->p, 50, NULL, &err) != 0)
			fail_msg("an_pipeline_run: %s", err.msg);
		an_pipeline_stats(f->p, &st);
	} while (st.agents < want && now_ms() < end);
	assert_int_equal(st.agents, want);
}

/* The process dies: the channel, the pipeline and the FIFO go, the files stay. */
static void crash(struct fx *f)
{
	remote_close(f->r);
	f->r = NULL;
	an_pipeline_close(f->p);
	f->p = NULL;
	mgr_ingest_free(f->in);
	f->in = NULL;
}

/* How many alerts.json lines name path (as "path":"PATH"). */
static size_t alerts_for(struct fx *f, const char *path)
{
	char *p = vg_xasprintf("%s/logs/alerts/alerts.json", f->home);
	char *s = vg_test_read_file(p);
	char *needle = vg_xasprintf("\"path\":\"%s\"", path);
	size_t n = 0;

	for (const char *at = s; (at = strstr(at, needle)) != NULL; at++)
		n++;
	vg_free(needle);
	vg_free(s);
	vg_free(p);
	return n;
}

/* A batch of FIM "added" events for /tmp/fID, ids first..first+n-1. */
static void send_fim_batch(struct vg_tls_conn *c, uint64_t first, size_t n)
{
	struct vg_wire_batch b;
	struct vg_buf frame = VG_BUF_INIT(VG_WIRE_FRAME_MAX + VG_WIRE_HDR_LEN);

	vg_wire_batch_init(&b, "001", VG_WIRE_INFLATED_MAX, VG_WIRE_EVENTS_MAX);
	for (size_t i = 0; i < n; i++) {
		char *rec = vg_xasprintf(
		    "syscheck\n{\"type\":\"event\",\"data\":{\"path\":\"/tmp/f%llu\",\"version\":2,"
		    "\"mode\":\"realtime\",\"type\":\"added\",\"timestamp\":1704891124,"
		    "\"attributes\":{\"type\":\"file\",\"size\":3,\"perm\":\"rw-r--r--\","
		    "\"uid\":\"0\",\"gid\":\"0\",\"inode\":\"21388\",\"mtime\":1704891124,"
		    "\"hash_md5\":\"d41d8cd98f00b204e9800998ecf8427e\"}}}",
		    (unsigned long long)(first + i));
		assert_int_equal(vg_wire_batch_add(&b, first + i, rec, strlen(rec), NULL), 0);
		vg_free(rec);
	}
	assert_int_equal(vg_wire_batch_frame(&b, 6, VG_WIRE_FRAME_MAX, &frame, NULL), 0);
	assert_int_equal(vg_wire_send_raw(c, &frame, T_MS, NULL), 0);
	vg_buf_free(&frame);
	vg_wire_batch_free(&b);
}

/* ---------------------------------------------------------------- enrollment */

static void test_remote__enroll_without_password(void **state)
{
	struct fx *f = *state;
	struct reg_agent a;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	assert_string_equal(f->id, "001");
	struct reg *side = reg_side(f);
	assert_int_equal(reg_get(side, "001", &a, NULL), 0);
	assert_string_equal(a.name, "web1");
	assert_string_equal(a.ip, "127.0.0.1"); /* use_source_ip */
	reg_close(side);
	/* an invalid name is refused with the registry's reason */
	struct frame fr = enroll_to(f, f->agent, "1234", NULL);
	assert_int_equal(fr.h.type, VG_WIRE_ERROR);
	frame_free(&fr);
}

static void test_remote__enroll_password(void **state)
{
	struct fx *f = *state;
	struct remote_stats st;

	start(f, T_PASSWORD, 0);
	struct frame fr = enroll_to(f, f->agent, "web1", "wrong-" T_PASSWORD);
	assert_int_equal(fr.h.type, VG_WIRE_ERROR);
	assert_non_null(strstr(vg_buf_cstr(&fr.p), "invalid password"));
	frame_free(&fr);
	fr = enroll_to(f, f->agent, "web1", NULL);
	assert_int_equal(fr.h.type, VG_WIRE_ERROR);
	frame_free(&fr);
	fr = enroll_to(f, f->agent, "web1", T_PASSWORD);
	assert_int_equal(fr.h.type, VG_WIRE_ENROLLED);
	frame_free(&fr);
	remote_stats(f->r, &st);
	assert_int_equal(st.enrolled, 1);
	remote_stop(f->r); /* nothing logs while the log is read */
	char *log = vg_test_read_log(f->log);
	assert_non_null(strstr(log, "enrollment from 127.0.0.1 refused: invalid password"));
	assert_null(strstr(log, T_PASSWORD));
	vg_free(log);
}

static void test_remote__enroll_active_name_refused(void **state)
{
	struct fx *f = *state;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	/* not connected yet: a second enrollment replaces it */
	enroll_ok(f, "web1");
	assert_string_equal(f->id, "002");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "002");
	usleep(1200 * 1000); /* the keepalive flush makes it active */
	char other[128];
	snprintf(other, sizeof(other), "%s/other", f->home);
	assert_int_equal(vg_fs_mkdirs(other, 0750, NULL), 0);
	struct frame fr = enroll_to(f, other, "web1", NULL);
	assert_int_equal(fr.h.type, VG_WIRE_ERROR);
	assert_non_null(strstr(vg_buf_cstr(&fr.p), "active"));
	frame_free(&fr);
	vg_tls_close(c);
}

/* ---------------------------------------------------------------- events */

static void test_remote__batch_acked_after_commit_and_taken_once(void **state)
{
	struct fx *f = *state;
	struct remote_stats st;
	size_t n = 0;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 0);
	send_batch(c, "001", 10, 3, "syscheck");
	char *q = take(f, 3, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(q, "001|10|[001] (web1) 127.0.0.1->syscheck\n{\"type\":\"event\","
				  "\"data\":{\"path\":\"/tmp/f10\"}}\n"));
	vg_free(q);
	/* read by analysis, not committed: no ACK, and nothing in the event queue */
	expect_silence(c, 300);
	q = queue_dump(f, &n);
	assert_int_equal(n, 0);
	vg_free(q);
	mgr_ingest_release(f->in); /* committed */
	assert_int_equal(expect_ack(c), 12);
	/* a redelivery of committed events is acknowledged at once, taken no more */
	send_batch(c, "001", 10, 3, "syscheck");
	assert_int_equal(expect_ack(c), 12);
	assert_int_equal(pushed(f), 3);
	remote_stats(f->r, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.events, 3);
	assert_int_equal(st.duplicates, 3);
	vg_tls_close(c);
	/* a reconnecting agent learns what the manager holds */
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 12);
	vg_tls_close(c);
}

static void test_remote__resend_of_events_in_memory_waits_for_their_commit(void **state)
{
	struct fx *f = *state;
	size_t n = 0;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 0);
	send_batch(c, "001", 1, 3, "syscheck");
	vg_free(take(f, 3, &n)); /* being analysed */
	assert_int_equal(n, 3);
	vg_tls_close(c); /* the agent reconnects before the ACK */
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 0);   /* nothing committed yet */
	send_batch(c, "001", 1, 4, "syscheck"); /* 1..3 held already, 4 is new */
	expect_silence(c, 300);
	mgr_ingest_release(f->in); /* 1..3 committed: 4 is not */
	expect_silence(c, 300);
	vg_free(take(f, 1, &n));
	assert_int_equal(n, 1);
	mgr_ingest_release(f->in);
	assert_int_equal(expect_ack(c), 4);
	assert_int_equal(pushed(f), 4);
	vg_tls_close(c);
}

static void test_remote__keepalive_pong_and_registry(void **state)
{
	struct fx *f = *state;
	struct reg_agent a;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	send_json(c, VG_WIRE_KEEPALIVE,
		  "{\"version\":\"Vigie v0.5.0\",\"config_sum\":\"cafe\",\"outbox_full\":"
		  "{\"events\":7,\"bytes\":99}}");
	struct frame fr = recv_frame(c);
	assert_int_equal(fr.rc, 0);
	assert_int_equal(fr.h.type, VG_WIRE_PONG);
	frame_free(&fr);
	struct reg *side = reg_side(f);
	for (int i = 0; i < 30; i++) { /* flushed within a second */
		assert_int_equal(reg_get(side, "001", &a, NULL), 0);
		if (a.last_keepalive > 0)
			break;
		usleep(100 * 1000);
	}
	assert_true(a.last_keepalive > 0);
	assert_string_equal(a.version, "Vigie v0.5.0");
	assert_string_equal(a.config_sum, "cafe");
	reg_close(side);
	size_t n = 0;
	char *q = queue_dump(f, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(q, "001|0|[001] (web1) 127.0.0.1->vigie-agent\nossec: Agent outbox "
				  "is full: 7 events, 99 bytes wait on the agent"));
	vg_free(q);
	vg_tls_close(c);
}

static void expect_command(struct vg_tls_conn *c, const char *id_json)
{
	struct frame fr = recv_frame(c);

	assert_int_equal(fr.rc, 0);
	assert_int_equal(fr.h.type, VG_WIRE_COMMAND);
	assert_non_null(strstr(vg_buf_cstr(&fr.p), "\"restart\""));
	assert_non_null(strstr(vg_buf_cstr(&fr.p), id_json));
	frame_free(&fr);
}

static void test_remote__command_delivered(void **state)
{
	struct fx *f = *state;
	uint8_t ack[8];

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	assert_int_equal(remote_command(f->r, "001", 7, "{\"command\":\"restart\"}", NULL), 0);
	assert_int_equal(remote_command(f->r, "001", 7, "{\"command\":\"restart\"}", NULL), 0);
	assert_int_equal(remote_command(f->r, "001", 8, "[1]", NULL), VG_EPARSE);
	assert_int_equal(remote_command(f->r, "001", 9, "{\"command\":\"restart\"}", NULL), 0);
	assert_true(remote_command_cancel(f->r, 9)); /* not sent yet */
	assert_false(remote_command_cancel(f->r, 9));

	/* sent, not acknowledged: the next connection gets it again, once */
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	expect_command(c, "\"id\":7");
	assert_false(remote_command_cancel(f->r, 7)); /* on its way */
	vg_tls_close(c);
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	expect_command(c, "\"id\":7");
	vg_wire_u64_encode(ack, 7);
	assert_int_equal(vg_wire_send(c, VG_WIRE_COMMAND_ACK, 0, ack, 8, T_MS, NULL), 0);
	send_json(c, VG_WIRE_KEEPALIVE, "{}");
	struct frame fr = recv_frame(c);
	assert_int_equal(fr.h.type, VG_WIRE_PONG); /* nothing else came */
	frame_free(&fr);
	assert_int_equal(atomic_load(&f->acked), 7);
	vg_tls_close(c);

	/* acknowledged: forgotten */
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	send_json(c, VG_WIRE_KEEPALIVE, "{}");
	fr = recv_frame(c);
	assert_int_equal(fr.h.type, VG_WIRE_PONG);
	frame_free(&fr);
	vg_tls_close(c);
}

static void test_remote__full_fifo_holds_the_batch_until_room(void **state)
{
	struct fx *f = *state;
	struct vg_tls_conn *c;
	size_t n = 0;

	f->in_records = 3;
	start(f, NULL, 0);
	enroll_ok(f, "web1");
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	send_batch(c, "001", 1, 2, "syscheck");
	send_batch(c, "001", 3, 2, "syscheck"); /* 4 > 3: held, not taken */
	expect_silence(c, 300);
	assert_int_equal(pushed(f), 2);
	/* analysis commits the first: its ACK, then the held batch goes in */
	char *q = take(f, 2, &n);
	assert_int_equal(n, 2);
	vg_free(q);
	mgr_ingest_release(f->in);
	assert_int_equal(expect_ack(c), 2);
	q = take(f, 2, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(q, "001|4|"));
	vg_free(q);
	mgr_ingest_release(f->in);
	assert_int_equal(expect_ack(c), 4);
	vg_tls_close(c);
}

static void test_remote__resend_after_reconnect_is_analysed_once(void **state)
{
	struct fx *f = *state;

	pipeline_open(f);
	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 0);
	send_fim_batch(c, 1, 3);
	vg_tls_close(c); /* before any ACK: the agent sends it again */
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	uint64_t last = hello(c, "001");
	send_fim_batch(c, last + 1, 3 - last);
	pipeline_until(f, 3);
	assert_int_equal(expect_ack(c), 3);
	for (int i = 1; i <= 3; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/tmp/f%d", i);
		assert_int_equal(alerts_for(f, path), 1);
	}
	vg_tls_close(c);
}

static void test_remote__restart_resumes_from_the_committed_mark(void **state)
{
	struct fx *f = *state;

	pipeline_open(f);
	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 0);
	send_fim_batch(c, 1, 3);
	pipeline_until(f, 3);
	assert_int_equal(expect_ack(c), 3);
	send_fim_batch(c, 4, 2); /* taken, never analysed: lost with the process */
	expect_silence(c, 200);
	vg_tls_close(c);
	crash(f);
	/* the next start: the store's marks say what the manager holds */
	pipeline_open(f);
	start(f, NULL, 0);
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	assert_int_equal(hello(c, "001"), 3);
	send_fim_batch(c, 1, 5); /* an agent resending too much: 1..3 are dropped */
	pipeline_until(f, 2);
	assert_int_equal(expect_ack(c), 5);
	for (int i = 1; i <= 5; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/tmp/f%d", i);
		assert_int_equal(alerts_for(f, path), 1);
	}
	vg_tls_close(c);
}

static void test_remote__rate_bound_delays_reading(void **state)
{
	struct fx *f = *state;

	f->listener.events_per_second = 4;
	start(f, NULL, 0);
	committer_start(f);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	send_batch(c, "001", 1, 6, "syscheck"); /* 4 allowed: 2 in debt */
	assert_int_equal(expect_ack(c), 6);
	int64_t t0 = now_ms();
	send_batch(c, "001", 7, 1, "syscheck");
	assert_int_equal(expect_ack(c), 7); /* read once the debt is paid: >= 500 ms */
	assert_true(now_ms() - t0 >= 450);
	vg_tls_close(c);
}

/* ---------------------------------------------------------------- refusals */

/* The server counts a refusal on its own thread, maybe after the client
 * saw the connection close: wait for it (2 s at most). */
static bool wait_refused(struct fx *f)
{
	struct remote_stats st;

	for (int i = 0; i < 200; i++) {
		remote_stats(f->r, &st);
		if (st.refused >= 1)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

static void test_remote__refuses_no_certificate(void **state)
{
	struct fx *f = *state;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, false);
	if (c != NULL) { /* TLS 1.3: the client may finish before the server refuses */
		if (vg_wire_send(c, VG_WIRE_HELLO, 0, "{}", 2, T_MS, NULL) == 0)
			expect_error(c, NULL);
		vg_tls_close(c);
	}
	assert_int_equal(pushed(f), 0);
	assert_true(wait_refused(f));
}

static void test_remote__refuses_other_ca(void **state)
{
	struct fx *f = *state;
	struct vg_pki_ca *other = NULL;
	char odir[128], adir[128];
	char *csr = NULL, *cert = NULL, *ca_pem = NULL;
	char serial[VG_PKI_SERIAL_MAX];

	start(f, NULL, 0);
	enroll_ok(f, "web1"); /* 001 exists: the forged certificate claims it */
	snprintf(odir, sizeof(odir), "%s/otherca", f->home);
	snprintf(adir, sizeof(adir), "%s/forged", f->home);
	assert_int_equal(vg_fs_mkdirs(odir, 0750, NULL), 0);
	assert_int_equal(vg_fs_mkdirs(adir, 0750, NULL), 0);
	assert_int_equal(vg_pki_ca_open(odir, "other", &other, NULL, NULL), 0);
	assert_int_equal(vg_pki_agent_csr(adir, "web1", &csr, NULL), 0);
	assert_int_equal(vg_pki_sign_agent(other, csr, strlen(csr), "001", 0, &cert, serial, NULL),
			 0);
	assert_int_equal(vg_pki_ca_cert_pem(other, &ca_pem, NULL), 0);
	assert_int_equal(
	    vg_pki_agent_store(adir, cert, strlen(cert), ca_pem, strlen(ca_pem), NULL, NULL), 0);
	struct vg_tls_conn *c = connect_events(f, adir, true);
	if (c != NULL) {
		if (vg_wire_send(c, VG_WIRE_HELLO, 0, "{\"id\":\"001\"}", 12, T_MS, NULL) == 0)
			expect_error(c, NULL);
		vg_tls_close(c);
	}
	assert_true(wait_refused(f));
	vg_free(csr);
	vg_free(cert);
	vg_free(ca_pem);
	vg_pki_ca_free(other);
}

static void test_remote__refuses_revoked_agent(void **state)
{
	struct fx *f = *state;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	struct reg *side = reg_side(f);
	assert_int_equal(reg_remove(side, "001", NULL, NULL), 0);
	reg_close(side);
	/* the connected agent is closed at the next check (once a second) */
	expect_error(c, "agent removed");
	vg_tls_close(c);
	/* and its certificate is refused from then on */
	c = connect_events(f, f->agent, true);
	assert_non_null(c);
	expect_error(c, "revoked");
	vg_tls_close(c);
	remote_stop(f->r);
	char *log = vg_test_read_log(f->log);
	assert_non_null(strstr(log, "revoked from 127.0.0.1"));
	vg_free(log);
}

static void test_remote__refuses_hello_for_another_id(void **state)
{
	struct fx *f = *state;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	send_json(c, VG_WIRE_HELLO, "{\"id\":\"002\"}");
	expect_error(c, "HELLO claims agent");
	vg_tls_close(c);
}

static void test_remote__refuses_batch_for_another_id(void **state)
{
	struct fx *f = *state;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	send_batch(c, "002", 1, 2, "syscheck");
	expect_error(c, "batch claims agent");
	vg_tls_close(c);
	assert_int_equal(pushed(f), 0);
}

static void test_remote__refuses_forged_location(void **state)
{
	struct fx *f = *state;

	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	send_batch(c, "001", 1, 1, "[002] (db1) 10.0.0.9->syscheck");
	expect_error(c, "location");
	vg_tls_close(c);
	assert_int_equal(pushed(f), 0);
}

static void test_remote__refuses_silence_after_connect(void **state)
{
	struct fx *f = *state;

	f->hello_ms = 300;
	start(f, NULL, 0);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	expect_error(c, "no HELLO in time"); /* the loop looks at least once a second */
	vg_tls_close(c);
}

static void test_remote__refuses_oversized_frame(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[VG_WIRE_HDR_LEN];

	start(f, NULL, 4096);
	enroll_ok(f, "web1");
	struct vg_tls_conn *c = connect_events(f, f->agent, true);
	assert_non_null(c);
	hello(c, "001");
	vg_wire_hdr_encode(hdr, VG_WIRE_BATCH, 0, 4097);
	assert_int_equal(vg_tls_write(c, hdr, sizeof(hdr), T_MS, NULL), 0);
	expect_error(c, "4097");
	vg_tls_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_remote__enroll_without_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__enroll_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__enroll_active_name_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote__batch_acked_after_commit_and_taken_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_remote__resend_of_events_in_memory_waits_for_their_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__resend_after_reconnect_is_analysed_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__restart_resumes_from_the_committed_mark,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__keepalive_pong_and_registry, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote__command_delivered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__full_fifo_holds_the_batch_until_room,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__rate_bound_delays_reading, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_no_certificate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_other_ca, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_revoked_agent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_hello_for_another_id, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_batch_for_another_id, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_forged_location, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_silence_after_connect, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote__refuses_oversized_frame, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
