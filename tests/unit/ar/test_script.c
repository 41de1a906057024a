/*
 * Unit tests for src/ar/script.c: real shell scripts in a mkdtemp HOME's
 * active-response/bin. What the script sees (the stdin JSON, $0, its
 * working directory, environment and descriptors), the check_keys
 * handshake answered continue then abort, exit statuses, the kill of the
 * whole process group past the limit, a script that never reads a 1 MiB
 * message (the runner must survive SIGPIPE), output that is no handshake,
 * the trust checks, and Wazuh's documented remove-threat.sh run unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "ar/script.h"
#include "lib/mem.h"
#include "manager/decode.h"
#include "manager/event.h"
#include "manager/fields.h"

struct fixture {
	char home[64];
	char bin[128];
	struct vg_err err;
	struct ar_script_result res;
	json_t *alert;
	struct ar_script_run run;
	/* keys_held's view */
	bool held;
	int calls;
	json_t *seen_keys;
};

static bool keys_held(void *ctx, const json_t *keys)
{
	struct fixture *f = ctx;

	f->calls++;
	json_decref(f->seen_keys);
	f->seen_keys = json_deep_copy(keys);
	return f->held;
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	char dir[160];

	snprintf(f->home, sizeof(f->home), "/tmp/vg-arscript-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	assert_int_equal(chmod(f->home, 0750), 0);
	snprintf(dir, sizeof(dir), "%s/active-response", f->home);
	assert_int_equal(mkdir(dir, 0750), 0);
	snprintf(f->bin, sizeof(f->bin), "%s/active-response/bin", f->home);
	assert_int_equal(mkdir(f->bin, 0750), 0);
	snprintf(dir, sizeof(dir), "%s/logs", f->home);
	assert_int_equal(mkdir(dir, 0750), 0);
	f->alert = json_pack("{s:{s:s},s:{s:s}}", "rule", "id", "87105", "data", "note", "x");
	f->run = (struct ar_script_run){.home = f->home,
					.node = "agent-1",
					.command = "delete",
					.alert = f->alert,
					.keys_held = keys_held,
					.ctx = f};
	f->res.exit_status = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ar_script_result_clear(&f->res);
	json_decref(f->alert);
	json_decref(f->seen_keys);
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* Write HOME/active-response/bin/name with body, mode 0750. */
static void put_script(struct fixture *f, const char *name, const char *body)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->bin, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(body, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0750), 0);
}

static int run(struct fixture *f, const char *name)
{
	ar_script_result_clear(&f->res);
	vg_err_clear(&f->err);
	f->run.executable = name;
	return ar_script_run(&f->run, &f->res, &f->err);
}

static void run_ok(struct fixture *f, const char *name)
{
	int rc = run(f, name);

	if (rc != 0)
		fail_msg("ar_script_run(%s): %d %s", name, rc, f->err.msg);
}

/* HOME/rel's contents (caller frees). */
static char *home_file(const struct fixture *f, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->home, rel);
	return vg_test_read_file(path);
}

static json_t *home_json(const struct fixture *f, const char *rel)
{
	char *text = home_file(f, rel);
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (j == NULL)
		fail_msg("%s is not JSON (%s): %s", rel, jerr.text, text);
	vg_free(text);
	return j;
}

