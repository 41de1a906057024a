/*
 * gen_events.c - Seeded, reproducible agent syscheck event lines.
 *
 *   gen_events -n N -s SEED [--mix added=60,modified=30,deleted=10]
 *              [--prefix /srv/data] [--hits FILE:RATE] [--list K:FILE]
 *
 * Writes N lines to stdout, each one agent FIM event exactly as the agent
 * emits it: the line is made by fim_event_format (src/fim/event.c) from a
 * synthetic struct fim_entry, so key order, escaping, lossy paths with
 * path_b64, changed_attributes and old_attributes are the agent's own.
 *
 * The entries look like a real server tree: paths under --prefix, 1-4
 * directories deep, a few non-ASCII names and rare invalid-UTF-8 or very
 * long ones; log-uniform sizes; common permission bits; a handful of
 * users and groups; mtimes spread over a year before the event (so both
 * sides of DST are exercised); random inodes and digests. Modified events
 * change what real modifications change (content, permissions, owner,
 * mtime alone, a replaced inode, a file that became unreadable).
 *
 * --hits FILE:RATE makes that fraction (0..1) of the events that carry a
 * sha256 carry one taken from the CDB list FILE (the keys, the part before
 * ':'), so a rule's <list> lookup hits. --list K:FILE first writes a list of
 * K random sha256 keys to FILE ("<sha256>:vigie-bench-<i>" a line); the two
 * may name the same file.
 *
 * Determinism: everything comes from splitmix64 streams seeded with SEED
 * (the list from its own stream), never rand(), so the same arguments give
 * the same bytes on any machine. Single-threaded; bench tool, not daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fim/config.h"
#include "fim/entry.h"
#include "fim/event.h"
#include "lib/buf.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "splitmix.h"

#define LINE_MAX_BYTES (1024u * 1024u)
#define LIST_MAX_BYTES (256u * 1024u * 1024u)
#define LIST_STREAM 0x4c4953545f4b4559ull /* "LIST_KEY": the list's own stream */
#define TS_BASE 1712000000                /* 2024-04-01, events go forward from here */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	return splitmix64_next(&r->s);
}

/* Uniform in [0, n) (n > 0; the modulo bias is irrelevant here). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* True with probability p (0..1). */
static int rng_chance(struct rng *r, double p)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

static void rng_hex(struct rng *r, char *out, size_t digits)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < digits; i++)
		out[i] = hex[rng_below(r, 16)];
	out[digits] = '\0';
}

#define PICK(r, arr) ((arr)[rng_below((r), VG_ARRAY_LEN(arr))])

/* ---- Options ------------------------------------------------------------ */

struct opts {
	uint64_t n;
	uint64_t seed;
	unsigned mix[3]; /* weights: added, modified, deleted */
	const char *prefix;
	const char *hits_file;
	double hits_rate;
	const char *list_file;
	uint64_t list_k;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: gen_events -n N -s SEED [--mix added=60,modified=30,deleted=10]\n"
		"                  [--prefix /srv/data] [--hits FILE:RATE] [--list K:FILE]\n");
	return 2;
}

static int parse_mix(const char *s, unsigned mix[3])
{
	static const char *const names[] = {"added", "modified", "deleted"};
	const char *item;
	size_t len;

	mix[0] = mix[1] = mix[2] = 0;
	while (vg_str_next_item(&s, &item, &len)) {
		const char *eq = memchr(item, '=', len);
		char num[16];
		uint64_t w;
		size_t i;

		if (eq == NULL || (size_t)(item + len - eq - 1) >= sizeof(num))
			return -1;
		vg_strlcpy(num, eq + 1, (size_t)(item + len - eq));
		for (i = 0; i < VG_ARRAY_LEN(names); i++)
			if (strlen(names[i]) == (size_t)(eq - item) &&
			    memcmp(item, names[i], (size_t)(eq - item)) == 0)
				break;
		if (i == VG_ARRAY_LEN(names) || vg_parse_u64(num, 1000000, &w) != 0)
			return -1;
		mix[i] = (unsigned)w;
	}
	return mix[0] + mix[1] + mix[2] > 0 ? 0 : -1;
}

/* "FILE:RATE" -> file and rate; the last ':' splits, so FILE may hold one. */
static int parse_hits(char *arg, struct opts *o)
{
	char *colon = strrchr(arg, ':');
	char *end;

	if (colon == NULL || colon == arg)
		return -1;
	*colon = '\0';
	errno = 0;
	o->hits_rate = strtod(colon + 1, &end);
	if (errno != 0 || *end != '\0' || end == colon + 1 || o->hits_rate < 0 || o->hits_rate > 1)
		return -1;
	o->hits_file = arg;
	return 0;
}

