/*
 * evoutbox.c - Events through a table of the producer's database (see
 * evoutbox.h).
 */
#include "manager/evoutbox.h"

#include <stdio.h>
#include <time.h>

#include "lib/db.h"
#include "lib/mem.h"
#include "manager/evqueue.h"

/*
 * A new table numbers its rows from the clock in microseconds, not from 1:
 * the queue drops a number it already took from the source, so a producer
 * database created again (lost, deleted) would otherwise have its events
 * dropped until its numbering caught up. An existing table keeps its own.
 */
static char *seed_sql(const char *table)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return vg_xasprintf("INSERT INTO sqlite_sequence (name, seq) SELECT '%s', %lld WHERE NOT "
			    "EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '%s')",
			    table, (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, table);
}

struct mgr_evoutbox {
	sqlite3_stmt *add, *head, *del;
	struct vg_dq *queue;
	const char *source;
	const atomic_bool *stop;
};

int mgr_evoutbox_open(sqlite3 *db, const char *table, struct vg_dq *queue, const char *source,
		      const atomic_bool *stop, struct mgr_evoutbox **out, struct vg_err *err)
{
	struct mgr_evoutbox *ob = vg_xcalloc(1, sizeof(*ob));
	char *ddl = vg_xasprintf("CREATE TABLE IF NOT EXISTS %s (seq INTEGER PRIMARY KEY "
				 "AUTOINCREMENT, location TEXT NOT NULL, line TEXT NOT NULL)",
				 table);
	char *add = vg_xasprintf("INSERT INTO %s (location, line) VALUES (?1, ?2)", table);
	char *head = vg_xasprintf("SELECT seq, location, line FROM %s ORDER BY seq LIMIT %d", table,
				  MGR_EVOUTBOX_BATCH);
	char *del = vg_xasprintf("DELETE FROM %s WHERE seq <= ?1", table);
	char *seed = seed_sql(table);
	int rc = vg_db_exec(db, ddl, "create the event outbox", err);

	*out = NULL;
	ob->queue = queue;
	ob->source = source;
	ob->stop = stop;
	if (rc == 0)
		rc = vg_db_exec(db, seed, "number the event outbox", err);
	if (rc == 0)
		rc = vg_db_prepare(db, add, &ob->add, err);
	if (rc == 0)
		rc = vg_db_prepare(db, head, &ob->head, err);
	if (rc == 0)
		rc = vg_db_prepare(db, del, &ob->del, err);
	vg_free(ddl);
	vg_free(add);
	vg_free(head);
	vg_free(del);
	vg_free(seed);
	if (rc != 0)
		mgr_evoutbox_close(ob);
	else
		*out = ob;
	return rc;
}

void mgr_evoutbox_close(struct mgr_evoutbox *ob)
{
	if (ob == NULL)
		return;
	sqlite3_finalize(ob->add);
	sqlite3_finalize(ob->head);
	sqlite3_finalize(ob->del);
	vg_free(ob);
}

int mgr_evoutbox_add(struct mgr_evoutbox *ob, const char *agent_id, const char *agent_name,
		     const char *agent_ip, const char *loc, const char *line, size_t len,
		     struct vg_err *err)
{
	char location[MGR_EVQUEUE_MAX_LOCATION + 1];
	int n = snprintf(location, sizeof(location), "[%s] (%s) %s->%s", agent_id, agent_name,
			 agent_ip[0] != '\0' ? agent_ip : "any", loc);
	int rc;

	if (n < 0 || (size_t)n >= sizeof(location))
		return vg_err_set(err, VG_ETOOBIG, "agent location too long");
	sqlite3_bind_text(ob->add, 1, location, n, SQLITE_TRANSIENT);
	sqlite3_bind_text(ob->add, 2, line, (int)len, SQLITE_STATIC);
	rc = vg_db_step(ob->add, "store an event", err);
	vg_db_reset(ob->add);
	return rc < 0 ? rc : 0;
}

int mgr_evoutbox_deliver(struct mgr_evoutbox *ob, struct vg_err *err)
{
	uint64_t last = 0;
	int rc = 0;

	while (rc == 0 && (rc = vg_db_step(ob->head, "read the event outbox", err)) == 1) {
		struct mgr_producer p = {ob->queue, ob->source,
					 (const char *)sqlite3_column_text(ob->head, 1), ob->stop};
		uint64_t seq = (uint64_t)sqlite3_column_int64(ob->head, 0);
		rc = mgr_evqueue_append(&p, seq, (const char *)sqlite3_column_text(ob->head, 2),
					(size_t)sqlite3_column_bytes(ob->head, 2), err);
		if (rc == 0)
			last = seq;
	}
	vg_db_reset(ob->head);
	if (rc == 1)
		rc = 0;
	if (last > 0) {
		sqlite3_bind_int64(ob->del, 1, (int64_t)last);
		int drc = vg_db_step(ob->del, "trim the event outbox", err);
		vg_db_reset(ob->del);
		if (rc == 0 && drc < 0)
			rc = drc;
	}
	return rc;
}
