/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writer-preferring rwlock on Linux (glibc's attribute; see os/rwlock.h). */
#include "config.h"
#include "os/rwlock.h"

int os_rwlock_init(pthread_rwlock_t *lock)
{
	pthread_rwlockattr_t attr;
	int rc = pthread_rwlockattr_init(&attr);
	if (rc)
		return rc;
	rc = pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (!rc)
		rc = pthread_rwlock_init(lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return rc;
}

bool os_rwlock_writer_preference_explicit(void) { return true; }
