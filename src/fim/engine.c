/*
 * engine.c - The FIM engine: one thread that owns the baseline.
 *
 * Thread model: the engine thread runs fim_engine_run and the walks; the
 * hashing pool has its own workers, which open the walked files relative to
 * their directories (fim_job_open_at); the baseline checkpoints its WAL on
 * a thread of its own; the watcher has its own thread and only pushes into
 * the change queue. The engine waits on one wake-up flag (lib/notify.h)
 * that every producer (watcher push, finished hash job, stop request) kicks.
 *
 * A file goes through engine_consider (compare with the baseline, decide
 * whether its content must be read), possibly a pool job, then
 * engine_finish (compare, write the baseline row, emit the event).
 * Deletions are found after a walk by listing the baseline rows under the
 * walked directory that the walk did not see.
 */
#include "fim/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fim/baseline.h"
#include "fim/changeq.h"
#include "fim/event.h"
#include "fim/names.h"
#include "fim/pool.h"
#include "fim/scan.h"
#include "fim/watch.h"
#include "lib/buf.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/hmap.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/notify.h"
#include "lib/str.h"

#define ENGINE_EVENT_MAX (8u << 20)
#define ENGINE_QUEUE_MAX 1000000u
#define ENGINE_BATCH_WRITES 5000u
#define ENGINE_COMMIT_NS (200ull * 1000000ull)
#define ENGINE_MAX_DELAY_NS (2ull * 1000000000ull)
#define ENGINE_PROGRESS_NS (10ull * 1000000000ull)
#define ENGINE_INTERLEAVE_NS (20ull * 1000000ull)

struct fim_engine {
	const struct fim_config *cfg;
	fim_emit_fn emit;
	void *ctx;
	bool oneshot;
	bool outbox;          /* events go through the baseline's outbox */
	uint64_t out_seq;     /* last outbox sequence number used */
	bool out_pending;     /* committed outbox events not yet delivered */
	bool failed_delivery; /* the sink refused an outbox event */

	struct fim_baseline *bl;
	struct fim_pool *pool;
	struct fim_changeq *changes;
	struct fim_watch *watch;
	struct fim_names *names;

	struct vg_notify wake; /* kicked by the watcher, the pool and stop */
	atomic_bool stopping;
	atomic_bool scan_requested;
	int failed; /* a fatal error stopped the engine */

	bool baseline_done;
	uint64_t nfiles; /* rows in the baseline (file_limit) */
	bool limit_warned;
	struct vg_hmap *seen;     /* paths visited by the walk in progress */
	bool walking;             /* a walk is in progress: walks do not nest */
	bool walk_touched;        /* realtime wrote rows during the walk in progress */
	uint64_t interleave_ns;   /* last look at realtime changes during a walk */
	struct vg_hmap *inflight; /* path -> marker: hash job under way */
	struct vg_hmap *again;    /* paths changed while in flight */
	bool in_txn;              /* a baseline transaction is open */
	uint64_t writes;          /* uncommitted baseline writes */
	uint64_t txn_start_ns;
	time_t next_scan;
	uint64_t pace_second, pace_count; /* max_files_per_second */
	uint64_t progress_ns;
	uint64_t hashed; /* files read since start */
	struct vg_buf ev;

	pthread_mutex_t stats_lock;
	struct fim_engine_stats stats;
};

/* ------------------------------------------------------------------ wakeups */

static void engine_fail(struct fim_engine *e, int rc, const char *what, const char *msg)
{
	vg_log_error("%s: %s", what, msg);
	if (e->failed == 0)
		e->failed = rc != 0 ? rc : VG_EINTERNAL;
	atomic_store(&e->stopping, true);
}

/* ------------------------------------------------------- baseline and emit */

/* Hand one committed outbox event to the sink; non-zero stops the delivery. */
static int engine_deliver_one(void *ctx, uint64_t seq, const void *ev, size_t len)
{
	struct fim_engine *e = ctx;
	if (e->emit(e->ctx, seq, ev, len) < 0) {
		e->failed_delivery = true;
		return 1;
	}
	return 0;
}

