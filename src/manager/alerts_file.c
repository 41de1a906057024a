/*
 * alerts_file.c - alerts.json / alerts.log writer with Wazuh's daily
 * rotation, gzip of past days, cut-back on write errors and truncation to a
 * recorded position (see alerts_file.h).
 *
 * Invariant: out[i].size is the length of whole alerts in the current day
 * file; a failed append is cut back to it before the call returns (or, if
 * the cut itself failed, before anything else is appended). out[i].pend
 * holds whole formatted alerts: bytes [0, sent) are already in the file
 * (kept only so last_json stays readable until the next write), bytes
 * [sent, len) are kept by batching. Files are opened O_APPEND, so a write
 * always lands at the real end.
 *
 * Thread model: one writer thread. The compression helper gets its own copy
 * of the paths it works on and touches nothing else; the writer joins it
 * before starting another and at close.
 */
#include "manager/alerts_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"

enum { OUT_JSON, OUT_LOG, N_OUT };

static const char *const out_ext[N_OUT] = {"json", "log"};

struct out_file {
	bool on;
	int fd;             /* -1 when off or closed */
	uint64_t size;      /* whole alerts only */
	bool dirty;         /* a failed cut-back left bytes past size */
	char *path;         /* today's real file */
	struct vg_buf pend; /* whole alerts; [0, sent) already written */
	size_t sent;
};

struct gz_job {
	char *paths[N_OUT]; /* plain files to compress; NULL entries skipped */
	bool inline_run;
};

struct an_alerts_file {
	char *base; /* HOME/logs/alerts */
	unsigned min_level;
	struct an_alert_fmt *fmt;
	int64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
	ssize_t (*write_fn)(void *ctx, int fd, const void *p, size_t n);
	void *write_ctx;
	bool compress_inline;
	size_t batch_bytes;

	struct out_file out[N_OUT];
	int32_t day;                     /* YYYYMMDD of the open files */
	int64_t next_midnight;           /* epoch second of the next local midnight */
	bool stale_checked;              /* the previous day's leftovers were queued */
	size_t last_json, last_json_len; /* the last alert's line in out[OUT_JSON].pend */

	pthread_t gz_thread;
	bool gz_running;
};

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ---- Time and paths ----------------------------------------------------------- */

static int64_t default_clock(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_sec(const struct an_alerts_file *f)
{
	int64_t ms = f->clock_ms(f->clock_ctx);
	return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
}

/* The local date of sec as YYYYMMDD, and the epoch second of the next midnight. */
static int32_t local_day(int64_t sec, int64_t *next_midnight)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		*next_midnight = sec + 86400;
		return 19700101;
	}
	int32_t day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	time_t m = mktime(&tm);
	*next_midnight = m == (time_t)-1 || m <= t ? sec + 86400 : (int64_t)m;
	return day;
}

/* The day before `day` (YYYYMMDD), through mktime so month ends are right. */
static int32_t previous_day(int32_t day)
{
	struct tm tm = {0};

	tm.tm_year = day / 10000 - 1900;
	tm.tm_mon = day / 100 % 100 - 1;
	tm.tm_mday = day % 100 - 1;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1)
		return day;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static char *day_dir(const struct an_alerts_file *f, int32_t day)
{
	int mon = day / 100 % 100;
	return vg_xasprintf("%s/%04d/%s", f->base, (int)(day / 10000),
			    months[mon >= 1 && mon <= 12 ? mon - 1 : 0]);
}

static char *day_path(const struct an_alerts_file *f, int32_t day, int which)
{
	char *dir = day_dir(f, day);
	char *p = vg_xasprintf("%s/ossec-alerts-%02d.%s", dir, (int)(day % 100), out_ext[which]);
	vg_free(dir);
	return p;
}

/* ---- Compression ---------------------------------------------------------------- */

