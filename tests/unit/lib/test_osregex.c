/*
 * Unit tests for src/lib/osregex.c: Wazuh OS_Regex semantics. Expected
 * results follow Wazuh's documentation and its own os_regex unit cases
 * (behaviour, re-expressed here), plus Vigie's documented choices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/mem.h"
#include "lib/osregex.h"

static struct vg_osregex *compile_ok(const char *p)
{
	struct vg_osregex *re = NULL;
	struct vg_err err = VG_ERR_INIT;
	if (vg_osregex_compile(p, &re, &err) != 0)
		fail_msg("compile \"%s\": %s", p, err.msg);
	assert_non_null(re);
	assert_string_equal(vg_osregex_pattern(re), p);
	return re;
}

static bool rx(const char *p, const char *s)
{
	struct vg_osregex *re = compile_ok(p);
	bool hit = vg_osregex_test(re, s);
	struct vg_osregex_match m;
	/* test() and match() must agree. */
	assert_int_equal(vg_osregex_match(re, s, &m), hit);
	vg_osregex_free(re);
	return hit;
}

/* Match p on s and compare the captures with the NULL-terminated list. */
static void caps_are(const char *p, const char *s, ...)
{
	struct vg_osregex *re = compile_ok(p);
	struct vg_osregex_match m;
	va_list ap;
	unsigned n = 0;

	if (!vg_osregex_match(re, s, &m))
		fail_msg("\"%s\" does not match \"%s\"", p, s);
	va_start(ap, s);
	for (const char *want; (want = va_arg(ap, const char *)) != NULL; n++) {
		assert_true(n < m.ncaptures);
		char got[256] = "";
		assert_true(m.cap[n].len < sizeof(got));
		memcpy(got, s + m.cap[n].start, m.cap[n].len);
		got[m.cap[n].len] = '\0';
		assert_string_equal(got, want);
	}
	va_end(ap);
	assert_int_equal(m.ncaptures, n);
	vg_osregex_free(re);
}

static void test_osregex__literals_unanchored_case_insensitive(void **state)
{
	assert_true(rx("abc", "xxabcd"));
	assert_true(rx("lalaila", "lalalalaila")); /* needs a restart mid-way */
	assert_true(rx("DANIeL", "daNIel"));       /* Wazuh folds case */
	assert_true(rx("^A", "a"));
	assert_false(rx("abc", "abb"));
	assert_false(rx("abbbbbbbb", "abbbbbbb"));
	/* '.' '[' '^' (not first) are plain bytes. */
	assert_true(rx("a.b", "xa.b"));
	assert_false(rx("a.b", "axb"));
	assert_true(rx("[1] x^y", "[1] x^y"));
	/* Bytes above 0x7f are literal and not folded. */
	assert_true(rx("caf\xc3\xa9", "un caf\xc3\xa9"));
	assert_false(rx("\xc3\xa9", "\xc3\x89"));
}

static void test_osregex__anchors(void **state)
{
	assert_true(rx("^ab", "abc"));
	assert_false(rx("^ab", " ab"));
	assert_true(rx("c$", "lalalalac"));
	assert_false(rx("lala$", "lalalalalal"));
	assert_false(rx("zzzz$", "zzzzzzzzzzzz "));
	assert_true(rx("^ab$", "ab"));
	assert_false(rx("^ab$", "abc"));
	assert_true(rx("^$", ""));
	assert_false(rx("^$", "a"));
	/* '$' anywhere else, '^' anywhere but first: literal. */
	assert_true(rx("a$b", "xa$b"));
	assert_true(rx("a^", "a^"));
	/* "\$" at the end is a literal dollar, not an anchor. */
	assert_true(rx("^abc\\$", "abc$d"));
	/* "\\$": an escaped backslash, then the anchor. */
	assert_true(rx("a\\\\$", "xa\\"));
	assert_false(rx("a\\\\$", "xa\\b"));
}

static void test_osregex__alternation(void **state)
{
	assert_true(rx("abc|cde", "cde"));
	assert_true(rx("^aa|ee|ii|oo|uu", "dfgdsii"));
	assert_true(rx("^bin$|^shell$|^ftp$", "ftp"));
	assert_false(rx("^bin$|^shell$", "ashell"));
	assert_false(rx("^bin$|^shell$", "bina"));
	assert_false(rx("a|b|c| ", "def"));
	/* Each alternative has its own anchors. */
	assert_true(rx("^x|y$", "ay"));
	assert_false(rx("^x|y$", "ya"));
	/* "\|" is a literal bar. */
	assert_true(rx("^abc\\|d", "abc|d"));
	assert_false(rx("^abc\\|d", "abc"));
}

