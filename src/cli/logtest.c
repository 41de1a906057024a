/*
 * logtest.c - `vigie logtest`: wazuh-logtest for Vigie (docs/logtest.md).
 *
 * Each input line is one event. It goes through the same stages as in
 * vigie-manager, with the same configuration and rules (the shared loader
 * manager/ruleset_load.h): decode (manager/decode.h), evaluate
 * (manager/rules.h) and, when a rule alerts at or above log_alert_level,
 * format the alerts.json line (manager/alert.h). Nothing is written to
 * HOME: the alert id is "<epoch>.<line number>".
 *
 * What is printed follows wazuh-logtest: "**Phase 1" (the event), "**Phase
 * 2" (decoder and decoded fields), with -v "**Rule debugging" (every rule
 * tried), "**Phase 3" (the rule that fired, its keys taken from the alert
 * JSON itself so they are exactly what alerts.json would hold), then
 * "**Alert to be generated." and the alerts.json line. With -q only the
 * alerts.json lines are printed, one per line, for scripts and tests.
 *
 * One rule state lives for the whole run, so firedtimes and frequency
 * rules count across lines, as in a wazuh-logtest session.
 *
 * Hostile input (over-long lines, NUL bytes, invalid UTF-8, control bytes)
 * is reported per line and never stops the run; text echoed to the
 * terminal is made valid UTF-8 and its control bytes are shown as \xHH.
 *
 * Single-threaded.
 */
#include "cli/logtest.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "lib/common.h"
#include "lib/buf.h"
#include "lib/hostname.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "manager/alert.h"
#include "manager/decode.h"
#include "manager/jdoc.h"
#include "manager/ruleset_load.h"

#define LT_MAX_ALERT (64u * 1024u * 1024u)          /* one alerts.json line */
#define LT_MAX_ECHO (3u * AN_DECODE_MAX_LINE + 16u) /* lossy UTF-8 grows 3x */
#define LT_AGENT_ID_MAX 8                           /* digits of an agent id */

struct lt_opts {
	const char *home;
	const char *config;   /* NULL: HOME/etc/ossec.conf if present, else defaults */
	const char *location; /* NULL: guessed per line (line_location) */
	const char *agent_id;
	bool verbose;
	bool quiet;
	char **inputs; /* files to read; none: stdin */
	int ninputs;
};

/* The rule-debugging printer's state, for one rules_eval. */
struct lt_trace {
	bool print;
	bool seen;      /* a rule was tried already */
	unsigned depth; /* depth of the previous rule tried */
	unsigned matched_id;
	const char *matched_description; /* borrowed from the rule set */
	struct vg_buf *scratch;
};

struct logtest {
	struct lt_opts o;
	char *hostname;
	char *config_path; /* NULL: built-in defaults */
	struct mgr_config cfg;
	bool loaded;
	struct rules_set *rules;
	struct rules_state *state;
	struct an_decoded *decoded;
	struct an_alert_fmt *fmt;
	struct vg_buf line;     /* the current input line, without its '\n' */
	struct vg_buf alert;    /* its alerts.json line */
	struct vg_buf scratch;  /* text made safe to echo */
	unsigned long long seq; /* lines read in this run: the alert id's offset */
	bool failed;            /* some line did not decode */
};

/* ---------------------------------------------------------------- options */

