/* Unit tests for src/fim/baseline.c: the SQLite baseline of monitored files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fim/baseline.h"
#include "lib/mem.h"
#include "support/support.h"

static int setup(void **state)
{
	return vg_test_dbdir_setup(state, "vg-baseline", "fim.db");
}

static int teardown(void **state)
{
	return vg_test_dbdir_teardown(state);
}

static struct fim_baseline *open_ok(const char *path)
{
	struct fim_baseline *bl = NULL;
	struct vg_err err = VG_ERR_INIT;
	int rc = fim_baseline_open(path, &bl, &err);
	if (rc != 0)
		fail_msg("open %s: %s", path, err.msg);
	return bl;
}

/* An entry with every field set to a distinctive value. */
static void fill_entry(struct fim_entry *e, const char *path, size_t len, uint64_t seed)
{
	memset(e, 0, sizeof(*e));
	e->path = vg_xstrndup(path, len);
	e->path_len = len;
	e->mode = S_IFREG | 04755;
	e->size = 0x100000000ull + seed;
	e->dev = 0xfd01 + seed;
	e->inode = UINT64_MAX - seed; /* above INT64_MAX: must survive the int64 column */
	e->uid = 4000000000u;
	e->gid = 1000 + (uint32_t)seed;
	snprintf(e->user_name, sizeof(e->user_name), "user%llu", (unsigned long long)seed);
	snprintf(e->group_name, sizeof(e->group_name), "grp \"x\"");
	e->mtime = 1712235120 + (int64_t)seed;
	e->mtime_ns = 999999999;
	e->ctime = -5; /* before 1970 */
	e->ctime_ns = 1;
	e->hash_state = FIM_HASH_OK;
	snprintf(e->digests.md5, sizeof(e->digests.md5), "%032llx", (unsigned long long)seed);
	snprintf(e->digests.sha1, sizeof(e->digests.sha1), "%040llx", (unsigned long long)seed);
	snprintf(e->digests.sha256, sizeof(e->digests.sha256), "%064llx", (unsigned long long)seed);
}

static void put_path(struct fim_baseline *bl, const char *path, size_t len)
{
	struct fim_entry e;
	struct vg_err err = VG_ERR_INIT;
	fill_entry(&e, path, len, len);
	if (fim_baseline_put(bl, &e, &err) != 0)
		fail_msg("put: %s", err.msg);
	fim_entry_clear(&e);
}

static void assert_entry_equal(const struct fim_entry *a, const struct fim_entry *b)
{
	assert_int_equal(a->path_len, b->path_len);
	assert_memory_equal(a->path, b->path, a->path_len);
	assert_int_equal(a->path[a->path_len], '\0');
	assert_int_equal(a->mode, b->mode);
	assert_true(a->size == b->size);
	assert_true(a->dev == b->dev);
	assert_true(a->inode == b->inode);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_string_equal(a->user_name, b->user_name);
	assert_string_equal(a->group_name, b->group_name);
	assert_true(a->mtime == b->mtime);
	assert_true(a->mtime_ns == b->mtime_ns);
	assert_true(a->ctime == b->ctime);
	assert_true(a->ctime_ns == b->ctime_ns);
	assert_int_equal(a->hash_state, b->hash_state);
	assert_string_equal(a->digests.md5, b->digests.md5);
	assert_string_equal(a->digests.sha1, b->digests.sha1);
	assert_string_equal(a->digests.sha256, b->digests.sha256);
}

static void test_baseline__put_get_round_trips_every_field(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct fim_entry e, got, unhashed;
	struct vg_err err = VG_ERR_INIT;
	const char path[] = "/etc/\xff\x01\n\"weird";

	fill_entry(&e, path, sizeof(path) - 1, 7);
	assert_int_equal(fim_baseline_put(bl, &e, &err), 0);
	assert_int_equal(fim_baseline_get(bl, path, sizeof(path) - 1, &got, &err), 0);
	assert_entry_equal(&got, &e);
	fim_entry_clear(&got);

	/* a second put replaces the row; empty digests stay empty */
	fill_entry(&unhashed, path, sizeof(path) - 1, 9);
	unhashed.hash_state = FIM_HASH_TOO_BIG;
	memset(&unhashed.digests, 0, sizeof(unhashed.digests));
	unhashed.mode = S_IFLNK | 0777;
	assert_int_equal(fim_baseline_put(bl, &unhashed, &err), 0);
	assert_int_equal(fim_baseline_get(bl, path, sizeof(path) - 1, &got, &err), 0);
	assert_entry_equal(&got, &unhashed);
	fim_entry_clear(&got);

	uint64_t n = 0;
	assert_int_equal(fim_baseline_count(bl, &n, &err), 0);
	assert_int_equal(n, 1);
	fim_entry_clear(&e);
	fim_entry_clear(&unhashed);
	fim_baseline_close(bl);
}

