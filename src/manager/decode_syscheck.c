/*
 * decode_syscheck.c - Wazuh 4.x analysisd's FIM decoder, for Vigie's manager.
 *
 * Mirrors wazuh/wazuh src/analysisd/decoders/syscheck.c (decode_fim_event,
 * fim_process_alert, fim_fetch_attributes_state, fim_generate_alert) and the
 * syscheck part of src/analysisd/format/to_json.c (Eventinfo_to_jsonstr).
 * Like analysisd, decoding first fills one string slot per Wazuh field
 * (lf->fields[FIM_*]); full_log, the "syscheck" object and the field map are
 * then all built from those slots, so the three can never disagree.
 *
 * Slots borrow strings from the parsed jansson tree or point at a small
 * per-slot buffer holding a printed number; nothing is allocated per field
 * until the final an_fields copy. Stateless: any thread may decode.
 */
#include "manager/decode_syscheck.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/str.h"

/* Wazuh's buffer sizes: full_log is OS_MAXSTR, a change line OS_FLSIZE + 1,
 * the "Changed attributes"/"Hard links" lines OS_SIZE_256, the shortened
 * path 757 bytes. Output is cut exactly where Wazuh's snprintf cuts it. */
#define WZ_MAXSTR 65536
#define WZ_CHANGE_LINE (256 + 1)
#define WZ_INFO_LINE 256
#define WZ_PATH_MAX_SHOWN 756

/* One slot per Wazuh field, in Wazuh's order (FIM_* in analysisd), then
 * Vigie's additions. The order is the fields' iteration order. */
enum slot {
	F_FILE,
	F_HARD_LINKS,
	F_MODE,
	F_SIZE,
	F_SIZE_BEFORE,
	F_PERM,
	F_PERM_BEFORE,
	F_UID,
	F_UID_BEFORE,
	F_GID,
	F_GID_BEFORE,
	F_MD5,
	F_MD5_BEFORE,
	F_SHA1,
	F_SHA1_BEFORE,
	F_UNAME,
	F_UNAME_BEFORE,
	F_GNAME,
	F_GNAME_BEFORE,
	F_MTIME,
	F_MTIME_BEFORE,
	F_INODE,
	F_INODE_BEFORE,
	F_SHA256,
	F_SHA256_BEFORE,
	F_DIFF,
	F_ATTRS,
	F_ATTRS_BEFORE,
	F_CHFIELDS,
	F_USER_ID,
	F_USER_NAME,
	F_GROUP_ID,
	F_GROUP_NAME,
	F_PROC_NAME,
	F_PROC_PNAME,
	F_AUDIT_CWD,
	F_AUDIT_PCWD,
	F_AUDIT_ID,
	F_AUDIT_NAME,
	F_EFFECTIVE_UID,
	F_EFFECTIVE_NAME,
	F_PPID,
	F_PROC_ID,
	F_TAG,
	F_SYM_PATH,
	F_ENTRY_TYPE,
	F_EVENT_TYPE,
	F_PATH_B64,          /* Vigie */
	F_HASH_STATE,        /* Vigie */
	F_HASH_STATE_BEFORE, /* Vigie */
	F_COUNT
};

/* Field names as rules see them (Wazuh's sdb_init). */
static const char *const slot_names[F_COUNT] = {
    [F_FILE] = "file",
    [F_HARD_LINKS] = "hard_links",
    [F_MODE] = "mode",
    [F_SIZE] = "size",
    [F_SIZE_BEFORE] = "size_before",
    [F_PERM] = "perm",
    [F_PERM_BEFORE] = "perm_before",
    [F_UID] = "uid",
    [F_UID_BEFORE] = "uid_before",
    [F_GID] = "gid",
    [F_GID_BEFORE] = "gid_before",
    [F_MD5] = "md5",
    [F_MD5_BEFORE] = "md5_before",
    [F_SHA1] = "sha1",
    [F_SHA1_BEFORE] = "sha1_before",
    [F_UNAME] = "uname",
    [F_UNAME_BEFORE] = "uname_before",
    [F_GNAME] = "gname",
    [F_GNAME_BEFORE] = "gname_before",
    [F_MTIME] = "mtime",
    [F_MTIME_BEFORE] = "mtime_before",
    [F_INODE] = "inode",
    [F_INODE_BEFORE] = "inode_before",
    [F_SHA256] = "sha256",
    [F_SHA256_BEFORE] = "sha256_before",
    [F_DIFF] = "changed_content",
    [F_ATTRS] = "win_attributes",
    [F_ATTRS_BEFORE] = "win_attributes_before",
    [F_CHFIELDS] = "changed_fields",
    [F_USER_ID] = "user_id",
    [F_USER_NAME] = "user_name",
    [F_GROUP_ID] = "group_id",
    [F_GROUP_NAME] = "group_name",
    [F_PROC_NAME] = "process_name",
    [F_PROC_PNAME] = "parent_name",
    [F_AUDIT_CWD] = "cwd",
    [F_AUDIT_PCWD] = "parent_cwd",
    [F_AUDIT_ID] = "audit_uid",
    [F_AUDIT_NAME] = "audit_name",
    [F_EFFECTIVE_UID] = "effective_uid",
    [F_EFFECTIVE_NAME] = "effective_name",
    [F_PPID] = "ppid",
    [F_PROC_ID] = "process_id",
    [F_TAG] = "tag",
    [F_SYM_PATH] = "symbolic_path",
    [F_ENTRY_TYPE] = "entry_type",
    [F_EVENT_TYPE] = "event_type",
    [F_PATH_B64] = "path_b64",
    [F_HASH_STATE] = "hash_state",
    [F_HASH_STATE_BEFORE] = "hash_state_before",
};

