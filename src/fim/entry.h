/*
 * entry.h - What FIM knows about one file: its attributes and digests.
 *
 * A plain value type shared by the scanner, hasher, baseline and event
 * builder. The path is owned by the entry (fim_entry_clear frees it).
 */
#ifndef FIM_ENTRY_H
#define FIM_ENTRY_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fim/hash.h"

/* Why the digests of an entry are what they are. */
enum fim_hash_state {
	FIM_HASH_NONE = 0,   /* not computed: no hash check, or not a regular file */
	FIM_HASH_OK,         /* md5/sha1/sha256 hold the file's digests */
	FIM_HASH_TOO_BIG,    /* size above file_max_size: explicitly not hashed */
	FIM_HASH_UNREADABLE, /* open or read failed */
};

#define FIM_NAME_MAX 64 /* user and group names longer than this are cut */

struct fim_entry {
	char *path;
	size_t path_len;
	mode_t mode; /* type and permission bits, from lstat */
	uint64_t size;
	uint64_t dev;
	uint64_t inode;
	uint32_t uid;
	uint32_t gid;
	char user_name[FIM_NAME_MAX];
	char group_name[FIM_NAME_MAX];
	int64_t mtime;    /* seconds */
	int64_t mtime_ns; /* nanoseconds part: content-change detection */
	int64_t ctime;
	int64_t ctime_ns;
	enum fim_hash_state hash_state;
	struct fim_digests digests;
};

/* Free the path and zero the entry. NULL is allowed. */
void fim_entry_clear(struct fim_entry *e);

/* Deep copy of src into dst (dst is overwritten, not freed first). */
void fim_entry_copy(struct fim_entry *dst, const struct fim_entry *src);

/* Fill the attributes (not path, names or digests) from a struct stat. */
void fim_entry_set_stat(struct fim_entry *e, const struct stat *st);

/*
 * True when the content may differ between old and now: size, mtime, ctime,
 * inode or device changed. Unchanged files are not re-read on rescans.
 */
int fim_entry_content_may_differ(const struct fim_entry *old, const struct fim_entry *now);

/* Wazuh's "rw-r--r--" for the permission bits of mode (buf >= 10 bytes). */
void fim_entry_perm_string(mode_t mode, char buf[10]);

/* Wazuh's attributes.type: "file", "directory", "symlink", ... */
const char *fim_entry_type_name(mode_t mode);

#endif
