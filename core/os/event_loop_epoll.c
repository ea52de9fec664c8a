/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event loop seam, Linux: epoll. epoll_ctl on a set another thread waits
 * in is safe, so add() needs no lock. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "os/event_loop.h"

#define EVENTS_MAX 64

struct os_event_loop {
	int epfd;
};

os_event_loop_t *os_event_loop_create(void)
{
	os_event_loop_t *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int e = errno;
		free(loop);
		errno = e;
		return NULL;
	}
	return loop;
}

bool os_event_loop_add(os_event_loop_t *loop, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool os_event_loop_remove(os_event_loop_t *loop, int fd)
{
	return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) == 0;
}

int os_event_loop_wait(os_event_loop_t *loop, uint32_t *tags, int max, int timeout_ms)
{
	struct epoll_event evs[EVENTS_MAX];
	int n = epoll_wait(loop->epfd, evs, max < EVENTS_MAX ? max : EVENTS_MAX, timeout_ms);
	for (int i = 0; i < n; i++)
		tags[i] = evs[i].data.u32;
	return n;
}

void os_event_loop_destroy(os_event_loop_t *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop);
}

const char *os_event_loop_kind(void)
{
	return "epoll";
}
