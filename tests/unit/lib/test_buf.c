/* Unit tests for src/lib/buf.c: capped growable buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/mem.h"

static void test_buf__append_and_cap(void **state)
{
	struct vg_buf b = VG_BUF_INIT(8);
	assert_string_equal(vg_buf_cstr(&b), "");
	assert_int_equal(vg_buf_puts(&b, "abcd"), 0);
	assert_int_equal(vg_buf_printf(&b, "%d", 123), 0);
	assert_string_equal(vg_buf_cstr(&b), "abcd123");
	/* 9 bytes would pass the cap: refused, contents unchanged */
	assert_int_equal(vg_buf_puts(&b, "xy"), VG_ETOOBIG);
	assert_string_equal(vg_buf_cstr(&b), "abcd123");
	assert_int_equal(vg_buf_putc(&b, 'z'), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(vg_buf_printf(&b, "%s", "q"), VG_ETOOBIG);
	vg_buf_free(&b);
}

static void test_buf__take_moves_ownership(void **state)
{
	struct vg_buf b = VG_BUF_INIT(1024);
	assert_int_equal(vg_buf_puts(&b, "hello"), 0);
	char *s = vg_buf_take(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	vg_free(s);
	s = vg_buf_take(&b); /* empty buffer still gives a string */
	assert_string_equal(s, "");
	vg_free(s);
}

static void test_buf__truncate(void **state)
{
	struct vg_buf b = VG_BUF_INIT(100);
	assert_int_equal(vg_buf_puts(&b, "hello world"), 0);
	vg_buf_truncate(&b, 5);
	assert_string_equal(vg_buf_cstr(&b), "hello");
	vg_buf_truncate(&b, 50); /* longer than content: ignored */
	assert_int_equal(b.len, 5);
	vg_buf_free(&b);
}

static void test_buf__extend_gives_writable_room(void **state)
{
	struct vg_buf b;
	void *p;

	vg_buf_init(&b, 8);
	assert_int_equal(vg_buf_puts(&b, "ab"), 0);
	assert_int_equal(vg_buf_extend(&b, 4, &p), 0);
	memcpy(p, "cdef", 4);
	assert_int_equal(b.len, 6);
	assert_string_equal(vg_buf_cstr(&b), "abcdef");
	assert_int_equal(vg_buf_extend(&b, 3, &p), VG_ETOOBIG); /* 9 > 8: unchanged */
	assert_int_equal(b.len, 6);
	vg_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf__append_and_cap),
	    cmocka_unit_test(test_buf__take_moves_ownership),
	    cmocka_unit_test(test_buf__truncate),
	    cmocka_unit_test(test_buf__extend_gives_writable_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
