/*
 * Unit tests for src/lib/client_conf.c: the agent's <client> section.
 * Warnings are captured by pointing the logger at a file in a mkdtemp
 * directory.
 */
#include <limits.h>
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

#include "lib/client_conf.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"

struct fixture {
	struct vg_test_logdir d;
	struct vg_client_conf c;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	vg_test_logdir_open(&f->d, "client");
	vg_client_conf_init(&f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vg_client_conf_free(&f->c);
	vg_test_logdir_close(&f->d);
	vg_free(f);
	return 0;
}

static int load(struct fixture *f, const char *xml)
{
	struct vg_conf_section s[] = {{"client", vg_client_conf_parse, &f->c}};

	vg_client_conf_free(&f->c);
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

#define CLIENT(body) "<ossec_config><client>" body "</client></ossec_config>"
#define SERVER "<server><address>10.0.0.1</address></server>"

static void test_client_conf__defaults(void **state)
{
	struct fixture *f = *state;
	char host[HOST_NAME_MAX + 1];

	load_ok(f, CLIENT(SERVER));
	assert_true(f->c.present);
	assert_int_equal(f->c.nservers, 1);
	assert_string_equal(f->c.servers[0].address, "10.0.0.1");
	assert_int_equal(f->c.servers[0].port, 1514);
	assert_int_equal(f->c.servers[0].max_retries, 5);
	assert_int_equal(f->c.servers[0].retry_interval, 10);
	assert_int_equal(f->c.notify_time, 10);
	assert_int_equal(f->c.time_reconnect, 60);
	assert_int_equal(f->c.outbox_max_events, 1000000);
	assert_true(f->c.outbox_max_size == 1024ull * 1024 * 1024);
	assert_true(f->c.enrollment.enabled);
	assert_int_equal(f->c.enrollment.port, 1515);
	assert_int_equal(f->c.enrollment.delay_after_enrollment, 20);
	assert_false(f->c.enrollment.use_source_ip);
	assert_int_equal(f->c.enrollment.ngroups, 0);
	assert_null(f->c.enrollment.manager_address);

	assert_int_equal(vg_client_conf_finish(&f->c, "/var/vigie", &f->err), 0);
	assert_string_equal(f->c.enrollment.manager_address, "10.0.0.1");
	assert_string_equal(f->c.enrollment.authorization_pass_path, "/var/vigie/etc/authd.pass");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	if (vg_client_valid_agent_name(host))
		assert_string_equal(f->c.enrollment.agent_name, host);
}

static void test_client_conf__every_element(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CLIENT("<server><address>[2001:DB8::5]</address><port>2514</port>"
			  "<protocol>TCP</protocol><max_retries>3</max_retries>"
			  "<retry_interval>7</retry_interval></server>"
			  "<notify_time>30</notify_time><time-reconnect>300</time-reconnect>"
			  "<enrollment><enabled>no</enabled>"
			  "<manager_address>enroll.example.com</manager_address>"
			  "<port>2515</port><agent_name>web-01.prod</agent_name>"
			  "<groups> default , linux,web_servers </groups>"
			  "<authorization_pass_path>/etc/vigie/pass</authorization_pass_path>"
			  "<delay_after_enrollment>0</delay_after_enrollment>"
			  "<use_source_ip>yes</use_source_ip></enrollment>"));
	const struct vg_client_server *s = &f->c.servers[0];
	assert_string_equal(s->address, "2001:db8::5");
	assert_int_equal(s->port, 2514);
	assert_int_equal(s->max_retries, 3);
	assert_int_equal(s->retry_interval, 7);
	assert_int_equal(f->c.notify_time, 30);
	assert_int_equal(f->c.time_reconnect, 300);
	const struct vg_client_enrollment *e = &f->c.enrollment;
	assert_false(e->enabled);
	assert_string_equal(e->manager_address, "enroll.example.com");
	assert_int_equal(e->port, 2515);
	assert_string_equal(e->agent_name, "web-01.prod");
	assert_int_equal(e->ngroups, 3);
	assert_string_equal(e->groups[0], "default");
	assert_string_equal(e->groups[1], "linux");
	assert_string_equal(e->groups[2], "web_servers");
	assert_int_equal(e->delay_after_enrollment, 0);
	assert_true(e->use_source_ip);
	assert_int_equal(vg_client_conf_finish(&f->c, "/home", &f->err), 0);
	/* absolute paths stay, configured values are not replaced */
	assert_string_equal(e->authorization_pass_path, "/etc/vigie/pass");
	assert_string_equal(e->manager_address, "enroll.example.com");
	assert_string_equal(e->agent_name, "web-01.prod");
}

static void test_client_conf__servers_in_order_across_blocks(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config><client>" SERVER
		   "<server><address>backup.example</address><port>1600</port></server>"
		   "<notify_time>20</notify_time></client></ossec_config>"
		   "<ossec_config><client><server><address>::1</address></server>"
		   "<notify_time>40</notify_time>"
		   "<enrollment><authorization_pass_path>etc/my.pass</authorization_pass_path>"
		   "</enrollment></client></ossec_config>");
	assert_int_equal(f->c.nservers, 3);
	assert_string_equal(f->c.servers[0].address, "10.0.0.1");
	assert_string_equal(f->c.servers[1].address, "backup.example");
	assert_int_equal(f->c.servers[1].port, 1600);
	assert_string_equal(f->c.servers[2].address, "::1");
	assert_int_equal(f->c.servers[2].port, 1514);
	assert_int_equal(f->c.notify_time, 40); /* the later value wins */
	assert_int_equal(vg_client_conf_finish(&f->c, "/h", &f->err), 0);
	assert_string_equal(f->c.enrollment.manager_address, "10.0.0.1");
	assert_string_equal(f->c.enrollment.authorization_pass_path, "/h/etc/my.pass");
}