/* The decoding state of one event: Wazuh's lf->fields[] values. */
struct slots {
	const char *v[F_COUNT]; /* NULL = absent (Wazuh's NULL value) */
	char num[F_COUNT][24];  /* printed numbers the slots point at */
	struct vg_buf chfields; /* changed_attributes joined with ',' */
	struct vg_buf links;    /* hard_links as compact JSON */
	struct vg_buf links_csv;
};

struct an_syscheck {
	enum an_syscheck_kind kind;
	enum an_syscheck_event event;
	const char *decoder;
	char *full_log;
	json_t *block;
	struct an_fields *fields;
	int64_t timestamp;
};

/* ---- Typed member access ------------------------------------------------- */

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static int type_error(const char *ctx, const char *key, const char *want, const json_t *got,
		      struct vg_err *err)
{
	return vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: expected %s, got %s", ctx, key,
			  want, json_type_name(got));
}

/* A string member: NULL when absent, VG_EPARSE when mistyped or too long. */
static int get_str(const json_t *obj, const char *ctx, const char *key, const char **out,
		   struct vg_err *err)
{
	json_t *j = json_object_get(obj, key);

	*out = NULL;
	if (j == NULL)
		return 0;
	if (!json_is_string(j))
		return type_error(ctx, key, "a string", j, err);
	if (json_string_length(j) > AN_SYSCHECK_MAX_STRING)
		return vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: %zu bytes (max %u)", ctx,
				  key, json_string_length(j), AN_SYSCHECK_MAX_STRING);
	*out = json_string_value(j);
	return 0;
}

static int need_str(const json_t *obj, const char *ctx, const char *key, const char **out,
		    struct vg_err *err)
{
	int rc = get_str(obj, ctx, key, out, err);

	if (rc == 0 && *out == NULL)
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: missing", ctx, key);
	return rc;
}

/* An integer member printed in decimal into the slot's buffer. */
static int get_int(struct slots *s, enum slot f, const json_t *obj, const char *ctx,
		   const char *key, bool non_negative, struct vg_err *err)
{
	json_t *j = json_object_get(obj, key);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j))
		return type_error(ctx, key, "an integer", j, err);
	json_int_t n = json_integer_value(j);
	if (non_negative && n < 0)
		return vg_err_set(err, VG_EPARSE,
				  "syscheck event: %s%s: negative (%" JSON_INTEGER_FORMAT ")", ctx,
				  key, n);
	snprintf(s->num[f], sizeof(s->num[f]), "%" JSON_INTEGER_FORMAT, n);
	s->v[f] = s->num[f];
	return 0;
}

static int get_object(const json_t *obj, const char *ctx, const char *key, bool required,
		      json_t **out, struct vg_err *err)
{
	json_t *j = json_object_get(obj, key);

	*out = NULL;
	if (j == NULL)
		return required
			   ? vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: missing", ctx, key)
			   : 0;
	if (!json_is_object(j))
		return type_error(ctx, key, "an object", j, err);
	*out = j;
	return 0;
}

/* ---- Attributes (fim_fetch_attributes_state) ------------------------------ */

/* The string attributes and their (after, before) slots. */
static const struct {
	const char *key;
	enum slot now, old;
} str_attrs[] = {
    {"perm", F_PERM, F_PERM_BEFORE},
    {"user_name", F_UNAME, F_UNAME_BEFORE},
    {"group_name", F_GNAME, F_GNAME_BEFORE},
    {"uid", F_UID, F_UID_BEFORE},
    {"gid", F_GID, F_GID_BEFORE},
    {"hash_md5", F_MD5, F_MD5_BEFORE},
    {"hash_sha1", F_SHA1, F_SHA1_BEFORE},
    {"hash_sha256", F_SHA256, F_SHA256_BEFORE},
    {"attributes", F_ATTRS, F_ATTRS_BEFORE},
    {"hash_state", F_HASH_STATE, F_HASH_STATE_BEFORE},
};

