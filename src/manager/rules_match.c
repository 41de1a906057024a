/*
 * rules_match.c - Evaluate one event against a loaded rule set.
 *
 * The walk is Wazuh's OS_CheckIfRuleMatch: parentless rules are tried in
 * order; a rule whose conditions all hold has its children tried in order,
 * the first child that (recursively) fires wins; a rule whose children all
 * fail fires itself unless it is noalert, in which case the walk goes on
 * with the next sibling as if it had not matched.
 *
 * Conditions are checked in Wazuh's order (decoded_as first, the frequency
 * search last, because the search has side effects: it marks the history
 * entries it consumed so the same burst does not fire twice).
 *
 * Everything mutable is in struct rules_state (one per analysis thread):
 * firedtimes, the ignore= clocks, the frequency histories (rings of
 * (time, matched level)), PCRE2 match data and the description buffer.
 */
#include "manager/rules.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "manager/rules_int.h"

struct rules_hist_entry {
	int64_t t;
	unsigned matched; /* Wazuh's lf->matched: level of the frequency rule that used it */
};

struct rules_hist {
	struct rules_hist_entry *e;
	unsigned cap;
	unsigned len;
	unsigned head; /* index of the oldest entry */
};

struct rules_state {
	const struct rules_set *set;
	uint64_t *fired;
	int64_t *ignored_at;
	struct rules_hist *hist;
	pcre2_match_data *md;
	struct vg_buf desc;
	struct an_rule_info info;
};

struct m_ctx {
	const struct rules_set *set;
	struct rules_state *st;
	const struct an_event *ev;
	const struct rules_trace *trace;
	const char *category;
	int64_t now;
	unsigned matched_level;
};

int rules_state_new(const struct rules_set *set, struct rules_state **out, struct vg_err *err)
{
	struct rules_state *st = vg_xcalloc(1, sizeof(*st));

	(void)err;
	st->set = set;
	st->fired = vg_xcalloc(set->n + 1, sizeof(*st->fired));
	st->ignored_at = vg_xcalloc(set->n + 1, sizeof(*st->ignored_at));
	st->hist = vg_xcalloc(set->n_hist + 1, sizeof(*st->hist));
	for (size_t i = 0; i < set->n_hist; i++) {
		st->hist[i].cap = set->hist_cap[i];
		st->hist[i].e = vg_xcalloc(set->hist_cap[i], sizeof(*st->hist[i].e));
	}
	st->md = pcre2_match_data_create(1, NULL);
	if (st->md == NULL)
		abort(); /* OOM, as vg_x* */
	vg_buf_init(&st->desc, RULES_MAX_DESCRIPTION);
	*out = st;
	return 0;
}

void rules_state_free(struct rules_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->set->n_hist; i++)
		vg_free(st->hist[i].e);
	vg_free(st->hist);
	vg_free(st->fired);
	vg_free(st->ignored_at);
	pcre2_match_data_free(st->md);
	vg_buf_free(&st->desc);
	vg_free(st);
}

/* Conditions --------------------------------------------------------------- */

static bool m_pat(const struct m_ctx *c, const struct rules_pat *p, const char *s)
{
	bool hit;

	if (s == NULL)
		return false; /* Wazuh: an absent value never matches, negated or not */
	if (p->kind == RULES_PAT_OSMATCH)
		hit = vg_osmatch_test(p->om, s);
	else if (p->kind == RULES_PAT_OSREGEX)
		hit = vg_osregex_test(p->orx, s);
	else
		hit = pcre2_match(p->pc, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, c->st->md,
				  NULL) >= 0;
	return hit != p->negate;
}

/* Wazuh's Search_LastSids / Search_LastGroups over this rule's history. */
static bool m_context(struct m_ctx *c, const struct rules_rule *r)
{
	struct rules_hist *h = &c->st->hist[r->search];
	unsigned count = 0;

	for (unsigned k = 0; k < h->len; k++) {
		struct rules_hist_entry *e = &h->e[(h->head + h->len - 1 - k) % h->cap];
		if (c->now - e->t > (int64_t)r->timeframe || e->matched >= r->level)
			return false;
		if (count < r->frequency) {
			count++;
			continue;
		}
		c->matched_level = r->level;
		e->matched = r->level;
		h->e[(h->head + h->len - 1) % h->cap].matched = r->level;
		return true;
	}
	return false;
}

