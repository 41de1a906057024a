/*
 * quarantine.c - `vigie quarantine list|show|restore|delete`
 * (docs/cli-quarantine.md).
 *
 * Two places to act, one set of commands:
 *   - this host (no --agent): HOME/quarantine through ar/quarantine.h.
 *     restore and delete go through ar/actions.h with command id 0 and the
 *     host name as node, so their report line lands in
 *     HOME/logs/active-responses.log exactly like an executed command's,
 *     and the running daemon (which watches that file) ships it: the
 *     manager raises 99914..99917 whoever acted.
 *   - an agent (--agent ID, 000 = the manager itself): the manager's view
 *     of that agent's quarantine (manager/cmdq.h, HOME/queue/responses.db)
 *     answers list and show without a round trip; restore and delete queue
 *     a command there ({"type":"quarantine","op":...}, ar/executor.h) that
 *     the manager's responder delivers; --wait follows it to its outcome.
 *
 * Manifests name files an attacker chose the names of, and the manager's
 * view holds what agents reported: every text from them is printed escaped
 * (control characters, C1 and bidirectional controls, backslashes; bytes
 * that are not UTF-8 as \xHH). --json output is exact (jansson escapes).
 *
 * Exit status: 0 done, 1 error or an outcome that is not done (the reason
 * on stderr), 2 usage error, 3 --wait ran out of time.
 *
 * Single-threaded.
 */
#include "cli/quarantine.h"
#include "cli/usage.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ar/actions.h"
#include "ar/quarantine.h"
#include "lib/common.h"
#include "lib/hostname.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/cmdq.h"
#include "manager/registry.h"
#include "manager/responder.h"

#define QU_WAIT_S 30               /* --wait without a value */
#define QU_WAIT_MAX_S 86400        /* longer than a command lives anyway */
#define QU_POLL_MS 200             /* how often a waited command is looked at */
#define QU_EXIT_TIMEOUT 3          /* --wait ran out of time */
#define QU_JSON_MAX (1024 * 1024)  /* one manifest or outcome as JSON */
#define QU_CELL_MAX 80             /* one escaped short field */
#define QU_TEXT_MAX (4 * PATH_MAX) /* an escaped path: \xHH is 4 bytes per byte */
#define QU_SHA_SHORT 12            /* digits of the sha256 in the table */

struct qu_opts {
	const char *home;
	const char *cmd; /* list, show, restore, delete */
	const char *qid;
	char agent[REG_ID_TEXT]; /* normalised ("001"); "" = this host */
	bool all, json, force, wait;
	unsigned wait_s;
};

/* ---------------------------------------------------------------- options */

