/*
 * Unit tests for src/ar/quarantine.c: quarantine, restore, remove, list,
 * show, delete, on real files in a mkdtemp directory that holds HOME, the
 * watched root and a decoy directory (the stand-in for /etc).
 *
 * Every race and refusal is played for real (the file replaced, swapped
 * for a symlink, moved away, its directory swapped for a symlink...) and
 * each asserts that nothing was touched: the file and the decoy keep their
 * content and HOME/quarantine stays empty. A root on /dev/shm (tmpfs) with
 * HOME on /tmp exercises the cross-filesystem copy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "ar/quarantine.h"
#include "fim/hash.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "support/support.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define DECOY "root:x:0:0:root:/root:/bin/bash\n"
#define OLD_MTIME 1000000000
#define OLD_MTIME_NS 123456789

struct fx {
	char base[PATH_MAX];
	char home[PATH_MAX];
	char watch[PATH_MAX];
	char decoy[PATH_MAX]; /* base/decoy/passwd: must never change */
	char shm[64];         /* a root on tmpfs, when a test made one */
	struct ar_roots *roots;
	struct ar_outcome o;
	struct vg_err err;
};

/* ---------------------------------------------------------------- helpers */

static void jpath(char *dst, const char *a, const char *b)
{
	assert_true((size_t)snprintf(dst, PATH_MAX, "%s/%s", a, b) < PATH_MAX);
}

static void assert_content(const char *path, const char *want)
{
	char *s = vg_test_read_file(path);

	assert_string_equal(s, want);
	vg_free(s);
}

static void sha_of(const char *content, char out[65])
{
	struct fim_digests d;

	fim_hash_buffer(content, strlen(content), FIM_CHECK_SHA256, &d);
	memcpy(out, d.sha256, 65);
}

static void sha_of_file(const char *path, char out[65])
{
	struct fim_hasher *h = NULL;
	struct fim_digests d;
	struct vg_err err = VG_ERR_INIT;
	uint64_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fim_hasher_new(&h, &err), 0);
	assert_int_equal(fim_hasher_fd(h, fd, FIM_CHECK_SHA256, 0, &d, &n, &err), 0);
	fim_hasher_free(h);
	close(fd);
	memcpy(out, d.sha256, 65);
}

/* Entries in HOME/quarantine (0 when it does not exist). */
static int qcount(const struct fx *f)
{
	char q[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int n = 0;

	jpath(q, f->home, AR_QUARANTINE_DIR);
	d = opendir(q);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void assert_untouched(const struct fx *f)
{
	assert_content(f->decoy, DECOY);
	assert_int_equal(qcount(f), 0);
}

static void assert_outcome(const struct ar_outcome *o, enum ar_status s, const char *want)
{
	if (o->status != s || strstr(o->reason, want) == NULL)
		fail_msg("outcome %s '%s', wanted %s mentioning '%s'", ar_status_name(o->status),
			 o->reason, ar_status_name(s), want);
}

static struct ar_roots *roots_for(const char *dir)
{
	struct fim_config cfg;
	struct ar_roots *r = NULL;
	struct vg_err err = VG_ERR_INIT;

	fim_config_init(&cfg);
	cfg.dirs = vg_xcalloc(1, sizeof(*cfg.dirs));
	cfg.dirs[0].path = vg_xstrdup(dir);
	cfg.ndirs = 1;
	assert_int_equal(ar_roots_new(&cfg, &r, &err), 0);
	fim_config_free(&cfg);
	return r;
}

/* Quarantine path expecting content's sha256. */
static int quar(struct fx *f, const struct ar_roots *roots, const char *path, const char *content)
{
	char sha[65];
	struct ar_expect e = {sha, 0, 0};
	json_t *verdict = json_pack("{s:i}", "positives", 5);
	struct ar_qmeta m = {"1700000000.42", "87105", verdict};
	int rc;

	sha_of(content, sha);
	ar_outcome_clear(&f->o);
	rc = ar_quarantine_file(f->home, roots, path, &e, &m, &f->o, &f->err);
	json_decref(verdict);
	return rc;
}

static int rm(struct fx *f, const char *path, const char *content)
{
	char sha[65];
	struct ar_expect e = {sha, 0, 0};

	sha_of(content, sha);
	ar_outcome_clear(&f->o);
	return ar_remove_file(f->roots, path, &e, &f->o, &f->err);
}

/* An old, exact owner/mode/times, so restore has something to restore. */
static void make_victim(const char *path, const char *content)
{
	struct timespec ts[2] = {{OLD_MTIME - 10, 5}, {OLD_MTIME, OLD_MTIME_NS}};

	vg_test_write_file(path, content, 0644);
	assert_int_equal(chown(path, 1234, 1234), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void assert_restored(const char *path, const char *content)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0); /* before reading it moves atime */
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 1234);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_mtim.tv_sec, OLD_MTIME);
	assert_int_equal(st.st_mtim.tv_nsec, OLD_MTIME_NS);
	assert_int_equal(st.st_atim.tv_sec, OLD_MTIME - 10);
	assert_content(path, content);
}

