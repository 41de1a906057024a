/*
 * wire.h - Vigie's agent <-> manager protocol: frames, event batches and
 * their blocking send/receive (docs/transport.md is the full contract).
 *
 * Both ports (events on 1514, enrollment on 1515) carry the same frames
 * inside TLS 1.3: an 8-byte header (version, type, flags, payload length,
 * big endian) and a payload. Control frames hold one JSON object; a BATCH
 * holds events in a binary layout, zlib-compressed when VG_WIRE_F_ZLIB is
 * set (then the payload is the inflated length as a u32 followed by the
 * zlib stream). Everything a peer sends is bounded before it is allocated:
 * the header's length against the receiver's frame cap, the inflated size
 * against its own cap, each record against the rest of the payload.
 *
 * A batch (raw, i.e. inflated):
 *   u8 idlen, idlen bytes: the agent id the sender claims ("001");
 *   u32 count; count records of: u64 event id, u32 len, len bytes of data.
 * Event ids increase strictly within a batch (and across an agent's
 * batches: the manager drops an id it has already taken). A record's data
 * is the event queue's "location\nline" (manager/evqueue.h).
 *
 * The encoder and the decoder are pure (no I/O) so that they can be
 * fuzzed; vg_wire_send / vg_wire_recv add the blocking I/O of a client
 * connection (lib/tls.h). Threads: a batch or connection belongs to one
 * thread.
 */
#ifndef VG_WIRE_H
#define VG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

struct vg_tls_conn;

#define VG_WIRE_VERSION 1
#define VG_WIRE_HDR_LEN 8
#define VG_WIRE_ID_MAX 24 /* agent id text */

/* Default bounds (the manager announces its own in WELCOME). */
#define VG_WIRE_CONTROL_MAX (64u * 1024u)         /* a JSON control frame */
#define VG_WIRE_FRAME_MAX (1024u * 1024u)         /* a (compressed) batch frame */
#define VG_WIRE_INFLATED_MAX (8u * 1024u * 1024u) /* a batch once inflated */
#define VG_WIRE_EVENTS_MAX 10000u                 /* records in one batch */
#define VG_WIRE_FRAME_LIMIT (64u * 1024u * 1024u) /* no receiver accepts more */

enum vg_wire_type {
	VG_WIRE_HELLO = 1,       /* agent -> manager: who I am (JSON) */
	VG_WIRE_WELCOME = 2,     /* manager -> agent: bounds, last event id taken (JSON) */
	VG_WIRE_BATCH = 3,       /* agent -> manager: events (binary, see above) */
	VG_WIRE_ACK = 4,         /* manager -> agent: u64 highest event id durable */
	VG_WIRE_KEEPALIVE = 5,   /* agent -> manager: version, config sum (JSON) */
	VG_WIRE_PONG = 6,        /* manager -> agent: keepalive answer (empty) */
	VG_WIRE_COMMAND = 7,     /* manager -> agent: a command (JSON with "id") */
	VG_WIRE_COMMAND_ACK = 8, /* agent -> manager: u64 command id done */
	VG_WIRE_ERROR = 9,       /* either way: {"error":"why"}, then close */
	VG_WIRE_ENROLL = 10,     /* agent -> manager on 1515 (JSON) */
	VG_WIRE_ENROLLED = 11,   /* manager -> agent on 1515: id, cert, ca (JSON) */
};

#define VG_WIRE_F_ZLIB 0x01u

struct vg_wire_hdr {
	uint8_t type;  /* enum vg_wire_type */
	uint8_t flags; /* VG_WIRE_F_* */
	uint32_t len;  /* payload bytes */
};

/* The name of a frame type for logs ("BATCH"), "unknown" otherwise. */
const char *vg_wire_type_name(unsigned type);

void vg_wire_hdr_encode(uint8_t out[VG_WIRE_HDR_LEN], unsigned type, unsigned flags, uint32_t len);

/*
 * Decode a header: another version, an unknown type or flag is VG_EPARSE;
 * a length above max_len is VG_ETOOBIG (the message gives both numbers).
 */
