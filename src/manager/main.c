/*
 * main.c - vigie-manager: analysis, rules and alerts; agent 000 of itself.
 *
 * The process: parse options, load ossec.conf and the rules (a bad file
 * stops here with FILE:LINE), prepare HOME, optionally daemonize, then run.
 * Threads:
 *   - main: the analysis pipeline (analysis.h), reading the event queue
 *     and the agents' in-memory FIFO (ingest.h, owned here so that it
 *     outlives a pipeline reopened by SIGHUP);
 *   - fim: with a <syscheck> block, the FIM engine monitoring this host as
 *     agent 000, appending its events to the queue (evqueue.h) and kicking
 *     the FIFO, which is what the pipeline waits on;
 *   - remote: the agents' channel (remote.h): enrollment, events into the
 *     FIFO, ACKs once analysis committed them, keepalives into the
 *     registry, which it owns from the start (a SIGHUP keeps its listeners
 *     as they are);
 *   - signals: sigwait; SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1 asks
 *     the FIM engine for a scan now.
 * Stopping: the FIM engine and the remote stop first (what they emitted is
 * queued or in the FIFO), then the pipeline drains both,
 * so nothing accepted waits for the next start; and if the process dies instead, the queue and the
 * store's checkpoint make the next start redo exactly what was not done.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fim/engine.h"
#include "lib/common.h"
#include "lib/daemon.h"
#include "lib/dqueue.h"
#include "lib/hostname.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/passfile.h"
#include "lib/pki.h"
#include "manager/analysis.h"
#include "manager/config.h"
#include "manager/evqueue.h"
#include "manager/ingest.h"
#include "manager/ar_local.h"
#include "manager/dashboard.h"
#include "manager/integrator.h"
#include "manager/responder.h"
#include "manager/paths.h"
#include "manager/registry.h"
#include "manager/remote.h"
#include "manager/rules.h"
#include "manager/ruleset_load.h"
#include "manager/vt_client.h"

#define MGR_IDLE_WAIT_MS 500 /* pipeline wait between looks at the flags */
#define MGR_RETRY_WAIT_S 1   /* after a failed batch (full disk...) */