static bool home_exists(const struct fixture *f, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->home, rel);
	return access(path, F_OK) == 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *str_at(const json_t *j, const char *a, const char *b)
{
	const json_t *v = json_object_get(j, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

#define RECORD_STDIN                                                                               \
	"#!/bin/sh\n"                                                                              \
	"IFS= read -r line\n"                                                                      \
	"printf '%s\\n' \"$line\" > stdin.json\n"

#define HANDSHAKE                                                                                  \
	"#!/bin/sh\n"                                                                              \
	"read -r input\n"                                                                          \
	"printf '{\"version\":1,\"origin\":{\"name\":\"t\",\"module\":\"active-response\"},"       \
	"\"command\":\"check_keys\",\"parameters\":{\"keys\":[\"10.0.0.1\",\"k2\"]}}\\n'\n"        \
	"IFS= read -r answer\n"                                                                    \
	"printf '%s\\n' \"$answer\" > answer.json\n"

/* ---- The message --------------------------------------------------------- */

static void test_script__message_shape(void **state)
{
	struct fixture *f = *state;
	json_t *m;
	char *text;

	f->run.executable = "remove-threat.sh";
	f->run.command = "add";
	f->run.extra_args = "  -a b  c ";
	m = ar_script_message(&f->run);
	text = json_dumps(m, JSON_COMPACT);
	assert_string_equal(
	    text, "{\"version\":1,\"origin\":{\"name\":\"agent-1\",\"module\":\"wazuh-execd\"},"
		  "\"command\":\"add\",\"parameters\":{\"extra_args\":[\"-a\",\"b\",\"c\"],"
		  "\"alert\":{\"rule\":{\"id\":\"87105\"},\"data\":{\"note\":\"x\"}},"
		  "\"program\":\"active-response/bin/remove-threat.sh\"}}");
	free(text); /* jansson's allocation */
	json_decref(m);

	/* No extra_args, no alert: [] and {} (never a missing key). */
	f->run.extra_args = NULL;
	f->run.alert = NULL;
	m = ar_script_message(&f->run);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(m, "parameters"), "extra_args")), 0);
	assert_true(json_is_array(json_object_get(json_object_get(m, "parameters"), "extra_args")));
	assert_true(json_is_object(json_object_get(json_object_get(m, "parameters"), "alert")));
	json_decref(m);
}

/* ---- What the script sees ------------------------------------------------ */

static void test_script__stdin_json_received(void **state)
{
	struct fixture *f = *state;
	json_t *j, *want;

	put_script(f, "record.sh", RECORD_STDIN);
	f->run.extra_args = "one two";
	run_ok(f, "record.sh");
	assert_int_equal(f->res.exit_status, 0);
	assert_string_equal(f->res.reason, "");
	assert_false(f->res.killed);
	assert_null(f->res.keys);
	assert_int_equal(f->calls, 0); /* delete: no handshake */

	j = home_json(f, "stdin.json");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_string_equal(str_at(j, "origin", "module"), "wazuh-execd");
	assert_string_equal(str_at(j, "origin", "name"), "agent-1");
	assert_string_equal(str_at(j, "command", NULL), "delete");
	assert_string_equal(str_at(j, "parameters", "program"), "active-response/bin/record.sh");
	assert_true(
	    json_equal(json_object_get(json_object_get(j, "parameters"), "alert"), f->alert));
	want = json_pack("[ss]", "one", "two");
	assert_true(
	    json_equal(json_object_get(json_object_get(j, "parameters"), "extra_args"), want));
	json_decref(want);
	json_decref(j);
}

/* $0 is the relative path (Wazuh's log lines need it), cwd HOME, env PATH only,
 * stderr /dev/null, no descriptor of ours leaks. */
