/*
 * Unit tests for src/lib/conf.c: the ossec.conf loader. Warnings are
 * captured by pointing the logger at a file in a mkdtemp directory.
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
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"

struct fixture {
	char dir[64];
	char log[128];
	struct vg_buf seen; /* what the recording handler saw */
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg-test-conf-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	vg_buf_init(&f->seen, 1 << 20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[160];
	vg_log_close();
	unlink(f->log);
	snprintf(path, sizeof(path), "%s/t.conf", f->dir);
	unlink(path);
	rmdir(f->dir);
	vg_buf_free(&f->seen);
	vg_free(f);
	return 0;
}

/* Records "name@line[text]{a=v,...}(children)" for the section and its children. */
static void record(struct vg_buf *b, const struct vg_conf_node *n)
{
	const char *name, *value;
	assert_int_equal(vg_buf_printf(b, "%s@%ld[%s]", vg_conf_node_name(n), vg_conf_node_line(n),
				       vg_conf_node_text(n)),
			 0);
	for (size_t i = 0; vg_conf_node_attr_at(n, i, &name, &value); i++)
		assert_int_equal(vg_buf_printf(b, "{%s=%s}", name, value), 0);
	const struct vg_conf_node *c = vg_conf_node_first(n);
	if (c != NULL) {
		assert_int_equal(vg_buf_puts(b, "("), 0);
		for (; c != NULL; c = vg_conf_node_next(c))
			record(b, c);
		assert_int_equal(vg_buf_puts(b, ")"), 0);
	}
	assert_int_equal(vg_buf_puts(b, ";"), 0);
}

static int recorder(void *ctx, const struct vg_conf_node *n, struct vg_err *err)
{
	record(ctx, n);
	return 0;
}

static int failing(void *ctx, const struct vg_conf_node *n, struct vg_err *err)
{
	return vg_conf_error(n, err, "<%s>: nope", vg_conf_node_name(n));
}

static int failing_silently(void *ctx, const struct vg_conf_node *n, struct vg_err *err)
{
	return VG_EPARSE;
}

static int load(struct fixture *f, const char *xml, struct vg_err *err)
{
	struct vg_conf_section s[] = {{"syscheck", recorder, &f->seen},
				      {"vigie", recorder, &f->seen}};
	return vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 2, err);
}

static void test_conf__dispatches_with_file_line_numbers(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	const char *xml = "<?xml version=\"1.0\"\n encoding=\"UTF-8\"?>\n" /* lines 1-2 */
			  "<!-- c -->\n"
			  "<ossec_config>\n"
			  "  <syscheck>\n"                    /* 5 */
			  "    <frequency> 10 </frequency>\n" /* 6 */
			  "    <directories a=\"1\" b=\"x&amp;y\">/etc</directories>\n"
			  "  </syscheck>\n"
			  "</ossec_config>\n"
			  "<ossec_config><vigie/></ossec_config>\n"; /* 10 */
	assert_int_equal(load(f, xml, &err), 0);
	assert_string_equal(vg_buf_cstr(&f->seen), "syscheck@5[](frequency@6[10];"
						   "directories@7[/etc]{a=1}{b=x&y};);vigie@10[];");
}

static void test_conf__text_is_trimmed_and_cdata_joined(void **state)
{
	struct fixture *f = *state;
	const char *xml = "<ossec_config><syscheck>\n\t a <![CDATA[<b>]]> &lt;c&gt;\n "
			  "<x>\n</x></syscheck></ossec_config>";
	assert_int_equal(load(f, xml, NULL), 0);
	assert_string_equal(vg_buf_cstr(&f->seen), "syscheck@1[a <b> <c>](x@3[];);");
}

static int h(void *ctx, const struct vg_conf_node *n, struct vg_err *e)
{
	int *calls = ctx;
	assert_string_equal(vg_conf_node_attr(n, "type"), "sregex");
	assert_string_equal(vg_conf_node_attr(n, "e"), "");
	assert_null(vg_conf_node_attr(n, "nope"));
	assert_null(vg_conf_node_first(n));
	assert_string_equal(vg_conf_node_file(n), "t.conf");
	(*calls)++;
	return 0;
}

