/*
 * osregex.c - Wazuh/OSSEC "OS_Regex" patterns, on a Pike VM.
 *
 * Wazuh's own matcher walks the pattern with a handful of saved restart
 * points; it is fast but misses matches that need deeper backtracking (its
 * docs: "\p*\d*\s*\w*:" does not match ":"). Vigie keeps the syntax and the
 * observable choices (case folding, per-alternative capture numbering,
 * first alternative wins, and where a repetition stops: it hands over as
 * soon as the next byte fits the item after it, else keeps going, so the
 * last item of an alternative runs as far as it can) but as preferences of
 * a regular expression engine: when they lead nowhere, the other ways are
 * tried, and if a match exists it is found.
 *
 * Compilation turns each alternative into a small program: SET (one byte of
 * a 256-bit class), SPLIT (leave or repeat, preference decided by the next
 * byte against the follow set, the next item's class), JMP, SAVE
 * (capture offset), END ('$') and MATCH. The language has no repeated or
 * nested groups, so the program has no empty loops. Matching runs all
 * threads in lockstep over the subject (Pike VM): each instruction is
 * visited at most once per subject byte, so time is O(bytes x program),
 * never exponential, and a step counter stops pathological combinations of
 * huge patterns and huge subjects (VG_OSREGEX_MAX_STEPS).
 *
 * Invariant: a compiled struct vg_osregex is never written after
 * vg_osregex_compile() returns; matching allocates its own scratch, so one
 * regex can be used from many threads at once.
 */
#include "lib/osregex.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/str.h"

/* ------------------------------------------------------------------------ */
/* Program representation                                                   */
/* ------------------------------------------------------------------------ */

enum rx_op {
	RX_SET,   /* consume one byte in sets[x] */
	RX_SPLIT, /* a repetition: leave at x or loop at y (see rx_addthread) */
	RX_JMP,   /* continue at x */
	RX_SAVE,  /* capture slot x = current offset */
	RX_END,   /* only at the end of the subject ('$') */
	RX_MATCH,
};

struct rx_inst {
	enum rx_op op;
	uint32_t x;
	uint32_t y;
	uint32_t follow; /* RX_SPLIT: set of the next item, or RX_NONE */
};

#define RX_NONE UINT32_MAX

struct rx_set {
	uint64_t bits[4];
};

struct rx_alt {
	uint32_t start; /* first instruction */
	bool bol;       /* '^' */
	unsigned ngroups;
	bool has_first; /* every match begins with a byte of first */
	struct rx_set first;
};

struct vg_osregex {
	char *pattern;
	struct rx_inst *prog;
	uint32_t ninst;
	uint32_t nthreads; /* SET + MATCH instructions: most threads per list */
	struct rx_set *sets;
	uint32_t nsets;
	struct rx_alt *alts;
	unsigned nalts;
	unsigned maxgroups;
	bool all_bol;       /* no alternative can start after offset 0 */
	bool all_has_first; /* union of first sets is a valid filter */
	struct rx_set first;
};

static bool rx_set_has(const struct rx_set *set, unsigned char c)
{
	return (set->bits[c >> 6] >> (c & 63)) & 1U;
}

static void rx_set_add(struct rx_set *set, unsigned char c)
{
	set->bits[c >> 6] |= UINT64_C(1) << (c & 63);
}

static void rx_set_range(struct rx_set *set, unsigned char lo, unsigned char hi)
{
	for (unsigned c = lo; c <= hi; c++)
		rx_set_add(set, (unsigned char)c);
}

static void rx_set_invert(struct rx_set *set)
{
	for (size_t i = 0; i < 4; i++)
		set->bits[i] = ~set->bits[i];
}

/* A literal byte; ASCII letters match either case (Wazuh folds both sides). */
static void rx_set_literal(struct rx_set *set, unsigned char c)
{
	rx_set_add(set, c);
	if (c >= 'A' && c <= 'Z')
		rx_set_add(set, (unsigned char)(c + 32));
	else if (c >= 'a' && c <= 'z')
		rx_set_add(set, (unsigned char)(c - 32));
}

