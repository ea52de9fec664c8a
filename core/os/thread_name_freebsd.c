/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thread-name seam, FreeBSD: pthread_set_name_np (<pthread_np.h>). */
#include "config.h"

#include <pthread.h>
#include <pthread_np.h>

#include "os/thread_name.h"

void os_thread_name_self(const char *name)
{
	pthread_set_name_np(pthread_self(), name);
}
