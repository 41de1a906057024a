/*
 * Unit tests for src/manager/remote_conf.c: <remote> and <auth>, their
 * defaults, errors with file:line, warnings once, the cross-section checks
 * and the enrollment password file under HOME (real files in mkdtemp).
 */
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

#include "support/support.h"

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/passfile.h"
#include "manager/config.h"
#include "manager/remote_conf.h"

struct fixture {
	struct vg_test_logdir d;
	struct mgr_remote_conf r;
	struct mgr_auth_conf a;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	vg_test_logdir_open(&f->d, "remote");
	mgr_remote_conf_init(&f->r);
	mgr_auth_conf_init(&f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_remote_conf_free(&f->r);
	mgr_auth_conf_free(&f->a);
	vg_test_logdir_close(&f->d);
	vg_free(f);
	return 0;
}

static int load(struct fixture *f, const char *xml)
{
	struct vg_conf_section s[] = {{"remote", mgr_remote_conf_parse, &f->r},
				      {"auth", mgr_auth_conf_parse, &f->a}};

	mgr_remote_conf_free(&f->r);
	mgr_auth_conf_free(&f->a);
	vg_err_clear(&f->err);
	int rc = vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 2, &f->err);
	return rc != 0 ? rc : mgr_remote_conf_finish(&f->r, &f->a, &f->err);
}

static void load_ok(struct fixture *f, const char *xml)
{
	vg_test_conf_ok(load(f, xml), &f->err);
}

static void expect_error(struct fixture *f, const char *xml, const char *want)
{
	vg_test_conf_error(load(f, xml), &f->err, want);
}

#define REMOTE(body) "<ossec_config><remote>" body "</remote></ossec_config>"
#define AUTH_BODY(body) "<auth>" body "</auth>"
#define AUTH(body) "<ossec_config>" AUTH_BODY(body) "</ossec_config>"

static void test_remote_conf__defaults(void **state)
{
	struct fixture *f = *state;

	/* no section at all: no listener (single host); enrollment defaults */
	load_ok(f, "<ossec_config></ossec_config>");
	assert_int_equal(f->r.nremotes, 0);
	load_ok(f, "<ossec_config><remote/></ossec_config>");
	assert_int_equal(f->r.nremotes, 1);
	assert_int_equal(f->r.remotes[0].port, 1514);
	assert_string_equal(f->r.remotes[0].bind, "");
	assert_false(f->r.remotes[0].ipv6);
	assert_int_equal(f->r.remotes[0].queue_size, 131072);
	assert_int_equal(f->r.remotes[0].events_per_second, 20000);
	assert_int_equal(f->r.remotes[0].nallowed, 0);
	assert_false(f->a.disabled);
	assert_true(f->a.remote_enrollment);
	assert_int_equal(f->a.port, 1515);
	assert_false(f->a.use_password);
	assert_false(f->a.use_source_ip);
	assert_false(f->a.purge);
	assert_false(f->a.ssl_verify_host);
	assert_null(f->a.ssl_manager_cert);
	assert_null(f->a.ssl_agent_ca);

	/* an empty block: the same defaults */
	load_ok(f, "<ossec_config><remote/><auth/></ossec_config>");
	assert_int_equal(f->r.nremotes, 1);
	assert_int_equal(f->r.remotes[0].port, 1514);
	assert_int_equal(f->r.remotes[0].line, 1);
}

