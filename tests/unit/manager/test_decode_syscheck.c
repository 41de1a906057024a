/*
 * Unit tests for src/manager/decode_syscheck.c: agent syscheck JSON in,
 * Wazuh 4.x decoder name, full_log, "syscheck" alert object and fields out.
 * The expected texts come from the reference's format strings (§3) and the
 * seed alert tests/fixtures/seed-alerts/rule-554.json. TZ is UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/mem.h"
#include "support/support.h"
#include "manager/decode_syscheck.h"

#define MD5_A "69630e4574ec6798239b091cda43dca0"
#define SHA1_A "cf8bd9dfddff007f75adf4c2be48005cea317c62"
#define SHA256_A "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"
#define MD5_B "44d88612fea8a8f36de82e1278abb02f"
#define SHA1_B "3395856ce81f2b7382dee72602f798b642f14140"
#define SHA256_B "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

/* ---- Helpers ------------------------------------------------------------- */

/* Decode a jansson document (dumped compactly, as the agent sends it). */
static struct an_syscheck *decode_json(json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct an_syscheck *s = NULL;
	struct vg_err err = VG_ERR_INIT;

	assert_non_null(text);
	if (an_syscheck_decode(text, strlen(text), &s, &err) != 0)
		fail_msg("decode failed: %s\n%s", err.msg, text);
	free(text);
	json_decref(doc);
	return s;
}

/* Expect a VG_EPARSE whose message contains want. */
static void expect_parse_error(const char *text, size_t len, const char *want)
{
	struct an_syscheck *s = (struct an_syscheck *)&s; /* must be reset to NULL */
	struct vg_err err = VG_ERR_INIT;

	assert_int_equal(an_syscheck_decode(text, len, &s, &err), VG_EPARSE);
	assert_null(s);
	assert_int_equal(err.code, VG_EPARSE);
	vg_test_err_mentions(&err, want);
}

static void expect_parse_error_json(json_t *doc, const char *want)
{
	char *text = json_dumps(doc, JSON_COMPACT);

	assert_non_null(text);
	expect_parse_error(text, strlen(text), want);
	free(text);
	json_decref(doc);
}

static void assert_block(struct an_syscheck *s, const char *want_compact)
{
	char *got = json_dumps(an_syscheck_block(s), JSON_COMPACT);

	assert_non_null(got);
	if (strcmp(got, want_compact) != 0)
		fail_msg("syscheck block\n got: %s\nwant: %s", got, want_compact);
	free(got);
}

/* The seed alert's file, as its agent reported it. */
static json_t *eicar_attributes(void)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
			 "type", "file", "size", 69, "perm", "rw-r--r--", "uid", "0", "gid", "0",
			 "user_name", "root", "group_name", "root", "inode", "21388", "mtime",
			 (json_int_t)1704891124, "hash_md5", MD5_A, "hash_sha1", SHA1_A,
			 "hash_sha256", SHA256_A, "checksum",
			 "0000000000000000000000000000000000000000");
}

static json_t *event(const char *path, const char *mode, const char *type, json_t *attrs)
{
	return json_pack("{s:s, s:{s:s, s:i, s:s, s:s, s:I, s:o}}", "type", "event", "data", "path",
			 path, "version", 2, "mode", mode, "type", type, "timestamp",
			 (json_int_t)1704891124, "attributes", attrs);
}

static char *fixture_path(void)
{
	const char *src = getenv("VG_SOURCE_DIR");

	if (src == NULL)
		return NULL;
	return vg_xasprintf("%s/tests/fixtures/seed-alerts/rule-554.json", src);
}

/* ---- Conformance with the seed alert -------------------------------------- */

static void test_decode_syscheck__added_matches_seed_alert_554(void **state)
{
	(void)state;
	char *path = fixture_path();
	if (path == NULL) {
		print_message("VG_SOURCE_DIR not set (run through ctest): seed alert check "
			      "skipped\n");
		skip();
	}
	json_error_t jerr;
	json_t *alert = json_load_file(path, 0, &jerr);
	if (alert == NULL)
		fail_msg("cannot load %s: %s", path, jerr.text);
	vg_free(path);

	struct an_syscheck *s =
	    decode_json(event("/root/TestEICAR.txt", "realtime", "added", eicar_attributes()));

	assert_int_equal(an_syscheck_kind(s), AN_SYSCHECK_EVENT);
	assert_int_equal(an_syscheck_event(s), AN_SYSCHECK_ADDED);
	assert_string_equal(
	    an_syscheck_decoder(s),
	    json_string_value(json_object_get(json_object_get(alert, "decoder"), "name")));
	assert_string_equal(an_syscheck_full_log(s),
			    json_string_value(json_object_get(alert, "full_log")));
	/* Key for key, in order, value for value (inode_after a number). */
	char *want = json_dumps(json_object_get(alert, "syscheck"), JSON_COMPACT);
	assert_block(s, want);
	assert_true(json_equal(an_syscheck_block(s), json_object_get(alert, "syscheck")));
	free(want);
	assert_int_equal(an_syscheck_timestamp(s), 1704891124);
	an_syscheck_free(s);
	json_decref(alert);
}

