/*
 * cdblist.c - Wazuh CDB lists compiled into an in-memory hash table.
 *
 * Load reads the whole file into one buffer that the list keeps: each
 * value is NUL-terminated in place and the table points into the buffer, so
 * a list costs its file size plus the table (which copies the keys) and a
 * load makes one allocation per key. After load nothing is written, which
 * is what makes concurrent lookups safe without a lock.
 *
 * Line syntax, reproducing what Wazuh's list compiler (lists_make.c) keeps:
 *   - the line ends at its first '\r' or '\n' (CRLF files work; anything
 *     after a stray '\r' is ignored, as in Wazuh);
 *   - if the line has a '"' before its first ':', the key is the text
 *     between that quote and the next one, and the separator is the first
 *     ':' after the closing quote (text around the quotes is ignored);
 *     otherwise the key is everything before the first ':';
 *   - the value is everything after the separator, or, if that holds a
 *     '"', the text between it and the next '"'.
 * Lines Wazuh drops silently (no separator, unterminated quote) are skipped
 * here with a warning naming file:line; so are lines Wazuh would mangle
 * (embedded NUL, longer than VG_CDBLIST_MAX_LINE). Blank lines are ignored.
 */
#include "lib/cdblist.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/hmap.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/osmatch.h"
#include "lib/str.h"

/* Junk lines logged one by one; the rest only appear in the summary. */
#define CDBLIST_LOG_JUNK_MAX 5

struct vg_cdblist {
	char *name;
	char *text;          /* the file, values NUL-terminated in place; owns them */
	struct vg_hmap *map; /* key -> const char * into text */
	size_t skipped;
	size_t duplicates;
	size_t first_skipped; /* line number, 0 if none */
};

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

/* Count a junk line; log the first few (escaped: the file is untrusted). */
static void cdblist_skip(struct vg_cdblist *l, size_t lineno, const char *why, const char *line,
			 size_t len)
{
	if (l->skipped == 0)
		l->first_skipped = lineno;
	l->skipped++;
	if (l->skipped <= CDBLIST_LOG_JUNK_MAX) {
		char esc[96];
		vg_escape(esc, sizeof(esc), line, len);
		vg_log_warn("%s:%zu: %s, line skipped: \"%s\"", l->name, lineno, why, esc);
	}
}

/*
 * Split the line [s, e) into key [*k, *k + *klen) and value (NUL-terminated
 * in place, *e is writable). Returns NULL on success or why the line is junk.
 */
static const char *cdblist_split(char *s, char *e, const char **k, size_t *klen, char **v)
{
	char *colon = memchr(s, ':', (size_t)(e - s));
	char *quote = memchr(s, '"', (size_t)(e - s));
	char *kend;

	if (colon == NULL)
		return "no ':' separator";
	if (quote != NULL && quote < colon) {
		/* A quoted key may hold ':'; the separator follows the closing quote. */
		*k = quote + 1;
		kend = memchr(quote + 1, '"', (size_t)(e - quote - 1));
		if (kend == NULL)
			return "unterminated quoted key";
		colon = memchr(kend + 1, ':', (size_t)(e - kend - 1));
		if (colon == NULL)
			return "no ':' after the quoted key";
	} else {
		*k = s;
		kend = colon;
	}
	*klen = (size_t)(kend - *k);

	char *vs = colon + 1;
	char *ve = e;
	char *vq = memchr(vs, '"', (size_t)(e - vs));
	if (vq != NULL) {
		vs = vq + 1;
		ve = memchr(vs, '"', (size_t)(e - vs));
		if (ve == NULL)
			return "unterminated quoted value";
	}
	*ve = '\0';
	*v = vs;
	return NULL;
}

