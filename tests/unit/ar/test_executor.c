/*
 * Unit tests for src/ar/executor.c: commands taken at most once (across a
 * restart too), built-ins and Wazuh scripts run by the executor's thread,
 * a script's "delete" after its timeout, and the log's lines shipped to
 * the emit callback, including lines written by others (inotify).
 *
 * Everything is real: a mkdtemp directory holds HOME and the watched root,
 * the state is HOME/queue/ar.db, the scripts are shell scripts in
 * HOME/active-response/bin, and the executor's own thread calls emit,
 * which records the lines under a mutex with a condition variable the
 * test waits on (with a timeout, so a missing line fails, not hangs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ar/arlog.h"
#include "ar/executor.h"
#include "ar/quarantine.h"
#include "fim/hash.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "support/support.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define WAIT_MS 10000 /* for a line that must come */
#define QUIET_MS 400  /* for lines that must not */
#define MAX_LINES 64

/* What emit was handed; filled by the executor's thread. */
struct rec {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n;
	uint64_t seq[MAX_LINES];
	char *line[MAX_LINES];
	char *location[MAX_LINES];
};

struct fx {
	char base[PATH_MAX];
	char home[PATH_MAX];
	char watch[PATH_MAX];
	char log[PATH_MAX];
	char file[PATH_MAX]; /* watch/eicar.com */
	char sha[65];
	struct fim_config fim;
	struct rec rec;
	struct ar_exec *ex;
	struct vg_err err;
};

/* ---------------------------------------------------------------- helpers */

static int emit(void *ctx, uint64_t seq, const char *location, const char *line, size_t len)
{
	struct rec *r = ctx;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (r->n < MAX_LINES) {
		r->seq[r->n] = seq;
		r->line[r->n] = vg_xmalloc(len + 1);
		memcpy(r->line[r->n], line, len);
		r->line[r->n][len] = '\0';
		r->location[r->n] = vg_xstrdup(location);
		r->n++;
		pthread_cond_broadcast(&r->cv);
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static void rec_clear(struct rec *r)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++) {
		vg_free(r->line[i]);
		vg_free(r->location[i]);
	}
	r->n = 0;
	pthread_mutex_unlock(&r->mu);
}

static struct timespec deadline(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The index of the first line from `from` holding every one of the
 * NULL-terminated needles, waiting up to ms for it; -1 if none came. */
static int rec_wait(struct rec *r, size_t from, int ms, ...)
{
	struct timespec until = deadline(ms);
	int found = -1, rc = 0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		for (size_t i = from; i < r->n && found < 0; i++) {
			va_list ap;
			const char *needle;
			bool all = true;

			va_start(ap, ms);
			while (all && (needle = va_arg(ap, const char *)) != NULL)
				all = strstr(r->line[i], needle) != NULL;
			va_end(ap);
			if (all)
				found = (int)i;
		}
		if (found >= 0 || rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&r->cv, &r->mu, &until);
	}
	pthread_mutex_unlock(&r->mu);
	return found;
}

static void must_wait(struct fx *f, size_t from, const char *a, const char *b, int *at)
{
	int i = rec_wait(&f->rec, from, WAIT_MS, a, b, (const char *)NULL);

	if (i < 0) {
		pthread_mutex_lock(&f->rec.mu);
		for (size_t k = 0; k < f->rec.n; k++)
			fprintf(stderr, "emitted %zu: %s\n", k, f->rec.line[k]);
		pthread_mutex_unlock(&f->rec.mu);
		fail_msg("no line with '%s' and '%s' within %d ms", a, b != NULL ? b : "", WAIT_MS);
	}
	if (at != NULL)
		*at = i;
}

static void append(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(close(fd), 0);
}

static int count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), s = strlen(suffix);
		n += l > s && strcmp(e->d_name + l - s, suffix) == 0;
	}
	closedir(d);
	return n;
}

static int quarantined(const struct fx *f)
{
	char q[PATH_MAX];

	vg_test_fmt(q, sizeof(q), "%s/" AR_QUARANTINE_DIR, f->home);
	return count_suffix(q, ".bin");
}