static void lt_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie logtest [OPTION]... [FILE]...\n"
		"Test events against the manager's decoders and rules, like wazuh-logtest.\n"
		"Each line of each FILE (standard input when none, or '-') is one event: an\n"
		"agent's FIM event JSON ({\"type\":\"event\",...}, docs/events.md), a JSON\n"
		"message (VirusTotal's, an active-response log line...) or plain text.\n"
		"For each, print the decoder and the fields it found (Phase 1, 2), the rule\n"
		"that fired (Phase 3) and, when its level is at least <alerts>\n"
		"<log_alert_level> (default 3), the alerts.json line the manager would\n"
		"write. Nothing is written to HOME. Rule counters (firedtimes, frequency)\n"
		"persist across the lines of one run.\n"
		"\n"
		"  -D, --home DIR        manager home (default: %s): HOME/etc/rules and\n"
		"                        HOME/etc/lists hold your rules and lists\n"
		"  -c, --config FILE     ossec.conf (<ruleset>, <global>, <alerts>); default:\n"
		"                        HOME/etc/ossec.conf if it exists, else the built-in\n"
		"                        defaults (the shipped ruleset, then your rules)\n"
		"  -l, --location LOC    the event's location (default: \"syscheck\" for a FIM\n"
		"                        event, scan_start or scan_end JSON, else \"stdin\")\n"
		"  -a, --agent ID        agent id, 3 to 8 digits (default: 000, the manager,\n"
		"                        named after this host)\n"
		"  -v, --verbose         print every rule tried (\"Trying rule: ID - ...\")\n"
		"  -q, --alerts-only     print only the alerts.json line of each alert, one\n"
		"                        a line (overrides -v)\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"The alert id is \"<epoch>.<N>\", N the line's number in the run (all FILEs\n"
		"counted in order). Errors (a line that does not decode, is over %u bytes\n"
		"or holds a NUL byte) go to standard error as FILE:LINE: message, and the\n"
		"next line is processed.\n"
		"\n"
		"Examples:\n"
		"  jq -c . event.json | vigie logtest -v\n"
		"  vigie logtest -l virustotal vt-message.json\n"
		"  vigie logtest -q -D /var/vigie events.json > alerts.json\n"
		"\n"
		"Exit status: 0 when every line was processed, 1 when some line did not\n"
		"decode or a FILE could not be read, or the configuration or rules did not\n"
		"load (the message names FILE:LINE), 2 on a usage error.\n",
		VG_DEFAULT_HOME, AN_DECODE_MAX_LINE);
}

/* Wazuh agent ids are decimal: "000" is the manager, "001"... */
static bool agent_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 3 || n > LT_AGENT_ID_MAX)
		return false;
	return strspn(id, "0123456789") == n;
}

/* 0: run; 1: --help was printed; 2: usage error (already reported). */
static int lt_parse_args(int argc, char **argv, struct lt_opts *o)
{
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'D'},     {"config", required_argument, NULL, 'c'},
	    {"location", required_argument, NULL, 'l'}, {"agent", required_argument, NULL, 'a'},
	    {"verbose", no_argument, NULL, 'v'},        {"alerts-only", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct lt_opts){.home = VG_DEFAULT_HOME, .agent_id = "000"};
	optind = 1; /* argv is the subcommand's: parse it from its start */
	while ((c = getopt_long(argc, argv, "D:c:l:a:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->home = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			o->location = optarg;
			break;
		case 'a':
			o->agent_id = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			lt_usage(stdout);
			return 1;
		default:
			lt_usage(stderr);
			return 2;
		}
	}
	if (!agent_id_valid(o->agent_id)) {
		fprintf(stderr, "vigie logtest: -a: agent id must be 3 to %d digits, not '%s'\n",
			LT_AGENT_ID_MAX, o->agent_id);
		return 2;
	}
	if (o->location != NULL &&
	    (o->location[0] == '\0' || strlen(o->location) >= AN_DECODE_MAX_SOURCE)) {
		fprintf(stderr, "vigie logtest: -l: location must be 1 to %u bytes\n",
			AN_DECODE_MAX_SOURCE - 1);
		return 2;
	}
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	return 0;
}

/* ---------------------------------------------------------------- set-up */

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* -c, else HOME/etc/ossec.conf when present, else NULL (built-in defaults). */
static char *config_path(const struct lt_opts *o)
{
	char *path;

	if (o->config != NULL)
		return vg_xstrdup(o->config);
	path = vg_xasprintf("%s/etc/ossec.conf", o->home);
	if (file_exists(path))
		return path;
	vg_free(path);
	return NULL;
}

