/*
 * daemon.h - What every Vigie daemon does the same way when it starts.
 *
 * vigie-agent and vigie-manager share one start-up sequence, in this order
 * so that each failure is reported on the terminal that started the daemon:
 * create the HOME directories, take the pid file's lock (one daemon per
 * HOME), open HOME/logs/vigie.log, detach from the terminal unless asked to
 * stay in the foreground, then write the final pid. Signals are handled on
 * a dedicated thread with sigwait (vg_daemon_signals blocks them in every
 * thread), so handlers never run inside library code.
 */
#ifndef VG_DAEMON_H
#define VG_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/pidfile.h"

struct vg_daemon_opts {
	const char *home;        /* HOME (-D) */
	const char *pid_name;    /* "vigie-agent": HOME/var/run/<pid_name>.pid */
	const char *const *dirs; /* more directories to create under HOME
				    (logs and var/run always are) */
	size_t ndirs;
	bool foreground; /* -f: no detach, log to stderr too */
};

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
