/*
 * dqueue.c - A durable FIFO of opaque records in one SQLite file.
 *
 * Schema (version DQ_SCHEMA_VERSION in PRAGMA user_version):
 *   record       one row per pending record; seq is AUTOINCREMENT so a seq
 *                is never reused, even once the table was emptied (a plain
 *                rowid would restart at max + 1 and a consumer cursor would
 *                then skip the new records)
 *   source_mark  the highest source_seq accepted per source: a redelivery
 *                stays a duplicate after its record was trimmed
 * The DML is in the subset SQLite and PostgreSQL share (ON CONFLICT,
 * RETURNING); only the DDL would change for another backend.
 *
 * Two connections: the writer (appends, trims), used under q->mu by any
 * thread, and the reader, used only by the consumer thread, so a slow
 * consumer callback never holds the producers' mutex. WAL lets the reader
 * see a consistent snapshot while the writer commits.
 *
 * The pending counters (records, bytes) live in memory: computed at open,
 * then kept by append and trim under q->mu (the queue has one writer
 * process), so the bounds cost no query per append.
 */
#include "lib/dqueue.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "lib/common.h"
#include "lib/db.h"
#include "lib/mem.h"

#define DQ_SCHEMA_VERSION 1

static const char dq_schema[] =
    "CREATE TABLE record (seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,"
    " source_seq INTEGER NOT NULL, len INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE source_mark (source TEXT NOT NULL PRIMARY KEY, last_seq INTEGER NOT NULL);";

enum dq_stmt {
	ST_MARK,
	ST_INSERT,
	ST_RANGE,
	ST_TRIM,
	ST_TOTALS,
	ST_SOURCE_LAST,
	ST_SEED,
	ST_N_WRITER,
};

static const char *const dq_sql[ST_N_WRITER] = {
    /* no row changed = source_seq at or below the mark: a duplicate */
    [ST_MARK] = "INSERT INTO source_mark (source, last_seq) VALUES (?1, ?2) "
		"ON CONFLICT (source) DO UPDATE SET last_seq = excluded.last_seq "
		"WHERE excluded.last_seq > source_mark.last_seq",
    [ST_INSERT] = "INSERT INTO record (source, source_seq, len, data) VALUES (?1, ?2, ?3, ?4) "
		  "RETURNING seq",
    [ST_RANGE] = "SELECT count(*), coalesce(sum(len), 0) FROM record WHERE seq <= ?1",
    [ST_TRIM] = "DELETE FROM record WHERE seq <= ?1",
    /* the last seq ever assigned survives trims in sqlite_sequence */
    [ST_TOTALS] = "SELECT count(*), coalesce(sum(len), 0), (SELECT coalesce(max(seq), 0)"
		  " FROM sqlite_sequence WHERE name = 'record') FROM record",
    /* a queue that never numbered a record starts at the clock */
    [ST_SEED] = "INSERT INTO sqlite_sequence (name, seq) SELECT 'record', ?1"
		" WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'record')",
    [ST_SOURCE_LAST] = "SELECT last_seq FROM source_mark WHERE source = ?1",
};

static const char dq_read_sql[] =
    "SELECT seq, source, source_seq, data FROM record WHERE seq > ?1 ORDER BY seq LIMIT ?2";

struct vg_dq {
	pthread_mutex_t mu; /* guards everything below but rd/st_read */
	pthread_cond_t changed;
	sqlite3 *wr;
	sqlite3_stmt *st[ST_N_WRITER];
	struct vg_dq_opts opts;
	struct vg_dq_stats stats;
	uint64_t wakes;               /* vg_dq_wake calls, so waiters notice one */
	void (*on_append)(void *ctx); /* set before producers start (vg_dq_on_append) */
	void *on_append_ctx;
	sqlite3 *rd; /* the consumer's connection */
	sqlite3_stmt *st_read;
};

