/*
 * integration_run.c - custom-* integrations (see integration_run.h).
 *
 * The child is started with posix_spawn (no shell, no fork of a big
 * multi-threaded manager): stdin is /dev/null, stdout and stderr share one
 * pipe, every other descriptor is closed, the working directory is HOME
 * (integratord chdir()s there too), the signal mask is emptied and the
 * dispositions the manager changed (SIGPIPE ignored, SIGHUP... blocked) are
 * reset, and the child leads its own process group so a timeout kills the
 * wrapper and the interpreter it started. An exec failure (missing file,
 * no permission, bad interpreter) is reported by posix_spawn and ends the
 * run at once as exit status 127, Wazuh's "Couldn't execute command".
 *
 * Output is kept as a tail of at most MGR_INTRUN_OUTPUT_MAX bytes: Wazuh
 * logs the last line, which is what survives.
 */
#include "manager/integration_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

extern char **environ;

#define IR_SUFFIX_LEN 6 /* ".alert" */
#define IR_LEGACY_MAX 65536
#define IR_LINE_MAX 256 /* of the output line quoted in the error */

struct mgr_intrun {
	char *name;
	char *script;     /* HOME/integrations/<name> */
	char *key;        /* copy of the api_key for masking output; wiped */
	char *alert_file; /* NULL once removed */
	char *options_file;
	pid_t pid;
	int fd;
	int64_t start_ms;
	int64_t deadline_ms;
	unsigned limit_s;
	bool done;
	struct vg_buf out; /* the output's tail */
	struct mgr_intrun_result res;
};

static int64_t ir_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Temp files ------------------------------------------------------------- */

/* HOME/tmp: created 0700; an existing one must be ours and private, since
 * the alert (and the options) are written there for the script. */
static int ir_tmpdir(const char *home, char **out, struct vg_err *err)
{
	char *dir = vg_xasprintf("%s/%s", home, MGR_INTRUN_TMP);
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = vg_err_errno(err, errno, "cannot create %s", dir);
		goto out;
	}
	if (lstat(dir, &st) != 0) {
		rc = vg_err_errno(err, errno, "cannot stat %s", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		rc = vg_err_set(err, VG_EPERM,
				"%s must be a directory owned by the manager's user, mode 0700",
				dir);
		goto out;
	}
	*out = dir; /* transferred */
	dir = NULL;
out:
	vg_free(dir);
	return rc;
}

