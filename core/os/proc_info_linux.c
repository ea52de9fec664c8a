/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process info on Linux: /proc/PID/status. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "os/proc_info.h"

int os_proc_groups(pid_t pid, gid_t *groups, size_t max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	/* getline: the Groups line is as long as the list (no number may be
	 * cut at a buffer's end and read as another group) */
	char *line = NULL;
	size_t cap = 0;
	int n = -1;
	while (getline(&line, &cap, f) >= 0) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		n = 0;
		for (char *p = line + 7, *end;; p = end) {
			unsigned long g = strtoul(p, &end, 10);
			if (end == p)
				break;
			if ((size_t)n < max)
				groups[n] = (gid_t)g;
			n++;
		}
		break;
	}
	free(line);
	fclose(f);
	if (n < 0)
		errno = EPROTO;   /* a status file without a Groups line */
	return n;
}