/* Deliver what the outbox holds, then forget what was delivered. */
static void engine_deliver(struct fim_engine *e)
{
	struct vg_err err = VG_ERR_INIT;
	uint64_t last = 0;

	if (!e->out_pending || e->failed != 0)
		return;
	e->failed_delivery = false;
	if (fim_baseline_outbox_foreach(e->bl, engine_deliver_one, e, &last, &err) != 0) {
		engine_fail(e, err.code, "cannot read the event outbox", err.msg);
		return;
	}
	if (last != 0 && fim_baseline_outbox_trim(e->bl, last, &err) != 0) {
		engine_fail(e, err.code, "cannot trim the event outbox", err.msg);
		return;
	}
	e->out_pending = false;
	if (e->failed_delivery) /* the sink refused one: it stays for the next start */
		engine_fail(e, VG_EINTERNAL, "cannot deliver events", "the event sink failed");
}

static void engine_commit(struct fim_engine *e)
{
	struct vg_err err = VG_ERR_INIT;
	int rc = 0;

	if (!e->in_txn)
		return;
	/* the next start numbers on from here, even if the outbox is empty then */
	if (e->out_pending)
		rc = fim_baseline_meta_set(e->bl, "outbox_seq", (int64_t)e->out_seq, &err);
	if (rc == 0)
		rc = fim_baseline_commit(e->bl, &err);
	if (rc != 0)
		engine_fail(e, err.code, "cannot commit the baseline", err.msg);
	e->in_txn = false;
	e->writes = 0;
	engine_deliver(e);
}

static void engine_wrote(struct fim_engine *e)
{
	if (++e->writes >= ENGINE_BATCH_WRITES)
		engine_commit(e);
}

/* Open a transaction before the first write of a batch. */
static int engine_txn(struct fim_engine *e)
{
	struct vg_err err = VG_ERR_INIT;
	if (e->in_txn)
		return 0;
	if (fim_baseline_begin(e->bl, &err) != 0) {
		engine_fail(e, err.code, "cannot write the baseline", err.msg);
		return -1;
	}
	e->in_txn = true;
	e->txn_start_ns = fim_now_ns();
	return 0;
}

/* Store the formatted event in e->ev in the outbox, in the current batch. */
static bool engine_outbox_add(struct fim_engine *e)
{
	struct vg_err err = VG_ERR_INIT;
	struct timespec ts;

	if (engine_txn(e) != 0)
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	uint64_t seq = now_us > e->out_seq ? now_us : e->out_seq + 1;
	if (fim_baseline_outbox_add(e->bl, seq, e->ev.data, e->ev.len, &err) != 0) {
		engine_fail(e, err.code, "cannot write the event outbox", err.msg);
		return false;
	}
	e->out_seq = seq;
	e->out_pending = true;
	e->writes++; /* committed with the change it reports, never before */
	return true;
}

/* Hand the formatted event in e->ev to the sink; false (and stop) if it fails. */
static bool engine_emit_raw(struct fim_engine *e)
{
	if (e->outbox)
		return engine_outbox_add(e);
	if (e->emit(e->ctx, 0, e->ev.data, e->ev.len) < 0) {
		engine_fail(e, VG_EINTERNAL, "cannot deliver events", "the event sink failed");
		return false;
	}
	return true;
}

static void engine_emit(struct fim_engine *e, enum fim_event_type type, enum fim_event_mode mode,
			const struct fim_entry *now, const struct fim_entry *old,
			const struct fim_dir *dir)
{
	struct vg_err err = VG_ERR_INIT;
	vg_buf_reset(&e->ev);
	if (fim_event_format(&e->ev, type, mode, now, old, dir->checks, dir->tags, time(NULL),
			     &err) != 0) {
		char esc[512];
		vg_log_error("cannot format the event for '%s': %s",
			     vg_escape(esc, sizeof(esc), now->path, now->path_len), err.msg);
		return;
	}
	if (!engine_emit_raw(e))
		return;
	pthread_mutex_lock(&e->stats_lock);
	e->stats.events++;
	pthread_mutex_unlock(&e->stats_lock);
}

/* Events of the first (baseline) scheduled scan are not reported. */
static bool engine_reports(const struct fim_engine *e, enum fim_event_mode mode)
{
	return e->baseline_done || mode != FIM_MODE_SCHEDULED;
}

/*
 * Write entry to the baseline (inside the current batch). The caller emits
 * the event, then calls engine_wrote, which may commit: never the reverse.
 */
static int engine_put(struct fim_engine *e, const struct fim_entry *entry)
{
	struct vg_err err = VG_ERR_INIT;
	if (engine_txn(e) != 0)
		return -1;
	if (fim_baseline_put(e->bl, entry, &err) != 0) {
		engine_fail(e, err.code, "cannot write the baseline", err.msg);
		return -1;
	}
	return 0;
}