static void test_decode_syscheck__added_fields_use_wazuh_names(void **state)
{
	(void)state;
	struct an_syscheck *s =
	    decode_json(event("/root/TestEICAR.txt", "realtime", "added", eicar_attributes()));
	const struct an_fields *f = an_syscheck_fields(s);
	static const char *const want[][2] = {
	    {"file", "/root/TestEICAR.txt"},
	    {"mode", "realtime"},
	    {"size", "69"},
	    {"perm", "rw-r--r--"},
	    {"uid", "0"},
	    {"gid", "0"},
	    {"md5", MD5_A},
	    {"sha1", SHA1_A},
	    {"uname", "root"},
	    {"gname", "root"},
	    {"mtime", "1704891124"},
	    {"inode", "21388"},
	    {"sha256", SHA256_A},
	    {"entry_type", "file"},
	    {"event_type", "added"},
	};
	const char *n, *v;

	/* Exactly these, in Wazuh's field order. */
	assert_int_equal(an_fields_count(f), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(an_fields_at(f, i, &n, &v), 0);
		assert_string_equal(n, want[i][0]);
		assert_string_equal(v, want[i][1]);
	}
	assert_null(an_fields_get(f, "size_before"));
	assert_null(an_fields_get(f, "changed_fields"));
	an_syscheck_free(s);
}

/* ---- Modified (rule 550) ------------------------------------------------- */

static void test_decode_syscheck__modified_has_every_change_line(void **state)
{
	(void)state;
	json_t *now = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}",
				"type", "file", "size", 20, "perm", "rwx------", "uid", "1000",
				"gid", "100", "user_name", "alice", "group_name", "users", "inode",
				"200", "mtime", (json_int_t)1700000060, "hash_md5", MD5_B,
				"hash_sha1", SHA1_B, "hash_sha256", SHA256_B);
	json_t *old =
	    json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "type",
		      "file", "size", 10, "perm", "rw-r--r--", "uid", "0", "gid", "0", "user_name",
		      "root", "group_name", "root", "inode", "100", "mtime", (json_int_t)1700000000,
		      "hash_md5", MD5_A, "hash_sha1", SHA1_A, "hash_sha256", SHA256_A);
	json_t *doc = event("/etc/evil.bin", "realtime", "modified", now);
	json_t *data = json_object_get(doc, "data");
	json_object_set_new(data, "changed_attributes",
			    json_pack("[s,s,s,s,s,s,s,s,s,s,s]", "size", "permission", "uid",
				      "user_name", "gid", "group_name", "mtime", "inode", "md5",
				      "sha1", "sha256"));
	json_object_set_new(data, "old_attributes", old);
	json_object_set_new(data, "tags", json_string("web,prod"));
	struct an_syscheck *s = decode_json(doc);

	assert_int_equal(an_syscheck_event(s), AN_SYSCHECK_MODIFIED);
	assert_string_equal(an_syscheck_decoder(s), "syscheck_integrity_changed");
	assert_string_equal(
	    an_syscheck_full_log(s),
	    "File '/etc/evil.bin' modified\n"
	    "Mode: realtime\n"
	    "Changed attributes: size,permission,uid,user_name,gid,group_name,mtime,inode,md5,"
	    "sha1,sha256\n"
	    "Size changed from '10' to '20'\n"
	    "Permissions changed from 'rw-r--r--' to 'rwx------'\n"
	    "Ownership was '0', now it is '1000'\n"
	    "User name was 'root', now it is 'alice'\n"
	    "Group ownership was '0', now it is '100'\n"
	    "Group name was 'root', now it is 'users'\n"
	    "Old modification time was: '1700000000', now it is '1700000060'\n"
	    "Old inode was: '100', now it is '200'\n"
	    "Old md5sum was: '" MD5_A "'\nNew md5sum is : '" MD5_B "'\n"
	    "Old sha1sum was: '" SHA1_A "'\nNew sha1sum is : '" SHA1_B "'\n"
	    "Old sha256sum was: '" SHA256_A "'\nNew sha256sum is : '" SHA256_B "'\n");
	assert_block(
	    s, "{\"path\":\"/etc/evil.bin\",\"mode\":\"realtime\",\"size_before\":\"10\","
	       "\"size_after\":\"20\",\"perm_before\":\"rw-r--r--\",\"perm_after\":\"rwx------\","
	       "\"uid_before\":\"0\",\"uid_after\":\"1000\",\"gid_before\":\"0\",\"gid_after\":"
	       "\"100\",\"md5_before\":\"" MD5_A "\",\"md5_after\":\"" MD5_B "\",\"sha1_before\":"
	       "\"" SHA1_A "\",\"sha1_after\":\"" SHA1_B "\",\"sha256_before\":\"" SHA256_A
	       "\",\"sha256_after\":\"" SHA256_B "\",\"uname_before\":\"root\",\"uname_after\":"
	       "\"alice\",\"gname_before\":\"root\",\"gname_after\":\"users\",\"mtime_before\":"
	       "\"2023-11-14T22:13:20\",\"mtime_after\":\"2023-11-14T22:14:20\","
	       "\"inode_before\":100,\"inode_after\":200,\"tags\":[\"web\",\"prod\"],"
	       "\"changed_attributes\":[\"size\",\"permission\",\"uid\",\"user_name\",\"gid\","
	       "\"group_name\",\"mtime\",\"inode\",\"md5\",\"sha1\",\"sha256\"],\"event\":"
	       "\"modified\"}");
	const struct an_fields *f = an_syscheck_fields(s);
	assert_string_equal(an_fields_get(f, "size_before"), "10");
	assert_string_equal(an_fields_get(f, "md5_before"), MD5_A);
	assert_string_equal(an_fields_get(f, "mtime_before"), "1700000000");
	assert_string_equal(an_fields_get(f, "uname_before"), "root");
	assert_string_equal(an_fields_get(f, "tag"), "web,prod");
	assert_string_equal(an_fields_get(f, "changed_fields"),
			    "size,permission,uid,user_name,gid,group_name,mtime,inode,md5,sha1,"
			    "sha256");
	an_syscheck_free(s);
}