static bool m_conditions(struct m_ctx *c, const struct rules_rule *r)
{
	const struct an_event *ev = c->ev;

	if (r->decoded_as != NULL &&
	    (ev->decoder == NULL || strcmp(ev->decoder, r->decoded_as) != 0))
		return false;
	if (r->category != NULL && strcmp(r->category, c->category) != 0)
		return false;
	if (r->maxsize != 0 && (ev->log == NULL || strlen(ev->log) < r->maxsize))
		return false;
	if (r->match != NULL && !m_pat(c, r->match, ev->log))
		return false;
	if (r->regex != NULL && !m_pat(c, r->regex, ev->log))
		return false;
	if (r->location != NULL && !m_pat(c, r->location, ev->location))
		return false;
	for (size_t i = 0; i < r->n_fields; i++)
		if (!m_pat(c, &r->fields[i].pat, an_fields_get(ev->fields, r->fields[i].name)))
			return false;
	for (size_t i = 0; i < r->n_lists; i++) {
		const struct rules_listref *l = &r->lists[i];
		if (!vg_cdblist_match(l->list, l->how, an_fields_get(ev->fields, l->field),
				      l->check != NULL ? vg_cdblist_check_osmatch : NULL, l->check))
			return false;
	}
	if (r->search >= 0 && !m_context(c, r))
		return false;
	return true;
}

static size_t m_check(struct m_ctx *c, size_t idx, unsigned depth)
{
	const struct rules_rule *r = c->set->rules[idx];
	bool ok = m_conditions(c, r);

	if (c->trace != NULL && c->trace->fn != NULL)
		c->trace->fn(c->trace->ctx, r->id, r->level, r->description, depth, ok);
	if (!ok)
		return SIZE_MAX;
	for (size_t k = 0; k < r->n_children; k++) {
		size_t hit = m_check(c, r->children[k], depth + 1);
		if (hit != SIZE_MAX)
			return hit;
	}
	return r->noalert ? SIZE_MAX : idx;
}

/* Firing ------------------------------------------------------------------- */

static const char *m_description(struct rules_state *st, const struct an_event *ev,
				 const struct rules_rule *r)
{
	if (r->desc == NULL)
		return r->description;
	vg_buf_reset(&st->desc);
	for (size_t i = 0; i < r->n_desc; i++) {
		const char *v = r->desc[i].is_field ? an_fields_get(ev->fields, r->desc[i].text)
						    : r->desc[i].text;
		/* Over the cap the description is cut, never failed. */
		if (v != NULL && vg_buf_puts(&st->desc, v) != 0)
			break;
	}
	return st->desc.data != NULL ? st->desc.data : "";
}

static void m_feed(struct m_ctx *c, const struct rules_rule *r)
{
	for (size_t i = 0; i < r->n_feeds; i++) {
		struct rules_hist *h = &c->st->hist[r->feeds[i]];
		struct rules_hist_entry e = {c->now, c->matched_level};
		if (h->len < h->cap) {
			h->e[(h->head + h->len) % h->cap] = e;
			h->len++;
		} else {
			h->e[h->head] = e;
			h->head = (h->head + 1) % h->cap;
		}
	}
}

/* Wazuh's ignore=: the first firing starts a window in which the rule does
 * not alert; the first firing after it closes the window. */
static bool m_ignored(struct m_ctx *c, size_t idx)
{
	const struct rules_rule *r = c->set->rules[idx];
	int64_t *at = &c->st->ignored_at[idx];

	if (r->ignore == 0)
		return false;
	if (*at == 0) {
		*at = c->now;
		return false;
	}
	if (c->now - *at < (int64_t)r->ignore)
		return true;
	*at = 0;
	return false;
}

/* The category Wazuh gives the decoder: syscheck and ossec events are "ossec". */
static const char *m_category(const struct an_event *ev)
{
	const char *d = ev->decoder;

	if (d != NULL && (strncmp(d, "syscheck", 8) == 0 || strcmp(d, "ossec") == 0 ||
			  strcmp(d, "rootcheck") == 0))
		return "ossec";
	return "syslog";
}

int rules_eval(const struct rules_set *set, struct rules_state *st, const struct an_event *ev,
	       struct rules_result *out, const struct rules_trace *trace, struct vg_err *err)
{
	struct m_ctx c = {set, st, ev, trace, m_category(ev), ev->time_ms / 1000, 0};
	size_t hit = SIZE_MAX;

	(void)err;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < set->n_top && hit == SIZE_MAX; i++)
		hit = m_check(&c, set->top[i], 0);
	if (hit == SIZE_MAX)
		return 0;
	const struct rules_rule *r = set->rules[hit];
	st->fired[hit]++;
	out->matched_id = r->id;
	out->matched_level = r->level;
	out->no_log = r->no_log;
	m_feed(&c, r);
	if (m_ignored(&c, hit)) {
		out->ignored = true;
		return 0;
	}
	if (r->level == 0)
		return 0;
	st->info = r->info;
	st->info.description = m_description(st, ev, r);
	st->info.firedtimes = st->fired[hit];
	out->alert = &st->info;
	return 0;
}
