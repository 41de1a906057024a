/*
 * fields.c - Ordered name -> value map for decoded fields (see fields.h).
 *
 * A flat array in insertion order. Each entry keeps a 32-bit FNV-1a hash of
 * its name; a lookup walks the array comparing hashes first, so strcmp runs
 * only on a likely hit. For the few dozen fields of an event this beats a
 * hash table (no probing, one cache-friendly array) and keeps order for free.
 *
 * Names and values live in one text arena ("name\0value\0" per entry, in
 * order), so filling a map for an event costs no allocation once the map has
 * been used (an_fields_clear keeps both arrays): the decoders run at 100,000
 * events/s and a malloc per field was most of this module's cost. Entries
 * hold offsets, not pointers, since the arena moves when it grows. A value
 * replaced by a longer one is appended and the old bytes stay unused until
 * the next clear; a shorter one is written in place.
 *
 * A decoder adds a few dozen new names per event, each of which would scan
 * every entry to find it is new; a 256-bit summary of the names' hashes
 * (one bit per name, a Bloom filter with one hash) answers "surely absent"
 * for most of them without the scan.
 *
 * Invariant: names are unique; entries[0..count) are live and point inside
 * text[0..text_len); every live name's bit is set in seen.
 */
#include "manager/fields.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/mem.h"

#define TEXT_FIRST_CAP 1024 /* a syscheck event needs about 800 bytes */

struct field {
	uint32_t hash;
	uint32_t name_len;
	size_t name;      /* offset of the name in text */
	size_t value;     /* offset of the value in text */
	size_t value_cap; /* bytes available there, NUL excluded */
};

struct an_fields {
	uint64_t seen[4]; /* bit hash % 256 set for every live name */
	struct field *entries;
	size_t count;
	size_t cap;
	char *text; /* the arena: names and values, NUL-terminated */
	size_t text_len;
	size_t text_cap;
};

static uint32_t field_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static bool seen_maybe(const struct an_fields *f, uint32_t hash)
{
	return (f->seen[(hash >> 6) & 3] >> (hash & 63) & 1) != 0;
}

static struct field *field_find(const struct an_fields *f, const char *name, size_t len,
				uint32_t hash)
{
	if (!seen_maybe(f, hash))
		return NULL;
	for (size_t i = 0; i < f->count; i++) {
		struct field *e = &f->entries[i];
		if (e->hash == hash && e->name_len == len &&
		    memcmp(f->text + e->name, name, len) == 0)
			return e;
	}
	return NULL;
}

struct an_fields *an_fields_new(void)
{
	return vg_xcalloc(1, sizeof(struct an_fields));
}

void an_fields_clear(struct an_fields *f)
{
	if (f == NULL)
		return;
	f->count = 0;
	f->text_len = 0;
	memset(f->seen, 0, sizeof(f->seen));
}

void an_fields_free(struct an_fields *f)
{
	if (f == NULL)
		return;
	vg_free(f->entries);
	vg_free(f->text);
	vg_free(f);
}

/* Offset of p in the arena, or SIZE_MAX when p points elsewhere. */
static size_t text_offset(const struct an_fields *f, const char *p)
{
	uintptr_t a = (uintptr_t)f->text, x = (uintptr_t)p;

	return f->text != NULL && x >= a && x < a + f->text_cap ? (size_t)(x - a) : SIZE_MAX;
}

/*
 * Make room for need more bytes. A caller may pass back a name or value it
 * got from this map (an_fields_add(f, "b", an_fields_get(f, "a"))): each
 * of p1, p2 that points into the arena is moved along with it. need is
 * capped by the callers (AN_FIELDS_*_MAX), so nothing overflows.
 */
