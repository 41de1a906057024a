/* Unit tests for src/fim/scan.c: the tree walker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fim/config.h"
#include "fim/scan.h"
#include "lib/mem.h"

struct fixture {
	char root[64];
	struct fim_config cfg;
	struct fim_dir dir;
	unsigned flags;
	char **seen;
	size_t nseen;
};

static void touch(const char *root, const char *rel)
{
	char *p = vg_xasprintf("%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	vg_free(p);
}

static void mkd(const char *root, const char *rel)
{
	char *p = vg_xasprintf("%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	vg_free(p);
}

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/vg-scan-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	fim_config_init(&f->cfg);
	f->dir.path = f->root;
	f->dir.checks = FIM_CHECK_ALL;
	f->dir.recursion_level = FIM_DEFAULT_DEPTH;
	mkd(f->root, "a");
	mkd(f->root, "a/b");
	touch(f->root, "top.txt");
	touch(f->root, "a/mid.txt");
	touch(f->root, "a/b/deep.txt");
	*state = f;
	return 0;
}

static void forget(struct fixture *f)
{
	for (size_t i = 0; i < f->nseen; i++)
		vg_free(f->seen[i]);
	f->nseen = 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = vg_xasprintf("rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	vg_free(cmd);
	forget(f);
	vg_free(f->seen);
	vg_free(f);
	return 0;
}

static int collect(void *ctx, const struct fim_walk_item *it)
{
	struct fixture *f = ctx;
	assert_int_equal(strlen(it->path), it->path_len);
	/* without lazy stat every item has one; with it only non-regular files */
	if (!(f->flags & FIM_WALK_LAZY_STAT))
		assert_non_null(it->st);
	else if (it->st == NULL)
		assert_true(
		    faccessat(vg_fdref_fd(it->parent), it->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	f->seen = vg_xreallocarray(f->seen, f->nseen + 1, sizeof(*f->seen));
	f->seen[f->nseen++] = vg_xstrdup(it->path + strlen(f->root));
	return 0;
}

static int has(const struct fixture *f, const char *rel)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i], rel) == 0)
			return 1;
	return 0;
}

static void walk(struct fixture *f)
{
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(fim_walk(&f->cfg, &f->dir, f->root, f->flags, collect, f, &err), 0);
}

static void test_scan__visits_every_file(void **state)
{
	struct fixture *f = *state;
	walk(f);
	assert_int_equal(f->nseen, 3);
	assert_true(has(f, "/top.txt") && has(f, "/a/mid.txt") && has(f, "/a/b/deep.txt"));
}

/* Entries come sorted by name whatever order the directory lists them in,
 * so baseline rows are written in key order and events in a stable order. */
static void test_scan__visits_entries_in_name_order(void **state)
{
	struct fixture *f = *state;
	static const char *const made[] = {"/z", "/m", "/a0", "/b", "/a-x"};

	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		touch(f->root, made[i]);
	walk(f);
	/* depth first, each directory's entries sorted by name (bytes: '-' < '0') */
	static const char *const want[] = {"/a/b/deep.txt", "/a/mid.txt", "/a-x", "/a0", "/b", "/m",
					   "/top.txt",      "/z"};
	assert_int_equal(f->nseen, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < f->nseen; i++)
		assert_string_equal(f->seen[i], want[i]);
}

static void test_scan__lazy_stat_sees_the_same_files(void **state)
{
	struct fixture *f = *state;
	char *p = vg_xasprintf("%s/link", f->root);
	assert_int_equal(symlink("top.txt", p), 0);
	vg_free(p);
	f->flags = FIM_WALK_LAZY_STAT;
	walk(f);
	assert_int_equal(f->nseen, 4);
	assert_true(has(f, "/top.txt") && has(f, "/a/b/deep.txt") && has(f, "/link"));
}

struct kept {
	struct vg_fdref *parent[8];
	char *name[8];
	size_t n;
};

static int keep_parent(void *ctx, const struct fim_walk_item *it)
{
	struct kept *k = ctx;
	assert_true(k->n < 8);
	k->parent[k->n] = vg_fdref_get(it->parent);
	k->name[k->n++] = vg_xstrdup(it->name);
	return 0;
}

/* A kept parent stays open after the walk left the directory, and its name
 * resolves there: hash workers open files the walker has long passed. */