/* inode: a decimal string since Wazuh 4.13, a number before; both accepted. */
static int get_inode(struct slots *s, enum slot f, const json_t *attrs, const char *ctx,
		     struct vg_err *err)
{
	json_t *j = json_object_get(attrs, "inode");
	uint64_t ino;

	if (j == NULL || json_is_integer(j))
		return get_int(s, f, attrs, ctx, "inode", true, err);
	if (!json_is_string(j))
		return type_error(ctx, "inode", "a string or an integer", j, err);
	if (vg_parse_u64(json_string_value(j), INT64_MAX, &ino) != 0)
		return vg_err_set(err, VG_EPARSE, "syscheck event: %sinode: not a decimal number",
				  ctx);
	s->v[f] = json_string_value(j);
	return 0;
}

static int fetch_attributes(struct slots *s, const json_t *attrs, bool now, struct vg_err *err)
{
	const char *ctx = now ? "data.attributes." : "data.old_attributes.";
	int rc = 0;

	if (json_is_object(json_object_get(attrs, "perm")))
		return vg_err_set(
		    err, VG_EPARSE,
		    "syscheck event: %sperm: Windows ACL permissions are not supported", ctx);
	for (size_t i = 0; i < sizeof(str_attrs) / sizeof(str_attrs[0]) && rc == 0; i++)
		rc = get_str(attrs, ctx, str_attrs[i].key,
			     &s->v[now ? str_attrs[i].now : str_attrs[i].old], err);
	if (rc == 0)
		rc = get_int(s, now ? F_SIZE : F_SIZE_BEFORE, attrs, ctx, "size", true, err);
	if (rc == 0)
		rc = get_int(s, now ? F_MTIME : F_MTIME_BEFORE, attrs, ctx, "mtime", false, err);
	if (rc == 0)
		rc = get_inode(s, now ? F_INODE : F_INODE_BEFORE, attrs, ctx, err);
	if (rc == 0 && now)
		rc = get_str(attrs, ctx, "symlink_path", &s->v[F_SYM_PATH], err);
	return rc;
}

/* attributes.type: Wazuh's "file" (and legacy "registry") decode as files;
 * Vigie's names for non-regular entries are files too. Registry events
 * (Windows agents) are not supported yet. */
static int check_entry_type(const char *t, struct vg_err *err)
{
	static const char *const ok[] = {"file", "registry", "directory",        "symlink",
					 "fifo", "socket",   "character-device", "block-device"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(t, ok[i]) == 0)
			return 0;
	if (strcmp(t, "registry_key") == 0 || strcmp(t, "registry_value") == 0)
		return vg_err_set(err, VG_EPARSE,
				  "syscheck event: data.attributes.type: '%s' (Windows registry "
				  "events are not supported)",
				  t);
	return vg_err_set(err, VG_EPARSE, "syscheck event: data.attributes.type: unknown '%.64s'",
			  t);
}

/* ---- Event members (fim_process_alert) ------------------------------------ */

/* An array of strings joined with sep into b (Wazuh's wm_strcat). */
static int join_strings(struct vg_buf *b, const json_t *arr, const char *key, char sep,
			struct vg_err *err)
{
	size_t i;
	json_t *item;

	json_array_foreach(arr, i, item)
	{
		if (!json_is_string(item))
			return type_error("data.", key, "an array of strings, an item is", item,
					  err);
		if ((i > 0 && vg_buf_putc(b, sep) != 0) ||
		    vg_buf_append(b, json_string_value(item), json_string_length(item)) != 0)
			return vg_err_set(err, VG_EPARSE, "syscheck event: data.%s: too long", key);
	}
	return 0;
}

static int fetch_arrays(struct slots *s, const json_t *data, struct vg_err *err)
{
	json_t *ch = json_object_get(data, "changed_attributes");
	json_t *hl = json_object_get(data, "hard_links");
	int rc = 0;

	if (ch != NULL && !json_is_array(ch))
		return type_error("data.", "changed_attributes", "an array", ch, err);
	if (hl != NULL && !json_is_array(hl))
		return type_error("data.", "hard_links", "an array", hl, err);
	if (ch != NULL && json_array_size(ch) > 0) {
		rc = join_strings(&s->chfields, ch, "changed_attributes", ',', err);
		s->v[F_CHFIELDS] = vg_buf_cstr(&s->chfields);
	}
	if (rc == 0 && hl != NULL) {
		rc = join_strings(&s->links_csv, hl, "hard_links", ',', err);
		if (rc == 0 && vg_json_dump(&s->links, hl, err) != 0)
			rc =
			    vg_err_set(err, VG_EPARSE, "syscheck event: data.hard_links: too long");
		s->v[F_HARD_LINKS] = vg_buf_cstr(&s->links);
	}
	return rc;
}