static int gz_copy(int in, gzFile g)
{
	char chunk[64 * 1024];

	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (gzwrite(g, chunk, (unsigned)n) != (int)n)
			return -1;
	}
}

/* Make a rename durable: fsync the directory holding path. */
static void fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash != NULL && slash != path ? vg_xstrndup(path, (size_t)(slash - path))
						   : vg_xstrdup("/");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	vg_free(dir);
}

/*
 * path -> path.gz: write path.gz.tmp, fsync, rename, then unlink path.
 * Any failure leaves path in place (and at most a stray .tmp).
 */
static void gz_one(const char *path)
{
	char *gz = vg_xasprintf("%s.gz", path), *tmp = vg_xasprintf("%s.gz.tmp", path);
	int in = -1, out = -1;
	gzFile g = NULL;
	bool ok = false;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		goto out; /* already compressed, or never written */
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		vg_log_error("%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	int gfd = dup(out);
	if (gfd < 0 || (g = gzdopen(gfd, "wb6")) == NULL) {
		if (gfd >= 0)
			close(gfd);
		vg_log_error("%s: cannot start gzip stream", tmp);
		goto out;
	}
	int rc = gz_copy(in, g);
	int zrc = gzclose(g);
	if (rc != 0 || zrc != Z_OK || fsync(out) != 0) {
		vg_log_error("%s: compression failed; %s kept", tmp, path);
		goto out;
	}
	if (rename(tmp, gz) != 0) {
		vg_log_error("%s: rename: %s; %s kept", tmp, strerror(errno), path);
		goto out;
	}
	fsync_parent(gz);
	ok = true;
	if (unlink(path) != 0)
		vg_log_warn("%s: compressed but cannot remove: %s", path, strerror(errno));
out:
	if (!ok)
		(void)unlink(tmp);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	vg_free(gz);
	vg_free(tmp);
}

static void *gz_main(void *arg)
{
	struct gz_job *job = arg;

	for (int i = 0; i < N_OUT; i++) {
		if (job->paths[i] != NULL)
			gz_one(job->paths[i]);
		vg_free(job->paths[i]);
	}
	vg_free(job);
	return NULL;
}

void an_alerts_file_wait_compress(struct an_alerts_file *f)
{
	if (f != NULL && f->gz_running) {
		pthread_join(f->gz_thread, NULL);
		f->gz_running = false;
	}
}

/* Compress the given day's plain files, on a helper thread unless inline. */
static void gz_day(struct an_alerts_file *f, int32_t day)
{
	struct gz_job *job = vg_xcalloc(1, sizeof(*job));
	bool any = false;

	for (int i = 0; i < N_OUT; i++) {
		char *p = day_path(f, day, i);
		if (access(p, F_OK) == 0) {
			job->paths[i] = p;
			any = true;
		} else {
			vg_free(p);
		}
	}
	if (!any) {
		vg_free(job);
		return;
	}
	/* One helper at a time: a day's compression long outlasting a day is not expected. */
	an_alerts_file_wait_compress(f);
	if (f->compress_inline || pthread_create(&f->gz_thread, NULL, gz_main, job) != 0) {
		gz_main(job);
		return;
	}
	f->gz_running = true;
}

/* ---- Opening a day -------------------------------------------------------------- */

/* alerts.<ext> -> real: link to a temporary name, then rename over (atomic). */
static int link_current(const struct an_alerts_file *f, const char *real, int which,
			struct vg_err *err)
{
	char *cur = vg_xasprintf("%s/alerts.%s", f->base, out_ext[which]);
	char *tmp = vg_xasprintf("%s/.alerts.%s.tmp", f->base, out_ext[which]);
	int rc = 0;

	(void)unlink(tmp);
	if (link(real, tmp) != 0)
		rc = vg_err_errno(err, errno, "cannot link %s to %s", tmp, real);
	else if (rename(tmp, cur) != 0)
		rc = vg_err_errno(err, errno, "cannot rename %s to %s", tmp, cur);
	if (rc != 0)
		(void)unlink(tmp);
	vg_free(cur);
	vg_free(tmp);
	return rc;
}

/* Open (creating) the files of the day containing sec; on success they replace the current ones. */
static int open_day(struct an_alerts_file *f, int64_t sec, struct vg_err *err)
{
	int64_t midnight;
	int32_t day = local_day(sec, &midnight);
	char *dir = day_dir(f, day);
	int fds[N_OUT] = {-1, -1};
	uint64_t sizes[N_OUT] = {0, 0};
	char *paths[N_OUT] = {NULL, NULL};
	int rc = vg_fs_mkdirs(dir, 0750, err);

	for (int i = 0; rc == 0 && i < N_OUT; i++) {
		struct stat st;
		if (!f->out[i].on)
			continue;
		paths[i] = day_path(f, day, i);
		fds[i] = open(paths[i], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fds[i] < 0 || fstat(fds[i], &st) != 0) {
			rc = vg_err_errno(err, errno, "cannot open alerts file %s", paths[i]);
			break;
		}
		sizes[i] = (uint64_t)st.st_size;
		rc = link_current(f, paths[i], i, err);
	}
	for (int i = 0; i < N_OUT; i++) {
		if (rc != 0) {
			if (fds[i] >= 0)
				close(fds[i]);
			vg_free(paths[i]);
			continue;
		}
		if (f->out[i].fd >= 0)
			close(f->out[i].fd);
		vg_free(f->out[i].path);
		f->out[i].fd = fds[i];
		f->out[i].size = sizes[i];
		f->out[i].dirty = false;
		f->out[i].path = paths[i];
	}
	if (rc == 0) {
		f->day = day;
		f->next_midnight = midnight;
	}
	vg_free(dir);
	return rc;
}

/* At or past local midnight: move to the new day and compress the old one. */
static int maybe_rotate(struct an_alerts_file *f, struct vg_err *err)
{
	int64_t sec = now_sec(f);

	if (sec < f->next_midnight)
		return 0;
	int32_t old = f->day;
	/* alerts kept in memory belong to the day that ends */
	int rc = an_alerts_file_drain(f, err);
	if (rc == 0)
		rc = open_day(f, sec, err);
	if (rc != 0)
		return rc;
	if (f->day != old)
		gz_day(f, old);
	return 0;
}

/* ---- Open / close ---------------------------------------------------------------- */

int an_alerts_file_open(const struct an_alerts_file_opts *opts, struct an_alerts_file **out,
			struct vg_err *err)
{
	struct an_alerts_file *f = NULL;
	int rc = 0;

	*out = NULL;
	if (opts == NULL || opts->home == NULL)
		return vg_err_set(err, VG_EPARSE, "alerts: no home directory given");
	f = vg_xcalloc(1, sizeof(*f));
	f->base = vg_xasprintf("%s/logs/alerts", opts->home);
	f->min_level = opts->log_alert_level;
	f->fmt = an_alert_fmt_new(&opts->fmt);
	f->clock_ms = opts->clock_ms != NULL ? opts->clock_ms : default_clock;
	f->clock_ctx = opts->clock_ctx;
	f->write_fn = opts->write_fn;
	f->write_ctx = opts->write_ctx;
	f->compress_inline = opts->compress_inline;
	f->batch_bytes = opts->batch_bytes;
	f->out[OUT_JSON].on = opts->jsonout_output;
	f->out[OUT_LOG].on = opts->alerts_log;
	for (int i = 0; i < N_OUT; i++) {
		f->out[i].fd = -1;
		/* what batching keeps, plus one alert at the cap */
		vg_buf_init(&f->out[i].pend, f->batch_bytes + AN_ALERTS_MAX_ALERT);
	}
	if (!opts->jsonout_output && !opts->alerts_log) {
		f->next_midnight = INT64_MAX;
		goto out;
	}
	if ((rc = vg_fs_mkdirs(f->base, 0750, err)) != 0)
		goto out;
	struct stat st;
	if (stat(f->base, &st) == 0 && !S_ISDIR(st.st_mode)) {
		rc = vg_err_set(err, VG_EPERM, "alerts directory %s is not a directory", f->base);
		goto out;
	}
	if (access(f->base, W_OK | X_OK) != 0) {
		rc = vg_err_errno(err, errno, "alerts directory %s is not writable", f->base);
		goto out;
	}
	rc = open_day(f, now_sec(f), err);
out:
	if (rc != 0) {
		an_alerts_file_close(f);
		return rc;
	}
	*out = f; /* transferred */
	return 0;
}

void an_alerts_file_close(struct an_alerts_file *f)
{
	struct vg_err e = VG_ERR_INIT;

	if (f == NULL)
		return;
	if (an_alerts_file_drain(f, &e) != 0)
		vg_log_error("alerts kept in memory are lost: %s", e.msg);
	an_alerts_file_wait_compress(f);
	for (int i = 0; i < N_OUT; i++) {
		if (f->out[i].fd >= 0)
			close(f->out[i].fd);
		vg_free(f->out[i].path);
		vg_buf_free(&f->out[i].pend);
	}
	an_alert_fmt_free(f->fmt);
	vg_free(f->base);
	vg_free(f);
}

bool an_alerts_file_wants(const struct an_alerts_file *f, unsigned level)
{
	return (f->out[OUT_JSON].on || f->out[OUT_LOG].on) && level >= f->min_level;
}

/* ---- Writing ----------------------------------------------------------------------- */

static ssize_t do_write(struct an_alerts_file *f, int fd, const void *p, size_t n)
{
	if (f->write_fn != NULL)
		return f->write_fn(f->write_ctx, fd, p, n);
	return write(fd, p, n);
}

/* Cut a file back to its last whole alert. */
static int cut_back(struct out_file *o, struct vg_err *err)
{
	if (ftruncate(o->fd, (off_t)o->size) != 0) {
		o->dirty = true;
		return vg_err_errno(err, errno, "%s: cannot cut a partial alert back to %llu bytes",
				    o->path, (unsigned long long)o->size);
	}
	o->dirty = false;
	return 0;
}

/* Append p[0..n) in one write(2) (more only if the kernel writes short). */
static int append(struct an_alerts_file *f, struct out_file *o, const char *p, size_t n,
		  struct vg_err *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = do_write(f, o->fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			int rc = vg_err_errno(err, e, "%s: write", o->path);
			(void)cut_back(o, NULL);
			return rc;
		}
		done += (size_t)w;
	}
	return 0;
}

