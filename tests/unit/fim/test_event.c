/* Unit tests for src/fim/event.c: Wazuh's syscheck event JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "fim/config.h"
#include "fim/event.h"
#include "lib/mem.h"

#define MD5_EICAR "44d88612fea8a8f36de82e1278abb02f"
#define SHA1_EICAR "3395856ce81f2b7382dee72602f798b642f14140"
#define SHA256_EICAR "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
#define FFFD "\xef\xbf\xbd"

/* The reference §2.1 example file. */
static void eicar(struct fim_entry *e, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->path = vg_xstrdup(path);
	e->path_len = strlen(path);
	e->mode = S_IFREG | 0644;
	e->size = 68;
	e->inode = 1704505;
	e->dev = 64769;
	e->uid = 0;
	e->gid = 0;
	snprintf(e->user_name, sizeof(e->user_name), "root");
	snprintf(e->group_name, sizeof(e->group_name), "root");
	e->mtime = 1712235120;
	e->mtime_ns = 5;
	e->hash_state = FIM_HASH_OK;
	snprintf(e->digests.md5, sizeof(e->digests.md5), MD5_EICAR);
	snprintf(e->digests.sha1, sizeof(e->digests.sha1), SHA1_EICAR);
	snprintf(e->digests.sha256, sizeof(e->digests.sha256), SHA256_EICAR);
}

/* Format, check it is one valid JSON line, and parse it back. */
static json_t *format_parse(enum fim_event_type type, enum fim_event_mode mode,
			    const struct fim_entry *now, const struct fim_entry *old,
			    unsigned checks, const char *tags)
{
	struct vg_buf b = VG_BUF_INIT(65536);
	struct vg_err err = VG_ERR_INIT;
	json_error_t jerr;

	if (fim_event_format(&b, type, mode, now, old, checks, tags, 1712235125, &err) != 0)
		fail_msg("format: %s", err.msg);
	assert_null(memchr(b.data, '\n', b.len));
	json_t *j = json_loadb(b.data, b.len, 0, &jerr); /* jansson rejects bad UTF-8 */
	if (j == NULL)
		fail_msg("invalid JSON (%s): %s", jerr.text, b.data);
	vg_buf_free(&b);
	return j;
}

/* Assert obj's keys are exactly want, in that order. */
static void assert_keys(json_t *obj, const char *const *want, size_t n)
{
	size_t i = 0;
	assert_true(json_is_object(obj));
	for (void *it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
		if (i >= n)
			fail_msg("unexpected extra key %s", json_object_iter_key(it));
		assert_string_equal(json_object_iter_key(it), want[i]);
		i++;
	}
	assert_int_equal(i, n);
}

static const char *str_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static const char *const all_attr_keys[] = {
    "type",  "size",  "perm",     "uid",       "gid",         "user_name", "group_name",
    "inode", "mtime", "hash_md5", "hash_sha1", "hash_sha256", "checksum",
};

static void test_event__added_has_wazuh_keys_in_order(void **state)
{
	struct fim_entry e;
	eicar(&e, "/root/TestEICAR.txt");
	json_t *j = format_parse(FIM_EVENT_ADDED, FIM_MODE_REALTIME, &e, NULL, FIM_CHECK_ALL, NULL);

	const char *const top[] = {"type", "data"};
	assert_keys(j, top, 2);
	assert_string_equal(str_at(j, "type"), "event");
	json_t *d = json_object_get(j, "data");
	const char *const dkeys[] = {"path", "version", "mode", "type", "timestamp", "attributes"};
	assert_keys(d, dkeys, 6);
	assert_string_equal(str_at(d, "path"), "/root/TestEICAR.txt");
	assert_int_equal(json_integer_value(json_object_get(d, "version")), 2);
	assert_string_equal(str_at(d, "mode"), "realtime");
	assert_string_equal(str_at(d, "type"), "added");
	assert_int_equal(json_integer_value(json_object_get(d, "timestamp")), 1712235125);

	json_t *a = json_object_get(d, "attributes");
	assert_keys(a, all_attr_keys, 13);
	assert_string_equal(str_at(a, "type"), "file");
	assert_true(json_is_integer(json_object_get(a, "size")));
	assert_int_equal(json_integer_value(json_object_get(a, "size")), 68);
	assert_string_equal(str_at(a, "perm"), "rw-r--r--");
	assert_string_equal(str_at(a, "uid"), "0");
	assert_string_equal(str_at(a, "gid"), "0");
	assert_string_equal(str_at(a, "user_name"), "root");
	assert_string_equal(str_at(a, "group_name"), "root");
	assert_string_equal(str_at(a, "inode"), "1704505");
	assert_int_equal(json_integer_value(json_object_get(a, "mtime")), 1712235120);
	assert_string_equal(str_at(a, "hash_md5"), MD5_EICAR);
	assert_string_equal(str_at(a, "hash_sha1"), SHA1_EICAR);
	assert_string_equal(str_at(a, "hash_sha256"), SHA256_EICAR);
	assert_int_equal(strlen(str_at(a, "checksum")), 40);
	json_decref(j);
	fim_entry_clear(&e);
}

