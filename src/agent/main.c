/*
 * main.c - vigie-agent: watch directories, hash what changes, report it.
 *
 * The process: parse options, load ossec.conf (a bad file stops here with
 * file:line), prepare HOME, optionally daemonize, then run the FIM engine
 * on the main thread. A dedicated thread waits for signals with sigwait:
 * SIGTERM/SIGINT stop the engine cleanly; SIGHUP reloads the configuration
 * (keeping the old one if the new one is invalid) and reopens the log.
 *
 * Two modes. With a <client> section (and no --local-events), the agent
 * reports to its manager: it enrolls first when HOME/etc/agent.pem is
 * missing (retrying with backoff until enrolled or stopped), then the FIM
 * engine delivers through the shipping outbox (agent/outbox.h) and the
 * shipper thread (agent/shipper.h) sends it. Otherwise events are written
 * as JSON lines (agent/local_events.h). `--enroll` enrolls once and exits.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent/enroll.h"
#include "agent/local_events.h"
#include "agent/outbox.h"
#include "agent/shipper.h"
#include "ar/agent_conf.h"
#include "fim/config.h"
#include "fim/engine.h"
#include "lib/client_conf.h"
#include "lib/common.h"
#include "lib/conf.h"
#include "lib/daemon.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pidfile.h"
#include "lib/pki.h"

#define AGENT_ENROLL_TIMEOUT_MS 30000
#define AGENT_ENROLL_BACKOFF_MAX 300 /* s between enrollment attempts, at most */

struct agent_opts {
	struct vg_daemon_args d; /* -c -D -f -t -d */
	const char *local_events;
	bool oneshot;
	bool enroll; /* --enroll: enroll once and exit */
};

/* What the agent reads from ossec.conf. */
struct agent_config {
	struct fim_config syscheck;
	struct vg_client_conf client; /* the manager to report to (issue 4) */
	struct ar_agent_conf ar;      /* <active-response>: may this host run responses */
};

struct agent {
	struct agent_opts opts;
	char *config_path;
	char *db_path;
	char *etc_dir; /* HOME/etc: the agent's key and certificates */
	struct agent_config cfg;
	struct vg_pidfile *pidfile; /* HOME/var/run/vigie-agent.pid, locked */
	pthread_mutex_t lock;
	pthread_cond_t wake;       /* signalled on quit: ends the enrollment wait */
	struct fim_engine *engine; /* the running engine, for the signal thread */
	struct outbox *outbox;     /* shipping mode: the outbox the engine fills */
	struct shipper *shipper;   /* shipping mode: its sender */
	struct ar_exec *exec;      /* shipping mode: the active-response executor */
	sigset_t signals;          /* handled by the signal thread */
	bool reload;
	bool quit;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie-agent [OPTION]...\n"
		"Watch the directories of the <syscheck> configuration, hash every new or\n"
		"changed file (md5, sha1, sha256), keep a baseline and report added,\n"
		"modified and deleted files as Wazuh syscheck events. With a <client>\n"
		"manager, ship them and run its active responses (quarantine, restore,\n"
		"remove-threat, Wazuh scripts) on this host.\n"
		"\n"
		"  -c, --config FILE        configuration (default: HOME/etc/ossec.conf)\n"
		"  -D, --home DIR           state, logs and keys directory (default: %s)\n"
		"  -f, --foreground         stay in the foreground and log to stderr too\n"
		"  -t, --test-config        check the configuration and exit\n"
		"      --local-events PATH  append events as JSON lines to PATH (- = stdout)\n"
		"                           instead of sending them to the <client> manager\n"
		"      --oneshot            run one scan (baseline or rescan) and exit\n"
		"      --enroll             enroll with the <client><enrollment> manager (a new\n"
		"                           key and certificate, even if already enrolled), exit\n"
		"  -d, --debug              log debug messages\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n"
		"\n"
		"Files under HOME:\n"
		"  etc/ossec.conf           configuration (Wazuh <syscheck> syntax)\n"
		"  logs/vigie.log           the agent's log\n"
		"  var/run/vigie-agent.pid  the running agent's pid (one agent per HOME)\n"
		"  queue/fim/fim.db         the baseline (SQLite)\n"
		"  etc/agent.pem            this agent's certificate (its id is the CN)\n"
		"  etc/agent.key            its private key (0600)\n"
		"  etc/agent-ca.pem         the manager's CA certificate\n"
		"  queue/outbox.db          events not yet acknowledged by the manager\n"
		"  logs/events.json         events, when no <client> is configured\n"
		"  queue/ar.db              the manager's commands taken (each runs at most once)\n"
		"  active-response/bin/     Wazuh active-response scripts the manager may run\n"
		"  logs/active-responses.log  what the active responses did (Wazuh format)\n"
		"  quarantine/              quarantined files (ID.bin, mode 0000) and manifests\n"
		"\n"
		"Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the configuration\n"
		"and reopens the log and events files; SIGUSR1 starts a full scan now.\n"
		"\n"
		"Exit status: 0 on success, 1 on a configuration or runtime error,\n"
		"2 on a usage error.\n",
		VG_DEFAULT_HOME);
}

