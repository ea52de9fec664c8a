/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Anti-replay window with extended sequence numbers (RFC 4303 3.4.3 and
 * Appendix A), as a bitmap ring (RFC 6479): no shifting, O(1) per packet.
 * Not thread safe; the SA serialises access (sa.h). */
#ifndef UIPSEC_CORE_REPLAY_H
#define UIPSEC_CORE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_DEFAULT 1024
#define REPLAY_WINDOW_MAX 65536

typedef enum replay_verdict {
	REPLAY_OK = 0,
	REPLAY_DUPLICATE,    /* seen already */
	REPLAY_TOO_OLD,      /* left of the window */
	REPLAY_ZERO,         /* sequence number 0 is never sent */
} replay_verdict_t;

typedef struct replay {
	uint64_t top;        /* highest verified sequence number (64-bit with ESN) */
	uint32_t window;     /* configured size, 0 = check off */
	uint32_t words;      /* bitmap size in 64-bit words (power of two) */
	bool esn;
	uint64_t *bitmap;
} replay_t;

/* window 0 disables the check (sequence numbers are still inferred with ESN,
 * using REPLAY_WINDOW_DEFAULT as the inference window). Returns false for a
 * window above REPLAY_WINDOW_MAX or out of memory. */
bool replay_init(replay_t *r, uint32_t window, bool esn);
void replay_free(replay_t *r);

/* Infer the full sequence number of a received 32-bit one (Appendix A2.2;
 * without ESN it is seq_lo itself). */
uint64_t replay_infer(const replay_t *r, uint32_t seq_lo);
/* Before the ICV check: may seq (from replay_infer) be accepted? */
replay_verdict_t replay_check(const replay_t *r, uint64_t seq);
/* After the ICV verified: record seq (check again, the window may have
 * moved meanwhile). Returns the verdict; only REPLAY_OK records. */
replay_verdict_t replay_update(replay_t *r, uint64_t seq);
/* Continue src in dst (a fresh window, possibly of another size): dst
 * takes src's top, and every number src would refuse (seen, too old, or
 * unknown when src did not check) is refused by dst as well. */
void replay_copy(replay_t *dst, const replay_t *src);

#endif
