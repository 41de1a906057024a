/*
 * rt_bench.c - Realtime latency and burst measurements, for bench/run.
 *
 *   rt_bench latency DIR COUNT RATE   create COUNT files in DIR at RATE files/s
 *   rt_bench burst DIR COUNT          create COUNT files in DIR as fast as possible
 *
 * Standard input is the output of the program under test: Vigie's JSON
 * events (vigie-agent --local-events -), alerts (tail -F alerts.json) or
 * one path per line (inotifywait -m --format '%w%f'). A reader thread timestamps each line as it arrives
 * and matches it to a created file by path; the writer records when each
 * file was closed. Before measuring, a probe file is written until the tool
 * reports it, so setup time is never counted.
 *
 * latency prints: files= seen= p50_ms= p99_ms= max_ms=
 * burst prints:   files= seen= unique= dups= create_s= rate= lag_s=
 * (lag_s: from the last file closed to the last of them reported)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/mem.h"

struct bench {
	const char *dir;
	unsigned long count;
	double *closed; /* per file: close time, 0 = not yet */
	double *seen;   /* per file: first report time */
	unsigned long nseen, ndups, nlines;
	bool probe_seen;
	pthread_mutex_t lock;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The file index of one "DIR/fN" occurrence at p, -1 for the probe, -2 for
 * anything else. */
static long parse_at(const struct bench *b, const char *p)
{
	p += strlen(b->dir) + 1;
	if (strncmp(p, "probe", 5) == 0)
		return -1;
	if (*p != 'f')
		return -2;
	char *end;
	unsigned long i = strtoul(p + 1, &end, 10);
	if (end == p + 1 || (*end != '"' && *end != '\n' && *end != '\0'))
		return -2;
	return i < b->count ? (long)i : -2;
}

/* The file index in a reported line ("DIR/fN" alone, or as a JSON string
 * anywhere in an event or an alert), or -1 for the probe, -2 for anything
 * else. An alert names the file in full_log first ("File 'DIR/fN' added"),
 * so every occurrence is tried. */
static long parse_line(const struct bench *b, const char *line)
{
	size_t dl = strlen(b->dir);
	for (const char *p = strstr(line, b->dir); p != NULL; p = strstr(p + 1, b->dir)) {
		if (p[dl] != '/')
			continue;
		long i = parse_at(b, p);
		if (i != -2)
			return i;
	}
	return -2;
}

static void *reader(void *arg)
{
	struct bench *b = arg;
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		double t = now_s();
		/* only creations count: a JSON event or alert must say "added",
		 * or be the VirusTotal verdict on a file (vt-latency feeds those) */
		if (line[0] == '{' && strstr(line, "\"type\":\"added\"") == NULL &&
		    strstr(line, "\"event\":\"added\"") == NULL &&
		    strstr(line, "\"integration\":\"virustotal\"") == NULL)
			continue;
		long i = parse_line(b, line);
		pthread_mutex_lock(&b->lock);
		b->nlines++;
		if (i == -1) {
			b->probe_seen = true;
		} else if (i >= 0) {
			if (b->seen[i] != 0) {
				b->ndups++;
			} else {
				b->seen[i] = t;
				b->nseen++;
			}
		}
		pthread_mutex_unlock(&b->lock);
	}
	free(line); /* allocated by getline */
	return NULL;
}

static void make_file(const struct bench *b, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, name, strlen(name)) < 0 || close(fd) != 0) {
		perror(path);
		exit(1);
	}
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	nanosleep(&ts, NULL);
}

/* Write the probe until it is reported (the tool is ready), at most 30 s. */
static void wait_ready(struct bench *b)
{
	for (int i = 0; i < 3000; i++) {
		pthread_mutex_lock(&b->lock);
		bool ok = b->probe_seen;
		pthread_mutex_unlock(&b->lock);
		if (ok)
			return;
		if (i % 50 == 0) {
			char name[32];
			snprintf(name, sizeof(name), "probe%d", i);
			make_file(b, name);
		}
		sleep_s(0.01);
	}
	fprintf(stderr, "rt_bench: the tool never reported the probe file\n");
	exit(1);
}

/* Wait until every file is reported or nothing new came for idle_s. */
static void wait_all(struct bench *b, double idle_s)
{
	unsigned long last = 0;
	double since = now_s();
	for (;;) {
		pthread_mutex_lock(&b->lock);
		unsigned long n = b->nseen;
		pthread_mutex_unlock(&b->lock);
		if (n == b->count)
			break;
		if (n != last) {
			last = n;
			since = now_s();
		} else if (now_s() - since > idle_s) {
			break;
		}
		sleep_s(0.005);
	}
	sleep_s(0.5); /* let duplicates, if any, arrive */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report_latency(struct bench *b)
{
	double *lat = vg_xcalloc(b->count, sizeof(*lat));
	unsigned long n = 0;
	for (unsigned long i = 0; i < b->count; i++)
		if (b->seen[i] != 0 && b->closed[i] != 0)
			lat[n++] = (b->seen[i] - b->closed[i]) * 1000.0;
	qsort(lat, n, sizeof(*lat), cmp_double);
	double p50 = n ? lat[n / 2] : -1, p99 = n ? lat[(n * 99) / 100 - (n >= 100)] : -1;
	printf("files=%lu seen=%lu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", b->count, n, p50, p99,
	       n ? lat[n - 1] : -1);
	vg_free(lat);
}

static void report_burst(struct bench *b, double t0, double t1)
{
	double last = 0;
	for (unsigned long i = 0; i < b->count; i++)
		if (b->seen[i] > last)
			last = b->seen[i];
	printf("files=%lu seen=%lu unique=%lu dups=%lu create_s=%.3f rate=%.0f lag_s=%.3f\n",
	       b->count, b->nseen + b->ndups, b->nseen, b->ndups, t1 - t0,
	       (double)b->count / (t1 - t0), last > 0 ? last - t1 : -1.0);
}

int main(int argc, char **argv)
{
	struct bench b = {.lock = PTHREAD_MUTEX_INITIALIZER};
	bool latency = argc == 5 && strcmp(argv[1], "latency") == 0;
	pthread_t thr;

	if (!latency && !(argc == 4 && strcmp(argv[1], "burst") == 0)) {
		fprintf(stderr, "usage: rt_bench latency DIR COUNT RATE | burst DIR COUNT\n");
		return 2;
	}
	b.dir = argv[2];
	b.count = strtoul(argv[3], NULL, 10);
	b.closed = vg_xcalloc(b.count, sizeof(double));
	b.seen = vg_xcalloc(b.count, sizeof(double));
	pthread_create(&thr, NULL, reader, &b);
	wait_ready(&b);

	double rate = latency ? strtod(argv[4], NULL) : 0, t0 = now_s();
	for (unsigned long i = 0; i < b.count; i++) {
		char name[32];
		double ahead = latency ? t0 + (double)i / rate - now_s() : 0;
		if (ahead > 0) /* pace against the schedule, not the previous file */
			sleep_s(ahead);
		snprintf(name, sizeof(name), "f%lu", i);
		make_file(&b, name);
		double t = now_s();
		pthread_mutex_lock(&b.lock);
		b.closed[i] = t;
		pthread_mutex_unlock(&b.lock);
	}
	double t1 = now_s();
	wait_all(&b, latency ? 5.0 : 30.0);
	pthread_mutex_lock(&b.lock);
	if (latency)
		report_latency(&b);
	else
		report_burst(&b, t0, t1);
	pthread_mutex_unlock(&b.lock);
	fflush(stdout);
	_exit(0); /* the reader is blocked on stdin: do not wait for it */
}