struct manager {
	struct vg_daemon_args opts;
	char *config_path;
	char *hostname;
	char *ruleset_root;
	struct mgr_config cfg;
	struct rules_set *rules;
	struct vg_pidfile *pidfile;
	sigset_t signals;
	struct vg_dq *queue;
	struct mgr_ingest *ingest; /* agents' records between the remote and analysis */
	struct reg *registry;      /* agents.db, until the remote takes it (its writer) */
	struct vg_pki_ca *ca;      /* etc/ca.key + ca.pem: signs agents' certificates */
	struct remote *remote;     /* the agents' listeners (1514) and enrollment (1515) */
	struct an_pipeline *pipeline;
	struct integrator *integrator; /* <integration> blocks: VirusTotal, custom-* */
	struct ar_local *ar_local;     /* agent 000's active-response executor */
	pthread_mutex_t resp_lock;     /* guards responder for the remote's ACK callback */
	struct responder *responder;   /* <active-response>: alerts into commands */
	struct dashboard *dashboard;   /* <dashboard>: the web dashboard and REST API */
	atomic_bool quit;
	atomic_bool reload;
	/* agent 000 */
	pthread_mutex_t fim_lock; /* guards engine for the signal thread */
	struct fim_engine *engine;
	pthread_t fim_thread;
	bool fim_running;
	atomic_bool fim_stop; /* read by the producer when the queue is full */
	struct mgr_producer fim_producer;
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: vigie-manager [OPTION]...\n"
	    "Turn events into Wazuh-compatible alerts: decode them, run the rules, write\n"
	    "logs/alerts/alerts.json and alerts.log and the alert store. With a <syscheck>\n"
	    "block the manager also monitors this host, as agent 000.\n"
	    "\n"
	    "  -c, --config FILE   configuration (default: HOME/etc/ossec.conf)\n"
	    "  -D, --home DIR      state, logs and alerts directory (default: %s)\n"
	    "  -f, --foreground    stay in the foreground and log to stderr too\n"
	    "  -t, --test-config   check the configuration and the rules, then exit\n"
	    "  -d, --debug         log debug messages\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n"
	    "\n"
	    "Files under HOME:\n"
	    "  etc/ossec.conf              configuration (<syscheck>, <ruleset>, <global>,\n"
	    "                              <alerts>, Wazuh syntax)\n"
	    "  etc/rules/*.xml             your rules (local_rules.xml), after the shipped ones\n"
	    "  etc/lists/                  your CDB lists\n"
	    "  logs/vigie.log              the manager's log\n"
	    "  logs/alerts/alerts.json     alerts, one JSON object a line (Wazuh format)\n"
	    "  logs/alerts/alerts.log      the same alerts as text\n"
	    "  queue/events.db             this host's events, not yet analysed (SQLite)\n"
	    "  queue/agents.db             the agent registry (SQLite)\n"
	    "  etc/ca.pem, etc/server.pem  the agents' CA and this manager's certificate\n"
	    "  etc/authd.pass              the enrollment password (<auth><use_password>)\n"
	    "  queue/alerts.db             the alert store (SQLite)\n"
	    "  queue/fim/fim.db            agent 000's baseline (SQLite)\n"
	    "  queue/responses.db          active-response commands, agents' quarantines\n"
	    "  queue/ar.db                 agent 000's commands taken (at most once)\n"
	    "  logs/active-responses.log   agent 000's active responses (Wazuh format)\n"
	    "  quarantine/                 agent 000's quarantined files (0700)\n"
	    "  etc/dashboard.users         the dashboard's users (scrypt hashes, 0600)\n"
	    "  etc/dashboard.admin.pass    the first admin password (<dashboard>, 0600)\n"
	    "  var/run/vigie-manager.pid   the running manager's pid (one per HOME)\n"
	    "\n"
	    "The shipped rules, lists and MITRE names are read from $VIGIE_RULESET_DIR,\n"
	    "else PREFIX/share/vigie/ruleset, else the source tree's ruleset/.\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the configuration and\n"
	    "the rules (keeping the current ones if the new ones do not load) and\n"
	    "reopens the log; SIGUSR1 starts a full FIM scan now.\n"
	    "\n"
	    "Exit status: 0 on success, 1 on a configuration or runtime error,\n"
	    "2 on a usage error.\n",
	    VG_DEFAULT_HOME);
}

/* ---------------------------------------------------------------- configuration */

/* Load ossec.conf and the rules it names, as `vigie logtest` does. */
static int load_all(const struct manager *m, struct mgr_config *cfg, struct rules_set **rules,
		    struct vg_err *err)
{
	const struct mgr_load_opts lo = {m->opts.home, m->config_path, m->ruleset_root};
	return mgr_load_rules(&lo, cfg, rules, err);
}

/* ---------------------------------------------------------------- agent 000 */

/* vg_dq_on_append: the pipeline waits on the FIFO; the queue's appends wake it. */
static void kick_analysis(void *ingest)
{
	mgr_ingest_kick(ingest);
}

/* Wake the pipeline: it waits on the FIFO, the queue's waiters on the queue. */
static void wake_analysis(struct manager *m)
{
	vg_dq_wake(m->queue);
	if (m->ingest != NULL)
		mgr_ingest_kick(m->ingest);
}

static void *fim_main(void *arg)
{
	struct manager *m = arg;
	struct vg_err err = VG_ERR_INIT;

	if (fim_engine_run(m->engine, &err) != 0) {
		vg_log_error("FIM engine stopped: %s", err.msg);
		atomic_store(&m->quit, true); /* a manager that cannot monitor says so */
		wake_analysis(m);
	}
	return NULL;
}

static int fim_start(struct manager *m, struct vg_err *err)
{
	struct fim_engine_opts eo = FIM_ENGINE_OPTS_INIT;
	char *db;
	int rc;

	if (m->cfg.syscheck.ndirs == 0)
		return 0;
	atomic_store(&m->fim_stop, false);
	m->fim_producer = (struct mgr_producer){m->queue, "000", "syscheck", &m->fim_stop};
	db = vg_xasprintf("%s/queue/fim/fim.db", m->opts.home);
	eo.cfg = &m->cfg.syscheck;
	eo.db_path = db;
	eo.emit = mgr_evqueue_fim_emit;
	eo.ctx = &m->fim_producer;
	eo.outbox = true; /* exactly once into the queue, even across kill -9 */
	pthread_mutex_lock(&m->fim_lock);
	rc = fim_engine_new(&eo, &m->engine, err);
	pthread_mutex_unlock(&m->fim_lock);
	vg_free(db);
	if (rc != 0)
		return rc;
	if (pthread_create(&m->fim_thread, NULL, fim_main, m) != 0)
		return vg_err_errno(err, errno, "cannot start the FIM thread");
	m->fim_running = true;
	return 0;
}

