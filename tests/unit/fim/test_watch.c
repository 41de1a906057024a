/*
 * Unit tests for src/fim/watch.c: the realtime watcher, on real files in a
 * mkdtemp directory under /tmp, for both backends. Every case waits for the
 * expected callback with a condition variable and a timeout. fanotify cases
 * are skipped when the kernel refuses fanotify (no CAP_SYS_ADMIN).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fim/watch.h"
#include "lib/buf.h"
#include "lib/common.h"
#include "lib/mem.h"
#include "lib/str.h"

#define T_TIMEOUT_MS 5000

struct t_rec {
	char *path;
	size_t len;
	unsigned flags;
};

struct t_ctx {
	enum fim_realtime_backend backend;
	char dir[64];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct t_rec *recs;
	size_t n, cap;
	unsigned lost_all;
	unsigned lost_root;
	bool stall;   /* callbacks block while set (to force an overflow) */
	bool stalled; /* the watcher thread is blocked in a callback */
	struct fim_watch *w;
};

/* ------------------------------------------------------------------ */
/* Callbacks and waiting                                               */

static void t_block_if_stalled(struct t_ctx *t)
{
	while (t->stall) {
		t->stalled = true;
		pthread_cond_broadcast(&t->cv);
		pthread_cond_wait(&t->cv, &t->mu);
	}
}

static void t_changed(void *ctx, const char *path, size_t len, unsigned flags)
{
	struct t_ctx *t = ctx;
	pthread_mutex_lock(&t->mu);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->recs = vg_xreallocarray(t->recs, t->cap, sizeof(*t->recs));
	}
	t->recs[t->n].path = vg_xstrndup(path, len);
	t->recs[t->n].len = len;
	t->recs[t->n].flags = flags;
	t->n++;
	pthread_cond_broadcast(&t->cv);
	t_block_if_stalled(t);
	pthread_mutex_unlock(&t->mu);
}

static void t_lost(void *ctx, const char *root)
{
	struct t_ctx *t = ctx;
	pthread_mutex_lock(&t->mu);
	if (root == NULL)
		t->lost_all++;
	else
		t->lost_root++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static const struct fim_watch_ops t_ops = {t_changed, t_lost};

static void t_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* A record for path with all of flags set (len: path may hold a NUL-free any bytes). */
static bool t_has_locked(const struct t_ctx *t, const char *path, size_t len, unsigned flags)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->recs[i].len == len && memcmp(t->recs[i].path, path, len) == 0 &&
		    (t->recs[i].flags & flags) == flags)
			return true;
	return false;
}

static bool t_wait(struct t_ctx *t, const char *path, unsigned flags)
{
	struct timespec ts;
	t_deadline(&ts, T_TIMEOUT_MS);
	pthread_mutex_lock(&t->mu);
	bool ok;
	while (!(ok = t_has_locked(t, path, strlen(path), flags)))
		if (pthread_cond_timedwait(&t->cv, &t->mu, &ts) == ETIMEDOUT) {
			ok = t_has_locked(t, path, strlen(path), flags);
			break;
		}
	pthread_mutex_unlock(&t->mu);
	if (!ok)
		print_error("no event %#x for %s\n", flags, path);
	return ok;
}

