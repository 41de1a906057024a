/* Unit tests for src/manager/vt_cache.c: the verdict cache by sha256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "manager/vt_cache.h"
#include "manager/vt_db.h"
#include "support/support.h"

#define T0 1704891124000LL /* the injected clock's start, ms */
#define DAY_MS 86400000LL
#define SHA_A "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
#define SHA_B "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"
#define SHA_C "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_BAD "g31f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"
#define JSON_A "{\"positives\":57,\"total\":69}"

struct fixture {
	void *dbdir; /* struct vg_test_dbdir */
	sqlite3 *db;
	struct vt_cache *c;
};

static void fx_open(struct fixture *f, const struct vt_cache_opts *o)
{
	struct vg_err err = VG_ERR_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;

	dbo.what = "integrations database";
	if (vg_db_open(((struct vg_test_dbdir *)f->dbdir)->db, &dbo, &f->db, &err) != 0 ||
	    vt_cache_open(f->db, o, &f->c, &err) != 0)
		fail_msg("open: %s", err.msg);
}

static void fx_close(struct fixture *f)
{
	vt_cache_close(f->c);
	vg_db_close(f->db);
	f->c = NULL;
	f->db = NULL;
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));

	if (vg_test_dbdir_setup(&f->dbdir, "vg-vtcache", "integrations.db") != 0)
		return -1;
	fx_open(f, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fx_close(f);
	vg_test_dbdir_teardown(&f->dbdir);
	vg_free(f);
	return 0;
}

/* put inside a transaction, as the integrator does */
static void put_ok(struct fixture *f, const char *sha, enum vt_verdict v, const char *json,
		   int64_t now)
{
	struct vg_err err = VG_ERR_INIT;
	int rc = vg_db_begin(f->db, &err);

	if (rc == 0)
		rc = vt_cache_put(f->c, sha, v, json, now, &err);
	rc = vg_db_end(f->db, rc, &err);
	if (rc != 0)
		fail_msg("put %s: %s", sha, err.msg);
}

/* 1 for a hit (verdict in *v), 0 for a miss */
static int get(struct fixture *f, const char *sha, int64_t now, enum vt_verdict *v)
{
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache_hit h;
	int rc = vt_cache_get(f->c, sha, now, &h, &err);

	if (rc == VG_ENOTFOUND) {
		assert_null(h.json);
		return 0;
	}
	if (rc != 0)
		fail_msg("get %s: %s", sha, err.msg);
	if (v != NULL)
		*v = h.verdict;
	vt_cache_hit_clear(&h);
	return 1;
}

static void test_vt_cache__put_then_get_returns_the_stored_text(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache_hit h;

	put_ok(f, SHA_A, VT_VERDICT_MALICIOUS, JSON_A, T0);
	assert_int_equal(vt_cache_get(f->c, SHA_A, T0 + 1000, &h, &err), 0);
	assert_int_equal(h.verdict, VT_VERDICT_MALICIOUS);
	assert_string_equal(h.json, JSON_A);
	assert_int_equal(h.stored_ms, T0);
	assert_int_equal(h.expires_ms, T0 + 30 * DAY_MS);
	vt_cache_hit_clear(&h);
	assert_null(h.json);
	assert_int_equal(vt_cache_get(f->c, SHA_B, T0, &h, &err), VG_ENOTFOUND);
	assert_int_equal(err.code, 0); /* a miss is no failure: no message */
}

static void test_vt_cache__each_class_expires_after_its_default_lifetime(void **state)
{
	struct fixture *f = *state;
	enum vt_verdict v;

	put_ok(f, SHA_A, VT_VERDICT_MALICIOUS, JSON_A, T0);
	put_ok(f, SHA_B, VT_VERDICT_CLEAN, "{\"positives\":0}", T0);
	put_ok(f, SHA_C, VT_VERDICT_NOT_FOUND, "{\"found\":0}", T0);
	assert_int_equal(get(f, SHA_C, T0 + DAY_MS - 1, &v), 1);
	assert_int_equal(v, VT_VERDICT_NOT_FOUND);
	assert_int_equal(get(f, SHA_C, T0 + DAY_MS, NULL), 0);
	assert_int_equal(get(f, SHA_B, T0 + 7 * DAY_MS - 1, &v), 1);
	assert_int_equal(v, VT_VERDICT_CLEAN);
	assert_int_equal(get(f, SHA_B, T0 + 7 * DAY_MS, NULL), 0);
	assert_int_equal(get(f, SHA_A, T0 + 30 * DAY_MS - 1, NULL), 1);
	assert_int_equal(get(f, SHA_A, T0 + 30 * DAY_MS, NULL), 0);
}

