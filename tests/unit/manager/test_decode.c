/*
 * Unit tests for src/manager/decode.c: which decoder a received record gets
 * and the struct an_event the rule engine then reads. The syscheck lines are
 * the agent's own format (docs/events.md); the VirusTotal and active
 * response lines are what Wazuh's virustotal.py and remove-threat.sh send.
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
#include "lib/str.h"
#include "manager/decode.h"

#define MD5_A "69630e4574ec6798239b091cda43dca0"
#define SHA1_A "cf8bd9dfddff007f75adf4c2be48005cea317c62"
#define SHA256_A "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"

/* An agent's "file added" line for the seed's EICAR file. */
static const char added_line[] =
    "{\"type\":\"event\",\"data\":{\"path\":\"/root/TestEICAR.txt\",\"version\":2,"
    "\"mode\":\"realtime\",\"type\":\"added\",\"timestamp\":1704891124,\"attributes\":{"
    "\"type\":\"file\",\"size\":69,\"perm\":\"rw-r--r--\",\"uid\":\"0\",\"gid\":\"0\","
    "\"user_name\":\"root\",\"group_name\":\"root\",\"inode\":\"21388\",\"mtime\":1704891124,"
    "\"hash_md5\":\"" MD5_A "\",\"hash_sha1\":\"" SHA1_A "\",\"hash_sha256\":\"" SHA256_A "\","
    "\"checksum\":\"0000000000000000000000000000000000000000\"}}}\n";

static const char vt_line[] =
    "{\"virustotal\": {\"found\": 1, \"malicious\": 1, \"source\": {\"alert_id\": "
    "\"1704891124.664495\", \"file\": \"/root/TestEICAR.txt\", \"md5\": \"" MD5_A "\", "
    "\"sha1\": \"" SHA1_A "\"}, \"sha1\": \"" SHA1_A "\", \"scan_date\": \"2024-01-10 "
    "12:30:37\", \"positives\": 57, \"total\": 62, \"permalink\": \"https://x\"}, "
    "\"integration\": \"virustotal\"}";

static const char ar_line[] =
    "2024/01/10 12:52:08 active-response/bin/remove-threat.sh: {\"version\":1,\"origin\":{"
    "\"name\":\"node01\",\"module\":\"wazuh-execd\"},\"command\":\"add\",\"parameters\":{"
    "\"extra_args\":[],\"alert\":{\"rule\":{\"id\":\"87105\"},\"data\":{\"virustotal\":{"
    "\"source\":{\"file\":\"/root/TestEICAR.txt\"}}}},\"program\":"
    "\"active-response/bin/remove-threat.sh\"}} Successfully removed threat";

static const struct an_source agent1 = {"001", "ubuntu-jammy", "192.168.56.30", "syscheck"};

static struct an_decoded *decode_ok(const char *location, const char *line)
{
	struct an_source src = agent1;
	struct an_decoded *d = NULL;
	struct vg_err err = VG_ERR_INIT;

	src.location = location;
	if (an_decode(&src, line, strlen(line), 1704891127966, &d, &err) != 0)
		fail_msg("decode failed: %s", err.msg);
	assert_non_null(d);
	return d;
}

static void expect_error(const char *location, const char *line, size_t len, int code,
			 const char *msg_part)
{
	struct an_source src = agent1;
	struct an_decoded *d = (struct an_decoded *)1;
	struct vg_err err = VG_ERR_INIT;

	src.location = location;
	assert_int_equal(an_decode(&src, line, len, 0, &d, &err), code);
	assert_null(d);
	vg_test_err_mentions(&err, msg_part);
}

/* ---- One test per kind of record ------------------------------------------ */