static void test_event__modified_lists_changes_in_wazuh_order(void **state)
{
	struct fim_entry old, now;
	eicar(&old, "/etc/app.conf");
	eicar(&now, "/etc/app.conf");
	now.size = 70;
	now.mtime = 1712235999;
	snprintf(now.digests.md5, sizeof(now.digests.md5), "%032d", 1);
	snprintf(now.digests.sha1, sizeof(now.digests.sha1), "%040d", 1);
	snprintf(now.digests.sha256, sizeof(now.digests.sha256), "%064d", 1);
	now.mode = S_IFREG | 0600;
	now.uid = 1000; /* uid changes, user_name does not */
	snprintf(now.group_name, sizeof(now.group_name), "wheel"); /* the reverse */

	json_t *j = format_parse(FIM_EVENT_MODIFIED, FIM_MODE_SCHEDULED, &now, &old, FIM_CHECK_ALL,
				 "web,prod");
	json_t *d = json_object_get(j, "data");
	const char *const dkeys[] = {"path",
				     "version",
				     "mode",
				     "type",
				     "timestamp",
				     "attributes",
				     "changed_attributes",
				     "old_attributes",
				     "tags"};
	assert_keys(d, dkeys, 9);
	assert_string_equal(str_at(d, "mode"), "scheduled");
	assert_string_equal(str_at(d, "type"), "modified");
	assert_string_equal(str_at(d, "tags"), "web,prod");

	json_t *c = json_object_get(d, "changed_attributes");
	const char *const want[] = {"size",  "permission", "uid",  "group_name",
				    "mtime", "md5",        "sha1", "sha256"};
	assert_int_equal(json_array_size(c), 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(json_string_value(json_array_get(c, i)), want[i]);

	json_t *o = json_object_get(d, "old_attributes");
	assert_keys(o, all_attr_keys, 13);
	assert_int_equal(json_integer_value(json_object_get(o, "size")), 68);
	assert_string_equal(str_at(o, "perm"), "rw-r--r--");
	assert_string_equal(str_at(o, "hash_md5"), MD5_EICAR);
	json_t *a = json_object_get(d, "attributes");
	assert_int_equal(json_integer_value(json_object_get(a, "size")), 70);
	assert_string_equal(str_at(a, "perm"), "rw-------");
	assert_string_equal(str_at(a, "uid"), "1000");
	assert_string_equal(str_at(a, "group_name"), "wheel");
	assert_string_not_equal(str_at(a, "checksum"), str_at(o, "checksum"));
	json_decref(j);
	fim_entry_clear(&old);
	fim_entry_clear(&now);
}

static void test_event__deleted_carries_last_known_attributes(void **state)
{
	struct fim_entry e;
	eicar(&e, "/srv/gone");
	json_t *j =
	    format_parse(FIM_EVENT_DELETED, FIM_MODE_WHODATA, &e, NULL, FIM_CHECK_ALL, NULL);
	json_t *d = json_object_get(j, "data");
	const char *const dkeys[] = {"path", "version", "mode", "type", "timestamp", "attributes"};
	assert_keys(d, dkeys, 6);
	assert_string_equal(str_at(d, "type"), "deleted");
	assert_string_equal(str_at(d, "mode"), "whodata");
	assert_string_equal(str_at(json_object_get(d, "attributes"), "hash_sha256"), SHA256_EICAR);
	json_decref(j);
	fim_entry_clear(&e);
}

static void test_event__attributes_follow_the_checks(void **state)
{
	struct fim_entry e;
	eicar(&e, "/x");
	struct {
		unsigned checks;
		const char *keys[8];
		size_t n;
	} cases[] = {
	    {0, {"type", "checksum"}, 2},
	    {FIM_CHECK_SIZE | FIM_CHECK_SHA256, {"type", "size", "hash_sha256", "checksum"}, 4},
	    {FIM_CHECK_OWNER, {"type", "uid", "user_name", "checksum"}, 4},
	    {FIM_CHECK_GROUP | FIM_CHECK_INODE,
	     {"type", "gid", "group_name", "inode", "checksum"},
	     5},
	    {FIM_CHECK_PERM | FIM_CHECK_MTIME | FIM_CHECK_MD5,
	     {"type", "perm", "mtime", "hash_md5", "checksum"},
	     5},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL,
					 cases[i].checks, NULL);
		assert_keys(json_object_get(json_object_get(j, "data"), "attributes"),
			    cases[i].keys, cases[i].n);
		json_decref(j);
	}
	/* an unresolved user name is left out, as Wazuh does */
	e.user_name[0] = '\0';
	json_t *j =
	    format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_OWNER, NULL);
	const char *const k[] = {"type", "uid", "checksum"};
	assert_keys(json_object_get(json_object_get(j, "data"), "attributes"), k, 3);
	json_decref(j);
	fim_entry_clear(&e);
}

