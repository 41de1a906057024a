/*
 * store_writer.h - The alert store's inserts on a thread of their own.
 *
 * The analysis pipeline hands each alert's row over and goes on with its
 * next record while this thread inserts the row into the store's open
 * transaction. Before it commits or rolls back, the pipeline waits for the
 * rows handed over (store_writer_sync); the store is its again until the
 * next store_writer_add. The store stays the caller's: open it before the
 * writer, close it after.
 */
#ifndef VG_MANAGER_STORE_WRITER_H
#define VG_MANAGER_STORE_WRITER_H

#include "lib/err.h"
#include "manager/store.h"

struct store_writer;

/* Start the thread that will insert into s (begun by the caller). */
int store_writer_start(struct store *s, struct store_writer **out,
		       struct vg_err *err) VG_MUST_CHECK;

/*
 * Copy a's columns for the thread to store_add (a's strings may go away on
 * return). Waits when rows are piling up. Fails only for a row too large
 * to hand over (VG_ETOOBIG); the thread's own failures come from sync.
 */
int store_writer_add(struct store_writer *w, const struct store_alert *a,
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Wait until every row handed over is in the store's transaction. The
 * first failure since the last sync (after which the thread stored nothing
 * more) is returned once: the transaction must then be rolled back.
 */
int store_writer_sync(struct store_writer *w, struct vg_err *err) VG_MUST_CHECK;

/* Store what was handed over, stop the thread (NULL allowed). */
void store_writer_stop(struct store_writer *w);

#endif