static void set_local_events(void *ctx, const char *arg)
{
	((struct agent_opts *)ctx)->local_events = arg;
}

static void set_oneshot(void *ctx, const char *arg)
{
	((struct agent_opts *)ctx)->oneshot = true;
}

static void set_enroll(void *ctx, const char *arg)
{
	((struct agent_opts *)ctx)->enroll = true;
}

static int parse_args(int argc, char **argv, struct agent_opts *o)
{
	static const struct vg_daemon_opt extra[] = {
	    {"local-events", true, set_local_events},
	    {"oneshot", false, set_oneshot},
	    {"enroll", false, set_enroll},
	};

	o->d.home = VG_DEFAULT_HOME;
	return vg_daemon_parse_args(argc, argv, "vigie-agent", usage, extra,
				    sizeof(extra) / sizeof(extra[0]), o, &o->d);
}

static void config_free(struct agent_config *cfg)
{
	fim_config_free(&cfg->syscheck);
	vg_client_conf_free(&cfg->client);
}

static int load_config(const char *path, const char *home, struct agent_config *cfg,
		       struct vg_err *err)
{
	struct vg_conf_section sections[] = {
	    {"syscheck", fim_config_parse, &cfg->syscheck},
	    {"client", vg_client_conf_parse, &cfg->client},
	    {"active-response", ar_agent_conf_parse, &cfg->ar},
	};
	int rc;

	fim_config_init(&cfg->syscheck);
	vg_client_conf_init(&cfg->client);
	ar_agent_conf_init(&cfg->ar);
	rc = vg_conf_load(path, sections, VG_ARRAY_LEN(sections), err);
	if (rc == 0)
		rc = vg_client_conf_finish(&cfg->client, home, err);
	if (rc != 0)
		config_free(cfg);
	return rc;
}

static void *signal_thread(void *arg)
{
	struct agent *a = arg;
	int sig;

	for (;;) {
		if (sigwait(&a->signals, &sig) != 0)
			continue;
		pthread_mutex_lock(&a->lock);
		if (sig == SIGUSR1) {
			if (a->engine != NULL)
				fim_engine_request_scan(a->engine);
			pthread_mutex_unlock(&a->lock);
			continue;
		}
		if (sig == SIGHUP)
			a->reload = true;
		else
			a->quit = true;
		if (a->engine != NULL)
			fim_engine_stop(a->engine);
		/* an event waiting for room in a full outbox stays in the FIM outbox */
		if (a->outbox != NULL)
			outbox_stop(a->outbox);
		pthread_cond_broadcast(&a->wake);
		bool quit = a->quit;
		pthread_mutex_unlock(&a->lock);
		if (quit)
			return NULL;
	}
}

static bool shipping(const struct agent *a)
{
	return a->cfg.client.present && a->opts.local_events == NULL;
}

static int shipper_begin(struct agent *a, struct vg_err *err)
{
	struct shipper_opts so = {&a->cfg.client, a->etc_dir, a->config_path,
				  a->outbox,      a->exec,    0};

	return shipper_start(&so, &a->shipper, err);
}

