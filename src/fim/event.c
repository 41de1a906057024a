/*
 * event.c - Build Wazuh's agent syscheck JSON for one file change, plus the
 * scan markers and the lost-event (overflow) notice.
 *
 * The document is built as a jansson tree (keys keep insertion order, so
 * the order below is the wire order) and dumped compactly into the
 * caller's capped buffer. Every string that comes from the file system
 * (path, user and group names) or the config (tags) goes through the lossy
 * UTF-8 conversion of lib/json.h, so the output is valid JSON whatever the
 * bytes. Stateless: any thread may call these functions.
 */
#include "fim/event.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fim/config.h"
#include "lib/json.h"
#include "lib/str.h"

static const char *const event_type_names[] = {
    [FIM_EVENT_ADDED] = "added",
    [FIM_EVENT_MODIFIED] = "modified",
    [FIM_EVENT_DELETED] = "deleted",
};

static const char *const event_mode_names[] = {
    [FIM_MODE_SCHEDULED] = "scheduled",
    [FIM_MODE_REALTIME] = "realtime",
    [FIM_MODE_WHODATA] = "whodata",
};

/* ---- What an entry reports ------------------------------------------------ */

/*
 * The digest reported for check bit which, or "" when it is not reported:
 * check off, not a regular file, or not hashed (too big, unreadable). Never
 * the empty-file digests Wazuh puts in those cases.
 */
static const char *entry_digest(const struct fim_entry *e, unsigned checks, unsigned which)
{
	if (!(checks & which) || !S_ISREG(e->mode) || e->hash_state != FIM_HASH_OK)
		return "";
	switch (which) {
	case FIM_CHECK_MD5:
		return e->digests.md5;
	case FIM_CHECK_SHA1:
		return e->digests.sha1;
	default:
		return e->digests.sha256;
	}
}

/* attributes.hash_state: why a regular file that should be hashed was not. */
static const char *entry_hash_state(const struct fim_entry *e, unsigned checks)
{
	if (!(checks & FIM_CHECK_SUM) || !S_ISREG(e->mode))
		return NULL;
	if (e->hash_state == FIM_HASH_TOO_BIG)
		return "too_big";
	if (e->hash_state == FIM_HASH_UNREADABLE)
		return "unreadable";
	return NULL;
}

static bool perm_differs(const struct fim_entry *a, const struct fim_entry *b)
{
	return (a->mode & 07777) != (b->mode & 07777);
}

