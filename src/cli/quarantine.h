/*
 * quarantine.h - `vigie quarantine list|show|restore|delete`
 * (docs/cli-quarantine.md): what active response quarantined, on this host
 * directly or on any agent through the manager's command queue.
 */
#ifndef CLI_QUARANTINE_H
#define CLI_QUARANTINE_H

/* Run the subcommand (argv[0] is "quarantine"); returns the exit status:
 * 0 done, 1 error or refused/failed outcome, 2 usage, 3 --wait timed out. */
int cli_quarantine(int argc, char **argv);

#endif