static void test_osregex__escape_classes(void **state)
{
	/* \w: letters, digits, '-', '@', '_' and nothing else. */
	assert_true(rx("^\\w+$", "Az09-@_"));
	assert_false(rx("\\w", ".:/ \t!"));
	assert_true(rx("^\\W+$", ".:/ \t!\xff"));
	assert_false(rx("\\W", "a-@_9"));
	/* \d and \D. */
	assert_true(rx("^\\d\\d\\d$", "333"));
	assert_false(rx("^\\d\\d\\d", "f44"));
	assert_true(rx("^\\D+123", "test123"));
	assert_false(rx("^\\D+123", "te5st123"));
	/* \s is only the space; \t only the tab; \S anything but space. */
	assert_true(rx("^a\\sb$", "a b"));
	assert_false(rx("a\\sb", "a\tb"));
	assert_true(rx("^\\t 1234", "\t 1234"));
	assert_false(rx("\\t", " "));
	assert_true(rx("^\\S+$", "a\tb"));
	assert_false(rx("\\S", "   "));
	/* \p: Wazuh's punctuation table exactly. */
	const char *punct = "()*+,-.:;<=>?[]!\"'#$%&|{}";
	for (const char *c = punct; *c != '\0'; c++) {
		char s[2] = {*c, '\0'};
		assert_true(rx("^\\p$", s));
	}
	const char *notpunct = "/@\\^_`~ aZ0\t";
	for (const char *c = notpunct; *c != '\0'; c++) {
		char s[2] = {*c, '\0'};
		assert_false(rx("\\p", s));
	}
	/* \. is any byte; bare '.' only a dot. */
	assert_true(rx("^a\\.c$", "a\x01"
				  "c"));
	assert_true(rx("^a\\.c$", "a\xff"
				  "c"));
	assert_false(rx("^a\\.c$", "ac"));
}

static void test_osregex__escaped_literals(void **state)
{
	assert_true(rx("^\\\\ \\w$", "\\ a"));
	assert_true(rx("^abc\\<d", "abc<d"));
	assert_true(rx("\\(x\\)", "f(x)"));
	assert_false(rx("\\(x\\)", "fx"));
	assert_true(rx("^\\$\\d+", "$42"));
}

static void test_osregex__modifiers(void **state)
{
	assert_true(rx("\\s+123", "  123"));
	assert_true(rx("\\s*123", "123"));
	assert_true(rx("^\\s*\\s lal\\w$", "  lala"));
	assert_false(rx("^\\s+\\s     l", "     lala"));
	assert_true(rx("\\w+\\s+\\w+\\d+\\s$", "a aa11 "));
	assert_false(rx("\\w+\\s+\\w+\\d+\\s$", "a aa11  "));
	assert_true(rx("test123test\\d+$", "test123test123"));
	assert_false(rx("test123test\\d+", "test123test"));
	assert_true(rx("^\\.*$", ""));
	/* '+' and '*' after a literal (or a paren) are literal bytes. */
	assert_true(rx("^C++$", "c++"));
	assert_false(rx("^a+$", "aa"));
	assert_true(rx("^a*b$", "a*b"));
	assert_true(rx("^(x)+$", "x+"));
	/* A second modifier is a literal too. */
	assert_true(rx("^\\d++$", "12+"));
	assert_false(rx("^\\d++$", "12"));
}

static void test_osregex__backtracks_where_wazuh_gives_up(void **state)
{
	/* Wazuh's docs list this as a miss of its matcher; a match exists. */
	assert_true(rx("\\p*\\d*\\s*\\w*:", ":"));
	assert_true(rx("^(\\.+) port (\\d+)$", "a b port c port 22"));
}

