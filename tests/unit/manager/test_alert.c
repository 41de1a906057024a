/*
 * Unit tests for src/manager/alert.c: the alerts.json line and the
 * alerts.log block. The conformance targets are the seed alerts (rule 554
 * from a real agent syscheck line, 87105 from a hand-built json-decoder
 * event) and tests/fixtures/alerts/rule-*.log. TZ is UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "manager/alert.h"
#include "manager/decode_syscheck.h"
#include "support/support.h"

#define G554                                                                                       \
	"ossec,syscheck,syscheck_entry_added,syscheck_file,pci_dss_11.5,gpg13_4.11,gdpr_II_5.1.f," \
	"hipaa_164.312.c.1,hipaa_164.312.c.2,nist_800_53_SI.7,tsc_PI1.4,tsc_PI1.5,tsc_CC6.1,"      \
	"tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,"
#define VT_RAW                                                                                     \
	"{\"virustotal\": {\"found\": 1, \"malicious\": 1, \"positives\": 57, \"total\": 62}, "    \
	"\"integration\": \"virustotal\"}"

/* ---- Helpers ------------------------------------------------------------- */

struct fixture554 {
	struct an_syscheck *s;
	struct an_event ev;
	struct an_rule_info rule;
};

/* The seed's rule-554 alert, from the agent line its agent sent. */
static void build_554(struct fixture554 *fx)
{
	char *line = vg_test_read_src("tests/fixtures/alerts/eicar-added.event.json");
	struct vg_err err = VG_ERR_INIT;

	if (an_syscheck_decode(line, strlen(line), &fx->s, &err) != 0)
		fail_msg("decode: %s", err.msg);
	vg_free(line);
	fx->ev = (struct an_event){
	    .time_ms = 1704891124611,
	    .agent_id = "001",
	    .agent_name = "ubuntu-jammy",
	    .agent_ip = "192.168.56.30",
	    .location = "syscheck",
	    .log = an_syscheck_full_log(fx->s),
	    .full_log = an_syscheck_full_log(fx->s),
	    .decoder = an_syscheck_decoder(fx->s),
	    .fields = an_syscheck_fields(fx->s),
	    .fim = *an_syscheck_keys(fx->s),
	};
	fx->ev.syscheck = an_syscheck_block_text(fx->s, &fx->ev.syscheck_len);
	fx->rule = (struct an_rule_info){
	    .id = 554,
	    .level = 5,
	    .description = "File added to the system.",
	    .groups = G554,
	    .firedtimes = 2,
	};
}

static struct an_alert_fmt *fmt_wazuh(void)
{
	struct an_alert_fmt_opts o = AN_ALERT_FMT_OPTS_INIT;
	o.manager_name = "wazuh.manager";
	return an_alert_fmt_new(&o);
}

static char *format_json(struct an_alert_fmt *f, const struct an_event *ev,
			 const struct an_rule_info *r, int64_t sec, uint64_t off)
{
	struct vg_buf b = VG_BUF_INIT(1u << 20);
	struct vg_err err = VG_ERR_INIT;
	struct an_alert_id id = {sec, off};

	if (an_alert_format_json(f, ev, r, &id, &b, &err) != 0)
		fail_msg("format: %s", err.msg);
	return vg_buf_take(&b);
}

static char *format_log(struct an_alert_fmt *f, const struct an_event *ev,
			const struct an_rule_info *r, int64_t sec, uint64_t off)
{
	struct vg_buf b = VG_BUF_INIT(1u << 20);
	struct vg_err err = VG_ERR_INIT;
	struct an_alert_id id = {sec, off};

	if (an_alert_format_log(f, ev, r, &id, &b, &err) != 0)
		fail_msg("format: %s", err.msg);
	return vg_buf_take(&b);
}

static json_t *parse_line(const char *line)
{
	json_error_t jerr;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (j == NULL)
		fail_msg("not valid JSON (%s): %s", jerr.text, line);
	assert_null(strchr(line, '\n'));
	return j;
}

