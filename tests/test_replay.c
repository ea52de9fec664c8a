/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Anti-replay window: duplicates, window edges, huge jumps, ESN inference
 * across 2^32 both ways, sequence number 0. */
#include "config.h"
#include <glib.h>
#include "esp/replay.h"

/* Check and, when fresh, record (what the decap path does around the ICV). */
static replay_verdict_t rx(replay_t *r, uint64_t seq)
{
	replay_verdict_t v = replay_check(r, seq);
	if (v == REPLAY_OK)
		g_assert_cmpint(replay_update(r, seq), ==, REPLAY_OK);
	return v;
}

static void test_basic(void)
{
	replay_t r;
	g_assert_true(replay_init(&r, 64, false));
	g_assert_cmpint(rx(&r, 0), ==, REPLAY_ZERO);
	g_assert_cmpint(rx(&r, 1), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 1), ==, REPLAY_DUPLICATE);
	g_assert_cmpint(rx(&r, 3), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 2), ==, REPLAY_OK);    /* reordered, inside */
	g_assert_cmpint(rx(&r, 2), ==, REPLAY_DUPLICATE);
	g_assert_cmpint(rx(&r, 100), ==, REPLAY_OK);
	/* window [37, 100]: 37 is the oldest acceptable, 36 too old */
	g_assert_cmpint(rx(&r, 36), ==, REPLAY_TOO_OLD);
	g_assert_cmpint(rx(&r, 37), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 37), ==, REPLAY_DUPLICATE);
	g_assert_cmpint(rx(&r, 99), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 100), ==, REPLAY_DUPLICATE);
	replay_free(&r);
}

/* Every window size: everything inside accepted once, the edge exact. */
static void test_edges(void)
{
	const uint32_t sizes[] = { 1, 32, 63, 64, 65, 128, 1000, 1024, 4096, 65536 };
	for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
		uint32_t w = sizes[s];
		replay_t r;
		g_assert_true(replay_init(&r, w, false));
		uint64_t top = 3ull * w + 1000;
		g_assert_cmpint(rx(&r, top), ==, REPLAY_OK);
		for (uint64_t q = top - 1; q > top - w; q--)
			g_assert_cmpint(rx(&r, q), ==, REPLAY_OK);
		for (uint64_t q = top; q > top - w; q--)
			g_assert_cmpint(rx(&r, q), ==, REPLAY_DUPLICATE);
		g_assert_cmpint(rx(&r, top - w), ==, REPLAY_TOO_OLD);
		/* slide by one: the oldest drops out, a new one is fresh */
		g_assert_cmpint(rx(&r, top + 1), ==, REPLAY_OK);
		g_assert_cmpint(rx(&r, top - w + 1), ==, REPLAY_TOO_OLD);
		g_assert_cmpint(rx(&r, top - w + 2), ==, REPLAY_DUPLICATE);   /* w == 1: that is top + 1 */
		replay_free(&r);
	}
	replay_t r;
	g_assert_false(replay_init(&r, REPLAY_WINDOW_MAX + 1, false));
}

/* A jump far beyond the window clears the ring entirely. */
static void test_huge_jump(void)
{
	replay_t r;
	g_assert_true(replay_init(&r, 1024, false));
	for (uint64_t q = 1; q <= 2000; q++)
		g_assert_cmpint(rx(&r, q), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 3000000000u), ==, REPLAY_OK);
	/* Every slot of the ring must read as free for the new window. */
	for (uint64_t q = 3000000000u - 1; q > 3000000000u - 1024; q--)
		g_assert_cmpint(rx(&r, q), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 2000), ==, REPLAY_TOO_OLD);
	/* just-ahead jumps of exactly a ring's worth */
	uint64_t base = 3000000000u;
	for (int i = 1; i <= 5; i++) {
		uint64_t q = base + (uint64_t)i * r.words * 64;
		g_assert_cmpint(rx(&r, q), ==, REPLAY_OK);
		g_assert_cmpint(rx(&r, q - 1), ==, REPLAY_OK);
		g_assert_cmpint(rx(&r, q - 1), ==, REPLAY_DUPLICATE);
	}
	replay_free(&r);
}

static void test_off(void)
{
	replay_t r;
	g_assert_true(replay_init(&r, 0, false));
	g_assert_cmpint(rx(&r, 5), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 5), ==, REPLAY_OK);     /* duplicates pass: check is off */
	g_assert_cmpint(rx(&r, 1), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, 0), ==, REPLAY_ZERO);   /* 0 is never valid */
	replay_free(&r);
}