/* Bytes kept in memory, not yet written, over both files. */
static size_t kept_bytes(const struct an_alerts_file *f)
{
	size_t n = 0;

	for (int i = 0; i < N_OUT; i++)
		n += f->out[i].pend.len - f->out[i].sent;
	return n;
}

int an_alerts_file_drain(struct an_alerts_file *f, struct vg_err *err)
{
	/* The log first: if the JSON lines then fail, the log blocks are cut back too. */
	static const int order[N_OUT] = {OUT_LOG, OUT_JSON};
	int rc = 0, i;

	for (i = 0; rc == 0 && i < N_OUT; i++) {
		struct out_file *o = &f->out[order[i]];
		if (o->on && o->sent < o->pend.len)
			rc = append(f, o, o->pend.data + o->sent, o->pend.len - o->sent, err);
	}
	if (rc != 0) { /* append cut the failed file back; cut those written before it */
		for (int j = 0; j < i - 1; j++)
			if (f->out[order[j]].on)
				(void)cut_back(&f->out[order[j]], NULL);
		return rc;
	}
	for (i = 0; i < N_OUT; i++) {
		f->out[i].size += f->out[i].pend.len - f->out[i].sent;
		f->out[i].sent = f->out[i].pend.len;
	}
	return 0;
}

/* The previous day's plain files left by a stop over midnight or a crash. */
static void queue_stale(struct an_alerts_file *f)
{
	f->stale_checked = true;
	gz_day(f, previous_day(f->day));
}