static void open_ex_disabled(struct fx *f, bool disabled)
{
	const struct ar_exec_opts o = {f->home, &f->fim, "node1", emit, &f->rec, 5000, disabled};

	if (ar_exec_open(&o, &f->ex, &f->err) != 0)
		fail_msg("ar_exec_open: %s", f->err.msg);
}

static void open_ex(struct fx *f)
{
	open_ex_disabled(f, false);
}

static void start_ex(struct fx *f)
{
	open_ex(f);
	if (ar_exec_start(f->ex, &f->err) != 0)
		fail_msg("ar_exec_start: %s", f->err.msg);
}

static void close_ex(struct fx *f)
{
	ar_exec_close(f->ex);
	f->ex = NULL;
}

static int submit(struct fx *f, const char *json, uint64_t *id, bool *dup)
{
	vg_err_clear(&f->err);
	return ar_exec_submit(f->ex, json, strlen(json), id, dup, &f->err);
}

static void submit_ok(struct fx *f, const char *json, uint64_t want_id, bool want_dup)
{
	uint64_t id = 0;
	bool dup = !want_dup;
	int rc = submit(f, json, &id, &dup);

	if (rc != 0)
		fail_msg("ar_exec_submit: %d %s", rc, f->err.msg);
	assert_int_equal(id, want_id);
	assert_int_equal(dup, want_dup);
}

/* The quarantine command for f->file. Caller frees. */
static char *quarantine_cmd(const struct fx *f, unsigned id)
{
	return vg_xasprintf(
	    "{\"id\":%u,\"type\":\"active-response\",\"name\":\"quarantine\","
	    "\"builtin\":\"quarantine\",\"target\":{\"path\":\"%s\",\"sha256\":\"%s\"},"
	    "\"alert\":{\"id\":\"1700000000.9\",\"rule\":{\"id\":\"87105\"},\"data\":{"
	    "\"virustotal\":{\"sha256\":\"%s\",\"source\":{\"file\":\"%s\"}}}}}",
	    id, f->file, f->sha, f->sha, f->file);
}

/* A script command for executable. Caller frees. */
static char *script_cmd(unsigned id, const char *exe, int timeout)
{
	return vg_xasprintf("{\"id\":%u,\"type\":\"active-response\",\"name\":\"%s\","
			    "\"builtin\":null,\"executable\":\"%s\",\"timeout\":%d,"
			    "\"alert\":{\"rule\":{\"id\":\"5710\"},\"data\":{\"srcip\":"
			    "\"192.0.2.7\"}}}",
			    id, exe, exe, timeout);
}

/*
 * HOME/active-response/bin/NAME: reads its stdin line, keeps it in
 * HOME/seen-NAME (cwd is HOME), writes a Wazuh-style line to the log
 * relative to $0 as Wazuh's scripts do, then exits with status.
 */
static void install_script(const struct fx *f, const char *name, int status)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char *body = vg_xasprintf(
	    "#!/bin/sh\n"
	    "read -r line\n"
	    "printf '%%s\\n' \"$line\" >> seen-%s\n"
	    "log=\"$(dirname \"$0\")/../../logs/active-responses.log\"\n"
	    "printf '%%s %%s: %%s done\\n' \"$(date '+%%Y/%%m/%%d %%H:%%M:%%S')\" \"$0\" "
	    "\"$line\" >> \"$log\"\n"
	    "exit %d\n",
	    name, status);

	vg_test_fmt(dir, sizeof(dir), "%s/active-response", f->home);
	assert_true(mkdir(dir, 0750) == 0 || errno == EEXIST);
	vg_test_fmt(dir, sizeof(dir), "%s/active-response/bin", f->home);
	assert_true(mkdir(dir, 0750) == 0 || errno == EEXIST);
	vg_test_fmt(path, sizeof(path), "%s/%s", dir, name);
	vg_test_write_file(path, body, 0750);
	vg_free(body);
}

