/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wake-up seam (core/os/wake.h), whichever implementation configure
 * picked: signal makes the descriptor readable, signals coalesce, drain
 * clears them, and it wakes an event loop from another thread. */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <glib.h>

#include "os/event_loop.h"
#include "os/wake.h"

static gboolean readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_signal_drain(void)
{
	os_wake_t *w = os_wake_create();
	g_assert_nonnull(w);
	int fd = os_wake_fd(w);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	g_assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	g_assert_false(readable(fd));
	os_wake_drain(w);   /* nothing to drain: returns at once */
	g_assert_true(os_wake_signal(w));
	g_assert_true(readable(fd));
	os_wake_drain(w);
	g_assert_false(readable(fd));
	/* many signals, one drain */
	for (int i = 0; i < 10000; i++)
		g_assert_true(os_wake_signal(w));
	g_assert_true(readable(fd));
	os_wake_drain(w);
	g_assert_false(readable(fd));
	os_wake_destroy(w);
	os_wake_destroy(NULL);
}

static void *signal_later(void *arg)
{
	g_usleep(50000);
	g_assert_true(os_wake_signal(arg));
	return NULL;
}

static void test_wakes_loop(void)
{
	os_wake_t *w = os_wake_create();
	os_event_loop_t *l = os_event_loop_create();
	g_assert_true(os_event_loop_add(l, os_wake_fd(w), 5));
	pthread_t t;
	g_assert_cmpint(pthread_create(&t, NULL, signal_later, w), ==, 0);
	uint32_t tag = 0;
	g_assert_cmpint(os_event_loop_wait(l, &tag, 1, 10000), ==, 1);
	g_assert_cmpuint(tag, ==, 5);
	pthread_join(t, NULL);
	os_wake_drain(w);
	g_assert_cmpint(os_event_loop_wait(l, &tag, 1, 0), ==, 0);
	os_event_loop_destroy(l);
	os_wake_destroy(w);
	g_test_message("wake-up: %s", os_wake_kind());
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/wake/signal_drain", test_signal_drain);
	g_test_add_func("/os/wake/wakes_loop", test_wakes_loop);
	return g_test_run();
}
