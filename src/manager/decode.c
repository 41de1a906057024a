/*
 * decode.c - The decoder dispatcher (see decode.h for the rules it follows).
 *
 * A result owns one text buffer holding, NUL-separated, copies of the source
 * strings and of the line (made valid UTF-8), and the event's string
 * pointers are computed into it once it is complete (the buffer may move
 * while it grows). The field map and the buffer survive a reset, so reusing
 * a result costs no allocation for them. The FIM decoder's result and the
 * JSON "data" object are the only per-record allocations besides the field
 * entries themselves. Stateless apart from the result: reentrant.
 */
#include "manager/decode.h"

#include <stdbool.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/str.h"

#define SYSCHECK_LOCATION "syscheck"
#define OSSEC_PREFIX "ossec: "
#define AR_BIN "active-response/bin/"

/* Room for the line made valid (a bad byte grows to 3), the four source
 * strings and their NULs. */
#define TEXT_MAX (3u * AN_DECODE_MAX_LINE + 4u * (AN_DECODE_MAX_SOURCE + 1u) + 1u)

struct an_decoded {
	struct an_event ev;
	enum an_decoded_kind kind;
	struct an_fields *fields; /* json and plain records; reused */
	struct an_syscheck *sc;   /* syscheck records */
	json_t *data;             /* json and ar_log_json records */
	struct vg_buf text;       /* source strings and line, NUL-separated */
};

/* Offsets into text, turned into pointers once text stops growing. */
struct layout {
	size_t agent_id, agent_name, agent_ip, location, line, line_len;
	bool has_ip;
};

struct an_decoded *an_decoded_new(void)
{
	struct an_decoded *d = vg_xcalloc(1, sizeof(*d));

	d->fields = an_fields_new();
	vg_buf_init(&d->text, TEXT_MAX);
	d->ev.fields = d->fields;
	return d;
}

void an_decoded_free(struct an_decoded *d)
{
	if (d == NULL)
		return;
	an_syscheck_free(d->sc);
	json_decref(d->data);
	an_fields_free(d->fields);
	vg_buf_free(&d->text);
	vg_free(d);
}

static void reset(struct an_decoded *d)
{
	an_syscheck_free(d->sc);
	d->sc = NULL;
	json_decref(d->data);
	d->data = NULL;
	an_fields_clear(d->fields);
	vg_buf_reset(&d->text);
	memset(&d->ev, 0, sizeof(d->ev));
	d->ev.fields = d->fields;
	d->kind = AN_DECODED_EVENT;
}

/* ---- Copying the record in ----------------------------------------------- */

static int put_string(struct an_decoded *d, const char *what, const char *s, size_t *off,
		      struct vg_err *err)
{
	size_t len = strlen(s);

	if (len > AN_DECODE_MAX_SOURCE)
		return vg_err_set(err, VG_ETOOBIG, "decode: %s over %u bytes", what,
				  AN_DECODE_MAX_SOURCE);
	*off = d->text.len;
	if (vg_buf_append(&d->text, s, len) != 0 || vg_buf_putc(&d->text, '\0') != 0)
		return vg_err_set(err, VG_ETOOBIG, "decode: record over %u bytes", TEXT_MAX);
	return 0;
}

static int put_source(struct an_decoded *d, const struct an_source *src, struct layout *lay,
		      struct vg_err *err)
{
	static const struct an_source none = {NULL, NULL, NULL, NULL};
	int rc;

	if (src == NULL)
		src = &none;
	lay->has_ip = src->agent_ip != NULL;
	if ((rc = put_string(d, "agent id", src->agent_id ? src->agent_id : "000", &lay->agent_id,
			     err)) != 0 ||
	    (rc = put_string(d, "agent name", src->agent_name ? src->agent_name : "",
			     &lay->agent_name, err)) != 0 ||
	    (rc = put_string(d, "agent ip", src->agent_ip ? src->agent_ip : "", &lay->agent_ip,
			     err)) != 0)
		return rc;
	return put_string(d, "location", src->location ? src->location : "", &lay->location, err);
}

/* The line, made valid UTF-8, then a NUL. */
static int put_line(struct an_decoded *d, const char *line, size_t len, struct layout *lay,
		    struct vg_err *err)
{
	int rc;

	lay->line = d->text.len;
	if (vg_utf8_valid(line, len))
		rc = vg_buf_append(&d->text, line, len);
	else
		rc = vg_utf8_lossy(&d->text, line, len);
	if (rc == 0)
		rc = vg_buf_putc(&d->text, '\0');
	if (rc != 0)
		return vg_err_set(err, VG_ETOOBIG, "decode: record over %u bytes", TEXT_MAX);
	lay->line_len = d->text.len - 1 - lay->line;
	return 0;
}

static void point_event(struct an_decoded *d, const struct layout *lay, int64_t time_ms)
{
	const char *t = d->text.data;

	d->ev.time_ms = time_ms;
	d->ev.agent_id = t + lay->agent_id;
	d->ev.agent_name = t + lay->agent_name;
	d->ev.agent_ip = lay->has_ip ? t + lay->agent_ip : NULL;
	d->ev.location = t + lay->location;
}

/* ---- Recognising the formats --------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Length of ar_log_json's prematch
 * ^\d\d\d\d/\d\d/\d\d \d\d:\d\d:\d\d active-response/bin/\S+:
 * at the start of s, or 0 when it does not match.
 */
