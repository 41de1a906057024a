/*
 * scan.c - The tree walker behind scheduled scans and subtree rescans.
 *
 * An explicit stack of open directory streams replaces recursion: each
 * frame remembers the path length to cut back to, the depth and the
 * (dev, ino) of the directory for loop detection when symlinks are
 * followed. fstatfs is called only when the device changes, which is where
 * a skip_nfs/dev/sys/proc file system can begin.
 */
#include "fim/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fim/entry.h"
#include "lib/buf.h"
#include "lib/fdref.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define WALK_PATH_MAX (1u << 20) /* far past PATH_MAX: deep trees are walked */
/* Names of one directory held at once (about 10 million entries). */
#define WALK_LISTING_MAX (256u << 20)

#ifndef NFS_SUPER_MAGIC
#define NFS_SUPER_MAGIC 0x6969
#endif
#define CIFS_MAGIC 0xff534d42u
#define SMB2_MAGIC 0xfe534d42u

/* One directory entry of a listing: its name in the frame's arena. */
struct walk_name {
	size_t off;
	unsigned char type;
};

struct walk_frame {
	struct vg_fdref *fd; /* the directory, shared with the jobs of its files */
	size_t path_len;     /* length of this directory's path in the buffer */
	int depth;           /* depth of the files directly inside it */
	dev_t dev;
	ino_t ino;
	struct walk_name *names; /* the listing, sorted by name */
	size_t n, next;
	struct vg_buf arena; /* the names, NUL-terminated */
};

struct walk {
	const struct fim_config *cfg;
	const struct fim_dir *dir;
	unsigned flags;
	fim_walk_fn fn;
	void *ctx;
	struct vg_buf path;
	struct walk_frame *stack;
	size_t depth_used;
	size_t depth_cap;
};

static void walk_log_skip(const char *path, size_t len, const char *why, int errnum)
{
	char esc[512];
	if (errnum == ENOENT)
		vg_log_debug("'%s' vanished during the scan",
			     vg_escape(esc, sizeof(esc), path, len));
	else
		vg_log_warn("skipping '%s': %s%s%s", vg_escape(esc, sizeof(esc), path, len), why,
			    errnum != 0 ? ": " : "", errnum != 0 ? strerror(errnum) : "");
}

/* Is the file system holding fd one that skip_* asks us to leave alone? */
static int walk_fs_skipped(const struct fim_config *cfg, int fd, const char *path)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) != 0)
		return 0;
	unsigned long t = (unsigned long)sfs.f_type;
	if (cfg->skip_proc && t == PROC_SUPER_MAGIC)
		return 1;
	if (cfg->skip_sys && (t == SYSFS_MAGIC || t == DEBUGFS_MAGIC || t == SECURITYFS_MAGIC ||
			      t == CGROUP_SUPER_MAGIC || t == CGROUP2_SUPER_MAGIC))
		return 1;
	if (cfg->skip_nfs &&
	    (t == NFS_SUPER_MAGIC || t == CIFS_MAGIC || t == SMB2_MAGIC || t == SMB_SUPER_MAGIC))
		return 1;
	if (cfg->skip_dev && (t == DEVPTS_SUPER_MAGIC || strcmp(path, "/dev") == 0))
		return 1;
	return 0;
}

int fim_walk_accepts(const struct fim_config *cfg, const struct fim_dir *dir, const char *path,
		     int depth, const struct stat *st)
{
	if (depth > dir->recursion_level)
		return 0;
	if (fim_config_ignored(cfg, path))
		return 0;
	if (!S_ISDIR(st->st_mode) && dir->restrict_re != NULL &&
	    !vg_osmatch_test(dir->restrict_re, path))
		return 0;
	return 1;
}

/* Is (dev, ino) already on the stack? Only possible when following links. */
static int walk_is_loop(const struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->depth_used; i++)
		if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int name_cmp(const void *a, const void *b, void *arena)
{
	const char *base = arena;
	return strcmp(base + ((const struct walk_name *)a)->off,
		      base + ((const struct walk_name *)b)->off);
}

/*
 * Read the whole listing of f and sort it by name: entries are then visited
 * in path order, which is the baseline's key order, so its B-tree grows at
 * the end instead of splitting pages everywhere (about half the SQLite work
 * of a baseline scan), and events come in a stable order.
 */