static void engine_finish(struct fim_engine *e, struct fim_entry *now, const struct fim_entry *old,
			  const struct fim_dir *dir, enum fim_event_mode mode)
{
	bool report = engine_reports(e, mode);

	fim_names_fill(e->names, now);
	if (old == NULL) {
		if (engine_put(e, now) != 0)
			return;
		e->nfiles++;
		if (report)
			engine_emit(e, FIM_EVENT_ADDED, mode, now, NULL, dir);
		engine_wrote(e);
		return;
	}
	unsigned changed = fim_event_changed(old, now, dir->checks);
	if (changed == 0 && !fim_entry_content_may_differ(old, now) && old->mode == now->mode &&
	    old->uid == now->uid && old->gid == now->gid && old->hash_state == now->hash_state)
		return; /* nothing to record */
	if (engine_put(e, now) != 0)
		return;
	if (changed != 0 && report)
		engine_emit(e, FIM_EVENT_MODIFIED, mode, now, old, dir);
	engine_wrote(e);
}

static void engine_delete(struct fim_engine *e, const struct fim_entry *old,
			  const struct fim_dir *dir, enum fim_event_mode mode)
{
	struct vg_err err = VG_ERR_INIT;
	if (engine_txn(e) != 0)
		return;
	if (fim_baseline_delete(e->bl, old->path, old->path_len, &err) != 0) {
		engine_fail(e, err.code, "cannot write the baseline", err.msg);
		return;
	}
	if (e->nfiles > 0)
		e->nfiles--;
	if (engine_reports(e, mode))
		engine_emit(e, FIM_EVENT_DELETED, mode, old, NULL, dir);
	engine_wrote(e);
}

/* ------------------------------------------------------------------ hashing */

static void engine_job_done(struct fim_engine *e, struct fim_job *job)
{
	const struct fim_dir *dir = fim_config_dir_for(e->cfg, job->entry.path, &(int){0});
	if (vg_hmap_count(e->inflight) > 0) /* none during walks: spare the hashing */
		vg_hmap_del(e->inflight, job->entry.path, job->entry.path_len);
	if (dir == NULL) {
		fim_job_free(job);
		return;
	}
	/* gone, or swapped for a FIFO, socket or device since it was listed */
	if (job->vanished || (!S_ISREG(job->entry.mode) && !S_ISLNK(job->entry.mode))) {
		if (job->has_old)
			engine_delete(e, &job->old, dir, (enum fim_event_mode)job->mode);
	} else {
		engine_finish(e, &job->entry, job->has_old ? &job->old : NULL, dir,
			      (enum fim_event_mode)job->mode);
	}
	/* changed again while it was being hashed: look once more */
	if (vg_hmap_count(e->again) > 0 &&
	    vg_hmap_del(e->again, job->entry.path, job->entry.path_len) != NULL)
		fim_changeq_push(e->changes, job->entry.path, job->entry.path_len,
				 FIM_WATCH_CHANGED);
	e->hashed++;
	fim_job_free(job);
}

static void engine_drain(struct fim_engine *e)
{
	struct fim_job *job = fim_pool_take_done(e->pool);
	while (job != NULL) {
		struct fim_job *next = job->next;
		engine_job_done(e, job);
		job = next;
	}
}

/* Wait until every submitted job has come back. */
static void engine_drain_all(struct fim_engine *e)
{
	engine_drain(e);
	while (fim_pool_in_flight(e->pool) > 0) {
		vg_notify_wait(&e->wake, 100ull * 1000000ull);
		engine_drain(e);
	}
}

/* Queue job for hashing; a walk's worker opens the file relative to its directory. */
static void engine_submit(struct fim_engine *e, struct fim_job *job, const struct fim_walk_item *it)
{
	if (it->parent != NULL)
		fim_job_open_at(job, it->parent, it->name);
	else
		vg_hmap_put(e->inflight, job->entry.path, job->entry.path_len, e);
	fim_pool_submit(e->pool, job); /* transferred */
	engine_drain(e);
}

/* Load the baseline row of job's path into job->old unless lookup is false. */
static int engine_lookup(struct fim_engine *e, struct fim_job *job, bool lookup)
{
	struct vg_err err = VG_ERR_INIT;
	int rc =
	    lookup ? fim_baseline_get(e->bl, job->entry.path, job->entry.path_len, &job->old, &err)
		   : VG_ENOTFOUND;
	if (rc != 0 && rc != VG_ENOTFOUND) {
		engine_fail(e, rc, "cannot read the baseline", err.msg);
		return rc;
	}
	job->has_old = rc == 0;
	if (!job->has_old && e->cfg->file_limit != 0 && e->nfiles >= e->cfg->file_limit) {
		if (!e->limit_warned)
			vg_log_warn("file_limit of %llu entries reached: new files are not "
				    "monitored until entries are removed",
				    (unsigned long long)e->cfg->file_limit);
		e->limit_warned = true;
		return VG_ETOOBIG;
	}
	return 0;
}

