/*
 * Unit tests for src/fim/config.c: the <syscheck> section. Each case loads
 * real XML through vg_conf_load_buffer, as the daemons do; warnings are
 * captured through the logger into a mkdtemp directory.
 */
#include <setjmp.h>
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

#include "fim/config.h"
#include "lib/buf.h"
#include "lib/common.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"

/* VG_STATIC in src/fim/config.c */
int fim_config_parse_scan_time(const char *s, int *out);
int fim_config_parse_scan_day(const char *s, unsigned *out);

struct fixture {
	char dir[64];
	char log[128];
	struct fim_config cfg;
	struct vg_err err;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vg-test-config-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	assert_int_equal(vg_log_open(f->log, false, NULL), 0);
	fim_config_init(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vg_log_close();
	unlink(f->log);
	rmdir(f->dir);
	fim_config_free(&f->cfg);
	vg_free(f);
	return 0;
}

static int load_xml(struct fixture *f, const char *xml)
{
	struct vg_conf_section s[] = {{"syscheck", fim_config_parse, &f->cfg}};
	vg_err_clear(&f->err);
	return vg_conf_load_buffer("t.conf", xml, strlen(xml), s, 1, &f->err);
}

/* body goes inside one <syscheck> on line 2 of the file. */
static int load(struct fixture *f, const char *body)
{
	char *xml = vg_xasprintf("<ossec_config><syscheck>\n%s\n</syscheck></ossec_config>", body);
	int rc = load_xml(f, xml);
	vg_free(xml);
	return rc;
}

static void load_ok(struct fixture *f, const char *body)
{
	int rc = load(f, body);
	if (rc != 0)
		fail_msg("%s: %s", body, f->err.msg);
}

/* Fresh config, then expect body to fail with exactly msg. */
static void load_err(struct fixture *f, const char *body, const char *msg)
{
	fim_config_free(&f->cfg);
	fim_config_init(&f->cfg);
	int rc = load(f, body);
	if (rc != VG_EPARSE || strcmp(f->err.msg, msg) != 0)
		fail_msg("%s\n  got  %d \"%s\"\n  want \"%s\"", body, rc, f->err.msg, msg);
}

static void test_config__defaults(void **state)
{
	struct fixture *f = *state;
	struct fim_config *c = &f->cfg;
	assert_true(c->disabled);
	assert_int_equal(c->frequency, 43200);
	assert_int_equal(c->scan_time, -1);
	assert_int_equal(c->scan_days, 0);
	assert_true(c->scan_on_start);
	assert_true(c->skip_nfs && c->skip_dev && c->skip_sys && c->skip_proc);
	assert_int_equal(c->max_files_per_second, 0);
	assert_int_equal(c->file_limit, 100000);
	assert_int_equal(c->process_priority, 10);
	assert_int_equal(c->max_eps, 0);
	assert_int_equal(c->file_max_size, 1ULL << 30);
	assert_int_equal(c->diff_size_limit, 50ULL << 20);
	assert_false(c->full_rehash);
	assert_int_equal(c->realtime_backend, FIM_RT_AUTO);
	assert_int_equal(c->hash_workers, 0);
	assert_int_equal(c->ndirs, 0);
	/* An empty block enables syscheck, as in Wazuh. */
	load_ok(f, "");
	assert_false(c->disabled);
}

static void test_config__disabled_across_blocks(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_xml(f, "<ossec_config><syscheck><disabled>yes</disabled></syscheck>"
				     "</ossec_config><ossec_config><syscheck><frequency>5"
				     "</frequency></syscheck></ossec_config>"),
			 0);
	assert_true(f->cfg.disabled);
	assert_int_equal(f->cfg.frequency, 5);
	load_ok(f, "<disabled>no</disabled>");
	assert_false(f->cfg.disabled);
}