static void qu_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie quarantine list [--agent ID | --all] [--json] [-D HOME]\n"
		"       vigie quarantine show QID [--agent ID] [--json] [-D HOME]\n"
		"       vigie quarantine restore QID [--agent ID] [--force] [--wait[=SECONDS]]\n"
		"                                    [--json] [-D HOME]\n"
		"       vigie quarantine delete QID [--agent ID] [--wait[=SECONDS]] [--json]\n"
		"                                   [-D HOME]\n"
		"List, show, restore and delete the files that active response quarantined\n"
		"(the built-in quarantine command of an <active-response> block).\n"
		"\n"
		"Without --agent, the command acts on this host's HOME/quarantine at once.\n"
		"restore and delete write their report to HOME/logs/active-responses.log as\n"
		"a command of the manager would: the running vigie-agent or vigie-manager\n"
		"ships it, and the manager raises its alert (rules 99914 to 99917).\n"
		"\n"
		"With --agent ID (000 is the manager's own files), the command goes through\n"
		"the manager of HOME: list and show read the manager's view of the agent's\n"
		"quarantine (HOME/queue/responses.db, kept up to date by the agent's\n"
		"reports, so the agent need not be connected); restore and delete queue a\n"
		"command that the manager hands to the agent when it is connected, and that\n"
		"expires unrun after %d hours. Its id is printed; --wait waits for the\n"
		"agent's outcome.\n"
		"\n"
		"Commands:\n"
		"  list         the quarantined files, oldest first (newest first in the\n"
		"               manager's view): ID, WHEN (quarantined, UTC), SIZE (bytes),\n"
		"               SHA256 (its first %d digits), PATH (where the file was);\n"
		"               with --agent or --all also AGENT and STATE (quarantined,\n"
		"               restored or deleted, as last reported)\n"
		"  show QID     one file's manifest: its path, size, owner, group, mode and\n"
		"               times, its hashes, and the alert and verdict that sent it\n"
		"               to quarantine\n"
		"  restore QID  put the file back at its path with its owner, group, mode\n"
		"               and times; refused when a file exists at that path now\n"
		"               (see --force). A verdict on the same content at that path\n"
		"               never quarantines it again.\n"
		"  delete QID   remove the quarantined copy and its manifest for good\n"
		"\n"
		"QID is the %d-digit lowercase hex id that list shows and that alerts 99910\n"
		"give (data.vigie.quarantine_id).\n"
		"\n"
		"Options:\n"
		"  -D, --home DIR        the home of this host's vigie-agent or vigie-manager;\n"
		"                        with --agent or --all, the manager's (default: %s)\n"
		"  -a, --agent ID        through the manager, for agent ID ('001' or '1';\n"
		"                        000: the manager itself)\n"
		"  -A, --all             list: every agent's files, in the manager's view\n"
		"  -f, --force           restore: replace the file that exists at the path now\n"
		"  -w, --wait[=SECONDS]  restore, delete with --agent: wait up to SECONDS\n"
		"                        (default %d, at most %d) for the agent's outcome and\n"
		"                        print it; without --agent the action is immediate\n"
		"                        and --wait changes nothing. Give the value with '='\n"
		"                        (--wait=60, -w60).\n"
		"  -j, --json            list: one manifest per line (with \"agent\" and\n"
		"                        \"state\" in the manager's view); show: the manifest;\n"
		"                        restore, delete: the outcome as one JSON object\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"Paths and other reported text are printed with control characters,\n"
		"backslashes and bytes that are not UTF-8 escaped (\\n, \\t, \\xHH, \\uHHHH),\n"
		"so a hostile file name can neither forge lines nor drive the terminal.\n"
		"--json gives them exactly (path_hex holds the bytes of a path that is not\n"
		"UTF-8).\n"
		"\n"
		"Examples:\n"
		"  vigie quarantine list\n"
		"  vigie quarantine show 0190a1b2c3d4e5f6 --json | jq .verdict\n"
		"  vigie quarantine restore 0190a1b2c3d4e5f6 --agent 001 --wait\n"
		"  vigie quarantine list --all\n"
		"\n"
		"Exit status: 0 on success; 1 on an error: an unknown id, a restore or\n"
		"delete refused or failed (the reason is on standard error), a command that\n"
		"expired before its agent took it; 2 on a usage error; 3 when --wait ran out\n"
		"of time (the command stays queued and runs when the agent takes it).\n",
		RESPONDER_EXPIRE_S / 3600, QU_SHA_SHORT, AR_QID_LEN, VG_DEFAULT_HOME, QU_WAIT_S,
		QU_WAIT_MAX_S);
}

/* Which options a command accepts: letters of "aAfwj". */
static bool qu_allowed(const char *cmd, int opt)
{
	static const struct cli_subcmd table[] = {
	    {"list", "aAj"}, {"show", "aj"}, {"restore", "afwj"}, {"delete", "awj"}};

	return cli_subcmd_allows(table, sizeof(table) / sizeof(table[0]), cmd, opt);
}

