/*
 * fuzz_decode_json.c - libFuzzer target: Wazuh's JSON_Decoder and the
 * decoder dispatcher on arbitrary bytes (VirusTotal answers, active-response
 * logs and any JSON line are untrusted input). Any crash, leak or sanitizer
 * report is a bug: bad input must give VG_EPARSE or VG_ETOOBIG with a
 * message. The first byte picks the location the dispatcher sees, so the
 * syscheck path is reached too; on success every field is walked and the
 * "data" object dumped, so a result jansson cannot serialise shows up.
 *
 * scripts/fuzz decode_json runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manager/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_fields(const struct an_fields *f)
{
	const char *n, *v;
	size_t total = 0;

	for (size_t i = 0; an_fields_at(f, i, &n, &v) == 0; i++)
		total += strlen(n) + strlen(v);
	if (total > 64u * 1024u * 1024u)
		abort();
}

static void dump(const json_t *j)
{
	char *s;

	if (j == NULL)
		return;
	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const locations[] = {"syscheck", "virustotal", "app"};
	struct an_fields *f = an_fields_new();
	struct vg_err err = VG_ERR_INIT;
	json_t *obj = NULL;
	int rc;

	/* The JSON decoder alone. */
	rc = an_json_decode((const char *)data, size, f, &obj, &err);
	if (rc != 0 && (obj != NULL || err.msg[0] == '\0'))
		abort();
	walk_fields(f);
	dump(obj);
	json_decref(obj);
	an_fields_free(f);

	/* The dispatcher. */
	if (size == 0)
		return 0;
	struct an_source src = {"001", "fuzz", NULL, locations[data[0] % 3]};
	struct an_decoded *d = NULL;
	vg_err_clear(&err);
	rc = an_decode(&src, (const char *)data + 1, size - 1, 0, &d, &err);
	if (rc != 0) {
		if (d != NULL || err.msg[0] == '\0' || (rc != VG_EPARSE && rc != VG_ETOOBIG))
			abort();
		return 0;
	}
	const struct an_event *ev = an_decoded_event(d);
	if (ev->fields == NULL || ev->location == NULL)
		abort();
	walk_fields(ev->fields);
	if (ev->full_log != NULL && strlen(ev->full_log) > 3u * AN_DECODE_MAX_LINE)
		abort();
	dump(ev->data);
	if (ev->syscheck != NULL) { /* text now: it must read back as JSON */
		json_t *sc = json_loadb(ev->syscheck, ev->syscheck_len, JSON_ALLOW_NUL, NULL);
		if (sc == NULL)
			abort();
		json_decref(sc);
	}
	an_decoded_free(d);
	return 0;
}
