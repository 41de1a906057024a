/*
 * dbckpt.c - WAL checkpoints of a database on a thread of their own.
 *
 * SQLite checkpoints in the thread that commits: the commit that takes the
 * WAL past wal_autocheckpoint pages copies the whole WAL into the database
 * file and syncs it, so every few commits one costs tens of milliseconds of
 * the writer's time (the alert store at full load: ~10% of the analysis
 * thread). Here the writer's connection gets a WAL hook instead: after a
 * commit that leaves the WAL at `pages` frames or more, the hook wakes the
 * checkpointer, which runs a PASSIVE checkpoint on a connection of its own
 * while the writer goes on with its next batch.
 *
 * SQLite starts the WAL over only when a write transaction begins after
 * every frame was copied back. A writer that never pauses may always begin
 * before the checkpointer is done, and its WAL would grow without end. So
 * once the WAL reaches twice `pages`, the hook (on the writer's thread,
 * after its commit, with the locks released) waits until a checkpoint that
 * started after that commit has finished: the writer's next transaction
 * then starts the WAL over. The wait is the copy of what the previous
 * checkpoint did not reach, about one batch.
 */
#include "lib/dbckpt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"

struct vg_db_ckpt {
	sqlite3 *writer;
	sqlite3 *db; /* the checkpointer's own connection */
	int pages;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t asked; /* checkpoints asked for, numbered from 1 */
	uint64_t done;  /* every ask up to this one was served by a finished run */
	unsigned long runs;
	bool stop;
};

/* On the writer's thread, after each commit (sqlite3_wal_hook). */
static int ckpt_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct vg_db_ckpt *c = ctx;
	uint64_t ticket;

	(void)db;
	(void)name;
	if (frames < c->pages)
		return SQLITE_OK;
	pthread_mutex_lock(&c->lock);
	ticket = ++c->asked;
	pthread_cond_broadcast(&c->cond);
	while (frames >= 2 * c->pages && c->done < ticket && !c->stop)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return SQLITE_OK;
}

static void ckpt_run(struct vg_db_ckpt *c)
{
	struct vg_err err = VG_ERR_INIT;
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* BUSY: another connection checkpoints right now; the next ask retries */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		(void)vg_db_fail(c->db, rc, "checkpointing the WAL", &err);
		vg_log_warn("%s", err.msg);
	}
}

static void *ckpt_main(void *arg)
{
	struct vg_db_ckpt *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (c->done == c->asked && !c->stop)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stop)
			break;
		uint64_t upto = c->asked; /* the asks this run serves: all made before it */
		pthread_mutex_unlock(&c->lock);
		ckpt_run(c);
		pthread_mutex_lock(&c->lock);
		c->done = upto;
		c->runs++;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int vg_db_ckpt_start(sqlite3 *writer, const char *path, const struct vg_db_opts *o, int pages,
		     struct vg_db_ckpt **out, struct vg_err *err)
{
	struct vg_db_ckpt *c = vg_xcalloc(1, sizeof(*c));
	struct vg_db_opts co = *o;
	int rc;

	*out = NULL;
	co.cache_kib = 0; /* it reads the WAL and writes the file: no cache to keep */
	rc = vg_db_open(path, &co, &c->db, err);
	if (rc != 0) {
		vg_free(c);
		return rc;
	}
	c->writer = writer;
	c->pages = pages > 0 ? pages : 1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if ((rc = pthread_create(&c->thread, NULL, ckpt_main, c)) != 0) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		vg_db_close(c->db);
		vg_free(c);
		return vg_err_set(err, VG_EINTERNAL, "%s: starting the checkpointer: %s",
				  o->what != NULL ? o->what : "database", strerror(rc));
	}
	sqlite3_wal_hook(writer, ckpt_hook, c);
	*out = c;
	return 0;
}

void vg_db_ckpt_stop(struct vg_db_ckpt *c)
{
	if (c == NULL)
		return;
	sqlite3_wal_hook(c->writer, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	vg_db_close(c->db);
	vg_free(c);
}

unsigned long vg_db_ckpt_runs(struct vg_db_ckpt *c)
{
	unsigned long n;

	pthread_mutex_lock(&c->lock);
	n = c->runs;
	pthread_mutex_unlock(&c->lock);
	return n;
}
