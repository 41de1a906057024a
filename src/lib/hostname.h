/*
 * hostname.h - This host's name, one way everywhere.
 *
 * It names the manager in every alert ("manager":{"name"}), agent 000, the
 * certificate authority and the agent's default enrollment name; vigie
 * logtest calls the same function, so the alerts it prints carry the names
 * the daemon would write.
 */
#ifndef VG_HOSTNAME_H
#define VG_HOSTNAME_H

/* gethostname() as a new string (vg_free), "localhost" if it fails. */
char *vg_hostname(void);

#endif
