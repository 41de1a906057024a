/*
 * actions.c - The built-in active responses and their report lines (see
 * actions.h).
 *
 * An action never fails silently: whatever quarantine.h answered, one line
 * goes to HOME/logs/active-responses.log, and the manager learns it from
 * there. The words after the JSON are Wazuh's where Wazuh has words for it.
 */
#include "ar/actions.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ar/arlog.h"
#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/json.h"
#include "lib/str.h"

#define WAZUH_PROGRAM "active-response/bin/"
#define RESTORED_DIR AR_QUARANTINE_DIR "/restored" /* under HOME: one file per sha256 */
#define RESTORED_MAX (64u * 1024u)                 /* bytes of paths per sha256 */

/* The words after the JSON for an action and its status. */
static const char *words_of(const char *action, enum ar_status s)
{
	static const struct {
		const char *action, *done, *not_done;
	} w[] = {
	    {"quarantine", "Quarantined threat", "Error quarantining threat"},
	    {"remove-threat", "Successfully removed threat", "Error removing threat"},
	    {"restore", "Restored quarantined file", "Error restoring quarantined file"},
	    {"delete", "Deleted quarantined file", "Error deleting quarantined file"},
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(w[i].action, action) == 0)
			return s == AR_DONE ? w[i].done : w[i].not_done;
	return s == AR_DONE ? "Active response done" : "Error running active response";
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? vg_json_string_lossy(s, strlen(s)) : json_null();
}

static json_t *outcome_json(const struct ar_act *a, const char *action, const char *file,
			    const struct ar_outcome *o)
{
	json_t *v = json_object();
	char id[24];

	/* a string: the manager's JSON decoder prints large numbers as floats */
	snprintf(id, sizeof(id), "%llu", (unsigned long long)a->command_id);
	json_object_set_new(v, "command_id", json_string(id));
	json_object_set_new(v, "action", json_string(action));
	json_object_set_new(v, "status", json_string(ar_status_name(o->status)));
	json_object_set_new(v, "file", str_or_null(file));
	if (o->reason[0] != '\0')
		json_object_set_new(v, "reason", str_or_null(o->reason));
	if (o->qid[0] != '\0')
		json_object_set_new(v, "quarantine_id", json_string(o->qid));
	if (o->manifest != NULL)
		json_object_set(v, "manifest", o->manifest);
	return v;
}

int ar_act_message(const struct ar_act *a, const char *program, const char *cmd, const char *action,
		   const char *file, const struct ar_outcome *o, json_t **json, const char **words,
		   struct vg_err *err)
{
	char prog[128];
	json_t *m = json_object(), *params = json_object();

	snprintf(prog, sizeof(prog), WAZUH_PROGRAM "%s", program);
	json_object_set_new(m, "version", json_integer(1));
	json_object_set_new(
	    m, "origin",
	    json_pack("{s:o,s:s}", "name", str_or_null(a->node), "module", "vigie-execd"));
	json_object_set_new(m, "command", json_string(cmd));
	json_object_set_new(params, "extra_args", json_array());
	json_object_set_new(params, "alert",
			    a->alert != NULL ? json_deep_copy(a->alert) : json_object());
	json_object_set_new(params, "program", json_string(prog));
	json_object_set_new(m, "parameters", params);
	json_object_set_new(m, "vigie", outcome_json(a, action, file, o));
	if (json_object_size(m) != 5) { /* a failed allocation dropped a key */
		json_decref(m);
		*json = NULL;
		return vg_err_set(err, VG_EINTERNAL, "cannot build the active-response report");
	}
	*json = m;
	*words = words_of(action, o->status);
	return 0;
}

int ar_act_report(const struct ar_act *a, const char *program, const char *cmd, const char *action,
		  const char *file, const struct ar_outcome *o, struct vg_err *err)
{
	struct vg_buf line;
	const char *words = NULL;
	json_t *m = NULL;
	int rc;

	vg_buf_init(&line, AR_LOG_LINE_MAX + 1);
	rc = ar_act_message(a, program, cmd, action, file, o, &m, &words, err);
	if (rc == 0)
		rc = ar_log_format(&line, time(NULL), program, m, words, err);
	if (rc == 0)
		rc = ar_log_append(a->home, &line, err);
	json_decref(m);
	vg_buf_free(&line);
	return rc;
}

