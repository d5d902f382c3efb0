// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The scoring model and the shared integer score, against values worked
 * out by hand (the arithmetic is in the comments next to each check).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "syscfi.h"
#include "profile.h"
#include "score.h"
#include "tap.h"
#include "backoff.h"

static void test_cost_from_prob(void)
{
	is(sc_cost_from_prob(1.0), 0, "P=1 costs 0");
	is(sc_cost_from_prob(0.5), 256, "P=1/2 costs 1 bit = 256");
	is(sc_cost_from_prob(0.25), 512, "P=1/4 costs 2 bits = 512");
	/* -log2(0.1) = 3.32193 bits, * 256 = 850.41 -> 850 */
	is(sc_cost_from_prob(0.1), 850, "P=0.1 costs 850");
	is(sc_cost_from_prob(0.0), SC_COST_CAP, "P=0 costs the cap");
	is(sc_cost_from_prob(NAN), SC_COST_CAP, "P=NaN costs the cap");
	/* 2^-255: 255 * 256 = 65280 fits; 2^-256: 65536 does not */
	is(sc_cost_from_prob(ldexp(1, -255)), 65280, "P=2^-255 costs 65280");
	is(sc_cost_from_prob(ldexp(1, -256)), SC_COST_CAP, "P=2^-256 is capped");
	is(sc_bits_to_cost(6.5), 1664, "6.5 bits = 1664 (6.5 * 256)");
	is(sc_bits_to_cost(0), 0, "0 bits = 0");
	ok(sc_cost_to_bits(1664) == 6.5, "1664 = 6.5 bits");
}

/*
 * Depth 2, symbols read=0, open=2, close=3, fstat=5, write=1:
 *   (read, write, open) 1   (read, write, close) 1   (fstat, write, open) 2
 * N = 4; c1(open) = 3, c1(close) = 1; c2(write, open) = 3,
 * c2(write, close) = 1, ctx2(write) = 4; ctx3(read, write) = 2,
 * ctx3(fstat, write) = 2.
 */
static void test_model_depth2(void)
{
	struct sc_profile *p = sc_profile_new("t", 0, 2);
	struct sc_model *m;
	struct seen s = { .n = 0 };

	sc_profile_add(p, 0, 1, 2, 1);
	sc_profile_add(p, 0, 1, 3, 1);
	sc_profile_add(p, 5, 1, 2, 2);
	m = sc_model_new(p);
	ok(m != NULL, "model of a depth-2 profile");
	/* known costs weigh a quarter of -log2 P (>> 2):
	 * 0.8*1/2 + 0.15*3/4 + 0.05*3/4 = 0.55; -log2 0.55 = 0.86250 -> 220.80 -> 221 */
	is(sc_model_cost(m, 0, 1, 2), 221 >> 2, "cost (read, write, open) = 221 >> 2");
	/* 0.8*1/2 + 0.15*1/4 + 0.05*1/4 = 0.45; 1.15200 bits -> 294.91 -> 295 */
	is(sc_model_cost(m, 0, 1, 3), 295 >> 2, "cost (read, write, close) = 295 >> 2");
	/* 0.8*2/2 + 0.15*3/4 + 0.05*3/4 = 0.95; 0.07400 bits -> 18.94 -> 19 */
	is(sc_model_cost(m, 5, 1, 2), 19 >> 2, "cost (fstat, write, open) = 19 >> 2");
	is(sc_model_backoff(m, collect, &s), 0, "back-off iteration");
	is(s.n, 4, "2 bigram + 2 unigram back-off entries");
	/* back-off entries: -log2 P + the 16-bit escape (4096)
	 * bigram: 0.15*3/4 + 0.05*3/4 = 0.15; 2.73697 bits -> 700.66 -> 701 + 4096 */
	is(found(&s, SC_ANY, 1, 2), 4797, "back-off (ANY, write, open) = 701 + 4096");
	/* 0.15*1/4 + 0.05*1/4 = 0.05; 4.32193 bits -> 1106.41 -> 1106 + 4096 */
	is(found(&s, SC_ANY, 1, 3), 5202, "back-off (ANY, write, close) = 1106 + 4096");
	/* unigram: 0.05*3/4 = 0.0375; 4.73697 bits -> 1212.66 -> 1213 + 4096 */
	is(found(&s, SC_ANY, SC_ANY, 2), 5309, "back-off (ANY, ANY, open) = 1213 + 4096");
	/* 0.05*1/4 = 0.0125; 6.32193 bits -> 1618.41 -> 1618 + 4096 */
	is(found(&s, SC_ANY, SC_ANY, 3), 5714, "back-off (ANY, ANY, close) = 1618 + 4096");
	is(found(&s, SC_ANY, 5, 1), -1, "no back-off entry for an unseen bigram");
	is(sc_model_unseen_cost(m), SC_COST_CAP, "unseen cost is the cap");
	sc_model_free(m);
	sc_profile_free(p);
}

