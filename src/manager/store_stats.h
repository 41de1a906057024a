/*
 * store_stats.h - Aggregates over the alert store for the dashboard's
 * overview (GET /api/stats): alerts per time bucket and level, the rules
 * and agents that fire most, the distinct malicious files.
 *
 * Its own read-only connection to HOME/queue/alerts.db (the store's schema,
 * store.c), so the HTTP threads never wait on the writer; one object per
 * thread, or a lock around it (the caller's).
 */
#ifndef MGR_STORE_STATS_H
#define MGR_STORE_STATS_H

#include <stdint.h>

#include "lib/err.h"

struct store_stats;

int store_stats_open(const char *path, struct store_stats **out, struct vg_err *err) VG_MUST_CHECK;
void store_stats_close(struct store_stats *s);

/* Per bucket (start in ms, a multiple of bucket_ms) and level, the number of
 * alerts with since_ms <= time < until_ms, in time order. */
typedef int (*store_stats_level_fn)(void *ctx, int64_t bucket_ms, unsigned level, uint64_t n);
int store_stats_levels(struct store_stats *s, int64_t since_ms, int64_t until_ms, int64_t bucket_ms,
		       store_stats_level_fn fn, void *ctx, struct vg_err *err) VG_MUST_CHECK;

/* The rules (key: the rule id; label: the latest description) or the agents
 * (key: the agent id; label: its name) with the most alerts since since_ms,
 * most first, up to limit. */
enum store_stats_by { STORE_STATS_RULES, STORE_STATS_AGENTS };
typedef int (*store_stats_top_fn)(void *ctx, const char *key, const char *label, uint64_t n);
int store_stats_top(struct store_stats *s, enum store_stats_by by, int64_t since_ms, unsigned limit,
		    store_stats_top_fn fn, void *ctx, struct vg_err *err) VG_MUST_CHECK;

/* Distinct (agent, path) pairs with an alert of rule_id since since_ms. */
int store_stats_files(struct store_stats *s, unsigned rule_id, int64_t since_ms, uint64_t *n,
		      struct vg_err *err) VG_MUST_CHECK;

#endif
