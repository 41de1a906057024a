/*
 * replay.c - Runs a libFuzzer target without libFuzzer.
 *
 *   fuzz_NAME [-runs N] [SEED_FILE_OR_DIR...]
 *
 * Each seed (a file, or the files of a directory and its subdirectories)
 * is fed to LLVMFuzzerTestOneInput as it is, then N inputs (default 2000)
 * made from the seeds by a fixed sequence of mutations: bytes flipped,
 * inserted, deleted, repeated and spliced, and bytes that parsers get wrong
 * (quotes, backslashes, NUL, '%', '<', 0xff, huge numbers). The sequence
 * is deterministic, so a failure replays the same way.
 *
 * make test builds every tests/fuzz/fuzz_*.c with this driver, in the
 * sanitizer build too: the targets keep compiling against the code they
 * test, and hostile bytes go through every parser on every run. Real
 * fuzzing is scripts/fuzz (libFuzzer, clang).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "splitmix.h"

#define REPLAY_SEED_MAX (1u << 20) /* bytes of one seed file */
#define REPLAY_INPUT_MAX 65536u    /* bytes of one mutated input */
#define REPLAY_SEEDS_MAX 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Defined by the targets that need it (fuzz_pki.c). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct seeds {
	struct vg_buf item[REPLAY_SEEDS_MAX];
	size_t n;
};

static size_t below(uint64_t *state, size_t n)
{
	return n == 0 ? 0 : (size_t)(splitmix64_next(state) % n);
}

/* Insert n bytes of p at pos; nothing past the buffer's cap. */
static void insert(struct vg_buf *b, size_t pos, const void *p, size_t n)
{
	void *room;

	if (n == 0 || vg_buf_extend(b, n, &room) != 0)
		return;
	memmove(b->data + pos + n, b->data + pos, b->len - n - pos);
	memcpy(b->data + pos, p, n);
}

static void run_one(const struct vg_buf *b)
{
	LLVMFuzzerTestOneInput((const uint8_t *)b->data, b->len);
}

static int add_path(struct seeds *s, const char *path);

static int add_dir(struct seeds *s, const char *path)
{
	struct dirent **names = NULL;
	int n = scandir(path, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: cannot list\n", path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (rc == 0 && names[i]->d_name[0] != '.') {
			char *sub = vg_xasprintf("%s/%s", path, names[i]->d_name);
			rc = add_path(s, sub);
			vg_free(sub);
		}
		free(names[i]); /* scandir's */
	}
	free(names);
	return rc;
}

static int add_path(struct seeds *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: no such seed\n", path);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(s, path);
	if (s->n == REPLAY_SEEDS_MAX)
		return 0;
	struct vg_buf *b = &s->item[s->n];
	vg_buf_init(b, REPLAY_SEED_MAX);
	if (vg_fs_read_file(path, "seed ", b, NULL) != 0) {
		fprintf(stderr, "replay: %s: cannot read (over 1 MiB?)\n", path);
		return -1;
	}
	s->n++;
	return 0;
}

/* One edit of b (an insertion past its cap is dropped). */
static void mutate_once(struct vg_buf *b, const struct seeds *s, uint64_t *r)
{
	static const char *const tokens[] = {
	    "\"",
	    "\\",
	    "\\u0000",
	    "%",
	    "%00",
	    "<",
	    ">",
	    "</",
	    "&",
	    "{",
	    "}",
	    "[",
	    "]",
	    ":",
	    ",",
	    "\n",
	    "\r",
	    "-1",
	    "0",
	    "18446744073709551616",
	    "99999999999999999999999",
	    "\xff",
	    "\xc3\x28",
	    "\x00",
	    "/../",
	    "=",
	    " ",
	};
	size_t pos = below(r, b->len + 1), n;
	char c = (char)below(r, 256);

	if (b->len == 0) { /* nothing to edit yet */
		insert(b, 0, &c, 1);
		return;
	}
	switch (below(r, 6)) {
	case 0: /* flip a byte */
		b->data[below(r, b->len)] ^= (char)(1u << below(r, 8));
		break;
	case 1: /* insert a random byte */
		insert(b, pos, &c, 1);
		break;
	case 2: /* delete a run */
		n = below(r, b->len - pos + 1);
		memmove(b->data + pos, b->data + pos + n, b->len - pos - n);
		vg_buf_truncate(b, b->len - n);
		break;
	case 3: { /* repeat a run */
		char run[64];
		n = below(r, VG_MIN(b->len - pos, sizeof(run)) + 1);
		memcpy(run, b->data + pos, n);
		insert(b, pos, run, n);
		break;
	}
	case 4: { /* a token parsers get wrong */
		const char *t = tokens[below(r, sizeof(tokens) / sizeof(tokens[0]))];
		insert(b, pos, t, t[0] == '\0' ? 1 : strlen(t));
		break;
	}
	default: /* splice in part of another seed */
		if (s->n > 0) {
			const struct vg_buf *o = &s->item[below(r, s->n)];
			size_t from = below(r, o->len + 1);
			insert(b, pos, o->data + from, below(r, o->len - from + 1));
		}
		break;
	}
}

int main(int argc, char **argv)
{
	struct seeds *s = vg_xcalloc(1, sizeof(*s));
	uint64_t runs = 2000, r = 0x5eed;
	int i = 1;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 2 && strcmp(argv[1], "-runs") == 0) {
		if (vg_parse_u64(argv[2], UINT32_MAX, &runs) != 0) {
			fprintf(stderr, "replay: -runs takes a number\n");
			return 2;
		}
		i = 3;
	}
	for (; i < argc; i++)
		if (add_path(s, argv[i]) != 0)
			return 1;
	for (size_t k = 0; k < s->n; k++)
		run_one(&s->item[k]);
	struct vg_buf in = VG_BUF_INIT(REPLAY_INPUT_MAX);
	for (uint64_t k = 0; k < runs; k++) {
		vg_buf_reset(&in);
		if (s->n > 0) {
			const struct vg_buf *seed = &s->item[below(&r, s->n)];
			insert(&in, 0, seed->data, VG_MIN(seed->len, REPLAY_INPUT_MAX));
		}
		for (size_t m = below(&r, 8) + 1; m > 0; m--)
			mutate_once(&in, s, &r);
		run_one(&in);
	}
	printf("replay: %zu seeds and %llu mutated inputs, no failure\n", s->n,
	       (unsigned long long)runs);
	vg_buf_free(&in);
	for (size_t k = 0; k < s->n; k++)
		vg_buf_free(&s->item[k]);
	vg_free(s);
	return 0;
}
