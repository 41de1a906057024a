/*
 * arlog.h - HOME/logs/active-responses.log, Wazuh's format.
 *
 * One line per action: "YYYY/MM/DD HH:MM:SS active-response/bin/NAME: JSON
 * TEXT\n" (local time, as Wazuh's scripts write it), which the manager's
 * ar_log_json decoder and rules 650/657 read (manager/decode.h), so the
 * lines Vigie's built-ins write and the lines Wazuh scripts write are read
 * the same way. Appended with O_APPEND and one write(2) per line (mode
 * 0640, the directory created if missing), so concurrent writers (scripts,
 * the CLI, the daemon) never interleave within a line.
 */
#ifndef AR_ARLOG_H
#define AR_ARLOG_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"

#define AR_LOG_FILE "logs/active-responses.log" /* under HOME */
#define AR_LOG_LINE_MAX (1u << 20)              /* bytes of one line */

/* Format one line (with its "\n") into out (cleared first). program is the
 * NAME; json is dumped compact; text may be NULL. VG_ETOOBIG past AR_LOG_LINE_MAX. */
int ar_log_format(struct vg_buf *out, time_t when, const char *program, const json_t *json,
		  const char *text, struct vg_err *err) VG_MUST_CHECK;

/* Append a formatted line to HOME/logs/active-responses.log. */
int ar_log_append(const char *home, const struct vg_buf *line, struct vg_err *err) VG_MUST_CHECK;

#endif