static void test_config__directories_paths(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<directories>/etc, /usr/bin/ ,/usr//sbin//</directories>\n"
		   "<directories>/</directories>");
	assert_int_equal(f->cfg.ndirs, 4);
	assert_string_equal(f->cfg.dirs[0].path, "/etc");
	assert_string_equal(f->cfg.dirs[1].path, "/usr/bin");
	assert_string_equal(f->cfg.dirs[2].path, "/usr/sbin");
	assert_string_equal(f->cfg.dirs[3].path, "/");
	assert_int_equal(f->cfg.dirs[0].checks, FIM_CHECK_ALL);
	assert_int_equal(f->cfg.dirs[0].opts, 0);
	assert_int_equal(f->cfg.dirs[0].recursion_level, FIM_DEFAULT_DEPTH);
	assert_null(f->cfg.dirs[0].restrict_re);
	assert_null(f->cfg.dirs[0].tags);
	assert_int_equal(f->cfg.dirs[0].diff_size_limit, 0);
	assert_int_equal(f->cfg.dirs[0].line, 2);
	assert_int_equal(f->cfg.dirs[3].line, 3);
}

/* Wildcards stand for the directories they match at load time. */
static void test_config__directories_wildcards(void **state)
{
	struct fixture *f = *state;
	const char *made[] = {"u1", "u1/Downloads", "u2", "u2/Downloads", "u3"};
	for (size_t i = 0; i < VG_ARRAY_LEN(made); i++) {
		char *p = vg_xasprintf("%s/%s", f->dir, made[i]);
		assert_int_equal(mkdir(p, 0755), 0);
		vg_free(p);
	}
	char *file = vg_xasprintf("%s/u3/Downloads", f->dir); /* a file, not a dir */
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	char *body = vg_xasprintf("<directories realtime=\"yes\">%s/u*/Downloads</directories>\n"
				  "<directories>%s/nothing-*</directories>",
				  f->dir, f->dir);
	load_ok(f, body);
	assert_int_equal(f->cfg.ndirs, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_non_null(strstr(f->cfg.dirs[i].path, "/Downloads"));
		assert_null(strpbrk(f->cfg.dirs[i].path, "*?["));
		assert_int_equal(f->cfg.dirs[i].opts, FIM_OPT_REALTIME);
	}
	char *log = vg_test_read_file(f->log);
	assert_int_equal(vg_test_count(log, "nothing-*\" matches no directory (yet)"), 1);
	vg_free(log);
	/* clean up what the teardown does not know about */
	unlink(file);
	vg_free(file);
	vg_free(body);
	for (size_t i = VG_ARRAY_LEN(made); i > 0; i--) {
		char *p = vg_xasprintf("%s/%s", f->dir, made[i - 1]);
		assert_int_equal(rmdir(p), 0);
		vg_free(p);
	}
}

static void test_config__directories_env_and_duplicates(void **state)
{
	struct fixture *f = *state;
	setenv("VG_TEST_HOME", "/home/vg", 1);
	unsetenv("VG_TEST_UNSET");
	load_ok(f, "<directories>$VG_TEST_HOME/a,${VG_TEST_HOME}b,/x$</directories>");
	assert_string_equal(f->cfg.dirs[0].path, "/home/vg/a");
	assert_string_equal(f->cfg.dirs[1].path, "/home/vgb");
	assert_string_equal(f->cfg.dirs[2].path, "/x$");
	/* Configured again: the last configuration wins, in place. */
	load_ok(f, "<directories realtime=\"yes\">/home/vg/a/</directories>");
	assert_int_equal(f->cfg.ndirs, 3);
	assert_int_equal(f->cfg.dirs[0].opts, FIM_OPT_REALTIME);
	load_err(f, "<directories>$VG_TEST_UNSET/x</directories>",
		 "t.conf:2: <syscheck>: <directories>: environment variable VG_TEST_UNSET is not "
		 "set");
	load_err(f, "<directories>${VG_TEST_HOME</directories>",
		 "t.conf:2: <syscheck>: <directories>: bad ${...} reference");
	unsetenv("VG_TEST_HOME");
}