static void test_script__child_context(void **state)
{
	struct fixture *f = *state;
	char leak[256], *text;
	int fd;

	snprintf(leak, sizeof(leak), "%s/leaked-fd", f->home);
	fd = open(leak, O_WRONLY | O_CREAT, 0600); /* no O_CLOEXEC on purpose */
	assert_true(fd >= 0);
	setenv("VG_AR_TEST_MARK", "leak", 1);
	put_script(f, "ctx.sh",
		   "#!/bin/sh\n"
		   "printf '%s\\n' \"$0\" > argv0\n"
		   "pwd -P > cwd\n"
		   "env > env.txt\n"
		   "readlink /proc/$$/fd/* > fds 2>/dev/null\n"
		   "readlink /proc/$$/fd/2 > fd2\n"
		   "echo to-stderr >&2\n");
	run_ok(f, "ctx.sh");
	unsetenv("VG_AR_TEST_MARK");
	close(fd);
	assert_int_equal(f->res.exit_status, 0);

	text = home_file(f, "argv0");
	assert_string_equal(text, "active-response/bin/ctx.sh\n");
	vg_free(text);
	text = home_file(f, "cwd");
	char *real = realpath(f->home, NULL);
	assert_non_null(real);
	assert_int_equal(strncmp(text, real, strlen(real)), 0);
	assert_int_equal(text[strlen(real)], '\n');
	free(real); /* libc's allocation */
	vg_free(text);
	text = home_file(f, "env.txt");
	assert_non_null(
	    strstr(text, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_null(strstr(text, "VG_AR_TEST_MARK"));
	assert_null(strstr(text, "HOME="));
	vg_free(text);
	text = home_file(f, "fds");
	assert_null(strstr(text, "leaked-fd"));
	vg_free(text);
	text = home_file(f, "fd2");
	assert_string_equal(text, "/dev/null\n");
	vg_free(text);
}

/* ---- The check_keys handshake -------------------------------------------- */

static void check_answer(struct fixture *f, const char *want)
{
	json_t *a = home_json(f, "answer.json");

	assert_int_equal(json_integer_value(json_object_get(a, "version")), 1);
	assert_string_equal(str_at(a, "origin", "module"), "wazuh-execd");
	assert_string_equal(str_at(a, "origin", "name"), "agent-1");
	assert_string_equal(str_at(a, "command", NULL), want);
	assert_true(json_is_object(json_object_get(a, "parameters")));
	json_decref(a);
}

static void test_script__check_keys_continue_then_abort(void **state)
{
	struct fixture *f = *state;
	json_t *want = json_pack("[ss]", "10.0.0.1", "k2");

	put_script(f, "hs.sh", HANDSHAKE);
	f->run.command = "add";
	run_ok(f, "hs.sh");
	assert_int_equal(f->res.exit_status, 0);
	assert_int_equal(f->calls, 1);
	assert_true(json_equal(f->seen_keys, want));
	assert_true(json_equal(f->res.keys, want));
	assert_false(f->res.aborted);
	check_answer(f, "continue");

	f->held = true;
	run_ok(f, "hs.sh");
	assert_int_equal(f->calls, 2);
	assert_true(f->res.aborted);
	assert_true(json_equal(f->res.keys, want));
	check_answer(f, "abort");
	json_decref(want);
}

/* No callback: always continue. */
static void test_script__check_keys_without_callback(void **state)
{
	struct fixture *f = *state;

	put_script(f, "hs.sh", HANDSHAKE);
	f->run.command = "add";
	f->run.keys_held = NULL;
	run_ok(f, "hs.sh");
	assert_false(f->res.aborted);
	check_answer(f, "continue");
}

/* A first line that is no JSON: no handshake, stdin closed, the run goes on. */
static void test_script__garbage_output_is_no_handshake(void **state)
{
	struct fixture *f = *state;
	char *text;

	put_script(
	    f, "noisy.sh",
	    "#!/bin/sh\n"
	    "read -r input\n"
	    "echo 'hello, not json'\n"
	    "if IFS= read -r more; then echo \"got:$more\" > after; else echo eof > after; fi\n"
	    "i=0; while [ $i -lt 10000 ]; do echo 'more output to drain'; i=$((i+1)); done\n"
	    "exit 4\n");
	f->run.command = "add";
	run_ok(f, "noisy.sh");
	assert_int_equal(f->res.exit_status, 4);
	assert_null(f->res.keys);
	assert_false(f->res.aborted);
	assert_int_equal(f->calls, 0);
	text = home_file(f, "after");
	assert_string_equal(text, "eof\n");
	vg_free(text);
}

/* An older script: reads, prints nothing, exits. */
static void test_script__silent_add_script(void **state)
{
	struct fixture *f = *state;

	put_script(f, "record.sh", RECORD_STDIN);
	f->run.command = "add";
	run_ok(f, "record.sh");
	assert_int_equal(f->res.exit_status, 0);
	assert_null(f->res.keys);
	assert_true(home_exists(f, "stdin.json"));
}

/* ---- Exit, kill, SIGPIPE ------------------------------------------------- */

static void test_script__exit_status_propagated(void **state)
{
	struct fixture *f = *state;

	put_script(f, "fail.sh", "#!/bin/sh\nread -r x\nexit 7\n");
	run_ok(f, "fail.sh");
	assert_int_equal(f->res.exit_status, 7);
	assert_false(f->res.killed);
	assert_non_null(strstr(f->res.reason, "status 7"));

	put_script(f, "sig.sh", "#!/bin/sh\nkill -TERM $$\n");
	run_ok(f, "sig.sh");
	assert_int_equal(f->res.exit_status, 128 + SIGTERM);
	assert_non_null(strstr(f->res.reason, "signal 15"));
}

/* Alive = /proc/pid exists and is not a zombie. */
static bool alive(pid_t pid)
{
	char path[64], buf[256];
	FILE *fp;
	char *paren;
	bool live = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return false;
	if (fgets(buf, sizeof(buf), fp) != NULL && (paren = strrchr(buf, ')')) != NULL)
		live = paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
	fclose(fp);
	return live;
}

static pid_t read_pid(const struct fixture *f, const char *rel)
{
	char *text = home_file(f, rel);
	long v = strtol(text, NULL, 10);

	vg_free(text);
	assert_true(v > 1);
	return (pid_t)v;
}

static void test_script__killed_with_its_group(void **state)
{
	struct fixture *f = *state;
	int64_t t0;
	pid_t sh, child;
	int i;

	put_script(f, "hang.sh",
		   "#!/bin/sh\n"
		   "echo $$ > pid.tmp; mv pid.tmp pid\n"
		   "sleep 30 &\n"
		   "echo $! > child.tmp; mv child.tmp child\n"
		   "wait\n");
	f->run.limit_ms = 500;
	t0 = mono_ms();
	run_ok(f, "hang.sh");
	assert_true(mono_ms() - t0 < 5000);
	assert_true(mono_ms() - t0 >= 500);
	assert_true(f->res.killed);
	assert_int_equal(f->res.exit_status, 128 + SIGKILL);
	assert_non_null(strstr(f->res.reason, "500 ms"));
	sh = read_pid(f, "pid");
	child = read_pid(f, "child");
	/* The grandchild died of the same SIGKILL; give init a moment to reap. */
	for (i = 0; i < 100 && (alive(sh) || alive(child)); i++)
		usleep(10000);
	assert_false(alive(sh));
	assert_false(alive(child));
}

/* The script exits without reading a message far larger than a pipe: our
 * write gets EPIPE (SIGPIPE is at its default, deadly disposition here). */
static void test_script__exits_without_reading_large_message(void **state)
{
	struct fixture *f = *state;
	size_t big = 1u << 20;
	char *s = vg_xmalloc(big + 1);
	sigset_t mask, pending;

	memset(s, 'a', big);
	s[big] = '\0';
	json_object_set_new(f->alert, "full_log", json_string(s));
	vg_free(s);
	signal(SIGPIPE, SIG_DFL);
	put_script(f, "deaf.sh", "#!/bin/sh\nexit 3\n");
	f->run.command = "add";
	run_ok(f, "deaf.sh");
	assert_int_equal(f->res.exit_status, 3);
	assert_false(f->res.killed);
	/* The mask is restored and no SIGPIPE is left pending. */
	sigprocmask(SIG_BLOCK, NULL, &mask);
	assert_false(sigismember(&mask, SIGPIPE));
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));

	/* Same after a partial read: it reads a little then exits. */
	put_script(f, "half.sh", "#!/bin/sh\nhead -c 1000 > /dev/null\nexit 5\n");
	run_ok(f, "half.sh");
	assert_int_equal(f->res.exit_status, 5);
}

