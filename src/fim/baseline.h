/*
 * baseline.h - The FIM baseline: what every monitored file looked like.
 *
 * SQLite in WAL mode, one row per path with every attribute and digest
 * (table file_entry, close to Wazuh's fim.db). A baseline has exactly one
 * writer: the engine thread that owns the handle. Writes are grouped in
 * explicit transactions (fim_baseline_begin/commit) for speed; the caller
 * decides the batch boundaries.
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

/* Open or create the database at path (":memory:" allowed). */
int fim_baseline_open(const char *path, struct fim_baseline **out, struct vg_err *err)
	VG_MUST_CHECK;
void fim_baseline_close(struct fim_baseline *bl);

int fim_baseline_begin(struct fim_baseline *bl, struct vg_err *err) VG_MUST_CHECK;
int fim_baseline_commit(struct fim_baseline *bl, struct vg_err *err) VG_MUST_CHECK;
void fim_baseline_rollback(struct fim_baseline *bl);

/* Load the row for path into out (caller clears it). VG_ENOTFOUND if absent. */
int fim_baseline_get(struct fim_baseline *bl, const char *path, size_t len,
		     struct fim_entry *out, struct vg_err *err) VG_MUST_CHECK;
/* Insert or replace the row for e->path. */
int fim_baseline_put(struct fim_baseline *bl, const struct fim_entry *e, struct vg_err *err)
	VG_MUST_CHECK;
/* Delete the row for path; absent rows are not an error. */
int fim_baseline_delete(struct fim_baseline *bl, const char *path, size_t len,
			struct vg_err *err) VG_MUST_CHECK;

/*
 * Call fn for every row whose path is dir itself or lies below dir (dir
 * without trailing '/'; "/" means everything), in path order. The entry is
 * borrowed for the call. A non-zero return from fn stops the walk and is
 * returned.
 */
typedef int (*fim_baseline_fn)(void *ctx, const struct fim_entry *e);
int fim_baseline_foreach_under(struct fim_baseline *bl, const char *dir, fim_baseline_fn fn,
			       void *ctx, struct vg_err *err) VG_MUST_CHECK;

int fim_baseline_count(struct fim_baseline *bl, uint64_t *out, struct vg_err *err)
	VG_MUST_CHECK;

/* Small key/value store for engine state ("baseline_done", ...). */
int fim_baseline_meta_get(struct fim_baseline *bl, const char *key, int64_t *out,
			  struct vg_err *err) VG_MUST_CHECK;
int fim_baseline_meta_set(struct fim_baseline *bl, const char *key, int64_t value,
			  struct vg_err *err) VG_MUST_CHECK;

#endif