/* ---- Open and close ----------------------------------------------------------- */

static int dq_load_totals(struct vg_dq *q, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_TOTALS];
	int rc = vg_db_step(st, "counting records", err);

	if (rc == 1) {
		q->stats.pending_records = (uint64_t)sqlite3_column_int64(st, 0);
		q->stats.pending_bytes = (uint64_t)sqlite3_column_int64(st, 1);
		q->stats.last_seq = (uint64_t)sqlite3_column_int64(st, 2);
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

static int dq_seed_clock(struct vg_dq *q, struct vg_err *err)
{
	struct timespec ts;
	sqlite3_stmt *st = q->st[ST_SEED];

	clock_gettime(CLOCK_REALTIME, &ts);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	int rc = vg_db_step(st, "numbering the queue", err);
	vg_db_reset(st);
	return rc < 0 ? rc : 0;
}

static int dq_init_cond(struct vg_dq *q)
{
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);

	if (rc == 0) {
		/* timeouts must not jump with the wall clock */
		rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (rc == 0)
			rc = pthread_cond_init(&q->changed, &ca);
		pthread_condattr_destroy(&ca);
	}
	return rc;
}

int vg_dq_open(const char *path, const struct vg_dq_opts *opts, struct vg_dq **out,
	       struct vg_err *err)
{
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	struct vg_dq *q = NULL;
	int rc;

	*out = NULL;
	dbo.what = "event queue";
	dbo.page_size = 16384; /* records are ~1 KiB: fewer, larger WAL writes */
	dbo.cache_kib = 16384;
	q = vg_xcalloc(1, sizeof(*q));
	q->opts = opts != NULL ? *opts : (struct vg_dq_opts)VG_DQ_OPTS_INIT;
	pthread_mutex_init(&q->mu, NULL);
	if (dq_init_cond(q) != 0) {
		pthread_mutex_destroy(&q->mu);
		vg_free(q);
		return vg_err_set(err, VG_EINTERNAL, "event queue %s: cannot create a condition",
				  path);
	}
	rc = vg_db_open(path, &dbo, &q->wr, err);
	if (rc == 0)
		rc = vg_db_schema(q->wr, dq_schema, DQ_SCHEMA_VERSION, err);
	if (rc == 0)
		rc = vg_db_prepare_all(q->wr, dq_sql, ST_N_WRITER, q->st, err);
	if (rc == 0 && q->opts.seq_from_clock)
		rc = dq_seed_clock(q, err);
	if (rc == 0)
		rc = dq_load_totals(q, err);
	if (rc == 0)
		rc = vg_db_open(path, &dbo, &q->rd, err);
	if (rc == 0)
		rc = vg_db_prepare(q->rd, dq_read_sql, &q->st_read, err);
	if (rc != 0) {
		vg_dq_close(q);
		return rc;
	}
	*out = q; /* transferred */
	return 0;
}

void vg_dq_close(struct vg_dq *q)
{
	if (q == NULL)
		return;
	vg_db_finalize_all(q->st, ST_N_WRITER);
	sqlite3_finalize(q->st_read);
	vg_db_close(q->rd);
	vg_db_close(q->wr);
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->mu);
	vg_free(q);
}

/* ---- Append ------------------------------------------------------------------- */

/* Would n more records of bytes more bytes pass a bound? Under q->mu. */
static bool dq_fits(const struct vg_dq *q, uint64_t n, uint64_t bytes)
{
	const struct vg_dq_stats *s = &q->stats;
	if (q->opts.max_records != 0 &&
	    (n > q->opts.max_records || s->pending_records > q->opts.max_records - n))
		return false;
	if (q->opts.max_bytes != 0 &&
	    (bytes > q->opts.max_bytes || s->pending_bytes > q->opts.max_bytes - bytes))
		return false;
	return true;
}

