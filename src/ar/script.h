/*
 * script.h - Running a Wazuh active-response script unchanged
 * (reference/wazuh-4x-internals.md §7; docs/active-response.md).
 *
 * The script is HOME/active-response/bin/EXECUTABLE, run without a shell
 * (execve, argv = {the path}; the path is the relative
 * "active-response/bin/EXECUTABLE" from HOME, as Wazuh's execd runs it, so
 * a script's $0 starts its active-responses.log lines the way the
 * ar_log_json decoder expects), its working directory HOME, stdin/stdout
 * pipes, stderr to /dev/null, an environment of PATH only, every other
 * descriptor closed. It reads one line on stdin, Wazuh's execd message:
 *
 *   {"version":1,"origin":{"name":NODE,"module":"wazuh-execd"},
 *    "command":"add"|"delete","parameters":{"extra_args":[...],
 *    "alert":{...},"program":"active-response/bin/EXECUTABLE"}}
 *
 * For "add", a Wazuh script answers one line {"version":1,"origin":{...},
 * "command":"check_keys","parameters":{"keys":[...]}}; the runner replies
 * {"version":1,"origin":{"name":NODE,"module":"wazuh-execd"},
 * "command":"continue"|"abort","parameters":{}} on a line: abort when the
 * keys (with the program) are already held by a running add whose timeout
 * has not passed (ar_script_keys_held, the caller's table), else continue.
 * A script that prints nothing and exits, or closes stdout, is fine (older
 * scripts); a script that is still running after the execution limit is
 * killed (SIGKILL to its process group) and reported as such.
 *
 * The runner refuses an executable that is not a plain file name, not a
 * regular file, not executable, or writable by group/others or not owned
 * by root or the running user (what a Wazuh execd trusts).
 *
 * Threads: one call runs one script and blocks until it ends; no shared
 * state. SIGCHLD must not be ignored by the process.
 */
#ifndef AR_SCRIPT_H
#define AR_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"

#define AR_SCRIPT_LIMIT_MS 60000 /* a script's run time before SIGKILL */
#define AR_SCRIPT_LINE_MAX 65536 /* bytes of the check_keys line read back */

struct ar_script_run {
	const char *home;       /* HOME: bin under HOME/active-response/bin */
	const char *executable; /* a file name */
	const char *node;       /* origin.name (the agent's or manager's name) */
	const char *command;    /* "add" or "delete" */
	const json_t *alert;    /* borrowed: parameters.alert */
	const char *extra_args; /* space-separated, NULL = none -> [] */
	int limit_ms;           /* 0 = AR_SCRIPT_LIMIT_MS */
	/* Called with the check_keys keys (a JSON array of strings) to answer
	 * continue (false) or abort (true); NULL = always continue. */
	bool (*keys_held)(void *ctx, const json_t *keys);
	void *ctx;
};

struct ar_script_result {
	int exit_status;             /* WEXITSTATUS, or 128 + signal, -1 if not started */
	bool aborted;                /* we answered abort */
	bool killed;                 /* over the limit */
	json_t *keys;                /* the check_keys keys (owned, NULL if none) */
	char reason[VG_ERR_MSG_MAX]; /* "" on exit 0; else what happened */
};

/*
 * Run the script once. 0 when it ran (whatever its exit status: see
 * *res); VG_ENOTFOUND / VG_EPERM when the executable is missing or
 * untrusted (message says which), VG_EINTERNAL when it could not be
 * started. res->keys must be released with ar_script_result_clear.
 */
int ar_script_run(const struct ar_script_run *r, struct ar_script_result *res,
		  struct vg_err *err) VG_MUST_CHECK;

void ar_script_result_clear(struct ar_script_result *res);

/* The stdin message for r as a JSON object (owned by the caller). */
json_t *ar_script_message(const struct ar_script_run *r);

#endif
