/*
 * Unit tests for src/manager/integration_run.c: real shell scripts written
 * into a temporary HOME/integrations receive Wazuh's argv exactly, read the
 * alert and options files (0600, removed afterwards), are killed at the
 * wall-clock limit with their descendants, and failures log Wazuh's lines
 * with the key masked. The built-in virustotal never runs.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/integration_conf.h"
#include "manager/integration_run.h"

#define KEY "k3y-0123456789abcdef0123456789abcdef"
#define ALERT                                                                                      \
	"{\"timestamp\":\"2026-02-08T10:11:12.345+0000\",\"rule\":{\"level\":5,\"description\":"   \
	"\"File added to the system.\",\"id\":\"554\",\"groups\":[\"ossec\",\"syscheck\"]},"       \
	"\"id\":\"1770545472.1234\",\"full_log\":\"File '/root/x' added\\nMode: realtime\\n\","    \
	"\"location\":\"syscheck\",\"data\":{\"srcip\":\"10.0.0.9\"}}"

struct fixture {
	char home[64];
	char log[128];
	struct mgr_integration_conf c;
	struct mgr_intrun_opts o;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	char dir[128];
	const struct mgr_intrun_opts o = MGR_INTRUN_OPTS_INIT;

	snprintf(f->home, sizeof(f->home), "/tmp/vg-test-intrun-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	snprintf(f->log, sizeof(f->log), "%s/log", f->home);
	snprintf(dir, sizeof(dir), "%s/integrations", f->home);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	mgr_integration_conf_init(&f->c);
	f->o = o;
	f->o.home = f->home;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vg_log_close();
	mgr_integration_conf_free(&f->c);
	vg_test_rmtree(f->home);
	vg_free(f);
	return 0;
}

/* One block from its XML body. */
static const struct mgr_integration *block(struct fixture *f, const char *body)
{
	char xml[2048];
	struct vg_err err = VG_ERR_INIT;
	struct vg_conf_section s[] = {{"integration", mgr_integration_conf_parse, &f->c}};

	snprintf(xml, sizeof(xml), "<ossec_config><integration>%s</integration></ossec_config>",
		 body);
	mgr_integration_conf_free(&f->c);
	if (vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &err) != 0)
		fail_msg("%s", err.msg);
	return &f->c.items[0];
}

static void script(struct fixture *f, const char *name, const char *body, mode_t mode)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/integrations/%s", f->home, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *home_file(struct fixture *f, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->home, name);
	return vg_test_read_file(path);
}

/* Records argc, each argument, the files' contents and mode. */
static const char argv_script[] =
    "cd \"$(dirname \"$0\")/..\"\n"
    "{ echo \"argc=$#\"; for a in \"$@\"; do echo \"arg=[$a]\"; done; } > args.txt\n"
    "cat \"$1\" > alert.copy\n"
    "stat -c %a \"$1\" > alert.mode\n"
    "if [ -n \"$5\" ]; then cat \"$5\" > options.copy; fi\n"
    "echo \"$1\" > alert.path\n"
    "echo \"$5\" > options.path\n"
    "pwd > cwd.txt\n";

