/*
 * gen_alerts.c - A seeded alert store of N realistic alerts, for the API benchmark.
 *
 * Usage: gen_alerts [-n N] [-s SEED] [-e END_MS] DB
 *        (default 1,000,000 alerts, seed 42, END_MS 1795737600000 =
 *        2026-11-28T00:00:00Z)
 *
 * Writes N alerts through the store's writer API (store_open / begin / add /
 * commit, batches of 20,000 as the pipeline commits when saturated) into
 * DB, which must not exist. The alerts spread over the 24 hours before
 * END_MS, oldest first, with ids "<epoch>.<offset>" growing as Wazuh's do;
 * they mix the rules a Vigie manager raises (554 file added, 550 modified,
 * 553 deleted, 87105 VirusTotal positive, 99901 known malware hash, 99910
 * quarantined, 99903 VirusTotal error at level 3) from 50 agents, some
 * noisier than others, with FIM-like paths and md5/sha1/sha256 digests,
 * and JSON lines of about 1.2 KB shaped like the manager's (tests/fixtures/
 * seed-alerts). Everything derives from the seed: two runs give the same
 * store. The checkpoint is left empty, so a manager started on the store
 * anchors its alert files as on a fresh HOME.
 *
 * Prints "alerts=N seconds=S end_ms=E since_ms=B" on success. One thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/mem.h"
#include "lib/str.h"
#include "manager/store.h"
#include "splitmix.h"

#define GEN_BATCH 20000
#define GEN_AGENTS 50
#define GEN_SPAN_MS (24LL * 3600 * 1000)
#define GEN_JSON_MAX 4096
#define GEN_DESC_MAX 512

/* What each rule contributes; share is out of 1000. */
struct gen_rule {
	unsigned id, level, share;
	const char *decoder, *location, *groups, *event;
};

#define FIM_GROUPS_TAIL                                                                            \
	"syscheck_file,pci_dss_11.5,gpg13_4.11,gdpr_II_5.1.f,hipaa_164.312.c.1,"                   \
	"hipaa_164.312.c.2,nist_800_53_SI.7,tsc_PI1.4,tsc_PI1.5,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,"    \
	"tsc_CC7.3,"

static const struct gen_rule gen_rules[] = {
    {554, 5, 400, "syscheck_new_entry", "syscheck",
     "ossec,syscheck,syscheck_entry_added," FIM_GROUPS_TAIL, "added"},
    {550, 7, 320, "syscheck_integrity_changed", "syscheck",
     "ossec,syscheck,syscheck_entry_modified," FIM_GROUPS_TAIL, "modified"},
    {553, 7, 120, "syscheck_deleted", "syscheck",
     "ossec,syscheck,syscheck_entry_deleted," FIM_GROUPS_TAIL, "deleted"},
    {99903, 3, 60, "json", "virustotal", "virustotal,", NULL},
    {87105, 12, 50, "json", "virustotal", "virustotal,pci_dss_10.6.1,pci_dss_11.4,gdpr_IV_35.7.d,",
     NULL},
    {99901, 12, 30, "syscheck_new_entry", "syscheck", "syscheck,malware,", "added"},
    {99910, 12, 20, "ar_log_json", "/var/ossec/logs/active-responses.log", "active_response,",
     NULL},
};
#define GEN_NRULES (sizeof(gen_rules) / sizeof(gen_rules[0]))

/* "~" stands for the user's home directory */
static const char *const gen_dirs[] = {
    "~/Downloads",  "/var/www/html/uploads", "/usr/local/bin",      "/etc/cron.d",
    "/opt/app/lib", "/tmp/.cache",           "/srv/share/incoming", "~/.local/bin",
};
#define GEN_NDIRS (sizeof(gen_dirs) / sizeof(gen_dirs[0]))

static const char *const gen_exts[] = {".exe", ".sh", ".so", ".pdf", ".zip", ".conf", ".py"};

