/*
 * integrations_log.h - HOME/logs/integrations.log: one line per lookup.
 *
 * Wazuh's virustotal.py writes debug chatter there, and up to 4.7 the API
 * key on every call (reference §4.2). Vigie writes one line per lookup or
 * script run, in key=value form so grep and awk read it:
 *
 *   2026-02-08T10:11:12.345Z virustotal alert=1715702735.1234 agent=001
 *   sha256=275a02... outcome=malicious http=200 latency_ms=412 cache=miss
 *   quota_left=3/499/15499 msg="57 engines detected this file"
 *
 * (one line; time in UTC). A field without a value is "-"; a quota without
 * a bound is "-" too. Values are escaped (vg_escape) and quoted when they
 * hold a space, so one line is always one record. The writer takes no key
 * at all: there is no field an API key could be passed in.
 *
 * Thread model: a log may be written from any thread and reopened from
 * another (the daemon's SIGHUP handling); an internal mutex orders them.
 * Each line is one write(2) in append mode.
 */
#ifndef MGR_INTEGRATIONS_LOG_H
#define MGR_INTEGRATIONS_LOG_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

#define MGR_INTLOG_PATH "logs/integrations.log" /* under HOME */
#define MGR_INTLOG_LINE_MAX 4096

enum mgr_intlog_cache {
	MGR_INTLOG_CACHE_NONE, /* "-": no cache involved (a script) */
	MGR_INTLOG_CACHE_HIT,
	MGR_INTLOG_CACHE_MISS,
};

struct mgr_intlog_entry {
	int64_t time_ms;         /* ms since the epoch; 0 = now */
	const char *integration; /* "virustotal", "custom-x" */
	const char *alert_id;    /* the alert that asked; NULL = "-" */
	const char *agent_id;    /* the agent owning the file */
	const char *sha256;      /* lowercase hex */
	const char *outcome;     /* malicious, clean, not_found, error, ... */
	int http_status;         /* 0 = none */
	int64_t latency_ms;      /* < 0 = none */
	enum mgr_intlog_cache cache;
	int64_t quota_minute; /* requests left; < 0 = unbounded or unknown */
	int64_t quota_day;
	int64_t quota_month;
	const char *message; /* free text; NULL = none */
};

#define MGR_INTLOG_ENTRY_INIT                                                                      \
	{                                                                                          \
		0, NULL, NULL, NULL, NULL, NULL, 0, -1, MGR_INTLOG_CACHE_NONE, -1, -1, -1, NULL    \
	}

struct mgr_intlog;

/* Open path for appending (created 0640; the directory must exist). */
int mgr_intlog_open(const char *path, struct mgr_intlog **out, struct vg_err *err) VG_MUST_CHECK;

/* Append one line for e. VG_EINTERNAL on a write error. */
int mgr_intlog_write(struct mgr_intlog *l, const struct mgr_intlog_entry *e,
		     struct vg_err *err) VG_MUST_CHECK;

/* Reopen the same path (after rotation; the daemon calls it on SIGHUP). */
int mgr_intlog_reopen(struct mgr_intlog *l, struct vg_err *err) VG_MUST_CHECK;

/* NULL allowed. */
void mgr_intlog_close(struct mgr_intlog *l);

/* Append e's line, with its "\n", to out (for tests and the CLI). */
int mgr_intlog_format(struct vg_buf *out, const struct mgr_intlog_entry *e) VG_MUST_CHECK;

#endif
