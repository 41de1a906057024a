/*
 * analysis_bench.c - Throughput of the manager's whole analysis pipeline.
 *
 *   analysis_bench [--no-breakdown] -D HOME EVENTS
 *
 * HOME is set up as for vigie-manager: HOME/etc/ossec.conf, HOME/etc/rules,
 * HOME/etc/lists (bench/run puts a 100,000-key CDB list there and a local
 * rule that looks it up). The rules are loaded exactly as vigie-manager
 * loads them (mgr_config_load, then rules_load with the shipped ruleset
 * root and HOME), every line of EVENTS (agent syscheck event lines, e.g.
 * gen_events output) is appended to HOME/queue/events.db as agent 000's
 * "syscheck" records (not timed), then an_pipeline_run drains the queue:
 * decode, rules, alerts.json + alerts.log, the alert store, one
 * transaction and a queue trim per batch. That is timed, in the
 * process's CPU time (the pipeline's thread and the store's WAL
 * checkpointer) and in wall time.
 *
 * The breakdown (unless --no-breakdown) runs the same lines through the
 * individual APIs first, each stage a pass of its own, so a reader sees
 * where the time goes: decode alone (an_decode_into), decode + rules
 * (rules_eval on a fresh state), decode + rules + alert files
 * (an_alerts_file_write into HOME/breakdown, removed afterwards, batched
 * as the pipeline batches them). What the
 * full pipeline costs beyond the last is the queue read/trim and the store.
 *
 * Output: key=value lines (bench/run reads them). events_per_s and
 * alerts_per_s come from wall time, cpu_events_per_s from process CPU time.
 * HOME must hold no queue or alerts yet (a fresh one per run), so that
 * every event is analysed once and nothing is replayed.
 *
 * The pipeline is one thread, as in vigie-manager (the store's checkpointer
 * is a second one); run it under taskset -c 0 to keep both on one core.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lines.h"
#include "lib/buf.h"
#include "lib/dqueue.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/alerts_file.h"
#include "manager/analysis.h"
#include "manager/config.h"
#include "manager/decode.h"
#include "manager/paths.h"
#include "manager/rules.h"

#define INPUT_MAX (4096ull * 1024 * 1024)
#define FILL_CHUNK 10000u      /* records per append transaction */
#define LOCATION "syscheck\n"  /* evqueue record: "location\nline" */
#define RECORD_MAX (2u << 20u) /* bytes of one record */

struct bench {
	const char *home;
	const char *events;
	bool breakdown;
	char hostname[256];
	struct bench_lines l;
	char *root;
	struct mgr_config cfg;
	bool cfg_loaded;
	struct rules_set *rules;
};