static void sha1_hex(const char *s, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL), 1);
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_event__checksum_matches_wazuh_formula(void **state)
{
	struct fim_entry e;
	char want[41];
	eicar(&e, "/root/TestEICAR.txt");

	/* written out by hand from fim_get_checksum's format */
	sha1_hex("68:rw-r--r--::0:0:root:root:1712235120:1704505:" MD5_EICAR ":" SHA1_EICAR
		 ":" SHA256_EICAR,
		 want);
	json_t *j = format_parse(FIM_EVENT_ADDED, FIM_MODE_REALTIME, &e, NULL, FIM_CHECK_ALL, NULL);
	assert_string_equal(
	    str_at(json_object_get(json_object_get(j, "data"), "attributes"), "checksum"), want);
	json_decref(j);

	/* checks off: zeros and empty strings, inode always in */
	char got[41];
	sha1_hex("68:::::::0:1704505:" MD5_EICAR "::", want);
	fim_event_checksum(&e, FIM_CHECK_SIZE | FIM_CHECK_MD5, got);
	assert_string_equal(got, want);

	/* an unhashed file has empty digests in the checksum, not the empty-file ones */
	e.hash_state = FIM_HASH_TOO_BIG;
	sha1_hex("68:rw-r--r--::0:0:root:root:1712235120:1704505:::", want);
	fim_event_checksum(&e, FIM_CHECK_ALL, got);
	assert_string_equal(got, want);
	fim_entry_clear(&e);
}

static void test_event__unhashed_and_non_regular_files(void **state)
{
	struct fim_entry e;
	eicar(&e, "/data/huge.iso");
	e.hash_state = FIM_HASH_TOO_BIG;
	json_t *j =
	    format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_ALL, NULL);
	json_t *a = json_object_get(json_object_get(j, "data"), "attributes");
	const char *const k[] = {"type",  "size",      "perm",       "uid",
				 "gid",   "user_name", "group_name", "inode",
				 "mtime", "checksum",  "hash_state"};
	assert_keys(a, k, 11);
	assert_string_equal(str_at(a, "hash_state"), "too_big");
	json_decref(j);

	e.hash_state = FIM_HASH_UNREADABLE;
	j = format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_SUM, NULL);
	a = json_object_get(json_object_get(j, "data"), "attributes");
	const char *const k2[] = {"type", "checksum", "hash_state"};
	assert_keys(a, k2, 3);
	assert_string_equal(str_at(a, "hash_state"), "unreadable");
	json_decref(j);

	/* no hash check: the state is irrelevant and not reported */
	j = format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_SIZE, NULL);
	assert_null(json_object_get(json_object_get(json_object_get(j, "data"), "attributes"),
				    "hash_state"));
	json_decref(j);

	/* a symlink: its own type, never digests even if some were left in the entry */
	e.mode = S_IFLNK | 0777;
	e.hash_state = FIM_HASH_OK;
	j = format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_ALL, NULL);
	a = json_object_get(json_object_get(j, "data"), "attributes");
	assert_string_equal(str_at(a, "type"), "symlink");
	assert_string_equal(str_at(a, "perm"), "rwxrwxrwx");
	assert_null(json_object_get(a, "hash_md5"));
	assert_null(json_object_get(a, "hash_state"));
	json_decref(j);
	fim_entry_clear(&e);
}

