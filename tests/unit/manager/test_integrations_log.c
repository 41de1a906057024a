/*
 * Unit tests for src/manager/integrations_log.c: the line format (UTC time,
 * fields, "-" for the absent ones, escaping, quoting), appending to a real
 * file in mkdtemp, and reopening after a rotation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/buf.h"
#include "lib/mem.h"
#include "manager/integrations_log.h"

static char *format(const struct mgr_intlog_entry *e)
{
	struct vg_buf b = VG_BUF_INIT(MGR_INTLOG_LINE_MAX);

	assert_int_equal(mgr_intlog_format(&b, e), 0);
	return vg_buf_take(&b);
}

static void test_integrations_log__full_line(void **state)
{
	struct mgr_intlog_entry e = MGR_INTLOG_ENTRY_INIT;
	(void)state;

	e.time_ms = 1770545472345; /* 2026-02-08T10:11:12.345Z */
	e.integration = "virustotal";
	e.alert_id = "1770545472.1234";
	e.agent_id = "001";
	e.sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
	e.outcome = "malicious";
	e.http_status = 200;
	e.latency_ms = 412;
	e.cache = MGR_INTLOG_CACHE_MISS;
	e.quota_minute = 3;
	e.quota_day = 499;
	e.quota_month = 15499;
	e.message = "57 engines detected this file";
	char *line = format(&e);
	assert_string_equal(line,
			    "2026-02-08T10:11:12.345Z virustotal alert=1770545472.1234 "
			    "agent=001 "
			    "sha256=275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf6"
			    "51fd0f outcome=malicious http=200 latency_ms=412 cache=miss "
			    "quota_left=3/499/15499 msg=\"57 engines detected this file\"\n");
	vg_free(line);
}

static void test_integrations_log__absent_fields_are_dashes(void **state)
{
	struct mgr_intlog_entry e = MGR_INTLOG_ENTRY_INIT;
	(void)state;

	e.time_ms = 86400000 + 5; /* 1970-01-02T00:00:00.005Z */
	e.integration = "virustotal";
	e.outcome = "clean";
	e.cache = MGR_INTLOG_CACHE_HIT;
	e.latency_ms = 0;
	e.quota_day = 12;
	char *line = format(&e);
	assert_string_equal(line, "1970-01-02T00:00:00.005Z virustotal alert=- agent=- sha256=- "
				  "outcome=clean http=- latency_ms=0 cache=hit quota_left=-/12/- "
				  "msg=-\n");
	vg_free(line);
	/* time 0 is now: a plausible year */
	e.time_ms = 0;
	line = format(&e);
	assert_true(strncmp(line, "20", 2) == 0);
	assert_int_equal(line[10], 'T');
	assert_non_null(strstr(line, "Z virustotal "));
	vg_free(line);
}

static void test_integrations_log__escaped_one_line(void **state)
{
	struct mgr_intlog_entry e = MGR_INTLOG_ENTRY_INIT;
	char big[3000];
	(void)state;

	e.time_ms = 1;
	e.integration = "custom-x";
	e.alert_id = "1.2\nforged=line";
	e.agent_id = "0 01";
	e.outcome = "error";
	e.message = "bad \"body\"\r\n\x01 from a=b";
	char *line = format(&e);
	assert_int_equal(vg_test_count(line, "\n"), 1);
	/* the newline is escaped; the '=' makes the value quoted */
	assert_non_null(strstr(line, " alert=\"1.2\\nforged=line\" "));
	vg_free(line);
	/* quoting when a value has a space or '=' after escaping */
	e.alert_id = "a=b";
	line = format(&e);
	assert_non_null(strstr(line, " alert=\"a=b\" agent=\"0 01\" "));
	assert_non_null(strstr(line, " msg=\"bad \\\"body\\\"\\x0d\\n\\x01 from a=b\"\n"));
	vg_free(line);
	/* a long message is cut, the line stays whole */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.message = big;
	line = format(&e);
	assert_true(strlen(line) < 1300);
	assert_non_null(strstr(line, "...\"\n"));
	vg_free(line);
}

static void test_integrations_log__append_and_reopen(void **state)
{
	char dir[64] = "/tmp/vg-test-intlog-XXXXXX", path[128], moved[128];
	struct mgr_intlog *l = NULL;
	struct mgr_intlog_entry e = MGR_INTLOG_ENTRY_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/integrations.log", dir);
	snprintf(moved, sizeof(moved), "%s/integrations.log.1", dir);
	assert_int_equal(mgr_intlog_open(path, &l, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	e.time_ms = 1;
	e.integration = "virustotal";
	e.outcome = "clean";
	assert_int_equal(mgr_intlog_write(l, &e, NULL), 0);
	e.outcome = "malicious";
	assert_int_equal(mgr_intlog_write(l, &e, NULL), 0);
	/* rotation: the old name keeps the lines, reopen starts a new file */
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(mgr_intlog_reopen(l, NULL), 0);
	e.outcome = "not_found";
	assert_int_equal(mgr_intlog_write(l, &e, NULL), 0);
	mgr_intlog_close(l);
	char *old = vg_test_read_file(moved), *cur = vg_test_read_file(path);
	assert_int_equal(vg_test_count(old, "\n"), 2);
	assert_non_null(strstr(old, "outcome=clean"));
	assert_non_null(strstr(old, "outcome=malicious"));
	assert_int_equal(vg_test_count(cur, "\n"), 1);
	assert_non_null(strstr(cur, "outcome=not_found"));
	vg_free(old);
	vg_free(cur);
	/* a missing directory names the path */
	snprintf(path, sizeof(path), "%s/nope/integrations.log", dir);
	assert_int_equal(mgr_intlog_open(path, &l, &err), VG_ENOTFOUND);
	assert_null(l);
	vg_test_err_mentions(&err, "nope/integrations.log");
	mgr_intlog_close(NULL);
	vg_test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_integrations_log__full_line),
	    cmocka_unit_test(test_integrations_log__absent_fields_are_dashes),
	    cmocka_unit_test(test_integrations_log__escaped_one_line),
	    cmocka_unit_test(test_integrations_log__append_and_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
