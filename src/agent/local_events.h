/*
 * local_events.h - Writing events as JSON lines to a file or stdout.
 *
 * The supported local mode of vigie-agent (--local-events PATH): one event
 * per line, appended with a single write(2) per line so that concurrent
 * readers (tail -f, jq) never see half a line. "-" means standard output.
 */
#ifndef AGENT_LOCAL_EVENTS_H
#define AGENT_LOCAL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct local_events;

int local_events_open(const char *path, struct local_events **out,
		      struct vg_err *err) VG_MUST_CHECK;
/* fim_emit_fn-compatible: append json and a newline (seq unused); < 0 on
 * failure (logged). */
int local_events_write(void *ctx, uint64_t seq, const char *json, size_t len);
/* Reopen the file (after rotation; SIGHUP). Standard output is kept. */
int local_events_reopen(struct local_events *le, struct vg_err *err) VG_MUST_CHECK;
void local_events_close(struct local_events *le);

#endif
