/*
 * json.h - Small helpers over jansson: bytes to JSON strings, base64, dumps
 * into capped buffers.
 *
 * JSON strings must be UTF-8, but paths, user names and tags are bytes.
 * The policy (docs/events.md): valid UTF-8 passes unchanged; otherwise each
 * byte that does not start a valid sequence becomes U+FFFD, and the caller
 * may add the exact bytes in base64 under a separate key. Every function is
 * pure (no state), so any thread may call them.
 */
#ifndef VG_JSON_H
#define VG_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"

/*
 * Append s[0..len) to out as valid UTF-8: valid sequences are copied, every
 * other byte becomes U+FFFD (EF BF BD). VG_ETOOBIG (out unchanged) past the
 * buffer's cap.
 */
int vg_utf8_lossy(struct vg_buf *out, const char *s, size_t len) VG_MUST_CHECK;

/*
 * A new jansson string holding s[0..len) (unchanged when valid UTF-8, else
 * the lossy conversion above). NUL bytes are kept. Returns NULL only when
 * jansson runs out of memory. The caller owns the reference.
 */
json_t *vg_json_string_lossy(const char *s, size_t len);

/* Append the standard base64 (RFC 4648, padded, no newlines) of data. */
int vg_base64_encode(struct vg_buf *out, const void *data, size_t len) VG_MUST_CHECK;

/*
 * Decode strict standard base64 (padded, no white space) of at most outsz
 * bytes into out; *n receives the length. VG_EPARSE for anything else.
 */
int vg_base64_decode(const char *s, size_t len, unsigned char *out, size_t outsz,
		     size_t *n) VG_MUST_CHECK;

/*
 * Append the compact serialisation of j (JSON_COMPACT, keys in insertion
 * order) to out. On failure (VG_ETOOBIG past the cap, VG_EINTERNAL if
 * jansson fails) out is left as it was and err says why.
 */
int vg_json_dump(struct vg_buf *out, const json_t *j, struct vg_err *err) VG_MUST_CHECK;

#endif