static int ir_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* mkstemps (mode 0600) DIR/<name>-<time>-XXXXXX<suffix> holding data. */
static int ir_temp_file(const char *dir, const char *name, const char *suffix, const char *data,
			size_t len, char **out, struct vg_err *err)
{
	char *path = vg_xasprintf("%s/%s-%lld-XXXXXX%s", dir, name, (long long)time(NULL), suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	int rc = 0;

	*out = NULL;
	if (fd < 0) {
		rc = vg_err_errno(err, errno, "cannot create a temporary file in %s", dir);
		vg_free(path);
		return rc;
	}
	if (ir_write_all(fd, data, len) != 0 || close(fd) != 0) {
		rc = vg_err_errno(err, errno, "cannot write %s", path);
		if (fd >= 0)
			close(fd);
		unlink(path);
		vg_free(path);
		return rc;
	}
	*out = path; /* transferred */
	return 0;
}

/* ---- Wazuh's legacy alert text ---------------------------------------------- */

static const char *ir_jstr(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	return json_is_string(v) ? json_string_value(v) : "";
}

/* value, cut to max bytes, with ' and newlines made spaces (the lines are
 * name='value' for scripts that source or split them). */
static int ir_legacy_put(struct vg_buf *b, const char *name, const char *value, size_t max)
{
	int rc = vg_buf_printf(b, "%s='", name);

	for (size_t k = 0; rc == 0 && value[k] != '\0' && k < max; k++) {
		char c = value[k];
		rc = vg_buf_putc(b, c == '\'' || c == '\n' || c == '\r' ? ' ' : c);
	}
	return rc != 0 ? rc : vg_buf_puts(b, "'\n");
}

static int ir_legacy(const struct mgr_integration *i, const char *json, size_t len,
		     struct vg_buf *b, struct vg_err *err)
{
	json_error_t je;
	char level[16] = "";
	json_t *a = json_loadb(json, len, 0, &je);
	int rc;

	if (a == NULL || !json_is_object(a)) {
		json_decref(a);
		return vg_err_set(err, VG_EPARSE, "%s: the alert is not a JSON object", i->name);
	}
	const json_t *lv = json_object_get(json_object_get(a, "rule"), "level");
	if (json_is_integer(lv))
		snprintf(level, sizeof(level), "%lld", (long long)json_integer_value(lv));
	rc = ir_legacy_put(b, "alertdate", ir_jstr(a, "timestamp", NULL), SIZE_MAX);
	if (rc == 0)
		rc = ir_legacy_put(b, "alertlocation", ir_jstr(a, "location", NULL), SIZE_MAX);
	if (rc == 0)
		rc = ir_legacy_put(b, "ruleid", ir_jstr(a, "rule", "id"), SIZE_MAX);
	if (rc == 0)
		rc = ir_legacy_put(b, "alertlevel", level, SIZE_MAX);
	if (rc == 0)
		rc = ir_legacy_put(b, "ruledescription", ir_jstr(a, "rule", "description"),
				   SIZE_MAX);
	if (rc == 0)
		rc = ir_legacy_put(b, "alertlog", ir_jstr(a, "full_log", NULL), i->max_log);
	if (rc == 0)
		rc = ir_legacy_put(b, "srcip", ir_jstr(a, "data", "srcip"), SIZE_MAX);
	json_decref(a);
	if (rc != 0)
		return vg_err_set(err, rc, "%s: the legacy alert text is too long", i->name);
	return 0;
}

/* The alert file's content: the JSON line or the legacy text. */
static int ir_alert_text(const struct mgr_integration *i, const char *json, size_t len,
			 struct vg_buf *b, struct vg_err *err)
{
	if (!i->json_format)
		return ir_legacy(i, json, len, b, err);
	if (vg_buf_append(b, json, len) != 0 || vg_buf_putc(b, '\n') != 0)
		return vg_err_set(err, VG_ETOOBIG, "%s: alert too long", i->name);
	return 0;
}

/* ---- Output and the end of a run ---------------------------------------------- */

/* Append data, keeping only the last MGR_INTRUN_OUTPUT_MAX bytes. */
static void ir_keep_tail(struct vg_buf *b, const char *data, size_t len)
{
	if (len >= MGR_INTRUN_OUTPUT_MAX) {
		data += len - MGR_INTRUN_OUTPUT_MAX;
		len = MGR_INTRUN_OUTPUT_MAX;
	}
	if (b->len + len > MGR_INTRUN_OUTPUT_MAX) {
		size_t drop = b->len + len - MGR_INTRUN_OUTPUT_MAX;
		memmove(b->data, b->data + drop, b->len - drop);
		vg_buf_truncate(b, b->len - drop);
	}
	if (vg_buf_append(b, data, len) != 0)
		vg_buf_reset(b); /* cannot happen: the cap is above the tail */
}

/* Read what the pipe holds now; close it at EOF. */
static void ir_drain(struct mgr_intrun *r)
{
	char chunk[4096];

	while (r->fd >= 0) {
		ssize_t n = read(r->fd, chunk, sizeof(chunk));
		if (n > 0) {
			ir_keep_tail(&r->out, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(r->fd); /* EOF or a read error: nothing more to get */
		r->fd = -1;
	}
}

/* Replace every occurrence of the key in the output by "***". */
static void ir_mask_key(struct mgr_intrun *r)
{
	size_t klen = r->key != NULL ? strlen(r->key) : 0;

	if (klen == 0 || r->out.len == 0)
		return;
	struct vg_buf masked = VG_BUF_INIT(MGR_INTRUN_OUTPUT_MAX);
	const char *p = vg_buf_cstr(&r->out), *hit;
	while ((hit = strstr(p, r->key)) != NULL) {
		if (vg_buf_append(&masked, p, (size_t)(hit - p)) != 0 ||
		    vg_buf_puts(&masked, "***") != 0)
			break;
		p = hit + klen;
	}
	if (vg_buf_puts(&masked, p) != 0) {
		vg_buf_free(&masked);
		vg_buf_reset(&r->out);
		return;
	}
	vg_buf_free(&r->out);
	r->out = masked; /* transferred */
}

/* The last non-empty line of the output, escaped. */
static const char *ir_last_line(const struct mgr_intrun *r, char *dst, size_t dstsz)
{
	const char *s = vg_buf_cstr(&r->out);
	size_t end = r->out.len;

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	return vg_escape(dst, dstsz, s + start, end - start);
}

static void ir_unlink_files(struct mgr_intrun *r)
{
	if (r->alert_file != NULL)
		unlink(r->alert_file);
	if (r->options_file != NULL)
		unlink(r->options_file);
	vg_free(r->alert_file);
	vg_free(r->options_file);
	r->alert_file = r->options_file = NULL;
}

/* Wazuh's lines for a failed run, and Vigie's for a timeout. */
static void ir_log_result(const struct mgr_intrun *r)
{
	const struct mgr_intrun_result *res = &r->res;
	char line[IR_LINE_MAX];

	if (res->timed_out) {
		vg_log_error("Timeout running %s -> %s: killed after %u s (timeout x (retries + "
			     "1) + margin). Output: %s",
			     r->name, MGR_INTRUN_DIR, r->limit_s,
			     ir_last_line(r, line, sizeof(line)));
	} else if (res->exit_status == 127) {
		vg_log_error("Couldn't execute command (%s). Check file and permissions.",
			     r->script);
	} else if (res->exit_status != 0) {
		vg_log_error("Unable to run integration for %s -> %s", r->name, MGR_INTRUN_DIR);
		vg_log_error("While running %s -> %s. Output: %s", r->name, MGR_INTRUN_DIR,
			     ir_last_line(r, line, sizeof(line)));
		if (res->signal != 0)
			vg_log_error("Exit status was: killed by signal %d", res->signal);
		else
			vg_log_error("Exit status was: %d", res->exit_status);
	} else if (vg_log_enabled(VG_LOG_DEBUG)) {
		vg_log_debug("%s -> %s: output: %s", r->name, MGR_INTRUN_DIR,
			     ir_last_line(r, line, sizeof(line)));
	}
}

static void ir_finish(struct mgr_intrun *r, int status)
{
	ir_drain(r);
	if (r->fd >= 0) {
		close(r->fd); /* a descendant may keep it open: not our business */
		r->fd = -1;
	}
	r->pid = 0;
	if (WIFEXITED(status)) {
		r->res.exit_status = WEXITSTATUS(status);
	} else {
		r->res.exit_status = -1;
		r->res.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	r->res.elapsed_ms = ir_now_ms() - r->start_ms;
	ir_unlink_files(r);
	ir_mask_key(r);
	r->res.output = vg_buf_cstr(&r->out);
	r->done = true;
	ir_log_result(r);
}

/* ---- Starting ------------------------------------------------------------------- */

static int ir_spawn(struct mgr_intrun *r, const struct mgr_integration *i,
		    const struct mgr_intrun_opts *o, struct vg_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	static const int reset[] = {SIGPIPE, SIGHUP,  SIGINT,  SIGTERM, SIGQUIT,
				    SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD};
	int pfd[2];
	char timeout[16], retries[16];

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return vg_err_errno(err, errno, "%s: pipe", i->name);
	snprintf(timeout, sizeof(timeout), "%u", i->timeout);
	snprintf(retries, sizeof(retries), "%u", i->retries);
	char *const argv[] = {r->script,
			      r->alert_file,
			      i->api_key != NULL ? i->api_key : "",
			      i->hook_url != NULL ? i->hook_url : "",
			      o->debug ? "debug" : "",
			      r->options_file != NULL ? r->options_file : "",
			      timeout,
			      retries,
			      NULL};
	sigemptyset(&none);
	sigemptyset(&defaults);
	for (size_t k = 0; k < VG_ARRAY_LEN(reset); k++)
		sigaddset(&defaults, reset[k]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, o->home);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	int e = posix_spawn(&r->pid, r->script, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pfd[1]);
	r->fd = pfd[0];
	if (e != 0) {
		/* exec failed in the child: Wazuh sees the shell's 127 */
		r->pid = 0;
		ir_finish(r, 127 << 8);
		return 0;
	}
	fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

int mgr_intrun_check(const char *home, const char *name, struct vg_err *err)
{
	char *path = vg_xasprintf("%s/%s/%s", home, MGR_INTRUN_DIR, name);
	struct stat st;
	int rc = 0;

	if (stat(path, &st) != 0)
		rc = vg_err_errno(err, errno, "integration %s: %s", name, path);
	else if (!S_ISREG(st.st_mode))
		rc = vg_err_set(err, VG_EPERM, "integration %s: %s is not a regular file", name,
				path);
	else if (access(path, X_OK) != 0)
		rc = vg_err_set(err, VG_EPERM, "integration %s: %s is not executable", name, path);
	vg_free(path);
	return rc;
}

int mgr_intrun_start(const struct mgr_integration *i, const struct mgr_intrun_opts *o,
		     const char *alert_json, size_t len, struct mgr_intrun **out,
		     struct vg_err *err)
{
	struct vg_buf text = VG_BUF_INIT(IR_LEGACY_MAX + len);
	struct mgr_intrun *r = NULL;
	char *dir = NULL;
	int rc;

	*out = NULL;
	if (i->kind != MGR_INT_CUSTOM) {
		/* The built-in client never hands its key to a process. */
		rc = vg_err_set(err, VG_EINTERNAL, "%s is built in: it never runs as a script",
				i->name);
		goto out;
	}
	rc = ir_tmpdir(o->home, &dir, err);
	if (rc == 0)
		rc = ir_alert_text(i, alert_json, len, &text, err);
	if (rc != 0)
		goto out;
	r = vg_xcalloc(1, sizeof(*r));
	r->fd = -1;
	r->name = vg_xstrdup(i->name);
	r->script = vg_xasprintf("%s/%s/%s", o->home, MGR_INTRUN_DIR, i->name);
	r->key = i->api_key != NULL ? vg_xstrdup(i->api_key) : NULL;
	vg_buf_init(&r->out, MGR_INTRUN_OUTPUT_MAX);
	r->limit_s = i->timeout * (i->retries + 1) + o->margin;
	r->start_ms = ir_now_ms();
	r->deadline_ms = r->start_ms + (int64_t)r->limit_s * 1000;
	rc =
	    ir_temp_file(dir, i->name, ".alert", vg_buf_cstr(&text), text.len, &r->alert_file, err);
	if (rc == 0 && i->options != NULL)
		rc = ir_temp_file(dir, i->name, ".options", i->options, strlen(i->options),
				  &r->options_file, err);
	if (rc == 0)
		rc = ir_spawn(r, i, o, err);
	if (rc != 0)
		goto out;
	*out = r; /* transferred */
	r = NULL;
out:
	mgr_intrun_free(r);
	vg_buf_free(&text);
	vg_free(dir);
	return rc;
}

/* ---- Running ---------------------------------------------------------------------- */

pid_t mgr_intrun_pid(const struct mgr_intrun *r)
{
	return r->pid;
}

int mgr_intrun_fd(const struct mgr_intrun *r)
{
	return r->fd;
}

int64_t mgr_intrun_deadline_ms(const struct mgr_intrun *r)
{
	return r->deadline_ms;
}

const struct mgr_intrun_result *mgr_intrun_result(const struct mgr_intrun *r)
{
	return &r->res;
}

int mgr_intrun_step(struct mgr_intrun *r, int64_t now_ms, bool *done, struct vg_err *err)
{
	int status = 0;

	*done = r->done;
	if (r->done)
		return 0;
	ir_drain(r);
	pid_t w = waitpid(r->pid, &status, WNOHANG);
	if (w < 0 && errno != EINTR)
		return vg_err_errno(err, errno, "%s: waitpid %d", r->name, (int)r->pid);
	if (w == r->pid) {
		ir_finish(r, status);
		*done = true;
		return 0;
	}
	if ((now_ms != 0 ? now_ms : ir_now_ms()) < r->deadline_ms)
		return 0;
	/* Past the limit: the whole group goes, then a SIGKILLed child is reaped
	 * at once (the wait is bounded by the kernel, not by the script). */
	kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	r->res.timed_out = true;
	ir_finish(r, status);
	*done = true;
	return 0;
}

int mgr_intrun_run(const struct mgr_integration *i, const struct mgr_intrun_opts *o,
		   const char *alert_json, size_t len, struct mgr_intrun **out, struct vg_err *err)
{
	struct mgr_intrun *r = NULL;
	bool done = false;
	int rc = mgr_intrun_start(i, o, alert_json, len, &r, err);

	*out = NULL;
	while (rc == 0 && !done) {
		int64_t wait = mgr_intrun_deadline_ms(r) - ir_now_ms();
		struct pollfd p = {.fd = r->fd, .events = POLLIN, .revents = 0};
		/* after EOF the fd is gone: poll the child's end every 50 ms */
		if (!r->done && wait > 0)
			(void)poll(&p, r->fd >= 0 ? 1 : 0, (int)VG_MIN(wait, 50));
		rc = mgr_intrun_step(r, 0, &done, err);
	}
	if (rc != 0) {
		mgr_intrun_free(r);
		return rc;
	}
	*out = r; /* transferred */
	return 0;
}

void mgr_intrun_free(struct mgr_intrun *r)
{
	int status;

	if (r == NULL)
		return;
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);
		while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (r->fd >= 0)
		close(r->fd);
	ir_unlink_files(r);
	if (r->key != NULL)
		vg_freezero(r->key, strlen(r->key));
	vg_free(r->name);
	vg_free(r->script);
	vg_buf_free(&r->out);
	vg_free(r);
}