/* Forget the alerts already written; they were kept only for last_json. */
static void drop_sent(struct an_alerts_file *f)
{
	for (int i = 0; i < N_OUT; i++) {
		struct out_file *o = &f->out[i];
		if (o->sent == o->pend.len) {
			vg_buf_reset(&o->pend);
			o->sent = 0;
		}
	}
	f->last_json_len = 0;
}

/* The size of o's file once what is kept is written. */
static uint64_t drained_size(const struct out_file *o)
{
	return o->size + (o->pend.len - o->sent);
}

/*
 * Append one alert (a JSON line or a log block) to the file's pend. Fewer
 * than batch_bytes are kept before it, so pend's cap leaves it room for
 * AN_ALERTS_MAX_ALERT bytes; it is checked against that, not against pend's.
 */
static int format_one(struct an_alerts_file *f, int which, const struct an_event *ev,
		      const struct an_rule_info *rule, const struct an_alert_id *id,
		      struct vg_err *err)
{
	static const char *const name[N_OUT] = {"alerts.json", "alerts.log"};
	struct vg_buf *b = &f->out[which].pend;
	size_t mark = b->len;
	int rc;

	if (which == OUT_LOG)
		rc = an_alert_format_log(f->fmt, ev, rule, id, b, err);
	else if ((rc = an_alert_format_json(f->fmt, ev, rule, id, b, err)) == 0)
		rc = vg_buf_putc(b, '\n');
	if (rc == 0 && b->len - mark > AN_ALERTS_MAX_ALERT)
		rc = VG_ETOOBIG;
	if (rc == VG_ETOOBIG) /* also the format functions' code for their cap */
		vg_err_set(err, rc, "%s: alert over the %u-byte buffer cap", name[which],
			   AN_ALERTS_MAX_ALERT);
	if (rc != 0) {
		vg_buf_truncate(b, mark);
		return rc;
	}
	if (which == OUT_JSON) {
		f->last_json = mark;
		f->last_json_len = b->len - mark - 1; /* without the newline */
	}
	return 0;
}