/* Raise the source's mark; *dup when source_seq is at or below it. */
static int dq_mark(struct vg_dq *q, const char *source, uint64_t source_seq, bool *dup,
		   struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_MARK];
	int rc;

	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)source_seq);
	rc = vg_db_step(st, "recording the source sequence", err);
	if (rc == 1) { /* not expected from an INSERT without RETURNING */
		vg_db_reset(st);
		rc = 0;
	}
	*dup = rc == 0 && sqlite3_changes(q->wr) == 0;
	return rc;
}

/* Insert one record in the open transaction; *seq is 0 for a duplicate. */
static int dq_insert(struct vg_dq *q, const struct vg_dq_rec *r, uint64_t *seq, struct vg_err *err)
{
	const char *source = r->source != NULL ? r->source : "";
	sqlite3_stmt *st = q->st[ST_INSERT];
	bool dup = false;
	int rc = 0;

	*seq = 0;
	if (r->source_seq > INT64_MAX)
		return vg_err_set(err, VG_ETOOBIG, "event queue: source sequence %llu too large",
				  (unsigned long long)r->source_seq);
	if (r->source_seq != 0) {
		rc = dq_mark(q, source, r->source_seq, &dup, err);
		if (rc != 0 || dup)
			return rc;
	}
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->source_seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->len);
	/* a zero-length blob is still a blob, never NULL */
	sqlite3_bind_blob64(st, 4, r->data != NULL ? r->data : "", r->len, SQLITE_STATIC);
	rc = vg_db_step(st, "appending a record", err);
	if (rc == 1) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		rc = 0;
	} else if (rc == 0) {
		rc = vg_err_set(err, VG_EINTERNAL, "event queue %s: insert returned no seq",
				vg_db_name(q->wr));
	}
	return rc;
}

/* The append transaction, under q->mu. */
static int dq_append_locked(struct vg_dq *q, const struct vg_dq_rec *recs, size_t n, size_t *added,
			    uint64_t *first_seq, struct vg_err *err)
{
	uint64_t bytes = 0;
	uint64_t new_bytes = 0;
	uint64_t last = 0;
	size_t n_new = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		bytes += recs[i].len;
	if (!dq_fits(q, n, bytes)) {
		q->stats.full++;
		return vg_err_set(err, VG_ETOOBIG,
				  "event queue %s is full (%llu records, %llu bytes pending): "
				  "retry after the consumer catches up",
				  vg_db_name(q->wr), (unsigned long long)q->stats.pending_records,
				  (unsigned long long)q->stats.pending_bytes);
	}
	rc = vg_db_begin(q->wr, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t seq = 0;
		rc = dq_insert(q, &recs[i], &seq, err);
		if (rc != 0 || seq == 0)
			continue;
		if (n_new++ == 0 && first_seq != NULL)
			*first_seq = seq;
		new_bytes += recs[i].len;
		last = seq;
	}
	rc = vg_db_end(q->wr, rc, err);
	if (rc != 0) {
		return rc;
	}
	q->stats.pending_records += n_new;
	q->stats.pending_bytes += new_bytes;
	q->stats.appended += n_new;
	q->stats.duplicates += n - n_new;
	if (last > q->stats.last_seq)
		q->stats.last_seq = last;
	*added = n_new;
	if (n_new > 0)
		pthread_cond_broadcast(&q->changed);
	return 0;
}

/* Tell the consumer's other waits (vg_dq_on_append), outside the lock. */
static void dq_appended(struct vg_dq *q, size_t added)
{
	if (added > 0 && q->on_append != NULL)
		q->on_append(q->on_append_ctx);
}

void vg_dq_on_append(struct vg_dq *q, void (*fn)(void *ctx), void *ctx)
{
	q->on_append = fn;
	q->on_append_ctx = ctx;
}

