/*
 * hostname.c - This host's name (see hostname.h).
 */
#include "lib/hostname.h"

#include <unistd.h>

#include "lib/mem.h"

char *vg_hostname(void)
{
	char buf[256];

	/* POSIX leaves a truncated name unterminated: terminate it ourselves */
	if (gethostname(buf, sizeof(buf)) != 0)
		return vg_xstrdup("localhost");
	buf[sizeof(buf) - 1] = '\0';
	return vg_xstrdup(buf);
}