static void fim_stop(struct manager *m)
{
	if (!m->fim_running)
		return;
	atomic_store(&m->fim_stop, true);
	fim_engine_stop(m->engine);
	pthread_join(m->fim_thread, NULL);
	pthread_mutex_lock(&m->fim_lock);
	fim_engine_free(m->engine);
	m->engine = NULL;
	pthread_mutex_unlock(&m->fim_lock);
	m->fim_running = false;
}

/* ---------------------------------------------------------------- analysis */

static int pipeline_open(struct manager *m, struct vg_err *err)
{
	struct an_pipeline_opts po = {
	    .home = m->opts.home,
	    .settings = &m->cfg.settings,
	    .manager_name = m->hostname,
	    .queue = m->queue,
	    .ingest = m->ingest,
	    .rules = m->rules,
	};
	return an_pipeline_open(&po, &m->pipeline, err);
}

/* The integrations, when configured: after the pipeline (they read its store). */
static int integrator_start_all(struct manager *m, struct vg_err *err)
{
	const struct integrator_opts io = {
	    .home = m->opts.home,
	    .conf = &m->cfg.integrations,
	    .queue = m->queue,
	    .manager_name = m->hostname,
	};
	int rc;

	if (m->cfg.integrations.n == 0)
		return 0;
	rc = integrator_open(&io, &m->integrator, err);
	if (rc == 0)
		rc = integrator_start(m->integrator, err);
	return rc;
}

static void integrator_stop_all(struct manager *m)
{
	integrator_close(m->integrator);
	m->integrator = NULL;
}

/* ---------------------------------------------------------------- active response */

/* remote_opts.on_command_ack, on the remote's thread. */
static void on_command_ack(void *ctx, const char *agent_id, uint64_t id)
{
	struct manager *m = ctx;

	pthread_mutex_lock(&m->resp_lock);
	responder_acked(m->responder, agent_id, id);
	pthread_mutex_unlock(&m->resp_lock);
}

/* Agent 000's executor (its roots are the <syscheck> directories), then
 * the responder, which hands it and the agents their commands. */
static int responder_start_all(struct manager *m, struct vg_err *err)
{
	struct responder_opts ro = {m->opts.home, &m->cfg.ar,  m->remote, NULL,
				    m->queue,     m->hostname, 0};
	struct responder *r = NULL;
	int rc =
	    ar_local_open(m->opts.home, &m->cfg.syscheck, m->hostname, m->queue, &m->ar_local, err);

	if (rc == 0)
		rc = ar_local_start(m->ar_local, err);
	ro.local = ar_local_exec(m->ar_local);
	if (rc == 0)
		rc = responder_open(&ro, &r, err);
	if (rc == 0 && (rc = responder_start(r, err)) != 0) {
		responder_close(r);
		r = NULL;
	}
	pthread_mutex_lock(&m->resp_lock);
	m->responder = r;
	pthread_mutex_unlock(&m->resp_lock);
	return rc;
}

static void responder_stop_all(struct manager *m)
{
	pthread_mutex_lock(&m->resp_lock);
	struct responder *r = m->responder;
	m->responder = NULL;
	pthread_mutex_unlock(&m->resp_lock);
	responder_close(r);
	ar_local_close(m->ar_local);
	m->ar_local = NULL;
}

/* ---------------------------------------------------------------- dashboard */

/* The dashboard, when <dashboard> enables it: after the pipeline and the
 * registry (it reads their files). The quota shown is the configured one. */
static int dashboard_start_all(struct manager *m, struct vg_err *err)
{
	const struct mgr_integration *vt = mgr_integration_conf_vt(&m->cfg.integrations);
	const struct mgr_vt_options dflt = MGR_VT_OPTIONS_INIT;
	const struct mgr_vt_options *v = vt != NULL ? &vt->vt : &dflt;
	struct dashboard_opts o = {
	    m->opts.home,
	    &m->cfg.dashboard,
	    m->hostname,
	    {v->requests_per_minute, v->requests_per_day, v->requests_per_month}};

	return dashboard_start(&o, &m->dashboard, err);
}

