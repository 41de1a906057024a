/*
 * executor.c - Active-response commands on this host (see executor.h).
 *
 * Two SQLite connections to HOME/queue/ar.db: the submitting thread's
 * (table ar_taken: every command id ever taken, the at-most-once record)
 * and the executor thread's (the log shipping position). Commands travel
 * from one to the other in a mutex-guarded FIFO; an eventfd wakes the
 * thread, inotify on the log file wakes it for lines written by others.
 *
 * A command taken is also kept in ar_pending, in the same transaction,
 * until the thread starts it: the row is deleted just before the run. So a
 * stop, a reload or a crash with commands waiting loses none of them (the
 * next open queues them again), and a command that had started is never
 * started twice, whatever happened during its run.
 */
#include "ar/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ar/actions.h"
#include "ar/arlog.h"
#include "ar/quarantine.h"
#include "ar/script.h"
#include "lib/clock.h"
#include "lib/common.h"
#include "lib/db.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

static const char schema[] =
    "CREATE TABLE ar_taken(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL);";

/* Added to schema 1 without a new version: older agents leave it alone. */
static const char pending_schema[] =
    "CREATE TABLE IF NOT EXISTS ar_pending(id INTEGER PRIMARY KEY, cmd TEXT NOT NULL);";

/* A command taken, waiting for the thread. */
struct pending {
	struct pending *next;
	uint64_t id;
	json_t *cmd;
};

/* A script's "delete", due at due_ms (Wazuh's timeout). */
struct undo {
	struct undo *next;
	char *executable, *extra_args;
	json_t *alert, *keys;
	int64_t due_ms;
};

struct ar_exec {
	char *home, *node;
	struct ar_roots *roots;
	int script_limit_ms;
	atomic_bool disabled;
	sqlite3 *db_submit, *db_thread;
	sqlite3_stmt *take, *keep; /* db_submit's: ar_taken, ar_pending */
	sqlite3_stmt *start;       /* db_thread's: a row of ar_pending goes */
	struct ar_logship *ls;
	pthread_mutex_t mu; /* guards the pending FIFO */
	struct pending *head, **tail;
	size_t npending;
	struct undo *undos; /* the thread's */
	int wakefd, infd, wd;
	atomic_bool stop;
	pthread_t thread;
	bool running;
};

static void wake(struct ar_exec *ex)
{
	uint64_t one = 1;

	if (write(ex->wakefd, &one, sizeof(one)) < 0)
		vg_log_warn("eventfd: %s", strerror(errno));
}

/* ---------------------------------------------------------------- taking */

/* The command's id (0 when it has none) and whether it is a command at all. */
static uint64_t command_id(const json_t *cmd)
{
	json_t *id = json_object_get(cmd, "id");

	return json_is_integer(id) && json_integer_value(id) > 0 ? (uint64_t)json_integer_value(id)
								 : 0;
}

static bool runnable(const json_t *cmd)
{
	const char *type = json_string_value(json_object_get(cmd, "type"));

	return type != NULL &&
	       (strcmp(type, "active-response") == 0 || strcmp(type, "quarantine") == 0);
}

/* Into the FIFO for the thread; cmd is transferred. */
static void queue(struct ar_exec *ex, uint64_t id, json_t *cmd)
{
	struct pending *p = vg_xcalloc(1, sizeof(*p));

	p->id = id;
	p->cmd = cmd;
	pthread_mutex_lock(&ex->mu);
	*ex->tail = p;
	ex->tail = &p->next;
	ex->npending++;
	pthread_mutex_unlock(&ex->mu);
}

