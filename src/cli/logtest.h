/*
 * logtest.h - `vigie logtest`: run event lines through the manager's
 * decoders and rules and show what would be alerted (wazuh-logtest).
 */
#ifndef CLI_LOGTEST_H
#define CLI_LOGTEST_H

/* Run the subcommand (argv[0] is "logtest"); returns the exit status. */
int cli_logtest(int argc, char **argv);

#endif
