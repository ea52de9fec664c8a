/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SAD/SPD lock (internal API). The locking rules: sad.h. */
#ifndef UIPSEC_CORE_DB_LOCK_H
#define UIPSEC_CORE_DB_LOCK_H

/* Data path: one read section per batch. */
void db_read_lock(void);
void db_read_unlock(void);
/* Writers (spd.c, sad.c): hold only to publish a change. */
void db_write_lock(void);
void db_write_unlock(void);

#endif