/* Record id as taken and, when it can run, keep its text until it starts: one transaction. */
static int take(struct ar_exec *ex, const json_t *cmd, uint64_t id, const char *json, size_t len,
		bool *duplicate, struct vg_err *err)
{
	int rc = vg_db_begin(ex->db_submit, err);

	if (rc == 0) {
		sqlite3_bind_int64(ex->take, 1, (sqlite3_int64)id);
		sqlite3_bind_int64(ex->take, 2, vg_clock_ms(CLOCK_REALTIME));
		rc = vg_db_step(ex->take, "record a command", err);
	}
	if (rc == 0)
		*duplicate = sqlite3_changes(ex->db_submit) == 0;
	if (rc == 0 && !*duplicate && runnable(cmd)) {
		sqlite3_bind_int64(ex->keep, 1, (sqlite3_int64)id);
		sqlite3_bind_text(ex->keep, 2, json, (int)VG_MIN(len, (size_t)INT32_MAX),
				  SQLITE_STATIC);
		rc = vg_db_step(ex->keep, "keep a command until it runs", err);
	}
	return vg_db_end(ex->db_submit, rc, err);
}

int ar_exec_submit(struct ar_exec *ex, const char *json, size_t len, uint64_t *id, bool *duplicate,
		   struct vg_err *err)
{
	json_error_t je;
	json_t *cmd = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	int rc;

	*id = command_id(cmd);
	*duplicate = false;
	if (*id == 0) {
		rc = vg_err_set(err, VG_EPARSE, "a command without a positive id");
		goto out;
	}
	pthread_mutex_lock(&ex->mu);
	if (ex->npending >= AR_EXEC_PENDING_MAX) {
		pthread_mutex_unlock(&ex->mu);
		rc = vg_err_set(err, VG_ETOOBIG, "%zu commands wait already", ex->npending);
		goto out;
	}
	pthread_mutex_unlock(&ex->mu);
	if ((rc = take(ex, cmd, *id, json, len, duplicate, err)) != 0 || *duplicate)
		goto out;
	if (!runnable(cmd)) {
		rc = vg_err_set(err, VG_EPARSE, "command %llu: unknown type",
				(unsigned long long)*id);
		goto out;
	}
	queue(ex, *id, cmd); /* transferred */
	cmd = NULL;
	wake(ex);
out:
	json_decref(cmd);
	return rc;
}

static struct pending *pop(struct ar_exec *ex)
{
	struct pending *p;

	pthread_mutex_lock(&ex->mu);
	p = ex->head;
	if (p != NULL) {
		ex->head = p->next;
		if (ex->head == NULL)
			ex->tail = &ex->head;
		ex->npending--;
	}
	pthread_mutex_unlock(&ex->mu);
	return p;
}

/* ---------------------------------------------------------------- running */

static void report_failure(struct ar_exec *ex, const struct ar_act *a, const char *program,
			   const char *cmd, const char *action, const char *file,
			   const char *reason)
{
	struct ar_outcome o = {AR_FAILED, "", "", NULL};
	struct vg_err e = VG_ERR_INIT;

	vg_strlcpy(o.reason, reason, sizeof(o.reason));
	if (ar_act_report(a, program, cmd, action, file, &o, &e) != 0)
		vg_log_error("%s", e.msg);
}

static void log_outcome(uint64_t id, const char *what, const struct ar_outcome *o)
{
	if (o->status == AR_DONE)
		vg_log_info("command %llu: %s done%s%s", (unsigned long long)id, what,
			    o->qid[0] != '\0' ? ", quarantine id " : "", o->qid);
	else
		vg_log_warn("command %llu: %s %s: %s", (unsigned long long)id, what,
			    ar_status_name(o->status), o->reason);
}

