/*
 * analysis.h - The manager's analysis pipeline: queue -> decode -> rules ->
 * alerts.json, alerts.log and the alert store, exactly once.
 *
 * One pipeline runs on one thread (Wazuh's analysisd, one shard). It reads
 * the durable event queue in order, in batches; each record is decoded
 * (decode.h), evaluated (rules.h) and, when a rule alerts at or above
 * log_alert_level, written to the alert files (alerts_file.h) and added to
 * the alert store (store.h). A batch ends with ONE store transaction that
 * holds its alerts and the checkpoint: the last queue seq processed and
 * where alerts.json / alerts.log ended. Only then is the queue trimmed.
 *
 * Exactly once across kill -9: at open, the files are cut back to the
 * checkpointed position and the records after the checkpointed seq are
 * processed again; whatever a crash interrupted is redone, nothing twice.
 *
 * Bad input never stops the pipeline: a record that does not decode is
 * logged and skipped (counted in stats). A write that fails (full disk,
 * I/O error) stops the batch before that record: what precedes it is
 * committed, the record stays in the queue, and the caller retries later.
 * The alert files batch their writes (AN_PIPELINE_FILE_BATCH bytes) and
 * are drained before each commit, so the checkpoint never names bytes that
 * are not in the files; if that drain fails too, the batch stays open (its
 * store transaction and the alerts in memory) and the next run drains and
 * commits it before reading on, so no record is evaluated twice.
 *
 * Two inputs: the durable event queue (agent 000's FIM engine and the
 * manager's own events) and, when given, the agents' in-memory FIFO
 * (ingest.h). A batch takes records from both and commits, in the same
 * transaction, each agent's highest event id it analysed (the store's
 * source marks); then it releases those records from the FIFO, which
 * publishes the marks so that the agent channel acknowledges them. After a
 * crash, the agents' records that were not committed are simply sent
 * again (nothing of them was acknowledged); at open the store's marks are
 * loaded into the FIFO, so a resend of a committed record is dropped.
 *
 * Thread model: the pipeline belongs to the thread that opened it (the
 * FIFO's consumer); the queue and the FIFO may be fed from any thread.
 * With a FIFO the pipeline waits on it: the queue's appends must kick it
 * (vg_dq_on_append with mgr_ingest_kick, as vigie-manager sets it).
 */
#ifndef AN_ANALYSIS_H
#define AN_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dqueue.h"
#include "lib/err.h"
#include "manager/ingest.h"
#include "manager/rules.h"
#include "manager/settings.h"

#define AN_PIPELINE_BATCH_DEFAULT 20000u
/* Alert bytes kept before a write(2): ~30 alerts per system call, and a
 * small delay for `tail -f` since every batch commit drains them anyway. */
#define AN_PIPELINE_FILE_BATCH (64u * 1024u)

struct an_pipeline_opts {
	const char *home;                   /* HOME/logs/alerts, HOME/queue/alerts.db */
	const struct an_settings *settings; /* copied at open */
	const char *manager_name;           /* "manager":{"name"}, agent 000's name */
	struct vg_dq *queue;                /* borrowed; must outlive the pipeline */
	struct mgr_ingest *ingest;          /* agents' records; borrowed, may be NULL */
	const struct rules_set *rules;      /* borrowed; see an_pipeline_set_rules */
	size_t batch_max;                   /* records per transaction; 0 = default */
	/* Wall clock in ms (alert timestamps, day rotation); NULL = CLOCK_REALTIME. */
	int64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
};

struct an_pipeline_stats {
	uint64_t events;  /* records analysed */
	uint64_t alerts;  /* alerts written */
	uint64_t skipped; /* records that did not decode (logged) */
	uint64_t cursor;  /* last queue seq committed */
	uint64_t agents;  /* records taken from the agents' FIFO and committed */
};

struct an_pipeline;

/*
 * Open the alert files and the store, then recover: cut the files back to
 * the store's checkpoint and position the cursor after its seq. Errors
 * (unwritable alerts directory, a store that is not one...) name the path.
 */
int an_pipeline_open(const struct an_pipeline_opts *opts, struct an_pipeline **out,
		     struct vg_err *err) VG_MUST_CHECK;

/* Close the files and the store (NULL allowed). Committed work stays. */
void an_pipeline_close(struct an_pipeline *p);

/*
 * Use a new rule set from the next record on (SIGHUP). The set is
 * borrowed; rule counters (firedtimes, frequency history) start afresh.
 */
int an_pipeline_set_rules(struct an_pipeline *p, const struct rules_set *set,
			  struct vg_err *err) VG_MUST_CHECK;

/*
 * Wait up to timeout_ms for records (or a kick of the FIFO), then process
 * batches until a batch is not full. *done (may be NULL) receives how many
 * records were processed. A failure leaves the failing record queued (or
 * first in the FIFO).
 */
int an_pipeline_run(struct an_pipeline *p, int timeout_ms, size_t *done,
		    struct vg_err *err) VG_MUST_CHECK;

void an_pipeline_stats(const struct an_pipeline *p, struct an_pipeline_stats *out);

#endif
