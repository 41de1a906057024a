/*
 * script.c - Running a Wazuh active-response script unchanged (see script.h).
 *
 * Trust first: HOME/active-response/bin must be a directory and the script
 * a regular file (no symbolic link), both owned by root or by us and
 * writable by nobody else, the script executable. Only then is it started.
 *
 * Start: posix_spawn (no fork of a big multi-threaded daemon: glibc's
 * clone(CLONE_VFORK) runs only the file actions before execve) with
 * POSIX_SPAWN_SETSID, so the child leads a new session and process group
 * before it runs a single instruction of the script: a kill of the group
 * can never race with the child setting it up. The child's working
 * directory is HOME and the path given to execve is the relative
 * "active-response/bin/NAME", as Wazuh's execd does: a shell script's $0
 * is that path, which is what Wazuh's scripts write at the start of their
 * active-responses.log lines and what the ar_log_json decoder expects
 * ("... active-response/bin/NAME: {json}"); remove-threat.sh's
 * "cd `dirname $0`; cd ../" lands in HOME/active-response as in Wazuh.
 * The signal mask is emptied and the dispositions a daemon changes
 * (SIGPIPE ignored...) reset, the environment is PATH only, stdin and
 * stdout are pipes, stderr /dev/null, every other descriptor closed.
 *
 * Talk: one poll loop until the script exits or the limit passes. It
 * writes the message (non-blocking: a 1 MiB alert does not fit a pipe, and
 * the script may never read it), reads stdout all along (a chatty script
 * never blocks on a full pipe) keeping only the first line for an "add",
 * answers check_keys on that line, then closes stdin. The exit is seen on
 * a pidfd (or by a 10 ms tick where the kernel has none). Past the limit
 * the whole process group gets SIGKILL.
 *
 * SIGPIPE: a script that exits without reading stdin makes our write fail
 * with EPIPE and raises SIGPIPE, which would end a process that does not
 * ignore it (tests, the CLI). The thread blocks SIGPIPE for the run and
 * takes back the one its own write raised (sigtimedwait), unless one was
 * already pending before (not ours to eat), then restores its mask.
 *
 * Threads: all state is on the caller's stack; the signal mask changed is
 * the calling thread's only.
 */
#include "ar/script.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/buf.h"
#include "lib/common.h"
#include "lib/json.h"

#define AR_BIN_DIR "active-response/bin"
#define AR_ENV_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define AR_MSG_MAX (1u << 26) /* bytes of the stdin message (the alert is most of it) */
#define AR_NAME_MAX 255       /* bytes of an executable's name (NAME_MAX) */
#define AR_TICK_MS 10         /* exit polling without a pidfd */
#define AR_CHUNK 4096         /* bytes read from stdout at a time */

/* One run's state, on the caller's stack. */
struct ar_run {
	const struct ar_script_run *r;
	struct ar_script_result *res;
	pid_t pid;
	int pidfd;          /* -1: tick instead */
	int in_fd;          /* our end of the script's stdin, -1 once closed */
	int out_fd;         /* our end of its stdout, -1 at EOF */
	struct vg_buf outq; /* bytes for stdin: the message, then the answer */
	size_t sent;
	struct vg_buf line;   /* the first stdout line of an "add" */
	bool want_line;       /* an "add" whose first line has not been read yet */
	bool sigpipe_pending; /* a SIGPIPE was pending before the run: not ours */
	int64_t deadline_ms;
	int status;
	bool reaped;
};

/* ---- The stdin message --------------------------------------------------- */

/* extra_args split on spaces (empty items dropped), Wazuh's array. */
static json_t *extra_args_array(const char *s)
{
	json_t *a = json_array();

	while (s != NULL && *s != '\0') {
		const char *end = strchr(s, ' ');
		size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

		if (n > 0)
			json_array_append_new(a, vg_json_string_lossy(s, n));
		s = end != NULL ? end + 1 : NULL;
	}
	return a;
}