static void run_builtin(struct ar_exec *ex, const struct ar_act *a, const json_t *cmd,
			const char *builtin)
{
	const json_t *tj = json_object_get(cmd, "target");
	struct ar_target t = {json_string_value(json_object_get(tj, "path")),
			      json_string_value(json_object_get(tj, "sha256")),
			      (uint64_t)json_integer_value(json_object_get(tj, "inode"))};
	struct ar_outcome o = {0};
	struct vg_err e = VG_ERR_INIT;
	bool quarantine = strcmp(builtin, "quarantine") == 0;
	int rc;

	if ((t.path == NULL || t.sha256 == NULL) && ar_target_of_alert(a->alert, &t, &e) != 0) {
		report_failure(ex, a, builtin, "add", builtin, NULL, e.msg);
		vg_log_warn("command %llu: %s: %s", (unsigned long long)a->command_id, builtin,
			    e.msg);
		return;
	}
	rc = quarantine ? ar_act_quarantine(a, &t, &o, &e) : ar_act_remove(a, &t, &o, &e);
	if (rc != 0)
		vg_log_error("command %llu: %s", (unsigned long long)a->command_id, e.msg);
	log_outcome(a->command_id, builtin, &o);
	ar_outcome_clear(&o);
}

/* check_keys: abort when a running add of the same program holds the keys. */
struct held_ctx {
	struct ar_exec *ex;
	const char *executable;
};

static bool keys_held(void *ctx, const json_t *keys)
{
	struct held_ctx *h = ctx;
	int64_t now = vg_clock_ms(CLOCK_REALTIME);

	for (struct undo *u = h->ex->undos; u != NULL; u = u->next)
		if (u->due_ms > now && strcmp(u->executable, h->executable) == 0 &&
		    json_equal(u->keys, keys))
			return true;
	return false;
}

static void undo_free(struct undo *u)
{
	vg_free(u->executable);
	vg_free(u->extra_args);
	json_decref(u->alert);
	json_decref(u->keys);
	vg_free(u);
}

static void remember_undo(struct ar_exec *ex, const char *executable, const char *extra,
			  const json_t *alert, json_t *keys, int64_t timeout_s)
{
	struct undo *u = vg_xcalloc(1, sizeof(*u));

	u->executable = vg_xstrdup(executable);
	u->extra_args = extra != NULL ? vg_xstrdup(extra) : NULL;
	u->alert = json_deep_copy(alert);
	u->keys = keys != NULL ? json_incref(keys) : json_array();
	u->due_ms = vg_clock_ms(CLOCK_REALTIME) + timeout_s * 1000;
	u->next = ex->undos;
	ex->undos = u;
}

/* Run a script; a failure to run or a non-zero exit is reported. */
static void run_script_once(struct ar_exec *ex, const struct ar_act *a, const char *executable,
			    const char *extra, const char *command, int64_t timeout_s)
{
	struct held_ctx h = {ex, executable};
	struct ar_script_run r = {ex->home, executable,          ex->node,  command, a->alert,
				  extra,    ex->script_limit_ms, keys_held, &h};
	struct ar_script_result res = {0};
	struct vg_err e = VG_ERR_INIT;
	struct ar_target t = {0};
	int rc = ar_script_run(&r, &res, &e);
	const char *why = rc != 0 ? e.msg : res.reason;

	if (ar_target_of_alert(a->alert, &t, NULL) != 0)
		t.path = NULL; /* a script's alert need not name a file */
	if (rc != 0 || res.killed || res.exit_status != 0) {
		vg_log_warn("command %llu: %s %s: %s", (unsigned long long)a->command_id,
			    executable, command, why);
		report_failure(ex, a, executable, command, "script", t.path, why);
	} else if (res.aborted) {
		vg_log_info("command %llu: %s %s aborted: the same keys are held",
			    (unsigned long long)a->command_id, executable, command);
	} else {
		vg_log_info("command %llu: %s %s done", (unsigned long long)a->command_id,
			    executable, command);
		if (timeout_s > 0 && strcmp(command, "add") == 0)
			remember_undo(ex, executable, extra, a->alert, res.keys, timeout_s);
	}
	ar_script_result_clear(&res);
}