/*
 * The set for escape "\e"; false for an escape Wazuh rejects. The tables
 * are Wazuh's (os_regex_maps.c): \w also takes '_' (its docs omit it), \s
 * is only the space, \p is the 26 bytes below.
 */
static bool rx_set_escape(struct rx_set *set, char e)
{
	static const char punct[] = "!\"#$%&'()*+,-.:;<=>?[]{|}";

	memset(set, 0, sizeof(*set));
	switch (e) {
	case 'w':
	case 'W':
		rx_set_range(set, 'a', 'z');
		rx_set_range(set, 'A', 'Z');
		rx_set_range(set, '0', '9');
		rx_set_add(set, '-');
		rx_set_add(set, '@');
		rx_set_add(set, '_');
		break;
	case 'd':
	case 'D':
		rx_set_range(set, '0', '9');
		break;
	case 's':
	case 'S':
		rx_set_add(set, ' ');
		break;
	case 't':
		rx_set_add(set, '\t');
		break;
	case 'p':
		for (const char *p = punct; *p != '\0'; p++)
			rx_set_add(set, (unsigned char)*p);
		break;
	case '.':
		rx_set_invert(set);
		break;
	case '\\':
	case '$':
	case '(':
	case ')':
	case '|':
	case '<':
		rx_set_add(set, (unsigned char)e);
		break;
	default:
		return false;
	}
	if (e == 'W' || e == 'D' || e == 'S')
		rx_set_invert(set);
	return true;
}

/* ------------------------------------------------------------------------ */
/* Compiler                                                                 */
/* ------------------------------------------------------------------------ */

/* Growable arrays of the program being built, and where the parse is. */
struct rx_build {
	struct vg_osregex *re;
	uint32_t icap;
	uint32_t scap;
	unsigned acap;
	const char *pattern;
	struct vg_err *err;
};

static uint32_t rx_emit(struct rx_build *b, enum rx_op op, uint32_t x, uint32_t y)
{
	struct vg_osregex *re = b->re;

	if (re->ninst == b->icap) {
		b->icap = b->icap == 0 ? 64 : b->icap * 2;
		re->prog = vg_xreallocarray(re->prog, b->icap, sizeof(re->prog[0]));
	}
	re->prog[re->ninst] = (struct rx_inst){op, x, y, RX_NONE};
	if (op == RX_SET || op == RX_MATCH)
		re->nthreads++;
	return re->ninst++;
}

static uint32_t rx_add_set(struct rx_build *b, const struct rx_set *set)
{
	struct vg_osregex *re = b->re;

	if (re->nsets == b->scap) {
		b->scap = b->scap == 0 ? 16 : b->scap * 2;
		re->sets = vg_xreallocarray(re->sets, b->scap, sizeof(re->sets[0]));
	}
	re->sets[re->nsets] = *set;
	return re->nsets++;
}

static int rx_fail(struct rx_build *b, size_t at, const char *what)
{
	char esc[96];
	const char *p = b->pattern;

	return vg_err_set(b->err, VG_EPARSE, "regex \"%s\": %s at offset %zu",
			  vg_escape(esc, sizeof(esc), p, strlen(p)), what, at);
}

/*
 * Emit one item matching a byte of set, repeated per quant ('\0', '+' or
 * '*'). The previous item's SPLIT, if any (*pending), learns this item's
 * set as its follow set; this item's SPLIT becomes the pending one.
 */
static void rx_emit_item(struct rx_build *b, uint32_t *pending, const struct rx_set *set,
			 char quant)
{
	uint32_t s = rx_add_set(b, set);
	uint32_t pc = b->re->ninst;

	if (*pending != RX_NONE)
		b->re->prog[*pending].follow = s;
	*pending = RX_NONE;
	if (quant == '+') {
		rx_emit(b, RX_SET, s, 0);
		*pending = rx_emit(b, RX_SPLIT, pc + 2, pc);
	} else if (quant == '*') {
		*pending = rx_emit(b, RX_SPLIT, pc + 3, pc + 1);
		rx_emit(b, RX_SET, s, 0);
		rx_emit(b, RX_JMP, pc, 0);
	} else {
		rx_emit(b, RX_SET, s, 0);
	}
}

