/*
 * fuzz_wire.c - libFuzzer target: the agent protocol's frame header and
 * BATCH reader (src/lib/wire.c), which take an agent's bytes on port 1514
 * once its TLS handshake is done. Any crash, leak or sanitizer report is a
 * bug; a refusal must be VG_EPARSE or VG_ETOOBIG.
 *
 * The input is a frame: an 8-byte header, then the payload. A BATCH that
 * opens must read back as it claims (its count of records, strictly
 * increasing ids, every record inside the payload), and the records, put
 * into a new batch by the encoder, raw and deflated, must read back the
 * same: reader and writer agree on every batch the reader accepts.
 *
 * scripts/fuzz wire runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wire.h"

#define FUZZ_INFLATED_MAX (256u * 1024u) /* keeps a run fast; the bound is what is tested */
#define FUZZ_EVENTS_MAX 1000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_refusal(int rc, const struct vg_err *err)
{
	check(rc == VG_EPARSE || rc == VG_ETOOBIG);
	check(err->msg[0] != '\0');
}

/* Read the opened batch whole; rebuild it in out (level: zlib level). */
static size_t read_all(struct vg_wire_reader *r, struct vg_wire_batch *out)
{
	uint64_t id, prev = 0;
	const void *p;
	size_t len, n = 0;

	while (vg_wire_reader_next(r, &id, &p, &len)) {
		check(n == 0 || id > prev);
		prev = id;
		n++;
		if (out != NULL)
			check(vg_wire_batch_add(out, id, p, len, NULL) == 0);
	}
	return n;
}

/* The records of a batch the reader accepted, encoded again at level, read back. */
static void round_trip(const struct vg_wire_reader *first, const void *payload, size_t len,
		       unsigned flags, int level)
{
	struct vg_wire_reader r, again;
	struct vg_wire_batch b;
	struct vg_buf scratch = VG_BUF_INIT(FUZZ_INFLATED_MAX), frame = VG_BUF_INIT(1u << 24);
	struct vg_buf scratch2 = VG_BUF_INIT(FUZZ_INFLATED_MAX);
	struct vg_wire_hdr h;

	vg_wire_batch_init(&b, first->agent_id, 1u << 23, FUZZ_EVENTS_MAX);
	check(vg_wire_reader_open(&r, payload, len, flags, FUZZ_INFLATED_MAX, FUZZ_EVENTS_MAX,
				  &scratch, NULL) == 0);
	check(read_all(&r, &b) == first->count);
	check(vg_wire_batch_frame(&b, level, 1u << 24, &frame, NULL) == 0);
	check(vg_wire_hdr_decode((const uint8_t *)frame.data, 1u << 24, &h, NULL) == 0);
	check(h.type == VG_WIRE_BATCH && h.len == frame.len - VG_WIRE_HDR_LEN);
	/* the raw layout is smaller than the inflated bound the first one met */
	check(vg_wire_reader_open(&again, frame.data + VG_WIRE_HDR_LEN, h.len, h.flags,
				  FUZZ_INFLATED_MAX, FUZZ_EVENTS_MAX, &scratch2, NULL) == 0);
	check(strcmp(again.agent_id, first->agent_id) == 0 && again.count == first->count);
	check(read_all(&again, NULL) == first->count);
	vg_wire_batch_free(&b);
	vg_buf_free(&scratch);
	vg_buf_free(&scratch2);
	vg_buf_free(&frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_wire_hdr h;
	struct vg_wire_reader r;
	struct vg_buf scratch = VG_BUF_INIT(FUZZ_INFLATED_MAX);
	uint64_t v;
	int rc;

	if (size < VG_WIRE_HDR_LEN)
		return 0;
	rc = vg_wire_hdr_decode(data, VG_WIRE_FRAME_MAX, &h, &err);
	if (rc != 0) {
		check_refusal(rc, &err);
		return 0;
	}
	const uint8_t *payload = data + VG_WIRE_HDR_LEN;
	size_t len = size - VG_WIRE_HDR_LEN;
	vg_err_clear(&err);
	rc = vg_wire_u64_decode(payload, len, &v, &err);
	check(rc == 0 ? len == 8 : rc == VG_EPARSE);
	if (h.type != VG_WIRE_BATCH)
		return 0;
	vg_err_clear(&err);
	rc = vg_wire_reader_open(&r, payload, len, h.flags, FUZZ_INFLATED_MAX, FUZZ_EVENTS_MAX,
				 &scratch, &err);
	if (rc != 0) {
		check_refusal(rc, &err);
	} else {
		check(r.count >= 1 && r.count <= FUZZ_EVENTS_MAX);
		check(strlen(r.agent_id) >= 1 && strlen(r.agent_id) <= VG_WIRE_ID_MAX);
		round_trip(&r, payload, len, h.flags, 0);
		round_trip(&r, payload, len, h.flags, 1);
	}
	vg_buf_free(&scratch);
	return 0;
}
