/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event loop seam, portable: poll(2). The set lives under a lock; add()
 * from another thread signals a wake-up the waiter watches too, and the
 * waiter rebuilds its copy before polling again. When more descriptors are
 * ready than the caller takes, the next wait starts after the last one
 * reported, so no descriptor is starved. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "os/event_loop.h"
#include "os/wake.h"

struct os_event_loop {
	pthread_mutex_t lock;
	struct pollfd *fds;        /* under lock: the watched set */
	uint32_t *tags;
	unsigned n, cap;
	unsigned gen;              /* under lock: bumped by add() */
	os_wake_t *changed;        /* signalled by add() */
	/* the waiter's own copy, slot 0 the wake-up */
	struct pollfd *wfds;
	uint32_t *wtags;
	unsigned wn, wcap, wgen;
	unsigned next;             /* where the next scan starts */
};

os_event_loop_t *os_event_loop_create(void)
{
	os_event_loop_t *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->changed = os_wake_create();
	if (!loop->changed) {
		int e = errno;
		free(loop);
		errno = e;
		return NULL;
	}
	pthread_mutex_init(&loop->lock, NULL);
	loop->wgen = (unsigned)-1;
	return loop;
}

static bool grow(void **a, size_t elem, unsigned *cap, unsigned want)
{
	if (want <= *cap)
		return true;
	unsigned c = *cap ? *cap * 2 : 16;
	while (c < want)
		c *= 2;
	void *p = realloc(*a, (size_t)c * elem);
	if (!p)
		return false;
	*a = p;
	*cap = c;
	return true;
}

bool os_event_loop_add(os_event_loop_t *loop, int fd, uint32_t tag)
{
	pthread_mutex_lock(&loop->lock);
	for (unsigned i = 0; i < loop->n; i++)
		if (loop->fds[i].fd == fd) {
			pthread_mutex_unlock(&loop->lock);
			errno = EEXIST;   /* as epoll and kqueue */
			return false;
		}
	unsigned cap = loop->cap;
	bool ok = grow((void **)&loop->fds, sizeof(*loop->fds), &cap, loop->n + 1);
	unsigned cap2 = loop->cap;
	ok = ok && grow((void **)&loop->tags, sizeof(*loop->tags), &cap2, loop->n + 1);
	if (ok) {
		loop->cap = cap < cap2 ? cap : cap2;
		loop->fds[loop->n] = (struct pollfd){ .fd = fd, .events = POLLIN };
		loop->tags[loop->n++] = tag;
		loop->gen++;
	}
	pthread_mutex_unlock(&loop->lock);
	if (!ok) {
		errno = ENOMEM;
		return false;
	}
	os_wake_signal(loop->changed);
	return true;
}

bool os_event_loop_remove(os_event_loop_t *loop, int fd)
{
	bool found = false;
	pthread_mutex_lock(&loop->lock);
	for (unsigned i = 0; i < loop->n && !found; i++)
		if (loop->fds[i].fd == fd) {
			/* order kept: the waiter's fair scan position stays meaningful */
			memmove(loop->fds + i, loop->fds + i + 1, (loop->n - i - 1) * sizeof(*loop->fds));
			memmove(loop->tags + i, loop->tags + i + 1, (loop->n - i - 1) * sizeof(*loop->tags));
			loop->n--;
			loop->gen++;
			found = true;
		}
	pthread_mutex_unlock(&loop->lock);
	if (!found) {
		errno = ENOENT;
		return false;
	}
	os_wake_signal(loop->changed);
	return true;
}

/* The waiter's copy of the set, after an add() or remove(). */
static bool refresh(os_event_loop_t *loop)
{
	bool ok = true;
	pthread_mutex_lock(&loop->lock);
	if (loop->gen != loop->wgen) {
		unsigned c1 = loop->wcap, c2 = loop->wcap;
		ok = grow((void **)&loop->wfds, sizeof(*loop->wfds), &c1, loop->n + 1) &&
		     grow((void **)&loop->wtags, sizeof(*loop->wtags), &c2, loop->n + 1);
		if (ok) {
			loop->wcap = c1 < c2 ? c1 : c2;
			loop->wfds[0] = (struct pollfd){ .fd = os_wake_fd(loop->changed), .events = POLLIN };
			if (loop->n)
				memcpy(loop->wfds + 1, loop->fds, loop->n * sizeof(*loop->fds));
			if (loop->n)
				memcpy(loop->wtags + 1, loop->tags, loop->n * sizeof(*loop->tags));
			loop->wn = loop->n + 1;
			loop->wgen = loop->gen;
		}
	}
	pthread_mutex_unlock(&loop->lock);
	if (!ok)
		errno = ENOMEM;
	return ok;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int os_event_loop_wait(os_event_loop_t *loop, uint32_t *tags, int max, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	for (;;) {
		if (!refresh(loop))
			return -1;
		int left = -1;
		if (timeout_ms >= 0) {
			int64_t d = deadline - now_ms();
			left = d > 0 ? (int)d : 0;
		}
		int r = poll(loop->wfds, loop->wn, left);
		if (r <= 0)
			return r;
		if (loop->wfds[0].revents) {
			os_wake_drain(loop->changed);
			if (r == 1)
				continue;   /* only the set changed: poll the new one */
		}
		unsigned nw = loop->wn - 1;
		int n = 0;
		unsigned i = 0;
		for (; i < nw && n < max; i++) {
			unsigned k = 1 + (loop->next + i) % nw;
			if (loop->wfds[k].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
				tags[n++] = loop->wtags[k];
		}
		loop->next = (loop->next + i) % nw;
		if (n)
			return n;
		if (timeout_ms >= 0 && now_ms() >= deadline)
			return 0;
	}
}

void os_event_loop_destroy(os_event_loop_t *loop)
{
	if (!loop)
		return;
	os_wake_destroy(loop->changed);
	pthread_mutex_destroy(&loop->lock);
	free(loop->fds);
	free(loop->tags);
	free(loop->wfds);
	free(loop->wtags);
	free(loop);
}

const char *os_event_loop_kind(void)
{
	return "poll";
}
