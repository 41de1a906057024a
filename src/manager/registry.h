/*
 * registry.h - The manager's agent registry: who may connect, and how they are.
 *
 * HOME/queue/agents.db (SQLite, mode 0640) holds one row per enrolled
 * agent (Wazuh's client.keys plus global.db's agent table): a numeric id
 * shown as "001" (3 digits at least, Wazuh's format), a unique name, the
 * address as seen at enrollment, groups, version, config checksum,
 * enrollment time and last keepalive. Agent 000 is the manager itself,
 * named after its host; it is created on the writer's first open and can
 * be neither removed nor replaced.
 *
 * Invariants:
 * - ids are never reused, even after removal: a counter row hands them out,
 *   so an alert's agent.id always names one enrollment;
 * - a client certificate serial belongs to at most one agent; removing or
 *   replacing an agent moves its serials to the revoked table, which is
 *   never emptied: reg_is_revoked() stays true for them forever, and the
 *   transport checks it on each new connection.
 *
 * Status is computed, not stored (Wazuh's words): "never_connected" (no
 * keepalive yet), "active" (a keepalive within the disconnection time,
 * default 600 s), "disconnected". Agent 000 is always active.
 *
 * SQL stays in the subset SQLite and PostgreSQL share (ON CONFLICT,
 * RETURNING), so several managers can later share one PostgreSQL registry.
 *
 * Handles: one writer (the manager, or `vigie agents add/remove` beside it:
 * WAL lets them take turns), any number of read-only handles (CLI, REST
 * API). A handle belongs to one thread at a time; the caller serializes.
 * Readers see committed changes only.
 */
#ifndef MGR_REGISTRY_H
#define MGR_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define REG_NAME_MAX 128     /* agent name: 2..128 of [A-Za-z0-9._-] */
#define REG_GROUP_MAX 255    /* one group name: 1..255 of [A-Za-z0-9._-] */
#define REG_GROUPS_MAX 4095  /* the whole comma-separated group list */
#define REG_GROUPS_COUNT 128 /* groups per agent (Wazuh's multigroup bound) */
#define REG_IP_MAX 63        /* "any", an IPv4/IPv6 address, optionally /prefix */
#define REG_VERSION_MAX 63   /* printable ASCII ("Vigie v0.4.0") */
#define REG_SUM_MAX 64       /* config checksum: hex, md5 to sha256 */
#define REG_SERIAL_MAX 64    /* certificate serial: hex digits (RFC 5280: 40) */
#define REG_ID_TEXT 24       /* "001" .. "99999999" (room for any int64) */
#define REG_ID_LIMIT 99999999
#define REG_DISCONNECT_DEFAULT 600 /* seconds without keepalive: disconnected */
#define REG_DEFAULT_GROUP "default"

struct reg;

enum reg_status {
	REG_NEVER_CONNECTED,
	REG_ACTIVE,
	REG_DISCONNECTED,
};

struct reg_opts {
	bool readonly;             /* read-only handle on an existing registry */
	const char *manager_name;  /* agent 000's name (writer); NULL = host name */
	int64_t disconnect_s;      /* disconnection time; 0 = REG_DISCONNECT_DEFAULT */
	int64_t (*now)(void *ctx); /* clock in epoch seconds; NULL = time() (tests inject) */
	void *now_ctx;
};

#define REG_OPTS_INIT                                                                              \
	{                                                                                          \
		false, NULL, 0, NULL, NULL                                                         \
	}

/* One agent, copied out of the database (no pointers: nothing to free). */
struct reg_agent {
	char id[REG_ID_TEXT]; /* "001" */
	char name[REG_NAME_MAX + 1];
	char ip[REG_IP_MAX + 1];           /* as seen at enrollment or last keepalive */
	char groups[REG_GROUPS_MAX + 1];   /* "default", "web,linux"; "" for 000 */
	char version[REG_VERSION_MAX + 1]; /* "" until the first keepalive */
	char config_sum[REG_SUM_MAX + 1];  /* "" until the first keepalive */
	int64_t enrolled;                  /* epoch seconds */
	int64_t last_keepalive;            /* epoch seconds; 0 = never */
	enum reg_status status;
};

/* The registry's path under home: "HOME/queue/agents.db" (vg_free). */
char *reg_path(const char *home);

/*
 * Open the registry at path. A writer creates it (mode 0640; the directory
 * must exist) and makes sure agent 000 exists, named o->manager_name (its
 * name follows the host's unless an agent already holds that name). A
 * read-only handle needs an existing file (VG_ENOTFOUND). A file that is
 * not a registry is VG_EPARSE. o may be NULL (a writer with defaults).
 */
int reg_open(const char *path, const struct reg_opts *o, struct reg **out,
	     struct vg_err *err) VG_MUST_CHECK;

/* Close (NULL allowed). */
void reg_close(struct reg *r);

/* ---- Validation (pure) ------------------------------------------------------------- */

/* 1..128 of [A-Za-z0-9._-], not only digits (an id-like name is refused). */
int reg_check_name(const char *name, struct vg_err *err) VG_MUST_CHECK;
/* A comma list of 1..128 names of [A-Za-z0-9._-]{1,255}, not "." or "..". */
int reg_check_groups(const char *groups, struct vg_err *err) VG_MUST_CHECK;
/* "any", or an IPv4 or IPv6 address with an optional /prefix. */
int reg_check_ip(const char *ip, struct vg_err *err) VG_MUST_CHECK;