static void test_event__invalid_utf8_path_gets_path_b64(void **state)
{
	const char raw[] = "/tmp/\xff\xfe"
			   "abc\xc3(\xe2\x82";
	struct fim_entry e;
	eicar(&e, raw);
	snprintf(e.user_name, sizeof(e.user_name), "us\xe9r"); /* Latin-1 name */

	json_t *j =
	    format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_ALL, "t\xff");
	json_t *d = json_object_get(j, "data");
	assert_string_equal(str_at(d, "path"), "/tmp/" FFFD FFFD "abc" FFFD "(" FFFD FFFD);
	assert_string_equal(str_at(d, "tags"), "t" FFFD);
	assert_string_equal(str_at(json_object_get(d, "attributes"), "user_name"), "us" FFFD "r");
	/* path_b64 comes last and decodes to the exact bytes */
	const char *const dkeys[] = {"path",      "version",    "mode", "type",
				     "timestamp", "attributes", "tags", "path_b64"};
	assert_keys(d, dkeys, 8);
	const char *b64 = str_at(d, "path_b64");
	unsigned char dec[64];
	int n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)strlen(b64));
	size_t pad = strlen(b64) > 0 && b64[strlen(b64) - 1] == '='
			 ? (b64[strlen(b64) - 2] == '=' ? 2 : 1)
			 : 0;
	assert_int_equal((size_t)n - pad, sizeof(raw) - 1);
	assert_memory_equal(dec, raw, sizeof(raw) - 1);
	json_decref(j);
	fim_entry_clear(&e);

	/* valid UTF-8 (non-ASCII) passes as is, without path_b64 */
	eicar(&e, "/tmp/caf\xc3\xa9-\xe6\x97\xa5");
	j = format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_ALL, NULL);
	d = json_object_get(j, "data");
	assert_string_equal(str_at(d, "path"), "/tmp/caf\xc3\xa9-\xe6\x97\xa5");
	assert_null(json_object_get(d, "path_b64"));
	json_decref(j);
	fim_entry_clear(&e);
}

static void test_event__control_chars_quotes_backslashes(void **state)
{
	const char raw[] = "/tmp/a\"b\\c\nd\x01"
			   "e\tf\x7f/\xc2\x85";
	struct fim_entry e;
	eicar(&e, raw);
	snprintf(e.group_name, sizeof(e.group_name), "g\"\\\n");
	json_t *j =
	    format_parse(FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL, FIM_CHECK_ALL, NULL);
	json_t *d = json_object_get(j, "data");
	assert_string_equal(str_at(d, "path"), raw);
	assert_null(json_object_get(d, "path_b64"));
	assert_string_equal(str_at(json_object_get(d, "attributes"), "group_name"), "g\"\\\n");
	json_decref(j);
	fim_entry_clear(&e);
}

static void test_event__changed_mask_per_check(void **state)
{
	struct fim_entry a, b;
	eicar(&a, "/f");
	eicar(&b, "/f");
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL), 0);
	/* what Wazuh does not report does not count: ns, ctime, dev */
	b.mtime_ns = 7;
	b.ctime = 99;
	b.dev = 1;
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL), 0);
	snprintf(b.user_name, sizeof(b.user_name), "daemon");
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL), FIM_CHECK_OWNER);
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL & ~FIM_CHECK_OWNER), 0);
	b.gid = 5;
	b.mode = S_IFREG | 02644; /* setgid is a permission change */
	b.inode = 1;
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL),
			 FIM_CHECK_OWNER | FIM_CHECK_GROUP | FIM_CHECK_PERM | FIM_CHECK_INODE);
	fim_entry_clear(&b);
	eicar(&b, "/f");
	b.digests.sha1[0] = 'f';
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL), FIM_CHECK_SHA1);
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_MD5 | FIM_CHECK_SHA256), 0);
	/* becoming unreadable loses the digests: reported as changed */
	fim_entry_clear(&b);
	eicar(&b, "/f");
	b.hash_state = FIM_HASH_UNREADABLE;
	assert_int_equal(fim_event_changed(&a, &b, FIM_CHECK_ALL), FIM_CHECK_SUM);
	fim_entry_clear(&a);
	fim_entry_clear(&b);
}