static void test_decode__syscheck_event_gets_the_fim_decoder(void **state)
{
	(void)state;
	struct an_decoded *d = decode_ok("syscheck", added_line);
	const struct an_event *ev = an_decoded_event(d);

	assert_int_equal(an_decoded_kind(d), AN_DECODED_EVENT);
	assert_non_null(an_decoded_syscheck(d));
	assert_string_equal(ev->decoder, "syscheck_new_entry");
	assert_string_equal(ev->full_log, "File '/root/TestEICAR.txt' added\nMode: realtime\n");
	assert_ptr_equal(ev->log, ev->full_log);
	assert_non_null(ev->syscheck);
	json_t *sc = json_loadb(ev->syscheck, ev->syscheck_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(sc, "md5_after")), MD5_A);
	assert_string_equal(ev->fim.md5, MD5_A);
	json_decref(sc);
	assert_null(ev->data);
	assert_string_equal(an_fields_get(ev->fields, "file"), "/root/TestEICAR.txt");
	assert_string_equal(an_fields_get(ev->fields, "sha256"), SHA256_A);
	assert_string_equal(ev->agent_id, "001");
	assert_string_equal(ev->agent_name, "ubuntu-jammy");
	assert_string_equal(ev->agent_ip, "192.168.56.30");
	assert_string_equal(ev->location, "syscheck");
	assert_true(ev->time_ms == 1704891127966);
	an_decoded_free(d);
}

static void test_decode__scan_markers_are_flagged_without_decoder(void **state)
{
	(void)state;
	struct an_decoded *d = decode_ok("syscheck", "{\"type\":\"scan_start\",\"data\":{"
						     "\"timestamp\":1700000000}}");

	assert_int_equal(an_decoded_kind(d), AN_DECODED_SCAN_START);
	assert_null(an_decoded_event(d)->decoder);
	assert_int_equal(an_syscheck_timestamp(an_decoded_syscheck(d)), 1700000000);
	an_decoded_free(d);

	d = decode_ok("syscheck", "{\"type\":\"scan_end\",\"data\":{\"timestamp\":1700000060}}");
	assert_int_equal(an_decoded_kind(d), AN_DECODED_SCAN_END);
	assert_null(an_decoded_event(d)->decoder);
	an_decoded_free(d);
}

static void test_decode__overflow_notices_get_the_ossec_decoder(void **state)
{
	(void)state;
	/* Vigie's overflow document, then the plain line a Wazuh agent sends. */
	struct an_decoded *d =
	    decode_ok("syscheck",
		      "{\"type\":\"overflow\",\"data\":{\"timestamp\":1700000001,\"message\":"
		      "\"ossec: Real-time inotify kernel queue is full. Some events may be "
		      "lost. Vigie is rescanning the affected directories now.\",\"rescan\":[]}}");
	const struct an_event *ev = an_decoded_event(d);

	assert_int_equal(an_decoded_kind(d), AN_DECODED_EVENT);
	assert_string_equal(ev->decoder, "ossec");
	assert_memory_equal(ev->log, "ossec: Real-time inotify kernel queue is full.", 46);
	assert_ptr_equal(ev->log, ev->full_log);
	assert_null(ev->syscheck);
	an_decoded_free(d);

	static const char wazuh[] = "ossec: Real-time inotify kernel queue is full. Some events "
				    "may be lost. Next scheduled scan will recover lost data.";
	d = decode_ok("syscheck", wazuh);
	ev = an_decoded_event(d);
	assert_int_equal(an_decoded_kind(d), AN_DECODED_EVENT);
	assert_null(an_decoded_syscheck(d));
	assert_string_equal(ev->decoder, "ossec");
	assert_string_equal(ev->log, wazuh);
	assert_string_equal(ev->full_log, wazuh);
	assert_int_equal(an_fields_count(ev->fields), 0);
	an_decoded_free(d);
}

static void test_decode__virustotal_json_gets_the_json_decoder(void **state)
{
	(void)state;
	struct an_decoded *d = decode_ok("virustotal", vt_line);
	const struct an_event *ev = an_decoded_event(d);

	assert_string_equal(ev->decoder, "json");
	assert_string_equal(ev->location, "virustotal");
	assert_string_equal(ev->log, vt_line);
	assert_string_equal(ev->full_log, vt_line);
	assert_null(ev->syscheck);
	assert_string_equal(an_fields_get(ev->fields, "integration"), "virustotal");
	assert_string_equal(an_fields_get(ev->fields, "virustotal.positives"), "57");
	assert_non_null(ev->data);
	json_t *vt = json_object_get(ev->data, "virustotal");
	assert_string_equal(json_string_value(json_object_get(vt, "found")), "1");
	an_decoded_free(d);
}