static const struct {
	const char *key;
	enum slot slot;
} audit_strs[] = {
    {"user_id", F_USER_ID},
    {"user_name", F_USER_NAME},
    {"group_id", F_GROUP_ID},
    {"group_name", F_GROUP_NAME},
    {"process_name", F_PROC_NAME},
    {"parent_name", F_PROC_PNAME},
    {"cwd", F_AUDIT_CWD},
    {"parent_cwd", F_AUDIT_PCWD},
    {"audit_uid", F_AUDIT_ID},
    {"audit_name", F_AUDIT_NAME},
    {"effective_uid", F_EFFECTIVE_UID},
    {"effective_name", F_EFFECTIVE_NAME},
};

static int fetch_audit(struct slots *s, const json_t *audit, struct vg_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(audit_strs) / sizeof(audit_strs[0]) && rc == 0; i++)
		rc = get_str(audit, "data.audit.", audit_strs[i].key, &s->v[audit_strs[i].slot],
			     err);
	if (rc == 0)
		rc = get_int(s, F_PPID, audit, "data.audit.", "ppid", false, err);
	if (rc == 0)
		rc = get_int(s, F_PROC_ID, audit, "data.audit.", "process_id", false, err);
	return rc;
}

static int fetch_event(struct slots *s, const json_t *data, enum an_syscheck_event *ev,
		       struct vg_err *err)
{
	json_t *attrs, *old, *audit;
	int rc;

	if ((rc = need_str(data, "data.", "path", &s->v[F_FILE], err)) != 0 ||
	    (rc = need_str(data, "data.", "mode", &s->v[F_MODE], err)) != 0 ||
	    (rc = need_str(data, "data.", "type", &s->v[F_EVENT_TYPE], err)) != 0 ||
	    (rc = get_str(data, "data.", "tags", &s->v[F_TAG], err)) != 0 ||
	    (rc = get_str(data, "data.", "content_changes", &s->v[F_DIFF], err)) != 0 ||
	    (rc = get_str(data, "data.", "path_b64", &s->v[F_PATH_B64], err)) != 0 ||
	    (rc = fetch_arrays(s, data, err)) != 0 ||
	    (rc = get_object(data, "data.", "attributes", true, &attrs, err)) != 0 ||
	    (rc = get_object(data, "data.", "old_attributes", false, &old, err)) != 0 ||
	    (rc = get_object(data, "data.", "audit", false, &audit, err)) != 0 ||
	    (rc = need_str(attrs, "data.attributes.", "type", &s->v[F_ENTRY_TYPE], err)) != 0 ||
	    (rc = check_entry_type(s->v[F_ENTRY_TYPE], err)) != 0 ||
	    (rc = fetch_attributes(s, attrs, true, err)) != 0 ||
	    (old != NULL && (rc = fetch_attributes(s, old, false, err)) != 0) ||
	    (audit != NULL && (rc = fetch_audit(s, audit, err)) != 0))
		return rc;

	const char *t = s->v[F_EVENT_TYPE];
	if (strcmp(t, "added") == 0)
		*ev = AN_SYSCHECK_ADDED;
	else if (strcmp(t, "modified") == 0)
		*ev = AN_SYSCHECK_MODIFIED;
	else if (strcmp(t, "deleted") == 0)
		*ev = AN_SYSCHECK_DELETED;
	else
		return vg_err_set(err, VG_EPARSE, "syscheck event: data.type: unknown '%.64s'", t);
	return 0;
}

/* ---- full_log (fim_generate_alert) ---------------------------------------- */

/* Wazuh's fim_generate_comment: a line only when before and after differ
 * (NULL counts as ""), cut at Wazuh's OS_FLSIZE + 1 buffer. Returns the
 * untruncated length, 0 when no line was written. */
static size_t change_line(struct vg_buf *b, const char *pre, const char *mid, const char *post,
			  const char *before, const char *after, int *bad)
{
	char line[WZ_CHANGE_LINE];

	before = before ? before : "";
	after = after ? after : "";
	if (strcmp(before, after) == 0)
		return 0;
	int n = snprintf(line, sizeof(line), "%s%s%s%s%s", pre, before, mid, after, post);
	if (vg_buf_puts(b, line) != 0)
		*bad = 1;
	return n < 0 ? 0 : (size_t)n;
}