static void test_decode_syscheck__modified_mtime_only_omits_equal_befores(void **state)
{
	(void)state;
	json_t *old = eicar_attributes();
	json_object_set_new(old, "mtime", json_integer(1704891000));
	json_t *doc = event("/root/TestEICAR.txt", "scheduled", "modified", eicar_attributes());
	json_t *data = json_object_get(doc, "data");
	json_object_set_new(data, "changed_attributes", json_pack("[s]", "mtime"));
	json_object_set_new(data, "old_attributes", old);
	struct an_syscheck *s = decode_json(doc);
	json_t *b = an_syscheck_block(s);

	assert_string_equal(an_syscheck_full_log(s),
			    "File '/root/TestEICAR.txt' modified\nMode: scheduled\n"
			    "Changed attributes: mtime\n"
			    "Old modification time was: '1704891000', now it is '1704891124'\n");
	assert_string_equal(json_string_value(json_object_get(b, "mtime_before")),
			    "2024-01-10T12:50:00");
	assert_null(json_object_get(b, "size_before"));
	assert_null(json_object_get(b, "md5_before"));
	assert_null(json_object_get(b, "inode_before"));
	assert_string_equal(json_string_value(json_object_get(b, "size_after")), "69");
	an_syscheck_free(s);
}

static void test_decode_syscheck__overlong_perm_line_is_replaced(void **state)
{
	(void)state;
	char perm[300];
	memset(perm, 'r', sizeof(perm) - 1);
	perm[sizeof(perm) - 1] = '\0';
	json_t *old = eicar_attributes();
	json_object_set_new(old, "perm", json_string(perm));
	json_t *doc = event("/x", "realtime", "modified", eicar_attributes());
	json_object_set_new(json_object_get(doc, "data"), "old_attributes", old);
	struct an_syscheck *s = decode_json(doc);

	/* Wazuh: a permissions line that does not fit OS_FLSIZE is replaced. */
	assert_string_equal(an_syscheck_full_log(s),
			    "File '/x' modified\nMode: realtime\nPermissions changed.\n");
	an_syscheck_free(s);
}

/* ---- Deleted (rule 553) -------------------------------------------------- */

static void test_decode_syscheck__deleted(void **state)
{
	(void)state;
	struct an_syscheck *s =
	    decode_json(event("/root/x", "whodata", "deleted", eicar_attributes()));

	assert_int_equal(an_syscheck_event(s), AN_SYSCHECK_DELETED);
	assert_string_equal(an_syscheck_decoder(s), "syscheck_deleted");
	assert_string_equal(an_syscheck_full_log(s), "File '/root/x' deleted\nMode: whodata\n");
	json_t *b = an_syscheck_block(s);
	assert_string_equal(json_string_value(json_object_get(b, "event")), "deleted");
	assert_string_equal(json_string_value(json_object_get(b, "md5_after")), MD5_A);
	assert_string_equal(an_fields_get(an_syscheck_fields(s), "event_type"), "deleted");
	an_syscheck_free(s);
}

/* ---- Paths and Vigie's additions ------------------------------------------ */

