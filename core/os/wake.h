/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wake-up seam: a descriptor one thread makes readable to wake another
 * out of its event loop. eventfd (Linux) or a non-blocking pipe (FreeBSD,
 * macOS; Linux --with-portable-datapath), picked by configure. Signals
 * coalesce: one drain() clears any number of them. */
#ifndef UIPSEC_OS_WAKE_H
#define UIPSEC_OS_WAKE_H

#include <stdbool.h>

typedef struct os_wake os_wake_t;

/* Close-on-exec and non-blocking. NULL with errno set on failure. */
os_wake_t *os_wake_create(void);

/* The descriptor to watch for input. */
int os_wake_fd(const os_wake_t *w);

/* Make the descriptor readable; async-signal-safe, any thread. false with
 * errno set only on a real failure (a full pipe is already readable). */
bool os_wake_signal(os_wake_t *w);

/* Make it unreadable again (after it woke the reader). */
void os_wake_drain(os_wake_t *w);

/* NULL is fine. */
void os_wake_destroy(os_wake_t *w);

/* "eventfd" or "pipe" */
const char *os_wake_kind(void);

#endif
