/*
 * lookup.h - `vigie lookup FILE|HASH...`: VirusTotal's verdict through the
 * running manager's cache and quota, or directly with --direct.
 */
#ifndef CLI_LOOKUP_H
#define CLI_LOOKUP_H

/* Run the subcommand (argv[0] is "lookup"); returns the exit status. */
int cli_lookup(int argc, char **argv);

#endif