static void dashboard_stop_all(struct manager *m)
{
	dashboard_stop(m->dashboard);
	m->dashboard = NULL;
}

/* SIGHUP: new configuration and rules, or the current ones if they fail. */
static void reload(struct manager *m)
{
	struct vg_err err = VG_ERR_INIT;
	struct mgr_config cfg;
	struct rules_set *rules = NULL;

	if (vg_log_reopen(&err) != 0)
		vg_log_warn("%s", err.msg);
	vg_err_clear(&err);
	integrator_reopen_log(m->integrator);
	if (load_all(m, &cfg, &rules, &err) != 0) {
		vg_log_error("configuration not reloaded, keeping the current one: %s", err.msg);
		return;
	}
	fim_stop(m);
	integrator_stop_all(m); /* it borrows the configuration being replaced */
	responder_stop_all(m);  /* likewise */
	dashboard_stop_all(m);
	an_pipeline_close(m->pipeline);
	m->pipeline = NULL;
	mgr_config_free(&m->cfg);
	rules_set_free(m->rules);
	m->cfg = cfg;
	m->rules = rules;
	if (pipeline_open(m, &err) != 0 || fim_start(m, &err) != 0 ||
	    integrator_start_all(m, &err) != 0 || responder_start_all(m, &err) != 0 ||
	    dashboard_start_all(m, &err) != 0) {
		vg_log_error("cannot restart after reload: %s", err.msg);
		atomic_store(&m->quit, true);
		return;
	}
	vg_log_info("configuration reloaded from %s: %zu rules, %zu lists", m->config_path,
		    rules_set_count(m->rules), rules_set_list_count(m->rules));
}

/* Sleep up to s seconds, waking early on a stop or reload request. */
static void pause_s(struct manager *m, unsigned s)
{
	for (unsigned i = 0; i < s * 10 && !atomic_load(&m->quit) && !atomic_load(&m->reload); i++)
		usleep(100 * 1000);
}

/* Analyse until asked to stop; then drain what the queue holds. */
static int run(struct manager *m)
{
	struct vg_err err = VG_ERR_INIT;
	bool failing = false;

	while (!atomic_load(&m->quit)) {
		if (atomic_exchange(&m->reload, false))
			reload(m);
		if (m->pipeline == NULL)
			break;
		vg_err_clear(&err);
		size_t done = 0;
		int rc = an_pipeline_run(m->pipeline, MGR_IDLE_WAIT_MS, &done, &err);
		if (done > 0) { /* new alerts may wait for an integration, a response */
			integrator_wake(m->integrator);
			responder_wake(m->responder);
		}
		if (rc != 0) {
			if (!failing) /* once per episode, not once a second */
				vg_log_error("analysis paused, retrying every %ds: %s",
					     MGR_RETRY_WAIT_S, err.msg);
			failing = true;
			pause_s(m, MGR_RETRY_WAIT_S);
		} else if (failing) {
			vg_log_info("analysis resumed");
			failing = false;
		}
	}
	fim_stop(m);
	remote_stop(m->remote); /* what it took is in the FIFO, drained now */
	if (m->pipeline != NULL && an_pipeline_run(m->pipeline, 0, NULL, &err) != 0)
		vg_log_warn("events left for the next start: %s", err.msg);
	return m->pipeline != NULL ? 0 : 1;
}