/* A large message is fully delivered to a script that reads it all. */
static void test_script__large_message_delivered(void **state)
{
	struct fixture *f = *state;
	size_t big = 1u << 19; /* far over a pipe; read back under support's 1 MiB */
	char *s = vg_xmalloc(big + 1);
	json_t *j;

	memset(s, 'b', big);
	s[big] = '\0';
	json_object_set_new(f->alert, "full_log", json_string(s));
	vg_free(s);
	put_script(f, "record.sh", RECORD_STDIN);
	run_ok(f, "record.sh");
	j = home_json(f, "stdin.json");
	assert_true(
	    json_equal(json_object_get(json_object_get(j, "parameters"), "alert"), f->alert));
	json_decref(j);
}

/* ---- Trust ---------------------------------------------------------------- */

static void expect_refused(struct fixture *f, const char *name, int code, const char *want)
{
	int rc = run(f, name);

	assert_int_equal(rc, code);
	vg_test_err_mentions(&f->err, want);
	assert_int_equal(f->res.exit_status, -1);
}

static void test_script__missing_refused(void **state)
{
	struct fixture *f = *state;

	expect_refused(f, "nope.sh", VG_ENOTFOUND, "active-response/bin/nope.sh");
}

static void test_script__bad_names_refused(void **state)
{
	struct fixture *f = *state;

	put_script(f, "ok.sh", "#!/bin/sh\ntouch ran\n");
	expect_refused(f, "../bin/ok.sh", VG_EPERM, "not a plain file name");
	expect_refused(f, "/bin/true", VG_EPERM, "not a plain file name");
	expect_refused(f, "..", VG_EPERM, "not a plain file name");
	expect_refused(f, ".", VG_EPERM, "not a plain file name");
	expect_refused(f, "", VG_EPERM, "not a plain file name");
	assert_false(home_exists(f, "ran"));
}

