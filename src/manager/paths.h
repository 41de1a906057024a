/*
 * paths.h - Where the manager finds what Vigie ships: the ruleset and the
 * dashboard's web assets.
 *
 * Both are read-only data outside HOME, so that a fresh, empty HOME works
 * and an upgrade replaces them without touching the user's etc/. Each root
 * is, in order: an environment variable ($VIGIE_RULESET_DIR,
 * $VIGIE_WEB_DIR); <dir of the executable>/../share/vigie/NAME (an
 * installed tree, whatever its PREFIX); the source tree's directory (a
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

/* Likewise the dashboard's assets (web/). */
int mgr_web_root(char **out, struct vg_err *err) VG_MUST_CHECK;

#endif
