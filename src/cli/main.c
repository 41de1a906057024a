/*
 * main.c - vigie: the operator's command line.
 *
 * A thin dispatcher: each subcommand lives in its own file (cli/<name>.c)
 * and parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "cli/agents.h"
#include "cli/logtest.h"
#include "cli/lookup.h"
#include "cli/passwd.h"
#include "cli/quarantine.h"
#include "cli/scan.h"
#include "cli/status.h"
#include "lib/log.h"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct cli_command commands[] = {
    {"scan", cli_scan, "hash files and trees (md5, sha1, sha256) as JSON lines"},
    {"logtest", cli_logtest, "test events against the decoders and rules (wazuh-logtest)"},
    {"agents", cli_agents, "list, show, add and remove enrolled agents"},
    {"lookup", cli_lookup, "VirusTotal's verdict on files or hashes"},
    {"quarantine", cli_quarantine, "list, show, restore and delete quarantined files"},
    {"status", cli_status, "the manager at a glance: agents, queue, alerts, VirusTotal"},
    {"passwd", cli_passwd, "set a dashboard user's password"},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigie COMMAND [OPTION]... [ARG]...\n"
		     "The Vigie operator's command line.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'vigie COMMAND --help' for a command's options.\n"
		     "  -V, --version  print the version and exit\n");
}

int main(int argc, char **argv)
{
	vg_log_init("vigie", VG_LOG_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("vigie %s\n", VIGIE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vigie: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