static int setup(void **state)
{
	struct fx *f = vg_xcalloc(1, sizeof(*f));
	char tmp[] = "/tmp/vg-test-quar-XXXXXX", p[PATH_MAX];

	if (mkdtemp(tmp) == NULL || realpath(tmp, f->base) == NULL)
		return -1;
	jpath(f->home, f->base, "home");
	jpath(f->watch, f->base, "watch");
	jpath(p, f->base, "decoy");
	jpath(f->decoy, p, "passwd");
	if (mkdir(f->home, 0750) != 0 || mkdir(f->watch, 0755) != 0 || mkdir(p, 0755) != 0)
		return -1;
	jpath(p, f->watch, "sub");
	if (mkdir(p, 0755) != 0)
		return -1;
	vg_test_write_file(f->decoy, DECOY, 0644);
	f->roots = roots_for(f->watch);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ar_outcome_clear(&f->o);
	ar_roots_free(f->roots);
	vg_test_rmtree(f->base);
	if (f->shm[0] != '\0')
		vg_test_rmtree(f->shm);
	vg_free(f);
	return 0;
}

/* ------------------------------------------------------ quarantine/restore */

static void test_quarantine__restore_gives_back_bytes_owner_mode_times(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], sub[PATH_MAX], bin[PATH_MAX], js[PATH_MAX], q[PATH_MAX], sha[65];
	const json_t *m;
	struct stat st, orig;

	jpath(sub, f->watch, "sub");
	jpath(path, sub, "eicar");
	make_victim(path, EICAR);
	assert_int_equal(lstat(path, &orig), 0);

	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_int_equal(strlen(f->o.qid), AR_QID_LEN);
	assert_int_equal(access(path, F_OK), -1);

	jpath(q, f->home, AR_QUARANTINE_DIR);
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	vg_test_fmt(bin, sizeof(bin), "%s/%s.bin", q, f->o.qid);
	vg_test_fmt(js, sizeof(js), "%s/%s.json", q, f->o.qid);
	assert_int_equal(lstat(bin, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0);
	assert_int_equal(st.st_ino, orig.st_ino); /* renamed, not copied */
	assert_content(bin, EICAR);
	assert_int_equal(lstat(js, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	m = f->o.manifest;
	sha_of(EICAR, sha);
	assert_string_equal(json_string_value(json_object_get(m, "id")), f->o.qid);
	assert_string_equal(json_string_value(json_object_get(m, "path")), path);
	assert_string_equal(json_string_value(json_object_get(m, "sha256")), sha);
	assert_int_equal(strlen(json_string_value(json_object_get(m, "md5"))), 32);
	assert_int_equal(strlen(json_string_value(json_object_get(m, "sha1"))), 40);
	assert_int_equal(json_integer_value(json_object_get(m, "size")), strlen(EICAR));
	assert_int_equal(json_integer_value(json_object_get(m, "uid")), 1234);
	assert_int_equal(json_integer_value(json_object_get(m, "gid")), 1234);
	assert_int_equal(json_integer_value(json_object_get(m, "mode")), 0640);
	assert_int_equal(json_integer_value(json_object_get(m, "mtime")), OLD_MTIME);
	assert_int_equal(json_integer_value(json_object_get(m, "mtime_ns")), OLD_MTIME_NS);
	assert_int_equal(json_integer_value(json_object_get(m, "inode")), orig.st_ino);
	assert_int_equal(json_integer_value(json_object_get(m, "device")), orig.st_dev);
	assert_string_equal(json_string_value(json_object_get(m, "alert_id")), "1700000000.42");
	assert_string_equal(json_string_value(json_object_get(m, "rule_id")), "87105");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(m, "verdict"), "positives")), 5);
	assert_string_equal(json_string_value(json_object_get(m, "method")), "rename");
	assert_int_equal(strlen(json_string_value(json_object_get(m, "quarantined_at"))),
			 24); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
	assert_non_null(json_object_get(m, "owner"));
	assert_non_null(json_object_get(m, "group"));

	char qid[AR_QID_LEN + 1];
	memcpy(qid, f->o.qid, sizeof(qid));
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, false, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_restored(path, EICAR);
	assert_int_equal(qcount(f), 0); /* the copy goes only once restored */
	assert_content(f->decoy, DECOY);
}

