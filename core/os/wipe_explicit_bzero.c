/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wiping with explicit_bzero (Linux, FreeBSD; see os/wipe.h). */
#include "config.h"
#include <string.h>
#include "os/wipe.h"

void os_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}
