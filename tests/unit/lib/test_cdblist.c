/* Unit tests for src/lib/cdblist.c: Wazuh CDB lists and their lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "lib/cdblist.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/osmatch.h"
#include "lib/str.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	vg_log_set_level(VG_LOG_ERROR); /* junk-line warnings are expected here */
	vg_strlcpy(f->dir, "/tmp/vg-cdblist-XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/list", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->path);
	rmdir(f->dir);
	vg_free(f);
	return 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static struct vg_cdblist *load_str(const char *text)
{
	struct vg_cdblist *l = NULL;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(vg_cdblist_load_buffer("test", text, strlen(text), &l, &err), 0);
	assert_non_null(l);
	return l;
}

/* ------------------------------------------------------------------ */

static void test_cdblist__parses_wazuh_format(void **state)
{
	(void)state;
	struct vg_cdblist *l = load_str("\xef\xbb\xbf"
					"alice:finance\n"
					"bob:\n"
					"\n"
					"   \n"
					"\"a0:a0:a0:a0:a0:a0\":mac\n"
					"url:http://x:8080/y\n"
					"q:\"quoted:value\"\n"
					"\"both:k\":\"both:v\"\n"
					"crlf:win\r\n"
					":emptykey\n"
					"last:nonl");

	assert_string_equal(vg_cdblist_get(l, "alice"), "finance");
	assert_string_equal(vg_cdblist_get(l, "bob"), ""); /* key without value */
	assert_string_equal(vg_cdblist_get(l, "a0:a0:a0:a0:a0:a0"), "mac");
	assert_string_equal(vg_cdblist_get(l, "url"), "http://x:8080/y"); /* first ':' splits */
	assert_string_equal(vg_cdblist_get(l, "q"), "quoted:value");
	assert_string_equal(vg_cdblist_get(l, "both:k"), "both:v");
	assert_string_equal(vg_cdblist_get(l, "crlf"), "win");  /* no trailing \r */
	assert_string_equal(vg_cdblist_get(l, ""), "emptykey"); /* Wazuh keeps it too */
	assert_string_equal(vg_cdblist_get(l, "last"), "nonl");
	assert_null(vg_cdblist_get(l, "Alice")); /* keys are case-sensitive */
	assert_null(vg_cdblist_get(l, "\"a0"));
	assert_int_equal(vg_cdblist_count(l), 9);
	assert_int_equal(vg_cdblist_skipped(l), 0); /* blank lines are not junk */
	assert_string_equal(vg_cdblist_name(l), "test");
	vg_cdblist_free(l);
}