static void change_lines(struct vg_buf *b, const struct slots *s, int *bad)
{
	const char *const *v = s->v;
	size_t mark;

	change_line(b, "Size changed from '", "' to '", "'\n", v[F_SIZE_BEFORE], v[F_SIZE], bad);
	mark = b->len;
	if (change_line(b, "Permissions changed from '", "' to '", "'\n", v[F_PERM_BEFORE],
			v[F_PERM], bad) >= WZ_CHANGE_LINE) {
		vg_buf_truncate(b, mark); /* Wazuh replaces an over-long line */
		if (vg_buf_puts(b, "Permissions changed.\n") != 0)
			*bad = 1;
	}
	change_line(b, "Ownership was '", "', now it is '", "'\n", v[F_UID_BEFORE], v[F_UID], bad);
	change_line(b, "User name was '", "', now it is '", "'\n", v[F_UNAME_BEFORE], v[F_UNAME],
		    bad);
	change_line(b, "Group ownership was '", "', now it is '", "'\n", v[F_GID_BEFORE], v[F_GID],
		    bad);
	change_line(b, "Group name was '", "', now it is '", "'\n", v[F_GNAME_BEFORE], v[F_GNAME],
		    bad);
	change_line(b, "Old modification time was: '", "', now it is '", "'\n", v[F_MTIME_BEFORE],
		    v[F_MTIME], bad);
	change_line(b, "Old inode was: '", "', now it is '", "'\n", v[F_INODE_BEFORE], v[F_INODE],
		    bad);
	change_line(b, "Old md5sum was: '", "'\nNew md5sum is : '", "'\n", v[F_MD5_BEFORE],
		    v[F_MD5], bad);
	change_line(b, "Old sha1sum was: '", "'\nNew sha1sum is : '", "'\n", v[F_SHA1_BEFORE],
		    v[F_SHA1], bad);
	change_line(b, "Old sha256sum was: '", "'\nNew sha256sum is : '", "'\n", v[F_SHA256_BEFORE],
		    v[F_SHA256], bad);
	change_line(b, "Old attributes were: '", "'\nNow they are '", "'\n", v[F_ATTRS_BEFORE],
		    v[F_ATTRS], bad);
}

/* "%s '%s' %s\n" with the path cut to "%.719s [...] <last 30>" past 756. */
static void head_line(struct vg_buf *b, const struct slots *s, int *bad)
{
	const char *path = s->v[F_FILE];
	size_t len = strlen(path);
	char shown[WZ_PATH_MAX_SHOWN + 1];

	if (len > WZ_PATH_MAX_SHOWN) {
		snprintf(shown, sizeof(shown), "%.719s [...] %s", path, path + len - 30);
		path = shown;
	}
	if (vg_buf_printf(b, "File '%s' %s\n", path, s->v[F_EVENT_TYPE]) != 0)
		*bad = 1;
}

static char *build_full_log(const struct slots *s, enum an_syscheck_event ev, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(AN_SYSCHECK_MAX_LINE);
	char line[WZ_INFO_LINE];
	int bad = 0;

	head_line(&b, s, &bad);
	if (s->v[F_HARD_LINKS] != NULL) {
		snprintf(line, sizeof(line), "Hard links: %s\n", vg_buf_cstr(&s->links_csv));
		bad |= vg_buf_puts(&b, line) != 0;
	}
	bad |= vg_buf_printf(&b, "Mode: %s\n", s->v[F_MODE]) != 0;
	if (s->v[F_CHFIELDS] != NULL) {
		snprintf(line, sizeof(line), "Changed attributes: %s\n", s->v[F_CHFIELDS]);
		bad |= vg_buf_puts(&b, line) != 0;
	}
	if (ev == AN_SYSCHECK_MODIFIED)
		change_lines(&b, s, &bad);
	if (bad) {
		vg_buf_free(&b);
		vg_err_set(err, VG_EPARSE, "syscheck event: full_log over %u bytes",
			   AN_SYSCHECK_MAX_LINE);
		return NULL;
	}
	if (b.len > WZ_MAXSTR - 1) /* Wazuh's snprintf(lf->full_log, OS_MAXSTR) */
		vg_buf_truncate(&b, WZ_MAXSTR - 1);
	if (!vg_utf8_valid(b.data, b.len)) {
		/* A byte cut (path shortening, line caps) split a UTF-8 sequence:
		 * Wazuh would emit the broken bytes, JSON cannot carry them. */
		struct vg_buf fixed = VG_BUF_INIT(AN_SYSCHECK_MAX_LINE * 3);
		if (vg_utf8_lossy(&fixed, b.data, b.len) != 0) {
			vg_buf_free(&fixed);
			vg_buf_free(&b);
			vg_err_set(err, VG_EPARSE, "syscheck event: full_log too long");
			return NULL;
		}
		vg_buf_free(&b);
		return vg_buf_take(&fixed);
	}
	return vg_buf_take(&b);
}

/* ---- The alert's "syscheck" object (Eventinfo_to_jsonstr) ----------------- */

/* Wazuh's print_before_field: before is shown when set, non-empty and not
 * equal to after. */
static bool show_before(const char *before, const char *after)
{
	return before != NULL && *before != '\0' && (after == NULL || strcmp(before, after) != 0);
}

