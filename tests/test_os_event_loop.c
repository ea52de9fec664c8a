/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event-loop seam (core/os/event_loop.h), whichever implementation
 * configure picked: tags, timeout, level triggering, adding from another
 * thread while the loop waits. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <glib.h>

#include "os/event_loop.h"

static void make_pipe(int p[2])
{
	g_assert_cmpint(pipe(p), ==, 0);
}

static void test_timeout(void)
{
	os_event_loop_t *l = os_event_loop_create();
	g_assert_nonnull(l);
	int p[2];
	make_pipe(p);
	g_assert_true(os_event_loop_add(l, p[0], 7));
	uint32_t tags[4];
	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(os_event_loop_wait(l, tags, 4, 50), ==, 0);
	/* at least the timeout (a loaded machine may take longer) */
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 45000);
	g_assert_cmpint(os_event_loop_wait(l, tags, 4, 0), ==, 0);
	os_event_loop_destroy(l);
	close(p[0]);
	close(p[1]);
}

/* a removed descriptor is no longer reported, the other one still is */
static void test_remove(void)
{
	os_event_loop_t *l = os_event_loop_create();
	int a[2], b[2];
	make_pipe(a);
	make_pipe(b);
	g_assert_true(os_event_loop_add(l, a[0], 1));
	g_assert_true(os_event_loop_add(l, b[0], 2));
	g_assert_cmpint(write(a[1], "x", 1), ==, 1);
	g_assert_cmpint(write(b[1], "x", 1), ==, 1);
	g_assert_true(os_event_loop_remove(l, a[0]));
	g_assert_false(os_event_loop_remove(l, a[0]));
	uint32_t tags[4];
	g_assert_cmpint(os_event_loop_wait(l, tags, 4, 1000), ==, 1);
	g_assert_cmpuint(tags[0], ==, 2);
	os_event_loop_destroy(l);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

static void test_tags(void)
{
	os_event_loop_t *l = os_event_loop_create();
	int a[2], b[2], c[2];
	make_pipe(a);
	make_pipe(b);
	make_pipe(c);
	g_assert_true(os_event_loop_add(l, a[0], 1));
	g_assert_true(os_event_loop_add(l, b[0], 0xffff0000u));
	g_assert_true(os_event_loop_add(l, c[0], UINT32_MAX));
	/* the same descriptor twice is refused, as epoll and kqueue do */
	g_assert_false(os_event_loop_add(l, a[0], 9));
	g_assert_cmpint(errno, ==, EEXIST);
	g_assert_cmpint(write(b[1], "x", 1), ==, 1);
	g_assert_cmpint(write(c[1], "x", 1), ==, 1);
	uint32_t tags[8];
	int n = os_event_loop_wait(l, tags, 8, 5000);
	g_assert_cmpint(n, ==, 2);
	gboolean seen_b = FALSE, seen_c = FALSE;
	for (int i = 0; i < n; i++) {
		seen_b |= tags[i] == 0xffff0000u;
		seen_c |= tags[i] == UINT32_MAX;
	}
	g_assert_true(seen_b && seen_c);
	/* level-triggered: unread input is reported again */
	n = os_event_loop_wait(l, tags, 8, 5000);
	g_assert_cmpint(n, ==, 2);
	/* max bounds the tags written; the other one comes next */
	n = os_event_loop_wait(l, tags, 1, 5000);
	g_assert_cmpint(n, ==, 1);
	char ch;
	g_assert_cmpint(read(b[0], &ch, 1), ==, 1);
	n = os_event_loop_wait(l, tags, 8, 5000);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpuint(tags[0], ==, UINT32_MAX);
	g_assert_cmpint(read(c[0], &ch, 1), ==, 1);
	g_assert_cmpint(os_event_loop_wait(l, tags, 8, 0), ==, 0);
	/* a hang-up counts as readable */
	close(a[1]);
	n = os_event_loop_wait(l, tags, 8, 5000);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpuint(tags[0], ==, 1);
	os_event_loop_destroy(l);
	int fds[] = { a[0], b[0], b[1], c[0], c[1] };
	for (unsigned i = 0; i < G_N_ELEMENTS(fds); i++)
		close(fds[i]);
}

typedef struct {
	os_event_loop_t *l;
	int fd;
} adder_t;

static void *add_later(void *arg)
{
	adder_t *a = arg;
	g_usleep(100000);   /* the main thread is waiting by then, usually */
	g_assert_true(os_event_loop_add(a->l, a->fd, 42));
	return NULL;
}

/* The data path adds a new device's queues to workers that wait. */
static void test_add_while_waiting(void)
{
	os_event_loop_t *l = os_event_loop_create();
	int p[2];
	make_pipe(p);
	g_assert_cmpint(write(p[1], "x", 1), ==, 1);   /* already readable when added */
	adder_t a = { l, p[0] };
	pthread_t t;
	g_assert_cmpint(pthread_create(&t, NULL, add_later, &a), ==, 0);
	uint32_t tags[4];
	int n;
	do
		n = os_event_loop_wait(l, tags, 4, 10000);
	while (n < 0 && errno == EINTR);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpuint(tags[0], ==, 42);
	pthread_join(t, NULL);
	os_event_loop_destroy(l);
	close(p[0]);
	close(p[1]);
}

static void test_kind(void)
{
	const char *k = os_event_loop_kind();
	g_assert_true(g_str_equal(k, "epoll") || g_str_equal(k, "kqueue") || g_str_equal(k, "poll"));
	g_test_message("event loop: %s", k);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/event_loop/kind", test_kind);
	g_test_add_func("/os/event_loop/timeout", test_timeout);
	g_test_add_func("/os/event_loop/tags", test_tags);
	g_test_add_func("/os/event_loop/remove", test_remove);
	g_test_add_func("/os/event_loop/add_while_waiting", test_add_while_waiting);
	return g_test_run();
}