static void test_conf__attr_lookup(void **state)
{
	struct fixture *f = *state;
	(void)f;
	/* Checked through a handler: NULL for a missing attribute. */
	struct vg_err err = VG_ERR_INIT;
	struct check {
		int calls;
	} chk = {0};
	struct vg_conf_section s[] = {{"syscheck", h, &chk}};
	const char *xml = "<ossec_config><syscheck type='sregex' e=''/></ossec_config>";
	assert_int_equal(vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &err), 0);
	assert_int_equal(chk.calls, 1);
}

static void test_conf__wazuh_sections_warn_once_each(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	const char *xml = "<ossec_config>\n"
			  "<rootcheck/>\n"
			  "<rootcheck><x/></rootcheck>\n"
			  "<wodle name='syscollector'/>\n"
			  "</ossec_config>\n"
			  "<ossec_config><wodle name='x'/><localfile/></ossec_config>\n";
	assert_int_equal(load(f, xml, &err), 0);
	assert_int_equal(err.code, 0);
	char *log = vg_test_read_file(f->log);
	assert_int_equal(vg_test_count(log, "WARNING"), 3);
	assert_int_equal(vg_test_count(log,
				       "t.conf:2: <rootcheck> is a Wazuh section Vigie does not "
				       "implement; ignored"),
			 1);
	assert_int_equal(vg_test_count(log, "t.conf:4: <wodle> is a Wazuh section"), 1);
	assert_int_equal(vg_test_count(log, "t.conf:6: <localfile> is a Wazuh section"), 1);
	vg_free(log);
}

static void test_conf__registered_name_beats_wazuh_list(void **state)
{
	struct fixture *f = *state;
	const char *xml = "<ossec_config><syscheck/></ossec_config>";
	assert_int_equal(load(f, xml, NULL), 0);
	assert_string_equal(vg_buf_cstr(&f->seen), "syscheck@1[];");
	char *log = vg_test_read_file(f->log);
	assert_int_equal(vg_test_count(log, "WARNING"), 0);
	vg_free(log);
}

static void test_conf__unknown_section_is_error_with_hint(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	const char *xml = "<ossec_config>\n\n  <syschek/>\n</ossec_config>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_string_equal(err.msg,
			    "t.conf:3: unknown section <syschek>; did you mean <syscheck>?");
	vg_err_clear(&err);
	xml = "<ossec_config><rootchek/></ossec_config>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_string_equal(err.msg,
			    "t.conf:1: unknown section <rootchek>; did you mean <rootcheck>?");
	vg_err_clear(&err);
	xml = "<ossec_config><zzzzzzzz/></ossec_config>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_string_equal(err.msg, "t.conf:1: unknown section <zzzzzzzz>");
}

static void test_conf__structure_errors(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *xml, *msg;
	} cases[] = {
	    {"", "t.conf: no <ossec_config> block"},
	    {"<!-- only a comment -->\n", "t.conf: no <ossec_config> block"},
	    {"<ossec_config/>\n<agent_config/>", "t.conf:2: unexpected <agent_config> outside "
						 "<ossec_config>"},
	    {"<ossec_config/>\nstray", "t.conf:2: unexpected text outside <ossec_config>"},
	    {"<ossec_config>\n x <syscheck/></ossec_config>",
	     "t.conf:2: unexpected text in <ossec_config>"},
	    {"<ossec_config a='b'/>", "t.conf:1: <ossec_config> takes no attributes"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vg_err err = VG_ERR_INIT;
		assert_int_equal(load(f, cases[i].xml, &err), VG_EPARSE);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

static void test_conf__malformed_xml_names_line(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	const char *xml = "<ossec_config>\n<syscheck>\n<a>\n</syscheck>\n</ossec_config>\n";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_string_equal(err.msg, "t.conf:4: malformed XML: Opening and ending tag mismatch: a "
				     "line 3 and syscheck");
	vg_err_clear(&err);
	xml = "<ossec_config>\n<syscheck a='1' a='2'/></ossec_config>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "t.conf:2: malformed XML: Attribute a redefined"));
	vg_err_clear(&err);
	/* Not UTF-8: a declared encoding is not honoured. */
	xml = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<ossec_config>\xe9</ossec_config>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "t.conf:2: malformed XML: Input is not proper UTF-8"));
	vg_err_clear(&err);
	xml = "<?xml version='1.0'\n<ossec_config/>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_string_equal(err.msg, "t.conf:1: unterminated <?xml declaration");
	vg_err_clear(&err);
	xml = "<ossec_config/>\n<?xml version='1.0'?>";
	assert_int_equal(load(f, xml, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "t.conf:2: malformed XML:"));
}

