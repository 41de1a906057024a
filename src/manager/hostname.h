/*
 * hostname.h - The manager's own name: "manager":{"name"} in every alert
 * and agent 000's name, as Wazuh uses the manager's hostname for both.
 *
 * vigie-manager and `vigie logtest` call the same function so that an alert
 * logtest prints carries the names the daemon would write.
 */
#ifndef MGR_HOSTNAME_H
#define MGR_HOSTNAME_H

/* gethostname() as a new string (vg_free), "localhost" if it fails. */
char *mgr_hostname(void);

#endif
