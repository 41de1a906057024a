/*
 * integration_run.h - Running a custom-* integration the Wazuh way.
 *
 * Wazuh's integratord (reference §4.2) writes the alert to a temporary
 * file, the options to another, and runs integrations/<name> with
 *   argv[1] alert file, [2] api_key or "", [3] hook_url or "",
 *   [4] "debug" or "", [5] options file or "", [6] timeout, [7] retries.
 * Vigie keeps that contract, so existing scripts keep working, and drops
 * its flaws: no shell and no literal "> /dev/null 2>&1" argument (Wazuh
 * #20723), temp files in the private HOME/tmp (0700) instead of /tmp, the
 * child in its own process group, killed with its descendants after
 * timeout x (retries + 1) + margin seconds, and no waiting on the caller's
 * loop: start returns a handle with the child's pid and a pipe to poll.
 *
 * The api_key is in the script's argv: that is Wazuh's contract for custom
 * scripts (any local user may see it in the process list while the script
 * runs; put no key in a custom block that does not need one). The built-in
 * virustotal integration never runs a script and never puts its key in any
 * argv: mgr_intrun_start refuses it. Vigie's own log lines never hold the
 * key; the script's output is logged with every occurrence of the key
 * replaced by "***".
 *
 * alert_format: "json..." writes the alert JSON line and "\n"; anything
 * else writes Wazuh's legacy text (alertdate='...' ... srcip='...', with
 * full_log cut to max_log), built from the JSON.
 *
 * On failure the runner logs Wazuh's lines: exit status 127 "Couldn't
 * execute command (PATH). Check file and permissions."; another non-zero
 * status "Unable to run integration for NAME -> integrations", "While
 * running NAME -> integrations. Output: LAST LINE", "Exit status was: N".
 *
 * Thread model: a handle belongs to one thread. Children are reaped by pid
 * (waitpid), so the process must not set SIGCHLD to SIG_IGN.
 */
#ifndef MGR_INTEGRATION_RUN_H
#define MGR_INTEGRATION_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "manager/integration_conf.h"

#define MGR_INTRUN_OUTPUT_MAX 16384 /* bytes of output kept (the tail) */
#define MGR_INTRUN_MARGIN 5         /* seconds added to the wall-clock limit */
#define MGR_INTRUN_DIR "integrations"
#define MGR_INTRUN_TMP "tmp"

struct mgr_intrun_opts {
	const char *home; /* HOME: scripts in HOME/integrations, temp files in HOME/tmp */
	bool debug;       /* argv[4] = "debug" */
	unsigned margin;  /* seconds over timeout x (retries + 1); MGR_INTRUN_MARGIN */
};

#define MGR_INTRUN_OPTS_INIT                                                                       \
	{                                                                                          \
		NULL, false, MGR_INTRUN_MARGIN                                                     \
	}

/* How a run ended. */
struct mgr_intrun_result {
	int exit_status; /* 0..255 when exited; -1 when killed by a signal */
	int signal;      /* the signal that killed it, 0 when it exited */
	bool timed_out;  /* killed by the wall-clock limit */
	int64_t elapsed_ms;
	const char *output; /* stdout and stderr, the last MGR_INTRUN_OUTPUT_MAX bytes,
			       key masked; borrowed from the handle */
};

struct mgr_intrun; /* one running script */

/*
 * HOME/integrations/<name> exists and is an executable regular file
 * (integratord enables a block only then). VG_ENOTFOUND or VG_EPERM, the
 * message naming the path.
 */
int mgr_intrun_check(const char *home, const char *name, struct vg_err *err) VG_MUST_CHECK;

/*
 * Write the temp files and start the script for alert_json (one alert
 * object, no newline; len bytes). *out is the caller's (mgr_intrun_free).
 * A virustotal block is VG_EINTERNAL (never run as a script). A script
 * that cannot be executed is not an error here: the run ends at once with
 * status 127 and Wazuh's message. Fails with VG_EPARSE when the legacy
 * format is asked and the alert is not JSON, VG_EPERM when HOME/tmp is not
 * private, or an I/O error.
 */
int mgr_intrun_start(const struct mgr_integration *i, const struct mgr_intrun_opts *o,
		     const char *alert_json, size_t len, struct mgr_intrun **out,
		     struct vg_err *err) VG_MUST_CHECK;

/* The child's pid (0 once reaped or when it never started). */
pid_t mgr_intrun_pid(const struct mgr_intrun *r);

/* The read end of the child's stdout+stderr (non-blocking), -1 once closed:
 * poll it for POLLIN, then call mgr_intrun_step. */
int mgr_intrun_fd(const struct mgr_intrun *r);

/* CLOCK_MONOTONIC milliseconds after which the child is killed. */
int64_t mgr_intrun_deadline_ms(const struct mgr_intrun *r);

/*
 * Advance without blocking: read the output available, reap the child if it
 * ended, kill its process group when now_ms (CLOCK_MONOTONIC ms; 0 = read
 * the clock) is past the deadline. *done becomes true once the child is
 * reaped: the temp files are then removed and the result lines logged.
 */
int mgr_intrun_step(struct mgr_intrun *r, int64_t now_ms, bool *done,
		    struct vg_err *err) VG_MUST_CHECK;

/* The outcome, valid once done. Borrowed from r. */
const struct mgr_intrun_result *mgr_intrun_result(const struct mgr_intrun *r);

/* Kill (whole group) and reap a child still running, remove the temp
 * files, free. NULL allowed. */
void mgr_intrun_free(struct mgr_intrun *r);

/*
 * Blocking convenience (tests, `vigie` tools): start, poll until done.
 * *out as for mgr_intrun_start; read the outcome with mgr_intrun_result.
 */
int mgr_intrun_run(const struct mgr_integration *i, const struct mgr_intrun_opts *o,
		   const char *alert_json, size_t len, struct mgr_intrun **out,
		   struct vg_err *err) VG_MUST_CHECK;

#endif
