/*
 * actions.h - The built-in active responses, each performed and reported
 * in one call: quarantine, remove-threat, restore, delete
 * (docs/active-response.md).
 *
 * Every call ends with one line in HOME/logs/active-responses.log (arlog.h)
 * whatever the outcome, so the executor (which ships the log's lines to the
 * manager) and an operator's `vigie quarantine restore` on the host report
 * alike. The line's JSON is Wazuh's execd message, so rules 650/657 and
 * rules written for Wazuh's remove-threat ($(parameters.alert...)) read it,
 * plus Vigie's outcome under "vigie":
 *
 *   {"version":1,"origin":{"name":NODE,"module":"vigie-execd"},
 *    "command":"add"|"delete"|"purge",
 *    "parameters":{"extra_args":[],"alert":{...},"program":"active-response/bin/NAME"},
 *    "vigie":{"command_id":"N","action":"quarantine"|"remove-threat"|"restore"|"delete",
 *             "status":"done"|"refused"|"failed","file":PATH,"reason":TEXT,
 *             "quarantine_id":ID,"manifest":{...}}}
 *
 * followed by Wazuh's words, which the documented rules 100092/100093
 * match: "Successfully removed threat" / "Error removing threat", and
 * "Quarantined threat" / "Error quarantining threat", "Restored quarantined
 * file" / "Error restoring quarantined file", "Deleted quarantined file" /
 * "Error deleting quarantined file". NAME is the action (quarantine,
 * remove-threat); restore is quarantine's "delete" (Wazuh's undo), deleting
 * a quarantined copy is "purge".
 *
 * Threads: no shared state; any thread.
 */
#ifndef AR_ACTIONS_H
#define AR_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ar/quarantine.h"
#include "lib/err.h"

struct ar_act {
	const char *home;
	const char *node;             /* origin.name: this host's agent name */
	const struct ar_roots *roots; /* quarantine / remove only */
	uint64_t command_id;          /* the manager's command, 0 for an operator's */
	const json_t *alert;          /* the alert that asked for it; NULL = none */
};

/* What to act on: from the command's "target", else from the alert. */
struct ar_target {
	const char *path;
	const char *sha256;
	uint64_t inode; /* 0 = not known */
};

/*
 * The file an alert names: data.virustotal.source.file with the looked-up
 * data.virustotal.sha256 (87105), else syscheck.path with sha256_after and
 * inode_after (a FIM alert). Borrowed from alert. VG_ENOTFOUND when the
 * alert names no file with a sha256.
 */
int ar_target_of_alert(const json_t *alert, struct ar_target *t, struct vg_err *err) VG_MUST_CHECK;

/* Perform and report; 0 once the outcome is in *out and logged (out is
 * cleared first; release with ar_outcome_clear). An error before any
 * outcome (unknown id, unusable HOME/quarantine) is a failed outcome with
 * the error as its reason. A negative code only when the report could not
 * be written (the outcome is still in *out). */
int ar_act_quarantine(const struct ar_act *a, const struct ar_target *t, struct ar_outcome *out,
		      struct vg_err *err) VG_MUST_CHECK;
int ar_act_remove(const struct ar_act *a, const struct ar_target *t, struct ar_outcome *out,
		  struct vg_err *err) VG_MUST_CHECK;
int ar_act_restore(const struct ar_act *a, const char *qid, bool force, struct ar_outcome *out,
		   struct vg_err *err) VG_MUST_CHECK;
int ar_act_delete(const struct ar_act *a, const char *qid, struct ar_outcome *out,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * Report an outcome reached elsewhere (a script that failed to run, a
 * command the manager let expire): the same line, for action ACTION
 * (program active-response/bin/PROGRAM, Wazuh command word CMD).
 */
int ar_act_report(const struct ar_act *a, const char *program, const char *cmd, const char *action,
		  const char *file, const struct ar_outcome *o, struct vg_err *err) VG_MUST_CHECK;

/* What a command (executor.h's JSON) does, in its report's words. */
struct ar_what {
	const char *program; /* active-response/bin/PROGRAM */
	const char *cmd;     /* Wazuh's command word: add, delete, purge */
	const char *action;  /* vigie.action */
};

/* Borrowed from cmd; the quarantine id of a restore / delete goes into o->qid. */
struct ar_what ar_what_of(const json_t *cmd, struct ar_outcome *o);

/* Report command cmd refused for reason without running it (the agent's
 * <active-response><disabled>yes). */
int ar_act_refuse(const struct ar_act *a, const json_t *cmd, const char *reason,
		  struct vg_err *err) VG_MUST_CHECK;

/* The report's JSON and trailing words, without writing them (the
 * manager writes expiries into its event queue). *json is owned. */
int ar_act_message(const struct ar_act *a, const char *program, const char *cmd, const char *action,
		   const char *file, const struct ar_outcome *o, json_t **json, const char **words,
		   struct vg_err *err) VG_MUST_CHECK;

#endif
