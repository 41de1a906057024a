/*
 * registry.c - The agent registry in SQLite (see registry.h).
 *
 * Tables:
 *   agent       one row per enrolled agent; id is the number behind "001"
 *               (INTEGER PRIMARY KEY), name is UNIQUE; last_keepalive is
 *               NULL until the first keepalive (never_connected).
 *   id_counter  the last id handed out. Ids come from here, not from
 *               MAX(id) + 1, so a removed agent's id is never reused.
 *   cert        serial (normalized hex) -> agent, for the certificates
 *               issued and not revoked.
 *   revoked     every serial ever revoked; rows are never deleted, so a
 *               removed agent's certificate is refused forever.
 *
 * Every change that touches more than one row runs in one transaction
 * (BEGIN IMMEDIATE: the writer lock is taken first, so two writers -- the
 * manager and `vigie agents remove` -- take turns under the busy timeout).
 * The DML is in the subset SQLite and PostgreSQL share (ON CONFLICT,
 * RETURNING, COALESCE, no SQLite-only functions); times are epoch seconds
 * computed here, not by SQL, so the clock can be injected in tests.
 *
 * Single-threaded per handle: statements are prepared once per handle.
 */
#include "manager/registry.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/db.h"
#include "lib/client_conf.h"
#include "lib/hostname.h"
#include "lib/mem.h"
#include "lib/str.h"

#define REG_SCHEMA_VERSION 1
#define REG_MANAGER_IP "127.0.0.1" /* agent 000's address, as in Wazuh */
#define REG_ESC_MAX 160            /* an escaped bad value in a message */

static const char reg_schema[] =
    "CREATE TABLE agent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " ip TEXT NOT NULL, groups TEXT NOT NULL, version TEXT NOT NULL,"
    " config_sum TEXT NOT NULL, enrolled INTEGER NOT NULL, last_keepalive INTEGER);"
    "CREATE TABLE id_counter (name TEXT NOT NULL PRIMARY KEY, last_id INTEGER NOT NULL);"
    "INSERT INTO id_counter (name, last_id) VALUES ('agent', 0);"
    "CREATE TABLE cert (serial TEXT NOT NULL PRIMARY KEY, agent_id INTEGER NOT NULL);"
    "CREATE INDEX cert_agent ON cert (agent_id);"
    "CREATE TABLE revoked (serial TEXT NOT NULL PRIMARY KEY, agent_id INTEGER NOT NULL,"
    " revoked_at INTEGER NOT NULL);";

#define REG_COLS "id, name, ip, groups, version, config_sum, enrolled, last_keepalive"

enum reg_stmt {
	RS_SELF_ADD,
	RS_SELF_SET,
	RS_NEXT_ID,
	RS_ADD,
	RS_BY_ID,
	RS_BY_NAME,
	RS_ALL,
	RS_DEL,
	RS_REVOKE_AGENT,
	RS_CERTS_DEL,
	RS_CERT_ADD,
	RS_CERT_GET,
	RS_CERT_DEL,
	RS_REVOKE,
	RS_REVOKED,
	RS_KEEPALIVE,
	RS_N,
};