int vg_dq_append(struct vg_dq *q, const char *source, uint64_t source_seq, const void *data,
		 size_t len, bool *duplicate, uint64_t *seq, struct vg_err *err)
{
	struct vg_dq_rec r = {0, source, source_seq, data, len};
	uint64_t first = 0;
	size_t added = 0;
	int rc;

	if (duplicate != NULL)
		*duplicate = false;
	if (seq != NULL)
		*seq = 0;
	pthread_mutex_lock(&q->mu);
	rc = dq_append_locked(q, &r, 1, &added, &first, err);
	pthread_mutex_unlock(&q->mu);
	dq_appended(q, added);
	if (rc == 0 && duplicate != NULL)
		*duplicate = added == 0;
	if (rc == 0 && seq != NULL)
		*seq = first;
	return rc;
}

int vg_dq_append_batch(struct vg_dq *q, const struct vg_dq_rec *recs, size_t n, size_t *added,
		       struct vg_err *err)
{
	size_t n_new = 0;
	int rc = 0;

	if (added != NULL)
		*added = 0;
	if (n == 0)
		return 0;
	pthread_mutex_lock(&q->mu);
	rc = dq_append_locked(q, recs, n, &n_new, NULL, err);
	pthread_mutex_unlock(&q->mu);
	dq_appended(q, n_new);
	if (rc == 0 && added != NULL)
		*added = n_new;
	return rc;
}

/* ---- Read and trim ---------------------------------------------------------------- */

int vg_dq_read(struct vg_dq *q, uint64_t after_seq, size_t max, vg_dq_read_fn fn, void *ctx,
	       size_t *n_read, struct vg_err *err)
{
	sqlite3_stmt *st = q->st_read;
	size_t n = 0;
	int rc = 0;

	if (n_read != NULL)
		*n_read = 0;
	if (max == 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)VG_MIN(after_seq, (uint64_t)INT64_MAX));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)VG_MIN((uint64_t)max, (uint64_t)INT64_MAX));
	while ((rc = vg_db_step(st, "reading records", err)) == 1) {
		struct vg_dq_rec r;
		const unsigned char *src = sqlite3_column_text(st, 1);
		r.seq = (uint64_t)sqlite3_column_int64(st, 0);
		r.source = src != NULL ? (const char *)src : "";
		r.source_seq = (uint64_t)sqlite3_column_int64(st, 2);
		r.data = sqlite3_column_blob(st, 3);
		r.len = (size_t)sqlite3_column_bytes(st, 3);
		n++;
		if (fn(ctx, &r) != 0) {
			vg_db_reset(st);
			rc = 0;
			break;
		}
	}
	if (n_read != NULL)
		*n_read = n;
	return rc;
}

/* Count what trim will delete, then delete it, in one transaction. */
static int dq_trim_locked(struct vg_dq *q, uint64_t upto, struct vg_err *err)
{
	sqlite3_stmt *range = q->st[ST_RANGE];
	sqlite3_stmt *del = q->st[ST_TRIM];
	uint64_t n = 0;
	uint64_t bytes = 0;
	int rc = vg_db_begin(q->wr, err);

	if (rc == 0) {
		sqlite3_bind_int64(range, 1, (sqlite3_int64)upto);
		rc = vg_db_step(range, "counting trimmed records", err);
	}
	if (rc == 1) {
		n = (uint64_t)sqlite3_column_int64(range, 0);
		bytes = (uint64_t)sqlite3_column_int64(range, 1);
		vg_db_reset(range);
		sqlite3_bind_int64(del, 1, (sqlite3_int64)upto);
		rc = n == 0 ? 0 : vg_db_step(del, "trimming records", err);
	}
	rc = vg_db_end(q->wr, rc, err);
	if (rc != 0) {
		return rc;
	}
	q->stats.pending_records -= VG_MIN(n, q->stats.pending_records);
	q->stats.pending_bytes -= VG_MIN(bytes, q->stats.pending_bytes);
	if (n > 0)
		pthread_cond_broadcast(&q->changed);
	return 0;
}