/* Per-alternative parse state. */
struct rx_altparse {
	struct rx_alt alt;
	bool in_group;
	size_t group_at;  /* offset of the open '(' */
	size_t nitems;    /* tokens other than anchors */
	bool first_known; /* the first consuming item was seen */
	uint32_t pending; /* SPLIT of the previous item if repeated */
};

/* Parse one escape at p[i] == '\\'; returns bytes used or 0 on error. */
static size_t rx_parse_escape(struct rx_build *b, struct rx_altparse *ap, size_t i)
{
	const char *p = b->pattern;
	struct rx_set set;
	char msg[48];

	if (p[i + 1] == '\0') {
		rx_fail(b, i, "trailing backslash");
		return 0;
	}
	if (!rx_set_escape(&set, p[i + 1])) {
		unsigned char e = (unsigned char)p[i + 1];
		if (e >= 0x20 && e < 0x7f)
			snprintf(msg, sizeof(msg), "unknown escape '\\%c'", e);
		else
			snprintf(msg, sizeof(msg), "unknown escape '\\x%02x'", e);
		rx_fail(b, i, msg);
		return 0;
	}
	char quant = p[i + 2] == '+' || p[i + 2] == '*' ? p[i + 2] : '\0';
	if (!ap->first_known) {
		ap->first_known = true;
		ap->alt.has_first = quant != '*';
		ap->alt.first = set;
	}
	rx_emit_item(b, &ap->pending, &set, quant);
	return quant != '\0' ? 3 : 2;
}

static void rx_literal(struct rx_build *b, struct rx_altparse *ap, unsigned char c)
{
	struct rx_set set;

	memset(&set, 0, sizeof(set));
	rx_set_literal(&set, c);
	if (!ap->first_known) {
		ap->first_known = true;
		ap->alt.has_first = true;
		ap->alt.first = set;
	}
	rx_emit_item(b, &ap->pending, &set, '\0');
}

static int rx_open_group(struct rx_build *b, struct rx_altparse *ap, size_t i)
{
	if (ap->in_group)
		return rx_fail(b, i, "nested '(' (groups cannot nest)");
	if (ap->alt.ngroups == VG_OSREGEX_MAX_CAPTURES)
		return rx_fail(b, i, "more than 16 capture groups in one alternative");
	ap->in_group = true;
	ap->group_at = i;
	rx_emit(b, RX_SAVE, 2 + 2 * ap->alt.ngroups, 0);
	return 0;
}

static int rx_close_group(struct rx_build *b, struct rx_altparse *ap, size_t i)
{
	if (!ap->in_group)
		return rx_fail(b, i, "')' without '('");
	ap->in_group = false;
	rx_emit(b, RX_SAVE, 3 + 2 * ap->alt.ngroups, 0);
	ap->alt.ngroups++;
	return 0;
}

/*
 * Compile the alternative starting at *pos; on return *pos is at its '|'
 * or at the final NUL.
 */
static int rx_compile_alt(struct rx_build *b, size_t *pos, struct rx_alt *out)
{
	const char *p = b->pattern;
	struct rx_altparse ap = {.pending = RX_NONE};
	size_t i = *pos;
	size_t begin = i;
	bool eol = false;
	int rc = 0;

	ap.alt.start = b->re->ninst;
	ap.alt.bol = p[i] == '^';
	if (ap.alt.bol)
		i++;
	rx_emit(b, RX_SAVE, 0, 0);
	while (p[i] != '\0' && !(p[i] == '|' && !ap.in_group)) {
		size_t used = 1;
		bool item = true;
		if (p[i] == '\\') {
			used = rx_parse_escape(b, &ap, i);
			if (used == 0)
				return VG_EPARSE;
		} else if (p[i] == '(') {
			rc = rx_open_group(b, &ap, i);
		} else if (p[i] == ')') {
			rc = rx_close_group(b, &ap, i);
		} else if (p[i] == '|') {
			rc = rx_fail(b, i, "'|' inside a group");
		} else if (p[i] == '$' && (p[i + 1] == '\0' || p[i + 1] == '|') && !ap.in_group) {
			eol = true;
			item = false;
		} else {
			rx_literal(b, &ap, (unsigned char)p[i]);
		}
		if (rc != 0)
			return rc;
		if (item)
			ap.nitems++;
		i += used;
	}
	if (ap.in_group)
		return rx_fail(b, ap.group_at, "'(' without ')'");
	/* "^$" tests for the empty string; "", "^", "$" and "a||b" are typos. */
	if (ap.nitems == 0 && !(ap.alt.bol && eol))
		return rx_fail(b, begin, "empty alternative");
	if (eol)
		rx_emit(b, RX_END, 0, 0);
	rx_emit(b, RX_SAVE, 1, 0);
	rx_emit(b, RX_MATCH, 0, 0);
	*out = ap.alt;
	*pos = i;
	return 0;
}