static void test_decode_syscheck__long_path_is_shortened_in_full_log(void **state)
{
	(void)state;
	char path[801];
	for (size_t i = 0; i < 800; i++)
		path[i] = (char)('a' + i % 26);
	path[0] = '/';
	path[800] = '\0';
	struct an_syscheck *s = decode_json(event(path, "realtime", "added", eicar_attributes()));
	char want[1024];

	snprintf(want, sizeof(want), "File '%.719s [...] %s' added\nMode: realtime\n", path,
		 path + 770);
	assert_string_equal(an_syscheck_full_log(s), want);
	/* The block and the fields keep the whole path. */
	assert_string_equal(json_string_value(json_object_get(an_syscheck_block(s), "path")), path);
	assert_string_equal(an_fields_get(an_syscheck_fields(s), "file"), path);
	an_syscheck_free(s);

	/* 756 bytes is not shortened. */
	path[756] = '\0';
	s = decode_json(event(path, "realtime", "added", eicar_attributes()));
	snprintf(want, sizeof(want), "File '%s' added\nMode: realtime\n", path);
	assert_string_equal(an_syscheck_full_log(s), want);
	an_syscheck_free(s);
}

static void test_decode_syscheck__shortening_never_splits_utf8(void **state)
{
	(void)state;
	/* 'é' (2 bytes) straddling byte 719: Wazuh cuts it in half; JSON can't
	 * carry half a character, so the broken byte becomes U+FFFD. */
	char path[900];
	size_t n = 0;
	path[n++] = '/';
	while (n < 718)
		path[n++] = 'a';
	while (n < 850) {
		path[n++] = '\xc3';
		path[n++] = '\xa9';
	}
	path[n] = '\0';
	struct an_syscheck *s = decode_json(event(path, "realtime", "added", eicar_attributes()));
	const char *log = an_syscheck_full_log(s);

	assert_non_null(strstr(log, "a\xef\xbf\xbd [...] "));
	json_t *j = json_string(log); /* NULL unless valid UTF-8 */
	assert_non_null(j);
	json_decref(j);
	an_syscheck_free(s);
}

static void test_decode_syscheck__too_big_file_has_no_digests(void **state)
{
	(void)state;
	json_t *attrs = eicar_attributes();
	json_object_del(attrs, "hash_md5");
	json_object_del(attrs, "hash_sha1");
	json_object_del(attrs, "hash_sha256");
	json_object_set_new(attrs, "hash_state", json_string("too_big"));
	json_t *doc = event("/srv/\xef\xbf\xbd.iso", "realtime", "added", attrs);
	json_object_set_new(json_object_get(doc, "data"), "path_b64",
			    json_string("L3Nydi//Lmlzbw=="));
	struct an_syscheck *s = decode_json(doc);
	json_t *b = an_syscheck_block(s);

	assert_null(json_object_get(b, "md5_after"));
	assert_null(json_object_get(b, "sha1_after"));
	assert_null(json_object_get(b, "sha256_after"));
	assert_null(an_fields_get(an_syscheck_fields(s), "md5"));
	assert_string_equal(an_fields_get(an_syscheck_fields(s), "hash_state"), "too_big");
	/* Vigie's keys come after all of Wazuh's. */
	const char *last2 = NULL, *last1 = NULL;
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		last2 = last1;
		last1 = key;
	}
	assert_string_equal(last2, "path_b64");
	assert_string_equal(last1, "hash_state");
	assert_string_equal(json_string_value(json_object_get(b, "hash_state")), "too_big");
	assert_string_equal(json_string_value(json_object_get(b, "event")), "added");
	an_syscheck_free(s);
}

/* The object's text is what alerts.json carries: escaped by the alert
 * escaper, keys in Wazuh's order; the store's keys are the plain values. */
static void test_decode_syscheck__block_text_is_escaped_and_keys_are_plain(void **state)
{
	(void)state;
	json_t *attrs = eicar_attributes();
	json_object_set_new(attrs, "hash_md5", json_string(""));
	json_t *doc = event("/tmp/a\"b\\c\x01\xc3\xa9", "realtime", "added", attrs);
	json_object_set_new(json_object_get(doc, "data"), "hard_links",
			    json_pack("[s,s]", "/l/1", "/l/\"2"));
	json_object_set_new(json_object_get(doc, "data"), "tags", json_string("x,,y"));
	struct an_syscheck *s = decode_json(doc);
	size_t len;
	const char *text = an_syscheck_block_text(s, &len);
	const struct an_fim_keys *k = an_syscheck_keys(s);

	assert_non_null(text);
	assert_int_equal(strlen(text), len); /* the keys follow past a NUL */
	assert_string_equal(text,
			    "{\"path\":\"/tmp/a\\\"b\\\\c\\u0001\xc3\xa9\","
			    "\"hard_links\":[\"/l/1\",\"/l/\\\"2\"],\"mode\":\"realtime\","
			    "\"size_after\":\"69\",\"perm_after\":\"rw-r--r--\","
			    "\"uid_after\":\"0\",\"gid_after\":\"0\",\"sha1_after\":\"" SHA1_A
			    "\",\"sha256_after\":\"" SHA256_A "\",\"uname_after\":\"root\","
			    "\"gname_after\":\"root\",\"mtime_after\":\"2024-01-10T12:52:04\","
			    "\"inode_after\":21388,\"tags\":[\"x\",\"y\"],\"event\":\"added\"}");
	assert_string_equal(k->path, "/tmp/a\"b\\c\x01\xc3\xa9");
	assert_null(k->md5); /* empty: no md5_after in the object either */
	assert_string_equal(k->sha1, SHA1_A);
	assert_string_equal(k->sha256, SHA256_A);
	/* and jansson reads the text back as the same object */
	json_t *b = an_syscheck_block(s);
	assert_string_equal(json_string_value(json_object_get(b, "path")), k->path);
	assert_int_equal(json_array_size(json_object_get(b, "hard_links")), 2);
	an_syscheck_free(s);
}

