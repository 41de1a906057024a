/*
 * ar_local.h - The manager's own active-response executor: agent 000 runs
 * its commands like any agent (ar/executor.h), and the lines of its
 * HOME/logs/active-responses.log go into the event queue as agent 000's
 * (source AR_LOCAL_SOURCE, location "[000] (NAME) any->PATH").
 *
 * Threads: open/start/close on the manager's main thread; the executor
 * (ar_local_exec) is then shared as executor.h says.
 */
#ifndef MGR_AR_LOCAL_H
#define MGR_AR_LOCAL_H

#include "ar/executor.h"
#include "fim/config.h"
#include "lib/dqueue.h"
#include "lib/err.h"

#define AR_LOCAL_SOURCE "@ar" /* '@': a manager producer speaking for agent 000 */

struct ar_local;

/* fim: agent 000's monitored directories (may have none); borrowed for the call. */
int ar_local_open(const char *home, const struct fim_config *fim, const char *name,
		  struct vg_dq *queue, struct ar_local **out, struct vg_err *err) VG_MUST_CHECK;
int ar_local_start(struct ar_local *l, struct vg_err *err) VG_MUST_CHECK;
struct ar_exec *ar_local_exec(struct ar_local *l);
/* Stop the executor (a full queue stops waiting) and free; NULL allowed. */
void ar_local_close(struct ar_local *l);

#endif
