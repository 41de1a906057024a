/*
 * jdoc.c - The fast JSON line reader (see jdoc.h).
 */
#include "manager/jdoc.h"

#include <string.h>

#include "lib/common.h"
#include "lib/mem.h"
#include "lib/str.h"

void jdoc_init(struct jdoc *d)
{
	d->v = d->inline_nodes;
	d->n = 0;
	d->cap = JV_INLINE_NODES;
	d->arena = NULL;
}

void jdoc_free(struct jdoc *d)
{
	if (d->v != d->inline_nodes)
		vg_free(d->v);
	if (d->arena != d->inline_arena)
		vg_free(d->arena);
	jdoc_init(d);
}

/* A new zeroed node; its index. The array may move: hold indexes, not
 * pointers, across calls. */
static uint32_t jv_new(struct jdoc *d, enum jv_type type)
{
	if (d->n == d->cap) {
		struct jv *nv = vg_xreallocarray(NULL, (size_t)d->cap * 2, sizeof(*nv));
		memcpy(nv, d->v, (size_t)d->n * sizeof(*nv));
		if (d->v != d->inline_nodes)
			vg_free(d->v);
		d->v = nv;
		d->cap *= 2;
	}
	d->v[d->n] = (struct jv){.type = type};
	return d->n++;
}

/* The length and first 7 bytes of a key in one word: equal tags mean equal
 * keys up to 7 bytes long, and for longer ones a memcmp is nearly always a
 * hit. */
static uint64_t key_tag(const char *key, size_t len)
{
	uint64_t tag = 0;

	memcpy(&tag, key, VG_MIN(len, 7));
	return tag << 8 | (len & 0xff);
}

static bool key_equal(const struct jv *m, uint64_t tag, const char *key, size_t len)
{
	return m->key_tag == tag && m->key_len == len &&
	       (len <= 7 || memcmp(m->key, key, len) == 0);
}

/* A one-hash Bloom filter of an object's keys: most lookups are for
 * members the agent did not send, and this answers them without a scan. */
static uint64_t key_bit(uint64_t tag)
{
	return (uint64_t)1 << ((tag * 0x9e3779b97f4a7c15ull) >> 58);
}

/* The member key of object obj, or NULL. */
const struct jv *jv_getn(const struct jv *v, const struct jv *obj, const char *key, size_t len)
{
	uint64_t tag = key_tag(key, len);

	if ((obj->keys & key_bit(tag)) == 0)
		return NULL;
	for (uint32_t i = obj->child; i != 0; i = v[i].next)
		if (key_equal(&v[i], tag, key, len))
			return &v[i];
	return NULL;
}

/* ---- The fast parser -------------------------------------------------------- */

/* Each function returns 0, or -1 when the input is outside the subset this
 * parser decodes exactly (invalid JSON included): jansson then decides. */
struct parser {
	const char *p, *end;
	struct jdoc *d;
	size_t used; /* bytes of d->arena in use */
	unsigned depth;
};

static int fp_value(struct parser *ps, uint32_t *out);

static void fp_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
}

/* \uXXXX (ps->p on the 'u') as UTF-8 into dst; surrogates and U+0000 are
 * left to jansson (pairs, and its own errors). Returns the bytes written. */
static int fp_unicode(struct parser *ps, char *dst)
{
	unsigned cp = 0;

	if (ps->end - ps->p < 5)
		return -1;
	for (int i = 1; i <= 4; i++) {
		int h = vg_hex_digit(ps->p[i]);
		if (h < 0)
			return -1;
		cp = cp << 4 | (unsigned)h;
	}
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	ps->p += 5;
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | cp >> 6);
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	dst[0] = (char)(0xe0 | cp >> 12);
	dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* True when none of the 8 bytes of w is a control character, '"', '\\' or
 * non-ASCII. Exact: on plain bytes no subtraction below borrows. */
static bool plain8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');

	return ((w | (w - ones * 0x20) | (quote - ones) | (bslash - ones)) & high) == 0;
}