static size_t ar_prefix_len(const char *s, size_t len)
{
	static const char shape[] = "dddd/dd/dd dd:dd:dd ";
	size_t n = sizeof(shape) - 1;
	size_t end;

	if (len < n + sizeof(AR_BIN) - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return 0;
	if (memcmp(s + n, AR_BIN, sizeof(AR_BIN) - 1) != 0)
		return 0;
	n += sizeof(AR_BIN) - 1;
	for (end = n; end < len && !is_space(s[end]); end++)
		;
	/* \S+ then ": ": at least one character before the colon. */
	if (end - n < 2 || s[end - 1] != ':' || end >= len || s[end] != ' ')
		return 0;
	return end + 1;
}

/* The json decoder's prematch: ^{\s*" */
static bool looks_like_json(const char *s, size_t len)
{
	size_t i = 1;

	if (len == 0 || s[0] != '{')
		return false;
	while (i < len && is_space(s[i]))
		i++;
	return i < len && s[i] == '"';
}

/* ---- The decoders -------------------------------------------------------- */

static int decode_syscheck(struct an_decoded *d, const char *line, size_t len, struct vg_err *err)
{
	int rc = an_syscheck_decode(line, len, &d->sc, err);

	if (rc != 0)
		return rc;
	switch (an_syscheck_kind(d->sc)) {
	case AN_SYSCHECK_SCAN_START:
		d->kind = AN_DECODED_SCAN_START;
		break;
	case AN_SYSCHECK_SCAN_END:
		d->kind = AN_DECODED_SCAN_END;
		break;
	case AN_SYSCHECK_EVENT:
	case AN_SYSCHECK_OVERFLOW:
		d->kind = AN_DECODED_EVENT;
		break;
	}
	d->ev.decoder = an_syscheck_decoder(d->sc);
	d->ev.full_log = an_syscheck_full_log(d->sc);
	d->ev.log = d->ev.full_log;
	d->ev.syscheck = an_syscheck_block_text(d->sc, &d->ev.syscheck_len);
	d->ev.fim = *an_syscheck_keys(d->sc);
	d->ev.fields = an_syscheck_fields(d->sc);
	return 0;
}

/* Every other format, on the line already copied (valid UTF-8) into text. */
static int decode_text(struct an_decoded *d, const char *s, size_t len, struct vg_err *err)
{
	size_t skip;
	int rc = 0;

	d->ev.log = s;
	d->ev.full_log = s;
	if (len >= sizeof(OSSEC_PREFIX) - 1 &&
	    memcmp(s, OSSEC_PREFIX, sizeof(OSSEC_PREFIX) - 1) == 0) {
		d->ev.decoder = AN_DECODER_OSSEC;
	} else if ((skip = ar_prefix_len(s, len)) > 0) {
		d->ev.decoder = AN_DECODER_AR_JSON;
		rc = an_json_decode(s + skip, len - skip, d->fields, &d->data, err);
	} else if (looks_like_json(s, len)) {
		d->ev.decoder = AN_DECODER_JSON;
		rc = an_json_decode(s, len, d->fields, &d->data, err);
	}
	d->ev.data = d->data;
	return rc;
}

int an_decode_into(struct an_decoded *d, const struct an_source *src, const char *line, size_t len,
		   int64_t time_ms, struct vg_err *err)
{
	struct layout lay = {0};
	bool syscheck;
	int rc;

	reset(d);
	if (line == NULL) {
		rc = vg_err_set(err, VG_EPARSE, "decode: no line");
		goto out;
	}
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > AN_DECODE_MAX_LINE) {
		rc = vg_err_set(err, VG_ETOOBIG, "decode: line of %zu bytes (max %u)", len,
				AN_DECODE_MAX_LINE);
		goto out;
	}
	if (memchr(line, '\0', len) != NULL) {
		rc = vg_err_set(err, VG_EPARSE, "decode: NUL byte in the line");
		goto out;
	}
	if ((rc = put_source(d, src, &lay, err)) != 0)
		goto out;
	syscheck = strcmp(d->text.data + lay.location, SYSCHECK_LOCATION) == 0 && len > 0 &&
		   line[0] == '{';
	if (!syscheck && (rc = put_line(d, line, len, &lay, err)) != 0)
		goto out;
	point_event(d, &lay, time_ms); /* text is complete: pointers are stable */
	if (syscheck)
		rc = decode_syscheck(d, line, len, err);
	else
		rc = decode_text(d, d->text.data + lay.line, lay.line_len, err);
out:
	if (rc != 0)
		reset(d);
	return rc;
}

int an_decode(const struct an_source *src, const char *line, size_t len, int64_t time_ms,
	      struct an_decoded **out, struct vg_err *err)
{
	struct an_decoded *d = an_decoded_new();
	int rc = an_decode_into(d, src, line, len, time_ms, err);

	*out = NULL;
	if (rc != 0) {
		an_decoded_free(d);
		return rc;
	}
	*out = d; /* transferred */
	return 0;
}

const struct an_event *an_decoded_event(const struct an_decoded *d)
{
	return &d->ev;
}

enum an_decoded_kind an_decoded_kind(const struct an_decoded *d)
{
	return d->kind;
}

const struct an_syscheck *an_decoded_syscheck(const struct an_decoded *d)
{
	return d->sc;
}