/* Precompute the whole-pattern filters used by vg_osregex_test(). */
static void rx_summarize(struct vg_osregex *re)
{
	re->all_bol = true;
	re->all_has_first = true;
	memset(&re->first, 0, sizeof(re->first));
	for (unsigned a = 0; a < re->nalts; a++) {
		const struct rx_alt *alt = &re->alts[a];
		re->all_bol = re->all_bol && alt->bol;
		re->all_has_first = re->all_has_first && alt->has_first;
		for (size_t k = 0; k < 4; k++)
			re->first.bits[k] |= alt->first.bits[k];
		if (alt->ngroups > re->maxgroups)
			re->maxgroups = alt->ngroups;
	}
}

int vg_osregex_compile(const char *pattern, struct vg_osregex **out, struct vg_err *err)
{
	struct vg_osregex *re = NULL;
	int rc = 0;

	*out = NULL;
	size_t plen = strlen(pattern);
	if (plen > VG_OSREGEX_MAX_PATTERN) {
		rc = vg_err_set(err, VG_ETOOBIG, "regex longer than %d bytes",
				VG_OSREGEX_MAX_PATTERN);
		goto out;
	}
	if (plen == 0) {
		rc = vg_err_set(err, VG_EPARSE, "empty regex");
		goto out;
	}
	re = vg_xcalloc(1, sizeof(*re));
	re->pattern = vg_xstrdup(pattern);
	struct rx_build b = {.re = re, .pattern = pattern, .err = err};
	size_t pos = 0;
	for (;;) {
		struct rx_alt alt;
		rc = rx_compile_alt(&b, &pos, &alt);
		if (rc != 0)
			goto out;
		if (re->nalts == b.acap) {
			b.acap = b.acap == 0 ? 4 : b.acap * 2;
			re->alts = vg_xreallocarray(re->alts, b.acap, sizeof(re->alts[0]));
		}
		re->alts[re->nalts++] = alt;
		if (pattern[pos] == '\0')
			break;
		pos++; /* the '|' */
	}
	rx_summarize(re);
	*out = re; /* transferred */
	re = NULL;
out:
	vg_osregex_free(re);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Pike VM                                                                  */
/* ------------------------------------------------------------------------ */

#define RX_UNSET SIZE_MAX

/* Threads waiting to consume the byte at one offset, in priority order. */
struct rx_list {
	uint32_t n;
	uint32_t *pc;
	size_t *caps; /* n x ncap slots */
};

/* The addthread work stack: explore pc, or undo a SAVE when unwinding. */
struct rx_frame {
	bool restore;
	uint32_t pc_or_slot;
	size_t old;
};

struct rx_vm {
	const struct vg_osregex *re;
	const unsigned char *s;
	size_t len;
	size_t ncap;  /* capture slots tracked: 0 for a plain test */
	size_t *seen; /* per instruction: generation of its last visit */
	size_t gen;
	struct rx_frame *stack;
	size_t *scratch; /* slots of the thread being added */
	struct rx_list lists[2];
	unsigned long steps;
	bool over; /* VG_OSREGEX_MAX_STEPS reached */
};

static void rx_vm_init(struct rx_vm *vm, const struct vg_osregex *re, const char *s, size_t ncap)
{
	memset(vm, 0, sizeof(*vm));
	vm->re = re;
	vm->s = (const unsigned char *)s;
	vm->len = strlen(s);
	vm->ncap = ncap;
	vm->seen = vg_xcalloc(re->ninst, sizeof(vm->seen[0]));
	vm->stack = vg_xcalloc((size_t)re->ninst + 1, sizeof(vm->stack[0]));
	vm->scratch = vg_xcalloc(ncap + 1, sizeof(vm->scratch[0]));
	for (size_t k = 0; k < 2; k++) {
		vm->lists[k].pc = vg_xcalloc(re->nthreads, sizeof(uint32_t));
		vm->lists[k].caps = vg_xcalloc((size_t)re->nthreads * ncap + 1, sizeof(size_t));
	}
}

static void rx_vm_fini(struct rx_vm *vm)
{
	vg_free(vm->seen);
	vg_free(vm->stack);
	vg_free(vm->scratch);
	for (size_t k = 0; k < 2; k++) {
		vg_free(vm->lists[k].pc);
		vg_free(vm->lists[k].caps);
	}
}

/*
 * Follow the empty moves from pc at offset pos, appending every SET/MATCH
 * reached to list, in priority order, with vm->scratch's slots. A SPLIT
 * explores leaving first when the byte at pos fits its follow set, else
 * repeating first (Wazuh's "hand over when the next item matches"). gen marks
 * the list being built: an instruction a higher-priority thread already
 * reached for this offset is not visited again, which bounds the work.
 */
static void rx_addthread(struct rx_vm *vm, struct rx_list *list, uint32_t pc0, size_t pos,
			 size_t gen)
{
	const struct rx_inst *prog = vm->re->prog;
	size_t sp = 0;

	vm->stack[sp++] = (struct rx_frame){false, pc0, 0};
	while (sp > 0) {
		struct rx_frame f = vm->stack[--sp];
		if (f.restore) {
			vm->scratch[f.pc_or_slot] = f.old;
			continue;
		}
		uint32_t pc = f.pc_or_slot;
		while (vm->seen[pc] != gen) {
			vm->seen[pc] = gen;
			if (++vm->steps > VG_OSREGEX_MAX_STEPS) {
				vm->over = true;
				return;
			}
			const struct rx_inst *in = &prog[pc];
			if (in->op == RX_JMP) {
				pc = in->x;
			} else if (in->op == RX_SPLIT) {
				bool leave = in->follow != RX_NONE && pos < vm->len &&
					     rx_set_has(&vm->re->sets[in->follow], vm->s[pos]);
				vm->stack[sp++] =
				    (struct rx_frame){false, leave ? in->y : in->x, 0};
				pc = leave ? in->x : in->y;
			} else if (in->op == RX_SAVE) {
				if (in->x < vm->ncap) {
					vm->stack[sp++] =
					    (struct rx_frame){true, in->x, vm->scratch[in->x]};
					vm->scratch[in->x] = pos;
				}
				pc++;
			} else if (in->op == RX_END) {
				if (pos != vm->len)
					break;
				pc++;
			} else { /* RX_SET, RX_MATCH: a thread */
				list->pc[list->n] = pc;
				memcpy(list->caps + (size_t)list->n * vm->ncap, vm->scratch,
				       vm->ncap * sizeof(size_t));
				list->n++;
				break;
			}
		}
	}
}

/* Start a fresh thread for every alternative in [lo, hi) allowed at pos. */
static void rx_seed(struct rx_vm *vm, struct rx_list *list, unsigned lo, unsigned hi, size_t pos,
		    size_t gen)
{
	for (unsigned a = lo; a < hi && !vm->over; a++) {
		if (vm->re->alts[a].bol && pos > 0)
			continue;
		for (size_t k = 0; k < vm->ncap; k++)
			vm->scratch[k] = RX_UNSET;
		rx_addthread(vm, list, vm->re->alts[a].start, pos, gen);
	}
}

/* What the run loop needs to know about alternatives [lo, hi). */
struct rx_range {
	unsigned lo;
	unsigned hi;
	bool all_bol;
	const struct rx_set *first; /* NULL: no byte filter */
};

/*
 * Run alternatives [r->lo, r->hi) over the subject. With vm->ncap == 0,
 * return at the first MATCH reached. Otherwise keep the highest-priority
 * match (leftmost start, then the VM's preferences) in best[0..ncap).
 */
static bool rx_run(struct rx_vm *vm, const struct rx_range *r, size_t *best)
{
	struct rx_list *clist = &vm->lists[0];
	struct rx_list *nlist = &vm->lists[1];
	size_t cgen = ++vm->gen;
	bool matched = false;
	size_t pos = 0;

	clist->n = 0;
	for (;;) {
		if (clist->n == 0) {
			if (matched || (pos > 0 && r->all_bol))
				break;
			if (r->first != NULL) {
				size_t from = pos;
				while (pos < vm->len && !rx_set_has(r->first, vm->s[pos]))
					pos++;
				if (pos >= vm->len)
					break;
				if (pos != from)
					cgen = ++vm->gen;
			}
		}
		if (!matched)
			rx_seed(vm, clist, r->lo, r->hi, pos, cgen);
		size_t ngen = ++vm->gen;
		nlist->n = 0;
		for (uint32_t t = 0; t < clist->n && !vm->over; t++) {
			const struct rx_inst *in = &vm->re->prog[clist->pc[t]];
			size_t *caps = clist->caps + (size_t)t * vm->ncap;
			if (in->op == RX_MATCH) {
				if (vm->ncap == 0)
					return true;
				memcpy(best, caps, vm->ncap * sizeof(size_t));
				matched = true;
				break; /* lower-priority threads lose */
			}
			if (pos < vm->len && rx_set_has(&vm->re->sets[in->x], vm->s[pos])) {
				memcpy(vm->scratch, caps, vm->ncap * sizeof(size_t));
				rx_addthread(vm, nlist, clist->pc[t] + 1, pos + 1, ngen);
			}
		}
		if (vm->over)
			return false;
		struct rx_list *tmp = clist;
		clist = nlist;
		nlist = tmp;
		cgen = ngen;
		if (pos >= vm->len)
			break;
		pos++;
	}
	return matched;
}

bool vg_osregex_test(const struct vg_osregex *re, const char *s)
{
	struct rx_vm vm;
	struct rx_range r = {0, re->nalts, re->all_bol, re->all_has_first ? &re->first : NULL};

	rx_vm_init(&vm, re, s, 0);
	bool hit = rx_run(&vm, &r, NULL);
	rx_vm_fini(&vm);
	return hit;
}

static void rx_fill_match(const struct rx_alt *alt, unsigned a, const size_t *best,
			  struct vg_osregex_match *m)
{
	m->whole.start = best[0];
	m->whole.len = best[1] - best[0];
	m->alt = a;
	m->ncaptures = alt->ngroups;
	for (unsigned g = 0; g < alt->ngroups; g++) {
		m->cap[g].start = best[2 + 2 * g];
		m->cap[g].len = best[3 + 2 * g] - best[2 + 2 * g];
	}
}

bool vg_osregex_match(const struct vg_osregex *re, const char *s, struct vg_osregex_match *m)
{
	struct rx_vm vm;
	size_t ncap = 2 + 2 * (size_t)re->maxgroups;
	size_t *best = vg_xcalloc(ncap, sizeof(size_t));
	bool hit = false;

	memset(m, 0, sizeof(*m));
	rx_vm_init(&vm, re, s, ncap);
	for (unsigned a = 0; a < re->nalts && !hit && !vm.over; a++) {
		const struct rx_alt *alt = &re->alts[a];
		struct rx_range r = {a, a + 1, alt->bol, alt->has_first ? &alt->first : NULL};
		hit = rx_run(&vm, &r, best);
		if (hit)
			rx_fill_match(alt, a, best, m);
	}
	rx_vm_fini(&vm);
	vg_free(best);
	return hit;
}

unsigned vg_osregex_captures(const struct vg_osregex *re)
{
	return re->maxgroups;
}

const char *vg_osregex_pattern(const struct vg_osregex *re)
{
	return re->pattern;
}

void vg_osregex_free(struct vg_osregex *re)
{
	if (re == NULL)
		return;
	vg_free(re->pattern);
	vg_free(re->prog);
	vg_free(re->sets);
	vg_free(re->alts);
	vg_free(re);
}
