/*
 * scan.c - `vigie scan`: a fast, parallel sha256sum for whole trees.
 *
 * Each argument is walked with the FIM walker (no symlinks followed unless
 * asked, FIFOs and devices skipped) and every file is hashed on the FIM
 * hashing pool; one JSON line per file goes to stdout as soon as its digests
 * are known, so the output order is not the walk order.
 */
#include "cli/scan.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fim/config.h"
#include "fim/event.h"
#include "fim/names.h"
#include "fim/pool.h"
#include "fim/scan.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/notify.h"

struct scan_run {
	struct fim_pool *pool;
	struct fim_names *names;
	struct vg_buf line;
	struct vg_notify done; /* kicked by the pool as jobs finish */
	unsigned long files, failed;
};

static void scan_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie scan [OPTION]... PATH...\n"
		"Hash every regular file under each PATH with md5, sha1 and sha256 in one\n"
		"pass, in parallel, and print one JSON object per line:\n"
		"  {\"path\":...,\"attributes\":{\"type\",\"size\",\"perm\",\"uid\",\"gid\",\n"
		"   \"user_name\",\"group_name\",\"inode\",\"mtime\",\"hash_md5\",\"hash_sha1\",\n"
		"   \"hash_sha256\",\"checksum\"}}\n"
		"Symbolic links are reported, not followed; FIFOs, sockets and devices are\n"
		"skipped. Paths that are not valid UTF-8 also get \"path_b64\".\n"
		"\n"
		"  -L, --follow        follow symbolic links\n"
		"  -j, --jobs N        hashing threads (default: one per core)\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"Exit status: 0 when every file was hashed, 1 when some could not be\n"
		"read (each is reported on stderr), 2 on a usage error.\n");
}

static void scan_print(struct scan_run *r, struct fim_entry *e)
{
	struct vg_err err = VG_ERR_INIT;
	fim_names_fill(r->names, e);
	vg_buf_reset(&r->line);
	if (fim_event_format_entry(&r->line, e, FIM_CHECK_ALL, &err) != 0 ||
	    vg_buf_putc(&r->line, '\n') != 0) {
		vg_log_error("%s", err.msg);
		r->failed++;
		return;
	}
	fwrite(r->line.data, 1, r->line.len, stdout);
	if (e->hash_state == FIM_HASH_UNREADABLE)
		r->failed++;
	r->files++;
}

static void scan_drain(struct scan_run *r)
{
	for (struct fim_job *j = fim_pool_take_done(r->pool), *next; j != NULL; j = next) {
		next = j->next;
		if (!j->vanished)
			scan_print(r, &j->entry);
		fim_job_free(j);
	}
}

static int scan_item(void *arg, const struct fim_walk_item *it)
{
	struct scan_run *r = arg;
	struct fim_job *job = fim_job_new(it->path, it->path_len);

	if (it->st != NULL) /* NULL: a regular file the pool will fstat */
		fim_entry_set_stat(&job->entry, it->st);
	if (it->st != NULL && !S_ISREG(it->st->st_mode)) {
		scan_print(r, &job->entry);
		fim_job_free(job);
		return 0;
	}
	job->which = FIM_CHECK_SUM;
	fim_job_open_at(job, it->parent, it->name);
	fim_pool_submit(r->pool, job); /* transferred */
	scan_drain(r);
	return 0;
}

/* Absolute form of arg without trailing slashes; caller frees. */
static char *scan_abs(const char *arg)
{
	char *p;
	if (arg[0] == '/') {
		p = vg_xstrdup(arg);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return NULL;
		p = vg_xasprintf("%s/%s", cwd, arg);
		vg_free(cwd); /* malloc()ed by getcwd */
	}
	for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	return p;
}

static int scan_path(struct scan_run *r, const char *arg, unsigned opts)
{
	struct fim_config cfg;
	struct vg_err err = VG_ERR_INIT;
	char *path = scan_abs(arg);
	int rc;

	if (path == NULL) {
		fprintf(stderr, "vigie scan: %s: %s\n", arg, strerror(errno));
		return 1;
	}
	fim_config_init(&cfg);
	struct fim_dir dir = {path, FIM_CHECK_ALL, opts, FIM_MAX_DEPTH, NULL, NULL, 0, 0};
	rc = fim_walk(&cfg, &dir, path, FIM_WALK_LAZY_STAT, scan_item, r, &err);
	if (rc != 0)
		fprintf(stderr, "vigie scan: %s\n", err.msg);
	fim_config_free(&cfg);
	vg_free(path);
	return rc != 0;
}

int cli_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"follow", no_argument, NULL, 'L'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct scan_run r = {0};
	struct vg_err err = VG_ERR_INIT;
	unsigned jobs = 0, opts = 0;
	int c, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "Lj:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'L':
			opts |= FIM_OPT_FOLLOW_SYMLINK;
			break;
		case 'j':
			jobs = (unsigned)strtoul(optarg, NULL, 10);
			if (jobs == 0 || jobs > 256) {
				fprintf(stderr, "vigie scan: --jobs takes 1 to 256\n");
				return 2;
			}
			break;
		case 'h':
			scan_usage(stdout);
			return 0;
		default:
			scan_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		scan_usage(stderr);
		return 2;
	}
	vg_notify_init(&r.done);
	if (fim_pool_new(jobs, vg_notify_kick, &r.done, &r.pool, &err) != 0) {
		fprintf(stderr, "vigie scan: %s\n", err.msg);
		vg_notify_destroy(&r.done);
		return 1;
	}
	r.names = fim_names_new();
	vg_buf_init(&r.line, 1u << 22);
	for (int i = optind; i < argc; i++)
		status |= scan_path(&r, argv[i], opts);
	while (fim_pool_in_flight(r.pool) > 0) {
		vg_notify_wait(&r.done, UINT64_MAX);
		scan_drain(&r);
	}
	fflush(stdout);
	fim_pool_free(r.pool);
	fim_names_free(r.names);
	vg_buf_free(&r.line);
	vg_notify_destroy(&r.done);
	return status != 0 || r.failed != 0 ? 1 : 0;
}
