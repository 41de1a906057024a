/*
 * cmdq.c - The durable command queue and the quarantine view (see cmdq.h).
 */
#include "manager/cmdq.h"

#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/db.h"
#include "lib/fs.h"
#include "lib/mem.h"
#include "lib/str.h"

static const char schema[] =
    "CREATE TABLE commands(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL,"
    " state TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, json TEXT NOT NULL, result TEXT);"
    "CREATE INDEX commands_state ON commands(state, id);"
    "CREATE TABLE position(k INTEGER PRIMARY KEY CHECK (k = 1), row INTEGER NOT NULL);"
    "INSERT INTO position VALUES (1, 0);"
    "CREATE TABLE quarantine(agent_id TEXT NOT NULL, qid TEXT NOT NULL, state TEXT NOT NULL,"
    " path TEXT, manifest TEXT NOT NULL, updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY (agent_id, qid));";

enum {
	ST_ADD,
	ST_SET,
	ST_GET,
	ST_QUEUED,
	ST_EXPIRED,
	ST_POS,
	ST_SETPOS,
	ST_QPUT,
	ST_QLIST,
	ST_QSTATE,
	ST_N
};

static const char *const sql[ST_N] = {
    [ST_ADD] = "INSERT INTO commands (id, agent_id, state, created_ms, expires_ms, updated_ms,"
	       " json) VALUES (max(?1, coalesce((SELECT max(id) FROM commands), 0) + 1),"
	       " ?2, 'queued', ?3, ?4, ?3, ?5) RETURNING id",
    [ST_SET] = "UPDATE commands SET state = ?2, result = coalesce(?3, result), updated_ms = ?4"
	       " WHERE id = ?1 AND (state IN ('queued', 'taken')"
	       " OR (state <> 'expired' AND ?2 IN ('done', 'refused', 'failed'))) RETURNING id",
    [ST_GET] = "SELECT id, agent_id, state, created_ms, expires_ms, updated_ms, json, result"
	       " FROM commands WHERE id = ?1",
    [ST_QUEUED] = "SELECT id, agent_id, state, created_ms, expires_ms, updated_ms, json, result"
		  " FROM commands WHERE state = 'queued' AND id > ?1 ORDER BY id LIMIT ?2",
    [ST_EXPIRED] = "SELECT id, agent_id, state, created_ms, expires_ms, updated_ms, json, result"
		   " FROM commands WHERE state = 'queued' AND expires_ms > 0 AND expires_ms < ?1"
		   " ORDER BY id LIMIT ?2",
    [ST_POS] = "SELECT row FROM position WHERE k = 1",
    [ST_SETPOS] = "UPDATE position SET row = ?1 WHERE k = 1",
    [ST_QPUT] = "INSERT INTO quarantine VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (agent_id, qid) DO UPDATE SET state = ?3,"
		" path = coalesce(?4, path), manifest = ?5, updated_ms = ?6",
    [ST_QLIST] = "SELECT agent_id, qid, state, path, manifest, updated_ms FROM quarantine"
		 " WHERE (?1 IS NULL OR agent_id = ?1) AND (?2 IS NULL OR state = ?2)"
		 " ORDER BY updated_ms DESC, qid DESC",
    [ST_QSTATE] = "SELECT state FROM quarantine WHERE agent_id = ?1 AND qid = ?2",
};

struct cmdq {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
	char *got_json, *got_result; /* cmdq_get's strings, until the next call */
};

static int64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int cmdq_open(const char *home, bool readonly, struct cmdq **out, struct vg_err *err)
{
	struct cmdq *q = vg_xcalloc(1, sizeof(*q));
	struct vg_db_opts o = VG_DB_OPTS_INIT;
	char *path = vg_xasprintf("%s/%s", home, CMDQ_DB);
	int rc;

	*out = NULL;
	o.readonly = readonly;
	o.what = "command queue";
	rc = vg_db_open(path, &o, &q->db, err);
	if (rc == 0 && !readonly)
		rc = vg_db_schema(q->db, schema, 1, err);
	if (rc == 0)
		rc = vg_db_prepare_all(q->db, sql, ST_N, q->st, err);
	vg_free(path);
	if (rc != 0)
		cmdq_close(q);
	else
		*out = q;
	return rc;
}