static const char *const reg_sql[RS_N] = {
    [RS_SELF_ADD] = "INSERT INTO agent (" REG_COLS ") VALUES (0, ?1, '" REG_MANAGER_IP
		    "', '', ?2, '', ?3, NULL) ON CONFLICT DO NOTHING",
    /* follow the host's name unless an agent already holds it */
    [RS_SELF_SET] = "UPDATE agent SET version = ?2, name = CASE WHEN EXISTS (SELECT 1 FROM "
		    "agent a WHERE a.name = ?1 AND a.id <> 0) THEN name ELSE ?1 END WHERE id = 0",
    [RS_NEXT_ID] = "UPDATE id_counter SET last_id = last_id + 1 WHERE name = 'agent' "
		   "RETURNING last_id",
    [RS_ADD] = "INSERT INTO agent (" REG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, NULL)",
    [RS_BY_ID] = "SELECT " REG_COLS " FROM agent WHERE id = ?1",
    [RS_BY_NAME] = "SELECT " REG_COLS " FROM agent WHERE name = ?1",
    [RS_ALL] = "SELECT " REG_COLS " FROM agent ORDER BY id",
    [RS_DEL] = "DELETE FROM agent WHERE id = ?1",
    [RS_REVOKE_AGENT] =
	"INSERT INTO revoked (serial, agent_id, revoked_at) SELECT serial, "
	"agent_id, ?2 FROM cert WHERE agent_id = ?1 ON CONFLICT (serial) DO NOTHING",
    [RS_CERTS_DEL] = "DELETE FROM cert WHERE agent_id = ?1",
    [RS_CERT_ADD] = "INSERT INTO cert (serial, agent_id) VALUES (?1, ?2) "
		    "ON CONFLICT (serial) DO NOTHING",
    [RS_CERT_GET] = "SELECT agent_id FROM cert WHERE serial = ?1",
    [RS_CERT_DEL] = "DELETE FROM cert WHERE serial = ?1",
    [RS_REVOKE] = "INSERT INTO revoked (serial, agent_id, revoked_at) VALUES (?1, ?2, ?3) "
		  "ON CONFLICT (serial) DO NOTHING",
    [RS_REVOKED] = "SELECT 1 FROM revoked WHERE serial = ?1",
    [RS_KEEPALIVE] = "UPDATE agent SET version = ?2, config_sum = ?3, ip = COALESCE(?4, ip), "
		     "last_keepalive = ?5 WHERE id = ?1",
};

struct reg {
	sqlite3 *db;
	sqlite3_stmt *st[RS_N];
	bool readonly;
	int64_t disconnect_s;
	int64_t (*now)(void *ctx);
	void *now_ctx;
};

/* ---- Validation ------------------------------------------------------------------- */

/* The bad value, escaped and cut, for a message. */
static const char *reg_esc(char *dst, size_t dstsz, const char *s)
{
	return vg_escape(dst, dstsz, s, strnlen(s, REG_GROUPS_MAX + 1));
}

int reg_check_name(const char *name, struct vg_err *err)
{
	char esc[REG_ESC_MAX];
	size_t n = strnlen(name, REG_NAME_MAX + 1);

	/* the agent's own rule for <agent_name>: Wazuh's 2..128 of [A-Za-z0-9._-] */
	if (n > REG_NAME_MAX || !vg_client_valid_agent_name(name))
		return vg_err_set(err, VG_EPARSE,
				  "agent name '%s': 2 to %d letters, digits, '.', '_' or '-'",
				  reg_esc(esc, sizeof(esc), name), REG_NAME_MAX);
	if (strspn(name, "0123456789") == n) /* "000", "12": would read as an id */
		return vg_err_set(err, VG_EPARSE,
				  "agent name '%s' is only digits: it would read as an id", name);
	return 0;
}

int reg_check_groups(const char *groups, struct vg_err *err)
{
	char esc[REG_ESC_MAX];
	const char *p = groups;
	unsigned count = 0;

	if (strnlen(groups, REG_GROUPS_MAX + 1) > REG_GROUPS_MAX)
		return vg_err_set(err, VG_ETOOBIG, "group list over %d bytes", REG_GROUPS_MAX);
	while (*p != '\0' || count == 0) {
		size_t n = strcspn(p, ",");
		bool ok = n <= REG_GROUP_MAX && vg_str_is_name(p, n);

		if (ok && ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')))
			ok = false;
		if (!ok)
			return vg_err_set(
			    err, VG_EPARSE,
			    "group list '%s': each group is 1 to %d of letters, "
			    "digits, '.', '_' and '-' (not '.' or '..'), comma-separated",
			    reg_esc(esc, sizeof(esc), groups), REG_GROUP_MAX);
		if (++count > REG_GROUPS_COUNT)
			return vg_err_set(err, VG_ETOOBIG, "more than %d groups", REG_GROUPS_COUNT);
		p += n;
		if (*p == ',' && *++p == '\0') /* a trailing comma: an empty last group */
			return vg_err_set(err, VG_EPARSE, "group list '%s' ends with a comma",
					  reg_esc(esc, sizeof(esc), groups));
	}
	return 0;
}

int reg_check_ip(const char *ip, struct vg_err *err)
{
	char esc[REG_ESC_MAX];
	char addr[REG_IP_MAX + 1];
	unsigned char bin[16];
	size_t n = strnlen(ip, REG_IP_MAX + 1);
	const char *slash;
	int family;
	uint64_t prefix = 0;

	if (n == 0 || n > REG_IP_MAX)
		return vg_err_set(err, VG_EPARSE, "agent address must be 1 to %d characters",
				  REG_IP_MAX);
	if (strcmp(ip, "any") == 0)
		return 0;
	vg_strlcpy(addr, ip, sizeof(addr));
	slash = strchr(addr, '/');
	if (slash != NULL)
		addr[slash - addr] = '\0';
	family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(family, addr, bin) != 1 ||
	    (slash != NULL && vg_parse_u64(slash + 1, family == AF_INET6 ? 128 : 32, &prefix) != 0))
		return vg_err_set(err, VG_EPARSE,
				  "agent address '%s' is not 'any' nor an IP address "
				  "(optionally /prefix)",
				  reg_esc(esc, sizeof(esc), ip));
	return 0;
}

