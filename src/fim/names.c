/*
 * names.c - Cached uid/gid name resolution.
 */
#include "fim/names.h"

#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>

#include "lib/hmap.h"
#include "lib/mem.h"
#include "lib/str.h"

struct fim_names {
	struct vg_hmap *cache; /* "u<uid>" / "g<gid>" -> name (owned) */
};

struct fim_names *fim_names_new(void)
{
	struct fim_names *n = vg_xcalloc(1, sizeof(*n));
	n->cache = vg_hmap_new();
	return n;
}

void fim_names_free(struct fim_names *n)
{
	if (n == NULL)
		return;
	vg_hmap_free(n->cache, vg_free);
	vg_free(n);
}

char *fim_names_lookup(bool group, uint32_t id)
{
	char buf[16384];
	if (!group) {
		struct passwd pw, *res = NULL;
		if (getpwuid_r(id, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
			return vg_xstrdup(res->pw_name);
	} else {
		struct group gr, *res = NULL;
		if (getgrgid_r(id, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
			return vg_xstrdup(res->gr_name);
	}
	return vg_xstrdup("");
}

static void names_get(struct fim_names *n, char kind, uint32_t id, char *out, size_t outsz)
{
	char key[1 + sizeof(id)];
	key[0] = kind;
	memcpy(key + 1, &id, sizeof(id));
	char *name = vg_hmap_get(n->cache, key, sizeof(key));
	if (name == NULL) {
		name = fim_names_lookup(kind == 'g', id);
		vg_hmap_put(n->cache, key, sizeof(key), name);
	}
	vg_strlcpy(out, name, outsz);
}

void fim_names_fill(struct fim_names *n, struct fim_entry *e)
{
	names_get(n, 'u', e->uid, e->user_name, sizeof(e->user_name));
	names_get(n, 'g', e->gid, e->group_name, sizeof(e->group_name));
}
