/* Unit tests for src/lib/wire.c: frame headers and event batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/mem.h"
#include "lib/wire.h"
#include "support/support.h"

static void test_wire__header_round_trip(void **state)
{
	uint8_t h[VG_WIRE_HDR_LEN];
	struct vg_wire_hdr d;

	vg_wire_hdr_encode(h, VG_WIRE_BATCH, VG_WIRE_F_ZLIB, 70000);
	assert_int_equal(h[0], VG_WIRE_VERSION);
	assert_int_equal(vg_wire_hdr_decode(h, 1u << 20, &d, NULL), 0);
	assert_int_equal(d.type, VG_WIRE_BATCH);
	assert_int_equal(d.flags, VG_WIRE_F_ZLIB);
	assert_int_equal(d.len, 70000);
	assert_string_equal(vg_wire_type_name(VG_WIRE_KEEPALIVE), "KEEPALIVE");
	assert_string_equal(vg_wire_type_name(99), "unknown");
}

static void test_wire__header_refusals(void **state)
{
	uint8_t h[VG_WIRE_HDR_LEN];
	struct vg_wire_hdr d;
	struct vg_err err = VG_ERR_INIT;

	vg_wire_hdr_encode(h, VG_WIRE_BATCH, 0, 2000);
	assert_int_equal(vg_wire_hdr_decode(h, 1999, &d, &err), VG_ETOOBIG);
	vg_test_err_mentions(&err, "2000");
	vg_wire_hdr_encode(h, 42, 0, 1);
	assert_int_equal(vg_wire_hdr_decode(h, 100, &d, NULL), VG_EPARSE);
	vg_wire_hdr_encode(h, VG_WIRE_HELLO, VG_WIRE_F_ZLIB, 1); /* zlib only on batches */
	assert_int_equal(vg_wire_hdr_decode(h, 100, &d, NULL), VG_EPARSE);
	vg_wire_hdr_encode(h, VG_WIRE_HELLO, 0, 1);
	h[0] = 2;
	assert_int_equal(vg_wire_hdr_decode(h, 100, &d, NULL), VG_EPARSE);
	vg_wire_hdr_encode(h, VG_WIRE_HELLO, 0, 1);
	h[3] = 1;
	assert_int_equal(vg_wire_hdr_decode(h, 100, &d, NULL), VG_EPARSE);
}

/* Build a batch of n records "syscheck\n{"n":i}" with ids 10, 20, ... */
static void build(struct vg_wire_batch *b, const char *id, size_t n)
{
	vg_wire_batch_init(b, id, 1u << 20, 100);
	for (size_t i = 1; i <= n; i++) {
		char rec[64];
		int len = snprintf(rec, sizeof(rec), "syscheck\n{\"n\":%zu}", i);
		assert_int_equal(vg_wire_batch_add(b, i * 10, rec, (size_t)len, NULL), 0);
	}
}

/* Decode frame (header included) and check it holds the records of build(). */
static void check_frame(const struct vg_buf *frame, const char *id, size_t n)
{
	struct vg_wire_hdr h;
	struct vg_wire_reader r;
	struct vg_buf scratch;
	const void *data;
	size_t len, seen = 0;
	uint64_t eid;

	vg_buf_init(&scratch, 1u << 20);
	assert_int_equal(vg_wire_hdr_decode((const uint8_t *)frame->data, 1u << 20, &h, NULL), 0);
	assert_int_equal(h.type, VG_WIRE_BATCH);
	assert_int_equal(h.len, frame->len - VG_WIRE_HDR_LEN);
	assert_int_equal(vg_wire_reader_open(&r, frame->data + VG_WIRE_HDR_LEN, h.len, h.flags,
					     1u << 20, 100, &scratch, NULL),
			 0);
	assert_string_equal(r.agent_id, id);
	assert_int_equal(r.count, n);
	while (vg_wire_reader_next(&r, &eid, &data, &len)) {
		char want[64];
		seen++;
		int wl = snprintf(want, sizeof(want), "syscheck\n{\"n\":%zu}", seen);
		assert_int_equal(eid, seen * 10);
		assert_int_equal(len, (size_t)wl);
		assert_memory_equal(data, want, len);
	}
	assert_int_equal(seen, n);
	vg_buf_free(&scratch);
}