/*
 * Compare the file of it with the baseline (unless lookup is false: the
 * baseline was empty when the walk began) and hash it if its content may
 * have changed. it->parent is NULL outside walks; it->st is NULL when the walk
 * did not stat a regular file (the pool's fstat will).
 */
static void engine_consider(struct fim_engine *e, const struct fim_walk_item *it,
			    enum fim_event_mode mode, bool lookup)
{
	const struct fim_dir *dir = it->dir;
	unsigned which = dir->checks & FIM_CHECK_SUM;

	/* a realtime job for this path is under way (walk jobs are never tracked:
	 * a walk starts and ends with an empty pool): look again when it is done */
	if (vg_hmap_count(e->inflight) > 0 &&
	    vg_hmap_get(e->inflight, it->path, it->path_len) != NULL) {
		vg_hmap_put(e->again, it->path, it->path_len, e);
		return;
	}
	struct fim_job *job = fim_job_new(it->path, it->path_len);
	job->mode = (int)mode;
	job->which = which;
	job->max_size = e->cfg->file_max_size;
	if (it->st == NULL) { /* a regular file not yet stat'ed: open it */
		if (engine_lookup(e, job, lookup) == 0)
			engine_submit(e, job, it);
		else
			fim_job_free(job);
		return;
	}
	fim_entry_set_stat(&job->entry, it->st);
	if (engine_lookup(e, job, lookup) != 0) {
		fim_job_free(job);
		return;
	}
	bool reread = !job->has_old || e->cfg->full_rehash ||
		      fim_entry_content_may_differ(&job->old, &job->entry);
	if (!S_ISREG(it->st->st_mode) || which == 0) {
		job->entry.hash_state = FIM_HASH_NONE;
	} else if (!reread) {
		job->entry.digests = job->old.digests;
		job->entry.hash_state = job->old.hash_state;
	} else if (e->cfg->file_max_size != 0 &&
		   (uint64_t)it->st->st_size > e->cfg->file_max_size) {
		job->entry.hash_state = FIM_HASH_TOO_BIG;
	} else {
		engine_submit(e, job, it); /* transferred */
		return;
	}
	engine_finish(e, &job->entry, job->has_old ? &job->old : NULL, dir, mode);
	fim_job_free(job);
}

/* ------------------------------------------------------------------- walks */

struct walk_ctx {
	struct fim_engine *e;
	enum fim_event_mode mode;
	bool lookup; /* the baseline had rows when the walk began */
	uint64_t files;
};

static void engine_pace(struct fim_engine *e)
{
	uint64_t max = e->cfg->max_files_per_second;
	if (max == 0)
		return;
	uint64_t sec = fim_now_ns() / 1000000000ull;
	if (sec != e->pace_second) {
		e->pace_second = sec;
		e->pace_count = 0;
	}
	if (++e->pace_count >= max) {
		uint64_t ns = (sec + 1) * 1000000000ull - fim_now_ns();
		struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
		nanosleep(&ts, NULL);
	}
}

static void engine_interleave(struct fim_engine *e);

static int engine_walk_item(void *arg, const struct fim_walk_item *it)
{
	struct walk_ctx *w = arg;
	struct fim_engine *e = w->e;
	int depth;

	if (atomic_load(&e->stopping))
		return VG_EINTERNAL;
	if (e->seen != NULL)
		vg_hmap_put(e->seen, it->path, it->path_len, e);
	/* a walk that began on an empty baseline must look rows up once
	 * realtime changes have written some (engine_interleave) */
	w->lookup |= e->walk_touched;
	/* a nested <directories> entry governs its own subtree */
	if (fim_config_dir_for(e->cfg, it->path, &depth) != it->dir)
		return 0;
	w->files++;
	engine_consider(e, it, w->mode, w->lookup);
	engine_pace(e);
	engine_interleave(e);
	uint64_t now = fim_now_ns();
	if (now - e->progress_ns > ENGINE_PROGRESS_NS) {
		e->progress_ns = now;
		vg_log_info("scanning %s: %llu files so far", it->dir->path,
			    (unsigned long long)w->files);
	}
	return 0;
}