static void reload(struct agent *a, struct local_events *sink)
{
	struct vg_err err = VG_ERR_INIT;
	struct agent_config cfg;

	if (vg_log_reopen(&err) != 0)
		vg_log_warn("%s", err.msg);
	vg_err_clear(&err);
	if (sink != NULL && local_events_reopen(sink, &err) != 0)
		vg_log_warn("%s", err.msg);
	vg_err_clear(&err);
	if (load_config(a->config_path, a->opts.d.home, &cfg, &err) != 0) {
		vg_log_error("configuration not reloaded, keeping the current one: %s", err.msg);
		return;
	}
	if (a->shipper != NULL && !cfg.client.present) {
		vg_log_error("configuration not reloaded: <client> was removed; restart the agent "
			     "to run without a manager");
		config_free(&cfg);
		return;
	}
	/* the shipper borrows the configuration: it restarts with the new one */
	shipper_stop(a->shipper);
	a->shipper = NULL;
	config_free(&a->cfg);
	a->cfg = cfg;
	vg_log_info("configuration reloaded from %s", a->config_path);
	ar_exec_set_disabled(a->exec, a->cfg.ar.disabled);
	if (a->outbox != NULL && shipper_begin(a, &err) != 0)
		vg_log_error("events are kept in the outbox, not sent: %s", err.msg);
}

/* Run engines until a stop signal; returns the exit status. */
static int run(struct agent *a, struct local_events *sink)
{
	for (;;) {
		struct fim_engine_opts eo = FIM_ENGINE_OPTS_INIT;
		struct fim_engine *engine = NULL;
		struct vg_err err = VG_ERR_INIT;

		eo.cfg = &a->cfg.syscheck;
		eo.db_path = a->db_path;
		eo.emit = a->outbox != NULL ? outbox_fim_emit : local_events_write;
		eo.ctx = a->outbox != NULL ? (void *)a->outbox : (void *)sink;
		eo.outbox = a->outbox != NULL; /* exactly once into the shipping outbox */
		eo.oneshot = a->opts.oneshot;
		if (fim_engine_new(&eo, &engine, &err) != 0) {
			vg_log_error("%s", err.msg);
			return 1;
		}
		pthread_mutex_lock(&a->lock);
		a->engine = engine;
		bool stop_now = a->quit || a->reload;
		pthread_mutex_unlock(&a->lock);
		if (stop_now)
			fim_engine_stop(engine);
		int rc = fim_engine_run(engine, &err);
		struct fim_engine_stats st;
		fim_engine_get_stats(engine, &st);
		vg_log_info("%llu scan%s, %llu events, %llu lost-event rescans",
			    (unsigned long long)st.scans, st.scans == 1 ? "" : "s",
			    (unsigned long long)st.events, (unsigned long long)st.overflows);
		pthread_mutex_lock(&a->lock);
		a->engine = NULL;
		bool stopped = a->reload || a->quit;
		bool again = a->reload && !a->quit;
		a->reload = false;
		pthread_mutex_unlock(&a->lock);
		fim_engine_free(engine);
		/* a stop while the outbox was full fails the delivery on purpose */
		if (rc != 0 && !(stopped && a->outbox != NULL)) {
			vg_log_error("%s", err.msg);
			return 1;
		}
		if (!again)
			return 0;
		if (a->outbox != NULL)
			outbox_restart(a->outbox);
		reload(a, sink);
	}
}

/* Seconds before enrollment attempt n + 1 (n >= 1): base, doubling, capped. */
static unsigned enroll_backoff(unsigned n, unsigned base)
{
	unsigned d = base;

	for (unsigned i = 1; i < n && d < AGENT_ENROLL_BACKOFF_MAX; i++)
		d *= 2;
	return d < AGENT_ENROLL_BACKOFF_MAX ? d : AGENT_ENROLL_BACKOFF_MAX;
}

