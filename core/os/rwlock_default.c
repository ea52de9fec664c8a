/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rwlock with the system's default attributes (FreeBSD, macOS: writers
 * are preferred there already; see os/rwlock.h). */
#include "config.h"
#include <stddef.h>
#include "os/rwlock.h"

int os_rwlock_init(pthread_rwlock_t *lock)
{
	return pthread_rwlock_init(lock, NULL);
}

bool os_rwlock_writer_preference_explicit(void) { return false; }
