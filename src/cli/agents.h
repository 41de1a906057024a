/*
 * agents.h - `vigie agents`: list, show, add and remove the manager's
 * enrolled agents (Wazuh's agent_control -l/-i and manage_agents -a/-r).
 */
#ifndef CLI_AGENTS_H
#define CLI_AGENTS_H

/* Run the subcommand (argv[0] is "agents"); returns the exit status. */
int cli_agents(int argc, char **argv);

#endif