static void put_str(json_t *o, const char *key, const char *val, int *bad)
{
	json_t *j = json_string(val);

	if (j == NULL || json_object_set_new(o, key, j) != 0)
		*bad = 1;
}

/* key_before then key_after, as Wazuh adds them. */
static void put_pair(json_t *o, const struct slots *s, enum slot now, enum slot old,
		     const char *key_before, const char *key_after, int *bad)
{
	if (show_before(s->v[old], s->v[now]))
		put_str(o, key_before, s->v[old], bad);
	if (s->v[now] != NULL && *s->v[now] != '\0')
		put_str(o, key_after, s->v[now], bad);
}

/* strftime("%FT%T") of an epoch string in local time: Wazuh's
 * strftime(buf, 20, "%FT%T%z") whose %z never fits in 20 bytes. */
static void put_mtime(json_t *o, const char *key, const char *epoch, int *bad)
{
	int64_t t;
	char buf[32];
	struct tm tm;
	time_t tt;

	if (vg_parse_i64(epoch, INT64_MIN, INT64_MAX, &t) != 0) {
		*bad = 1;
		return;
	}
	tt = (time_t)t;
	if (localtime_r(&tt, &tm) == NULL || strftime(buf, sizeof(buf), "%FT%T", &tm) == 0) {
		*bad = 1;
		return;
	}
	put_str(o, key, buf, bad);
}

static void put_inode(json_t *o, const char *key, const char *dec, int *bad)
{
	uint64_t n;

	if (vg_parse_u64(dec, INT64_MAX, &n) != 0 ||
	    json_object_set_new(o, key, json_integer((json_int_t)n)) != 0)
		*bad = 1;
}

/* "a,b,,c" -> ["a","b","c"] (Wazuh's strtok on ','). */
static json_t *split_list(const char *csv, int *bad)
{
	json_t *arr = json_array();

	while (arr != NULL && *csv != '\0') {
		size_t n = strcspn(csv, ",");
		if (n > 0) {
			json_t *j = json_stringn(csv, n);
			if (j == NULL || json_array_append_new(arr, j) != 0)
				*bad = 1;
		}
		csv += n;
		if (*csv == ',')
			csv++;
	}
	if (arr == NULL)
		*bad = 1;
	return arr;
}

static void put_audit_member(json_t **grp, const char *key, const char *val, int *bad)
{
	if (val == NULL || *val == '\0')
		return;
	if (*grp == NULL && (*grp = json_object()) == NULL) {
		*bad = 1;
		return;
	}
	put_str(*grp, key, val, bad);
}

static void put_audit(json_t *o, const struct slots *s, int *bad)
{
	const char *const *v = s->v;
	json_t *user = NULL, *proc = NULL, *grp = NULL, *login = NULL, *eff = NULL;

	put_audit_member(&user, "id", v[F_USER_ID], bad);
	put_audit_member(&user, "name", v[F_USER_NAME], bad);
	put_audit_member(&grp, "id", v[F_GROUP_ID], bad);
	put_audit_member(&grp, "name", v[F_GROUP_NAME], bad);
	put_audit_member(&proc, "id", v[F_PROC_ID], bad);
	put_audit_member(&proc, "name", v[F_PROC_NAME], bad);
	put_audit_member(&proc, "cwd", v[F_AUDIT_CWD], bad);
	put_audit_member(&proc, "parent_name", v[F_PROC_PNAME], bad);
	put_audit_member(&proc, "parent_cwd", v[F_AUDIT_PCWD], bad);
	put_audit_member(&proc, "ppid", v[F_PPID], bad);
	put_audit_member(&login, "id", v[F_AUDIT_ID], bad);
	put_audit_member(&login, "name", v[F_AUDIT_NAME], bad);
	put_audit_member(&eff, "id", v[F_EFFECTIVE_UID], bad);
	put_audit_member(&eff, "name", v[F_EFFECTIVE_NAME], bad);
	if (user == NULL && proc == NULL && grp == NULL && login == NULL && eff == NULL)
		return;
	json_t *a = json_object();
	json_t *const parts[] = {user, proc, grp, login, eff};
	/* Wazuh's order: user, process, group, login_user, effective_user. */
	static const char *const names[] = {"user", "process", "group", "login_user",
					    "effective_user"};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i] == NULL)
			continue;
		if (a == NULL || json_object_set_new(a, names[i], parts[i]) != 0) {
			json_decref(parts[i]);
			*bad = 1;
		}
	}
	if (a == NULL)
		return;
	if (json_object_set_new(o, "audit", a) != 0)
		*bad = 1;
}