/* Enroll until it works or the agent is asked to stop (0 / 1). */
static int enroll_until_done(struct agent *a)
{
	unsigned base = a->cfg.client.servers[0].retry_interval;

	for (unsigned n = 1;; n++) {
		struct vg_err err = VG_ERR_INIT;
		if (enroll_run(&a->cfg.client, a->etc_dir, AGENT_ENROLL_TIMEOUT_MS, NULL, &err) ==
		    0)
			return 0;
		unsigned wait = enroll_backoff(n, base);
		vg_log_error("enrollment with %s:%u failed (attempt %u, next in %u s): %s",
			     a->cfg.client.enrollment.manager_address,
			     (unsigned)a->cfg.client.enrollment.port, n, wait, err.msg);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		pthread_mutex_lock(&a->lock);
		while (!a->quit && pthread_cond_timedwait(&a->wake, &a->lock, &until) == 0)
			;
		bool quit = a->quit;
		pthread_mutex_unlock(&a->lock);
		if (quit)
			return 1;
	}
}

/* The active-response executor: its lines go through the outbox. */
static int exec_start(struct agent *a, struct vg_err *err)
{
	struct ar_exec_opts o = {
	    a->opts.d.home,    &a->cfg.syscheck, a->cfg.client.enrollment.agent_name,
	    outbox_ar_emit,    a->outbox,        0,
	    a->cfg.ar.disabled};
	int rc = ar_exec_open(&o, &a->exec, err);

	if (rc == 0)
		rc = ar_exec_start(a->exec, err);
	return rc;
}

/* Shipping mode: enrolled (or enroll), open the outbox, start the executor
 * and the shipper. */
static int shipping_start(struct agent *a, struct vg_err *err)
{
	char *cert = vg_xasprintf("%s/etc/%s", a->opts.d.home, VG_PKI_AGENT_CERT);
	char *path = vg_xasprintf("%s/%s", a->opts.d.home, OUTBOX_FILE);
	struct outbox *ob = NULL;
	int rc = 0;

	vg_free(a->etc_dir);
	a->etc_dir = vg_xasprintf("%s/etc", a->opts.d.home);
	if (access(cert, F_OK) != 0) {
		if (!a->cfg.client.enrollment.enabled)
			rc = vg_err_set(err, VG_ENOTFOUND,
					"%s is missing and <enrollment><enabled> is no: run "
					"vigie-agent --enroll first",
					cert);
		else if (enroll_until_done(a) != 0)
			rc = vg_err_set(err, VG_EINTERNAL, "stopped before enrollment");
	}
	if (rc == 0)
		rc = outbox_open(path, a->cfg.client.outbox_max_events,
				 a->cfg.client.outbox_max_size, &ob, err);
	if (rc == 0) {
		/* the signal thread reads a->outbox under the lock */
		pthread_mutex_lock(&a->lock);
		a->outbox = ob; /* transferred */
		if (a->quit)
			outbox_stop(ob); /* a signal came before the outbox existed */
		pthread_mutex_unlock(&a->lock);
		rc = exec_start(a, err);
	}
	if (rc == 0)
		rc = shipper_begin(a, err);
	vg_free(path);
	vg_free(cert);
	return rc;
}

static int agent_start(struct agent *a, struct local_events **sink, struct vg_err *err)
{
	static const char *const dirs[] = {"queue/fim", "etc"};
	const struct vg_daemon_opts d = {
	    .home = a->opts.d.home,
	    .pid_name = "vigie-agent",
	    .dirs = dirs,
	    .ndirs = sizeof(dirs) / sizeof(dirs[0]),
	    .foreground = a->opts.d.foreground,
	};
	char *events = NULL;
	int rc = 0;

	/* an explicit sink opens before detaching ("-" is the terminal's stdout) */
	if (a->opts.local_events != NULL)
		rc = local_events_open(a->opts.local_events, sink, err);
	if (rc == 0)
		rc = vg_daemon_start(&d, &a->pidfile, err);
	if (rc == 0 && *sink == NULL && !shipping(a)) {
		/* no manager: events go to HOME/logs/events.json */
		events = vg_xasprintf("%s/logs/events.json", a->opts.d.home);
		rc = local_events_open(events, sink, err);
		vg_free(events);
	}
	if (rc != 0)
		return 1;
	if (setpriority(PRIO_PROCESS, 0, a->cfg.syscheck.process_priority) != 0)
		vg_log_warn("cannot set process_priority %d: %s", a->cfg.syscheck.process_priority,
			    strerror(errno));
	return 0;
}

