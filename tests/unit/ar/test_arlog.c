/*
 * Unit tests for src/ar/arlog.c: the line format (Wazuh's, read back by the
 * manager's ar_log_json decoder), the cap on a line, and the append to
 * HOME/logs/active-responses.log (directory and file created with their
 * modes, O_APPEND semantics, no symbolic link followed) in a mkdtemp HOME.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "ar/arlog.h"
#include "lib/buf.h"
#include "lib/mem.h"
#include "manager/decode.h"
#include "manager/event.h"
#include "manager/fields.h"

struct fixture {
	char home[64];
	char log[128];
	struct vg_buf line;
	struct vg_err err;
	json_t *msg;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));

	snprintf(f->home, sizeof(f->home), "/tmp/vg-arlog-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	snprintf(f->log, sizeof(f->log), "%s/" AR_LOG_FILE, f->home);
	vg_buf_init(&f->line, 2 * AR_LOG_LINE_MAX);
	f->msg =
	    json_pack("{s:i,s:{s:s,s:s},s:s,s:{s:[],s:{s:{s:{s:{s:s}}}},s:s}}", "version", 1,
		      "origin", "name", "node1", "module", "vigie", "command", "add", "parameters",
		      "extra_args", "alert", "data", "virustotal", "source", "file",
		      "/tmp/eicar.com", "program", "active-response/bin/remove-threat");
	/* Local time in the line: pin the zone so the stamp is known. */
	setenv("TZ", "UTC", 1);
	tzset();
	umask(022);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vg_buf_free(&f->line);
	json_decref(f->msg);
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

static void format_ok(struct fixture *f, time_t when, const char *text)
{
	int rc = ar_log_format(&f->line, when, "remove-threat", f->msg, text, &f->err);

	if (rc != 0)
		fail_msg("ar_log_format: %d %s", rc, f->err.msg);
}

static void append_ok(struct fixture *f)
{
	int rc = ar_log_append(f->home, &f->line, &f->err);

	if (rc != 0)
		fail_msg("ar_log_append: %d %s", rc, f->err.msg);
}

/* ---- Format --------------------------------------------------------------- */

static void test_arlog__format_is_wazuh_line(void **state)
{
	struct fixture *f = *state;

	format_ok(f, 1700000000, "Successfully removed threat");
	assert_string_equal(
	    vg_buf_cstr(&f->line),
	    "2023/11/14 22:13:20 active-response/bin/remove-threat: "
	    "{\"version\":1,\"origin\":{\"name\":\"node1\",\"module\":\"vigie\"},\"command\":"
	    "\"add\","
	    "\"parameters\":{\"extra_args\":[],\"alert\":{\"data\":{\"virustotal\":{\"source\":{"
	    "\"file\":\"/tmp/eicar.com\"}}}},\"program\":\"active-response/bin/remove-threat\"}}"
	    " Successfully removed threat\n");

	/* No text: the JSON ends the line, no trailing space. */
	format_ok(f, 0, NULL);
	assert_int_equal(strncmp(vg_buf_cstr(&f->line), "1970/01/01 00:00:00 ", 20), 0);
	assert_int_equal(vg_test_count(vg_buf_cstr(&f->line), "\n"), 1);
	assert_non_null(strstr(vg_buf_cstr(&f->line), "\"}}\n"));
	assert_null(strstr(vg_buf_cstr(&f->line), "}} "));
}

/* The manager's decoder takes the line as ar_log_json, with the JSON's fields. */
static void test_arlog__format_read_by_manager_decoder(void **state)
{
	struct fixture *f = *state;
	struct an_source src = {.agent_id = "001",
				.location = "/var/ossec/logs/active-responses.log"};
	struct an_decoded *d = NULL;
	const struct an_event *ev;
	int rc;

	format_ok(f, time(NULL), "Successfully removed threat");
	rc = an_decode(&src, f->line.data, f->line.len, 0, &d, &f->err);
	if (rc != 0)
		fail_msg("an_decode: %s", f->err.msg);
	ev = an_decoded_event(d);
	assert_non_null(ev->decoder);
	assert_string_equal(ev->decoder, "ar_log_json");
	assert_string_equal(an_fields_get(ev->fields, "command"), "add");
	assert_string_equal(an_fields_get(ev->fields, "parameters.program"),
			    "active-response/bin/remove-threat");
	assert_string_equal(
	    an_fields_get(ev->fields, "parameters.alert.data.virustotal.source.file"),
	    "/tmp/eicar.com");
	assert_non_null(strstr(ev->log, "Successfully removed threat"));
	an_decoded_free(d);
}