int reg_id_parse(const char *s, int64_t *id, struct vg_err *err)
{
	char esc[REG_ESC_MAX];
	size_t n = strnlen(s, 9);
	uint64_t v = 0;

	*id = -1;
	if (n == 0 || n > 8 || strspn(s, "0123456789") != n ||
	    vg_parse_u64(s, REG_ID_LIMIT, &v) != 0)
		return vg_err_set(err, VG_EPARSE, "agent id '%s' is not 1 to 8 digits",
				  reg_esc(esc, sizeof(esc), s));
	*id = (int64_t)v;
	return 0;
}

void reg_id_format(int64_t id, char out[REG_ID_TEXT])
{
	snprintf(out, REG_ID_TEXT, "%03" PRId64, id);
}

/* The canonical id as a value, for messages ("9" is reported as "009"). */
struct reg_id_buf {
	char s[REG_ID_TEXT];
};

static struct reg_id_buf reg_id_text(int64_t id)
{
	struct reg_id_buf b;
	reg_id_format(id, b.s);
	return b;
}

static const char *const reg_status_names[] = {
    [REG_NEVER_CONNECTED] = "never_connected",
    [REG_ACTIVE] = "active",
    [REG_DISCONNECTED] = "disconnected",
};

const char *reg_status_name(enum reg_status s)
{
	return (unsigned)s < sizeof(reg_status_names) / sizeof(reg_status_names[0])
		   ? reg_status_names[s]
		   : "unknown";
}

int reg_status_parse(const char *s, enum reg_status *out, struct vg_err *err)
{
	char esc[REG_ESC_MAX];

	for (size_t i = 0; i < sizeof(reg_status_names) / sizeof(reg_status_names[0]); i++)
		if (strcmp(s, reg_status_names[i]) == 0) {
			*out = (enum reg_status)i;
			return 0;
		}
	return vg_err_set(err, VG_EPARSE,
			  "status '%s' is not active, disconnected or never_connected",
			  reg_esc(esc, sizeof(esc), s));
}

/* Printable ASCII, at most max bytes (version strings come from agents). */
static int reg_check_text(const char *s, size_t max, const char *what, struct vg_err *err)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return vg_err_set(err, VG_EPARSE, "%s over %zu bytes", what, max);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return vg_err_set(err, VG_EPARSE, "%s holds a non-printable byte", what);
	return 0;
}

static int reg_check_sum(const char *s, struct vg_err *err)
{
	size_t n = strnlen(s, REG_SUM_MAX + 1);

	for (size_t i = 0; i < n; i++)
		if (vg_hex_digit(s[i]) < 0)
			return vg_err_set(err, VG_EPARSE, "config checksum is not hex");
	if (n > REG_SUM_MAX)
		return vg_err_set(err, VG_EPARSE, "config checksum over %d digits", REG_SUM_MAX);
	return 0;
}

/*
 * A serial as stored: lowercase hex without leading zeros ("0" for zero),
 * so that OpenSSL's "0A1B" and a log's "0a1b" name the same certificate.
 */
