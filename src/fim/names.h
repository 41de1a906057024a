/*
 * names.h - uid/gid to user/group name, cached.
 *
 * NSS lookups (getpwuid_r) can cost a file read or a network round trip;
 * a scan asks for the same few ids a hundred thousand times, so the answers
 * are cached for the life of the cache. Unknown ids give "" (Wazuh does the
 * same). One cache per thread.
 */
#ifndef FIM_NAMES_H
#define FIM_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "fim/entry.h"

struct fim_names;

struct fim_names *fim_names_new(void);
void fim_names_free(struct fim_names *n);
/* Set e->user_name and e->group_name from e->uid and e->gid. */
void fim_names_fill(struct fim_names *n, struct fim_entry *e);

/* One uncached lookup: the name of user id (group: of group id), "" when
 * unknown. The caller frees it. Any thread. */
char *fim_names_lookup(bool group, uint32_t id);

#endif