static bool plain1(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* A string (ps->p on the opening quote), decoded into the arena. Escapes
 * never grow a string, so the arena (line length + 1) always has room. */
static int fp_string(struct parser *ps, const char **out, size_t *len)
{
	static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
	char *start = ps->d->arena + ps->used, *dst = start;
	const char *raw = ++ps->p;
	bool ascii = true;

	for (;;) {
		const char *run = ps->p;
		uint64_t w;
		/* plain ASCII, the bulk of every string: 8 bytes at a time */
		while (ps->end - ps->p >= 8 && (memcpy(&w, ps->p, 8), plain8(w)))
			ps->p += 8;
		while (ps->p < ps->end && plain1((unsigned char)*ps->p))
			ps->p++;
		memcpy(dst, run, (size_t)(ps->p - run));
		dst += ps->p - run;
		if (ps->p >= ps->end)
			return -1;
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c == '\\') {
			const char *e = ps->p + 1 < ps->end ? strchr(plain, ps->p[1]) : NULL;
			if (e != NULL && *e != '\0') {
				*dst++ = decoded[e - plain];
				ps->p += 2;
			} else if (ps->p + 1 < ps->end && ps->p[1] == 'u') {
				ps->p++;
				int n = fp_unicode(ps, dst);
				if (n < 0)
					return -1;
				dst += n;
			} else {
				return -1;
			}
			continue;
		}
		if (c < 0x20)
			return -1;
		ascii &= c < 0x80;
		*dst++ = (char)c;
		ps->p++;
	}
	/* jansson rejects invalid UTF-8 anywhere in the input; escapes are ASCII,
	 * so checking the raw bytes between the quotes is the same test. */
	if (!ascii && !vg_utf8_valid(raw, (size_t)(ps->p - raw)))
		return -1;
	ps->p++;
	*dst = '\0';
	*out = start;
	*len = (size_t)(dst - start);
	ps->used += *len + 1;
	return 0;
}

/* An integer: -?(0|[1-9][0-9]*) of at most JV_MAX_DIGITS digits. Reals,
 * leading zeros and longer numbers are jansson's. */
static int fp_number(struct parser *ps, uint32_t *out)
{
	bool neg = *ps->p == '-';
	const char *digits = ps->p + neg;
	const char *q = digits;
	uint64_t n = 0;

	while (q < ps->end && *q >= '0' && *q <= '9')
		n = n * 10 + (uint64_t)(*q++ - '0');
	if (q == digits || q - digits > JV_MAX_DIGITS || (*digits == '0' && q - digits > 1) ||
	    (q < ps->end && (*q == '.' || *q == 'e' || *q == 'E')))
		return -1;
	ps->p = q;
	*out = jv_new(ps->d, JV_INTEGER);
	ps->d->v[*out].num = neg ? -(int64_t)n : (int64_t)n;
	return 0;
}

static int fp_literal(struct parser *ps, const char *word, enum jv_type type, uint32_t *out)
{
	size_t len = strlen(word);

	if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len) != 0)
		return -1;
	ps->p += len;
	*out = jv_new(ps->d, type);
	return 0;
}

/* True when the members before node i in object obj hold no key i's. */
static bool fp_key_unique(const struct jdoc *d, uint32_t obj, uint32_t i)
{
	const struct jv *k = &d->v[i];

	for (uint32_t j = d->v[obj].child; j != 0 && j != i; j = d->v[j].next)
		if (key_equal(&d->v[j], k->key_tag, k->key, k->key_len))
			return false;
	return true;
}

/* An object or array (ps->p on '{' or '['). */
static int fp_container(struct parser *ps, uint32_t *out)
{
	bool obj = *ps->p == '{';
	char close = obj ? '}' : ']';
	uint32_t self = jv_new(ps->d, obj ? JV_OBJECT : JV_ARRAY), last = 0, count = 0;

	if (++ps->depth > JV_MAX_DEPTH)
		return -1;
	ps->p++;
	fp_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		goto done;
	}
	for (;;) {
		const char *key = NULL;
		size_t key_len = 0;
		uint32_t item;

		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"' || ++count > JV_MAX_MEMBERS ||
			    fp_string(ps, &key, &key_len) != 0)
				return -1;
			fp_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return -1;
			ps->p++;
			fp_ws(ps);
		}
		if (fp_value(ps, &item) != 0)
			return -1;
		struct jv *m = &ps->d->v[item];
		m->key = key;
		m->key_len = (uint32_t)key_len;
		m->key_tag = obj ? key_tag(key, key_len) : 0;
		*(last ? &ps->d->v[last].next : &ps->d->v[self].child) = item;
		last = item;
		if (obj) {
			uint64_t bit = key_bit(m->key_tag);
			/* a duplicate key is jansson's error; the filter spares the scan */
			if ((ps->d->v[self].keys & bit) != 0 && !fp_key_unique(ps->d, self, item))
				return -1;
			ps->d->v[self].keys |= bit;
		}
		fp_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			fp_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		return -1;
	}