/* One alert's strings; rebuilt for every alert. */
struct gen_alert {
	char id[48], agent_id[8], agent_name[32], path[160], md5[33], sha1[41], sha256[65];
	char md5_before[33], desc[GEN_DESC_MAX], json[GEN_JSON_MAX];
	const struct gen_rule *rule;
	int64_t time_ms;
	size_t json_len;
};

/* n hex digits of pseudo-random data into out (n + 1 bytes). */
static void gen_hex(uint64_t *s, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			v = splitmix64_next(s);
		out[i] = hex[v & 15];
		v >>= 4;
	}
	out[n] = '\0';
}

static const struct gen_rule *gen_pick_rule(uint64_t r)
{
	unsigned x = (unsigned)(r % 1000), acc = 0;

	for (size_t i = 0; i < GEN_NRULES; i++) {
		acc += gen_rules[i].share;
		if (x < acc)
			return &gen_rules[i];
	}
	return &gen_rules[0];
}

/* The description as the rule's template makes it. */
static void gen_desc(struct gen_alert *g, uint64_t r)
{
	switch (g->rule->id) {
	case 554:
		snprintf(g->desc, sizeof(g->desc), "File added to the system.");
		break;
	case 550:
		snprintf(g->desc, sizeof(g->desc), "Integrity checksum changed.");
		break;
	case 553:
		snprintf(g->desc, sizeof(g->desc), "File deleted.");
		break;
	case 99903:
		snprintf(g->desc, sizeof(g->desc),
			 "VirusTotal: Error: server error while looking up %s", g->path);
		break;
	case 87105:
		snprintf(g->desc, sizeof(g->desc),
			 "VirusTotal: Alert - %s - %u engines detected this file", g->path,
			 3 + (unsigned)(r % 60));
		break;
	case 99901:
		snprintf(g->desc, sizeof(g->desc), "Known Malware File Hash is detected: %s",
			 g->path);
		break;
	default:
		snprintf(g->desc, sizeof(g->desc),
			 "Quarantined threat located at %s (quarantine id %.16s)", g->path,
			 g->sha256);
		break;
	}
}

/* The groups as a JSON array body: "a","b",... (Wazuh's list, quoted). */
static void gen_groups_json(const char *groups, char *out, size_t outsz)
{
	size_t o = 0;
	const char *p = groups;

	while (*p != '\0' && o + 4 < outsz) {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0 && o + n + 4 < outsz) {
			o += (size_t)snprintf(out + o, outsz - o, "%s\"%.*s\"", o > 0 ? "," : "",
					      (int)n, p);
		}
		p += n + (e != NULL ? 1 : 0);
	}
	out[o] = '\0';
}

/* The rule-specific tail of the JSON line: syscheck, virustotal or the action. */
static void gen_tail(const struct gen_alert *g, char *out, size_t outsz, uint64_t r)
{
	if (g->rule->event != NULL)
		snprintf(
		    out, outsz,
		    "\"full_log\":\"File '%s' %s\\nMode: realtime\\n\","
		    "\"syscheck\":{\"path\":\"%s\",\"mode\":\"realtime\",\"size_after\":\"%u\","
		    "\"perm_after\":\"rw-r--r--\",\"uid_after\":\"0\",\"gid_after\":\"0\","
		    "\"md5_before\":\"%s\",\"md5_after\":\"%s\",\"sha1_after\":\"%s\","
		    "\"sha256_after\":\"%s\",\"uname_after\":\"root\",\"gname_after\":\"root\","
		    "\"inode_after\":%u,\"changed_attributes\":[\"size\",\"mtime\",\"md5\","
		    "\"sha1\",\"sha256\"],\"event\":\"%s\"}",
		    g->path, g->rule->event, g->path, (unsigned)(r % 5000000), g->md5_before,
		    g->md5, g->sha1, g->sha256, (unsigned)(r >> 40), g->rule->event);
	else if (g->rule->id == 99910)
		snprintf(
		    out, outsz,
		    "\"full_log\":\"{\\\"command\\\":\\\"add\\\",\\\"parameters\\\":{"
		    "\\\"program\\\":\\\"quarantine\\\"}}\",\"vigie\":{\"action\":\"quarantine\","
		    "\"status\":\"done\",\"file\":\"%s\",\"quarantine_id\":\"%.16s\","
		    "\"sha256\":\"%s\"}",
		    g->path, g->sha256, g->sha256);
	else
		snprintf(out, outsz,
			 "\"data\":{\"integration\":\"virustotal\",\"virustotal\":{\"found\":\"1\","
			 "\"malicious\":\"%s\",\"source\":{\"alert_id\":\"%s\",\"file\":\"%s\","
			 "\"md5\":\"%s\",\"sha1\":\"%s\"},\"sha1\":\"%s\",\"scan_date\":"
			 "\"2026-11-27 10:00:00\",\"positives\":\"%u\",\"total\":\"72\","
			 "\"permalink\":\"https://www.virustotal.com/gui/file/%s/detection\"}}",
			 g->rule->id == 87105 ? "1" : "0", g->id, g->path, g->md5, g->sha1, g->sha1,
			 3 + (unsigned)(r % 60), g->sha256);
}

