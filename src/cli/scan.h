/*
 * scan.h - `vigie scan PATH...`: one-shot hashing of files and trees.
 */
#ifndef CLI_SCAN_H
#define CLI_SCAN_H

/* Run the subcommand (argv[0] is "scan"); returns the exit status. */
int cli_scan(int argc, char **argv);

#endif
