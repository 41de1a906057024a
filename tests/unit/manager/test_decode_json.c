/*
 * Unit tests for src/manager/decode_json.c: Wazuh's JSON_Decoder. Values
 * are checked against what Wazuh 4.x's readJSON prints, and the "data"
 * object against the seed VirusTotal alert
 * tests/fixtures/seed-alerts/rule-87105.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "support/support.h"
#include "manager/decode_json.h"

static int setup(void **state)
{
	*state = an_fields_new();
	return 0;
}

static int teardown(void **state)
{
	an_fields_free(*state);
	return 0;
}

static int decode(struct an_fields *f, const char *text, json_t **data, struct vg_err *err)
{
	an_fields_clear(f);
	return an_json_decode(text, strlen(text), f, data, err);
}

static char *dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	assert_non_null(s);
	return s;
}

static void assert_field(const struct an_fields *f, const char *name, const char *want)
{
	const char *got = an_fields_get(f, name);

	if (got == NULL)
		fail_msg("field '%s' missing (want '%s')", name, want);
	assert_string_equal(got, want);
}

static void expect_error(struct an_fields *f, const char *text, size_t len, int code,
			 const char *msg_part)
{
	struct vg_err err = VG_ERR_INIT;
	json_t *data = (json_t *)1;

	an_fields_clear(f);
	assert_int_equal(an_json_decode(text, len, f, &data, &err), code);
	assert_null(data);
	assert_int_equal(err.code, code);
	vg_test_err_mentions(&err, msg_part);
}

/* ---- Flattening and string forms ----------------------------------------- */

static void test_decode_json__flattens_and_prints_like_wazuh(void **state)
{
	struct an_fields *f = *state;
	json_t *data = NULL;
	const char *n, *v;
	static const char *const want[][2] = {
	    {"s", "x"},    {"i", "42"},
	    {"neg", "-7"}, {"r", "3.140000"},
	    {"t", "true"}, {"f", "false"},
	    {"n", "null"}, {"o.a.b", "deep"},
	    {"o.c", "0"},  {"arr", "[\"a\",1,2.5,true,null,[1],{\"k\":\"v\"}]"},
	    {"ea", "[]"},
	};

	assert_int_equal(
	    decode(f,
		   "{\"s\":\"x\",\"i\":42,\"neg\":-7,\"r\":3.14,\"t\":true,\"f\":false,"
		   "\"n\":null,\"o\":{\"a\":{\"b\":\"deep\"},\"c\":0},"
		   "\"arr\":[\"a\",1,2.5,true,null,[1],{\"k\":\"v\"}],\"empty\":{},"
		   "\"ea\":[]}",
		   &data, NULL),
	    0);
	/* Document order, dotted names, no field for the empty object. */
	assert_int_equal(an_fields_count(f), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(an_fields_at(f, i, &n, &v), 0);
		assert_string_equal(n, want[i][0]);
		assert_string_equal(v, want[i][1]);
	}
	/* "data": scalars as strings, arrays kept, the empty object gone. */
	char *s = dump(data);
	assert_string_equal(s, "{\"s\":\"x\",\"i\":\"42\",\"neg\":\"-7\",\"r\":\"3.140000\","
			       "\"t\":\"true\",\"f\":\"false\",\"n\":\"null\","
			       "\"o\":{\"a\":{\"b\":\"deep\"},\"c\":\"0\"},"
			       "\"arr\":[\"a\",1,2.5,true,null,[1],{\"k\":\"v\"}],\"ea\":[]}");
	free(s);
	json_decref(data);
}

static void test_decode_json__numbers_follow_cjson_valueint(void **state)
{
	struct an_fields *f = *state;
	json_t *data = NULL;

	assert_int_equal(decode(f,
				"{\"max\":2147483647,\"over\":2147483648,\"min\":-2147483648,"
				"\"whole_real\":1000.0,\"exp\":1e3,\"negzero\":-0.0,\"small\":0.5,"
				"\"huge\":100000000000000000000,\"arr\":[0.1,1e3,2147483648]}",
				&data, NULL),
			 0);
	assert_field(f, "max", "2147483647");
	assert_field(f, "over", "2147483648.000000"); /* valueint saturates: %f */
	assert_field(f, "min", "-2147483648");
	assert_field(f, "whole_real", "1000");
	assert_field(f, "exp", "1000");
	assert_field(f, "negzero", "0");
	assert_field(f, "small", "0.500000");
	/* Over 64 bits: jansson refuses it as an integer, cJSON reads a double. */
	assert_field(f, "huge", "100000000000000000000.000000");
	/* Inside arrays cJSON_PrintUnformatted uses %1.15g. */
	assert_field(f, "arr", "[0.1,1000,2147483648]");
	json_decref(data);
}

