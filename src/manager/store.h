/*
 * store.h - The alert store: every alert in SQLite, indexed for the readers.
 *
 * HOME/queue/alerts.db holds one row per alert (its Wazuh id, key columns
 * and the alerts.json line) plus the pipeline's checkpoint. It is fed by
 * the alert writer, read by the dashboard, the REST API and the integrator.
 *
 * Exactly once across a crash: the alert writer adds a batch of alerts and
 * commits it together with a checkpoint (the last event-queue seq whose
 * alerts are in the batch, and an opaque text describing where alerts.json
 * and alerts.log ended) in ONE transaction. At startup the manager reads the
 * checkpoint, truncates alerts.json/alerts.log to the recorded position,
 * trims the event queue up to the seq and processes the records after it
 * again. An alert whose id is already stored is ignored, so a replayed
 * batch never duplicates a row. Agents' events do not go through the event
 * queue: the batch also raises each agent's source mark (store_mark), the
 * highest event id whose alerts it holds, which is what the manager
 * acknowledges. See docs/storage.md.
 *
 * Two handles:
 * - struct store (writer): one per database, owned by the alert writer
 *   thread (begin/add/commit/prune/checkpoint).
 * - struct store_reader: read-only queries; may be used from any thread
 *   (calls are serialized by an internal mutex); open one per thread for
 *   parallel reads. Readers see committed batches only.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "manager/event.h"

struct store;
struct store_reader;

/*
 * One alert: the key columns and the alerts.json line. Every pointer is
 * borrowed (on add: for the call; on read: for the callback). NULL text
 * columns are stored as NULL; id and json are required.
 */
struct store_alert {
	const char *id; /* Wazuh's "<epoch>.<offset>" (decimal, no leading zero), unique */
	int64_t time_ms;
	unsigned rule_id;
	unsigned level;
	const char *agent_id;
	const char *agent_name;
	const char *decoder;
	const char *location;
	const char *description;
	const char *path; /* syscheck.path, or data.virustotal.source.file */
	const char *md5;  /* after-values, lowercase hex */
	const char *sha1;
	const char *sha256;
	const char *groups; /* Wazuh's raw rule group string "ossec,syscheck,..." */
	const char *json;   /* the alert line, without its newline */
	size_t json_len;    /* strlen(json) when 0 */
};

/*
 * Fill the key columns of *a from the pipeline's records (borrowing their
 * strings): time, agent, decoder, location from ev; rule id, level,
 * description, groups from rule; path and hashes from ev->fim
 * ("path", "md5_after", "sha1_after", "sha256_after") or, when absent, from
 * ev->data's virustotal.source (file, md5, sha1). id and json are set from
 * the arguments.
 */
void store_alert_from(struct store_alert *a, const char *id, const char *json, size_t json_len,
		      const struct an_event *ev, const struct an_rule_info *rule);

/* ---- Writer ------------------------------------------------------------------------ */

/*
 * Open (create, mode 0640) the store at path. The directory must exist.
 * A file that is not an alert store is VG_EPARSE; an unwritable one VG_EPERM.
 */
int store_open(const char *path, struct store **out, struct vg_err *err) VG_MUST_CHECK;

/* Close (NULL allowed); an open batch is rolled back. */
void store_close(struct store *s);

/* Start a batch (one transaction). */
int store_begin(struct store *s, struct vg_err *err) VG_MUST_CHECK;

/*
 * Add one alert to the open batch. *added (may be NULL) is false when an
 * alert with the same id was already stored (a replay): nothing changes.
 * An id that is not "<epoch>.<offset>" is VG_EPARSE. Its path and hash
 * keys are written by store_commit (sorted: cheaper for the B-tree).
 */
int store_add(struct store *s, const struct store_alert *a, bool *added,
	      struct vg_err *err) VG_MUST_CHECK;

/*
 * Record the checkpoint (queue_seq, writer_pos: any text, NULL = "") and
 * commit the batch: both or neither become durable. On failure the batch is
 * rolled back.
 */
int store_commit(struct store *s, uint64_t queue_seq, const char *writer_pos,
		 struct vg_err *err) VG_MUST_CHECK;

/*
 * In the open batch: raise source's mark (an agent id: the highest event
 * id whose alerts this batch commits) to last_seq; a lower value leaves it.
 */
int store_mark(struct store *s, const char *source, uint64_t last_seq,
	       struct vg_err *err) VG_MUST_CHECK;

typedef void (*store_mark_fn)(void *ctx, const char *source, uint64_t last_seq);

/* Every committed source mark into fn (the pipeline loads them at open). */
int store_marks(struct store *s, store_mark_fn fn, void *ctx, struct vg_err *err) VG_MUST_CHECK;

/* Drop the open batch (nothing when none). */
void store_rollback(struct store *s);