/* True when [s, e) holds only spaces and tabs. */
static bool cdblist_blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* Add the line [s, e) (e is writable: '\n', '\r' or the final NUL). */
static void cdblist_line(struct vg_cdblist *l, size_t lineno, char *s, char *e)
{
	const char *key = NULL, *why;
	char *val = NULL;
	size_t klen = 0;

	if ((size_t)(e - s) > VG_CDBLIST_MAX_LINE) {
		cdblist_skip(l, lineno, "line too long", s, 64);
		return;
	}
	if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
		cdblist_skip(l, lineno, "NUL byte in line", s, (size_t)(e - s));
		return;
	}
	char *cr = memchr(s, '\r', (size_t)(e - s));
	if (cr != NULL)
		e = cr;
	if (cdblist_blank(s, e))
		return;
	why = cdblist_split(s, e, &key, &klen, &val);
	if (why != NULL) {
		cdblist_skip(l, lineno, why, s, (size_t)(e - s));
		return;
	}
	if (vg_hmap_get(l->map, key, klen) != NULL) {
		l->duplicates++; /* a .cdb returns the first record: keep it */
		return;
	}
	vg_hmap_put(l->map, key, klen, val);
}

static void cdblist_parse(struct vg_cdblist *l, size_t len)
{
	char *p = l->text;
	char *end = l->text + len;
	size_t lineno = 0;

	/* A UTF-8 BOM would otherwise become part of the first key. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl != NULL ? nl : end;
		cdblist_line(l, ++lineno, p, e);
		p = e + 1;
	}
	if (l->skipped > 0)
		vg_log_warn("%s: %zu junk line(s) skipped (first at line %zu)", l->name, l->skipped,
			    l->first_skipped);
	if (l->duplicates > 0)
		vg_log_warn("%s: %zu repeated key(s) ignored (the first definition wins)", l->name,
			    l->duplicates);
}

/* Take ownership of text (len bytes + NUL) and compile it. */
static struct vg_cdblist *cdblist_build(const char *name, char *text /* transferred */, size_t len)
{
	struct vg_cdblist *l = vg_xcalloc(1, sizeof(*l));
	l->name = vg_xstrdup(name);
	l->text = text;
	l->map = vg_hmap_new();
	cdblist_parse(l, len);
	return l;
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */
/* ------------------------------------------------------------------ */

int vg_cdblist_load(const char *path, struct vg_cdblist **out, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(VG_CDBLIST_MAX_SIZE);

	*out = NULL;
	int rc = vg_fs_read_file(path, "CDB list ", &b, err);
	if (rc != 0)
		goto out;
	size_t len = b.len;
	*out = cdblist_build(path, vg_buf_take(&b) /* transferred */, len);
out:
	vg_buf_free(&b);
	return rc;
}

int vg_cdblist_load_buffer(const char *name, const char *data, size_t len, struct vg_cdblist **out,
			   struct vg_err *err)
{
	*out = NULL;
	if (len > VG_CDBLIST_MAX_SIZE)
		return vg_err_set(err, VG_ETOOBIG, "CDB list %s: larger than %u bytes", name,
				  VG_CDBLIST_MAX_SIZE);
	char *text = vg_xmalloc(len + 1);
	if (len > 0)
		memcpy(text, data, len);
	text[len] = '\0';
	*out = cdblist_build(name, text /* transferred */, len);
	return 0;
}

void vg_cdblist_free(struct vg_cdblist *l)
{
	if (l == NULL)
		return;
	vg_hmap_free(l->map, NULL); /* values point into text */
	vg_free(l->text);
	vg_free(l->name);
	vg_free(l);
}

size_t vg_cdblist_count(const struct vg_cdblist *l)
{
	return vg_hmap_count(l->map);
}

size_t vg_cdblist_skipped(const struct vg_cdblist *l)
{
	return l->skipped;
}

size_t vg_cdblist_duplicates(const struct vg_cdblist *l)
{
	return l->duplicates;
}

const char *vg_cdblist_name(const struct vg_cdblist *l)
{
	return l->name;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */
/* ------------------------------------------------------------------ */

const char *vg_cdblist_get(const struct vg_cdblist *l, const char *key)
{
	return vg_hmap_get(l->map, key, strlen(key));
}

const char *vg_cdblist_address_get(const struct vg_cdblist *l, const char *addr)
{
	size_t len = strlen(addr);
	const char *v = vg_hmap_get(l->map, addr, len);

	/* Longest prefix first, so the most specific network's value is used. */
	for (size_t n = len; v == NULL && n > 0; n--)
		if (addr[n - 1] == '.')
			v = vg_hmap_get(l->map, addr, n);
	return v;
}

bool vg_cdblist_address_lookup(const struct vg_cdblist *l, const char *addr)
{
	return vg_cdblist_address_get(l, addr) != NULL;
}

static const char *const cdblist_lookup_names[] = {
    [VG_CDBLIST_MATCH_KEY] = "match_key",
    [VG_CDBLIST_NOT_MATCH_KEY] = "not_match_key",
    [VG_CDBLIST_MATCH_KEY_VALUE] = "match_key_value",
    [VG_CDBLIST_NOT_MATCH_KEY_VALUE] = "not_match_key_value",
    [VG_CDBLIST_ADDRESS_MATCH_KEY] = "address_match_key",
    [VG_CDBLIST_NOT_ADDRESS_MATCH_KEY] = "not_address_match_key",
    [VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE] = "address_match_key_value",
    [VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE] = "not_address_match_key_value",
};

int vg_cdblist_lookup_parse(const char *name, enum vg_cdblist_lookup *out, struct vg_err *err)
{
	*out = VG_CDBLIST_MATCH_KEY;
	for (size_t i = 0; i < VG_ARRAY_LEN(cdblist_lookup_names); i++) {
		if (strcasecmp(name, cdblist_lookup_names[i]) == 0) {
			*out = (enum vg_cdblist_lookup)i;
			return 0;
		}
	}
	char esc[64];
	vg_escape(esc, sizeof(esc), name, strlen(name));
	return vg_err_set(err, VG_EPARSE, "list lookup=\"%s\" is not valid", esc);
}

const char *vg_cdblist_lookup_name(enum vg_cdblist_lookup how)
{
	if ((size_t)how >= VG_ARRAY_LEN(cdblist_lookup_names))
		return "?";
	return cdblist_lookup_names[how];
}

bool vg_cdblist_lookup_needs_value(enum vg_cdblist_lookup how)
{
	return how == VG_CDBLIST_MATCH_KEY_VALUE || how == VG_CDBLIST_NOT_MATCH_KEY_VALUE ||
	       how == VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE ||
	       how == VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE;
}

bool vg_cdblist_check_osmatch(const void *ctx, const char *value)
{
	return vg_osmatch_test(ctx, value);
}

/* A found value passes when there is a check and it accepts the value. */
static bool cdblist_value_ok(const char *v, vg_cdblist_check_fn check, const void *ctx)
{
	return v != NULL && check != NULL && check(ctx, v);
}

bool vg_cdblist_match(const struct vg_cdblist *l, enum vg_cdblist_lookup how, const char *field,
		      vg_cdblist_check_fn check, const void *ctx)
{
	if (field == NULL)
		return false; /* an absent field never satisfies a <list> */
	switch (how) {
	case VG_CDBLIST_MATCH_KEY:
		return vg_cdblist_get(l, field) != NULL;
	case VG_CDBLIST_NOT_MATCH_KEY:
		return vg_cdblist_get(l, field) == NULL;
	case VG_CDBLIST_MATCH_KEY_VALUE:
		return cdblist_value_ok(vg_cdblist_get(l, field), check, ctx);
	case VG_CDBLIST_NOT_MATCH_KEY_VALUE:
		return !cdblist_value_ok(vg_cdblist_get(l, field), check, ctx);
	case VG_CDBLIST_ADDRESS_MATCH_KEY:
		return vg_cdblist_address_lookup(l, field);
	case VG_CDBLIST_NOT_ADDRESS_MATCH_KEY:
		return !vg_cdblist_address_lookup(l, field);
	case VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE:
		return cdblist_value_ok(vg_cdblist_address_get(l, field), check, ctx);
	case VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE:
		return !cdblist_value_ok(vg_cdblist_address_get(l, field), check, ctx);
	}
	return false;
}