/* Alert i of n, its fields and its JSON line. */
static void gen_one(struct gen_alert *g, uint64_t seed, uint64_t i, uint64_t n, int64_t since_ms,
		    uint64_t *offset)
{
	uint64_t s = seed ^ (i * 0x2545f4914f6cdd1dULL);
	uint64_t r1 = splitmix64_next(&s), r2 = splitmix64_next(&s), r3 = splitmix64_next(&s);
	/* a few agents are noisy: the square skews toward low numbers */
	unsigned a = (unsigned)(((r2 % 1000) * (r2 % 1000)) / (1000000 / GEN_AGENTS)) + 1;
	char user[16], dir[64], groups[768], tail[2048];
	const char *d;
	struct tm tm;
	time_t sec;

	g->rule = gen_pick_rule(r1);
	g->time_ms = since_ms + (int64_t)((i * (uint64_t)GEN_SPAN_MS) / n);
	snprintf(g->agent_id, sizeof(g->agent_id), "%03u", a);
	snprintf(g->agent_name, sizeof(g->agent_name), "%s-%03u", a % 3 == 0 ? "web" : "host", a);
	snprintf(user, sizeof(user), "user%u", (unsigned)(r3 % 40));
	d = gen_dirs[(r3 >> 8) % GEN_NDIRS];
	if (d[0] == '~')
		snprintf(dir, sizeof(dir), "/home/%s%s", user, d + 1);
	else
		snprintf(dir, sizeof(dir), "%s", d);
	snprintf(g->path, sizeof(g->path), "%s/file-%08" PRIx64 "%s", dir, (r3 >> 16) % 200000,
		 gen_exts[(r3 >> 40) % 7]);
	gen_hex(&s, g->md5, 32);
	gen_hex(&s, g->md5_before, 32);
	gen_hex(&s, g->sha1, 40);
	gen_hex(&s, g->sha256, 64);
	gen_desc(g, r2 >> 20);
	snprintf(g->id, sizeof(g->id), "%" PRId64 ".%" PRIu64, g->time_ms / 1000, *offset);
	gen_groups_json(g->rule->groups, groups, sizeof(groups));
	gen_tail(g, tail, sizeof(tail), r3);
	sec = (time_t)(g->time_ms / 1000);
	gmtime_r(&sec, &tm);
	int len = snprintf(
	    g->json, sizeof(g->json),
	    "{\"timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000\",\"rule\":{\"level\":%u,"
	    "\"description\":\"%s\",\"id\":\"%u\",\"firedtimes\":%u,\"mail\":false,"
	    "\"groups\":[%s]},\"agent\":{\"id\":\"%s\",\"name\":\"%s\",\"ip\":\"10.0.%u.%u\"},"
	    "\"manager\":{\"name\":\"vigie-manager\"},\"id\":\"%s\",%s,"
	    "\"decoder\":{\"name\":\"%s\"},\"location\":\"%s\"}",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(g->time_ms % 1000), g->rule->level, g->desc, g->rule->id,
	    1 + (unsigned)(r1 >> 50), groups, g->agent_id, g->agent_name, a / 250, a % 250, g->id,
	    tail, g->rule->decoder, g->rule->location);
	g->json_len = len > 0 && (size_t)len < sizeof(g->json) ? (size_t)len : strlen(g->json);
	*offset += g->json_len + 1; /* as alerts.json's offsets grow */
}