static void test_decode_syscheck__numeric_inode_and_zero_inode(void **state)
{
	(void)state;
	json_t *attrs = eicar_attributes();
	json_object_set_new(attrs, "inode", json_integer(1704505));
	struct an_syscheck *s = decode_json(event("/a", "realtime", "added", attrs));
	assert_int_equal(json_integer_value(json_object_get(an_syscheck_block(s), "inode_after")),
			 1704505);
	assert_string_equal(an_fields_get(an_syscheck_fields(s), "inode"), "1704505");
	an_syscheck_free(s);

	attrs = eicar_attributes();
	json_object_set_new(attrs, "inode", json_string("0"));
	s = decode_json(event("/a", "realtime", "added", attrs));
	assert_null(json_object_get(an_syscheck_block(s), "inode_after")); /* atoi() == 0 */
	an_syscheck_free(s);
}

static void test_decode_syscheck__audit_and_diff(void **state)
{
	(void)state;
	json_t *doc = event("/etc/passwd", "whodata", "modified", eicar_attributes());
	json_t *data = json_object_get(doc, "data");
	json_object_set_new(data, "content_changes", json_string("< a\n---\n> b"));
	json_object_set_new(data, "old_attributes", eicar_attributes());
	json_object_set_new(data, "audit",
			    json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "user_id", "0", "user_name",
				      "root", "process_name", "/usr/bin/vi", "process_id",
				      (json_int_t)123, "ppid", (json_int_t)99, "audit_uid",
				      "1000"));
	struct an_syscheck *s = decode_json(doc);
	json_t *b = an_syscheck_block(s);

	assert_string_equal(json_string_value(json_object_get(b, "diff")), "< a\n---\n> b");
	char *audit = json_dumps(json_object_get(b, "audit"), JSON_COMPACT);
	assert_string_equal(audit, "{\"user\":{\"id\":\"0\",\"name\":\"root\"},\"process\":{\"id\":"
				   "\"123\",\"name\":\"/usr/bin/vi\",\"ppid\":\"99\"},"
				   "\"login_user\":{\"id\":\"1000\"}}");
	free(audit);
	const struct an_fields *f = an_syscheck_fields(s);
	assert_string_equal(an_fields_get(f, "changed_content"), "< a\n---\n> b");
	assert_string_equal(an_fields_get(f, "process_name"), "/usr/bin/vi");
	assert_string_equal(an_fields_get(f, "process_id"), "123");
	/* Nothing changed: no change lines even for a modified event. */
	assert_string_equal(an_syscheck_full_log(s),
			    "File '/etc/passwd' modified\nMode: whodata\n");
	an_syscheck_free(s);
}

/* ---- Scan markers and overflow -------------------------------------------- */

static void test_decode_syscheck__scan_markers(void **state)
{
	(void)state;
	const char start[] = "{\"type\":\"scan_start\",\"data\":{\"timestamp\":1700000000}}\n";
	const char end[] = "{\"type\":\"scan_end\",\"data\":{\"timestamp\":1700000060}}";
	struct an_syscheck *s = NULL;

	assert_int_equal(an_syscheck_decode(start, strlen(start), &s, NULL), 0);
	assert_int_equal(an_syscheck_kind(s), AN_SYSCHECK_SCAN_START);
	assert_int_equal(an_syscheck_timestamp(s), 1700000000);
	assert_null(an_syscheck_decoder(s));
	assert_null(an_syscheck_full_log(s));
	assert_null(an_syscheck_block(s));
	assert_int_equal(an_fields_count(an_syscheck_fields(s)), 0);
	an_syscheck_free(s);

	assert_int_equal(an_syscheck_decode(end, strlen(end), &s, NULL), 0);
	assert_int_equal(an_syscheck_kind(s), AN_SYSCHECK_SCAN_END);
	assert_int_equal(an_syscheck_timestamp(s), 1700000060);
	an_syscheck_free(s);

	expect_parse_error("{\"type\":\"scan_end\",\"data\":{}}", 29, "timestamp: missing");
}

