/*
 * Unit tests for src/agent/shipper.c: the pure pieces (server rotation,
 * WELCOME, KEEPALIVE, clocks, config sum), then one real session against a
 * fake manager thread on 127.0.0.1 (TLS 1.3 both ways verified with a real
 * CA): HELLO, WELCOME, batches acknowledged and trimmed, COMMAND answered,
 * KEEPALIVE answered, ERROR.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ssl.h>

#include "agent/outbox.h"
#include "agent/shipper.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pki.h"
#include "lib/tls.h"
#include "lib/wire.h"
#include "support/support.h"

/* ---- Pure pieces ------------------------------------------------------------------ */

static void test_shipper__retry_rotates_servers(void **state)
{
	struct vg_client_server sv[2] = {{NULL, 1514, 2, 3}, {NULL, 1514, 1, 7}};
	struct shipper_retry r = {0, 0};

	assert_int_equal(shipper_retry_next(&r, sv, 2, false), 3000);
	assert_int_equal(r.server, 0); /* one failure of max_retries 2 */
	assert_int_equal(shipper_retry_next(&r, sv, 2, false), 3000);
	assert_int_equal(r.server, 1); /* the next server */
	assert_int_equal(r.attempts, 0);
	assert_int_equal(shipper_retry_next(&r, sv, 2, false), 7000);
	assert_int_equal(r.server, 0); /* wraps */
	assert_int_equal(shipper_retry_next(&r, sv, 2, false), 3000);
	assert_int_equal(r.attempts, 1);
	/* an established session starts the count over, on the same server, soon */
	assert_int_equal(shipper_retry_next(&r, sv, 2, true), 1000);
	assert_int_equal(r.server, 0);
	assert_int_equal(r.attempts, 0);
}

static void test_shipper__welcome_parsed_and_clamped(void **state)
{
	struct shipper_welcome w;
	struct vg_err err = VG_ERR_INIT;
	const char *full = "{\"agent\":{\"id\":\"001\"},\"last_event\":1732755012345678,"
			   "\"max_frame\":4096,\"max_inflated\":999999999999,\"max_events\":7}";

	assert_int_equal(shipper_parse_welcome(full, strlen(full), &w, &err), 0);
	assert_true(w.last_event == 1732755012345678ull);
	assert_int_equal(w.max_frame, 4096);
	assert_int_equal(w.max_inflated, VG_WIRE_FRAME_LIMIT);
	assert_int_equal(w.max_events, 7);

	assert_int_equal(shipper_parse_welcome("{\"last_event\":0}", 16, &w, &err), 0);
	assert_int_equal(w.max_frame, VG_WIRE_FRAME_MAX);
	assert_int_equal(w.max_inflated, VG_WIRE_INFLATED_MAX);
	assert_int_equal(w.max_events, VG_WIRE_EVENTS_MAX);

	static const char *const bad[] = {"{}",
					  "{\"last_event\":-1}",
					  "{\"last_event\":\"1\"}",
					  "{\"last_event\":1,\"max_frame\":\"x\"}",
					  "[]",
					  "nope"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vg_err_clear(&err);
		assert_int_equal(shipper_parse_welcome(bad[i], strlen(bad[i]), &w, &err),
				 VG_EPARSE);
		vg_test_err_mentions(&err, "WELCOME");
	}
}

static void test_shipper__keepalive_reports_changes_only(void **state)
{
	struct vg_buf b = VG_BUF_INIT(4096);
	char reported[SHIPPER_SUM_HEX] = "aaaa";
	struct outbox_full full = {12, 3456};

	assert_int_equal(shipper_keepalive_json("aaaa", reported, NULL, &b, NULL), 0);
	assert_string_equal(vg_buf_cstr(&b), "{}");
	assert_int_equal(shipper_keepalive_json("bbbb", reported, &full, &b, NULL), 0);
	assert_string_equal(
	    vg_buf_cstr(&b),
	    "{\"config_sum\":\"bbbb\",\"outbox_full\":{\"events\":12,\"bytes\":3456}}");
	assert_string_equal(reported, "bbbb");
	assert_int_equal(shipper_keepalive_json("bbbb", reported, NULL, &b, NULL), 0);
	assert_string_equal(vg_buf_cstr(&b), "{}");
	vg_buf_free(&b);
}