static void test_quarantine__copy_across_filesystems(void **state)
{
	struct fx *f = *state;
	char *shm = f->shm, path[PATH_MAX], bin[PATH_MAX], qid[17];
	struct ar_roots *roots;
	struct stat a, b;

	vg_strlcpy(shm, "/dev/shm/vg-test-quar-XXXXXX", sizeof(f->shm));
	if (stat("/dev/shm", &a) != 0 || stat(f->home, &b) != 0 || a.st_dev == b.st_dev ||
	    mkdtemp(shm) == NULL) {
		shm[0] = '\0';
		skip();
	}
	roots = roots_for(shm);
	jpath(path, shm, "eicar");
	make_victim(path, EICAR);

	assert_int_equal(quar(f, roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_string_equal(json_string_value(json_object_get(f->o.manifest, "method")), "copy");
	assert_int_equal(access(path, F_OK), -1);
	vg_test_fmt(bin, sizeof(bin), "%s/%s/%s.bin", f->home, AR_QUARANTINE_DIR, f->o.qid);
	assert_content(bin, EICAR);
	assert_int_equal(lstat(bin, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0);

	memcpy(qid, f->o.qid, sizeof(qid));
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, false, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_restored(path, EICAR);
	assert_int_equal(qcount(f), 0);

	ar_roots_free(roots);
}

static void test_quarantine__list_show_delete(void **state)
{
	struct fx *f = *state;
	char a[PATH_MAX], b[PATH_MAX], ida[17], idb[17];
	json_t *list = NULL, *m = NULL;

	jpath(a, f->watch, "a");
	jpath(b, f->watch, "b");
	vg_test_write_file(a, "first", 0644);
	vg_test_write_file(b, "second", 0644);
	assert_int_equal(ar_quarantine_list(f->home, &list, &f->err), 0);
	assert_int_equal(json_array_size(list), 0); /* no quarantine dir yet */
	json_decref(list);

	assert_int_equal(quar(f, f->roots, a, "first"), 0);
	assert_outcome(&f->o, AR_DONE, "");
	memcpy(ida, f->o.qid, sizeof(ida));
	assert_int_equal(quar(f, f->roots, b, "second"), 0);
	assert_outcome(&f->o, AR_DONE, "");
	memcpy(idb, f->o.qid, sizeof(idb));
	assert_true(strcmp(ida, idb) < 0);

	assert_int_equal(ar_quarantine_list(f->home, &list, &f->err), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "path")), a);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "path")), b);
	json_decref(list);

	assert_int_equal(ar_quarantine_show(f->home, idb, &m, &f->err), 0);
	assert_string_equal(json_string_value(json_object_get(m, "id")), idb);
	json_decref(m);
	assert_int_equal(ar_quarantine_show(f->home, "0123456789abcdef", &m, &f->err),
			 VG_ENOTFOUND);
	assert_null(m);
	assert_int_equal(ar_quarantine_show(f->home, "../../etc/passwd", &m, &f->err),
			 VG_ENOTFOUND);
	assert_int_equal(ar_quarantine_show(f->home, "0123456789ABCDEF", &m, &f->err),
			 VG_ENOTFOUND);

	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_delete(f->home, ida, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_string_equal(json_string_value(json_object_get(f->o.manifest, "path")), a);
	assert_int_equal(qcount(f), 2); /* b's .bin and .json */
	assert_int_equal(ar_quarantine_list(f->home, &list, &f->err), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_delete(f->home, ida, &f->o, &f->err), VG_ENOTFOUND);
	assert_int_equal(access(a, F_OK), -1); /* delete does not restore */
}