static json_t *origin_object(const char *node)
{
	const char *name = node != NULL ? node : "";
	json_t *o = json_object();

	json_object_set_new(o, "name", vg_json_string_lossy(name, strlen(name)));
	json_object_set_new(o, "module", json_string("wazuh-execd"));
	return o;
}

json_t *ar_script_message(const struct ar_script_run *r)
{
	const char *cmd = r->command != NULL ? r->command : "";
	const char *exe = r->executable != NULL ? r->executable : "";
	json_t *msg = json_object(), *params = json_object();
	struct vg_buf program = VG_BUF_INIT(sizeof(AR_BIN_DIR) + AR_NAME_MAX + 1);

	json_object_set_new(msg, "version", json_integer(1));
	json_object_set_new(msg, "origin", origin_object(r->node));
	json_object_set_new(msg, "command", vg_json_string_lossy(cmd, strlen(cmd)));
	json_object_set_new(params, "extra_args", extra_args_array(r->extra_args));
	json_object_set_new(params, "alert",
			    r->alert != NULL ? json_deep_copy(r->alert) : json_object());
	/* A name over the cap is refused by the runner; the message just cuts it. */
	if (vg_buf_printf(&program, AR_BIN_DIR "/%s", exe) != 0)
		vg_buf_reset(&program);
	json_object_set_new(params, "program",
			    vg_json_string_lossy(vg_buf_cstr(&program), program.len));
	json_object_set_new(msg, "parameters", params); /* transferred */
	vg_buf_free(&program);
	return msg;
}

/* The message, or the answer, as one line appended to out. */
static int put_line(struct vg_buf *out, const json_t *j, struct vg_err *err)
{
	int rc = vg_json_dump(out, j, err);

	if (rc == 0 && (rc = vg_buf_putc(out, '\n')) != 0)
		rc = vg_err_set(err, rc, "active response: the message is over %u bytes",
				AR_MSG_MAX);
	return rc;
}

/* ---- Trust --------------------------------------------------------------- */

static bool plain_name(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n <= AR_NAME_MAX && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

/* Owned by root or us, writable by nobody else: what execd trusts. */
static int trusted_owner(const char *path, const struct stat *st, struct vg_err *err)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return vg_err_set(err, VG_EPERM,
				  "active response: %s is owned by uid %u, not root or uid %u",
				  path, (unsigned)st->st_uid, (unsigned)geteuid());
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return vg_err_set(err, VG_EPERM,
				  "active response: %s is writable by group or others (mode %04o)",
				  path, (unsigned)(st->st_mode & 07777));
	return 0;
}

static int check_trust(const char *home, const char *exe, struct vg_err *err)
{
	struct vg_buf path = VG_BUF_INIT(4096);
	struct stat st;
	int rc;

	if (!plain_name(exe)) {
		rc = vg_err_set(err, VG_EPERM,
				"active response: executable '%s' is not a plain file name",
				exe != NULL ? exe : "");
		goto out;
	}
	if (vg_buf_printf(&path, "%s/" AR_BIN_DIR, home) != 0) {
		rc = vg_err_set(err, VG_ETOOBIG, "active response: HOME is too long");
		goto out;
	}
	if (stat(vg_buf_cstr(&path), &st) != 0) {
		rc = vg_err_errno(err, errno, "active response: %s", vg_buf_cstr(&path));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = vg_err_set(err, VG_EPERM, "active response: %s is not a directory",
				vg_buf_cstr(&path));
		goto out;
	}
	if ((rc = trusted_owner(vg_buf_cstr(&path), &st, err)) != 0)
		goto out;
	if (vg_buf_printf(&path, "/%s", exe) != 0) {
		rc = vg_err_set(err, VG_ETOOBIG, "active response: HOME is too long");
		goto out;
	}
	if (lstat(vg_buf_cstr(&path), &st) != 0) {
		rc = vg_err_errno(err, errno, "active response: %s", vg_buf_cstr(&path));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc =
		    vg_err_set(err, VG_EPERM, "active response: %s is not a regular file%s",
			       vg_buf_cstr(&path), S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
		goto out;
	}
	if ((rc = trusted_owner(vg_buf_cstr(&path), &st, err)) != 0)
		goto out;
	if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0 ||
	    access(vg_buf_cstr(&path), X_OK) != 0)
		rc = vg_err_set(err, VG_EPERM, "active response: %s is not executable",
				vg_buf_cstr(&path));
out:
	vg_buf_free(&path);
	return rc;
}