/* Junk lines are skipped and counted; the rest of the list still loads. */
static void test_cdblist__junk_lines_are_skipped_and_counted(void **state)
{
	(void)state;
	char text[70000 + 64];
	size_t n = 0;

	n += (size_t)snprintf(text, sizeof(text), "good1:v1\nno separator\n\"open:key\n");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "k:\"open value\n\"k2\" no colon\n");
	memcpy(text + n, "nul\0byte:x\n", 11); /* embedded NUL */
	n += 11;
	memset(text + n, 'a', 66000); /* over VG_CDBLIST_MAX_LINE */
	n += 66000;
	text[n++] = ':';
	text[n++] = '\n';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "good2:v2\n");

	struct vg_cdblist *l = NULL;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(vg_cdblist_load_buffer("junk", text, n, &l, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(vg_cdblist_skipped(l), 6);
	assert_int_equal(vg_cdblist_count(l), 2);
	assert_string_equal(vg_cdblist_get(l, "good1"), "v1");
	assert_string_equal(vg_cdblist_get(l, "good2"), "v2");
	assert_null(vg_cdblist_get(l, "k"));
	assert_null(vg_cdblist_get(l, "nul"));
	vg_cdblist_free(l);
}

static void test_cdblist__first_definition_wins(void **state)
{
	(void)state;
	struct vg_cdblist *l = load_str("k:first\nother:x\nk:second\nk:third\n");
	assert_string_equal(vg_cdblist_get(l, "k"), "first");
	assert_int_equal(vg_cdblist_count(l), 2);
	assert_int_equal(vg_cdblist_duplicates(l), 2);
	vg_cdblist_free(l);
}

static void test_cdblist__empty_input_is_an_empty_list(void **state)
{
	(void)state;
	struct vg_cdblist *l = load_str("");
	assert_int_equal(vg_cdblist_count(l), 0);
	assert_null(vg_cdblist_get(l, ""));
	assert_null(vg_cdblist_address_get(l, "10.0.0.1"));
	vg_cdblist_free(l);
}

static void test_cdblist__address_prefixes_at_octet_boundaries(void **state)
{
	(void)state;
	struct vg_cdblist *l = load_str("192.168.:lan\n"
					"192.168.1.:office\n"
					"172.16.19.:dmz\n"
					"10.1.1.1:host\n"
					"10.0.0:nodot\n");

	assert_string_equal(vg_cdblist_address_get(l, "10.1.1.1"), "host");
	assert_null(vg_cdblist_address_get(l, "10.1.1.10")); /* no prefix key */
	assert_string_equal(vg_cdblist_address_get(l, "172.16.19.200"), "dmz");
	assert_null(vg_cdblist_address_get(l, "172.16.190.1"));
	/* the longest prefix wins, so its value is the one checked */
	assert_string_equal(vg_cdblist_address_get(l, "192.168.1.7"), "office");
	assert_string_equal(vg_cdblist_address_get(l, "192.168.200.7"), "lan");
	assert_null(vg_cdblist_address_get(l, "192.1680.1.1")); /* not a boundary */
	/* without a trailing '.', a key is a plain address, not a network */
	assert_null(vg_cdblist_address_get(l, "10.0.0.1"));
	assert_string_equal(vg_cdblist_address_get(l, "10.0.0"), "nodot");
	assert_true(vg_cdblist_address_lookup(l, "192.168.0.1"));
	assert_false(vg_cdblist_address_lookup(l, "8.8.8.8"));
	assert_false(vg_cdblist_address_lookup(l, ""));
	/* match_key does not do prefixes */
	assert_null(vg_cdblist_get(l, "192.168.1.7"));
	vg_cdblist_free(l);
}

/* A check function that is not OSMatch: equality with ctx. */
static bool check_equal(const void *ctx, const char *value)
{
	return strcmp(ctx, value) == 0;
}

static void test_cdblist__match_kinds(void **state)
{
	(void)state;
	struct vg_cdblist *l =
	    load_str("root:admin\nbob:user\n10.0.:reject-net\n10.0.0.9:accept\n");
	struct vg_osmatch *m = NULL;
	assert_int_equal(vg_osmatch_compile("^reject|^admin", &m, NULL), 0);
	const vg_cdblist_check_fn os = vg_cdblist_check_osmatch;

	assert_true(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY, "root", NULL, NULL));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY, "eve", NULL, NULL));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_NOT_MATCH_KEY, "root", NULL, NULL));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_MATCH_KEY, "eve", NULL, NULL));

	assert_true(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY_VALUE, "root", os, m));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY_VALUE, "bob", os, m));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY_VALUE, "eve", os, m));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_NOT_MATCH_KEY_VALUE, "root", os, m));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_MATCH_KEY_VALUE, "bob", os, m));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_MATCH_KEY_VALUE, "eve", os, m));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY_VALUE, "bob", check_equal, "user"));

	assert_true(vg_cdblist_match(l, VG_CDBLIST_ADDRESS_MATCH_KEY, "10.0.3.4", NULL, NULL));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_ADDRESS_MATCH_KEY, "10.1.3.4", NULL, NULL));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_NOT_ADDRESS_MATCH_KEY, "10.0.3.4", NULL, NULL));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_ADDRESS_MATCH_KEY, "10.1.3.4", NULL, NULL));
	/* the exact key 10.0.0.9 shadows the 10.0. network for value checks */
	assert_true(vg_cdblist_match(l, VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE, "10.0.3.4", os, m));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE, "10.0.0.9", os, m));
	assert_false(vg_cdblist_match(l, VG_CDBLIST_ADDRESS_MATCH_KEY_VALUE, "11.0.0.1", os, m));
	assert_false(
	    vg_cdblist_match(l, VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE, "10.0.3.4", os, m));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE, "10.0.0.9", os, m));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE, "11.0.0.1", os, m));

	/* an absent field never matches, even the negated kinds */
	for (int k = VG_CDBLIST_MATCH_KEY; k <= VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE; k++)
		assert_false(vg_cdblist_match(l, (enum vg_cdblist_lookup)k, NULL, os, m));
	/* a value kind without a check: positive fails, negated passes */
	assert_false(vg_cdblist_match(l, VG_CDBLIST_MATCH_KEY_VALUE, "root", NULL, NULL));
	assert_true(vg_cdblist_match(l, VG_CDBLIST_NOT_MATCH_KEY_VALUE, "root", NULL, NULL));

	vg_osmatch_free(m);
	vg_cdblist_free(l);
}

