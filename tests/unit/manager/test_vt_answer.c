/*
 * Unit tests for src/manager/vt_answer.c: real VirusTotal v3 bodies
 * (tests/fixtures/virustotal/) classified, hostile bodies never turned into
 * a verdict, the injected JSON compared byte for byte with Wazuh's shape,
 * and that JSON run through the real decoder and the shipped ruleset so
 * rules 87101-87106 fire as in Wazuh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/decode.h"
#include "manager/ruleset_load.h"
#include "manager/vt_answer.h"
#include "support/support.h"

#define EICAR_SHA256 "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
#define EICAR_SHA1 "3395856ce81f2b7382dee72602f798b642f14140"
#define EICAR_MD5 "44d88612fea8a8f36de82e1278abb02f"
#define OTHER_SHA256 "0821a97827a25e3694134ac261189f61f06b010b741d66c933833a7ea53bad3c"
#define EICAR_FILE "tests/fixtures/virustotal/v3_file_eicar_275a021b_2024-07-17.json"


static char *dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	char *copy;

	assert_non_null(s);
	copy = vg_xstrdup(s);
	free(s); /* jansson's allocation */
	return copy;
}

/* Parse body as the answer to want, asserting the call itself succeeds. */
static void parse(long status, const char *body, const char *want, struct vt_answer *a)
{
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vt_answer_parse(status, body, strlen(body), want, a, &err), 0);
}

/* The EICAR object with attributes[key] (or data[key] when in_data) set
 * to v (NULL: removed), parsed as the answer to EICAR's hash. */
static enum vt_outcome eicar_with(const char *key, json_t *v, int in_data, struct vt_answer *a)
{
	json_t *root = vg_test_load_src_json(EICAR_FILE);
	json_t *data = json_object_get(root, "data");
	json_t *obj = in_data ? data : json_object_get(data, "attributes");
	char *body;

	if (v == NULL)
		json_object_del(obj, key);
	else
		json_object_set_new(obj, key, v);
	body = dump(root);
	parse(200, body, EICAR_SHA256, a);
	vg_free(body);
	json_decref(root);
	return a->outcome;
}

/* The EICAR object with last_analysis_stats[key] = v. */
static enum vt_outcome eicar_stat(const char *key, json_t *v, struct vt_answer *a)
{
	json_t *root = vg_test_load_src_json(EICAR_FILE);
	json_t *st = json_object_get(json_object_get(json_object_get(root, "data"), "attributes"),
				     "last_analysis_stats");
	char *body;

	json_object_set_new(st, key, v);
	body = dump(root);
	parse(200, body, EICAR_SHA256, a);
	vg_free(body);
	json_decref(root);
	return a->outcome;
}

static struct vt_answer eicar(void)
{
	char *body = vg_test_read_src(EICAR_FILE);
	struct vt_answer a;

	parse(200, body, EICAR_SHA256, &a);
	vg_free(body);
	assert_int_equal(a.outcome, VT_FOUND);
	return a;
}

/* ------------------------------------------------------------- parsing */

static void test_vt_answer__eicar_v3_object_is_found_with_counts_and_dates(void **state)
{
	struct vt_answer a = eicar();

	(void)state;
	assert_string_equal(a.sha256, EICAR_SHA256);
	assert_string_equal(a.sha1, EICAR_SHA1);
	assert_string_equal(a.md5, EICAR_MD5);
	assert_int_equal(a.http_status, 200);
	assert_int_equal(a.malicious, 66);
	assert_int_equal(a.suspicious, 0);
	assert_int_equal(a.undetected, 5);
	assert_int_equal(a.harmless, 0);
	/* type-unsupported (7) gave no verdict: not counted. */
	assert_int_equal(a.total, 71);
	assert_int_equal(a.last_analysis_date, 1721250760);
	assert_int_equal(a.first_submission_date, 1148301722);
	assert_string_equal(a.threat_label, "virus.eicar/test");
	assert_string_equal(a.meaningful_name, "eicar.com-32189");
	assert_string_equal(a.detail, "");
}

