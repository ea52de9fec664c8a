/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wake-up seam, Linux: one eventfd (a counter; reading it clears it). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "os/wake.h"

struct os_wake {
	int fd;
};

os_wake_t *os_wake_create(void)
{
	os_wake_t *w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		int e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int os_wake_fd(const os_wake_t *w)
{
	return w->fd;
}

bool os_wake_signal(os_wake_t *w)
{
	uint64_t one = 1;
	ssize_t r;
	do
		r = write(w->fd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)sizeof(one) || errno == EAGAIN;   /* EAGAIN: counter full, readable */
}

void os_wake_drain(os_wake_t *w)
{
	uint64_t v;
	while (read(w->fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

void os_wake_destroy(os_wake_t *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}

const char *os_wake_kind(void)
{
	return "eventfd";
}
