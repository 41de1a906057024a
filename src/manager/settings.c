/*
 * settings.c - <global> and <alerts> parsing (see settings.h).
 *
 * One table lists every element of both sections with what to do with it:
 * store a yes/no, store a level, or accept and warn that Vigie does not
 * implement it. The warning is given once per element name per settings
 * struct (a bit in s->warned), since Wazuh configs repeat <email_to> and
 * <white_list> many times.
 */
#include "manager/settings.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/common.h"
#include "lib/log.h"
#include "lib/str.h"

enum st_kind {
	ST_BOOL,  /* yes|no into a bool */
	ST_LEVEL, /* 0..AN_LEVEL_MAX into an unsigned */
	ST_WARN,  /* Wazuh has it, Vigie does not: accepted, warned once */
};

enum st_section { ST_GLOBAL, ST_ALERTS };

struct st_elem {
	enum st_section section;
	const char *name;
	enum st_kind kind;
	size_t off;
};

#define ST_OFF(f) offsetof(struct an_settings, f)

static const struct st_elem st_table[] = {
    {ST_GLOBAL, "jsonout_output", ST_BOOL, ST_OFF(jsonout_output)},
    {ST_GLOBAL, "alerts_log", ST_BOOL, ST_OFF(alerts_log)},
    {ST_GLOBAL, "logall", ST_BOOL, ST_OFF(logall)},
    {ST_GLOBAL, "logall_json", ST_BOOL, ST_OFF(logall_json)},
    {ST_GLOBAL, "email_notification", ST_WARN, 0},
    {ST_GLOBAL, "email_to", ST_WARN, 0},
    {ST_GLOBAL, "email_from", ST_WARN, 0},
    {ST_GLOBAL, "email_reply_to", ST_WARN, 0},
    {ST_GLOBAL, "email_idsname", ST_WARN, 0},
    {ST_GLOBAL, "smtp_server", ST_WARN, 0},
    {ST_GLOBAL, "helo_server", ST_WARN, 0},
    {ST_GLOBAL, "email_maxperhour", ST_WARN, 0},
    {ST_GLOBAL, "email_log_source", ST_WARN, 0},
    {ST_GLOBAL, "white_list", ST_WARN, 0},
    {ST_GLOBAL, "host_information", ST_WARN, 0},
    {ST_GLOBAL, "integrity_checking", ST_WARN, 0},
    {ST_GLOBAL, "rootkit_detection", ST_WARN, 0},
    {ST_GLOBAL, "compress_alerts", ST_WARN, 0},
    {ST_GLOBAL, "agents_disconnection_time", ST_WARN, 0},
    {ST_GLOBAL, "agents_disconnection_alert_time", ST_WARN, 0},
    {ST_GLOBAL, "update_check", ST_WARN, 0},
    {ST_GLOBAL, "cti-url", ST_WARN, 0},
    {ST_GLOBAL, "limits", ST_WARN, 0},
    {ST_GLOBAL, "queue_size", ST_WARN, 0},
    {ST_GLOBAL, "forward_to", ST_WARN, 0},
    {ST_GLOBAL, "custom_alert_output", ST_WARN, 0},
    {ST_GLOBAL, "stats", ST_WARN, 0},
    {ST_GLOBAL, "memory_size", ST_WARN, 0},
    {ST_GLOBAL, "geoip_db_path", ST_WARN, 0},
    {ST_GLOBAL, "geoip6_db_path", ST_WARN, 0},
    {ST_GLOBAL, "prelude_output", ST_WARN, 0},
    {ST_GLOBAL, "prelude_profile", ST_WARN, 0},
    {ST_GLOBAL, "prelude_log_level", ST_WARN, 0},
    {ST_GLOBAL, "zeromq_output", ST_WARN, 0},
    {ST_GLOBAL, "zeromq_uri", ST_WARN, 0},
    {ST_GLOBAL, "zeromq_client_cert", ST_WARN, 0},
    {ST_GLOBAL, "zeromq_server_cert", ST_WARN, 0},
    {ST_GLOBAL, "picviz_output", ST_WARN, 0},
    {ST_GLOBAL, "picviz_socket", ST_WARN, 0},
    {ST_GLOBAL, "rotate_interval", ST_WARN, 0},
    {ST_GLOBAL, "max_output_size", ST_WARN, 0},
    /* the issue's <global><email_alert_level>, also read in <alerts> as Wazuh does */
    {ST_GLOBAL, "email_alert_level", ST_LEVEL, ST_OFF(email_alert_level)},
    {ST_ALERTS, "log_alert_level", ST_LEVEL, ST_OFF(log_alert_level)},
    {ST_ALERTS, "email_alert_level", ST_LEVEL, ST_OFF(email_alert_level)},
    {ST_ALERTS, "use_geoip", ST_WARN, 0},
};