/* --enroll: one attempt, a clear message, exit status 0 or 1. */
static int enroll_once(struct agent *a)
{
	struct vg_err err = VG_ERR_INIT;
	char id[VG_PKI_CN_MAX + 1];
	const struct vg_client_enrollment *e = &a->cfg.client.enrollment;

	if (!a->cfg.client.present) {
		fprintf(stderr, "vigie-agent: ERROR: --enroll needs a <client> section in %s\n",
			a->config_path);
		return 1;
	}
	a->etc_dir = vg_xasprintf("%s/etc", a->opts.d.home);
	if (vg_fs_mkdirs(a->etc_dir, 0750, &err) != 0 ||
	    enroll_run(&a->cfg.client, a->etc_dir, AGENT_ENROLL_TIMEOUT_MS, id, &err) != 0) {
		fprintf(stderr, "vigie-agent: ERROR: enrollment with %s:%u failed: %s\n",
			e->manager_address, (unsigned)e->port, err.msg);
		return 1;
	}
	printf("vigie-agent: enrolled as agent %s (%s) with %s:%u; restart the agent to use the "
	       "new certificate\n",
	       id, e->agent_name, e->manager_address, (unsigned)e->port);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent a = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
	struct local_events *sink = NULL;
	struct vg_err err = VG_ERR_INIT;
	pthread_t sigthr;
	int status = parse_args(argc, argv, &a.opts);

	if (status != 0)
		return status;
	vg_log_init("vigie-agent", a.opts.d.debug ? VG_LOG_DEBUG : VG_LOG_INFO);
	a.config_path = a.opts.d.config != NULL ? vg_xstrdup(a.opts.d.config)
						: vg_xasprintf("%s/etc/ossec.conf", a.opts.d.home);
	a.db_path = vg_xasprintf("%s/queue/fim/fim.db", a.opts.d.home);
	if (load_config(a.config_path, a.opts.d.home, &a.cfg, &err) != 0) {
		fprintf(stderr, "vigie-agent: ERROR: %s\n", err.msg);
		status = 1;
		goto out_paths;
	}
	if (a.opts.d.test_config) {
		printf("vigie-agent: %s: configuration OK (%zu director%s)\n", a.config_path,
		       a.cfg.syscheck.ndirs, a.cfg.syscheck.ndirs == 1 ? "y" : "ies");
		goto out;
	}
	if (a.opts.enroll) {
		status = enroll_once(&a);
		goto out;
	}
	if (agent_start(&a, &sink, &err) != 0) {
		fprintf(stderr, "vigie-agent: ERROR: %s\n", err.msg);
		status = 1;
		goto out;
	}
	vg_daemon_signals(&a.signals);
	pthread_create(&sigthr, NULL, signal_thread, &a);
	pthread_detach(sigthr);
	if (shipping(&a) && shipping_start(&a, &err) != 0) {
		pthread_mutex_lock(&a.lock);
		bool quit = a.quit;
		pthread_mutex_unlock(&a.lock);
		/* asked to stop while enrolling: a clean stop, not a failure */
		if (quit)
			vg_log_info("vigie-agent stopped before it was enrolled");
		else
			vg_log_error("%s", err.msg);
		status = quit ? 0 : 1;
		goto out;
	}
	vg_log_info("vigie-agent %s started: %zu director%s, home %s, events %s", VIGIE_VERSION,
		    a.cfg.syscheck.ndirs, a.cfg.syscheck.ndirs == 1 ? "y" : "ies", a.opts.d.home,
		    shipping(&a) ? "to the manager" : "written locally");
	status = run(&a, sink);
	vg_log_info("vigie-agent stopped");
out:
	shipper_stop(a.shipper);
	ar_exec_close(a.exec);
	/* the signal thread may still look at a.outbox: it is detached, so stop first */
	pthread_mutex_lock(&a.lock);
	struct outbox *ob = a.outbox;
	a.outbox = NULL;
	pthread_mutex_unlock(&a.lock);
	outbox_close(ob);
	vg_pidfile_release(a.pidfile);
	local_events_close(sink);
	config_free(&a.cfg);
	vg_free(a.etc_dir);
out_paths:
	vg_free(a.config_path);
	vg_free(a.db_path);
	vg_log_close();
	return status;
}
