/* Unit tests for src/lib/json.c: lossy UTF-8, base64, capped JSON dumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "lib/json.h"
#include "lib/mem.h"

#define FFFD "\xef\xbf\xbd"

static void check_lossy(const char *in, size_t len, const char *want)
{
	struct vg_buf b = VG_BUF_INIT(1024);
	assert_int_equal(vg_utf8_lossy(&b, in, len), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	vg_buf_free(&b);
}

static void test_json__lossy_replaces_each_invalid_byte(void **state)
{
	check_lossy("plain/ascii", 11, "plain/ascii");
	check_lossy("caf\xc3\xa9", 5, "caf\xc3\xa9");           /* valid 2-byte */
	check_lossy("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"); /* valid 4-byte */
	check_lossy("a\xff"
		    "b",
		    3, "a" FFFD "b"); /* never valid */
	check_lossy("a\xe2\x82"
		    "b",
		    4, "a" FFFD FFFD "b");                       /* truncated */
	check_lossy("\xc0\xaf", 2, FFFD FFFD);                   /* overlong '/' */
	check_lossy("\xed\xa0\x80", 3, FFFD FFFD FFFD);          /* surrogate */
	check_lossy("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	check_lossy("\x80x\xc3\xa9", 4, FFFD "x\xc3\xa9");       /* stray continuation */
	check_lossy("end\xc3", 4, "end" FFFD);                   /* cut at the end */
}

static void test_json__lossy_cap_leaves_buffer_unchanged(void **state)
{
	struct vg_buf b = VG_BUF_INIT(8);
	assert_int_equal(vg_buf_puts(&b, "ab"), 0);
	/* "\xff\xff" grows to 6 bytes: 2 + 6 = 8 fits, a third does not */
	assert_int_equal(vg_utf8_lossy(&b, "\xff\xff\xff", 3), VG_ETOOBIG);
	assert_int_equal(b.len, 2);
	assert_string_equal(vg_buf_cstr(&b), "ab");
	assert_int_equal(vg_utf8_lossy(&b, "\xff\xff", 2), 0);
	assert_int_equal(b.len, 8);
	vg_buf_free(&b);
}

static void test_json__string_lossy_is_valid_json(void **state)
{
	const char raw[] = "/tmp/\xff\"q\\\n\x01";
	json_t *s = vg_json_string_lossy(raw, sizeof(raw) - 1);
	json_t *arr = json_array();
	struct vg_buf b = VG_BUF_INIT(256);
	json_error_t jerr;

	assert_non_null(s);
	assert_string_equal(json_string_value(s), "/tmp/" FFFD "\"q\\\n\x01");
	assert_int_equal(json_array_append_new(arr, s), 0);
	assert_int_equal(vg_json_dump(&b, arr, NULL), 0);
	/* escaped by jansson: no raw newline or control byte in the line */
	assert_null(memchr(b.data, '\n', b.len));
	assert_null(memchr(b.data, '\x01', b.len));
	json_t *back = json_loads(vg_buf_cstr(&b), 0, &jerr);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_array_get(back, 0)), "/tmp/" FFFD "\"q\\\n\x01");
	json_decref(back);
	json_decref(arr);
	vg_buf_free(&b);

	/* an embedded NUL is kept, not a terminator */
	s = vg_json_string_lossy("a\0b", 3);
	assert_int_equal(json_string_length(s), 3);
	json_decref(s);
}

static void check_b64(const char *in, size_t len, const char *want)
{
	struct vg_buf b = VG_BUF_INIT(64);
	assert_int_equal(vg_base64_encode(&b, in, len), 0);
	assert_string_equal(vg_buf_cstr(&b), want);
	vg_buf_free(&b);
}

static void test_json__base64_rfc4648_vectors(void **state)
{
	check_b64("", 0, "");
	check_b64("f", 1, "Zg==");
	check_b64("fo", 2, "Zm8=");
	check_b64("foo", 3, "Zm9v");
	check_b64("foob", 4, "Zm9vYg==");
	check_b64("foobar", 6, "Zm9vYmFy");
	check_b64("\xff\x00\x01", 3, "/wAB");
}

static void test_json__base64_long_input_round_trips(void **state)
{
	/* longer than the 768-byte encoding chunk, not a multiple of it or of 3 */
	enum { N = 2000 };
	unsigned char in[N];
	unsigned char dec[N + 8];
	struct vg_buf b = VG_BUF_INIT(4096);

	for (size_t i = 0; i < N; i++)
		in[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(vg_base64_encode(&b, in, N), 0);
	assert_int_equal(b.len, (N + 2) / 3 * 4);
	int n = EVP_DecodeBlock(dec, (const unsigned char *)b.data, (int)b.len);
	/* EVP_DecodeBlock counts the padding bytes as zeros: N = 2000 has 1 '=' */
	assert_int_equal(n, N + 1);
	assert_memory_equal(dec, in, N);
	vg_buf_free(&b);
}

static void check_unb64(const char *in, const char *want, size_t want_len)
{
	unsigned char out[16];
	size_t n = 99;

	assert_int_equal(vg_base64_decode(in, strlen(in), out, sizeof(out), &n), 0);
	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
}

static void test_json__base64_decode_strict(void **state)
{
	unsigned char out[4];
	size_t n;

	check_unb64("Zg==", "f", 1);
	check_unb64("Zm8=", "fo", 2);
	check_unb64("Zm9vYmFy", "foobar", 6);
	check_unb64("/wAB", "\xff\x00\x01", 3);
	check_unb64("YWRtaW46czNjcjN0", "admin:s3cr3t", 12);
	/* not base64, unpadded, white space, padding inside, over the buffer */
	const char *bad[] = {"", "Zg", "Zg=", "Z g==", "Zg==Zg==", "!!!!", "Zm9vYmFy", "Zm9v\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vg_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n),
				 VG_EPARSE);
}

static void test_json__dump_compact_in_order_and_capped(void **state)
{
	json_t *o = json_object();
	struct vg_buf b = VG_BUF_INIT(20);
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(json_object_set_new(o, "z", json_integer(1)), 0);
	assert_int_equal(json_object_set_new(o, "a", json_string("x")), 0);
	assert_int_equal(vg_buf_puts(&b, ">"), 0);
	assert_int_equal(vg_json_dump(&b, o, &err), 0);
	assert_string_equal(vg_buf_cstr(&b), ">{\"z\":1,\"a\":\"x\"}");
	assert_int_equal(json_object_set_new(o, "long", json_string("0123456789")), 0);
	assert_int_equal(vg_json_dump(&b, o, &err), VG_ETOOBIG);
	assert_int_equal(err.code, VG_ETOOBIG);
	assert_string_equal(vg_buf_cstr(&b), ">{\"z\":1,\"a\":\"x\"}");
	json_decref(o);
	vg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json__lossy_replaces_each_invalid_byte),
	    cmocka_unit_test(test_json__lossy_cap_leaves_buffer_unchanged),
	    cmocka_unit_test(test_json__string_lossy_is_valid_json),
	    cmocka_unit_test(test_json__base64_rfc4648_vectors),
	    cmocka_unit_test(test_json__base64_long_input_round_trips),
	    cmocka_unit_test(test_json__base64_decode_strict),
	    cmocka_unit_test(test_json__dump_compact_in_order_and_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