static void test_integration_run__wazuh_argv_exactly(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;
	struct vg_err err = VG_ERR_INIT;
	char want[1024], tmp[128];

	script(f, "custom-argv", argv_script, 0755);
	const struct mgr_integration *i =
	    block(f, "<name>custom-argv</name><api_key>" KEY "</api_key>"
		     "<hook_url>https://hook.example/x?a=1 b</hook_url><alert_format>json"
		     "</alert_format><options>{\"queue\": \"SOC\"}</options><timeout>7</timeout>"
		     "<retries>2</retries>");
	f->o.debug = true;
	if (mgr_intrun_run(i, &f->o, ALERT, strlen(ALERT), &r, &err) != 0)
		fail_msg("%s", err.msg);
	const struct mgr_intrun_result *res = mgr_intrun_result(r);
	assert_int_equal(res->exit_status, 0);
	assert_false(res->timed_out);

	char *alert_path = home_file(f, "alert.path");
	char *options_path = home_file(f, "options.path");
	snprintf(tmp, sizeof(tmp), "%s/tmp/custom-argv-", f->home);
	assert_memory_equal(alert_path, tmp, strlen(tmp));
	assert_non_null(strstr(alert_path, ".alert\n"));
	assert_memory_equal(options_path, tmp, strlen(tmp));
	assert_non_null(strstr(options_path, ".options\n"));
	alert_path[strlen(alert_path) - 1] = '\0';
	options_path[strlen(options_path) - 1] = '\0';
	snprintf(want, sizeof(want),
		 "argc=7\narg=[%s]\narg=[" KEY "]\narg=[https://hook.example/x?a=1 b]\n"
		 "arg=[debug]\narg=[%s]\narg=[7]\narg=[2]\n",
		 alert_path, options_path);
	char *args = home_file(f, "args.txt");
	assert_string_equal(args, want);
	/* the files: content, private mode, removed once the script is done */
	char *copy = home_file(f, "alert.copy");
	assert_string_equal(copy, ALERT "\n");
	char *mode = home_file(f, "alert.mode");
	assert_string_equal(mode, "600\n");
	char *opts = home_file(f, "options.copy");
	assert_string_equal(opts, "{\"queue\": \"SOC\"}");
	assert_int_equal(access(alert_path, F_OK), -1);
	assert_int_equal(access(options_path, F_OK), -1);
	char *cwd = home_file(f, "cwd.txt");
	snprintf(want, sizeof(want), "%s\n", f->home);
	assert_string_equal(cwd, want);
	struct stat st;
	snprintf(tmp, sizeof(tmp), "%s/tmp", f->home);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* and Vigie's own log holds no key */
	char *log = vg_test_read_log(f->log);
	assert_null(strstr(log, KEY));
	vg_free(log);
	vg_free(cwd);
	vg_free(opts);
	vg_free(mode);
	vg_free(copy);
	vg_free(args);
	vg_free(alert_path);
	vg_free(options_path);
	mgr_intrun_free(r);
}