static void test_decode_json__strings_keep_unicode_and_arrays_escape(void **state)
{
	struct an_fields *f = *state;
	json_t *data = NULL;

	assert_int_equal(decode(f,
				"{\"u\":\"caf\\u00e9 \xe6\x97\xa5\",\"q\":\"a\\\"b\\\\c\\nd\","
				"\"a\":[\"\\u0001/\\t\xc3\xa9\"]}",
				&data, NULL),
			 0);
	assert_field(f, "u", "caf\xc3\xa9 \xe6\x97\xa5");
	assert_field(f, "q", "a\"b\\c\nd");
	/* cJSON escapes control characters in lowercase \u, leaves / and UTF-8. */
	assert_field(f, "a", "[\"\\u0001/\\t\xc3\xa9\"]");
	json_decref(data);
}

static void test_decode_json__repeated_key_keeps_the_last_value(void **state)
{
	struct an_fields *f = *state;
	json_t *data = NULL;

	assert_int_equal(decode(f, "{\"a\":1,\"b\":2,\"a\":3}", &data, NULL), 0);
	assert_int_equal(an_fields_count(f), 2);
	assert_field(f, "a", "3");
	json_decref(data);
}

static void test_decode_json__ignores_text_after_the_object(void **state)
{
	struct an_fields *f = *state;
	json_t *data = NULL;

	assert_int_equal(
	    decode(f, "{\"command\":\"add\"} Successfully removed threat", &data, NULL), 0);
	assert_field(f, "command", "add");
	assert_int_equal(an_fields_count(f), 1);
	json_decref(data);
}

static void test_decode_json__no_fields_means_no_data(void **state)
{
	struct an_fields *f = *state;
	json_t *data = (json_t *)1;

	assert_int_equal(decode(f, "{\"a\":{},\"b\":{\"c\":{}}}", &data, NULL), 0);
	assert_null(data);
	assert_int_equal(an_fields_count(f), 0);
}

/* ---- The VirusTotal alert's data ----------------------------------------- */

static char *fixture_path(void)
{
	const char *src = getenv("VG_SOURCE_DIR");

	return src == NULL ? NULL
			   : vg_xasprintf("%s/tests/fixtures/seed-alerts/rule-87105.json", src);
}

static void test_decode_json__virustotal_data_matches_seed_alert_87105(void **state)
{
	struct an_fields *f = *state;
	/* virustotal.py's json.dumps of its answer for the seed's EICAR file. */
	static const char line[] =
	    "{\"virustotal\": {\"found\": 1, \"malicious\": 1, \"source\": {\"alert_id\": "
	    "\"1704891124.664495\", \"file\": \"/root/TestEICAR.txt\", \"md5\": "
	    "\"69630e4574ec6798239b091cda43dca0\", \"sha1\": "
	    "\"cf8bd9dfddff007f75adf4c2be48005cea317c62\"}, \"sha1\": "
	    "\"cf8bd9dfddff007f75adf4c2be48005cea317c62\", \"scan_date\": \"2024-01-10 "
	    "12:30:37\", \"positives\": 57, \"total\": 62, \"permalink\": "
	    "\"https://www.virustotal.com/gui/file/"
	    "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267/detection/"
	    "f-131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267-1704889837\"}, "
	    "\"integration\": \"virustotal\"}";
	json_t *data = NULL;
	char *path = fixture_path();

	if (path == NULL) {
		print_message("VG_SOURCE_DIR not set (run through ctest): seed alert check "
			      "skipped\n");
		skip();
	}
	json_error_t jerr;
	json_t *alert = json_load_file(path, 0, &jerr);
	if (alert == NULL)
		fail_msg("cannot load %s: %s", path, jerr.text);

	assert_int_equal(decode(f, line, &data, NULL), 0);
	/* Same keys, same order, same string values. */
	char *got = dump(data), *want = dump(json_object_get(alert, "data"));
	assert_string_equal(got, want);
	/* What rules 87100 and 87105 read. */
	assert_field(f, "integration", "virustotal");
	assert_field(f, "virustotal.malicious", "1");
	assert_field(f, "virustotal.source.file", "/root/TestEICAR.txt");
	assert_field(f, "virustotal.positives", "57");
	free(got);
	free(want);
	json_decref(data);
	json_decref(alert);
	vg_free(path);
}

/* ---- Caps and malformed input -------------------------------------------- */

