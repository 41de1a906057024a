/*
 * Unit tests for src/agent/enroll.c: the ENROLL request, the answer, and
 * one whole enrollment against a small fake manager on 127.0.0.1 (a thread
 * with a real CA, TLS 1.3 on an ephemeral port, one ENROLL frame read and
 * one answer written). The password must appear in the request body and
 * nowhere else: not in errors, not in the log.
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
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ssl.h>

#include "agent/enroll.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pki.h"
#include "lib/tls.h"
#include "lib/wire.h"
#include "support/support.h"

#define PASSWORD "s3cr\"et\\pa55"
#define CSR "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"

struct fx {
	char dir[64];
	char *log;
	char *agent_etc;
	char *mgr_etc;
};

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigie-enroll-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->log = vg_xasprintf("%s/log", f->dir);
	f->agent_etc = vg_xasprintf("%s/agent", f->dir);
	f->mgr_etc = vg_xasprintf("%s/mgr", f->dir);
	assert_int_equal(mkdir(f->agent_etc, 0700), 0);
	assert_int_equal(mkdir(f->mgr_etc, 0700), 0);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	vg_log_set_level(VG_LOG_DEBUG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vg_log_close();
	vg_test_rmtree(f->dir);
	vg_free(f->log);
	vg_free(f->agent_etc);
	vg_free(f->mgr_etc);
	vg_free(f);
	return 0;
}

/* ---- The request ------------------------------------------------------------------ */

static json_t *parse(const char *s, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(s, len, 0, &jerr);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", jerr.text, s);
	return j;
}

static void test_enroll__request_has_every_field(void **state)
{
	char g1[] = "default", g2[] = "linux";
	char *groups[] = {g1, g2};
	const struct enroll_request r = {"web1", groups, 2, PASSWORD, strlen(PASSWORD), CSR};
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(enroll_request_json(&r, &out, &len, NULL), 0);
	assert_int_equal(strlen(out), len);
	json_t *j = parse(out, len);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "web1");
	assert_string_equal(json_string_value(json_object_get(j, "groups")), "default,linux");
	assert_string_equal(json_string_value(json_object_get(j, "version")),
			    "Vigie v" VIGIE_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "password")), PASSWORD);
	assert_string_equal(json_string_value(json_object_get(j, "csr")), CSR);
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
	vg_freezero(out, len);
}

static void test_enroll__request_without_groups_or_password(void **state)
{
	const struct enroll_request r = {"web1", NULL, 0, NULL, 0, CSR};
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(enroll_request_json(&r, &out, &len, NULL), 0);
	json_t *j = parse(out, len);
	assert_null(json_object_get(j, "groups"));
	assert_null(json_object_get(j, "password"));
	assert_non_null(json_object_get(j, "csr"));
	json_decref(j);
	vg_freezero(out, len);
}

static void test_enroll__password_control_bytes_are_escaped(void **state)
{
	const char pw[] = "a\x01tab\there\x1f\"\\é";
	const struct enroll_request r = {"web1", NULL, 0, pw, strlen(pw), CSR};
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(enroll_request_json(&r, &out, &len, NULL), 0);
	assert_non_null(strstr(out, "\\u0001"));
	json_t *j = parse(out, len);
	assert_string_equal(json_string_value(json_object_get(j, "password")), pw);
	json_decref(j);
	vg_freezero(out, len);
}

static void test_enroll__bad_password_refused_without_quoting_it(void **state)
{
	const char pw[] = "ok-until\xff\xfe-here";
	const struct enroll_request r = {"web1", NULL, 0, pw, strlen(pw), CSR};
	struct vg_err err = VG_ERR_INIT;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(enroll_request_json(&r, &out, &len, &err), VG_EPARSE);
	assert_null(out);
	assert_null(strstr(err.msg, "ok-until"));
	vg_test_err_mentions(&err, "not valid UTF-8");

	char longpw[200];
	memset(longpw, 'p', sizeof(longpw));
	const struct enroll_request r2 = {"web1", NULL, 0, longpw, sizeof(longpw), CSR};
	vg_err_clear(&err);
	assert_int_equal(enroll_request_json(&r2, &out, &len, &err), VG_ETOOBIG);
	assert_null(strstr(err.msg, "pppp"));
}

