/*
 * dbckpt.h - WAL checkpoints of a database on a thread of their own.
 *
 * For a writer that commits big batches without pause (the alert store):
 * its commits stop paying for the copy of the WAL into the database file.
 * See dbckpt.c for how the WAL is kept bounded.
 */
#ifndef VG_DBCKPT_H
#define VG_DBCKPT_H

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/err.h"

struct vg_db_ckpt;

/*
 * Checkpoint the database of writer (the file at path, opened with o's
 * settings) on a thread of its own whenever a commit leaves its WAL at
 * pages frames or more. Replaces writer's automatic checkpoint. *out is
 * NULL on failure.
 */
int vg_db_ckpt_start(sqlite3 *writer, const char *path, const struct vg_db_opts *o, int pages,
		     struct vg_db_ckpt **out, struct vg_err *err) VG_MUST_CHECK;

/* Stop the thread and detach it from the writer, before the writer is
 * closed (closing the last connection checkpoints what is left). NULL
 * allowed. */
void vg_db_ckpt_stop(struct vg_db_ckpt *c);

/* Checkpoints run so far (tests). */
unsigned long vg_db_ckpt_runs(struct vg_db_ckpt *c);

#endif
