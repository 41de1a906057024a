/*
 * store.c - The alert store (SQLite): batches with a checkpoint, queries.
 *
 * Schema (version STORE_SCHEMA_VERSION in PRAGMA user_version):
 *   alert        one row per alert; rowno orders alerts inserted in the
 *                same millisecond and keys the child table; id UNIQUE makes
 *                a replayed alert a no-op (ON CONFLICT DO NOTHING)
 *   alert_group  (grp, alert) one row per rule group of an alert: "every
 *                alert of group X, newest first" is an index range instead
 *                of a LIKE over a comma list. WITHOUT ROWID: the primary key
 *                is the only index it needs.
 *   checkpoint   one row: the pipeline's event-queue seq and alert-file
 *                position, committed with the batch that reached them
 * Indexes: time; (rule_id, time); (level, time); (agent_id, time); path and
 * each hash as partial indexes (most non-FIM alerts have none).
 *
 * The DML stays in the subset SQLite and PostgreSQL share (ON CONFLICT,
 * RETURNING, LIKE ... ESCAPE, no SQLite-only functions).
 *
 * The writer belongs to the alert writer's thread; statements are prepared
 * once. A reader has its own connection and a mutex, so any thread may use
 * it; queries are built per call (few, not on the hot path).
 */
#include "manager/store.h"

#include <pthread.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/db.h"
#include "lib/mem.h"
#include "lib/str.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_PRUNE_CHUNK 1000
#define STORE_DEFAULT_LIMIT 100
#define STORE_MAX_BINDS 16
#define STORE_SQL_MAX 4096

static const char store_schema[] =
    "CREATE TABLE alert (rowno INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " time_ms INTEGER NOT NULL, rule_id INTEGER NOT NULL, level INTEGER NOT NULL,"
    " agent_id TEXT, agent_name TEXT, decoder TEXT, location TEXT, description TEXT,"
    " path TEXT, md5 TEXT, sha1 TEXT, sha256 TEXT, groups TEXT, json TEXT NOT NULL);"
    "CREATE INDEX alert_time ON alert (time_ms);"
    "CREATE INDEX alert_rule ON alert (rule_id, time_ms);"
    "CREATE INDEX alert_level ON alert (level, time_ms);"
    "CREATE INDEX alert_agent ON alert (agent_id, time_ms);"
    "CREATE INDEX alert_path ON alert (path) WHERE path IS NOT NULL;"
    "CREATE INDEX alert_md5 ON alert (md5) WHERE md5 IS NOT NULL;"
    "CREATE INDEX alert_sha1 ON alert (sha1) WHERE sha1 IS NOT NULL;"
    "CREATE INDEX alert_sha256 ON alert (sha256) WHERE sha256 IS NOT NULL;"
    "CREATE TABLE alert_group (grp TEXT NOT NULL, alert INTEGER NOT NULL,"
    " PRIMARY KEY (grp, alert)) WITHOUT ROWID;"
    "CREATE TABLE checkpoint (name TEXT NOT NULL PRIMARY KEY, queue_seq INTEGER NOT NULL,"
    " writer_pos TEXT NOT NULL);";

#define STORE_COLS                                                                                 \
	"rowno, id, time_ms, rule_id, level, agent_id, agent_name, decoder, location, "            \
	"description, path, md5, sha1, sha256, groups, json"

enum store_stmt {
	ST_INSERT,
	ST_GROUP,
	ST_CKPT_SET,
	ST_CKPT_GET,
	ST_OLD,
	ST_DEL_GROUP,
	ST_DEL_ALERT,
	ST_N,
};

static const char *const store_sql[ST_N] = {
    [ST_INSERT] = "INSERT INTO alert (id, time_ms, rule_id, level, agent_id, agent_name, "
		  "decoder, location, description, path, md5, sha1, sha256, groups, json) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
		  "ON CONFLICT (id) DO NOTHING RETURNING rowno",
    [ST_GROUP] = "INSERT INTO alert_group (grp, alert) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [ST_CKPT_SET] = "INSERT INTO checkpoint (name, queue_seq, writer_pos) "
		    "VALUES ('pipeline', ?1, ?2) ON CONFLICT (name) DO UPDATE SET "
		    "queue_seq = excluded.queue_seq, writer_pos = excluded.writer_pos",
    [ST_CKPT_GET] = "SELECT queue_seq, writer_pos FROM checkpoint WHERE name = 'pipeline'",
    [ST_OLD] = "SELECT rowno, groups FROM alert WHERE time_ms < ?1 ORDER BY time_ms LIMIT ?2",
    [ST_DEL_GROUP] = "DELETE FROM alert_group WHERE grp = ?1 AND alert = ?2",
    [ST_DEL_ALERT] = "DELETE FROM alert WHERE rowno = ?1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
};