static void test_decode_syscheck__overflow_is_the_rule_560_log_line(void **state)
{
	(void)state;
	const char line[] =
	    "{\"type\":\"overflow\",\"data\":{\"timestamp\":1700000001,\"message\":\"ossec: "
	    "Real-time inotify kernel queue is full. Some events may be lost. Vigie is "
	    "rescanning the affected directories now.\",\"rescan\":[\"/etc\"]}}";
	struct an_syscheck *s = NULL;

	assert_int_equal(an_syscheck_decode(line, strlen(line), &s, NULL), 0);
	assert_int_equal(an_syscheck_kind(s), AN_SYSCHECK_OVERFLOW);
	assert_string_equal(an_syscheck_decoder(s), "ossec");
	/* Rule 560: <match>^ossec: Real-time inotify kernel queue is full.</match> */
	assert_memory_equal(an_syscheck_full_log(s),
			    "ossec: Real-time inotify kernel queue is full.", 46);
	assert_null(an_syscheck_block(s));
	assert_int_equal(an_syscheck_timestamp(s), 1700000001);
	an_syscheck_free(s);
}

/* ---- Malformed input ----------------------------------------------------- */

static void test_decode_syscheck__rejects_malformed_text(void **state)
{
	(void)state;
	const char ok[] = "{\"type\":\"scan_start\",\"data\":{\"timestamp\":1}}";

	expect_parse_error("", 0, "not JSON");
	expect_parse_error("hello", 5, "not JSON");
	expect_parse_error(ok, sizeof(ok) - 10, "not JSON"); /* truncated */
	expect_parse_error("[1,2]", 5, "expected an object");
	expect_parse_error("{\"type\":\"event\"}", 16, "data: missing");
	expect_parse_error("{\"data\":{}}", 11, "type: missing");
	expect_parse_error("{\"type\":\"nope\",\"data\":{}}", 25, "unknown 'nope'");
	expect_parse_error("{\"type\":\"event\",\"data\":[]}", 26, "data: expected an object");
	expect_parse_error("{\"type\":\"event\",\"type\":\"event\",\"data\":{}}", 41, "not JSON");
	expect_parse_error("{\"type\":\"overflow\",\"data\":{}}", 29, "message: missing");

	struct an_syscheck *s = NULL;
	assert_int_equal(an_syscheck_decode(NULL, 0, &s, NULL), VG_EPARSE);
	assert_null(s);
}

static void test_decode_syscheck__rejects_bad_members(void **state)
{
	(void)state;
	json_t *doc;

	doc = event("/a", "realtime", "added", eicar_attributes());
	json_object_del(json_object_get(doc, "data"), "path");
	expect_parse_error_json(doc, "data.path: missing");

	doc = event("/a", "realtime", "added", eicar_attributes());
	json_object_set_new(json_object_get(doc, "data"), "path", json_integer(3));
	expect_parse_error_json(doc, "data.path: expected a string, got integer");

	doc = event("/a", "realtime", "renamed", eicar_attributes());
	expect_parse_error_json(doc, "data.type: unknown 'renamed'");

	json_t *attrs = eicar_attributes();
	json_object_set_new(attrs, "size", json_string("69"));
	expect_parse_error_json(event("/a", "realtime", "added", attrs),
				"data.attributes.size: expected an integer, got string");

	attrs = eicar_attributes();
	json_object_set_new(attrs, "size", json_integer(-1));
	expect_parse_error_json(event("/a", "realtime", "added", attrs), "negative");

	attrs = eicar_attributes();
	json_object_set_new(attrs, "inode", json_string("12x"));
	expect_parse_error_json(event("/a", "realtime", "added", attrs), "inode: not a decimal");

	attrs = eicar_attributes();
	json_object_set_new(attrs, "type", json_string("registry_key"));
	expect_parse_error_json(event("/a", "realtime", "added", attrs), "registry");

	attrs = eicar_attributes();
	json_object_set_new(attrs, "perm", json_object());
	expect_parse_error_json(event("/a", "realtime", "added", attrs), "Windows ACL");

	attrs = eicar_attributes();
	json_object_set_new(attrs, "mtime", json_integer(INT64_MAX));
	expect_parse_error_json(event("/a", "realtime", "added", attrs), "mtime out of range");

	doc = event("/a", "realtime", "modified", eicar_attributes());
	json_object_set_new(json_object_get(doc, "data"), "changed_attributes",
			    json_pack("[s,i]", "size", 3));
	expect_parse_error_json(doc, "changed_attributes: expected an array of strings");

	doc = event("/a", "realtime", "modified", eicar_attributes());
	json_object_set_new(json_object_get(doc, "data"), "old_attributes", json_string("x"));
	expect_parse_error_json(doc, "old_attributes: expected an object");

	doc = json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "event", "data", "path", "/a", "mode",
			"realtime", "type", "added");
	expect_parse_error_json(doc, "data.attributes: missing");
}

