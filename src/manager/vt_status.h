/*
 * vt_status.h - The VirusTotal integration's state as JSON, read beside the
 * running manager: quota per window, verdict cache, lookup jobs, and the
 * files waiting or given up (`vigie status`, GET /api/virustotal/quota and
 * /api/virustotal/files).
 *
 * Read-only handles on HOME/queue/integrations.db, opened per call, so it
 * works whether the manager runs or not and never waits on its locks. The
 * quota's limits are the configured ones (they are not stored), lowered by
 * an allowance VirusTotal reported (vt_quota.h).
 *
 *   {"quota":{"minute":{"limit","used","left","reset_ms"},"day":{...},"month":{...}},
 *    "cache":{"entries","expired","hits","misses"},
 *    "jobs":{"queued","in_flight","done","dead"},
 *    "waiting":[JOB...],"dead":[JOB...]}          (the lists with files only)
 *   JOB = {"path","sha256","agent","state","priority","created_ms",
 *          "next_try_ms","attempts","last_error"}
 */
#ifndef MGR_VT_STATUS_H
#define MGR_VT_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"
#include "manager/vt_quota.h"

#define VT_STATUS_LIST_MAX 100 /* jobs listed per state, oldest first */

/*
 * The state into *out (owned). VG_ENOTFOUND when there is no
 * integrations.db (no integration ever ran); other errors name the file.
 */
int vt_status_read(const char *home, const struct vt_quota_opts *limits, int64_t now_ms,
		   bool files, json_t **out, struct vg_err *err) VG_MUST_CHECK;

#endif
