/*
 * baseline.h - The FIM baseline: what every monitored file looked like.
 *
 * SQLite in WAL mode, one row per path with every attribute and digest
 * (table file_entry, close to Wazuh's fim.db). A baseline has exactly one
 * writer: the engine thread that owns the handle. Writes are grouped in
 * explicit transactions (fim_baseline_begin/commit) for speed; the caller
 * decides the batch boundaries. The WAL is copied into the database file
 * by a checkpointer thread of the handle's own (lib/dbckpt.h), so commits
 * never do it and a close copies at most the last 4 MiB.
 *
 * Paths are stored as BLOBs: they are bytes, not text, and may hold any
 * byte but NUL.
 */
#ifndef FIM_BASELINE_H
#define FIM_BASELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "fim/entry.h"
#include "lib/err.h"

struct fim_baseline;

/*
 * Open or create the database at path (":memory:" allowed). The directory
 * must exist (the caller creates HOME/queue/fim): VG_ENOTFOUND naming it
 * otherwise. The file is created and kept 0600. A database of a newer or
 * unknown schema version, or a file that is not a database, is VG_EPARSE.
 * Errors of every function name the database path; a full disk (or the
 * fim_baseline_set_max_size limit) is VG_ETOOBIG. A locked database is
 * retried for up to 10 s before failing.
 *
 * The handle belongs to one thread.
 */
int fim_baseline_open(const char *path, struct fim_baseline **out,
		      struct vg_err *err) VG_MUST_CHECK;
void fim_baseline_close(struct fim_baseline *bl);

/*
 * Group writes. After a failed put/delete/commit inside a transaction call
 * fim_baseline_rollback (SQLite may already have rolled back on a full disk;
 * rollback then does nothing). Without begin, each write commits alone.
 */
int fim_baseline_begin(struct fim_baseline *bl, struct vg_err *err) VG_MUST_CHECK;
int fim_baseline_commit(struct fim_baseline *bl, struct vg_err *err) VG_MUST_CHECK;
void fim_baseline_rollback(struct fim_baseline *bl);

/*
 * Load the row for path into out. out is overwritten, not freed first; on
 * success the caller owns out->path (fim_entry_clear). VG_ENOTFOUND if
 * absent (out is then zeroed).
 */
int fim_baseline_get(struct fim_baseline *bl, const char *path, size_t len, struct fim_entry *out,
		     struct vg_err *err) VG_MUST_CHECK;
/* Insert or replace the row for e->path. */
int fim_baseline_put(struct fim_baseline *bl, const struct fim_entry *e,
		     struct vg_err *err) VG_MUST_CHECK;
/* Delete the row for path; absent rows are not an error. */
int fim_baseline_delete(struct fim_baseline *bl, const char *path, size_t len,
			struct vg_err *err) VG_MUST_CHECK;

/*
 * Call fn for every row whose path is dir itself or lies below dir (dir
 * without trailing '/'; "/" means everything), in path order. The entry is
 * borrowed for the call (its path included). A non-zero return from fn
 * stops the walk and is returned.
 *
 * fn must not call any fim_baseline_* function on the same handle (the walk
 * holds a statement open): such calls fail with VG_EINTERNAL. Collect what
 * to change and apply it after the walk.
 */
typedef int (*fim_baseline_fn)(void *ctx, const struct fim_entry *e);
int fim_baseline_foreach_under(struct fim_baseline *bl, const char *dir, fim_baseline_fn fn,
			       void *ctx, struct vg_err *err) VG_MUST_CHECK;

int fim_baseline_count(struct fim_baseline *bl, uint64_t *out, struct vg_err *err) VG_MUST_CHECK;

/*
 * Cap the database file at about max_bytes (0 = no cap but SQLite's own).
 * Past it, writes fail with VG_ETOOBIG like a full disk. Per handle, not
 * stored: set it again after each open. Vigie addition.
 */
int fim_baseline_set_max_size(struct fim_baseline *bl, uint64_t max_bytes,
			      struct vg_err *err) VG_MUST_CHECK;

/* Small key/value store for engine state ("baseline_done", ...). */
int fim_baseline_meta_get(struct fim_baseline *bl, const char *key, int64_t *out,
			  struct vg_err *err) VG_MUST_CHECK;
int fim_baseline_meta_set(struct fim_baseline *bl, const char *key, int64_t value,
			  struct vg_err *err) VG_MUST_CHECK;

/*
 * The outbox: events recorded in the same transaction as the baseline
 * change they report, so that a crash can neither lose one (it is still
 * there at the next start) nor tell it twice under two names (its sequence
 * number was committed with it, so a receiver that remembers the highest
 * number it took drops a second delivery). Vigie addition.
 *
 * fim_baseline_outbox_add stores event under seq (increasing; inside a
 * transaction to be atomic with the change). fim_baseline_outbox_foreach
 * calls fn for each stored event in seq order until fn returns non-zero;
 * *last receives the seq of the last event fn accepted (0: none). fn must
 * not call the handle. fim_baseline_outbox_trim deletes the events up to
 * and including upto, once delivered.
 */
typedef int (*fim_outbox_fn)(void *ctx, uint64_t seq, const void *event, size_t len);
int fim_baseline_outbox_add(struct fim_baseline *bl, uint64_t seq, const void *event, size_t len,
			    struct vg_err *err) VG_MUST_CHECK;
int fim_baseline_outbox_foreach(struct fim_baseline *bl, fim_outbox_fn fn, void *ctx,
				uint64_t *last, struct vg_err *err) VG_MUST_CHECK;
int fim_baseline_outbox_trim(struct fim_baseline *bl, uint64_t upto,
			     struct vg_err *err) VG_MUST_CHECK;

#endif
