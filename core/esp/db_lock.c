/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reader/writer lock that guards SAD and SPD together (one lock: a
 * packet's policy and SA lookups must see one consistent state). */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include "os/rwlock.h"
#include "esp/db_lock.h"

static pthread_rwlock_t db_lock;
static pthread_once_t db_once = PTHREAD_ONCE_INIT;

static void db_lock_init(void)
{
	/* Writers must not starve behind overlapping batches of readers (the
	 * seam makes writers preferred on every system). Without the lock
	 * nothing may run: init fails only without memory. */
	if (os_rwlock_init(&db_lock) != 0)
		abort();
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