int an_alerts_file_write(struct an_alerts_file *f, const struct an_event *ev,
			 const struct an_rule_info *rule, struct an_alert_id *id,
			 struct vg_err *err)
{
	size_t mark[N_OUT];
	int rc = 0;

	id->sec = 0;
	id->offset = 0;
	if (!an_alerts_file_wants(f, rule->level))
		return 0;
	if ((rc = maybe_rotate(f, err)) != 0)
		return rc;
	for (int i = 0; i < N_OUT; i++)
		if (f->out[i].on && f->out[i].dirty && (rc = cut_back(&f->out[i], err)) != 0)
			return rc;
	drop_sent(f);
	/* alerts kept after a failed drain: retry them before keeping more */
	if (kept_bytes(f) > 0 && kept_bytes(f) >= f->batch_bytes &&
	    (rc = an_alerts_file_drain(f, err)) != 0)
		return rc;
	id->sec = ev->time_ms >= 0 ? ev->time_ms / 1000 : (ev->time_ms - 999) / 1000;
	id->offset = drained_size(&f->out[f->out[OUT_LOG].on ? OUT_LOG : OUT_JSON]);
	for (int i = 0; i < N_OUT; i++)
		mark[i] = f->out[i].pend.len;
	for (int i = 0; rc == 0 && i < N_OUT; i++)
		if (f->out[i].on)
			rc = format_one(f, i, ev, rule, id, err);
	if (rc == 0 && kept_bytes(f) >= f->batch_bytes)
		rc = an_alerts_file_drain(f, err);
	if (rc != 0) { /* drop this alert; alerts kept before it stay kept */
		for (int i = 0; i < N_OUT; i++)
			vg_buf_truncate(&f->out[i].pend, mark[i]);
		f->last_json_len = 0;
		id->sec = 0;
		id->offset = 0;
		return rc;
	}
	if (!f->stale_checked)
		queue_stale(f);
	return 0;
}

