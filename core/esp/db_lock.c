/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reader/writer lock that guards SAD and SPD together (one lock: a
 * packet's policy and SA lookups must see one consistent state). */
#include "config.h"
#include <pthread.h>
#include "esp/db_lock.h"

static pthread_rwlock_t db_lock;
static pthread_once_t db_once = PTHREAD_ONCE_INIT;

static void db_lock_init(void)
{
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	/* Writers must not starve behind overlapping batches of readers. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&db_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

void db_read_lock(void)
{
	pthread_once(&db_once, db_lock_init);
	pthread_rwlock_rdlock(&db_lock);
}

void db_read_unlock(void) { pthread_rwlock_unlock(&db_lock); }

void db_write_lock(void)
{
	pthread_once(&db_once, db_lock_init);
	pthread_rwlock_wrlock(&db_lock);
}

void db_write_unlock(void) { pthread_rwlock_unlock(&db_lock); }
