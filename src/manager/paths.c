/*
 * paths.c - Locating the shipped ruleset (see paths.h).
 */
#include "manager/paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"

#ifndef VIGIE_SOURCE_RULESET
#error "VIGIE_SOURCE_RULESET must name the source tree's ruleset directory"
#endif

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <exe dir>/../share/vigie/ruleset, or NULL when /proc is unavailable. */
static char *installed_root(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return vg_xasprintf("%s/../share/vigie/ruleset", exe);
}

int mgr_ruleset_root(char **out, struct vg_err *err)
{
	const char *env = getenv("VIGIE_RULESET_DIR");
	char *inst = NULL;

	*out = NULL;
	if (env != NULL && *env != '\0') {
		if (is_dir(env)) {
			*out = vg_xstrdup(env);
			return 0;
		}
		return vg_err_set(err, VG_ENOTFOUND, "VIGIE_RULESET_DIR=%s is not a directory",
				  env);
	}
	inst = installed_root();
	if (inst != NULL && is_dir(inst)) {
		*out = inst; /* transferred */
		return 0;
	}
	vg_free(inst);
	if (is_dir(VIGIE_SOURCE_RULESET)) {
		*out = vg_xstrdup(VIGIE_SOURCE_RULESET);
		return 0;
	}
	return vg_err_set(err, VG_ENOTFOUND,
			  "no shipped ruleset: set VIGIE_RULESET_DIR, or install Vigie "
			  "(PREFIX/share/vigie/ruleset), or keep the source tree at %s",
			  VIGIE_SOURCE_RULESET);
}