static int lt_open(struct logtest *lt, struct vg_err *err)
{
	struct mgr_load_opts lo = MGR_LOAD_OPTS_INIT;
	struct an_alert_fmt_opts fo = AN_ALERT_FMT_OPTS_INIT;
	int rc;

	lt->hostname = vg_hostname();
	lt->config_path = config_path(&lt->o);
	lo.home = lt->o.home;
	lo.config_path = lt->config_path;
	if ((rc = mgr_load_rules(&lo, &lt->cfg, &lt->rules, err)) != 0)
		return rc;
	lt->loaded = true;
	if ((rc = rules_state_new(lt->rules, &lt->state, err)) != 0)
		return rc;
	fo.manager_name = lt->hostname;
	lt->fmt = an_alert_fmt_new(&fo);
	lt->decoded = an_decoded_new();
	vg_buf_init(&lt->line, AN_DECODE_MAX_LINE);
	vg_buf_init(&lt->alert, LT_MAX_ALERT);
	vg_buf_init(&lt->scratch, LT_MAX_ECHO);
	return 0;
}

static void lt_close(struct logtest *lt)
{
	vg_buf_free(&lt->line);
	vg_buf_free(&lt->alert);
	vg_buf_free(&lt->scratch);
	an_decoded_free(lt->decoded);
	an_alert_fmt_free(lt->fmt);
	rules_state_free(lt->state);
	rules_set_free(lt->rules);
	if (lt->loaded)
		mgr_config_free(&lt->cfg);
	vg_free(lt->config_path);
	vg_free(lt->hostname);
}

/* ---------------------------------------------------------------- input */

enum lt_read {
	LT_READ_EOF,
	LT_READ_LINE,
	LT_READ_TOO_LONG, /* the line was consumed, not kept */
	LT_READ_ERROR,    /* errno says why */
};

/*
 * Read one line (NUL bytes included, '\n' dropped) into b, which caps it:
 * a longer line is read to its end and reported, never kept whole.
 */
static enum lt_read read_line(FILE *in, struct vg_buf *b)
{
	bool too_long = false, any = false;
	int c;