struct gone_ctx {
	struct fim_engine *e;
	const struct fim_dir *dir;
	struct fim_entry *list;
	size_t n, cap;
};

static int engine_collect_gone(void *arg, const struct fim_entry *old)
{
	struct gone_ctx *g = arg;
	int depth;
	struct stat st;

	if ((g->e->seen != NULL && vg_hmap_get(g->e->seen, old->path, old->path_len) != NULL) ||
	    fim_config_dir_for(g->e->cfg, old->path, &depth) != g->dir)
		return 0;
	/* created behind the walk's back? then it is not gone */
	if (vg_fs_stat(old->path, &st, 1) == 0)
		return 0;
	if (g->n == g->cap) {
		g->cap = g->cap != 0 ? g->cap * 2 : 64;
		g->list = vg_xreallocarray(g->list, g->cap, sizeof(*g->list));
	}
	fim_entry_copy(&g->list[g->n++], old);
	return 0;
}

/* Delete (with events) every baseline row under start that is not in e->seen. */
static void engine_sweep(struct fim_engine *e, const struct fim_dir *dir, const char *start,
			 enum fim_event_mode mode)
{
	struct gone_ctx g = {e, dir, NULL, 0, 0};
	struct vg_err err = VG_ERR_INIT;

	if (fim_baseline_foreach_under(e->bl, start, engine_collect_gone, &g, &err) != 0)
		engine_fail(e, err.code, "cannot read the baseline", err.msg);
	for (size_t i = 0; i < g.n; i++) {
		if (!atomic_load(&e->stopping))
			engine_delete(e, &g.list[i], dir, mode);
		fim_entry_clear(&g.list[i]);
	}
	vg_free(g.list);
}

/* Walk start (dir->path or below it), then report what disappeared. */
static uint64_t engine_walk(struct fim_engine *e, const struct fim_dir *dir, const char *start,
			    enum fim_event_mode mode)
{
	struct vg_err err = VG_ERR_INIT;

	/* first the jobs in flight: realtime ones write rows (nfiles) */
	engine_drain_all(e);
	/* an empty baseline has nothing to compare with or to lose */
	bool fresh = e->nfiles == 0;
	struct walk_ctx w = {e, mode, !fresh, 0};

	e->seen = fresh ? NULL : vg_hmap_new();
	e->walking = true;
	e->walk_touched = false;
	int rc = fim_walk(e->cfg, dir, start, fresh ? FIM_WALK_LAZY_STAT : 0, engine_walk_item, &w,
			  &err);
	e->walking = false;
	if (rc != 0 && rc != VG_ENOTFOUND && !atomic_load(&e->stopping))
		vg_log_warn("%s", err.msg);
	engine_drain_all(e);
	if (!fresh && !atomic_load(&e->stopping))
		engine_sweep(e, dir, start, mode);
	vg_hmap_free(e->seen, NULL);
	e->seen = NULL;
	return w.files;
}

static void engine_scan(struct fim_engine *e)
{
	struct vg_err err = VG_ERR_INIT;
	uint64_t t0 = fim_now_ns(), files = 0, hashed0 = e->hashed;

	vg_log_info("%s scan started", e->baseline_done ? "scheduled" : "baseline");
	vg_buf_reset(&e->ev);
	if (e->baseline_done && fim_event_format_scan(&e->ev, 1, time(NULL), &err) == 0)
		engine_emit_raw(e);
	e->progress_ns = t0;
	for (size_t i = 0; i < e->cfg->ndirs && !atomic_load(&e->stopping); i++)
		files += engine_walk(e, &e->cfg->dirs[i], e->cfg->dirs[i].path, FIM_MODE_SCHEDULED);
	if (atomic_load(&e->stopping)) {
		engine_commit(e);
		return;
	}
	vg_buf_reset(&e->ev);
	if (e->baseline_done && fim_event_format_scan(&e->ev, 0, time(NULL), &err) == 0)
		engine_emit_raw(e);
	if (!e->baseline_done) {
		if (engine_txn(e) == 0 &&
		    fim_baseline_meta_set(e->bl, "baseline_done", 1, &err) != 0)
			engine_fail(e, err.code, "cannot write the baseline", err.msg);
		engine_wrote(e);
		e->baseline_done = true;
	}
	engine_commit(e);
	if (e->failed != 0)
		return;
	uint64_t hashed = e->hashed - hashed0;
	pthread_mutex_lock(&e->stats_lock);
	e->stats.scans++;
	e->stats.files_seen = files;
	e->stats.files_hashed = hashed;
	pthread_mutex_unlock(&e->stats_lock);
	vg_log_info("scan finished: %llu files, %llu read and hashed, in %.3f s",
		    (unsigned long long)files, (unsigned long long)hashed,
		    (double)(fim_now_ns() - t0) / 1e9);
}

