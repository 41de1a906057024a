/*
 * entry.c - Helpers on struct fim_entry, the value shared by every FIM stage.
 */
#include "fim/entry.h"

#include <string.h>

#include "lib/mem.h"

void fim_entry_clear(struct fim_entry *e)
{
	if (e == NULL)
		return;
	vg_free(e->path);
	memset(e, 0, sizeof(*e));
}

void fim_entry_copy(struct fim_entry *dst, const struct fim_entry *src)
{
	*dst = *src;
	dst->path = src->path != NULL ? vg_xstrndup(src->path, src->path_len) : NULL;
}

void fim_entry_set_stat(struct fim_entry *e, const struct stat *st)
{
	e->mode = st->st_mode;
	e->size = (uint64_t)st->st_size;
	e->dev = (uint64_t)st->st_dev;
	e->inode = (uint64_t)st->st_ino;
	e->uid = (uint32_t)st->st_uid;
	e->gid = (uint32_t)st->st_gid;
	e->mtime = (int64_t)st->st_mtim.tv_sec;
	e->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	e->ctime = (int64_t)st->st_ctim.tv_sec;
	e->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

int fim_entry_content_may_differ(const struct fim_entry *old, const struct fim_entry *now)
{
	return old->size != now->size || old->mtime != now->mtime ||
	       old->mtime_ns != now->mtime_ns || old->ctime != now->ctime ||
	       old->ctime_ns != now->ctime_ns || old->inode != now->inode || old->dev != now->dev ||
	       (old->mode & S_IFMT) != (now->mode & S_IFMT);
}

void fim_entry_perm_string(mode_t mode, char buf[10])
{
	static const char rwx[] = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		buf[i] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
	/* setuid, setgid and sticky as ls shows them */
	if (mode & S_ISUID)
		buf[2] = (mode & S_IXUSR) ? 's' : 'S';
	if (mode & S_ISGID)
		buf[5] = (mode & S_IXGRP) ? 's' : 'S';
	if (mode & S_ISVTX)
		buf[8] = (mode & S_IXOTH) ? 't' : 'T';
	buf[9] = '\0';
}

const char *fim_entry_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symlink";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character-device";
	case S_IFBLK:
		return "block-device";
	default:
		return "unknown";
	}
}