static void test_conf__bom_is_skipped(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "\xef\xbb\xbf<ossec_config>\n<vigie/></ossec_config>", NULL), 0);
	assert_string_equal(vg_buf_cstr(&f->seen), "vigie@2[];");
}

static void test_conf__entities_and_dtds_are_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *xml, *msg;
	} cases[] = {
	    {"<!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>\n"
	     "<ossec_config><syscheck>&b;</syscheck></ossec_config>",
	     "t.conf:1: DTDs and entity declarations are not allowed"},
	    {"<ossec_config>\n<!DOCTYPE x SYSTEM \"file:///etc/passwd\">\n</ossec_config>",
	     "t.conf:2: DTDs and entity declarations are not allowed"},
	    {"<ossec_config>\n<syscheck>&xxe;</syscheck></ossec_config>",
	     "t.conf:2: malformed XML: Entity 'xxe' not defined"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vg_err err = VG_ERR_INIT;
		assert_int_equal(load(f, cases[i].xml, &err), VG_EPARSE);
		assert_string_equal(err.msg, cases[i].msg);
	}
	assert_string_equal(vg_buf_cstr(&f->seen), "");
}

static void test_conf__deep_nesting_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct vg_buf b = VG_BUF_INIT(1 << 20);
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(vg_buf_puts(&b, "<ossec_config><syscheck>"), 0);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(vg_buf_puts(&b, "<a>"), 0);
	assert_int_equal(load(f, vg_buf_cstr(&b), &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "t.conf:1: malformed XML: Excessive depth"));
	vg_buf_free(&b);
}

static void test_conf__size_limits(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	size_t big = VG_CONF_MAX_SIZE + 1;
	char *data = vg_xmalloc(big + 1);
	memset(data, ' ', big);
	data[big] = '\0';
	memcpy(data, "<ossec_config>", 14);
	assert_int_equal(vg_conf_load_buffer("t.conf", data, big, NULL, 0, &err), VG_ETOOBIG);
	assert_string_equal(err.msg, "t.conf: larger than 4194304 bytes");

	/* 1 MiB of text in one element is fine and arrives whole. */
	size_t text = 1 << 20;
	int n = snprintf(data, big, "<ossec_config><vigie>");
	memset(data + n, 'x', text);
	memcpy(data + n + text, "</vigie></ossec_config>", 24);
	struct vg_buf *seen = &f->seen;
	struct vg_conf_section s[] = {{"vigie", recorder, seen}};
	seen->max = 2 << 20;
	assert_int_equal(vg_conf_load_buffer("t.conf", data, strlen(data), s, 1, NULL), 0);
	assert_int_equal(seen->len, strlen("vigie@1[];") + text);
	vg_free(data);
}

