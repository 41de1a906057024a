/*
 * logship.c - Shipping active-responses.log lines durably (see logship.h).
 *
 * The file is read with pread from the saved offset in chunks; only
 * complete lines are shipped, so a line a writer is still appending waits
 * for the next run. The position is saved after each chunk.
 */
#include "ar/logship.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ar/arlog.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define CHUNK (256u * 1024u)

static const char ddl[] = "CREATE TABLE IF NOT EXISTS ar_logship("
			  " k INTEGER PRIMARY KEY CHECK (k = 1),"
			  " inode INTEGER NOT NULL, offset INTEGER NOT NULL, seq INTEGER NOT NULL);"
			  "INSERT OR IGNORE INTO ar_logship VALUES (1, 0, 0, 0);";

struct ar_logship {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	char *path;
	ar_emit_fn emit;
	void *ctx;
	uint64_t inode, offset, seq; /* the saved position */
	char *chunk;                 /* CHUNK + AR_LOG_LINE_MAX bytes */
	size_t have;                 /* bytes in chunk not shipped yet */
	int skipping;                /* inside an oversized line */
};

int ar_logship_open(sqlite3 *db, const char *home, ar_emit_fn emit, void *ctx,
		    struct ar_logship **out, struct vg_err *err)
{
	struct ar_logship *ls = vg_xcalloc(1, sizeof(*ls));
	int rc;

	*out = NULL;
	ls->db = db;
	ls->emit = emit;
	ls->ctx = ctx;
	ls->path = vg_xasprintf("%s/%s", home, AR_LOG_FILE);
	ls->chunk = vg_xmalloc(CHUNK + AR_LOG_LINE_MAX);
	rc = vg_db_exec(db, ddl, "create the log shipping table", err);
	if (rc == 0)
		rc = vg_db_prepare(db, "SELECT inode, offset, seq FROM ar_logship WHERE k = 1",
				   &ls->get, err);
	if (rc == 0)
		rc = vg_db_prepare(
		    db, "UPDATE ar_logship SET inode = ?, offset = ?, seq = ? WHERE k = 1",
		    &ls->put, err);
	if (rc == 0 && (rc = vg_db_step(ls->get, "read the log position", err)) == 1) {
		ls->inode = (uint64_t)sqlite3_column_int64(ls->get, 0);
		ls->offset = (uint64_t)sqlite3_column_int64(ls->get, 1);
		ls->seq = (uint64_t)sqlite3_column_int64(ls->get, 2);
		vg_db_reset(ls->get);
		rc = 0;
	} else if (rc == 0) {
		rc = vg_err_set(err, VG_EINTERNAL, "the log position row is missing");
	}
	if (rc != 0) {
		ar_logship_close(ls);
		return rc;
	}
	*out = ls;
	return 0;
}

static int save(struct ar_logship *ls, struct vg_err *err)
{
	sqlite3_bind_int64(ls->put, 1, (sqlite3_int64)ls->inode);
	sqlite3_bind_int64(ls->put, 2, (sqlite3_int64)ls->offset);
	sqlite3_bind_int64(ls->put, 3, (sqlite3_int64)ls->seq);
	return vg_db_step(ls->put, "save the log position", err);
}

/* Ship the complete lines of chunk[0..have); keep the rest. *stop when emit refused. */
static void ship_lines(struct ar_logship *ls, int *stop)
{
	size_t at = 0;
	char *nl;

	while (at < ls->have && (nl = memchr(ls->chunk + at, '\n', ls->have - at)) != NULL) {
		size_t len = (size_t)(nl - (ls->chunk + at));
		/* a line that reached the buffer whole can still be over the cap:
		 * the buffer holds CHUNK more than a line */
		int skip = ls->skipping || len == 0 || len >= AR_LOG_LINE_MAX;
		if (!ls->skipping && len >= AR_LOG_LINE_MAX)
			vg_log_warn("%s: a line over %u bytes is skipped", ls->path,
				    AR_LOG_LINE_MAX);
		if (!skip && ls->emit(ls->ctx, ls->seq + 1, ls->path, ls->chunk + at, len) < 0) {
			*stop = 1;
			break;
		}
		if (!skip)
			ls->seq++;
		ls->skipping = 0;
		at += len + 1;
		ls->offset += len + 1;
	}
	if (*stop == 0 && at == 0 && ls->have >= AR_LOG_LINE_MAX) {
		vg_log_warn("%s: a line over %u bytes is skipped", ls->path, AR_LOG_LINE_MAX);
		ls->offset += ls->have;
		ls->skipping = 1;
		at = ls->have;
	}
	memmove(ls->chunk, ls->chunk + at, ls->have - at);
	ls->have -= at;
}

/*
 * The saved offset is after a newline except inside an oversized line
 * (skipping, which is not saved): after a restart there, skip to its end
 * rather than ship its tail as a line.
 */
static void resume_skip(struct ar_logship *ls, int fd)
{
	char c;

	if (ls->offset > 0 && !ls->skipping && pread(fd, &c, 1, (off_t)ls->offset - 1) == 1 &&
	    c != '\n')
		ls->skipping = 1;
}

/* Where to start in the file behind fd: its start when it is a new file. */
static void settle_position(struct ar_logship *ls, const struct stat *st)
{
	if ((uint64_t)st->st_ino == ls->inode && (uint64_t)st->st_size >= ls->offset)
		return;
	if (ls->inode != 0)
		vg_log_info("%s was replaced: reading the new file from its start", ls->path);
	ls->inode = (uint64_t)st->st_ino;
	ls->offset = 0;
	ls->have = 0;
	ls->skipping = 0;
}

int ar_logship_run(struct ar_logship *ls, int *behind, struct vg_err *err)
{
	struct stat st;
	int fd = open(ls->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = 0, stop = 0;

	*behind = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : vg_err_errno(err, errno, "cannot open %s", ls->path);
	if (fstat(fd, &st) != 0) {
		rc = vg_err_errno(err, errno, "cannot stat %s", ls->path);
		goto out;
	}
	settle_position(ls, &st);
	resume_skip(ls, fd);
	for (;;) {
		ssize_t n = pread(fd, ls->chunk + ls->have, CHUNK, (off_t)(ls->offset + ls->have));
		if (n < 0) {
			rc = vg_err_errno(err, errno, "cannot read %s", ls->path);
			break;
		}
		ls->have += (size_t)n;
		ship_lines(ls, &stop);
		if ((rc = save(ls, err)) != 0 || stop || n == 0)
			break;
	}
	ls->have = 0; /* a partial line is read again from the offset next time */
	*behind = stop;
out:
	close(fd);
	return rc;
}

const char *ar_logship_path(const struct ar_logship *ls)
{
	return ls->path;
}

void ar_logship_close(struct ar_logship *ls)
{
	if (ls == NULL)
		return;
	sqlite3_finalize(ls->get);
	sqlite3_finalize(ls->put);
	vg_free(ls->chunk);
	vg_free(ls->path);
	vg_free(ls);
}
