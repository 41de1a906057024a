/*
 * fields.c - Ordered name -> value map for decoded fields (see fields.h).
 *
 * A flat array in insertion order. Each entry keeps a 32-bit FNV-1a hash of
 * its name; a lookup walks the array comparing hashes first, so strcmp runs
 * only on a likely hit. For the few dozen fields of an event this beats a
 * hash table (no probing, one cache-friendly array) and keeps order for free.
 * Invariant: names are unique; entries[0..count) are live.
 */
#include "manager/fields.h"

#include <stdint.h>
#include <string.h>

#include "lib/mem.h"

struct field {
	uint32_t hash;
	uint32_t name_len;
	char *name;  /* one block: name NUL value NUL */
	char *value; /* points inside the block */
};

struct an_fields {
	struct field *entries;
	size_t count;
	size_t cap;
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

static struct field *field_find(const struct an_fields *f, const char *name, size_t len,
				uint32_t hash)
{
	for (size_t i = 0; i < f->count; i++) {
		struct field *e = &f->entries[i];
		if (e->hash == hash && e->name_len == len && memcmp(e->name, name, len) == 0)
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
	for (size_t i = 0; i < f->count; i++)
		vg_free(f->entries[i].name);
	f->count = 0;
}

void an_fields_free(struct an_fields *f)
{
	if (f == NULL)
		return;
	an_fields_clear(f);
	vg_free(f->entries);
	vg_free(f);
}

/* A fresh "name\0value\0" block. */
static char *field_block(const char *name, size_t nlen, const char *value, size_t vlen)
{
	char *b = vg_xmalloc(nlen + 1 + vlen + 1);

	memcpy(b, name, nlen);
	b[nlen] = '\0';
	memcpy(b + nlen + 1, value, vlen);
	b[nlen + 1 + vlen] = '\0';
	return b;
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
	if (e != NULL) { /* replace in place: position is kept */
		char *b = field_block(name, nlen, value, len);
		vg_free(e->name);
		e->name = b;
		e->value = b + nlen + 1;
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
	e = &f->entries[f->count++];
	e->hash = hash;
	e->name_len = (uint32_t)nlen;
	e->name = field_block(name, nlen, value, len);
	e->value = e->name + nlen + 1;
	return 0;
}

int an_fields_add(struct an_fields *f, const char *name, const char *value, struct vg_err *err)
{
	if (value == NULL)
		return vg_err_set(err, VG_EPARSE, "field '%s': NULL value", name ? name : "");
	return an_fields_addn(f, name, value, strlen(value), err);
}

const char *an_fields_get(const struct an_fields *f, const char *name)
{
	if (f == NULL || name == NULL)
		return NULL;
	size_t nlen = strnlen(name, AN_FIELDS_NAME_MAX + 1);
	if (nlen > AN_FIELDS_NAME_MAX)
		return NULL;
	const struct field *e = field_find(f, name, nlen, field_hash(name, nlen));
	return e ? e->value : NULL;
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
	*name = f->entries[i].name;
	*value = f->entries[i].value;
	return 0;
}