static bool t_wait_lost(struct t_ctx *t)
{
	struct timespec ts;
	t_deadline(&ts, T_TIMEOUT_MS);
	pthread_mutex_lock(&t->mu);
	while (t->lost_all == 0)
		if (pthread_cond_timedwait(&t->cv, &t->mu, &ts) == ETIMEDOUT)
			break;
	bool ok = t->lost_all > 0;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

/* Any record whose path starts with prefix. */
static bool t_seen_prefix(struct t_ctx *t, const char *prefix)
{
	pthread_mutex_lock(&t->mu);
	bool seen = false;
	for (size_t i = 0; i < t->n && !seen; i++)
		seen = strncmp(t->recs[i].path, prefix, strlen(prefix)) == 0;
	pthread_mutex_unlock(&t->mu);
	return seen;
}

static void t_clear(struct t_ctx *t)
{
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n; i++)
		vg_free(t->recs[i].path);
	t->n = 0;
	t->lost_all = t->lost_root = 0;
	pthread_mutex_unlock(&t->mu);
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

static char *t_path(const struct t_ctx *t, const char *rel)
{
	return vg_xasprintf("%s/%s", t->dir, rel);
}

static void t_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void t_mkdir(const struct t_ctx *t, const char *rel)
{
	char *p = t_path(t, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	vg_free(p);
}

/* Start a watcher on the roots (relative to t->dir); skip if fanotify is refused. */
static void t_start(struct t_ctx *t, const char *const *roots, size_t n)
{
	struct vg_err err = VG_ERR_INIT;
	assert_int_equal(fim_watch_new(t->backend, &t_ops, t, &t->w, &err), 0);
	for (size_t i = 0; i < n; i++) {
		char *p = t_path(t, roots[i]);
		assert_int_equal(fim_watch_add_root(t->w, p, false, &err), 0);
		vg_free(p);
	}
	int rc = fim_watch_start(t->w, &err);
	if (rc != 0 && t->backend == FIM_RT_FANOTIFY) {
		print_message("fanotify not permitted here: %s\n", err.msg);
		skip();
	}
	assert_int_equal(rc, 0);
	assert_int_equal(fim_watch_backend(t->w), t->backend);
}

static int t_setup(void **state, enum fim_realtime_backend backend)
{
	struct t_ctx *t = vg_xcalloc(1, sizeof(*t));
	t->backend = backend;
	vg_strlcpy(t->dir, "/tmp/vg-watch-XXXXXX", sizeof(t->dir));
	if (mkdtemp(t->dir) == NULL)
		return -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	*state = t;
	return 0;
}

static int setup_fan(void **state)
{
	return t_setup(state, FIM_RT_FANOTIFY);
}

static int setup_in(void **state)
{
	return t_setup(state, FIM_RT_INOTIFY);
}

/* rm -rf with openat, so trees deeper than PATH_MAX go too. */
static void t_rmtree_at(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		(void)unlinkat(parent, name, 0);
		return;
	}
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			t_rmtree_at(dirfd(d), de->d_name);
	closedir(d);
	(void)unlinkat(parent, name, AT_REMOVEDIR);
}

static int teardown(void **state)
{
	struct t_ctx *t = *state;
	pthread_mutex_lock(&t->mu);
	t->stall = false;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	fim_watch_free(t->w);
	t_clear(t);
	vg_free(t->recs);
	t_rmtree_at(AT_FDCWD, t->dir);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	vg_free(t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */

static void test_watch__file_lifecycle(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_mkdir(t, "outside");
	t_start(t, roots, 1);
	char *f = t_path(t, "root/f");
	char *g = t_path(t, "root/g");
	char *out = t_path(t, "outside/o");

	t_write(f, "hello");
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	t_clear(t);
	assert_int_equal(chmod(f, 0600), 0);
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	t_clear(t);
	assert_int_equal(rename(f, g), 0);
	assert_true(t_wait(t, f, FIM_WATCH_REMOVED));
	assert_true(t_wait(t, g, FIM_WATCH_CHANGED));
	t_clear(t);
	assert_int_equal(unlink(g), 0);
	assert_true(t_wait(t, g, FIM_WATCH_REMOVED));
	t_clear(t);
	/* moved in from outside the root, then out again */
	t_write(out, "x");
	assert_int_equal(rename(out, f), 0);
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	t_clear(t);
	assert_int_equal(rename(f, out), 0);
	assert_true(t_wait(t, f, FIM_WATCH_REMOVED));
	/* files are not reported as directories */
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n; i++)
		assert_int_equal(t->recs[i].flags & FIM_WATCH_DIR, 0);
	pthread_mutex_unlock(&t->mu);
	vg_free(f);
	vg_free(g);
	vg_free(out);
}

static void test_watch__new_subdir_then_file(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_start(t, roots, 1);
	char *sub = t_path(t, "root/sub");
	char *f = t_path(t, "root/sub/f");

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_true(t_wait(t, sub, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	t_write(f, "in a new directory");
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	t_clear(t);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_true(t_wait(t, sub, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	vg_free(sub);
	vg_free(f);
}

/* A directory moved in, then renamed inside the root, keeps being watched. */
static void test_watch__dir_moved_in_and_renamed(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_mkdir(t, "outside");
	t_mkdir(t, "outside/d");
	char *pre = t_path(t, "outside/d/pre");
	t_write(pre, "made before the move");
	t_start(t, roots, 1);
	char *src = t_path(t, "outside/d");
	char *d = t_path(t, "root/d");
	char *e = t_path(t, "root/e");
	char *ex = t_path(t, "root/e/x");

	assert_int_equal(rename(src, d), 0);
	assert_true(t_wait(t, d, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	assert_int_equal(rename(d, e), 0);
	assert_true(t_wait(t, d, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	assert_true(t_wait(t, e, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	t_write(ex, "after the rename");
	assert_true(t_wait(t, ex, FIM_WATCH_CHANGED));
	/* moved out: nothing below it is reported any more */
	assert_int_equal(rename(e, src), 0);
	assert_true(t_wait(t, e, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	vg_free(pre);
	vg_free(src);
	vg_free(d);
	vg_free(e);
	vg_free(ex);
}

static void test_watch__outside_roots_filtered(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_mkdir(t, "rootx"); /* shares the prefix, not the '/' boundary */
	t_start(t, roots, 1);
	char *o = t_path(t, "rootx/o");
	char *tmpo = t_path(t, "o");
	char *marker = t_path(t, "root/marker");
	char *rootx = t_path(t, "rootx");

	t_write(o, "x");
	t_write(tmpo, "x");
	t_write(marker, "m");
	/* one queue, in order: once the marker is in, the others were filtered */
	assert_true(t_wait(t, marker, FIM_WATCH_CHANGED));
	assert_false(t_seen_prefix(t, rootx));
	assert_false(t_seen_prefix(t, tmpo));
	vg_free(o);
	vg_free(tmpo);
	vg_free(marker);
	vg_free(rootx);
}

static void test_watch__odd_names_byte_exact(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	const char *names[] = {"new\nline",       "quo\"te's",   "back\\slash",
			       "bad\xff\xfeutf8", " lead space", "tab\there"};
	t_mkdir(t, "root");
	t_start(t, roots, 1);
	for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
		char *p = vg_xasprintf("%s/root/%s", t->dir, names[i]);
		t_write(p, "odd");
		assert_true(t_wait(t, p, FIM_WATCH_CHANGED));
		vg_free(p);
	}
}

/* A path over 4096 bytes: built with mkdirat chains, reported whole. */
static void test_watch__deep_path(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	char comp[201];
	memset(comp, 'd', 200);
	comp[200] = '\0';
	t_mkdir(t, "root");
	char *root = t_path(t, "root");
	struct vg_buf want = VG_BUF_INIT(1u << 16);
	assert_int_equal(vg_buf_puts(&want, root), 0);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 24; i++) {
		assert_int_equal(mkdirat(fd, comp, 0755), 0);
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		assert_int_equal(vg_buf_printf(&want, "/%s", comp), 0);
	}
	t_start(t, roots, 1);
	int ffd = openat(fd, "leaf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(ffd >= 0);
	assert_int_equal(write(ffd, "x", 1), 1);
	close(ffd);
	close(fd);
	assert_int_equal(vg_buf_puts(&want, "/leaf"), 0);
	assert_true(want.len > 4096);
	assert_true(t_wait(t, want.data, FIM_WATCH_CHANGED));
	vg_buf_free(&want);
	vg_free(root);
}

static void test_watch__root_deleted_and_recreated(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_start(t, roots, 1);
	char *root = t_path(t, "root");
	char *f = t_path(t, "root/f");

	t_write(f, "1");
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	assert_int_equal(unlink(f), 0);
	assert_int_equal(rmdir(root), 0);
	assert_true(t_wait(t, root, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	t_clear(t);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_true(t_wait(t, root, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	t_write(f, "2");
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	/* and a second time */
	t_clear(t);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(rmdir(root), 0);
	assert_true(t_wait(t, root, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	assert_int_equal(mkdir(root, 0755), 0);
	assert_true(t_wait(t, root, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	t_write(f, "3");
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	vg_free(root);
	vg_free(f);
}

static void test_watch__missing_root_appears(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"a/b/c"};
	t_start(t, roots, 1);
	char *root = t_path(t, "a/b/c");
	char *f = t_path(t, "a/b/c/f");
	char *sib = t_path(t, "a/b/sibling");

	t_mkdir(t, "a");
	t_mkdir(t, "a/b");
	t_write(sib, "not under the root");
	t_mkdir(t, "a/b/c");
	assert_true(t_wait(t, root, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	t_write(f, "x");
	assert_true(t_wait(t, f, FIM_WATCH_CHANGED));
	assert_false(t_seen_prefix(t, sib));
	vg_free(root);
	vg_free(f);
	vg_free(sib);
}

/* A directory replaced by a file: removed as a directory, then changed. */
static void test_watch__dir_replaced_by_file(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_mkdir(t, "root/x");
	t_start(t, roots, 1);
	char *x = t_path(t, "root/x");

	assert_int_equal(rmdir(x), 0);
	t_write(x, "now a file");
	assert_true(t_wait(t, x, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	assert_true(t_wait(t, x, FIM_WATCH_CHANGED));
	pthread_mutex_lock(&t->mu);
	bool changed_as_file = false;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->recs[i].path, x) == 0 && (t->recs[i].flags & FIM_WATCH_CHANGED))
			changed_as_file = (t->recs[i].flags & FIM_WATCH_DIR) == 0;
	pthread_mutex_unlock(&t->mu);
	assert_true(changed_as_file);
	vg_free(x);
}

/* A symlink in place of the root is not followed: the root is gone. */
static void test_watch__root_replaced_by_symlink(void **state)
{
	struct t_ctx *t = *state;
	const char *roots[] = {"root"};
	t_mkdir(t, "root");
	t_mkdir(t, "target");
	t_start(t, roots, 1);
	char *root = t_path(t, "root");
	char *target = t_path(t, "target");
	char *tf = t_path(t, "target/f");
	char *rf = t_path(t, "root/f");

	assert_int_equal(rmdir(root), 0);
	assert_int_equal(symlink(target, root), 0);
	assert_true(t_wait(t, root, FIM_WATCH_REMOVED | FIM_WATCH_DIR));
	assert_true(t_wait(t, root, FIM_WATCH_CHANGED));
	t_write(tf, "through the link");
	/* then a real directory again: watched again */
	assert_int_equal(unlink(root), 0);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_true(t_wait(t, root, FIM_WATCH_CHANGED | FIM_WATCH_DIR));
	t_write(rf, "x");
	assert_true(t_wait(t, rf, FIM_WATCH_CHANGED));
	assert_false(t_seen_prefix(t, tf));
	vg_free(root);
	vg_free(target);
	vg_free(tf);
	vg_free(rf);
}

/* Set a sysctl, returning the old value in old (size n). */
static bool t_sysctl(const char *path, const char *value, char *old, size_t n)
{
	FILE *f = fopen(path, "r+");
	if (f == NULL)
		return false;
	bool ok = fgets(old, (int)n, f) != NULL;
	ok = ok && fseek(f, 0, SEEK_SET) == 0 && fputs(value, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void t_sysctl_restore(const char *path, const char *old)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(old, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * Overflow: a tiny kernel queue (set only while the watcher is created; the
 * kernel sizes the queue then) and a stalled callback. lost(NULL) must come,
 * and the watcher must keep working afterwards.
 */
static void test_watch__overflow_calls_lost(void **state)
{
	struct t_ctx *t = *state;
	const char *knob = t->backend == FIM_RT_INOTIFY ? "/proc/sys/fs/inotify/max_queued_events"
							: "/proc/sys/fs/fanotify/max_queued_events";
	char old[32] = "";
	t_mkdir(t, "root");
	if (!t_sysctl(knob, "16", old, sizeof(old))) {
		print_message("cannot set %s: skipped\n", knob);
		skip();
	}
	struct vg_err err = VG_ERR_INIT;
	int rc = fim_watch_new(t->backend, &t_ops, t, &t->w, &err);
	char *root = t_path(t, "root");
	if (rc == 0)
		rc = fim_watch_add_root(t->w, root, false, &err);
	if (rc == 0)
		rc = fim_watch_start(t->w, &err);
	t_sysctl_restore(knob, old);
	if (rc != 0 && t->backend == FIM_RT_FANOTIFY)
		skip();
	assert_int_equal(rc, 0);

	char *first = t_path(t, "root/first");
	pthread_mutex_lock(&t->mu);
	t->stall = true;
	pthread_mutex_unlock(&t->mu);
	t_write(first, "x");
	struct timespec ts;
	t_deadline(&ts, T_TIMEOUT_MS);
	pthread_mutex_lock(&t->mu);
	while (!t->stalled && pthread_cond_timedwait(&t->cv, &t->mu, &ts) != ETIMEDOUT)
		;
	assert_true(t->stalled);
	pthread_mutex_unlock(&t->mu);
	for (int i = 0; i < 200; i++) {
		char *p = vg_xasprintf("%s/root/f%d", t->dir, i);
		t_write(p, "x");
		vg_free(p);
	}
	pthread_mutex_lock(&t->mu);
	t->stall = false;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	assert_true(t_wait_lost(t));
	t_clear(t);
	char *after = t_path(t, "root/after");
	t_write(after, "x");
	assert_true(t_wait(t, after, FIM_WATCH_CHANGED));
	vg_free(after);
	vg_free(first);
	vg_free(root);
}

static void test_watch__api_errors(void **state)
{
	struct t_ctx *t = *state;
	struct vg_err err = VG_ERR_INIT;
	struct fim_watch *w = (void *)1;
	const struct fim_watch_ops none = {NULL, NULL};
	assert_int_equal(fim_watch_new(FIM_RT_INOTIFY, &none, NULL, &w, &err), VG_EINTERNAL);
	assert_null(w);
	vg_err_clear(&err);
	assert_int_equal(fim_watch_new(FIM_RT_INOTIFY, &t_ops, t, &t->w, &err), 0);
	assert_int_equal(fim_watch_add_root(t->w, "relative/path", false, &err), VG_EPARSE);
	assert_int_equal(fim_watch_add_root(t->w, t->dir, false, NULL), 0);
	assert_int_equal(fim_watch_start(t->w, NULL), 0);
	assert_int_equal(fim_watch_backend(t->w), FIM_RT_INOTIFY);
	assert_int_equal(fim_watch_add_root(t->w, "/tmp", false, NULL), VG_EINTERNAL);
	assert_int_equal(fim_watch_start(t->w, NULL), VG_EINTERNAL);
	fim_watch_free(NULL);
}

#define T_BOTH(fn)                                                                                 \
	{#fn "(fanotify)", fn, setup_fan, teardown, NULL},                                         \
	{                                                                                          \
#fn "(inotify)", fn, setup_in, teardown, NULL                                      \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T_BOTH(test_watch__file_lifecycle),
	    T_BOTH(test_watch__new_subdir_then_file),
	    T_BOTH(test_watch__dir_moved_in_and_renamed),
	    T_BOTH(test_watch__outside_roots_filtered),
	    T_BOTH(test_watch__odd_names_byte_exact),
	    T_BOTH(test_watch__deep_path),
	    T_BOTH(test_watch__root_deleted_and_recreated),
	    T_BOTH(test_watch__missing_root_appears),
	    T_BOTH(test_watch__dir_replaced_by_file),
	    T_BOTH(test_watch__root_replaced_by_symlink),
	    T_BOTH(test_watch__overflow_calls_lost),
	    cmocka_unit_test_setup_teardown(test_watch__api_errors, setup_in, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