static void test_baseline__get_absent_and_delete(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct fim_entry got;
	struct vg_err err = VG_ERR_INIT;
	uint64_t n = 1;

	put_path(bl, "/a", 2);
	put_path(bl, "/a/b", 4);
	/* a prefix of a stored path is not that path */
	assert_int_equal(fim_baseline_get(bl, "/a/", 3, &got, &err), VG_ENOTFOUND);
	assert_null(got.path);
	assert_non_null(strstr(err.msg, "/a/"));
	assert_int_equal(fim_baseline_delete(bl, "/a", 2, NULL), 0);
	assert_int_equal(fim_baseline_get(bl, "/a", 2, &got, NULL), VG_ENOTFOUND);
	assert_int_equal(fim_baseline_delete(bl, "/nope", 5, NULL), 0);
	assert_int_equal(fim_baseline_count(bl, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fim_baseline_get(bl, "/a/b", 4, &got, NULL), 0);
	fim_entry_clear(&got);
	/* paths are bytes without NUL */
	assert_int_equal(fim_baseline_get(bl, "/a\0b", 4, &got, NULL), VG_EPARSE);
	fim_baseline_close(bl);
}

/* ---- foreach_under --------------------------------------------------------- */

struct collect {
	char *paths[32];
	size_t n;
	size_t stop_at;          /* return 42 at this call (1-based), 0 = never */
	struct fim_baseline *bl; /* when set, try a reentrant call */
	int reentrant_rc;
};

static int collect_fn(void *ctx, const struct fim_entry *e)
{
	struct collect *c = ctx;
	assert_true(c->n < 32);
	assert_int_equal(e->path[e->path_len], '\0');
	c->paths[c->n++] = vg_xstrndup(e->path, e->path_len);
	if (c->bl != NULL) {
		struct fim_entry tmp;
		c->reentrant_rc = fim_baseline_get(c->bl, e->path, e->path_len, &tmp, NULL);
	}
	return c->stop_at != 0 && c->n == c->stop_at ? 42 : 0;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		vg_free(c->paths[i]);
	memset(c, 0, sizeof(*c));
}

static const char *const tricky[] = {
    "/",       "/a",      "/a/b",    "/a/b/c", "/ab", "/a.b",   "/a-b",  "/a\x01",
    "/a/\x01", "/a/\xff", "/a/x\ny", "/a0",    "/b",  "/a\xff", "/a/b0", "/a/b.c",
};

static void expect_walk(struct fim_baseline *bl, const char *dir, const char *const *want,
			size_t nwant)
{
	struct collect c = {0};
	struct vg_err err = VG_ERR_INIT;
	if (fim_baseline_foreach_under(bl, dir, collect_fn, &c, &err) != 0)
		fail_msg("walk %s: %s", dir, err.msg);
	if (c.n != nwant) {
		for (size_t i = 0; i < c.n; i++)
			print_message("got %zu: %s\n", i, c.paths[i]);
		fail_msg("walk %s: %zu rows, want %zu", dir, c.n, nwant);
	}
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(c.paths[i], want[i]);
	collect_free(&c);
}

static void test_baseline__foreach_under_tricky_prefixes(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);

	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
		put_path(bl, tricky[i], strlen(tricky[i]));

	/* byte order: 0x01 < '-' < '.' < '/' < '0' < 'b' < 'x' < 0xff; a path before
	 * its children */
	const char *const under_a[] = {"/a",     "/a/\x01", "/a/b",    "/a/b.c",
				       "/a/b/c", "/a/b0",   "/a/x\ny", "/a/\xff"};
	expect_walk(bl, "/a", under_a, 8);
	expect_walk(bl, "/a/", under_a, 8);
	expect_walk(bl, "/a//", under_a, 8);
	const char *const under_ab[] = {"/a/b", "/a/b/c"};
	expect_walk(bl, "/a/b", under_ab, 2);
	const char *const under_b[] = {"/b"};
	expect_walk(bl, "/b", under_b, 1);
	expect_walk(bl, "/nothing", NULL, 0);
	expect_walk(bl, "/a/b/c/d", NULL, 0);

	/* "/" is everything, itself first, all in byte order */
	const char *const all[] = {"/",       "/a",   "/a\x01", "/a-b",   "/a.b",  "/a/",
				   "/a/\x01", "/a/b", "/a/b.c", "/a/b/c", "/a/b0", "/a/x\ny",
				   "/a/\xff", "/a0",  "/ab",    "/a\xff", "/b"};
	/* "/a/" was never stored: drop it from the expectation */
	const char *want[16];
	size_t nw = 0;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i], "/a/") != 0)
			want[nw++] = all[i];
	expect_walk(bl, "/", want, nw);
	fim_baseline_close(bl);
}