static void test_wire__batch_round_trip_plain_and_zlib(void **state)
{
	struct vg_wire_batch b;
	struct vg_buf plain, z;

	vg_buf_init(&plain, 1u << 20);
	vg_buf_init(&z, 1u << 20);
	build(&b, "001", 50);
	assert_int_equal(b.count, 50);
	assert_int_equal(b.last_id, 500);
	assert_int_equal(vg_wire_batch_frame(&b, 0, 1u << 20, &plain, NULL), 0);
	assert_int_equal(((uint8_t *)plain.data)[2], 0);
	assert_int_equal(vg_wire_batch_frame(&b, 1, 1u << 20, &z, NULL), 0);
	assert_int_equal(((uint8_t *)z.data)[2], VG_WIRE_F_ZLIB);
	assert_true(z.len < plain.len / 2); /* repetitive events compress */
	check_frame(&plain, "001", 50);
	check_frame(&z, "001", 50);
	/* reset starts over for another agent */
	vg_wire_batch_reset(&b, "002");
	char rec[] = "syscheck\n{\"n\":1}";
	assert_int_equal(vg_wire_batch_add(&b, 10, rec, sizeof(rec) - 1, NULL), 0);
	assert_int_equal(vg_wire_batch_frame(&b, 6, 1u << 20, &z, NULL), 0);
	check_frame(&z, "002", 1);
	vg_wire_batch_free(&b);
	vg_buf_free(&plain);
	vg_buf_free(&z);
}

static void test_wire__batch_bounds(void **state)
{
	struct vg_wire_batch b;
	struct vg_buf frame;
	struct vg_err err = VG_ERR_INIT;
	char big[300];

	memset(big, 'x', sizeof(big));
	vg_buf_init(&frame, 1u << 20);
	vg_wire_batch_init(&b, "001", 400, 2);
	assert_int_equal(vg_wire_batch_add(&b, 5, big, sizeof(big), NULL), 0);
	/* over max_raw: refused, batch unchanged */
	assert_int_equal(vg_wire_batch_add(&b, 6, big, sizeof(big), NULL), VG_ETOOBIG);
	assert_int_equal(b.count, 1);
	/* ids must increase */
	assert_int_equal(vg_wire_batch_add(&b, 5, "a", 1, &err), VG_EPARSE);
	assert_int_equal(vg_wire_batch_add(&b, 7, "a", 1, NULL), 0);
	/* over max_events */
	assert_int_equal(vg_wire_batch_add(&b, 8, "a", 1, NULL), VG_ETOOBIG);
	/* a frame over max_frame */
	assert_int_equal(vg_wire_batch_frame(&b, 0, 100, &frame, NULL), VG_ETOOBIG);
	vg_wire_batch_free(&b);
	vg_buf_free(&frame);
}

/* Open a raw (uncompressed) payload with the test bounds. */
static int open_raw(const void *p, size_t len, size_t max_events)
{
	struct vg_wire_reader r;
	struct vg_buf scratch;
	vg_buf_init(&scratch, 1u << 16);
	int rc = vg_wire_reader_open(&r, p, len, 0, 1u << 16, max_events, &scratch, NULL);
	vg_buf_free(&scratch);
	return rc;
}