void cmdq_close(struct cmdq *q)
{
	if (q == NULL)
		return;
	vg_db_finalize_all(q->st, ST_N);
	vg_db_close(q->db);
	vg_free(q->got_json);
	vg_free(q->got_result);
	vg_free(q);
}

sqlite3 *cmdq_db(struct cmdq *q)
{
	return q->db;
}

/* Step a statement expected to return one row; VG_ENOTFOUND when none. */
static int one_row(sqlite3_stmt *st, const char *what, struct vg_err *err)
{
	int rc = vg_db_step(st, what, err);

	if (rc == 0)
		return vg_err_set(err, VG_ENOTFOUND, "%s: no such command", what);
	return rc == 1 ? 0 : rc;
}

int cmdq_add(struct cmdq *q, const char *agent_id, const char *json, int64_t now_ms,
	     int64_t expires_ms, uint64_t *id, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_ADD];
	int rc;

	sqlite3_bind_int64(st, 1, clock_us());
	sqlite3_bind_text(st, 2, agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, expires_ms);
	sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
	rc = one_row(st, "queue a command", err);
	if (rc == 0)
		*id = (uint64_t)sqlite3_column_int64(st, 0);
	vg_db_reset(st);
	return rc;
}

int cmdq_set_state(struct cmdq *q, uint64_t id, const char *state, const char *result,
		   int64_t now_ms, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_SET];
	int rc;

	sqlite3_bind_int64(st, 1, (int64_t)id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	if (result != NULL)
		sqlite3_bind_text(st, 3, result, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms);
	rc = vg_db_step(st, "update a command", err);
	vg_db_reset(st);
	return rc < 0 ? rc : 0; /* no row: unknown, or reported already: nothing to do */
}

static void read_row(sqlite3_stmt *st, struct cmdq_row *r)
{
	r->id = (uint64_t)sqlite3_column_int64(st, 0);
	vg_strlcpy(r->agent_id, (const char *)sqlite3_column_text(st, 1), sizeof(r->agent_id));
	vg_strlcpy(r->state, (const char *)sqlite3_column_text(st, 2), sizeof(r->state));
	r->created_ms = sqlite3_column_int64(st, 3);
	r->expires_ms = sqlite3_column_int64(st, 4);
	r->updated_ms = sqlite3_column_int64(st, 5);
	r->json = (const char *)sqlite3_column_text(st, 6);
	r->result = (const char *)sqlite3_column_text(st, 7);
}

int cmdq_get(struct cmdq *q, uint64_t id, struct cmdq_row *out, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_GET];
	int rc;

	vg_free(q->got_json);
	vg_free(q->got_result);
	q->got_json = q->got_result = NULL;
	sqlite3_bind_int64(st, 1, (int64_t)id);
	rc = vg_db_step(st, "read a command", err);
	if (rc == 1) {
		/* Copied, and the statement reset: a statement left on its row
		 * keeps the connection's read transaction open, and a reader
		 * would see that old snapshot in every later call. */
		read_row(st, out);
		q->got_json = vg_xstrdup(out->json);
		q->got_result = out->result != NULL ? vg_xstrdup(out->result) : NULL;
		out->json = q->got_json;
		out->result = q->got_result;
		vg_db_reset(st);
		return 0;
	}
	return rc == 0 ? vg_err_set(err, VG_ENOTFOUND, "no command %llu", (unsigned long long)id)
		       : rc;
}

static int each_row(sqlite3_stmt *st, const char *what, cmdq_row_fn fn, void *ctx,
		    struct vg_err *err)
{
	struct cmdq_row r;
	int rc;

	while ((rc = vg_db_step(st, what, err)) == 1) {
		read_row(st, &r);
		if (fn(ctx, &r) != 0) {
			rc = 0;
			break;
		}
	}
	vg_db_reset(st);
	return rc;
}

