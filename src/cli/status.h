/*
 * status.h - `vigie status`: the manager of a home at a glance (running,
 * agents, queue, alerts, VirusTotal quota, cache and lookups).
 */
#ifndef CLI_STATUS_H
#define CLI_STATUS_H

/* Run the subcommand (argv[0] is "status"); returns the exit status. */
int cli_status(int argc, char **argv);

#endif