/*
 * Read the last committed checkpoint. A new store gives 0 and "".
 * *writer_pos is the caller's (vg_free).
 */
int store_checkpoint(struct store *s, uint64_t *queue_seq, char **writer_pos,
		     struct vg_err *err) VG_MUST_CHECK;

/*
 * Delete the alerts older than before_ms (retention), in transactions of
 * at most 1000 alerts so the pipeline is not held up. *deleted (may be
 * NULL) receives the count. Not inside a batch.
 */
int store_prune(struct store *s, int64_t before_ms, uint64_t *deleted,
		struct vg_err *err) VG_MUST_CHECK;

/* ---- Readers ------------------------------------------------------------------------ */

/* A position in the newest-first order; {0, 0} is the start. */
struct store_cursor {
	int64_t time_ms;
	int64_t row; /* internal row number: orders alerts of the same ms */
};

/* Every criterion is optional; they combine with AND. */
struct store_filter {
	int64_t since_ms;          /* time >= since_ms; 0 = no lower bound */
	int64_t until_ms;          /* time < until_ms; 0 = no upper bound */
	unsigned rule_id;          /* 0 = any */
	unsigned min_level;        /* 0 = any */
	const char *agent_id;      /* exact */
	const char *group;         /* one rule group, exact ("syscheck", "pci_dss_11.5") */
	const char *path;          /* exact path (indexed) */
	const char *path_prefix;   /* byte-wise prefix of path (filters, not indexed) */
	const char *hash;          /* md5, sha1 or sha256 (told apart by length) */
	const char *text;          /* substring of the description (ASCII case-insensitive) */
	struct store_cursor after; /* paging: rows strictly after this position */
	size_t limit;              /* rows per page; 0 = 100 */
};

#define STORE_FILTER_INIT                                                                          \
	{                                                                                          \
		0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, {0, 0}, 0                          \
	}

/* Called per row, newest first; non-zero stops the query (not an error). */
typedef int (*store_row_fn)(void *ctx, const struct store_alert *a);

/* Open a reader on an existing store (VG_ENOTFOUND when there is none). */
int store_reader_open(const char *path, struct store_reader **out,
		      struct vg_err *err) VG_MUST_CHECK;

void store_reader_close(struct store_reader *r);

/*
 * Rows matching f, newest first, at most f->limit, into fn. *next (may be
 * NULL) receives the position of the last row handed out: pass it as
 * f->after for the next page ({0, 0} when no row matched). A hash of
 * another length than 32, 40 or 64 is VG_EPARSE.
 */
int store_query(struct store_reader *r, const struct store_filter *f, store_row_fn fn, void *ctx,
		struct store_cursor *next, struct vg_err *err) VG_MUST_CHECK;

/* How many rows match f (its after and limit are ignored). */
int store_count(struct store_reader *r, const struct store_filter *f, uint64_t *count,
		struct vg_err *err) VG_MUST_CHECK;

/*
 * Following the store in the order alerts were added (a follower's durable
 * position): the rows numbered above f->after, oldest first, at most
 * f->limit of them examined. f->want (NULL: every row) sees each row's head
 * first (time, rule id, level, groups, agent id, location; the other
 * fields NULL) and says whether fn gets the whole row, so a follower that
 * wants few alerts does not read the others' JSON. f->classes (optional)
 * goes further for a follower whose choice depends on the rule alone: it
 * sees each rule class once per call (rule id, level and groups set), and
 * the rows of the classes it refuses are passed over inside SQLite, through
 * an index, without a head each; seen then counts the wanted classes'
 * rows. fn returning non-zero stops before that row. Row numbers only
 * grow while the store holds alerts; retention that empties the store
 * restarts them from 1, so f->last_row gives the highest row number
 * stored (0 when empty): a follower whose position is above it should
 * start over.
 */
typedef bool (*store_want_fn)(void *ctx, const struct store_alert *head);
typedef int (*store_follow_fn)(void *ctx, int64_t row, const struct store_alert *a);

struct store_follow {
	int64_t after;         /* in: the follower's position */
	size_t limit;          /* in: rows examined at most */
	store_want_fn want;    /* in: NULL = every row */
	store_want_fn classes; /* in: NULL = every rule class */
	int64_t through;       /* out: the last row examined and not stopped at (or after) */
	size_t seen;           /* out: rows examined; limit of them: there may be more */
	int64_t last_row;      /* out: the highest row number stored, 0 when empty */
};

int store_follow(struct store_reader *r, struct store_follow *f, store_follow_fn fn, void *ctx,
		 struct vg_err *err) VG_MUST_CHECK;

/* The JSON line of alert id (caller's, vg_free); VG_ENOTFOUND when absent. */
int store_get(struct store_reader *r, const char *id, char **json,
	      struct vg_err *err) VG_MUST_CHECK;

#endif