static void test_decode_syscheck__rejects_huge_input(void **state)
{
	(void)state;
	/* A 1 MiB path: over the line cap. */
	size_t big = 1024 * 1024;
	char *path = vg_xmalloc(big + 1);
	memset(path, 'a', big);
	path[0] = '/';
	path[big] = '\0';
	json_t *doc = event(path, "realtime", "added", eicar_attributes());
	char *text = json_dumps(doc, JSON_COMPACT);
	expect_parse_error(text, strlen(text), "bytes (max");
	free(text);
	json_decref(doc);

	/* A 100 KiB path: under the line cap, over the member cap. */
	path[100 * 1024] = '\0';
	expect_parse_error_json(event(path, "realtime", "added", eicar_attributes()),
				"data.path: 102400 bytes (max 65536)");
	vg_free(path);
}

/* ---- The fast parser and jansson agree ------------------------------------ */

/* Everything a result carries, as one string (full_log, block, fields). */
static char *describe(const char *line)
{
	struct an_syscheck *s = NULL;
	struct vg_err err = VG_ERR_INIT;

	if (an_syscheck_decode(line, strlen(line), &s, &err) != 0)
		return vg_xasprintf("error: %s", err.msg);
	char *block = json_dumps(an_syscheck_block(s), JSON_PRESERVE_ORDER | JSON_COMPACT);
	char *text = vg_xasprintf("%s|%s|%s", an_syscheck_decoder(s), an_syscheck_full_log(s),
				  block ? block : "(null)");
	const struct an_fields *f = an_syscheck_fields(s);
	for (size_t i = 0; i < an_fields_count(f); i++) {
		const char *n, *v;
		assert_int_equal(an_fields_at(f, i, &n, &v), 0);
		char *more = vg_xasprintf("%s|%s=%s", text, n, v);
		vg_free(text);
		text = more;
	}
	free(block);
	an_syscheck_free(s);
	return text;
}

static void assert_same_result(const char *a, const char *b)
{
	char *da = describe(a), *db = describe(b);

	if (strcmp(da, db) != 0)
		fail_msg("results differ\n%s\n -> %s\n%s\n -> %s", a, da, b, db);
	vg_free(da);
	vg_free(db);
}

#define MOD_PREFIX                                                                                 \
	"{\"type\":\"event\",\"data\":{\"path\":\"/srv/caf\u00e9 \\\"x\\\"\",\"version\":2,"       \
	"\"mode\":\"realtime\",\"type\":\"modified\",\"timestamp\":1704891124,"                    \
	"\"attributes\":{\"type\":\"file\",\"size\":70,\"perm\":\"rw-r--r--\",\"uid\":\"0\","      \
	"\"gid\":\"0\",\"user_name\":\"root\",\"inode\":\"21388\",\"mtime\":1704891124,"           \
	"\"hash_sha256\":\"" SHA256_B "\"},\"changed_attributes\":[\"size\",\"sha256\"],"          \
	"\"old_attributes\":{\"type\":\"file\",\"size\":69,\"perm\":\"rw-r--r--\","                \
	"\"inode\":\"21388\",\"mtime\":1704891124,\"hash_sha256\":\"" SHA256_A "\"}"

/* Lines outside the fast parser's subset (a surrogate pair, a real, a
 * 19-digit integer, deep nesting, an object of 40 members) go through
 * jansson and must decode exactly like their plain twin. */
static void test_decode_syscheck__jansson_road_matches_fast_road(void **state)
{
	(void)state;
	const char plain[] = MOD_PREFIX ",\"x\":\"\xf0\x9f\x98\x80\"}}";
	char members[1024] = "";
	size_t n = 0;

	assert_same_result(plain, MOD_PREFIX ",\"x\":\"\\ud83d\\ude00\"}}");
	assert_same_result(plain, MOD_PREFIX ",\"x\":\"\xf0\x9f\x98\x80\",\"r\":1.5e3}}");
	assert_same_result(plain,
			   MOD_PREFIX ",\"x\":\"\xf0\x9f\x98\x80\",\"big\":1234567890123456789}}");
	char deep[64] = "";
	for (int i = 0; i < 20; i++)
		deep[i] = '[', deep[21 + i] = ']';
	deep[20] = '0';
	char *nested = vg_xasprintf(MOD_PREFIX ",\"x\":\"\xf0\x9f\x98\x80\",\"deep\":%s}}", deep);
	assert_same_result(plain, nested);
	vg_free(nested);
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(members + n, sizeof(members) - n, ",\"m%d\":%d", i, i);
	char *wide = vg_xasprintf(MOD_PREFIX ",\"x\":\"\xf0\x9f\x98\x80\"%s}}", members);
	assert_same_result(plain, wide);
	vg_free(wide);
	/* Escapes the fast parser decodes itself. */
	assert_same_result(MOD_PREFIX ",\"tags\":\"a/b\\tc\u00e9\u20ac\"}}",
			   MOD_PREFIX ",\"tags\":\"a\\/b\\u0009c\\u00e9\\u20AC\"}}");
}