static void test_cdblist__lookup_names_round_trip(void **state)
{
	(void)state;
	enum vg_cdblist_lookup how;
	struct vg_err err = VG_ERR_INIT;

	for (int k = VG_CDBLIST_MATCH_KEY; k <= VG_CDBLIST_NOT_ADDRESS_MATCH_KEY_VALUE; k++) {
		const char *name = vg_cdblist_lookup_name((enum vg_cdblist_lookup)k);
		assert_int_equal(vg_cdblist_lookup_parse(name, &how, NULL), 0);
		assert_int_equal(how, k);
		assert_int_equal(vg_cdblist_lookup_needs_value(how),
				 strstr(name, "_value") != NULL);
	}
	assert_int_equal(vg_cdblist_lookup_parse("Address_Match_Key", &how, NULL), 0);
	assert_int_equal(how, VG_CDBLIST_ADDRESS_MATCH_KEY);
	assert_int_equal(vg_cdblist_lookup_parse("match", &how, &err), VG_EPARSE);
	assert_non_null(strstr(err.msg, "\"match\""));
}

static void test_cdblist__load_errors(void **state)
{
	struct fixture *f = *state;
	struct vg_cdblist *l = (struct vg_cdblist *)1;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vg_cdblist_load("/nonexistent/vg-list", &l, &err), VG_ENOTFOUND);
	assert_null(l);
	assert_non_null(strstr(err.msg, "/nonexistent/vg-list"));

	vg_err_clear(&err);
	assert_int_equal(vg_cdblist_load(f->dir, &l, &err), VG_EPARSE);
	assert_null(l);

	/* a sparse file just over the cap is refused without being read */
	vg_err_clear(&err);
	write_file(f->path, "", 0);
	assert_int_equal(truncate(f->path, (off_t)VG_CDBLIST_MAX_SIZE + 1), 0);
	assert_int_equal(vg_cdblist_load(f->path, &l, &err), VG_ETOOBIG);
	assert_null(l);
	assert_non_null(strstr(err.msg, f->path));
}

static void test_cdblist__loads_from_file(void **state)
{
	struct fixture *f = *state;
	struct vg_cdblist *l = NULL;
	const char text[] = "user1:\njunk\n\"x:y\":z\r\n";

	write_file(f->path, text, sizeof(text) - 1);
	assert_int_equal(vg_cdblist_load(f->path, &l, NULL), 0);
	assert_string_equal(vg_cdblist_get(l, "user1"), "");
	assert_string_equal(vg_cdblist_get(l, "x:y"), "z");
	assert_int_equal(vg_cdblist_skipped(l), 1);
	assert_string_equal(vg_cdblist_name(l), f->path);
	vg_cdblist_free(l);
}

