/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thread-name seam, Linux: pthread_setname_np(thread, name). */
#include "config.h"

#include <pthread.h>

#include "os/thread_name.h"

void os_thread_name_self(const char *name)
{
	(void)pthread_setname_np(pthread_self(), name);
}
