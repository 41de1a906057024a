/*
 * config.h - The <syscheck> section: Wazuh 4.x names, defaults, validation.
 *
 * struct fim_config is a plain, read-only snapshot once loaded: the engine
 * and the watcher read it from any thread. It is public because it is data,
 * not behaviour. Defaults follow reference/wazuh-4x-internals.md §1, except
 * max_eps (0: Vigie's outbox is durable, so it does not throttle).
 */
#ifndef FIM_CONFIG_H
#define FIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "lib/osmatch.h"

/* What to compare and report for a file (check_* attributes). */
enum fim_check {
	FIM_CHECK_MD5 = 1u << 0,
	FIM_CHECK_SHA1 = 1u << 1,
	FIM_CHECK_SHA256 = 1u << 2,
	FIM_CHECK_SIZE = 1u << 3,
	FIM_CHECK_OWNER = 1u << 4, /* uid and user_name */
	FIM_CHECK_GROUP = 1u << 5, /* gid and group_name */
	FIM_CHECK_PERM = 1u << 6,
	FIM_CHECK_MTIME = 1u << 7,
	FIM_CHECK_INODE = 1u << 8,
};
#define FIM_CHECK_SUM (FIM_CHECK_MD5 | FIM_CHECK_SHA1 | FIM_CHECK_SHA256)
#define FIM_CHECK_ALL                                                                              \
	(FIM_CHECK_SUM | FIM_CHECK_SIZE | FIM_CHECK_OWNER | FIM_CHECK_GROUP | FIM_CHECK_PERM |     \
	 FIM_CHECK_MTIME | FIM_CHECK_INODE)

/* Monitoring options of a <directories> entry. */
enum fim_dir_opt {
	FIM_OPT_REALTIME = 1u << 0,
	/*
	 * Accepted; runs as realtime for now. whodata="yes" sets both bits, so
	 * a watcher tests FIM_OPT_REALTIME and the event's mode reads
	 * "whodata" when this bit is set (Wazuh: whodata wins over realtime).
	 */
	FIM_OPT_WHODATA = 1u << 1,
	FIM_OPT_REPORT_CHANGES = 1u << 2,
	FIM_OPT_FOLLOW_SYMLINK = 1u << 3,
};

#define FIM_MAX_DEPTH 320
#define FIM_DEFAULT_DEPTH 256

struct fim_dir {
	char *path;                     /* absolute, no trailing '/' (except "/") */
	unsigned checks;                /* enum fim_check */
	unsigned opts;                  /* enum fim_dir_opt */
	int recursion_level;            /* FIM_DEFAULT_DEPTH unless set */
	struct vg_osmatch *restrict_re; /* NULL = no restriction */
	char *tags;                     /* NULL or "a,b" */
	uint64_t diff_size_limit;       /* bytes; 0 = the global default */
	long line;                      /* where it was configured, for messages */
};

struct fim_ignore {
	char *prefix;              /* case-insensitive path prefix, or NULL */
	struct vg_osmatch *sregex; /* or an OSMatch pattern */
};

enum fim_realtime_backend {
	FIM_RT_AUTO = 0, /* fanotify where the kernel allows it, else inotify */
	FIM_RT_FANOTIFY,
	FIM_RT_INOTIFY,
};

struct fim_config {
	bool disabled;
	bool disabled_explicit; /* a <disabled> was seen: later blocks keep it */
	struct fim_dir *dirs;
	size_t ndirs;
	struct fim_ignore *ignores;
	size_t nignores;
	uint64_t frequency; /* seconds; 43200 */
	int scan_time;      /* seconds after midnight, -1 = unset */
	unsigned scan_days; /* bit 0 = Sunday .. bit 6 = Saturday; 0 = unset */
	bool scan_on_start; /* yes */
	bool skip_nfs, skip_dev, skip_sys, skip_proc; /* all yes */
	uint64_t max_files_per_second;                /* 0 = unlimited */
	uint64_t file_limit;                          /* 100000; 0 = unlimited */
	int process_priority;                         /* 10 */
	uint64_t max_eps;                             /* 0 = unthrottled (Vigie's default) */
	uint64_t file_max_size;   /* bytes; 1 GiB. Larger files are reported unhashed */
	uint64_t diff_size_limit; /* bytes; 50 MiB */
	bool full_rehash;         /* Vigie: re-read unchanged files on every scan */
	enum fim_realtime_backend realtime_backend; /* Vigie: <realtime_backend> */
	unsigned hash_workers;                      /* Vigie: 0 = one per core */
};

/* Fill cfg with Wazuh's defaults (no directories, disabled until parsed). */
void fim_config_init(struct fim_config *cfg);

/*
 * vg_conf section handler for <syscheck>; ctx is a struct fim_config *
 * initialised with fim_config_init(). Several <syscheck> blocks accumulate,
 * as in Wazuh.
 */
int fim_config_parse(void *ctx, const struct vg_conf_node *node, struct vg_err *err);

/* Release everything cfg owns; cfg can be reused after fim_config_init(). */
void fim_config_free(struct fim_config *cfg);

/* True when path matches an <ignore> entry. */
bool fim_config_ignored(const struct fim_config *cfg, const char *path);

/*
 * The configured directory that governs path (the longest configured prefix
 * at a directory boundary), or NULL. Sets *depth to the number of path
 * components below that directory.
 */
const struct fim_dir *fim_config_dir_for(const struct fim_config *cfg, const char *path,
					 int *depth);

#endif