static void put_lists(json_t *o, const struct slots *s, int *bad)
{
	const char *const *v = s->v;

	if (v[F_DIFF] != NULL && strcmp(v[F_DIFF], "0") != 0)
		put_str(o, "diff", v[F_DIFF], bad);
	if (v[F_TAG] != NULL && *v[F_TAG] != '\0' &&
	    json_object_set_new(o, "tags", split_list(v[F_TAG], bad)) != 0)
		*bad = 1;
	if (v[F_CHFIELDS] != NULL && *v[F_CHFIELDS] != '\0' &&
	    json_object_set_new(o, "changed_attributes", split_list(v[F_CHFIELDS], bad)) != 0)
		*bad = 1;
}

static json_t *build_block(const struct slots *s, struct vg_err *err)
{
	const char *const *v = s->v;
	json_t *o = json_object();
	int bad = o == NULL;

	if (bad)
		goto out;
	put_str(o, "path", v[F_FILE], &bad);
	if (v[F_HARD_LINKS] != NULL &&
	    json_object_set_new(o, "hard_links", json_loads(v[F_HARD_LINKS], 0, NULL)) != 0)
		bad = 1;
	if (v[F_MODE] != NULL)
		put_str(o, "mode", v[F_MODE], &bad);
	if (v[F_SYM_PATH] != NULL && *v[F_SYM_PATH] != '\0')
		put_str(o, "symbolic_path", v[F_SYM_PATH], &bad);
	put_pair(o, s, F_SIZE, F_SIZE_BEFORE, "size_before", "size_after", &bad);
	put_pair(o, s, F_PERM, F_PERM_BEFORE, "perm_before", "perm_after", &bad);
	put_pair(o, s, F_UID, F_UID_BEFORE, "uid_before", "uid_after", &bad);
	put_pair(o, s, F_GID, F_GID_BEFORE, "gid_before", "gid_after", &bad);
	put_pair(o, s, F_MD5, F_MD5_BEFORE, "md5_before", "md5_after", &bad);
	put_pair(o, s, F_SHA1, F_SHA1_BEFORE, "sha1_before", "sha1_after", &bad);
	put_pair(o, s, F_SHA256, F_SHA256_BEFORE, "sha256_before", "sha256_after", &bad);
	put_pair(o, s, F_UNAME, F_UNAME_BEFORE, "uname_before", "uname_after", &bad);
	put_pair(o, s, F_GNAME, F_GNAME_BEFORE, "gname_before", "gname_after", &bad);
	if (show_before(v[F_MTIME_BEFORE], v[F_MTIME]))
		put_mtime(o, "mtime_before", v[F_MTIME_BEFORE], &bad);
	if (v[F_MTIME] != NULL && *v[F_MTIME] != '\0')
		put_mtime(o, "mtime_after", v[F_MTIME], &bad);
	if (show_before(v[F_INODE_BEFORE], v[F_INODE]))
		put_inode(o, "inode_before", v[F_INODE_BEFORE], &bad);
	if (v[F_INODE] != NULL && strspn(v[F_INODE], "0") != strlen(v[F_INODE]))
		put_inode(o, "inode_after", v[F_INODE], &bad); /* Wazuh: atoi(inode) != 0 */
	put_lists(o, s, &bad);
	put_str(o, "event", v[F_EVENT_TYPE], &bad);
	put_audit(o, s, &bad);
	/* Vigie's keys, after every key Wazuh writes. */
	if (v[F_PATH_B64] != NULL)
		put_str(o, "path_b64", v[F_PATH_B64], &bad);
	if (v[F_HASH_STATE] != NULL)
		put_str(o, "hash_state", v[F_HASH_STATE], &bad);
	if (show_before(v[F_HASH_STATE_BEFORE], v[F_HASH_STATE]))
		put_str(o, "hash_state_before", v[F_HASH_STATE_BEFORE], &bad);
out:
	if (bad) {
		json_decref(o);
		vg_err_set(err, VG_EPARSE,
			   "syscheck event: cannot build the alert object (mtime out of range?)");
		return NULL;
	}
	return o;
}

/* ---- Fields -------------------------------------------------------------- */

static int build_fields(struct an_fields *f, const struct slots *s, struct vg_err *err)
{
	int rc = 0;

	for (int i = 0; i < F_COUNT && rc == 0; i++)
		if (s->v[i] != NULL)
			rc = an_fields_add(f, slot_names[i], s->v[i], err);
	return rc;
}

/* ---- Top level ----------------------------------------------------------- */

