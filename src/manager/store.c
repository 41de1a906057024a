/*
 * store.c - The alert store (SQLite): batches with a checkpoint, queries.
 *
 * Built for 100,000+ alerts/s on one core (docs/storage.md, "Numbers"): what
 * a batch costs is the B-tree pages it dirties, since every dirty page is
 * written to the WAL at commit and copied to the file at the checkpoint. So
 * every index grows at its right end, or in a few hot places, never at
 * random:
 *
 *   alert        one row per alert. rowno (the rowid) follows insertion, so
 *                it follows time; the Wazuh id "<epoch>.<offset>" is two
 *                integers under a UNIQUE index (ids grow too) that makes a
 *                replayed alert a no-op (ON CONFLICT DO NOTHING).
 *                Indexes (time), (rclass, time), (agent_id, time): each
 *                key's range grows at its end, a handful of hot pages per
 *                batch.
 *   rule_class   each distinct (rule id, level, group string) once: they
 *                all come from the rule, so there are about as many classes
 *                as rules. An alert stores its class; "rule X", "level >=
 *                N" and "group G" resolve to class ids first, then use
 *                (rclass, time): one index entry per alert instead of three
 *                indexes and six group rows.
 *   class_group  (grp, rclass): which classes hold a group.
 *   alert_key    the lookups by path and by md5/sha1/sha256 share one
 *                WITHOUT ROWID table of 64-bit keys (the first 16 hex digits
 *                of a digest, FNV-1a of a path; the query re-checks the full
 *                value on the row). Such keys are random, and random
 *                inserts into one big B-tree dirty a page per key, so the
 *                table is partitioned: (part, k, rowno) with part = rowno /
 *                STORE_PART_ALERTS. A batch only touches the newest
 *                partition (a few hundred pages, inserted in key order
 *                every STORE_KEY_FLUSH keys and at commit); a lookup seeks each partition listed in
 * key_part, like a lookup in time-partitioned tables. checkpoint   one row: the pipeline's
 * event-queue seq and alert-file position, committed with the batch that reached them source_mark
 * per agent, the highest event id whose alerts are committed, written with the batch (the agents'
 * events are not queued on disk before analysis: this mark is what the manager acknowledges and
 * tells a reconnecting agent). Created on open when missing: a store of schema 2 made before it
 * gains the table and keeps its version.
 *
 * The DML stays in the subset SQLite and PostgreSQL share (ON CONFLICT,
 * LIKE ... ESCAPE, no SQLite-only functions).
 *
 * The writer is used by one thread at a time (the pipeline's, and the store
 * writer's between store_begin and the sync before the commit:
 * store_writer.h); a thread of its own checkpoints its WAL (lib/dbckpt.h).
 * Statements are prepared once, rule classes and the current partition are
 * cached in memory (reset when a batch rolls back, since their rows may be
 * gone). A reader has its own connection and a mutex, so any thread may use
 * it; its follow statements are prepared once, other queries are built per
 * call (few, not on the hot path).
 */
#include "manager/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/db.h"
#include "lib/dbckpt.h"
#include "lib/hmap.h"
#include "lib/mem.h"
#include "lib/str.h"

#define STORE_SCHEMA_VERSION 2
#define STORE_PRUNE_CHUNK 1000
#define STORE_DEFAULT_LIMIT 100
#define STORE_MAX_BINDS 16
#define STORE_SQL_MAX 4096
#define STORE_KEYS_MAX 4 /* per alert: path, md5, sha1, sha256 */
#define STORE_ID_MAX 48  /* "<int64>.<int64>" */
#define STORE_CLASS_KEY_MAX 65536
#define STORE_CLASS_IDS_MAX (1u << 20) /* the JSON list of a follower's wanted classes */

/*
 * Checkpoint every 1024 pages of 64 KiB, ~64 MiB of WAL, instead of
 * SQLite's 1000 pages (4 MiB with its default page size): an index page
 * that every batch dirties is then copied into the file once per
 * checkpoint, not once per batch (the WAL gets each version anyway). The
 * copy runs on a checkpointer thread (lib/dbckpt.h), not the pipeline's.
 */
#define STORE_WAL_PAGES 1024

/*
 * Alerts per alert_key partition. A batch dirties at most the pages of the
 * partitions it writes (~16 bytes per key, 4 keys per alert: 8192 alerts
 * are ~130 pages of 4 KiB); a lookup costs one seek per partition (~120
 * per million alerts). Part of the schema: changing it needs a new version.
 */
#define STORE_PART_ALERTS 8192

/*
 * alert_key rows per INSERT, largest first; a batch's keys go out in the
 * largest statements that fit, the rest one row at a time. A statement of
 * many rows into a WITHOUT ROWID table opens a statement journal (it may
 * fail halfway), which saves each page it touches first: with 64 KiB pages
 * that is ~128 KiB per statement, so few statements matter more than few
 * rows per statement (analysis_bench, a 20,000-alert batch's 80,000 keys:
 * 32 rows a statement ~63 ms, 1024 ~28 ms).
 */
static const size_t store_key_rows[] = {1024, 128, 16};

/*
 * Keys queued before they are inserted: ~1,000 alerts' worth. Inserting
 * them as the batch goes, in the store's writer thread (store_writer.h),
 * rather than all at the commit keeps the commit, which the pipeline waits
 * for, short; 4096 sorted keys still land on few pages of the newest
 * partition (500 agents: commit 93 -> 40 ms per 20,000 alerts).
 */
#define STORE_KEY_FLUSH 4096
#define STORE_KEY_SIZES (sizeof(store_key_rows) / sizeof(store_key_rows[0]))
#define STORE_KEY_SQL_MAX (64u * 1024u)

static const char store_schema[] =
    "CREATE TABLE alert (rowno INTEGER PRIMARY KEY, id_sec INTEGER NOT NULL,"
    " id_off INTEGER NOT NULL, time_ms INTEGER NOT NULL, rule_id INTEGER NOT NULL,"
    " level INTEGER NOT NULL, rclass INTEGER NOT NULL, agent_id TEXT, agent_name TEXT,"
    " decoder TEXT,"
    " location TEXT, description TEXT, path TEXT, md5 TEXT, sha1 TEXT, sha256 TEXT,"
    " json TEXT NOT NULL);"
    "CREATE UNIQUE INDEX alert_id ON alert (id_sec, id_off);"
    "CREATE INDEX alert_time ON alert (time_ms);"
    "CREATE INDEX alert_agent ON alert (agent_id, time_ms);"
    "CREATE INDEX alert_class ON alert (rclass, time_ms);"
    "CREATE TABLE rule_class (rclass INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL,"
    " level INTEGER NOT NULL, groups TEXT NOT NULL, UNIQUE (rule_id, level, groups));"
    "CREATE TABLE class_group (grp TEXT NOT NULL, rclass INTEGER NOT NULL,"
    " PRIMARY KEY (grp, rclass)) WITHOUT ROWID;"
    "CREATE TABLE key_part (part INTEGER PRIMARY KEY);"
    "CREATE TABLE alert_key (part INTEGER NOT NULL, k INTEGER NOT NULL,"
    " rowno INTEGER NOT NULL, PRIMARY KEY (part, k, rowno)) WITHOUT ROWID;"
    "CREATE TABLE checkpoint (name TEXT NOT NULL PRIMARY KEY, queue_seq INTEGER NOT NULL,"
    " writer_pos TEXT NOT NULL);";

