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
 * Speed (issue 3 §5: the whole pipeline at 100,000 events/s on one core,
 * about 3 µs of it for this decoder): the line is read into a flat array of
 * nodes by jdoc.h's fast parser (jansson only for unusual lines).
 * Slots borrow strings from the nodes or point at a small per-slot buffer
 * holding a printed number; the outputs are written with plain appends (no
 * printf on the hot path), the "syscheck" object too: as the JSON text the
 * alert carries, plus the few plain strings the alert store indexes.
 *
 * Stateless: any thread may decode; all scratch memory is per call.
 */
#include "manager/decode_syscheck.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/json.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "manager/alert.h"
#include "manager/jdoc.h"

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

struct jv;

/* The decoding state of one event: Wazuh's lf->fields[] values. */
struct slots {
	const struct jv *jv;        /* the parsed line's nodes (jv[0] is the root) */
	const char *v[F_COUNT];     /* NULL = absent (Wazuh's NULL value) */
	size_t len[F_COUNT];        /* strlen(v[i]) when v[i] is set */
	char num[F_COUNT][24];      /* printed numbers the slots point at */
	int64_t value[F_COUNT];     /* for integers and inodes: the number itself */
	struct vg_buf chfields;     /* changed_attributes joined with ',' */
	struct vg_buf links;        /* hard_links as compact JSON */
	const struct jv *links_arr; /* hard_links as sent, when present */
	struct vg_buf links_csv;
};

struct an_syscheck {
	enum an_syscheck_kind kind;
	enum an_syscheck_event event;
	const char *decoder;
	char *full_log;
	char *block_text;        /* the "syscheck" object, then the store's keys */
	size_t block_len;        /* of the object's text */
	struct an_fim_keys keys; /* into block_text */
	json_t *block;           /* parsed from block_text on demand */
	struct an_fields *fields;
	int64_t timestamp;
};

/* ---- Typed member access ------------------------------------------------- */

static int type_error(const char *ctx, const char *key, const char *want, const struct jv *got,
		      struct vg_err *err)
{
	return vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: expected %s, got %s", ctx, key,
			  want, jv_type_name(got));
}

static void set_slot(struct slots *s, enum slot f, const char *val, size_t len)
{
	s->v[f] = val;
	s->len[f] = len;
}

/* A string member: NULL when absent, VG_EPARSE when mistyped or too long. */
static int get_str(const struct jv *v, const struct jv *obj, const char *ctx, const char *key,
		   const struct jv **out, struct vg_err *err)
{
	const struct jv *j = jv_get(v, obj, key);

	*out = NULL;
	if (j == NULL)
		return 0;
	if (j->type != JV_STRING)
		return type_error(ctx, key, "a string", j, err);
	if (j->len > AN_SYSCHECK_MAX_STRING)
		return vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: %zu bytes (max %u)", ctx,
				  key, j->len, AN_SYSCHECK_MAX_STRING);
	*out = j;
	return 0;
}

/* get_str into a slot. */
static int get_slot(struct slots *s, enum slot f, const struct jv *obj, const char *ctx,
		    const char *key, struct vg_err *err)
{
	const struct jv *j;
	int rc = get_str(s->jv, obj, ctx, key, &j, err);

	if (rc == 0 && j != NULL)
		set_slot(s, f, j->str, j->len);
	return rc;
}

static int need_slot(struct slots *s, enum slot f, const struct jv *obj, const char *ctx,
		     const char *key, struct vg_err *err)
{
	int rc = get_slot(s, f, obj, ctx, key, err);

	if (rc == 0 && s->v[f] == NULL)
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: missing", ctx, key);
	return rc;
}

/* n in decimal into buf (>= 21 bytes); returns the length. */
static size_t format_i64(char *buf, int64_t n)
{
	char tmp[20];
	uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
	size_t len = 0, i = 0;

	do
		tmp[i++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (n < 0)
		buf[len++] = '-';
	while (i > 0)
		buf[len++] = tmp[--i];
	buf[len] = '\0';
	return len;
}

/* An integer member printed in decimal into the slot's buffer. */
static int get_int(struct slots *s, enum slot f, const struct jv *obj, const char *ctx,
		   const char *key, bool non_negative, struct vg_err *err)
{
	const struct jv *j = jv_get(s->jv, obj, key);

	if (j == NULL)
		return 0;
	if (j->type != JV_INTEGER)
		return type_error(ctx, key, "an integer", j, err);
	if (non_negative && j->num < 0)
		return vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: negative (%" PRId64 ")",
				  ctx, key, j->num);
	set_slot(s, f, s->num[f], format_i64(s->num[f], j->num));
	s->value[f] = j->num;
	return 0;
}

