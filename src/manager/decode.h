/*
 * decode.h - The decoder dispatcher: one received record in, the struct
 * an_event the rule engine reads out (docs/decoders.md).
 *
 * It picks the decoder the way Wazuh 4.x analysisd does for what Vigie
 * receives, first match wins:
 *
 *   1. location "syscheck" and a line starting with '{': the FIM decoder
 *      (decode_syscheck.h). Events get decoder syscheck_new_entry /
 *      syscheck_integrity_changed / syscheck_deleted, the "syscheck" object,
 *      the FIM fields and full_log; Vigie's overflow notice gets decoder
 *      "ossec" with log = full_log = its "ossec: ..." message (rule 560);
 *      scan markers get decoder NULL and kind AN_DECODED_SCAN_START/END:
 *      they are bookkeeping and must raise no alert.
 *   2. "ossec: ..." (0200-ossec_decoders.xml, prematch ^ossec: ): decoder
 *      "ossec", no fields.
 *   3. "YYYY/MM/DD HH:MM:SS active-response/bin/NAME: {json}..."
 *      (0375-active-response_decoders.xml): decoder "ar_log_json", the JSON
 *      after the prefix decoded as below (rules 650 / 657).
 *   4. '{', optional white space, '"' (0006-json_decoders.xml, prematch
 *      ^{\s*"): decoder "json", fields and "data" from decode_json.h.
 *   5. anything else: decoder NULL (rules without <decoded_as> may still
 *      match its text).
 * Except for FIM events, log and full_log are the whole line (one trailing
 * "\n" or "\r\n" removed). A line that is not valid UTF-8 is first made valid
 * (each bad byte becomes U+FFFD, lib/json.h), so full_log always is.
 *
 * Errors: a NUL byte in the line, or malformed input in a known format
 * (a syscheck or JSON line that does not parse, a bad active-response JSON)
 * is VG_EPARSE; a line over AN_DECODE_MAX_LINE or a cap of decode_json.h is
 * VG_ETOOBIG. The caller logs the message and skips the record.
 *
 * Speed: a result can be reused for the next record (an_decode_into), which
 * keeps its buffers and field map, so a steady stream allocates little more
 * than the JSON parse itself.
 *
 * Thread model: a result belongs to one thread; any number of threads may
 * decode into their own results at once.
 */
#ifndef AN_DECODE_H
#define AN_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "manager/decode_json.h"
#include "manager/decode_syscheck.h"
#include "manager/event.h"

#define AN_DECODE_MAX_LINE AN_JSON_MAX_INPUT /* bytes of one record */
#define AN_DECODE_MAX_SOURCE 4096u           /* bytes of each an_source string */

/* Decoder names, as rules see them in <decoded_as> and alerts in decoder.name. */
#define AN_DECODER_OSSEC "ossec"
#define AN_DECODER_JSON "json"
#define AN_DECODER_AR_JSON "ar_log_json"

/* Where a record comes from (Wazuh's "[id] (name) ip->location"). */
struct an_source {
	const char *agent_id;   /* "000" for the manager itself; NULL is "000" */
	const char *agent_name; /* NULL is "" */
	const char *agent_ip;   /* NULL: the alert has no agent.ip */
	const char *location;   /* "syscheck", "virustotal", a log file...; NULL is "" */
};

enum an_decoded_kind {
	AN_DECODED_EVENT,      /* goes to the rule engine */
	AN_DECODED_SCAN_START, /* FIM scan markers: no rule, no alert */
	AN_DECODED_SCAN_END,
};

struct an_decoded;

/* A new empty result, for an_decode_into. Never NULL (aborts on OOM). */
struct an_decoded *an_decoded_new(void);

/* Free a result. NULL is allowed. */
void an_decoded_free(struct an_decoded *d);

/*
 * Decode line[0..len) received from src at time_ms (ms since the epoch)
 * into d, replacing what d held (pointers from the previous record die).
 * The result copies everything it needs: src and line may be freed after.
 * On failure d holds an empty event and err says why.
 */
int an_decode_into(struct an_decoded *d, const struct an_source *src, const char *line, size_t len,
		   int64_t time_ms, struct vg_err *err) VG_MUST_CHECK;

/*
 * Same, into a new result: on success *out belongs to the caller (free with
 * an_decoded_free); on failure *out is NULL.
 */
int an_decode(const struct an_source *src, const char *line, size_t len, int64_t time_ms,
	      struct an_decoded **out, struct vg_err *err) VG_MUST_CHECK;

/* The event (fields never NULL). Borrowed until d is reused or freed. */
const struct an_event *an_decoded_event(const struct an_decoded *d);

/* Whether the record is an event for the rules or a FIM scan marker. */
enum an_decoded_kind an_decoded_kind(const struct an_decoded *d);

/*
 * The FIM decoder's result for syscheck records (events, overflow notice,
 * markers: an_syscheck_timestamp gives a marker's time), NULL otherwise.
 * Borrowed like the event.
 */
const struct an_syscheck *an_decoded_syscheck(const struct an_decoded *d);

#endif
