/*
 * hash.c - One-pass md5 + sha1 + sha256 of a file descriptor (OpenSSL 3 EVP).
 *
 * Each file is read once with large read(2) calls into one buffer and every
 * requested digest is updated from it, so the cost is one copy out of the page
 * cache plus the digests themselves. The EVP_MD objects are fetched once per
 * struct hash_set (fetching is a provider lookup under a lock, far too slow
 * per file) and the EVP_MD_CTXs are reused with EVP_DigestInit_ex2.
 *
 * Serial path (fim_hasher_fd): the buffer is fed to the digests in strides
 * small enough to stay in the L1 cache while md5, sha1 and sha256 walk it in
 * turn; this keeps the one-pass rate at the sum-of-costs limit that
 * `openssl speed` measures on hot 16 KiB blocks.
 *
 * Parallel path (fim_hash_fd_parallel): md5 is the slowest digest by about 2x
 * (it cannot use SHA-NI), so a helper thread hashes md5 while the calling
 * thread reads and hashes sha1 + sha256: the reader's copy cost lands on the
 * lighter side and both threads finish close together. The two share a ring
 * of RING_SLOTS buffers: the reader publishes a slot, hashes its own digests
 * on it and moves on; a slot is reused only once the helper has finished it.
 *
 * Thread model: a struct fim_hasher belongs to one thread. Inside the parallel
 * path each EVP_MD_CTX is touched by exactly one thread; the ring counters are
 * guarded by the ring mutex.
 */
#include "fim/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "fim/config.h"
#include "lib/common.h"
#include "lib/mem.h"
#include "lib/str.h"

enum { HASH_MD5, HASH_SHA1, HASH_SHA256, HASH_N };

/* Bytes given to one digest before moving to the next (fits L1 data cache). */
#define HASH_STRIDE (16u * 1024u)

/* Parallel ring: slots of RING_CHUNK bytes; total stays within L2. */
#define RING_SLOTS 8u
#define RING_CHUNK (128u * 1024u)

struct hash_algo {
	const char *name; /* OpenSSL fetch name */
	unsigned bit;     /* FIM_CHECK_* */
	size_t len;       /* digest bytes */
};

static const struct hash_algo hash_algos[HASH_N] = {
    [HASH_MD5] = {"MD5", FIM_CHECK_MD5, 16},
    [HASH_SHA1] = {"SHA1", FIM_CHECK_SHA1, 20},
    [HASH_SHA256] = {"SHA256", FIM_CHECK_SHA256, 32},
};

/* The three digest contexts; each ctx is used by one thread at a time. */
struct hash_set {
	EVP_MD *md[HASH_N];
	EVP_MD_CTX *ctx[HASH_N];
};

struct fim_hasher {
	struct hash_set set;
	unsigned char *buf; /* FIM_HASH_BUFSIZE bytes */
};

/* ------------------------------------------------------------------------ */
/* Digest contexts                                                          */
/* ------------------------------------------------------------------------ */

static int ossl_fail(struct vg_err *err, const char *what)
{
	char text[128] = "unknown OpenSSL error";
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	return vg_err_set(err, VG_EINTERNAL, "%s: %s", what, text);
}

static void hash_set_free(struct hash_set *s)
{
	for (int i = 0; i < HASH_N; i++) {
		EVP_MD_CTX_free(s->ctx[i]);
		EVP_MD_free(s->md[i]);
		s->ctx[i] = NULL;
		s->md[i] = NULL;
	}
}

/* Fetch the three algorithms and make their contexts; all or nothing. */
static int hash_set_init(struct hash_set *s, struct vg_err *err)
{
	int rc = 0;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < HASH_N; i++) {
		s->md[i] = EVP_MD_fetch(NULL, hash_algos[i].name, NULL);
		if (s->md[i] == NULL) {
			rc = ossl_fail(err, hash_algos[i].name);
			goto out;
		}
		s->ctx[i] = EVP_MD_CTX_new();
		if (s->ctx[i] == NULL) {
			rc = ossl_fail(err, "EVP_MD_CTX_new");
			goto out;
		}
	}
out:
	if (rc != 0)
		hash_set_free(s);
	return rc;
}

static int hash_set_start(struct hash_set *s, unsigned which, struct vg_err *err)
{
	for (int i = 0; i < HASH_N; i++) {
		if ((which & hash_algos[i].bit) == 0)
			continue;
		if (EVP_DigestInit_ex2(s->ctx[i], s->md[i], NULL) != 1)
			return ossl_fail(err, "EVP_DigestInit_ex2");
	}
	return 0;
}

/*
 * Feed len bytes to the digests in which. Stride by stride, so each digest
 * reads data the previous one just pulled into L1.
 */
static int hash_set_update(struct hash_set *s, unsigned which, const unsigned char *p, size_t len,
			   struct vg_err *err)
{
	while (len > 0) {
		size_t n = VG_MIN(len, (size_t)HASH_STRIDE);
		for (int i = 0; i < HASH_N; i++) {
			if ((which & hash_algos[i].bit) == 0)
				continue;
			if (EVP_DigestUpdate(s->ctx[i], p, n) != 1)
				return ossl_fail(err, "EVP_DigestUpdate");
		}
		p += n;
		len -= n;
	}
	return 0;
}