static int reg_serial_norm(const char *s, char out[REG_SERIAL_MAX + 1], struct vg_err *err)
{
	size_t n = strnlen(s, REG_SERIAL_MAX + 1), o = 0;

	if (n == 0 || n > REG_SERIAL_MAX)
		return vg_err_set(err, VG_EPARSE, "certificate serial must be 1 to %d hex digits",
				  REG_SERIAL_MAX);
	for (size_t i = 0; i < n; i++) {
		int v = vg_hex_digit(s[i]);
		if (v < 0)
			return vg_err_set(err, VG_EPARSE, "certificate serial is not hex");
		if (v != 0 || o > 0)
			out[o++] = "0123456789abcdef"[v];
	}
	if (o == 0)
		out[o++] = '0';
	out[o] = '\0';
	return 0;
}

/* ---- Rows ------------------------------------------------------------------------- */

static int64_t reg_now(const struct reg *r)
{
	return r->now != NULL ? r->now(r->now_ctx) : (int64_t)time(NULL);
}

static void reg_col(sqlite3_stmt *st, int col, char *dst, size_t dstsz)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	vg_strlcpy(dst, v != NULL ? (const char *)v : "", dstsz);
}

/* The current row of a REG_COLS statement into *a, with its status. */
static void reg_row(const struct reg *r, sqlite3_stmt *st, struct reg_agent *a)
{
	int64_t id = sqlite3_column_int64(st, 0);

	memset(a, 0, sizeof(*a));
	reg_id_format(id, a->id);
	reg_col(st, 1, a->name, sizeof(a->name));
	reg_col(st, 2, a->ip, sizeof(a->ip));
	reg_col(st, 3, a->groups, sizeof(a->groups));
	reg_col(st, 4, a->version, sizeof(a->version));
	reg_col(st, 5, a->config_sum, sizeof(a->config_sum));
	a->enrolled = sqlite3_column_int64(st, 6);
	a->last_keepalive = sqlite3_column_int64(st, 7); /* NULL reads 0 */
	if (id == 0)
		a->status = REG_ACTIVE; /* the manager is never disconnected from itself */
	else if (sqlite3_column_type(st, 7) == SQLITE_NULL)
		a->status = REG_NEVER_CONNECTED;
	else if (a->last_keepalive >= reg_now(r) - r->disconnect_s)
		a->status = REG_ACTIVE;
	else
		a->status = REG_DISCONNECTED;
}

/* One row of st (bound by the caller) into *a (may be NULL); VG_ENOTFOUND if none. */
static int reg_one(struct reg *r, sqlite3_stmt *st, struct reg_agent *a, const char *what,
		   struct vg_err *err)
{
	int rc = vg_db_step(st, what, err);

	if (rc == 1) {
		if (a != NULL)
			reg_row(r, st, a);
		vg_db_reset(st);
		return 0;
	}
	return rc == 0 ? VG_ENOTFOUND : rc;
}