static void test_scan__kept_parent_outlives_the_walk(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct kept k = {0};

	assert_int_equal(
	    fim_walk(&f->cfg, &f->dir, f->root, FIM_WALK_LAZY_STAT, keep_parent, &k, &err), 0);
	assert_int_equal(k.n, 3);
	for (size_t i = 0; i < k.n; i++) {
		int fd = openat(vg_fdref_fd(k.parent[i]), k.name[i], O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		close(fd);
		vg_fdref_put(k.parent[i]);
		vg_free(k.name[i]);
	}
}

static void test_scan__recursion_level(void **state)
{
	struct fixture *f = *state;
	f->dir.recursion_level = 1; /* files in root and one level below */
	walk(f);
	assert_int_equal(f->nseen, 2);
	assert_false(has(f, "/a/b/deep.txt"));
	forget(f);
	f->dir.recursion_level = 0;
	walk(f);
	assert_true(has(f, "/top.txt"));
}

static void test_scan__ignore_and_restrict(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct fim_ignore ign = {vg_xasprintf("%s/A", f->root), NULL}; /* case-insensitive */
	f->cfg.ignores = &ign;
	f->cfg.nignores = 1;
	walk(f);
	assert_int_equal(f->nseen, 1);
	assert_true(has(f, "/top.txt"));
	f->cfg.ignores = NULL;
	f->cfg.nignores = 0;
	vg_free(ign.prefix);

	forget(f);
	assert_int_equal(vg_osmatch_compile("mid.txt$", &f->dir.restrict_re, &err), 0);
	walk(f);
	assert_int_equal(f->nseen, 1);
	assert_true(has(f, "/a/mid.txt"));
	vg_osmatch_free(f->dir.restrict_re);
	f->dir.restrict_re = NULL;
}

static void test_scan__special_files_and_links(void **state)
{
	struct fixture *f = *state;
	char *p = vg_xasprintf("%s/fifo", f->root);
	assert_int_equal(mkfifo(p, 0644), 0);
	vg_free(p);
	p = vg_xasprintf("%s/loop", f->root);
	assert_int_equal(symlink(f->root, p), 0); /* a link to an ancestor */
	vg_free(p);
	walk(f);
	assert_false(has(f, "/fifo")); /* never reported, never opened */
	assert_true(has(f, "/loop"));  /* reported as a link, not followed */
	assert_int_equal(f->nseen, 4);

	/* following links: the loop is detected, the walk terminates */
	forget(f);
	f->dir.opts = FIM_OPT_FOLLOW_SYMLINK;
	walk(f);
	assert_int_equal(f->nseen, 3);
}

/* Paths longer than PATH_MAX are walked through directory descriptors. */
static void test_scan__path_longer_than_path_max(void **state)
{
	struct fixture *f = *state;
	char name[201];
	memset(name, 'd', 200);
	name[200] = '\0';
	int fd = open(f->root, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 25; i++) { /* 25 * 201 bytes > 4096 */
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
	}
	int file = openat(fd, "leaf", O_WRONLY | O_CREAT, 0644);
	assert_true(file >= 0);
	close(file);
	close(fd);
	walk(f);
	int found = 0;
	for (size_t i = 0; i < f->nseen; i++)
		found |= strlen(f->seen[i]) > 5000 &&
			 strcmp(f->seen[i] + strlen(f->seen[i]) - 5, "/leaf") == 0;
	assert_true(found);
}

/* The first file seen replaces directory a (not yet or partly walked) with
 * a file: the walk goes on without crashing or hanging. */
static int replace_dir(void *ctx, const struct fim_walk_item *it)
{
	struct fixture *f = ctx;
	if (f->nseen++ == 0) {
		char *cmd = vg_xasprintf("rm -rf '%s/a' && echo x > '%s/a'", f->root, f->root);
		assert_int_equal(system(cmd), 0);
		vg_free(cmd);
	}
	return 0;
}

static void test_scan__directory_replaced_mid_walk(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(fim_walk(&f->cfg, &f->dir, f->root, 0, replace_dir, f, &err), 0);
	assert_true(f->nseen >= 1 && f->nseen <= 3);
	f->nseen = 0;
}

static void test_scan__missing_start_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	char *p = vg_xasprintf("%s/nope", f->root);
	assert_int_equal(fim_walk(&f->cfg, &f->dir, p, 0, collect, f, &err), VG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nope"));
	vg_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_scan__visits_every_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan__visits_entries_in_name_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_scan__lazy_stat_sees_the_same_files, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_scan__kept_parent_outlives_the_walk, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_scan__recursion_level, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan__ignore_and_restrict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan__special_files_and_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan__path_longer_than_path_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan__directory_replaced_mid_walk, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_scan__missing_start_is_not_found, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
