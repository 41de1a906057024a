/*
 * vt_options.h - The VirusTotal settings the running manager uses, for the
 * commands that read its state beside it (`vigie status`, `vigie lookup`):
 * quota limits and cache lifetimes are configured, not stored.
 */
#ifndef CLI_VT_OPTIONS_H
#define CLI_VT_OPTIONS_H

#include "manager/integration_conf.h"

/*
 * The options of the virustotal <integration> of config (NULL: HOME/etc/
 * ossec.conf), or the defaults (MGR_VT_OPTIONS_INIT) when the file does not
 * load or has no such block: best effort, never an error.
 */
void cli_vt_options(const char *home, const char *config, struct mgr_vt_options *out);

#endif