/* Added to schema 2 without a new version: older managers ignore it. */
static const char store_mark_schema[] =
    "CREATE TABLE IF NOT EXISTS source_mark (source TEXT NOT NULL PRIMARY KEY,"
    " last_seq INTEGER NOT NULL);";

#define STORE_COLS                                                                                 \
	"rowno, id_sec, id_off, time_ms, rule_id, level, agent_id, agent_name, decoder, "          \
	"location, description, path, md5, sha1, sha256, "                                         \
	"(SELECT NULLIF(groups, '') FROM rule_class c WHERE c.rclass = alert.rclass), json"

enum store_stmt {
	ST_INSERT,
	ST_CLASS_ADD,
	ST_CLASS_GET,
	ST_MEMBER,
	ST_PART,
	ST_KEY,
	ST_CKPT_SET,
	ST_CKPT_GET,
	ST_OLD,
	ST_DEL_KEY,
	ST_DEL_PART,
	ST_DEL_ALERT,
	ST_MARK_SET,
	ST_MARK_ALL,
	ST_N,
};

static const char *const store_sql[ST_N] = {
    [ST_INSERT] = "INSERT INTO alert (id_sec, id_off, time_ms, rule_id, level, rclass, agent_id, "
		  "agent_name, decoder, location, description, path, md5, sha1, sha256, json) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		  "ON CONFLICT (id_sec, id_off) DO NOTHING",
    [ST_CLASS_ADD] = "INSERT INTO rule_class (rule_id, level, groups) VALUES (?1, ?2, ?3) "
		     "ON CONFLICT (rule_id, level, groups) DO NOTHING",
    [ST_CLASS_GET] = "SELECT rclass FROM rule_class WHERE rule_id = ?1 AND level = ?2 AND "
		     "groups = ?3",
    [ST_MEMBER] = "INSERT INTO class_group (grp, rclass) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [ST_PART] = "INSERT INTO key_part (part) VALUES (?1) ON CONFLICT DO NOTHING",
    [ST_KEY] = "INSERT INTO alert_key (part, k, rowno) VALUES (?1, ?2, ?3)",
    [ST_CKPT_SET] = "INSERT INTO checkpoint (name, queue_seq, writer_pos) "
		    "VALUES ('pipeline', ?1, ?2) ON CONFLICT (name) DO UPDATE SET "
		    "queue_seq = excluded.queue_seq, writer_pos = excluded.writer_pos",
    [ST_CKPT_GET] = "SELECT queue_seq, writer_pos FROM checkpoint WHERE name = 'pipeline'",
    [ST_OLD] = "SELECT rowno, path, md5, sha1, sha256 FROM alert WHERE time_ms < ?1 "
	       "ORDER BY time_ms LIMIT ?2",
    [ST_DEL_KEY] = "DELETE FROM alert_key WHERE part = ?1 AND k = ?2 AND rowno = ?3",
    [ST_DEL_PART] = "DELETE FROM key_part WHERE part = ?1 AND NOT EXISTS "
		    "(SELECT 1 FROM alert_key k WHERE k.part = ?1)",
    [ST_DEL_ALERT] = "DELETE FROM alert WHERE rowno = ?1",
    [ST_MARK_SET] = "INSERT INTO source_mark (source, last_seq) VALUES (?1, ?2) "
		    "ON CONFLICT (source) DO UPDATE SET last_seq = excluded.last_seq "
		    "WHERE excluded.last_seq > source_mark.last_seq",
    [ST_MARK_ALL] = "SELECT source, last_seq FROM source_mark",
};

/* One alert_key row waiting for the commit. */
struct store_key {
	int64_t part;
	int64_t k;
	int64_t rowno;
};

struct store {
	sqlite3 *db;
	struct vg_db_ckpt *ckpt; /* the WAL's checkpoints, off the writer's thread */
	sqlite3_stmt *st[ST_N];
	struct vg_hmap *classes; /* store_class's key -> int64_t * rule class */
	bool classes_new;        /* the open batch added a class: forget them on rollback */
	struct vg_buf ckey;      /* store_class's key buffer */
	int64_t part_known;      /* a partition whose key_part row is committed; -1 none */
	sqlite3_stmt *key_rows[STORE_KEY_SIZES]; /* ST_KEY for store_key_rows[i] rows */
	struct store_key *keys;                  /* the open batch's keys */
	size_t nkeys, keys_cap;
};

/* The reader's statements for store_follow, prepared once (the followers
 * call it every time the pipeline commits). */
enum store_rstmt {
	RS_LAST,    /* the highest row number */
	RS_ROWS,    /* whole rows above a position */
	RS_HEAD,    /* the heads of rows above a position */
	RS_ROW,     /* one whole row */
	RS_CLASSES, /* the rule classes */
	RS_HEAD_IN, /* the heads of rows of some classes above a position, up to a row */
	RS_N,
};

static const char *const store_rsql[RS_N] = {
    [RS_LAST] = "SELECT coalesce(max(rowno), 0) FROM alert",
    [RS_ROWS] = "SELECT " STORE_COLS " FROM alert WHERE rowno > ?1 ORDER BY rowno LIMIT ?2",
    [RS_HEAD] = "SELECT a.rowno, a.time_ms, a.rule_id, a.level, a.agent_id, a.location,"
		" c.groups FROM alert a"
		" LEFT JOIN rule_class c ON c.rclass = a.rclass"
		" WHERE a.rowno > ?1 ORDER BY a.rowno LIMIT ?2",
    [RS_ROW] = "SELECT " STORE_COLS " FROM alert WHERE rowno = ?1",
    [RS_CLASSES] = "SELECT rclass, rule_id, level, groups FROM rule_class",
    /* the alert_class index finds the few rows of the classes asked for */
    [RS_HEAD_IN] = "SELECT a.rowno, a.time_ms, a.rule_id, a.level, a.agent_id, a.location,"
		   " c.groups FROM alert a JOIN rule_class c ON c.rclass = a.rclass"
		   " WHERE a.rclass IN (SELECT value FROM json_each(?3))"
		   " AND a.rowno > ?1 AND a.rowno <= ?4 ORDER BY a.rowno LIMIT ?2",
};