static void test_config__directories_path_errors(void **state)
{
	struct fixture *f = *state;
	load_err(f, "<directories>etc</directories>",
		 "t.conf:2: <syscheck>: <directories>: \"etc\" is not an absolute path");
	load_err(f, "<directories></directories>",
		 "t.conf:2: <syscheck>: <directories>: no path given");
	load_err(f, "<directories>/a,,/b</directories>",
		 "t.conf:2: <syscheck>: <directories>: empty path in the list");
	load_err(f, "<directories><x/>/a</directories>",
		 "t.conf:2: <syscheck>: <directories>: unexpected element <x>");
	struct vg_buf b = VG_BUF_INIT(4096);
	assert_int_equal(vg_buf_puts(&b, "<directories>"), 0);
	for (int i = 0; i < 65; i++)
		assert_int_equal(vg_buf_printf(&b, "%s/d%d", i ? "," : "", i), 0);
	assert_int_equal(vg_buf_puts(&b, "</directories>"), 0);
	load_err(f, vg_buf_cstr(&b),
		 "t.conf:2: <syscheck>: <directories>: more than 64 paths in one element");
	vg_buf_free(&b);
	char *longp = vg_xmalloc(5000);
	memset(longp, 'a', 4999);
	longp[0] = '/';
	longp[4999] = '\0';
	char *body = vg_xasprintf("<directories>%s</directories>", longp);
	load_err(f, body, "t.conf:2: <syscheck>: <directories>: path longer than 4095 bytes");
	vg_free(body);
	vg_free(longp);
}

static void test_config__check_attributes_in_document_order(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<directories check_all=\"no\" check_sha256sum=\"yes\">/a</directories>\n"
		   "<directories check_sha256sum=\"yes\" check_all=\"no\">/b</directories>\n"
		   "<directories check_sum=\"no\" check_inode=\"no\">/c</directories>\n"
		   "<directories check_all=\"no\" check_sum=\"yes\" check_size=\"yes\" "
		   "check_owner=\"yes\" check_group=\"yes\" check_perm=\"yes\" check_mtime=\"yes\" "
		   "check_md5sum=\"no\">/d</directories>\n"
		   "<directories check_all=\"no\" check_md5sum=\"yes\" check_sha1sum=\"yes\" "
		   "check_inode=\"yes\">/e</directories>");
	assert_int_equal(f->cfg.dirs[0].checks, FIM_CHECK_SHA256);
	assert_int_equal(f->cfg.dirs[1].checks, 0);
	assert_int_equal(f->cfg.dirs[2].checks, FIM_CHECK_ALL & ~(FIM_CHECK_SUM | FIM_CHECK_INODE));
	assert_int_equal(f->cfg.dirs[3].checks, FIM_CHECK_ALL & ~(FIM_CHECK_MD5 | FIM_CHECK_INODE));
	assert_int_equal(f->cfg.dirs[4].checks, FIM_CHECK_MD5 | FIM_CHECK_SHA1 | FIM_CHECK_INODE);
}

static void test_config__check_attrs_is_windows_only(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<directories check_attrs=\"yes\">/a</directories>");
	assert_int_equal(f->cfg.dirs[0].checks, FIM_CHECK_ALL);
	char *log = vg_test_read_file(f->log);
	assert_int_equal(
	    vg_test_count(
		log, "t.conf:2: <syscheck>: <directories> check_attrs is Windows-only; ignored"),
	    1);
	vg_free(log);
}

static void test_config__directory_options_values(void **state)
{
	struct fixture *f = *state;
	load_ok(f,
		"<directories realtime=\"yes\" report_changes=\"yes\" follow_symbolic_link=\"yes\" "
		"recursion_level=\"0\" tags=\" a b:c!,d \" diff_size_limit=\"2MB\" "
		"restrict=\".conf$|^/x/keep\">/a</directories>\n"
		"<directories whodata=\"yes\" realtime=\"no\" recursion_level=\"320\" "
		"diff_size_limit=\"4\" tags=\"!: \">/b</directories>");
	const struct fim_dir *a = &f->cfg.dirs[0], *b = &f->cfg.dirs[1];
	assert_int_equal(a->opts,
			 FIM_OPT_REALTIME | FIM_OPT_REPORT_CHANGES | FIM_OPT_FOLLOW_SYMLINK);
	assert_int_equal(a->recursion_level, 0);
	assert_string_equal(a->tags, "abc,d");
	assert_int_equal(a->diff_size_limit, 2ULL << 20);
	assert_non_null(a->restrict_re);
	assert_true(vg_osmatch_test(a->restrict_re, "/a/nginx.CONF"));
	assert_true(vg_osmatch_test(a->restrict_re, "/x/keep/y"));
	assert_false(vg_osmatch_test(a->restrict_re, "/a/nginx.conf.bak"));
	/* whodata wins over realtime="no" and still runs as realtime */
	assert_int_equal(b->opts, FIM_OPT_REALTIME | FIM_OPT_WHODATA);
	assert_int_equal(b->recursion_level, 320);
	assert_int_equal(b->diff_size_limit, 4096); /* plain number = KB */
	assert_null(b->tags);
}