static void test_remote_conf__every_element(void **state)
{
	struct fixture *f = *state;

	load_ok(f, REMOTE("<connection>secure</connection><port>2514</port>"
			  "<protocol>tcp</protocol><local_ip>10.0.0.2</local_ip>"
			  "<ipv6>yes</ipv6><queue_size>1024</queue_size>"
			  "<agent_events_per_second>0</agent_events_per_second>"
			  "<allowed-ips>10.0.0.0/8</allowed-ips>"
			  "<allowed-ips>fd00::/8</allowed-ips>"
			  "<denied-ips>10.9.0.0/255.255.0.0</denied-ips>")
		       AUTH("<disabled>no</disabled><remote_enrollment>yes</remote_enrollment>"
			    "<port>2515</port><ipv6>yes</ipv6><use_source_ip>yes</use_source_ip>"
			    "<purge>yes</purge><use_password>yes</use_password>"
			    "<ssl_verify_host>yes</ssl_verify_host>"
			    "<ssl_manager_cert>etc/m.cert</ssl_manager_cert>"
			    "<ssl_manager_key>etc/m.key</ssl_manager_key>"
			    "<ssl_agent_ca>etc/ca.pem</ssl_agent_ca>"));
	const struct mgr_remote *r = &f->r.remotes[0];
	assert_int_equal(f->r.nremotes, 1);
	assert_int_equal(r->port, 2514);
	assert_string_equal(r->bind, "10.0.0.2");
	assert_true(r->ipv6);
	assert_int_equal(r->queue_size, 1024);
	assert_int_equal(r->events_per_second, 0); /* no bound */
	assert_int_equal(r->nallowed, 2);
	assert_int_equal(r->allowed[0].prefix, 8);
	assert_int_equal(r->allowed[1].ip.family, AF_INET6);
	assert_int_equal(r->ndenied, 1);
	assert_int_equal(r->denied[0].prefix, 16);
	assert_int_equal(f->a.port, 2515);
	assert_true(f->a.ipv6);
	assert_true(f->a.use_source_ip);
	assert_true(f->a.purge);
	assert_true(f->a.use_password);
	assert_true(f->a.ssl_verify_host);
	assert_string_equal(f->a.ssl_manager_cert, "etc/m.cert");
	assert_string_equal(f->a.ssl_manager_key, "etc/m.key");
	assert_string_equal(f->a.ssl_agent_ca, "etc/ca.pem");

	/* <bind> is Vigie's alias of <local_ip>; IPv6 is normalised */
	load_ok(f, REMOTE("<bind>[::1]</bind>"));
	assert_string_equal(f->r.remotes[0].bind, "::1");
	/* an empty path element, as in Wazuh's template, is "not set" */
	load_ok(f, AUTH("<ssl_agent_ca></ssl_agent_ca>"));
	assert_null(f->a.ssl_agent_ca);
}

static void test_remote_conf__several_listeners(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config><remote><port>1514</port></remote>\n"
		   "<remote><port>1516</port><local_ip>127.0.0.1</local_ip></remote>\n"
		   "<remote><port>1517</port></remote></ossec_config>");
	assert_int_equal(f->r.nremotes, 3);
	assert_int_equal(f->r.remotes[1].port, 1516);
	assert_string_equal(f->r.remotes[1].bind, "127.0.0.1");
	assert_int_equal(f->r.remotes[2].line, 3);
	/* the same port on two distinct addresses is fine */
	load_ok(f, "<ossec_config><remote><local_ip>127.0.0.1</local_ip></remote>"
		   "<remote><local_ip>127.0.0.2</local_ip></remote></ossec_config>");
	assert_int_equal(f->r.nremotes, 2);
	/* but not on an address the other listens on */
	expect_error(f,
		     "<ossec_config><remote><port>1514</port></remote>\n"
		     "<remote><local_ip>127.0.0.1</local_ip></remote></ossec_config>",
		     "t.conf:2: <remote>: port 1514 is already used by the <remote> at line 1");
}

static void test_remote_conf__bad_values_name_file_and_line(void **state)
{
	struct fixture *f = *state;

	expect_error(f, REMOTE("\n<port>0</port>"),
		     "t.conf:2: <remote>: <port>: expected a port from 1 to 65535, got \"0\"");
	expect_error(f, REMOTE("<port>65536</port>"), "got \"65536\"");
	expect_error(f, AUTH("<port>abc</port>"),
		     "<auth>: <port>: expected a port from 1 to 65535, got \"abc\"");
	expect_error(f, REMOTE("<local_ip>manager.example</local_ip>"),
		     "<remote>: <local_ip>: expected an IPv4 or IPv6 address, got "
		     "\"manager.example\"");
	expect_error(f, REMOTE("<bind>10.0.0.256</bind>"), "<remote>: <bind>: expected an IPv4");
	expect_error(f, REMOTE("<allowed-ips>10.0.0.0/33</allowed-ips>"),
		     "<remote>: <allowed-ips>: expected an IP address or network");
	expect_error(f, REMOTE("<denied-ips>any</denied-ips>"), "got \"any\"");
	expect_error(f, REMOTE("<agent_events_per_second>-1</agent_events_per_second>"),
		     "<agent_events_per_second>: expected events per second from 0 (no bound)");
	expect_error(f, REMOTE("<queue_size>0</queue_size>"),
		     "<queue_size>: expected a number from 1 to 16777216, got \"0\"");
	expect_error(f, REMOTE("<queue_size>16777217</queue_size>"), "16777217");
	expect_error(f, REMOTE("<connection>insecure</connection>"),
		     "<connection>: expected secure or syslog, got \"insecure\"");
	expect_error(f, REMOTE("<ipv6>maybe</ipv6>"), "expected yes or no, got \"maybe\"");
	expect_error(f, AUTH("<use_password>1</use_password>"),
		     "<auth>: <use_password>: expected yes or no");
	expect_error(f, REMOTE("<port>1<x/></port>"), "<remote>: <port>: unexpected element <x>");
	/* a failed block leaves nothing behind (ASan checks the arrays) */
	expect_error(f, REMOTE("<allowed-ips>10.0.0.0/8</allowed-ips><port>x</port>"), "got \"x\"");
	assert_int_equal(f->r.nremotes, 0);
}