static void test_event__scan_and_overflow_markers(void **state)
{
	struct vg_buf b = VG_BUF_INIT(4096);
	json_error_t jerr;

	assert_int_equal(fim_event_format_scan(&b, 1, 1700000000, NULL), 0);
	assert_string_equal(vg_buf_cstr(&b),
			    "{\"type\":\"scan_start\",\"data\":{\"timestamp\":1700000000}}");
	vg_buf_reset(&b);
	assert_int_equal(fim_event_format_scan(&b, 0, 1700000060, NULL), 0);
	assert_string_equal(vg_buf_cstr(&b),
			    "{\"type\":\"scan_end\",\"data\":{\"timestamp\":1700000060}}");
	vg_buf_reset(&b);

	const char *roots[] = {"/etc", "/usr/bin"};
	assert_int_equal(fim_event_format_overflow(&b, roots, 2, 1700000001, NULL), 0);
	assert_string_equal(vg_buf_cstr(&b),
			    "{\"type\":\"overflow\",\"data\":{\"timestamp\":1700000001,"
			    "\"message\":\"ossec: Real-time inotify kernel queue is full. Some "
			    "events may be lost. Vigie is rescanning the affected directories "
			    "now.\",\"rescan\":[\"/etc\",\"/usr/bin\"]}}");
	vg_buf_reset(&b);
	const char *bad[] = {"/srv/\xff"};
	assert_int_equal(fim_event_format_overflow(&b, bad, 1, 1, NULL), 0);
	json_t *j = json_loadb(b.data, b.len, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(j, "data"), "rescan"), 0)),
			    "/srv/" FFFD);
	json_decref(j);
	vg_buf_reset(&b);
	assert_int_equal(fim_event_format_overflow(&b, NULL, 0, 1, NULL), 0);
	assert_non_null(strstr(vg_buf_cstr(&b), "\"rescan\":[]"));
	vg_buf_free(&b);
}

static void test_event__errors_leave_buffer_unchanged(void **state)
{
	struct fim_entry e;
	struct vg_buf b = VG_BUF_INIT(200);
	struct vg_err err = VG_ERR_INIT;
	eicar(&e, "/etc/passwd");

	assert_int_equal(vg_buf_puts(&b, "prefix"), 0);
	/* the full event is longer than the 200-byte cap */
	assert_int_equal(fim_event_format(&b, FIM_EVENT_ADDED, FIM_MODE_SCHEDULED, &e, NULL,
					  FIM_CHECK_ALL, NULL, 1, &err),
			 VG_ETOOBIG);
	assert_int_equal(err.code, VG_ETOOBIG);
	assert_string_equal(vg_buf_cstr(&b), "prefix");
	/* modified needs the old entry */
	assert_int_equal(fim_event_format(&b, FIM_EVENT_MODIFIED, FIM_MODE_SCHEDULED, &e, NULL,
					  FIM_CHECK_ALL, NULL, 1, NULL),
			 VG_EINTERNAL);
	assert_int_equal(fim_event_format(&b, (enum fim_event_type)7, FIM_MODE_SCHEDULED, &e, NULL,
					  FIM_CHECK_ALL, NULL, 1, NULL),
			 VG_EINTERNAL);
	assert_string_equal(vg_buf_cstr(&b), "prefix");
	vg_buf_free(&b);
	fim_entry_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event__added_has_wazuh_keys_in_order),
	    cmocka_unit_test(test_event__modified_lists_changes_in_wazuh_order),
	    cmocka_unit_test(test_event__deleted_carries_last_known_attributes),
	    cmocka_unit_test(test_event__attributes_follow_the_checks),
	    cmocka_unit_test(test_event__checksum_matches_wazuh_formula),
	    cmocka_unit_test(test_event__unhashed_and_non_regular_files),
	    cmocka_unit_test(test_event__invalid_utf8_path_gets_path_b64),
	    cmocka_unit_test(test_event__control_chars_quotes_backslashes),
	    cmocka_unit_test(test_event__changed_mask_per_check),
	    cmocka_unit_test(test_event__scan_and_overflow_markers),
	    cmocka_unit_test(test_event__errors_leave_buffer_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
