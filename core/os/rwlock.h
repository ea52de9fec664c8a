/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seam: a reader/writer lock whose writers do not starve (internal API).
 *
 * Linux (rwlock_linux.c): glibc's default rwlock prefers readers, so a
 * writer could wait forever behind overlapping batches of data-path
 * readers; pthread_rwlockattr_setkind_np(PTHREAD_RWLOCK_PREFER_WRITER_-
 * NONRECURSIVE_NP) makes new readers wait behind a waiting writer.
 * FreeBSD, macOS (rwlock_default.c): the plain default attributes, which
 * prefer writers there already (pthread_rwlock_wrlock(3) of both: "To
 * prevent writer starvation, writers are favored over readers"). */
#ifndef UIPSEC_CORE_OS_RWLOCK_H
#define UIPSEC_CORE_OS_RWLOCK_H

#include <pthread.h>
#include <stdbool.h>

/* pthread_rwlock_init with writer preference: 0 or an errno. A reader
 * must not take the lock recursively (a waiting writer would deadlock it). */
int os_rwlock_init(pthread_rwlock_t *lock);

/* Does this implementation ask for writer preference explicitly (Linux),
 * or rely on the system's default (the BSDs)? For tests and docs. */
bool os_rwlock_writer_preference_explicit(void);

#endif