static void test_baseline__foreach_under_stops_and_refuses_reentry(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct collect c = {0};
	struct vg_err err = VG_ERR_INIT;

	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
		put_path(bl, tricky[i], strlen(tricky[i]));
	c.stop_at = 3;
	assert_int_equal(fim_baseline_foreach_under(bl, "/a", collect_fn, &c, NULL), 42);
	assert_int_equal(c.n, 3);
	collect_free(&c);

	/* a baseline call from the callback fails cleanly, the walk goes on */
	c.bl = bl;
	assert_int_equal(fim_baseline_foreach_under(bl, "/a/b", collect_fn, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.reentrant_rc, VG_EINTERNAL);
	collect_free(&c);
	/* and the handle works normally afterwards */
	struct fim_entry got;
	assert_int_equal(fim_baseline_get(bl, "/a/b", 4, &got, NULL), 0);
	fim_entry_clear(&got);
	fim_baseline_close(bl);
}

/* ---- meta, persistence, files ------------------------------------------------ */

static void test_baseline__meta_get_set(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct vg_err err = VG_ERR_INIT;
	int64_t v = 99;

	assert_int_equal(fim_baseline_meta_get(bl, "baseline_done", &v, &err), VG_ENOTFOUND);
	assert_int_equal(v, 0);
	assert_int_equal(fim_baseline_meta_set(bl, "baseline_done", 1, NULL), 0);
	assert_int_equal(fim_baseline_meta_set(bl, "other", INT64_MIN, NULL), 0);
	assert_int_equal(fim_baseline_meta_set(bl, "baseline_done", 1712235120, NULL), 0);
	assert_int_equal(fim_baseline_meta_get(bl, "baseline_done", &v, NULL), 0);
	assert_int_equal(v, 1712235120);
	assert_int_equal(fim_baseline_meta_get(bl, "other", &v, NULL), 0);
	assert_true(v == INT64_MIN);
	fim_baseline_close(bl);
}

static void test_baseline__reopen_persists_and_mode_0600(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct fim_entry e, got;
	struct vg_err err = VG_ERR_INIT;
	struct stat st;
	char wal[160];
	uint64_t n = 0;
	int64_t v = 0;

	fill_entry(&e, "/etc/passwd", 11, 3);
	assert_int_equal(fim_baseline_begin(bl, &err), 0);
	assert_int_equal(fim_baseline_put(bl, &e, &err), 0);
	put_path(bl, "/etc/group", 10);
	assert_int_equal(fim_baseline_meta_set(bl, "scans", 5, &err), 0);
	assert_int_equal(fim_baseline_commit(bl, &err), 0);
	/* a rolled-back transaction leaves nothing */
	assert_int_equal(fim_baseline_begin(bl, &err), 0);
	put_path(bl, "/etc/shadow", 11);
	fim_baseline_rollback(bl);

	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	assert_int_equal(stat(wal, &st), 0); /* WAL mode is on */
	assert_int_equal(st.st_mode & 07777, 0600);
	fim_baseline_close(bl);

	/* a loosened mode is put back on open */
	assert_int_equal(chmod(f->db, 0644), 0);
	bl = open_ok(f->db);
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fim_baseline_count(bl, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fim_baseline_get(bl, "/etc/passwd", 11, &got, &err), 0);
	assert_entry_equal(&got, &e);
	fim_entry_clear(&got);
	assert_int_equal(fim_baseline_get(bl, "/etc/shadow", 11, &got, NULL), VG_ENOTFOUND);
	assert_int_equal(fim_baseline_meta_get(bl, "scans", &v, &err), 0);
	assert_int_equal(v, 5);
	fim_entry_clear(&got);
	fim_entry_clear(&e);
	fim_baseline_close(bl);
}

static void test_baseline__open_errors_are_clear(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = NULL;
	struct vg_err err = VG_ERR_INIT;
	char p[160];

	snprintf(p, sizeof(p), "%s/missing/fim.db", f->dir);
	assert_int_equal(fim_baseline_open(p, &bl, &err), VG_ENOTFOUND);
	assert_null(bl);
	assert_non_null(strstr(err.msg, "missing"));

	/* not a database */
	snprintf(p, sizeof(p), "%s/junk", f->dir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite file at all. ", fp);
	fclose(fp);
	vg_err_clear(&err);
	assert_int_equal(fim_baseline_open(p, &bl, &err), VG_EPARSE);
	assert_null(bl);
	assert_non_null(strstr(err.msg, "junk"));

	/* a newer schema is refused, not rewritten */
	bl = open_ok(f->db);
	fim_baseline_close(bl);
	bl = NULL;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	vg_err_clear(&err);
	assert_int_equal(fim_baseline_open(f->db, &bl, &err), VG_EPARSE);
	assert_null(bl);
	assert_non_null(strstr(err.msg, "schema version 99"));
	assert_non_null(strstr(err.msg, f->db));
}

static void test_baseline__memory_database(void **state)
{
	struct fim_baseline *bl = open_ok(":memory:");
	struct fim_entry got;
	put_path(bl, "/x", 2);
	assert_int_equal(fim_baseline_get(bl, "/x", 2, &got, NULL), 0);
	fim_entry_clear(&got);
	fim_baseline_close(bl);
}

/* ---- full disk ------------------------------------------------------------------- */

/* Put rows with long paths inside one transaction until something fails. */
/* Put rows rows of ~400 bytes (keys from first on) in one transaction. */
static int fill_rows(struct fim_baseline *bl, int first, int rows, struct vg_err *err)
{
	char path[300];
	int rc = fim_baseline_begin(bl, err);
	for (int i = first; rc == 0 && i < first + rows; i++) {
		struct fim_entry e;
		int n = snprintf(path, sizeof(path), "/big/%0250d", i);
		fill_entry(&e, path, (size_t)n, (uint64_t)i);
		rc = fim_baseline_put(bl, &e, err);
		fim_entry_clear(&e);
	}
	if (rc == 0)
		rc = fim_baseline_commit(bl, err);
	if (rc != 0)
		fim_baseline_rollback(bl);
	return rc;
}

static void test_baseline__size_limit_is_a_clean_etoobig(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct vg_err err = VG_ERR_INIT;
	uint64_t n = 0;

	put_path(bl, "/kept", 5);
	assert_int_equal(fim_baseline_set_max_size(bl, 64 * 1024, &err), 0);
	assert_int_equal(fill_rows(bl, 0, 5000, &err), VG_ETOOBIG);
	assert_non_null(strstr(err.msg, f->db));
	assert_non_null(strstr(err.msg, "full"));
	/* the failed transaction left nothing, the earlier row is intact */
	assert_int_equal(fim_baseline_count(bl, &n, NULL), 0);
	assert_int_equal(n, 1);
	/* lifting the limit makes the same work succeed */
	assert_int_equal(fim_baseline_set_max_size(bl, 0, NULL), 0);
	vg_err_clear(&err);
	assert_int_equal(fill_rows(bl, 0, 500, &err), 0);
	assert_int_equal(fim_baseline_count(bl, &n, NULL), 0);
	assert_int_equal(n, 501);
	fim_baseline_close(bl);
}

static void test_baseline__full_tmpfs_is_a_clean_etoobig(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = NULL;
	struct vg_err err = VG_ERR_INIT;
	char mnt[96], db[128];

	/* a private mount namespace, so the tiny tmpfs is seen by no one else */
	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		print_message("skipped: needs root and mount namespaces\n");
		skip();
	}
	snprintf(mnt, sizeof(mnt), "%s/mnt", f->dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=192k") != 0) {
		rmdir(mnt);
		print_message("skipped: cannot mount tmpfs\n");
		skip();
	}
	snprintf(db, sizeof(db), "%s/fim.db", mnt);
	assert_int_equal(fim_baseline_open(db, &bl, &err), 0);
	assert_int_equal(fill_rows(bl, 0, 3000, &err), VG_ETOOBIG);
	print_message("full disk: %s\n", err.msg);
	assert_non_null(strstr(err.msg, db));
	fim_baseline_close(bl);
	assert_int_equal(umount2(mnt, MNT_DETACH), 0);
	assert_int_equal(rmdir(mnt), 0);
}

/* ---- performance ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_fn(void *ctx, const struct fim_entry *e)
{
	(*(uint64_t *)ctx)++;
	return e->path_len > 0 ? 0 : 1;
}

static void test_baseline__100k_puts_and_gets_are_fast(void **state)
{
	enum { N = 100000 };
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct vg_err err = VG_ERR_INIT;
	struct fim_entry e, got;
	char path[96];
	uint64_t n = 0;

	double t0 = now_s();
	assert_int_equal(fim_baseline_begin(bl, &err), 0);
	for (unsigned i = 0; i < N; i++) {
		int len =
		    snprintf(path, sizeof(path), "/usr/share/d%03u/file-%06u.txt", i / 200, i);
		fill_entry(&e, path, (size_t)len, i);
		if (fim_baseline_put(bl, &e, &err) != 0)
			fail_msg("put %u: %s", i, err.msg);
		fim_entry_clear(&e);
	}
	assert_int_equal(fim_baseline_commit(bl, &err), 0);
	double t_put = now_s() - t0;

	/* gets alone (each its own read transaction), then as a scan does them:
	 * inside the batch's transaction, where no lock is taken per call */
	double t_get[2];
	for (int tx = 0; tx < 2; tx++) {
		t0 = now_s();
		if (tx)
			assert_int_equal(fim_baseline_begin(bl, &err), 0);
		for (unsigned i = 0; i < N; i++) {
			unsigned k = (i * 7919u) % N; /* a permutation of 0..N-1 */
			int len = snprintf(path, sizeof(path), "/usr/share/d%03u/file-%06u.txt",
					   k / 200, k);
			if (fim_baseline_get(bl, path, (size_t)len, &got, &err) != 0)
				fail_msg("get %s: %s", path, err.msg);
			assert_true(got.inode == UINT64_MAX - k);
			fim_entry_clear(&got);
		}
		if (tx)
			assert_int_equal(fim_baseline_commit(bl, &err), 0);
		t_get[tx] = now_s() - t0;
	}

	t0 = now_s();
	assert_int_equal(fim_baseline_foreach_under(bl, "/usr/share/d123", count_fn, &n, &err), 0);
	double t_sub = now_s() - t0;
	assert_int_equal(n, N / 500);
	n = 0;
	t0 = now_s();
	assert_int_equal(fim_baseline_foreach_under(bl, "/", count_fn, &n, &err), 0);
	double t_all = now_s() - t0;
	assert_int_equal(n, N);

	/* numbers for the reader; speed itself is measured by make bench */
	print_message("100k: put %.3f s (one transaction), get %.3f s alone / %.3f s in a "
		      "transaction (random order), walk 200-row subtree %.6f s, walk all %.3f s\n",
		      t_put, t_get[0], t_get[1], t_sub, t_all);
	/* a range scan, not a table scan: 500 times fewer rows, far below the full walk */
	assert_true(t_sub < t_all / 10);
	fim_baseline_close(bl);
}

