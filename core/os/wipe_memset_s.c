/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wiping with C11 Annex K memset_s (macOS; see os/wipe.h). */
#define __STDC_WANT_LIB_EXT1__ 1
#include "config.h"
#include <string.h>
#include "os/wipe.h"

void os_wipe(void *p, size_t n)
{
	/* memset_s may not be optimised away (C11 K.3.7.4.1) */
	if (n)
		(void)memset_s(p, n, 0, n);
}