done:
	ps->depth--;
	*out = self;
	return 0;
}

static int fp_value(struct parser *ps, uint32_t *out)
{
	if (ps->p >= ps->end)
		return -1;
	switch (*ps->p) {
	case '{':
	case '[':
		return fp_container(ps, out);
	case '"': {
		const char *str;
		size_t len;
		if (fp_string(ps, &str, &len) != 0)
			return -1;
		*out = jv_new(ps->d, JV_STRING);
		ps->d->v[*out].str = str;
		ps->d->v[*out].len = len;
		return 0;
	}
	case 't':
		return fp_literal(ps, "true", JV_TRUE, out);
	case 'f':
		return fp_literal(ps, "false", JV_FALSE, out);
	case 'n':
		return fp_literal(ps, "null", JV_NULL, out);
	default:
		return *ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9') ? fp_number(ps, out) : -1;
	}
}

/* Parse json[0..len) into d: 0, or -1 to let jansson decide (d is then
 * reset). Only an object is accepted at the top, as the decoder wants. */
static int parse_fast(struct jdoc *d, const char *json, size_t len)
{
	struct parser ps = {json, json + len, d, 0, 0};
	uint32_t root;

	d->arena = len < JV_INLINE_ARENA ? d->inline_arena : vg_xmalloc(len + 1);
	fp_ws(&ps);
	if (ps.p < ps.end && *ps.p == '{' && fp_container(&ps, &root) == 0) {
		fp_ws(&ps);
		if (ps.p == ps.end)
			return 0;
	}
	jdoc_free(d);
	return -1;
}

/* ---- The slow road: jansson's tree as nodes --------------------------------- */

static uint32_t jv_from_json(struct jdoc *d, json_t *j)
{
	static const enum jv_type types[] = {
	    [JSON_OBJECT] = JV_OBJECT,   [JSON_ARRAY] = JV_ARRAY, [JSON_STRING] = JV_STRING,
	    [JSON_INTEGER] = JV_INTEGER, [JSON_REAL] = JV_REAL,   [JSON_TRUE] = JV_TRUE,
	    [JSON_FALSE] = JV_FALSE,     [JSON_NULL] = JV_NULL};
	uint32_t self = jv_new(d, types[json_typeof(j)]), last = 0, item;
	const char *key;
	json_t *val;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_STRING:
		d->v[self].str = json_string_value(j);
		d->v[self].len = json_string_length(j);
		break;
	case JSON_INTEGER:
		d->v[self].num = json_integer_value(j);
		break;
	case JSON_OBJECT:
		json_object_foreach(j, key, val)
		{
			item = jv_from_json(d, val);
			d->v[item].key = key;
			d->v[item].key_len = (uint32_t)strlen(key);
			d->v[item].key_tag = key_tag(key, d->v[item].key_len);
			d->v[self].keys |= key_bit(d->v[item].key_tag);
			*(last ? &d->v[last].next : &d->v[self].child) = item;
			last = item;
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(j, i, val)
		{
			item = jv_from_json(d, val);
			*(last ? &d->v[last].next : &d->v[self].child) = item;
			last = item;
		}
		break;
	default:
		break;
	}
	return self;
}

const char *jv_type_name(const struct jv *j)
{
	switch (j->type) {
	case JV_OBJECT:
		return "object";
	case JV_ARRAY:
		return "array";
	case JV_STRING:
		return "string";
	case JV_INTEGER:
		return "integer";
	case JV_REAL:
		return "real";
	case JV_TRUE:
	case JV_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

int jdoc_parse(struct jdoc *d, const char *json, size_t len, const char *what, json_t **keep,
	       struct vg_err *err)
{
	json_error_t jerr;

	*keep = NULL;
	if (parse_fast(d, json, len) == 0)
		return 0;
	*keep = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*keep == NULL)
		return vg_err_set(err, VG_EPARSE, "%s: not JSON: %s (column %d)", what, jerr.text,
				  jerr.column);
	jv_from_json(d, *keep);
	return 0;
}
