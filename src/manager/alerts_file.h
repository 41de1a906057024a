/*
 * alerts_file.h - The writer of HOME/logs/alerts/alerts.json and alerts.log.
 *
 * One writer owns both files. Per alert it takes the id's offset (the size
 * of alerts.log, or of alerts.json when alerts.log is off), formats the JSON
 * line and the log block with that id (alert.h), and appends each with a
 * single write(2), so `tail -f` and integrations never read half an alert.
 * Both are written only for rules at or above log_alert_level.
 *
 * Batching (opts.batch_bytes > 0): whole alerts are kept in memory until
 * they reach batch_bytes, then each file gets them in one write(2), still
 * whole lines and whole blocks, so a busy writer makes one system call per
 * many alerts instead of two per alert. an_alerts_file_drain() writes what
 * is kept; so do rotation, flush and close.
 *
 * Files, as Wazuh lays them out (reference §8.3): the real files are
 * logs/alerts/YYYY/Mon/ossec-alerts-DD.json|.log (local time, Mon =
 * Jan..Dec); alerts.json and alerts.log are hard links to today's, moved
 * atomically (link + rename) at local midnight, which each write checks
 * against a precomputed instant (one clock read, one compare). The day
 * left behind is gzipped (ossec-alerts-DD.json.gz) by a helper thread: the
 * .gz is written to a temporary name, fsynced and renamed before the plain
 * file is unlinked, so a crash leaves the plain file, or both, never
 * neither. Plain files of the previous day still present at startup (the
 * daemon was down at midnight, or crashed while compressing) are
 * compressed after the first write, i.e. after any recovery truncation.
 *
 * Failure contract: a write that fails (ENOSPC, EIO...) is cut back with
 * ftruncate to the file's size before the alert, in both files, so the
 * files stay whole JSON lines and whole blocks; the call returns an error
 * and the caller keeps the event to retry. If even the cut fails, the next
 * write retries it first and refuses to append after a partial alert. With
 * batching, a failed write(2) cuts both files back to the whole alerts
 * already on disk and keeps the earlier alerts in memory, to be written by
 * the next drain; only the alert of the failing call is dropped.
 *
 * Exactly-once support: an_alerts_file_position() describes the files as
 * they are once drained (day + both sizes, kept alerts included); the
 * caller drains, then stores it in the same transaction as its own
 * progress, and at startup an_alerts_file_truncate_to() removes what was
 * written after that position, since the caller will produce it again.
 *
 * Thread model: the writer belongs to one thread; only the compression
 * helper runs beside it, on files the writer no longer touches.
 */
#ifndef AN_ALERTS_FILE_H
#define AN_ALERTS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "manager/alert.h"
#include "manager/event.h"

/* Largest alert (JSON line or log block) the writer accepts. */
#define AN_ALERTS_MAX_ALERT (8u * 1024u * 1024u)

struct an_alerts_file_opts {
	const char *home;         /* files go to HOME/logs/alerts (created 0750) */
	bool jsonout_output;      /* write alerts.json */
	bool alerts_log;          /* write alerts.log */
	unsigned log_alert_level; /* lowest rule level written */
	struct an_alert_fmt_opts fmt;
	/* Wall clock in ms for day rotation; NULL: CLOCK_REALTIME. Tests inject it. */
	int64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
	/* write(2) stand-in; NULL: write(2). Tests inject short writes and ENOSPC. */
	ssize_t (*write_fn)(void *ctx, int fd, const void *p, size_t n);
	void *write_ctx;
	/* Compress the previous day on the writer's thread (tests); default: helper thread. */
	bool compress_inline;
	/* Keep alerts in memory until they reach this many bytes; 0: write each at once. */
	size_t batch_bytes;
};

#define AN_ALERTS_FILE_OPTS_INIT                                                                   \
	{                                                                                          \
		NULL, true, true, 3, AN_ALERT_FMT_OPTS_INIT, NULL, NULL, NULL, NULL, false, 0      \
	}

/* Where the files stand: the caller persists it with its own progress. */
struct an_alerts_pos {
	int32_t day;        /* local date of the current files, YYYYMMDD */
	uint64_t json_size; /* bytes of alerts.json (0 when disabled) */
	uint64_t log_size;  /* bytes of alerts.log (0 when disabled) */
};

struct an_alerts_file;

/*
 * Create HOME/logs/alerts and today's files (appending to existing ones),
 * and point alerts.json / alerts.log at them. An alerts directory that
 * cannot be created or written is an error naming the path. With both
 * outputs disabled nothing is created and every write is skipped.
 */
int an_alerts_file_open(const struct an_alerts_file_opts *opts, struct an_alerts_file **out,
			struct vg_err *err) VG_MUST_CHECK;

/* Drain (a failure is logged), close the files and wait for compression in
 * progress. NULL is allowed. */
void an_alerts_file_close(struct an_alerts_file *f);

/* True when an alert of this level would be written. */
bool an_alerts_file_wants(const struct an_alerts_file *f, unsigned level);

/*
 * Write one alert. *id receives its id ({0, 0} when the rule's level is
 * below log_alert_level: nothing written, 0 returned). On failure nothing of
 * the alert remains in either file (see the failure contract above).
 */
int an_alerts_file_write(struct an_alerts_file *f, const struct an_event *ev,
			 const struct an_rule_info *rule, struct an_alert_id *id,
			 struct vg_err *err) VG_MUST_CHECK;

/*
 * The JSON line of the last successful write (no newline; "" when
 * alerts.json is off), for the alert store. Borrowed until the next write.
 */
const char *an_alerts_file_last_json(const struct an_alerts_file *f, size_t *len);

/*
 * Write the alerts kept by batching (a no-op without batching or when none
 * are kept). On failure both files are cut back to the whole alerts on disk
 * and the kept alerts stay kept: a later drain retries them.
 */
int an_alerts_file_drain(struct an_alerts_file *f, struct vg_err *err) VG_MUST_CHECK;

/* Drain, then fdatasync both files: what position() reports is then durable. */
int an_alerts_file_flush(struct an_alerts_file *f, struct vg_err *err) VG_MUST_CHECK;

/* The files' position once drained: kept alerts count as written. */
void an_alerts_file_position(const struct an_alerts_file *f, struct an_alerts_pos *pos);

/*
 * Startup recovery: cut the files back to pos. Same day: each file longer
 * than its recorded size is truncated to it. pos from an earlier day:
 * today's files are emptied and that day's plain files (if not yet
 * compressed) truncated; a day already compressed is left whole (logged).
 * A file shorter than its recorded size is logged (those alerts were lost
 * before reaching the disk) and left alone. Kept alerts past pos are
 * dropped; a pos among them cuts only them, the files are not touched.
 * At startup, call before the first write.
 */
int an_alerts_file_truncate_to(struct an_alerts_file *f, const struct an_alerts_pos *pos,
			       struct vg_err *err) VG_MUST_CHECK;

/* Wait until any compression in progress is done (shutdown, tests). */
void an_alerts_file_wait_compress(struct an_alerts_file *f);

#endif
