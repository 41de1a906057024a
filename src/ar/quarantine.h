/*
 * quarantine.h - Acting on a judged file safely: quarantine (with restore)
 * and remove-threat, on the host that owns the file (docs/active-response.md).
 *
 * The file named by an alert is only touched if it is still the file that
 * was judged. Every operation starts from the monitored roots (struct
 * ar_roots: each <directories> entry resolved with realpath(3) when the
 * configuration was loaded, so /bin -> /usr/bin is settled once) and walks
 * the path one component at a time with openat(O_NOFOLLOW | O_DIRECTORY),
 * then opens the file itself with O_NOFOLLOW | O_NONBLOCK and checks, on
 * that descriptor: a regular file, the sha256 the verdict was about, the
 * inode (and device) the alert reported when it reported them. A symlink
 * anywhere on the way, a path outside every root, a vanished or changed
 * file: nothing is touched and the outcome says why.
 *
 * Quarantine moves the checked file into HOME/quarantine/ (0700): rename(2)
 * when on the same filesystem, else copy from the checked descriptor,
 * fsync, verify the copy's sha256, then unlink the original. The name is
 * re-checked (same device and inode as the descriptor) right before the
 * unlink and right after the rename; if someone swapped it in between, the
 * rename is undone and the outcome is a refusal. The content is kept as
 * ID.bin, mode 0000; ID.json (0600) is the manifest: id, path, size, uid,
 * gid, owner, group, mode (permission bits, a number), atime + atime_ns,
 * mtime + mtime_ns, inode, device, sha256, md5, sha1, alert_id, rule_id,
 * verdict (the caller's JSON), quarantined_at (ISO 8601 UTC), method
 * ("rename" | "copy"), and path_hex (the exact bytes) when the path is not
 * UTF-8. The path is the canonical one (under the resolved root) that was
 * acted on. IDs are 16 lowercase hex digits (time + random): unique,
 * sortable, safe in a path.
 *
 * Restore writes the content back to the manifest's path through a
 * temporary file in the same (symlink-free) directory, sets owner, group,
 * mode and times, fsyncs, and renames it into place; it refuses when a file
 * now exists at that path unless force is set (then that file is replaced).
 * Delete removes ID.bin and ID.json.
 *
 * Threads: no shared state; any thread. Errors: the functions return 0
 * whenever they reached an outcome (done, refused or failed, in *out) and a
 * negative VG_E* only for invalid arguments or an unusable HOME/quarantine.
 */
#ifndef AR_QUARANTINE_H
#define AR_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fim/config.h"
#include "lib/buf.h"
#include "lib/err.h"

#define AR_QUARANTINE_DIR "quarantine" /* under HOME */
#define AR_QID_LEN 16                  /* hex digits of an id */
#define AR_PATH_MAX (64u * 1024u)      /* bytes of a path from an alert or a manifest */

struct ar_roots;

enum ar_status {
	AR_DONE = 0,    /* the action happened */
	AR_REFUSED = 1, /* a safety check said no: nothing was touched */
	AR_FAILED = 2,  /* an error midway (I/O...): reason says what, and what was undone */
};

struct ar_outcome {
	enum ar_status status;
	char reason[VG_ERR_MSG_MAX]; /* "" when done; else one sentence, path escaped */
	char qid[AR_QID_LEN + 1];    /* the quarantine id made or used, "" if none */
	json_t *manifest; /* quarantine/restore/delete: the manifest (owned; may be NULL) */
};

/* What the verdict was about. */
struct ar_expect {
	const char *sha256; /* 64 hex digits; required */
	uint64_t inode;     /* 0 = not known */
	uint64_t device;    /* 0 = not known */
};

/* What the manifest records about why. */
struct ar_qmeta {
	const char *alert_id;  /* may be NULL */
	const char *rule_id;   /* may be NULL */
	const json_t *verdict; /* borrowed, copied into the manifest; may be NULL */
};

/* Resolve cfg's directories now (a root that does not exist yet is kept as
 * written, without symlinks assumed). */
int ar_roots_new(const struct fim_config *cfg, struct ar_roots **out,
		 struct vg_err *err) VG_MUST_CHECK;
void ar_roots_free(struct ar_roots *r);

/* path as the manifests name it: "." and ".." folded, on the canonical root
 * it lies under (into out, reset first). VG_ENOTFOUND outside every root. */
int ar_roots_canonical(const struct ar_roots *roots, const char *path,
		       struct vg_buf *out) VG_MUST_CHECK;

/* Quarantine path (see above). out is cleared first; free with ar_outcome_clear. */
int ar_quarantine_file(const char *home, const struct ar_roots *roots, const char *path,
		       const struct ar_expect *e, const struct ar_qmeta *m, struct ar_outcome *out,
		       struct vg_err *err) VG_MUST_CHECK;

/* Remove path after the same checks (Wazuh's remove-threat, done safely). */
int ar_remove_file(const struct ar_roots *roots, const char *path, const struct ar_expect *e,
		   struct ar_outcome *out, struct vg_err *err) VG_MUST_CHECK;

/* The manifests, oldest first, as a new JSON array (*out owned by the caller). */
int ar_quarantine_list(const char *home, json_t **out, struct vg_err *err) VG_MUST_CHECK;

/* One manifest; VG_ENOTFOUND for an unknown or malformed id. */
int ar_quarantine_show(const char *home, const char *qid, json_t **out,
		       struct vg_err *err) VG_MUST_CHECK;

int ar_quarantine_restore(const char *home, const char *qid, bool force, struct ar_outcome *out,
			  struct vg_err *err) VG_MUST_CHECK;
int ar_quarantine_delete(const char *home, const char *qid, struct ar_outcome *out,
			 struct vg_err *err) VG_MUST_CHECK;

/* Release out->manifest and reset out (NULL allowed). */
void ar_outcome_clear(struct ar_outcome *out);

/* "done", "refused", "failed". */
const char *ar_status_name(enum ar_status s);

#endif