static int decode_event(struct an_syscheck *r, const json_t *data, struct vg_err *err)
{
	struct slots *s = vg_xcalloc(1, sizeof(*s));
	int rc;

	vg_buf_init(&s->chfields, AN_SYSCHECK_MAX_LINE);
	vg_buf_init(&s->links, AN_SYSCHECK_MAX_LINE);
	vg_buf_init(&s->links_csv, AN_SYSCHECK_MAX_LINE);
	if ((rc = fetch_event(s, data, &r->event, err)) != 0)
		goto out;
	r->decoder = r->event == AN_SYSCHECK_ADDED      ? AN_SYSCHECK_DECODER_NEW
		     : r->event == AN_SYSCHECK_MODIFIED ? AN_SYSCHECK_DECODER_MOD
							: AN_SYSCHECK_DECODER_DEL;
	if ((r->full_log = build_full_log(s, r->event, err)) == NULL ||
	    (r->block = build_block(s, err)) == NULL) {
		rc = VG_EPARSE;
		goto out;
	}
	rc = build_fields(r->fields, s, err);
out:
	vg_buf_free(&s->chfields);
	vg_buf_free(&s->links);
	vg_buf_free(&s->links_csv);
	vg_free(s);
	return rc;
}

/* Vigie's overflow notice, decoded as the log line Wazuh's agent sends. */
static int decode_overflow(struct an_syscheck *r, const json_t *data, struct vg_err *err)
{
	const char *msg;
	int rc = need_str(data, "data.", "message", &msg, err);

	if (rc != 0)
		return rc;
	r->decoder = AN_SYSCHECK_DECODER_OSSEC;
	r->full_log = vg_xstrdup(msg);
	return 0;
}

static int decode_timestamp(struct an_syscheck *r, const json_t *data, bool required,
			    struct vg_err *err)
{
	json_t *ts = json_object_get(data, "timestamp");

	if (ts == NULL)
		return required
			   ? vg_err_set(err, VG_EPARSE, "syscheck event: data.timestamp: missing")
			   : 0;
	if (!json_is_integer(ts))
		return type_error("data.", "timestamp", "an integer", ts, err);
	r->timestamp = json_integer_value(ts);
	return 0;
}

static int decode_root(struct an_syscheck *r, const json_t *root, struct vg_err *err)
{
	const char *type;
	json_t *data;
	int rc;

	if (!json_is_object(root))
		return type_error("", "document", "an object", root, err);
	if ((rc = need_str(root, "", "type", &type, err)) != 0 ||
	    (rc = get_object(root, "", "data", true, &data, err)) != 0)
		return rc;
	if (strcmp(type, "event") == 0) {
		r->kind = AN_SYSCHECK_EVENT;
		if ((rc = decode_timestamp(r, data, false, err)) == 0)
			rc = decode_event(r, data, err);
	} else if (strcmp(type, "scan_start") == 0 || strcmp(type, "scan_end") == 0) {
		r->kind = type[5] == 's' ? AN_SYSCHECK_SCAN_START : AN_SYSCHECK_SCAN_END;
		rc = decode_timestamp(r, data, true, err);
	} else if (strcmp(type, "overflow") == 0) {
		r->kind = AN_SYSCHECK_OVERFLOW;
		if ((rc = decode_timestamp(r, data, false, err)) == 0)
			rc = decode_overflow(r, data, err);
	} else {
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: type: unknown '%.64s'", type);
	}
	return rc;
}

int an_syscheck_decode(const char *json, size_t len, struct an_syscheck **out, struct vg_err *err)
{
	struct an_syscheck *r = NULL;
	json_t *root = NULL;
	json_error_t jerr;
	int rc;

	*out = NULL;
	if (json == NULL) {
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: no input");
		goto out;
	}
	if (len > 0 && json[len - 1] == '\n')
		len--;
	if (len > AN_SYSCHECK_MAX_LINE) {
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: %zu bytes (max %u)", len,
				AN_SYSCHECK_MAX_LINE);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: not JSON: %s (column %d)",
				jerr.text, jerr.column);
		goto out;
	}
	r = vg_xcalloc(1, sizeof(*r));
	r->fields = an_fields_new();
	r->timestamp = -1;
	if ((rc = decode_root(r, root, err)) != 0)
		goto out;
	*out = r; /* transferred */
	r = NULL;
out:
	an_syscheck_free(r);
	json_decref(root);
	return rc;
}

void an_syscheck_free(struct an_syscheck *s)
{
	if (s == NULL)
		return;
	vg_free(s->full_log);
	json_decref(s->block);
	an_fields_free(s->fields);
	vg_free(s);
}

enum an_syscheck_kind an_syscheck_kind(const struct an_syscheck *s)
{
	return s->kind;
}

enum an_syscheck_event an_syscheck_event(const struct an_syscheck *s)
{
	return s->event;
}

const char *an_syscheck_decoder(const struct an_syscheck *s)
{
	return s->decoder;
}

const char *an_syscheck_full_log(const struct an_syscheck *s)
{
	return s->full_log;
}

json_t *an_syscheck_block(const struct an_syscheck *s)
{
	return s->block;
}

const struct an_fields *an_syscheck_fields(const struct an_syscheck *s)
{
	return s->fields;
}

int64_t an_syscheck_timestamp(const struct an_syscheck *s)
{
	return s->timestamp;
}