void fim_event_checksum(const struct fim_entry *e, unsigned checks, char out[41])
{
	/* every field is bounded: 20+9+2*10+2*FIM_NAME_MAX+20+20+32+40+64+12 */
	char line[512];
	char perm[10] = "";
	char uid[16] = "";
	char gid[16] = "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (checks & FIM_CHECK_PERM)
		fim_entry_perm_string(e->mode, perm);
	if (checks & FIM_CHECK_OWNER)
		snprintf(uid, sizeof(uid), "%" PRIu32, e->uid);
	if (checks & FIM_CHECK_GROUP)
		snprintf(gid, sizeof(gid), "%" PRIu32, e->gid);
	/* Wazuh's format: "%llu:%s:%s:%s:%s:%s:%s:%lu:%llu:%s:%s:%s", attributes "" */
	int n = snprintf(
	    line, sizeof(line), "%" PRIu64 ":%s::%s:%s:%s:%s:%" PRIu64 ":%" PRIu64 ":%s:%s:%s",
	    (checks & FIM_CHECK_SIZE) ? e->size : 0, perm, uid, gid,
	    (checks & FIM_CHECK_OWNER) ? e->user_name : "",
	    (checks & FIM_CHECK_GROUP) ? e->group_name : "",
	    (checks & FIM_CHECK_MTIME) ? (uint64_t)e->mtime : 0, e->inode,
	    entry_digest(e, checks, FIM_CHECK_MD5), entry_digest(e, checks, FIM_CHECK_SHA1),
	    entry_digest(e, checks, FIM_CHECK_SHA256));
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (EVP_Digest(line, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		return;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

unsigned fim_event_changed(const struct fim_entry *old, const struct fim_entry *now,
			   unsigned checks)
{
	unsigned m = 0;
	static const unsigned sums[] = {FIM_CHECK_MD5, FIM_CHECK_SHA1, FIM_CHECK_SHA256};

	if ((checks & FIM_CHECK_SIZE) && old->size != now->size)
		m |= FIM_CHECK_SIZE;
	if ((checks & FIM_CHECK_PERM) && perm_differs(old, now))
		m |= FIM_CHECK_PERM;
	if ((checks & FIM_CHECK_OWNER) &&
	    (old->uid != now->uid || strcmp(old->user_name, now->user_name) != 0))
		m |= FIM_CHECK_OWNER;
	if ((checks & FIM_CHECK_GROUP) &&
	    (old->gid != now->gid || strcmp(old->group_name, now->group_name) != 0))
		m |= FIM_CHECK_GROUP;
	/* seconds only: Wazuh reports seconds, a nanosecond change alone shows nothing */
	if ((checks & FIM_CHECK_MTIME) && old->mtime != now->mtime)
		m |= FIM_CHECK_MTIME;
	if ((checks & FIM_CHECK_INODE) && old->inode != now->inode)
		m |= FIM_CHECK_INODE;
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		if (strcmp(entry_digest(old, checks, sums[i]), entry_digest(now, checks, sums[i])))
			m |= sums[i];
	return m;
}

/* ---- JSON building --------------------------------------------------------- */

/* json_object_set_new that remembers a failure (NULL value or OOM). */
static void put(json_t *obj, const char *key, json_t *value, bool *failed)
{
	if (json_object_set_new(obj, key, value) != 0)
		*failed = true;
}

static json_t *u64_string(uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	return json_string(s);
}

static json_t *cstr_lossy(const char *s)
{
	return vg_json_string_lossy(s, strlen(s));
}

/* Wazuh's fim_attributes_json: keys in its order, present per check bit. */
static json_t *attributes_json(const struct fim_entry *e, unsigned checks)
{
	json_t *a = json_object();
	bool failed = a == NULL;
	char perm[10];
	char checksum[41];
	const char *state = entry_hash_state(e, checks);

	put(a, "type", json_string(fim_entry_type_name(e->mode)), &failed);
	if (checks & FIM_CHECK_SIZE)
		put(a, "size", json_integer((json_int_t)e->size), &failed);
	if (checks & FIM_CHECK_PERM) {
		fim_entry_perm_string(e->mode, perm);
		put(a, "perm", json_string(perm), &failed);
	}
	if (checks & FIM_CHECK_OWNER)
		put(a, "uid", u64_string(e->uid), &failed);
	if (checks & FIM_CHECK_GROUP)
		put(a, "gid", u64_string(e->gid), &failed);
	/* as Wazuh: an unresolved (empty) name is left out */
	if ((checks & FIM_CHECK_OWNER) && e->user_name[0] != '\0')
		put(a, "user_name", cstr_lossy(e->user_name), &failed);
	if ((checks & FIM_CHECK_GROUP) && e->group_name[0] != '\0')
		put(a, "group_name", cstr_lossy(e->group_name), &failed);
	if (checks & FIM_CHECK_INODE)
		put(a, "inode", u64_string(e->inode), &failed);
	if (checks & FIM_CHECK_MTIME)
		put(a, "mtime", json_integer((json_int_t)e->mtime), &failed);
	static const struct {
		unsigned bit;
		const char *key;
	} sums[] = {{FIM_CHECK_MD5, "hash_md5"},
		    {FIM_CHECK_SHA1, "hash_sha1"},
		    {FIM_CHECK_SHA256, "hash_sha256"}};
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
		const char *d = entry_digest(e, checks, sums[i].bit);
		if (d[0] != '\0')
			put(a, sums[i].key, json_string(d), &failed);
	}
	fim_event_checksum(e, checks, checksum);
	put(a, "checksum", json_string(checksum), &failed);
	if (state != NULL)
		put(a, "hash_state", json_string(state), &failed);
	if (failed) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static void push_if(json_t *arr, bool cond, const char *name, bool *failed)
{
	if (cond && json_array_append_new(arr, json_string(name)) != 0)
		*failed = true;
}

/* Wazuh's fim_json_compare_attrs: names and order of changed_attributes. */
static json_t *changed_json(const struct fim_entry *old, const struct fim_entry *now,
			    unsigned checks)
{
	json_t *c = json_array();
	bool failed = c == NULL;
	unsigned m = fim_event_changed(old, now, checks);

	push_if(c, m & FIM_CHECK_SIZE, "size", &failed);
	push_if(c, m & FIM_CHECK_PERM, "permission", &failed);
	push_if(c, (m & FIM_CHECK_OWNER) && old->uid != now->uid, "uid", &failed);
	push_if(c, (m & FIM_CHECK_OWNER) && strcmp(old->user_name, now->user_name) != 0,
		"user_name", &failed);
	push_if(c, (m & FIM_CHECK_GROUP) && old->gid != now->gid, "gid", &failed);
	push_if(c, (m & FIM_CHECK_GROUP) && strcmp(old->group_name, now->group_name) != 0,
		"group_name", &failed);
	push_if(c, m & FIM_CHECK_MTIME, "mtime", &failed);
	push_if(c, m & FIM_CHECK_INODE, "inode", &failed);
	push_if(c, m & FIM_CHECK_MD5, "md5", &failed);
	push_if(c, m & FIM_CHECK_SHA1, "sha1", &failed);
	push_if(c, m & FIM_CHECK_SHA256, "sha256", &failed);
	if (failed) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static json_t *path_b64(const char *path, size_t len)
{
	struct vg_buf b;
	json_t *j = NULL;

	vg_buf_init(&b, len / 3 * 4 + 8);
	if (vg_base64_encode(&b, path, len) == 0)
		j = json_stringn(vg_buf_cstr(&b), b.len);
	vg_buf_free(&b);
	return j;
}

/*
 * A new {"type":type,"data":{}} root; *data receives the borrowed inner
 * object. NULL when jansson runs out of memory.
 */
static json_t *new_envelope(const char *type, json_t **data)
{
	json_t *root = json_object();
	bool failed = root == NULL;

	*data = json_object();
	put(root, "type", json_string(type), &failed);
	/* on failure jansson has already released *data */
	if (json_object_set_new(root, "data", *data) != 0)
		failed = true;
	if (failed) {
		json_decref(root);
		*data = NULL;
		return NULL;
	}
	return root;
}

/* Dump root into out, or report the failure to build it. Consumes root. */
static int finish(struct vg_buf *out, json_t *root, bool failed, const char *what,
		  struct vg_err *err)
{
	int rc;
	if (root == NULL || failed)
		rc = vg_err_set(err, VG_EINTERNAL, "out of memory building the %s event", what);
	else
		rc = vg_json_dump(out, root, err);
	json_decref(root);
	return rc;
}

int fim_event_format(struct vg_buf *out, enum fim_event_type type, enum fim_event_mode mode,
		     const struct fim_entry *now, const struct fim_entry *old, unsigned checks,
		     const char *tags, time_t timestamp, struct vg_err *err)
{
	json_t *data = NULL;
	json_t *root = NULL;
	bool failed = false;

	if (now == NULL || now->path == NULL || (unsigned)type > FIM_EVENT_DELETED ||
	    (unsigned)mode > FIM_MODE_WHODATA || (type == FIM_EVENT_MODIFIED && old == NULL))
		return vg_err_set(err, VG_EINTERNAL, "fim_event_format: invalid arguments");
	root = new_envelope("event", &data);
	if (root == NULL)
		return finish(out, NULL, true, event_type_names[type], err);
	put(data, "path", vg_json_string_lossy(now->path, now->path_len), &failed);
	put(data, "version", json_integer(2), &failed);
	put(data, "mode", json_string(event_mode_names[mode]), &failed);
	put(data, "type", json_string(event_type_names[type]), &failed);
	put(data, "timestamp", json_integer((json_int_t)timestamp), &failed);
	put(data, "attributes", attributes_json(now, checks), &failed);
	if (type == FIM_EVENT_MODIFIED) {
		put(data, "changed_attributes", changed_json(old, now, checks), &failed);
		put(data, "old_attributes", attributes_json(old, checks), &failed);
	}
	if (tags != NULL)
		put(data, "tags", cstr_lossy(tags), &failed);
	/* Vigie: the exact bytes when "path" had to be made lossy */
	if (!vg_utf8_valid(now->path, now->path_len))
		put(data, "path_b64", path_b64(now->path, now->path_len), &failed);
	return finish(out, root, failed, event_type_names[type], err);
}

int fim_event_format_entry(struct vg_buf *out, const struct fim_entry *e, unsigned checks,
			   struct vg_err *err)
{
	json_t *root = json_object();
	bool failed = root == NULL;

	if (e == NULL || e->path == NULL) {
		json_decref(root);
		return vg_err_set(err, VG_EINTERNAL, "fim_event_format_entry: invalid arguments");
	}
	put(root, "path", vg_json_string_lossy(e->path, e->path_len), &failed);
	put(root, "attributes", attributes_json(e, checks), &failed);
	if (!vg_utf8_valid(e->path, e->path_len))
		put(root, "path_b64", path_b64(e->path, e->path_len), &failed);
	return finish(out, root, failed, "entry", err);
}

int fim_event_format_scan(struct vg_buf *out, int start, time_t timestamp, struct vg_err *err)
{
	const char *type = start ? "scan_start" : "scan_end";
	json_t *data = NULL;
	json_t *root = new_envelope(type, &data);
	bool failed = false;

	if (root != NULL)
		put(data, "timestamp", json_integer((json_int_t)timestamp), &failed);
	return finish(out, root, failed, type, err);
}

int fim_event_format_overflow(struct vg_buf *out, const char *const *roots, size_t nroots,
			      time_t timestamp, struct vg_err *err)
{
	json_t *data = NULL;
	json_t *root = new_envelope("overflow", &data);
	json_t *rescan = NULL;
	bool failed = false;

	if (root == NULL)
		return finish(out, NULL, true, "overflow", err);
	put(data, "timestamp", json_integer((json_int_t)timestamp), &failed);
	put(data, "message", json_string(FIM_OVERFLOW_MESSAGE), &failed);
	rescan = json_array();
	for (size_t i = 0; rescan != NULL && i < nroots; i++)
		if (json_array_append_new(rescan, cstr_lossy(roots[i])) != 0)
			failed = true;
	put(data, "rescan", rescan, &failed);
	return finish(out, root, failed, "overflow", err);
}