static void test_vt_answer__hash_asked_in_upper_case_matches(void **state)
{
	char *body = vg_test_read_src(EICAR_FILE);
	char up[65];
	struct vt_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < 64; i++)
		up[i] = (EICAR_SHA256[i] >= 'a') ? (char)(EICAR_SHA256[i] - 32) : EICAR_SHA256[i];
	up[64] = '\0';
	parse(200, body, up, &a);
	vg_free(body);
	assert_int_equal(a.outcome, VT_FOUND);
	assert_string_equal(a.sha256, EICAR_SHA256);
}

static void test_vt_answer__object_without_threat_classification_is_found(void **state)
{
	char *body = vg_test_read_src("tests/fixtures/virustotal/v3_file_0821a978_2020_sorted_keys.json");
	struct vt_answer a;

	(void)state;
	parse(200, body, OTHER_SHA256, &a);
	vg_free(body);
	assert_int_equal(a.outcome, VT_FOUND);
	assert_int_equal(a.malicious, 68);
	assert_int_equal(a.total, 72);
	assert_string_equal(a.threat_label, "");
}

static void test_vt_answer__object_of_another_hash_is_a_bad_answer(void **state)
{
	char *body = vg_test_read_src("tests/fixtures/virustotal/v3_file_0821a978_2020_sorted_keys.json");
	struct vt_answer a;

	(void)state;
	parse(200, body, EICAR_SHA256, &a);
	vg_free(body);
	assert_int_equal(a.outcome, VT_BAD_ANSWER);
	assert_int_equal(a.malicious, 0);
	assert_string_equal(a.sha256, "");
	assert_non_null(strstr(a.detail, "another file"));
	/* data.id right but attributes.sha256 of another file: still bad. */
	assert_int_equal(eicar_with("sha256", json_string(OTHER_SHA256), 0, &a), VT_BAD_ANSWER);
}

static void test_vt_answer__not_found_error_is_not_found(void **state)
{
	char *body = vg_test_read_src("tests/fixtures/virustotal/v3_error_NotFoundError_file.json");
	struct vt_answer a;

	(void)state;
	parse(404, body, EICAR_SHA256, &a);
	vg_free(body);
	assert_int_equal(a.outcome, VT_NOT_FOUND);
	assert_int_equal(a.http_status, 404);
	assert_string_equal(a.vt_code, "NotFoundError");
	assert_string_equal(a.sha256, "");
	/* A 404 that is not VirusTotal's (a proxy, a wrong base URL) is no verdict. */
	parse(404, "<html>Not Found</html>", EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_BAD_ANSWER);
	parse(404, "{\"error\":{\"code\":\"BadRequestError\",\"message\":\"x\"}}", EICAR_SHA256,
	      &a);
	assert_int_equal(a.outcome, VT_BAD_ANSWER);
}

static void test_vt_answer__401_and_403_are_auth_and_keep_the_status(void **state)
{
	struct vt_answer a;

	(void)state;
	parse(401, "{\"error\":{\"code\":\"WrongCredentialsError\",\"message\":\"Wrong API key\"}}",
	      EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_AUTH);
	assert_int_equal(a.http_status, 401);
	assert_string_equal(a.vt_code, "WrongCredentialsError");
	assert_string_equal(a.detail, "HTTP 401 WrongCredentialsError: Wrong API key");
	parse(403, "{\"error\":{\"code\":\"ForbiddenError\",\"message\":\"no\"}}", EICAR_SHA256,
	      &a);
	assert_int_equal(a.outcome, VT_AUTH);
	assert_int_equal(a.http_status, 403);
	parse(403, "", EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_AUTH);
	assert_string_equal(a.vt_code, "");
}

static void test_vt_answer__429_is_quota(void **state)
{
	struct vt_answer a;

	(void)state;
	parse(429, "{\"error\":{\"code\":\"QuotaExceededError\",\"message\":\"Quota exceeded\"}}",
	      EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_QUOTA);
	assert_string_equal(a.vt_code, "QuotaExceededError");
	parse(429, "{\"error\":{\"code\":\"TooManyRequestsError\",\"message\":\"slow\"}}",
	      EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_QUOTA);
	assert_string_equal(a.vt_code, "TooManyRequestsError");
}

