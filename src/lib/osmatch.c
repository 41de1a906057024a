/*
 * osmatch.c - Wazuh/OSSEC "OSMatch" (sregex) patterns.
 *
 * Same semantics as Wazuh's os_regex OSMatch, which <ignore type="sregex">,
 * restrict= and event_location use: the pattern is split on '|' into
 * alternatives; each is a case-insensitive substring test, '^' as its first
 * byte anchors it at the start of the subject and '$' as its last byte at
 * the end. A leading '!' negates the result of the whole pattern. There is
 * no escaping and no other metacharacter: '.' and '*' are literal bytes, so
 * ".log$" means "ends with .log".
 *
 * A compiled pattern is immutable after vg_osmatch_compile() returns, so it
 * can be shared between threads without locking.
 */
#include "lib/osmatch.h"

#include <string.h>
#include <strings.h>

#include "lib/mem.h"
#include "lib/str.h"

/* Longer patterns are refused: Wazuh's own limit is 2048 (OS_PATTERN_MAXSIZE). */
#define OSMATCH_MAX_PATTERN 4096

struct osmatch_alt {
	char *text; /* the literal part, anchors removed */
	size_t len;
	bool start; /* '^' */
	bool end;   /* '$' */
};

struct vg_osmatch {
	char *pattern; /* as given, for messages */
	bool negate;
	size_t nalts;
	struct osmatch_alt alts[]; /* nalts entries */
};

static size_t osmatch_count_alts(const char *p)
{
	size_t n = 1;
	for (; *p != '\0'; p++)
		if (*p == '|')
			n++;
	return n;
}

/* Fill alt from the bytes [s, s+len) of one alternative. */
static int osmatch_alt_init(struct osmatch_alt *alt, const char *s, size_t len, const char *pattern,
			    struct vg_err *err)
{
	char esc[96];

	alt->start = len > 0 && s[0] == '^';
	if (alt->start) {
		s++;
		len--;
	}
	alt->end = len > 0 && s[len - 1] == '$';
	if (alt->end)
		len--;
	/* "^$" is a meaningful empty-string test; "", "^" and "$" are typos. */
	if (len == 0 && !(alt->start && alt->end))
		return vg_err_set(err, VG_EPARSE, "empty alternative in pattern \"%s\"",
				  vg_escape(esc, sizeof(esc), pattern, strlen(pattern)));
	alt->text = vg_xstrndup(s, len);
	alt->len = len;
	return 0;
}

int vg_osmatch_compile(const char *pattern, struct vg_osmatch **out, struct vg_err *err)
{
	struct vg_osmatch *m = NULL;
	int rc = 0;

	*out = NULL;
	size_t plen = strlen(pattern);
	if (plen > OSMATCH_MAX_PATTERN) {
		rc = vg_err_set(err, VG_ETOOBIG, "pattern longer than %d bytes",
				OSMATCH_MAX_PATTERN);
		goto out;
	}
	const char *body = pattern;
	bool negate = body[0] == '!';
	if (negate)
		body++;
	if (body[0] == '\0') {
		rc = vg_err_set(err, VG_EPARSE, "empty pattern");
		goto out;
	}
	size_t nalts = osmatch_count_alts(body);
	m = vg_xcalloc(1, sizeof(*m) + nalts * sizeof(m->alts[0]));
	m->pattern = vg_xstrdup(pattern);
	m->negate = negate;
	const char *s = body;
	for (size_t i = 0; i < nalts; i++) {
		const char *bar = strchr(s, '|');
		size_t len = bar != NULL ? (size_t)(bar - s) : strlen(s);
		rc = osmatch_alt_init(&m->alts[i], s, len, pattern, err);
		if (rc != 0)
			goto out;
		m->nalts++;
		s += len + 1;
	}
	*out = m; /* transferred */
	m = NULL;
out:
	vg_osmatch_free(m);
	return rc;
}

static bool osmatch_alt_test(const struct osmatch_alt *a, const char *s, size_t slen)
{
	if (a->len > slen)
		return false;
	if (a->start && a->end)
		return a->len == slen && strncasecmp(s, a->text, a->len) == 0;
	if (a->start)
		return strncasecmp(s, a->text, a->len) == 0;
	if (a->end)
		return strncasecmp(s + slen - a->len, a->text, a->len) == 0;
	return strcasestr(s, a->text) != NULL;
}

bool vg_osmatch_test(const struct vg_osmatch *m, const char *s)
{
	size_t slen = strlen(s);
	bool hit = false;

	for (size_t i = 0; i < m->nalts && !hit; i++)
		hit = osmatch_alt_test(&m->alts[i], s, slen);
	return hit != m->negate;
}

const char *vg_osmatch_pattern(const struct vg_osmatch *m)
{
	return m->pattern;
}

void vg_osmatch_free(struct vg_osmatch *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nalts; i++)
		vg_free(m->alts[i].text);
	vg_free(m->pattern);
	vg_free(m);
}