static void test_wire__reader_refuses_malformed_batches(void **state)
{
	struct vg_wire_batch b;
	build(&b, "001", 3);
	const uint8_t *raw = (const uint8_t *)b.raw.data;
	size_t len = b.raw.len;
	uint8_t copy[512];

	assert_true(len < sizeof(copy));
	assert_int_equal(open_raw(raw, len, 100), 0);
	assert_int_equal(open_raw(raw, len, 2), VG_ETOOBIG); /* more events than allowed */
	for (size_t cut = 0; cut < len; cut++)               /* every truncation */
		assert_int_equal(open_raw(raw, cut, 100), VG_EPARSE);
	memcpy(copy, raw, len);
	copy[len] = 'x'; /* a stray byte */
	assert_int_equal(open_raw(copy, len + 1, 100), VG_EPARSE);
	memcpy(copy, raw, len);
	copy[0] = 0; /* empty agent id */
	assert_int_equal(open_raw(copy, len, 100), VG_EPARSE);
	memcpy(copy, raw, len);
	copy[1] = '\n'; /* unprintable id */
	assert_int_equal(open_raw(copy, len, 100), VG_EPARSE);
	memcpy(copy, raw, len);
	copy[4 + 3] = 0; /* count 0 (u32 after "\3001") */
	copy[4 + 2] = 0;
	copy[4 + 1] = 0;
	copy[4 + 0] = 0;
	assert_int_equal(open_raw(copy, len, 100), VG_EPARSE);
	memcpy(copy, raw, len);
	memset(copy + 8, 0, 8); /* first id 0 */
	assert_int_equal(open_raw(copy, len, 100), VG_EPARSE);
	memcpy(copy, raw, len);
	copy[8 + 8] = 0xff; /* first record's length overruns */
	assert_int_equal(open_raw(copy, len, 100), VG_EPARSE);
	vg_wire_batch_free(&b);
}

static void test_wire__reader_bounds_inflation(void **state)
{
	struct vg_wire_batch b;
	struct vg_buf frame, scratch;
	struct vg_wire_reader r;
	struct vg_err err = VG_ERR_INIT;
	char zeros[4000] = {0};

	vg_buf_init(&frame, 1u << 20);
	vg_buf_init(&scratch, 1u << 20);
	vg_wire_batch_init(&b, "001", 1u << 20, 100);
	for (uint64_t i = 1; i <= 50; i++)
		assert_int_equal(vg_wire_batch_add(&b, i, zeros, sizeof(zeros), NULL), 0);
	assert_int_equal(vg_wire_batch_frame(&b, 9, 1u << 20, &frame, NULL), 0);
	assert_true(frame.len < 4096); /* a zip bomb in miniature */
	const uint8_t *payload = (const uint8_t *)frame.data + VG_WIRE_HDR_LEN;
	size_t plen = frame.len - VG_WIRE_HDR_LEN;
	assert_int_equal(
	    vg_wire_reader_open(&r, payload, plen, VG_WIRE_F_ZLIB, 100000, 100, &scratch, &err),
	    VG_ETOOBIG);
	vg_test_err_mentions(&err, "inflates");
	assert_int_equal(
	    vg_wire_reader_open(&r, payload, plen, VG_WIRE_F_ZLIB, 1u << 20, 100, &scratch, NULL),
	    0);
	/* a corrupt stream */
	uint8_t bad[64];
	memcpy(bad, payload, sizeof(bad));
	memset(bad + 10, 0x55, 20);
	assert_int_equal(vg_wire_reader_open(&r, bad, sizeof(bad), VG_WIRE_F_ZLIB, 1u << 20, 100,
					     &scratch, NULL),
			 VG_EPARSE);
	vg_wire_batch_free(&b);
	vg_buf_free(&frame);
	vg_buf_free(&scratch);
}

static void test_wire__u64(void **state)
{
	uint8_t b[8];
	uint64_t v;

	vg_wire_u64_encode(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_int_equal(vg_wire_u64_decode(b, 8, &v, NULL), 0);
	assert_int_equal(v, 0x0102030405060708ull);
	assert_int_equal(vg_wire_u64_decode(b, 7, &v, NULL), VG_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire__header_round_trip),
	    cmocka_unit_test(test_wire__header_refusals),
	    cmocka_unit_test(test_wire__batch_round_trip_plain_and_zlib),
	    cmocka_unit_test(test_wire__batch_bounds),
	    cmocka_unit_test(test_wire__reader_refuses_malformed_batches),
	    cmocka_unit_test(test_wire__reader_bounds_inflation),
	    cmocka_unit_test(test_wire__u64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