/* n nested objects {"a":{"a":...{"a":1}}}. */
static char *nested_objects(size_t n)
{
	struct vg_buf b = VG_BUF_INIT(1u << 20);

	for (size_t i = 0; i < n; i++)
		assert_int_equal(vg_buf_puts(&b, "{\"a\":"), 0);
	assert_int_equal(vg_buf_putc(&b, '1'), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vg_buf_putc(&b, '}'), 0);
	return vg_buf_take(&b);
}

static void test_decode_json__caps_nesting_depth(void **state)
{
	struct an_fields *f = *state;
	json_t *data = NULL;
	char *ok = nested_objects(AN_JSON_MAX_DEPTH);
	char *deep = nested_objects(AN_JSON_MAX_DEPTH + 1);

	assert_int_equal(decode(f, ok, &data, NULL), 0);
	assert_int_equal(an_fields_count(f), 1);
	json_decref(data);
	expect_error(f, deep, strlen(deep), VG_ETOOBIG, "nested deeper than");

	/* Arrays count too, and jansson's own parser limit is a cap, not a parse error. */
	struct vg_buf b = VG_BUF_INIT(1u << 20);
	assert_int_equal(vg_buf_puts(&b, "{\"x\":"), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(vg_buf_putc(&b, '['), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(vg_buf_putc(&b, ']'), 0);
	assert_int_equal(vg_buf_putc(&b, '}'), 0);
	expect_error(f, b.data, b.len, VG_ETOOBIG, "'x'");
	vg_buf_reset(&b);
	assert_int_equal(vg_buf_puts(&b, "{\"x\":"), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(vg_buf_putc(&b, '['), 0);
	expect_error(f, b.data, b.len, VG_ETOOBIG, "depth");
	vg_buf_free(&b);
	vg_free(ok);
	vg_free(deep);
}

static void test_decode_json__caps_value_input_and_field_count(void **state)
{
	struct an_fields *f = *state;
	struct vg_buf b = VG_BUF_INIT(AN_JSON_MAX_INPUT + 16);

	/* A string one byte over the field value cap. */
	assert_int_equal(vg_buf_puts(&b, "{\"big\":\""), 0);
	for (size_t i = 0; i < AN_FIELDS_VALUE_MAX + 1; i++)
		assert_int_equal(vg_buf_putc(&b, 'x'), 0);
	assert_int_equal(vg_buf_puts(&b, "\"}"), 0);
	expect_error(f, b.data, b.len, VG_ETOOBIG, "big");

	/* Input over the cap is refused before parsing. */
	expect_error(f, b.data, AN_JSON_MAX_INPUT + 1, VG_ETOOBIG, "bytes (max");

	/* One field too many. */
	vg_buf_reset(&b);
	assert_int_equal(vg_buf_putc(&b, '{'), 0);
	for (int i = 0; i <= AN_FIELDS_MAX; i++)
		assert_int_equal(vg_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i), 0);
	assert_int_equal(vg_buf_putc(&b, '}'), 0);
	expect_error(f, b.data, b.len, VG_ETOOBIG, "k256");

	/* A flattened name over AN_FIELDS_NAME_MAX. */
	vg_buf_reset(&b);
	assert_int_equal(vg_buf_puts(&b, "{\"outer\":{\""), 0);
	for (int i = 0; i < AN_FIELDS_NAME_MAX; i++)
		assert_int_equal(vg_buf_putc(&b, 'n'), 0);
	assert_int_equal(vg_buf_puts(&b, "\":1}}"), 0);
	expect_error(f, b.data, b.len, VG_ETOOBIG, "field name 'outer");
	vg_buf_free(&b);
}

static void test_decode_json__rejects_malformed_input(void **state)
{
	struct an_fields *f = *state;
	static const char *const bad[] = {
	    "",
	    "{\"a\":",
	    "{\"a\":1",
	    "{\"a\" 1}",
	    "not json",
	    "{\"a\":\"\\u0000\"}",  /* a NUL cannot be a C string */
	    "{\"a\":\"\xff\xfe\"}", /* invalid UTF-8 */
	    "{\"a\":tru}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(f, bad[i], strlen(bad[i]), VG_EPARSE, "json: ");
	expect_error(f, "[1,2]", 5, VG_EPARSE, "not an object");
	expect_error(f, "\"s\"", 3, VG_EPARSE, "expected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_decode_json__flattens_and_prints_like_wazuh, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__numbers_follow_cjson_valueint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_decode_json__strings_keep_unicode_and_arrays_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__repeated_key_keeps_the_last_value,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__ignores_text_after_the_object, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__no_fields_means_no_data, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_decode_json__virustotal_data_matches_seed_alert_87105, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__caps_nesting_depth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__caps_value_input_and_field_count,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_json__rejects_malformed_input, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