/* A line over AR_LOG_LINE_MAX is refused; one of exactly the cap is fine. */
static void test_arlog__oversized_line_refused(void **state)
{
	struct fixture *f = *state;
	size_t prefix, fill;
	char *text;

	format_ok(f, 0, "x");
	prefix = f->line.len - 2; /* the line without "x\n" */
	fill = AR_LOG_LINE_MAX - prefix - 1;
	text = vg_xmalloc(fill + 2);
	memset(text, 'y', fill + 1);
	text[fill] = '\0';
	format_ok(f, 0, text);
	assert_int_equal(f->line.len, AR_LOG_LINE_MAX);

	text[fill] = 'y';
	text[fill + 1] = '\0';
	assert_int_equal(ar_log_format(&f->line, 0, "remove-threat", f->msg, text, &f->err),
			 VG_ETOOBIG);
	vg_test_err_mentions(&f->err, "over");
	vg_free(text);

	/* A caller's buffer with a smaller cap is VG_ETOOBIG too, not a cut line. */
	struct vg_buf small = VG_BUF_INIT(32);
	vg_err_clear(&f->err);
	assert_int_equal(ar_log_format(&small, 0, "remove-threat", f->msg, NULL, &f->err),
			 VG_ETOOBIG);
	vg_buf_free(&small);
}

/* ---- Append --------------------------------------------------------------- */

static void test_arlog__append_creates_dir_and_file(void **state)
{
	struct fixture *f = *state;
	char dir[128];
	struct stat st;
	char *text;

	format_ok(f, 0, "first");
	append_ok(f);
	snprintf(dir, sizeof(dir), "%s/logs", f->home);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(stat(f->log, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	text = vg_test_read_file(f->log);
	assert_string_equal(text, vg_buf_cstr(&f->line));
	vg_free(text);
}

/* Each append lands at the end: a second open writing at offset 0 (no
 * O_APPEND) would overwrite the first line, and lines written by someone
 * else in between (a Wazuh script's >>) are kept. */
static void test_arlog__append_appends(void **state)
{
	struct fixture *f = *state;
	char *text, *first;
	FILE *fp;

	format_ok(f, 0, "first");
	append_ok(f);
	first = vg_xstrdup(vg_buf_cstr(&f->line));
	fp = fopen(f->log, "a");
	assert_non_null(fp);
	fputs("2024/01/01 00:00:00 active-response/bin/other.sh: {} by a script\n", fp);
	assert_int_equal(fclose(fp), 0);
	format_ok(f, 0, "second, longer than the first line by far");
	append_ok(f);

	text = vg_test_read_file(f->log);
	assert_int_equal(vg_test_count(text, "\n"), 3);
	assert_int_equal(strncmp(text, first, strlen(first)), 0);
	assert_non_null(strstr(text, "} by a script\n"));
	assert_non_null(strstr(text, "by far\n"));
	assert_true(strstr(text, "by a script") < strstr(text, "by far"));
	vg_free(first);
	vg_free(text);
}

static void test_arlog__append_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	char dir[128], target[128];
	char *text;

	snprintf(dir, sizeof(dir), "%s/logs", f->home);
	assert_int_equal(mkdir(dir, 0750), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", f->home);
	assert_int_equal(close(open(target, O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(symlink(target, f->log), 0);
	format_ok(f, 0, "x");
	assert_int_not_equal(ar_log_append(f->home, &f->line, &f->err), 0);
	vg_test_err_mentions(&f->err, "active-responses.log");
	text = vg_test_read_file(target);
	assert_string_equal(text, "");
	vg_free(text);
}

static void test_arlog__append_error_when_logs_is_a_file(void **state)
{
	struct fixture *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/logs", f->home);
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	format_ok(f, 0, "x");
	assert_int_not_equal(ar_log_append(f->home, &f->line, &f->err), 0);
	assert_int_not_equal(f->err.code, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_arlog__format_is_wazuh_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arlog__format_read_by_manager_decoder, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_arlog__oversized_line_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arlog__append_creates_dir_and_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_arlog__append_appends, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arlog__append_refuses_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arlog__append_error_when_logs_is_a_file, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