/*
 * Parse an agent id ("1", "001", up to 8 digits) into its number;
 * VG_EPARSE otherwise. reg_id_format writes the canonical "%03d" form.
 */
int reg_id_parse(const char *s, int64_t *id, struct vg_err *err) VG_MUST_CHECK;
void reg_id_format(int64_t id, char out[REG_ID_TEXT]);

/* "never_connected", "active", "disconnected". */
const char *reg_status_name(enum reg_status s);
/* The status for a name above; VG_EPARSE for any other text. */
int reg_status_parse(const char *s, enum reg_status *out, struct vg_err *err) VG_MUST_CHECK;

/* ---- Writer ------------------------------------------------------------------------ */

/*
 * Enroll a new agent: name, ip (NULL = "any"), groups (NULL or "" =
 * "default"), version (NULL = ""). Its id goes to out_id (may be NULL) and
 * its enrollment time is now. A name already enrolled is VG_EPERM ("agent
 * name 'x' already enrolled as 003") unless force: the old agent is then
 * removed (its serials revoked) and the new one gets a new id. Agent 000's
 * name is never replaced (VG_EPERM). Read-only handle: VG_EPERM.
 */
int reg_enroll(struct reg *r, const char *name, const char *ip, const char *groups,
	       const char *version, bool force, char out_id[REG_ID_TEXT],
	       struct vg_err *err) VG_MUST_CHECK;

/*
 * Record that the certificate with this serial (hex, any case, leading
 * zeros ignored) was issued to agent id. Idempotent for the same agent; a
 * serial held by another agent or revoked is VG_EPERM; an unknown id
 * VG_ENOTFOUND; a bad serial VG_EPARSE.
 */
int reg_add_serial(struct reg *r, const char *id, const char *serial,
		   struct vg_err *err) VG_MUST_CHECK;

/* Revoke one serial (a renewed certificate); idempotent; VG_EPARSE if no hex. */
int reg_revoke_serial(struct reg *r, const char *serial, struct vg_err *err) VG_MUST_CHECK;

/*
 * A keepalive from agent id: version, config checksum (hex or ""), the
 * address it came from (NULL keeps the stored one); last keepalive = now.
 * Unknown id VG_ENOTFOUND; agent 000 VG_EPERM; bad values VG_EPARSE.
 */
int reg_keepalive(struct reg *r, const char *id, const char *version, const char *config_sum,
		  const char *ip, struct vg_err *err) VG_MUST_CHECK;

/* One keepalive of reg_keepalive_many (strings borrowed). */
struct reg_keepalive {
	const char *id;
	const char *version;
	const char *config_sum;
	const char *ip;
};

/*
 * n keepalives in one transaction (the transport coalesces them: one
 * commit a second however many agents). A keepalive of an agent removed
 * meanwhile (VG_ENOTFOUND) or with bad values (VG_EPARSE, VG_EPERM) is
 * skipped, the others are recorded; only a database failure is returned,
 * and then none is recorded.
 */
int reg_keepalive_many(struct reg *r, const struct reg_keepalive *ka, size_t n,
		       struct vg_err *err) VG_MUST_CHECK;

/*
 * Remove agent id and revoke its serials (*revoked, may be NULL, receives
 * how many were revoked). Unknown id VG_ENOTFOUND; 000 VG_EPERM.
 */
int reg_remove(struct reg *r, const char *id, unsigned *revoked, struct vg_err *err) VG_MUST_CHECK;

/* ---- Queries (writer or reader) ----------------------------------------------------- */

/* Agent id into *a; VG_ENOTFOUND when there is none (a bad id: VG_EPARSE). */
int reg_get(struct reg *r, const char *id, struct reg_agent *a, struct vg_err *err) VG_MUST_CHECK;

/* The agent named name into *a; VG_ENOTFOUND when there is none. */
int reg_find_name(struct reg *r, const char *name, struct reg_agent *a,
		  struct vg_err *err) VG_MUST_CHECK;

/*
 * The agent holding the (unrevoked) certificate serial into *a:
 * VG_ENOTFOUND when none does, VG_EPERM when the serial is revoked.
 */
int reg_find_serial(struct reg *r, const char *serial, struct reg_agent *a,
		    struct vg_err *err) VG_MUST_CHECK;

/* True into *revoked when serial was revoked (VG_EPARSE for a bad serial). */
int reg_is_revoked(struct reg *r, const char *serial, bool *revoked,
		   struct vg_err *err) VG_MUST_CHECK;

/* Called per agent in id order; a non-zero return stops the listing (not an error). */
typedef int (*reg_agent_fn)(void *ctx, const struct reg_agent *a);

/*
 * Every agent (status NULL) or those with *status, in id order, into fn.
 * *a is reused between calls: copy what must outlive the call.
 */
int reg_list(struct reg *r, const enum reg_status *status, reg_agent_fn fn, void *ctx,
	     struct vg_err *err) VG_MUST_CHECK;

#endif