static void test_config__directory_attribute_errors(void **state)
{
	struct fixture *f = *state;
	load_err(f, "<directories recursion_level=\"321\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories> recursion_level: expected a number from 0 to "
		 "320, got \"321\"");
	load_err(f, "<directories recursion_level=\"-1\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories> recursion_level: expected a number from 0 to "
		 "320, got \"-1\"");
	load_err(f, "<directories realtime=\"true\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories> realtime: expected yes or no, got \"true\"");
	load_err(f, "<directories check_al=\"yes\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories>: unknown attribute check_al; did you mean "
		 "check_all?");
	load_err(f, "<directories colour=\"red\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories>: unknown attribute colour");
	load_err(f, "<directories restrict=\"a||b\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories> restrict: empty alternative in pattern "
		 "\"a||b\"");
	load_err(f, "<directories diff_size_limit=\"512B\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories> diff_size_limit: expected a size of at least "
		 "1KB (plain number = KB, or KB, MB, GB), got \"512B\"");
	load_err(f, "<directories diff_size_limit=\"lots\">/a</directories>",
		 "t.conf:2: <syscheck>: <directories> diff_size_limit: expected a size of at least "
		 "1KB (plain number = KB, or KB, MB, GB), got \"lots\"");
}

static void test_config__ignore_and_nodiff(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<ignore>/etc/mtab</ignore>\n<ignore type=\"sregex\">.log$|.swp$</ignore>\n"
		   "<nodiff>/etc/ssl/private.key</nodiff><nodiff type=\"sregex\">^/etc/k</nodiff>");
	assert_int_equal(f->cfg.nignores, 2);
	assert_string_equal(f->cfg.ignores[0].prefix, "/etc/mtab");
	assert_null(f->cfg.ignores[0].sregex);
	assert_null(f->cfg.ignores[1].prefix);
	assert_non_null(f->cfg.ignores[1].sregex);
	/* plain = case-insensitive prefix, exactly like Wazuh's strncasecmp */
	assert_true(fim_config_ignored(&f->cfg, "/etc/mtab"));
	assert_true(fim_config_ignored(&f->cfg, "/ETC/MTAB"));
	assert_true(fim_config_ignored(&f->cfg, "/etc/mtab.d/x"));
	assert_true(fim_config_ignored(&f->cfg, "/var/app/x.log"));
	assert_false(fim_config_ignored(&f->cfg, "/etc/mta"));
	assert_false(fim_config_ignored(&f->cfg, "/etc/passwd"));
	load_err(f, "<ignore type=\"regex\">x</ignore>",
		 "t.conf:2: <syscheck>: <ignore>: type must be \"sregex\", got \"regex\"");
	load_err(f, "<ignore name=\"x\">x</ignore>",
		 "t.conf:2: <syscheck>: <ignore>: unknown attribute name");
	load_err(f, "<ignore></ignore>", "t.conf:2: <syscheck>: <ignore>: empty value");
	load_err(f, "<nodiff type=\"sregex\">|</nodiff>",
		 "t.conf:2: <syscheck>: <nodiff>: empty alternative in pattern \"|\"");
}

static void test_config__scalars(void **state)
{
	struct fixture *f = *state;
	struct fim_config *c = &f->cfg;
	load_ok(f, "<frequency>60</frequency><scan_on_start>no</scan_on_start>"
		   "<skip_nfs>no</skip_nfs><skip_dev>no</skip_dev><skip_sys>no</skip_sys>"
		   "<skip_proc>no</skip_proc><max_files_per_second>100</max_files_per_second>"
		   "<process_priority>-20</process_priority><max_eps>1000000</max_eps>"
		   "<database>memory</database><file_max_size>512MB</file_max_size>"
		   "<full_rehash>yes</full_rehash><realtime_backend>inotify</realtime_backend>"
		   "<hash_workers>256</hash_workers><allow_remote_prefilter_cmd>no"
		   "</allow_remote_prefilter_cmd>");
	assert_int_equal(c->frequency, 60);
	assert_false(c->scan_on_start);
	assert_false(c->skip_nfs || c->skip_dev || c->skip_sys || c->skip_proc);
	assert_int_equal(c->max_files_per_second, 100);
	assert_int_equal(c->process_priority, -20);
	assert_int_equal(c->max_eps, 1000000);
	assert_int_equal(c->file_max_size, 512ULL << 20);
	assert_true(c->full_rehash);
	assert_int_equal(c->realtime_backend, FIM_RT_INOTIFY);
	assert_int_equal(c->hash_workers, 256);
	load_ok(f, "<realtime_backend>fanotify</realtime_backend><file_max_size>1GB</file_max_size>"
		   "<process_priority>19</process_priority>");
	assert_int_equal(c->realtime_backend, FIM_RT_FANOTIFY);
	assert_int_equal(c->file_max_size, 1ULL << 30);
	assert_int_equal(c->process_priority, 19);
}

