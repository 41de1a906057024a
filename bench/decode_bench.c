/*
 * decode_bench.c - How fast the manager's syscheck decoder runs.
 *
 *   decode_bench [-r PASSES] [FILE]     time an_syscheck_decode + _free
 *   decode_bench --dump [FILE]          print every decoded result
 *
 * Reads event lines (gen_events output, or any agent log) from FILE or
 * stdin into memory first, so I/O is never timed. Each pass decodes every
 * line once and frees the result, as the analysis thread does. Prints
 *   events= passes= failed= best_us_per_event= mean_us_per_event= events_per_s=
 * where the times are the process's CPU time per pass (CLOCK_PROCESS_CPUTIME_ID:
 * other work on a shared machine does not inflate it) and events_per_s is
 * from the best pass. A measuring tool: no target, no pass/fail.
 *
 * --dump writes, for each line, the decoder, full_log, the "syscheck"
 * object (json_dumps with JSON_PRESERVE_ORDER) and every field in order, or
 * the error. Two builds of the decoder produce identical dumps exactly when
 * they behave identically on that input: it is how a faster decoder is
 * checked against the previous one.
 *
 * Single-threaded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lines.h"
#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/decode_syscheck.h"

#define INPUT_MAX (2048u * 1024u * 1024u)
#define PASSES_DEFAULT 5

static int read_all(FILE *fp, struct vg_buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (vg_buf_append(b, chunk, n) != 0)
			return -1;
	return ferror(fp) ? -1 : 0;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench(const struct bench_lines *l, uint64_t passes)
{
	double best = 0, total = 0;
	size_t failed = 0;

	for (uint64_t p = 0; p < passes; p++) {
		double t0 = cpu_seconds();
		for (size_t i = 0; i < l->n; i++) {
			struct an_syscheck *s;
			if (an_syscheck_decode(l->line[i], l->len[i], &s, NULL) != 0)
				failed++;
			an_syscheck_free(s);
		}
		double dt = cpu_seconds() - t0;
		total += dt;
		if (p == 0 || dt < best)
			best = dt;
	}
	printf("events=%zu passes=%" PRIu64 " failed=%zu best_us_per_event=%.3f "
	       "mean_us_per_event=%.3f events_per_s=%.0f\n",
	       l->n, passes, failed / (size_t)passes, best * 1e6 / (double)l->n,
	       total * 1e6 / (double)l->n / (double)passes, (double)l->n / best);
}

static void dump_one(const char *line, size_t len)
{
	struct vg_err err = VG_ERR_INIT;
	struct an_syscheck *s;

	if (an_syscheck_decode(line, len, &s, &err) != 0) {
		printf("error: %s\n\n", err.msg);
		return;
	}
	const char *dec = an_syscheck_decoder(s), *log = an_syscheck_full_log(s);
	const struct an_fields *f = an_syscheck_fields(s);
	char *block = an_syscheck_block(s)
			  ? json_dumps(an_syscheck_block(s), JSON_PRESERVE_ORDER | JSON_COMPACT)
			  : NULL;

	printf("kind=%d event=%d decoder=%s timestamp=%" PRId64 "\nfull_log=%s\nsyscheck=%s\n",
	       (int)an_syscheck_kind(s), (int)an_syscheck_event(s), dec ? dec : "(null)",
	       an_syscheck_timestamp(s), log ? log : "(null)", block ? block : "(null)");
	for (size_t i = 0; i < an_fields_count(f); i++) {
		const char *name, *value;
		if (an_fields_at(f, i, &name, &value) == 0)
			printf("field %s=%s\n", name, value);
	}
	putchar('\n');
	vg_free(block); /* jansson allocates with malloc */
	an_syscheck_free(s);
}

int main(int argc, char **argv)
{
	struct bench_lines l = {.text = VG_BUF_INIT(INPUT_MAX)};
	uint64_t passes = PASSES_DEFAULT;
	const char *path = NULL;
	int dump = 0, rc = 1;
	FILE *fp = stdin;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0)
			dump = 1;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc &&
			 vg_parse_u64(argv[i + 1], 1000000, &passes) == 0 && passes > 0)
			i++;
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else {
			fprintf(stderr, "usage: decode_bench [-r PASSES] [--dump] [FILE]\n");
			return 2;
		}
	}
	if (path != NULL && (fp = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	if (read_all(fp, &l.text) != 0) {
		fprintf(stderr, "decode_bench: cannot read the input (over %u bytes?)\n",
			INPUT_MAX);
		goto out;
	}
	bench_lines_split(&l);
	if (l.n == 0) {
		fprintf(stderr, "decode_bench: no lines\n");
		goto out;
	}
	if (dump)
		for (size_t i = 0; i < l.n; i++)
			dump_one(l.line[i], l.len[i]);
	else
		bench(&l, passes);
	rc = 0;
out:
	if (fp != stdin)
		fclose(fp);
	vg_buf_free(&l.text);
	vg_free(l.line);
	vg_free(l.len);
	return rc;
}