static void run_response(struct ar_exec *ex, const struct ar_act *a, const json_t *cmd)
{
	const char *builtin = json_string_value(json_object_get(cmd, "builtin"));
	const char *exe = json_string_value(json_object_get(cmd, "executable"));

	if (builtin != NULL &&
	    (strcmp(builtin, "quarantine") == 0 || strcmp(builtin, "remove-threat") == 0))
		run_builtin(ex, a, cmd, builtin);
	else if (exe != NULL)
		run_script_once(ex, a, exe, json_string_value(json_object_get(cmd, "extra_args")),
				"add", json_integer_value(json_object_get(cmd, "timeout")));
	else
		report_failure(ex, a, "unknown", "add", "script", NULL,
			       "the command names neither a built-in nor an executable");
}

static void run_quarantine_op(const struct ar_act *a, const json_t *cmd)
{
	const char *op = json_string_value(json_object_get(cmd, "op"));
	const char *qid = json_string_value(json_object_get(cmd, "qid"));
	struct ar_outcome o = {0};
	struct vg_err e = VG_ERR_INIT;
	int rc;

	if (qid == NULL)
		qid = "";
	if (op != NULL && strcmp(op, "restore") == 0)
		rc = ar_act_restore(a, qid, json_is_true(json_object_get(cmd, "force")), &o, &e);
	else if (op != NULL && strcmp(op, "delete") == 0)
		rc = ar_act_delete(a, qid, &o, &e);
	else {
		vg_log_warn("command %llu: unknown quarantine operation",
			    (unsigned long long)a->command_id);
		return;
	}
	if (rc != 0)
		vg_log_error("command %llu: %s", (unsigned long long)a->command_id, e.msg);
	log_outcome(a->command_id, op, &o);
	ar_outcome_clear(&o);
}

static void run_pending(struct ar_exec *ex, struct pending *p)
{
	const char *type = json_string_value(json_object_get(p->cmd, "type"));
	struct ar_act a = {ex->home, ex->node, ex->roots, p->id, json_object_get(p->cmd, "alert")};

	if (atomic_load(&ex->disabled)) {
		struct vg_err e = VG_ERR_INIT;
		vg_log_warn("command %llu refused: active response is disabled on this host",
			    (unsigned long long)p->id);
		if (ar_act_refuse(&a, p->cmd,
				  "active response is disabled on this host "
				  "(<active-response><disabled>yes</disabled> in its ossec.conf)",
				  &e) != 0)
			vg_log_error("%s", e.msg);
	} else if (strcmp(type, "quarantine") == 0)
		run_quarantine_op(&a, p->cmd);
	else
		run_response(ex, &a, p->cmd);
}

/* Run the "delete" of every script whose timeout passed. */
static void run_undos(struct ar_exec *ex)
{
	int64_t now = vg_clock_ms(CLOCK_REALTIME);

	for (struct undo **pu = &ex->undos; *pu != NULL;) {
		struct undo *u = *pu;
		if (u->due_ms > now) {
			pu = &u->next;
			continue;
		}
		*pu = u->next;
		struct ar_act a = {ex->home, ex->node, ex->roots, 0, u->alert};
		run_script_once(ex, &a, u->executable, u->extra_args, "delete", 0);
		undo_free(u);
	}
}

/* ---------------------------------------------------------------- the thread */

/* Watch the log file (created empty if missing) for lines others write. */
static void watch_log(struct ar_exec *ex)
{
	const char *path = ar_logship_path(ex->ls);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);

	if (fd >= 0)
		close(fd);
	ex->wd = inotify_add_watch(ex->infd, path,
				   IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB);
	if (ex->wd < 0)
		vg_log_warn("cannot watch %s: %s (its lines are shipped after each command)", path,
			    strerror(errno));
}

