/*
 * daemon.h - What every Vigie daemon does the same way when it starts.
 *
 * vigie-agent and vigie-manager share one start-up sequence, in this order
 * so that each failure is reported on the terminal that started the daemon:
 * create the HOME directories, take the pid file's lock (one daemon per
 * HOME), open HOME/logs/vigie.log, raise the open files limit to the hard
 * one (at most VG_DAEMON_NOFILE_MAX), detach from the terminal unless asked
 * to stay in the foreground, then write the final pid. Signals are handled on
 * a dedicated thread with sigwait (vg_daemon_signals blocks them in every
 * thread), so handlers never run inside library code.
 */
#ifndef VG_DAEMON_H
#define VG_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/err.h"
#include "lib/pidfile.h"

#define VG_DAEMON_NOFILE_MAX 1048576 /* open files asked for at most */

struct vg_daemon_opts {
	const char *home;        /* HOME (-D) */
	const char *pid_name;    /* "vigie-agent": HOME/var/run/<pid_name>.pid */
	const char *const *dirs; /* more directories to create under HOME
				    (logs and var/run always are) */
	size_t ndirs;
	bool foreground; /* -f: no detach, log to stderr too */
};

/* The options every daemon takes: -c -D -f -t -d (and -V, -h). */
struct vg_daemon_args {
	const char *config; /* -c FILE; NULL: HOME/etc/ossec.conf */
	const char *home;   /* -D DIR; set the default before parsing */
	bool foreground;    /* -f */
	bool test_config;   /* -t */
	bool debug;         /* -d */
};

/* A daemon's own long option (--name or --name ARG): set(ctx, arg) when seen. */
struct vg_daemon_opt {
	const char *name;
	bool has_arg;
	void (*set)(void *ctx, const char *arg);
};

#define VG_DAEMON_MAX_EXTRA 8

/*
 * Parse argv into a, calling the set of each of the nextra extra options
 * seen (at most VG_DAEMON_MAX_EXTRA). -V prints "PROG VERSION" and -h the
 * usage, both on stdout, then exit 0. Returns 0, or 2 (the usage error
 * status) after printing the problem and the usage on stderr.
 */
int vg_daemon_parse_args(int argc, char **argv, const char *prog, void (*usage)(FILE *out),
			 const struct vg_daemon_opt *extra, size_t nextra, void *ctx,
			 struct vg_daemon_args *a);

/*
 * Run the start-up sequence. On success *pidfile holds the locked pid file
 * (release it with vg_pidfile_release at exit). On failure nothing is left
 * locked and err says which step failed (another daemon on the same HOME is
 * VG_EPERM from the pid file).
 */
int vg_daemon_start(const struct vg_daemon_opts *o, struct vg_pidfile **pidfile,
		    struct vg_err *err) VG_MUST_CHECK;

/*
 * Fill set with the signals a daemon handles on its signal thread (SIGTERM,
 * SIGINT, SIGHUP, SIGUSR1), block them in the calling thread (and so in
 * every thread it creates afterwards) and ignore SIGPIPE.
 */
void vg_daemon_signals(sigset_t *set);

#endif