int vg_dq_trim(struct vg_dq *q, uint64_t upto_seq, struct vg_err *err)
{
	int rc;
	if (upto_seq > INT64_MAX)
		upto_seq = INT64_MAX;
	pthread_mutex_lock(&q->mu);
	rc = dq_trim_locked(q, upto_seq, err);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* ---- Waiting ------------------------------------------------------------------------ */

static void dq_deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Wait on q->changed until ready(q) or a wake or the deadline; under q->mu. */
static bool dq_wait_until(struct vg_dq *q, bool (*ready)(const struct vg_dq *, const void *),
			  const void *arg, int timeout_ms)
{
	struct timespec deadline;
	uint64_t wakes = q->wakes;
	bool ok;

	if (timeout_ms >= 0)
		dq_deadline(&deadline, timeout_ms);
	while (!(ok = ready(q, arg)) && q->wakes == wakes) {
		int rc = timeout_ms < 0 ? pthread_cond_wait(&q->changed, &q->mu)
					: pthread_cond_timedwait(&q->changed, &q->mu, &deadline);
		if (rc == ETIMEDOUT) {
			ok = ready(q, arg);
			break;
		}
	}
	return ok;
}

static bool dq_has_after(const struct vg_dq *q, const void *arg)
{
	return q->stats.last_seq > *(const uint64_t *)arg;
}

bool vg_dq_wait(struct vg_dq *q, uint64_t after_seq, int timeout_ms)
{
	bool ok;
	pthread_mutex_lock(&q->mu);
	ok = dq_wait_until(q, dq_has_after, &after_seq, timeout_ms);
	pthread_mutex_unlock(&q->mu);
	return ok;
}

struct dq_room {
	uint64_t n;
	uint64_t bytes;
};

static bool dq_has_room(const struct vg_dq *q, const void *arg)
{
	const struct dq_room *r = arg;
	return dq_fits(q, r->n, r->bytes);
}

bool vg_dq_wait_room(struct vg_dq *q, uint64_t n, uint64_t bytes, int timeout_ms)
{
	struct dq_room room = {n, bytes};
	bool ok;
	pthread_mutex_lock(&q->mu);
	ok = dq_wait_until(q, dq_has_room, &room, timeout_ms);
	pthread_mutex_unlock(&q->mu);
	return ok;
}

void vg_dq_wake(struct vg_dq *q)
{
	pthread_mutex_lock(&q->mu);
	q->wakes++;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

int vg_dq_source_last(struct vg_dq *q, const char *source, uint64_t *seq, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_SOURCE_LAST];
	int rc;

	*seq = 0;
	pthread_mutex_lock(&q->mu);
	sqlite3_bind_text(st, 1, source != NULL ? source : "", -1, SQLITE_STATIC);
	rc = vg_db_step(st, "reading a source's last sequence", err);
	if (rc == 1) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		rc = 0;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void vg_dq_stats(struct vg_dq *q, struct vg_dq_stats *out)
{
	pthread_mutex_lock(&q->mu);
	*out = q->stats;
	pthread_mutex_unlock(&q->mu);
}

int vg_dq_peek(const char *path, struct vg_dq_stats *out, struct vg_err *err)
{
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	dbo.readonly = true;
	dbo.what = "event queue";
	rc = vg_db_open(path, &dbo, &db, err);
	if (rc == 0)
		rc = vg_db_prepare(db, dq_sql[ST_TOTALS], &st, err);
	if (rc == 0 && (rc = vg_db_step(st, "counting records", err)) == 1) {
		out->pending_records = (uint64_t)sqlite3_column_int64(st, 0);
		out->pending_bytes = (uint64_t)sqlite3_column_int64(st, 1);
		out->last_seq = (uint64_t)sqlite3_column_int64(st, 2);
		rc = 0;
	}
	sqlite3_finalize(st);
	vg_db_close(db);
	return rc;
}
