/*
 * fuzz_users.c - libFuzzer target: the dashboard users file parser
 * (manager/users.c) on arbitrary bytes. The file is the operator's (0600),
 * but a hand edit can hold anything: any crash, leak or sanitizer report is
 * a bug; a malformed file must be a VG_EPARSE naming FILE:LINE.
 *
 * The parser is reached through users_open on a real file (it is static),
 * so each input is written to HOME/etc/dashboard.users in one temporary
 * home made at the first call. No password is checked: a fuzzed cost could
 * make scrypt slow, and the KDF is OpenSSL's.
 *
 * scripts/fuzz users runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "manager/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char home[64]; /* one home for the whole run (a harness, not Vigie) */
	char path[128];
	struct vg_err err = VG_ERR_INIT;
	struct users *u = NULL;

	vg_log_set_level(VG_LOG_ERROR);
	if (home[0] == '\0') {
		snprintf(home, sizeof(home), "/tmp/vg-fuzz-users-XXXXXX");
		if (mkdtemp(home) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/etc", home);
		mkdir(path, 0700);
	}
	snprintf(path, sizeof(path), "%s/%s", home, USERS_FILE);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	/* an empty file is a valid, empty list; users_open never makes an admin
	 * here because the file exists */
	int rc = users_open(home, &u, NULL, &err);
	if (rc == 0)
		(void)users_count(u);
	else if (rc == VG_EPARSE && strstr(err.msg, path) == NULL)
		abort(); /* a parse error must name the file */
	users_free(u);
	return 0;
}
