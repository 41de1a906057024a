/*
 * logship.h - Shipping HOME/logs/active-responses.log to the manager, line
 * by line, none lost and none twice: Wazuh's <localfile> on that file, but
 * durable.
 *
 * Whoever writes the log (Vigie's built-ins, Wazuh scripts, an operator's
 * `vigie quarantine` on the host) is shipped the same way: each complete
 * line after the position is handed to the emit callback under the next
 * sequence number, then the position (the file's inode, the offset, the
 * last number) is saved in the caller's database (table ar_logship). A
 * crash between the two hands the same lines again under the same numbers,
 * and the outbox / event queue drops them as redeliveries. A new file
 * (rotation: another inode, or a shorter one) is read from its start; lines
 * the old file got after the last run are not read (as Wazuh). A line over
 * AR_LOG_LINE_MAX is skipped with a warning.
 *
 * Threads: the object belongs to one thread.
 */
#ifndef AR_LOGSHIP_H
#define AR_LOGSHIP_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"

/* Hand one line (no newline) to the manager under seq, with location (the
 * log's path). 0 when taken (or recognised as a redelivery); < 0 when it
 * cannot be taken now (retry later). */
typedef int (*ar_emit_fn)(void *ctx, uint64_t seq, const char *location, const char *line,
			  size_t len);

struct ar_logship;

/* db is borrowed and must outlive ls; its schema gets the ar_logship table. */
int ar_logship_open(sqlite3 *db, const char *home, ar_emit_fn emit, void *ctx,
		    struct ar_logship **out, struct vg_err *err) VG_MUST_CHECK;

/* Ship the complete lines written since the last call. *behind is set when
 * emit refused a line (call again later). */
int ar_logship_run(struct ar_logship *ls, int *behind, struct vg_err *err) VG_MUST_CHECK;

/* The log's path (borrowed): the emitted location. */
const char *ar_logship_path(const struct ar_logship *ls);

void ar_logship_close(struct ar_logship *ls);

#endif