struct ar_what ar_what_of(const json_t *cmd, struct ar_outcome *o)
{
	const char *builtin = json_string_value(json_object_get(cmd, "builtin"));
	const char *exe = json_string_value(json_object_get(cmd, "executable"));
	const char *op = json_string_value(json_object_get(cmd, "op"));
	const char *qid = json_string_value(json_object_get(cmd, "qid"));

	if (builtin != NULL)
		return (struct ar_what){builtin, "add", builtin};
	if (op == NULL)
		return (struct ar_what){exe != NULL ? exe : "unknown", "add", "script"};
	if (qid != NULL)
		vg_strlcpy(o->qid, qid, sizeof(o->qid));
	if (strcmp(op, "restore") == 0)
		return (struct ar_what){"quarantine", "delete", "restore"};
	return (struct ar_what){"quarantine", "purge", "delete"};
}

int ar_act_refuse(const struct ar_act *a, const json_t *cmd, const char *reason, struct vg_err *err)
{
	struct ar_outcome o = {AR_REFUSED, "", "", NULL};
	struct ar_what w = ar_what_of(cmd, &o);
	struct ar_target t;

	vg_strlcpy(o.reason, reason, sizeof(o.reason));
	if (ar_target_of_alert(a->alert, &t, NULL) != 0)
		t.path = NULL;
	return ar_act_report(a, w.program, w.cmd, w.action, t.path, &o, err);
}

static const char *jstr(const json_t *j, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL && j != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		j = json_object_get(j, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(j, path));
}

int ar_target_of_alert(const json_t *alert, struct ar_target *t, struct vg_err *err)
{
	const char *inode;

	*t = (struct ar_target){jstr(alert, "data.virustotal.source.file"),
				jstr(alert, "data.virustotal.sha256"), 0};
	if (t->path != NULL && t->sha256 != NULL)
		return 0;
	*t = (struct ar_target){jstr(alert, "syscheck.path"), jstr(alert, "syscheck.sha256_after"),
				0};
	inode = jstr(alert, "syscheck.inode_after");
	if (inode != NULL)
		t->inode = strtoull(inode, NULL, 10);
	else if (json_is_integer(
		     json_object_get(json_object_get(alert, "syscheck"), "inode_after")))
		t->inode = (uint64_t)json_integer_value(
		    json_object_get(json_object_get(alert, "syscheck"), "inode_after"));
	if (t->path != NULL && t->sha256 != NULL)
		return 0;
	*t = (struct ar_target){NULL, NULL, 0};
	return vg_err_set(err, VG_ENOTFOUND, "the alert names no file with a sha256");
}

/* An error before any outcome (bad id, unusable quarantine directory) is a
 * failed outcome like the others: reported, so the manager hears of it. */
static void settle(int rc, const struct vg_err *e, struct ar_outcome *out)
{
	if (rc == 0)
		return;
	out->status = AR_FAILED;
	vg_strlcpy(out->reason, e->msg, sizeof(out->reason));
}

/* ---------------------------------------------------------------- restored files */

/*
 * A restore is the operator's verdict on that content at that path: the
 * next alert about it (the FIM sees the file come back, the cached verdict
 * says malicious again) must not quarantine it again. HOME/quarantine/
 * restored/SHA256 lists the paths it was restored to, one a line.
 */
static char *restored_path(const char *home, const char *sha256)
{
	return vg_xasprintf("%s/" RESTORED_DIR "/%s", home, sha256);
}

static bool restored_before(const char *home, const struct ar_roots *roots,
			    const struct ar_target *t)
{
	struct vg_buf b, canon;
	char *path = restored_path(home, t->sha256);
	const char *file = t->path;
	size_t n;
	bool found = false;

	/* the manifest names the canonical path (/usr/bin/x for /bin/x) */
	vg_buf_init(&canon, AR_PATH_MAX);
	if (roots != NULL && ar_roots_canonical(roots, t->path, &canon) == 0)
		file = vg_buf_cstr(&canon);
	n = strlen(file);

	vg_buf_init(&b, RESTORED_MAX);
	if (strchr(t->sha256, '/') == NULL && vg_fs_read_file(path, "restored list", &b, NULL) == 0)
		for (const char *l = vg_buf_cstr(&b); *l != '\0' && !found;) {
			const char *nl = strchr(l, '\n');
			size_t len = nl != NULL ? (size_t)(nl - l) : strlen(l);
			found = len == n && memcmp(l, file, n) == 0;
			l += len + (nl != NULL);
		}
	vg_buf_free(&b);
	vg_buf_free(&canon);
	vg_free(path);
	return found;
}

