/*
 * hmap.c - Open-addressing hash map keyed by byte strings.
 *
 * Slots hold the hash, a copied key and the value. Deletion shifts later
 * members of the probe run back, so there are no tombstones and lookups stay
 * short however many paths come and go (the realtime queue churns a lot).
 */
#include "lib/hmap.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "lib/mem.h"

struct hmap_slot {
	uint64_t hash; /* 0 = empty */
	char *key;
	size_t len;
	void *val;
};

struct vg_hmap {
	struct hmap_slot *slots;
	size_t cap; /* power of two */
	size_t count;
	uint64_t seed;
};

static uint64_t hmap_hash(const struct vg_hmap *m, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL ^ m->seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* final avalanche (murmur3 fmix64) so low bits depend on every byte */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

struct vg_hmap *vg_hmap_new(void)
{
	struct vg_hmap *m = vg_xcalloc(1, sizeof(*m));
	m->cap = 16;
	m->slots = vg_xcalloc(m->cap, sizeof(*m->slots));
	if (getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) != sizeof(m->seed))
		m->seed = (uint64_t)(uintptr_t)m; /* no entropy yet: still per-map */
	return m;
}

void vg_hmap_free(struct vg_hmap *m, void (*free_val)(void *))
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].hash == 0)
			continue;
		vg_free(m->slots[i].key);
		if (free_val != NULL)
			free_val(m->slots[i].val);
	}
	vg_free(m->slots);
	vg_free(m);
}

static size_t hmap_find(const struct vg_hmap *m, uint64_t h, const void *key, size_t len)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct hmap_slot *s = &m->slots[i];
		if (s->hash == 0 ||
		    (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return i;
	}
}

static void hmap_grow(struct vg_hmap *m)
{
	struct hmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = vg_xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].hash == 0)
			continue;
		size_t j = old[i].hash & (m->cap - 1);
		while (m->slots[j].hash != 0)
			j = (j + 1) & (m->cap - 1);
		m->slots[j] = old[i];
	}
	vg_free(old);
}

void *vg_hmap_get(const struct vg_hmap *m, const void *key, size_t len)
{
	size_t i = hmap_find(m, hmap_hash(m, key, len), key, len);
	return m->slots[i].hash != 0 ? m->slots[i].val : NULL;
}

void *vg_hmap_put(struct vg_hmap *m, const void *key, size_t len, void *val)
{
	if ((m->count + 1) * 10 > m->cap * 7)
		hmap_grow(m);
	uint64_t h = hmap_hash(m, key, len);
	size_t i = hmap_find(m, h, key, len);
	struct hmap_slot *s = &m->slots[i];
	if (s->hash != 0) {
		void *prev = s->val;
		s->val = val;
		return prev;
	}
	s->hash = h;
	s->key = vg_xmalloc(len != 0 ? len : 1);
	memcpy(s->key, key, len);
	s->len = len;
	s->val = val;
	m->count++;
	return NULL;
}

void *vg_hmap_del(struct vg_hmap *m, const void *key, size_t len)
{
	size_t mask = m->cap - 1;
	size_t i = hmap_find(m, hmap_hash(m, key, len), key, len);
	if (m->slots[i].hash == 0)
		return NULL;
	void *val = m->slots[i].val;
	vg_free(m->slots[i].key);
	m->slots[i].hash = 0;
	m->count--;
	/* backward-shift: move later run members whose home is at or before i */
	for (size_t j = (i + 1) & mask; m->slots[j].hash != 0; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].hash = 0;
			i = j;
		}
	}
	return val;
}

size_t vg_hmap_count(const struct vg_hmap *m)
{
	return m->count;
}

void vg_hmap_foreach(const struct vg_hmap *m,
		     void (*fn)(void *ctx, const void *key, size_t len, void *val), void *ctx)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].hash != 0)
			fn(ctx, m->slots[i].key, m->slots[i].len, m->slots[i].val);
}