static int get_object(const struct jv *v, const struct jv *obj, const char *ctx, const char *key,
		      bool required, const struct jv **out, struct vg_err *err)
{
	const struct jv *j = jv_get(v, obj, key);

	*out = NULL;
	if (j == NULL)
		return required
			   ? vg_err_set(err, VG_EPARSE, "syscheck event: %s%s: missing", ctx, key)
			   : 0;
	if (j->type != JV_OBJECT)
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
static int get_inode(struct slots *s, enum slot f, const struct jv *attrs, const char *ctx,
		     struct vg_err *err)
{
	const struct jv *j = jv_get(s->jv, attrs, "inode");
	uint64_t ino;

	if (j == NULL || j->type == JV_INTEGER)
		return get_int(s, f, attrs, ctx, "inode", true, err);
	if (j->type != JV_STRING)
		return type_error(ctx, "inode", "a string or an integer", j, err);
	if (vg_parse_u64(j->str, INT64_MAX, &ino) != 0)
		return vg_err_set(err, VG_EPARSE, "syscheck event: %sinode: not a decimal number",
				  ctx);
	set_slot(s, f, j->str, j->len);
	s->value[f] = (int64_t)ino;
	return 0;
}

static int fetch_attributes(struct slots *s, const struct jv *attrs, bool now, struct vg_err *err)
{
	const char *ctx = now ? "data.attributes." : "data.old_attributes.";
	const struct jv *perm = jv_get(s->jv, attrs, "perm");
	int rc = 0;

	if (perm != NULL && perm->type == JV_OBJECT)
		return vg_err_set(
		    err, VG_EPARSE,
		    "syscheck event: %sperm: Windows ACL permissions are not supported", ctx);
	for (size_t i = 0; i < VG_ARRAY_LEN(str_attrs) && rc == 0; i++)
		rc = get_slot(s, now ? str_attrs[i].now : str_attrs[i].old, attrs, ctx,
			      str_attrs[i].key, err);
	if (rc == 0)
		rc = get_int(s, now ? F_SIZE : F_SIZE_BEFORE, attrs, ctx, "size", true, err);
	if (rc == 0)
		rc = get_int(s, now ? F_MTIME : F_MTIME_BEFORE, attrs, ctx, "mtime", false, err);
	if (rc == 0)
		rc = get_inode(s, now ? F_INODE : F_INODE_BEFORE, attrs, ctx, err);
	if (rc == 0 && now)
		rc = get_slot(s, F_SYM_PATH, attrs, ctx, "symlink_path", err);
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
static int join_strings(struct vg_buf *b, const struct jv *v, const struct jv *arr, const char *key,
			char sep, struct vg_err *err)
{
	for (uint32_t i = arr->child; i != 0; i = v[i].next) {
		if (v[i].type != JV_STRING)
			return type_error("data.", key, "an array of strings, an item is", &v[i],
					  err);
		if ((i != arr->child && vg_buf_putc(b, sep) != 0) ||
		    vg_buf_append(b, v[i].str, v[i].len) != 0)
			return vg_err_set(err, VG_EPARSE, "syscheck event: data.%s: too long", key);
	}
	return 0;
}

/* hard_links as compact JSON, as jansson prints it (rare: not on the hot
 * path, so jansson does the printing). */
static int dump_strings(struct vg_buf *b, const struct jv *v, const struct jv *arr,
			struct vg_err *err)
{
	json_t *a = json_array();
	int rc = a == NULL ? VG_EINTERNAL : 0;

	for (uint32_t i = arr->child; i != 0 && rc == 0; i = v[i].next)
		if (json_array_append_new(a, json_stringn(v[i].str, v[i].len)) != 0)
			rc = VG_EINTERNAL;
	if (rc == 0)
		rc = vg_json_dump(b, a, err);
	json_decref(a);
	return rc;
}

static int fetch_arrays(struct slots *s, const struct jv *data, struct vg_err *err)
{
	const struct jv *ch = jv_get(s->jv, data, "changed_attributes");
	const struct jv *hl = jv_get(s->jv, data, "hard_links");
	int rc = 0;

	if (ch != NULL && ch->type != JV_ARRAY)
		return type_error("data.", "changed_attributes", "an array", ch, err);
	if (hl != NULL && hl->type != JV_ARRAY)
		return type_error("data.", "hard_links", "an array", hl, err);
	if (ch != NULL && ch->child != 0) {
		rc = join_strings(&s->chfields, s->jv, ch, "changed_attributes", ',', err);
		set_slot(s, F_CHFIELDS, vg_buf_cstr(&s->chfields), s->chfields.len);
	}
	if (rc == 0 && hl != NULL) {
		s->links_arr = hl;
		rc = join_strings(&s->links_csv, s->jv, hl, "hard_links", ',', err);
		if (rc == 0 && dump_strings(&s->links, s->jv, hl, err) != 0)
			rc =
			    vg_err_set(err, VG_EPARSE, "syscheck event: data.hard_links: too long");
		set_slot(s, F_HARD_LINKS, vg_buf_cstr(&s->links), s->links.len);
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

static int fetch_audit(struct slots *s, const struct jv *audit, struct vg_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < VG_ARRAY_LEN(audit_strs) && rc == 0; i++)
		rc = get_slot(s, audit_strs[i].slot, audit, "data.audit.", audit_strs[i].key, err);
	if (rc == 0)
		rc = get_int(s, F_PPID, audit, "data.audit.", "ppid", false, err);
	if (rc == 0)
		rc = get_int(s, F_PROC_ID, audit, "data.audit.", "process_id", false, err);
	return rc;
}

static int fetch_event(struct slots *s, const struct jv *data, enum an_syscheck_event *ev,
		       struct vg_err *err)
{
	const struct jv *attrs, *old, *audit;
	int rc;

	if ((rc = need_slot(s, F_FILE, data, "data.", "path", err)) != 0 ||
	    (rc = need_slot(s, F_MODE, data, "data.", "mode", err)) != 0 ||
	    (rc = need_slot(s, F_EVENT_TYPE, data, "data.", "type", err)) != 0 ||
	    (rc = get_slot(s, F_TAG, data, "data.", "tags", err)) != 0 ||
	    (rc = get_slot(s, F_DIFF, data, "data.", "content_changes", err)) != 0 ||
	    (rc = get_slot(s, F_PATH_B64, data, "data.", "path_b64", err)) != 0 ||
	    (rc = fetch_arrays(s, data, err)) != 0 ||
	    (rc = get_object(s->jv, data, "data.", "attributes", true, &attrs, err)) != 0 ||
	    (rc = get_object(s->jv, data, "data.", "old_attributes", false, &old, err)) != 0 ||
	    (rc = get_object(s->jv, data, "data.", "audit", false, &audit, err)) != 0 ||
	    (rc = need_slot(s, F_ENTRY_TYPE, attrs, "data.attributes.", "type", err)) != 0 ||
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

/*
 * full_log is written twice by the same code: a first pass with buf NULL
 * only measures, the second writes into an allocation of the exact size
 * (one malloc, no regrowth). cut: some text was cut, which may have split a
 * UTF-8 sequence (uncut, every piece is valid UTF-8 and so is the whole).
 */
struct log_writer {
	char *buf; /* NULL on the measuring pass */
	size_t len;
	size_t peak; /* the longest len reached (an over-long line is undone) */
	bool cut;
};

struct piece {
	const char *s;
	size_t len;
};

#define LIT(s) ((struct piece){(s), sizeof(s) - 1})

/* Append the pieces joined, keeping at most max bytes, as Wazuh's
 * snprintf(buf, max + 1, "%s%s...") does. Returns the uncut length. */
static size_t put_pieces(struct log_writer *w, size_t max, const struct piece *p, size_t n)
{
	size_t total = 0, room = max;

	for (size_t i = 0; i < n; i++) {
		size_t take = VG_MIN(p[i].len, room);
		total += p[i].len;
		room -= take;
		if (w->buf != NULL)
			memcpy(w->buf + w->len, p[i].s, take);
		w->len += take;
	}
	w->peak = VG_MAX(w->peak, w->len);
	w->cut |= total > max;
	return total;
}

static struct piece slot_piece(const struct slots *s, enum slot f)
{
	return s->v[f] ? (struct piece){s->v[f], s->len[f]} : LIT("");
}

/* Wazuh's fim_generate_comment: a line only when before and after differ
 * (NULL counts as ""), cut at Wazuh's OS_FLSIZE + 1 buffer. Returns the
 * uncut length, 0 when no line was written. */
static size_t change_line(struct log_writer *w, const struct slots *s, struct piece pre,
			  struct piece mid, enum slot old, enum slot now)
{
	struct piece p[] = {pre, slot_piece(s, old), mid, slot_piece(s, now), LIT("'\n")};

	if (p[1].len == p[3].len && memcmp(p[1].s, p[3].s, p[1].len) == 0)
		return 0;
	return put_pieces(w, WZ_CHANGE_LINE - 1, p, VG_ARRAY_LEN(p));
}

static void change_lines(struct log_writer *w, const struct slots *s)
{
	const struct piece now_is = LIT("', now it is '");
	size_t mark;

	change_line(w, s, LIT("Size changed from '"), LIT("' to '"), F_SIZE_BEFORE, F_SIZE);
	mark = w->len;
	if (change_line(w, s, LIT("Permissions changed from '"), LIT("' to '"), F_PERM_BEFORE,
			F_PERM) >= WZ_CHANGE_LINE) {
		w->len = mark; /* Wazuh replaces an over-long line */
		put_pieces(w, SIZE_MAX, &LIT("Permissions changed.\n"), 1);
	}
	change_line(w, s, LIT("Ownership was '"), now_is, F_UID_BEFORE, F_UID);
	change_line(w, s, LIT("User name was '"), now_is, F_UNAME_BEFORE, F_UNAME);
	change_line(w, s, LIT("Group ownership was '"), now_is, F_GID_BEFORE, F_GID);
	change_line(w, s, LIT("Group name was '"), now_is, F_GNAME_BEFORE, F_GNAME);
	change_line(w, s, LIT("Old modification time was: '"), now_is, F_MTIME_BEFORE, F_MTIME);
	change_line(w, s, LIT("Old inode was: '"), now_is, F_INODE_BEFORE, F_INODE);
	change_line(w, s, LIT("Old md5sum was: '"), LIT("'\nNew md5sum is : '"), F_MD5_BEFORE,
		    F_MD5);
	change_line(w, s, LIT("Old sha1sum was: '"), LIT("'\nNew sha1sum is : '"), F_SHA1_BEFORE,
		    F_SHA1);
	change_line(w, s, LIT("Old sha256sum was: '"), LIT("'\nNew sha256sum is : '"),
		    F_SHA256_BEFORE, F_SHA256);
	change_line(w, s, LIT("Old attributes were: '"), LIT("'\nNow they are '"), F_ATTRS_BEFORE,
		    F_ATTRS);
}

/* "%s '%s' %s\n" with the path cut to "%.719s [...] <last 30>" past 756. */
static void head_line(struct log_writer *w, const struct slots *s)
{
	struct piece path = slot_piece(s, F_FILE);
	char shown[WZ_PATH_MAX_SHOWN + 1];

	if (path.len > WZ_PATH_MAX_SHOWN) {
		snprintf(shown, sizeof(shown), "%.719s [...] %s", path.s, path.s + path.len - 30);
		path = (struct piece){shown, strlen(shown)};
		w->cut = true;
	}
	struct piece p[] = {LIT("File '"), path, LIT("' "), slot_piece(s, F_EVENT_TYPE), LIT("\n")};
	put_pieces(w, SIZE_MAX, p, VG_ARRAY_LEN(p));
}

/* "<label>%s\n" in Wazuh's OS_SIZE_256 buffer. */
static void info_line(struct log_writer *w, struct piece label, struct piece value)
{
	struct piece p[] = {label, value, LIT("\n")};

	put_pieces(w, WZ_INFO_LINE - 1, p, VG_ARRAY_LEN(p));
}

static void write_full_log(struct log_writer *w, const struct slots *s, enum an_syscheck_event ev)
{
	head_line(w, s);
	if (s->v[F_HARD_LINKS] != NULL)
		info_line(w, LIT("Hard links: "),
			  (struct piece){vg_buf_cstr(&s->links_csv), s->links_csv.len});
	struct piece mode[] = {LIT("Mode: "), slot_piece(s, F_MODE), LIT("\n")};
	put_pieces(w, SIZE_MAX, mode, VG_ARRAY_LEN(mode));
	if (s->v[F_CHFIELDS] != NULL)
		info_line(w, LIT("Changed attributes: "), slot_piece(s, F_CHFIELDS));
	if (ev == AN_SYSCHECK_MODIFIED)
		change_lines(w, s);
}

static char *build_full_log(const struct slots *s, enum an_syscheck_event ev, struct vg_err *err)
{
	struct log_writer w = {NULL, 0, 0, false};

	write_full_log(&w, s, ev);
	if (w.peak > AN_SYSCHECK_MAX_LINE) {
		vg_err_set(err, VG_EPARSE, "syscheck event: full_log over %u bytes",
			   AN_SYSCHECK_MAX_LINE);
		return NULL;
	}
	w = (struct log_writer){vg_xmalloc(w.peak + 1), 0, 0, false};
	write_full_log(&w, s, ev);
	if (w.len > WZ_MAXSTR - 1) { /* Wazuh's snprintf(lf->full_log, OS_MAXSTR) */
		w.len = WZ_MAXSTR - 1;
		w.cut = true;
	}
	w.buf[w.len] = '\0';
	if (w.cut && !vg_utf8_valid(w.buf, w.len)) {
		/* A byte cut (path shortening, line caps) split a UTF-8 sequence:
		 * Wazuh would emit the broken bytes, JSON cannot carry them. */
		struct vg_buf fixed = VG_BUF_INIT(AN_SYSCHECK_MAX_LINE * 3);
		int rc = vg_utf8_lossy(&fixed, w.buf, w.len);
		vg_free(w.buf);
		if (rc != 0) {
			vg_buf_free(&fixed);
			vg_err_set(err, VG_EPARSE, "syscheck event: full_log too long");
			return NULL;
		}
		return vg_buf_take(&fixed);
	}
	return w.buf;
}

/* ---- The alert's "syscheck" object (Eventinfo_to_jsonstr) ----------------- */

/*
 * The object is written as JSON text, in the order analysisd adds its keys,
 * each string through an_alert_json_string: the bytes alert.c printed when
 * it walked the jansson object this used to be (~25 allocations an event,
 * walked again to print). The alert store's path and digests follow the
 * text in the same allocation, NUL-separated (struct an_fim_keys).
 */
/* Wazuh's print_before_field: before is shown when set, non-empty and not
 * equal to after. */
static bool show_before(const struct slots *s, enum slot old, enum slot now)
{
	return s->v[old] != NULL && s->len[old] != 0 &&
	       (s->v[now] == NULL || s->len[old] != s->len[now] ||
		memcmp(s->v[old], s->v[now], s->len[now]) != 0);
}

static bool is_set(const struct slots *s, enum slot f)
{
	return s->v[f] != NULL && s->len[f] != 0;
}

struct block_writer {
	struct vg_buf b;
	bool first; /* no member written yet in the innermost open object */
	int rc;
};

/* Bytes of one block: the line's strings, escaped (6x at worst), and keys. */
#define BLOCK_MAX (AN_SYSCHECK_MAX_LINE * 16u)
#define BLOCK_FIRST_CAP 1536u

/* vg_buf_append with the common case (room left) inlined: a block is some
 * sixty appends, and the calls cost more than the copies. */
static inline void bw_raw(struct block_writer *w, const char *s, size_t len)
{
	if (w->rc != 0)
		return;
	if (w->b.data == NULL || len >= w->b.cap - w->b.len) {
		w->rc = vg_buf_append(&w->b, s, len);
		return;
	}
	memcpy(w->b.data + w->b.len, s, len);
	w->b.len += len;
	w->b.data[w->b.len] = '\0';
}

#define BW_LIT(w, lit) bw_raw((w), (lit), sizeof(lit) - 1)

/* ,"key": (key is a literal of ours: nothing to escape) */
static void bw_key(struct block_writer *w, struct piece key)
{
	if (!w->first)
		BW_LIT(w, ",");
	w->first = false;
	BW_LIT(w, "\"");
	bw_raw(w, key.s, key.len);
	BW_LIT(w, "\":");
}

static void bw_string(struct block_writer *w, const char *val, size_t len)
{
	if (w->rc == 0)
		w->rc = an_alert_json_string(&w->b, val, len);
}

static void bw_open(struct block_writer *w, struct piece key)
{
	if (key.s != NULL)
		bw_key(w, key);
	BW_LIT(w, "{");
	w->first = true;
}

static void bw_close(struct block_writer *w)
{
	BW_LIT(w, "}");
	w->first = false;
}

static void put_strn(struct block_writer *w, struct piece key, const char *val, size_t len)
{
	bw_key(w, key);
	bw_string(w, val, len);
}

static void put_slot(struct block_writer *w, struct piece key, const struct slots *s, enum slot f)
{
	put_strn(w, key, s->v[f], s->len[f]);
}

/* key_before then key_after, as Wazuh adds them. */
static void put_pair(struct block_writer *w, const struct slots *s, enum slot now, enum slot old,
		     struct piece key_before, struct piece key_after)
{
	if (show_before(s, old, now))
		put_slot(w, key_before, s, old);
	if (is_set(s, now))
		put_slot(w, key_after, s, now);
}

/* Two digits of n (0..99). */
static char *put2(char *p, int n)
{
	p[0] = (char)('0' + n / 10);
	p[1] = (char)('0' + n % 10);
	return p + 2;
}

/* strftime("%FT%T") of an epoch string in local time: Wazuh's
 * strftime(buf, 20, "%FT%T%z") whose %z never fits in 20 bytes. */
static void put_mtime(struct block_writer *w, struct piece key, int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;
	size_t len;

	if (localtime_r(&tt, &tm) == NULL) {
		w->rc = VG_EPARSE;
		return;
	}
	int year = tm.tm_year + 1900;
	if (year >= 1000 && year <= 9999) { /* the common case, without strftime */
		char *p = put2(put2(buf, year / 100), year % 100);
		*p++ = '-';
		p = put2(p, tm.tm_mon + 1);
		*p++ = '-';
		p = put2(p, tm.tm_mday);
		*p++ = 'T';
		p = put2(p, tm.tm_hour);
		*p++ = ':';
		p = put2(p, tm.tm_min);
		*p++ = ':';
		p = put2(p, tm.tm_sec);
		len = (size_t)(p - buf);
	} else if ((len = strftime(buf, sizeof(buf), "%FT%T", &tm)) == 0) {
		w->rc = VG_EPARSE;
		return;
	}
	put_strn(w, key, buf, len);
}

/* n: the inode checked at fetch time (0..INT64_MAX), a JSON number. */
static void put_inode(struct block_writer *w, struct piece key, int64_t n)
{
	char buf[24];

	bw_key(w, key);
	bw_raw(w, buf, format_i64(buf, n));
}

/* hard_links: the array's strings. One holding a NUL failed before (jansson
 * read its own dump back without JSON_ALLOW_NUL): it still does. */
static void put_links(struct block_writer *w, const struct slots *s)
{
	const struct jv *v = s->jv;

	bw_key(w, LIT("hard_links"));
	BW_LIT(w, "[");
	for (uint32_t i = s->links_arr->child; i != 0 && w->rc == 0; i = v[i].next) {
		if (memchr(v[i].str, '\0', v[i].len) != NULL)
			w->rc = VG_EPARSE;
		if (i != s->links_arr->child)
			BW_LIT(w, ",");
		bw_string(w, v[i].str, v[i].len);
	}
	BW_LIT(w, "]");
}

/* "a,b,,c" -> ["a","b","c"] (Wazuh's strtok on ','). */
static void put_list(struct block_writer *w, struct piece key, const char *csv)
{
	bool first = true;

	bw_key(w, key);
	BW_LIT(w, "[");
	while (*csv != '\0') {
		size_t n = strcspn(csv, ",");
		if (n > 0) {
			if (!first)
				BW_LIT(w, ",");
			bw_string(w, csv, n);
			first = false;
		}
		csv += n;
		if (*csv == ',')
			csv++;
	}
	BW_LIT(w, "]");
}

static bool any_text(const char *const *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vals[i] != NULL && *vals[i] != '\0')
			return true;
	return false;
}

/* One audit group: its members that have a value, in the order given. */
static void put_audit_group(struct block_writer *w, struct piece name, const struct piece *keys,
			    const char *const *vals, size_t n)
{
	if (!any_text(vals, n))
		return;
	bw_open(w, name);
	for (size_t i = 0; i < n; i++)
		if (vals[i] != NULL && *vals[i] != '\0')
			put_strn(w, keys[i], vals[i], strlen(vals[i]));
	bw_close(w);
}

/* Wazuh's order: user, process, group, login_user, effective_user. */
static void put_audit(struct block_writer *w, const struct slots *s)
{
	const char *const *v = s->v;
	static const struct piece id_name[] = {LIT("id"), LIT("name")};
	static const struct piece proc_keys[] = {
	    LIT("id"), LIT("name"), LIT("cwd"), LIT("parent_name"), LIT("parent_cwd"), LIT("ppid")};
	const char *const user[] = {v[F_USER_ID], v[F_USER_NAME]};
	const char *const proc[] = {v[F_PROC_ID],    v[F_PROC_NAME],  v[F_AUDIT_CWD],
				    v[F_PROC_PNAME], v[F_AUDIT_PCWD], v[F_PPID]};
	const char *const grp[] = {v[F_GROUP_ID], v[F_GROUP_NAME]};
	const char *const login[] = {v[F_AUDIT_ID], v[F_AUDIT_NAME]};
	const char *const eff[] = {v[F_EFFECTIVE_UID], v[F_EFFECTIVE_NAME]};

	if (!any_text(user, 2) && !any_text(proc, VG_ARRAY_LEN(proc)) && !any_text(grp, 2) &&
	    !any_text(login, 2) && !any_text(eff, 2))
		return;
	bw_open(w, LIT("audit"));
	put_audit_group(w, LIT("user"), id_name, user, 2);
	put_audit_group(w, LIT("process"), proc_keys, proc, VG_ARRAY_LEN(proc));
	put_audit_group(w, LIT("group"), id_name, grp, 2);
	put_audit_group(w, LIT("login_user"), id_name, login, 2);
	put_audit_group(w, LIT("effective_user"), id_name, eff, 2);
	bw_close(w);
}

static void put_lists(struct block_writer *w, const struct slots *s)
{
	const char *const *v = s->v;

	if (v[F_DIFF] != NULL && strcmp(v[F_DIFF], "0") != 0)
		put_slot(w, LIT("diff"), s, F_DIFF);
	if (is_set(s, F_TAG))
		put_list(w, LIT("tags"), v[F_TAG]);
	if (is_set(s, F_CHFIELDS))
		put_list(w, LIT("changed_attributes"), v[F_CHFIELDS]);
}

static void write_block(struct block_writer *w, const struct slots *s)
{
	const char *const *v = s->v;

	bw_open(w, (struct piece){NULL, 0});
	put_slot(w, LIT("path"), s, F_FILE);
	if (v[F_HARD_LINKS] != NULL)
		put_links(w, s);
	if (v[F_MODE] != NULL)
		put_slot(w, LIT("mode"), s, F_MODE);
	if (is_set(s, F_SYM_PATH))
		put_slot(w, LIT("symbolic_path"), s, F_SYM_PATH);
	put_pair(w, s, F_SIZE, F_SIZE_BEFORE, LIT("size_before"), LIT("size_after"));
	put_pair(w, s, F_PERM, F_PERM_BEFORE, LIT("perm_before"), LIT("perm_after"));
	put_pair(w, s, F_UID, F_UID_BEFORE, LIT("uid_before"), LIT("uid_after"));
	put_pair(w, s, F_GID, F_GID_BEFORE, LIT("gid_before"), LIT("gid_after"));
	put_pair(w, s, F_MD5, F_MD5_BEFORE, LIT("md5_before"), LIT("md5_after"));
	put_pair(w, s, F_SHA1, F_SHA1_BEFORE, LIT("sha1_before"), LIT("sha1_after"));
	put_pair(w, s, F_SHA256, F_SHA256_BEFORE, LIT("sha256_before"), LIT("sha256_after"));
	put_pair(w, s, F_UNAME, F_UNAME_BEFORE, LIT("uname_before"), LIT("uname_after"));
	put_pair(w, s, F_GNAME, F_GNAME_BEFORE, LIT("gname_before"), LIT("gname_after"));
	if (show_before(s, F_MTIME_BEFORE, F_MTIME))
		put_mtime(w, LIT("mtime_before"), s->value[F_MTIME_BEFORE]);
	if (is_set(s, F_MTIME))
		put_mtime(w, LIT("mtime_after"), s->value[F_MTIME]);
	if (show_before(s, F_INODE_BEFORE, F_INODE))
		put_inode(w, LIT("inode_before"), s->value[F_INODE_BEFORE]);
	if (v[F_INODE] != NULL && strspn(v[F_INODE], "0") != strlen(v[F_INODE]))
		put_inode(w, LIT("inode_after"), s->value[F_INODE]); /* Wazuh: atoi(inode) != 0 */
	put_lists(w, s);
	put_slot(w, LIT("event"), s, F_EVENT_TYPE);
	put_audit(w, s);
	/* Vigie's keys, after every key Wazuh writes. */
	if (v[F_PATH_B64] != NULL)
		put_slot(w, LIT("path_b64"), s, F_PATH_B64);
	if (v[F_HASH_STATE] != NULL)
		put_slot(w, LIT("hash_state"), s, F_HASH_STATE);
	if (show_before(s, F_HASH_STATE_BEFORE, F_HASH_STATE))
		put_slot(w, LIT("hash_state_before"), s, F_HASH_STATE_BEFORE);
	bw_close(w);
}

/* A key for the store after the text: its offset, or SIZE_MAX when absent. */
static size_t put_store_key(struct block_writer *w, const struct slots *s, enum slot f,
			    bool need_set)
{
	size_t at = w->b.len + 1;

	if (s->v[f] == NULL || (need_set && !is_set(s, f)))
		return SIZE_MAX;
	BW_LIT(w, "\0");
	bw_raw(w, s->v[f], s->len[f]);
	return at;
}

static int build_block(struct an_syscheck *r, const struct slots *s, struct vg_err *err)
{
	struct block_writer w = {.b = VG_BUF_INIT(BLOCK_MAX), .first = true, .rc = 0};
	size_t at[4];

	/* one allocation for a usual block (~900 bytes with the keys), not six */
	w.b.data = vg_xmalloc(BLOCK_FIRST_CAP);
	w.b.cap = BLOCK_FIRST_CAP;
	w.b.data[0] = '\0';

	write_block(&w, s);
	r->block_len = w.b.len;
	/* as the object holds them: path always, the digests when set */
	at[0] = put_store_key(&w, s, F_FILE, false);
	at[1] = put_store_key(&w, s, F_MD5, true);
	at[2] = put_store_key(&w, s, F_SHA1, true);
	at[3] = put_store_key(&w, s, F_SHA256, true);
	if (w.rc != 0) {
		vg_buf_free(&w.b);
		return vg_err_set(
		    err, VG_EPARSE,
		    "syscheck event: cannot build the alert object (mtime out of range?)");
	}
	r->block_text = vg_buf_take(&w.b);
	const char **keys[] = {&r->keys.path, &r->keys.md5, &r->keys.sha1, &r->keys.sha256};
	for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++)
		*keys[i] = at[i] != SIZE_MAX ? r->block_text + at[i] : NULL;
	return 0;
}

/* ---- Fields -------------------------------------------------------------- */

static int build_fields(struct an_fields *f, const struct slots *s, struct vg_err *err)
{
	int rc = 0;

	for (int i = 0; i < F_COUNT && rc == 0; i++)
		if (s->v[i] != NULL)
			rc = an_fields_addn(f, slot_names[i], s->v[i], s->len[i], err);
	return rc;
}

/* ---- Top level ----------------------------------------------------------- */

static int decode_event(struct an_syscheck *r, const struct jv *v, const struct jv *data,
			struct vg_err *err)
{
	struct slots s = {.jv = v,
			  .chfields = VG_BUF_INIT(AN_SYSCHECK_MAX_LINE),
			  .links = VG_BUF_INIT(AN_SYSCHECK_MAX_LINE),
			  .links_csv = VG_BUF_INIT(AN_SYSCHECK_MAX_LINE)};
	int rc;

	if ((rc = fetch_event(&s, data, &r->event, err)) != 0)
		goto out;
	r->decoder = r->event == AN_SYSCHECK_ADDED      ? AN_SYSCHECK_DECODER_NEW
		     : r->event == AN_SYSCHECK_MODIFIED ? AN_SYSCHECK_DECODER_MOD
							: AN_SYSCHECK_DECODER_DEL;
	if ((r->full_log = build_full_log(&s, r->event, err)) == NULL) {
		rc = VG_EPARSE;
		goto out;
	}
	if ((rc = build_block(r, &s, err)) != 0)
		goto out;
	rc = build_fields(r->fields, &s, err);
out:
	vg_buf_free(&s.chfields);
	vg_buf_free(&s.links);
	vg_buf_free(&s.links_csv);
	return rc;
}

/* Vigie's overflow notice, decoded as the log line Wazuh's agent sends. */
static int decode_overflow(struct an_syscheck *r, const struct jv *v, const struct jv *data,
			   struct vg_err *err)
{
	const struct jv *msg;
	int rc = get_str(v, data, "data.", "message", &msg, err);

	if (rc == 0 && msg == NULL)
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: data.message: missing");
	if (rc != 0)
		return rc;
	r->decoder = AN_SYSCHECK_DECODER_OSSEC;
	r->full_log = vg_xstrdup(msg->str);
	return 0;
}

static int decode_timestamp(struct an_syscheck *r, const struct jv *v, const struct jv *data,
			    bool required, struct vg_err *err)
{
	const struct jv *ts = jv_get(v, data, "timestamp");

	if (ts == NULL)
		return required
			   ? vg_err_set(err, VG_EPARSE, "syscheck event: data.timestamp: missing")
			   : 0;
	if (ts->type != JV_INTEGER)
		return type_error("data.", "timestamp", "an integer", ts, err);
	r->timestamp = ts->num;
	return 0;
}

static int decode_root(struct an_syscheck *r, const struct jv *v, struct vg_err *err)
{
	const struct jv *root = &v[0], *type_jv, *data;
	const char *type;
	int rc;

	if (root->type != JV_OBJECT)
		return type_error("", "document", "an object", root, err);
	if ((rc = get_str(v, root, "", "type", &type_jv, err)) != 0)
		return rc;
	if (type_jv == NULL)
		return vg_err_set(err, VG_EPARSE, "syscheck event: type: missing");
	if ((rc = get_object(v, root, "", "data", true, &data, err)) != 0)
		return rc;
	type = type_jv->str;
	if (strcmp(type, "event") == 0) {
		r->kind = AN_SYSCHECK_EVENT;
		if ((rc = decode_timestamp(r, v, data, false, err)) == 0)
			rc = decode_event(r, v, data, err);
	} else if (strcmp(type, "scan_start") == 0 || strcmp(type, "scan_end") == 0) {
		r->kind = type[5] == 's' ? AN_SYSCHECK_SCAN_START : AN_SYSCHECK_SCAN_END;
		rc = decode_timestamp(r, v, data, true, err);
	} else if (strcmp(type, "overflow") == 0) {
		r->kind = AN_SYSCHECK_OVERFLOW;
		if ((rc = decode_timestamp(r, v, data, false, err)) == 0)
			rc = decode_overflow(r, v, data, err);
	} else {
		rc = vg_err_set(err, VG_EPARSE, "syscheck event: type: unknown '%.64s'", type);
	}
	return rc;
}

int an_syscheck_decode(const char *json, size_t len, struct an_syscheck **out, struct vg_err *err)
{
	struct an_syscheck *r = NULL;
	struct jdoc doc; /* on the stack: no allocation for a usual line */
	json_t *root = NULL;
	int rc;

	jdoc_init(&doc);
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
	if ((rc = jdoc_parse(&doc, json, len, "syscheck event", &root, err)) != 0)
		goto out;
	r = vg_xcalloc(1, sizeof(*r));
	r->fields = an_fields_new();
	r->timestamp = -1;
	if ((rc = decode_root(r, doc.v, err)) != 0)
		goto out;
	*out = r; /* transferred */
	r = NULL;
out:
	an_syscheck_free(r);
	jdoc_free(&doc);
	json_decref(root);
	return rc;
}

void an_syscheck_free(struct an_syscheck *s)
{
	if (s == NULL)
		return;
	vg_free(s->full_log);
	vg_free(s->block_text);
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

json_t *an_syscheck_block(struct an_syscheck *s)
{
	if (s->block == NULL && s->block_text != NULL)
		s->block = json_loadb(s->block_text, s->block_len, JSON_ALLOW_NUL, NULL);
	return s->block;
}

const char *an_syscheck_block_text(const struct an_syscheck *s, size_t *len)
{
	*len = s->block_text != NULL ? s->block_len : 0;
	return s->block_text;
}

const struct an_fim_keys *an_syscheck_keys(const struct an_syscheck *s)
{
	return &s->keys;
}

const struct an_fields *an_syscheck_fields(const struct an_syscheck *s)
{
	return s->fields;
}

int64_t an_syscheck_timestamp(const struct an_syscheck *s)
{
	return s->timestamp;
}
