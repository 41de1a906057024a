/*
 * json.c - Bytes to JSON strings (lossy UTF-8), base64, and jansson dumps
 * into capped vg_buf buffers.
 *
 * Invariant: whatever bytes come in, what goes out is valid UTF-8, so the
 * JSON we emit always parses (DESIGN.md invariant 4). Stateless.
 */
#include "lib/json.h"

#include <stdbool.h>
#include <stdint.h>

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/mem.h"
#include "lib/str.h"

static const char utf8_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Length a sequence starting with lead byte c would have; 0 if c cannot lead. */
static size_t utf8_lead_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0; /* continuation byte, overlong lead (c0/c1) or beyond U+10FFFF */
}

int vg_utf8_lossy(struct vg_buf *out, const char *s, size_t len)
{
	size_t start = out->len;
	size_t i = 0;
	int rc = 0;

	if (vg_utf8_valid(s, len))
		return vg_buf_append(out, s, len);
	while (i < len && rc == 0) {
		size_t n = utf8_lead_len((unsigned char)s[i]);
		/* vg_utf8_valid rejects overlongs, surrogates and bad continuations */
		if (n > 0 && n <= len - i && vg_utf8_valid(s + i, n)) {
			rc = vg_buf_append(out, s + i, n);
			i += n;
		} else {
			rc = vg_buf_append(out, utf8_replacement, sizeof(utf8_replacement) - 1);
			i++;
		}
	}
	if (rc != 0)
		vg_buf_truncate(out, start);
	return rc;
}

json_t *vg_json_string_lossy(const char *s, size_t len)
{
	struct vg_buf b;
	json_t *j = NULL;

	if (vg_utf8_valid(s, len))
		return json_stringn(s, len);
	/* each byte grows to at most 3: the cap cannot be hit unless len overflows */
	vg_buf_init(&b, len <= SIZE_MAX / 3 - 1 ? len * 3 + 1 : SIZE_MAX - 1);
	if (vg_utf8_lossy(&b, s, len) == 0)
		j = json_stringn(vg_buf_cstr(&b), b.len);
	vg_buf_free(&b);
	return j;
}

int vg_base64_encode(struct vg_buf *out, const void *data, size_t len)
{
	/* 768 input bytes give exactly 1024 output characters, no padding */
	enum { CHUNK = 768 };
	unsigned char enc[CHUNK / 3 * 4 + 1];
	const unsigned char *p = data;
	size_t start = out->len;
	int rc = 0;

	while (len > 0 && rc == 0) {
		size_t n = len < CHUNK ? len : CHUNK;
		int m = EVP_EncodeBlock(enc, p, (int)n);
		rc = m < 0 ? VG_EINTERNAL : vg_buf_append(out, enc, (size_t)m);
		p += n;
		len -= n;
	}
	if (rc != 0)
		vg_buf_truncate(out, start);
	return rc;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int vg_base64_decode(const char *s, size_t len, unsigned char *out, size_t outsz, size_t *n)
{
	unsigned char *tmp;
	size_t pad = 0;
	bool ok;
	int got;

	*n = 0;
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > outsz + 2)
		return VG_EPARSE;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char(s[i]))
			return VG_EPARSE;
	tmp = vg_xmalloc(len / 4 * 3);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	ok = got >= 0 && (size_t)got >= pad && (size_t)got - pad <= outsz;
	if (ok) {
		*n = (size_t)got - pad;
		memcpy(out, tmp, *n);
	}
	OPENSSL_cleanse(tmp, len / 4 * 3); /* it may hold a password */
	vg_free(tmp);
	return ok ? 0 : VG_EPARSE;
}

struct dump_ctx {
	struct vg_buf *out;
	int rc;
};

static int dump_cb(const char *buffer, size_t size, void *data)
{
	struct dump_ctx *ctx = data;
	ctx->rc = vg_buf_append(ctx->out, buffer, size);
	return ctx->rc == 0 ? 0 : -1;
}

int vg_json_dump(struct vg_buf *out, const json_t *j, struct vg_err *err)
{
	struct dump_ctx ctx = {out, 0};
	size_t start = out->len;
	int rc = 0;

	if (json_dump_callback(j, dump_cb, &ctx, JSON_COMPACT) != 0) {
		vg_buf_truncate(out, start);
		if (ctx.rc == VG_ETOOBIG)
			rc = vg_err_set(err, VG_ETOOBIG, "JSON document over the %zu-byte limit",
					out->max);
		else
			rc = vg_err_set(err, VG_EINTERNAL, "JSON serialisation failed");
	}
	return rc;
}