/* What the library accepts as an id, checked before anything is opened. */
static bool qu_qid_valid(const char *s)
{
	if (strlen(s) != AR_QID_LEN)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int qu_check_args(struct qu_opts *o, const char *seen, const char *agent, char **pos,
			 int npos)
{
	struct vg_err err = VG_ERR_INIT;
	int64_t id;
	bool needs_qid;

	if (npos == 0)
		return cli_usage_error("quarantine", "%s",
				       "missing command (list, show, restore or delete)");
	o->cmd = pos[0];
	if (strcmp(o->cmd, "list") != 0 && strcmp(o->cmd, "show") != 0 &&
	    strcmp(o->cmd, "restore") != 0 && strcmp(o->cmd, "delete") != 0)
		return cli_usage_error("quarantine", "unknown command '%s'", o->cmd);
	needs_qid = strcmp(o->cmd, "list") != 0;
	if (npos != (needs_qid ? 2 : 1))
		return cli_usage_error("quarantine", "%s takes %s", o->cmd,
				       needs_qid ? "one QID" : "no argument");
	for (const char *p = seen; *p != '\0'; p++)
		if (!qu_allowed(o->cmd, *p))
			return cli_usage_error("quarantine", "%s does not take -%c", o->cmd, *p);
	if (agent != NULL && o->all)
		return cli_usage_error("quarantine", "%s", "--agent and --all exclude each other");
	if (agent != NULL && reg_id_parse(agent, &id, &err) != 0)
		return cli_usage_error("quarantine", "--agent: %s", err.msg);
	if (agent != NULL)
		reg_id_format(id, o->agent);
	o->qid = needs_qid ? pos[1] : NULL;
	if (o->qid != NULL && !qu_qid_valid(o->qid))
		return cli_usage_error("quarantine",
				       "'%s' is not a quarantine id (%d lowercase hex digits)",
				       o->qid, AR_QID_LEN);
	return 0;
}

static int qu_parse_wait(const char *arg, struct qu_opts *o)
{
	uint64_t v;

	o->wait = true;
	if (arg == NULL)
		return 0;
	if (vg_parse_u64(arg, QU_WAIT_MAX_S, &v) != 0)
		return cli_usage_error("quarantine", "--wait: expected 0..%d seconds, got '%s'",
				       QU_WAIT_MAX_S, arg);
	o->wait_s = (unsigned)v;
	return 0;
}

/* 0: run; 1: --help was printed; 2: usage error (already reported). */
static int qu_parse(int argc, char **argv, struct qu_opts *o)
{
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'D'}, {"agent", required_argument, NULL, 'a'},
	    {"all", no_argument, NULL, 'A'},        {"force", no_argument, NULL, 'f'},
	    {"wait", optional_argument, NULL, 'w'}, {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *agent = NULL;
	char seen[16] = "";
	int c;

	*o = (struct qu_opts){.home = VG_DEFAULT_HOME, .wait_s = QU_WAIT_S};
	optind = 1; /* argv is the subcommand's: parse it from its start */
	while ((c = getopt_long(argc, argv, "D:a:Afw::jh", longopts, NULL)) != -1) {
		cli_seen_add(seen, sizeof(seen), c);
		switch (c) {
		case 'D':
			o->home = optarg;
			break;
		case 'a':
			agent = optarg;
			break;
		case 'A':
			o->all = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'w':
			if (qu_parse_wait(optarg, o) != 0)
				return 2;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			qu_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'vigie quarantine --help'.\n");
			return 2;
		}
	}
	return qu_check_args(o, seen, agent, argv + optind, argc - optind);
}

/* ---------------------------------------------------------------- text for people */

/* Line and paragraph separators and bidirectional controls (U+2028..U+202E,
 * U+2066..U+2069): they break or reorder what a terminal shows, so a name
 * could display as another. */
static bool qu_bidi(const unsigned char *s, size_t left)
{
	if (left < 3 || s[0] != 0xe2)
		return false;
	return (s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) ||
	       (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9);
}

/* One escaped piece of s (which is valid UTF-8) at i; *step bytes used.
 * bs: backslashes doubled too (off for text another escaper already made
 * safe, such as a reason holding an escaped path). */
static void qu_piece(const unsigned char *s, size_t len, size_t i, bool bs, char piece[16],
		     size_t *step)
{
	*step = 1;
	if (s[i] == 0xc2 && i + 1 < len && s[i + 1] < 0xa0) { /* C1 control */
		snprintf(piece, 16, "\\u%04x", s[i + 1]);
		*step = 2;
	} else if (qu_bidi(s + i, len - i)) {
		snprintf(piece, 16, "\\u%04x",
			 ((s[i] & 0x0f) << 12) | ((s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f));
		*step = 3;
	} else if (s[i] == '\\' && bs) {
		snprintf(piece, 16, "\\\\");
	} else if (s[i] == '\n') {
		snprintf(piece, 16, "\\n");
	} else if (s[i] == '\t') {
		snprintf(piece, 16, "\\t");
	} else if (s[i] == '\r') {
		snprintf(piece, 16, "\\r");
	} else if (s[i] < 0x20 || s[i] == 0x7f) {
		snprintf(piece, 16, "\\x%02x", s[i]);
	} else {
		piece[0] = (char)s[i];
		piece[1] = '\0';
	}
}

/*
 * src[0..len) made safe to print: valid UTF-8 keeps its letters (a French
 * or Japanese name stays readable), controls are escaped; anything else is
 * vg_escape's \xHH. Cut with "..." to fit dstsz (>= 4).
 */
static void qu_escape(const char *src, size_t len, bool bs, char *dst, size_t dstsz)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0, n, step;
	char piece[16];

	if (!vg_utf8_valid(src, len)) {
		vg_escape(dst, dstsz, src, len);
		return;
	}
	dst[0] = '\0';
	while (i < len) {
		qu_piece(s, len, i, bs, piece, &step);
		n = strlen(piece);
		if (o + n + 4 > dstsz) {
			vg_strlcpy(dst + o, "...", dstsz - o);
			return;
		}
		memcpy(dst + o, piece, n + 1);
		o += n;
		i += step;
	}
}

/* A manifest field as text: a string escaped, a number, else "-". */
static const char *qu_field(const json_t *m, const char *key, char *dst, size_t dstsz)
{
	const json_t *v = json_object_get(m, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		qu_escape(json_string_value(v), json_string_length(v), true, dst, dstsz);
	else if (json_is_integer(v))
		snprintf(dst, dstsz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		vg_strlcpy(dst, "-", dstsz);
	return dst;
}

/* The path where the file was: its exact bytes (path_hex) when the path
 * is not UTF-8, since "path" then holds U+FFFD in their place. */
static const char *qu_path(const json_t *m, char *dst, size_t dstsz)
{
	const char *hex = json_string_value(json_object_get(m, "path_hex"));
	unsigned char raw[PATH_MAX];
	size_t n = 0;

	if (hex != NULL && vg_hex_decode(hex, raw, sizeof(raw), &n) == 0)
		qu_escape((const char *)raw, n, true, dst, dstsz);
	else
		qu_field(m, "path", dst, dstsz);
	return dst;
}

/* Epoch seconds (+ nanoseconds) as ISO 8601 UTC, "-" when absent. */
static const char *qu_time(const json_t *m, const char *key, const char *nskey,
			   char out[QU_CELL_MAX])
{
	const json_t *v = json_object_get(m, key);
	json_int_t ns = json_integer_value(json_object_get(m, nskey));
	time_t t = (time_t)json_integer_value(v);
	struct tm tm;
	char sec[32];

	if (ns < 0 || ns > 999999999)
		ns = 0;
	if (!json_is_integer(v) || gmtime_r(&t, &tm) == NULL ||
	    strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		vg_strlcpy(out, "-", QU_CELL_MAX);
	else
		snprintf(out, QU_CELL_MAX, "%s.%09lldZ", sec, (long long)ns);
	return out;
}

static void qu_kv(const char *label, const char *value)
{
	printf("%-16s%s\n", label, value);
}

static int qu_print_json(const json_t *j, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(QU_JSON_MAX);
	int rc = vg_json_dump(&b, j, err);

	if (rc == 0)
		printf("%s\n", vg_buf_cstr(&b));
	vg_buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- list and show */

enum { C_ID, C_AGENT, C_STATE, C_WHEN, C_SIZE, C_SHA, C_PATH, QU_COLS };

struct qu_row {
	char cell[C_PATH][QU_CELL_MAX];
	char path[QU_TEXT_MAX];
};

static void qu_row_text(const json_t *m, struct qu_row *r)
{
	qu_field(m, "id", r->cell[C_ID], QU_CELL_MAX);
	qu_field(m, "agent", r->cell[C_AGENT], QU_CELL_MAX);
	qu_field(m, "state", r->cell[C_STATE], QU_CELL_MAX);
	qu_field(m, "quarantined_at", r->cell[C_WHEN], QU_CELL_MAX);
	qu_field(m, "size", r->cell[C_SIZE], QU_CELL_MAX);
	qu_field(m, "sha256", r->cell[C_SHA], QU_CELL_MAX);
	r->cell[C_SHA][QU_SHA_SHORT] = '\0'; /* 80 > 12: within the cell */
	qu_path(m, r->path, sizeof(r->path));
}

/* view: the manager's view, with the AGENT and STATE columns. */
static void qu_line(const int *width, const char *const *cell, bool view)
{
	for (int c = 0; c < C_PATH; c++)
		if (view || (c != C_AGENT && c != C_STATE))
			printf("%-*s  ", width[c], cell[c]);
	printf("%s\n", cell[C_PATH]);
}

/* The table: measured in a first pass over the rows, printed in a second. */
static void qu_table(const json_t *rows, bool view)
{
	static const char *const head[QU_COLS] = {"ID",   "AGENT",  "STATE", "WHEN",
						  "SIZE", "SHA256", "PATH"};
	struct qu_row *r = vg_xmalloc(sizeof(*r));
	const char *cell[QU_COLS];
	int width[QU_COLS];
	const json_t *m;
	size_t i;

	for (int c = 0; c < QU_COLS; c++)
		width[c] = (int)strlen(head[c]);
	json_array_foreach(rows, i, m)
	{
		qu_row_text(m, r);
		for (int c = 0; c < C_PATH; c++)
			if ((int)strlen(r->cell[c]) > width[c])
				width[c] = (int)strlen(r->cell[c]);
	}
	qu_line(width, head, view);
	json_array_foreach(rows, i, m)
	{
		qu_row_text(m, r);
		for (int c = 0; c < C_PATH; c++)
			cell[c] = r->cell[c];
		cell[C_PATH] = r->path;
		qu_line(width, cell, view);
	}
	vg_free(r);
}

static int qu_print_rows(const struct qu_opts *o, const json_t *rows, bool view, struct vg_err *err)
{
	const json_t *m;
	size_t i;

	if (!o->json) {
		qu_table(rows, view);
		return 0;
	}
	json_array_foreach(rows, i, m)
	{
		if (qu_print_json(m, err) != 0)
			return VG_EINTERNAL;
	}
	return 0;
}

/* The verdict that sent the file to quarantine, in a line. Its numbers
 * may be strings: the alert's JSON decoder keeps Wazuh's ("57"). */
static const char *qu_verdict(const json_t *m, char out[QU_CELL_MAX])
{
	const json_t *v = json_object_get(m, "verdict");
	char pos[24], tot[24];

	if (json_object_get(v, "positives") != NULL && json_object_get(v, "total") != NULL)
		snprintf(out, QU_CELL_MAX, "%s of %s engines (VirusTotal)",
			 qu_field(v, "positives", pos, sizeof(pos)),
			 qu_field(v, "total", tot, sizeof(tot)));
	else
		vg_strlcpy(out, json_is_object(v) ? "(see --json)" : "-", QU_CELL_MAX);
	return out;
}

static void qu_show_text(const json_t *m, bool view)
{
	struct qu_row *r = vg_xmalloc(sizeof(*r));
	char a[QU_CELL_MAX], b[QU_CELL_MAX], line[2 * QU_CELL_MAX + 16];

	qu_row_text(m, r);
	qu_kv("ID:", r->cell[C_ID]);
	if (view) {
		qu_kv("Agent:", r->cell[C_AGENT]);
		qu_kv("State:", r->cell[C_STATE]);
	}
	qu_kv("Path:", r->path);
	qu_kv("Size:", r->cell[C_SIZE]);
	snprintf(line, sizeof(line), "%s (%s)", qu_field(m, "uid", a, sizeof(a)),
		 qu_field(m, "owner", b, sizeof(b)));
	qu_kv("Owner:", line);
	snprintf(line, sizeof(line), "%s (%s)", qu_field(m, "gid", a, sizeof(a)),
		 qu_field(m, "group", b, sizeof(b)));
	qu_kv("Group:", line);
	snprintf(line, sizeof(line), "%04llo",
		 (unsigned long long)json_integer_value(json_object_get(m, "mode")) & 07777);
	qu_kv("Mode:", json_is_integer(json_object_get(m, "mode")) ? line : "-");
	qu_kv("Modified:", qu_time(m, "mtime", "mtime_ns", a));
	qu_kv("Accessed:", qu_time(m, "atime", "atime_ns", a));
	snprintf(line, sizeof(line), "%s (device %s)", qu_field(m, "inode", a, sizeof(a)),
		 qu_field(m, "device", b, sizeof(b)));
	qu_kv("Inode:", line);
	qu_kv("SHA256:", qu_field(m, "sha256", a, sizeof(a)));
	qu_kv("SHA1:", qu_field(m, "sha1", a, sizeof(a)));
	qu_kv("MD5:", qu_field(m, "md5", a, sizeof(a)));
	snprintf(line, sizeof(line), "%s (%s)", r->cell[C_WHEN],
		 qu_field(m, "method", a, sizeof(a)));
	qu_kv("Quarantined:", line);
	snprintf(line, sizeof(line), "%s (rule %s)", qu_field(m, "alert_id", a, sizeof(a)),
		 qu_field(m, "rule_id", b, sizeof(b)));
	qu_kv("Alert:", line);
	qu_kv("Verdict:", qu_verdict(m, a));
	vg_free(r);
}

static int qu_print_one(const struct qu_opts *o, const json_t *m, bool view, struct vg_err *err)
{
	if (o->json)
		return qu_print_json(m, err);
	qu_show_text(m, view);
	return 0;
}

/* ---------------------------------------------------------------- this host */

static int qu_home_check(const struct qu_opts *o, struct vg_err *err)
{
	struct stat st;

	if (stat(o->home, &st) != 0 || !S_ISDIR(st.st_mode))
		return vg_err_set(err, VG_ENOTFOUND, "home %s is not a directory (see -D)",
				  o->home);
	return 0;
}

static int qu_local_list(const struct qu_opts *o, struct vg_err *err)
{
	json_t *rows = NULL;
	int rc = ar_quarantine_list(o->home, &rows, err);

	if (rc == 0)
		rc = qu_print_rows(o, rows, false, err);
	json_decref(rows);
	return rc;
}

static int qu_local_show(const struct qu_opts *o, struct vg_err *err)
{
	json_t *m = NULL;
	int rc = ar_quarantine_show(o->home, o->qid, &m, err);

	if (rc == 0)
		rc = qu_print_one(o, m, false, err);
	json_decref(m);
	return rc;
}

/* An id with neither ID.json nor ID.bin is a mistake, not an action to
 * report: refused here, before any report line is written. A broken
 * manifest beside its .bin is still restored or deleted (and reported). */
static int qu_local_known(const struct qu_opts *o, struct vg_err *err)
{
	char *js = vg_xasprintf("%s/%s/%s.json", o->home, AR_QUARANTINE_DIR, o->qid);
	char *bin = vg_xasprintf("%s/%s/%s.bin", o->home, AR_QUARANTINE_DIR, o->qid);
	struct stat st;
	int rc = 0;

	if (lstat(js, &st) != 0 && lstat(bin, &st) != 0)
		rc = vg_err_set(err, VG_ENOTFOUND, "no quarantined file has the id %s in %s/%s",
				o->qid, o->home, AR_QUARANTINE_DIR);
	vg_free(bin);
	vg_free(js);
	return rc;
}

/* The outcome as the report's "vigie" object says it. */
static json_t *qu_outcome_json(const char *action, const struct ar_outcome *out)
{
	const json_t *path = json_object_get(out->manifest, "path");

	return json_pack("{s:s, s:s, s:s, s:s, s:O?, s:O?}", "action", action, "status",
			 ar_status_name(out->status), "reason", out->reason, "quarantine_id",
			 out->qid, "file", path, "manifest", out->manifest);
}

/* Print the outcome: done on stdout; else its reason on stderr and VG_EPERM. */
static int qu_local_outcome(const struct qu_opts *o, const struct ar_outcome *out,
			    struct vg_err *err)
{
	bool restore = strcmp(o->cmd, "restore") == 0;
	char *path = vg_xmalloc(QU_TEXT_MAX);
	json_t *j = NULL;
	int rc = 0;

	qu_path(out->manifest, path, QU_TEXT_MAX);
	if (o->json) {
		j = qu_outcome_json(o->cmd, out);
		rc = qu_print_json(j, err);
	} else if (out->status == AR_DONE && restore) {
		printf("Restored quarantined file %s to %s\n", o->qid, path);
	} else if (out->status == AR_DONE) {
		printf("Deleted quarantined file %s (it was %s)\n", o->qid, path);
	}
	if (out->status != AR_DONE) { /* the reason: one sentence, path escaped by ar */
		fprintf(stderr, "vigie quarantine: %s %s %s: %s\n", o->cmd, o->qid,
			ar_status_name(out->status), out->reason);
		rc = VG_EPERM;
	}
	json_decref(j);
	vg_free(path);
	return rc;
}

static int qu_local_act(const struct qu_opts *o, struct vg_err *err)
{
	struct ar_outcome out = {.status = AR_FAILED};
	struct vg_err rep = VG_ERR_INIT;
	char *node = vg_hostname();
	struct ar_act a = {o->home, node, NULL, 0, NULL};
	int rc = qu_local_known(o, err), wrote = 0;

	if (rc != 0)
		goto out;
	if (strcmp(o->cmd, "restore") == 0)
		wrote = ar_act_restore(&a, o->qid, o->force, &out, &rep);
	else
		wrote = ar_act_delete(&a, o->qid, &out, &rep);
	rc = qu_local_outcome(o, &out, err);
	if (wrote != 0) /* the action stands; the manager will not hear of it */
		rc = vg_err_set(err, wrote, "%s %s, but its report was not written: %s", o->cmd,
				ar_status_name(out.status), rep.msg);
out:
	ar_outcome_clear(&out);
	vg_free(node);
	return rc;
}

/* ---------------------------------------------------------------- through the manager */

static int64_t qu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The command queue, never created by a mistyped HOME. */
static int qu_cmdq_open(const struct qu_opts *o, bool readonly, struct cmdq **q, struct vg_err *err)
{
	char *path = vg_xasprintf("%s/%s", o->home, CMDQ_DB);
	int rc;

	*q = NULL;
	if (access(path, F_OK) != 0)
		rc = vg_err_set(err, VG_ENOTFOUND,
				"no command queue at %s: is this the home of a vigie-manager "
				"with an <active-response>? (without --agent: this host)",
				path);
	else
		rc = cmdq_open(o->home, readonly, q, err);
	vg_free(path);
	return rc;
}

struct qu_collect {
	json_t *rows;
	const char *qid; /* NULL: every row */
};

/* The manifest's numbers as numbers: the manager's JSON decoder keeps
 * Wazuh's strings ("416"), so the view stores them as text. */
static void qu_numbers(json_t *m)
{
	static const char *const keys[] = {"size",     "uid",   "gid",      "mode",  "atime",
					   "atime_ns", "mtime", "mtime_ns", "inode", "device"};
	const char *s;
	int64_t v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = json_string_value(json_object_get(m, keys[i]));
		if (s != NULL && vg_parse_i64(s, INT64_MIN, INT64_MAX, &v) == 0)
			json_object_set_new(m, keys[i], json_integer((json_int_t)v));
	}
}

/* A row of the view as its manifest, with the view's agent and state;
 * the id is the view's key (the one a restore refers to). */
static int qu_collect_row(void *ctx, const struct cmdq_qrow *r)
{
	struct qu_collect *c = ctx;
	json_t *m;

	if (c->qid != NULL && strcmp(r->qid, c->qid) != 0)
		return 0;
	m = json_loads(r->manifest, 0, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		m = json_object();
	}
	qu_numbers(m);
	json_object_set_new(m, "id", vg_json_string_lossy(r->qid, strlen(r->qid)));
	json_object_set_new(m, "agent", vg_json_string_lossy(r->agent_id, strlen(r->agent_id)));
	json_object_set_new(m, "state", vg_json_string_lossy(r->state, strlen(r->state)));
	json_array_append_new(c->rows, m);
	return 0;
}

/* The view's rows (of o->agent, every agent with --all; qid: only that one). */
static int qu_view(struct cmdq *q, const struct qu_opts *o, const char *qid, json_t **rows,
		   struct vg_err *err)
{
	struct qu_collect c = {json_array(), qid};
	int rc = cmdq_quarantine_list(q, o->all ? NULL : o->agent, NULL, qu_collect_row, &c, err);

	if (rc == 0 && qid != NULL && json_array_size(c.rows) == 0)
		rc = vg_err_set(err, VG_ENOTFOUND,
				"agent %s has no quarantined file %s in the manager's view (it "
				"follows the agent's reports)",
				o->agent, qid);
	if (rc != 0) {
		json_decref(c.rows);
		c.rows = NULL;
	}
	*rows = c.rows;
	return rc;
}

static int qu_view_list(const struct qu_opts *o, struct vg_err *err)
{
	struct cmdq *q = NULL;
	json_t *rows = NULL;
	int rc = qu_cmdq_open(o, true, &q, err);

	if (rc == 0)
		rc = qu_view(q, o, NULL, &rows, err);
	if (rc == 0)
		rc = qu_print_rows(o, rows, true, err);
	json_decref(rows);
	cmdq_close(q);
	return rc;
}

static int qu_view_show(const struct qu_opts *o, struct vg_err *err)
{
	struct cmdq *q = NULL;
	json_t *rows = NULL;
	int rc = qu_cmdq_open(o, true, &q, err);

	if (rc == 0)
		rc = qu_view(q, o, o->qid, &rows, err);
	if (rc == 0)
		rc = qu_print_one(o, json_array_get(rows, 0), true, err);
	json_decref(rows);
	cmdq_close(q);
	return rc;
}

/* Queue the command for a file the view says the agent still holds. */
static int qu_queue(struct cmdq *q, const struct qu_opts *o, uint64_t *id, struct vg_err *err)
{
	int64_t now = qu_now_ms();

	return cmdq_quarantine_op(q, o->agent, o->cmd, o->qid, o->force, now,
				  now + (int64_t)RESPONDER_EXPIRE_S * 1000, id, err);
}

static bool qu_final(const char *state)
{
	return strcmp(state, "done") == 0 || strcmp(state, "refused") == 0 ||
	       strcmp(state, "failed") == 0 || strcmp(state, "expired") == 0;
}

/* Poll command id until it reaches a final state or wait_s pass. */
static int qu_wait(struct cmdq *q, const struct qu_opts *o, uint64_t id, struct cmdq_row *row,
		   bool *timed_out, struct vg_err *err)
{
	int64_t end = qu_now_ms() + (int64_t)o->wait_s * 1000;
	int rc;

	for (;;) {
		rc = cmdq_get(q, id, row, err);
		if (rc != 0 || qu_final(row->state))
			return rc;
		if (qu_now_ms() >= end) {
			*timed_out = true;
			return 0;
		}
		usleep(QU_POLL_MS * 1000);
	}
}

/* The JSON answer: the command, its state and the agent's result. */
static int qu_remote_json(const struct qu_opts *o, uint64_t id, const struct cmdq_row *row,
			  struct vg_err *err)
{
	json_t *res = row->result != NULL ? json_loads(row->result, 0, NULL) : NULL;
	json_t *j =
	    json_pack("{s:I, s:s, s:s, s:s, s:s, s:o?}", "command_id", (json_int_t)id, "agent",
		      o->agent, "op", o->cmd, "qid", o->qid, "state", row->state, "result", res);
	int rc = qu_print_json(j, err);

	json_decref(j);
	return rc;
}

/* The agent's reason: its path is escaped already (ar), its controls are
 * escaped here in case the agent is not ours to trust. */
static void qu_reason(const json_t *res, char *dst, size_t dstsz)
{
	const json_t *v = json_object_get(res, "reason");

	if (json_is_string(v) && json_string_length(v) > 0)
		qu_escape(json_string_value(v), json_string_length(v), false, dst, dstsz);
	else
		vg_strlcpy(dst, "no reason given", dstsz);
}

/* The outcome of a finished command for people (on stdout when text;
 * a failure's reason always on stderr); VG_EPERM unless done. */
static int qu_remote_text(const struct qu_opts *o, uint64_t id, const struct cmdq_row *row,
			  bool text)
{
	json_t *res = row->result != NULL ? json_loads(row->result, 0, NULL) : NULL;
	char *path = vg_xmalloc(QU_TEXT_MAX), *reason = vg_xmalloc(QU_TEXT_MAX);
	bool done = strcmp(row->state, "done") == 0;
	int rc = done ? 0 : VG_EPERM;

	qu_field(res, "file", path, QU_TEXT_MAX);
	qu_reason(res, reason, QU_TEXT_MAX);

	if (done && !text) {
		/* the JSON said it */
	} else if (done && strcmp(o->cmd, "restore") == 0)
		printf("Restored quarantined file %s to %s on agent %s (command %" PRIu64 ")\n",
		       o->qid, path, o->agent, id);
	else if (strcmp(row->state, "done") == 0)
		printf("Deleted quarantined file %s (it was %s) on agent %s (command %" PRIu64
		       ")\n",
		       o->qid, path, o->agent, id);
	else if (strcmp(row->state, "expired") == 0)
		fprintf(stderr,
			"vigie quarantine: command %" PRIu64 " expired before agent %s took it\n",
			id, o->agent);
	else
		fprintf(stderr,
			"vigie quarantine: %s %s on agent %s %s (command %" PRIu64 "): %s\n",
			o->cmd, o->qid, o->agent, row->state, id, reason);
	vg_free(reason);
	vg_free(path);
	json_decref(res);
	return rc;
}

static int qu_remote_act(const struct qu_opts *o, bool *timed_out, struct vg_err *err)
{
	struct cmdq *q = NULL;
	struct cmdq_row row = {0};
	uint64_t id = 0;
	int rc = qu_cmdq_open(o, false, &q, err);

	if (rc == 0)
		rc = qu_queue(q, o, &id, err);
	if (rc != 0)
		goto out;
	if (!o->json && !o->wait)
		printf("%" PRIu64 "\n", id);
	if (!o->json)
		fprintf(stderr,
			"vigie quarantine: %s %s queued for agent %s as command %" PRIu64 "%s\n",
			o->cmd, o->qid, o->agent, id,
			o->wait ? ": waiting for its outcome..." : " (--wait follows it)");
	rc = o->wait ? qu_wait(q, o, id, &row, timed_out, err) : cmdq_get(q, id, &row, err);
	if (rc == 0 && o->json)
		rc = qu_remote_json(o, id, &row, err);
	if (rc == 0 && *timed_out)
		rc = vg_err_set(err, VG_EINTERNAL,
				"command %" PRIu64 " is still %s after %u s: it stays queued and "
				"runs when agent %s takes it (it expires in %d hours)",
				id, row.state, o->wait_s, o->agent, RESPONDER_EXPIRE_S / 3600);
	else if (rc == 0 && o->wait)
		rc = qu_remote_text(o, id, &row, !o->json);
out:
	cmdq_close(q);
	return rc;
}

/* ---------------------------------------------------------------- main */

static int qu_run(const struct qu_opts *o, bool *timed_out, struct vg_err *err)
{
	bool remote = o->agent[0] != '\0' || o->all;
	int rc = qu_home_check(o, err);

	if (rc != 0)
		return rc;
	if (strcmp(o->cmd, "list") == 0)
		return remote ? qu_view_list(o, err) : qu_local_list(o, err);
	if (strcmp(o->cmd, "show") == 0)
		return remote ? qu_view_show(o, err) : qu_local_show(o, err);
	return remote ? qu_remote_act(o, timed_out, err) : qu_local_act(o, err);
}

int cli_quarantine(int argc, char **argv)
{
	struct vg_err err = VG_ERR_INIT;
	struct qu_opts o;
	bool timed_out = false;
	int rc, status = qu_parse(argc, argv, &o);

	if (status != 0)
		return status == 1 ? 0 : status;
	rc = qu_run(&o, &timed_out, &err);
	if (rc != 0 && err.code != 0)
		fprintf(stderr, "vigie quarantine: %s\n", err.msg);
	if (rc != 0 && timed_out)
		return QU_EXIT_TIMEOUT;
	return rc != 0 ? 1 : 0;
}