/* What script name was handed on stdin so far ("" when never run). Caller frees. */
static char *seen(const struct fx *f, const char *name)
{
	char path[PATH_MAX];

	vg_test_fmt(path, sizeof(path), "%s/seen-%s", f->home, name);
	if (access(path, F_OK) != 0)
		return vg_xstrdup("");
	return vg_test_read_file(path);
}

/* ---------------------------------------------------------------- fixtures */

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char tmp[] = "/tmp/vg-test-exec-XXXXXX";
	struct fim_digests d;

	vg_log_set_level(VG_LOG_ERROR);
	if (mkdtemp(tmp) == NULL || realpath(tmp, f->base) == NULL)
		return -1;
	vg_test_fmt(f->home, sizeof(f->home), "%s/home", f->base);
	vg_test_fmt(f->watch, sizeof(f->watch), "%s/watch", f->base);
	vg_test_fmt(f->log, sizeof(f->log), "%s/" AR_LOG_FILE, f->home);
	vg_test_fmt(f->file, sizeof(f->file), "%s/eicar.com", f->watch);
	/* HOME has no logs/ nor queue/ yet: the executor makes what it needs */
	if (mkdir(f->home, 0750) != 0 || mkdir(f->watch, 0755) != 0)
		return -1;
	vg_test_write_file(f->file, EICAR, 0644);
	fim_hash_buffer(EICAR, strlen(EICAR), FIM_CHECK_SHA256, &d);
	memcpy(f->sha, d.sha256, sizeof(f->sha));
	fim_config_init(&f->fim);
	f->fim.dirs = vg_xcalloc(1, sizeof(*f->fim.dirs));
	f->fim.dirs[0].path = vg_xstrdup(f->watch);
	f->fim.ndirs = 1;
	pthread_mutex_init(&f->rec.mu, NULL);
	pthread_cond_init(&f->rec.cv, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ar_exec_close(f->ex);
	rec_clear(&f->rec);
	pthread_cond_destroy(&f->rec.cv);
	pthread_mutex_destroy(&f->rec.mu);
	fim_config_free(&f->fim);
	vg_test_rmtree(f->base);
	vg_free(f);
	return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_executor__quarantine_runs_once_across_restarts(void **state)
{
	struct fx *f = *state;
	char *cmd = quarantine_cmd(f, 5);
	int at = -1;

	start_ex(f);
	submit_ok(f, cmd, 5, false);
	must_wait(f, 0, " Quarantined threat", "\"command_id\":\"5\"", &at);
	assert_int_equal(at, 0);
	assert_int_equal(f->rec.seq[0], 1);
	assert_string_equal(f->rec.location[0], f->log);
	assert_non_null(strstr(f->rec.line[0], " active-response/bin/quarantine: {"));
	assert_non_null(strstr(f->rec.line[0], "\"status\":\"done\""));
	assert_int_equal(access(f->file, F_OK), -1);
	assert_int_equal(quarantined(f), 1);

	/* the same id again: taken already, nothing runs (the file is back,
	 * and stays) */
	vg_test_write_file(f->file, EICAR, 0644);
	submit_ok(f, cmd, 5, true);
	assert_int_equal(rec_wait(&f->rec, 1, QUIET_MS, "", (const char *)NULL), -1);
	assert_int_equal(access(f->file, F_OK), 0);
	assert_int_equal(quarantined(f), 1);

	/* a restart: still taken; and the log is not shipped again */
	close_ex(f);
	rec_clear(&f->rec);
	start_ex(f);
	submit_ok(f, cmd, 5, true);
	assert_int_equal(rec_wait(&f->rec, 0, QUIET_MS, "", (const char *)NULL), -1);
	assert_int_equal(access(f->file, F_OK), 0);

	/* a new id for the same file does run, with the next number */
	vg_free(cmd);
	cmd = quarantine_cmd(f, 6);
	submit_ok(f, cmd, 6, false);
	must_wait(f, 0, " Quarantined threat", "\"command_id\":\"6\"", &at);
	assert_int_equal(f->rec.seq[at], 2);
	assert_int_equal(quarantined(f), 2);
	vg_free(cmd);
}

/* <active-response><disabled>yes: taken (once), reported refused, not run. */
static void test_executor__disabled_host_refuses_and_reports(void **state)
{
	struct fx *f = *state;
	char *cmd = quarantine_cmd(f, 8);
	int at = -1;

	open_ex_disabled(f, true);
	if (ar_exec_start(f->ex, &f->err) != 0)
		fail_msg("ar_exec_start: %s", f->err.msg);
	submit_ok(f, cmd, 8, false);
	must_wait(f, 0, " Error quarantining threat", "\"status\":\"refused\"", &at);
	assert_non_null(strstr(f->rec.line[at], "active response is disabled on this host"));
	assert_non_null(strstr(f->rec.line[at], "\"command_id\":\"8\""));
	assert_int_equal(access(f->file, F_OK), 0);
	assert_int_equal(quarantined(f), 0);
	submit_ok(f, cmd, 8, true);

	/* enabled again (a reload): the next command runs */
	ar_exec_set_disabled(f->ex, false);
	vg_free(cmd);
	cmd = quarantine_cmd(f, 9);
	submit_ok(f, cmd, 9, false);
	must_wait(f, 0, " Quarantined threat", "\"command_id\":\"9\"", &at);
	assert_int_equal(quarantined(f), 1);
	vg_free(cmd);
}

static void test_executor__bad_commands_refused(void **state)
{
	struct fx *f = *state;
	uint64_t id = 99;
	bool dup = true;
	const char *no_id = "{\"type\":\"active-response\",\"builtin\":\"quarantine\"}";
	const char *unknown = "{\"id\":9,\"type\":\"reboot\"}";

	open_ex(f); /* submit does not need the thread */
	assert_int_equal(submit(f, no_id, &id, &dup), VG_EPARSE);
	assert_int_equal(id, 0);
	assert_false(dup);
	id = 99;
	assert_int_equal(submit(f, "not json", &id, &dup), VG_EPARSE);
	assert_int_equal(id, 0);
	assert_int_equal(submit(f, "{\"id\":-4,\"type\":\"quarantine\"}", &id, &dup), VG_EPARSE);
	assert_int_equal(id, 0);
	assert_int_equal(submit(f, "{\"id\":\"4\",\"type\":\"quarantine\"}", &id, &dup), VG_EPARSE);
	assert_int_equal(id, 0);

	/* a command with an id but no known type: refused, yet recorded */
	assert_int_equal(submit(f, unknown, &id, &dup), VG_EPARSE);
	assert_int_equal(id, 9);
	assert_false(dup);
	submit_ok(f, unknown, 9, true);
	close_ex(f);
	open_ex(f);
	submit_ok(f, unknown, 9, true);
}

static void test_executor__script_line_shipped(void **state)
{
	struct fx *f = *state;
	char *cmd = script_cmd(10, "t.sh", 0), *s;
	int at = -1;

	install_script(f, "t.sh", 0);
	start_ex(f);
	submit_ok(f, cmd, 10, false);
	must_wait(f, 0, " active-response/bin/t.sh: {", "} done", &at);
	assert_int_equal(f->rec.seq[at], 1);
	assert_non_null(strstr(f->rec.line[at], "\"command\":\"add\""));
	assert_non_null(strstr(f->rec.line[at], "\"srcip\":\"192.0.2.7\""));
	s = seen(f, "t.sh");
	assert_int_equal(vg_test_count(s, "\n"), 1);
	assert_non_null(strstr(s, "\"program\":\"active-response/bin/t.sh\""));
	vg_free(s);
	/* no timeout: no delete, and success has no report of the executor's */
	assert_int_equal(rec_wait(&f->rec, (size_t)at + 1, QUIET_MS, "", (const char *)NULL), -1);
	vg_free(cmd);
}

static void test_executor__failing_script_reported(void **state)
{
	struct fx *f = *state;
	char *cmd = script_cmd(11, "fail.sh", 0);
	int at = -1;

	install_script(f, "fail.sh", 3);
	start_ex(f);
	submit_ok(f, cmd, 11, false);
	must_wait(f, 0, "\"action\":\"script\"", "\"status\":\"failed\"", &at);
	assert_non_null(strstr(f->rec.line[at], " active-response/bin/fail.sh: {"));
	assert_non_null(strstr(f->rec.line[at], "\"command_id\":\"11\""));
	assert_non_null(strstr(f->rec.line[at], "\"reason\":"));
	vg_free(cmd);

	/* a script that is not there is reported the same way */
	cmd = script_cmd(12, "missing.sh", 0);
	submit_ok(f, cmd, 12, false);
	must_wait(f, 0, "\"command_id\":\"12\"", "\"status\":\"failed\"", NULL);
	vg_free(cmd);
}

static void test_executor__script_timeout_runs_delete(void **state)
{
	struct fx *f = *state;
	char *cmd = script_cmd(13, "t.sh", 1), *s;
	int64_t t0;
	int add = -1, del = -1;

	install_script(f, "t.sh", 0);
	start_ex(f);
	t0 = mono_ms();
	submit_ok(f, cmd, 13, false);
	must_wait(f, 0, "\"command\":\"add\"", "} done", &add);
	must_wait(f, 0, "\"command\":\"delete\"", "} done", &del);
	assert_true(mono_ms() - t0 >= 900);
	assert_true(del > add);
	s = seen(f, "t.sh");
	assert_int_equal(vg_test_count(s, "\n"), 2);
	assert_true(strstr(s, "\"command\":\"add\"") < strstr(s, "\"command\":\"delete\""));
	assert_non_null(strstr(strstr(s, "\"command\":\"delete\""), "192.0.2.7"));
	vg_free(s);
	vg_free(cmd);
}

static void test_executor__lines_written_by_others_shipped(void **state)
{
	struct fx *f = *state;
	char *tmp = vg_xasprintf("%s.1", f->log);
	int at = -1;

	start_ex(f);
	/* the thread is idle in poll(): only inotify can wake it */
	usleep(200 * 1000);
	append(f->log, "2024/01/01 00:00:00 active-response/bin/x: {\"a\":1} by the CLI\n");
	must_wait(f, 0, "by the CLI", NULL, &at);
	assert_int_equal(f->rec.seq[at], 1);
	append(f->log, "second\n");
	must_wait(f, 0, "second", NULL, &at);
	assert_int_equal(f->rec.seq[at], 2);

	/* rotated under it: the new file is read, and watched */
	vg_test_write_file(tmp, "rotated 1\n", 0640);
	assert_int_equal(rename(tmp, f->log), 0);
	must_wait(f, 0, "rotated 1", NULL, &at);
	assert_int_equal(f->rec.seq[at], 3);
	usleep(100 * 1000);
	append(f->log, "rotated 2\n");
	must_wait(f, 0, "rotated 2", NULL, &at);
	assert_int_equal(f->rec.seq[at], 4);
	vg_free(tmp);
}

/* A stop, a reload or a crash with commands waiting: they run at the next start, once. */
static void test_executor__commands_waiting_at_a_stop_run_at_the_next_start(void **state)
{
	struct fx *f = *state;
	char *slow = script_cmd(20, "slow.sh", 0), *q = quarantine_cmd(f, 21);
	char path[PATH_MAX];
	int64_t t0;
	int at = -1;

	vg_test_fmt(path, sizeof(path), "%s/active-response/bin/slow.sh", f->home);
	install_script(f, "slow.sh", 0);
	vg_test_write_file(path, "#!/bin/sh\nsleep 1\n", 0750);
	start_ex(f);
	submit_ok(f, slow, 20, false);
	submit_ok(f, q, 21, false);
	t0 = mono_ms();
	ar_exec_stop(f->ex);
	ar_exec_stop(f->ex); /* idempotent */
	close_ex(f);
	assert_true(mono_ms() - t0 < 4000);
	assert_int_equal(access(f->file, F_OK), 0); /* 21 did not run... */
	rec_clear(&f->rec);
	start_ex(f); /* ...and does now, taken once still */
	must_wait(f, 0, " Quarantined threat", "\"command_id\":\"21\"", &at);
	assert_int_equal(access(f->file, F_OK), -1);
	submit_ok(f, q, 21, true);
	close_ex(f);

	/* taken without a thread ever started (a crash right after the ACK) */
	vg_test_write_file(f->file, EICAR, 0644);
	open_ex(f);
	vg_free(q);
	q = quarantine_cmd(f, 22);
	submit_ok(f, q, 22, false);
	close_ex(f);
	assert_int_equal(access(f->file, F_OK), 0);
	rec_clear(&f->rec);
	start_ex(f);
	must_wait(f, 0, " Quarantined threat", "\"command_id\":\"22\"", &at);
	assert_int_equal(quarantined(f), 2);
	/* run: not kept any more, so a third start runs nothing */
	close_ex(f);
	rec_clear(&f->rec);
	vg_test_write_file(f->file, EICAR, 0644);
	start_ex(f);
	assert_int_equal(rec_wait(&f->rec, 0, QUIET_MS, "Quarantined", (const char *)NULL), -1);
	assert_int_equal(access(f->file, F_OK), 0);
	ar_exec_stop(NULL);
	ar_exec_close(NULL);
	vg_free(slow);
	vg_free(q);
}

static void test_executor__too_many_pending_refused(void **state)
{
	struct fx *f = *state;
	uint64_t id = 0;
	bool dup = true;
	char cmd[128];

	open_ex(f);
	for (unsigned i = 1; i <= AR_EXEC_PENDING_MAX; i++) {
		vg_test_fmt(cmd, sizeof(cmd),
			    "{\"id\":%u,\"type\":\"quarantine\",\"op\":\"delete\"}", i);
		submit_ok(f, cmd, i, false);
	}
	vg_test_fmt(cmd, sizeof(cmd), "{\"id\":%u,\"type\":\"quarantine\",\"op\":\"delete\"}",
		    AR_EXEC_PENDING_MAX + 1);
	assert_int_equal(submit(f, cmd, &id, &dup), VG_ETOOBIG);
	assert_false(dup);
	/* not recorded: taken once there is room, when the thread has run the others */
	assert_int_equal(ar_exec_start(f->ex, &f->err), 0);
	int64_t until = mono_ms() + WAIT_MS;
	int rc;
	while ((rc = submit(f, cmd, &id, &dup)) == VG_ETOOBIG && mono_ms() < until)
		usleep(10 * 1000);
	assert_int_equal(rc, 0);
	assert_false(dup);
}

static void test_executor__quarantine_ops(void **state)
{
	struct fx *f = *state;
	char *cmd = quarantine_cmd(f, 30), *op, qid[AR_QID_LEN + 1];
	const char *p;
	int at = -1;

	start_ex(f);
	submit_ok(f, cmd, 30, false);
	must_wait(f, 0, " Quarantined threat", NULL, &at);
	p = strstr(f->rec.line[at], "\"quarantine_id\":\"");
	assert_non_null(p);
	memcpy(qid, p + 17, AR_QID_LEN);
	qid[AR_QID_LEN] = '\0';
	op = vg_xasprintf("{\"id\":31,\"type\":\"quarantine\",\"op\":\"restore\",\"qid\":\"%s\"}",
			  qid);
	submit_ok(f, op, 31, false);
	must_wait(f, 0, " Restored quarantined file", "\"command_id\":\"31\"", NULL);
	assert_int_equal(access(f->file, F_OK), 0);
	assert_int_equal(quarantined(f), 0);
	vg_free(op);
	op = vg_xasprintf("{\"id\":32,\"type\":\"quarantine\",\"op\":\"delete\",\"qid\":\"%s\"}",
			  qid);
	submit_ok(f, op, 32, false);
	must_wait(f, 0, " Error deleting quarantined file", "\"command_id\":\"32\"", NULL);
	vg_free(op);
	vg_free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_executor__quarantine_runs_once_across_restarts,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_executor__disabled_host_refuses_and_reports, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_executor__bad_commands_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_executor__script_line_shipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_executor__failing_script_reported, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_executor__script_timeout_runs_delete, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_executor__lines_written_by_others_shipped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_executor__commands_waiting_at_a_stop_run_at_the_next_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_executor__too_many_pending_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_executor__quarantine_ops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