/* A baseline build's WAL goes into the database file while the handle is
 * open (the checkpointer's thread), and the WAL stays bounded. */
static void test_baseline__wal_is_checkpointed_while_writing(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct vg_err err = VG_ERR_INIT;
	char wal[160];
	struct stat db_st, wal_st;

	for (int batch = 0; batch < 20; batch++) /* ~8 MiB */
		assert_int_equal(fill_rows(bl, batch * 1000, 1000, &err), 0);
	vg_test_fmt(wal, sizeof(wal), "%s-wal", f->db);
	assert_int_equal(stat(f->db, &db_st), 0);
	assert_int_equal(stat(wal, &wal_st), 0);
	/* SQLite alone would checkpoint at close: the file would be a few pages */
	assert_true(db_st.st_size >= 4 << 20);
	assert_true(wal_st.st_size <= 12 << 20);
	fim_baseline_close(bl);
}

struct outbox_seen {
	uint64_t seqs[8];
	char events[8][16];
	size_t n;
	size_t stop_after; /* refuse the event after this many */
};

static int outbox_collect(void *ctx, uint64_t seq, const void *ev, size_t len)
{
	struct outbox_seen *s = ctx;
	if (s->n == s->stop_after || s->n == 8 || len >= 16)
		return 1;
	s->seqs[s->n] = seq;
	memcpy(s->events[s->n], ev, len);
	s->events[s->n][len] = '\0';
	s->n++;
	return 0;
}