static void test_client_conf__bad_values_name_file_and_line(void **state)
{
	struct fixture *f = *state;

	expect_error(f, CLIENT("\n<server><address>10.0.0.1</address>\n<port>0</port></server>"),
		     "t.conf:3: <client><server>: <port>: expected a port from 1 to 65535, got "
		     "\"0\"");
	expect_error(f, CLIENT(SERVER "<enrollment><port>65536</port></enrollment>"),
		     "t.conf:1: <client><enrollment>: <port>: expected a port from 1 to 65535, "
		     "got \"65536\"");
	expect_error(f, CLIENT("<server><address>m</address><port>abc</port></server>"),
		     "got \"abc\"");
	expect_error(f, CLIENT("<server><address>10.0.0.300</address></server>"),
		     "<client><server>: <address>: expected a host name or an IPv4/IPv6 "
		     "address, got \"10.0.0.300\"");
	expect_error(f, CLIENT("<server><address>bad host!</address></server>"),
		     "got \"bad host!\"");
	expect_error(f, CLIENT("<server><address></address></server>"), "got \"\"");
	expect_error(f,
		     CLIENT(SERVER "<enrollment><manager_address>a..b</manager_address>"
				   "</enrollment>"),
		     "<client><enrollment>: <manager_address>: expected a host name");
	expect_error(f, CLIENT("<server><port>1514</port></server>"),
		     "t.conf:1: <client><server>: missing <address>");
	expect_error(f, CLIENT(SERVER "<notify_time>0</notify_time>"),
		     "<client>: <notify_time>: expected a number from 1 to 86400, got \"0\"");
	expect_error(f, CLIENT(SERVER "<time-reconnect>1m</time-reconnect>"),
		     "<client>: <time-reconnect>: expected a number");
	expect_error(f, CLIENT("<server><address>m</address><max_retries>0</max_retries></server>"),
		     "<max_retries>: expected a number from 1 to 1000000000");
	expect_error(f, CLIENT(SERVER "<enrollment><enabled>true</enabled></enrollment>"),
		     "<client><enrollment>: <enabled>: expected yes or no, got \"true\"");
	expect_error(f, CLIENT(SERVER "<enrollment><agent_name>a</agent_name></enrollment>"),
		     "<agent_name>: expected 2 to 128 letters");
	expect_error(f, CLIENT(SERVER "<enrollment><agent_name>my agent</agent_name></enrollment>"),
		     "got \"my agent\"");
	expect_error(f, CLIENT(SERVER "<enrollment><groups>ok,b@d</groups></enrollment>"),
		     "<groups>: bad group name \"b@d\"");
	expect_error(f, CLIENT(SERVER "<enrollment><groups>a,,b</groups></enrollment>"),
		     "bad group name \"\"");
	expect_error(f, CLIENT(SERVER "<enrollment><groups>..</groups></enrollment>"),
		     "bad group name \"..\"");
	expect_error(f, CLIENT(SERVER "<enrollment><authorization_pass_path/></enrollment>"),
		     "<authorization_pass_path>: expected a path");
	expect_error(f, CLIENT("<server><address>m<port>1</port></address></server>"),
		     "<client><server>: <address>: unexpected element <port>");
}