static void remember_restore(const char *home, const json_t *manifest)
{
	const char *sha256 = json_string_value(json_object_get(manifest, "sha256"));
	const char *file = json_string_value(json_object_get(manifest, "path"));
	struct vg_err e = VG_ERR_INIT;
	char *dir = vg_xasprintf("%s/" RESTORED_DIR, home), *path = NULL, *line = NULL;
	int fd;

	if (sha256 == NULL || file == NULL || strchr(sha256, '/') != NULL ||
	    strchr(file, '\n') != NULL)
		goto out;
	if (vg_fs_mkdirs(dir, 0700, &e) != 0) {
		vg_log_warn("%s", e.msg);
		goto out;
	}
	path = restored_path(home, sha256);
	line = vg_xasprintf("%s\n", file);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		vg_log_warn("cannot remember the restore of %s in %s: %s", file, path,
			    strerror(errno));
	if (fd >= 0)
		close(fd);
out:
	vg_free(line);
	vg_free(path);
	vg_free(dir);
}

/* Refuse to act on what an operator restored; true when refused. */
static bool refuse_restored(const struct ar_act *a, const struct ar_target *t,
			    struct ar_outcome *out)
{
	if (!restored_before(a->home, a->roots, t))
		return false;
	*out = (struct ar_outcome){AR_REFUSED, "", "", NULL};
	snprintf(out->reason, sizeof(out->reason),
		 "this content was restored to this path by an operator: not acted on again "
		 "(remove quarantine/restored/%.64s to change that)",
		 t->sha256);
	return true;
}

/* Meta for the manifest: the alert's id, rule and VirusTotal verdict. */
static struct ar_qmeta meta_of(const json_t *alert)
{
	return (struct ar_qmeta){jstr(alert, "id"), jstr(alert, "rule.id"),
				 json_object_get(json_object_get(alert, "data"), "virustotal")};
}

int ar_act_quarantine(const struct ar_act *a, const struct ar_target *t, struct ar_outcome *out,
		      struct vg_err *err)
{
	struct ar_expect e = {t->sha256, t->inode, 0};
	struct ar_qmeta m = meta_of(a->alert);
	struct vg_err le = VG_ERR_INIT;

	if (!refuse_restored(a, t, out))
		settle(ar_quarantine_file(a->home, a->roots, t->path, &e, &m, out, &le), &le, out);
	return ar_act_report(a, "quarantine", "add", "quarantine", t->path, out, err);
}

int ar_act_remove(const struct ar_act *a, const struct ar_target *t, struct ar_outcome *out,
		  struct vg_err *err)
{
	struct ar_expect e = {t->sha256, t->inode, 0};
	struct vg_err le = VG_ERR_INIT;

	if (!refuse_restored(a, t, out))
		settle(ar_remove_file(a->roots, t->path, &e, out, &le), &le, out);
	return ar_act_report(a, "remove-threat", "add", "remove-threat", t->path, out, err);
}

/* The manifest's path, for the report ("" before the manifest is known). */
static const char *manifest_path(const struct ar_outcome *o)
{
	return json_string_value(json_object_get(o->manifest, "path"));
}

int ar_act_restore(const struct ar_act *a, const char *qid, bool force, struct ar_outcome *out,
		   struct vg_err *err)
{
	struct vg_err le = VG_ERR_INIT;

	settle(ar_quarantine_restore(a->home, qid, force, out, &le), &le, out);
	if (out->status == AR_DONE)
		remember_restore(a->home, out->manifest);
	return ar_act_report(a, "quarantine", "delete", "restore", manifest_path(out), out, err);
}

int ar_act_delete(const struct ar_act *a, const char *qid, struct ar_outcome *out,
		  struct vg_err *err)
{
	struct vg_err le = VG_ERR_INIT;

	settle(ar_quarantine_delete(a->home, qid, out, &le), &le, out);
	return ar_act_report(a, "quarantine", "purge", "delete", manifest_path(out), out, err);
}