static char *digest_field(struct fim_digests *out, int i)
{
	switch (i) {
	case HASH_MD5:
		return out->md5;
	case HASH_SHA1:
		return out->sha1;
	default:
		return out->sha256;
	}
}

static int hash_set_finish(struct hash_set *s, unsigned which, struct fim_digests *out,
			   struct vg_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;

	for (int i = 0; i < HASH_N; i++) {
		if ((which & hash_algos[i].bit) == 0)
			continue;
		if (EVP_DigestFinal_ex(s->ctx[i], md, &len) != 1)
			return ossl_fail(err, "EVP_DigestFinal_ex");
		vg_hex_encode(digest_field(out, i), md, VG_MIN((size_t)len, hash_algos[i].len));
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

static void hint_sequential(int fd)
{
	/* Advice only: pipes and some filesystems refuse it, which is harmless. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

/* One read(2), retried on EINTR. *n = 0 at end of file. */
static int read_some(int fd, unsigned char *buf, size_t len, size_t *n, struct vg_err *err)
{
	ssize_t r;

	do
		r = read(fd, buf, len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		*n = 0;
		return vg_err_errno(err, errno, "read fd %d", fd);
	}
	*n = (size_t)r;
	return 0;
}

/* VG_ETOOBIG when adding n bytes to total passes max (0 = no limit). */
static int check_limit(uint64_t total, size_t n, uint64_t max, struct vg_err *err)
{
	if (max != 0 && (uint64_t)n > max - VG_MIN(total, max))
		return vg_err_set(err, VG_ETOOBIG, "file grew past %llu bytes while hashed",
				  (unsigned long long)max);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Serial hasher                                                            */
/* ------------------------------------------------------------------------ */

int fim_hasher_new(struct fim_hasher **out, struct vg_err *err)
{
	struct fim_hasher *h = vg_xcalloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	rc = hash_set_init(&h->set, err);
	if (rc != 0)
		goto out;
	h->buf = vg_xmalloc(FIM_HASH_BUFSIZE);
	*out = h; /* transferred */
	h = NULL;
out:
	fim_hasher_free(h);
	return rc;
}

void fim_hasher_free(struct fim_hasher *h)
{
	if (h == NULL)
		return;
	hash_set_free(&h->set);
	vg_free(h->buf);
	vg_free(h);
}

int fim_hasher_fd(struct fim_hasher *h, int fd, unsigned which, uint64_t max_bytes,
		  struct fim_digests *out, uint64_t *nread, struct vg_err *err)
{
	uint64_t total = 0;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	which &= FIM_CHECK_SUM;
	rc = hash_set_start(&h->set, which, err);
	if (rc != 0)
		goto out;
	for (;;) {
		rc = read_some(fd, h->buf, FIM_HASH_BUFSIZE, &n, err);
		if (rc != 0 || n == 0)
			break;
		/* most files fit one buffer: advise only those that do not */
		if (total == 0 && n == FIM_HASH_BUFSIZE)
			hint_sequential(fd);
		rc = check_limit(total, n, max_bytes, err);
		if (rc != 0)
			break;
		rc = hash_set_update(&h->set, which, h->buf, n, err);
		if (rc != 0)
			break;
		total += n;
	}
	if (rc == 0)
		rc = hash_set_finish(&h->set, which, out, err);
out:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	if (nread != NULL)
		*nread = total;
	return rc;
}

void fim_hash_buffer(const void *data, size_t len, unsigned which, struct fim_digests *out)
{
	struct hash_set s;

	memset(out, 0, sizeof(*out));
	which &= FIM_CHECK_SUM;
	if (hash_set_init(&s, NULL) != 0)
		return;
	if (hash_set_start(&s, which, NULL) != 0 ||
	    hash_set_update(&s, which, data, len, NULL) != 0 ||
	    hash_set_finish(&s, which, out, NULL) != 0)
		memset(out, 0, sizeof(*out));
	hash_set_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Parallel hasher: one reader + one helper over a ring of buffers          */
/* ------------------------------------------------------------------------ */

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t filled; /* reader -> helper: a slot was published */
	pthread_cond_t freed;  /* helper -> reader: a slot was finished */
	unsigned char *slot[RING_SLOTS];
	size_t len[RING_SLOTS];
	uint64_t produced; /* slots published by the reader */
	uint64_t consumed; /* slots finished by the helper */
	bool done;         /* reader stopped (EOF, error or limit) */
	struct hash_set *set;
	unsigned which; /* the helper's digests */
	int rc;         /* helper's failure; read after join */
	struct vg_err err;
};

static void *ring_helper(void *arg)
{
	struct ring *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->consumed == r->produced && !r->done)
			pthread_cond_wait(&r->filled, &r->mu);
		if (r->consumed == r->produced)
			break;
		unsigned i = (unsigned)(r->consumed % RING_SLOTS);
		size_t n = r->len[i];
		pthread_mutex_unlock(&r->mu);
		/* After a failure keep draining so the reader never blocks. */
		if (r->rc == 0)
			r->rc = hash_set_update(r->set, r->which, r->slot[i], n, &r->err);
		pthread_mutex_lock(&r->mu);
		r->consumed++;
		pthread_cond_signal(&r->freed);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Wait for a free slot, fill it and publish it; *n = 0 at EOF. */
static int ring_fill(struct ring *r, int fd, unsigned char **slot, size_t *n, struct vg_err *err)
{
	pthread_mutex_lock(&r->mu);
	while (r->produced - r->consumed >= RING_SLOTS)
		pthread_cond_wait(&r->freed, &r->mu);
	unsigned i = (unsigned)(r->produced % RING_SLOTS);
	pthread_mutex_unlock(&r->mu);

	*slot = r->slot[i];
	return read_some(fd, *slot, RING_CHUNK, n, err);
}

static void ring_publish(struct ring *r, size_t n)
{
	pthread_mutex_lock(&r->mu);
	r->len[r->produced % RING_SLOTS] = n;
	r->produced++;
	pthread_cond_signal(&r->filled);
	pthread_mutex_unlock(&r->mu);
}

static void ring_stop(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->done = true;
	pthread_cond_signal(&r->filled);
	pthread_mutex_unlock(&r->mu);
}

/* The reader side: read, publish, hash own digests; returns the first error. */
static int ring_read_loop(struct ring *r, int fd, unsigned mine, uint64_t max_bytes,
			  uint64_t *total, struct vg_err *err)
{
	unsigned char *slot;
	size_t n;
	int rc;

	for (;;) {
		rc = ring_fill(r, fd, &slot, &n, err);
		if (rc != 0 || n == 0)
			return rc;
		rc = check_limit(*total, n, max_bytes, err);
		if (rc != 0)
			return rc;
		ring_publish(r, n);
		rc = hash_set_update(r->set, mine, slot, n, err);
		if (rc != 0)
			return rc;
		*total += n;
	}
}

/*
 * Split which between the helper and the reader: the helper takes md5 (the
 * slowest, ~2x sha1 or sha256 with SHA-NI), the reader the rest. Returns the
 * helper's mask, 0 when splitting would not help (fewer than two digests).
 */
static unsigned split_helper(unsigned which)
{
	if (which != (which & -which) && (which & FIM_CHECK_MD5))
		return FIM_CHECK_MD5;
	if (which == (FIM_CHECK_SHA1 | FIM_CHECK_SHA256))
		return FIM_CHECK_SHA1;
	return 0;
}

static int hash_serial_once(int fd, unsigned which, uint64_t max_bytes, struct fim_digests *out,
			    uint64_t *nread, struct vg_err *err)
{
	struct fim_hasher *h = NULL;
	int rc = fim_hasher_new(&h, err);

	if (rc == 0)
		rc = fim_hasher_fd(h, fd, which, max_bytes, out, nread, err);
	fim_hasher_free(h);
	return rc;
}

int fim_hash_fd_parallel(int fd, unsigned which, uint64_t max_bytes, struct fim_digests *out,
			 uint64_t *nread, struct vg_err *err)
{
	struct hash_set set;
	struct ring r;
	pthread_t tid;
	uint64_t total = 0;
	unsigned helper, mine;
	unsigned char *mem = NULL;
	bool started = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (nread != NULL)
		*nread = 0;
	which &= FIM_CHECK_SUM;
	helper = split_helper(which);
	if (helper == 0)
		return hash_serial_once(fd, which, max_bytes, out, nread, err);
	mine = which & ~helper;

	rc = hash_set_init(&set, err);
	if (rc != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.filled, NULL);
	pthread_cond_init(&r.freed, NULL);
	mem = vg_xmalloc((size_t)RING_SLOTS * RING_CHUNK);
	for (unsigned i = 0; i < RING_SLOTS; i++)
		r.slot[i] = mem + (size_t)i * RING_CHUNK;
	r.set = &set;
	r.which = helper;

	hint_sequential(fd);
	rc = hash_set_start(&set, which, err);
	if (rc != 0)
		goto out;
	if (pthread_create(&tid, NULL, ring_helper, &r) != 0) {
		rc = vg_err_set(err, VG_EINTERNAL, "cannot start the hashing thread");
		goto out;
	}
	started = true;
	rc = ring_read_loop(&r, fd, mine, max_bytes, &total, err);
	ring_stop(&r);
	pthread_join(tid, NULL);
	if (rc == 0 && r.rc != 0)
		rc = vg_err_set(err, r.rc, "%s", r.err.msg);
	if (rc == 0)
		rc = hash_set_finish(&set, which, out, err);
out:
	if (!started)
		ring_stop(&r);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	if (nread != NULL)
		*nread = total;
	pthread_cond_destroy(&r.freed);
	pthread_cond_destroy(&r.filled);
	pthread_mutex_destroy(&r.mu);
	vg_free(mem);
	hash_set_free(&set);
	return rc;
}