/* "K:FILE" -> count and file. */
static int parse_list(char *arg, struct opts *o)
{
	char *colon = strchr(arg, ':');

	if (colon == NULL || colon[1] == '\0')
		return -1;
	*colon = '\0';
	o->list_file = colon + 1;
	return vg_parse_u64(arg, 100000000, &o->list_k);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int have_n = 0, have_s = 0;

	*o = (struct opts){.mix = {60, 30, 10}, .prefix = "/srv/data"};
	for (int i = 1; i < argc; i += 2) { /* option, value */
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc;

		if (v == NULL)
			return -1;
		if (strcmp(a, "-n") == 0)
			rc = vg_parse_u64(v, UINT64_MAX, &o->n), have_n = 1;
		else if (strcmp(a, "-s") == 0)
			rc = vg_parse_u64(v, UINT64_MAX, &o->seed), have_s = 1;
		else if (strcmp(a, "--mix") == 0)
			rc = parse_mix(v, o->mix);
		else if (strcmp(a, "--prefix") == 0)
			rc = (o->prefix = v)[0] == '/' ? 0 : -1;
		else if (strcmp(a, "--hits") == 0)
			rc = parse_hits(v, o);
		else if (strcmp(a, "--list") == 0)
			rc = parse_list(v, o);
		else
			return -1;
		if (rc != 0)
			return -1;
	}
	return have_n && have_s ? 0 : -1;
}

/* ---- CDB lists ---------------------------------------------------------- */

static int write_list(const struct opts *o)
{
	struct rng r = {o->seed ^ LIST_STREAM};
	FILE *fp = fopen(o->list_file, "w");
	char key[65];

	if (fp == NULL) {
		fprintf(stderr, "gen_events: %s: %s\n", o->list_file, strerror(errno));
		return -1;
	}
	for (uint64_t i = 0; i < o->list_k; i++) {
		rng_hex(&r, key, 64);
		fprintf(fp, "%s:vigie-bench-%" PRIu64 "\n", key, i);
	}
	if (fclose(fp) != 0) {
		fprintf(stderr, "gen_events: %s: %s\n", o->list_file, strerror(errno));
		return -1;
	}
	return 0;
}

/* The keys of a list file: one vg_xmalloc'ed array of pointers into *text. */
struct keys {
	struct vg_buf text;
	const char **key;
	size_t n;
};

