/*
 * Unit tests for src/manager/dashboard_conf.c: <dashboard>, its defaults
 * (no block: off), each element, the errors with FILE:LINE (bad port, bad
 * address, plain HTTP off loopback, half a certificate, unknown element
 * with a hint), the merge of several blocks, the loopback test and the
 * path helper; plus the section registered in the manager's loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/conf.h"
#include "lib/mem.h"
#include "manager/config.h"
#include "manager/dashboard_conf.h"

struct fixture {
	struct mgr_dashboard_conf d;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	mgr_dashboard_conf_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_dashboard_conf_free(&f->d);
	vg_free(f);
	return 0;
}

static int load(struct fixture *f, const char *xml)
{
	struct vg_conf_section s[] = {{"dashboard", mgr_dashboard_conf_parse, &f->d}};

	mgr_dashboard_conf_free(&f->d);
	vg_err_clear(&f->err);
	return vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &f->err);
}

static void load_ok(struct fixture *f, const char *xml)
{
	vg_test_conf_ok(load(f, xml), &f->err);
}

static void expect_error(struct fixture *f, const char *xml, const char *want)
{
	vg_test_conf_error(load(f, xml), &f->err, want);
}

#define DASH(body) "<ossec_config>\n<dashboard>" body "</dashboard>\n</ossec_config>"

static void test_dashboard_conf__no_block_is_off(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config></ossec_config>");
	assert_false(f->d.present);
	assert_false(f->d.enabled);
	assert_string_equal(f->d.bind, "127.0.0.1");
	assert_int_equal(f->d.port, 5601);
}

static void test_dashboard_conf__empty_block_defaults(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config>\n<dashboard/>\n</ossec_config>");
	assert_true(f->d.present);
	assert_true(f->d.enabled);
	assert_string_equal(f->d.bind, "127.0.0.1");
	assert_int_equal(f->d.port, 5601);
	assert_null(f->d.ssl_cert);
	assert_null(f->d.ssl_key);
	assert_null(f->d.web_root);
	assert_int_equal(f->d.line, 2);
}

static void test_dashboard_conf__every_element(void **state)
{
	struct fixture *f = *state;

	load_ok(f, DASH("<enabled>yes</enabled><bind>0.0.0.0</bind><port>8443</port>"
			"<ssl_cert>etc/dash.pem</ssl_cert><ssl_key>/etc/vigie/dash.key</ssl_key>"
			"<web_root>/usr/share/vigie/web</web_root>"));
	assert_true(f->d.enabled);
	assert_string_equal(f->d.bind, "0.0.0.0");
	assert_int_equal(f->d.port, 8443);
	assert_string_equal(f->d.ssl_cert, "etc/dash.pem");
	assert_string_equal(f->d.ssl_key, "/etc/vigie/dash.key");
	assert_string_equal(f->d.web_root, "/usr/share/vigie/web");

	load_ok(f, DASH("<enabled>no</enabled>"));
	assert_true(f->d.present);
	assert_false(f->d.enabled);

	/* IPv6 loopback, bracketed, printed back canonically */
	load_ok(f, DASH("<bind>[0:0::1]</bind>"));
	assert_string_equal(f->d.bind, "::1");
	/* empty paths mean "not set" */
	load_ok(f, DASH("<web_root></web_root>"));
	assert_null(f->d.web_root);
}

static void test_dashboard_conf__errors_name_file_and_line(void **state)
{
	struct fixture *f = *state;

	expect_error(f, DASH("<port>0</port>"),
		     "t.conf:2: <dashboard>: <port>: expected a port from 1 to 65535, got \"0\"");
	expect_error(f, DASH("<port>70000</port>"), "t.conf:2: <dashboard>: <port>");
	expect_error(f, DASH("<port>http</port>"), "got \"http\"");
	expect_error(f, DASH("<bind>localhost</bind>"),
		     "t.conf:2: <dashboard>: <bind>: expected an IPv4 or IPv6 address");
	expect_error(f, DASH("<enabled>true</enabled>"),
		     "t.conf:2: <dashboard>: <enabled>: expected yes or no");
	expect_error(f, DASH("\n<portt>1</portt>"),
		     "t.conf:3: <dashboard>: unknown element <portt>; did you mean <port>?");
	expect_error(f, DASH("<ssl_crt>x</ssl_crt>"), "did you mean <ssl_cert>?");
	expect_error(f, DASH("<zzzzzzzzzzz/>"), "<dashboard>: unknown element <zzzzzzzzzzz>");
	expect_error(f, DASH("<port><x/></port>"), "<dashboard>: <port>: unexpected element <x>");
}