static void test_vt_answer__5xx_is_server(void **state)
{
	struct vt_answer a;

	(void)state;
	parse(503, "{\"error\":{\"code\":\"TransientError\",\"message\":\"retry\"}}", EICAR_SHA256,
	      &a);
	assert_int_equal(a.outcome, VT_SERVER);
	assert_int_equal(a.http_status, 503);
	parse(500, "<html>oops</html>", EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_SERVER);
	assert_string_equal(a.detail, "HTTP 500");
}

static void test_vt_answer__unexpected_statuses_are_bad_answers(void **state)
{
	static const long statuses[] = {0, 100, 201, 302, 400, 409, 418, 600};
	struct vt_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		parse(statuses[i], "{}", EICAR_SHA256, &a);
		assert_int_equal(a.outcome, VT_BAD_ANSWER);
		assert_int_equal(a.http_status, statuses[i]);
	}
}

static void test_vt_answer__broken_bodies_are_bad_answers(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "not json",
	    "{\"data\":",
	    "[]",
	    "{\"data\":null}",
	    "{\"data\":{\"id\":\"" EICAR_SHA256 "\",\"type\":\"file\"}}",
	    "{\"data\":{\"id\":\"" EICAR_SHA256 "\",\"type\":\"file\",\"attributes\":[]}}",
	    "{\"data\":{\"id\":\"" EICAR_SHA256 "\",\"type\":\"url\",\"attributes\":{}}}",
	    "{\"data\":{\"id\":12,\"type\":\"file\",\"attributes\":{}}}",
	    "{\"data\":{\"id\":\"" EICAR_SHA256 "\",\"type\":\"file\",\"attributes\":{}}}",
	    "{\"error\":{\"code\":\"NotFoundError\",\"message\":\"x\"}}",
	};
	struct vt_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		parse(200, bodies[i], EICAR_SHA256, &a);
		if (a.outcome != VT_BAD_ANSWER)
			fail_msg("body %zu gave %s", i, vt_outcome_name(a.outcome));
		assert_true(a.detail[0] != '\0');
	}
}