/* a handler's transitions, from (SIGNAL, SIGNAL), are costed as any
 * other: the model's symbols include the SIGNAL sentinel */
static void test_model_signal(void)
{
	struct sc_profile *p = sc_profile_new("t", 0, 2);
	struct sc_model *m;

	sc_profile_add(p, SC_SIGNAL, SC_SIGNAL, 1, 1);
	sc_profile_add(p, SC_SIGNAL, 1, 15, 1);
	sc_profile_add(p, 0, 1, 2, 2);
	m = sc_model_new(p);
	ok(m != NULL, "model of a profile with a handler");
	/* 0.8*1/1 + 0.15*1/1 + 0.05*1/4 = 0.9625; 0.05514 bits -> 14.1 -> 14 */
	is(sc_model_cost(m, SC_SIGNAL, SC_SIGNAL, 1), 14 >> 2,
	   "cost (SIGNAL, SIGNAL, write) = 14 >> 2, not the cap");
	/* 0.8*1/1 + 0.15*1/3 + 0.05*1/4 = 0.8625; 0.21341 bits -> 54.6 -> 55 */
	is(sc_model_cost(m, SC_SIGNAL, 1, 15), 55 >> 2,
	   "cost (SIGNAL, write, rt_sigreturn) = 55 >> 2");
	sc_model_free(m);
	sc_profile_free(p);
}

/*
 * Depth 1: (write, open) 3, (write, close) 1.  N = 4, ctx2(write) = 4.
 * Known costs use 0.95*c2/ctx2 + 0.05*c1/N; only unigram back-off.
 */
static void test_model_depth1(void)
{
	struct sc_profile *p = sc_profile_new("t", 0, 1);
	struct sc_model *m;
	struct seen s = { .n = 0 };

	sc_profile_add(p, SC_ANY, 1, 2, 3);
	sc_profile_add(p, SC_ANY, 1, 3, 1);
	m = sc_model_new(p);
	/* 0.95*3/4 + 0.05*3/4 = 0.75; 0.41504 bits -> 106.25 -> 106 */
	is(sc_model_cost(m, SC_ANY, 1, 2), 106 >> 2, "depth 1: cost (write, open) = 106 >> 2");
	/* 0.95*1/4 + 0.05*1/4 = 0.25: exactly 2 bits = 512 */
	is(sc_model_cost(m, SC_ANY, 1, 3), 512 >> 2, "depth 1: cost (write, close) = 512 >> 2");
	sc_model_backoff(m, collect, &s);
	is(s.n, 2, "depth 1: only unigram back-off entries");
	/* the unigrams of depth 2 above, escape included */
	is(found(&s, SC_ANY, SC_ANY, 2), 5309, "depth 1: (ANY, ANY, open) = 1213 + 4096");
	is(found(&s, SC_ANY, SC_ANY, 3), 5714, "depth 1: (ANY, ANY, close) = 1618 + 4096");
	sc_model_free(m);
	sc_profile_free(p);
}

/* push a list of costs, return the fire flags as a bit string (1st = bit 0) */
static unsigned push_all(struct sc_score *s, const uint16_t *c, int n,
			 uint32_t window, uint32_t thr_sum)
{
	unsigned fired = 0;

	for (int i = 0; i < n; i++)
		if (sc_score_push(s, c[i], 0, window, thr_sum))
			fired |= 1u << i;
	return fired;
}

