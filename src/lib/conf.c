/*
 * conf.c - The ossec.conf XML loader (libxml2).
 *
 * Wazuh's ossec.conf is not well-formed XML: it usually has several
 * <ossec_config> roots. The loader therefore wraps the bytes in a synthetic
 * root element whose opening tag sits on line 1 with no newline after it, so
 * libxml2's line numbers are the file's line numbers. An <?xml ...?>
 * declaration (only legal at the very start) is blanked out first, byte for
 * byte, keeping its newlines.
 *
 * The input is treated as hostile: no network, no DTD, no entity expansion.
 * A DOCTYPE cannot appear inside the wrapper, so libxml2 itself rejects it;
 * the tree is also checked for DTD and entity-reference nodes as a second
 * line of defence.
 *
 * A struct vg_conf_node is an xmlNode in disguise. Before the handlers run,
 * every element's trimmed text and every attribute's value is computed once
 * and parked in the node's _private field (libxml2 reserves it for the
 * application), so accessors return borrowed strings without allocating,
 * and the whole side data is freed with the document.
 *
 * Not thread-safe per call (one document per call; no shared state).
 */
#include "lib/conf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "lib/buf.h"
#include "lib/common.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

#define CONF_ROOT "vigie_conf_root"
#define CONF_BLOCK "ossec_config"
#define CONF_HINT_MAX 64 /* longer words get no hint */

static const char conf_open[] = "<" CONF_ROOT ">";
static const char conf_close[] = "\n</" CONF_ROOT ">\n";

/*
 * Sections of a Wazuh 4.x ossec.conf (agent or manager) that Vigie does not
 * implement itself: loading them warns once each instead of failing, so a
 * copied Wazuh file still loads. A name a caller registers takes precedence.
 */
static const char *const conf_wazuh_sections[] = {
    "active-response",
    "active_response",
    "agent-upgrade",
    "agentless",
    "alerts",
    "anti_tampering",
    "auth",
    "aws-s3",
    "azure-logs",
    "cis-cat",
    "client",
    "client_buffer",
    "cluster",
    "command",
    "database_output",
    "docker-listener",
    "email_alerts",
    "fluent-forward",
    "gcp-bucket",
    "gcp-pubsub",
    "github",
    "global",
    "indexer",
    "integration",
    "integrator",
    "labels",
    "localfile",
    "logcollector",
    "logging",
    "ms-graph",
    "office365",
    "open-scap",
    "osquery",
    "remote",
    "remote_commands",
    "reports",
    "rootcheck",
    "rule_test",
    "ruleset",
    "sca",
    "socket",
    "syscheck",
    "syscollector",
    "syslog_output",
    "task-manager",
    "vulnerability-detection",
    "vulnerability-detector",
    "wodle",
    "wazuh_db",
    "wdb",
    "analysisd",
    "monitord",
    "execd",
    "agent",
    "csyslog_output",
    "agent_config",
    "authd",
    "upgrade",
    "vuln_detector",
    "ciscat",
    "eventchannel",
};

/* The state of one load: no static mutable state anywhere. */
struct conf_load {
	const char *name;
	const struct vg_conf_section *sections;
	size_t nsections;
	vg_conf_section_fn root_fn; /* vg_conf_load_elements: gets the wrapper root */
	void *root_ctx;
	bool warned[VG_ARRAY_LEN(conf_wazuh_sections)];
};

static const xmlNode *conf_xml(const struct vg_conf_node *n)
{
	return (const xmlNode *)(const void *)n;
}

static const struct vg_conf_node *conf_node(const xmlNode *x)
{
	return (const struct vg_conf_node *)(const void *)x;
}

static const char *conf_str(const xmlChar *s)
{
	return (const char *)s;
}

static bool conf_is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* Node accessors ------------------------------------------------------- */

const char *vg_conf_node_name(const struct vg_conf_node *n)
{
	return conf_str(conf_xml(n)->name);
}

const char *vg_conf_node_text(const struct vg_conf_node *n)
{
	const char *t = conf_xml(n)->_private;
	return t != NULL ? t : "";
}

long vg_conf_node_line(const struct vg_conf_node *n)
{
	return xmlGetLineNo(conf_xml(n));
}

const char *vg_conf_node_file(const struct vg_conf_node *n)
{
	const xmlNode *x = conf_xml(n);
	return x->doc != NULL && x->doc->URL != NULL ? conf_str(x->doc->URL) : "(config)";
}

