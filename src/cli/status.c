/*
 * status.c - `vigie status`: what the manager of a home is doing.
 *
 * Everything is read beside the running daemon, through read-only handles
 * on its files (pid file lock, agents.db, events.db, alerts.db,
 * integrations.db), so the command works whether the manager runs or not
 * and never takes a lock it could wait on. The quota's limits come from
 * the configuration's virustotal <integration> (they are not stored),
 * lowered by an allowance VirusTotal reported, which is (vt_quota.h).
 */
#include "cli/status.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/vt_options.h"
#include "lib/common.h"
#include "lib/db.h"
#include "lib/dqueue.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/pidfile.h"
#include "manager/registry.h"
#include "manager/store.h"
#include "manager/vt_cache.h"
#include "manager/vt_db.h"
#include "manager/vt_jobs.h"
#include "manager/vt_quota.h"
#include "manager/vt_status.h"

struct st_opts {
	const char *home;
	const char *config;
	bool json;
	bool files;
};

static void st_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie status [OPTION]...\n"
		"Show what the vigie-manager of a home is doing: whether it runs, its agents,\n"
		"the events waiting for analysis, the alerts stored, and the VirusTotal\n"
		"integration's quota, verdict cache and lookup queue.\n"
		"\n"
		"  -D, --home DIR     the manager's home (default: %s)\n"
		"  -c, --config FILE  for the quota's limits (default: HOME/etc/ossec.conf)\n"
		"  -f, --files        also list the files waiting for a VirusTotal verdict and\n"
		"                     the lookups given up (at most %d of each, oldest first)\n"
		"  -j, --json         one JSON object instead of text\n"
		"  -h, --help         print this help and exit\n"
		"\n"
		"Exit status: 0 when the manager runs, 3 when it does not, 1 on an error,\n"
		"2 on a usage error.\n",
		VG_DEFAULT_HOME, VT_STATUS_LIST_MAX);
}

