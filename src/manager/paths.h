/*
 * paths.h - Where the manager finds what Vigie ships.
 *
 * The shipped ruleset (rules, CDB lists, MITRE names) is read-only data
 * outside HOME, so that a fresh, empty HOME works and an upgrade replaces
 * it without touching the user's etc/rules and etc/lists. Its root is, in
 * order: $VIGIE_RULESET_DIR; <dir of the executable>/../share/vigie/ruleset
 * (an installed tree, whatever its PREFIX); the source tree's ruleset/ (a
 * binary run from its build directory).
 */
#ifndef MGR_PATHS_H
#define MGR_PATHS_H

#include "lib/err.h"

/*
 * The ruleset root as a new string (*out, freed with vg_free), or
 * VG_ENOTFOUND naming every place tried when none is a directory.
 */
int mgr_ruleset_root(char **out, struct vg_err *err) VG_MUST_CHECK;

#endif