static void text_reserve(struct an_fields *f, size_t need, const char **p1, const char **p2)
{
	if (f->text_cap - f->text_len >= need)
		return;
	size_t o1 = text_offset(f, *p1), o2 = text_offset(f, *p2);
	size_t ncap = f->text_cap ? f->text_cap : TEXT_FIRST_CAP;
	while (ncap - f->text_len < need)
		ncap *= 2;
	f->text = vg_xreallocarray(f->text, ncap, 1);
	f->text_cap = ncap;
	if (o1 != SIZE_MAX)
		*p1 = f->text + o1;
	if (o2 != SIZE_MAX)
		*p2 = f->text + o2;
}

/* Append s[0..len) and a NUL (room reserved); the offset where it starts. */
static size_t text_put(struct an_fields *f, const char *s, size_t len)
{
	size_t at = f->text_len;

	memmove(f->text + at, s, len);
	f->text[at + len] = '\0';
	f->text_len += len + 1;
	return at;
}

int an_fields_addn(struct an_fields *f, const char *name, const char *value, size_t len,
		   struct vg_err *err)
{
	if (f == NULL || name == NULL || value == NULL || name[0] == '\0')
		return vg_err_set(err, VG_EPARSE, "field: empty name or NULL value");
	size_t nlen = strnlen(name, AN_FIELDS_NAME_MAX + 1);
	if (nlen > AN_FIELDS_NAME_MAX)
		return vg_err_set(err, VG_ETOOBIG, "field name longer than %d bytes",
				  AN_FIELDS_NAME_MAX);
	if (len > AN_FIELDS_VALUE_MAX)
		return vg_err_set(err, VG_ETOOBIG, "field '%s': value of %zu bytes (max %u)", name,
				  len, AN_FIELDS_VALUE_MAX);
	if (memchr(value, '\0', len) != NULL)
		return vg_err_set(err, VG_EPARSE, "field '%s': NUL byte in value", name);

	uint32_t hash = field_hash(name, nlen);
	struct field *e = field_find(f, name, nlen, hash);
	if (e != NULL) { /* replace: the position in the order is kept */
		if (len <= e->value_cap) {
			memmove(f->text + e->value, value, len);
			f->text[e->value + len] = '\0';
		} else {
			text_reserve(f, len + 1, &value, &name);
			e->value = text_put(f, value, len);
			e->value_cap = len;
		}
		return 0;
	}
	if (f->count >= AN_FIELDS_MAX)
		return vg_err_set(err, VG_ETOOBIG, "more than %d fields (adding '%s')",
				  AN_FIELDS_MAX, name);
	if (f->count == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		f->entries = vg_xreallocarray(f->entries, ncap, sizeof(*f->entries));
		f->cap = ncap;
	}
	text_reserve(f, nlen + 1 + len + 1, &name, &value);
	e = &f->entries[f->count++];
	f->seen[(hash >> 6) & 3] |= (uint64_t)1 << (hash & 63);
	e->hash = hash;
	e->name_len = (uint32_t)nlen;
	e->name = text_put(f, name, nlen);
	e->value = text_put(f, value, len);
	e->value_cap = len;
	return 0;
}

int an_fields_add(struct an_fields *f, const char *name, const char *value, struct vg_err *err)
{
	if (value == NULL)
		return vg_err_set(err, VG_EPARSE, "field '%s': NULL value", name ? name : "");
	return an_fields_addn(f, name, value, strlen(value), err);
}

const char *an_fields_getn(const struct an_fields *f, const char *name, size_t nlen)
{
	if (f == NULL || name == NULL || nlen > AN_FIELDS_NAME_MAX)
		return NULL;
	const struct field *e = field_find(f, name, nlen, field_hash(name, nlen));
	return e ? f->text + e->value : NULL;
}

size_t an_fields_count(const struct an_fields *f)
{
	return f ? f->count : 0;
}

int an_fields_at(const struct an_fields *f, size_t i, const char **name, const char **value)
{
	*name = NULL;
	*value = NULL;
	if (f == NULL || i >= f->count)
		return VG_ENOTFOUND;
	*name = f->text + f->entries[i].name;
	*value = f->text + f->entries[i].value;
	return 0;
}
