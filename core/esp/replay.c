/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Anti-replay window (RFC 4303 3.4.3, Appendix A) kept as a bitmap ring
 * (RFC 6479): bit (seq mod ring size) records seq; moving the window
 * forward clears whole words instead of shifting the map. The ring holds
 * one word more than the window so the word being cleared never holds a
 * bit still inside the window. */
#include "config.h"
#include <stdlib.h>
#include "esp/replay.h"

bool replay_init(replay_t *r, uint32_t window, bool esn)
{
	r->top = 0;
	r->window = window;
	r->esn = esn;
	r->bitmap = NULL;
	r->words = 0;
	if (window > REPLAY_WINDOW_MAX)
		return false;
	if (window == 0)
		return true;
	uint32_t need = (window + 63) / 64 + 1;
	uint32_t words = 1;
	while (words < need)
		words <<= 1;
	r->bitmap = calloc(words, sizeof(uint64_t));
	if (!r->bitmap)
		return false;
	r->words = words;
	return true;
}

void replay_free(replay_t *r)
{
	free(r->bitmap);
	r->bitmap = NULL;
	r->words = 0;
}

uint64_t replay_infer(const replay_t *r, uint32_t seq_lo)
{
	if (!r->esn)
		return seq_lo;
	uint32_t w = r->window ? r->window : REPLAY_WINDOW_DEFAULT;
	uint32_t tl = (uint32_t)r->top;
	uint64_t th = r->top >> 32;
	uint32_t bottom = tl - w + 1;   /* wraps when the window spans the epoch start */
	if (tl >= w - 1) {
		/* Window inside one epoch: anything below it is from the next one. */
		if (seq_lo >= bottom)
			return th << 32 | seq_lo;
		return (th + 1) << 32 | seq_lo;
	}
	/* Window spans the epoch boundary: big values belong to the previous
	 * epoch (there is none before epoch 0). */
	if (seq_lo >= bottom && th > 0)
		return (th - 1) << 32 | seq_lo;
	return th << 32 | seq_lo;
}

static inline uint64_t *bit_word(const replay_t *r, uint64_t seq, uint64_t *mask)
{
	uint64_t bit = seq & ((uint64_t)r->words * 64 - 1);
	*mask = 1ull << (bit & 63);
	return &r->bitmap[bit >> 6];
}

replay_verdict_t replay_check(const replay_t *r, uint64_t seq)
{
	if (seq == 0)
		return REPLAY_ZERO;
	if (r->window == 0 || seq > r->top)
		return REPLAY_OK;
	if (r->top - seq >= r->window)
		return REPLAY_TOO_OLD;
	uint64_t mask;
	const uint64_t *word = bit_word(r, seq, &mask);
	return (*word & mask) ? REPLAY_DUPLICATE : REPLAY_OK;
}

replay_verdict_t replay_update(replay_t *r, uint64_t seq)
{
	replay_verdict_t v = replay_check(r, seq);
	if (v != REPLAY_OK)
		return v;
	if (r->window == 0) {
		if (seq > r->top)
			r->top = seq;
		return REPLAY_OK;
	}
	if (seq > r->top) {
		/* Clear the words between the old top's word and seq's word. */
		uint64_t old_word = r->top >> 6, new_word = seq >> 6;
		uint64_t diff = new_word - old_word;
		if (diff > r->words)
			diff = r->words;
		for (uint64_t i = 1; i <= diff; i++)
			r->bitmap[(old_word + i) & (r->words - 1)] = 0;
		r->top = seq;
	}
	uint64_t mask;
	uint64_t *word = bit_word(r, seq, &mask);
	*word |= mask;
	return REPLAY_OK;
}

void replay_copy(replay_t *dst, const replay_t *src)
{
	dst->top = src->top;
	if (!dst->window)
		return;
	if (src->window == dst->window) {
		for (uint32_t i = 0; i < dst->words; i++)   /* same ring: same bit positions */
			dst->bitmap[i] = src->bitmap[i];
		return;
	}
	/* Another size: a number src would refuse (seen, left of its window,
	 * or unknown because src did not check) stays refused. */
	for (uint64_t seq = src->top; seq > 0 && src->top - seq < dst->window; seq--) {
		uint64_t m_src, m_dst;
		bool refused = !src->window || src->top - seq >= src->window ||
		               (*bit_word(src, seq, &m_src) & m_src);
		if (refused)
			*bit_word(dst, seq, &m_dst) |= m_dst;
	}
}