static void test_config__scalar_errors(void **state)
{
	struct fixture *f = *state;
	load_err(f, "<frequency>0</frequency>",
		 "t.conf:2: <syscheck>: <frequency>: expected a number from 1 to 4294967295, got "
		 "\"0\"");
	load_err(f, "<frequency>12h</frequency>",
		 "t.conf:2: <syscheck>: <frequency>: expected a number from 1 to 4294967295, got "
		 "\"12h\"");
	load_err(f, "<skip_nfs>Yes</skip_nfs>",
		 "t.conf:2: <syscheck>: <skip_nfs>: expected yes or no, got \"Yes\"");
	load_err(f, "<process_priority>20</process_priority>",
		 "t.conf:2: <syscheck>: <process_priority>: expected a number from -20 to 19, got "
		 "\"20\"");
	load_err(f, "<max_eps>1000001</max_eps>",
		 "t.conf:2: <syscheck>: <max_eps>: expected a number from 0 to 1000000, got "
		 "\"1000001\"");
	load_err(f, "<database>cloud</database>",
		 "t.conf:2: <syscheck>: <database>: expected one of disk|memory, got \"cloud\"");
	load_err(f, "<hash_workers>257</hash_workers>",
		 "t.conf:2: <syscheck>: <hash_workers>: expected a number from 0 to 256, got "
		 "\"257\"");
	load_err(f, "<realtime_backend>audit</realtime_backend>",
		 "t.conf:2: <syscheck>: <realtime_backend>: expected one of auto|fanotify|inotify, "
		 "got \"audit\"");
	load_err(f, "<file_max_size>100B</file_max_size>",
		 "t.conf:2: <syscheck>: <file_max_size>: expected a size of at least 1024 bytes "
		 "(plain number = KB, or KB, MB, GB), got \"100B\"");
	load_err(f, "<frequency unit=\"s\">5</frequency>",
		 "t.conf:2: <syscheck>: <frequency>: unknown attribute unit");
	load_err(f, "<full_rehash><yes/></full_rehash>",
		 "t.conf:2: <syscheck>: <full_rehash>: unexpected element <yes>");
	load_err(f, "<frequncy>5</frequncy>",
		 "t.conf:2: <syscheck>: unknown element <frequncy>; did you mean <frequency>?");
	load_err(f, "<colour>5</colour>", "t.conf:2: <syscheck>: unknown element <colour>");
	load_err(f, "<prefilter_cmd>/usr/sbin/prelink -y</prefilter_cmd>",
		 "t.conf:2: <syscheck>: <prefilter_cmd> is not supported: Vigie hashes file "
		 "contents as they are on disk; remove it (or convert files before they land in a "
		 "monitored directory)");
	assert_int_equal(load_xml(f, "<ossec_config><syscheck a=\"b\"/></ossec_config>"),
			 VG_EPARSE);
	assert_string_equal(f->err.msg, "t.conf:1: <syscheck>: <syscheck>: unknown attribute a");
	assert_int_equal(load_xml(f, "<ossec_config><syscheck>x</syscheck></ossec_config>"),
			 VG_EPARSE);
	assert_string_equal(f->err.msg, "t.conf:1: <syscheck>: unexpected text");
}