_Static_assert(VG_ARRAY_LEN(st_table) <= 64, "one warned bit per element");

static const char *section_name(enum st_section sec)
{
	return sec == ST_GLOBAL ? "<global>" : "<alerts>";
}

static int st_unknown(const struct vg_conf_node *n, enum st_section sec, struct vg_err *err)
{
	const char *names[VG_ARRAY_LEN(st_table)];
	size_t k = 0;
	char esc[64];
	const char *name = vg_conf_node_name(n);

	for (size_t i = 0; i < VG_ARRAY_LEN(st_table); i++)
		if (st_table[i].section == sec)
			names[k++] = st_table[i].name;
	const char *hint = vg_conf_hint(name, names, k);
	vg_escape(esc, sizeof(esc), name, strlen(name));
	if (hint != NULL)
		return vg_conf_error(n, err, "%s: unknown element <%s>; did you mean <%s>?",
				     section_name(sec), esc, hint);
	return vg_conf_error(n, err, "%s: unknown element <%s>", section_name(sec), esc);
}

static int st_level(const struct vg_conf_node *n, const char *where, unsigned *out,
		    struct vg_err *err)
{
	const char *text = vg_conf_node_text(n);
	uint64_t v;
	char esc[64];

	if (vg_parse_u64(text, AN_LEVEL_MAX, &v) != 0) {
		vg_escape(esc, sizeof(esc), text, strlen(text));
		return vg_conf_error(n, err, "%s: expected a level from 0 to %d, got \"%s\"", where,
				     AN_LEVEL_MAX, esc);
	}
	*out = (unsigned)v;
	return 0;
}

static int st_apply(struct an_settings *s, size_t idx, const struct vg_conf_node *n,
		    struct vg_err *err)
{
	const struct st_elem *e = &st_table[idx];
	char what[96];

	snprintf(what, sizeof(what), "%s: <%s>", section_name(e->section), e->name);
	if (e->kind == ST_WARN) {
		if ((s->warned & (UINT64_C(1) << idx)) == 0)
			vg_log_warn("%s:%ld: %s is not implemented by Vigie; ignored",
				    vg_conf_node_file(n), vg_conf_node_line(n), what);
		s->warned |= UINT64_C(1) << idx;
		return 0;
	}
	if (vg_conf_node_first(n) != NULL)
		return vg_conf_error(n, err, "%s: unexpected element <%s>", what,
				     vg_conf_node_name(vg_conf_node_first(n)));
	if (e->kind == ST_BOOL)
		return vg_conf_yesno(n, vg_conf_node_text(n), what,
				     (bool *)(void *)((char *)s + e->off), err);
	return st_level(n, what, (unsigned *)(void *)((char *)s + e->off), err);
}

static int st_parse(struct an_settings *s, enum st_section sec, const struct vg_conf_node *node,
		    struct vg_err *err)
{
	int rc = 0;

	for (const struct vg_conf_node *c = vg_conf_node_first(node); rc == 0 && c != NULL;
	     c = vg_conf_node_next(c)) {
		const char *name = vg_conf_node_name(c);
		size_t i;
		for (i = 0; i < VG_ARRAY_LEN(st_table); i++)
			if (st_table[i].section == sec && strcmp(st_table[i].name, name) == 0)
				break;
		rc = i == VG_ARRAY_LEN(st_table) ? st_unknown(c, sec, err) : st_apply(s, i, c, err);
	}
	return rc;
}

int an_settings_parse_global(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	return st_parse(ctx, ST_GLOBAL, node, err);
}

int an_settings_parse_alerts(void *ctx, const struct vg_conf_node *node, struct vg_err *err)
{
	return st_parse(ctx, ST_ALERTS, node, err);
}

void an_settings_sections(struct an_settings *s, struct vg_conf_section sections[2])
{
	sections[0] = (struct vg_conf_section){"global", an_settings_parse_global, s};
	sections[1] = (struct vg_conf_section){"alerts", an_settings_parse_alerts, s};
}