static void test_conf__handler_errors_stop_the_load(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	const char *xml = "<ossec_config>\n<a/>\n<b/>\n<c/></ossec_config>";
	struct vg_conf_section s[] = {
	    {"a", recorder, &f->seen}, {"b", failing, NULL}, {"c", recorder, &f->seen}};
	assert_int_equal(vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 3, &err), VG_EPARSE);
	assert_string_equal(err.msg, "t.conf:3: <b>: nope");
	assert_string_equal(vg_buf_cstr(&f->seen), "a@2[];");
	vg_err_clear(&err);
	s[1].parse = failing_silently;
	assert_int_equal(vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 3, &err), VG_EPARSE);
	assert_string_equal(err.msg, "t.conf:3: <b>: invalid section");
}

static void test_conf__file_errors(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing.conf", f->dir);
	assert_int_equal(vg_conf_load(path, NULL, 0, &err), VG_ENOTFOUND);
	assert_non_null(strstr(err.msg, path));
	vg_err_clear(&err);

	assert_int_equal(vg_conf_load(f->dir, NULL, 0, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "not a regular file"));
	vg_err_clear(&err);

	snprintf(path, sizeof(path), "%s/t.conf", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("<ossec_config>\n<vigie>v</vigie>\n</ossec_config>\n", fp);
	fclose(fp);
	struct vg_conf_section s[] = {{"vigie", recorder, &f->seen}};
	assert_int_equal(vg_conf_load(path, s, 1, &err), 0);
	assert_string_equal(vg_buf_cstr(&f->seen), "vigie@2[v];");

	if (geteuid() != 0) { /* root reads anything */
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(vg_conf_load(path, s, 1, &err), VG_EPERM);
		assert_non_null(strstr(err.msg, path));
	}
}

static int yn(void *ctx, const struct vg_conf_node *n, struct vg_err *e)
{
	struct vg_err err = VG_ERR_INIT;
	bool b = false;
	assert_int_equal(vg_conf_yesno(n, "yes", "<x>", &b, &err), 0);
	assert_true(b);
	assert_int_equal(vg_conf_yesno(n, "no", "<x>", &b, &err), 0);
	assert_false(b);
	b = true;
	assert_int_equal(vg_conf_yesno(n, "Yes", "<vigie>: <x>", &b, &err), VG_EPARSE);
	assert_false(b);
	assert_string_equal(err.msg, "t.conf:2: <vigie>: <x>: expected yes or no, got \"Yes\"");
	vg_err_clear(&err);
	assert_int_equal(vg_conf_yesno(n, NULL, "<x>", &b, &err), VG_EPARSE);
	assert_string_equal(err.msg, "t.conf:2: <x>: expected yes or no, got \"\"");
	return 0;
}

static void test_conf__yesno_is_strict(void **state)
{
	struct fixture *f = *state;
	(void)f;
	struct vg_err err = VG_ERR_INIT;
	struct vg_conf_section s[] = {{"vigie", yn, NULL}};
	const char *xml = "<ossec_config>\n<vigie/></ossec_config>";
	assert_int_equal(vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &err), 0);
}

static void test_conf__hint_picks_closest_plausible(void **state)
{
	static const char *const c[] = {"frequency", "directories", "ignore", "scan_day"};
	assert_string_equal(vg_conf_hint("frequncy", c, 4), "frequency");
	assert_string_equal(vg_conf_hint("DIRECTORY", c, 4), "directories");
	assert_string_equal(vg_conf_hint("ignor", c, 4), "ignore");
	assert_null(vg_conf_hint("colour", c, 4));
	assert_null(vg_conf_hint("", c, 4));
	assert_null(vg_conf_hint("x", c, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_conf__dispatches_with_file_line_numbers, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__text_is_trimmed_and_cdata_joined, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__attr_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__wazuh_sections_warn_once_each, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__registered_name_beats_wazuh_list, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__unknown_section_is_error_with_hint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__structure_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__malformed_xml_names_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__bom_is_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__entities_and_dtds_are_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__deep_nesting_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__size_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__handler_errors_stop_the_load, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conf__file_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf__yesno_is_strict, setup, teardown),
	    cmocka_unit_test(test_conf__hint_picks_closest_plausible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
