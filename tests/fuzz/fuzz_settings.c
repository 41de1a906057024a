/*
 * fuzz_settings.c - libFuzzer target: vg_conf_load_buffer + the manager's
 * <global> and <alerts> handlers on arbitrary bytes, then one alert of each
 * format with the loaded levels, the fuzz input used as every string of the
 * event (the JSON line must parse back). Any crash, leak, sanitizer report
 * or invalid JSON line is a bug.
 *
 * scripts/fuzz settings runs it under libFuzzer (make fuzz: every target);
 * make test replays it over its seeds (tests/fuzz/seeds.txt) without.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "manager/alert.h"
#include "manager/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct an_settings s = AN_SETTINGS_INIT;
	struct vg_conf_section sec[2];
	struct vg_err err = VG_ERR_INIT;

	vg_log_set_level(VG_LOG_ERROR);
	an_settings_sections(&s, sec);
	(void)vg_conf_load_buffer("fuzz.conf", (const char *)data, size, sec, 2, &err);

	char *str = vg_xstrndup((const char *)data, size); /* stops at the first NUL */
	struct an_fields *fl = an_fields_new();
	struct an_alert_fmt *f = an_alert_fmt_new(NULL);
	struct an_event ev = {.time_ms = (int64_t)size * 1000,
			      .agent_id = str,
			      .agent_name = str,
			      .agent_ip = str,
			      .location = str,
			      .full_log = str,
			      .decoder = str,
			      .fields = fl};
	struct an_rule_info r = {.id = 1,
				 .level = s.log_alert_level,
				 .description = str,
				 .groups = str,
				 .mail = s.email_alert_level == 0};
	struct an_alert_id id = {1, 2};
	struct vg_buf b = VG_BUF_INIT(1u << 22);

	if (an_alert_format_json(f, &ev, &r, &id, &b, NULL) == 0) {
		json_t *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, NULL);
		if (j == NULL)
			abort();
		json_decref(j);
	}
	vg_buf_reset(&b);
	(void)an_alert_format_log(f, &ev, &r, &id, &b, NULL);
	vg_buf_free(&b);
	an_alert_fmt_free(f);
	an_fields_free(fl);
	vg_free(str);
	return 0;
}
