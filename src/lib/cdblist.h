/*
 * cdblist.h - Wazuh CDB lists: plain "key:value" files compiled into a hash
 * table at load, and the lookups behind a rule's <list lookup="...">.
 *
 * Wazuh compiles each list into a .cdb file on disk; Vigie reads the text
 * once and keeps an in-memory table instead, so there is no compile step and
 * no stale .cdb. The line format follows Wazuh's list compiler exactly
 * (docs/rules.md, "CDB lists"): one "key:value" per line, the value optional
 * ("key:"), a key or value may be wrapped in double quotes so that it can
 * hold ':'; no comment syntax. Lines Wazuh would silently drop (no ':',
 * unterminated quote) are skipped too, but counted and logged with file:line,
 * so a list with junk lines loads and the daemon stays up. When a key repeats,
 * the first line wins (as with a .cdb lookup) and the repeat is counted.
 *
 * A loaded list is immutable: every function taking a const list may be
 * called from any number of threads at once without locking.
 */
#ifndef VG_CDBLIST_H
#define VG_CDBLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

/* Files larger than this are refused (VG_ETOOBIG) before being read. */
#define VG_CDBLIST_MAX_SIZE (256u * 1024u * 1024u)
/* Lines longer than this (bytes, excluding the newline) are skipped as junk. */
#define VG_CDBLIST_MAX_LINE 65535u

struct vg_cdblist;

/*
 * Load the list in path. *out is NULL on failure. Fails only when the file
 * cannot be read (VG_ENOTFOUND, VG_EPERM, VG_EINTERNAL), is not a regular
 * file (VG_EPARSE) or is over VG_CDBLIST_MAX_SIZE (VG_ETOOBIG): junk lines
 * are skipped and counted (vg_cdblist_skipped), never an error. An empty
 * file is an empty list. The caller frees *out with vg_cdblist_free.
 */
int vg_cdblist_load(const char *path, struct vg_cdblist **out, struct vg_err *err) VG_MUST_CHECK;

/*
 * Same as vg_cdblist_load on the len bytes at data (copied; need not be
 * NUL-terminated); name is used in messages in place of a path.
 */
int vg_cdblist_load_buffer(const char *name, const char *data, size_t len, struct vg_cdblist **out,
			   struct vg_err *err) VG_MUST_CHECK;

void vg_cdblist_free(struct vg_cdblist *l);

/* Number of distinct keys. */
size_t vg_cdblist_count(const struct vg_cdblist *l);
/* Lines skipped as junk (blank lines are not counted). */
size_t vg_cdblist_skipped(const struct vg_cdblist *l);
/* Lines whose key was already defined earlier (ignored; the first wins). */
size_t vg_cdblist_duplicates(const struct vg_cdblist *l);
/* The path or name given at load. Borrowed. */
const char *vg_cdblist_name(const struct vg_cdblist *l);

/*
 * The value stored for key ("" for "key:"), or NULL when key is absent.
 * Borrowed for the list's lifetime. Exact, case-sensitive byte comparison.
 */
const char *vg_cdblist_get(const struct vg_cdblist *l, const char *key);

/*
 * Wazuh's address lookup: the value of key addr itself if present, else of
 * the longest prefix of addr that ends in '.' ("192.168.1." then
 * "192.168." then "192."), else NULL. A list key "10.1." thus covers
 * 10.1.0.0/16; keys without a trailing '.' only match exactly ("10.0.0"
 * does not cover 10.0.0.1). As in Wazuh, addr is not validated as IPv4.
 */
const char *vg_cdblist_address_get(const struct vg_cdblist *l, const char *addr);
/* True when vg_cdblist_address_get would return non-NULL. */
bool vg_cdblist_address_lookup(const struct vg_cdblist *l, const char *addr);

/* The lookup="..." kinds of a rule's <list>. */
enum vg_cdblist_lookup {
	VG_CDBLIST_MATCH_KEY = 0, /* Wazuh's default */
	VG_CDBLIST_NOT_MATCH_KEY,
	VG_CDBLIST_MATCH_KEY_VALUE,
	VG_CDBLIST_NOT_MATCH_KEY_VALUE, /* Vigie extension */
	VG_CDBLIST_ADDRESS_MATCH_KEY,
	VG_CDBLIST_NOT_ADDRESS_MATCH_KEY,
	VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE,
	VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE, /* Vigie extension */
};

/* Parse a lookup= attribute ("match_key", ... case-insensitive like Wazuh);
 * anything else is VG_EPARSE. */
int vg_cdblist_lookup_parse(const char *name, enum vg_cdblist_lookup *out,
			    struct vg_err *err) VG_MUST_CHECK;
/* The attribute spelling of a lookup kind. Static string. */
const char *vg_cdblist_lookup_name(enum vg_cdblist_lookup how);
/* True for the *_VALUE kinds, which need a value check. */
bool vg_cdblist_lookup_needs_value(enum vg_cdblist_lookup how);

/*
 * A value check (the rule's check_value=): true when value matches. ctx is
 * the caller's compiled pattern; the function must be thread-safe for
 * concurrent calls with the same ctx if the list is shared.
 */
typedef bool (*vg_cdblist_check_fn)(const void *ctx, const char *value);

/* A vg_cdblist_check_fn for a compiled OSMatch pattern (ctx is a const
 * struct vg_osmatch *): Wazuh compiles check_value as OSMatch. */
bool vg_cdblist_check_osmatch(const void *ctx, const char *value);

/*
 * Evaluate lookup how of field against l:
 *   match_key                 field is a key
 *   not_match_key             field is not a key
 *   match_key_value           field is a key and check(ctx, its value) is true
 *   not_match_key_value       !match_key_value
 *   address_match_key         vg_cdblist_address_lookup(l, field)
 *   not_address_match_key     !address_match_key
 *   address_match_key_value   the value vg_cdblist_address_get finds passes check
 *   not_address_match_key_value  !address_match_key_value
 * A NULL field (the event has no such field) never matches, whatever the
 * kind, as in Wazuh. For the *_VALUE kinds a NULL check never matches
 * (positive kinds) and always matches (negated kinds). Thread-safe.
 *
 * Note: Wazuh 4.x inverts address_match_key_value's result (its code returns
 * "match" when the value check fails); Vigie implements the documented
 * meaning above.
 */
bool vg_cdblist_match(const struct vg_cdblist *l, enum vg_cdblist_lookup how, const char *field,
		      vg_cdblist_check_fn check, const void *ctx);

#endif
