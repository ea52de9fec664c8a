/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thread-name seam, macOS: pthread_setname_np(name) names the caller. */
#include "config.h"

#include <pthread.h>

#include "os/thread_name.h"

void os_thread_name_self(const char *name)
{
	(void)pthread_setname_np(name);
}