static void test_config__scan_time_and_day(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *s;
		int secs;
	} times[] = {{"22:00", 79200}, {"10pm", 79200}, {"10:30am", 37800}, {"12am", 0},
		     {"12pm", 43200},  {"0:05", 300},   {"11:59PM", 86340}, {"1am", 3600}};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int t = -2;
		assert_int_equal(fim_config_parse_scan_time(times[i].s, &t), 0);
		assert_int_equal(t, times[i].secs);
	}
	static const char *const bad_times[] = {"10",   "24:00", "13pm", "0am", "10:60",
						"10:5", "10 pm", "",     "x",   "100:00"};
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		int t = 0;
		assert_int_equal(fim_config_parse_scan_time(bad_times[i], &t), VG_EPARSE);
		assert_int_equal(t, -1);
	}
	unsigned d = 0;
	assert_int_equal(fim_config_parse_scan_day("sunday", &d), 0);
	assert_int_equal(d, 1);
	assert_int_equal(fim_config_parse_scan_day("Mon, wed,SATURDAY", &d), 0);
	assert_int_equal(d, (1u << 1) | (1u << 3) | (1u << 6));
	assert_int_equal(fim_config_parse_scan_day("weekdays", &d), 0);
	assert_int_equal(d, 0x3e);
	assert_int_equal(fim_config_parse_scan_day("weekends,fri", &d), 0);
	assert_int_equal(d, 0x41 | (1u << 5));
	assert_int_equal(fim_config_parse_scan_day("funday", &d), VG_EPARSE);
	assert_int_equal(fim_config_parse_scan_day("mon,", &d), VG_EPARSE);
	assert_int_equal(fim_config_parse_scan_day("mo", &d), VG_EPARSE);

	/* frequency is kept: Vigie runs at both (Wazuh would force 604800). */
	load_ok(f, "<frequency>3600</frequency><scan_time>10pm</scan_time>"
		   "<scan_day>saturday</scan_day>");
	assert_int_equal(f->cfg.frequency, 3600);
	assert_int_equal(f->cfg.scan_time, 79200);
	assert_int_equal(f->cfg.scan_days, 1u << 6);
	load_err(f, "<scan_time>25:00</scan_time>",
		 "t.conf:2: <syscheck>: <scan_time>: expected a time such as 22:00, 10pm or "
		 "10:30am, got \"25:00\"");
	load_err(f, "<scan_day>someday</scan_day>",
		 "t.conf:2: <syscheck>: <scan_day>: expected day names "
		 "(sunday|sun|...|weekdays|weekends, comma-separated), got \"someday\"");
}

static void test_config__file_limit(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<file_limit><enabled>yes</enabled><entries>50</entries></file_limit>");
	assert_int_equal(f->cfg.file_limit, 50);
	load_ok(f, "<file_limit><enabled>no</enabled></file_limit>");
	assert_int_equal(f->cfg.file_limit, 0);
	load_ok(f, "<file_limit><entries>7</entries></file_limit>");
	assert_int_equal(f->cfg.file_limit, 7);
	load_err(f, "<file_limit><entries>0</entries></file_limit>",
		 "t.conf:2: <syscheck>: <file_limit>: <entries>: expected a number from 1 to "
		 "2147483647, got \"0\"");
	load_err(f, "<file_limit><entrys>5</entrys></file_limit>",
		 "t.conf:2: <syscheck>: <file_limit>: unknown element <entrys>; did you mean "
		 "<entries>?");
}