static void test_vt_answer__missing_or_mistyped_fields_are_bad_answers(void **state)
{
	struct vt_answer a;

	(void)state;
	assert_int_equal(eicar_with("last_analysis_stats", NULL, 0, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("last_analysis_stats", json_string("66"), 0, &a),
			 VT_BAD_ANSWER);
	assert_int_equal(eicar_with("last_analysis_date", NULL, 0, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("last_analysis_date", json_string("1721250760"), 0, &a),
			 VT_BAD_ANSWER);
	assert_int_equal(eicar_with("last_analysis_date", json_real(1721250760.0), 0, &a),
			 VT_BAD_ANSWER);
	assert_int_equal(eicar_with("first_submission_date", json_integer(-5), 0, &a),
			 VT_BAD_ANSWER);
	assert_int_equal(eicar_with("sha1", NULL, 0, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("md5", json_string("44d88612"), 0, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("md5", json_integer(7), 0, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("meaningful_name", json_integer(7), 0, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("popular_threat_classification", json_string("x"), 0, &a),
			 VT_BAD_ANSWER);
	assert_int_equal(eicar_with("attributes", NULL, 1, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_with("id", json_string(OTHER_SHA256), 1, &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_stat("malicious", json_string("66"), &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_stat("malicious", json_integer(-1), &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_stat("undetected", json_real(5.0), &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_stat("harmless", json_integer(1000000000000LL), &a), VT_BAD_ANSWER);
	assert_int_equal(eicar_stat("suspicious", json_null(), &a), VT_BAD_ANSWER);
	/* A bad answer carries no half-filled verdict. */
	assert_int_equal(a.malicious, 0);
	assert_string_equal(a.sha1, "");
	/* Optional fields may be absent; missing counts are 0. */
	assert_int_equal(eicar_with("first_submission_date", NULL, 0, &a), VT_FOUND);
	assert_int_equal(a.first_submission_date, 0);
	assert_int_equal(eicar_with("meaningful_name", NULL, 0, &a), VT_FOUND);
	assert_int_equal(eicar_with("sha256", NULL, 0, &a), VT_FOUND);
	assert_int_equal(eicar_stat("timeout", json_integer(3), &a), VT_FOUND);
	assert_int_equal(a.total, 71);
}

static void test_vt_answer__duplicate_keys_are_a_bad_answer(void **state)
{
	struct vt_answer a;

	(void)state;
	/* Which of two "malicious" counts is true? Neither is taken. */
	parse(200,
	      "{\"data\":{\"id\":\"" EICAR_SHA256 "\",\"type\":\"file\",\"attributes\":{"
	      "\"md5\":\"" EICAR_MD5 "\",\"sha1\":\"" EICAR_SHA1 "\",\"last_analysis_date\":1,"
	      "\"last_analysis_stats\":{\"malicious\":0,\"malicious\":60}}}}",
	      EICAR_SHA256, &a);
	assert_int_equal(a.outcome, VT_BAD_ANSWER);
}

static void test_vt_answer__body_over_the_cap_is_a_bad_answer(void **state)
{
	size_t n = VT_ANSWER_MAX + 1;
	char *body = vg_xmalloc(n);
	struct vt_answer a;
	struct vg_err err = VG_ERR_INIT;

	(void)state;
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	assert_int_equal(vt_answer_parse(200, body, n, EICAR_SHA256, &a, &err), 0);
	assert_int_equal(a.outcome, VT_BAD_ANSWER);
	assert_non_null(strstr(a.detail, "over"));
	vg_free(body);
}

static void test_vt_answer__long_strings_are_capped_on_a_character(void **state)
{
	char label[600];
	struct vt_answer a;
	json_t *ptc = json_object();

	(void)state;
	/* "é" (2 bytes) repeated: the cut must not split one. */
	for (size_t i = 0; i + 2 < sizeof(label); i += 2)
		memcpy(label + i, "\xc3\xa9", 2);
	label[sizeof(label) - 2] = '\0';
	json_object_set_new(ptc, "suggested_threat_label", json_string(label));
	assert_int_equal(eicar_with("popular_threat_classification", ptc, 0, &a), VT_FOUND);
	assert_true(strlen(a.threat_label) <= VT_ANSWER_TEXT_MAX - 1);
	assert_true(strlen(a.threat_label) >= VT_ANSWER_TEXT_MAX - 3);
	assert_true(vg_utf8_valid(a.threat_label, strlen(a.threat_label)));
}

static void test_vt_answer__hash_asked_must_be_a_sha256(void **state)
{
	struct vt_answer a;
	struct vg_err err = VG_ERR_INIT;

	(void)state;
	assert_int_equal(vt_answer_parse(200, "{}", 2, EICAR_MD5, &a, &err), VG_EPARSE);
	assert_int_equal(a.outcome, VT_BAD_ANSWER);
	vg_test_err_mentions(&err, "64 hex");
	assert_int_equal(vt_answer_parse(200, "{}", 2, NULL, &a, NULL), VG_EPARSE);
}

/* --------------------------------------------------------------- events */

static const struct vt_source eicar_src = {
    .alert_id = "1721250800.1234",
    .file = "/root/eicar.com",
    .md5 = EICAR_MD5,
    .sha1 = EICAR_SHA1,
    .sha256 = EICAR_SHA256,
    .agent_id = "001",
    .agent_name = "web1",
};

#define SOURCE_JSON                                                                                \
	"\"source\":{\"alert_id\":\"1721250800.1234\",\"file\":\"/root/"                           \
	"eicar.com\",\"md5\":\"" EICAR_MD5 "\",\"sha1\":\"" EICAR_SHA1 "\"}"

/* The event of a as a new string (vg_free). */
static char *event(const struct vt_answer *a, const struct vt_source *src, enum vt_cache_state cs,
		   long latency)
{
	struct vg_buf out = VG_BUF_INIT(1u << 20);
	struct vt_extra x = {cs, latency};
	struct vg_err err = VG_ERR_INIT;

	if (vt_answer_event(a, src, &x, &out, &err) != 0)
		fail_msg("vt_answer_event: %s", err.msg);
	return vg_buf_take(&out);
}

static void assert_event(const struct vt_answer *a, const char *want)
{
	char *got = event(a, &eicar_src, VT_CACHE_MISS, 42);

	assert_string_equal(got, want);
	vg_free(got);
}

static void test_vt_answer__event_found_malicious_is_wazuh_shape(void **state)
{
	struct vt_answer a = eicar();

	(void)state;
	assert_event(&a, "{\"virustotal\":{\"found\":1,\"malicious\":1," SOURCE_JSON
			 ",\"sha1\":\"" EICAR_SHA1 "\",\"scan_date\":\"2024-07-17 21:12:40\","
			 "\"positives\":66,\"total\":71,\"permalink\":"
			 "\"https://www.virustotal.com/gui/file/" EICAR_SHA256 "/detection\","
			 "\"sha256\":\"" EICAR_SHA256 "\",\"suspicious\":0,\"undetected\":5,"
			 "\"harmless\":0,\"threat_label\":\"virus.eicar/test\","
			 "\"meaningful_name\":\"eicar.com-32189\","
			 "\"first_submission\":\"2006-05-22 12:42:02\",\"cache\":\"miss\","
			 "\"latency_ms\":42},\"integration\":\"virustotal\"}");
}

static void test_vt_answer__event_found_clean_has_malicious_0(void **state)
{
	struct vt_answer a = eicar();
	char *got;

	(void)state;
	a.malicious = 0;
	a.undetected = 70;
	a.harmless = 1;
	a.total = 71;
	a.threat_label[0] = '\0';
	a.meaningful_name[0] = '\0';
	a.first_submission_date = 0;
	got = event(&a, &eicar_src, VT_CACHE_HIT, -1);
	assert_string_equal(got,
			    "{\"virustotal\":{\"found\":1,\"malicious\":0," SOURCE_JSON
			    ",\"sha1\":\"" EICAR_SHA1 "\",\"scan_date\":\"2024-07-17 21:12:40\","
			    "\"positives\":0,\"total\":71,\"permalink\":"
			    "\"https://www.virustotal.com/gui/file/" EICAR_SHA256
			    "/detection\",\"sha256\":\"" EICAR_SHA256 "\",\"suspicious\":0,"
			    "\"undetected\":70,\"harmless\":1,\"cache\":\"hit\"},"
			    "\"integration\":\"virustotal\"}");
	vg_free(got);
}

static void test_vt_answer__event_not_found(void **state)
{
	struct vt_answer a;

	(void)state;
	parse(404, "{\"error\":{\"code\":\"NotFoundError\",\"message\":\"File not found\"}}",
	      EICAR_SHA256, &a);
	assert_event(&a, "{\"virustotal\":{\"found\":0,\"malicious\":0," SOURCE_JSON
			 ",\"sha256\":\"" EICAR_SHA256 "\",\"cache\":\"miss\",\"latency_ms\":42},"
			 "\"integration\":\"virustotal\"}");
}

#define ERROR_TAIL                                                                                 \
	",\"sha256\":\"" EICAR_SHA256 "\"," SOURCE_JSON                                            \
	",\"agent\":{\"id\":\"001\",\"name\":\"web1\"},\"cache\":\"miss\",\"latency_ms\":42},"     \
	"\"integration\":\"virustotal\"}"

static void test_vt_answer__event_errors_use_the_shipped_rules_codes(void **state)
{
	struct vt_answer a;

	(void)state;
	parse(429, "{\"error\":{\"code\":\"QuotaExceededError\",\"message\":\"Quota exceeded\"}}",
	      EICAR_SHA256, &a);
	assert_event(&a, "{\"virustotal\":{\"error\":204,\"description\":\"Error: Public API "
			 "request rate limit reached\",\"reason\":\"quota\",\"http_status\":429,"
			 "\"vt_code\":\"QuotaExceededError\"" ERROR_TAIL);
	parse(401, "{\"error\":{\"code\":\"WrongCredentialsError\",\"message\":\"Wrong API key\"}}",
	      EICAR_SHA256, &a);
	assert_event(&a, "{\"virustotal\":{\"error\":403,\"description\":\"Error: Check "
			 "credentials\",\"reason\":\"credentials\",\"http_status\":401,"
			 "\"vt_code\":\"WrongCredentialsError\"" ERROR_TAIL);
	parse(403, "", EICAR_SHA256, &a);
	assert_event(&a, "{\"virustotal\":{\"error\":403,\"description\":\"Error: Check "
			 "credentials\",\"reason\":\"credentials\",\"http_status\":403" ERROR_TAIL);
	vt_answer_fail(&a, VT_TIMEOUT, 0, "Timeout was reached");
	assert_event(&a, "{\"virustotal\":{\"error\":408,\"description\":\"Error: API request "
			 "timed out\",\"reason\":\"timeout\",\"http_status\":0" ERROR_TAIL);
	parse(503, "{\"error\":{\"code\":\"TransientError\",\"message\":\"retry\"}}", EICAR_SHA256,
	      &a);
	assert_event(&a, "{\"virustotal\":{\"error\":503,\"description\":\"Error: API request "
			 "fail\",\"reason\":\"server\",\"http_status\":503,"
			 "\"vt_code\":\"TransientError\"" ERROR_TAIL);
	parse(200, "not json", EICAR_SHA256, &a);
	assert_event(&a,
		     "{\"virustotal\":{\"error\":200,\"description\":\"Error: Invalid answer "
		     "from VirusTotal\",\"reason\":\"bad_answer\",\"http_status\":200" ERROR_TAIL);
	vt_answer_fail(&a, VT_NETWORK, 0, "Couldn't connect to server");
	assert_event(&a, "{\"virustotal\":{\"error\":0,\"description\":\"Error: VirusTotal "
			 "unreachable\",\"reason\":\"network\",\"http_status\":0" ERROR_TAIL);
}

static void test_vt_answer__event_without_source_or_extra_keeps_the_shape(void **state)
{
	struct vt_answer a;
	struct vg_buf out = VG_BUF_INIT(4096);
	struct vg_err err = VG_ERR_INIT;

	(void)state;
	vt_answer_fail(&a, VT_TIMEOUT, 0, NULL);
	assert_int_equal(vt_answer_event(&a, NULL, NULL, &out, &err), 0);
	assert_string_equal(
	    vg_buf_cstr(&out),
	    "{\"virustotal\":{\"error\":408,\"description\":\"Error: API request "
	    "timed out\",\"reason\":\"timeout\",\"http_status\":0,\"sha256\":\"\","
	    "\"source\":{\"alert_id\":\"\",\"file\":\"\",\"md5\":\"\",\"sha1\":\"\"}},"
	    "\"integration\":\"virustotal\"}");
	vg_buf_free(&out);
}

static void test_vt_answer__event_over_the_buffer_cap_fails_cleanly(void **state)
{
	struct vt_answer a = eicar();
	struct vg_buf out = VG_BUF_INIT(64);
	struct vg_err err = VG_ERR_INIT;

	(void)state;
	assert_int_equal(vg_buf_puts(&out, "x"), 0);
	assert_int_equal(vt_answer_event(&a, &eicar_src, NULL, &out, &err), VG_ETOOBIG);
	assert_string_equal(vg_buf_cstr(&out), "x");
	vg_buf_free(&out);
}

static void test_vt_answer__event_strings_from_the_answer_are_escaped(void **state)
{
	struct vt_answer a = eicar();
	struct vt_source src = eicar_src;
	json_error_t jerr;
	json_t *j;
	char *got;

	(void)state;
	vg_strlcpy(a.meaningful_name, "a\"},\"malicious\":0,\"x\":\"\n", sizeof(a.meaningful_name));
	src.file = "/tmp/we\"ird\\\x01name";
	got = event(&a, &src, VT_CACHE_NONE, -1);
	j = json_loads(got, 0, &jerr);
	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "virustotal"), "malicious")), 1);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(j, "virustotal"), "source"), "file")),
	    "/tmp/we\"ird\\\x01name");
	json_decref(j);
	vg_free(got);
}

/* -------------------------------------------- decode + the shipped rules */

struct rules_fx {
	char home[64];
	struct mgr_config cfg;
	struct rules_set *set;
	struct rules_state *st;
};

static int rules_setup(void **state)
{
	struct rules_fx *f = vg_xcalloc(1, sizeof(*f));
	struct mgr_load_opts o = MGR_LOAD_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	char *root, *rules;
	int rc;

	vg_log_set_level(VG_LOG_ERROR);
	*state = f;
	if (getenv("VG_SOURCE_DIR") == NULL)
		return 0; /* the test skips */
	vg_strlcpy(f->home, "/tmp/vg-vtanswer-XXXXXX", sizeof(f->home));
	if (mkdtemp(f->home) == NULL)
		return -1;
	rules = vg_xasprintf("%s/etc/rules", f->home);
	rc = vg_fs_mkdirs(rules, 0755, NULL);
	vg_free(rules);
	root = vg_xasprintf("%s/ruleset", getenv("VG_SOURCE_DIR"));
	o.home = f->home;
	o.ruleset_root = root;
	if (rc == 0)
		rc = mgr_load_rules(&o, &f->cfg, &f->set, &err);
	if (rc == 0)
		rc = rules_state_new(f->set, &f->st, &err);
	vg_free(root);
	if (rc != 0)
		print_error("rules: %s\n", err.msg);
	return rc;
}

static int rules_teardown(void **state)
{
	struct rules_fx *f = *state;

	rules_state_free(f->st);
	rules_set_free(f->set);
	if (f->set != NULL)
		mgr_config_free(&f->cfg);
	if (f->home[0] != '\0')
		vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* Decode line as agent 001's "virustotal" record and evaluate it. */
static void fire(struct rules_fx *f, const char *line, unsigned want_id, unsigned want_level,
		 const char *want_desc)
{
	const struct an_source src = {"001", "web1", "10.0.0.1", "virustotal"};
	struct an_decoded *d = NULL;
	struct rules_result r;
	struct vg_err err = VG_ERR_INIT;

	if (f->set == NULL)
		skip();
	if (an_decode(&src, line, strlen(line), 1721250800000LL, &d, &err) != 0)
		fail_msg("decode: %s", err.msg);
	assert_int_equal(rules_eval(f->set, f->st, an_decoded_event(d), &r, NULL, &err), 0);
	if (r.alert == NULL)
		fail_msg("no alert for %s (matched %u)", line, r.matched_id);
	assert_int_equal(r.alert->id, want_id);
	assert_int_equal(r.alert->level, want_level);
	assert_string_equal(r.alert->description, want_desc);
	an_decoded_free(d);
}

static void test_vt_answer__events_fire_the_shipped_rules(void **state)
{
	struct rules_fx *f = *state;
	struct vt_source src = eicar_src;
	struct vt_answer a = eicar();
	char *line;

	src.file = "/root/TestEICAR.txt";
	a.malicious = 57; /* the seed's alert */
	line = event(&a, &src, VT_CACHE_MISS, 12);
	fire(f, line, 87105, 12,
	     "VirusTotal: Alert - /root/TestEICAR.txt - 57 engines detected this file");
	vg_free(line);

	a.malicious = 0;
	line = event(&a, &src, VT_CACHE_HIT, 0);
	fire(f, line, 87104, 3, "VirusTotal: Alert - /root/TestEICAR.txt - No positives found");
	vg_free(line);

	vt_answer_fail(&a, VT_NOT_FOUND, 404, NULL);
	line = event(&a, &src, VT_CACHE_MISS, 12);
	fire(f, line, 87103, 3, "VirusTotal: Alert - No records in VirusTotal database");
	vg_free(line);

	vt_answer_fail(&a, VT_QUOTA, 429, NULL);
	line = event(&a, &src, VT_CACHE_MISS, 12);
	fire(f, line, 87101, 3, "VirusTotal: Error: Public API request rate limit reached");
	vg_free(line);

	vt_answer_fail(&a, VT_AUTH, 401, NULL);
	line = event(&a, &src, VT_CACHE_MISS, 12);
	fire(f, line, 87102, 3, "VirusTotal: Error: Check credentials");
	vg_free(line);

	vt_answer_fail(&a, VT_TIMEOUT, 0, NULL);
	line = event(&a, &src, VT_CACHE_MISS, 10000);
	fire(f, line, 87106, 3, "VirusTotal: Error: API request timed out");
	vg_free(line);
}

static void test_vt_answer__cache_text_round_trips_a_verdict(void **state)
{
	struct vt_answer a = eicar(), b, nf;
	struct vg_buf t1, t2;

	vg_buf_init(&t1, 4096);
	vg_buf_init(&t2, 4096);
	assert_int_equal(vt_answer_cache_text(&a, &t1, NULL), 0);
	assert_int_equal(vt_answer_from_cache(vg_buf_cstr(&t1), &b, NULL), 0);
	assert_int_equal(b.outcome, VT_FOUND);
	assert_string_equal(b.sha256, a.sha256);
	assert_string_equal(b.md5, a.md5);
	assert_int_equal(b.malicious, a.malicious);
	assert_int_equal(b.total, a.total);
	assert_int_equal(b.last_analysis_date, a.last_analysis_date);
	assert_string_equal(b.threat_label, a.threat_label);
	/* the events built from both are the same text */
	assert_int_equal(vt_answer_event(&a, NULL, NULL, &t1, NULL), 0);
	assert_int_equal(vt_answer_event(&b, NULL, NULL, &t2, NULL), 0);
	assert_string_equal(strstr(vg_buf_cstr(&t1), "{\"virustotal\""), vg_buf_cstr(&t2));
	/* not found keeps only the hash; errors are not cached */
	vt_answer_fail(&nf, VT_NOT_FOUND, 404, NULL);
	memcpy(nf.sha256, a.sha256, sizeof(nf.sha256));
	vg_buf_reset(&t1);
	assert_int_equal(vt_answer_cache_text(&nf, &t1, NULL), 0);
	assert_int_equal(vt_answer_from_cache(vg_buf_cstr(&t1), &b, NULL), 0);
	assert_int_equal(b.outcome, VT_NOT_FOUND);
	assert_string_equal(b.sha256, a.sha256);
	vt_answer_fail(&nf, VT_SERVER, 503, NULL);
	assert_int_equal(vt_answer_cache_text(&nf, &t1, NULL), VG_EPARSE);
	assert_int_equal(vt_answer_from_cache("{\"outcome\":\"found\"}", &b, NULL), VG_EPARSE);
	assert_int_equal(vt_answer_from_cache("not json", &b, NULL), VG_EPARSE);
	vg_buf_free(&t1);
	vg_buf_free(&t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vt_answer__eicar_v3_object_is_found_with_counts_and_dates),
	    cmocka_unit_test(test_vt_answer__hash_asked_in_upper_case_matches),
	    cmocka_unit_test(test_vt_answer__object_without_threat_classification_is_found),
	    cmocka_unit_test(test_vt_answer__object_of_another_hash_is_a_bad_answer),
	    cmocka_unit_test(test_vt_answer__not_found_error_is_not_found),
	    cmocka_unit_test(test_vt_answer__401_and_403_are_auth_and_keep_the_status),
	    cmocka_unit_test(test_vt_answer__429_is_quota),
	    cmocka_unit_test(test_vt_answer__5xx_is_server),
	    cmocka_unit_test(test_vt_answer__unexpected_statuses_are_bad_answers),
	    cmocka_unit_test(test_vt_answer__broken_bodies_are_bad_answers),
	    cmocka_unit_test(test_vt_answer__missing_or_mistyped_fields_are_bad_answers),
	    cmocka_unit_test(test_vt_answer__duplicate_keys_are_a_bad_answer),
	    cmocka_unit_test(test_vt_answer__body_over_the_cap_is_a_bad_answer),
	    cmocka_unit_test(test_vt_answer__long_strings_are_capped_on_a_character),
	    cmocka_unit_test(test_vt_answer__hash_asked_must_be_a_sha256),
	    cmocka_unit_test(test_vt_answer__event_found_malicious_is_wazuh_shape),
	    cmocka_unit_test(test_vt_answer__event_found_clean_has_malicious_0),
	    cmocka_unit_test(test_vt_answer__event_not_found),
	    cmocka_unit_test(test_vt_answer__event_errors_use_the_shipped_rules_codes),
	    cmocka_unit_test(test_vt_answer__event_without_source_or_extra_keeps_the_shape),
	    cmocka_unit_test(test_vt_answer__event_over_the_buffer_cap_fails_cleanly),
	    cmocka_unit_test(test_vt_answer__event_strings_from_the_answer_are_escaped),
	    cmocka_unit_test(test_vt_answer__cache_text_round_trips_a_verdict),
	    cmocka_unit_test_setup_teardown(test_vt_answer__events_fire_the_shipped_rules,
					    rules_setup, rules_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