const char *an_alerts_file_last_json(const struct an_alerts_file *f, size_t *len)
{
	*len = f->last_json_len;
	return f->last_json_len > 0 ? f->out[OUT_JSON].pend.data + f->last_json : "";
}

int an_alerts_file_flush(struct an_alerts_file *f, struct vg_err *err)
{
	int rc = an_alerts_file_drain(f, err);

	for (int i = 0; rc == 0 && i < N_OUT; i++)
		if (f->out[i].fd >= 0 && fdatasync(f->out[i].fd) != 0)
			rc = vg_err_errno(err, errno, "%s: fdatasync", f->out[i].path);
	return rc;
}

void an_alerts_file_position(const struct an_alerts_file *f, struct an_alerts_pos *pos)
{
	pos->day = f->day;
	pos->json_size = f->out[OUT_JSON].on ? drained_size(&f->out[OUT_JSON]) : 0;
	pos->log_size = f->out[OUT_LOG].on ? drained_size(&f->out[OUT_LOG]) : 0;
}

/* ---- Recovery --------------------------------------------------------------------- */

/* Truncate the plain file at path to size when it is longer. */
static int truncate_path(const char *path, uint64_t size, struct vg_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		char *gz = vg_xasprintf("%s.gz", path);
		if (access(gz, F_OK) == 0)
			vg_log_warn("%s is already compressed: alerts after the recorded position "
				    "stay in it",
				    path);
		vg_free(gz);
		return 0;
	}
	if ((uint64_t)st.st_size < size) {
		vg_log_warn("%s is %llu bytes, shorter than the recorded %llu: alerts after the "
			    "last sync were lost",
			    path, (unsigned long long)st.st_size, (unsigned long long)size);
		return 0;
	}
	if ((uint64_t)st.st_size > size && truncate(path, (off_t)size) != 0)
		return vg_err_errno(err, errno, "%s: cannot truncate to %llu bytes", path,
				    (unsigned long long)size);
	return 0;
}

int an_alerts_file_truncate_to(struct an_alerts_file *f, const struct an_alerts_pos *pos,
			       struct vg_err *err)
{
	int rc = 0;

	if (pos->day > f->day) {
		vg_log_warn("recorded alerts position is from day %d, after today (%d): clock "
			    "moved back? nothing truncated",
			    (int)pos->day, (int)f->day);
		return 0;
	}
	f->last_json_len = 0;
	for (int i = 0; rc == 0 && i < N_OUT; i++) {
		struct out_file *o = &f->out[i];
		uint64_t want = i == OUT_JSON ? pos->json_size : pos->log_size;
		if (!o->on)
			continue;
		if (pos->day == f->day && want >= o->size && want <= drained_size(o)) {
			/* pos is among the kept alerts: drop those after it, the file is right */
			vg_buf_truncate(&o->pend, o->sent + (size_t)(want - o->size));
			continue;
		}
		vg_buf_truncate(&o->pend, o->sent); /* all kept alerts come after pos */
		if (pos->day < f->day) {
			char *old = day_path(f, pos->day, i);
			rc = truncate_path(old, want, err);
			vg_free(old);
			want = 0; /* all of today came after the position */
		}
		if (rc == 0)
			rc = truncate_path(o->path, want, err);
		if (rc == 0) {
			struct stat st;
			if (fstat(o->fd, &st) != 0)
				rc = vg_err_errno(err, errno, "%s: stat", o->path);
			else
				o->size = (uint64_t)st.st_size;
		}
	}
	return rc;
}
