/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Wake-up seam, portable: a self-pipe, both ends non-blocking and
 * close-on-exec (pipe + fcntl: macOS has no pipe2). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "os/wake.h"

struct os_wake {
	int rd, wr;
};

static bool set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int fdfl = fcntl(fd, F_GETFD);
	return fl >= 0 && fdfl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
	       fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) == 0;
}

os_wake_t *os_wake_create(void)
{
	os_wake_t *w = malloc(sizeof(*w));
	int p[2];
	if (!w)
		return NULL;
	if (pipe(p) < 0) {
		int e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	if (!set_flags(p[0]) || !set_flags(p[1])) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		free(w);
		errno = e;
		return NULL;
	}
	w->rd = p[0];
	w->wr = p[1];
	return w;
}

int os_wake_fd(const os_wake_t *w)
{
	return w->rd;
}

bool os_wake_signal(os_wake_t *w)
{
	const char one = 1;
	ssize_t r;
	do
		r = write(w->wr, &one, 1);
	while (r < 0 && errno == EINTR);
	return r == 1 || errno == EAGAIN;   /* EAGAIN: the pipe is full, so readable */
}

void os_wake_drain(os_wake_t *w)
{
	char buf[256];
	for (;;) {
		ssize_t r = read(w->rd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < (ssize_t)sizeof(buf))
			break;
	}
}

void os_wake_destroy(os_wake_t *w)
{
	if (!w)
		return;
	close(w->rd);
	close(w->wr);
	free(w);
}

const char *os_wake_kind(void)
{
	return "pipe";
}
