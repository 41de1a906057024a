/*
 * Unit tests for src/manager/vt_allowance.c: the answers of
 * GET /users/{key}/overall_quotas, from the fixtures in the reference's
 * shape (tests/fixtures/virustotal/overall_quotas/) and from bodies
 * that must not be believed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/mem.h"
#include "manager/vt_allowance.h"
#include "support/support.h"

#define KEY "k3y-0123456789abcdef0123456789abcdef"

static char *fixture(const char *name)
{
	const char *src = getenv("VG_SOURCE_DIR");
	char *path, *text;

	assert_non_null(src);
	path = vg_xasprintf("%s/tests/fixtures/virustotal/%s", src, name);
	text = vg_test_read_file(path);
	vg_free(path);
	return text;
}

static struct vt_allowance parse(long status, const char *body)
{
	struct vt_allowance a;

	memset(&a, 0xa5, sizeof(a)); /* every field must be written */
	vt_allowance_parse(status, body, strlen(body), &a);
	return a;
}

/* Not OK: both windows unknown, a detail, and never the body's text. */
static void assert_refused(const struct vt_allowance *a, enum vt_allowance_state s)
{
	assert_int_equal(a->state, s);
	assert_false(a->day.known);
	assert_false(a->month.known);
	assert_true(a->detail[0] != '\0');
	assert_null(strstr(a->detail, KEY));
}

static void test_vt_allowance__a_public_key_without_group(void **state)
{
	char *body = fixture("overall_quotas/public.json");
	struct vt_allowance a = parse(200, body);

	(void)state;
	assert_int_equal(a.state, VT_ALLOWANCE_OK);
	assert_int_equal(a.http_status, 200);
	assert_true(a.day.known);
	assert_int_equal(a.day.allowed, 500);
	assert_int_equal(a.day.used, 42);
	assert_true(a.month.known);
	assert_int_equal(a.month.allowed, 15500);
	assert_int_equal(a.month.used, 1234);
	assert_string_equal(a.detail, "");
	vg_free(body);
}

/* The block with less room binds: the daily group, the monthly user. */
static void test_vt_allowance__with_a_group_the_tighter_block_wins(void **state)
{
	char *body = fixture("overall_quotas/group.json");
	struct vt_allowance a = parse(200, body);

	(void)state;
	assert_int_equal(a.state, VT_ALLOWANCE_OK);
	assert_int_equal(a.day.allowed, 99000000);
	assert_int_equal(a.day.used, 45073);
	assert_int_equal(a.month.allowed, 1000000000);
	assert_int_equal(a.month.used, 137);
	vg_free(body);
}

static void test_vt_allowance__a_smaller_group_allowance_wins(void **state)
{
	struct vt_allowance a =
	    parse(200, "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":500,\"used\":7},"
		       "\"group\":{\"allowed\":100,\"used\":7}}}}");

	(void)state;
	assert_int_equal(a.state, VT_ALLOWANCE_OK);
	assert_int_equal(a.day.allowed, 100);
	assert_int_equal(a.day.used, 7);
	assert_false(a.month.known); /* absent: not reported, not malformed */
}

/* VirusTotal may count past the allowance: that is the key's state. */
static void test_vt_allowance__used_past_allowed_is_kept(void **state)
{
	struct vt_allowance a = parse(
	    200, "{\"data\":{\"api_requests_monthly\":{\"user\":{\"allowed\":5,\"used\":9}}}}");

	(void)state;
	assert_int_equal(a.state, VT_ALLOWANCE_OK);
	assert_false(a.day.known);
	assert_int_equal(a.month.allowed, 5);
	assert_int_equal(a.month.used, 9);
}

/* 403 (some keys), with a message echoing the key: unavailable, unquoted. */
static void test_vt_allowance__403_is_unavailable(void **state)
{
	struct vt_allowance a =
	    parse(403, "{\"error\":{\"code\":\"ForbiddenError\",\"message\":\"User " KEY
		       " is not allowed\"}}");

	(void)state;
	assert_refused(&a, VT_ALLOWANCE_UNAVAILABLE);
	assert_int_equal(a.http_status, 403);
	assert_string_equal(a.detail, "HTTP 403");
	a = parse(401, "{\"error\":{\"code\":\"WrongCredentialsError\"}}");
	assert_refused(&a, VT_ALLOWANCE_UNAVAILABLE);
	a = parse(404, "");
	assert_refused(&a, VT_ALLOWANCE_UNAVAILABLE);
	a = parse(302, "");
	assert_refused(&a, VT_ALLOWANCE_UNAVAILABLE);
}