/* ---- Starting ------------------------------------------------------------ */

/* fd moved to 3 or above (pipes made while 0-2 are closed would clash with
 * the child's dup2 onto 0-2). */
static int high_fd(int fd)
{
	int hi;

	if (fd >= 3)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return hi;
}

static int make_pipe(int p[2], struct vg_err *err)
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return vg_err_errno(err, errno, "active response: pipe");
	p[0] = high_fd(p[0]);
	p[1] = high_fd(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		int e = errno;

		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return vg_err_errno(err, e, "active response: pipe");
	}
	return 0;
}

static int spawn(struct ar_run *s, int child_in, int child_out, struct vg_err *err)
{
	static const int reset[] = {SIGPIPE, SIGHUP,  SIGINT,  SIGTERM, SIGQUIT,
				    SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	struct vg_buf prog = VG_BUF_INIT(sizeof(AR_BIN_DIR) + AR_NAME_MAX + 1);
	char env_path[] = AR_ENV_PATH;
	char *envp[] = {env_path, NULL};
	int e;

	if (vg_buf_printf(&prog, AR_BIN_DIR "/%s", s->r->executable) != 0) {
		vg_buf_free(&prog);
		return vg_err_set(err, VG_ETOOBIG, "active response: name too long");
	}
	char *argv[] = {prog.data, NULL};

	sigemptyset(&none);
	sigemptyset(&defaults);
	for (size_t k = 0; k < VG_ARRAY_LEN(reset); k++)
		sigaddset(&defaults, reset[k]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_in, 0);
	posix_spawn_file_actions_adddup2(&fa, child_out, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, s->r->home);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	e = posix_spawn(&s->pid, prog.data, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (e != 0) {
		/* A checked script that does not start (bad interpreter, noexec
		 * mount...) is our failure, whatever posix_spawn's errno maps to. */
		char text[128];

		s->pid = 0;
		vg_err_set(err, VG_EINTERNAL, "active response: cannot start %s/%s: %s", s->r->home,
			   vg_buf_cstr(&prog), strerror_r(e, text, sizeof(text)));
	}
	vg_buf_free(&prog);
	return e != 0 ? VG_EINTERNAL : 0;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/* ---- Talking ------------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Take back the SIGPIPE our own write just raised (it is blocked). */
static void eat_sigpipe(const struct ar_run *s)
{
	sigset_t pipe_set;
	const struct timespec zero = {0, 0};

	if (s->sigpipe_pending)
		return;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
		;
}

/* stdin is closed once all is sent and no answer can follow. */
static void maybe_close_stdin(struct ar_run *s)
{
	if (s->in_fd >= 0 && s->sent == s->outq.len && !s->want_line)
		close_fd(&s->in_fd);
}

static void write_some(struct ar_run *s)
{
	ssize_t n = write(s->in_fd, s->outq.data + s->sent, s->outq.len - s->sent);

	if (n > 0) {
		s->sent += (size_t)n;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* EPIPE: the script does not read stdin (any more): fine. */
		if (errno == EPIPE)
			eat_sigpipe(s);
		close_fd(&s->in_fd);
		return;
	}
	maybe_close_stdin(s);
}

/* The answer to a check_keys line. */
static void answer(struct ar_run *s, const json_t *keys)
{
	const struct ar_script_run *r = s->r;
	bool held = r->keys_held != NULL && r->keys_held(r->ctx, keys);
	json_t *a = json_object();

	s->res->aborted = held;
	json_object_set_new(a, "version", json_integer(1));
	json_object_set_new(a, "origin", origin_object(r->node));
	json_object_set_new(a, "command", json_string(held ? "abort" : "continue"));
	json_object_set_new(a, "parameters", json_object());
	/* Tiny: only a failure of jansson itself; the script then reads EOF. */
	if (s->in_fd >= 0 && put_line(&s->outq, a, NULL) != 0)
		close_fd(&s->in_fd);
	json_decref(a);
}

/* The first line: a check_keys request, or anything else (no handshake). */
static void handle_line(struct ar_run *s)
{
	json_t *j = json_loadb(s->line.data != NULL ? s->line.data : "", s->line.len, 0, NULL);
	json_t *keys;

	s->want_line = false;
	if (json_is_object(j) && json_is_string(json_object_get(j, "command")) &&
	    strcmp(json_string_value(json_object_get(j, "command")), "check_keys") == 0) {
		keys = json_object_get(json_object_get(j, "parameters"), "keys");
		s->res->keys = json_is_array(keys) ? json_incref(keys) : json_array();
		answer(s, s->res->keys);
	}
	json_decref(j);
	vg_buf_free(&s->line);
	maybe_close_stdin(s);
}

/* Feed stdout bytes: the first line is kept (up to the cap), the rest dropped. */
static void feed_line(struct ar_run *s, const char *p, size_t n)
{
	const char *nl;
	size_t take;

	if (!s->want_line)
		return;
	nl = memchr(p, '\n', n);
	take = nl != NULL ? (size_t)(nl - p) : n;
	if (vg_buf_append(&s->line, p, take) != 0) {
		vg_buf_reset(&s->line); /* over AR_SCRIPT_LINE_MAX: not a handshake */
		handle_line(s);
		return;
	}
	if (nl != NULL)
		handle_line(s);
}

static void read_some(struct ar_run *s)
{
	char chunk[AR_CHUNK];
	ssize_t n = read(s->out_fd, chunk, sizeof(chunk));

	if (n > 0) {
		feed_line(s, chunk, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close_fd(&s->out_fd);
		if (s->want_line)
			handle_line(s); /* what came before EOF, as fgets gives it */
	}
}

static void kill_group(struct ar_run *s)
{
	if (kill(-s->pid, SIGKILL) != 0)
		kill(s->pid, SIGKILL);
	while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR)
		;
	s->reaped = true;
	s->res->killed = true;
}

/* Reaped yet? VG_EINTERNAL when the child cannot be waited for. */
static int try_reap(struct ar_run *s, struct vg_err *err)
{
	pid_t w = waitpid(s->pid, &s->status, WNOHANG);

	if (w == s->pid)
		s->reaped = true;
	else if (w < 0 && errno != EINTR)
		return vg_err_errno(err, errno, "active response: cannot wait for %s",
				    s->r->executable);
	return 0;
}

/* Wait for the poll set (at most until the deadline or the next tick). */
static int wait_io(struct ar_run *s, int64_t left, struct vg_err *err)
{
	struct pollfd p[3];
	nfds_t np = 0;
	int in_i = -1, out_i = -1;

	if (s->in_fd >= 0 && s->sent < s->outq.len) {
		in_i = (int)np;
		p[np++] = (struct pollfd){s->in_fd, POLLOUT, 0};
	}
	if (s->out_fd >= 0) {
		out_i = (int)np;
		p[np++] = (struct pollfd){s->out_fd, POLLIN, 0};
	}
	if (s->pidfd >= 0)
		p[np++] = (struct pollfd){s->pidfd, POLLIN, 0};
	else if (left > AR_TICK_MS)
		left = AR_TICK_MS;
	if (poll(p, np, (int)left) < 0)
		return errno == EINTR ? 0 : vg_err_errno(err, errno, "active response: poll");
	if (out_i >= 0 && p[out_i].revents != 0)
		read_some(s);
	if (in_i >= 0 && p[in_i].revents != 0 && s->in_fd >= 0)
		write_some(s);
	return 0;
}

/* Until the script exits, or is killed at the deadline. */
static int talk(struct ar_run *s, struct vg_err *err)
{
	int rc = 0;

	for (;;) {
		int64_t left = s->deadline_ms - vg_clock_ms(CLOCK_MONOTONIC);

		if ((rc = try_reap(s, err)) != 0 || s->reaped)
			break;
		if (left <= 0) {
			kill_group(s);
			break;
		}
		if ((rc = wait_io(s, left, err)) != 0)
			break;
	}
	if (rc != 0 && !s->reaped)
		kill_group(s);
	return rc;
}

/* ---- The run ------------------------------------------------------------- */

static void set_outcome(struct ar_run *s)
{
	struct ar_script_result *res = s->res;
	int limit = s->r->limit_ms > 0 ? s->r->limit_ms : AR_SCRIPT_LIMIT_MS;

	if (WIFEXITED(s->status))
		res->exit_status = WEXITSTATUS(s->status);
	else if (WIFSIGNALED(s->status))
		res->exit_status = 128 + WTERMSIG(s->status);
	if (res->killed)
		snprintf(res->reason, sizeof(res->reason),
			 "%s still running after %d ms: killed (its process group)",
			 s->r->executable, limit);
	else if (WIFSIGNALED(s->status))
		snprintf(res->reason, sizeof(res->reason), "%s killed by signal %d",
			 s->r->executable, WTERMSIG(s->status));
	else if (res->exit_status != 0)
		snprintf(res->reason, sizeof(res->reason), "%s exited with status %d",
			 s->r->executable, res->exit_status);
}

static void result_init(struct ar_script_result *res)
{
	res->exit_status = -1;
	res->aborted = false;
	res->killed = false;
	res->keys = NULL;
	res->reason[0] = '\0';
}

/* SIGPIPE blocked for this thread; whether one was pending already. */
static bool block_sigpipe(sigset_t *old)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	pthread_sigmask(SIG_BLOCK, &pipe_set, old);
	return sigismember(&pending, SIGPIPE) == 1;
}

static int start(struct ar_run *s, struct vg_err *err)
{
	int in[2], out[2];
	int rc;

	if ((rc = make_pipe(in, err)) != 0)
		return rc;
	if ((rc = make_pipe(out, err)) != 0) {
		close(in[0]);
		close(in[1]);
		return rc;
	}
	rc = spawn(s, in[0], out[1], err);
	close(in[0]);
	close(out[1]);
	s->in_fd = in[1];
	s->out_fd = out[0];
	if (rc != 0)
		return rc;
	fcntl(s->in_fd, F_SETFL, fcntl(s->in_fd, F_GETFL) | O_NONBLOCK);
	fcntl(s->out_fd, F_SETFL, fcntl(s->out_fd, F_GETFL) | O_NONBLOCK);
	s->pidfd = open_pidfd(s->pid);
	return 0;
}

int ar_script_run(const struct ar_script_run *r, struct ar_script_result *res, struct vg_err *err)
{
	struct ar_run s = {.r = r, .res = res, .pidfd = -1, .in_fd = -1, .out_fd = -1};
	json_t *msg = NULL;
	sigset_t old;
	int rc;

	result_init(res);
	vg_buf_init(&s.outq, AR_MSG_MAX);
	vg_buf_init(&s.line, AR_SCRIPT_LINE_MAX);
	s.sigpipe_pending = block_sigpipe(&old);
	if ((rc = check_trust(r->home, r->executable, err)) != 0)
		goto out;
	msg = ar_script_message(r);
	if ((rc = put_line(&s.outq, msg, err)) != 0)
		goto out;
	s.want_line = r->command != NULL && strcmp(r->command, "add") == 0;
	s.deadline_ms =
	    vg_clock_ms(CLOCK_MONOTONIC) + (r->limit_ms > 0 ? r->limit_ms : AR_SCRIPT_LIMIT_MS);
	if ((rc = start(&s, err)) != 0)
		goto out;
	if ((rc = talk(&s, err)) == 0)
		set_outcome(&s);
out:
	close_fd(&s.in_fd);
	close_fd(&s.out_fd);
	close_fd(&s.pidfd);
	json_decref(msg);
	vg_buf_free(&s.outq);
	vg_buf_free(&s.line);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void ar_script_result_clear(struct ar_script_result *res)
{
	if (res == NULL)
		return;
	json_decref(res->keys);
	res->keys = NULL;
}