static void test_config__sub_blocks_are_validated(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<synchronization><enabled>yes</enabled><interval>5m</interval>"
		   "<max_interval>1h</max_interval><response_timeout>30</response_timeout>"
		   "<queue_size>16384</queue_size><max_eps>10</max_eps><thread_pool>1</thread_pool>"
		   "<registry_enabled>no</registry_enabled></synchronization>"
		   "<whodata><restart_audit>yes</restart_audit><audit_key>a,b</audit_key>"
		   "<startup_healthcheck>yes</startup_healthcheck><provider>ebpf</provider>"
		   "<queue_size>16384</queue_size></whodata>"
		   "<diff><disk_quota><enabled>yes</enabled><limit>1GB</limit></disk_quota>"
		   "<file_size><enabled>yes</enabled><limit>10MB</limit></file_size>"
		   "<nodiff>/etc/x</nodiff></diff>");
	assert_int_equal(f->cfg.diff_size_limit, 10ULL << 20);
	load_ok(f, "<diff><file_size><enabled>no</enabled></file_size></diff>");
	assert_int_equal(f->cfg.diff_size_limit, UINT64_MAX);
	load_err(f, "<synchronization><interval>5y</interval></synchronization>",
		 "t.conf:2: <syscheck>: <synchronization>: <interval>: expected a time from 1 to "
		 "4294967295 seconds (units s, m, h, d, w), got \"5y\"");
	load_err(f, "<synchronization><queue_size>1</queue_size></synchronization>",
		 "t.conf:2: <syscheck>: <synchronization>: <queue_size>: expected a number from 2 "
		 "to 1000000, got \"1\"");
	load_err(f, "<synchronization><enable>yes</enable></synchronization>",
		 "t.conf:2: <syscheck>: <synchronization>: unknown element <enable>; did you mean "
		 "<enabled>?");
	load_err(f, "<whodata><provider>auditd</provider></whodata>",
		 "t.conf:2: <syscheck>: <whodata>: <provider>: expected one of audit|ebpf, got "
		 "\"auditd\"");
	load_err(f, "<diff><file_size><limit>0</limit></file_size></diff>",
		 "t.conf:2: <syscheck>: <diff>: <file_size>: <limit>: expected a size of at least "
		 "1024 bytes (plain number = KB, or KB, MB, GB), got \"0\"");
	load_err(f, "<diff><disk_quota><limit>x</limit></disk_quota></diff>",
		 "t.conf:2: <syscheck>: <diff>: <disk_quota>: <limit>: expected a size of at least "
		 "1024 bytes (plain number = KB, or KB, MB, GB), got \"x\"");
}

static void test_config__warned_and_ignored(void **state)
{
	struct fixture *f = *state;
	load_ok(f,
		"<alert_new_files>yes</alert_new_files>\n"
		"<auto_ignore frequency=\"10\" timeframe=\"3600\">no</auto_ignore>\n"
		"<windows_registry arch=\"both\">HKEY_LOCAL_MACHINE\\Software</windows_registry>\n"
		"<registry_ignore>HKEY_X</registry_ignore><registry_limit><enabled>yes</enabled>"
		"</registry_limit><windows_audit_interval>300</windows_audit_interval>\n"
		"<diff><registry_nodiff>HKEY_Y</registry_nodiff></diff>");
	char *log = vg_test_read_file(f->log);
	assert_int_equal(
	    vg_test_count(log, "t.conf:2: <syscheck>: <alert_new_files> is deprecated since "
			       "Wazuh 3.11; ignored"),
	    1);
	assert_int_equal(vg_test_count(log, "t.conf:3: <syscheck>: <auto_ignore> is deprecated"),
			 1);
	assert_int_equal(vg_test_count(log,
				       "t.conf:4: <syscheck>: <windows_registry> is Windows-only; "
				       "ignored"),
			 1);
	assert_int_equal(vg_test_count(log, "is Windows-only; ignored"), 5);
	assert_int_equal(f->cfg.ndirs, 0);
	vg_free(log);
}

static void test_config__dir_for(void **state)
{
	struct fixture *f = *state;
	int depth = -1;
	load_ok(f, "<directories>/etc,/etc/ssh,/var/www</directories>");
	const struct fim_dir *d = fim_config_dir_for(&f->cfg, "/etc/ssh/sshd_config", &depth);
	assert_non_null(d);
	assert_string_equal(d->path, "/etc/ssh");
	assert_int_equal(depth, 1);
	d = fim_config_dir_for(&f->cfg, "/etc/sshd/x/y", &depth);
	assert_string_equal(d->path, "/etc");
	assert_int_equal(depth, 3);
	d = fim_config_dir_for(&f->cfg, "/etc", &depth);
	assert_string_equal(d->path, "/etc");
	assert_int_equal(depth, 0);
	assert_null(fim_config_dir_for(&f->cfg, "/etcetera/x", &depth));
	assert_int_equal(depth, 0);
	assert_null(fim_config_dir_for(&f->cfg, "/var/wwwx", NULL));
	assert_null(fim_config_dir_for(&f->cfg, "/", &depth));
	/* "/" governs everything not claimed by a longer entry */
	load_ok(f, "<directories>/</directories>");
	d = fim_config_dir_for(&f->cfg, "/usr/lib/x.so", &depth);
	assert_string_equal(d->path, "/");
	assert_int_equal(depth, 3);
	d = fim_config_dir_for(&f->cfg, "/", &depth);
	assert_string_equal(d->path, "/");
	assert_int_equal(depth, 0);
	d = fim_config_dir_for(&f->cfg, "/var/www/html/index.php", &depth);
	assert_string_equal(d->path, "/var/www");
	assert_int_equal(depth, 2);
}