static void *signal_thread(void *arg)
{
	struct manager *m = arg;
	int sig;

	for (;;) {
		if (sigwait(&m->signals, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			pthread_mutex_lock(&m->fim_lock);
			if (m->engine != NULL)
				fim_engine_request_scan(m->engine);
			pthread_mutex_unlock(&m->fim_lock);
			continue;
		}
		if (sig == SIGHUP)
			atomic_store(&m->reload, true);
		else
			atomic_store(&m->quit, true);
		wake_analysis(m);
		if (sig != SIGHUP)
			return NULL;
	}
}

/* ---------------------------------------------------------------- start-up */

/*
 * The certificate authority of the agent channel and the manager's server
 * certificate, created on the first start (renewed when near expiry or when
 * the host name changed): the transport (issue 4) serves them.
 */
static int pki_open(struct manager *m, struct vg_err *err)
{
	const char *names[] = {m->hostname};
	char *etc = vg_xasprintf("%s/etc", m->opts.home);
	int rc = vg_pki_ca_open(etc, m->hostname, &m->ca, NULL, err);

	if (rc == 0) /* both calls log what they create */
		rc = vg_pki_server_ensure(m->ca, etc, names, VG_ARRAY_LEN(names), 0, NULL, err);
	vg_free(etc);
	return rc;
}

/* The agent registry, with this host as agent 000 (vigie agents reads it). */
static int registry_open(struct manager *m, struct vg_err *err)
{
	struct reg_opts ro = REG_OPTS_INIT;
	char *path = reg_path(m->opts.home);
	int rc;

	ro.manager_name = m->hostname;
	rc = reg_open(path, &ro, &m->registry, err);
	vg_free(path);
	return rc;
}

/* A configured path (relative to HOME), else HOME/etc/dflt; vg_free it. */
static char *home_path(const struct manager *m, const char *conf, const char *dflt)
{
	if (conf == NULL)
		return vg_xasprintf("%s/etc/%s", m->opts.home, dflt);
	if (conf[0] == '/')
		return vg_xstrdup(conf);
	return vg_xasprintf("%s/%s", m->opts.home, conf);
}

/*
 * The agent channel: listeners on each <remote> port and the <auth> port.
 * The registry goes to the remote's thread, its only writer from now on.
 */
static int remote_open_all(struct manager *m, struct vg_err *err)
{
	char *cert = home_path(m, m->cfg.auth.ssl_manager_cert, VG_PKI_SERVER_CERT);
	char *key = home_path(m, m->cfg.auth.ssl_manager_key, VG_PKI_SERVER_KEY);
	struct remote_opts ro = {
	    .home = m->opts.home,
	    .remote = &m->cfg.remote,
	    .auth = &m->cfg.auth,
	    .registry = m->registry, /* transferred */
	    .ca = m->ca,
	    .server_cert = cert,
	    .server_key = key,
	    .queue = m->queue,
	    .ingest = m->ingest,
	    .on_command_ack = on_command_ack,
	    .ack_ctx = m,
	};
	char *pw = NULL;
	size_t pwlen = 0;
	int rc;

	m->registry = NULL;
	rc = mgr_auth_password(&m->cfg.auth, m->opts.home, &pw, &pwlen, err);
	if (rc == 0) {
		ro.password = pw;
		ro.password_len = pwlen;
		rc = remote_open(&ro, &m->remote, err);
	} else {
		reg_close(ro.registry); /* it was transferred */
	}
	if (rc == 0)
		rc = remote_start(m->remote, err);
	vg_passfile_free(pw, pwlen);
	vg_free(cert);
	vg_free(key);
	return rc;
}

/*
 * The agents' FIFO, bounded by <remote><queue_size> records (of the first
 * listener; Wazuh's remoted queue) and MGR_INGEST_BYTES_DEFAULT bytes.
 */
static int ingest_open(struct manager *m, struct vg_err *err)
{
	struct mgr_ingest_opts io = MGR_INGEST_OPTS_INIT;

	if (m->cfg.remote.nremotes > 0 && m->cfg.remote.remotes[0].queue_size > 0)
		io.max_records = m->cfg.remote.remotes[0].queue_size;
	return mgr_ingest_new(&io, &m->ingest, err);
}

static int start(struct manager *m, struct vg_err *err)
{
	static const char *const dirs[] = {"etc/rules", "etc/lists", "queue/fim", "logs/alerts"};
	const struct vg_daemon_opts d = {
	    .home = m->opts.home,
	    .pid_name = "vigie-manager",
	    .dirs = dirs,
	    .ndirs = VG_ARRAY_LEN(dirs),
	    .foreground = m->opts.foreground,
	};
	char *q;
	int rc = vg_daemon_start(&d, &m->pidfile, err);

	if (rc != 0)
		return rc;
	q = vg_xasprintf("%s/queue/events.db", m->opts.home);
	rc = vg_dq_open(q, NULL, &m->queue, err);
	vg_free(q);
	if (rc == 0)
		rc = ingest_open(m, err);
	if (rc == 0)
		vg_dq_on_append(m->queue, kick_analysis, m->ingest);
	if (rc == 0)
		rc = registry_open(m, err);
	if (rc == 0)
		rc = pki_open(m, err);
	if (rc == 0)
		rc = pipeline_open(m, err);
	if (rc == 0 && m->cfg.remote.nremotes > 0)
		rc = remote_open_all(m, err);
	else if (rc == 0)
		vg_log_info("no <remote> block: no agent listener, this host only (agent 000)");
	if (rc == 0 && setpriority(PRIO_PROCESS, 0, m->cfg.syscheck.process_priority) != 0)
		vg_log_warn("cannot set process_priority %d: %s", m->cfg.syscheck.process_priority,
			    strerror(errno));
	return rc;
}

static void cleanup(struct manager *m)
{
	dashboard_stop_all(m);
	responder_stop_all(m); /* it borrows the remote */
	integrator_stop_all(m);
	remote_close(m->remote); /* stopped already; closes the registry */
	an_pipeline_close(m->pipeline);
	mgr_ingest_free(m->ingest);
	reg_close(m->registry);
	vg_pki_ca_free(m->ca);
	vg_dq_close(m->queue);
	vg_pidfile_release(m->pidfile);
	rules_set_free(m->rules);
	vg_free(m->config_path);
	vg_free(m->hostname);
	vg_free(m->ruleset_root);
	vt_client_global_cleanup();
	vg_log_close();
}

int main(int argc, char **argv)
{
	struct manager m = {.fim_lock = PTHREAD_MUTEX_INITIALIZER,
			    .resp_lock = PTHREAD_MUTEX_INITIALIZER};
	struct vg_err err = VG_ERR_INIT;
	bool loaded = false;
	pthread_t sigthr;
	int status;

	m.opts.home = VG_DEFAULT_HOME;
	status = vg_daemon_parse_args(argc, argv, "vigie-manager", usage, NULL, 0, NULL, &m.opts);

	if (status != 0)
		return status;
	vg_log_init("vigie-manager", m.opts.debug ? VG_LOG_DEBUG : VG_LOG_INFO);
	if (vt_client_global_init(&err) != 0) { /* libcurl, before any thread */
		fprintf(stderr, "vigie-manager: ERROR: %s\n", err.msg);
		return 1;
	}
	m.config_path = m.opts.config != NULL ? vg_xstrdup(m.opts.config)
					      : vg_xasprintf("%s/etc/ossec.conf", m.opts.home);
	m.hostname = vg_hostname();
	status = 1;
	if (mgr_ruleset_root(&m.ruleset_root, &err) != 0 ||
	    load_all(&m, &m.cfg, &m.rules, &err) != 0) {
		fprintf(stderr, "vigie-manager: ERROR: %s\n", err.msg);
		goto out;
	}
	loaded = true;
	if (m.opts.test_config) {
		printf("vigie-manager: %s: configuration OK (%zu rules, %zu lists, %zu "
		       "director%s)\n",
		       m.config_path, rules_set_count(m.rules), rules_set_list_count(m.rules),
		       m.cfg.syscheck.ndirs, m.cfg.syscheck.ndirs == 1 ? "y" : "ies");
		status = 0;
		goto out;
	}
	vg_daemon_signals(&m.signals);
	if (start(&m, &err) != 0 || fim_start(&m, &err) != 0 ||
	    integrator_start_all(&m, &err) != 0 || responder_start_all(&m, &err) != 0 ||
	    dashboard_start_all(&m, &err) != 0) {
		fprintf(stderr, "vigie-manager: ERROR: %s\n", err.msg);
		vg_log_error("%s", err.msg);
		fim_stop(&m);
		remote_stop(m.remote);
		goto out;
	}
	pthread_create(&sigthr, NULL, signal_thread, &m);
	pthread_detach(sigthr);
	vg_log_info("vigie-manager %s started: %zu rules, %zu lists, %zu director%s, home %s",
		    VIGIE_VERSION, rules_set_count(m.rules), rules_set_list_count(m.rules),
		    m.cfg.syscheck.ndirs, m.cfg.syscheck.ndirs == 1 ? "y" : "ies", m.opts.home);
	status = run(&m);
	vg_log_info("vigie-manager stopped");
out:
	if (loaded)
		mgr_config_free(&m.cfg);
	cleanup(&m);
	return status;
}