static void test_score_push(void)
{
	struct sc_score s;
	/* window 4, threshold 100 (in 1/256 bit) -> thr_sum 400 */
	const uint16_t c[] = { 100, 100, 100, 100, 101, 200, 0, 0, 300 };
	unsigned fired;

	memset(&s, 0, sizeof(s));
	fired = push_all(&s, c, 9, 4, 400);
	/*
	 * ring after each push (sum):
	 *  1-3 [100 100 100 -] not full           no
	 *  4   [100 100 100 100] 400, not > 400   no
	 *  5   [101 100 100 100] 401 rises        FIRE (bit 4)
	 *  6   [101 200 100 100] 501 still above  no (edge trigger)
	 *  7   [101 200 0 100]   401 still above  no
	 *  8   [101 200 0 0]     301 falls        no
	 *  9   [300 200 0 0]     500 rises again  FIRE (bit 8)
	 */
	is(fired, (1u << 4) | (1u << 8), "edge trigger fires on pushes 5 and 9");
	is(s.sum, 500, "window sum after wrap = 500");
	is(s.fill, 4, "fill stops at the window");
	is(s.pos, 1, "position wrapped: 9 pushes mod 4 = 1");
	ok(s.above == 1, "above flag set while over the threshold");

	memset(&s, 0, sizeof(s));
	is(push_all(&s, c, 9, 4, 0), 0, "thr_sum 0 never fires");
	is(s.sum, 500, "the sum is kept without a threshold too");

	/* a window that is not full never fires, however high the costs */
	memset(&s, 0, sizeof(s));
	fired = 0;
	for (int i = 0; i < 63; i++)
		fired |= sc_score_push(&s, SC_COST_CAP, 0, 64, 1);
	is(fired, 0, "63 capped costs in a window of 64: no alert yet");
	is(sc_score_push(&s, SC_COST_CAP, 0, 64, 1), 1, "the 64th fills it: alert");
	is(s.sum, 64u * SC_COST_CAP, "sum of 64 capped costs does not overflow");

	/* window 0 or too large falls back to the default (32) */
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 40; i++)
		sc_score_push(&s, 1, 0, 0, 0);
	is(s.fill, SC_WINDOW_DEFAULT, "window 0 means the default window");
	is(s.sum, SC_WINDOW_DEFAULT, "default window sums its last 32 costs");

	/* window 1: every push replaces the one before */
	memset(&s, 0, sizeof(s));
	is(sc_score_push(&s, 10, 0, 1, 5), 1, "window 1: 10 > 5 fires at once");
	is(sc_score_push(&s, 3, 0, 1, 5), 0, "window 1: 3 falls below");
	is(s.sum, 3, "window 1: the sum is the last cost");
	is(sc_score_push(&s, 6, 0, 1, 5), 1, "window 1: 6 rises again");
}

/* a step that fills the window weighs window * cost while it is in it */
static void test_score_fills(void)
{
	struct sc_score s;
	int fired = 0;

	memset(&s, 0, sizeof(s));
	sc_score_push(&s, 1, 0, 4, 0);
	sc_score_push(&s, SC_COST_CAP, 1, 4, 0);
	is(s.sum, 1 + 4u * SC_COST_CAP, "filling step: 4 * its cost in a window of 4");
	is(s.nfull, 1, "one filling step in the window");
	ok(sc_score_short_sum(&s, 4) > 4u * SC_COST_CAP,
	   "a short binding's mean is above the cap too");
	sc_score_push(&s, 2, 0, 4, 0);
	sc_score_push(&s, 3, 0, 4, 0);
	is(s.sum, 6 + 4u * SC_COST_CAP, "still in the window");
	sc_score_push(&s, 4, 0, 4, 0);
	is(s.sum, 2 + 3 + 4 + 4u * SC_COST_CAP, "the first step leaves, the filling one stays");
	sc_score_push(&s, 5, 0, 4, 0);
	is(s.sum, 2 + 3 + 4 + 5, "the filling step leaves with its whole weight");
	is(s.nfull, 0, "no filling step left");
	is(s.full[0] | s.full[1], 0, "its mark is cleared");

	/* the largest window full of them: no overflow; each leaves */
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < SC_WINDOW_MAX; i++)
		sc_score_push(&s, SC_COST_CAP, 1, SC_WINDOW_MAX, 0);
	is(s.sum, (__u32)SC_WINDOW_MAX * SC_WINDOW_MAX * SC_COST_CAP,
	   "64 filling caps in a window of 64: no overflow");
	is(s.nfull, SC_WINDOW_MAX, "64 marks");
	for (int i = 0; i < SC_WINDOW_MAX; i++)
		sc_score_push(&s, 0, 0, SC_WINDOW_MAX, 0);
	is(s.sum, 0, "all of them left");
	is(s.nfull, 0, "and their marks");

	/* at the cap, it crosses a threshold just below the cap, on a
	 * window otherwise of zeros */
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 31; i++)
		fired |= sc_score_push(&s, 0, 0, 32, 32u * (SC_COST_CAP - 1));
	is(fired, 0, "31 zero costs: no alert");
	is(sc_score_push(&s, SC_COST_CAP, 1, 32, 32u * (SC_COST_CAP - 1)), 1,
	   "one filling cap: the window's mean is the cap, above the threshold");
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 31; i++)
		sc_score_push(&s, 0, 0, 32, 32u * 8 * SC_COST_ONE);
	is(sc_score_push(&s, SC_COST_CAP, 0, 32, 32u * 8 * SC_COST_ONE), 0,
	   "the same cap not filling: mean 8 bits, not above 8");
}

int main(void)
{
	test_cost_from_prob();
	test_model_depth2();
	test_model_signal();
	test_model_depth1();
	test_score_push();
	test_score_fills();
	return tap_done();
}