/* ----------------------------------------------------- races and refusals */

static void test_quarantine__refuses_replaced_content(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	jpath(path, f->watch, "eicar");
	vg_test_write_file(path, "harmless now", 0644);
	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, "eicar changed since the verdict (sha256 ");
	assert_non_null(strstr(f->o.reason, path));
	assert_content(path, "harmless now");
	assert_untouched(f);

	assert_int_equal(rm(f, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, "changed since the verdict");
	assert_content(path, "harmless now");
}

static void test_quarantine__refuses_symlink_to_decoy(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], want[PATH_MAX + 32];
	struct stat st;

	jpath(path, f->watch, "eicar");
	assert_int_equal(symlink(f->decoy, path), 0);
	/* the decoy's own sha256: following the link would match */
	assert_int_equal(quar(f, f->roots, path, DECOY), 0);
	vg_test_fmt(want, sizeof(want), "%s is a symbolic link", path);
	assert_outcome(&f->o, AR_REFUSED, want);
	assert_int_equal(rm(f, path, DECOY), 0);
	assert_outcome(&f->o, AR_REFUSED, want);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_untouched(f);
}

static void test_quarantine__refuses_symlink_to_etc_passwd(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], before[65], after[65], sha[65];
	struct ar_expect e = {sha, 0, 0};

	if (access("/etc/passwd", R_OK) != 0)
		skip();
	sha_of_file("/etc/passwd", before);
	memcpy(sha, before, sizeof(sha));
	jpath(path, f->watch, "eicar");
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(ar_quarantine_file(f->home, f->roots, path, &e, NULL, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_REFUSED, "is a symbolic link");
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_remove_file(f->roots, path, &e, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_REFUSED, "is a symbolic link");
	sha_of_file("/etc/passwd", after);
	assert_string_equal(before, after);
	assert_untouched(f);
}

static void test_quarantine__refuses_moved_away(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], away[PATH_MAX];

	jpath(path, f->watch, "eicar");
	jpath(away, f->base, "away");
	vg_test_write_file(path, EICAR, 0644);
	assert_int_equal(rename(path, away), 0);
	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, "eicar no longer exists");
	assert_content(away, EICAR);
	assert_untouched(f);
}

