/*
 * lookup.c - `vigie lookup FILE|HASH...`: VirusTotal's verdict on a file.
 *
 * Through the running manager (the default): the verdict cache of
 * HOME/queue/integrations.db answers at once when it can; otherwise the
 * command adds a job of the integration INTEGRATOR_LOOKUP to the same
 * durable queue the manager's integrator serves, so the lookup shares its
 * quota, its in-flight de-duplication and its cache, and waits for the job
 * to end. Such a job raises no alert. With --direct, the command asks
 * VirusTotal itself with the configuration's <integration> key, outside
 * the quota and cache (for a manager that is not running).
 *
 * The API key is read from the configuration, never from the command line.
 */
#include "cli/lookup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/vt_options.h"
#include "fim/config.h"
#include "fim/hash.h"
#include "lib/common.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/config.h"
#include "manager/integrator.h"
#include "manager/vt_answer.h"
#include "manager/vt_cache.h"
#include "manager/vt_client.h"
#include "manager/vt_db.h"
#include "manager/vt_jobs.h"

#define LK_WAIT_S 300  /* how long to wait for the manager by default */
#define LK_POLL_MS 200 /* how often the job is looked at */
#define LK_EXIT_MALICIOUS 3

struct lk_opts {
	const char *home;
	const char *config;
	bool direct;
	bool json;
	unsigned wait_s;
	char **args;
	int nargs;
};

/* What one argument is: a file hashed here, or a hash given. */
struct lk_item {
	const char *arg;
	const char *file; /* NULL for a hash */
	char sha256[VT_SHA256_HEX + 1];
};

static void lk_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie lookup [OPTION]... FILE|SHA256...\n"
		"Print VirusTotal's verdict on each file (hashed here with SHA-256) or hash.\n"
		"\n"
		"By default the running vigie-manager answers: from its verdict cache at once,\n"
		"or with a lookup queued behind its own, within its quota (HOME/queue/\n"
		"integrations.db). No alert is raised for these lookups.\n"
		"\n"
		"  -D, --home DIR      the manager's home (default: %s)\n"
		"      --direct        ask VirusTotal here, with the key of the configuration's\n"
		"                      virustotal <integration>, outside the manager's quota\n"
		"                      and cache\n"
		"  -c, --config FILE   the configuration: the key for --direct, the cache\n"
		"                      lifetimes otherwise (default: HOME/etc/ossec.conf)\n"
		"  -w, --wait SECONDS  how long to wait for the manager (default: %d)\n"
		"  -j, --json          print each verdict as the JSON event the integration\n"
		"                      injects, one per line\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"Exit status: 0 when nothing is malicious (clean or unknown to VirusTotal),\n"
		"%d when something is, 1 on an error (nothing looked up, a lookup that failed\n"
		"or did not end in time), 2 on a usage error.\n",
		VG_DEFAULT_HOME, LK_WAIT_S, LK_EXIT_MALICIOUS);
}

