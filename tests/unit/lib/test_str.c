/* Unit tests for src/lib/str.c: parsing, escaping, UTF-8 and hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/str.h"

static void test_str__parse_u64_is_strict(void **state)
{
	uint64_t v;
	assert_int_equal(vg_parse_u64("43200", UINT64_MAX, &v), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(vg_parse_u64("10 ", 100, &v), VG_EPARSE);
	assert_int_equal(v, 0);
	assert_int_equal(vg_parse_u64(" 10", 100, &v), VG_EPARSE);
	assert_int_equal(vg_parse_u64("-1", 100, &v), VG_EPARSE);
	assert_int_equal(vg_parse_u64("", 100, &v), VG_EPARSE);
	assert_int_equal(vg_parse_u64("101", 100, &v), VG_ETOOBIG);
	assert_int_equal(vg_parse_u64("99999999999999999999999", UINT64_MAX, &v), VG_ETOOBIG);
}

static void test_str__parse_size_units(void **state)
{
	uint64_t v;
	assert_int_equal(vg_parse_size("50MB", 1024, &v), 0);
	assert_int_equal(v, 50ull << 20);
	assert_int_equal(vg_parse_size("1gb", 1024, &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(vg_parse_size("7", 1024, &v), 0); /* default unit: KB */
	assert_int_equal(v, 7 * 1024);
	assert_int_equal(vg_parse_size("5 MB", 1, &v), VG_EPARSE);
	assert_int_equal(vg_parse_size("3PB", 1, &v), VG_EPARSE);
	assert_int_equal(vg_parse_size("99999999999TB", 1, &v), VG_ETOOBIG);
}

static void test_str__escape_untrusted_bytes(void **state)
{
	char out[64];
	const char in[] = "a\nb\"c\\d\x01\xff";
	assert_string_equal(vg_escape(out, sizeof(out), in, sizeof(in) - 1),
			    "a\\nb\\\"c\\\\d\\x01\\xff");
	/* cut to fit, marked with "..." */
	char small[8];
	assert_string_equal(vg_escape(small, sizeof(small), "abcdefghijk", 11), "abcd...");
}

static void test_str__utf8_validation(void **state)
{
	assert_true(vg_utf8_valid("plain", 5));
	assert_true(vg_utf8_valid("\xc3\xa9t\xc3\xa9", 6)); /* été */
	assert_true(vg_utf8_valid("\xf0\x9f\x98\x80", 4));  /* U+1F600 */
	assert_false(vg_utf8_valid("\xff", 1));             /* never valid */
	assert_false(vg_utf8_valid("\xc3", 1));             /* truncated */
	assert_false(vg_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(vg_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(vg_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

static void test_str__hex_round_trip(void **state)
{
	const unsigned char bytes[] = {0x00, 0x7f, 0x80, 0xab, 0xff};
	unsigned char back[8];
	char hex[11];
	size_t n;

	vg_hex_encode(hex, bytes, sizeof(bytes));
	assert_string_equal(hex, "007f80abff");
	assert_int_equal(vg_hex_decode("007F80ABff", back, sizeof(back), &n), 0);
	assert_int_equal(n, sizeof(bytes));
	assert_memory_equal(back, bytes, sizeof(bytes));
	assert_int_equal(vg_hex_decode("abc", back, sizeof(back), &n), VG_EPARSE); /* odd */
	assert_int_equal(vg_hex_decode("zz", back, sizeof(back), &n), VG_EPARSE);  /* not hex */
	assert_int_equal(vg_hex_decode("00112233445566778899", back, sizeof(back), &n),
			 VG_EPARSE); /* longer than the buffer */
	assert_int_equal(n, 0);
	/* every byte: exactly 0-9, a-f, A-F are digits, with their values */
	for (int c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'   ? c - '0'
			   : c >= 'a' && c <= 'f' ? c - 'a' + 10
			   : c >= 'A' && c <= 'F' ? c - 'A' + 10
						  : -1;
		char pair[3] = {'1', (char)c, '\0'};
		assert_int_equal(vg_hex_digit((char)c), want);
		if (c != 0)
			assert_int_equal(vg_hex_decode(pair, back, sizeof(back), &n) == 0,
					 want >= 0);
	}
}

static void test_str__comma_list_items(void **state)
{
	const char *s = " a ,b,, c\t", *item;
	const char *want[] = {"a", "b", "", "c"};
	size_t len, i = 0;

	while (vg_str_next_item(&s, &item, &len)) {
		assert_true(i < 4);
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(item, want[i], len);
		i++;
	}
	assert_int_equal(i, 4);
	assert_null(s);
	s = "";
	assert_true(vg_str_next_item(&s, &item, &len)); /* one empty element */
	assert_int_equal(len, 0);
	assert_false(vg_str_next_item(&s, &item, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_str__parse_u64_is_strict),
	    cmocka_unit_test(test_str__parse_size_units),
	    cmocka_unit_test(test_str__escape_untrusted_bytes),
	    cmocka_unit_test(test_str__utf8_validation),
	    cmocka_unit_test(test_str__hex_round_trip),
	    cmocka_unit_test(test_str__comma_list_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