int vg_wire_hdr_decode(const uint8_t in[VG_WIRE_HDR_LEN], uint32_t max_len, struct vg_wire_hdr *out,
		       struct vg_err *err) VG_MUST_CHECK;

/* ---- Batches: building (agent, load tool) ------------------------------------------ */

struct vg_wire_batch {
	struct vg_buf raw; /* the raw layout being built */
	size_t count;      /* records added */
	size_t max_events; /* bound on count */
	uint64_t last_id;  /* highest event id added */
};

/*
 * Start a batch for agent_id holding at most max_raw raw bytes and
 * max_events records. Reusable: vg_wire_batch_reset starts it over.
 */
void vg_wire_batch_init(struct vg_wire_batch *b, const char *agent_id, size_t max_raw,
			size_t max_events);
void vg_wire_batch_reset(struct vg_wire_batch *b, const char *agent_id);
void vg_wire_batch_free(struct vg_wire_batch *b);

/*
 * Add one record. VG_ETOOBIG when it does not fit the bounds (the batch is
 * unchanged: send it and start another); VG_EPARSE when id is not above the
 * previous one.
 */
int vg_wire_batch_add(struct vg_wire_batch *b, uint64_t id, const void *data, size_t len,
		      struct vg_err *err) VG_MUST_CHECK;

/*
 * The whole BATCH frame (header included) into frame (reset first),
 * deflated at zlib level level (0 = stored uncompressed, no flag).
 * VG_ETOOBIG when the frame would exceed max_frame.
 */
int vg_wire_batch_frame(const struct vg_wire_batch *b, int level, uint32_t max_frame,
			struct vg_buf *frame, struct vg_err *err) VG_MUST_CHECK;

/* ---- Batches: reading (manager) ------------------------------------------------------ */

struct vg_wire_reader {
	const uint8_t *p, *end; /* records not yet read */
	size_t left;            /* records not yet read */
	uint64_t prev_id;
	char agent_id[VG_WIRE_ID_MAX + 1];
	size_t count; /* records in the batch */
};

/*
 * Open a BATCH payload (flags from its header). A compressed payload is
 * inflated into scratch (reset first; the reader then points into it), at
 * most max_inflated bytes. The whole batch is validated here: the claimed
 * id (printable, 1..VG_WIRE_ID_MAX), the count (1..max_events), every
 * record's length, strictly increasing ids, nothing after the last record.
 * VG_EPARSE or VG_ETOOBIG with the reason; on success vg_wire_reader_next
 * cannot fail.
 */
int vg_wire_reader_open(struct vg_wire_reader *r, const void *payload, size_t len, unsigned flags,
			size_t max_inflated, size_t max_events, struct vg_buf *scratch,
			struct vg_err *err) VG_MUST_CHECK;

/* The next record (data borrowed from the payload or scratch); false at the end. */
bool vg_wire_reader_next(struct vg_wire_reader *r, uint64_t *id, const void **data, size_t *len);

/* ---- Blocking frame I/O on a client connection ---------------------------------------- */

/* Send one frame (header + payload) within timeout_ms. */
int vg_wire_send(struct vg_tls_conn *c, unsigned type, unsigned flags, const void *payload,
		 size_t len, int timeout_ms, struct vg_err *err) VG_MUST_CHECK;

/* Send a frame already encoded with its header (vg_wire_batch_frame). */
int vg_wire_send_raw(struct vg_tls_conn *c, const struct vg_buf *frame, int timeout_ms,
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Receive one frame of at most max_len payload bytes into payload (reset
 * first; NUL-terminated for JSON's sake). A peer's ERROR frame is returned
 * like any other: the caller decides.
 */
int vg_wire_recv(struct vg_tls_conn *c, uint32_t max_len, int timeout_ms, struct vg_wire_hdr *h,
		 struct vg_buf *payload, struct vg_err *err) VG_MUST_CHECK;

/* A u64 payload (ACK, COMMAND_ACK): encode into 8 bytes, decode from len == 8. */
void vg_wire_u64_encode(uint8_t out[8], uint64_t v);
int vg_wire_u64_decode(const void *payload, size_t len, uint64_t *v,
		       struct vg_err *err) VG_MUST_CHECK;

#endif