/* Step a statement that returns no row. */
static int reg_run(sqlite3_stmt *st, const char *what, struct vg_err *err)
{
	int rc = vg_db_step(st, what, err);

	if (rc == 1) {
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

/* ---- Open ------------------------------------------------------------------------- */

char *reg_path(const char *home)
{
	return vg_xasprintf("%s/queue/agents.db", home);
}

static int reg_check_version(struct reg *r, const char *path, struct vg_err *err)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	int rc = vg_db_prepare(r->db, "PRAGMA user_version", &st, err);

	if (rc == 0 && (rc = vg_db_step(st, "reading the schema version", err)) == 1) {
		version = sqlite3_column_int(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	if (rc == 0 && version != REG_SCHEMA_VERSION)
		rc = vg_err_set(
		    err, VG_EPARSE,
		    "agent registry %s has schema version %d; this Vigie reads version %d", path,
		    version, REG_SCHEMA_VERSION);
	return rc;
}

/* Agent 000 exists and carries the manager's name and version. */
static int reg_self(struct reg *r, const char *manager_name, struct vg_err *err)
{
	char *host = manager_name == NULL ? vg_hostname() : NULL;
	const char *name = manager_name != NULL ? manager_name : host;
	const char *version = "Vigie v" VIGIE_VERSION;
	int rc;

	rc = vg_db_begin(r->db, err);
	if (rc == 0) {
		sqlite3_bind_text(r->st[RS_SELF_ADD], 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st[RS_SELF_ADD], 2, version, -1, SQLITE_STATIC);
		sqlite3_bind_int64(r->st[RS_SELF_ADD], 3, reg_now(r));
		rc = reg_run(r->st[RS_SELF_ADD], "adding agent 000", err);
	}
	if (rc == 0) {
		sqlite3_bind_text(r->st[RS_SELF_SET], 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st[RS_SELF_SET], 2, version, -1, SQLITE_STATIC);
		rc = reg_run(r->st[RS_SELF_SET], "naming agent 000", err);
	}
	rc = vg_db_end(r->db, rc, err);
	vg_free(host);
	return rc;
}

int reg_open(const char *path, const struct reg_opts *o, struct reg **out, struct vg_err *err)
{
	struct reg_opts defaults = REG_OPTS_INIT;
	struct vg_db_opts dbo = VG_DB_OPTS_INIT;
	struct reg *r = vg_xcalloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	r->readonly = o->readonly;
	r->disconnect_s = o->disconnect_s > 0 ? o->disconnect_s : REG_DISCONNECT_DEFAULT;
	r->now = o->now;
	r->now_ctx = o->now_ctx;
	dbo.what = "agent registry";
	dbo.mode = 0640; /* the REST API may run as another user of the group */
	dbo.readonly = o->readonly;
	rc = o->manager_name != NULL ? reg_check_name(o->manager_name, err) : 0;
	if (rc == 0)
		rc = vg_db_open(path, &dbo, &r->db, err);
	if (rc == 0 && !r->readonly)
		rc = vg_db_schema(r->db, reg_schema, REG_SCHEMA_VERSION, err);
	else if (rc == 0)
		rc = reg_check_version(r, path, err);
	if (rc == 0)
		rc = vg_db_prepare_all(r->db, reg_sql, RS_N, r->st, err);
	if (rc == 0 && !r->readonly)
		rc = reg_self(r, o->manager_name, err);
	if (rc != 0) {
		reg_close(r);
		return rc;
	}
	*out = r; /* transferred */
	return 0;
}

void reg_close(struct reg *r)
{
	if (r == NULL)
		return;
	vg_db_finalize_all(r->st, RS_N);
	vg_db_close(r->db);
	vg_free(r);
}

/* ---- Writer ------------------------------------------------------------------------ */

static int reg_writable(const struct reg *r, struct vg_err *err)
{
	if (r->readonly)
		return vg_err_set(err, VG_EPERM, "agent registry %s: opened read-only",
				  vg_db_name(r->db));
	return 0;
}

/* Move agent id's serials to revoked and forget them (inside a transaction). */
static int reg_revoke_agent(struct reg *r, int64_t id, unsigned *revoked, struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_REVOKE_AGENT];
	int rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, reg_now(r));
	rc = reg_run(st, "revoking certificates", err);
	if (rc == 0 && revoked != NULL)
		*revoked = (unsigned)sqlite3_changes(r->db);
	if (rc == 0) {
		sqlite3_bind_int64(r->st[RS_CERTS_DEL], 1, id);
		rc = reg_run(r->st[RS_CERTS_DEL], "forgetting certificates", err);
	}
	if (rc == 0) {
		sqlite3_bind_int64(r->st[RS_DEL], 1, id);
		rc = reg_run(r->st[RS_DEL], "removing an agent", err);
	}
	return rc;
}

/* The next id from the counter (inside a transaction). */
static int reg_next_id(struct reg *r, int64_t *id, struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_NEXT_ID];
	int rc = vg_db_step(st, "taking an agent id", err);

	if (rc == 1) {
		*id = sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		rc = *id > REG_ID_LIMIT
			 ? vg_err_set(err, VG_ETOOBIG, "agent ids exhausted (%d)", REG_ID_LIMIT)
			 : 0;
	} else if (rc == 0) {
		rc = vg_err_set(err, VG_EPARSE, "agent registry %s has no id counter",
				vg_db_name(r->db));
	}
	return rc;
}

