/*
 * str.h - String helpers: bounded copies, strict number parsing, escaping,
 * UTF-8 validation.
 */
#ifndef VG_STR_H
#define VG_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Copy src into dst (size dstsz, > 0), always NUL-terminated; returns strlen(src). */
size_t vg_strlcpy(char *dst, const char *src, size_t dstsz);

/*
 * Parse a whole decimal unsigned number of at most max. Leading/trailing
 * spaces, signs, empty strings and trailing garbage are VG_EPARSE; values over
 * max are VG_ETOOBIG. *out is set to 0 on failure.
 */
int vg_parse_u64(const char *s, uint64_t max, uint64_t *out) VG_MUST_CHECK;

/* Like vg_parse_u64 for a signed value in [min, max]. */
int vg_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) VG_MUST_CHECK;

/*
 * Parse a size with an optional unit: a plain number is in default_unit bytes;
 * B, KB, MB, GB, TB (case-insensitive, 1024-based) override it. Overflow is
 * VG_ETOOBIG.
 */
int vg_parse_size(const char *s, uint64_t default_unit, uint64_t *out) VG_MUST_CHECK;

/*
 * Escape untrusted bytes for a log line: printable ASCII passes, backslash
 * and double quote are backslashed, everything else is \n, \t or \xHH. The
 * result is cut (ending in "...") to fit dstsz. Returns dst.
 */
char *vg_escape(char *dst, size_t dstsz, const char *src, size_t len);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool vg_utf8_valid(const char *s, size_t len);

/* Lowercase hex of n bytes into dst (2n + 1 bytes, NUL-terminated). */
void vg_hex_encode(char *dst, const void *src, size_t n);

/*
 * True when s[0..len) (len > 0) holds only ASCII letters, digits, '.', '_'
 * and '-': Wazuh's alphabet for agent names and groups, and what a
 * certificate CN may hold (safe in logs, file names and SQL).
 */
bool vg_str_is_name(const char *s, size_t len);

/* The value of one hex digit (either case), or -1 when c is no hex digit. */
int vg_hex_digit(char c);

/*
 * Decode the hex string hex (lower or upper case) into dst (cap bytes);
 * *n receives the byte count. An odd length, a non-hex character or more
 * than cap bytes is VG_EPARSE.
 */
int vg_hex_decode(const char *hex, unsigned char *dst, size_t cap, size_t *n) VG_MUST_CHECK;

/*
 * Walk a comma-separated list: sets *item and *len to the next element,
 * trimmed of white space (possibly empty), and advances *s past it.
 * Returns false once the list is done (*s is then NULL). Start with *s on
 * the list; an empty list yields one empty element.
 */
bool vg_str_next_item(const char **s, const char **item, size_t *len);

/* True when s starts with prefix (case-insensitive ASCII). */
bool vg_str_has_icase_prefix(const char *s, const char *prefix);

#endif
