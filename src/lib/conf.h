/*
 * conf.h - The ossec.conf XML loader.
 *
 * A configuration file holds one or more <ossec_config> blocks. The loader
 * parses the file with libxml2, walks the blocks in order, and hands each
 * section element (<syscheck>, <client>, ...) to the handler registered for
 * its name. Handlers see a read-only node tree with line numbers, so every
 * error can name file:line and what was expected.
 *
 * Sections that Wazuh has and Vigie does not implement (<rootcheck>,
 * <wodle>, <sca>, <localfile>, ...) are named once each in a warning and
 * skipped, so a whole Wazuh ossec.conf loads. Any other unknown section is an
 * error with a hint.
 *
 * Not thread-safe; load configuration on one thread, then publish it.
 */
#ifndef VG_CONF_H
#define VG_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

struct vg_conf_node; /* an XML element; borrowed from the loaded document */

/* Larger files (or buffers) are refused with VG_ETOOBIG before parsing. */
#define VG_CONF_MAX_SIZE (4u * 1024 * 1024)

/* Section handler: parse node into ctx; on failure fill err and return < 0. */
typedef int (*vg_conf_section_fn)(void *ctx, const struct vg_conf_node *node, struct vg_err *err);

struct vg_conf_section {
	const char *name; /* element name, e.g. "syscheck" */
	vg_conf_section_fn parse;
	void *ctx;
};

/*
 * Load path, dispatching sections to the nsections handlers. Errors read
 * "FILE:LINE: message" (VG_EPARSE) or name the file (VG_ENOTFOUND, VG_EPERM,
 * VG_ETOOBIG over VG_CONF_MAX_SIZE). Hostile input is refused, not expanded:
 * a DTD or an entity declaration is VG_EPARSE, nothing is fetched from the
 * network, nesting is limited by libxml2 (256 levels). An <?xml ...?>
 * declaration is allowed on the first line; the file is read as UTF-8.
 * Handlers run in document order; the first failure stops the load (earlier
 * handlers have already filled their ctx: the caller discards it).
 */
int vg_conf_load(const char *path, const struct vg_conf_section *sections, size_t nsections,
		 struct vg_err *err) VG_MUST_CHECK;

/* Same, from a memory buffer; name is used in messages. */
int vg_conf_load_buffer(const char *name, const char *data, size_t len,
			const struct vg_conf_section *sections, size_t nsections,
			struct vg_err *err) VG_MUST_CHECK;

/*
 * Load a file that is not an ossec.conf: any number of top-level elements
 * (a Wazuh rule file has several <group> roots and <var> definitions). The
 * same parser, limits and hostile-input checks as vg_conf_load; fn is called
 * once with a synthetic root node whose element children are the file's
 * top-level elements (text between them is not checked). Lines are the
 * file's lines.
 */
int vg_conf_load_elements(const char *path, vg_conf_section_fn fn, void *ctx,
			  struct vg_err *err) VG_MUST_CHECK;
int vg_conf_load_elements_buffer(const char *name, const char *data, size_t len,
				 vg_conf_section_fn fn, void *ctx,
				 struct vg_err *err) VG_MUST_CHECK;

/*
 * Node accessors. Strings are borrowed for the duration of the handler: they
 * live in the parsed document, which is freed when vg_conf_load returns.
 */
const char *vg_conf_node_name(const struct vg_conf_node *n);
/*
 * Trimmed text content ("" when empty): the node's own text and CDATA
 * children concatenated, without the text of child elements. Computed once
 * per element at load time, so the call is cheap and allocates nothing.
 */
const char *vg_conf_node_text(const struct vg_conf_node *n);
long vg_conf_node_line(const struct vg_conf_node *n);
const char *vg_conf_node_file(const struct vg_conf_node *n);
/* Attribute value or NULL. */
const char *vg_conf_node_attr(const struct vg_conf_node *n, const char *name);
/* Element children only (comments and text skipped). */
const struct vg_conf_node *vg_conf_node_first(const struct vg_conf_node *n);
const struct vg_conf_node *vg_conf_node_next(const struct vg_conf_node *n);
/* Iterate attributes: index from 0; returns false past the last. */
bool vg_conf_node_attr_at(const struct vg_conf_node *n, size_t i, const char **name,
			  const char **value);

/*
 * Helpers that fill err and return VG_EPARSE.
 * vg_conf_yesno accepts exactly "yes" or "no" (Wazuh's rule); otherwise the
 * message is "FILE:LINE: WHAT: expected yes or no, got \"VALUE\"" (value
 * escaped). vg_conf_error writes "FILE:LINE: " followed by the formatted
 * message: the caller names the section and element, e.g.
 * "<syscheck>: unknown element <foo>".
 */
int vg_conf_yesno(const struct vg_conf_node *n, const char *value, const char *what, bool *out,
		  struct vg_err *err) VG_MUST_CHECK;
int vg_conf_error(const struct vg_conf_node *n, struct vg_err *err, const char *fmt, ...)
    VG_PRINTF(3, 4);

/*
 * The candidate closest to word by edit distance (case-insensitive), or NULL
 * when none is close enough to be a plausible typo. Used for "did you mean"
 * hints; candidates is an array of n strings.
 */
const char *vg_conf_hint(const char *word, const char *const *candidates, size_t n);

#endif
