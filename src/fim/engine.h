/*
 * engine.h - The FIM engine: scans, realtime changes, hashing, baseline,
 * events. Used by vigie-agent and (as agent 000) by vigie-manager.
 *
 * The engine thread (the caller of fim_engine_run) owns the baseline
 * database and is its only writer. It walks trees for scheduled scans,
 * takes settled paths from the realtime change queue, hands files whose
 * content may have changed to the hashing pool, and turns finished entries
 * into added / modified / deleted events passed to the emit callback.
 *
 * The first scan builds the baseline silently (as Wazuh does); later scans
 * and realtime changes emit events. A rescan does not re-read a file whose
 * size, mtime, ctime and inode are unchanged unless full_rehash is set.
 * Lost realtime events (queue overflow, watch limit) trigger an immediate
 * rescan of the roots concerned and an overflow notice.
 *
 * Ordering for "nothing lost": by default an event is emitted before the
 * baseline change that records it is committed, so a crash can repeat an
 * event but never lose one. With opts.outbox the event is instead stored
 * in the baseline's outbox in the same transaction as the change, and
 * emitted after the commit with its sequence number (increasing, never
 * reused, even by a new baseline: it starts from the clock in µs). A crash
 * then repeats an event only under the same number, which the receiver
 * recognises: exactly once, end to end (vigie-manager's agent 000).
 */
#ifndef FIM_ENGINE_H
#define FIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fim/config.h"
#include "lib/err.h"

/*
 * Receives one JSON event (no newline) on the engine thread; < 0 stops the
 * engine (with opts.outbox the event stays in the outbox for the next
 * start). seq is the event's outbox sequence number, 0 without opts.outbox.
 */
typedef int (*fim_emit_fn)(void *ctx, uint64_t seq, const char *json, size_t len);

struct fim_engine_opts {
	const struct fim_config *cfg; /* borrowed; must outlive the engine */
	const char *db_path;          /* baseline database file */
	fim_emit_fn emit;
	void *ctx;
	bool oneshot;       /* one scan, then fim_engine_run returns */
	bool outbox;        /* deliver through the baseline's outbox (see above) */
	uint64_t settle_ms; /* quiet time before a realtime change is handled */
};

#define FIM_ENGINE_OPTS_INIT                                                                       \
	{                                                                                          \
		NULL, NULL, NULL, NULL, false, false, 5                                            \
	}

struct fim_engine_stats {
	uint64_t scans;
	uint64_t files_seen;   /* files visited by the last scan */
	uint64_t files_hashed; /* files read by the last scan */
	uint64_t events;       /* events emitted since start */
	uint64_t overflows;    /* lost-event notices handled */
};

struct fim_engine;

int fim_engine_new(const struct fim_engine_opts *opts, struct fim_engine **out,
		   struct vg_err *err) VG_MUST_CHECK;
/* Run until fim_engine_stop (or one scan with oneshot). */
int fim_engine_run(struct fim_engine *e, struct vg_err *err) VG_MUST_CHECK;
/* Ask the engine to return from fim_engine_run. Any thread. */
void fim_engine_stop(struct fim_engine *e);
/* Ask for a full scan now. Any thread. */
void fim_engine_request_scan(struct fim_engine *e);
void fim_engine_get_stats(struct fim_engine *e, struct fim_engine_stats *out);
void fim_engine_free(struct fim_engine *e);

#endif