static void drain(struct ar_exec *ex)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t v;
	ssize_t n;
	bool rewatch = false;

	if (read(ex->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		vg_log_warn("eventfd: %s", strerror(errno));
	while ((n = read(ex->infd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			rewatch |= (ev->mask & (IN_IGNORED | IN_MOVE_SELF | IN_DELETE_SELF)) != 0;
			p += sizeof(*ev) + ev->len;
		}
	if (rewatch) {
		if (ex->wd >= 0)
			inotify_rm_watch(ex->infd, ex->wd);
		watch_log(ex);
	}
}

static int poll_timeout(const struct ar_exec *ex, int behind)
{
	int64_t next = behind ? vg_clock_ms(CLOCK_REALTIME) + AR_EXEC_RETRY_MS : -1;

	for (const struct undo *u = ex->undos; u != NULL; u = u->next)
		if (next < 0 || u->due_ms < next)
			next = u->due_ms;
	if (next < 0)
		return -1;
	next -= vg_clock_ms(CLOCK_REALTIME);
	return next < 0 ? 0 : next > 3600000 ? 3600000 : (int)next;
}

/*
 * The command leaves ar_pending before it runs: from here on it is never
 * started again. False (logged) when the row could not go: the command
 * then waits in the table for the next start rather than risk a second run.
 */
static bool start(struct ar_exec *ex, uint64_t id)
{
	struct vg_err e = VG_ERR_INIT;

	sqlite3_bind_int64(ex->start, 1, (sqlite3_int64)id);
	if (vg_db_step(ex->start, "starting a command", &e) == 0)
		return true;
	vg_log_error("command %llu kept for the next start: %s", (unsigned long long)id, e.msg);
	return false;
}

static void *thread_main(void *arg)
{
	struct ar_exec *ex = arg;
	struct pollfd pfd[2] = {{ex->wakefd, POLLIN, 0}, {ex->infd, POLLIN, 0}};
	struct vg_err e = VG_ERR_INIT;
	struct pending *p;
	int behind = 0;

	watch_log(ex);
	while (!atomic_load(&ex->stop)) {
		while (!atomic_load(&ex->stop) && (p = pop(ex)) != NULL) {
			if (start(ex, p->id))
				run_pending(ex, p);
			json_decref(p->cmd);
			vg_free(p);
		}
		run_undos(ex);
		vg_err_clear(&e);
		if (ar_logship_run(ex->ls, &behind, &e) != 0)
			vg_log_error("%s", e.msg);
		if (atomic_load(&ex->stop))
			break;
		if (poll(pfd, 2, poll_timeout(ex, behind)) < 0 && errno != EINTR)
			vg_log_error("poll: %s", strerror(errno));
		drain(ex);
	}
	return NULL;
}

/* ---------------------------------------------------------------- life */

static int open_db(const char *home, sqlite3 **db, struct vg_err *err)
{
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	char *path = vg_xasprintf("%s/%s", home, AR_EXEC_DB);
	int rc;

	o.what = "active-response state";
	rc = vg_db_open(path, &o, db, err);
	vg_free(path);
	return rc;
}

/* The commands a previous run took and did not start, in the order taken. */
static int load_pending(struct ar_exec *ex, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc =
	    vg_db_prepare(ex->db_submit, "SELECT id, cmd FROM ar_pending ORDER BY id", &st, err);

	while (rc == 0 && (rc = vg_db_step(st, "reading the waiting commands", err)) == 1) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		json_t *cmd = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		rc = 0;
		if (cmd == NULL) { /* taken whole, so only a damaged file gets here */
			vg_log_error("command %llu in %s is not JSON: not run",
				     (unsigned long long)id, AR_EXEC_DB);
			continue;
		}
		queue(ex, id, cmd);
	}
	sqlite3_finalize(st);
	if (rc == 0 && ex->npending > 0)
		vg_log_info("%zu active-response commands taken before wait to run", ex->npending);
	return rc;
}

int ar_exec_open(const struct ar_exec_opts *o, struct ar_exec **out, struct vg_err *err)
{
	struct ar_exec *ex = vg_xcalloc(1, sizeof(*ex));
	struct fim_config none;
	char *qdir = vg_xasprintf("%s/queue", o->home);
	/* HOME/logs too: Wazuh scripts append to the log without creating it,
	 * and the thread watches the log only if it can create it */
	char *ldir = vg_xasprintf("%s/logs", o->home);
	int rc;

	*out = NULL;
	ex->home = vg_xstrdup(o->home);
	ex->node = vg_xstrdup(o->node != NULL ? o->node : "");
	ex->script_limit_ms = o->script_limit_ms;
	atomic_store(&ex->disabled, o->disabled);
	ex->tail = &ex->head;
	ex->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ex->infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ex->wd = -1;
	pthread_mutex_init(&ex->mu, NULL);
	fim_config_init(&none);
	if (ex->wakefd < 0 || ex->infd < 0) {
		rc = vg_err_errno(err, errno, "cannot create the executor's descriptors");
		goto out;
	}
	if ((rc = vg_fs_mkdirs(qdir, 0750, err)) != 0 ||
	    (rc = vg_fs_mkdirs(ldir, 0750, err)) != 0 ||
	    (rc = ar_roots_new(o->fim != NULL ? o->fim : &none, &ex->roots, err)) != 0 ||
	    (rc = open_db(o->home, &ex->db_submit, err)) != 0 ||
	    (rc = vg_db_schema(ex->db_submit, schema, 1, err)) != 0 ||
	    (rc = vg_db_exec(ex->db_submit, pending_schema, "creating ar_pending", err)) != 0 ||
	    (rc = vg_db_prepare(ex->db_submit, "INSERT OR IGNORE INTO ar_taken VALUES (?, ?)",
				&ex->take, err)) != 0 ||
	    (rc = vg_db_prepare(ex->db_submit, "INSERT INTO ar_pending VALUES (?, ?)", &ex->keep,
				err)) != 0 ||
	    (rc = load_pending(ex, err)) != 0 ||
	    (rc = open_db(o->home, &ex->db_thread, err)) != 0 ||
	    (rc = vg_db_prepare(ex->db_thread, "DELETE FROM ar_pending WHERE id = ?", &ex->start,
				err)) != 0 ||
	    (rc = ar_logship_open(ex->db_thread, o->home, o->emit, o->ctx, &ex->ls, err)) != 0)
		goto out;
out:
	fim_config_free(&none);
	vg_free(qdir);
	vg_free(ldir);
	if (rc != 0)
		ar_exec_close(ex);
	else
		*out = ex;
	return rc;
}

int ar_exec_start(struct ar_exec *ex, struct vg_err *err)
{
	int rc = pthread_create(&ex->thread, NULL, thread_main, ex);

	if (rc != 0)
		return vg_err_errno(err, rc, "cannot start the active-response thread");
	ex->running = true;
	return 0;
}

void ar_exec_set_disabled(struct ar_exec *ex, bool disabled)
{
	if (ex != NULL)
		atomic_store(&ex->disabled, disabled);
}

void ar_exec_stop(struct ar_exec *ex)
{
	if (ex == NULL || !ex->running)
		return;
	atomic_store(&ex->stop, true);
	wake(ex);
	pthread_join(ex->thread, NULL);
	ex->running = false;
}

void ar_exec_close(struct ar_exec *ex)
{
	struct pending *p;

	if (ex == NULL)
		return;
	ar_exec_stop(ex);
	if (ex->npending > 0)
		vg_log_info("%zu active-response commands wait for the next start", ex->npending);
	while ((p = pop(ex)) != NULL) { /* kept in ar_pending */
		json_decref(p->cmd);
		vg_free(p);
	}
	for (struct undo *u = ex->undos, *n; u != NULL; u = n) {
		n = u->next;
		undo_free(u);
	}
	ar_logship_close(ex->ls);
	sqlite3_finalize(ex->take);
	sqlite3_finalize(ex->keep);
	sqlite3_finalize(ex->start);
	vg_db_close(ex->db_thread);
	vg_db_close(ex->db_submit);
	ar_roots_free(ex->roots);
	if (ex->wakefd >= 0)
		close(ex->wakefd);
	if (ex->infd >= 0)
		close(ex->infd);
	pthread_mutex_destroy(&ex->mu);
	vg_free(ex->home);
	vg_free(ex->node);
	vg_free(ex);
}