struct store_reader {
	pthread_mutex_t mu;
	sqlite3 *db;
};

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
		a->path = store_json_str(ev->syscheck, "path");
		a->md5 = store_json_str(ev->syscheck, "md5_after");
		a->sha1 = store_json_str(ev->syscheck, "sha1_after");
		a->sha256 = store_json_str(ev->syscheck, "sha256_after");
	}
	if (a->path == NULL && ev->data != NULL) {
		json_t *src = json_object_get(json_object_get(ev->data, "virustotal"), "source");
		a->path = store_json_str(src, "file");
		a->md5 = store_json_str(src, "md5");
		a->sha1 = store_json_str(src, "sha1");
	}
}

/* ---- Writer -------------------------------------------------------------------------- */

int store_open(const char *path, struct store **out, struct vg_err *err)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	struct store *s = vg_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	o.what = "alert store";
	o.mode = 0640;       /* the dashboard may run as another user of the group */
	o.cache_kib = 16384; /* a 1000-alert batch touches many index pages */
	rc = vg_db_open(path, &o, &s->db, err);
	if (rc == 0)
		rc = vg_db_schema(s->db, store_schema, STORE_SCHEMA_VERSION, err);
	for (size_t i = 0; rc == 0 && i < ST_N; i++)
		rc = vg_db_prepare(s->db, store_sql[i], &s->st[i], err);
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
	for (size_t i = 0; i < ST_N; i++)
		sqlite3_finalize(s->st[i]);
	vg_db_close(s->db);
	vg_free(s);
}

int store_begin(struct store *s, struct vg_err *err)
{
	return vg_db_begin(s->db, err);
}

void store_rollback(struct store *s)
{
	if (s != NULL)
		vg_db_rollback(s->db);
}

static void store_bind_text(sqlite3_stmt *st, int col, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
}

/* One alert_group row per non-empty item of the comma list. */
static int store_add_groups(struct store *s, int64_t rowno, const char *groups, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_GROUP];
	const char *item;
	size_t len;
	int rc = 0;

	if (groups == NULL)
		return 0;
	while (rc == 0 && vg_str_next_item(&groups, &item, &len)) {
		if (len == 0)
			continue;
		sqlite3_bind_text(st, 1, item, (int)VG_MIN(len, (size_t)INT32_MAX), SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, rowno);
		rc = vg_db_step(st, "storing alert groups", err);
	}
	return rc < 0 ? rc : 0;
}

int store_add(struct store *s, const struct store_alert *a, bool *added, struct vg_err *err)
{
	sqlite3_stmt *st = s->st[ST_INSERT];
	size_t jlen = a->json_len != 0 || a->json == NULL ? a->json_len : strlen(a->json);
	int64_t rowno = 0;
	int rc;

	if (added != NULL)
		*added = false;
	if (a->id == NULL || a->json == NULL)
		return vg_err_set(err, VG_EINTERNAL, "alert store: an alert without id or json");
	if (jlen > INT32_MAX)
		return vg_err_set(err, VG_ETOOBIG, "alert store: alert %s is too large", a->id);
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->time_ms);
	sqlite3_bind_int64(st, 3, a->rule_id);
	sqlite3_bind_int64(st, 4, a->level);
	store_bind_text(st, 5, a->agent_id);
	store_bind_text(st, 6, a->agent_name);
	store_bind_text(st, 7, a->decoder);
	store_bind_text(st, 8, a->location);
	store_bind_text(st, 9, a->description);
	store_bind_text(st, 10, a->path);
	store_bind_text(st, 11, a->md5);
	store_bind_text(st, 12, a->sha1);
	store_bind_text(st, 13, a->sha256);
	store_bind_text(st, 14, a->groups);
	sqlite3_bind_text(st, 15, a->json, (int)jlen, SQLITE_STATIC);
	rc = vg_db_step(st, "storing an alert", err);
	if (rc <= 0)
		return rc; /* done without a row: the id was already stored */
	rowno = sqlite3_column_int64(st, 0);
	/* the RETURNING statement must run to completion to finish the insert */
	rc = vg_db_step(st, "storing an alert", err);
	if (rc == 1) {
		vg_db_reset(st);
		rc = 0;
	}
	if (rc == 0)
		rc = store_add_groups(s, rowno, a->groups, err);
	if (rc == 0 && added != NULL)
		*added = true;
	return rc;
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
	sqlite3_bind_int64(st, 1, (sqlite3_int64)queue_seq);
	sqlite3_bind_text(st, 2, writer_pos != NULL ? writer_pos : "", -1, SQLITE_STATIC);
	rc = vg_db_step(st, "storing the checkpoint", err);
	if (rc == 0)
		rc = vg_db_commit(s->db, err);
out:
	if (rc != 0)
		vg_db_rollback(s->db);
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

