/*
 * usage.c - Usage mistakes and sub-command options (see usage.h).
 */
#include "cli/usage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vigie %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vigie %s --help'.\n", cmd);
	return 2;
}

void cli_seen_add(char *seen, size_t n, int opt)
{
	size_t len = strlen(seen);

	if (opt == 'D' || opt == 'h' || opt == '?' || len + 1 >= n || strchr(seen, opt) != NULL)
		return;
	seen[len] = (char)opt;
	seen[len + 1] = '\0';
}

bool cli_subcmd_allows(const struct cli_subcmd *table, size_t n, const char *name, int opt)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, table[i].name) == 0)
			return strchr(table[i].opts, opt) != NULL;
	return false;
}
