/*
 * store_bench.c - What the alert store costs per alert, and what each part costs.
 *
 * Usage: store_bench [-v] [N [BATCH...]]
 *        (default 200000 alerts, batches of 2000 and of 20000)
 *
 * Inserts N FIM-like alerts (1.2 KB JSON, 6 groups, random md5/sha1/sha256
 * and paths, ids and times increasing) through store_begin/add/commit into
 * a fresh database in /tmp and prints alerts/s, once per batch size. With
 * -v it also prints, per batch size, one line per variant with a part
 * removed (alerts without path and hashes, without groups, a 60-byte JSON,
 * the secondary indexes dropped with a raw DROP INDEX before the first
 * insert), so the cost of each part is the difference. Single-threaded: it
 * measures one core. Wall time counts waits for the disk (fdatasync at WAL
 * checkpoints) and other processes; CPU time (this process, user + system)
 * is the steadier number on a shared machine. The pipeline commits every ~20,000 alerts or ~100 ms
 * when saturated, sooner when its input runs dry: hence the two sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/common.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/store.h"

#define GROUPS "ossec,syscheck,syscheck_entry_added,syscheck_file,pci_dss_11.5,gpg13_4.11,"
#define MAX_BATCHES 8

struct variant {
	const char *name;
	const char *drop; /* SQL run before inserting */
	int no_groups;
	int no_keys; /* no path, no hashes */
	int small_json;
};

#define DROP_SECONDARY "DROP INDEX alert_time; DROP INDEX alert_class; DROP INDEX alert_agent;"

static const struct variant variants[] = {
    {"every index (the design)", "", 0, 0, 0},
    {"- path and hash keys", "", 0, 1, 0},
    {"- groups", "", 1, 0, 0},
    {"- time, class, agent indexes", DROP_SECONDARY, 0, 0, 0},
    {"- json (60 bytes instead of 1200)", "", 0, 0, 1},
    {"only the id index, no keys/groups", DROP_SECONDARY, 1, 1, 0},
};

static void cleanup(const char *db)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	char p[256];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
}