/* What one pass of the breakdown counted. */
struct pass {
	double cpu_s;
	size_t events, alerts, failed;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's, so that the store's checkpointer thread counts too. */
static double cpu_time(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static double wall(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int64_t now_ms(void)
{
	return (int64_t)(clock_s(CLOCK_REALTIME) * 1000.0);
}

/* ---------------------------------------------------------------- setup */

/* The rules as vigie-manager's load_all loads them (src/manager/main.c). */
static int load_rules(struct bench *b, struct vg_err *err)
{
	struct rules_opts ro = RULES_OPTS_INIT;
	char *conf = vg_xasprintf("%s/etc/ossec.conf", b->home);
	int rc;

	if ((rc = mgr_ruleset_root(&b->root, err)) != 0 ||
	    (rc = mgr_config_load(conf, &b->cfg, err)) != 0)
		goto out;
	b->cfg_loaded = true;
	ro.home = b->home;
	ro.ruleset_root = b->root;
	ro.conf = &b->cfg.ruleset;
	ro.email_alert_level = b->cfg.settings.email_alert_level;
	rc = rules_load(&ro, &b->rules, err);
out:
	vg_free(conf);
	return rc;
}

/* A fresh HOME: a queue or a store left from a run would be replayed. */
static int check_fresh(const char *home, struct vg_err *err)
{
	static const char *const left[] = {"queue/events.db", "queue/alerts.db", "breakdown"};
	struct stat st;

	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		char *p = vg_xasprintf("%s/%s", home, left[i]);
		int there = lstat(p, &st) == 0;
		vg_free(p);
		if (there)
			return vg_err_set(err, VG_EPARSE, "%s/%s exists: give a fresh HOME", home,
					  left[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- breakdown */

/*
 * One pass over the lines: decode, then (with st) the rules, then (with f)
 * the alert files, as the pipeline does for each record.
 */
static int pass_run(const struct bench *b, struct rules_state *st, struct an_alerts_file *f,
		    struct pass *out, struct vg_err *err)
{
	const struct an_source src = {"000", b->hostname, NULL, "syscheck"};
	struct an_decoded *d = an_decoded_new();
	int rc = 0;

	*out = (struct pass){0};
	double t0 = cpu_time();
	for (size_t i = 0; i < b->l.n && rc == 0; i++) {
		struct rules_result res;
		struct an_alert_id id;

		if (an_decode_into(d, &src, b->l.line[i], b->l.len[i], now_ms(), NULL) != 0) {
			out->failed++;
			continue;
		}
		if (an_decoded_kind(d) != AN_DECODED_EVENT || st == NULL)
			continue;
		out->events++;
		if ((rc = rules_eval(b->rules, st, an_decoded_event(d), &res, NULL, err)) != 0)
			break;
		if (res.alert == NULL || res.no_log || res.ignored ||
		    (f != NULL && !an_alerts_file_wants(f, res.alert->level)))
			continue;
		out->alerts++;
		if (f != NULL)
			rc = an_alerts_file_write(f, an_decoded_event(d), res.alert, &id, err);
	}
	if (rc == 0 && f != NULL) /* the alerts the writer still keeps, as a commit does */
		rc = an_alerts_file_drain(f, err);
	out->cpu_s = cpu_time() - t0;
	an_decoded_free(d);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "analysis_bench: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* rm -r HOME/breakdown: its alert files are as large as the real ones. */
static void remove_breakdown(const char *home)
{
	char *dir = vg_xasprintf("%s/breakdown", home);

	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	vg_free(dir);
}

static void print_stage(const char *name, double cpu_s, size_t n)
{
	printf("%s_us_per_event=%.3f %s_cpu_s=%.3f\n", name, cpu_s * 1e6 / (double)n, name, cpu_s);
}

/* The three cumulative passes; prints each stage's own share. */
static int breakdown(const struct bench *b, double *files_cpu, struct vg_err *err)
{
	struct an_alerts_file_opts ao = AN_ALERTS_FILE_OPTS_INIT;
	struct an_alerts_file *f = NULL;
	struct rules_state *st = NULL;
	struct pass dec, rul, fil;
	char *home = vg_xasprintf("%s/breakdown", b->home);
	int rc;

	ao.home = home;
	ao.jsonout_output = b->cfg.settings.jsonout_output;
	ao.alerts_log = b->cfg.settings.alerts_log;
	ao.log_alert_level = b->cfg.settings.log_alert_level;
	ao.fmt.manager_name = b->hostname;
	ao.batch_bytes = AN_PIPELINE_FILE_BATCH; /* as the pipeline writes them */
	if ((rc = pass_run(b, NULL, NULL, &dec, err)) != 0 ||
	    (rc = rules_state_new(b->rules, &st, err)) != 0 ||
	    (rc = pass_run(b, st, NULL, &rul, err)) != 0)
		goto out;
	rules_state_free(st);
	st = NULL;
	if ((rc = rules_state_new(b->rules, &st, err)) != 0 ||
	    (rc = an_alerts_file_open(&ao, &f, err)) != 0 ||
	    (rc = pass_run(b, st, f, &fil, err)) != 0)
		goto out;
	print_stage("decode", dec.cpu_s, b->l.n);
	print_stage("rules", rul.cpu_s - dec.cpu_s, b->l.n);
	print_stage("files", fil.cpu_s - rul.cpu_s, b->l.n);
	printf("breakdown_failed=%zu breakdown_alerts=%zu\n", dec.failed, fil.alerts);
	*files_cpu = fil.cpu_s;
out:
	an_alerts_file_close(f);
	rules_state_free(st);
	remove_breakdown(b->home);
	vg_free(home);
	return rc;
}

/* ---------------------------------------------------------------- pipeline */

/* Append every line as agent 000's "syscheck" record, FILL_CHUNK a transaction. */
static int fill_queue(const struct bench *b, struct vg_dq *q, struct vg_err *err)
{
	struct vg_dq_rec *recs = vg_xcalloc(FILL_CHUNK, sizeof(*recs));
	struct vg_buf data = VG_BUF_INIT(INPUT_MAX + (uint64_t)b->l.n * sizeof(LOCATION));
	size_t *off = vg_xcalloc(FILL_CHUNK, sizeof(*off));
	int rc = 0;

	for (size_t i = 0; i < b->l.n && rc == 0; i += FILL_CHUNK) {
		size_t n = b->l.n - i < FILL_CHUNK ? b->l.n - i : FILL_CHUNK;
		vg_buf_reset(&data);
		for (size_t k = 0; k < n; k++) {
			off[k] = data.len;
			if (vg_buf_append(&data, LOCATION, sizeof(LOCATION) - 1) != 0 ||
			    vg_buf_append(&data, b->l.line[i + k], b->l.len[i + k]) != 0) {
				rc = vg_err_set(err, VG_ETOOBIG, "events too large");
				goto out;
			}
		}
		for (size_t k = 0; k < n; k++) /* data no longer moves: point into it */
			recs[k] = (struct vg_dq_rec){0, "000", 0, data.data + off[k],
						     (k + 1 < n ? off[k + 1] : data.len) - off[k]};
		rc = vg_dq_append_batch(q, recs, n, NULL, err);
	}
out:
	vg_buf_free(&data);
	vg_free(off);
	vg_free(recs);
	return rc;
}

/*
 * Drain the queue through the pipeline; the only timed part. files_cpu > 0
 * (the breakdown's decode + rules + files pass): print what the queue and
 * the store add to it.
 */
static int drain(const struct bench *b, struct vg_dq *q, double files_cpu, struct vg_err *err)
{
	struct an_pipeline_opts po = {
	    .home = b->home,
	    .settings = &b->cfg.settings,
	    .manager_name = b->hostname,
	    .queue = q,
	    .rules = b->rules,
	};
	struct an_pipeline *p = NULL;
	struct an_pipeline_stats s;
	struct vg_dq_stats qs;
	size_t done = 1;
	int rc;

	vg_dq_stats(q, &qs);
	if ((rc = an_pipeline_open(&po, &p, err)) != 0)
		return rc;
	double w0 = wall(), c0 = cpu_time();
	do {
		rc = an_pipeline_run(p, 0, &done, err);
		an_pipeline_stats(p, &s);
	} while (rc == 0 && done > 0 && s.cursor < qs.last_seq);
	double cpu = cpu_time() - c0, wall_s = wall() - w0;
	an_pipeline_close(p); /* not timed: closing waits for nothing the run did */
	if (rc != 0)
		return rc;
	printf("events=%" PRIu64 " alerts=%" PRIu64 " skipped=%" PRIu64 " wall_s=%.3f cpu_s=%.3f\n",
	       s.events, s.alerts, s.skipped, wall_s, cpu);
	printf("pipeline_us_per_event=%.3f events_per_s=%.0f alerts_per_s=%.0f "
	       "cpu_events_per_s=%.0f\n",
	       cpu * 1e6 / (double)b->l.n, (double)s.events / wall_s, (double)s.alerts / wall_s,
	       (double)s.events / cpu);
	if (files_cpu > 0)
		print_stage("queue_store", cpu - files_cpu, b->l.n);
	if (s.cursor < qs.last_seq)
		return vg_err_set(err, VG_EINTERNAL, "queue not drained: %" PRIu64 " < %" PRIu64,
				  s.cursor, qs.last_seq);
	return 0;
}

static int run(struct bench *b, struct vg_err *err)
{
	char *qdir = vg_xasprintf("%s/queue", b->home);
	char *qpath = vg_xasprintf("%s/events.db", qdir);
	struct vg_dq_opts qo = {0, 0, false}; /* unbounded: the whole input is queued up front */
	struct vg_dq *q = NULL;
	double files_cpu = 0, t;
	int rc;

	if ((rc = check_fresh(b->home, err)) != 0 ||
	    (rc = vg_fs_read_file(b->events, "", &b->l.text, err)) != 0)
		goto out;
	bench_lines_split(&b->l);
	t = wall();
	if ((rc = load_rules(b, err)) != 0)
		goto out;
	printf("lines=%zu rules=%zu lists=%zu rules_load_s=%.3f\n", b->l.n,
	       rules_set_count(b->rules), rules_set_list_count(b->rules), wall() - t);
	fflush(stdout);
	if (b->breakdown && (rc = breakdown(b, &files_cpu, err)) != 0)
		goto out;
	t = wall();
	if ((rc = vg_fs_mkdirs(qdir, 0750, err)) != 0 ||
	    (rc = vg_dq_open(qpath, &qo, &q, err)) != 0 || (rc = fill_queue(b, q, err)) != 0)
		goto out;
	printf("queue_fill_s=%.3f\n", wall() - t);
	fflush(stdout);
	rc = drain(b, q, files_cpu, err);
out:
	vg_dq_close(q);
	vg_free(qpath);
	vg_free(qdir);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: analysis_bench [--no-breakdown] -D HOME EVENTS\n");
}

int main(int argc, char **argv)
{
	struct bench b = {.breakdown = true, .l = {.text = VG_BUF_INIT(INPUT_MAX)}};
	struct vg_err err = VG_ERR_INIT;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-breakdown") == 0)
			b.breakdown = false;
		else if (strcmp(argv[i], "-D") == 0 && i + 1 < argc)
			b.home = argv[++i];
		else if (argv[i][0] != '-' && b.events == NULL)
			b.events = argv[i];
		else
			goto out;
	}
	if (b.home == NULL || b.events == NULL)
		goto out;
	vg_log_init("analysis_bench", VG_LOG_WARN);
	if (gethostname(b.hostname, sizeof(b.hostname)) != 0)
		vg_strlcpy(b.hostname, "localhost", sizeof(b.hostname));
	b.hostname[sizeof(b.hostname) - 1] = '\0';
	rc = run(&b, &err) == 0 ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, "analysis_bench: %s\n", err.msg);
out:
	if (rc == 2)
		usage();
	rules_set_free(b.rules);
	if (b.cfg_loaded)
		mgr_config_free(&b.cfg);
	vg_free(b.root);
	vg_free(b.l.line);
	vg_free(b.l.len);
	vg_buf_free(&b.l.text);
	vg_log_close();
	return rc;
}
