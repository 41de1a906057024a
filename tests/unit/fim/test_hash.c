/*
 * Unit tests for src/fim/hash.c: one-pass md5 + sha1 + sha256.
 *
 * Known vectors pin the hex output; everything else compares the fd paths
 * (serial and two-thread) against fim_hash_buffer on the same bytes, on real
 * files in a mkdtemp directory, pipes and a directory fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fim/config.h"
#include "fim/hash.h"
#include "lib/mem.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

struct fixture {
	char dir[64];
	struct fim_hasher *h;
};

static int setup(void **state)
{
	struct fixture *f = vg_xcalloc(1, sizeof(*f));
	struct vg_err err = VG_ERR_INIT;

	snprintf(f->dir, sizeof(f->dir), "/tmp/vg-test-hash-XXXXXX");
	if (mkdtemp(f->dir) == NULL || fim_hasher_new(&f->h, &err) != 0) {
		vg_free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	fim_hasher_free(f->h);
	vg_free(f);
	return 0;
}

/* Deterministic pseudo-random bytes (xorshift32). */
static unsigned char *make_data(size_t len, uint32_t seed)
{
	unsigned char *p = vg_xmalloc(len > 0 ? len : 1);
	uint32_t x = seed | 1u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

/* Write data to dir/name and return an O_RDONLY fd on it. */
static int file_with(const struct fixture *f, const char *name, const void *data, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void assert_digests_equal(const struct fim_digests *a, const struct fim_digests *b)
{
	assert_string_equal(a->md5, b->md5);
	assert_string_equal(a->sha1, b->sha1);
	assert_string_equal(a->sha256, b->sha256);
}

static void assert_digests_empty(const struct fim_digests *d)
{
	assert_string_equal(d->md5, "");
	assert_string_equal(d->sha1, "");
	assert_string_equal(d->sha256, "");
}

static void test_hash__known_vectors(void **state)
{
	struct fim_digests d;

	fim_hash_buffer("", 0, FIM_CHECK_SUM, &d);
	assert_string_equal(d.md5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(d.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(d.sha256,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	fim_hash_buffer("abc", 3, FIM_CHECK_SUM, &d);
	assert_string_equal(d.md5, "900150983cd24fb0d6963f7d28e17f72");
	assert_string_equal(d.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_string_equal(d.sha256,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	fim_hash_buffer(EICAR, strlen(EICAR), FIM_CHECK_SUM, &d);
	assert_string_equal(d.md5, "44d88612fea8a8f36de82e1278abb02f");
	assert_string_equal(d.sha1, "3395856ce81f2b7382dee72602f798b642f14140");
	assert_string_equal(d.sha256,
			    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
}

static void test_hash__eicar_file_serial_and_parallel(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct fim_digests d;
	uint64_t n = 0;
	int fd = file_with(f, "eicar.com", EICAR, strlen(EICAR));

	assert_int_equal(fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, 0, &d, &n, &err), 0);
	assert_int_equal(n, strlen(EICAR));
	assert_string_equal(d.sha256,
			    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fim_hash_fd_parallel(fd, FIM_CHECK_SUM, 0, &d, &n, &err), 0);
	assert_string_equal(d.md5, "44d88612fea8a8f36de82e1278abb02f");
	assert_string_equal(d.sha1, "3395856ce81f2b7382dee72602f798b642f14140");
	close(fd);
}

/* Sizes around the read buffer and the parallel ring (8 x 128 KiB). */
static const size_t sizes[] = {
    0,
    1,
    FIM_HASH_BUFSIZE - 1,
    FIM_HASH_BUFSIZE,
    3 * FIM_HASH_BUFSIZE + 7,
    9 * 128 * 1024 + 3, /* wraps the ring */
};

static void test_hash__serial_and_parallel_match_buffer(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct vg_err err = VG_ERR_INIT;
		struct fim_digests want, ser, par;
		uint64_t n = 99;
		unsigned char *data = make_data(sizes[i], (uint32_t)(i + 1));
		int fd = file_with(f, "sized", data, sizes[i]);

		fim_hash_buffer(data, sizes[i], FIM_CHECK_SUM, &want);
		assert_int_equal(strlen(want.sha256), 64);
		assert_int_equal(fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, 0, &ser, &n, &err), 0);
		assert_int_equal(n, sizes[i]);
		assert_digests_equal(&ser, &want);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		n = 99;
		assert_int_equal(fim_hash_fd_parallel(fd, FIM_CHECK_SUM, 0, &par, &n, &err), 0);
		assert_int_equal(n, sizes[i]);
		assert_digests_equal(&par, &want);
		close(fd);
		vg_free(data);
	}
}

static void test_hash__hasher_is_reusable(void **state)
{
	struct fixture *f = *state;
	struct fim_digests a, b;
	uint64_t n;
	int fd1 = file_with(f, "one", "abc", 3);
	int fd2 = file_with(f, "two", "abc", 3);

	assert_int_equal(fim_hasher_fd(f->h, fd1, FIM_CHECK_SUM, 0, &a, &n, NULL), 0);
	assert_int_equal(fim_hasher_fd(f->h, fd2, FIM_CHECK_SUM, 0, &b, &n, NULL), 0);
	/* a leftover context state would change the second digest */
	assert_digests_equal(&a, &b);
	assert_string_equal(b.md5, "900150983cd24fb0d6963f7d28e17f72");
	close(fd1);
	close(fd2);
}

static void test_hash__max_bytes_is_etoobig(void **state)
{
	struct fixture *f = *state;
	const size_t len = FIM_HASH_BUFSIZE + 1000;
	unsigned char *data = make_data(len, 7);
	int fd = file_with(f, "big", data, len);
	struct fim_digests d;
	uint64_t n;

	for (int par = 0; par < 2; par++) {
		struct vg_err err = VG_ERR_INIT;
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		int rc = par ? fim_hash_fd_parallel(fd, FIM_CHECK_SUM, len - 1, &d, &n, &err)
			     : fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, len - 1, &d, &n, &err);
		assert_int_equal(rc, VG_ETOOBIG);
		assert_int_equal(err.code, VG_ETOOBIG);
		assert_true(n < len);
		assert_digests_empty(&d);
		/* exactly at the limit is fine */
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		rc = par ? fim_hash_fd_parallel(fd, FIM_CHECK_SUM, len, &d, &n, NULL)
			 : fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, len, &d, &n, NULL);
		assert_int_equal(rc, 0);
		assert_int_equal(n, len);
	}
	close(fd);
	vg_free(data);
}

static void test_hash__subset_masks(void **state)
{
	struct fixture *f = *state;
	const size_t len = 2 * FIM_HASH_BUFSIZE + 11;
	unsigned char *data = make_data(len, 3);
	int fd = file_with(f, "subset", data, len);
	struct fim_digests all, d;

	fim_hash_buffer(data, len, FIM_CHECK_SUM, &all);
	for (unsigned mask = 0; mask <= FIM_CHECK_SUM; mask++) {
		for (int par = 0; par < 2; par++) {
			uint64_t n;
			assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
			int rc = par ? fim_hash_fd_parallel(fd, mask, 0, &d, &n, NULL)
				     : fim_hasher_fd(f->h, fd, mask, 0, &d, &n, NULL);
			assert_int_equal(rc, 0);
			assert_string_equal(d.md5, (mask & FIM_CHECK_MD5) ? all.md5 : "");
			assert_string_equal(d.sha1, (mask & FIM_CHECK_SHA1) ? all.sha1 : "");
			assert_string_equal(d.sha256, (mask & FIM_CHECK_SHA256) ? all.sha256 : "");
		}
		fim_hash_buffer(data, len, mask, &d);
		assert_string_equal(d.sha1, (mask & FIM_CHECK_SHA1) ? all.sha1 : "");
	}
	close(fd);
	vg_free(data);
}

struct writer {
	int fd;
	const unsigned char *data;
	size_t len; /* 0: write forever (until the reader closes) */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	for (;;) {
		size_t chunk = 10000; /* odd size: short reads on the other end */
		const unsigned char *p = w->data + (w->len ? off : 0);
		if (w->len != 0) {
			if (off >= w->len)
				break;
			chunk = w->len - off < chunk ? w->len - off : chunk;
		}
		ssize_t n = write(w->fd, p, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(w->fd);
	return NULL;
}

static void test_hash__pipe_reads_to_eof(void **state)
{
	struct fixture *f = *state;
	const size_t len = 3 * FIM_HASH_BUFSIZE + 7;
	unsigned char *data = make_data(len, 11);
	struct fim_digests want, d;

	fim_hash_buffer(data, len, FIM_CHECK_SUM, &want);
	for (int par = 0; par < 2; par++) {
		int p[2];
		pthread_t tid;
		uint64_t n = 0;
		assert_int_equal(pipe(p), 0);
		struct writer w = {p[1], data, len};
		assert_int_equal(pthread_create(&tid, NULL, writer_main, &w), 0);
		int rc = par ? fim_hash_fd_parallel(p[0], FIM_CHECK_SUM, 0, &d, &n, NULL)
			     : fim_hasher_fd(f->h, p[0], FIM_CHECK_SUM, 0, &d, &n, NULL);
		pthread_join(tid, NULL);
		close(p[0]);
		assert_int_equal(rc, 0);
		assert_int_equal(n, len);
		assert_digests_equal(&d, &want);
	}
	vg_free(data);
}

/* A source that never ends (a file growing while hashed) stops at max_bytes. */
static void test_hash__endless_input_stops_at_limit(void **state)
{
	struct fixture *f = *state;
	unsigned char *data = make_data(10000, 5);

	signal(SIGPIPE, SIG_IGN);
	for (int par = 0; par < 2; par++) {
		struct vg_err err = VG_ERR_INIT;
		struct fim_digests d;
		int p[2];
		pthread_t tid;
		uint64_t n = 0;
		assert_int_equal(pipe(p), 0);
		struct writer w = {p[1], data, 0};
		assert_int_equal(pthread_create(&tid, NULL, writer_main, &w), 0);
		int rc = par ? fim_hash_fd_parallel(p[0], FIM_CHECK_SUM, 1000000, &d, &n, &err)
			     : fim_hasher_fd(f->h, p[0], FIM_CHECK_SUM, 1000000, &d, &n, &err);
		close(p[0]); /* the writer gets EPIPE and ends */
		pthread_join(tid, NULL);
		assert_int_equal(rc, VG_ETOOBIG);
		assert_true(n <= 1000000);
		assert_non_null(strstr(err.msg, "1000000"));
	}
	vg_free(data);
}

static void test_hash__truncated_file_hashes_what_is_read(void **state)
{
	struct fixture *f = *state;
	const size_t len = 2 * FIM_HASH_BUFSIZE, kept = FIM_HASH_BUFSIZE / 2 + 3;
	unsigned char *data = make_data(len, 9);
	int fd = file_with(f, "shrinks", data, len);
	struct fim_digests want, d;
	uint64_t n;

	/* opened (and stat'ed by a scanner) at full size, cut before the read */
	assert_int_equal(ftruncate(fd, (off_t)kept), 0);
	fim_hash_buffer(data, kept, FIM_CHECK_SUM, &want);
	assert_int_equal(fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, 0, &d, &n, NULL), 0);
	assert_int_equal(n, kept);
	assert_digests_equal(&d, &want);
	close(fd);
	vg_free(data);
}

static void test_hash__directory_fd_is_an_error(void **state)
{
	struct fixture *f = *state;
	int fd = open(f->dir, O_RDONLY | O_DIRECTORY);
	struct fim_digests d;
	uint64_t n = 5;

	assert_true(fd >= 0);
	for (int par = 0; par < 2; par++) {
		struct vg_err err = VG_ERR_INIT;
		int rc = par ? fim_hash_fd_parallel(fd, FIM_CHECK_SUM, 0, &d, &n, &err)
			     : fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, 0, &d, &n, &err);
		assert_int_equal(rc, VG_EINTERNAL);
		assert_non_null(strstr(err.msg, strerror(EISDIR)));
		assert_int_equal(n, 0);
		assert_digests_empty(&d);
	}
	close(fd);
}

static void test_hash__bad_fd_reports_errno_text(void **state)
{
	struct fixture *f = *state;
	struct vg_err err = VG_ERR_INIT;
	struct fim_digests d;
	uint64_t n;
	int fd = file_with(f, "closed", "x", 1);

	close(fd);
	assert_int_equal(fim_hasher_fd(f->h, fd, FIM_CHECK_SUM, 0, &d, &n, &err), VG_EINTERNAL);
	assert_non_null(strstr(err.msg, strerror(EBADF)));
	assert_digests_empty(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash__known_vectors),
	    cmocka_unit_test_setup_teardown(test_hash__eicar_file_serial_and_parallel, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hash__serial_and_parallel_match_buffer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hash__hasher_is_reusable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash__max_bytes_is_etoobig, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash__subset_masks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash__pipe_reads_to_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash__endless_input_stops_at_limit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hash__truncated_file_hashes_what_is_read, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hash__directory_fd_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hash__bad_fd_reports_errno_text, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