static void test_shipper__keepalive_clock(void **state)
{
	/* nothing pending: notify after the last frame of any kind */
	assert_int_equal(shipper_keepalive_at(5000, 1000, 10000, false), 15000);
	/* a report pending: after the last keepalive, even while batches flow */
	assert_int_equal(shipper_keepalive_at(5000, 1000, 10000, true), 11000);
	assert_int_equal(shipper_keepalive_at(5000, 9000, 10000, true), 15000);
}

static void test_shipper__config_sum(void **state)
{
	char dir[] = "/tmp/vigie-sum-XXXXXX";
	char sum[SHIPPER_SUM_HEX];

	assert_non_null(mkdtemp(dir));
	char *p = vg_xasprintf("%s/ossec.conf", dir);
	FILE *fp = fopen(p, "w");
	fputs("abc", fp);
	fclose(fp);
	shipper_config_sum(p, sum);
	assert_string_equal(sum,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(p);
	shipper_config_sum(p, sum);
	assert_string_equal(sum, "");
	vg_free(p);
	rmdir(dir);
}

/* ---- A session against a fake manager --------------------------------------------- */

struct fx {
	char dir[64];
	char *log, *etc, *mgr, *conf, *outbox_path;
	struct outbox *ob;
	struct ar_exec *ex; /* takes the COMMANDs */
	struct vg_pki_ca *ca;
	SSL_CTX *ctx;
	int lfd;
	uint16_t port;
	/* what the fake manager saw */
	char hello_id[16];
	char hello_sum[SHIPPER_SUM_HEX];
	uint64_t ids[16];
	size_t nids;
	uint64_t command_ack;
	char keepalive[256];
	bool done;
};

/* A real executor in the test's HOME, its lines into the outbox. */
static struct ar_exec *exec_of(struct fx *f)
{
	struct ar_exec_opts o = {f->dir, NULL, "web1", outbox_ar_emit, f->ob, 0, false};

	if (f->ex == NULL)
		assert_int_equal(ar_exec_open(&o, &f->ex, NULL), 0);
	return f->ex;
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigie-shipper-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->log = vg_xasprintf("%s/log", f->dir);
	f->etc = vg_xasprintf("%s/etc", f->dir);
	f->mgr = vg_xasprintf("%s/mgr", f->dir);
	f->conf = vg_xasprintf("%s/etc/ossec.conf", f->dir);
	f->outbox_path = vg_xasprintf("%s/outbox.db", f->dir);
	assert_int_equal(mkdir(f->etc, 0700), 0);
	assert_int_equal(mkdir(f->mgr, 0700), 0);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	vg_log_set_level(VG_LOG_DEBUG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vg_log_close();
	ar_exec_close(f->ex);
	outbox_close(f->ob);
	SSL_CTX_free(f->ctx);
	vg_pki_ca_free(f->ca);
	if (f->lfd > 0)
		close(f->lfd);
	vg_test_rmtree(f->dir);
	vg_free(f->log);
	vg_free(f->etc);
	vg_free(f->mgr);
	vg_free(f->conf);
	vg_free(f->outbox_path);
	vg_free(f);
	return 0;
}

/* A CA, the manager's certificate, an agent enrolled as 001, a listener. */
static void world(struct fx *f)
{
	const char *names[] = {"127.0.0.1"};
	struct vg_err err = VG_ERR_INIT;
	char serial[VG_PKI_SERIAL_MAX];
	char *csr = NULL, *cert = NULL, *ca = NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	if (vg_pki_ca_open(f->mgr, "test", &f->ca, NULL, &err) != 0 ||
	    vg_pki_server_ensure(f->ca, f->mgr, names, 1, 0, NULL, &err) != 0 ||
	    vg_pki_agent_csr(f->etc, "web1", &csr, &err) != 0 ||
	    vg_pki_sign_agent(f->ca, csr, strlen(csr), "001", 0, &cert, serial, &err) != 0 ||
	    vg_pki_ca_cert_pem(f->ca, &ca, &err) != 0 ||
	    vg_pki_agent_store(f->etc, cert, strlen(cert), ca, strlen(ca), NULL, &err) != 0)
		fail_msg("%s", err.msg);
	char *sc = vg_xasprintf("%s/server.pem", f->mgr);
	char *sk = vg_xasprintf("%s/server.key", f->mgr);
	if (vg_tls_server_ctx(sc, sk, vg_pki_ca_cert(f->ca), &f->ctx, &err) != 0)
		fail_msg("%s", err.msg);
	vg_free(sc);
	vg_free(sk);
	vg_free(csr);
	vg_free(cert);
	vg_free(ca);
	FILE *fp = fopen(f->conf, "w");
	fputs("<ossec_config/>\n", fp);
	fclose(fp);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
}

static bool rd(SSL *ssl, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		int r = SSL_read(ssl, (char *)p + got, (int)(n - got));
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* One frame: its header and payload (vg_free'd by the caller, NUL-terminated). */
static bool frame_in(SSL *ssl, struct vg_wire_hdr *h, char **payload)
{
	uint8_t b[VG_WIRE_HDR_LEN];
	*payload = NULL;
	if (!rd(ssl, b, sizeof(b)) || vg_wire_hdr_decode(b, VG_WIRE_FRAME_MAX, h, NULL) != 0)
		return false;
	*payload = vg_xcalloc(1, h->len + 1);
	return rd(ssl, *payload, h->len);
}

static void frame_out(SSL *ssl, unsigned type, const void *p, size_t len)
{
	uint8_t b[VG_WIRE_HDR_LEN];
	vg_wire_hdr_encode(b, type, 0, (uint32_t)len);
	SSL_write(ssl, b, sizeof(b));
	if (len > 0)
		SSL_write(ssl, p, (int)len);
}

static void fake_batch(struct fx *f, SSL *ssl, const struct vg_wire_hdr *h, const char *payload)
{
	struct vg_wire_reader r;
	struct vg_buf scratch = VG_BUF_INIT(VG_WIRE_INFLATED_MAX);
	struct vg_err err = VG_ERR_INIT;
	uint64_t id = 0;
	const void *data;
	size_t len;
	uint8_t ack[8];

	if (vg_wire_reader_open(&r, payload, h->len, h->flags, VG_WIRE_INFLATED_MAX, 2, &scratch,
				&err) != 0)
		fail_msg("batch: %s", err.msg);
	assert_string_equal(r.agent_id, "001");
	while (vg_wire_reader_next(&r, &id, &data, &len)) {
		assert_true(len > 9 && memcmp(data, "syscheck\n", 9) == 0);
		if (f->nids < 16)
			f->ids[f->nids++] = id;
	}
	vg_buf_free(&scratch);
	vg_wire_u64_encode(ack, id);
	frame_out(ssl, VG_WIRE_ACK, ack, sizeof(ack));
}

/* The manager side: WELCOME, ACK each batch; after 3 events a COMMAND; PONG;
 * then ERROR once a keepalive came. */
static void *fake_main(void *arg)
{
	struct fx *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	SSL *ssl = SSL_new(f->ctx);
	struct vg_wire_hdr h;
	char *p = NULL;
	bool commanded = false;

	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1 || !frame_in(ssl, &h, &p) || h.type != VG_WIRE_HELLO)
		goto out;
	json_error_t jerr;
	json_t *hello = json_loads(p, 0, &jerr);
	snprintf(f->hello_id, sizeof(f->hello_id), "%s",
		 json_string_value(json_object_get(hello, "id")));
	snprintf(f->hello_sum, sizeof(f->hello_sum), "%s",
		 json_string_value(json_object_get(hello, "config_sum")));
	json_decref(hello);
	const char *w = "{\"agent\":{\"id\":\"001\",\"name\":\"web1\",\"ip\":\"127.0.0.1\"},"
			"\"last_event\":0,\"max_events\":2}";
	frame_out(ssl, VG_WIRE_WELCOME, w, strlen(w));
	for (;;) {
		vg_free(p);
		if (!frame_in(ssl, &h, &p))
			break;
		if (h.type == VG_WIRE_BATCH)
			fake_batch(f, ssl, &h, p);
		if (h.type == VG_WIRE_BATCH && f->nids >= 3 && !commanded) {
			const char *c = "{\"id\":7,\"command\":\"restart-wazuh\"}";
			frame_out(ssl, VG_WIRE_COMMAND, c, strlen(c));
			commanded = true;
		}
		if (h.type == VG_WIRE_COMMAND_ACK)
			assert_int_equal(vg_wire_u64_decode(p, h.len, &f->command_ack, NULL), 0);
		if (h.type == VG_WIRE_KEEPALIVE) {
			snprintf(f->keepalive, sizeof(f->keepalive), "%s", p);
			frame_out(ssl, VG_WIRE_PONG, NULL, 0);
			const char *e = "{\"error\":\"test over\"}";
			frame_out(ssl, VG_WIRE_ERROR, e, strlen(e));
			break;
		}
	}
out:
	vg_free(p);
	f->done = true;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool log_has(const char *path, const char *text)
{
	char *log = vg_test_read_file(path); /* not read_log: the shipper still logs */
	bool has = log != NULL && strstr(log, text) != NULL;
	vg_free(log);
	return has;
}

static void test_shipper__session_ships_acks_trims_and_answers(void **state)
{
	struct fx *f = *state;
	struct vg_client_conf c;
	struct vg_err err = VG_ERR_INIT;
	struct shipper *s = NULL;
	pthread_t t;

	world(f);
	vg_client_conf_init(&c);
	c.present = true;
	c.notify_time = 1;
	c.servers = vg_xcalloc(1, sizeof(*c.servers));
	c.servers[0] = (struct vg_client_server){vg_xstrdup("127.0.0.1"), f->port, 5, 1};
	c.nservers = 1;
	assert_int_equal(outbox_open(f->outbox_path, 0, 0, &f->ob, NULL), 0);
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(outbox_fim_emit(f->ob, i, "{\"e\":1}", 7), 0);

	assert_int_equal(pthread_create(&t, NULL, fake_main, f), 0);
	const struct shipper_opts so = {&c, f->etc, f->conf, f->ob, exec_of(f), 5000};
	if (shipper_start(&so, &s, &err) != 0)
		fail_msg("%s", err.msg);
	for (int i = 0; i < 1000 && !f->done; i++)
		sleep_ms(10);
	pthread_join(t, NULL);
	/* the manager's last word is an ERROR: let the shipper read it (and
	 * log it) before stopping it, or a busy machine races the two */
	for (int i = 0; i < 500 && !log_has(f->log, "closes the connection: test over"); i++)
		sleep_ms(10);
	shipper_stop(s);

	assert_string_equal(f->hello_id, "001");
	assert_int_equal(strlen(f->hello_sum), 64);
	assert_int_equal(f->nids, 3); /* in two batches: max_events 2 */
	assert_true(f->ids[0] < f->ids[1] && f->ids[1] < f->ids[2]);
	assert_int_equal(f->command_ack, 7);
	assert_string_equal(f->keepalive, "{}");
	struct vg_dq_stats st;
	vg_dq_stats(outbox_queue(f->ob), &st);
	assert_int_equal(st.pending_records, 0); /* every ACK trimmed */

	char *log = vg_test_read_log(f->log);
	assert_non_null(strstr(log, "connected to the manager 127.0.0.1"));
	assert_non_null(strstr(log, "command 7 refused: command 7: unknown type"));
	assert_non_null(strstr(log, "closes the connection: test over"));
	vg_free(log);
	vg_client_conf_free(&c);
}

static void test_shipper__stops_promptly_while_retrying(void **state)
{
	struct fx *f = *state;
	struct vg_client_conf c;
	struct shipper *s = NULL;
	struct timespec t0, t1;

	world(f);
	close(f->lfd); /* nobody listens: every attempt fails */
	f->lfd = -1;
	vg_client_conf_init(&c);
	c.present = true;
	c.servers = vg_xcalloc(1, sizeof(*c.servers));
	c.servers[0] = (struct vg_client_server){vg_xstrdup("127.0.0.1"), f->port, 5, 600};
	c.nservers = 1;
	assert_int_equal(outbox_open(f->outbox_path, 0, 0, &f->ob, NULL), 0);
	const struct shipper_opts so = {&c, f->etc, f->conf, f->ob, exec_of(f), 2000};
	assert_int_equal(shipper_start(&so, &s, NULL), 0);
	sleep_ms(300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	shipper_stop(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2); /* not the 600 s retry interval */
	char *log = vg_test_read_log(f->log);
	assert_non_null(strstr(log, "cannot connect to the manager 127.0.0.1"));
	vg_free(log);
	vg_client_conf_free(&c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipper__retry_rotates_servers),
	    cmocka_unit_test(test_shipper__welcome_parsed_and_clamped),
	    cmocka_unit_test(test_shipper__keepalive_reports_changes_only),
	    cmocka_unit_test(test_shipper__keepalive_clock),
	    cmocka_unit_test(test_shipper__config_sum),
	    T(test_shipper__session_ships_acks_trims_and_answers),
	    T(test_shipper__stops_promptly_while_retrying),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