static int load_keys(const char *path, struct keys *k)
{
	struct vg_err err = VG_ERR_INIT;
	size_t cap = 0;

	vg_buf_init(&k->text, LIST_MAX_BYTES);
	if (vg_fs_read_file(path, "CDB list ", &k->text, &err) != 0) {
		fprintf(stderr, "gen_events: %s\n", err.msg);
		return -1;
	}
	for (char *p = k->text.data, *end = p + k->text.len; p != NULL && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *colon = memchr(p, ':', (size_t)((nl ? nl : end) - p));

		if (colon != NULL && colon > p) {
			*colon = '\0';
			if (k->n == cap) {
				cap = cap ? cap * 2 : 1024;
				k->key = vg_xreallocarray(k->key, cap, sizeof(*k->key));
			}
			k->key[k->n++] = p;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (k->n == 0) {
		fprintf(stderr, "gen_events: %s: no keys\n", path);
		return -1;
	}
	return 0;
}

static void free_keys(struct keys *k)
{
	vg_buf_free(&k->text);
	vg_free(k->key);
}

/* ---- Entries ------------------------------------------------------------ */

static const char *const dirs[] = {
    "app",     "www",    "html",    "static",  "assets", "img",     "uploads",      "releases",
    "current", "shared", "config",  "etc",     "lib",    "vendor",  "node_modules", "logs",
    "cache",   "backup", "reports", "2024",    "2025",   "clients", "projets",      "données",
    "build",   "dist",   "src",     "include", "tmp",    "bin",
};
static const char *const stems[] = {
    "index", "main",    "config", "settings",  "app",    "report", "invoice", "photo",
    "notes", "install", "deploy", "access",    "error",  "db",     "schema",  "style",
    "utils", "README",  "résumé", "Übersicht", "backup", "data",   "export",  "favicon",
};
static const char *const exts[] = {
    ".php", ".js", ".css", ".html", ".json", ".conf", ".log", ".txt", ".png", ".jpg",
    ".pdf", ".sh", ".py",  ".so",   ".gz",   ".csv",  ".xml", ".yml", "",     ".bak",
};
static const struct {
	uint32_t id;
	const char *name;
} users[] = {{0, "root"},      {33, "www-data"},  {1000, "alice"},  {1001, "bob"},
	     {1002, "deploy"}, {110, "postgres"}, {65534, "nobody"}},
  groups[] = {{0, "root"}, {33, "www-data"}, {1000, "alice"},
	      {4, "adm"},  {1003, "devs"},   {110, "postgres"}};
static const mode_t perms[] = {0644, 0644, 0644, 0640, 0600,  0755,
			       0755, 0664, 0444, 0750, 04755, 0660};

static void make_path(struct rng *r, const struct opts *o, uint64_t idx, struct vg_buf *b)
{
	unsigned depth = 1 + (unsigned)rng_below(r, 4);
	int ok = vg_buf_puts(b, o->prefix) == 0;

	for (unsigned d = 0; d < depth; d++)
		ok &= vg_buf_printf(b, "/%s", PICK(r, dirs)) == 0;
	if (rng_chance(r, 0.001)) /* deep trees exist: over Wazuh's 756-byte cut */
		for (int d = 0; d < 40; d++)
			ok &= vg_buf_printf(b, "/very-long-directory-name-%02d", d) == 0;
	ok &= vg_buf_printf(b, "/%s", PICK(r, stems)) == 0;
	if (rng_chance(r, 0.1))
		ok &= vg_buf_puts(b, " copy") == 0;
	if (rng_chance(r, 0.005))
		ok &= vg_buf_puts(b, "-\xff\xfe") == 0; /* not UTF-8: path_b64 */
	ok &= vg_buf_printf(b, "-%" PRIu64 "%s", idx, PICK(r, exts)) == 0;
	if (!ok) {
		fprintf(stderr, "gen_events: path too long\n");
		exit(1);
	}
}

static void set_digests(struct rng *r, struct fim_entry *e)
{
	e->hash_state = FIM_HASH_OK;
	rng_hex(r, e->digests.md5, 32);
	rng_hex(r, e->digests.sha1, 40);
	rng_hex(r, e->digests.sha256, 64);
}

/* Log-uniform from 0 to ~100 MB: many small files, a few big ones. */
static uint64_t make_size(struct rng *r)
{
	unsigned bits = (unsigned)rng_below(r, 27);

	return bits == 0 ? 0 : (1ull << (bits - 1)) + rng_below(r, 1ull << (bits - 1));
}

static void make_entry(struct rng *r, const struct opts *o, uint64_t idx, int64_t ts,
		       struct fim_entry *e)
{
	struct vg_buf path = VG_BUF_INIT(8192);
	uint64_t kind = rng_below(r, 100);
	size_t u = rng_below(r, VG_ARRAY_LEN(users)), g = rng_below(r, VG_ARRAY_LEN(groups));

	memset(e, 0, sizeof(*e));
	make_path(r, o, idx, &path);
	e->path_len = path.len;
	e->path = vg_buf_take(&path);
	e->mode = (kind < 96 ? S_IFREG : kind < 98 ? S_IFDIR : S_IFLNK) | PICK(r, perms);
	e->size = S_ISREG(e->mode) ? make_size(r) : S_ISDIR(e->mode) ? 4096 : 24;
	e->dev = 2049;
	e->inode = 100000 + rng_below(r, 40000000);
	e->uid = users[u].id;
	e->gid = groups[g].id;
	vg_strlcpy(e->user_name, users[u].name, sizeof(e->user_name));
	vg_strlcpy(e->group_name, groups[g].name, sizeof(e->group_name));
	e->mtime = ts - (int64_t)rng_below(r, 366 * 86400);
	e->mtime_ns = (int64_t)rng_below(r, 1000000000);
	e->ctime = e->mtime;
	e->ctime_ns = e->mtime_ns;
	if (!S_ISREG(e->mode))
		e->hash_state = FIM_HASH_NONE;
	else if (rng_chance(r, 0.01))
		e->hash_state = FIM_HASH_TOO_BIG;
	else
		set_digests(r, e);
}

/* What a modification changed: old is the entry before it (now changes
 * too when the file became unreadable). */
static void make_old(struct rng *r, struct fim_entry *now, struct fim_entry *old)
{
	uint64_t what = rng_below(r, 100);

	fim_entry_copy(old, now);
	if (what < 70 || what >= 98) { /* content: size, mtime, digests */
		old->size = make_size(r);
		old->mtime = now->mtime - 1 - (int64_t)rng_below(r, 30 * 86400);
		if (now->hash_state == FIM_HASH_OK || rng_chance(r, 0.5))
			set_digests(r, old);
	}
	if ((what >= 70 && what < 78) || what >= 98) /* chmod */
		old->mode = (now->mode & S_IFMT) | ((now->mode & 07777) == 0644 ? 0600 : 0644);
	else if (what >= 78 && what < 84) { /* chown */
		old->uid = users[0].id;
		vg_strlcpy(old->user_name, users[0].name, sizeof(old->user_name));
		if (old->uid == now->uid)
			old->uid = 1, vg_strlcpy(old->user_name, "daemon", sizeof(old->user_name));
	} else if (what >= 84 && what < 88) { /* chgrp */
		old->gid = now->gid == 4 ? 0 : 4;
		vg_strlcpy(old->group_name, now->gid == 4 ? "root" : "adm",
			   sizeof(old->group_name));
	} else if (what >= 88 && what < 92) { /* touch */
		old->mtime = now->mtime - 1 - (int64_t)rng_below(r, 86400);
	} else if (what >= 92 && what < 96) { /* replaced by rename: new inode */
		old->inode = now->inode + 1 + rng_below(r, 1000);
	} else if (what >= 96 && what < 98 && now->hash_state == FIM_HASH_OK) {
		now->hash_state = FIM_HASH_UNREADABLE; /* the file became unreadable */
		memset(&now->digests, 0, sizeof(now->digests));
	}
}

/* ---- Main --------------------------------------------------------------- */

static int emit(const struct opts *o, const struct keys *k)
{
	struct rng r = {o->seed};
	struct vg_buf line = VG_BUF_INIT(LINE_MAX_BYTES);
	struct vg_err err = VG_ERR_INIT;
	unsigned total = o->mix[0] + o->mix[1] + o->mix[2];
	int rc = 0;

	for (uint64_t i = 0; i < o->n && rc == 0; i++) {
		int64_t ts = TS_BASE + (int64_t)(i / 50);
		unsigned pick = (unsigned)rng_below(&r, total);
		enum fim_event_type type = pick < o->mix[0]               ? FIM_EVENT_ADDED
					   : pick < o->mix[0] + o->mix[1] ? FIM_EVENT_MODIFIED
									  : FIM_EVENT_DELETED;
		unsigned checks =
		    rng_chance(&r, 0.9) ? FIM_CHECK_ALL : FIM_CHECK_ALL & ~(unsigned)FIM_CHECK_MD5;
		enum fim_event_mode mode =
		    rng_chance(&r, 0.7) ? FIM_MODE_REALTIME : FIM_MODE_SCHEDULED;
		const char *tags = rng_chance(&r, 0.2) ? "web,prod" : NULL;
		struct fim_entry now, old;

		make_entry(&r, o, i, ts, &now);
		memset(&old, 0, sizeof(old));
		if (type == FIM_EVENT_MODIFIED)
			make_old(&r, &now, &old);
		if (k != NULL && type != FIM_EVENT_DELETED && now.hash_state == FIM_HASH_OK &&
		    rng_chance(&r, o->hits_rate))
			vg_strlcpy(now.digests.sha256, k->key[rng_below(&r, k->n)],
				   sizeof(now.digests.sha256));
		vg_buf_reset(&line);
		rc = fim_event_format(&line, type, mode, &now, &old, checks, tags, ts, &err);
		if (rc == 0 && vg_buf_putc(&line, '\n') == 0)
			fwrite(line.data, 1, line.len, stdout);
		else
			fprintf(stderr, "gen_events: event %" PRIu64 ": %s\n", i, err.msg);
		fim_entry_clear(&now);
		fim_entry_clear(&old);
	}
	vg_buf_free(&line);
	if (fflush(stdout) != 0)
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct keys keys = {0};
	int have_keys = 0, rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return usage();
	if (o.list_file != NULL && write_list(&o) != 0)
		goto out;
	if (o.hits_file != NULL) {
		have_keys = 1;
		if (load_keys(o.hits_file, &keys) != 0)
			goto out;
	}
	rc = emit(&o, have_keys ? &keys : NULL) == 0 ? 0 : 1;
out:
	if (have_keys)
		free_keys(&keys);
	return rc;
}