/* An existing agent named name: refused, or removed when force. */
static int reg_name_taken(struct reg *r, const char *name, bool force, struct vg_err *err)
{
	struct reg_agent old;
	int64_t old_id = 0;
	int rc;

	sqlite3_bind_text(r->st[RS_BY_NAME], 1, name, -1, SQLITE_STATIC);
	rc = reg_one(r, r->st[RS_BY_NAME], &old, "looking up an agent name", err);
	if (rc == VG_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (reg_id_parse(old.id, &old_id, err) != 0)
		return VG_EINTERNAL;
	if (!force || old_id == 0)
		return vg_err_set(err, VG_EPERM, "agent name '%s' already enrolled as %s%s", name,
				  old.id, old_id == 0 ? " (the manager)" : "");
	return reg_revoke_agent(r, old_id, NULL, err);
}

int reg_enroll(struct reg *r, const char *name, const char *ip, const char *groups,
	       const char *version, bool force, char out_id[REG_ID_TEXT], struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_ADD];
	int64_t id = 0;
	int rc;

	if (out_id != NULL)
		out_id[0] = '\0';
	ip = ip != NULL ? ip : "any";
	groups = groups != NULL && groups[0] != '\0' ? groups : REG_DEFAULT_GROUP;
	version = version != NULL ? version : "";
	rc = reg_writable(r, err);
	if (rc == 0)
		rc = reg_check_name(name, err);
	if (rc == 0)
		rc = reg_check_ip(ip, err);
	if (rc == 0)
		rc = reg_check_groups(groups, err);
	if (rc == 0)
		rc = reg_check_text(version, REG_VERSION_MAX, "agent version", err);
	if (rc == 0)
		rc = vg_db_begin(r->db, err);
	if (rc != 0)
		return rc;
	rc = reg_name_taken(r, name, force, err);
	if (rc == 0)
		rc = reg_next_id(r, &id, err);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, groups, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, version, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, reg_now(r));
		rc = reg_run(st, "adding an agent", err);
	}
	rc = vg_db_end(r->db, rc, err);
	if (rc != 0) {
		return rc;
	}
	if (out_id != NULL)
		reg_id_format(id, out_id);
	return 0;
}

/* Parse id and make sure the agent exists; *num receives its number. */
static int reg_existing(struct reg *r, const char *id, int64_t *num, struct vg_err *err)
{
	int rc = reg_id_parse(id, num, err);

	if (rc != 0)
		return rc;
	sqlite3_bind_int64(r->st[RS_BY_ID], 1, *num);
	rc = reg_one(r, r->st[RS_BY_ID], NULL, "looking up an agent", err);
	if (rc == VG_ENOTFOUND)
		rc = vg_err_set(err, VG_ENOTFOUND, "no agent with id %s", reg_id_text(*num).s);
	return rc;
}

/* *revoked: serial is in the revoked table. */
static int reg_revoked(struct reg *r, const char *serial, bool *revoked, struct vg_err *err)
{
	int rc;

	sqlite3_bind_text(r->st[RS_REVOKED], 1, serial, -1, SQLITE_STATIC);
	rc = vg_db_step(r->st[RS_REVOKED], "checking a revocation", err);
	*revoked = rc == 1;
	if (rc == 1) {
		vg_db_reset(r->st[RS_REVOKED]);
		rc = 0;
	}
	return rc;
}

/* The agent number holding serial into *holder (-1: none). */
static int reg_holder(struct reg *r, const char *serial, int64_t *holder, struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_CERT_GET];
	int rc;

	*holder = -1;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	rc = vg_db_step(st, "looking up a certificate", err);
	if (rc == 1) {
		*holder = sqlite3_column_int64(st, 0);
		vg_db_reset(st);
		rc = 0;
	}
	return rc;
}