static void test_script__untrusted_refused(void **state)
{
	struct fixture *f = *state;
	char path[256], target[256];

	put_script(f, "gw.sh", "#!/bin/sh\ntouch ran\n");
	snprintf(path, sizeof(path), "%s/gw.sh", f->bin);
	assert_int_equal(chmod(path, 0770), 0);
	expect_refused(f, "gw.sh", VG_EPERM, "writable by group or others");
	assert_int_equal(chmod(path, 0757), 0);
	expect_refused(f, "gw.sh", VG_EPERM, "writable by group or others");

	assert_int_equal(chmod(path, 0640), 0);
	expect_refused(f, "gw.sh", VG_EPERM, "not executable");

	assert_int_equal(chmod(path, 0750), 0);
	assert_int_equal(chown(path, 12345, 0), 0); /* tests run as root */
	expect_refused(f, "gw.sh", VG_EPERM, "owned by uid 12345");
	assert_int_equal(chown(path, 0, 0), 0);

	snprintf(target, sizeof(target), "%s/link.sh", f->bin);
	assert_int_equal(symlink(path, target), 0);
	expect_refused(f, "link.sh", VG_EPERM, "symbolic link");

	snprintf(target, sizeof(target), "%s/dir.sh", f->bin);
	assert_int_equal(mkdir(target, 0750), 0);
	expect_refused(f, "dir.sh", VG_EPERM, "not a regular file");

	/* The bin directory itself. */
	assert_int_equal(chmod(f->bin, 0770), 0);
	expect_refused(f, "gw.sh", VG_EPERM, "writable by group or others");
	assert_int_equal(chmod(f->bin, 0750), 0);
	assert_false(home_exists(f, "ran"));

	run_ok(f, "gw.sh"); /* trusted again */
	assert_true(home_exists(f, "ran"));
}

static void test_script__bad_interpreter_is_internal(void **state)
{
	struct fixture *f = *state;

	put_script(f, "bad.sh", "#!/nonexistent/interpreter\n");
	assert_int_equal(run(f, "bad.sh"), VG_EINTERNAL);
	vg_test_err_mentions(&f->err, "cannot start");
}

/* ---- Wazuh's remove-threat.sh, unchanged ---------------------------------- */