static void test_decode__active_response_log_gets_ar_log_json(void **state)
{
	(void)state;
	struct an_decoded *d = decode_ok("/var/ossec/logs/active-responses.log", ar_line);
	const struct an_event *ev = an_decoded_event(d);

	assert_string_equal(ev->decoder, "ar_log_json");
	/* Rule 100092 matches "Successfully removed threat" in the whole line. */
	assert_string_equal(ev->log, ar_line);
	assert_string_equal(ev->full_log, ar_line);
	/* Rule 657: <field name="command">add|delete</field>, $(parameters.program). */
	assert_string_equal(an_fields_get(ev->fields, "command"), "add");
	assert_string_equal(an_fields_get(ev->fields, "parameters.program"),
			    "active-response/bin/remove-threat.sh");
	assert_string_equal(
	    an_fields_get(ev->fields, "parameters.alert.data.virustotal.source.file"),
	    "/root/TestEICAR.txt");
	assert_string_equal(an_fields_get(ev->fields, "version"), "1");
	assert_string_equal(an_fields_get(ev->fields, "parameters.extra_args"), "[]");
	assert_non_null(ev->data);
	an_decoded_free(d);
}

static void test_decode__other_lines_get_no_decoder(void **state)
{
	(void)state;
	static const char *const lines[] = {
	    "Jan 10 12:52:04 host sshd[1]: Accepted publickey for root",
	    "{}",     /* not the json prematch ^{\s*" */
	    "[1, 2]", /* idem */
	    "2024/01/10 12:52:08 active-response/bin/: {\"a\":1}", /* \S+ is empty */
	    "2024/01/10 12:52:08 wazuh-syscheckd: INFO: x",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct an_decoded *d = decode_ok("/var/log/syslog", lines[i]);
		const struct an_event *ev = an_decoded_event(d);

		assert_null(ev->decoder);
		assert_string_equal(ev->log, lines[i]);
		assert_string_equal(ev->full_log, lines[i]);
		assert_int_equal(an_fields_count(ev->fields), 0);
		assert_null(ev->data);
		assert_null(ev->syscheck);
		an_decoded_free(d);
	}
}

static void test_decode__json_prematch_allows_space_and_trims_crlf(void **state)
{
	(void)state;
	struct an_decoded *d = decode_ok("app", "{ \t\"a\": 1}\r\n");
	const struct an_event *ev = an_decoded_event(d);

	assert_string_equal(ev->decoder, "json");
	assert_string_equal(ev->full_log, "{ \t\"a\": 1}");
	assert_string_equal(an_fields_get(ev->fields, "a"), "1");
	an_decoded_free(d);
}

static void test_decode__invalid_utf8_gives_a_valid_full_log(void **state)
{
	(void)state;
	struct an_decoded *d = decode_ok("app", "bad \xff byte \xc3");
	const struct an_event *ev = an_decoded_event(d);

	assert_true(vg_utf8_valid(ev->full_log, strlen(ev->full_log)));
	assert_string_equal(ev->full_log, "bad \xef\xbf\xbd byte \xef\xbf\xbd");
	an_decoded_free(d);

	/* A JSON line with a bad byte in a string still decodes, made valid first. */
	d = decode_ok("app", "{\"p\":\"/tmp/\xfe\"}");
	ev = an_decoded_event(d);
	assert_string_equal(ev->decoder, "json");
	assert_string_equal(an_fields_get(ev->fields, "p"), "/tmp/\xef\xbf\xbd");
	an_decoded_free(d);
}

static void test_decode__missing_source_fields_have_defaults(void **state)
{
	(void)state;
	struct an_decoded *d = NULL;

	assert_int_equal(an_decode(NULL, "hello", 5, 0, &d, NULL), 0);
	const struct an_event *ev = an_decoded_event(d);
	assert_string_equal(ev->agent_id, "000");
	assert_string_equal(ev->agent_name, "");
	assert_null(ev->agent_ip);
	assert_string_equal(ev->location, "");
	an_decoded_free(d);
}

/* ---- Reuse and ownership -------------------------------------------------- */