static void test_remote_conf__udp_and_syslog(void **state)
{
	struct fixture *f = *state;

	expect_error(f, REMOTE("<protocol>udp</protocol>"),
		     "t.conf:1: <remote>: <protocol>: udp is not supported: agents talk to "
		     "Vigie over TLS on TCP; write <protocol>tcp</protocol>");
	expect_error(f, REMOTE("<protocol>tcp,sctp</protocol>"), "expected tcp, got \"tcp,sctp\"");

	load_ok(f, "<ossec_config><remote><protocol>TCP,udp</protocol></remote>"
		   "<remote><port>1600</port><protocol>udp,tcp</protocol></remote>"
		   "<remote><connection>syslog</connection><port>514</port>"
		   "<protocol>udp</protocol></remote>\n"
		   "<remote><connection>syslog</connection></remote></ossec_config>");
	/* syslog blocks are dropped; tcp,udp keeps tcp */
	assert_int_equal(f->r.nremotes, 2);
	assert_int_equal(f->r.nblocks, 4);
	char *log = vg_test_read_log(f->d.log);
	assert_int_equal(vg_test_count(log, "WARNING"), 2);
	assert_int_equal(vg_test_count(log, "t.conf:1: <remote>: <protocol>: udp is not "
					    "implemented by Vigie; listening on tcp only"),
			 1);
	assert_int_equal(vg_test_count(log, "<connection>syslog</connection> is not implemented "
					    "by Vigie; block ignored"),
			 1);
	vg_free(log);

	/* only syslog blocks: no secure listener, and no default either */
	load_ok(f, REMOTE("<connection>syslog</connection>"));
	assert_int_equal(f->r.nremotes, 0);
}

static void test_remote_conf__unknown_elements_get_a_hint(void **state)
{
	struct fixture *f = *state;

	expect_error(f, REMOTE("\n\n<queue-size>5</queue-size>"),
		     "t.conf:3: <remote>: unknown element <queue-size>; did you mean "
		     "<queue_size>?");
	expect_error(f, AUTH("<use_pasword>yes</use_pasword>"),
		     "<auth>: unknown element <use_pasword>; did you mean <use_password>?");
	expect_error(f, AUTH("<queue_size>5</queue_size>"), "<auth>: unknown element <queue_size>");
	expect_error(f, REMOTE("<qwertyuiop/>"), "<remote>: unknown element <qwertyuiop>");
	assert_null(strstr(f->err.msg, "did you mean"));
}

static void test_remote_conf__unimplemented_warned_once_each(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config><remote><rids_closing_time>5m</rids_closing_time></remote>"
		   "<remote><port>1600</port><rids_closing_time>1m</rids_closing_time></remote>"
		   "<auth><ciphers>HIGH</ciphers><ciphers>LOW</ciphers>\n"
		   "<force><enabled>yes</enabled><key_mismatch>yes</key_mismatch></force>"
		   "<limit_maxagents>yes</limit_maxagents></auth>"
		   "<auth><force/></auth></ossec_config>");
	assert_int_equal(__builtin_popcountll(f->r.warned), 1);
	assert_int_equal(__builtin_popcountll(f->a.warned), 3);
	char *log = vg_test_read_log(f->d.log);
	assert_int_equal(vg_test_count(log, "WARNING"), 4);
	assert_int_equal(vg_test_count(log, "t.conf:1: <remote>: <rids_closing_time> is not "
					    "implemented by Vigie; ignored"),
			 1);
	assert_int_equal(vg_test_count(log, "t.conf:2: <auth>: <force> is not implemented"), 1);
	assert_int_equal(vg_test_count(log, "<auth>: <ciphers> is not implemented"), 1);
	vg_free(log);
}

static void test_remote_conf__cross_section_checks(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "<ossec_config><remote/>" AUTH_BODY("<port>1514</port>") "</ossec_config>",
		     "<auth>: <port> 1514 is also the port of the <remote> block");
	load_ok(f, AUTH("<port>1514</port>")); /* no <remote>: nothing listens */
	expect_error(f,
		     "<ossec_config><remote><port>1600</port><local_ip>10.0.0.1</local_ip>"
		     "</remote><auth><port>1600</port></auth></ossec_config>",
		     "<auth>: <port> 1600 is also the port of the <remote> block");
	/* no clash when enrollment does not listen */
	load_ok(f, AUTH("<port>1514</port><disabled>yes</disabled>"));
	assert_true(f->a.disabled);
	load_ok(f, AUTH("<port>1514</port><remote_enrollment>no</remote_enrollment>"));
	assert_false(f->a.remote_enrollment);
	expect_error(f, AUTH("<ssl_manager_cert>etc/c</ssl_manager_cert>"),
		     "<ssl_manager_cert> and <ssl_manager_key> go together");
	expect_error(f, AUTH("<ssl_manager_key>etc/k</ssl_manager_key>"), "go together");
}

