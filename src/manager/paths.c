/*
 * paths.c - Locating the shipped ruleset and web assets (see paths.h).
 */
#include "manager/paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/mem.h"

#if !defined(VIGIE_SOURCE_RULESET) || !defined(VIGIE_SOURCE_WEB)
#error "VIGIE_SOURCE_RULESET and VIGIE_SOURCE_WEB must name the source tree's directories"
#endif

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <exe dir>/../share/vigie/NAME, or NULL when /proc is unavailable. */
static char *installed_root(const char *name)
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
	return vg_xasprintf("%s/../share/vigie/%s", exe, name);
}

/* The first of $env, the installed NAME, the source tree's dir that is a
 * directory. */
static int shipped_root(const char *env_name, const char *name, const char *source, char **out,
			struct vg_err *err)
{
	const char *env = getenv(env_name);
	char *inst = NULL;

	*out = NULL;
	if (env != NULL && *env != '\0') {
		if (is_dir(env)) {
			*out = vg_xstrdup(env);
			return 0;
		}
		return vg_err_set(err, VG_ENOTFOUND, "%s=%s is not a directory", env_name, env);
	}
	inst = installed_root(name);
	if (inst != NULL && is_dir(inst)) {
		*out = inst; /* transferred */
		return 0;
	}
	vg_free(inst);
	if (is_dir(source)) {
		*out = vg_xstrdup(source);
		return 0;
	}
	return vg_err_set(err, VG_ENOTFOUND,
			  "no shipped %s: set %s, or install Vigie (PREFIX/share/vigie/%s), or "
			  "keep the source tree at %s",
			  name, env_name, name, source);
}

int mgr_ruleset_root(char **out, struct vg_err *err)
{
	return shipped_root("VIGIE_RULESET_DIR", "ruleset", VIGIE_SOURCE_RULESET, out, err);
}

int mgr_web_root(char **out, struct vg_err *err)
{
	return shipped_root("VIGIE_WEB_DIR", "web", VIGIE_SOURCE_WEB, out, err);
}