static void test_osregex__captures(void **state)
{
	/* \w+ hands over at the first 'l' that lets "la" follow, as in Wazuh. */
	caps_are("test (\\w+)la", "test abclala", "abc", NULL);
	caps_are("(\\w+) (\\w+)", "wofl wofl", "wofl", "wofl", NULL);
	caps_are("123(\\w+\\s+)abc", "abc123sdf    abc", "sdf    ", NULL);
	caps_are("123 (\\d+.\\d.\\d.\\d\\d*\\d*)", "123 45.6.5.567", "45.6.5.567", NULL);
	caps_are("from (\\S*\\d+.\\d+.\\d+.\\d\\d*\\d*)",
		 "sshd[21576]: Illegal user web14 from ::ffff:212.227.60.55",
		 "::ffff:212.227.60.55", NULL);
	caps_are("^sshd[\\d+]: Accepted \\S+ for (\\S+) from (\\S+) port ",
		 "sshd[21405]: Accepted password for root from 192.1.1.1 port 6023", "root",
		 "192.1.1.1", NULL);
	caps_are(": \\((\\S+)@(\\S+)\\) [",
		 "pure-ftpd: (?@enigma.lab.ossec.net) [INFO] New connection from x", "?",
		 "enigma.lab.ossec.net", NULL);
	/* Where a repetition stops (see vg_osregex_match()). */
	caps_are("(\\S+)@(\\S+)", "a@b@c", "a", "b@c", NULL);
	caps_are("(\\w+)\\s*", "abc def", "abc", NULL);
	caps_are("(\\w*)\\s*(\\w+)", "abc def", "abc", "def", NULL);
	caps_are("user (\\S+)", "invalid user admin", "admin", NULL);
	/* An empty group captures an empty span. */
	caps_are("a()b", "ab", "", NULL);
	/* Captures are numbered per alternative; the first alternative wins. */
	caps_are("x(\\d+)|y(\\w+)", "y-abc", "-abc", NULL);
	caps_are("b(\\w)|a(\\w)", "azbc", "c", NULL);
}

static void test_osregex__match_reports_span_and_alternative(void **state)
{
	struct vg_osregex *re = compile_ok("nope|(\\d+)-(\\d+)");
	struct vg_osregex_match m;
	const char *s = "port 10-20 open";

	assert_int_equal(vg_osregex_captures(re), 2);
	assert_true(vg_osregex_match(re, s, &m));
	assert_int_equal(m.alt, 1);
	assert_int_equal(m.whole.start, 5);
	assert_int_equal(m.whole.len, 5);
	assert_int_equal(m.ncaptures, 2);
	assert_int_equal(m.cap[0].start, 5);
	assert_int_equal(m.cap[0].len, 2);
	assert_int_equal(m.cap[1].start, 8);
	assert_int_equal(m.cap[1].len, 2);
	/* No match: the result is cleared. */
	assert_false(vg_osregex_match(re, "none here", &m));
	assert_int_equal(m.ncaptures, 0);
	assert_int_equal(m.whole.len, 0);
	vg_osregex_free(re);
}

static void test_osregex__wazuh_decoder_examples(void **state)
{
	/* An Apache access-log decoder in OS_Regex ('[' is a plain byte). */
	caps_are("^(\\S+) \\S+ \\S+ [\\S+ \\S+] \"\\w+ (\\S+) HTTP\\S+\" (\\d+) ",
		 "10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" "
		 "200 2326",
		 "10.0.0.5", "/apache_pb.gif", "200", NULL);
	/* Wazuh's snort test line. */
	caps_are("^\\S+ [(\\d+:\\d+:\\d+)] \\.+ (\\d+.\\d+.\\d+.\\d+)\\p*\\d* -> "
		 "(\\d+.\\d+.\\d+.\\d+)\\p*",
		 "snort: [1:1420:11] SNMP trap tcp [Classification: Attempted Information Leak] "
		 "[Priority: 2]: {TCP} 10.4.12.26:37020 -> 10.4.10.231:162",
		 "1:1420:11", "10.4.12.26", "10.4.10.231", NULL);
	/* Wazuh's iptables test line. */
	assert_true(rx("^kernel: \\S+ \\.+ SRC=\\S+ DST=\\S+ \\.+ PROTO=\\w+ SPT=\\d+ DPT=\\d+ ",
		       "kernel: IPTABLE IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:00:03:93:db:2e:b4:08:00 "
		       "SRC=10.4.11.40 DST=255.255.255.255 LEN=180 TOS=0x00 PREC=0x00 TTL=64 "
		       "ID=4753 PROTO=UDP SPT=49320 DPT=2222 LEN=160"));
	/* The sshd "Failed password" decoder. */
	caps_are("^Failed \\S+ for invalid user (\\S+) from (\\S+) port (\\d+)",
		 "Failed password for invalid user guest from 192.168.1.9 port 51234 ssh2", "guest",
		 "192.168.1.9", "51234", NULL);
}

static void bad(const char *p, const char *needle)
{
	struct vg_osregex *re = (struct vg_osregex *)1;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vg_osregex_compile(p, &re, &err), VG_EPARSE);
	assert_null(re);
	assert_int_equal(err.code, VG_EPARSE);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", p, err.msg, needle);
}