static int gen_batch(struct store *st, uint64_t seed, uint64_t first, uint64_t count, uint64_t n,
		     int64_t since_ms, uint64_t *offset, struct gen_alert *g, size_t *bytes,
		     struct vg_err *err)
{
	int rc = store_begin(st, err);

	for (uint64_t i = first; rc == 0 && i < first + count; i++) {
		struct store_alert a;
		gen_one(g, seed, i, n, since_ms, offset);
		a = (struct store_alert){.id = g->id,
					 .time_ms = g->time_ms,
					 .rule_id = g->rule->id,
					 .level = g->rule->level,
					 .agent_id = g->agent_id,
					 .agent_name = g->agent_name,
					 .decoder = g->rule->decoder,
					 .location = g->rule->location,
					 .description = g->desc,
					 .path = g->path,
					 .md5 = g->md5,
					 .sha1 = g->sha1,
					 .sha256 = g->rule->id == 99903 ? NULL : g->sha256,
					 .groups = g->rule->groups,
					 .json = g->json,
					 .json_len = g->json_len};
		*bytes += g->json_len + 1;
		rc = store_add(st, &a, NULL, err);
	}
	if (rc == 0)
		rc = store_commit(st, 0, NULL, err);
	return rc;
}

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: gen_alerts [-n N] [-s SEED] [-e END_MS] DB\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, seed = 42, end = 1795737600000ULL, offset = 0;
	struct vg_err err = VG_ERR_INIT;
	struct store *st = NULL;
	struct gen_alert *g = vg_xcalloc(1, sizeof(*g));
	struct stat sb;
	size_t bytes = 0;
	int argi = 1, rc = 0;
	double t0;

	for (; argi + 1 < argc && argv[argi][0] == '-'; argi += 2) {
		uint64_t *v = strcmp(argv[argi], "-n") == 0   ? &n
			      : strcmp(argv[argi], "-s") == 0 ? &seed
			      : strcmp(argv[argi], "-e") == 0 ? &end
							      : NULL;
		if (v == NULL || vg_parse_u64(argv[argi + 1], INT64_MAX, v) != 0) {
			vg_free(g);
			return usage();
		}
	}
	/* a lone "--help" or "-x" is a mistake, not a file to fill with 1.6 GB */
	if (argi + 1 != argc || argv[argi][0] == '-' || n == 0 || end < (uint64_t)GEN_SPAN_MS) {
		vg_free(g);
		return usage();
	}
	if (stat(argv[argi], &sb) == 0 || errno != ENOENT) {
		fprintf(stderr, "gen_alerts: %s exists (or cannot be checked)\n", argv[argi]);
		vg_free(g);
		return 1;
	}
	int64_t since = (int64_t)end - GEN_SPAN_MS;
	t0 = mono();
	rc = store_open(argv[argi], &st, &err);
	for (uint64_t i = 0; rc == 0 && i < n; i += GEN_BATCH)
		rc = gen_batch(st, seed, i, n - i < GEN_BATCH ? n - i : GEN_BATCH, n, since,
			       &offset, g, &bytes, &err);
	store_close(st);
	vg_free(g);
	if (rc != 0) {
		fprintf(stderr, "gen_alerts: %s\n", err.msg);
		return 1;
	}
	printf("alerts=%" PRIu64 " seconds=%.2f end_ms=%" PRIu64 " since_ms=%" PRId64
	       " avg_json=%zu\n",
	       n, mono() - t0, end, since, bytes / (size_t)n);
	return 0;
}