static void test_client_conf__udp_is_an_error_with_a_hint(void **state)
{
	struct fixture *f = *state;

	expect_error(f, CLIENT("<server><address>m</address>\n<protocol>udp</protocol></server>"),
		     "t.conf:2: <client><server>: <protocol>: udp is not supported: Vigie "
		     "talks to the manager over TLS on TCP; write <protocol>tcp</protocol>");
	expect_error(f, CLIENT("<server><address>m</address><protocol>sctp</protocol></server>"),
		     "expected tcp, got \"sctp\"");
}

static void test_client_conf__unknown_elements_get_a_hint(void **state)
{
	struct fixture *f = *state;

	expect_error(f, CLIENT(SERVER "<notify_tim>5</notify_tim>"),
		     "t.conf:1: <client>: unknown element <notify_tim>; did you mean "
		     "<notify_time>?");
	expect_error(f, CLIENT("<server><adress>m</adress></server>"),
		     "<client><server>: unknown element <adress>; did you mean <address>?");
	expect_error(f, CLIENT(SERVER "<enrollment><agent_nam>x</agent_nam></enrollment>"),
		     "<client><enrollment>: unknown element <agent_nam>; did you mean "
		     "<agent_name>?");
	expect_error(f, CLIENT(SERVER "<zzzzzzzzzzzz/>"),
		     "<client>: unknown element <zzzzzzzzzzzz>");
	assert_null(strstr(f->err.msg, "did you mean"));
	/* enrollment elements are not valid in <server> */
	expect_error(f, CLIENT("<server><address>m</address><agent_name>x</agent_name></server>"),
		     "<client><server>: unknown element <agent_name>");
	expect_error(f, CLIENT("<server-ip>10.0.0.1</server-ip>"),
		     "<client>: <server-ip> was removed in Wazuh 3.0; use <server><address>");
}

static void test_client_conf__unimplemented_warned_once_each(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "<ossec_config><client>" SERVER
		   "<config-profile>a</config-profile>\n<crypto_method>aes</crypto_method>"
		   "<crypto_method>blowfish</crypto_method>"
		   "<enrollment><ssl_cipher>HIGH</ssl_cipher></enrollment>"
		   "<enrollment><ssl_cipher>LOW</ssl_cipher></enrollment>"
		   "</client></ossec_config><ossec_config><client>"
		   "<config-profile>b</config-profile></client></ossec_config>");
	assert_int_equal(__builtin_popcountll(f->c.warned), 3);
	char *log = vg_test_read_log(f->d.log);
	assert_int_equal(vg_test_count(log, "WARNING"), 3);
	assert_int_equal(vg_test_count(log, "t.conf:1: <client>: <config-profile> is not "
					    "implemented by Vigie; ignored"),
			 1);
	assert_int_equal(vg_test_count(log, "t.conf:2: <client>: <crypto_method> is not "
					    "implemented"),
			 1);
	assert_int_equal(vg_test_count(log, "<client><enrollment>: <ssl_cipher> is not "
					    "implemented"),
			 1);
	vg_free(log);
}

static void test_client_conf__finish_rules(void **state)
{
	struct fixture *f = *state;

	/* no <client>: nothing to do, the agent stays local */
	load_ok(f, "<ossec_config></ossec_config>");
	assert_int_equal(vg_client_conf_finish(&f->c, "/h", &f->err), 0);
	assert_false(f->c.present);
	assert_null(f->c.enrollment.agent_name);

	/* a <client> without a server cannot run */
	load_ok(f,
		"<ossec_config>\n\n<client><notify_time>5</notify_time></client></ossec_config>");
	assert_int_equal(vg_client_conf_finish(&f->c, "/h", &f->err), VG_EPARSE);
	assert_string_equal(f->err.msg, "t.conf:3: <client>: no <server> with an <address>: the "
					"agent needs a manager");

	/* no HOME: the relative default stays relative */
	load_ok(f, CLIENT(SERVER "<enrollment><agent_name>ab</agent_name></enrollment>"));
	assert_int_equal(vg_client_conf_finish(&f->c, NULL, &f->err), 0);
	assert_string_equal(f->c.enrollment.authorization_pass_path, "etc/authd.pass");
}

static void test_client_conf__agent_names(void **state)
{
	(void)state;
	char big[200];

	assert_true(vg_client_valid_agent_name("ubuntu-jammy"));
	assert_true(vg_client_valid_agent_name("a_b.c-d"));
	assert_false(vg_client_valid_agent_name("x"));
	assert_false(vg_client_valid_agent_name("a/b"));
	assert_false(vg_client_valid_agent_name("caf\xc3\xa9"));
	memset(big, 'a', sizeof(big));
	big[128] = '\0';
	assert_true(vg_client_valid_agent_name(big));
	big[128] = 'a';
	big[129] = '\0';
	assert_false(vg_client_valid_agent_name(big));
}

