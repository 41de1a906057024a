/*
 * hash.h - One-pass md5 + sha1 + sha256 of a file (OpenSSL EVP).
 *
 * A struct fim_hasher owns the three digest contexts and a large read
 * buffer; it belongs to one thread (one per hashing worker). For one large
 * file, fim_hash_fd_parallel spreads the three digests over two threads.
 */
#ifndef FIM_HASH_H
#define FIM_HASH_H

#include <stdint.h>

#include "lib/err.h"

struct fim_digests {
	char md5[33]; /* lowercase hex, NUL-terminated; "" when not computed */
	char sha1[41];
	char sha256[65];
};

struct fim_hasher;

/* Read size: small enough that the buffer stays in L2 between the copy out
 * of the page cache and the three digests (docs/benchmarks.md). */
#define FIM_HASH_BUFSIZE (64u * 1024u)

/* which: a mask of FIM_CHECK_MD5 | FIM_CHECK_SHA1 | FIM_CHECK_SHA256. */
int fim_hasher_new(struct fim_hasher **out, struct vg_err *err) VG_MUST_CHECK;
void fim_hasher_free(struct fim_hasher *h);

/*
 * Read fd to EOF and fill out with the digests selected by which (others are
 * ""). *nread receives the bytes hashed. Reading stops with VG_ETOOBIG past
 * max_bytes (0 = no limit), so a file growing while hashed cannot run
 * forever. I/O errors are VG_EINTERNAL/VG_EPERM with the errno text.
 */
int fim_hasher_fd(struct fim_hasher *h, int fd, unsigned which, uint64_t max_bytes,
		  struct fim_digests *out, uint64_t *nread, struct vg_err *err) VG_MUST_CHECK;

/*
 * Same for one large file with the digests split over two threads (md5 on
 * one, sha1 + sha256 on the other) sharing the read buffers.
 */
int fim_hash_fd_parallel(int fd, unsigned which, uint64_t max_bytes, struct fim_digests *out,
			 uint64_t *nread, struct vg_err *err) VG_MUST_CHECK;

/* Digests of a memory buffer (tests, small inputs). */
void fim_hash_buffer(const void *data, size_t len, unsigned which, struct fim_digests *out);

#endif
