/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event loop seam, FreeBSD and macOS: kqueue. kevent() registering on a
 * queue another thread waits in is safe, so add() needs no lock. EVFILT_READ
 * is level-triggered unless EV_CLEAR is asked for. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include "os/event_loop.h"

#define EVENTS_MAX 64

struct os_event_loop {
	int kq;
};

os_event_loop_t *os_event_loop_create(void)
{
	os_event_loop_t *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->kq = kqueue();
	if (loop->kq < 0) {
		int e = errno;
		free(loop);
		errno = e;
		return NULL;
	}
	return loop;
}

bool os_event_loop_add(os_event_loop_t *loop, int fd, uint32_t tag)
{
	struct kevent ev;
	EV_SET(&ev, (uintptr_t)fd, EVFILT_READ, EV_ADD, 0, 0, (void *)(uintptr_t)tag);
	return kevent(loop->kq, &ev, 1, NULL, 0, NULL) == 0;
}

bool os_event_loop_remove(os_event_loop_t *loop, int fd)
{
	struct kevent ev;
	EV_SET(&ev, (uintptr_t)fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	return kevent(loop->kq, &ev, 1, NULL, 0, NULL) == 0;
}

int os_event_loop_wait(os_event_loop_t *loop, uint32_t *tags, int max, int timeout_ms)
{
	struct kevent evs[EVENTS_MAX];
	struct timespec ts, *tp = NULL;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	int n = kevent(loop->kq, NULL, 0, evs, max < EVENTS_MAX ? max : EVENTS_MAX, tp);
	for (int i = 0; i < n; i++)
		tags[i] = (uint32_t)(uintptr_t)evs[i].udata;
	return n;
}

void os_event_loop_destroy(os_event_loop_t *loop)
{
	if (!loop)
		return;
	close(loop->kq);
	free(loop);
}

const char *os_event_loop_kind(void)
{
	return "kqueue";
}
