/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peer credentials: what every system shares (the lookup is in
 * peercred_<system>.c). */
#include "config.h"
#include "os/peercred.h"

bool os_peercred_in_group(const os_peercred_t *cr, gid_t gid)
{
	if (cr->gid == gid)
		return true;
	for (unsigned i = 0; i < cr->ngroups; i++)
		if (cr->groups[i] == gid)
			return true;
	return false;
}
