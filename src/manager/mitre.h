/*
 * mitre.h - MITRE ATT&CK technique names and tactics, from a shipped TSV.
 *
 * The data file (ruleset/mitre/enterprise-attack.tsv) has one technique per
 * line: "ID<TAB>technique name<TAB>tactic[,tactic...]"; '#' starts a
 * comment line, blank lines are ignored. The rule engine resolves each
 * rule's <mitre><id> through it once, at load, so an alert only copies
 * pointers.
 *
 * A loaded database is immutable: any number of threads may read it.
 */
#ifndef AN_MITRE_H
#define AN_MITRE_H

#include <stddef.h>

#include "lib/err.h"

/* Lines longer than this are a parse error. */
#define MITRE_MAX_LINE 4096

struct mitre_db;

struct mitre_technique {
	const char *id;   /* "T1565.001" */
	const char *name; /* "Stored Data Manipulation" */
	size_t n_tactics;
	const char *const *tactics; /* "Impact", in the file's order */
};

/*
 * Load path into *out (caller-owned, mitre_free). A line without two tabs,
 * an empty id or name, or an id defined twice is VG_EPARSE "FILE:LINE: ...";
 * an unreadable file VG_ENOTFOUND / VG_EPERM.
 */
int mitre_load(const char *path, struct mitre_db **out, struct vg_err *err) VG_MUST_CHECK;
/* Same from memory; name is used in messages. */
int mitre_load_buffer(const char *name, const char *data, size_t len, struct mitre_db **out,
		      struct vg_err *err) VG_MUST_CHECK;
void mitre_free(struct mitre_db *db);
size_t mitre_count(const struct mitre_db *db);
/* The technique with this exact id, or NULL. Borrowed for db's lifetime. */
const struct mitre_technique *mitre_get(const struct mitre_db *db, const char *id);

#endif