/* RFC 4303 Appendix A2: inference of the high 32 bits. */
static void test_esn(void)
{
	replay_t r;
	g_assert_true(replay_init(&r, 128, true));
	/* Start just below 2^32. */
	uint64_t top = 0xffffffffull - 10;
	g_assert_cmpint(rx(&r, top), ==, REPLAY_OK);
	/* Crossing upwards: small seq_lo belongs to the next epoch. */
	g_assert_cmphex(replay_infer(&r, 5), ==, 0x100000005ull);
	g_assert_cmphex(replay_infer(&r, 0xfffffffa), ==, 0xfffffffaull);
	g_assert_cmpint(rx(&r, replay_infer(&r, 5)), ==, REPLAY_OK);
	g_assert_cmphex(r.top, ==, 0x100000005ull);
	/* Crossing downwards: a late packet from the previous epoch, in window. */
	g_assert_cmphex(replay_infer(&r, 0xfffffff0), ==, 0xfffffff0ull);
	g_assert_cmpint(rx(&r, replay_infer(&r, 0xfffffff0)), ==, REPLAY_OK);
	g_assert_cmpint(rx(&r, replay_infer(&r, 0xfffffff0)), ==, REPLAY_DUPLICATE);
	g_assert_cmpint(rx(&r, replay_infer(&r, 0xffffffff)), ==, REPLAY_OK);
	/* seq_lo 0 in epoch 1 is 2^32: valid with ESN */
	g_assert_cmphex(replay_infer(&r, 0), ==, 0x100000000ull);
	g_assert_cmpint(rx(&r, replay_infer(&r, 0)), ==, REPLAY_OK);
	/* Left of a window that spans the boundary: A2.2 takes it as the next
	 * epoch (the ICV then fails, the window is not touched before that). */
	g_assert_cmphex(replay_infer(&r, 0xffffff00), ==, 0x1ffffff00ull);
	/* A 64-bit number left of the window is too old. */
	g_assert_cmpint(rx(&r, 0xffffff00ull), ==, REPLAY_TOO_OLD);
	/* Move well into epoch 1; then small numbers stay in epoch 1 and big
	 * ones below the window are taken as epoch 2 (and would fail the ICV). */
	g_assert_cmpint(rx(&r, replay_infer(&r, 100000)), ==, REPLAY_OK);
	g_assert_cmphex(replay_infer(&r, 99990), ==, 0x100000000ull + 99990);
	g_assert_cmphex(replay_infer(&r, 5), ==, 0x200000005ull);
	g_assert_cmphex(replay_infer(&r, 0xfffffff0), ==, 0x1fffffff0ull);
	replay_free(&r);

	/* Epoch 0 start: big values never map to a negative epoch. */
	g_assert_true(replay_init(&r, 1024, true));
	g_assert_cmphex(replay_infer(&r, 0xfffffff0), ==, 0xfffffff0ull);
	g_assert_cmpint(rx(&r, replay_infer(&r, 0)), ==, REPLAY_ZERO);
	replay_free(&r);

	/* Without ESN: no inference, seq 0 rejected. */
	g_assert_true(replay_init(&r, 1024, false));
	g_assert_cmphex(replay_infer(&r, 0), ==, 0);
	g_assert_cmpint(rx(&r, 0), ==, REPLAY_ZERO);
	g_assert_cmpint(rx(&r, 0xffffffff), ==, REPLAY_OK);
	replay_free(&r);
}

/* Random reordering within the window against a reference set. */
static void test_random(void)
{
	replay_t r;
	g_assert_true(replay_init(&r, 256, true));
	GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
	GRand *rnd = g_rand_new_with_seed(42);
	uint64_t top = 0xfffff000ull, *keys = g_new(uint64_t, 20000);
	for (int i = 0; i < 20000; i++) {
		uint64_t q = top + (uint64_t)g_rand_int_range(rnd, 0, 400) - 300;
		if (q > top)
			top = q;
		keys[i] = q;
		replay_verdict_t want = r.top >= q && r.top - q >= 256 ? REPLAY_TOO_OLD
		                        : g_hash_table_contains(seen, &keys[i]) ? REPLAY_DUPLICATE : REPLAY_OK;
		/* Inference is exact inside the window and beyond it; older
		 * numbers are taken as from the future (and fail the ICV). */
		uint64_t inferred = replay_infer(&r, (uint32_t)q);
		if (want != REPLAY_TOO_OLD)
			g_assert_cmphex(inferred, ==, q);
		replay_verdict_t got = rx(&r, q);
		g_assert_cmpint(got, ==, want);
		if (got == REPLAY_OK)
			g_hash_table_add(seen, &keys[i]);
	}
	g_assert_cmphex(r.top >> 32, ==, 1);   /* crossed 2^32 on the way */
	g_rand_free(rnd);
	g_hash_table_destroy(seen);
	g_free(keys);
	replay_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/replay/basic", test_basic);
	g_test_add_func("/replay/edges", test_edges);
	g_test_add_func("/replay/huge-jump", test_huge_jump);
	g_test_add_func("/replay/off", test_off);
	g_test_add_func("/replay/esn", test_esn);
	g_test_add_func("/replay/random", test_random);
	return g_test_run();
}