struct store_reader {
	pthread_mutex_t mu;
	sqlite3 *db;
	sqlite3_stmt *st[RS_N];
};

/* ---- Keys ------------------------------------------------------------------------------- */

static uint64_t store_fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* A digest's key: its first 64 bits; FNV-1a of the text when it is no hex. */
static int64_t store_digest_key(const char *hex)
{
	uint64_t k = 0;
	for (int i = 0; i < 16; i++) {
		int v = vg_hex_digit(hex[i]); /* stops at the NUL: -1 */
		if (v < 0)
			return (int64_t)store_fnv1a(hex);
		k = k << 4 | (uint64_t)v;
	}
	return (int64_t)k;
}

static int64_t store_path_key(const char *path)
{
	return (int64_t)store_fnv1a(path);
}

static int store_key_cmp(const void *a, const void *b)
{
	const struct store_key *x = a, *y = b;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return x->rowno < y->rowno ? -1 : x->rowno > y->rowno;
}

/* The lookup keys of one alert (at most STORE_KEYS_MAX) into k; returns the count. */
static size_t store_alert_keys(const char *path, const char *md5, const char *sha1,
			       const char *sha256, int64_t *k)
{
	size_t n = 0;
	if (path != NULL)
		k[n++] = store_path_key(path);
	if (md5 != NULL)
		k[n++] = store_digest_key(md5);
	if (sha1 != NULL)
		k[n++] = store_digest_key(sha1);
	if (sha256 != NULL)
		k[n++] = store_digest_key(sha256);
	return n;
}

/*
 * Wazuh's id "<epoch>.<offset>" as two integers. Only the canonical form
 * (decimal, no sign, no leading zero) is accepted, so that the id read back
 * is the text that was stored.
 */
static bool store_parse_id(const char *id, int64_t *sec, int64_t *off)
{
	int64_t v[2] = {0, 0};
	const char *p = id;

	for (int i = 0; i < 2; i++) {
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			if (p - start >= 18)
				return false;
			v[i] = v[i] * 10 + (*p++ - '0');
		}
		if (p == start || (*start == '0' && p - start > 1))
			return false;
		if (*p != (i == 0 ? '.' : '\0'))
			return false;
		p++;
	}
	*sec = v[0];
	*off = v[1];
	return true;
}

/* ---- Columns from the pipeline ----------------------------------------------------- */

static const char *store_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key)); /* NULL-safe both */
}

void store_alert_from(struct store_alert *a, const char *id, const char *json, size_t json_len,
		      const struct an_event *ev, const struct an_rule_info *rule)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->json = json;
	a->json_len = json_len;
	a->time_ms = ev->time_ms;
	a->agent_id = ev->agent_id;
	a->agent_name = ev->agent_name;
	a->decoder = ev->decoder;
	a->location = ev->location;
	a->rule_id = rule->id;
	a->level = rule->level;
	a->description = rule->description;
	a->groups = rule->groups;
	if (ev->syscheck != NULL) {
		a->path = ev->fim.path;
		a->md5 = ev->fim.md5;
		a->sha1 = ev->fim.sha1;
		a->sha256 = ev->fim.sha256;
	}
	if (a->path == NULL && ev->data != NULL) {
		json_t *src = json_object_get(json_object_get(ev->data, "virustotal"), "source");
		a->path = store_json_str(src, "file");
		a->md5 = store_json_str(src, "md5");
		a->sha1 = store_json_str(src, "sha1");
	}
}

/* ---- Writer -------------------------------------------------------------------------- */

static int store_prepare_key_rows(struct store *s, size_t i, struct vg_err *err)
{
	struct vg_buf sql = VG_BUF_INIT(STORE_KEY_SQL_MAX);
	int rc = vg_buf_puts(&sql, "INSERT INTO alert_key (part, k, rowno) VALUES (?, ?, ?)");

	for (size_t r = 1; rc == 0 && r < store_key_rows[i]; r++)
		rc = vg_buf_puts(&sql, ", (?, ?, ?)");
	if (rc != 0)
		rc = vg_err_set(err, rc, "alert store: key statement too long");
	else
		rc = vg_db_prepare(s->db, vg_buf_cstr(&sql), &s->key_rows[i], err);
	vg_buf_free(&sql);
	return rc;
}

int store_open(const char *path, struct store **out, struct vg_err *err)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct store *s = vg_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->classes = vg_hmap_new();
	vg_buf_init(&s->ckey, STORE_CLASS_KEY_MAX);
	s->part_known = -1;
	o.what = "alert store";
	o.mode = 0640;       /* the dashboard may run as another user of the group */
	o.cache_kib = 65536; /* the hot index pages stay in memory between batches */
	/*
	 * Big pages: a batch writes ~1.5 KB per alert plus the tail page of each
	 * index, and every WAL frame is a write(2) of its own (two, with its
	 * header) that is copied again at the checkpoint; 64 KiB pages cut the
	 * per-frame work 16 times (store_bench: ~30% faster than 4 KiB).
	 */
	o.page_size = 65536;
	rc = vg_db_open(path, &o, &s->db, err);
	/*
	 * A key statement of many rows keeps a statement journal, a copy of
	 * each 64 KiB page it touches, which SQLite spills to a temporary file
	 * past 64 KiB: one write(2) per page and key flush. In memory it costs
	 * a few MiB at most (strace: 9% fewer pwrite calls per batch).
	 */
	if (rc == 0)
		rc = vg_db_exec(s->db, "PRAGMA temp_store = MEMORY",
				"keeping statement journals in memory", err);
	if (rc == 0)
		rc = vg_db_schema(s->db, store_schema, STORE_SCHEMA_VERSION, err);
	if (rc == 0)
		rc = vg_db_exec(s->db, store_mark_schema, "creating the source marks", err);
	if (rc == 0)
		rc = vg_db_prepare_all(s->db, store_sql, ST_N, s->st, err);
	for (size_t i = 0; rc == 0 && i < STORE_KEY_SIZES; i++)
		rc = store_prepare_key_rows(s, i, err);
	if (rc == 0)
		rc = vg_db_ckpt_start(s->db, path, &o, STORE_WAL_PAGES, &s->ckpt, err);
	if (rc != 0) {
		store_close(s);
		return rc;
	}
	*out = s; /* transferred */
	return 0;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	vg_db_finalize_all(s->st, ST_N);
	for (size_t i = 0; i < STORE_KEY_SIZES; i++)
		sqlite3_finalize(s->key_rows[i]);
	vg_db_ckpt_stop(s->ckpt);
	vg_db_close(s->db);
	vg_hmap_free(s->classes, vg_free);
	vg_buf_free(&s->ckey);
	vg_free(s->keys);
	vg_free(s);
}

