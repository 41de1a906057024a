/*
 * decode_syscheck.h - The manager's FIM decoder: one agent syscheck JSON
 * line in, what Wazuh 4.x analysisd makes of it out.
 *
 * Input: one line of docs/events.md ({"type":"event","data":{...}}, the scan
 * markers, or Vigie's overflow notice). Output, for a file event, exactly
 * what analysisd's decode_fim_event / fim_generate_alert / the syscheck part
 * of Eventinfo_to_jsonstr produce (reference §3, §8.1; docs/alerts.md
 * "FIM alerts"):
 *   - the decoder name: syscheck_new_entry, syscheck_integrity_changed,
 *     syscheck_deleted (rules 554, 550, 553 use <decoded_as>);
 *   - full_log: "File '<path>' <event>\nMode: <mode>\n" + "Changed
 *     attributes: ..." + the change lines, with Wazuh's wording and order;
 *   - the alert's "syscheck" object (path, mode, X_before and X_after, tags,
 *     changed_attributes, event, audit), Vigie's extra keys after Wazuh's;
 *   - the decoded fields (Wazuh's names: file, size, size_before, md5, ...).
 * The overflow notice decodes as the plain log line Wazuh's agent sends
 * ("ossec: Real-time inotify kernel queue is full..."): decoder "ossec",
 * full_log = the message, no syscheck object, so rule 560 (if_sid 500 +
 * match) fires on it. Scan markers carry only their timestamp.
 *
 * Malformed input (not JSON, not an object, unknown type, missing or
 * mistyped member, a string over AN_SYSCHECK_MAX_STRING, a line over
 * AN_SYSCHECK_MAX_LINE) is VG_EPARSE with a message naming the member.
 * Unknown members are ignored, so newer agents stay readable.
 *
 * Stateless and reentrant: any thread may decode; a result belongs to the
 * thread that holds it. mtime_* is formatted in the process's local time
 * zone (localtime_r), as Wazuh does.
 */
#ifndef AN_DECODE_SYSCHECK_H
#define AN_DECODE_SYSCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"
#include "manager/event.h"
#include "manager/fields.h"

#define AN_SYSCHECK_MAX_LINE (256u * 1024u)  /* one event line, bytes */
#define AN_SYSCHECK_MAX_STRING (64u * 1024u) /* one JSON string member, bytes */

/* Wazuh's decoder names (analysisd/rules.h FIM_NEW / FIM_MOD / FIM_DEL). */
#define AN_SYSCHECK_DECODER_NEW "syscheck_new_entry"
#define AN_SYSCHECK_DECODER_MOD "syscheck_integrity_changed"
#define AN_SYSCHECK_DECODER_DEL "syscheck_deleted"
/* The decoder of "ossec: ..." log lines (0200-ossec_decoders.xml). */
#define AN_SYSCHECK_DECODER_OSSEC "ossec"

enum an_syscheck_kind {
	AN_SYSCHECK_EVENT,      /* a file added / modified / deleted */
	AN_SYSCHECK_SCAN_START, /* {"type":"scan_start"} */
	AN_SYSCHECK_SCAN_END,   /* {"type":"scan_end"} */
	AN_SYSCHECK_OVERFLOW,   /* Vigie's lost-event notice (rule 560's text) */
};

enum an_syscheck_event {
	AN_SYSCHECK_ADDED,
	AN_SYSCHECK_MODIFIED,
	AN_SYSCHECK_DELETED,
};

struct an_syscheck;

/*
 * Decode json[0..len) (no trailing newline needed; one is tolerated). On
 * success *out is a new result the caller frees with an_syscheck_free; on
 * failure *out is NULL, VG_EPARSE is returned and err says why.
 */
int an_syscheck_decode(const char *json, size_t len, struct an_syscheck **out,
		       struct vg_err *err) VG_MUST_CHECK;

/* Free a result. NULL is allowed. */
void an_syscheck_free(struct an_syscheck *s);

enum an_syscheck_kind an_syscheck_kind(const struct an_syscheck *s);

/* For AN_SYSCHECK_EVENT: added, modified or deleted (else AN_SYSCHECK_ADDED). */
enum an_syscheck_event an_syscheck_event(const struct an_syscheck *s);

/*
 * The decoder name rules see (<decoded_as>, alert "decoder.name"):
 * AN_SYSCHECK_DECODER_NEW/MOD/DEL for events, AN_SYSCHECK_DECODER_OSSEC for
 * the overflow notice, NULL for scan markers (they raise no alert).
 */
const char *an_syscheck_decoder(const struct an_syscheck *s);

/* The alert's full_log (valid UTF-8), or NULL for scan markers. Borrowed. */
const char *an_syscheck_full_log(const struct an_syscheck *s);

/*
 * The alert's "syscheck" object for events (keys in Wazuh's order, Vigie's
 * path_b64 / hash_state / hash_state_before last) as the JSON text the
 * alert carries ("{...}", strings escaped by an_alert_json_string), *len
 * bytes; NULL (and *len 0) otherwise. Borrowed.
 */
const char *an_syscheck_block_text(const struct an_syscheck *s, size_t *len);

/*
 * The same object as jansson reads that text, NULL when there is none:
 * parsed on the first call (tests and tools; the pipeline uses the text).
 * Borrowed: json_incref it to keep it past an_syscheck_free; do not modify it.
 */
json_t *an_syscheck_block(struct an_syscheck *s);

/* What the alert store indexes of the object (members NULL when absent). Borrowed. */
const struct an_fim_keys *an_syscheck_keys(const struct an_syscheck *s);

/* The decoded fields (never NULL; empty for markers and overflow). Borrowed. */
const struct an_fields *an_syscheck_fields(const struct an_syscheck *s);

/* data.timestamp as sent by the agent, or -1 when absent. */
int64_t an_syscheck_timestamp(const struct an_syscheck *s);

#endif
