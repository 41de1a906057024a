/*
 * store_bench.c - What each index of the alert store costs, in alerts/s.
 *
 * Usage: store_bench [N [BATCH]]   (default 20000 alerts, batches of 1000)
 *
 * Inserts N FIM-like alerts (1.2 KB JSON, 6 groups, random hashes and
 * paths) through the store API into a fresh database in /tmp, once with
 * every index and once per variant with some indexes dropped (raw DROP
 * INDEX before the first insert; the store's statements re-prepare), and
 * prints one line per variant. Single-threaded: one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/mem.h"
#include "lib/str.h"
#include "manager/store.h"

#define GROUPS "ossec,syscheck,syscheck_entry_added,syscheck_file,pci_dss_11.5,gpg13_4.11,"

struct variant {
	const char *name;
	const char *drop; /* SQL run before inserting */
	int no_groups;
};

static const struct variant variants[] = {
    {"all indexes", "", 0},
    {"- md5, sha1, sha256", "DROP INDEX alert_md5; DROP INDEX alert_sha1; DROP INDEX alert_sha256;",
     0},
    {"- path", "DROP INDEX alert_path;", 0},
    {"- groups (no alert_group rows)", "", 1},
    {"- time, rule, level, agent",
     "DROP INDEX alert_time; DROP INDEX alert_rule; DROP INDEX alert_level; "
     "DROP INDEX alert_agent;",
     0},
    {"- hashes, path",
     "DROP INDEX alert_md5; DROP INDEX alert_sha1; DROP INDEX alert_sha256; "
     "DROP INDEX alert_path;",
     0},
    {"no index but id, no groups",
     "DROP INDEX alert_md5; DROP INDEX alert_sha1; DROP INDEX alert_sha256; "
     "DROP INDEX alert_path; DROP INDEX alert_time; DROP INDEX alert_rule; "
     "DROP INDEX alert_level; DROP INDEX alert_agent;",
     1},
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

static int run(const char *db, const struct variant *v, int n, int batch, double *rate)
{
	struct vg_err err = VG_ERR_INIT;
	struct store *s = NULL;
	sqlite3 *raw = NULL;
	char *json = vg_xmalloc(1201);
	char id[32], path[80], md5[33], sha1[41], sha256[65];
	struct timespec a, b;
	int rc;

	memset(json, 'j', 1200);
	json[1200] = '\0';
	cleanup(db);
	rc = store_open(db, &s, &err);
	if (rc == 0 && v->drop[0] != '\0') {
		if (sqlite3_open(db, &raw) != SQLITE_OK ||
		    sqlite3_exec(raw, v->drop, NULL, NULL, NULL) != SQLITE_OK)
			rc = vg_err_set(&err, VG_EINTERNAL, "drop: %s", sqlite3_errmsg(raw));
		sqlite3_close(raw);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; rc == 0 && k < n; k += batch) {
		rc = store_begin(s, &err);
		for (int i = k; rc == 0 && i < k + batch && i < n; i++) {
			unsigned h = (unsigned)i * 2654435761u;
			snprintf(id, sizeof(id), "%d.%d", 1700000000 + i / 10, i * 1071);
			snprintf(path, sizeof(path), "/home/user%u/dir%u/file%08x.bin", h % 50,
				 h % 997, h);
			snprintf(md5, sizeof(md5), "%08x%024x", h, i);
			snprintf(sha1, sizeof(sha1), "%08x%032x", h ^ 0x5a5a5a5au, i);
			snprintf(sha256, sizeof(sha256), "%08x%056x", h ^ 0xa5a5a5a5u, i);
			struct store_alert al = {.id = id,
						 .time_ms = 1700000000000 + i,
						 .rule_id = 554,
						 .level = 5,
						 .agent_id = "000",
						 .agent_name = "host",
						 .decoder = "syscheck_new_entry",
						 .location = "syscheck",
						 .description = "File added to the system.",
						 .path = path,
						 .md5 = md5,
						 .sha1 = sha1,
						 .sha256 = sha256,
						 .groups = v->no_groups ? NULL : GROUPS,
						 .json = json,
						 .json_len = 1200};
			rc = store_add(s, &al, NULL, &err);
		}
		if (rc == 0)
			rc = store_commit(s, (uint64_t)k + 1, "pos", &err);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rc != 0)
		fprintf(stderr, "store_bench: %s\n", err.msg);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	*rate = n / secs;
	store_close(s);
	cleanup(db);
	vg_free(json);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = 20000, batch = 1000;
	char dir[] = "/tmp/vg-store-bench-XXXXXX";
	char db[64];

	if ((argc > 1 && vg_parse_u64(argv[1], 100000000, &n) != 0) ||
	    (argc > 2 && vg_parse_u64(argv[2], 1000000, &batch) != 0) || n == 0 || batch == 0) {
		fprintf(stderr, "usage: store_bench [N [BATCH]]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/alerts.db", dir);
	printf("alert store: %llu alerts, batches of %llu\n", (unsigned long long)n,
	       (unsigned long long)batch);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		double rate = 0;
		if (run(db, &variants[i], (int)n, (int)batch, &rate) != 0)
			break;
		printf("  %-32s %9.0f alerts/s\n", variants[i].name, rate);
		fflush(stdout);
	}
	rmdir(dir);
	return 0;
}