/* Forget what the rolled back batch may have written: its keys, new sets, partition. */
static void store_batch_reset(struct store *s, bool rolled_back)
{
	s->nkeys = 0;
	if (rolled_back) {
		s->part_known = -1;
		if (s->classes_new) {
			vg_hmap_free(s->classes, vg_free);
			s->classes = vg_hmap_new();
		}
	}
	s->classes_new = false;
}

int store_begin(struct store *s, struct vg_err *err)
{
	store_batch_reset(s, false);
	return vg_db_begin(s->db, err);
}

void store_rollback(struct store *s)
{
	if (s == NULL)
		return;
	vg_db_rollback(s->db);
	store_batch_reset(s, true);
}

static void store_bind_text(sqlite3_stmt *st, int col, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

/* Store a new rule class and its groups; *id receives its number. */
static int store_class_insert(struct store *s, const struct store_alert *a, const char *groups,
			      int64_t *id, struct vg_err *err)
{
	sqlite3_stmt *add = s->st[ST_CLASS_ADD];
	sqlite3_stmt *get = s->st[ST_CLASS_GET];
	sqlite3_stmt *mem = s->st[ST_MEMBER];
	const char *list = groups;
	const char *item;
	size_t len;
	int rc;

	sqlite3_bind_int64(add, 1, a->rule_id);
	sqlite3_bind_int64(add, 2, a->level);
	sqlite3_bind_text(add, 3, groups, -1, SQLITE_STATIC);
	rc = vg_db_step(add, "storing a rule class", err);
	if (rc == 0) {
		sqlite3_bind_int64(get, 1, a->rule_id);
		sqlite3_bind_int64(get, 2, a->level);
		sqlite3_bind_text(get, 3, groups, -1, SQLITE_STATIC);
		rc = vg_db_step(get, "reading a rule class", err);
	}
	if (rc != 1)
		return rc < 0 ? rc : vg_err_set(err, VG_EINTERNAL, "alert store: rule class lost");
	*id = sqlite3_column_int64(get, 0);
	vg_db_reset(get);
	rc = 0;
	while (rc == 0 && groups[0] != '\0' && vg_str_next_item(&list, &item, &len)) {
		if (len == 0)
			continue;
		sqlite3_bind_text(mem, 1, item, (int)VG_MIN(len, (size_t)INT32_MAX), SQLITE_STATIC);
		sqlite3_bind_int64(mem, 2, *id);
		rc = vg_db_step(mem, "storing alert groups", err);
	}
	return rc;
}

/*
 * The class of an alert (stored on first sight, then cached). No groups
 * is stored as "" (UNIQUE treats NULLs as distinct) and read back as NULL.
 */
static int store_class(struct store *s, const struct store_alert *a, int64_t *id,
		       struct vg_err *err)
{
	const char *groups = a->groups != NULL ? a->groups : "";
	uint32_t head[2] = {a->rule_id, a->level};
	int64_t *cached;
	int rc;

	*id = 0;
	vg_buf_reset(&s->ckey);
	rc = vg_buf_append(&s->ckey, head, sizeof(head));
	if (rc == 0)
		rc = vg_buf_puts(&s->ckey, groups);
	if (rc != 0)
		return vg_err_set(err, rc, "alert store: alert %.64s: groups too long", a->id);
	cached = vg_hmap_get(s->classes, s->ckey.data, s->ckey.len);
	if (cached != NULL) {
		*id = *cached;
		return 0;
	}
	rc = store_class_insert(s, a, groups, id, err);
	if (rc != 0)
		return rc;
	cached = vg_xmalloc(sizeof(*cached));
	*cached = *id;
	vg_hmap_put(s->classes, s->ckey.data, s->ckey.len, cached); /* transferred */
	s->classes_new = true;
	return 0;
}

/* Queue the alert's lookup keys for the next store_flush_keys. */
static void store_queue_keys(struct store *s, const struct store_alert *a, int64_t rowno)
{
	int64_t k[STORE_KEYS_MAX];
	size_t n = store_alert_keys(a->path, a->md5, a->sha1, a->sha256, k);

	if (s->nkeys + n > s->keys_cap) {
		s->keys_cap = s->keys_cap != 0 ? s->keys_cap * 2 : 4096;
		s->keys = vg_xreallocarray(s->keys, s->keys_cap, sizeof(*s->keys));
	}
	for (size_t i = 0; i < n; i++)
		s->keys[s->nkeys++] = (struct store_key){rowno / STORE_PART_ALERTS, k[i], rowno};
}

/* Sort the batch's keys and drop duplicates (two digests of one alert with one prefix). */
static void store_sort_keys(struct store *s)
{
	size_t n = 0;

	if (s->nkeys == 0) /* a batch without alerts: keys may still be NULL */
		return;
	qsort(s->keys, s->nkeys, sizeof(*s->keys), store_key_cmp);
	for (size_t i = 0; i < s->nkeys; i++)
		if (n == 0 || store_key_cmp(&s->keys[i], &s->keys[n - 1]) != 0)
			s->keys[n++] = s->keys[i];
	s->nkeys = n;
}

/* The key_part rows of the batch's partitions (sorted keys: each once). */
static int store_flush_parts(struct store *s, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_PART];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < s->nkeys; i++) {
		int64_t part = s->keys[i].part;
		if (part == s->part_known)
			continue;
		sqlite3_bind_int64(st, 1, part);
		rc = vg_db_step(st, "storing a key partition", err);
		s->part_known = part; /* forgotten if the batch rolls back */
	}
	return rc;
}

/* The largest prepared key statement with at most left rows; ST_KEY for one. */
static sqlite3_stmt *store_key_stmt(struct store *s, size_t left, size_t *rows)
{
	for (size_t i = 0; i < STORE_KEY_SIZES; i++) {
		if (left >= store_key_rows[i]) {
			*rows = store_key_rows[i];
			return s->key_rows[i];
		}
	}
	*rows = 1;
	return s->st[ST_KEY];
}

/*
 * Insert the keys queued so far in key order, so each B-tree page is
 * visited once, in as few statements as store_key_rows allows (a statement
 * run costs about as much as a row, and a statement journal more).
 */