static int walk_list(struct walk_frame *f)
{
	size_t cap = 0;
	struct dirent *de;
	/* a stream of its own: closedir must not close the shared descriptor */
	int fd = fcntl(vg_fdref_fd(f->fd), F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL) {
		int errnum = errno;
		if (fd >= 0)
			close(fd);
		return errnum;
	}
	vg_buf_init(&f->arena, WALK_LISTING_MAX);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (f->n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			f->names = vg_xreallocarray(f->names, cap, sizeof(*f->names));
		}
		f->names[f->n] = (struct walk_name){f->arena.len, de->d_type};
		if (vg_buf_append(&f->arena, de->d_name, strlen(de->d_name) + 1) != 0) {
			errno = ENOMEM; /* over WALK_LISTING_MAX: listed as far as it fits */
			break;
		}
		f->n++;
	}
	int errnum = errno;
	closedir(d);
	if (errnum != 0)
		return errnum;
	if (f->n > 1) /* an empty listing has no array at all */
		qsort_r(f->names, f->n, sizeof(*f->names), name_cmp, f->arena.data);
	return 0;
}

/* Push the directory open as fd (transferred) and list it; 0 or an errno. */
static int walk_push(struct walk *w, int fd, const struct stat *st, int depth)
{
	if (w->depth_used == w->depth_cap) {
		w->depth_cap = w->depth_cap != 0 ? w->depth_cap * 2 : 16;
		w->stack = vg_xreallocarray(w->stack, w->depth_cap, sizeof(*w->stack));
	}
	struct walk_frame *f = &w->stack[w->depth_used++];
	*f = (struct walk_frame){vg_fdref_new(fd), w->path.len, depth, st->st_dev,
				 st->st_ino,       NULL,        0,     0,
				 VG_BUF_INIT(0)};
	int err = walk_list(f);
	if (err != 0)
		walk_log_skip(w->path.data, w->path.len, "cannot list directory", err);
	return err;
}

/* Enter the directory named name (relative to parent) whose stat is st. */
static void walk_enter(struct walk *w, int parent, const char *name, const struct stat *st,
		       int depth, dev_t parent_dev)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK;
	if (!(w->dir->opts & FIM_OPT_FOLLOW_SYMLINK))
		flags |= O_NOFOLLOW;
	int fd = openat(parent, name, flags);
	if (fd < 0) {
		walk_log_skip(w->path.data, w->path.len, "cannot open directory", errno);
		return;
	}
	struct stat now;
	/* the entry may have been swapped between fstatat and openat */
	if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		walk_log_skip(w->path.data, w->path.len, "directory replaced during the scan", 0);
		close(fd);
		return;
	}
	if (now.st_dev != parent_dev && walk_fs_skipped(w->cfg, fd, w->path.data)) {
		vg_log_debug("not descending into %s: skipped file system type", w->path.data);
		close(fd);
		return;
	}
	(void)walk_push(w, fd, &now, depth); /* a listing cut short is logged and kept */
}

static int walk_entry(struct walk *w, struct walk_frame *f, const char *name, unsigned char type)
{
	int dfd = vg_fdref_fd(f->fd);
	struct stat st;
	size_t name_len = strlen(name);

	/* below the root "/" no separator is needed */
	if ((f->path_len != 1 && vg_buf_putc(&w->path, '/') != 0) ||
	    vg_buf_append(&w->path, name, name_len) != 0) {
		walk_log_skip(vg_buf_cstr(&w->path), w->path.len, "path too long", ENAMETOOLONG);
		return 0;
	}
	if (type == DT_REG && (w->flags & FIM_WALK_LAZY_STAT)) {
		st = (struct stat){.st_mode = S_IFREG};
		if (!fim_walk_accepts(w->cfg, w->dir, w->path.data, f->depth, &st))
			return 0;
		struct fim_walk_item it = {w->path.data, w->path.len, NULL, w->dir, f->fd, name};
		return w->fn(w->ctx, &it);
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		walk_log_skip(w->path.data, w->path.len, "cannot stat", errno);
		return 0;
	}
	if (S_ISLNK(st.st_mode) && (w->dir->opts & FIM_OPT_FOLLOW_SYMLINK)) {
		struct stat target;
		if (fstatat(dfd, name, &target, 0) == 0)
			st = target; /* dangling links are reported as links */
	}
	if (S_ISDIR(st.st_mode)) {
		int depth = f->depth + 1;
		if (depth > w->dir->recursion_level || fim_config_ignored(w->cfg, w->path.data))
			return 0;
		if (walk_is_loop(w, &st)) {
			walk_log_skip(w->path.data, w->path.len, "symbolic link loop", 0);
			return 0;
		}
		walk_enter(w, dfd, name, &st, depth, f->dev);
		return 0;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		vg_log_debug("not monitoring %s: %s", w->path.data,
			     fim_entry_type_name(st.st_mode));
		return 0;
	}
	if (!fim_walk_accepts(w->cfg, w->dir, w->path.data, f->depth, &st))
		return 0;
	struct fim_walk_item it = {w->path.data, w->path.len, &st, w->dir, f->fd, name};
	return w->fn(w->ctx, &it);
}