int cmdq_queued(struct cmdq *q, uint64_t after_id, int max, cmdq_row_fn fn, void *ctx,
		struct vg_err *err)
{
	sqlite3_bind_int64(q->st[ST_QUEUED], 1, (int64_t)after_id);
	sqlite3_bind_int(q->st[ST_QUEUED], 2, max);
	return each_row(q->st[ST_QUEUED], "read the queued commands", fn, ctx, err);
}

int cmdq_expired(struct cmdq *q, int64_t now_ms, int max, cmdq_row_fn fn, void *ctx,
		 struct vg_err *err)
{
	sqlite3_bind_int64(q->st[ST_EXPIRED], 1, now_ms);
	sqlite3_bind_int(q->st[ST_EXPIRED], 2, max);
	return each_row(q->st[ST_EXPIRED], "read the expired commands", fn, ctx, err);
}

int cmdq_position(struct cmdq *q, int64_t *row, struct vg_err *err)
{
	int rc = one_row(q->st[ST_POS], "read the responder's position", err);

	if (rc == 0)
		*row = sqlite3_column_int64(q->st[ST_POS], 0);
	vg_db_reset(q->st[ST_POS]);
	return rc;
}

int cmdq_set_position(struct cmdq *q, int64_t row, struct vg_err *err)
{
	int rc;

	sqlite3_bind_int64(q->st[ST_SETPOS], 1, row);
	rc = vg_db_step(q->st[ST_SETPOS], "save the responder's position", err);
	return rc < 0 ? rc : 0;
}

int cmdq_quarantine_put(struct cmdq *q, const char *agent_id, const char *qid, const char *state,
			const char *path, const char *manifest, int64_t now_ms, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_QPUT];
	int rc;

	sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, qid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	if (path != NULL)
		sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, manifest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	rc = vg_db_step(st, "update the quarantine view", err);
	return rc < 0 ? rc : 0;
}

int cmdq_quarantine_op(struct cmdq *q, const char *agent_id, const char *op, const char *qid,
		       bool force, int64_t now_ms, int64_t expires_ms, uint64_t *id,
		       struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_QSTATE];
	char state[CMDQ_STATE_MAX] = "";
	json_t *cmd;
	char *text;
	int rc;

	sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, qid, -1, SQLITE_STATIC);
	rc = vg_db_step(st, "read the quarantine view", err);
	if (rc == 1)
		vg_strlcpy(state, (const char *)sqlite3_column_text(st, 0), sizeof(state));
	vg_db_reset(st);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return vg_err_set(err, VG_ENOTFOUND,
				  "agent %s has no quarantined file %s in the manager's view (it "
				  "follows the agent's reports)",
				  agent_id, qid);
	if (strcmp(state, "quarantined") != 0)
		return vg_err_set(err, VG_EPERM,
				  "agent %s reported %s as %s already: nothing to %s", agent_id,
				  qid, state, op);
	cmd = json_pack("{s:s, s:s, s:s, s:b}", "type", "quarantine", "op", op, "qid", qid, "force",
			force);
	text = json_dumps(cmd, JSON_COMPACT);
	rc = text != NULL ? cmdq_add(q, agent_id, text, now_ms, expires_ms, id, err)
			  : vg_err_set(err, VG_EINTERNAL, "cannot build the command");
	vg_free(text);
	json_decref(cmd);
	return rc;
}

int cmdq_quarantine_list(struct cmdq *q, const char *agent_id, const char *state, cmdq_qrow_fn fn,
			 void *ctx, struct vg_err *err)
{
	sqlite3_stmt *st = q->st[ST_QLIST];
	int rc;

	if (agent_id != NULL)
		sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	if (state != NULL)
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	while ((rc = vg_db_step(st, "read the quarantine view", err)) == 1) {
		struct cmdq_qrow r = {(const char *)sqlite3_column_text(st, 0),
				      (const char *)sqlite3_column_text(st, 1),
				      (const char *)sqlite3_column_text(st, 2),
				      (const char *)sqlite3_column_text(st, 3),
				      (const char *)sqlite3_column_text(st, 4),
				      sqlite3_column_int64(st, 5)};
		if (fn(ctx, &r) != 0) {
			rc = 0;
			break;
		}
	}
	vg_db_reset(st);
	return rc;
}