static int st_parse(int argc, char **argv, struct st_opts *o)
{
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'D'}, {"config", required_argument, NULL, 'c'},
	    {"files", no_argument, NULL, 'f'},      {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct st_opts){.home = VG_DEFAULT_HOME};
	optind = 1;
	while ((c = getopt_long(argc, argv, "D:c:fjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->home = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'f':
			o->files = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			st_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'vigie status --help'.\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vigie status: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* ---------------------------------------------------------------- gathering */

/* Each part is a JSON object; a part that cannot be read holds "error". */
static json_t *st_error(const struct vg_err *err)
{
	return json_pack("{s:s}", "error", err->msg);
}

static json_t *st_manager(const struct st_opts *o, bool *running)
{
	char *path = vg_xasprintf("%s/var/run/vigie-manager.pid", o->home);
	struct vg_err err = VG_ERR_INIT;
	pid_t pid = 0;
	int rc = vg_pidfile_holder(path, &pid, &err);

	vg_free(path);
	*running = rc == 0 && pid != 0;
	if (rc != 0)
		return st_error(&err);
	return json_pack("{s:s, s:b, s:I}", "home", o->home, "running", *running, "pid",
			 (json_int_t)(pid > 0 ? pid : 0));
}

static int st_count_agent(void *ctx, const struct reg_agent *a)
{
	json_int_t *n = ctx;
	n[a->status]++;
	n[3]++;
	return 0;
}

static json_t *st_agents(const struct st_opts *o)
{
	struct reg_opts ro = REG_OPTS_INIT;
	struct vg_err err = VG_ERR_INIT;
	struct reg *r = NULL;
	json_int_t n[4] = {0};
	char *path = reg_path(o->home);
	int rc;

	ro.readonly = true;
	rc = reg_open(path, &ro, &r, &err);
	if (rc == 0)
		rc = reg_list(r, NULL, st_count_agent, n, &err);
	reg_close(r);
	vg_free(path);
	if (rc != 0)
		return st_error(&err);
	/* agent 000, the manager itself, is not counted as an agent */
	return json_pack("{s:I, s:I, s:I, s:I}", "enrolled", n[3] - 1, "active", n[REG_ACTIVE] - 1,
			 "disconnected", n[REG_DISCONNECTED], "never_connected",
			 n[REG_NEVER_CONNECTED]);
}

static json_t *st_queue(const struct st_opts *o)
{
	char *path = vg_xasprintf("%s/queue/events.db", o->home);
	struct vg_dq_stats s;
	struct vg_err err = VG_ERR_INIT;
	int rc = vg_dq_peek(path, &s, &err);

	vg_free(path);
	if (rc != 0)
		return st_error(&err);
	return json_pack("{s:I, s:I}", "pending_events", (json_int_t)s.pending_records,
			 "pending_bytes", (json_int_t)s.pending_bytes);
}

static json_t *st_alerts(const struct st_opts *o)
{
	struct store_filter all = STORE_FILTER_INIT;
	struct store_reader *r = NULL;
	struct vg_err err = VG_ERR_INIT;
	char *path = vg_xasprintf("%s/queue/alerts.db", o->home);
	uint64_t n = 0;
	int rc = store_reader_open(path, &r, &err);

	if (rc == 0)
		rc = store_count(r, &all, &n, &err);
	store_reader_close(r);
	vg_free(path);
	if (rc != 0)
		return st_error(&err);
	return json_pack("{s:I}", "stored", (json_int_t)n);
}

/* The configured quota limits (the public key's when none is configured). */
static struct vt_quota_opts st_limits(const struct st_opts *o)
{
	struct mgr_vt_options v;

	cli_vt_options(o->home, o->config, &v);
	return (struct vt_quota_opts){v.requests_per_minute, v.requests_per_day,
				      v.requests_per_month};
}

static json_t *st_virustotal(const struct st_opts *o)
{
	struct vt_quota_opts qo = st_limits(o);
	struct vg_err err = VG_ERR_INIT;
	struct timespec ts;
	json_t *out = NULL;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	rc = vt_status_read(o->home, &qo, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
			    o->files, &out, &err);
	if (rc == VG_ENOTFOUND)
		return json_null(); /* no integration ever ran */
	return rc == 0 ? out : st_error(&err);
}

/* ---------------------------------------------------------------- printing */

static json_int_t st_int(const json_t *o, const char *path)
{
	const json_t *v = o;
	char key[64];

	for (const char *p = path; v != NULL && *p != '\0';) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	return json_integer_value(v);
}

/* A part that could not be read: its error; else NULL. */
static const char *st_failed(const json_t *part)
{
	return json_string_value(json_object_get(part, "error"));
}

static void st_print_window(const char *name, const json_t *w)
{
	char when[32] = "-";
	time_t t = (time_t)(st_int(w, "reset_ms") / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (st_int(w, "limit") == 0)
		printf("    %-7s %" JSON_INTEGER_FORMAT " used, unlimited\n", name,
		       st_int(w, "used"));
	else
		printf("    %-7s %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
		       " used, %" JSON_INTEGER_FORMAT " left, resets %s\n",
		       name, st_int(w, "used"), st_int(w, "limit"), st_int(w, "left"), when);
}

static void st_print_jobs(const char *title, const json_t *jobs)
{
	size_t i;
	const json_t *j;

	if (json_array_size(jobs) == 0)
		return;
	printf("  %s:\n", title);
	json_array_foreach(jobs, i, j)
	{
		const char *err = json_string_value(json_object_get(j, "last_error"));
		printf("    %s  %s  agent %s, %s, %" JSON_INTEGER_FORMAT " attempts%s%s\n",
		       json_string_value(json_object_get(j, "sha256")),
		       json_string_value(json_object_get(j, "path")),
		       json_string_value(json_object_get(j, "agent")),
		       json_string_value(json_object_get(j, "priority")), st_int(j, "attempts"),
		       err != NULL && err[0] != '\0' ? ": " : "", err != NULL ? err : "");
	}
}

static void st_print_vt(const json_t *vt)
{
	json_int_t hits = st_int(vt, "cache.hits"), misses = st_int(vt, "cache.misses");

	if (json_is_null(vt)) {
		printf("VirusTotal      no integration state yet\n");
		return;
	}
	if (st_failed(vt) != NULL) {
		printf("VirusTotal      unreadable: %s\n", st_failed(vt));
		return;
	}
	printf("VirusTotal\n  quota\n");
	st_print_window("minute", json_object_get(json_object_get(vt, "quota"), "minute"));
	st_print_window("day", json_object_get(json_object_get(vt, "quota"), "day"));
	st_print_window("month", json_object_get(json_object_get(vt, "quota"), "month"));
	printf("  cache         %" JSON_INTEGER_FORMAT " verdicts (%" JSON_INTEGER_FORMAT
	       " expired), hit ratio %.0f%% (%" JSON_INTEGER_FORMAT " hits, %" JSON_INTEGER_FORMAT
	       " misses)\n",
	       st_int(vt, "cache.entries"), st_int(vt, "cache.expired"),
	       hits + misses > 0 ? 100.0 * (double)hits / (double)(hits + misses) : 0.0, hits,
	       misses);
	printf("  lookups       %" JSON_INTEGER_FORMAT " queued, %" JSON_INTEGER_FORMAT
	       " in flight, %" JSON_INTEGER_FORMAT " done, %" JSON_INTEGER_FORMAT " dead\n",
	       st_int(vt, "jobs.queued"), st_int(vt, "jobs.in_flight"), st_int(vt, "jobs.done"),
	       st_int(vt, "jobs.dead"));
	st_print_jobs("waiting for a verdict", json_object_get(vt, "waiting"));
	st_print_jobs("given up", json_object_get(vt, "dead"));
}

static void st_print(const json_t *s)
{
	const json_t *m = json_object_get(s, "manager"), *a = json_object_get(s, "agents");
	const json_t *q = json_object_get(s, "queue"), *al = json_object_get(s, "alerts");

	if (st_failed(m) != NULL)
		printf("Manager         unknown: %s\n", st_failed(m));
	else if (json_is_true(json_object_get(m, "running")))
		printf("Manager         running, pid %" JSON_INTEGER_FORMAT ", home %s\n",
		       st_int(m, "pid"), json_string_value(json_object_get(m, "home")));
	else
		printf("Manager         not running (home %s)\n",
		       json_string_value(json_object_get(m, "home")));
	if (st_failed(a) != NULL)
		printf("Agents          unreadable: %s\n", st_failed(a));
	else
		printf("Agents          %" JSON_INTEGER_FORMAT " enrolled: %" JSON_INTEGER_FORMAT
		       " active, %" JSON_INTEGER_FORMAT " disconnected, %" JSON_INTEGER_FORMAT
		       " never connected\n",
		       st_int(a, "enrolled"), st_int(a, "active"), st_int(a, "disconnected"),
		       st_int(a, "never_connected"));
	if (st_failed(q) != NULL)
		printf("Event queue     unreadable: %s\n", st_failed(q));
	else
		printf("Event queue     %" JSON_INTEGER_FORMAT " events waiting for analysis\n",
		       st_int(q, "pending_events"));
	if (st_failed(al) != NULL)
		printf("Alerts          unreadable: %s\n", st_failed(al));
	else
		printf("Alerts          %" JSON_INTEGER_FORMAT " stored\n", st_int(al, "stored"));
	st_print_vt(json_object_get(s, "virustotal"));
}

int cli_status(int argc, char **argv)
{
	struct st_opts o;
	bool running = false;
	int rc = st_parse(argc, argv, &o);
	json_t *s;

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	s = json_object();
	json_object_set_new(s, "manager", st_manager(&o, &running));
	json_object_set_new(s, "agents", st_agents(&o));
	json_object_set_new(s, "queue", st_queue(&o));
	json_object_set_new(s, "alerts", st_alerts(&o));
	json_object_set_new(s, "virustotal", st_virustotal(&o));
	if (o.json) {
		struct vg_buf b = VG_BUF_INIT(1u << 20);
		if (vg_json_dump(&b, s, NULL) == 0)
			printf("%s\n", vg_buf_cstr(&b));
		vg_buf_free(&b);
	} else {
		st_print(s);
	}
	json_decref(s);
	return running ? 0 : 3;
}