static void test_client_conf__wazuh_files_load(void **state)
{
	struct fixture *f = *state;
	const char *src = getenv("VG_SOURCE_DIR");
	struct vg_conf_section s[] = {{"client", vg_client_conf_parse, &f->c}};

	char *path = vg_xasprintf("%s/tests/fixtures/conf/wazuh-4x-agent-client.conf",
				  src != NULL ? src : ".");
	vg_client_conf_free(&f->c);
	if (vg_conf_load(path, s, 1, &f->err) != 0)
		fail_msg("%s", f->err.msg);
	vg_free(path);
	assert_int_equal(f->c.nservers, 2);
	assert_string_equal(f->c.servers[0].address, "192.168.1.100");
	assert_int_equal(f->c.servers[0].retry_interval, 5);
	assert_string_equal(f->c.servers[1].address, "wazuh-backup.example.com");
	assert_int_equal(f->c.servers[1].port, 1516);
	assert_string_equal(f->c.enrollment.agent_name, "ubuntu-jammy");
	assert_int_equal(f->c.enrollment.ngroups, 2);
	/* config-profile, auto_restart, crypto_method, agent_address, ssl_cipher,
	 * server_ca_path, agent_certificate_path, agent_key_path, auto_method */
	assert_int_equal(__builtin_popcountll(f->c.warned), 9);
	assert_int_equal(vg_client_conf_finish(&f->c, "/var/vigie", &f->err), 0);
	assert_string_equal(f->c.enrollment.authorization_pass_path, "/var/vigie/etc/authd.pass");

	/* the whole stock agent ossec.conf, with its MANAGER_IP placeholder */
	path = vg_xasprintf("%s/tests/fixtures/conf/wazuh-4x-agent.conf", src != NULL ? src : ".");
	vg_client_conf_free(&f->c);
	if (vg_conf_load(path, s, 1, &f->err) != 0)
		fail_msg("%s", f->err.msg);
	vg_free(path);
	assert_int_equal(f->c.nservers, 1);
	assert_string_equal(f->c.servers[0].address, "MANAGER_IP");
	assert_true(f->c.enrollment.enabled);
}

static void test_client_conf__outbox_bounds(void **state)
{
	struct fixture *f = *state;

	load_ok(f, CLIENT(SERVER "<outbox_max_events>5000</outbox_max_events>"
				 "<outbox_max_size>200M</outbox_max_size>"));
	assert_int_equal(f->c.outbox_max_events, 5000);
	assert_true(f->c.outbox_max_size == 200ull * 1024 * 1024);
	load_ok(f, CLIENT(SERVER "<outbox_max_size>2097152</outbox_max_size>"));
	assert_true(f->c.outbox_max_size == 2ull * 1024 * 1024);
	load_ok(f, CLIENT(SERVER "<outbox_max_size>3g</outbox_max_size>"));
	assert_true(f->c.outbox_max_size == 3ull * 1024 * 1024 * 1024);
	load_ok(f, CLIENT(SERVER "<outbox_max_size>4096K</outbox_max_size>"));
	assert_true(f->c.outbox_max_size == 4ull * 1024 * 1024);

	expect_error(f,
		     "<ossec_config><client>" SERVER
		     "\n<outbox_max_events>0</outbox_max_events></client></ossec_config>",
		     "t.conf:2: <client>: <outbox_max_events>: expected a number from 1 to");
	expect_error(f, CLIENT(SERVER "<outbox_max_events>many</outbox_max_events>"),
		     "got \"many\"");
	expect_error(f, CLIENT(SERVER "<outbox_max_size>1000</outbox_max_size>"),
		     "t.conf:1: <client>: <outbox_max_size>: expected a size from 1M to 1T");
	expect_error(f, CLIENT(SERVER "<outbox_max_size>2P</outbox_max_size>"), "got \"2P\"");
	expect_error(f, CLIENT(SERVER "<outbox_max_size>2T</outbox_max_size>"), "from 1M to 1T");
	expect_error(f, CLIENT(SERVER "<outbox_max_size>-5M</outbox_max_size>"), "got \"-5M\"");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_client_conf__defaults),
	    T(test_client_conf__every_element),
	    T(test_client_conf__servers_in_order_across_blocks),
	    T(test_client_conf__bad_values_name_file_and_line),
	    T(test_client_conf__udp_is_an_error_with_a_hint),
	    T(test_client_conf__unknown_elements_get_a_hint),
	    T(test_client_conf__unimplemented_warned_once_each),
	    T(test_client_conf__finish_rules),
	    T(test_client_conf__outbox_bounds),
	    cmocka_unit_test(test_client_conf__agent_names),
	    T(test_client_conf__wazuh_files_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