/* ---------------------------------------------------------------- schedule */

/*
 * Next wall-clock time a scheduled scan is due after a scan started at from:
 * every frequency seconds and, when scan_time or scan_day is set, also at
 * that time (midnight when only days are given) on those days.
 */
static time_t engine_next_scan(const struct fim_config *cfg, time_t from)
{
	time_t next = from + (time_t)cfg->frequency;
	if (cfg->scan_time < 0 && cfg->scan_days == 0)
		return next;
	struct tm tm;
	localtime_r(&from, &tm);
	int at = cfg->scan_time >= 0 ? cfg->scan_time : 0;
	for (int day = 0; day <= 7; day++) {
		struct tm t = tm;
		t.tm_mday += day;
		t.tm_hour = at / 3600;
		t.tm_min = at / 60 % 60;
		t.tm_sec = at % 60;
		t.tm_isdst = -1;
		time_t when = mktime(&t);
		if (when <= from || when == (time_t)-1)
			continue;
		if (cfg->scan_days == 0 || (cfg->scan_days & (1u << (unsigned)t.tm_wday)))
			return when < next ? when : next;
	}
	return next;
}

/* --------------------------------------------------------------- realtime */

static bool engine_dir_is_realtime(const struct fim_dir *dir)
{
	return (dir->opts & (FIM_OPT_REALTIME | FIM_OPT_WHODATA)) != 0;
}

/* A path that no longer exists: delete it and anything recorded below it. */
static void engine_gone(struct fim_engine *e, const char *path, size_t len,
			const struct fim_dir *dir)
{
	struct fim_entry old = {0};
	struct vg_err err = VG_ERR_INIT;

	if (fim_baseline_get(e->bl, path, len, &old, &err) == 0) {
		engine_delete(e, &old, dir, FIM_MODE_REALTIME);
		fim_entry_clear(&old);
		return;
	}
	/* maybe a directory: sweep its subtree with nothing seen */
	engine_sweep(e, dir, path, FIM_MODE_REALTIME);
}