static void test_vt_cache__lifetimes_from_options_apply_to_old_rows(void **state)
{
	struct fixture *f = *state;
	struct vt_cache_opts o = VT_CACHE_OPTS_INIT;

	put_ok(f, SHA_B, VT_VERDICT_CLEAN, "{}", T0);
	assert_int_equal(get(f, SHA_B, T0 + 3 * DAY_MS, NULL), 1);
	fx_close(f);
	o.ttl_clean_s = 60;
	fx_open(f, &o);
	assert_int_equal(vt_cache_ttl(f->c, VT_VERDICT_CLEAN), 60);
	assert_int_equal(vt_cache_ttl(f->c, VT_VERDICT_MALICIOUS), VT_CACHE_TTL_MALICIOUS);
	assert_int_equal(get(f, SHA_B, T0 + 59999, NULL), 1);
	assert_int_equal(get(f, SHA_B, T0 + 60000, NULL), 0);
}

static void test_vt_cache__bad_lifetimes_are_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache_opts o = VT_CACHE_OPTS_INIT;
	struct vt_cache *c = NULL;

	o.ttl_not_found_s = -1;
	assert_int_equal(vt_cache_open(f->db, &o, &c, &err), VG_EPARSE);
	assert_null(c);
	vg_test_err_mentions(&err, "not_found");
}

static void test_vt_cache__put_replaces_the_verdict_and_restarts_its_life(void **state)
{
	struct fixture *f = *state;
	enum vt_verdict v;

	put_ok(f, SHA_A, VT_VERDICT_NOT_FOUND, "{\"found\":0}", T0);
	put_ok(f, SHA_A, VT_VERDICT_MALICIOUS, JSON_A, T0 + 2 * DAY_MS);
	assert_int_equal(get(f, SHA_A, T0 + 3 * DAY_MS, &v), 1);
	assert_int_equal(v, VT_VERDICT_MALICIOUS);
}

static void test_vt_cache__sha256_is_validated_and_lowercased(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char upper[VT_SHA256_HEX + 1];
	struct vt_cache_hit h;

	for (size_t i = 0; i < VT_SHA256_HEX; i++)
		upper[i] = (char)(SHA_A[i] >= 'a' ? SHA_A[i] - 32 : SHA_A[i]);
	upper[VT_SHA256_HEX] = '\0';
	put_ok(f, upper, VT_VERDICT_CLEAN, "{}", T0);
	assert_int_equal(get(f, SHA_A, T0, NULL), 1);
	assert_int_equal(vt_cache_put(f->c, "abc", VT_VERDICT_CLEAN, "{}", T0, &err), VG_EPARSE);
	vg_test_err_mentions(&err, "not a sha256");
	vg_err_clear(&err);
	assert_int_equal(vt_cache_put(f->c, SHA_A "0", VT_VERDICT_CLEAN, "{}", T0, &err),
			 VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vt_cache_get(f->c, SHA_BAD, T0, &h, &err), VG_EPARSE);
	assert_null(h.json);
}

static void test_vt_cache__bad_text_is_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char *big = vg_xmalloc(VT_CACHE_JSON_MAX + 2);

	memset(big, 'x', VT_CACHE_JSON_MAX + 1);
	big[VT_CACHE_JSON_MAX + 1] = '\0';
	assert_int_equal(vt_cache_put(f->c, SHA_A, VT_VERDICT_CLEAN, big, T0, &err), VG_ETOOBIG);
	vg_err_clear(&err);
	assert_int_equal(vt_cache_put(f->c, SHA_A, VT_VERDICT_CLEAN, "", T0, &err), VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vt_cache_put(f->c, SHA_A, VT_VERDICT_CLEAN, "{\"x\":\"\xff\"}", T0, &err),
			 VG_EPARSE);
	vg_err_clear(&err);
	assert_int_equal(vt_cache_put(f->c, SHA_A, (enum vt_verdict)7, "{}", T0, &err), VG_EPARSE);
	big[VT_CACHE_JSON_MAX] = '\0'; /* exactly the bound is fine */
	put_ok(f, SHA_A, VT_VERDICT_CLEAN, big, T0);
	vg_free(big);
	assert_int_equal(get(f, SHA_A, T0, NULL), 1);
}