static int reg_add_serial_tx(struct reg *r, int64_t num, const char *serial, struct vg_err *err)
{
	bool revoked = false;
	int64_t holder = -1;
	char id[REG_ID_TEXT];
	int rc = reg_revoked(r, serial, &revoked, err);

	if (rc == 0 && revoked)
		return vg_err_set(err, VG_EPERM, "certificate serial %s is revoked", serial);
	if (rc == 0)
		rc = reg_holder(r, serial, &holder, err);
	if (rc == 0 && holder >= 0 && holder != num) {
		reg_id_format(holder, id);
		return vg_err_set(err, VG_EPERM, "certificate serial %s belongs to agent %s",
				  serial, id);
	}
	if (rc == 0 && holder < 0) {
		sqlite3_bind_text(r->st[RS_CERT_ADD], 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_int64(r->st[RS_CERT_ADD], 2, num);
		rc = reg_run(r->st[RS_CERT_ADD], "recording a certificate", err);
	}
	return rc;
}

/* Check that r writes, normalise serial into norm, open a transaction. */
static int reg_serial_begin(struct reg *r, const char *serial, char *norm, struct vg_err *err)
{
	int rc = reg_writable(r, err);

	if (rc == 0)
		rc = reg_serial_norm(serial, norm, err);
	if (rc == 0)
		rc = vg_db_begin(r->db, err);
	return rc;
}

int reg_add_serial(struct reg *r, const char *id, const char *serial, struct vg_err *err)
{
	char norm[REG_SERIAL_MAX + 1];
	int64_t num = 0;
	int rc = reg_serial_begin(r, serial, norm, err);

	if (rc != 0)
		return rc;
	rc = reg_existing(r, id, &num, err);
	if (rc == 0)
		rc = reg_add_serial_tx(r, num, norm, err);
	return vg_db_end(r->db, rc, err);
}

int reg_revoke_serial(struct reg *r, const char *serial, struct vg_err *err)
{
	char norm[REG_SERIAL_MAX + 1];
	int64_t holder = -1;
	int rc = reg_serial_begin(r, serial, norm, err);

	if (rc != 0)
		return rc;
	rc = reg_holder(r, norm, &holder, err);
	if (rc == 0) {
		sqlite3_bind_text(r->st[RS_REVOKE], 1, norm, -1, SQLITE_STATIC);
		sqlite3_bind_int64(r->st[RS_REVOKE], 2, holder);
		sqlite3_bind_int64(r->st[RS_REVOKE], 3, reg_now(r));
		rc = reg_run(r->st[RS_REVOKE], "revoking a certificate", err);
	}
	if (rc == 0) {
		sqlite3_bind_text(r->st[RS_CERT_DEL], 1, norm, -1, SQLITE_STATIC);
		rc = reg_run(r->st[RS_CERT_DEL], "forgetting a certificate", err);
	}
	return vg_db_end(r->db, rc, err);
}

int reg_keepalive(struct reg *r, const char *id, const char *version, const char *config_sum,
		  const char *ip, struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_KEEPALIVE];
	int64_t num = 0;
	int rc = reg_writable(r, err);

	version = version != NULL ? version : "";
	config_sum = config_sum != NULL ? config_sum : "";
	if (rc == 0)
		rc = reg_id_parse(id, &num, err);
	if (rc == 0 && num == 0)
		rc = vg_err_set(err, VG_EPERM, "agent 000 is the manager: it sends no keepalive");
	if (rc == 0)
		rc = reg_check_text(version, REG_VERSION_MAX, "agent version", err);
	if (rc == 0)
		rc = reg_check_sum(config_sum, err);
	if (rc == 0 && ip != NULL)
		rc = reg_check_ip(ip, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, num);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, config_sum, -1, SQLITE_STATIC);
	if (ip != NULL)
		sqlite3_bind_text(st, 4, ip, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, reg_now(r));
	rc = reg_run(st, "recording a keepalive", err);
	if (rc == 0 && sqlite3_changes(r->db) == 0)
		rc = vg_err_set(err, VG_ENOTFOUND, "no agent with id %s", reg_id_text(num).s);
	return rc;
}

int reg_keepalive_many(struct reg *r, const struct reg_keepalive *ka, size_t n, struct vg_err *err)
{
	int rc = reg_writable(r, err);

	if (rc == 0 && n > 0)
		rc = vg_db_begin(r->db, err);
	else if (rc == 0)
		return 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct vg_err e = VG_ERR_INIT;
		rc = reg_keepalive(r, ka[i].id, ka[i].version, ka[i].config_sum, ka[i].ip, &e);
		if (rc == VG_ENOTFOUND || rc == VG_EPARSE || rc == VG_EPERM)
			rc = 0; /* that agent's: the others still count */
		else if (rc != 0)
			vg_err_set(err, rc, "%s", e.msg);
	}
	return vg_db_end(r->db, rc, err);
}