static int store_flush_keys(struct store *s, struct vg_err *err)
{
	size_t i = 0;
	int rc;

	store_sort_keys(s);
	rc = store_flush_parts(s, err);
	while (rc == 0 && i < s->nkeys) {
		size_t rows;
		sqlite3_stmt *st = store_key_stmt(s, s->nkeys - i, &rows);
		for (size_t r = 0; r < rows; r++, i++) {
			sqlite3_bind_int64(st, (int)(r * 3 + 1), s->keys[i].part);
			sqlite3_bind_int64(st, (int)(r * 3 + 2), s->keys[i].k);
			sqlite3_bind_int64(st, (int)(r * 3 + 3), s->keys[i].rowno);
		}
		rc = vg_db_step(st, "storing alert keys", err);
	}
	if (rc == 0)
		s->nkeys = 0;
	return rc;
}

int store_add(struct store *s, const struct store_alert *a, bool *added, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_INSERT];
	size_t jlen = a->json_len != 0 || a->json == NULL ? a->json_len : strlen(a->json);
	int64_t sec = 0, off = 0, rclass = 0;
	int rc;

	if (added != NULL)
		*added = false;
	if (a->id == NULL || a->json == NULL)
		return vg_err_set(err, VG_EINTERNAL, "alert store: an alert without id or json");
	if (!store_parse_id(a->id, &sec, &off))
		return vg_err_set(err, VG_EPARSE, "alert store: '%.64s' is not an alert id", a->id);
	if (jlen > INT32_MAX)
		return vg_err_set(err, VG_ETOOBIG, "alert store: alert %s is too large", a->id);
	rc = store_class(s, a, &rclass, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, sec);
	sqlite3_bind_int64(st, 2, off);
	sqlite3_bind_int64(st, 3, a->time_ms);
	sqlite3_bind_int64(st, 4, a->rule_id);
	sqlite3_bind_int64(st, 5, a->level);
	sqlite3_bind_int64(st, 6, rclass);
	store_bind_text(st, 7, a->agent_id);
	store_bind_text(st, 8, a->agent_name);
	store_bind_text(st, 9, a->decoder);
	store_bind_text(st, 10, a->location);
	store_bind_text(st, 11, a->description);
	store_bind_text(st, 12, a->path);
	store_bind_text(st, 13, a->md5);
	store_bind_text(st, 14, a->sha1);
	store_bind_text(st, 15, a->sha256);
	sqlite3_bind_text(st, 16, a->json, (int)jlen, SQLITE_STATIC);
	rc = vg_db_step(st, "storing an alert", err);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (sqlite3_changes(s->db) == 0)
		return 0; /* the id was already stored: a replay */
	store_queue_keys(s, a, sqlite3_last_insert_rowid(s->db));
	if (added != NULL)
		*added = true;
	return s->nkeys >= STORE_KEY_FLUSH ? store_flush_keys(s, err) : 0;
}

int store_commit(struct store *s, uint64_t queue_seq, const char *writer_pos, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_CKPT_SET];
	int rc;

	if (queue_seq > INT64_MAX) {
		rc = vg_err_set(err, VG_ETOOBIG, "alert store: queue seq %llu too large",
				(unsigned long long)queue_seq);
		goto out;
	}
	rc = store_flush_keys(s, err);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)queue_seq);
		sqlite3_bind_text(st, 2, writer_pos != NULL ? writer_pos : "", -1, SQLITE_STATIC);
		rc = vg_db_step(st, "storing the checkpoint", err);
	}
out:
	rc = vg_db_end(s->db, rc, err);
	store_batch_reset(s, rc != 0);
	return rc;
}

int store_checkpoint(struct store *s, uint64_t *queue_seq, char **writer_pos, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_CKPT_GET];
	int rc = vg_db_step(st, "reading the checkpoint", err);

	*queue_seq = 0;
	*writer_pos = NULL;
	if (rc < 0)
		return rc;
	if (rc == 1) {
		const unsigned char *pos = sqlite3_column_text(st, 1);
		*queue_seq = (uint64_t)sqlite3_column_int64(st, 0);
		*writer_pos = vg_xstrdup(pos != NULL ? (const char *)pos : "");
		vg_db_reset(st);
	} else {
		*writer_pos = vg_xstrdup("");
	}
	return 0;
}

int store_mark(struct store *s, const char *source, uint64_t last_seq, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_MARK_SET];

	if (last_seq > INT64_MAX)
		return vg_err_set(err, VG_ETOOBIG, "alert store: mark %llu of %.32s too large",
				  (unsigned long long)last_seq, source);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)last_seq);
	return vg_db_step(st, "storing a source mark", err);
}

int store_marks(struct store *s, store_mark_fn fn, void *ctx, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_MARK_ALL];
	int rc;

	while ((rc = vg_db_step(st, "reading the source marks", err)) == 1) {
		const char *src = (const char *)sqlite3_column_text(st, 0);
		int64_t v = sqlite3_column_int64(st, 1);
		if (src != NULL && v > 0)
			fn(ctx, src, (uint64_t)v);
	}
	return rc;
}

/* An alert to prune: its row and its keys. */
struct store_old {
	int64_t rowno;
	int64_t k[STORE_KEYS_MAX];
	size_t nk;
};

/* Delete one alert and its keys (rule classes stay: they are few and shared). */
static int store_delete_one(struct store *s, const struct store_old *o, struct vg_err *err)
{
	sqlite3_stmt *dk = s->st[ST_DEL_KEY];
	sqlite3_stmt *da = s->st[ST_DEL_ALERT];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < o->nk; i++) {
		sqlite3_bind_int64(dk, 1, o->rowno / STORE_PART_ALERTS);
		sqlite3_bind_int64(dk, 2, o->k[i]);
		sqlite3_bind_int64(dk, 3, o->rowno);
		rc = vg_db_step(dk, "pruning alert keys", err);
	}
	if (rc == 0) {
		sqlite3_bind_int64(da, 1, o->rowno);
		rc = vg_db_step(da, "pruning alerts", err);
	}
	return rc;
}

/* Drop the key_part rows of the chunk's partitions that no key uses any more. */
static int store_prune_parts(struct store *s, const struct store_old *old, size_t k,
			     struct vg_err *err)
{
	sqlite3_stmt *dp = s->st[ST_DEL_PART];
	int64_t last = -1;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < k; i++) {
		int64_t part = old[i].rowno / STORE_PART_ALERTS;
		if (part == last)
			continue;
		last = part;
		sqlite3_bind_int64(dp, 1, part);
		rc = vg_db_step(dp, "pruning key partitions", err);
	}
	return rc;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* A rule class's groups column: NULL for none (stored as "", store_class). */
static const char *col_groups(sqlite3_stmt *st, int col)
{
	const char *g = col_text(st, col);
	return g != NULL && g[0] != '\0' ? g : NULL;
}

/*
 * One pruning transaction: collect up to a chunk of old alerts first (the
 * select must be finished before its rows are deleted), then delete them.
 */
