/*
 * usage.h - What every `vigie COMMAND` says about a usage mistake, and which
 * options its sub-commands take (`vigie agents list`, `vigie quarantine
 * restore`...), so the commands read and fail alike.
 */
#ifndef CLI_USAGE_H
#define CLI_USAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

/* "vigie CMD: MESSAGE\nTry 'vigie CMD --help'." on stderr; returns 2, the
 * usage exit status. */
int cli_usage_error(const char *cmd, const char *fmt, ...) VG_PRINTF(2, 3);

/* A sub-command and the option letters it accepts. */
struct cli_subcmd {
	const char *name;
	const char *opts;
};

/* Remember option letter opt in seen (size n, NUL-terminated), once: the
 * sub-command's options are checked after parsing. -D, -h and errors are
 * never remembered. */
void cli_seen_add(char *seen, size_t n, int opt);

/* Does sub-command name (one of table's n) take option letter opt? */
bool cli_subcmd_allows(const struct cli_subcmd *table, size_t n, const char *name, int opt);

#endif