static void engine_change(struct fim_engine *e, const struct fim_change *c)
{
	int depth = 0;
	struct stat st;
	const struct fim_dir *dir = fim_config_dir_for(e->cfg, c->path, &depth);

	if (dir == NULL || !engine_dir_is_realtime(dir))
		return;
	int rc = vg_fs_stat(c->path, &st, !(dir->opts & FIM_OPT_FOLLOW_SYMLINK));
	/* subtree work needs a walk or a sweep: wait for the walk under way */
	if (e->walking && ((rc == 0 && S_ISDIR(st.st_mode)) || (c->flags & FIM_WATCH_DIR))) {
		fim_changeq_push(e->changes, c->path, c->len, c->flags);
		return;
	}
	if (rc != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			engine_gone(e, c->path, c->len, dir);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		/* a new, moved-in or replaced directory: its whole subtree */
		if (depth <= dir->recursion_level && !fim_config_ignored(e->cfg, c->path))
			engine_walk(e, dir, c->path, FIM_MODE_REALTIME);
		return;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return;
	if (!fim_walk_accepts(e->cfg, dir, c->path, depth > 0 ? depth - 1 : 0, &st))
		return;
	struct fim_walk_item it = {c->path, c->len, &st, dir, NULL, NULL};
	engine_consider(e, &it, FIM_MODE_REALTIME, true);
}

static void engine_lost(struct fim_engine *e, bool all, char **roots, size_t nroots)
{
	struct vg_err err = VG_ERR_INIT;
	const char **list = vg_xcalloc(e->cfg->ndirs + nroots + 1, sizeof(*list));
	size_t n = 0;

	for (size_t i = 0; i < e->cfg->ndirs; i++)
		if (all && engine_dir_is_realtime(&e->cfg->dirs[i]))
			list[n++] = e->cfg->dirs[i].path;
	for (size_t i = 0; !all && i < nroots; i++)
		list[n++] = roots[i];
	vg_log_warn("realtime events were lost; rescanning %zu director%s now", n,
		    n == 1 ? "y" : "ies");
	vg_buf_reset(&e->ev);
	if (fim_event_format_overflow(&e->ev, list, n, time(NULL), &err) == 0)
		engine_emit_raw(e);
	for (size_t i = 0; i < n && !atomic_load(&e->stopping); i++) {
		int depth;
		const struct fim_dir *dir = fim_config_dir_for(e->cfg, list[i], &depth);
		if (dir != NULL)
			engine_walk(e, dir, list[i], FIM_MODE_REALTIME);
	}
	pthread_mutex_lock(&e->stats_lock);
	e->stats.overflows++;
	pthread_mutex_unlock(&e->stats_lock);
	vg_free(list);
}

static void engine_take_lost(struct fim_engine *e)
{
	bool all;
	char **roots;
	size_t nroots;

	if (!fim_changeq_take_lost(e->changes, &all, &roots, &nroots))
		return;
	engine_lost(e, all, roots, nroots);
	for (size_t i = 0; i < nroots; i++)
		vg_free(roots[i]);
	vg_free(roots);
}

static void watch_changed(void *ctx, const char *path, size_t len, unsigned flags)
{
	struct fim_engine *e = ctx;
	fim_changeq_push(e->changes, path, len, flags);
}

static void watch_lost(void *ctx, const char *root)
{
	struct fim_engine *e = ctx;
	fim_changeq_push_lost(e->changes, root);
}

static int engine_start_watch(struct fim_engine *e, struct vg_err *err)
{
	static const struct fim_watch_ops ops = {watch_changed, watch_lost};
	bool any = false;

	for (size_t i = 0; i < e->cfg->ndirs; i++)
		any |= engine_dir_is_realtime(&e->cfg->dirs[i]);
	if (!any)
		return 0;
	int rc = fim_watch_new(e->cfg->realtime_backend, &ops, e, &e->watch, err);
	for (size_t i = 0; rc == 0 && i < e->cfg->ndirs; i++) {
		const struct fim_dir *d = &e->cfg->dirs[i];
		if (engine_dir_is_realtime(d))
			rc = fim_watch_add_root(e->watch, d->path,
						(d->opts & FIM_OPT_FOLLOW_SYMLINK) != 0, err);
	}
	if (rc == 0)
		rc = fim_watch_start(e->watch, err);
	if (rc == 0)
		vg_log_info("realtime monitoring with %s",
			    fim_watch_backend(e->watch) == FIM_RT_FANOTIFY ? "fanotify"
									   : "inotify");
	return rc;
}

/* -------------------------------------------------------------------- run */

/*
 * During a walk, every 20 ms: handle the realtime changes that have
 * settled, so a long scan does not delay them (engine_change defers what
 * needs a walk of its own). The pool is drained first so that no walk job
 * and realtime job ever hash the same path at once.
 */
static void engine_interleave(struct fim_engine *e)
{
	struct fim_change c;
	uint64_t wait_ns, now = fim_now_ns();
	bool drained = false;

	if (now - e->interleave_ns < ENGINE_INTERLEAVE_NS)
		return;
	e->interleave_ns = now;
	while (!atomic_load(&e->stopping) && fim_changeq_pop(e->changes, now, &c, &wait_ns)) {
		if (!drained)
			engine_drain_all(e);
		drained = true;
		e->walk_touched = true;
		engine_change(e, &c);
		vg_free(c.path);
	}
}

static uint64_t engine_handle_changes(struct fim_engine *e)
{
	struct fim_change c;
	uint64_t wait_ns = UINT64_MAX;

	while (!atomic_load(&e->stopping) &&
	       fim_changeq_pop(e->changes, fim_now_ns(), &c, &wait_ns)) {
		engine_change(e, &c);
		vg_free(c.path);
		engine_take_lost(e);
	}
	return wait_ns;
}

static void engine_loop(struct fim_engine *e)
{
	while (!atomic_load(&e->stopping)) {
		engine_take_lost(e);
		uint64_t wait_ns = engine_handle_changes(e);
		engine_drain(e);
		time_t now = time(NULL);
		if (atomic_exchange(&e->scan_requested, false) || now >= e->next_scan) {
			engine_scan(e);
			e->next_scan = engine_next_scan(e->cfg, now);
			continue;
		}
		if (e->writes > 0) {
			uint64_t age = fim_now_ns() - e->txn_start_ns;
			bool idle = wait_ns == UINT64_MAX && fim_pool_in_flight(e->pool) == 0;
			if (idle || age >= ENGINE_COMMIT_NS)
				engine_commit(e);
			else if (wait_ns > ENGINE_COMMIT_NS - age)
				wait_ns = ENGINE_COMMIT_NS - age;
		}
		uint64_t until_scan = (uint64_t)(e->next_scan - now) * 1000000000ull;
		vg_notify_wait(&e->wake, wait_ns < until_scan ? wait_ns : until_scan);
	}
}

int fim_engine_run(struct fim_engine *e, struct vg_err *err)
{
	int rc = engine_start_watch(e, err);
	if (rc != 0)
		return rc;
	engine_deliver(e); /* before anything new: delivery keeps seq order */
	if (!e->baseline_done || e->cfg->scan_on_start || e->oneshot)
		engine_scan(e);
	e->next_scan = engine_next_scan(e->cfg, time(NULL));
	if (!e->oneshot)
		engine_loop(e);
	engine_drain_all(e);
	engine_commit(e);
	if (e->failed != 0)
		return vg_err_set(err, e->failed,
				  "the FIM engine stopped on an error (see the log)");
	return 0;
}

/* ------------------------------------------------------------- lifecycle */

/* A meta value, 0 when the key is absent (a new baseline). */
static int engine_meta(struct fim_engine *e, const char *key, int64_t *v, struct vg_err *err)
{
	int rc = fim_baseline_meta_get(e->bl, key, v, err);
	if (rc == VG_ENOTFOUND) {
		vg_err_clear(err);
		*v = 0;
		rc = 0;
	}
	return rc;
}

int fim_engine_new(const struct fim_engine_opts *opts, struct fim_engine **out, struct vg_err *err)
{
	struct fim_engine *e = vg_xcalloc(1, sizeof(*e));
	int64_t done = 0, out_seq = 0;
	int rc;

	*out = NULL;
	e->cfg = opts->cfg;
	e->emit = opts->emit;
	e->ctx = opts->ctx;
	e->outbox = opts->outbox;
	e->oneshot = opts->oneshot;
	vg_notify_init(&e->wake);
	pthread_mutex_init(&e->stats_lock, NULL);
	vg_buf_init(&e->ev, ENGINE_EVENT_MAX);
	e->inflight = vg_hmap_new();
	e->again = vg_hmap_new();
	e->names = fim_names_new();
	e->changes = fim_changeq_new(ENGINE_QUEUE_MAX, opts->settle_ms * 1000000ull,
				     ENGINE_MAX_DELAY_NS, vg_notify_kick, &e->wake);
	rc = fim_baseline_open(opts->db_path, &e->bl, err);
	if (rc == 0)
		rc = engine_meta(e, "baseline_done", &done, err);
	if (rc == 0)
		rc = engine_meta(e, "outbox_seq", &out_seq, err);
	if (rc == 0)
		rc = fim_baseline_count(e->bl, &e->nfiles, err);
	if (rc == 0)
		rc = fim_pool_new(opts->cfg->hash_workers, vg_notify_kick, &e->wake, &e->pool, err);
	if (rc != 0) {
		fim_engine_free(e);
		return rc;
	}
	e->baseline_done = done != 0;
	e->out_seq = out_seq > 0 ? (uint64_t)out_seq : 0;
	e->out_pending = e->outbox; /* what a previous run left undelivered */
	*out = e;
	return 0;
}

void fim_engine_stop(struct fim_engine *e)
{
	atomic_store(&e->stopping, true);
	vg_notify_kick(&e->wake);
}

void fim_engine_request_scan(struct fim_engine *e)
{
	atomic_store(&e->scan_requested, true);
	vg_notify_kick(&e->wake);
}

void fim_engine_get_stats(struct fim_engine *e, struct fim_engine_stats *out)
{
	pthread_mutex_lock(&e->stats_lock);
	*out = e->stats;
	pthread_mutex_unlock(&e->stats_lock);
}

void fim_engine_free(struct fim_engine *e)
{
	if (e == NULL)
		return;
	fim_watch_free(e->watch);
	fim_pool_free(e->pool);
	if (e->bl != NULL && e->in_txn)
		fim_baseline_rollback(e->bl);
	fim_baseline_close(e->bl);
	fim_changeq_free(e->changes);
	fim_names_free(e->names);
	vg_hmap_free(e->inflight, NULL);
	vg_hmap_free(e->again, NULL);
	vg_buf_free(&e->ev);
	vg_notify_destroy(&e->wake);
	pthread_mutex_destroy(&e->stats_lock);
	vg_free(e);
}
