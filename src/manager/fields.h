/*
 * fields.h - The decoded fields of one event: an ordered name -> value map.
 *
 * A decoder (syscheck, json...) fills one of these per event; the rule engine
 * reads it for <field name="x">regex</field>, for $(x) substitution in rule
 * descriptions, and the alert writer may list it. It plays the role of
 * Wazuh's lf->fields[] (analysisd/eventinfo.h), so:
 *
 *   - values are C strings exactly as Wazuh compares them: numbers are
 *     already printed in decimal ("69", "1704891124"), lists are joined the
 *     way Wazuh joins them ("size,mtime,md5"), nothing is typed;
 *   - names are case-sensitive ("md5" is not "MD5"), as in Wazuh's strcmp;
 *   - an absent field and a field holding "" are different: get() returns
 *     NULL for the first, "" for the second (a rule on an absent field never
 *     matches, one on "" may);
 *   - insertion order is kept and is the order iteration reports.
 *
 * Adding a name that is already present replaces its value in place (the
 * position stays that of the first add): decoders write a slot, last write
 * wins, as with Wazuh's fixed field slots.
 *
 * Size: an event has a few dozen fields, so the map is a flat array scanned
 * linearly, each entry tagged with a 32-bit hash of its name so a lookup
 * compares strings only on a hash hit. Name and value share one allocation.
 * Caps: AN_FIELDS_MAX entries, AN_FIELDS_NAME_MAX bytes of name and
 * AN_FIELDS_VALUE_MAX bytes of value (VG_ETOOBIG past them, map unchanged).
 *
 * Thread model: one owner thread; concurrent readers are safe only while
 * nobody writes (all const functions are pure reads).
 */
#ifndef AN_FIELDS_H
#define AN_FIELDS_H

#include <stddef.h>
#include <string.h>

#include "lib/err.h"

#define AN_FIELDS_MAX 256
#define AN_FIELDS_NAME_MAX 128
#define AN_FIELDS_VALUE_MAX (1024u * 1024u)

struct an_fields;

/* A new empty map (never NULL: aborts on OOM like every vg_x* allocation). */
struct an_fields *an_fields_new(void);

/* Free the map and every name and value it holds. NULL is allowed. */
void an_fields_free(struct an_fields *f);

/* Forget every entry but keep the memory for the next event. */
void an_fields_clear(struct an_fields *f);

/*
 * Set name to value (both copied). An empty name or a NULL pointer is
 * VG_EPARSE; more than AN_FIELDS_MAX entries or an over-long name or value
 * is VG_ETOOBIG. On failure the map is unchanged.
 */
int an_fields_add(struct an_fields *f, const char *name, const char *value,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Same as an_fields_add with a value of explicit length (not NUL-terminated,
 * e.g. a slice of a log line). A NUL byte inside value[0..len) is VG_EPARSE:
 * values are C strings.
 */
int an_fields_addn(struct an_fields *f, const char *name, const char *value, size_t len,
		   struct vg_err *err) VG_MUST_CHECK;

/* The value of name, or NULL when absent. Borrowed until the next write. */
const char *an_fields_getn(const struct an_fields *f, const char *name, size_t name_len);

/* an_fields_getn with strlen(name) (NULL name: NULL): inline so that a
 * literal name's length is folded at compile time. */
static inline const char *an_fields_get(const struct an_fields *f, const char *name)
{
	return name != NULL ? an_fields_getn(f, name, strlen(name)) : NULL;
}

/* How many entries the map holds. */
size_t an_fields_count(const struct an_fields *f);

/*
 * Entry i (0 <= i < count) in insertion order: *name and *value are borrowed
 * until the next write. Iterate with
 *     for (size_t i = 0; i < an_fields_count(f); i++) { an_fields_at(f, i, &n, &v); ... }
 * Returns VG_ENOTFOUND (outputs set to NULL) when i is out of range.
 */
int an_fields_at(const struct an_fields *f, size_t i, const char **name, const char **value);

#endif