/* Keys of obj in order, comma-joined. */
static void key_order(json_t *obj, char *out, size_t sz)
{
	const char *k;
	json_t *v;
	out[0] = '\0';
	json_object_foreach(obj, k, v)
	{
		strncat(out, k, sz - strlen(out) - 2);
		strncat(out, ",", sz - strlen(out) - 1);
	}
}

/* ---- Conformance ----------------------------------------------------------- */

static void test_alert__rule_554_matches_seed(void **state)
{
	(void)state;
	struct fixture554 fx;
	build_554(&fx);
	struct an_alert_fmt *f = fmt_wazuh();
	json_t *seed = vg_test_load_src_json("tests/fixtures/seed-alerts/rule-554.json");
	char *line = format_json(f, &fx.ev, &fx.rule, 1704891124, 664495);
	json_t *got = parse_line(line);
	char ko_got[512], ko_want[512];

	/* Key order at the top and in "rule" and "syscheck". */
	key_order(got, ko_got, sizeof(ko_got));
	key_order(seed, ko_want, sizeof(ko_want));
	assert_string_equal(ko_got, ko_want);
	key_order(json_object_get(got, "rule"), ko_got, sizeof(ko_got));
	key_order(json_object_get(seed, "rule"), ko_want, sizeof(ko_want));
	assert_string_equal(ko_got, ko_want);
	/* Value for value: every key, the excepted ones included since the event
	 * reproduces them too; then byte for byte against the compact seed. */
	assert_true(json_equal(got, seed));
	char *want = json_dumps(seed, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(line, want);
	free(want);
	vg_free(line);
	json_decref(got);
	json_decref(seed);
	an_alert_fmt_free(f);
	an_syscheck_free(fx.s);
}

static struct an_fields *vt_fields(void)
{
	struct an_fields *fl = an_fields_new();
	static const char *const kv[][2] = {
	    {"virustotal.found", "1"},
	    {"virustotal.malicious", "1"},
	    {"virustotal.source.file", "/root/TestEICAR.txt"},
	    {"virustotal.empty", ""},
	    {"virustotal.positives", "57"},
	    {"virustotal.total", "62"},
	    {"integration", "virustotal"},
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(an_fields_add(fl, kv[i][0], kv[i][1], NULL), 0);
	return fl;
}

static const char *const mitre_ids[] = {"T1203"};
static const char *const mitre_tech[] = {"Exploitation for Client Execution"};
static const char *const mitre_tac[] = {"Execution"};

static struct an_rule_info rule_87105(void)
{
	return (struct an_rule_info){
	    .id = 87105,
	    .level = 12,
	    .description =
		"VirusTotal: Alert - /root/TestEICAR.txt - 57 engines detected this file",
	    .groups = "virustotal,pci_dss_10.6.1,pci_dss_11.4,gdpr_IV_35.7.d,",
	    .firedtimes = 4,
	    .mail = true,
	    .no_full_log = true,
	    .n_mitre = 1,
	    .mitre_ids = mitre_ids,
	    .mitre_techniques = mitre_tech,
	    .n_tactics = 1,
	    .mitre_tactics = mitre_tac,
	};
}

static struct an_event event_87105(json_t *data, const struct an_fields *fl)
{
	return (struct an_event){
	    .time_ms = 1704891127966,
	    .agent_id = "001",
	    .agent_name = "ubuntu-jammy",
	    .agent_ip = "192.168.56.30",
	    .location = "virustotal",
	    .log = VT_RAW,
	    .full_log = VT_RAW,
	    .decoder = "json",
	    .fields = fl,
	    .data = data,
	};
}

static void test_alert__rule_87105_matches_seed(void **state)
{
	(void)state;
	json_t *seed = vg_test_load_src_json("tests/fixtures/alerts/rule-87105.json");
	struct an_fields *fl = vt_fields();
	struct an_event ev = event_87105(json_object_get(seed, "data"), fl);
	struct an_rule_info r = rule_87105();
	struct an_alert_fmt *f = fmt_wazuh();
	char *line = format_json(f, &ev, &r, 1704891127, 665182);
	char *want = json_dumps(seed, JSON_COMPACT | JSON_PRESERVE_ORDER);

	/* no_full_log: no "full_log" although the event has one. */
	assert_string_equal(line, want);
	free(want);
	vg_free(line);

	/* The alerts.log block: raw full_log, then the non-empty fields. */
	char *log = format_log(f, &ev, &r, 1704891127, 665182);
	char *want_log = vg_test_read_src("tests/fixtures/alerts/rule-87105.log");
	assert_string_equal(log, want_log);
	vg_free(log);
	vg_free(want_log);
	an_fields_free(fl);
	json_decref(seed);
	an_alert_fmt_free(f);
}

static void test_alert__rule_554_log_block_is_os_log(void **state)
{
	(void)state;
	struct fixture554 fx;
	build_554(&fx);
	struct an_alert_fmt *f = fmt_wazuh();
	char *log = format_log(f, &fx.ev, &fx.rule, 1704891124, 664495);
	char *want = vg_test_read_src("tests/fixtures/alerts/rule-554.log");

	assert_string_equal(log, want);
	vg_free(log);
	vg_free(want);

	/* The manager itself (agent 000): "<host>->location", no ip in JSON. */
	fx.ev.agent_id = "000";
	fx.ev.agent_name = "vigie-host";
	fx.ev.agent_ip = NULL;
	log = format_log(f, &fx.ev, &fx.rule, 1704891124, 0);
	assert_non_null(strstr(log, "\n2024 Jan 10 12:52:04 vigie-host->syscheck\nRule: 554"));
	vg_free(log);
	char *line = format_json(f, &fx.ev, &fx.rule, 1704891124, 0);
	assert_non_null(strstr(line, "\"agent\":{\"id\":\"000\",\"name\":\"vigie-host\"},"));
	vg_free(line);
	an_alert_fmt_free(f);
	an_syscheck_free(fx.s);
}

static void add_field(struct an_fields *fl, const char *name, const char *value)
{
	assert_int_equal(an_fields_add(fl, name, value, NULL), 0);
}

/* Every optional line of the block, each built by appends, not printf. */
static void test_alert__log_block_every_line(void **state)
{
	(void)state;
	struct an_fields *fl = an_fields_new();
	add_field(fl, "size", "12");
	add_field(fl, "mtime", "not-a-number");
	add_field(fl, "uname", "root");
	add_field(fl, "uid", "0");
	add_field(fl, "md5", "xxx");
	add_field(fl, "sha1", "ab");
	add_field(fl, "process_name", "/bin/vi");
	add_field(fl, "changed_content", "-a\n+b");
	add_field(fl, "tag", "t1,,t2");
	struct an_event ev = {.time_ms = 1704891124611,
			      .agent_id = "002",
			      .agent_name = "web",
			      .location = "syscheck",
			      .full_log = "File '/x' modified",
			      .decoder = "syscheck_integrity_changed",
			      .fields = fl};
	struct an_rule_info rule = {.id = 550, .level = 7, .mail = true, .groups = "ossec,"};
	struct an_alert_fmt *f = fmt_wazuh();
	char *log = format_log(f, &ev, &rule, -5, 18446744073709551615u);

	assert_string_equal(log, "** Alert -5.18446744073709551615: mail  - ossec,\n"
				 "2024 Jan 10 12:52:04 (web) any->syscheck\n"
				 "Rule: 550 (level 7) -> ''\n"
				 "File '/x' modified\n"
				 "Attributes:\n"
				 " - Size: 12\n"
				 " - Date: not-a-number"
				 " - User: root (0)\n"
				 " - SHA1: ab\n"
				 " - (Audit) Process name: /bin/vi\n"
				 "\nWhat changed:\n-a\n+b\n"
				 "\nTags:\n - t1\n - t2\n"
				 "\n");
	vg_free(log);
	/* Other decoders: each non-empty field as "name: value". */
	ev.decoder = "json";
	log = format_log(f, &ev, &rule, 1704891124, 0);
	assert_non_null(strstr(log, "File '/x' modified\nsize: 12\nmtime: not-a-number\n"));
	vg_free(log);
	an_alert_fmt_free(f);
	an_fields_free(fl);
}

static void test_alert__id_str_extremes(void **state)
{
	(void)state;
	char buf[AN_ALERT_ID_MAX];

	assert_string_equal(an_alert_id_str(&(struct an_alert_id){0, 0}, buf), "0.0");
	assert_string_equal(an_alert_id_str(&(struct an_alert_id){1704891124, 664495}, buf),
			    "1704891124.664495");
	assert_string_equal(an_alert_id_str(&(struct an_alert_id){INT64_MIN, UINT64_MAX}, buf),
			    "-9223372036854775808.18446744073709551615");
}

/* ---- Rule object ----------------------------------------------------------- */

static void test_alert__compliance_split_in_first_seen_order(void **state)
{
	(void)state;
	struct an_fields *fl = an_fields_new();
	struct an_event ev = {.time_ms = 0, .agent_id = "000", .location = "x", .fields = fl};
	struct an_rule_info r = {
	    .id = 100001,
	    .level = 3,
	    .description = "d",
	    .groups = ",,tsc_CC1,local,gdpr_A,,pci_dss_1.2,cis_3,hipaa_H,gpg13_7,nist_800_53_N,"
		      "tsc_CC2,pci_dss_,syslog,",
	};
	struct an_alert_fmt *f = fmt_wazuh();
	char *line = format_json(f, &ev, &r, 0, 0);

	/* Empty tokens dropped; families in first-seen order (Wazuh creates them lazily). */
	assert_non_null(strstr(
	    line, "\"groups\":[\"local\",\"syslog\"],\"tsc\":[\"CC1\",\"CC2\"],\"gdpr\":[\"A\"],"
		  "\"pci_dss\":[\"1.2\",\"\"],\"cis\":[\"3\"],\"hipaa\":[\"H\"],\"gpg13\":[\"7\"],"
		  "\"nist_800_53\":[\"N\"]}"));
	json_decref(parse_line(line));
	vg_free(line);

	/* No groups at all: an empty array, no compliance keys. */
	r.groups = NULL;
	line = format_json(f, &ev, &r, 0, 0);
	assert_non_null(strstr(line, "\"mail\":false,\"groups\":[]},\"agent\""));
	vg_free(line);
	an_fields_free(fl);
	an_alert_fmt_free(f);
}

static void test_alert__no_counter_and_no_full_log(void **state)
{
	(void)state;
	struct fixture554 fx;
	build_554(&fx);
	struct an_alert_fmt *f = fmt_wazuh();

	fx.rule.no_counter = true;
	fx.rule.no_full_log = true;
	char *line = format_json(f, &fx.ev, &fx.rule, 1, 2);
	json_t *j = parse_line(line);
	assert_null(json_object_get(json_object_get(j, "rule"), "firedtimes"));
	assert_null(json_object_get(j, "full_log"));
	assert_non_null(json_object_get(j, "syscheck"));
	assert_string_equal(json_string_value(json_object_get(j, "id")), "1.2");
	json_decref(j);
	vg_free(line);

	/* alerts.log keeps full_log: no_full_log is a JSON option in Wazuh too. */
	char *log = format_log(f, &fx.ev, &fx.rule, 1, 2);
	assert_non_null(strstr(log, "\nFile '/root/TestEICAR.txt' added\n"));
	vg_free(log);
	an_alert_fmt_free(f);
	an_syscheck_free(fx.s);
}

static void test_alert__mitre_unknown_technique_is_dropped(void **state)
{
	(void)state;
	static const char *const ids[] = {"T9999", "T1565.001"};
	static const char *const tech[] = {NULL, "Stored Data Manipulation"};
	static const char *const tac[] = {"Impact"};
	struct an_fields *fl = an_fields_new();
	struct an_event ev = {.agent_id = "000", .location = "x", .fields = fl};
	struct an_rule_info r = {.id = 1,
				 .level = 3,
				 .description = "d",
				 .groups = "g,",
				 .n_mitre = 2,
				 .mitre_ids = ids,
				 .mitre_techniques = tech,
				 .n_tactics = 1,
				 .mitre_tactics = tac};
	struct an_alert_fmt *f = fmt_wazuh();
	char *line = format_json(f, &ev, &r, 0, 0);

	assert_non_null(strstr(line, "\"id\":\"1\",\"mitre\":{\"id\":[\"T1565.001\"],\"tactic\":["
				     "\"Impact\"],\"technique\":[\"Stored Data Manipulation\"]},"
				     "\"firedtimes\""));
	vg_free(line);
	/* Nothing known, no tactic: no "mitre" at all. */
	r.n_mitre = 1;
	r.n_tactics = 0;
	line = format_json(f, &ev, &r, 0, 0);
	assert_null(strstr(line, "mitre"));
	vg_free(line);
	an_fields_free(fl);
	an_alert_fmt_free(f);
}

/* ---- Hostile bytes, timestamp, errors ----------------------------------------- */

static void test_alert__hostile_bytes_stay_valid_json(void **state)
{
	(void)state;
	static const char bad[] =
	    "/tmp/a\x01"
	    "b\"c\\d\xff\xc3(\xed\xa0\x80\xf4\x90\x80\x80\n\t\x7f/\xc3\xa9.txt";
	struct an_fields *fl = an_fields_new();
	json_t *sys = json_object();
	json_object_set_new(sys, "path", json_stringn("a\0b", 3));
	json_object_set_new(sys, "n", json_integer(-42));
	json_object_set_new(sys, "r", json_real(2.0));
	json_object_set_new(sys, "l", json_pack("[b,n,s]", 1, "x"));
	struct an_event ev = {.time_ms = 1704891124611,
			      .agent_id = "007",
			      .agent_name = bad,
			      .agent_ip = bad,
			      .location = bad,
			      .full_log = bad,
			      .decoder = bad,
			      .fields = fl,
			      .data = sys};
	struct an_rule_info r = {.id = 2, .level = 3, .description = bad, .groups = bad};
	struct an_alert_fmt *f = fmt_wazuh();
	char *line = format_json(f, &ev, &r, 0, 0);
	json_t *j = parse_line(line);

	/* Invalid sequences are U+FFFD each byte; valid é stays; controls escaped. */
	assert_string_equal(
	    json_string_value(json_object_get(j, "full_log")),
	    "/tmp/a\x01"
	    "b\"c\\d\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n\t\x7f/\xc3\xa9.txt");
	assert_non_null(strstr(line, "a\\u0001b\\\"c\\\\d"));
	assert_non_null(strstr(line, "\"data\":{\"path\":\"a\\u0000b\",\"n\":-42,\"r\":2.0,"
				     "\"l\":[true,null,\"x\"]}"));
	json_decref(j);
	vg_free(line);
	json_decref(sys);
	an_fields_free(fl);
	an_alert_fmt_free(f);
}

static void test_alert__timestamp_format_and_zone(void **state)
{
	(void)state;
	struct an_fields *fl = an_fields_new();
	struct an_event ev = {
	    .time_ms = 1704891124005, .agent_id = "000", .location = "x", .fields = fl};
	struct an_rule_info r = {.id = 1, .level = 3, .description = "d"};
	struct an_alert_fmt *f = fmt_wazuh();
	char *line = format_json(f, &ev, &r, 0, 0);

	assert_true(strncmp(line, "{\"timestamp\":\"2024-01-10T12:52:04.005+0000\",", 44) == 0);
	vg_free(line);
	/* Another zone: the offset follows the local time, in ±hhmm. */
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	ev.time_ms = 1704891125999; /* a new second: the cache must not be reused */
	line = format_json(f, &ev, &r, 0, 0);
	assert_true(strncmp(line, "{\"timestamp\":\"2024-01-10T18:22:05.999+0530\",", 44) == 0);
	vg_free(line);
	setenv("TZ", "UTC", 1);
	tzset();
	an_fields_free(fl);
	an_alert_fmt_free(f);
}

static void test_alert__over_cap_leaves_buffer_unchanged(void **state)
{
	(void)state;
	struct fixture554 fx;
	build_554(&fx);
	struct an_alert_fmt *f = fmt_wazuh();
	struct vg_buf b = VG_BUF_INIT(300);
	struct vg_err err = VG_ERR_INIT;
	struct an_alert_id id = {1, 2};

	assert_int_equal(vg_buf_puts(&b, "keep"), 0);
	assert_int_equal(an_alert_format_json(f, &fx.ev, &fx.rule, &id, &b, &err), VG_ETOOBIG);
	assert_string_equal(vg_buf_cstr(&b), "keep");
	assert_non_null(strstr(err.msg, "alerts.json"));
	vg_err_clear(&err);
	assert_int_equal(an_alert_format_log(f, &fx.ev, &fx.rule, &id, &b, &err), VG_ETOOBIG);
	assert_string_equal(vg_buf_cstr(&b), "keep");
	vg_buf_free(&b);
	an_alert_fmt_free(f);
	an_syscheck_free(fx.s);
}

/* Not a benchmark gate (shared CI cores): prints µs per alert for the report. */
static void test_alert__format_cost(void **state)
{
	(void)state;
	struct fixture554 fx;
	build_554(&fx);
	struct an_alert_fmt *f = fmt_wazuh();
	struct vg_buf b = VG_BUF_INIT(1u << 20);
	struct timespec t0, t1;
	enum { N = 20000 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N; i++) {
		struct an_alert_id id = {1704891124, (uint64_t)i * 1000};
		fx.ev.time_ms = 1704891124611 + i / 100;
		vg_buf_reset(&b);
		assert_int_equal(an_alert_format_json(f, &fx.ev, &fx.rule, &id, &b, NULL), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us =
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / N;
	print_message("alerts.json formatting: %.2f us/alert (%zu bytes)\n", us, b.len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N; i++) {
		struct an_alert_id id = {1704891124, (uint64_t)i * 1000};
		vg_buf_reset(&b);
		assert_int_equal(an_alert_format_log(f, &fx.ev, &fx.rule, &id, &b, NULL), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / N;
	print_message("alerts.log formatting: %.2f us/alert\n", us);
	vg_buf_free(&b);
	an_alert_fmt_free(f);
	an_syscheck_free(fx.s);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alert__rule_554_matches_seed),
	    cmocka_unit_test(test_alert__rule_87105_matches_seed),
	    cmocka_unit_test(test_alert__rule_554_log_block_is_os_log),
	    cmocka_unit_test(test_alert__log_block_every_line),
	    cmocka_unit_test(test_alert__id_str_extremes),
	    cmocka_unit_test(test_alert__compliance_split_in_first_seen_order),
	    cmocka_unit_test(test_alert__no_counter_and_no_full_log),
	    cmocka_unit_test(test_alert__mitre_unknown_technique_is_dropped),
	    cmocka_unit_test(test_alert__hostile_bytes_stay_valid_json),
	    cmocka_unit_test(test_alert__timestamp_format_and_zone),
	    cmocka_unit_test(test_alert__over_cap_leaves_buffer_unchanged),
	    cmocka_unit_test(test_alert__format_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