static void test_vt_allowance__429_and_5xx_are_failures_to_retry(void **state)
{
	struct vt_allowance a =
	    parse(429, "{\"error\":{\"code\":\"QuotaExceededError\",\"message\":\"Quota\"}}");

	(void)state;
	assert_refused(&a, VT_ALLOWANCE_FAILED);
	a = parse(503, "<html>" KEY "</html>");
	assert_refused(&a, VT_ALLOWANCE_FAILED);
	assert_string_equal(a.detail, "HTTP 503");
}

static void test_vt_allowance__malformed_answers_are_unavailable(void **state)
{
	static const char *const bad[] = {
	    "",
	    "not json " KEY,
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"used\":1}}", /* cut */
	    "[]",
	    "{}",
	    "{\"data\":[]}",
	    "{\"data\":{}}", /* neither window */
	    "{\"data\":{\"api_requests_hourly\":{\"user\":{\"allowed\":5,\"used\":1}}}}",
	    "{\"data\":{\"api_requests_daily\":{}}}", /* no user */
	    "{\"data\":{\"api_requests_daily\":[]}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":\"5\",\"used\":1}}}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5.5,\"used\":1}}}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5}}}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":0,\"used\":0}}}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":-5,\"used\":0}}}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"used\":-1}}}}",
	    /* a bad group spoils the window, a bad month spoils a good day */
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"used\":1},"
	    "\"group\":{\"allowed\":null,\"used\":1}}}}",
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"used\":1}},"
	    "\"api_requests_monthly\":{\"user\":{\"allowed\":true,\"used\":1}}}}",
	    /* duplicate keys: which one counts is a guess */
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"allowed\":9,"
	    "\"used\":1}}}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vt_allowance a = parse(200, bad[i]);
		if (a.state != VT_ALLOWANCE_UNAVAILABLE)
			fail_msg("believed #%zu: %s", i, bad[i]);
		assert_refused(&a, VT_ALLOWANCE_UNAVAILABLE);
	}
}

/* The body is not NUL-terminated: only len bytes are read. */
static void test_vt_allowance__only_len_bytes_are_read(void **state)
{
	const char *body =
	    "{\"data\":{\"api_requests_daily\":{\"user\":{\"allowed\":5,\"used\":1}}}}"
	    "garbage";
	struct vt_allowance a;

	(void)state;
	vt_allowance_parse(200, body, strlen(body) - strlen("garbage"), &a);
	assert_int_equal(a.state, VT_ALLOWANCE_OK);
	assert_int_equal(a.day.allowed, 5);
	vt_allowance_parse(200, NULL, 0, &a);
	assert_int_equal(a.state, VT_ALLOWANCE_UNAVAILABLE);
}

static void test_vt_allowance__fail_and_names(void **state)
{
	struct vt_allowance a;

	(void)state;
	vt_allowance_fail(&a, VT_ALLOWANCE_FAILED, 0, "Timeout was reached");
	assert_int_equal(a.state, VT_ALLOWANCE_FAILED);
	assert_string_equal(a.detail, "Timeout was reached");
	assert_false(a.day.known);
	assert_string_equal(vt_allowance_state_name(VT_ALLOWANCE_OK), "ok");
	assert_string_equal(vt_allowance_state_name(VT_ALLOWANCE_UNAVAILABLE), "unavailable");
	assert_string_equal(vt_allowance_state_name(VT_ALLOWANCE_FAILED), "failed");
	assert_string_equal(vt_allowance_state_name((enum vt_allowance_state)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vt_allowance__a_public_key_without_group),
	    cmocka_unit_test(test_vt_allowance__with_a_group_the_tighter_block_wins),
	    cmocka_unit_test(test_vt_allowance__a_smaller_group_allowance_wins),
	    cmocka_unit_test(test_vt_allowance__used_past_allowed_is_kept),
	    cmocka_unit_test(test_vt_allowance__403_is_unavailable),
	    cmocka_unit_test(test_vt_allowance__429_and_5xx_are_failures_to_retry),
	    cmocka_unit_test(test_vt_allowance__malformed_answers_are_unavailable),
	    cmocka_unit_test(test_vt_allowance__only_len_bytes_are_read),
	    cmocka_unit_test(test_vt_allowance__fail_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