int reg_remove(struct reg *r, const char *id, unsigned *revoked, struct vg_err *err)
{
	int64_t num = 0;
	int rc = reg_writable(r, err);

	if (revoked != NULL)
		*revoked = 0;
	if (rc == 0)
		rc = reg_id_parse(id, &num, err);
	if (rc == 0 && num == 0)
		rc = vg_err_set(err, VG_EPERM, "agent 000 is the manager: it cannot be removed");
	if (rc == 0)
		rc = vg_db_begin(r->db, err);
	if (rc != 0)
		return rc;
	rc = reg_existing(r, id, &num, err);
	if (rc == 0)
		rc = reg_revoke_agent(r, num, revoked, err);
	rc = vg_db_end(r->db, rc, err);
	if (rc != 0) {
		if (revoked != NULL)
			*revoked = 0;
	}
	return rc;
}

/* ---- Queries ----------------------------------------------------------------------- */

int reg_get(struct reg *r, const char *id, struct reg_agent *a, struct vg_err *err)
{
	int64_t num = 0;
	int rc = reg_id_parse(id, &num, err);

	if (rc != 0)
		return rc;
	sqlite3_bind_int64(r->st[RS_BY_ID], 1, num);
	rc = reg_one(r, r->st[RS_BY_ID], a, "reading an agent", err);
	if (rc == VG_ENOTFOUND)
		rc = vg_err_set(err, VG_ENOTFOUND, "no agent with id %s", reg_id_text(num).s);
	return rc;
}

int reg_find_name(struct reg *r, const char *name, struct reg_agent *a, struct vg_err *err)
{
	int rc = reg_check_name(name, err);

	if (rc != 0)
		return rc;
	sqlite3_bind_text(r->st[RS_BY_NAME], 1, name, -1, SQLITE_STATIC);
	rc = reg_one(r, r->st[RS_BY_NAME], a, "reading an agent", err);
	if (rc == VG_ENOTFOUND)
		rc = vg_err_set(err, VG_ENOTFOUND, "no agent named '%s'", name);
	return rc;
}

int reg_is_revoked(struct reg *r, const char *serial, bool *revoked, struct vg_err *err)
{
	char norm[REG_SERIAL_MAX + 1];
	int rc;

	*revoked = false;
	rc = reg_serial_norm(serial, norm, err);
	if (rc == 0)
		rc = reg_revoked(r, norm, revoked, err);
	return rc;
}

int reg_find_serial(struct reg *r, const char *serial, struct reg_agent *a, struct vg_err *err)
{
	char norm[REG_SERIAL_MAX + 1];
	bool revoked = false;
	int64_t holder = -1;
	int rc = reg_serial_norm(serial, norm, err);

	if (rc == 0)
		rc = reg_revoked(r, norm, &revoked, err);
	if (rc == 0 && revoked)
		return vg_err_set(err, VG_EPERM, "certificate serial %s is revoked", norm);
	if (rc == 0)
		rc = reg_holder(r, norm, &holder, err);
	if (rc == 0 && holder < 0)
		return vg_err_set(err, VG_ENOTFOUND, "certificate serial %s belongs to no agent",
				  norm);
	if (rc == 0) {
		sqlite3_bind_int64(r->st[RS_BY_ID], 1, holder);
		rc = reg_one(r, r->st[RS_BY_ID], a, "reading an agent", err);
		if (rc == VG_ENOTFOUND) /* a cert row outlived its agent: treat as unknown */
			rc = vg_err_set(err, VG_ENOTFOUND,
					"certificate serial %s belongs to no agent", norm);
	}
	return rc;
}

int reg_list(struct reg *r, const enum reg_status *status, reg_agent_fn fn, void *ctx,
	     struct vg_err *err)
{
	sqlite3_stmt *st = r->st[RS_ALL];
	struct reg_agent *a = vg_xmalloc(sizeof(*a));
	int rc;

	while ((rc = vg_db_step(st, "listing agents", err)) == 1) {
		reg_row(r, st, a);
		if (status != NULL && a->status != *status)
			continue;
		if (fn(ctx, a) != 0) {
			vg_db_reset(st);
			rc = 0;
			break;
		}
	}
	vg_free(a);
	return rc;
}