static void test_osregex__syntax_errors(void **state)
{
	bad("", "empty regex");
	bad("a||b", "empty alternative");
	bad("|a", "empty alternative");
	bad("a|", "empty alternative");
	bad("^", "empty alternative");
	bad("$", "empty alternative");
	bad("(lalala", "'(' without ')'");
	bad("\\(test)", "')' without '('");
	bad("a)", "')' without '('");
	bad("(a(b))", "nested");
	bad("(\\w|(\\w)", "'|' inside a group");
	bad("(a|b)", "'|' inside a group");
	bad("abc\\", "trailing backslash");
	bad("^abc\\*d", "unknown escape '\\*'");
	bad("\\[", "unknown escape '\\['");
	bad("\\>", "unknown escape '\\>'");
	bad("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)(q)", "more than 16");
	/* The offset points at the culprit. */
	bad("ab\\q", "at offset 2");
	/* 16 groups are fine, and 16 in each of two alternatives. */
	struct vg_osregex *re = compile_ok("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)|"
					   "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(x)");
	assert_int_equal(vg_osregex_captures(re), 16);
	vg_osregex_free(re);
	vg_osregex_free(NULL);
}

static void test_osregex__too_long_is_refused(void **state)
{
	char *big = vg_xmalloc(VG_OSREGEX_MAX_PATTERN + 2);
	memset(big, 'a', VG_OSREGEX_MAX_PATTERN + 1);
	big[VG_OSREGEX_MAX_PATTERN + 1] = '\0';
	struct vg_osregex *re = NULL;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(vg_osregex_compile(big, &re, &err), VG_ETOOBIG);
	assert_null(re);
	/* At the limit it compiles and works. */
	big[VG_OSREGEX_MAX_PATTERN] = '\0';
	assert_int_equal(vg_osregex_compile(big, &re, NULL), 0);
	assert_false(vg_osregex_test(re, "aaaa"));
	vg_osregex_free(re);
	vg_free(big);
}

static char *big_subject(size_t n, char fill)
{
	char *s = vg_xmalloc(n + 1);
	memset(s, fill, n);
	s[n] = '\0';
	return s;
}

static void test_osregex__one_mib_subject(void **state)
{
	const size_t n = 1024 * 1024;
	char *s = big_subject(n, 'x');
	memcpy(s + n - 19, "user=root uid=0 end", 19);

	struct vg_osregex *re = compile_ok("user=(\\w+) uid=(\\d+)");
	struct vg_osregex_match m;
	assert_true(vg_osregex_match(re, s, &m));
	assert_int_equal(m.cap[0].start, n - 19 + 5);
	assert_int_equal(m.cap[0].len, 4);
	assert_int_equal(m.cap[1].len, 1);
	vg_osregex_free(re);

	/* Anchored at the end, a leading repetition over the whole MiB. */
	re = compile_ok("^\\w+ uid=\\d+ end$");
	assert_true(vg_osregex_test(re, s) == false); /* "user=root" has '=' */
	vg_osregex_free(re);
	re = compile_ok("^\\S+ uid=\\d+ end$");
	assert_true(vg_osregex_test(re, s));
	vg_osregex_free(re);
	vg_free(s);
}

static void test_osregex__pathological_patterns_finish(void **state)
{
	/* Exponential for a backtracking matcher; linear here. */
	const size_t n = 256 * 1024;
	char *s = big_subject(n, 'a');
	static const char *const pats[] = {
	    "\\w*\\w*\\w*\\w*\\w*!",
	    "\\.*\\.*\\.*\\.*\\.*\\.*\\.*\\.*$|\\.*\\.*\\.*\\.*!",
	    "(\\.*\\.*)\\.*(\\.*\\.*)!",
	    "^\\w+\\w+\\w+\\w+\\w+\\w+\\w+\\w+\\d",
	};
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		struct vg_osregex *re = compile_ok(pats[i]);
		struct vg_osregex_match m;
		bool want = i == 1; /* the '$' alternative matches */
		assert_int_equal(vg_osregex_test(re, s), want);
		assert_int_equal(vg_osregex_match(re, s, &m), want);
		vg_osregex_free(re);
	}
	vg_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_osregex__literals_unanchored_case_insensitive),
	    cmocka_unit_test(test_osregex__anchors),
	    cmocka_unit_test(test_osregex__alternation),
	    cmocka_unit_test(test_osregex__escape_classes),
	    cmocka_unit_test(test_osregex__escaped_literals),
	    cmocka_unit_test(test_osregex__modifiers),
	    cmocka_unit_test(test_osregex__backtracks_where_wazuh_gives_up),
	    cmocka_unit_test(test_osregex__captures),
	    cmocka_unit_test(test_osregex__match_reports_span_and_alternative),
	    cmocka_unit_test(test_osregex__wazuh_decoder_examples),
	    cmocka_unit_test(test_osregex__syntax_errors),
	    cmocka_unit_test(test_osregex__too_long_is_refused),
	    cmocka_unit_test(test_osregex__one_mib_subject),
	    cmocka_unit_test(test_osregex__pathological_patterns_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
