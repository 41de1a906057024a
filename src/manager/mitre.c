/*
 * mitre.c - The MITRE technique table: a TSV file parsed into one hash map.
 *
 * Every string of a technique lives in one allocation owned by its struct,
 * so freeing is one walk of the map. Parsing is strict (a malformed line is
 * an error with file:line): the file is shipped data, a broken line means a
 * broken package, and silently dropping a technique would turn its alerts'
 * names into nulls.
 *
 * Immutable after load; no shared mutable state.
 */
#include "manager/mitre.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hmap.h"
#include "lib/mem.h"
#include "lib/str.h"

#define MITRE_MAX_FILE (64u * 1024u * 1024u)
#define MITRE_MAX_TACTICS 32

struct mitre_entry {
	struct mitre_technique t;
	const char *tactics[MITRE_MAX_TACTICS];
	char *text; /* id, name and tactics, NUL-separated */
};

struct mitre_db {
	struct vg_hmap *map; /* id -> struct mitre_entry */
};

static void mitre_entry_free(void *p)
{
	struct mitre_entry *e = p;

	if (e == NULL)
		return;
	vg_free(e->text);
	vg_free(e);
}

void mitre_free(struct mitre_db *db)
{
	if (db == NULL)
		return;
	vg_hmap_free(db->map, mitre_entry_free);
	vg_free(db);
}

size_t mitre_count(const struct mitre_db *db)
{
	return db != NULL ? vg_hmap_count(db->map) : 0;
}

const struct mitre_technique *mitre_get(const struct mitre_db *db, const char *id)
{
	if (db == NULL || id == NULL)
		return NULL;
	const struct mitre_entry *e = vg_hmap_get(db->map, id, strlen(id));
	return e != NULL ? &e->t : NULL;
}

/* Split one line (already copied into e->text) into its three columns. */
static int mitre_split(const char *name, long line, struct mitre_entry *e, struct vg_err *err)
{
	char *id = e->text;
	char *tab1 = strchr(id, '\t');
	char *tab2 = tab1 != NULL ? strchr(tab1 + 1, '\t') : NULL;

	if (tab2 == NULL)
		return vg_err_set(err, VG_EPARSE, "%s:%ld: expected ID<TAB>name<TAB>tactics", name,
				  line);
	*tab1 = '\0';
	*tab2 = '\0';
	e->t.id = id;
	e->t.name = tab1 + 1;
	if (*id == '\0' || *e->t.name == '\0')
		return vg_err_set(err, VG_EPARSE, "%s:%ld: empty technique id or name", name, line);
	char *p = tab2 + 1;
	while (*p != '\0') {
		char *comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (*p != '\0') {
			if (e->t.n_tactics == MITRE_MAX_TACTICS)
				return vg_err_set(err, VG_ETOOBIG, "%s:%ld: more than %d tactics",
						  name, line, MITRE_MAX_TACTICS);
			e->tactics[e->t.n_tactics++] = p;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	e->t.tactics = e->tactics;
	return 0;
}

static int mitre_add_line(struct mitre_db *db, const char *name, long line, const char *s,
			  size_t len, struct vg_err *err)
{
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len == 0 || s[0] == '#')
		return 0;
	if (len > MITRE_MAX_LINE)
		return vg_err_set(err, VG_ETOOBIG, "%s:%ld: line longer than %d bytes", name, line,
				  MITRE_MAX_LINE);
	if (memchr(s, '\0', len) != NULL)
		return vg_err_set(err, VG_EPARSE, "%s:%ld: NUL byte", name, line);
	struct mitre_entry *e = vg_xcalloc(1, sizeof(*e));
	e->text = vg_xstrndup(s, len);
	int rc = mitre_split(name, line, e, err);
	if (rc == 0 && vg_hmap_get(db->map, e->t.id, strlen(e->t.id)) != NULL)
		rc = vg_err_set(err, VG_EPARSE, "%s:%ld: technique %s defined twice", name, line,
				e->t.id);
	if (rc != 0) {
		mitre_entry_free(e);
		return rc;
	}
	vg_hmap_put(db->map, e->t.id, strlen(e->t.id), e); /* transferred */
	return 0;
}

int mitre_load_buffer(const char *name, const char *data, size_t len, struct mitre_db **out,
		      struct vg_err *err)
{
	struct mitre_db *db = vg_xcalloc(1, sizeof(*db));
	int rc = 0;
	long line = 1;

	*out = NULL;
	db->map = vg_hmap_new();
	for (size_t i = 0; i < len && rc == 0; line++) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		rc = mitre_add_line(db, name, line, data + i, end - i, err);
		i = end + 1;
	}
	if (rc != 0) {
		mitre_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

int mitre_load(const char *path, struct mitre_db **out, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(MITRE_MAX_FILE);

	*out = NULL;
	int rc = vg_fs_read_file(path, "MITRE data ", &b, err);
	if (rc == 0)
		rc = mitre_load_buffer(path, b.data != NULL ? b.data : "", b.len, out, err);
	vg_buf_free(&b);
	return rc;
}