static void test_quarantine__refuses_directory_swapped_for_symlink(void **state)
{
	struct fx *f = *state;
	char sub[PATH_MAX], path[PATH_MAX], moved[PATH_MAX], other[PATH_MAX], want[PATH_MAX + 64];

	jpath(sub, f->watch, "sub");
	jpath(path, sub, "eicar");
	jpath(moved, f->base, "moved");
	jpath(other, f->base, "other");
	vg_test_write_file(path, EICAR, 0644);
	/* the same name and content on the far side of the link */
	assert_int_equal(rename(sub, moved), 0);
	assert_int_equal(mkdir(other, 0755), 0);
	jpath(path, other, "eicar");
	vg_test_write_file(path, EICAR, 0644);
	assert_int_equal(symlink(other, sub), 0);

	jpath(path, sub, "eicar");
	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	vg_test_fmt(want, sizeof(want), "%s is a symbolic link: refusing to follow it", sub);
	assert_outcome(&f->o, AR_REFUSED, want);
	assert_int_equal(rm(f, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, want);
	jpath(path, other, "eicar");
	assert_content(path, EICAR);
	jpath(path, moved, "eicar");
	assert_content(path, EICAR);
	assert_untouched(f);
}

static void test_quarantine__refuses_outside_roots_and_dotdot(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], want[PATH_MAX + 64];

	assert_int_equal(quar(f, f->roots, f->decoy, DECOY), 0);
	vg_test_fmt(want, sizeof(want), "%s is outside the monitored directories", f->decoy);
	assert_outcome(&f->o, AR_REFUSED, want);

	vg_test_fmt(path, sizeof(path), "%s/../decoy/passwd", f->watch);
	assert_int_equal(quar(f, f->roots, path, DECOY), 0);
	assert_outcome(&f->o, AR_REFUSED, "is outside the monitored directories");
	vg_test_fmt(path, sizeof(path), "%s/sub/../../decoy/passwd", f->watch);
	assert_int_equal(rm(f, path, DECOY), 0);
	assert_outcome(&f->o, AR_REFUSED, "is outside the monitored directories");
	assert_int_equal(rm(f, "relative/eicar", DECOY), 0);
	assert_outcome(&f->o, AR_REFUSED, "is not an absolute path");
	assert_untouched(f);

	/* a ".." that stays inside the root names a file under it */
	vg_test_fmt(path, sizeof(path), "%s/eicar", f->watch);
	vg_test_write_file(path, EICAR, 0644);
	vg_test_fmt(path, sizeof(path), "%s/sub/../eicar", f->watch);
	assert_int_equal(rm(f, path, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	vg_test_fmt(path, sizeof(path), "%s/eicar", f->watch);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_quarantine__fifo_is_refused_without_blocking(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	jpath(path, f->watch, "eicar");
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10); /* a blocking open would hang: fail instead */
	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, "eicar is not a regular file");
	assert_int_equal(rm(f, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, "is not a regular file");
	alarm(0);
	assert_int_equal(access(path, F_OK), 0);
	assert_untouched(f);
}

static void test_quarantine__refuses_other_inode(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], sha[65];
	struct ar_expect e = {sha, 0, 0};
	struct stat st;

	jpath(path, f->watch, "eicar");
	vg_test_write_file(path, EICAR, 0644);
	assert_int_equal(stat(path, &st), 0);
	sha_of(EICAR, sha);
	e.inode = st.st_ino + 1;
	assert_int_equal(ar_quarantine_file(f->home, f->roots, path, &e, NULL, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_REFUSED, "changed since the verdict (inode");
	ar_outcome_clear(&f->o);
	e.inode = st.st_ino;
	e.device = st.st_dev + 1;
	assert_int_equal(ar_remove_file(f->roots, path, &e, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_REFUSED, "(device");
	assert_content(path, EICAR);
	assert_untouched(f);
}

static void test_quarantine__bad_arguments(void **state)
{
	struct fx *f = *state;
	struct ar_expect e = {"not-a-sha", 0, 0};

	assert_int_equal(ar_quarantine_file(f->home, f->roots, f->decoy, &e, NULL, &f->o, &f->err),
			 VG_EPARSE);
	assert_int_equal(ar_remove_file(f->roots, f->decoy, NULL, &f->o, &f->err), VG_EPARSE);
	assert_untouched(f);
}

/* ---------------------------------------------------------------- restore */

static void test_quarantine__restore_refuses_existing_file_unless_forced(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], qid[17];
	json_t *m = NULL;

	jpath(path, f->watch, "eicar");
	make_victim(path, EICAR);
	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	memcpy(qid, f->o.qid, sizeof(qid));
	vg_test_write_file(path, "a new file", 0644);

	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, false, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_REFUSED, "eicar already exists");
	assert_content(path, "a new file");
	assert_int_equal(ar_quarantine_show(f->home, qid, &m, &f->err), 0); /* still there */
	json_decref(m);

	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, true, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_restored(path, EICAR);
	assert_untouched(f);
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, true, &f->o, &f->err), VG_ENOTFOUND);
}