static void install_fixture(struct fixture *f)
{
	char *body = vg_test_read_src("tests/fixtures/active-response/remove-threat.sh");

	put_script(f, "remove-threat.sh", body);
	vg_free(body);
}

static void set_threat(struct fixture *f, const char *file)
{
	json_decref(f->alert);
	f->alert = json_pack("{s:{s:s},s:{s:{s:{s:s},s:i}}}", "rule", "id", "87105", "data",
			     "virustotal", "source", "file", file, "positives", 60);
	f->run.alert = f->alert;
}

static void test_script__remove_threat_fixture(void **state)
{
	struct fixture *f = *state;
	char threat[256];
	char *log;
	struct an_source src = {.agent_id = "001",
				.location = "/var/ossec/logs/active-responses.log"};
	struct an_decoded *d = NULL;
	struct vg_err derr = VG_ERR_INIT;
	const struct an_event *ev;

	if (system("command -v jq >/dev/null 2>&1") != 0)
		skip(); /* scripts/install-deps installs jq */
	install_fixture(f);
	snprintf(threat, sizeof(threat), "%s/eicar.com", f->home);
	assert_int_equal(close(open(threat, O_WRONLY | O_CREAT, 0600)), 0);
	set_threat(f, threat);
	f->run.command = "add";
	run_ok(f, "remove-threat.sh");
	assert_int_equal(f->res.exit_status, 0);
	assert_int_equal(f->calls, 1);
	assert_int_equal(json_array_size(f->res.keys), 0);
	assert_false(f->res.aborted);
	assert_int_equal(access(threat, F_OK), -1);

	log = home_file(f, "logs/active-responses.log");
	assert_int_equal(vg_test_count(log, "\n"), 1);
	assert_non_null(strstr(log, " active-response/bin/remove-threat.sh: {\"version\":1,"));
	assert_non_null(strstr(log, "} Successfully removed threat\n"));
	/* The manager reads the line back as Wazuh's rules 657/100092 expect. */
	assert_int_equal(an_decode(&src, log, strlen(log), 0, &d, &derr), 0);
	ev = an_decoded_event(d);
	assert_non_null(ev->decoder);
	assert_string_equal(ev->decoder, "ar_log_json");
	assert_string_equal(an_fields_get(ev->fields, "command"), "add");
	assert_string_equal(an_fields_get(ev->fields, "parameters.program"),
			    "active-response/bin/remove-threat.sh");
	assert_string_equal(
	    an_fields_get(ev->fields, "parameters.alert.data.virustotal.source.file"), threat);
	an_decoded_free(d);
	vg_free(log);
}

static void test_script__remove_threat_fixture_aborted(void **state)
{
	struct fixture *f = *state;
	char threat[256];
	char *log;

	if (system("command -v jq >/dev/null 2>&1") != 0)
		skip();
	install_fixture(f);
	snprintf(threat, sizeof(threat), "%s/kept.bin", f->home);
	assert_int_equal(close(open(threat, O_WRONLY | O_CREAT, 0600)), 0);
	set_threat(f, threat);
	f->run.command = "add";
	f->held = true;
	run_ok(f, "remove-threat.sh");
	assert_true(f->res.aborted);
	assert_int_equal(access(threat, F_OK), 0);
	log = home_file(f, "logs/active-responses.log");
	assert_non_null(strstr(log, "} Remove threat active response aborted\n"));
	assert_null(strstr(log, "Successfully"));
	vg_free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_script__message_shape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__stdin_json_received, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__child_context, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__check_keys_continue_then_abort, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_script__check_keys_without_callback, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_script__garbage_output_is_no_handshake, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_script__silent_add_script, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__exit_status_propagated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__killed_with_its_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__exits_without_reading_large_message, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_script__large_message_delivered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__missing_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__bad_names_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__untrusted_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__bad_interpreter_is_internal, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_script__remove_threat_fixture, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_script__remove_threat_fixture_aborted, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