static void load_file_ok(struct fixture *f, const char *rel)
{
	const char *src = getenv("VG_SOURCE_DIR");
	char *path = vg_xasprintf("%s/%s", src != NULL ? src : ".", rel);
	struct vg_conf_section s[] = {{"syscheck", fim_config_parse, &f->cfg}};
	int rc = vg_conf_load(path, s, 1, &f->err);
	if (rc != 0)
		fail_msg("%s: %s", path, f->err.msg);
	vg_free(path);
}

static void test_config__wazuh_default_agent_conf_loads(void **state)
{
	struct fixture *f = *state;
	load_file_ok(f, "tests/fixtures/conf/wazuh-4x-agent.conf");
	struct fim_config *c = &f->cfg;
	assert_false(c->disabled);
	assert_int_equal(c->ndirs, 6);
	static const char *const dirs[] = {"/etc", "/usr/bin", "/usr/sbin",
					   "/bin", "/sbin",    "/boot"};
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(c->dirs[i].path, dirs[i]);
		assert_int_equal(c->dirs[i].checks, FIM_CHECK_ALL);
	}
	assert_int_equal(c->nignores, 13);
	assert_true(fim_config_ignored(c, "/etc/mtab"));
	assert_true(fim_config_ignored(c, "/etc/httpd/logs/access"));
	assert_true(fim_config_ignored(c, "/etc/x.swp"));
	assert_false(fim_config_ignored(c, "/etc/passwd"));
	assert_int_equal(c->max_eps, 50);
	assert_int_equal(c->frequency, 43200);
	char *log = vg_test_read_file(f->log);
	assert_int_equal(vg_test_count(log, "ERROR"), 0);
	static const char *const warned[] = {"client",          "client_buffer", "rootcheck",
					     "wodle",           "sca",           "localfile",
					     "active-response", "logging"};
	for (size_t i = 0; i < sizeof(warned) / sizeof(warned[0]); i++) {
		char *w = vg_xasprintf("<%s> is a Wazuh section", warned[i]);
		if (vg_test_count(log, w) != 1)
			fail_msg("%s: want one warning\n%s", w, log);
		vg_free(w);
	}
	assert_int_equal(vg_test_count(log, "WARNING"), 8);
	vg_free(log);
}

static void test_config__shipped_conf_loads_cleanly(void **state)
{
	struct fixture *f = *state;
	load_file_ok(f, "etc/ossec.conf");
	assert_false(f->cfg.disabled);
	assert_true(f->cfg.ndirs >= 6);
	assert_true(fim_config_ignored(&f->cfg, "/etc/mtab"));
	char *log = vg_test_read_file(f->log);
	assert_int_equal(vg_test_count(log, "WARNING"), 0);
	vg_free(log);
}

static void test_config__free_allows_reuse(void **state)
{
	struct fixture *f = *state;
	load_ok(f, "<directories restrict=\"x\" tags=\"t\">/a</directories>"
		   "<ignore type=\"sregex\">y</ignore><ignore>/z</ignore>");
	fim_config_free(&f->cfg);
	assert_int_equal(f->cfg.ndirs, 0);
	assert_null(f->cfg.dirs);
	fim_config_free(&f->cfg); /* twice is harmless */
	fim_config_free(NULL);
	fim_config_init(&f->cfg);
	load_ok(f, "<directories>/b</directories>");
	assert_int_equal(f->cfg.ndirs, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(test_config__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(defaults),
	    T(disabled_across_blocks),
	    T(directories_paths),
	    T(directories_wildcards),
	    T(directories_env_and_duplicates),
	    T(directories_path_errors),
	    T(check_attributes_in_document_order),
	    T(check_attrs_is_windows_only),
	    T(directory_options_values),
	    T(directory_attribute_errors),
	    T(ignore_and_nodiff),
	    T(scalars),
	    T(scalar_errors),
	    T(scan_time_and_day),
	    T(file_limit),
	    T(sub_blocks_are_validated),
	    T(warned_and_ignored),
	    T(dir_for),
	    T(wazuh_default_agent_conf_loads),
	    T(shipped_conf_loads_cleanly),
	    T(free_allows_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
