/*
 * alert.h - One alert as text: the alerts.json line and the alerts.log
 * block Wazuh 4.x writes for it (reference §8.1, §8.2; docs/alerts.md).
 *
 * Input is the analysis pipeline's contract (manager/event.h): the decoded
 * event and the rule that fired. Output is appended to a caller's vg_buf:
 *   - an_alert_format_json: one JSON object, no newline, keys in Wazuh's
 *     order (timestamp, rule, agent, manager, id, cluster, full_log,
 *     syscheck, decoder, data, location). The JSON text is written
 *     directly with a small escaper (no json_t tree is built, that is the
 *     hot path: ~1 µs per alert); the event's syscheck and data objects are
 *     serialised by the same escaper. Every byte sequence that is not valid
 *     UTF-8 becomes U+FFFD, so the line is valid JSON whatever a path holds.
 *   - an_alert_format_log: OS_Log's block, ending with the blank line.
 *     alerts.log is plain text and, like Wazuh's, carries event bytes raw.
 *
 * The alert id (<epoch>.<offset>) is an input: the writer (alerts_file.h)
 * knows the offset before the text exists.
 *
 * Thread model: a formatter (struct an_alert_fmt) belongs to one thread; it
 * caches the local-time breakdown of the last second it formatted.
 */
#ifndef AN_ALERT_H
#define AN_ALERT_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "manager/event.h"

/* "<sec>.<offset>": sec is the event's epoch second, offset the size of
 * alerts.log (alerts.json without alerts.log) before the alert. */
struct an_alert_id {
	int64_t sec;
	uint64_t offset;
};

/* Longest "<sec>.<offset>" plus NUL. */
#define AN_ALERT_ID_MAX 48

struct an_alert_fmt_opts {
	const char *manager_name; /* "manager":{"name"}; NULL: gethostname() */
	const char *cluster_name; /* non-NULL: add "cluster":{"name","node"} */
	const char *cluster_node; /* with cluster_name; NULL: the manager name */
};

#define AN_ALERT_FMT_OPTS_INIT                                                                     \
	{                                                                                          \
		NULL, NULL, NULL                                                                   \
	}

struct an_alert_fmt;

/* A new formatter (strings copied). Never NULL (aborts on OOM). */
struct an_alert_fmt *an_alert_fmt_new(const struct an_alert_fmt_opts *opts);

/* NULL is allowed. */
void an_alert_fmt_free(struct an_alert_fmt *f);

/* The manager name in use (borrowed). */
const char *an_alert_fmt_manager(const struct an_alert_fmt *f);

/*
 * Append the alerts.json object (no trailing newline) to out. On failure
 * (VG_ETOOBIG past out's cap, VG_EPARSE for a syscheck/data object nested
 * deeper than 64 levels) out is left as it was and err says why.
 */
int an_alert_format_json(struct an_alert_fmt *f, const struct an_event *ev,
			 const struct an_rule_info *rule, const struct an_alert_id *id,
			 struct vg_buf *out, struct vg_err *err) VG_MUST_CHECK;

/*
 * Append the alerts.log block (header, date/location line, rule line,
 * full_log, FIM attributes or decoded fields, blank line). Same failure
 * contract as an_alert_format_json.
 */
int an_alert_format_log(struct an_alert_fmt *f, const struct an_event *ev,
			const struct an_rule_info *rule, const struct an_alert_id *id,
			struct vg_buf *out, struct vg_err *err) VG_MUST_CHECK;

/* Write "<sec>.<offset>" into buf (AN_ALERT_ID_MAX bytes); returns buf. */
char *an_alert_id_str(const struct an_alert_id *id, char *buf);

/*
 * Append s[0..len) as a JSON string (quotes included) with the alert
 * escaper: ", \, and control bytes escaped as cJSON does, '/' and DEL kept,
 * invalid UTF-8 bytes replaced by U+FFFD. VG_ETOOBIG past the cap (out may
 * then hold a partial string: callers truncate back).
 */
int an_alert_json_string(struct vg_buf *out, const char *s, size_t len) VG_MUST_CHECK;

#endif
