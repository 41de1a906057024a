/*
 * hmap.h - A hash map from byte strings to pointers.
 *
 * Keys are copied into the map (any bytes, explicit length); values are
 * borrowed pointers the caller manages. Open addressing with linear probing
 * and backward-shift deletion; the table doubles at 70% load. The hash is
 * seeded per map from getrandom(2) so that crafted file names cannot be
 * precomputed to collide. One owner thread; no internal locking.
 */
#ifndef VG_HMAP_H
#define VG_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct vg_hmap;

struct vg_hmap *vg_hmap_new(void);
/* Free the map; free_val (may be NULL) is called on every value. NULL allowed. */
void vg_hmap_free(struct vg_hmap *m, void (*free_val)(void *));

/* The value stored for key, or NULL when absent (store non-NULL values). */
void *vg_hmap_get(const struct vg_hmap *m, const void *key, size_t len);
/* Insert or replace; returns the previous value or NULL. */
void *vg_hmap_put(struct vg_hmap *m, const void *key, size_t len, void *val);
/* Remove key; returns its value or NULL when absent. */
void *vg_hmap_del(struct vg_hmap *m, const void *key, size_t len);
size_t vg_hmap_count(const struct vg_hmap *m);

/* Call fn for each entry (any order); fn must not modify the map. */
void vg_hmap_foreach(const struct vg_hmap *m,
		     void (*fn)(void *ctx, const void *key, size_t len, void *val), void *ctx);

#endif