static void test_dashboard_conf__tls_required_off_loopback(void **state)
{
	struct fixture *f = *state;

	expect_error(f, DASH("\n<bind>0.0.0.0</bind>"),
		     "t.conf:3: <dashboard>: <bind>0.0.0.0</bind> is not a loopback address: "
		     "TLS is required there; set <ssl_cert> and <ssl_key>, or bind 127.0.0.1");
	expect_error(f, DASH("<bind>10.1.2.3</bind>"), "TLS is required");
	expect_error(f, DASH("<bind>::</bind>"), "TLS is required");
	/* half a pair is refused, wherever the block is */
	expect_error(f, DASH("<ssl_cert>etc/c.pem</ssl_cert>"),
		     "t.conf:2: <dashboard>: <ssl_cert> and <ssl_key> go together");
	expect_error(f, DASH("<ssl_key>etc/k.pem</ssl_key>"), "go together");
	/* fine: loopback in plain HTTP, other addresses with TLS, or disabled */
	load_ok(f, DASH("<bind>127.0.0.2</bind>"));
	load_ok(f, DASH("<bind>::1</bind>"));
	load_ok(f, DASH("<bind>0.0.0.0</bind><ssl_cert>c</ssl_cert><ssl_key>k</ssl_key>"));
	load_ok(f, DASH("<enabled>no</enabled><bind>0.0.0.0</bind>"));
}

static void test_dashboard_conf__blocks_merge(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config><dashboard><port>6000</port><web_root>/a</web_root>"
		   "</dashboard></ossec_config>\n<ossec_config><dashboard><web_root>/b"
		   "</web_root></dashboard></ossec_config>");
	assert_int_equal(f->d.port, 6000);
	assert_string_equal(f->d.web_root, "/b");
	assert_int_equal(f->d.line, 2);
	/* a later block cannot turn an earlier non-loopback bind into plain HTTP */
	expect_error(f,
		     "<ossec_config><dashboard><enabled>no</enabled><bind>0.0.0.0</bind>"
		     "</dashboard>\n<dashboard><enabled>yes</enabled></dashboard></ossec_config>",
		     "t.conf:2: <dashboard>: <bind>0.0.0.0</bind> is not a loopback address");
}

static void test_dashboard_conf__loopback_and_paths(void **state)
{
	assert_true(mgr_dashboard_is_loopback("127.0.0.1"));
	assert_true(mgr_dashboard_is_loopback("127.255.0.9"));
	assert_true(mgr_dashboard_is_loopback("::1"));
	assert_true(mgr_dashboard_is_loopback("::ffff:127.0.0.1"));
	assert_false(mgr_dashboard_is_loopback("0.0.0.0"));
	assert_false(mgr_dashboard_is_loopback("::"));
	assert_false(mgr_dashboard_is_loopback("128.0.0.1"));
	assert_false(mgr_dashboard_is_loopback("localhost"));
	assert_false(mgr_dashboard_is_loopback(""));

	char *p = mgr_dashboard_path("/var/ossec", "etc/dash.pem");
	assert_string_equal(p, "/var/ossec/etc/dash.pem");
	vg_free(p);
	p = mgr_dashboard_path("/var/ossec", "/etc/ssl/dash.pem");
	assert_string_equal(p, "/etc/ssl/dash.pem");
	vg_free(p);
}

/* The manager's loader knows the section and frees it. */
static void test_dashboard_conf__in_manager_config(void **state)
{
	char dir[] = "/tmp/vg-test-dash-XXXXXX";
	struct mgr_config cfg;
	struct vg_err err = VG_ERR_INIT;

	assert_non_null(mkdtemp(dir));
	char *path = vg_xasprintf("%s/ossec.conf", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("<ossec_config><dashboard><port>5602</port><ssl_cert>etc/c.pem</ssl_cert>"
	      "<ssl_key>etc/k.pem</ssl_key></dashboard></ossec_config>",
	      fp);
	fclose(fp);
	vg_test_conf_ok(mgr_config_load(path, &cfg, &err), &err);
	assert_true(cfg.dashboard.enabled);
	assert_int_equal(cfg.dashboard.port, 5602);
	assert_string_equal(cfg.dashboard.ssl_key, "etc/k.pem");
	mgr_config_free(&cfg);

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("<ossec_config></ossec_config>", fp);
	fclose(fp);
	vg_err_clear(&err);
	vg_test_conf_ok(mgr_config_load(path, &cfg, &err), &err);
	assert_false(cfg.dashboard.enabled);
	mgr_config_free(&cfg);
	vg_test_rmtree(dir);
	vg_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_dashboard_conf__no_block_is_off),
	    T(test_dashboard_conf__empty_block_defaults),
	    T(test_dashboard_conf__every_element),
	    T(test_dashboard_conf__errors_name_file_and_line),
	    T(test_dashboard_conf__tls_required_off_loopback),
	    T(test_dashboard_conf__blocks_merge),
	    cmocka_unit_test(test_dashboard_conf__loopback_and_paths),
	    cmocka_unit_test(test_dashboard_conf__in_manager_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