static int drop(const char *db, const char *sql, struct vg_err *err)
{
	sqlite3 *raw = NULL;
	int rc = 0;
	if (sql[0] == '\0')
		return 0;
	if (sqlite3_open(db, &raw) != SQLITE_OK ||
	    sqlite3_exec(raw, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = vg_err_set(err, VG_EINTERNAL, "drop: %s", sqlite3_errmsg(raw));
	sqlite3_close(raw);
	return rc;
}

/* The strings of alert i, made before the clock runs. */
struct gen {
	char id[32], path[80], md5[33], sha1[41], sha256[65];
};

static void gen_alert(struct gen *g, int i)
{
	unsigned h = (unsigned)i * 2654435761u;
	unsigned h2 = h * 2246822519u + 3266489917u;
	snprintf(g->id, sizeof(g->id), "%d.%d", 1700000000 + i / 10, i * 1071);
	snprintf(g->path, sizeof(g->path), "/home/user%u/dir%u/file%08x.bin", h % 50, h % 997, h);
	snprintf(g->md5, sizeof(g->md5), "%08x%08x%016x", h, h2, i);
	snprintf(g->sha1, sizeof(g->sha1), "%08x%08x%024x", h2, h ^ 0x5a5a5a5au, i);
	snprintf(g->sha256, sizeof(g->sha256), "%08x%08x%048x", h ^ 0xa5a5a5a5u, h2, i);
}

static double now(clockid_t clk)
{
	struct timespec t;
	clock_gettime(clk, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One batch through the store; returns the seconds it took. */
static int run_batch(struct store *s, const struct variant *v, const struct gen *g, int first,
		     int n, const char *json, size_t jlen, double secs[2], struct vg_err *err)
{
	double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	int rc = store_begin(s, err);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct store_alert al = {.id = g[i].id,
					 .time_ms = 1700000000000 + first + i,
					 .rule_id = 550 + (unsigned)((first + i) % 3) * 3,
					 .level = 5 + (unsigned)((first + i) % 3),
					 .agent_id = "000",
					 .agent_name = "host",
					 .decoder = "syscheck_new_entry",
					 .location = "syscheck",
					 .description = "File added to the system.",
					 .path = v->no_keys ? NULL : g[i].path,
					 .md5 = v->no_keys ? NULL : g[i].md5,
					 .sha1 = v->no_keys ? NULL : g[i].sha1,
					 .sha256 = v->no_keys ? NULL : g[i].sha256,
					 .groups = v->no_groups ? NULL : GROUPS,
					 .json = json,
					 .json_len = jlen};
		rc = store_add(s, &al, NULL, err);
	}
	if (rc == 0)
		rc = store_commit(s, (uint64_t)first + 1, "pos", err);
	secs[0] += now(CLOCK_MONOTONIC) - t0;
	secs[1] += now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return rc;
}

/* rate[0]: alerts per second of wall time, rate[1]: per second of CPU time */
static int run(const char *db, const struct variant *v, int n, int batch, double rate[2])
{
	struct vg_err err = VG_ERR_INIT;
	struct store *s = NULL;
	char *json = vg_xmalloc(1201);
	struct gen *g = vg_xcalloc((size_t)batch, sizeof(*g));
	size_t jlen = v->small_json ? 60 : 1200;
	double secs[2] = {0, 0};
	int rc;

	memset(json, 'j', 1200);
	json[jlen] = '\0';
	cleanup(db);
	rc = store_open(db, &s, &err);
	if (rc == 0)
		rc = drop(db, v->drop, &err);
	for (int k = 0; rc == 0 && k < n; k += batch) {
		int m = n - k < batch ? n - k : batch;
		for (int i = 0; i < m; i++)
			gen_alert(&g[i], k + i);
		rc = run_batch(s, v, g, k, m, json, jlen, secs, &err);
	}
	if (rc != 0)
		fprintf(stderr, "store_bench: %s\n", err.msg);
	rate[0] = n / secs[0];
	rate[1] = n / secs[1];
	store_close(s);
	cleanup(db);
	vg_free(g);
	vg_free(json);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = 200000;
	uint64_t batches[MAX_BATCHES] = {2000, 20000};
	size_t nb = 2;
	int all = 0, argi = 1;
	char dir[] = "/tmp/vg-store-bench-XXXXXX";
	char db[64];

	if (argi < argc && strcmp(argv[argi], "-v") == 0) {
		all = 1;
		argi++;
	}
	if (argi < argc && vg_parse_u64(argv[argi++], 100000000, &n) != 0)
		n = 0;
	if (argi < argc)
		nb = 0;
	for (; argi < argc && nb < MAX_BATCHES; argi++)
		if (vg_parse_u64(argv[argi], 1000000, &batches[nb++]) != 0)
			n = 0;
	for (size_t i = 0; i < nb; i++)
		if (batches[i] == 0)
			n = 0;
	if (n == 0 || argi < argc) {
		fprintf(stderr, "usage: store_bench [-v] [N [BATCH...]]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/alerts.db", dir);
	for (size_t b = 0; b < nb; b++) {
		printf("alert store: %llu alerts, batches of %llu\n", (unsigned long long)n,
		       (unsigned long long)batches[b]);
		for (size_t i = 0; i < (all ? VG_ARRAY_LEN(variants) : 1); i++) {
			double rate[2] = {0, 0};
			if (run(db, &variants[i], (int)n, (int)batches[b], rate) != 0)
				break;
			printf("  %-36s %9.0f alerts/s %6.2f us/alert (CPU: %9.0f/s %6.2f us)\n",
			       variants[i].name, rate[0], 1e6 / rate[0], rate[1], 1e6 / rate[1]);
			fflush(stdout);
		}
	}
	rmdir(dir);
	return 0;
}