/* Events stored with their change come back in seq order after a reopen; a
 * rolled-back one never existed; a refused one stays; trim forgets. */
static void test_baseline__outbox_keeps_events_with_their_transaction(void **state)
{
	struct vg_test_dbdir *f = *state;
	struct fim_baseline *bl = open_ok(f->db);
	struct outbox_seen seen = {.stop_after = 8};
	struct vg_err err = VG_ERR_INIT;
	uint64_t last = 0;

	assert_int_equal(fim_baseline_begin(bl, &err), 0);
	put_path(bl, "/etc/a", 6);
	assert_int_equal(fim_baseline_outbox_add(bl, 20, "ev-a", 4, &err), 0);
	assert_int_equal(fim_baseline_outbox_add(bl, 30, "ev-b", 4, &err), 0);
	assert_int_equal(fim_baseline_commit(bl, &err), 0);
	assert_int_equal(fim_baseline_begin(bl, &err), 0);
	assert_int_equal(fim_baseline_outbox_add(bl, 40, "ev-lost", 7, &err), 0);
	fim_baseline_rollback(bl);
	assert_int_equal(fim_baseline_outbox_add(bl, 50, "ev-c", 4, &err), 0); /* autocommit */
	fim_baseline_close(bl);

	bl = open_ok(f->db);
	assert_int_equal(fim_baseline_outbox_foreach(bl, outbox_collect, &seen, &last, &err), 0);
	assert_int_equal(seen.n, 3);
	assert_int_equal(last, 50);
	assert_int_equal(seen.seqs[0], 20);
	assert_string_equal(seen.events[1], "ev-b");
	assert_string_equal(seen.events[2], "ev-c");

	/* the sink refuses the second: last names the first, the rest stays */
	seen = (struct outbox_seen){.stop_after = 1};
	assert_int_equal(fim_baseline_outbox_foreach(bl, outbox_collect, &seen, &last, &err), 0);
	assert_int_equal(last, 20);
	assert_int_equal(fim_baseline_outbox_trim(bl, last, &err), 0);
	seen = (struct outbox_seen){.stop_after = 8};
	assert_int_equal(fim_baseline_outbox_foreach(bl, outbox_collect, &seen, &last, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.seqs[0], 30);
	assert_int_equal(fim_baseline_outbox_trim(bl, 50, &err), 0);
	seen = (struct outbox_seen){.stop_after = 8};
	assert_int_equal(fim_baseline_outbox_foreach(bl, outbox_collect, &seen, &last, &err), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(last, 0);
	fim_baseline_close(bl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_baseline__put_get_round_trips_every_field, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__get_absent_and_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__foreach_under_tricky_prefixes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__foreach_under_stops_and_refuses_reentry,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__meta_get_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_baseline__outbox_keeps_events_with_their_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__reopen_persists_and_mode_0600, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__open_errors_are_clear, setup, teardown),
	    cmocka_unit_test(test_baseline__memory_database),
	    cmocka_unit_test_setup_teardown(test_baseline__wal_is_checkpointed_while_writing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__size_limit_is_a_clean_etoobig, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_baseline__100k_puts_and_gets_are_fast, setup,
					    teardown),
	    /* last: it moves the process into its own mount namespace */
	    cmocka_unit_test_setup_teardown(test_baseline__full_tmpfs_is_a_clean_etoobig, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