static void test_quarantine__restore_refuses_symlinked_parent(void **state)
{
	struct fx *f = *state;
	char sub[PATH_MAX], path[PATH_MAX], moved[PATH_MAX], other[PATH_MAX], qid[17];
	json_t *m = NULL;

	jpath(sub, f->watch, "sub");
	jpath(path, sub, "eicar");
	jpath(moved, f->base, "moved");
	jpath(other, f->base, "other");
	make_victim(path, EICAR);
	assert_int_equal(quar(f, f->roots, path, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	memcpy(qid, f->o.qid, sizeof(qid));

	assert_int_equal(rename(sub, moved), 0);
	assert_int_equal(mkdir(other, 0755), 0);
	assert_int_equal(symlink(other, sub), 0);
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, true, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_REFUSED, "sub is a symbolic link: refusing to follow it");
	jpath(path, other, "eicar");
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(other), 0); /* nothing, not even a temp, was left there */
	assert_int_equal(ar_quarantine_show(f->home, qid, &m, &f->err), 0);
	json_decref(m);

	/* the directory back: the restore now goes through */
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(rename(moved, sub), 0);
	ar_outcome_clear(&f->o);
	assert_int_equal(ar_quarantine_restore(f->home, qid, false, &f->o, &f->err), 0);
	assert_outcome(&f->o, AR_DONE, "");
	jpath(path, sub, "eicar");
	assert_restored(path, EICAR);
}

/* ----------------------------------------------------------- roots, remove */

static void test_quarantine__root_through_symlink(void **state)
{
	struct fx *f = *state;
	char link[PATH_MAX], via[PATH_MAX], real[PATH_MAX];
	struct ar_roots *roots;

	jpath(link, f->base, "link");
	assert_int_equal(symlink(f->watch, link), 0);
	roots = roots_for(link);

	jpath(via, link, "eicar");
	jpath(real, f->watch, "eicar");
	vg_test_write_file(real, EICAR, 0644);
	assert_int_equal(quar(f, roots, via, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	/* the manifest names the file where it really is */
	assert_string_equal(json_string_value(json_object_get(f->o.manifest, "path")), real);
	assert_int_equal(access(real, F_OK), -1);

	jpath(real, f->watch, "eicar2");
	vg_test_write_file(real, EICAR, 0644);
	assert_int_equal(quar(f, roots, real, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");

	/* the root as configured is settled once: a symlink below it is not */
	assert_int_equal(quar(f, roots, f->decoy, DECOY), 0);
	assert_outcome(&f->o, AR_REFUSED, "outside the monitored directories");
	assert_content(f->decoy, DECOY);
	ar_roots_free(roots);
}

static void test_quarantine__remove_deletes_the_checked_file(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	jpath(path, f->watch, "sub/eicar");
	vg_test_write_file(path, EICAR, 0644);
	assert_int_equal(rm(f, path, EICAR), 0);
	assert_outcome(&f->o, AR_DONE, "");
	assert_null(f->o.manifest);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rm(f, path, EICAR), 0);
	assert_outcome(&f->o, AR_REFUSED, "eicar no longer exists");
	assert_untouched(f);
	assert_string_equal(ar_status_name(AR_FAILED), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_quarantine__restore_gives_back_bytes_owner_mode_times),
	    T(test_quarantine__copy_across_filesystems),
	    T(test_quarantine__list_show_delete),
	    T(test_quarantine__refuses_replaced_content),
	    T(test_quarantine__refuses_symlink_to_decoy),
	    T(test_quarantine__refuses_symlink_to_etc_passwd),
	    T(test_quarantine__refuses_moved_away),
	    T(test_quarantine__refuses_directory_swapped_for_symlink),
	    T(test_quarantine__refuses_outside_roots_and_dotdot),
	    T(test_quarantine__fifo_is_refused_without_blocking),
	    T(test_quarantine__refuses_other_inode),
	    T(test_quarantine__bad_arguments),
	    T(test_quarantine__restore_refuses_existing_file_unless_forced),
	    T(test_quarantine__restore_refuses_symlinked_parent),
	    T(test_quarantine__root_through_symlink),
	    T(test_quarantine__remove_deletes_the_checked_file),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
