/*
 * str.c - Bounded copies, strict number parsing, log escaping, UTF-8 checks.
 *
 * Parsing is strict on purpose: configuration values such as "10 " or "1e3"
 * are errors the user must see, not numbers silently truncated.
 */
#include "lib/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t vg_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t len = strlen(src);
	if (dstsz != 0) {
		size_t n = len < dstsz - 1 ? len : dstsz - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int vg_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	*out = 0;
	if (s == NULL || !isdigit((unsigned char)s[0]))
		return VG_EPARSE;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end != '\0')
		return VG_EPARSE;
	if (errno == ERANGE || v > max)
		return VG_ETOOBIG;
	*out = v;
	return 0;
}

int vg_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	*out = 0;
	if (s == NULL)
		return VG_EPARSE;
	const char *p = s[0] == '-' ? s + 1 : s;
	if (!isdigit((unsigned char)p[0]))
		return VG_EPARSE;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0')
		return VG_EPARSE;
	if (errno == ERANGE || v < min || v > max)
		return VG_ETOOBIG;
	*out = v;
	return 0;
}

int vg_parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} units[] = {{"B", 1},           {"KB", 1ULL << 10}, {"MB", 1ULL << 20},
		     {"GB", 1ULL << 30}, {"TB", 1ULL << 40}, {"K", 1ULL << 10},
		     {"M", 1ULL << 20},  {"G", 1ULL << 30},  {"T", 1ULL << 40}};
	char num[32];
	size_t digits = 0;
	uint64_t v, mult = default_unit;

	*out = 0;
	while (isdigit((unsigned char)s[digits]))
		digits++;
	if (digits == 0 || digits >= sizeof(num))
		return digits == 0 ? VG_EPARSE : VG_ETOOBIG;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (s[digits] != '\0') {
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcasecmp(s + digits, units[i].name) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return VG_EPARSE;
		mult = units[i].mult;
	}
	int rc = vg_parse_u64(num, UINT64_MAX, &v);
	if (rc != 0)
		return rc;
	if (mult != 0 && v > UINT64_MAX / mult)
		return VG_ETOOBIG;
	*out = v * mult;
	return 0;
}

char *vg_escape(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (dstsz == 0)
		return dst;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		char tmp[4];
		size_t n = 0;
		if (c == '\\' || c == '"') {
			tmp[n++] = '\\';
			tmp[n++] = (char)c;
		} else if (c == '\n' || c == '\t') {
			tmp[n++] = '\\';
			tmp[n++] = c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c >= 0x7f) {
			tmp[n++] = '\\';
			tmp[n++] = 'x';
			tmp[n++] = hex[c >> 4];
			tmp[n++] = hex[c & 15];
		} else {
			tmp[n++] = (char)c;
		}
		if (o + n + 4 > dstsz) { /* room for "..." and NUL */
			if (dstsz >= 4) {
				memcpy(dst + (o < dstsz - 4 ? o : dstsz - 4), "...", 4);
				return dst;
			}
			break;
		}
		memcpy(dst + o, tmp, n);
		o += n;
	}
	dst[o < dstsz ? o : dstsz - 1] = '\0';
	return dst;
}

bool vg_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

bool vg_str_next_item(const char **s, const char **item, size_t *len)
{
	const char *p = *s;
	if (p == NULL)
		return false;
	const char *comma = strchr(p, ',');
	size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
	while (n > 0 && isspace((unsigned char)p[0])) {
		p++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	*item = p;
	*len = n;
	*s = comma != NULL ? comma + 1 : NULL;
	return true;
}

bool vg_str_has_icase_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void vg_hex_encode(char *dst, const void *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = src;

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[p[i] >> 4];
		dst[2 * i + 1] = digits[p[i] & 0xf];
	}
	dst[2 * n] = '\0';
}

bool vg_str_is_name(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Each byte's value as a hex digit plus one, 0 for the other bytes: a
 * table, since digests are decoded per file scanned and per alert stored. */
static const unsigned char hex_value[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int vg_hex_digit(char c)
{
	return (int)hex_value[(unsigned char)c] - 1;
}

int vg_hex_decode(const char *hex, unsigned char *dst, size_t cap, size_t *n)
{
	size_t len = strlen(hex);

	*n = 0;
	if (len % 2 != 0 || len / 2 > cap)
		return VG_EPARSE;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned hi = hex_value[(unsigned char)hex[2 * i]];
		unsigned lo = hex_value[(unsigned char)hex[2 * i + 1]];
		if (hi == 0 || lo == 0)
			return VG_EPARSE;
		dst[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	*n = len / 2;
	return 0;
}
