/*
 * event.h - Wazuh's agent syscheck JSON, one event per line.
 *
 *   {"type":"event","data":{"path":...,"version":2,"mode":"realtime",
 *    "type":"added","timestamp":N,"attributes":{...},
 *    "changed_attributes":[...],"old_attributes":{...},"tags":"a,b"}}
 *
 * Keys and order follow reference/wazuh-4x-internals.md §2.1; an attribute
 * is present only when its check is enabled; inode is a string. Vigie adds
 * keys only under new names:
 *   attributes.hash_state  "too_big" / "unreadable" when a regular file was
 *                          not hashed (digests are then absent, never the
 *                          empty-file digests Wazuh reports)
 *   path_b64               base64 of the raw path bytes, present only when
 *                          the path is not valid UTF-8; "path" then holds the
 *                          bytes with each invalid byte replaced by U+FFFD
 *   rescan                 on the overflow notice, the trees being rescanned
 * Output is always valid JSON whatever bytes the path holds.
 */
#ifndef FIM_EVENT_H
#define FIM_EVENT_H

#include <stdint.h>
#include <time.h>

#include "fim/entry.h"
#include "lib/buf.h"
#include "lib/err.h"

enum fim_event_type { FIM_EVENT_ADDED, FIM_EVENT_MODIFIED, FIM_EVENT_DELETED };
enum fim_event_mode { FIM_MODE_SCHEDULED, FIM_MODE_REALTIME, FIM_MODE_WHODATA };

/* The rule-560 text (Wazuh's prefix, Vigie's recovery). */
#define FIM_OVERFLOW_MESSAGE                                                                       \
	"ossec: Real-time inotify kernel queue is full. Some events may be lost. "                 \
	"Vigie is rescanning the affected directories now."

/*
 * The checks (enum fim_check) that differ between old and now, as a mask.
 * Only bits set in checks are compared.
 */
unsigned fim_event_changed(const struct fim_entry *old, const struct fim_entry *now,
			   unsigned checks);

/*
 * Wazuh's attributes.checksum (fim_get_checksum): the SHA-1, lowercase hex,
 * of "size:perm:attributes:uid:gid:user_name:group_name:mtime:inode:md5:sha1:sha256"
 * where a field whose check is off is 0 or "" (inode is always included,
 * attributes is always "" on Unix) and a digest not reported is "".
 */
void fim_event_checksum(const struct fim_entry *e, unsigned checks, char out[41]);

/*
 * Append one event (no trailing newline) to out. For FIM_EVENT_MODIFIED old
 * is required and changed_attributes/old_attributes are emitted; for
 * FIM_EVENT_DELETED now is the last known entry. tags may be NULL.
 */
int fim_event_format(struct vg_buf *out, enum fim_event_type type, enum fim_event_mode mode,
		     const struct fim_entry *now, const struct fim_entry *old, unsigned checks,
		     const char *tags, time_t timestamp, struct vg_err *err) VG_MUST_CHECK;

/*
 * One file's record for `vigie scan`: {"path":...,"attributes":{...}} with
 * the same attributes object (and path_b64 rule) as events.
 */
int fim_event_format_entry(struct vg_buf *out, const struct fim_entry *e, unsigned checks,
			   struct vg_err *err) VG_MUST_CHECK;

/* {"type":"scan_start"|"scan_end","data":{"timestamp":N}} */
int fim_event_format_scan(struct vg_buf *out, int start, time_t timestamp,
			  struct vg_err *err) VG_MUST_CHECK;

/*
 * The lost-event notice: {"type":"overflow","data":{"timestamp":N,
 * "message":FIM_OVERFLOW_MESSAGE,"rescan":[roots...]}}
 */
int fim_event_format_overflow(struct vg_buf *out, const char *const *roots, size_t nroots,
			      time_t timestamp, struct vg_err *err) VG_MUST_CHECK;

#endif