static void test_vt_cache__a_rolled_back_put_is_not_cached(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(vg_db_begin(f->db, &err), 0);
	assert_int_equal(vt_cache_put(f->c, SHA_A, VT_VERDICT_MALICIOUS, JSON_A, T0, &err), 0);
	vg_db_rollback(f->db);
	assert_int_equal(get(f, SHA_A, T0, NULL), 0);
}

static void test_vt_cache__stats_count_since_open_and_in_total(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache_stats s;

	put_ok(f, SHA_A, VT_VERDICT_MALICIOUS, JSON_A, T0);
	put_ok(f, SHA_C, VT_VERDICT_NOT_FOUND, "{}", T0);
	assert_int_equal(get(f, SHA_A, T0, NULL), 1);
	assert_int_equal(get(f, SHA_A, T0, NULL), 1);
	assert_int_equal(get(f, SHA_B, T0, NULL), 0);
	assert_int_equal(vt_cache_stats(f->c, T0 + 2 * DAY_MS, &s, &err), 0);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.expired, 1); /* the not_found one */
	assert_int_equal(s.hits, 2);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.hits_total, 2);
	assert_int_equal(s.misses_total, 1);
	fx_close(f);
	fx_open(f, NULL);
	assert_int_equal(get(f, SHA_B, T0, NULL), 0);
	assert_int_equal(vt_cache_stats(f->c, T0, &s, &err), 0);
	assert_int_equal(s.hits, 0);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.hits_total, 2);
	assert_int_equal(s.misses_total, 2);
	assert_int_equal(s.expired, 0);
}

static void test_vt_cache__prune_deletes_expired_rows_up_to_the_bound(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache_stats s;
	int64_t n = -1;

	put_ok(f, SHA_A, VT_VERDICT_MALICIOUS, JSON_A, T0);
	put_ok(f, SHA_B, VT_VERDICT_NOT_FOUND, "{}", T0);
	put_ok(f, SHA_C, VT_VERDICT_NOT_FOUND, "{}", T0 + 1);
	assert_int_equal(vt_cache_prune(f->c, T0 + 2 * DAY_MS, 1, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(get(f, SHA_C, T0, NULL), 1); /* the oldest went first */
	assert_int_equal(vt_cache_prune(f->c, T0 + 2 * DAY_MS, 10, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vt_cache_prune(f->c, T0 + 2 * DAY_MS, 10, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(vt_cache_stats(f->c, T0, &s, &err), 0);
	assert_int_equal(s.entries, 1);
	assert_int_equal(get(f, SHA_A, T0 + 2 * DAY_MS, NULL), 1);
	assert_int_equal(vt_cache_prune(f->c, T0, 0, &n, &err), VG_EPARSE);
}

static void test_vt_cache__another_schema_version_is_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct vt_cache *c = NULL;

	assert_int_equal(
	    vg_db_exec(f->db, "UPDATE schema_module SET version = 9 WHERE module = 'vt_cache'",
		       "test", &err),
	    0);
	assert_int_equal(vt_cache_open(f->db, NULL, &c, &err), VG_EPARSE);
	assert_null(c);
	vg_test_err_mentions(&err, "vt_cache schema version 9");
}

static void test_vt_cache__verdict_names_round_trip(void **state)
{
	struct vg_err err = VG_ERR_INIT;
	enum vt_verdict v;

	(void)state;
	for (int i = VT_VERDICT_MALICIOUS; i <= VT_VERDICT_NOT_FOUND; i++) {
		assert_int_equal(vt_verdict_parse(vt_verdict_name((enum vt_verdict)i), &v, &err),
				 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(vt_verdict_parse("benign", &v, &err), VG_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_vt_cache__##name, setup, teardown)
	    T(put_then_get_returns_the_stored_text),
	    T(each_class_expires_after_its_default_lifetime),
	    T(lifetimes_from_options_apply_to_old_rows),
	    T(bad_lifetimes_are_refused),
	    T(put_replaces_the_verdict_and_restarts_its_life),
	    T(sha256_is_validated_and_lowercased),
	    T(bad_text_is_refused),
	    T(a_rolled_back_put_is_not_cached),
	    T(stats_count_since_open_and_in_total),
	    T(prune_deletes_expired_rows_up_to_the_bound),
	    T(another_schema_version_is_refused),
	    T(verdict_names_round_trip),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