static void put_pass(const struct fixture *f, const char *data, mode_t mode)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/etc", f->d.dir);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/etc/authd.pass", f->d.dir);
	unlink(path);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(data, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_remote_conf__password_file(void **state)
{
	struct fixture *f = *state;
	char *pw = NULL;
	size_t len = 0;
	char want[200];

	/* use_password no: nothing is read, even if the file is bad */
	load_ok(f, AUTH("<use_password>no</use_password>"));
	put_pass(f, "x\n", 0666);
	assert_int_equal(mgr_auth_password(&f->a, f->d.dir, &pw, &len, &f->err), 0);
	assert_null(pw);

	load_ok(f, AUTH("<use_password>yes</use_password>"));
	put_pass(f, "enroll-me\n", 0640);
	assert_int_equal(mgr_auth_password(&f->a, f->d.dir, &pw, &len, &f->err), 0);
	assert_string_equal(pw, "enroll-me");
	assert_int_equal(len, 9);
	vg_passfile_free(pw, len);

	put_pass(f, "enroll-me\n", 0644);
	vg_err_clear(&f->err);
	assert_int_equal(mgr_auth_password(&f->a, f->d.dir, &pw, &len, &f->err), VG_EPERM);
	assert_null(pw);
	assert_non_null(strstr(f->err.msg, "<auth><use_password> is yes: password file"));
	assert_non_null(strstr(f->err.msg, "mode 0644"));
	assert_null(strstr(f->err.msg, "enroll-me"));

	put_pass(f, "\n", 0600);
	vg_err_clear(&f->err);
	assert_int_equal(mgr_auth_password(&f->a, f->d.dir, &pw, &len, &f->err), VG_EPARSE);
	assert_non_null(strstr(f->err.msg, "is empty"));

	snprintf(want, sizeof(want), "%s/etc/authd.pass", f->d.dir);
	unlink(want);
	vg_err_clear(&f->err);
	assert_int_equal(mgr_auth_password(&f->a, f->d.dir, &pw, &len, &f->err), VG_ENOTFOUND);
	snprintf(want, sizeof(want),
		 "<auth><use_password> is yes but %s/etc/authd.pass does not exist", f->d.dir);
	assert_non_null(strstr(f->err.msg, want));
}

static void test_remote_conf__wazuh_manager_blocks_load(void **state)
{
	struct fixture *f = *state;
	const char *src = getenv("VG_SOURCE_DIR");
	char *path = vg_xasprintf("%s/tests/fixtures/conf/wazuh-4x-manager-remote.conf",
				  src != NULL ? src : ".");
	struct mgr_config cfg;

	/* through the manager's whole loader, as vigie-manager reads it */
	if (mgr_config_load(path, &cfg, &f->err) != 0)
		fail_msg("%s", f->err.msg);
	vg_free(path);
	assert_int_equal(cfg.remote.nremotes, 1);
	assert_int_equal(cfg.remote.remotes[0].port, 1514);
	assert_int_equal(cfg.remote.remotes[0].queue_size, 131072);
	assert_int_equal(cfg.auth.port, 1515);
	assert_true(cfg.auth.purge);
	assert_false(cfg.auth.use_password);
	assert_string_equal(cfg.auth.ssl_manager_cert, "etc/sslmanager.cert");
	assert_string_equal(cfg.auth.ssl_manager_key, "etc/sslmanager.key");
	/* ciphers, ssl_auto_negotiate; plus the syslog block */
	assert_int_equal(__builtin_popcountll(cfg.auth.warned), 2);
	assert_int_equal(__builtin_popcountll(cfg.remote.warned), 1);
	mgr_config_free(&cfg);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_remote_conf__defaults),
	    T(test_remote_conf__every_element),
	    T(test_remote_conf__several_listeners),
	    T(test_remote_conf__bad_values_name_file_and_line),
	    T(test_remote_conf__udp_and_syslog),
	    T(test_remote_conf__unknown_elements_get_a_hint),
	    T(test_remote_conf__unimplemented_warned_once_each),
	    T(test_remote_conf__cross_section_checks),
	    T(test_remote_conf__password_file),
	    T(test_remote_conf__wazuh_manager_blocks_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