static const char *conf_attr_value(const xmlAttr *a)
{
	return a->_private != NULL ? a->_private : "";
}

const char *vg_conf_node_attr(const struct vg_conf_node *n, const char *name)
{
	for (const xmlAttr *a = conf_xml(n)->properties; a != NULL; a = a->next)
		if (strcmp(conf_str(a->name), name) == 0)
			return conf_attr_value(a);
	return NULL;
}

bool vg_conf_node_attr_at(const struct vg_conf_node *n, size_t i, const char **name,
			  const char **value)
{
	const xmlAttr *a = conf_xml(n)->properties;
	for (; a != NULL && i > 0; i--)
		a = a->next;
	if (a == NULL)
		return false;
	*name = conf_str(a->name);
	*value = conf_attr_value(a);
	return true;
}

static const xmlNode *conf_next_element(const xmlNode *x)
{
	while (x != NULL && x->type != XML_ELEMENT_NODE)
		x = x->next;
	return x;
}

const struct vg_conf_node *vg_conf_node_first(const struct vg_conf_node *n)
{
	return conf_node(conf_next_element(conf_xml(n)->children));
}

const struct vg_conf_node *vg_conf_node_next(const struct vg_conf_node *n)
{
	return conf_node(conf_next_element(conf_xml(n)->next));
}

/* Error helpers -------------------------------------------------------- */

static int conf_verror(const struct vg_conf_node *n, struct vg_err *err, const char *fmt,
		       va_list ap) VG_PRINTF(3, 0);

static int conf_verror(const struct vg_conf_node *n, struct vg_err *err, const char *fmt,
		       va_list ap)
{
	char msg[VG_ERR_MSG_MAX];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return vg_err_set(err, VG_EPARSE, "%s:%ld: %s", vg_conf_node_file(n), vg_conf_node_line(n),
			  msg);
}

int vg_conf_error(const struct vg_conf_node *n, struct vg_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = conf_verror(n, err, fmt, ap);
	va_end(ap);
	return rc;
}

int vg_conf_yesno(const struct vg_conf_node *n, const char *value, const char *what, bool *out,
		  struct vg_err *err)
{
	char esc[64];

	*out = false;
	if (value != NULL && strcmp(value, "yes") == 0) {
		*out = true;
		return 0;
	}
	if (value != NULL && strcmp(value, "no") == 0)
		return 0;
	if (value == NULL)
		value = "";
	return vg_conf_error(n, err, "%s: expected yes or no, got \"%s\"", what,
			     vg_escape(esc, sizeof(esc), value, strlen(value)));
}

