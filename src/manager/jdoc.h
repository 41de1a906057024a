/*
 * jdoc.h - One JSON line as a flat array of nodes, parsed fast.
 *
 * The manager decodes agent event lines on its hot path (issue 3: 100,000
 * events/s on one core), where building a jansson tree cost more than
 * everything else together. jdoc_parse reads a line with a small strict
 * parser into an array of nodes (struct jv) whose strings are decoded into
 * one scratch arena, inline for usual lines: no allocation at all. That
 * parser accepts only a subset of JSON it decodes exactly as jansson would
 * (objects of at most JV_MAX_MEMBERS members, nesting up to JV_MAX_DEPTH,
 * integers of at most JV_MAX_DIGITS digits, no surrogate \u escapes, no
 * \u0000); on anything else jansson parses the line and its tree becomes
 * the same nodes. So every line is accepted or rejected exactly as jansson
 * decides, with jansson's error text; unusual lines take the slow road.
 *
 * The structs are public so a document can live on the caller's stack.
 * Nodes are read-only for callers; links are indexes into the array (0 is
 * the root, so it means "none" for a child or a sibling).
 *
 * Thread model: a document belongs to its caller; all functions are pure.
 */
#ifndef AN_JDOC_H
#define AN_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "lib/err.h"

/* The fast parser's subset (past these, jansson parses the line). */
#define JV_MAX_DEPTH 16
#define JV_MAX_MEMBERS 32    /* duplicate keys are found by a linear scan */
#define JV_MAX_DIGITS 18     /* always fits an int64_t */
#define JV_INLINE_NODES 64   /* a modified event has about 50 values */
#define JV_INLINE_ARENA 2048 /* and is about 1,100 bytes long */

enum jv_type { JV_OBJECT, JV_ARRAY, JV_STRING, JV_INTEGER, JV_REAL, JV_TRUE, JV_FALSE, JV_NULL };

/* One JSON value. Links are indexes into the node array; 0 means none, as
 * node 0 is the root and never anyone's child or sibling. */
struct jv {
	enum jv_type type;
	uint32_t child;   /* first member / item */
	uint32_t next;    /* next sibling */
	uint32_t key_len; /* member name length */
	uint64_t key_tag; /* key_tag(key): one compare rejects nearly every other key */
	uint64_t keys;    /* objects: bit key_bit(tag) of every member is set */
	const char *key;  /* member name (NUL-terminated), NULL in arrays */
	const char *str;  /* JV_STRING: value, NUL-terminated */
	size_t len;       /* JV_STRING: length */
	int64_t num;      /* JV_INTEGER */
};

/* The nodes and the decoded strings of one line. Small lines (nearly all)
 * use the inline storage, so parsing allocates nothing. */
struct jdoc {
	struct jv *v;
	uint32_t n, cap;
	char *arena; /* decoded strings; never reallocated while parsing */
	struct jv inline_nodes[JV_INLINE_NODES];
	char inline_arena[JV_INLINE_ARENA];
};

/* An empty document (no node). */
void jdoc_init(struct jdoc *d);

/* Free what parsing allocated; d is empty again. */
void jdoc_free(struct jdoc *d);

/*
 * Parse json[0..len) into d (initialised, empty): node 0 is the root, which
 * must be an object. A line outside the fast subset goes through jansson
 * with JSON_REJECT_DUPLICATES; *keep then holds jansson's tree, whose
 * strings the nodes borrow: json_decref it after jdoc_free. Invalid JSON
 * is VG_EPARSE "WHAT: not JSON: <jansson's text> (column N)".
 */
int jdoc_parse(struct jdoc *d, const char *json, size_t len, const char *what, json_t **keep,
	       struct vg_err *err) VG_MUST_CHECK;

/* The member key of object obj in node array v, or NULL. */
const struct jv *jv_getn(const struct jv *v, const struct jv *obj, const char *key, size_t key_len);

/* jv_getn with strlen(key): inline so that a literal key's length is
 * folded at compile time (a syscheck event makes some 40 lookups). */
static inline const struct jv *jv_get(const struct jv *v, const struct jv *obj, const char *key)
{
	return jv_getn(v, obj, key, strlen(key));
}

/* "object", "array", "string", "integer", "real", "boolean" or "null". */
const char *jv_type_name(const struct jv *j);

#endif