	vg_buf_reset(b);
	while ((c = getc_unlocked(in)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (!too_long && vg_buf_putc(b, (char)c) != 0)
			too_long = true;
	}
	if (c == EOF && ferror(in))
		return LT_READ_ERROR;
	if (!any)
		return LT_READ_EOF;
	return too_long ? LT_READ_TOO_LONG : LT_READ_LINE;
}

/*
 * "syscheck" for an agent's FIM record, as the agent sends it; else
 * "stdin". Read with the decoders' fast JSON reader: most lines are FIM
 * records, and the decoder reads them again right after.
 */
static const char *line_location(const char *line, size_t len)
{
	size_t i = strspn(line, " \t");
	struct jdoc doc;
	json_t *keep = NULL;
	bool fim = false;

	if (i >= len || line[i] != '{')
		return "stdin";
	jdoc_init(&doc);
	if (jdoc_parse(&doc, line, len, "line", &keep, NULL) == 0 && doc.v[0].type == JV_OBJECT) {
		const struct jv *t = jv_get(doc.v, &doc.v[0], "type");
		fim = t != NULL && t->type == JV_STRING &&
		      (strcmp(t->str, "event") == 0 || strcmp(t->str, "scan_start") == 0 ||
		       strcmp(t->str, "scan_end") == 0);
	}
	jdoc_free(&doc);
	json_decref(keep);
	return fim ? "syscheck" : "stdin";
}

/* ---------------------------------------------------------------- output */

/*
 * Echo s[0..len) to stdout: as valid UTF-8, control bytes as \xHH, so that
 * hostile input can neither garble the terminal nor the phases' layout.
 */
static void fput_text(FILE *out, struct vg_buf *scratch, const char *s, size_t len)
{
	vg_buf_reset(scratch);
	if (vg_utf8_lossy(scratch, s, len) != 0) {
		fputs("<too long to show>", out);
		return;
	}
	for (size_t i = 0; i < scratch->len; i++) {
		unsigned char c = (unsigned char)scratch->data[i];
		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			putc_unlocked(c, out);
	}
}

static void put_text(struct vg_buf *scratch, const char *s, size_t len)
{
	fput_text(stdout, scratch, s, len);
}

static void put_kv(struct vg_buf *scratch, const char *key, const char *value)
{
	putchar_unlocked('\t');
	put_text(scratch, key, strlen(key));
	fputs(": '", stdout);
	put_text(scratch, value, strlen(value));
	fputs("'\n", stdout);
}

static void print_phase1(struct logtest *lt)
{
	fputs("**Phase 1: Completed pre-decoding.\n\tfull event: '", stdout);
	put_text(&lt->scratch, lt->line.data, lt->line.len);
	fputs("'\n\n", stdout);
}

static void print_phase2(struct logtest *lt, const struct an_event *ev)
{
	const char *name, *value;

	fputs("**Phase 2: Completed decoding.\n", stdout);
	if (ev->decoder == NULL)
		fputs("\tNo decoder matched.\n", stdout);
	else
		put_kv(&lt->scratch, "name", ev->decoder);
	for (size_t i = 0; i < an_fields_count(ev->fields); i++)
		if (an_fields_at(ev->fields, i, &name, &value) == 0)
			put_kv(&lt->scratch, name, value);
	putchar_unlocked('\n');
}

/* A rule key's value as wazuh-logtest shows it (Python's str()). */
static void put_value(struct vg_buf *scratch, const json_t *v)
{
	size_t i;
	const json_t *item;

	if (json_is_string(v))
		put_text(scratch, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "True" : "False", stdout);
	else if (json_is_array(v)) {
		putchar_unlocked('[');
		json_array_foreach(v, i, item)
		{
			fputs(i > 0 ? ", '" : "'", stdout);
			put_value(scratch, item);
			putchar_unlocked('\'');
		}
		putchar_unlocked(']');
	}
}

/* "\tPREFIXkey: 'value'", nested objects flattened as "mitre.id". */
static void put_rule_key(struct vg_buf *scratch, const char *prefix, const char *key, json_t *v)
{
	const char *k;
	json_t *sub;

	if (json_is_object(v)) {
		char *p = vg_xasprintf("%s%s.", prefix, key);
		json_object_foreach(v, k, sub) put_rule_key(scratch, p, k, sub);
		vg_free(p);
		return;
	}
	printf("\t%s%s: '", prefix, key);
	put_value(scratch, v);
	fputs("'\n", stdout);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_head_key(const char *k)
{
	return strcmp(k, "id") == 0 || strcmp(k, "level") == 0 || strcmp(k, "description") == 0 ||
	       strcmp(k, "groups") == 0;
}

/* wazuh-logtest's order: id, level, description, groups, then by name. */
static void print_rule_object(struct vg_buf *scratch, json_t *rule)
{
	static const char *const head[] = {"id", "level", "description", "groups"};
	size_t n = 0;
	const char *k;
	json_t *v;
	const char **rest = vg_xcalloc(json_object_size(rule) + 1, sizeof(*rest));

	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		if ((v = json_object_get(rule, head[i])) != NULL)
			put_rule_key(scratch, "", head[i], v);
	json_object_foreach(rule, k, v) if (!is_head_key(k)) rest[n++] = k;
	qsort(rest, n, sizeof(*rest), cmp_str);
	for (size_t i = 0; i < n; i++)
		put_rule_key(scratch, "", rest[i], json_object_get(rule, rest[i]));
	vg_free(rest);
}

/* Phase 3 for an alerting rule: its keys as alerts.json holds them. */
static void print_phase3_alert(struct logtest *lt)
{
	json_t *doc = json_loadb(lt->alert.data, lt->alert.len, 0, NULL);
	json_t *rule = json_object_get(doc, "rule");

	fputs("**Phase 3: Completed filtering (rules).\n", stdout);
	if (json_is_object(rule)) /* always: the formatter writes valid JSON */
		print_rule_object(&lt->scratch, rule);
	json_decref(doc);
}

/* Phase 3 for a rule that fired without an alert (level 0, below the
 * alert level, ignored...): what the engine reported. */
static void print_phase3_rule(struct logtest *lt, const struct rules_result *res,
			      const struct lt_trace *tr)
{
	fputs("**Phase 3: Completed filtering (rules).\n", stdout);
	printf("\tid: '%u'\n\tlevel: '%u'\n", res->matched_id, res->matched_level);
	if (res->alert != NULL)
		put_kv(&lt->scratch, "description", res->alert->description);
	else if (tr->matched_id == res->matched_id && tr->matched_description != NULL)
		put_kv(&lt->scratch, "description", tr->matched_description);
	if (res->ignored)
		fputs("\tignored: 'True'\n", stdout);
}

/* rules_trace callback: wazuh-logtest's "**Rule debugging" lines. */
static void on_rule_tried(void *ctx, unsigned id, unsigned level, const char *description,
			  unsigned depth, bool matched)
{
	struct lt_trace *tr = ctx;

	(void)level;
	if (matched) {
		tr->matched_id = id;
		tr->matched_description = description;
	}
	if (!tr->print)
		return;
	if (tr->seen && depth > tr->depth)
		fputs("\t\t*Trying child rules\n", stdout);
	fputs("\tTrying rule: ", stdout);
	printf("%u - ", id);
	if (description != NULL)
		put_text(tr->scratch, description, strlen(description));
	putchar_unlocked('\n');
	if (matched)
		printf("\t\t*Rule %u matched\n", id);
	tr->seen = true;
	tr->depth = depth;
}

/* ---------------------------------------------------------------- one event */

static void line_error(struct logtest *lt, const char *name, unsigned long lineno, const char *msg)
{
	fflush(stdout); /* keep the error next to the line's phases */
	fputs("vigie logtest: ", stderr);
	fput_text(stderr, &lt->scratch, name, strlen(name));
	fprintf(stderr, ":%lu: ", lineno);
	fput_text(stderr, &lt->scratch, msg, strlen(msg));
	fputc('\n', stderr);
	lt->failed = true;
}

static bool alert_wanted(const struct logtest *lt, const struct rules_result *res)
{
	return res->alert != NULL && !res->no_log && !res->ignored &&
	       res->alert->level >= lt->cfg.settings.log_alert_level;
}

static int format_alert(struct logtest *lt, const struct an_event *ev,
			const struct an_rule_info *rule, struct vg_err *err)
{
	const struct an_alert_id id = {ev->time_ms / 1000, lt->seq};

	vg_buf_reset(&lt->alert);
	return an_alert_format_json(lt->fmt, ev, rule, &id, &lt->alert, err);
}

/* Evaluate a decoded event and print Phase 3 and its alert. */
static int evaluate(struct logtest *lt, const struct an_event *ev, struct vg_err *err)
{
	struct lt_trace tr = {.print = lt->o.verbose && !lt->o.quiet, .scratch = &lt->scratch};
	const struct rules_trace trace = {on_rule_tried, &tr};
	struct rules_result res;
	bool alert;
	int rc;

	if (tr.print)
		fputs("**Rule debugging:\n", stdout);
	if ((rc = rules_eval(lt->rules, lt->state, ev, &res, &trace, err)) != 0)
		return rc;
	if (tr.print)
		putchar_unlocked('\n');
	alert = alert_wanted(lt, &res);
	if (alert && (rc = format_alert(lt, ev, res.alert, err)) != 0)
		return rc;
	if (lt->o.quiet) {
		if (alert)
			printf("%s\n", vg_buf_cstr(&lt->alert));
	} else if (alert) {
		print_phase3_alert(lt);
		printf("**Alert to be generated.\n%s\n\n", vg_buf_cstr(&lt->alert));
	} else if (res.matched_id != 0) {
		print_phase3_rule(lt, &res, &tr);
		putchar_unlocked('\n');
	}
	return 0;
}

static int now_ms(int64_t *out, struct vg_err *err)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return vg_err_errno(err, errno, "clock_gettime");
	*out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

static int process_line(struct logtest *lt, struct vg_err *err)
{
	const char *line = vg_buf_cstr(&lt->line);
	struct an_source src = {lt->o.agent_id, lt->o.agent_id, NULL, lt->o.location};
	int64_t t = 0;
	int rc;

	if (strcmp(lt->o.agent_id, "000") == 0)
		src.agent_name = lt->hostname; /* as vigie-manager names agent 000 */
	if (src.location == NULL)
		src.location = line_location(line, lt->line.len);
	if (!lt->o.quiet)
		print_phase1(lt);
	if ((rc = now_ms(&t, err)) != 0 ||
	    (rc = an_decode_into(lt->decoded, &src, line, lt->line.len, t, err)) != 0)
		return rc;
	if (an_decoded_kind(lt->decoded) != AN_DECODED_EVENT) {
		if (!lt->o.quiet)
			fputs("**Phase 2: Completed decoding.\n\tFIM scan marker: no rule is "
			      "tried.\n\n",
			      stdout);
		return 0;
	}
	if (!lt->o.quiet)
		print_phase2(lt, an_decoded_event(lt->decoded));
	return evaluate(lt, an_decoded_event(lt->decoded), err);
}

/* Every line of in; name is for messages. */
static void process_stream(struct logtest *lt, FILE *in, const char *name)
{
	struct vg_err err = VG_ERR_INIT;
	unsigned long lineno = 0;
	enum lt_read r;

	while ((r = read_line(in, &lt->line)) != LT_READ_EOF) {
		lineno++;
		lt->seq++;
		vg_err_clear(&err);
		if (r == LT_READ_ERROR) {
			line_error(lt, name, lineno, strerror(errno));
			return;
		}
		if (r == LT_READ_TOO_LONG) {
			char msg[96];
			snprintf(msg, sizeof(msg), "line longer than %u bytes, skipped",
				 AN_DECODE_MAX_LINE);
			line_error(lt, name, lineno, msg);
			continue;
		}
		if (lt->line.len == 0 || (lt->line.len == 1 && lt->line.data[0] == '\r'))
			continue; /* blank: wazuh-logtest ignores it too */
		if (process_line(lt, &err) != 0)
			line_error(lt, name, lineno, err.msg);
	}
}

static void process_inputs(struct logtest *lt)
{
	if (lt->o.ninputs == 0) {
		process_stream(lt, stdin, "stdin");
		return;
	}
	for (int i = 0; i < lt->o.ninputs; i++) {
		const char *path = lt->o.inputs[i];
		FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");

		if (in == NULL) {
			fprintf(stderr, "vigie logtest: %s: %s\n", path, strerror(errno));
			lt->failed = true;
			continue;
		}
		process_stream(lt, in, in == stdin ? "stdin" : path);
		if (in != stdin)
			fclose(in);
	}
}

int cli_logtest(int argc, char **argv)
{
	struct logtest lt = {0};
	struct vg_err err = VG_ERR_INIT;
	int status = lt_parse_args(argc, argv, &lt.o);

	if (status != 0)
		return status == 1 ? 0 : status;
	status = 1;
	if (lt_open(&lt, &err) != 0) {
		fprintf(stderr, "vigie logtest: ERROR: %s\n", err.msg);
		goto out;
	}
	process_inputs(&lt);
	status = lt.failed ? 1 : 0;
out:
	lt_close(&lt);
	fflush(stdout);
	return status;
}