static int store_prune_chunk(struct store *s, int64_t before_ms, uint64_t *n, struct vg_err *err)
{
	sqlite3_stmt *old = s->st[ST_OLD];
	struct store_old *rows = vg_xcalloc(STORE_PRUNE_CHUNK, sizeof(*rows));
	size_t k = 0;
	int rc = vg_db_begin(s->db, err);

	*n = 0;
	if (rc == 0) {
		sqlite3_bind_int64(old, 1, before_ms);
		sqlite3_bind_int64(old, 2, STORE_PRUNE_CHUNK);
	}
	while (rc == 0) {
		rc = vg_db_step(old, "finding old alerts", err);
		if (rc != 1)
			break;
		rc = 0;
		rows[k].rowno = sqlite3_column_int64(old, 0);
		rows[k].nk = store_alert_keys(col_text(old, 1), col_text(old, 2), col_text(old, 3),
					      col_text(old, 4), rows[k].k);
		if (++k == STORE_PRUNE_CHUNK) {
			vg_db_reset(old);
			break;
		}
	}
	for (size_t i = 0; rc == 0 && i < k; i++)
		rc = store_delete_one(s, &rows[i], err);
	if (rc == 0)
		rc = store_prune_parts(s, rows, k, err);
	rc = vg_db_end(s->db, rc, err);
	if (rc != 0) {
		s->part_known = -1;
	} else {
		*n = k;
	}
	vg_free(rows);
	return rc;
}

int store_prune(struct store *s, int64_t before_ms, uint64_t *deleted, struct vg_err *err)
{
	uint64_t total = 0;
	uint64_t n = 0;
	int rc;

	if (deleted != NULL)
		*deleted = 0;
	if (!sqlite3_get_autocommit(s->db))
		return vg_err_set(err, VG_EINTERNAL, "alert store: prune inside a batch");
	/* a pruned partition loses its key_part row; the writer re-adds it */
	s->part_known = -1;
	do {
		rc = store_prune_chunk(s, before_ms, &n, err);
		total += n;
	} while (rc == 0 && n == STORE_PRUNE_CHUNK);
	if (deleted != NULL)
		*deleted = total;
	return rc;
}

/* ---- Readers ------------------------------------------------------------------------- */

