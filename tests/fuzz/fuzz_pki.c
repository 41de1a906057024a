/*
 * fuzz_pki.c - libFuzzer target: the two PEM parsers of src/lib/pki.c that
 * face the network, on arbitrary bytes. vg_pki_sign_agent takes an agent's
 * CSR at enrollment (before the agent is trusted) and vg_pki_verify_peer_pem
 * takes a peer certificate. Any crash, leak or sanitizer report is a bug; a
 * refusal is the expected answer, and OpenSSL's error queue must be empty
 * after every call (a stale error would break the next TLS read).
 *
 * A CA is made once in a temporary directory (LLVMFuzzerInitialize) and
 * removed at exit. Seed corpus: a few CSRs and certificates, e.g. the output
 * of `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
 * -subj /CN=a -keyout /dev/null` and the .pem files in HOME/etc of a test manager.
 *
 * scripts/fuzz pki runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pki.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's one CA (fuzzer state, not library state). */
static struct vg_pki_ca *fuzz_ca;
static char fuzz_dir[64];

static void cleanup(void)
{
	char path[128];
	vg_pki_ca_free(fuzz_ca);
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, VG_PKI_CA_KEY);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, VG_PKI_CA_CERT);
	unlink(path);
	rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vg_log_set_level(VG_LOG_ERROR);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/vg-fuzz-pki-XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL ||
	    vg_pki_ca_open(fuzz_dir, "fuzz", &fuzz_ca, NULL, NULL) != 0)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char serial[VG_PKI_SERIAL_MAX];
	struct vg_pki_peer peer;
	char *cert = NULL;

	if (vg_pki_sign_agent(fuzz_ca, (const char *)data, size, "001", 0, &cert, serial, NULL) ==
	    0) {
		/* whatever got signed must verify as agent 001 */
		if (vg_pki_verify_peer_pem(fuzz_ca, cert, strlen(cert), VG_PKI_CLIENT, 0, &peer,
					   NULL) != 0 ||
		    strcmp(peer.cn, "001") != 0 || strcmp(peer.serial, serial) != 0)
			abort();
		vg_free(cert);
	}
	if (ERR_peek_error() != 0)
		abort();
	(void)vg_pki_verify_peer_pem(fuzz_ca, (const char *)data, size, VG_PKI_CLIENT, 0, &peer,
				     NULL);
	(void)vg_pki_verify_peer_pem(fuzz_ca, (const char *)data, size, VG_PKI_SERVER, 0, &peer,
				     NULL);
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