/* jansson's verdict stands on lines the fast parser hands over. */
static void test_decode_syscheck__fast_parser_defers_rejections(void **state)
{
	(void)state;
	expect_parse_error(MOD_PREFIX ",\"x\":{\"a\":1,\"a\":2}}}",
			   sizeof(MOD_PREFIX ",\"x\":{\"a\":1,\"a\":2}}}") - 1,
			   "duplicate object key");
	expect_parse_error(MOD_PREFIX ",\"x\":\"\\u0000\"}}",
			   sizeof(MOD_PREFIX ",\"x\":\"\\u0000\"}}") - 1, "\\u0000 is not allowed");
	expect_parse_error(MOD_PREFIX ",\"x\":\"\\ud800\"}}",
			   sizeof(MOD_PREFIX ",\"x\":\"\\ud800\"}}") - 1, "invalid Unicode");
	expect_parse_error(MOD_PREFIX ",\"x\":\"\xc0\xaf\"}}",
			   sizeof(MOD_PREFIX ",\"x\":\"\xc0\xaf\"}}") - 1, "unable to decode byte");
	expect_parse_error(MOD_PREFIX ",\"x\":01}}", sizeof(MOD_PREFIX ",\"x\":01}}") - 1,
			   "not JSON");
	expect_parse_error(MOD_PREFIX "}} x", sizeof(MOD_PREFIX "}} x") - 1,
			   "end of file expected");
	/* A line the fast parser takes whole must still be one document. */
	expect_parse_error(MOD_PREFIX "}}{}", sizeof(MOD_PREFIX "}}{}") - 1, "not JSON");
}

/* mtime is formatted by hand for years 1000-9999 and by strftime outside. */
static void test_decode_syscheck__mtime_formats_match_strftime(void **state)
{
	(void)state;
	const int64_t times[] = {0,
				 951782400 /* 2000-02-29 */,
				 1704891124,
				 4102444799,
				 -30610224000 /* 1000-01-01 */,
				 -30610224001,
				 253402300799,
				 253402300800};

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		json_t *attrs = eicar_attributes();
		json_object_set_new(attrs, "mtime", json_integer(times[i]));
		struct an_syscheck *s = decode_json(event("/a", "realtime", "added", attrs));
		char want[64];
		time_t t = (time_t)times[i];
		struct tm tm;
		assert_non_null(gmtime_r(&t, &tm));
		assert_true(strftime(want, sizeof(want), "%FT%T", &tm) > 0);
		json_t *got = json_object_get(an_syscheck_block(s), "mtime_after");
		assert_non_null(got);
		assert_string_equal(json_string_value(got), want);
		an_syscheck_free(s);
	}
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_syscheck__added_matches_seed_alert_554),
	    cmocka_unit_test(test_decode_syscheck__added_fields_use_wazuh_names),
	    cmocka_unit_test(test_decode_syscheck__modified_has_every_change_line),
	    cmocka_unit_test(test_decode_syscheck__modified_mtime_only_omits_equal_befores),
	    cmocka_unit_test(test_decode_syscheck__overlong_perm_line_is_replaced),
	    cmocka_unit_test(test_decode_syscheck__deleted),
	    cmocka_unit_test(test_decode_syscheck__long_path_is_shortened_in_full_log),
	    cmocka_unit_test(test_decode_syscheck__shortening_never_splits_utf8),
	    cmocka_unit_test(test_decode_syscheck__too_big_file_has_no_digests),
	    cmocka_unit_test(test_decode_syscheck__block_text_is_escaped_and_keys_are_plain),
	    cmocka_unit_test(test_decode_syscheck__numeric_inode_and_zero_inode),
	    cmocka_unit_test(test_decode_syscheck__audit_and_diff),
	    cmocka_unit_test(test_decode_syscheck__scan_markers),
	    cmocka_unit_test(test_decode_syscheck__overflow_is_the_rule_560_log_line),
	    cmocka_unit_test(test_decode_syscheck__rejects_malformed_text),
	    cmocka_unit_test(test_decode_syscheck__rejects_bad_members),
	    cmocka_unit_test(test_decode_syscheck__rejects_huge_input),
	    cmocka_unit_test(test_decode_syscheck__jansson_road_matches_fast_road),
	    cmocka_unit_test(test_decode_syscheck__fast_parser_defers_rejections),
	    cmocka_unit_test(test_decode_syscheck__mtime_formats_match_strftime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
