/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event loop seam: wait until one of a set of file descriptors is readable.
 *
 * One implementation per system family, picked by configure: epoll (Linux),
 * kqueue (FreeBSD, macOS), poll (portable; Linux --with-portable-datapath).
 * A loop has one waiting thread; other threads may add descriptors while
 * it waits (the data path adds a new TUN device's queues to running
 * workers). Descriptors are watched level-triggered for input; a hang-up or
 * an error counts as readable (the reader then sees it). */
#ifndef UIPSEC_OS_EVENT_LOOP_H
#define UIPSEC_OS_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct os_event_loop os_event_loop_t;

/* NULL with errno set on failure. */
os_event_loop_t *os_event_loop_create(void);

/* Watch fd for input; wait() reports it by tag. Safe from any thread.
 * false with errno set on failure. */
bool os_event_loop_add(os_event_loop_t *loop, int fd, uint32_t tag);

/* Stop watching fd (a descriptor that only fails now). Safe from any
 * thread. false with errno set (ENOENT: not watched). */
bool os_event_loop_remove(os_event_loop_t *loop, int fd);

/* Wait up to timeout_ms (-1: no limit) for readable descriptors and store
 * up to max of their tags. Returns how many (0: timeout), or -1 with errno
 * set (EINTR included: the caller decides). */
int os_event_loop_wait(os_event_loop_t *loop, uint32_t *tags, int max, int timeout_ms);

/* Closes the loop, not the descriptors it watched. NULL is fine. */
void os_event_loop_destroy(os_event_loop_t *loop);

/* "epoll", "kqueue" or "poll": what configure picked (logs, status). */
const char *os_event_loop_kind(void);

#endif