int store_reader_open(const char *path, struct store_reader **out, struct vg_err *err)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct store_reader *r = vg_xcalloc(1, sizeof(*r));
	sqlite3_stmt *st = NULL;
	int version = 0;
	int rc;

	*out = NULL;
	o.what = "alert store";
	o.readonly = true;
	pthread_mutex_init(&r->mu, NULL);
	rc = vg_db_open(path, &o, &r->db, err);
	if (rc == 0)
		rc = vg_db_prepare(r->db, "PRAGMA user_version", &st, err);
	if (rc == 0 && (rc = vg_db_step(st, "reading the schema version", err)) == 1) {
		version = sqlite3_column_int(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	if (rc == 0 && version != STORE_SCHEMA_VERSION)
		rc = vg_err_set(err, VG_EPARSE,
				"alert store %s has schema version %d; this Vigie reads version %d",
				path, version, STORE_SCHEMA_VERSION);
	if (rc == 0)
		rc = vg_db_prepare_all(r->db, store_rsql, RS_N, r->st, err);
	if (rc != 0) {
		store_reader_close(r);
		return rc;
	}
	*out = r; /* transferred */
	return 0;
}

void store_reader_close(struct store_reader *r)
{
	if (r == NULL)
		return;
	vg_db_finalize_all(r->st, RS_N);
	vg_db_close(r->db);
	pthread_mutex_destroy(&r->mu);
	vg_free(r);
}

/* A query under construction: SQL text and its parameters, in order. */
struct store_q {
	struct vg_buf sql;
	int n;
	struct {
		bool is_text;
		int64_t i;
		char *s; /* owned */
	} b[STORE_MAX_BINDS];
	int rc;
};

static void q_int(struct store_q *q, const char *clause, int64_t v)
{
	if (q->rc == 0)
		q->rc = vg_buf_puts(&q->sql, clause);
	if (q->rc == 0 && q->n < STORE_MAX_BINDS) {
		q->b[q->n].is_text = false;
		q->b[q->n++].i = v;
	}
}

static void q_text(struct store_q *q, const char *clause, char *v /* transferred */)
{
	if (q->rc == 0)
		q->rc = vg_buf_puts(&q->sql, clause);
	if (q->rc == 0 && q->n < STORE_MAX_BINDS) {
		q->b[q->n].is_text = true;
		q->b[q->n++].s = v;
	} else {
		vg_free(v);
	}
}

/* The column for a hash, from its length; NULL when it is none of them. */
static const char *store_hash_column(const char *hash, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (vg_hex_digit(hash[i]) < 0)
			return NULL;
	return len == 32 ? "md5" : len == 40 ? "sha1" : len == 64 ? "sha256" : NULL;
}

static char *store_lower(const char *s)
{
	char *r = vg_xstrdup(s);
	for (char *p = r; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

/*
 * "path >= prefix AND path < next": the smallest string after every string
 * starting with prefix is prefix with its last byte below 0xff incremented
 * and the rest cut (LIKE's case rules differ between backends and '%' in a
 * path would need escaping). No index serves it: it filters the rows the
 * other criteria (or the time index) give.
 */
static void q_path_prefix(struct store_q *q, const char *prefix)
{
	char *upper = vg_xstrdup(prefix);
	size_t len = strlen(upper);

	q_text(q, " AND path >= ?", vg_xstrdup(prefix));
	while (len > 0 && (unsigned char)upper[len - 1] == 0xff)
		len--;
	if (len == 0) {
		vg_free(upper);
		return;
	}
	upper[len - 1] = (char)((unsigned char)upper[len - 1] + 1);
	upper[len] = '\0';
	q_text(q, " AND path < ?", upper);
}

/*
 * Rows whose alert_key holds key, then the exact value on the row (keys
 * may collide): one seek per key partition.
 */
static void q_key(struct store_q *q, int64_t key, const char *col, char *value /* transferred */)
{
	char clause[64];

	/* CROSS JOIN keeps key_part outside: a seek per partition, not a scan of keys */
	q_int(q,
	      " AND rowno IN (SELECT k.rowno FROM key_part p CROSS JOIN alert_key k"
	      " WHERE k.part = p.part AND k.k = ?)",
	      key);
	snprintf(clause, sizeof(clause), " AND %s = ?", col);
	q_text(q, clause, value);
}

/* '%' + text with \, % and _ escaped + '%'. */
static char *store_like_pattern(const char *text)
{
	size_t len = strlen(text);
	char *p = vg_xmalloc(len * 2 + 3);
	size_t j = 0;

	p[j++] = '%';
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' || text[i] == '%' || text[i] == '_')
			p[j++] = '\\';
		p[j++] = text[i];
	}
	p[j++] = '%';
	p[j] = '\0';
	return p;
}

static int q_where(struct store_q *q, const struct store_filter *f, bool paging, struct vg_err *err)
{
	q->rc = vg_buf_puts(&q->sql, " WHERE 1 = 1");
	if (f->since_ms != 0)
		q_int(q, " AND time_ms >= ?", f->since_ms);
	if (f->until_ms != 0)
		q_int(q, " AND time_ms < ?", f->until_ms);
	if (f->rule_id != 0)
		q_int(q, " AND rclass IN (SELECT rclass FROM rule_class WHERE rule_id = ?)",
		      f->rule_id);
	if (f->min_level != 0)
		q_int(q, " AND rclass IN (SELECT rclass FROM rule_class WHERE level >= ?)",
		      f->min_level);
	if (f->agent_id != NULL)
		q_text(q, " AND agent_id = ?", vg_xstrdup(f->agent_id));
	if (f->group != NULL)
		q_text(q, " AND rclass IN (SELECT rclass FROM class_group WHERE grp = ?)",
		       vg_xstrdup(f->group));
	if (f->path != NULL)
		q_key(q, store_path_key(f->path), "path", vg_xstrdup(f->path));
	if (f->path_prefix != NULL && f->path_prefix[0] != '\0')
		q_path_prefix(q, f->path_prefix);
	if (f->hash != NULL) {
		const char *col = store_hash_column(f->hash, strlen(f->hash));
		if (col == NULL)
			return vg_err_set(err, VG_EPARSE,
					  "alert store: '%.80s' is not an md5, sha1 or sha256",
					  f->hash);
		char *lower = store_lower(f->hash);
		q_key(q, store_digest_key(lower), col, lower);
	}
	if (f->text != NULL && f->text[0] != '\0')
		q_text(q, " AND description LIKE ? ESCAPE '\\'", store_like_pattern(f->text));
	if (paging && (f->after.time_ms != 0 || f->after.row != 0)) {
		/* the time bound alone lets the time index do the range */
		q_int(q, " AND time_ms <= ?", f->after.time_ms);
		q_int(q, " AND (time_ms < ?", f->after.time_ms);
		q_int(q, " OR rowno < ?)", f->after.row);
	}
	if (q->rc == 0 && q->n >= STORE_MAX_BINDS)
		q->rc = VG_ETOOBIG;
	if (q->rc != 0)
		return vg_err_set(err, q->rc, "alert store: query too long");
	return 0;
}

static void q_free(struct store_q *q)
{
	for (int i = 0; i < q->n; i++)
		if (q->b[i].is_text)
			vg_free(q->b[i].s);
	vg_buf_free(&q->sql);
}

/* Prepare q's SQL on r's connection and bind its parameters. */
static int q_prepare(struct store_reader *r, struct store_q *q, sqlite3_stmt **st,
		     struct vg_err *err)
{
	int rc = sqlite3_prepare_v2(r->db, vg_buf_cstr(&q->sql), -1, st, NULL);
	if (rc != SQLITE_OK)
		return vg_db_fail(r->db, rc, "preparing a query", err);
	for (int i = 0; i < q->n; i++) {
		if (q->b[i].is_text)
			sqlite3_bind_text(*st, i + 1, q->b[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(*st, i + 1, q->b[i].i);
	}
	return 0;
}

/* A row of STORE_COLS into *a; id is rebuilt into idbuf (STORE_ID_MAX). */
static void store_row(sqlite3_stmt *st, struct store_alert *a, struct store_cursor *pos,
		      char *idbuf)
{
	snprintf(idbuf, STORE_ID_MAX, "%" PRId64 ".%" PRId64, (int64_t)sqlite3_column_int64(st, 1),
		 (int64_t)sqlite3_column_int64(st, 2));
	pos->row = sqlite3_column_int64(st, 0);
	a->id = idbuf;
	a->time_ms = pos->time_ms = sqlite3_column_int64(st, 3);
	a->rule_id = (unsigned)sqlite3_column_int64(st, 4);
	a->level = (unsigned)sqlite3_column_int64(st, 5);
	a->agent_id = col_text(st, 6);
	a->agent_name = col_text(st, 7);
	a->decoder = col_text(st, 8);
	a->location = col_text(st, 9);
	a->description = col_text(st, 10);
	a->path = col_text(st, 11);
	a->md5 = col_text(st, 12);
	a->sha1 = col_text(st, 13);
	a->sha256 = col_text(st, 14);
	a->groups = col_text(st, 15);
	a->json = col_text(st, 16);
	a->json_len = (size_t)sqlite3_column_bytes(st, 16);
}

int store_query(struct store_reader *r, const struct store_filter *f, store_row_fn fn, void *ctx,
		struct store_cursor *next, struct vg_err *err)
{
	struct store_q q = {.sql = VG_BUF_INIT(STORE_SQL_MAX)};
	struct store_cursor pos = {0, 0};
	sqlite3_stmt *st = NULL;
	char idbuf[STORE_ID_MAX];
	int rc;

	if (next != NULL)
		*next = pos;
	pthread_mutex_lock(&r->mu);
	rc = vg_buf_puts(&q.sql, "SELECT " STORE_COLS " FROM alert");
	if (rc == 0)
		rc = q_where(&q, f, true, err);
	if (rc == 0)
		q_int(&q, " ORDER BY time_ms DESC, rowno DESC LIMIT ?",
		      f->limit != 0 ? (int64_t)VG_MIN(f->limit, (size_t)INT64_MAX)
				    : STORE_DEFAULT_LIMIT);
	if (rc == 0 && q.rc != 0)
		rc = vg_err_set(err, q.rc, "alert store: query too long");
	if (rc == 0)
		rc = q_prepare(r, &q, &st, err);
	while (rc == 0) {
		struct store_alert a;
		rc = vg_db_step(st, "querying alerts", err);
		if (rc != 1)
			break;
		rc = 0;
		store_row(st, &a, &pos, idbuf);
		if (fn(ctx, &a) != 0)
			break;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->mu);
	q_free(&q);
	if (rc == 0 && next != NULL)
		*next = pos;
	return rc;
}

int store_count(struct store_reader *r, const struct store_filter *f, uint64_t *count,
		struct vg_err *err)
{
	struct store_q q = {.sql = VG_BUF_INIT(STORE_SQL_MAX)};
	sqlite3_stmt *st = NULL;
	int rc;

	*count = 0;
	pthread_mutex_lock(&r->mu);
	rc = vg_buf_puts(&q.sql, "SELECT count(*) FROM alert");
	if (rc == 0)
		rc = q_where(&q, f, false, err);
	if (rc == 0)
		rc = q_prepare(r, &q, &st, err);
	if (rc == 0 && (rc = vg_db_step(st, "counting alerts", err)) == 1) {
		*count = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->mu);
	q_free(&q);
	return rc;
}

/* A row of RS_HEAD into *a (the columns it does not read are NULL). */
static void store_head(sqlite3_stmt *st, struct store_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->time_ms = sqlite3_column_int64(st, 1);
	a->rule_id = (unsigned)sqlite3_column_int64(st, 2);
	a->level = (unsigned)sqlite3_column_int64(st, 3);
	a->agent_id = col_text(st, 4);
	a->location = col_text(st, 5);
	a->groups = col_groups(st, 6);
}

/* The row st is on (STORE_COLS) to fn: 1 when fn stops. */
static int store_hand(sqlite3_stmt *st, int64_t row, store_follow_fn fn, void *ctx)
{
	struct store_cursor pos;
	struct store_alert a;
	char idbuf[STORE_ID_MAX];

	store_row(st, &a, &pos, idbuf);
	return fn(ctx, row, &a) != 0;
}

/* Row number row, whose head was wanted, read whole (RS_ROW) to fn: 1 when fn stops. */
static int store_hand_wanted(struct store_reader *r, int64_t row, store_follow_fn fn, void *ctx,
			     struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_ROW];
	int rc;

	sqlite3_bind_int64(st, 1, row);
	rc = vg_db_step(st, "reading a followed alert", err);
	if (rc == 1)
		rc = store_hand(st, row, fn, ctx);
	else if (rc == 0)
		rc = vg_err_set(err, VG_EINTERNAL, "alert store: row %" PRId64 " vanished", row);
	vg_db_reset(st);
	return rc;
}

/* The rule classes f->classes wants, as a JSON array of their numbers into ids. */
static int store_follow_classes(struct store_reader *r, const struct store_follow *f, void *ctx,
				struct vg_buf *ids, struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_CLASSES];
	const char *sep = "";
	int over = vg_buf_putc(ids, '['), rc = 0;

	while (over == 0 && (rc = vg_db_step(st, "reading the rule classes", err)) == 1) {
		struct store_alert c = {.rule_id = (unsigned)sqlite3_column_int64(st, 1),
					.level = (unsigned)sqlite3_column_int64(st, 2),
					.groups = col_groups(st, 3)};
		if (f->classes(ctx, &c)) {
			over = vg_buf_printf(ids, "%s%lld", sep,
					     (long long)sqlite3_column_int64(st, 0));
			sep = ",";
		}
	}
	vg_db_reset(st);
	if (rc < 0)
		return rc;
	if (over == 0)
		over = vg_buf_putc(ids, ']');
	return over == 0 ? 0 : vg_err_set(err, VG_ETOOBIG, "alert store: too many rule classes");
}

/*
 * The rows above f->after: whole with RS_ROWS, heads first with RS_HEAD,
 * or, with f->classes, the heads of the wanted classes' rows (RS_HEAD_IN)
 * up to f->last_row, the others passed over inside SQLite.
 */
static int store_follow_rows(struct store_reader *r, struct store_follow *f, store_follow_fn fn,
			     void *ctx, struct vg_err *err)
{
	struct vg_buf ids = VG_BUF_INIT(STORE_CLASS_IDS_MAX);
	enum store_rstmt which = f->classes != NULL ? RS_HEAD_IN
				 : f->want != NULL  ? RS_HEAD
						    : RS_ROWS;
	sqlite3_stmt *st = r->st[which];
	int rc = 0;

	if (f->classes != NULL) {
		rc = store_follow_classes(r, f, ctx, &ids, err);
		sqlite3_bind_text(st, 3, vg_buf_cstr(&ids), (int)ids.len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, f->last_row);
	}
	sqlite3_bind_int64(st, 1, f->after);
	sqlite3_bind_int64(st, 2, (int64_t)VG_MIN(f->limit, (size_t)INT64_MAX));
	while (rc == 0 && (rc = vg_db_step(st, "following alerts", err)) == 1) {
		int64_t row = sqlite3_column_int64(st, 0);
		struct store_alert head;
		if (which == RS_ROWS) {
			rc = store_hand(st, row, fn, ctx);
		} else {
			store_head(st, &head);
			rc = f->want == NULL || f->want(ctx, &head)
				 ? store_hand_wanted(r, row, fn, ctx, err)
				 : 0;
		}
		if (rc != 0)
			break;
		f->through = row;
		f->seen++;
	}
	vg_db_reset(st);
	sqlite3_clear_bindings(st);
	vg_buf_free(&ids);
	/* every row up to the last was examined: the others' classes are not wanted */
	if (rc == 0 && which == RS_HEAD_IN && f->seen < f->limit && f->last_row > f->through)
		f->through = f->last_row;
	return rc < 0 ? rc : 0;
}

int store_follow(struct store_reader *r, struct store_follow *f, store_follow_fn fn, void *ctx,
		 struct vg_err *err)
{
	sqlite3_stmt *last = r->st[RS_LAST];
	int rc;

	f->through = f->after;
	f->seen = 0;
	f->last_row = 0;
	pthread_mutex_lock(&r->mu);
	rc = vg_db_step(last, "reading the last alert row", err);
	if (rc == 1) {
		f->last_row = sqlite3_column_int64(last, 0);
		rc = 0;
	}
	vg_db_reset(last);
	if (rc == 0)
		rc = store_follow_rows(r, f, fn, ctx, err);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int store_get(struct store_reader *r, const char *id, char **json, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t sec = 0, off = 0;
	int rc;

	*json = NULL;
	if (!store_parse_id(id, &sec, &off))
		return vg_err_set(err, VG_ENOTFOUND, "alert %.64s: not in the store", id);
	pthread_mutex_lock(&r->mu);
	rc = sqlite3_prepare_v2(r->db, "SELECT json FROM alert WHERE id_sec = ?1 AND id_off = ?2",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = vg_db_fail(r->db, rc, "preparing a query", err);
	} else {
		sqlite3_bind_int64(st, 1, sec);
		sqlite3_bind_int64(st, 2, off);
	}
	if (rc == 0)
		rc = vg_db_step(st, "reading an alert", err);
	if (rc == 1) {
		*json = vg_xstrdup(col_text(st, 0) != NULL ? col_text(st, 0) : "");
		rc = 0;
	} else if (rc == 0) {
		rc = vg_err_set(err, VG_ENOTFOUND, "alert %.64s: not in the store", id);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->mu);
	return rc;
}