/* 0: run; 1: --help printed; 2: usage error (reported). */
static int lk_parse(int argc, char **argv, struct lk_opts *o)
{
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'D'},
	    {"config", required_argument, NULL, 'c'},
	    {"direct", no_argument, NULL, 'd'},
	    {"wait", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	*o = (struct lk_opts){.home = VG_DEFAULT_HOME, .wait_s = LK_WAIT_S};
	optind = 1;
	while ((c = getopt_long(argc, argv, "D:c:dw:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->home = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->direct = true;
			break;
		case 'w':
			if (vg_parse_u64(optarg, 86400, &v) != 0) {
				fprintf(stderr,
					"vigie lookup: --wait: expected 0..86400 seconds, "
					"got '%s'\n",
					optarg);
				return 2;
			}
			o->wait_s = (unsigned)v;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			lk_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'vigie lookup --help'.\n");
			return 2;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs == 0) {
		fprintf(stderr, "vigie lookup: a FILE or SHA256 is needed\n"
				"Try 'vigie lookup --help'.\n");
		return 2;
	}
	return 0;
}

/* ---------------------------------------------------------------- items */

static int lk_hash_file(struct lk_item *it, struct vg_err *err)
{
	struct fim_hasher *h = NULL;
	struct fim_digests d;
	uint64_t n = 0;
	int fd = open(it->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0)
		return vg_err_errno(err, errno, "cannot open %s", it->file);
	rc = fim_hasher_new(&h, err);
	if (rc == 0)
		rc = fim_hasher_fd(h, fd, FIM_CHECK_SHA256, 0, &d, &n, err);
	if (rc == 0)
		snprintf(it->sha256, sizeof(it->sha256), "%s", d.sha256);
	fim_hasher_free(h);
	close(fd);
	return rc;
}

/* A 64-hex argument is a hash unless a file of that name exists. */
static int lk_item(const char *arg, struct lk_item *it, struct vg_err *err)
{
	*it = (struct lk_item){.arg = arg};
	if (strlen(arg) == VT_SHA256_HEX && access(arg, F_OK) != 0)
		return vt_sha256_norm(arg, it->sha256, err);
	it->file = arg;
	return lk_hash_file(it, err);
}

/* ---------------------------------------------------------------- output */

static void lk_date(int64_t epoch, char out[32])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	if (epoch <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "-");
}

static void lk_print_text(const struct lk_item *it, const struct vt_answer *a, const char *via)
{
	char date[32];

	printf("%s\n  sha256     %s\n", it->file != NULL ? it->file : it->sha256, it->sha256);
	if (a->outcome == VT_NOT_FOUND) {
		printf("  verdict    unknown to VirusTotal\n");
	} else {
		printf("  verdict    %s: %" PRIu64 " of %" PRIu64 " engines%s%s%s\n",
		       a->malicious > 0 ? "malicious" : "clean", a->malicious, a->total,
		       a->threat_label[0] != '\0' ? " (" : "", a->threat_label,
		       a->threat_label[0] != '\0' ? ")" : "");
		lk_date(a->last_analysis_date, date);
		printf("  scanned    %s\n", date);
		printf("  permalink  https://www.virustotal.com/gui/file/%s/detection\n",
		       it->sha256);
	}
	printf("  answered   %s\n", via);
}

static int lk_print(const struct lk_opts *o, const struct lk_item *it, const struct vt_answer *a,
		    const char *via, enum vt_cache_state cache, struct vg_err *err)
{
	if (!o->json) {
		lk_print_text(it, a, via);
		return 0;
	}
	struct vt_source src = {NULL, it->file, NULL, NULL, it->sha256, NULL, NULL};
	struct vt_extra x = {cache, -1};
	struct vg_buf b = VG_BUF_INIT(64 * 1024);
	int rc = vt_answer_event(a, &src, &x, &b, err);
	if (rc == 0)
		printf("%s\n", vg_buf_cstr(&b));
	vg_buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- through the manager */

struct lk_state {
	sqlite3 *db;
	struct vt_cache *cache;
	struct vt_jobs *jobs;
};

/* The cache lifetimes the manager uses: its configuration's, else the defaults. */
static struct vt_cache_opts lk_cache_opts(const struct lk_opts *o)
{
	struct mgr_vt_options v;

	cli_vt_options(o->home, o->config, &v);
	return (struct vt_cache_opts){v.cache_malicious_ttl, v.cache_clean_ttl,
				      v.cache_not_found_ttl};
}

static int lk_state_open(const struct lk_opts *o, struct lk_state *s, struct vg_err *err)
{
	const char *home = o->home;
	struct vt_cache_opts co = lk_cache_opts(o);
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	struct vt_jobs_opts jo = VT_JOBS_OPTS_INIT;
	char *path = vt_db_path(home);
	int rc;

	jo.keep_in_flight = true; /* those are the running manager's */
	dbo.what = "integrations state";
	if (access(path, F_OK) != 0) {
		rc = vg_err_set(err, VG_ENOTFOUND,
				"no integrations state at %s: is vigie-manager running with a "
				"virustotal <integration>? (or use --direct)",
				path);
		vg_free(path);
		return rc;
	}
	rc = vg_db_open(path, &dbo, &s->db, err);
	if (rc == 0)
		rc = vt_cache_open(s->db, &co, &s->cache, err);
	if (rc == 0)
		rc = vt_jobs_open(s->db, &jo, &s->jobs, NULL, err);
	vg_free(path);
	return rc;
}

static void lk_state_close(struct lk_state *s)
{
	vt_jobs_close(s->jobs);
	vt_cache_close(s->cache);
	vg_db_close(s->db);
}

static int64_t lk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The cached verdict: 0, or VG_ENOTFOUND on a miss. */
static int lk_cached(struct lk_state *s, const char *sha256, struct vt_answer *a,
		     struct vg_err *err)
{
	struct vt_cache_hit hit = {0};
	int rc = vt_cache_get(s->cache, sha256, lk_now_ms(), &hit, err);

	if (rc == 0)
		rc = vt_answer_from_cache(hit.json, a, err);
	vt_cache_hit_clear(&hit);
	return rc;
}

static int lk_queue(struct lk_state *s, const struct lk_item *it, int64_t *id, struct vg_err *err)
{
	struct vt_job j = {.prio = VT_PRIO_NEW_EXEC}; /* an operator waits: served first */
	bool added = false;
	int rc;

	snprintf(j.integration, sizeof(j.integration), "%s", INTEGRATOR_LOOKUP);
	snprintf(j.alert_id, sizeof(j.alert_id), "lookup-%ld-%" PRId64, (long)getpid(),
		 lk_now_ms());
	snprintf(j.sha256, sizeof(j.sha256), "%s", it->sha256);
	snprintf(j.agent_id, sizeof(j.agent_id), "000");
	snprintf(j.path, sizeof(j.path), "%s", it->file != NULL ? it->file : "");
	rc = vg_db_begin(s->db, err);
	if (rc == 0)
		rc = vt_jobs_add(s->jobs, &j, lk_now_ms(), id, &added, err);
	return vg_db_end(s->db, rc, err);
}

/* Wait for job id to end: done (its verdict is then cached) or dead. */
static int lk_wait_job(struct lk_state *s, int64_t id, unsigned wait_s, struct vt_job *j,
		       struct vg_err *err)
{
	int64_t end = lk_now_ms() + (int64_t)wait_s * 1000;
	int rc;

	for (;;) {
		rc = vt_jobs_get(s->jobs, id, j, err);
		if (rc != 0 || j->state == VT_JOB_DONE)
			return rc;
		if (j->state == VT_JOB_DEAD)
			return vg_err_set(err, VG_EINTERNAL, "the lookup failed: %s",
					  j->last_error);
		if (lk_now_ms() >= end)
			return vg_err_set(
			    err, VG_EINTERNAL,
			    "no verdict within %u s (the job stays queued: %s%s%s); "
			    "is vigie-manager running? `vigie status` shows its quota",
			    wait_s, vt_job_state_name(j->state),
			    j->last_error[0] != '\0' ? ", last error: " : "", j->last_error);
		usleep(LK_POLL_MS * 1000);
	}
}

static int lk_via_manager(const struct lk_opts *o, struct lk_state *s, const struct lk_item *it,
			  struct vt_answer *a, struct vg_err *err)
{
	struct vt_job j;
	int64_t id = 0;
	struct vg_err e = VG_ERR_INIT;
	int rc = lk_cached(s, it->sha256, a, &e);

	if (rc == 0)
		return lk_print(o, it, a, "Vigie's verdict cache", VT_CACHE_HIT, err);
	if (!o->json)
		fprintf(stderr, "vigie lookup: %s: queued for the manager's next lookup...\n",
			it->arg);
	rc = lk_queue(s, it, &id, err);
	if (rc == 0)
		rc = lk_wait_job(s, id, o->wait_s, &j, err);
	if (rc == 0 && lk_cached(s, it->sha256, a, &e) != 0)
		rc = vg_err_set(err, VG_EINTERNAL,
				"the lookup ended (%s) but its verdict is not cached (a cache "
				"lifetime of 0?)",
				j.outcome);
	if (rc == 0)
		rc = lk_print(o, it, a, "VirusTotal, through vigie-manager", VT_CACHE_MISS, err);
	return rc;
}

/* ---------------------------------------------------------------- direct */

struct lk_direct {
	struct vt_answer answer;
	bool done;
};

static void lk_direct_done(void *ctx, void *lookup_ctx, const struct vt_answer *a, long ms)
{
	struct lk_direct *d = ctx;
	d->answer = *a;
	d->done = true;
}

/* The configuration's client; *loaded tells whether cfg must be freed. */
static int lk_direct_open(const struct lk_opts *o, struct mgr_config *cfg, bool *loaded,
			  struct vt_client **c, struct vg_err *err)
{
	struct vt_client_opts co = VT_CLIENT_OPTS_INIT;
	char *path =
	    o->config != NULL ? vg_xstrdup(o->config) : vg_xasprintf("%s/etc/ossec.conf", o->home);
	const struct mgr_integration *vt;
	int rc = mgr_config_load(path, cfg, err);

	vg_free(path);
	if (rc != 0)
		return rc;
	*loaded = true;
	vt = mgr_integration_conf_vt(&cfg->integrations);
	if (vt == NULL)
		return vg_err_set(err, VG_ENOTFOUND,
				  "no virustotal <integration> in the configuration: its api_key "
				  "is needed for --direct");
	co.base_url = vt->hook_url;
	co.api_key = vt->api_key;
	co.timeout_s = vt->timeout;
	return vt_client_new(&co, c, err);
}

static int lk_direct(const struct lk_opts *o, struct vt_client *c, const struct lk_item *it,
		     struct vt_answer *a, struct vg_err *err)
{
	struct lk_direct d = {.done = false};
	int rc = vt_client_lookup(c, it->sha256, NULL, err);

	while (rc == 0 && !d.done)
		rc = vt_client_run(c, 1000, lk_direct_done, &d, err);
	if (rc != 0)
		return rc;
	*a = d.answer;
	if (a->outcome != VT_FOUND && a->outcome != VT_NOT_FOUND)
		return vg_err_set(err, VG_EINTERNAL, "VirusTotal: %s%s%s",
				  vt_outcome_name(a->outcome), a->detail[0] != '\0' ? ": " : "",
				  a->detail);
	return lk_print(o, it, a, "VirusTotal, directly", VT_CACHE_NONE, err);
}

/* ---------------------------------------------------------------- main */

int cli_lookup(int argc, char **argv)
{
	struct lk_opts o;
	struct lk_state s = {0};
	struct mgr_config cfg;
	struct vt_client *client = NULL;
	struct vg_err err = VG_ERR_INIT;
	bool loaded = false, failed = false, malicious = false;
	int rc = lk_parse(argc, argv, &o);

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	if (o.direct && (rc = vt_client_global_init(&err)) == 0)
		rc = lk_direct_open(&o, &cfg, &loaded, &client, &err);
	else if (!o.direct)
		rc = lk_state_open(&o, &s, &err);
	if (rc != 0) {
		fprintf(stderr, "vigie lookup: %s\n", err.msg);
		failed = true;
	}
	for (int i = 0; rc == 0 && i < o.nargs; i++) {
		struct lk_item it;
		struct vt_answer a;
		vg_err_clear(&err);
		int r = lk_item(o.args[i], &it, &err);
		if (r == 0)
			r = o.direct ? lk_direct(&o, client, &it, &a, &err)
				     : lk_via_manager(&o, &s, &it, &a, &err);
		if (r != 0) {
			fprintf(stderr, "vigie lookup: %s: %s\n", o.args[i], err.msg);
			failed = true;
		} else if (a.outcome == VT_FOUND && a.malicious > 0) {
			malicious = true;
		}
	}
	vt_client_free(client);
	if (o.direct)
		vt_client_global_cleanup();
	if (loaded)
		mgr_config_free(&cfg);
	lk_state_close(&s);
	return failed ? 1 : malicious ? LK_EXIT_MALICIOUS : 0;
}
