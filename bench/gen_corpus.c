/*
 * gen_corpus.c - Seeded, reproducible benchmark corpora.
 *
 *   gen_corpus a DIR     100,000 files of 1-16 KiB in 1,100 directories
 *                        (11 top dirs x 100 subdirs, ~91 files each)
 *   gen_corpus b DIR     200 files of 1-50 MiB
 *   gen_corpus big FILE  one 1 GiB file
 *
 * Every file's size and bytes derive from a fixed seed and the file's index
 * only (splitmix64 to seed, xorshift64* to fill), so any run on any machine
 * gives the same corpus, and sha256 of the tree is a stable fingerprint.
 *
 * Completeness: the corpus is built under DIR.tmp (FILE.tmp) and renamed to
 * DIR (FILE) only when every file is written, so "DIR exists" means "DIR is
 * complete" and an interrupted run leaves nothing bench/run would reuse
 * (bench/run removes a stale .tmp before calling).
 *
 * Single-threaded: file creation is metadata-bound and large writes keep the
 * data path cheap (a few seconds for corpus A on a 2-core VM).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"
#include "splitmix.h"

#define SEED_A 0x5649474945410001ull /* "VIGIEA" + 1 */
#define SEED_B 0x5649474945420001ull
#define SEED_BIG 0x5649474945470001ull

#define A_FILES 100000u
#define A_TOP 11u
#define A_SUB 100u
#define A_MIN 1024u
#define A_MAX (16u * 1024u)

#define B_FILES 200u
#define B_MIN (1024u * 1024u)
#define B_MAX (50u * 1024u * 1024u)

#define BIG_SIZE (1024ull * 1024u * 1024u)

#define CHUNK (4u * 1024u * 1024u)
#define PATH_CAP 4096u

/* xorshift64*: fast and good enough for incompressible-looking bytes. */
static uint64_t xorshift_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void fill(unsigned char *buf, size_t len, uint64_t *state)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t v = xorshift_next(state);
		memcpy(buf + i, &v, 8);
	}
	if (i < len) {
		uint64_t v = xorshift_next(state);
		memcpy(buf + i, &v, len - i);
	}
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write size seeded bytes to path, CHUNK by CHUNK. */
static int make_file(const char *path, uint64_t size, uint64_t seed, unsigned char *buf)
{
	uint64_t state = splitmix64_at(seed) | 1u; /* xorshift state must not be 0 */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (size > 0 && rc == 0) {
		size_t n = size < CHUNK ? (size_t)size : CHUNK;
		fill(buf, n, &state);
		rc = write_all(fd, buf, n);
		size -= n;
	}
	if (close(fd) != 0 || rc != 0) {
		fprintf(stderr, "gen_corpus: write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "gen_corpus: mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Size in [lo, hi] drawn from the file's own seed. */
static uint64_t pick_size(uint64_t seed, uint64_t lo, uint64_t hi)
{
	return lo + splitmix64_at(seed ^ 0x51ce5ull) % (hi - lo + 1);
}

static int gen_a(const char *tmp, unsigned char *buf)
{
	char path[PATH_CAP + 64];

	for (unsigned t = 0; t < A_TOP; t++) {
		snprintf(path, sizeof(path), "%s/t%02u", tmp, t);
		if (make_dir(path) != 0)
			return -1;
		for (unsigned s = 0; s < A_SUB; s++) {
			snprintf(path, sizeof(path), "%s/t%02u/s%03u", tmp, t, s);
			if (make_dir(path) != 0)
				return -1;
		}
	}
	for (unsigned i = 0; i < A_FILES; i++) {
		unsigned d = i % (A_TOP * A_SUB);
		uint64_t seed = SEED_A + i;
		snprintf(path, sizeof(path), "%s/t%02u/s%03u/f%06u.bin", tmp, d / A_SUB, d % A_SUB,
			 i);
		if (make_file(path, pick_size(seed, A_MIN, A_MAX), seed, buf) != 0)
			return -1;
	}
	return 0;
}

static int gen_b(const char *tmp, unsigned char *buf)
{
	char path[PATH_CAP + 64];

	for (unsigned i = 0; i < B_FILES; i++) {
		uint64_t seed = SEED_B + i;
		snprintf(path, sizeof(path), "%s/b%03u.bin", tmp, i);
		if (make_file(path, pick_size(seed, B_MIN, B_MAX), seed, buf) != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char tmp[PATH_CAP];
	unsigned char *buf;
	int rc = -1;

	if (argc != 3 || (strcmp(argv[1], "a") != 0 && strcmp(argv[1], "b") != 0 &&
			  strcmp(argv[1], "big") != 0)) {
		fprintf(stderr, "usage: gen_corpus a DIR | b DIR | big FILE\n");
		return 2;
	}
	const char *kind = argv[1], *dst = argv[2];
	if (access(dst, F_OK) == 0) {
		printf("gen_corpus: %s exists, kept\n", dst);
		return 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp)) {
		fprintf(stderr, "gen_corpus: path too long\n");
		return 2;
	}
	if (access(tmp, F_OK) == 0) {
		fprintf(stderr, "gen_corpus: %s exists (interrupted run?): remove it\n", tmp);
		return 1;
	}
	buf = vg_xmalloc(CHUNK);
	if (strcmp(kind, "big") == 0) {
		rc = make_file(tmp, BIG_SIZE, SEED_BIG, buf);
	} else if (make_dir(tmp) == 0) {
		rc = strcmp(kind, "a") == 0 ? gen_a(tmp, buf) : gen_b(tmp, buf);
	}
	vg_free(buf);
	if (rc == 0 && rename(tmp, dst) != 0) {
		fprintf(stderr, "gen_corpus: rename %s: %s\n", tmp, strerror(errno));
		rc = -1;
	}
	return rc == 0 ? 0 : 1;
}