/* ---- The answer ------------------------------------------------------------------- */

static void test_enroll__answer_enrolled(void **state)
{
	const char ok[] = "{\"id\":\"001\",\"name\":\"web1\",\"cert\":\"C\",\"ca\":\"A\"}";
	struct enroll_answer a;

	assert_int_equal(enroll_parse_answer(VG_WIRE_ENROLLED, ok, strlen(ok), &a, NULL), 0);
	assert_string_equal(a.id, "001");
	assert_string_equal(a.name, "web1");
	assert_string_equal(a.cert, "C");
	assert_string_equal(a.ca, "A");
	enroll_answer_free(&a);
	assert_null(a.id);
}

static void test_enroll__answer_error_is_eperm_with_the_text(void **state)
{
	const char e[] = "{\"error\":\"invalid password\\n\"}";
	struct vg_err err = VG_ERR_INIT;
	struct enroll_answer a;

	assert_int_equal(enroll_parse_answer(VG_WIRE_ERROR, e, strlen(e), &a, &err), VG_EPERM);
	vg_test_err_mentions(&err, "the manager refused the enrollment: invalid password\\n");
	assert_null(a.id);
}

static void test_enroll__malformed_answers(void **state)
{
	static const struct {
		unsigned type;
		const char *payload;
		const char *want;
	} cases[] = {
	    {VG_WIRE_ENROLLED, "not json", "not a JSON object"},
	    {VG_WIRE_ENROLLED, "[1]", "not a JSON object"},
	    {VG_WIRE_ENROLLED, "{\"id\":\"001\",\"ca\":\"A\"}", "lacks"},
	    {VG_WIRE_ENROLLED, "{\"id\":1,\"cert\":\"C\",\"ca\":\"A\"}", "lacks"},
	    {VG_WIRE_ENROLLED, "{\"id\":\"1\",\"id\":\"2\",\"cert\":\"C\",\"ca\":\"A\"}", "JSON"},
	    {VG_WIRE_ERROR, "{\"why\":\"x\"}", "without an \"error\""},
	    {VG_WIRE_PONG, "", "PONG"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vg_err err = VG_ERR_INIT;
		struct enroll_answer a;
		assert_int_equal(enroll_parse_answer(cases[i].type, cases[i].payload,
						     strlen(cases[i].payload), &a, &err),
				 VG_EPARSE);
		vg_test_err_mentions(&err, cases[i].want);
		assert_null(a.id);
		assert_null(a.cert);
	}
}

/* ---- A whole enrollment against a fake manager ------------------------------------ */

struct fake {
	int lfd;
	uint16_t port;
	SSL_CTX *ctx;
	struct vg_pki_ca *ca;
	bool refuse;
	char *request; /* what the agent sent */
};

static void fake_start(struct fx *f, struct fake *m)
{
	const char *names[] = {"127.0.0.1"};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct vg_err err = VG_ERR_INIT;

	if (vg_pki_ca_open(f->mgr_etc, "test", &m->ca, NULL, &err) != 0 ||
	    vg_pki_server_ensure(m->ca, f->mgr_etc, names, 1, 0, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	char *cert = vg_xasprintf("%s/server.pem", f->mgr_etc);
	char *key = vg_xasprintf("%s/server.key", f->mgr_etc);
	if (vg_tls_server_ctx(cert, key, NULL, &m->ctx, &err) != 0)
		fail_msg("%s", err.msg);
	vg_free(cert);
	vg_free(key);
	m->lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(m->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(m->lfd, 4), 0);
	assert_int_equal(getsockname(m->lfd, (struct sockaddr *)&sa, &sl), 0);
	m->port = ntohs(sa.sin_port);
}

static void fake_stop(struct fake *m)
{
	close(m->lfd);
	SSL_CTX_free(m->ctx);
	vg_pki_ca_free(m->ca);
	vg_free(m->request);
}

static bool ssl_read_all(SSL *ssl, void *p, size_t n)
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

static void fake_answer(struct fake *m, SSL *ssl, json_t *req)
{
	json_t *ans;
	char *cert = NULL, *ca = NULL;
	char serial[VG_PKI_SERIAL_MAX];
	const char *csr = json_string_value(json_object_get(req, "csr"));
	unsigned type = VG_WIRE_ENROLLED;

	if (m->refuse || csr == NULL ||
	    vg_pki_sign_agent(m->ca, csr, strlen(csr), "001", 0, &cert, serial, NULL) != 0 ||
	    vg_pki_ca_cert_pem(m->ca, &ca, NULL) != 0) {
		ans = json_pack("{s:s}", "error", "agent name web1 is active");
		type = VG_WIRE_ERROR;
	} else {
		ans = json_pack("{s:s,s:s,s:s,s:s}", "id", "001", "name", "web1", "cert", cert,
				"ca", ca);
	}
	char *s = json_dumps(ans, JSON_COMPACT);
	uint8_t h[VG_WIRE_HDR_LEN];
	vg_wire_hdr_encode(h, type, 0, (uint32_t)strlen(s));
	SSL_write(ssl, h, sizeof(h));
	SSL_write(ssl, s, (int)strlen(s));
	free(s);
	json_decref(ans);
	vg_free(cert);
	vg_free(ca);
}

static void *fake_main(void *arg)
{
	struct fake *m = arg;
	int fd = accept(m->lfd, NULL, NULL);
	SSL *ssl = SSL_new(m->ctx);
	uint8_t h[VG_WIRE_HDR_LEN];
	struct vg_wire_hdr hdr;

	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1 && ssl_read_all(ssl, h, sizeof(h)) &&
	    vg_wire_hdr_decode(h, VG_WIRE_CONTROL_MAX, &hdr, NULL) == 0 &&
	    hdr.type == VG_WIRE_ENROLL) {
		m->request = vg_xcalloc(1, hdr.len + 1);
		if (ssl_read_all(ssl, m->request, hdr.len)) {
			json_error_t jerr;
			json_t *req = json_loads(m->request, 0, &jerr);
			fake_answer(m, ssl, req);
			json_decref(req);
		}
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void client_conf(struct fx *f, struct vg_client_conf *c, uint16_t port)
{
	vg_client_conf_init(c);
	c->present = true;
	c->enrollment.manager_address = vg_xstrdup("127.0.0.1");
	c->enrollment.port = port;
	c->enrollment.agent_name = vg_xstrdup("web1");
	c->enrollment.authorization_pass_path = vg_xasprintf("%s/authd.pass", f->dir);
}

static void write_pass(struct fx *f, const char *pw)
{
	char *p = vg_xasprintf("%s/authd.pass", f->dir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", pw);
	fclose(fp);
	assert_int_equal(chmod(p, 0600), 0);
	vg_free(p);
}

static void assert_log_has_no_password(struct fx *f)
{
	char *log = vg_test_read_log(f->log);
	assert_null(strstr(log, "s3cr"));
	vg_free(log);
}

static void test_enroll__run_enrolls_and_stores_the_certificate(void **state)
{
	struct fx *f = *state;
	struct fake m = {0};
	struct vg_client_conf c;
	struct vg_err err = VG_ERR_INIT;
	char id[VG_PKI_CN_MAX + 1], cn[VG_PKI_CN_MAX + 1];
	pthread_t t;

	fake_start(f, &m);
	client_conf(f, &c, m.port);
	write_pass(f, PASSWORD);
	assert_int_equal(pthread_create(&t, NULL, fake_main, &m), 0);
	int rc = enroll_run(&c, f->agent_etc, 10000, id, &err);
	pthread_join(t, NULL);
	if (rc != 0)
		fail_msg("enroll_run: %s", err.msg);
	assert_string_equal(id, "001");

	/* the password travelled in the request body */
	json_error_t jerr;
	json_t *req = json_loads(m.request, 0, &jerr);
	assert_string_equal(json_string_value(json_object_get(req, "password")), PASSWORD);
	assert_string_equal(json_string_value(json_object_get(req, "name")), "web1");
	json_decref(req);

	char *pem = vg_xasprintf("%s/%s", f->agent_etc, VG_PKI_AGENT_CERT);
	assert_int_equal(vg_pki_cert_cn(pem, cn, NULL), 0);
	assert_string_equal(cn, "001");
	vg_free(pem);
	char *log = vg_test_read_log(f->log);
	char want[128];
	snprintf(want, sizeof(want), "enrolled as agent 001 (web1) with 127.0.0.1:%u", m.port);
	assert_non_null(strstr(log, want));
	vg_free(log);
	assert_log_has_no_password(f);
	vg_client_conf_free(&c);
	fake_stop(&m);
}

static void test_enroll__run_refused_keeps_the_old_files(void **state)
{
	struct fx *f = *state;
	struct fake m = {.refuse = true};
	struct vg_client_conf c;
	struct vg_err err = VG_ERR_INIT;
	pthread_t t;

	fake_start(f, &m);
	client_conf(f, &c, m.port);
	write_pass(f, PASSWORD);
	assert_int_equal(pthread_create(&t, NULL, fake_main, &m), 0);
	assert_int_equal(enroll_run(&c, f->agent_etc, 10000, NULL, &err), VG_EPERM);
	pthread_join(t, NULL);
	vg_test_err_mentions(&err, "the manager refused the enrollment: agent name web1 is active");
	assert_null(strstr(err.msg, "s3cr"));
	char *pem = vg_xasprintf("%s/%s", f->agent_etc, VG_PKI_AGENT_CERT);
	assert_int_not_equal(access(pem, F_OK), 0);
	vg_free(pem);
	assert_log_has_no_password(f);
	vg_client_conf_free(&c);
	fake_stop(&m);
}

static void test_enroll__run_unreachable_or_bad_pass_file(void **state)
{
	struct fx *f = *state;
	struct fake m = {0};
	struct vg_client_conf c;
	struct vg_err err = VG_ERR_INIT;

	/* a port nobody listens on: bind one, close it */
	fake_start(f, &m);
	uint16_t port = m.port;
	fake_stop(&m);
	client_conf(f, &c, port);
	write_pass(f, PASSWORD);
	assert_true(enroll_run(&c, f->agent_etc, 3000, NULL, &err) < 0);
	vg_test_err_mentions(&err, "127.0.0.1");
	assert_null(strstr(err.msg, "s3cr"));

	/* a pass file others can read is refused before any connection */
	char *p = vg_xasprintf("%s/authd.pass", f->dir);
	assert_int_equal(chmod(p, 0644), 0);
	vg_err_clear(&err);
	assert_int_equal(enroll_run(&c, f->agent_etc, 3000, NULL, &err), VG_EPERM);
	vg_test_err_mentions(&err, p);
	assert_null(strstr(err.msg, "s3cr"));
	vg_free(p);
	assert_log_has_no_password(f);
	vg_client_conf_free(&c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enroll__request_has_every_field),
	    cmocka_unit_test(test_enroll__request_without_groups_or_password),
	    cmocka_unit_test(test_enroll__password_control_bytes_are_escaped),
	    cmocka_unit_test(test_enroll__bad_password_refused_without_quoting_it),
	    cmocka_unit_test(test_enroll__answer_enrolled),
	    cmocka_unit_test(test_enroll__answer_error_is_eperm_with_the_text),
	    cmocka_unit_test(test_enroll__malformed_answers),
	    T(test_enroll__run_enrolls_and_stores_the_certificate),
	    T(test_enroll__run_refused_keeps_the_old_files),
	    T(test_enroll__run_unreachable_or_bad_pass_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