/* 100,000 sha256-like keys: every one resolves after load. */
static void test_cdblist__large_list_every_key_resolves(void **state)
{
	struct fixture *f = *state;
	enum { N = 100000 };
	FILE *fp = fopen(f->path, "w");
	char key[80];
	struct timespec t0, t1;

	assert_non_null(fp);
	for (int i = 0; i < N; i++)
		fprintf(fp, "%064x:val%d\n", (unsigned)i * 2654435761u, i);
	assert_int_equal(fclose(fp), 0);

	struct vg_cdblist *l = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(vg_cdblist_load(f->path, &l, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(vg_cdblist_count(l), N);
	assert_int_equal(vg_cdblist_skipped(l), 0);
	for (int i = 0; i < N; i++) {
		char want[32];
		snprintf(key, sizeof(key), "%064x", (unsigned)i * 2654435761u);
		snprintf(want, sizeof(want), "val%d", i);
		const char *v = vg_cdblist_get(l, key);
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	struct timespec t2;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double load_ms =
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	double get_ns =
	    ((double)(t2.tv_sec - t1.tv_sec) * 1e9 + (double)(t2.tv_nsec - t1.tv_nsec)) / N;
	print_message(
	    "cdblist: loaded %d entries in %.1f ms; %.0f ns per lookup (incl. snprintf)\n", N,
	    load_ms, get_ns);
	vg_cdblist_free(l);
}

/* Lowercase hex digest of data with md (OpenSSL), into out. */
static void hex_digest(const EVP_MD *md, const char *data, size_t len, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, d, &n, md, NULL), 1);
	vg_hex_encode(out, d, n);
}

/* The shipped list holds the digests of the EICAR file as written by echo
 * (69 bytes, trailing newline), computed here independently. */
static void test_cdblist__shipped_malware_hashes_has_eicar(void **state)
{
	(void)state;
	const char *src = getenv("VG_SOURCE_DIR");
	char path[4096];
	char eicar[80];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const EVP_MD *mds[] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
	const char *ends[] = {"", "\n", "\r\n"};

	snprintf(path, sizeof(path), "%s/ruleset/lists/malware-hashes", src ? src : ".");
	struct vg_cdblist *l = NULL;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(vg_cdblist_load(path, &l, &err), 0);
	assert_int_equal(vg_cdblist_skipped(l), 0);
	assert_int_equal(vg_cdblist_duplicates(l), 0);
	assert_int_equal(vg_cdblist_count(l), 9);

	for (size_t e = 0; e < 3; e++) {
		int n = snprintf(
		    eicar, sizeof(eicar), "%s%s",
		    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
		    ends[e]);
		assert_int_equal(n, 68 + (int)e);
		for (size_t m = 0; m < 3; m++) {
			hex_digest(mds[m], eicar, (size_t)n, hex);
			const char *v = vg_cdblist_get(l, hex);
			assert_non_null(v);
			assert_string_equal(v, "eicar");
		}
	}
	assert_string_equal(vg_cdblist_get(l, "69630e4574ec6798239b091cda43dca0"), "eicar");
	vg_cdblist_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cdblist__parses_wazuh_format),
	    cmocka_unit_test(test_cdblist__junk_lines_are_skipped_and_counted),
	    cmocka_unit_test(test_cdblist__first_definition_wins),
	    cmocka_unit_test(test_cdblist__empty_input_is_an_empty_list),
	    cmocka_unit_test(test_cdblist__address_prefixes_at_octet_boundaries),
	    cmocka_unit_test(test_cdblist__match_kinds),
	    cmocka_unit_test(test_cdblist__lookup_names_round_trip),
	    cmocka_unit_test_setup_teardown(test_cdblist__load_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cdblist__loads_from_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cdblist__large_list_every_key_resolves, setup,
					    teardown),
	    cmocka_unit_test(test_cdblist__shipped_malware_hashes_has_eicar),
	};
	vg_log_set_level(VG_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
