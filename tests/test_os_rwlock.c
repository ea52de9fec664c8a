/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rwlock seam (core/os/rwlock.h): the lock works for readers and
 * writers, and a writer that waits keeps new readers out (writer
 * preference: the SAD/SPD writers must not starve behind data-path
 * readers), with real threads. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <glib.h>

#include "os/rwlock.h"

static void test_basic(void)
{
	pthread_rwlock_t l;
	g_assert_cmpint(os_rwlock_init(&l), ==, 0);
	g_assert_cmpint(pthread_rwlock_rdlock(&l), ==, 0);
	g_assert_cmpint(pthread_rwlock_tryrdlock(&l), ==, 0);   /* readers share */
	g_assert_cmpint(pthread_rwlock_trywrlock(&l), ==, EBUSY);
	g_assert_cmpint(pthread_rwlock_unlock(&l), ==, 0);
	g_assert_cmpint(pthread_rwlock_unlock(&l), ==, 0);
	g_assert_cmpint(pthread_rwlock_wrlock(&l), ==, 0);
	g_assert_cmpint(pthread_rwlock_tryrdlock(&l), ==, EBUSY);
	g_assert_cmpint(pthread_rwlock_unlock(&l), ==, 0);
	g_assert_cmpint(pthread_rwlock_destroy(&l), ==, 0);
}

typedef struct {
	pthread_rwlock_t lock;
	gint got_write;
} shared_t;

static void *writer(void *arg)
{
	shared_t *s = arg;
	pthread_rwlock_wrlock(&s->lock);
	g_atomic_int_set(&s->got_write, 1);
	pthread_rwlock_unlock(&s->lock);
	return NULL;
}

static void *try_reader(void *arg)
{
	shared_t *s = arg;
	int rc = pthread_rwlock_tryrdlock(&s->lock);
	if (rc == 0)
		pthread_rwlock_unlock(&s->lock);
	return GINT_TO_POINTER(rc);
}

/* A reader holds the lock, a writer queues behind it: a new reader (in
 * another thread: a recursive read would be the caller's bug) must then
 * be refused. The writer's arrival cannot be observed directly, so the
 * new reader retries until refused, within a deadline. */
static void test_writer_preferred(void)
{
	shared_t s = { .got_write = 0 };
	g_assert_cmpint(os_rwlock_init(&s.lock), ==, 0);
	g_assert_cmpint(pthread_rwlock_rdlock(&s.lock), ==, 0);
	pthread_t w;
	g_assert_cmpint(pthread_create(&w, NULL, writer, &s), ==, 0);
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	int rc = 0;
	while (rc == 0 && g_get_monotonic_time() < deadline) {
		pthread_t r;
		void *res;
		g_assert_cmpint(pthread_create(&r, NULL, try_reader, &s), ==, 0);
		g_assert_cmpint(pthread_join(r, &res), ==, 0);
		rc = GPOINTER_TO_INT(res);
		if (rc == 0)
			g_usleep(1000);
	}
	g_assert_cmpint(rc, ==, EBUSY);
	g_assert_cmpint(g_atomic_int_get(&s.got_write), ==, 0);   /* the writer still waits for us */
	g_assert_cmpint(pthread_rwlock_unlock(&s.lock), ==, 0);
	g_assert_cmpint(pthread_join(w, NULL), ==, 0);
	g_assert_cmpint(g_atomic_int_get(&s.got_write), ==, 1);
	pthread_rwlock_destroy(&s.lock);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/rwlock/basic", test_basic);
	g_test_add_func("/os/rwlock/writer-preferred", test_writer_preferred);
	return g_test_run();
}