static void test_decode__result_is_reusable_and_owns_its_strings(void **state)
{
	(void)state;
	struct an_decoded *d = an_decoded_new();
	char *id = vg_xstrdup("002"), *name = vg_xstrdup("web"), *loc = vg_xstrdup("virustotal");
	struct an_source src = {id, name, NULL, loc};
	char *line = vg_xstrdup(vt_line);

	assert_int_equal(an_decode_into(d, &src, line, strlen(line), 5, NULL), 0);
	/* The caller's copies die; the event must not care. */
	memset(line, 'x', strlen(line));
	vg_free(line);
	vg_free(id);
	vg_free(name);
	vg_free(loc);
	const struct an_event *ev = an_decoded_event(d);
	assert_string_equal(ev->agent_id, "002");
	assert_string_equal(ev->location, "virustotal");
	assert_string_equal(ev->full_log, vt_line);

	/* Reused for a syscheck record, then a plain one: nothing leaks over. */
	assert_int_equal(an_decode_into(d, &agent1, added_line, strlen(added_line), 6, NULL), 0);
	ev = an_decoded_event(d);
	assert_string_equal(ev->decoder, "syscheck_new_entry");
	assert_null(ev->data);
	assert_null(an_fields_get(ev->fields, "integration"));
	assert_int_equal(an_decode_into(d, &agent1, "plain", 5, 7, NULL), 0);
	ev = an_decoded_event(d);
	assert_null(ev->decoder);
	assert_null(ev->syscheck);
	assert_null(an_decoded_syscheck(d));
	assert_int_equal(an_fields_count(ev->fields), 0);

	/* A failure leaves an empty event behind. */
	assert_int_equal(an_decode_into(d, &agent1, "{\"a\":", 5, 8, NULL), VG_EPARSE);
	ev = an_decoded_event(d);
	assert_null(ev->decoder);
	assert_null(ev->full_log);
	assert_int_equal(an_fields_count(ev->fields), 0);
	an_decoded_free(d);
}

/* ---- Bad input ----------------------------------------------------------- */

static void test_decode__rejects_bad_records(void **state)
{
	(void)state;
	expect_error("app", "a\0b", 3, VG_EPARSE, "NUL byte");
	expect_error("app", "{\"a\":", 5, VG_EPARSE, "json: ");
	expect_error("virustotal", "{\"virustotal\": {\"found\": 1,", 27, VG_EPARSE, "json: ");
	expect_error("syscheck", "{\"type\":\"event\"", 15, VG_EPARSE, "syscheck event");
	expect_error("app", "2024/01/10 12:52:08 active-response/bin/x.sh: {\"a\":", 51, VG_EPARSE,
		     "json: ");
	expect_error("app", "2024/01/10 12:52:08 active-response/bin/x.sh: not json", 54, VG_EPARSE,
		     "json: ");

	struct vg_buf b = VG_BUF_INIT(AN_DECODE_MAX_LINE + 2);
	for (size_t i = 0; i <= AN_DECODE_MAX_LINE; i++)
		assert_int_equal(vg_buf_putc(&b, 'x'), 0);
	expect_error("app", b.data, b.len, VG_ETOOBIG, "max");
	vg_buf_free(&b);

	char host[AN_DECODE_MAX_SOURCE + 2];
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	struct an_source src = {"001", host, NULL, "app"};
	struct an_decoded *d = NULL;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(an_decode(&src, "x", 1, 0, &d, &err), VG_ETOOBIG);
	assert_null(d);
	assert_non_null(strstr(err.msg, "agent name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode__syscheck_event_gets_the_fim_decoder),
	    cmocka_unit_test(test_decode__scan_markers_are_flagged_without_decoder),
	    cmocka_unit_test(test_decode__overflow_notices_get_the_ossec_decoder),
	    cmocka_unit_test(test_decode__virustotal_json_gets_the_json_decoder),
	    cmocka_unit_test(test_decode__active_response_log_gets_ar_log_json),
	    cmocka_unit_test(test_decode__other_lines_get_no_decoder),
	    cmocka_unit_test(test_decode__json_prematch_allows_space_and_trims_crlf),
	    cmocka_unit_test(test_decode__invalid_utf8_gives_a_valid_full_log),
	    cmocka_unit_test(test_decode__missing_source_fields_have_defaults),
	    cmocka_unit_test(test_decode__result_is_reusable_and_owns_its_strings),
	    cmocka_unit_test(test_decode__rejects_bad_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
