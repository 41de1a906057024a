/*
 * wire.c - Frames and event batches of the agent <-> manager protocol.
 *
 * The batch decoder validates a whole batch before the first record is
 * handed out, so the manager either takes every record of a batch or
 * refuses the batch: there is no half-processed state to undo. Lengths
 * are checked against what is left before any pointer moves, and the
 * inflated size is announced by the sender and capped by the receiver
 * before anything is allocated.
 */
#include "lib/wire.h"

#include <string.h>

#include <zlib.h>

#include "lib/mem.h"
#include "lib/tls.h"

#define RAW_LEN_BYTES 4 /* the inflated size before a zlib stream */
#define REC_HDR 12      /* u64 id + u32 len */

static const char *const type_names[] = {
    NULL,   "HELLO",   "WELCOME",     "BATCH", "ACK",    "KEEPALIVE",
    "PONG", "COMMAND", "COMMAND_ACK", "ERROR", "ENROLL", "ENROLLED",
};

const char *vg_wire_type_name(unsigned type)
{
	if (type == 0 || type >= sizeof(type_names) / sizeof(type_names[0]))
		return "unknown";
	return type_names[type];
}

/* ---------------------------------------------------------------- integers */

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void vg_wire_u64_encode(uint8_t out[8], uint64_t v)
{
	put_u32(out, (uint32_t)(v >> 32));
	put_u32(out + 4, (uint32_t)v);
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

int vg_wire_u64_decode(const void *payload, size_t len, uint64_t *v, struct vg_err *err)
{
	*v = 0;
	if (len != 8)
		return vg_err_set(err, VG_EPARSE, "expected an 8-byte number, got %zu bytes", len);
	*v = get_u64(payload);
	return 0;
}

/* ---------------------------------------------------------------- headers */

void vg_wire_hdr_encode(uint8_t out[VG_WIRE_HDR_LEN], unsigned type, unsigned flags, uint32_t len)
{
	out[0] = VG_WIRE_VERSION;
	out[1] = (uint8_t)type;
	out[2] = (uint8_t)flags;
	out[3] = 0;
	put_u32(out + 4, len);
}

int vg_wire_hdr_decode(const uint8_t in[VG_WIRE_HDR_LEN], uint32_t max_len, struct vg_wire_hdr *out,
		       struct vg_err *err)
{
	memset(out, 0, sizeof(*out));
	if (in[0] != VG_WIRE_VERSION)
		return vg_err_set(err, VG_EPARSE, "protocol version %u, expected %u", in[0],
				  VG_WIRE_VERSION);
	if (strcmp(vg_wire_type_name(in[1]), "unknown") == 0)
		return vg_err_set(err, VG_EPARSE, "unknown frame type %u", in[1]);
	if ((in[2] & ~VG_WIRE_F_ZLIB) != 0 || in[3] != 0 || (in[2] != 0 && in[1] != VG_WIRE_BATCH))
		return vg_err_set(err, VG_EPARSE, "bad flags 0x%02x%02x on a %s frame", in[2],
				  in[3], vg_wire_type_name(in[1]));
	out->type = in[1];
	out->flags = in[2];
	out->len = get_u32(in + 4);
	if (out->len > max_len)
		return vg_err_set(err, VG_ETOOBIG, "%s frame of %u bytes exceeds the limit of %u",
				  vg_wire_type_name(out->type), out->len, max_len);
	return 0;
}

/* ---------------------------------------------------------------- building */

/* Where the record count sits in the raw layout: after idlen and the id. */
static size_t count_offset(const struct vg_wire_batch *b)
{
	return 1 + ((const uint8_t *)b->raw.data)[0];
}

void vg_wire_batch_init(struct vg_wire_batch *b, const char *agent_id, size_t max_raw,
			size_t max_events)
{
	memset(b, 0, sizeof(*b));
	vg_buf_init(&b->raw, max_raw);
	b->max_events = max_events;
	vg_wire_batch_reset(b, agent_id);
}

void vg_wire_batch_reset(struct vg_wire_batch *b, const char *agent_id)
{
	size_t idlen = strnlen(agent_id, VG_WIRE_ID_MAX);
	uint8_t head[1 + VG_WIRE_ID_MAX + 4] = {(uint8_t)idlen};

	memcpy(head + 1, agent_id, idlen);
	vg_buf_reset(&b->raw);
	b->count = 0;
	b->last_id = 0;
	/* the bound always holds a header: vg_wire_batch_init's max_raw is far larger */
	if (vg_buf_append(&b->raw, head, 1 + idlen + 4) != 0)
		vg_buf_truncate(&b->raw, 0);
}

void vg_wire_batch_free(struct vg_wire_batch *b)
{
	vg_buf_free(&b->raw);
}

int vg_wire_batch_add(struct vg_wire_batch *b, uint64_t id, const void *data, size_t len,
		      struct vg_err *err)
{
	uint8_t rec[REC_HDR];
	size_t mark = b->raw.len;

	if (b->raw.len == 0)
		return vg_err_set(err, VG_ETOOBIG, "batch bound too small for its header");
	if (b->count > 0 && id <= b->last_id)
		return vg_err_set(err, VG_EPARSE, "event id %llu not above %llu",
				  (unsigned long long)id, (unsigned long long)b->last_id);
	if (b->count >= b->max_events || len > UINT32_MAX)
		return vg_err_set(err, VG_ETOOBIG, "batch full");
	vg_wire_u64_encode(rec, id);
	put_u32(rec + 8, (uint32_t)len);
	if (vg_buf_append(&b->raw, rec, sizeof(rec)) != 0 ||
	    vg_buf_append(&b->raw, data, len) != 0) {
		vg_buf_truncate(&b->raw, mark);
		return vg_err_set(err, VG_ETOOBIG, "batch full");
	}
	b->count++;
	b->last_id = id;
	put_u32((uint8_t *)b->raw.data + count_offset(b), (uint32_t)b->count);
	return 0;
}

static int frame_header(struct vg_buf *frame, unsigned flags, size_t len, uint32_t max_frame,
			struct vg_err *err)
{
	uint8_t hdr[VG_WIRE_HDR_LEN];

	if (len > max_frame)
		return vg_err_set(err, VG_ETOOBIG, "BATCH frame of %zu bytes exceeds %u", len,
				  max_frame);
	vg_wire_hdr_encode(hdr, VG_WIRE_BATCH, flags, (uint32_t)len);
	vg_buf_reset(frame);
	if (vg_buf_append(frame, hdr, sizeof(hdr)) != 0)
		return vg_err_set(err, VG_ETOOBIG, "frame buffer too small");
	return 0;
}

int vg_wire_batch_frame(const struct vg_wire_batch *b, int level, uint32_t max_frame,
			struct vg_buf *frame, struct vg_err *err)
{
	int rc;

	if (level == 0) {
		rc = frame_header(frame, 0, b->raw.len, max_frame, err);
		if (rc == 0 && vg_buf_append(frame, b->raw.data, b->raw.len) != 0)
			rc = vg_err_set(err, VG_ETOOBIG, "frame buffer too small");
		return rc;
	}
	uLongf zlen = compressBound((uLong)b->raw.len);
	uint8_t *z = vg_xmalloc(RAW_LEN_BYTES + zlen);
	put_u32(z, (uint32_t)b->raw.len);
	if (compress2(z + RAW_LEN_BYTES, &zlen, (const Bytef *)b->raw.data, (uLong)b->raw.len,
		      level) != Z_OK) {
		rc = vg_err_set(err, VG_EINTERNAL, "zlib cannot compress the batch");
		goto out;
	}
	rc = frame_header(frame, VG_WIRE_F_ZLIB, RAW_LEN_BYTES + zlen, max_frame, err);
	if (rc == 0 && vg_buf_append(frame, z, RAW_LEN_BYTES + zlen) != 0)
		rc = vg_err_set(err, VG_ETOOBIG, "frame buffer too small");
out:
	vg_free(z);
	return rc;
}

/* ---------------------------------------------------------------- reading */

static int inflate_payload(const uint8_t *p, size_t len, size_t max_inflated,
			   struct vg_buf *scratch, struct vg_err *err)
{
	if (len < RAW_LEN_BYTES)
		return vg_err_set(err, VG_EPARSE, "compressed batch too short");
	uLongf raw = get_u32(p);
	if (raw > max_inflated)
		return vg_err_set(err, VG_ETOOBIG, "batch inflates to %lu bytes, over %zu",
				  (unsigned long)raw, max_inflated);
	void *dst;
	vg_buf_reset(scratch);
	if (vg_buf_extend(scratch, raw, &dst) != 0)
		return vg_err_set(err, VG_ETOOBIG, "batch too large for the buffer");
	uLongf got = raw;
	uLong srclen = (uLong)(len - RAW_LEN_BYTES);
	if (uncompress2(dst, &got, p + RAW_LEN_BYTES, &srclen) != Z_OK || got != raw ||
	    srclen != len - RAW_LEN_BYTES)
		return vg_err_set(err, VG_EPARSE, "corrupt compressed batch");
	return 0;
}

/* Check the batch's id and records once, so that next() cannot fail. */
static int validate(struct vg_wire_reader *r, size_t max_events, struct vg_err *err)
{
	const uint8_t *p = r->p, *end = r->end;

	if (end - p < 1 || p[0] == 0 || p[0] > VG_WIRE_ID_MAX || end - p < 1 + p[0] + 4)
		return vg_err_set(err, VG_EPARSE, "batch header truncated or bad agent id length");
	for (size_t i = 0; i < p[0]; i++)
		if (p[1 + i] <= ' ' || p[1 + i] > '~')
			return vg_err_set(err, VG_EPARSE, "batch agent id is not printable");
	memcpy(r->agent_id, p + 1, p[0]);
	r->agent_id[p[0]] = '\0';
	p += 1 + p[0];
	r->count = get_u32(p);
	p += 4;
	if (r->count == 0 || r->count > max_events)
		return vg_err_set(err, r->count == 0 ? VG_EPARSE : VG_ETOOBIG,
				  "batch of %zu events (1..%zu allowed)", r->count, max_events);
	r->p = p;
	r->left = r->count;
	uint64_t prev = 0;
	for (size_t i = 0; i < r->count; i++) {
		if ((size_t)(end - p) < REC_HDR)
			return vg_err_set(err, VG_EPARSE, "batch truncated at event %zu", i + 1);
		uint64_t id = get_u64(p);
		uint32_t len = get_u32(p + 8);
		if (id == 0 || (i > 0 && id <= prev))
			return vg_err_set(err, VG_EPARSE, "event ids must increase (event %zu)",
					  i + 1);
		if ((size_t)(end - p - REC_HDR) < len)
			return vg_err_set(err, VG_EPARSE, "event %zu overruns the batch", i + 1);
		prev = id;
		p += REC_HDR + len;
	}
	if (p != end)
		return vg_err_set(err, VG_EPARSE, "%zu stray bytes after the last event",
				  (size_t)(end - p));
	return 0;
}

int vg_wire_reader_open(struct vg_wire_reader *r, const void *payload, size_t len, unsigned flags,
			size_t max_inflated, size_t max_events, struct vg_buf *scratch,
			struct vg_err *err)
{
	memset(r, 0, sizeof(*r));
	r->p = payload;
	r->end = r->p + len;
	if (flags & VG_WIRE_F_ZLIB) {
		int rc = inflate_payload(payload, len, max_inflated, scratch, err);
		if (rc != 0)
			return rc;
		r->p = (const uint8_t *)scratch->data;
		r->end = r->p + scratch->len;
	} else if (len > max_inflated) {
		return vg_err_set(err, VG_ETOOBIG, "batch of %zu bytes, over %zu", len,
				  max_inflated);
	}
	int rc = validate(r, max_events, err);
	if (rc != 0)
		r->left = 0;
	return rc;
}

bool vg_wire_reader_next(struct vg_wire_reader *r, uint64_t *id, const void **data, size_t *len)
{
	if (r->left == 0)
		return false;
	*id = get_u64(r->p);
	*len = get_u32(r->p + 8);
	*data = r->p + REC_HDR;
	r->p += REC_HDR + *len;
	r->left--;
	r->prev_id = *id;
	return true;
}

/* ---------------------------------------------------------------- blocking I/O */

int vg_wire_send(struct vg_tls_conn *c, unsigned type, unsigned flags, const void *payload,
		 size_t len, int timeout_ms, struct vg_err *err)
{
	uint8_t hdr[VG_WIRE_HDR_LEN];
	struct vg_buf frame;
	int rc;

	if (len > VG_WIRE_FRAME_LIMIT)
		return vg_err_set(err, VG_ETOOBIG, "%s frame of %zu bytes", vg_wire_type_name(type),
				  len);
	vg_wire_hdr_encode(hdr, type, flags, (uint32_t)len);
	/* one write, so header and payload leave in one TLS record */
	vg_buf_init(&frame, VG_WIRE_HDR_LEN + len);
	if (vg_buf_append(&frame, hdr, sizeof(hdr)) != 0 ||
	    (len > 0 && vg_buf_append(&frame, payload, len) != 0))
		rc = vg_err_set(err, VG_EINTERNAL, "frame buffer");
	else
		rc = vg_wire_send_raw(c, &frame, timeout_ms, err);
	vg_buf_free(&frame);
	return rc;
}

int vg_wire_send_raw(struct vg_tls_conn *c, const struct vg_buf *frame, int timeout_ms,
		     struct vg_err *err)
{
	return vg_tls_write(c, frame->data, frame->len, timeout_ms, err);
}

int vg_wire_recv(struct vg_tls_conn *c, uint32_t max_len, int timeout_ms, struct vg_wire_hdr *h,
		 struct vg_buf *payload, struct vg_err *err)
{
	uint8_t hdr[VG_WIRE_HDR_LEN];
	int rc = vg_tls_read(c, hdr, sizeof(hdr), timeout_ms, err);

	vg_buf_reset(payload);
	if (rc == 0)
		rc = vg_wire_hdr_decode(hdr, max_len, h, err);
	if (rc != 0 || h->len == 0)
		return rc;
	void *p;
	if (vg_buf_extend(payload, h->len, &p) != 0)
		return vg_err_set(err, VG_ETOOBIG, "%s frame of %u bytes exceeds the buffer",
				  vg_wire_type_name(h->type), h->len);
	rc = vg_tls_read(c, p, h->len, timeout_ms, err);
	if (rc != 0)
		vg_buf_reset(payload);
	return rc;
}