static void test_integration_run__unset_fields_are_empty_args(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;

	script(f, "custom-argv", argv_script, 0755);
	const struct mgr_integration *i = block(f, "<name>custom-argv</name>");
	assert_int_equal(mgr_intrun_run(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	char *args = home_file(f, "args.txt");
	/* Wazuh's defaults 10 and 3; no literal "> /dev/null 2>&1" argument */
	assert_non_null(strstr(args, "argc=7\n"));
	assert_non_null(
	    strstr(args, ".alert]\narg=[]\narg=[]\narg=[]\narg=[]\narg=[10]\narg=[3]\n"));
	vg_free(args);
	mgr_intrun_free(r);
}

static void test_integration_run__virustotal_never_runs(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;
	struct vg_err err = VG_ERR_INIT;
	char path[256];

	script(f, "virustotal", argv_script, 0755);
	const struct mgr_integration *i =
	    block(f, "<name>virustotal</name><api_key>" KEY "</api_key>");
	assert_int_equal(mgr_intrun_start(i, &f->o, ALERT, strlen(ALERT), &r, &err), VG_EINTERNAL);
	assert_null(r);
	assert_null(strstr(err.msg, KEY));
	snprintf(path, sizeof(path), "%s/args.txt", f->home);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_integration_run__timeout_kills_the_group(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;

	script(f, "custom-slow",
	       "sleep 30 &\necho $! > \"$(dirname \"$0\")/../child.pid\"\necho working\nwait",
	       0755);
	const struct mgr_integration *i =
	    block(f, "<name>custom-slow</name><timeout>1</timeout><retries>0</retries>");
	f->o.margin = 0;
	assert_int_equal(mgr_intrun_run(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	const struct mgr_intrun_result *res = mgr_intrun_result(r);
	assert_true(res->timed_out);
	assert_int_equal(res->signal, SIGKILL);
	assert_in_range(res->elapsed_ms, 900, 5000);
	char *pid = home_file(f, "child.pid");
	pid_t child = (pid_t)strtol(pid, NULL, 10);
	assert_true(child > 0);
	int alive = 1;
	for (int k = 0; k < 100 && alive; k++) {
		alive = kill(child, 0) == 0;
		/* a zombie waiting for init to reap it is dead enough */
		char st[64], *s;
		snprintf(st, sizeof(st), "/proc/%d/stat", (int)child);
		FILE *fp = fopen(st, "r");
		if (fp != NULL) {
			char line[256] = "";
			if (fgets(line, sizeof(line), fp) != NULL &&
			    (s = strrchr(line, ')')) != NULL && s[2] == 'Z')
				alive = 0;
			fclose(fp);
		}
		if (alive)
			usleep(10000);
	}
	assert_false(alive);
	char *log = vg_test_read_log(f->log);
	assert_non_null(
	    strstr(log, "Timeout running custom-slow -> integrations: killed after 1 s"));
	assert_non_null(strstr(log, "Output: working"));
	vg_free(log);
	vg_free(pid);
	mgr_intrun_free(r);
}

static void expect_127(struct fixture *f, const char *name)
{
	struct mgr_intrun *r = NULL;
	char body[128], want[256];

	snprintf(body, sizeof(body), "<name>%s</name><api_key>" KEY "</api_key>", name);
	const struct mgr_integration *i = block(f, body);
	assert_int_equal(mgr_intrun_run(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	assert_int_equal(mgr_intrun_result(r)->exit_status, 127);
	assert_int_equal(mgr_intrun_pid(r), 0);
	char *log = vg_test_read_log(f->log);
	snprintf(want, sizeof(want),
		 "Couldn't execute command (%s/integrations/%s). Check file and permissions.",
		 f->home, name);
	assert_non_null(strstr(log, want));
	assert_null(strstr(log, KEY));
	vg_free(log);
	mgr_intrun_free(r);
}

static void test_integration_run__exit_127_cannot_execute(void **state)
{
	struct fixture *f = *state;
	char tmp[128];

	expect_127(f, "custom-missing");
	script(f, "custom-noexec", "exit 0", 0644);
	expect_127(f, "custom-noexec");
	script(f, "custom-badinterp", "", 0755);
	snprintf(tmp, sizeof(tmp), "%s/integrations/custom-badinterp", f->home);
	FILE *fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs("#!/nonexistent/python3\n", fp);
	fclose(fp);
	expect_127(f, "custom-badinterp");
	/* nothing left behind in HOME/tmp */
	snprintf(tmp, sizeof(tmp), "%s/tmp", f->home);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", tmp);
	assert_int_equal(system(cmd), 0);
}

static void test_integration_run__nonzero_exit_logs_wazuh_lines(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;

	script(f, "custom-fail", "echo \"first line\"\necho \"using key $2\" >&2\nexit 3", 0755);
	const struct mgr_integration *i =
	    block(f, "<name>custom-fail</name><api_key>" KEY "</api_key>");
	assert_int_equal(mgr_intrun_run(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	const struct mgr_intrun_result *res = mgr_intrun_result(r);
	assert_int_equal(res->exit_status, 3);
	/* stdout and stderr captured, the key masked */
	assert_string_equal(res->output, "first line\nusing key ***\n");
	char *log = vg_test_read_log(f->log);
	assert_non_null(strstr(log, "ERROR: Unable to run integration for custom-fail -> "
				    "integrations\n"));
	assert_non_null(strstr(log, "ERROR: While running custom-fail -> integrations. Output: "
				    "using key ***\n"));
	assert_non_null(strstr(log, "ERROR: Exit status was: 3\n"));
	assert_null(strstr(log, KEY));
	vg_free(log);
	mgr_intrun_free(r);
}

static void test_integration_run__legacy_alert_format(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;

	script(f, "custom-legacy", "cat \"$1\" > \"$(dirname \"$0\")/../alert.copy\"", 0755);
	const struct mgr_integration *i = block(f, "<name>custom-legacy</name>");
	assert_int_equal(mgr_intrun_run(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	char *copy = home_file(f, "alert.copy");
	assert_string_equal(copy, "alertdate='2026-02-08T10:11:12.345+0000'\n"
				  "alertlocation='syscheck'\nruleid='554'\nalertlevel='5'\n"
				  "ruledescription='File added to the system.'\n"
				  "alertlog='File  /root/x  added Mode: realtime '\n"
				  "srcip='10.0.0.9'\n");
	vg_free(copy);
	mgr_intrun_free(r);
	/* not JSON: refused before anything runs */
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(mgr_intrun_start(i, &f->o, "nope", 4, &r, &err), VG_EPARSE);
	assert_null(r);
}

static void test_integration_run__non_blocking_handle(void **state)
{
	struct fixture *f = *state;
	struct mgr_intrun *r = NULL;
	bool done = false;

	script(f, "custom-echo", "read x < \"$1\" 2>/dev/null; sleep 0.2; echo done", 0755);
	const struct mgr_integration *i = block(f, "<name>custom-echo</name>");
	assert_int_equal(mgr_intrun_start(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	assert_true(mgr_intrun_pid(r) > 0);
	assert_true(mgr_intrun_fd(r) >= 0);
	assert_true(mgr_intrun_deadline_ms(r) > 0);
	/* the first step returns at once: the child sleeps */
	assert_int_equal(mgr_intrun_step(r, 0, &done, NULL), 0);
	assert_false(done);
	for (int k = 0; k < 500 && !done; k++) {
		struct pollfd p = {.fd = mgr_intrun_fd(r), .events = POLLIN};
		if (p.fd >= 0)
			(void)poll(&p, 1, 20);
		else
			usleep(20000);
		assert_int_equal(mgr_intrun_step(r, 0, &done, NULL), 0);
	}
	assert_true(done);
	assert_int_equal(mgr_intrun_result(r)->exit_status, 0);
	assert_string_equal(mgr_intrun_result(r)->output, "done\n");
	assert_int_equal(mgr_intrun_fd(r), -1);
	mgr_intrun_free(r);
	/* freeing a running handle kills and reaps it */
	script(f, "custom-echo", "sleep 30", 0755);
	assert_int_equal(mgr_intrun_start(i, &f->o, ALERT, strlen(ALERT), &r, NULL), 0);
	pid_t pid = mgr_intrun_pid(r);
	mgr_intrun_free(r);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_integration_run__check_and_private_tmp(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct mgr_intrun *r = NULL;
	char tmp[128];

	script(f, "custom-ok", "exit 0", 0755);
	script(f, "custom-noexec", "exit 0", 0644);
	assert_int_equal(mgr_intrun_check(f->home, "custom-ok", NULL), 0);
	assert_int_equal(mgr_intrun_check(f->home, "custom-none", &err), VG_ENOTFOUND);
	vg_test_err_mentions(&err, "/integrations/custom-none");
	vg_err_clear(&err);
	assert_int_equal(mgr_intrun_check(f->home, "custom-noexec", &err), VG_EPERM);
	vg_test_err_mentions(&err, "is not executable");
	/* HOME/tmp open to others: refused, nothing written */
	snprintf(tmp, sizeof(tmp), "%s/tmp", f->home);
	assert_int_equal(mkdir(tmp, 0777), 0);
	assert_int_equal(chmod(tmp, 0777), 0);
	vg_err_clear(&err);
	const struct mgr_integration *i = block(f, "<name>custom-ok</name>");
	assert_int_equal(mgr_intrun_start(i, &f->o, ALERT, strlen(ALERT), &r, &err), VG_EPERM);
	vg_test_err_mentions(&err, "mode 0700");
	assert_null(r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_integration_run__wazuh_argv_exactly),
	    T(test_integration_run__unset_fields_are_empty_args),
	    T(test_integration_run__virustotal_never_runs),
	    T(test_integration_run__timeout_kills_the_group),
	    T(test_integration_run__exit_127_cannot_execute),
	    T(test_integration_run__nonzero_exit_logs_wazuh_lines),
	    T(test_integration_run__legacy_alert_format),
	    T(test_integration_run__non_blocking_handle),
	    T(test_integration_run__check_and_private_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