static void walk_pop(struct walk *w)
{
	struct walk_frame *f = &w->stack[--w->depth_used];
	vg_fdref_put(f->fd);
	vg_free(f->names);
	vg_buf_free(&f->arena);
}

static int walk_run(struct walk *w)
{
	while (w->depth_used > 0) {
		struct walk_frame *f = &w->stack[w->depth_used - 1];
		if (f->next == f->n) {
			walk_pop(w);
			if (w->depth_used > 0)
				vg_buf_truncate(&w->path, w->stack[w->depth_used - 1].path_len);
			continue;
		}
		const struct walk_name *e = &f->names[f->next++];
		size_t base = f->path_len, used = w->depth_used;
		int rc = walk_entry(w, f, f->arena.data + e->off, e->type);
		/* a pushed frame owns the longer path; otherwise cut back */
		if (w->depth_used == used)
			vg_buf_truncate(&w->path, base);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk_depth_of(const struct fim_dir *dir, const char *start)
{
	size_t n = strlen(dir->path);
	int depth = 0;
	if (strcmp(dir->path, start) == 0)
		return 0;
	if (strcmp(dir->path, "/") == 0)
		n = 0;
	for (const char *p = start + n; *p != '\0'; p++)
		if (*p == '/')
			depth++;
	return depth;
}

static int walk_start(struct walk *w, const char *start, struct vg_err *err)
{
	struct stat st;
	int follow = (w->dir->opts & FIM_OPT_FOLLOW_SYMLINK) != 0;
	int rc = 0;

	if (vg_fs_stat(start, &st, !follow) != 0)
		return vg_err_errno(err, errno, "cannot scan %s", start);
	if (vg_buf_puts(&w->path, start) != 0)
		return vg_err_set(err, VG_ETOOBIG, "path too long: %s", start);
	/* depth of the files directly inside start */
	int depth = walk_depth_of(w->dir, start);
	if (!S_ISDIR(st.st_mode)) {
		const char *name;
		int pfd = vg_fs_open_parent(start, &name);
		if (pfd < 0)
			return vg_err_errno(err, errno, "cannot scan %s", start);
		struct vg_fdref *parent = vg_fdref_new(pfd);
		if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
		    fim_walk_accepts(w->cfg, w->dir, start, depth > 0 ? depth - 1 : 0, &st)) {
			struct fim_walk_item it = {start, w->path.len, &st, w->dir, parent, name};
			rc = w->fn(w->ctx, &it);
		}
		vg_fdref_put(parent);
		return rc;
	}
	if (strcmp(start, w->dir->path) != 0 && fim_config_ignored(w->cfg, start))
		return 0;
	int fd = vg_fs_open(start, O_RDONLY | O_DIRECTORY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return vg_err_errno(err, errno, "cannot scan %s", start);
	if (walk_fs_skipped(w->cfg, fd, start)) {
		close(fd);
		return 0;
	}
	if (walk_push(w, fd, &st, depth) != 0 && w->stack[0].n == 0)
		return vg_err_set(err, VG_EINTERNAL, "cannot read directory %s", start);
	return walk_run(w);
}

int fim_walk(const struct fim_config *cfg, const struct fim_dir *dir, const char *start,
	     unsigned flags, fim_walk_fn fn, void *ctx, struct vg_err *err)
{
	struct walk w = {cfg, dir, flags, fn, ctx, VG_BUF_INIT(WALK_PATH_MAX), NULL, 0, 0};
	int rc = walk_start(&w, start, err);

	while (w.depth_used > 0)
		walk_pop(&w);
	vg_free(w.stack);
	vg_buf_free(&w.path);
	return rc;
}