/* Case-insensitive Levenshtein distance; both strings at most CONF_HINT_MAX. */
static size_t conf_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t row[CONF_HINT_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = strncasecmp(a + i - 1, b + j - 1, 1) == 0 ? 0 : 1;
			size_t best = VG_MIN(row[j] + 1, row[j - 1] + 1);
			row[j] = VG_MIN(best, diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

const char *vg_conf_hint(const char *word, const char *const *candidates, size_t n)
{
	size_t lw = strlen(word);
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	if (lw == 0 || lw > CONF_HINT_MAX)
		return NULL;
	/* A typo changes about one character in four; never more than three. */
	size_t limit = lw <= 4 ? 1 : lw <= 8 ? 2 : 3;
	for (size_t i = 0; i < n; i++) {
		size_t lc = strlen(candidates[i]);
		if (lc > CONF_HINT_MAX)
			continue;
		size_t d = conf_distance(word, lw, candidates[i], lc);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

/* Preparing the tree --------------------------------------------------- */

static char *conf_trim_dup(const char *s, size_t len)
{
	while (len > 0 && strchr(" \t\r\n", s[0]) != NULL) {
		s++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	return vg_xstrndup(s, len);
}

static int conf_element_text(xmlNode *x, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(VG_CONF_MAX_SIZE);
	int rc = 0;

	for (const xmlNode *c = x->children; c != NULL; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    c->content != NULL) {
			if (vg_buf_puts(&b, conf_str(c->content)) != 0) {
				rc = vg_conf_error(conf_node(x), err, "<%s>: text too long",
						   conf_str(x->name));
				goto out;
			}
		}
	}
	x->_private = conf_trim_dup(vg_buf_cstr(&b), b.len);
out:
	vg_buf_free(&b);
	return rc;
}

static void conf_prepare_attrs(xmlNode *x)
{
	for (xmlAttr *a = x->properties; a != NULL; a = a->next) {
		xmlChar *v = xmlNodeListGetString(x->doc, a->children, 1);
		a->_private = vg_xstrdup(v != NULL ? conf_str(v) : "");
		xmlFree(v);
	}
}

/*
 * Compute the side data of x and its descendants and refuse any node kind
 * that could carry entity or DTD content. Depth is bounded by libxml2's own
 * nesting limit (256 without XML_PARSE_HUGE).
 */
static int conf_prepare(xmlNode *x, struct vg_err *err)
{
	for (xmlNode *c = x; c != NULL; c = c->next) {
		switch (c->type) {
		case XML_ELEMENT_NODE: {
			int rc = conf_element_text(c, err);
			if (rc != 0)
				return rc;
			conf_prepare_attrs(c);
			rc = conf_prepare(c->children, err);
			if (rc != 0)
				return rc;
			break;
		}
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_NODE:
		case XML_ENTITY_DECL:
		case XML_DTD_NODE:
		case XML_DOCUMENT_TYPE_NODE:
			return vg_err_set(
			    err, VG_EPARSE, "%s:%ld: entities and DTDs are not allowed",
			    c->doc != NULL ? conf_str(c->doc->URL) : "(config)", xmlGetLineNo(c));
		default:
			break;
		}
	}
	return 0;
}

static void conf_release(xmlNode *x)
{
	for (xmlNode *c = x; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		vg_free(c->_private);
		c->_private = NULL;
		for (xmlAttr *a = c->properties; a != NULL; a = a->next) {
			vg_free(a->_private);
			a->_private = NULL;
		}
		conf_release(c->children);
	}
}

/* Dispatch ------------------------------------------------------------- */

static int conf_unknown_section(const struct conf_load *ld, const xmlNode *x, struct vg_err *err)
{
	size_t nknown = VG_ARRAY_LEN(conf_wazuh_sections);
	const char **cands = vg_xcalloc(ld->nsections + nknown, sizeof(*cands));
	char esc[80];

	for (size_t i = 0; i < ld->nsections; i++)
		cands[i] = ld->sections[i].name;
	for (size_t i = 0; i < nknown; i++)
		cands[ld->nsections + i] = conf_wazuh_sections[i];
	const char *name = conf_str(x->name);
	const char *hint = vg_conf_hint(name, cands, ld->nsections + nknown);
	vg_escape(esc, sizeof(esc), name, strlen(name));
	int rc = hint != NULL ? vg_conf_error(conf_node(x), err,
					      "unknown section <%s>; did you mean <%s>?", esc, hint)
			      : vg_conf_error(conf_node(x), err, "unknown section <%s>", esc);
	vg_free(cands);
	return rc;
}

static int conf_dispatch(struct conf_load *ld, const xmlNode *x, struct vg_err *err)
{
	const char *name = conf_str(x->name);

	for (size_t i = 0; i < ld->nsections; i++) {
		const struct vg_conf_section *s = &ld->sections[i];
		if (strcmp(s->name, name) != 0)
			continue;
		int rc = s->parse(s->ctx, conf_node(x), err);
		if (rc < 0 && (err == NULL || err->code == 0))
			vg_conf_error(conf_node(x), err, "<%s>: invalid section", name);
		return rc < 0 ? rc : 0;
	}
	for (size_t i = 0; i < VG_ARRAY_LEN(conf_wazuh_sections); i++) {
		if (strcmp(conf_wazuh_sections[i], name) != 0)
			continue;
		if (!ld->warned[i])
			vg_log_warn("%s:%ld: <%s> is a Wazuh section Vigie does not implement; "
				    "ignored",
				    ld->name, xmlGetLineNo(x), name);
		ld->warned[i] = true;
		return 0;
	}
	return conf_unknown_section(ld, x, err);
}

/*
 * libxml2 stamps a text node with the line where it ends; report the line of
 * its first non-blank character instead.
 */
static int conf_text_error(const xmlNode *t, const char *where, struct vg_err *err)
{
	const char *s = conf_str(t->content);
	long line = xmlGetLineNo(t);

	s += strspn(s, " \t\r\n");
	for (; *s != '\0'; s++)
		line -= *s == '\n';
	return vg_err_set(err, VG_EPARSE, "%s:%ld: unexpected text %s",
			  vg_conf_node_file(conf_node(t)), line > 0 ? line : 1, where);
}

static int conf_walk_block(struct conf_load *ld, const xmlNode *block, struct vg_err *err)
{
	if (block->properties != NULL)
		return vg_conf_error(conf_node(block), err, "<" CONF_BLOCK "> takes no attributes");
	for (const xmlNode *c = block->children; c != NULL; c = c->next) {
		int rc = 0;
		if (c->type == XML_ELEMENT_NODE)
			rc = conf_dispatch(ld, c, err);
		else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
			 !conf_is_blank(conf_str(c->content)))
			rc = conf_text_error(c, "in <" CONF_BLOCK ">", err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int conf_walk_root(struct conf_load *ld, const xmlNode *root, struct vg_err *err)
{
	size_t nblocks = 0;
	char esc[80];

	for (const xmlNode *c = root->children; c != NULL; c = c->next) {
		int rc = 0;
		if (c->type == XML_ELEMENT_NODE) {
			const char *name = conf_str(c->name);
			if (strcmp(name, CONF_BLOCK) != 0)
				return vg_conf_error(
				    conf_node(c), err, "unexpected <%s> outside <" CONF_BLOCK ">",
				    vg_escape(esc, sizeof(esc), name, strlen(name)));
			nblocks++;
			rc = conf_walk_block(ld, c, err);
		} else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
			   !conf_is_blank(conf_str(c->content))) {
			rc = conf_text_error(c, "outside <" CONF_BLOCK ">", err);
		}
		if (rc != 0)
			return rc;
	}
	if (nblocks == 0)
		return vg_err_set(err, VG_EPARSE, "%s: no <" CONF_BLOCK "> block", ld->name);
	return 0;
}

/* Parsing -------------------------------------------------------------- */

/*
 * Copy data after the wrapper's opening tag, skipping a UTF-8 BOM and
 * blanking an <?xml ...?> declaration (newlines kept, so lines still match).
 */
static int conf_wrap(const char *name, const char *data, size_t len, struct vg_buf *out,
		     struct vg_err *err)
{
	int rc;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	if ((rc = vg_buf_puts(out, conf_open)) != 0 || (rc = vg_buf_append(out, data, len)) != 0 ||
	    (rc = vg_buf_puts(out, conf_close)) != 0)
		return vg_err_set(err, rc, "%s: larger than %u bytes", name, VG_CONF_MAX_SIZE);
	if (len >= 6 && memcmp(data, "<?xml", 5) == 0 && strchr(" \t\r\n?", data[5]) != NULL) {
		char *decl = out->data + sizeof(conf_open) - 1;
		size_t end = 0;
		while (end + 1 < len && !(decl[end] == '?' && decl[end + 1] == '>'))
			end++;
		if (end + 1 >= len)
			return vg_err_set(err, VG_EPARSE, "%s:1: unterminated <?xml declaration",
					  name);
		for (size_t i = 0; i < end + 2; i++)
			if (decl[i] != '\n')
				decl[i] = ' ';
	}
	return 0;
}

/* The first error libxml2 raised: later ones are usually consequences. */
struct conf_xml_first {
	bool set;
	int line;
	char msg[200];
};

/*
 * Structured error hook for this parser only (no global handler): keeps
 * libxml2 off stderr and remembers the first error. data is the parser
 * context (its userData), whose _private points at our struct.
 */
static void conf_xml_on_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct conf_xml_first *first = ctxt != NULL ? ctxt->_private : NULL;

	if (first == NULL || first->set || e == NULL || e->level < XML_ERR_ERROR)
		return;
	char m[sizeof(first->msg)];
	vg_strlcpy(m, e->message != NULL ? e->message : "malformed XML", sizeof(m));
	size_t n = strlen(m);
	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n; i++) /* libxml2 puts details on a second line */
		if (m[i] == '\n')
			m[i] = ' ';
	vg_escape(first->msg, sizeof(first->msg), m, n);
	first->line = e->line;
	first->set = true;
}

/* Line (1-based) of the first occurrence of needle in data, or 0. */
static long conf_find_line(const char *data, size_t len, const char *needle)
{
	const char *p = memmem(data, len, needle, strlen(needle));
	long line = 1;

	if (p == NULL)
		return 0;
	for (const char *q = data; q < p; q++)
		line += *q == '\n';
	return line;
}

/*
 * Report a parse failure. A DTD inside the wrapper only yields libxml2's
 * cryptic "invalid element name", so name the real cause when one is there.
 */
static int conf_xml_error(const struct conf_xml_first *first, const char *name, const char *data,
			  size_t len, struct vg_err *err)
{
	static const char *const dtd[] = {"<!DOCTYPE", "<!ENTITY"};
	for (size_t i = 0; i < VG_ARRAY_LEN(dtd); i++) {
		long line = conf_find_line(data, len, dtd[i]);
		if (line > 0)
			return vg_err_set(err, VG_EPARSE,
					  "%s:%ld: DTDs and entity declarations are not allowed",
					  name, line);
	}
	if (!first->set)
		return vg_err_set(err, VG_EPARSE, "%s: malformed XML", name);
	return vg_err_set(err, VG_EPARSE, "%s:%d: malformed XML: %s", name, first->line,
			  first->msg);
}

static int conf_load_doc(struct conf_load *ld, const char *data, size_t len, struct vg_err *err)
{
	const char *name = ld->name;
	struct vg_buf wrapped =
	    VG_BUF_INIT(VG_CONF_MAX_SIZE + sizeof(conf_open) + sizeof(conf_close));
	struct conf_xml_first first = {0};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	int rc;

	if (len > VG_CONF_MAX_SIZE) {
		rc =
		    vg_err_set(err, VG_ETOOBIG, "%s: larger than %u bytes", name, VG_CONF_MAX_SIZE);
		goto out;
	}
	rc = conf_wrap(name, data, len, &wrapped, err);
	if (rc != 0)
		goto out;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = vg_err_set(err, VG_EINTERNAL, "%s: cannot create an XML parser", name);
		goto out;
	}
	ctxt->_private = &first;
	ctxt->sax->serror = conf_xml_on_error;
	/* No XML_PARSE_NOENT, DTDLOAD, DTDATTR or HUGE: entities stay unexpanded. */
	doc = xmlCtxtReadMemory(ctxt, wrapped.data, (int)wrapped.len, name, "UTF-8",
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_BIG_LINES);
	if (doc == NULL || !ctxt->wellFormed) {
		rc = conf_xml_error(&first, name, data, len, err);
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		rc = vg_err_set(err, VG_EPARSE, "%s: DTDs are not allowed", name);
		goto out;
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	rc = conf_prepare(root, err);
	if (rc == 0 && ld->root_fn != NULL)
		rc = ld->root_fn(ld->root_ctx, conf_node(root), err);
	else if (rc == 0)
		rc = conf_walk_root(ld, root, err);
out:
	if (doc != NULL) {
		conf_release(xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
	}
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	vg_buf_free(&wrapped);
	return rc;
}

int vg_conf_load_buffer(const char *name, const char *data, size_t len,
			const struct vg_conf_section *sections, size_t nsections,
			struct vg_err *err)
{
	struct conf_load ld = {.name = name, .sections = sections, .nsections = nsections};

	return conf_load_doc(&ld, data, len, err);
}

int vg_conf_load_elements_buffer(const char *name, const char *data, size_t len,
				 vg_conf_section_fn fn, void *ctx, struct vg_err *err)
{
	struct conf_load ld = {.name = name, .root_fn = fn, .root_ctx = ctx};

	return conf_load_doc(&ld, data, len, err);
}

int vg_conf_load_elements(const char *path, vg_conf_section_fn fn, void *ctx, struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(VG_CONF_MAX_SIZE);

	int rc = vg_fs_read_file(path, "", &b, err);
	if (rc == 0)
		rc = vg_conf_load_elements_buffer(path, vg_buf_cstr(&b), b.len, fn, ctx, err);
	vg_buf_free(&b);
	return rc;
}

int vg_conf_load(const char *path, const struct vg_conf_section *sections, size_t nsections,
		 struct vg_err *err)
{
	struct vg_buf b = VG_BUF_INIT(VG_CONF_MAX_SIZE);

	int rc = vg_fs_read_file(path, "", &b, err);
	if (rc == 0)
		rc = vg_conf_load_buffer(path, vg_buf_cstr(&b), b.len, sections, nsections, err);
	vg_buf_free(&b);
	return rc;
}
