/*
 * settings.h - The manager's <global> and <alerts> sections of ossec.conf.
 *
 * Wazuh 4.x names and defaults (etc/templates/config/generic/global.template,
 * alerts.template): jsonout_output yes, alerts_log yes, logall no,
 * logall_json no, log_alert_level 3, email_alert_level 12. Every other
 * <global> or <alerts> element Wazuh 4.x knows (email_notification,
 * email_to, smtp_server, white_list, ...) is accepted with one warning per
 * element name and load, saying Vigie does not implement it, so a whole
 * Wazuh ossec.conf loads. Anything else is an error "FILE:LINE: <global>:
 * unknown element <x>; did you mean <y>?". Bad values name file:line and
 * the values expected. Several <global> / <alerts> blocks may appear; later
 * values win, as in Wazuh.
 *
 * Not thread-safe: parse on one thread, then publish the struct read-only.
 */
#ifndef AN_SETTINGS_H
#define AN_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/err.h"

#define AN_LEVEL_MAX 16 /* highest Wazuh rule level */

struct an_settings {
	bool jsonout_output; /* <global><jsonout_output> */
	bool alerts_log;     /* <global><alerts_log> */
	bool logall;         /* <global><logall>: accepted, stored (archives not written yet) */
	bool logall_json;    /* <global><logall_json>: same */
	unsigned log_alert_level;   /* <alerts><log_alert_level>, 0..16 */
	unsigned email_alert_level; /* <alerts> or <global><email_alert_level>, 0..16 ("mail") */
	uint64_t warned;            /* parser state: unimplemented elements already named */
};

#define AN_SETTINGS_INIT                                                                           \
	{                                                                                          \
		true, true, false, false, 3, 12, 0                                                 \
	}

/* vg_conf_section handlers; ctx is a struct an_settings *. */
int an_settings_parse_global(void *ctx, const struct vg_conf_node *node,
			     struct vg_err *err) VG_MUST_CHECK;
int an_settings_parse_alerts(void *ctx, const struct vg_conf_node *node,
			     struct vg_err *err) VG_MUST_CHECK;

/* Fill sections[0..1] with the two handlers bound to s (for vg_conf_load). */
void an_settings_sections(struct an_settings *s, struct vg_conf_section sections[2]);

#endif