/* Delete one alert and its group rows; groups is the alert's own copy. */
static int store_delete_one(struct store *s, int64_t rowno, const char *groups, struct vg_err *err)
{
	sqlite3_stmt *dg = s->st[ST_DEL_GROUP];
	sqlite3_stmt *da = s->st[ST_DEL_ALERT];
	const char *item;
	size_t len;
	int rc = 0;

	while (rc == 0 && groups != NULL && vg_str_next_item(&groups, &item, &len)) {
		if (len == 0)
			continue;
		sqlite3_bind_text(dg, 1, item, (int)VG_MIN(len, (size_t)INT32_MAX), SQLITE_STATIC);
		sqlite3_bind_int64(dg, 2, rowno);
		rc = vg_db_step(dg, "pruning alert groups", err);
	}
	if (rc == 0) {
		sqlite3_bind_int64(da, 1, rowno);
		rc = vg_db_step(da, "pruning alerts", err);
	}
	return rc;
}

/*
 * One pruning transaction: collect up to a chunk of old alerts first (the
 * select must be finished before its rows are deleted), then delete them.
 */
static int store_prune_chunk(struct store *s, int64_t before_ms, uint64_t *n, struct vg_err *err)
{
	sqlite3_stmt *old = s->st[ST_OLD];
	int64_t rows[STORE_PRUNE_CHUNK];
	char *groups[STORE_PRUNE_CHUNK];
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
		const unsigned char *g = sqlite3_column_text(old, 1);
		rows[k] = sqlite3_column_int64(old, 0);
		groups[k] = g != NULL ? vg_xstrdup((const char *)g) : NULL;
		if (++k == STORE_PRUNE_CHUNK) {
			vg_db_reset(old);
			break;
		}
	}
	for (size_t i = 0; rc == 0 && i < k; i++)
		rc = store_delete_one(s, rows[i], groups[i], err);
	if (rc == 0)
		rc = vg_db_commit(s->db, err);
	if (rc != 0)
		vg_db_rollback(s->db);
	else
		*n = k;
	for (size_t i = 0; i < k; i++)
		vg_free(groups[i]);
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
		if (!((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f') ||
		      (hash[i] >= 'A' && hash[i] <= 'F')))
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
 * and the rest cut; an index range, unlike LIKE (case rules differ between
 * backends and '%' in a path would need escaping).
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
		q_int(q, " AND rule_id = ?", f->rule_id);
	if (f->min_level != 0)
		q_int(q, " AND level >= ?", f->min_level);
	if (f->agent_id != NULL)
		q_text(q, " AND agent_id = ?", vg_xstrdup(f->agent_id));
	if (f->group != NULL)
		q_text(q, " AND rowno IN (SELECT alert FROM alert_group WHERE grp = ?)",
		       vg_xstrdup(f->group));
	if (f->path_prefix != NULL && f->path_prefix[0] != '\0')
		q_path_prefix(q, f->path_prefix);
	if (f->hash != NULL) {
		const char *col = store_hash_column(f->hash, strlen(f->hash));
		if (col == NULL)
			return vg_err_set(err, VG_EPARSE,
					  "alert store: '%.80s' is not an md5, sha1 or sha256",
					  f->hash);
		if (q->rc == 0)
			q->rc = vg_buf_printf(&q->sql, " AND %s", col);
		q_text(q, " = ?", store_lower(f->hash));
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

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static void store_row(sqlite3_stmt *st, struct store_alert *a, struct store_cursor *pos)
{
	pos->row = sqlite3_column_int64(st, 0);
	a->id = col_text(st, 1);
	a->time_ms = pos->time_ms = sqlite3_column_int64(st, 2);
	a->rule_id = (unsigned)sqlite3_column_int64(st, 3);
	a->level = (unsigned)sqlite3_column_int64(st, 4);
	a->agent_id = col_text(st, 5);
	a->agent_name = col_text(st, 6);
	a->decoder = col_text(st, 7);
	a->location = col_text(st, 8);
	a->description = col_text(st, 9);
	a->path = col_text(st, 10);
	a->md5 = col_text(st, 11);
	a->sha1 = col_text(st, 12);
	a->sha256 = col_text(st, 13);
	a->groups = col_text(st, 14);
	a->json = col_text(st, 15);
	a->json_len = (size_t)sqlite3_column_bytes(st, 15);
}

int store_query(struct store_reader *r, const struct store_filter *f, store_row_fn fn, void *ctx,
		struct store_cursor *next, struct vg_err *err)
{
	struct store_q q = {.sql = VG_BUF_INIT(STORE_SQL_MAX)};
	struct store_cursor pos = {0, 0};
	sqlite3_stmt *st = NULL;
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
		store_row(st, &a, &pos);
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

int store_get(struct store_reader *r, const char *id, char **json, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*json = NULL;
	pthread_mutex_lock(&r->mu);
	rc = sqlite3_prepare_v2(r->db, "SELECT json FROM alert WHERE id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		rc = vg_db_fail(r->db, rc, "preparing a query", err);
	else
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
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
