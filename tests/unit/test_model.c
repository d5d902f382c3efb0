// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The scoring model on a profile with START, depth-1 folding, and the
 * shared window arithmetic in more cases, against values
 * worked out by hand (shown in the comments; log2 from a calculator).
 */
#include <string.h>

#include "profile.h"
#include "score.h"
#include "syscalls.h"
#include "syscfi.h"
#include "tap.h"
#include "backoff.h"

/* x86_64 numbers used below */
enum { READ = 0, MMAP = 9, BRK = 12, EXECVE = 59, WRITE = 1 };

/*
 * The hand profile (depth 2), N = 9:
 *   T1 (START, execve, brk)  1
 *   T2 (execve, brk, mmap)   3
 *   T3 (execve, brk, read)   1
 *   T4 (read, brk, mmap)     4
 * c1: brk 1, mmap 7, read 1.   c2: (execve,brk) 1, (brk,mmap) 7, (brk,read) 1.
 * ctx2: execve 1, brk 8.       ctx3: (START,execve) 1, (execve,brk) 4, (read,brk) 4.
 */
static struct sc_profile *hand_profile(int depth)
{
	struct sc_profile *p = sc_profile_new("hand", SC_ARCH_X86_64, depth);

	sc_profile_add(p, SC_START, EXECVE, BRK, 1);
	sc_profile_add(p, EXECVE, BRK, MMAP, 3);
	sc_profile_add(p, EXECVE, BRK, READ, 1);
	sc_profile_add(p, READ, BRK, MMAP, 4);
	return p;
}

static void test_costs(void)
{
	is(sc_cost_from_prob(1.0), 0, "P = 1 costs 0");
	is(sc_cost_from_prob(0.5), 256, "P = 1/2 costs 1 bit = 256");
	is(sc_cost_from_prob(0.25), 512, "P = 1/4 costs 512");
	/* -log2(0.75) = 0.415037 bit * 256 = 106.25 -> 106 */
	is(sc_cost_from_prob(0.75), 106, "P = 3/4 costs 106");
	/* -log2(0.1) = 3.321928 * 256 = 850.41 -> 850 */
	is(sc_cost_from_prob(0.1), 850, "P = 0.1 costs 850");
	is(sc_cost_from_prob(0.0), SC_COST_CAP, "P = 0 costs the cap");
	is(sc_cost_from_prob(-1.0), SC_COST_CAP, "P < 0 costs the cap");
	/* 2^-300: 300 bits * 256 = 76800 > 65535 */
	is(sc_cost_from_prob(0x1p-300), SC_COST_CAP, "P = 2^-300 is capped");
	/* 2^-255 = 65280, just under the cap */
	is(sc_cost_from_prob(0x1p-255), 65280, "P = 2^-255 costs 65280");
	is(sc_cost_from_prob(1.5), 0, "P > 1 (rounding) costs 0");
	is(sc_bits_to_cost(6.5), 1664, "6.5 bits = 1664");
	is(sc_bits_to_cost(0), 0, "0 bits = 0");
	is(sc_bits_to_cost(-3), 0, "negative bits = 0");
	ok(sc_cost_to_bits(384) == 1.5, "384 = 1.5 bits");
}

static void test_model(void)
{
	struct sc_profile *p = hand_profile(2);
	struct sc_model *m = sc_model_new(p);
	struct seen s = { 0 };

	/* known costs weigh a quarter of -log2 P (>> 2):
	 * T1: 0.80*1/1 + 0.15*1/1 + 0.05*1/9 = 0.955556 -> 0.065588 bit -> 16.79 -> 17 */
	is(sc_model_cost(m, SC_START, EXECVE, BRK), 17 >> 2, "T1 cost 17 >> 2");
	/* T2: 0.80*3/4 + 0.15*7/8 + 0.05*7/9 = 0.770139 -> 0.376809 bit -> 96.46 -> 96 */
	is(sc_model_cost(m, EXECVE, BRK, MMAP), 96 >> 2, "T2 cost 96 >> 2");
	/* T3: 0.80*1/4 + 0.15*1/8 + 0.05*1/9 = 0.224306 -> 2.156463 bit -> 552.05 -> 552 */
	is(sc_model_cost(m, EXECVE, BRK, READ), 552 >> 2, "T3 cost 552 >> 2");
	/* T4: 0.80*4/4 + 0.15*7/8 + 0.05*7/9 = 0.970139 -> 0.043737 bit -> 11.20 -> 11 */
	is(sc_model_cost(m, READ, BRK, MMAP), 11 >> 2, "T4 cost 11 >> 2");
	is(sc_model_unseen_cost(m), SC_COST_CAP, "unseen cost is the cap");

	is(sc_model_backoff(m, collect, &s), 0, "back-off iteration completes");
	/* 3 bigrams (execve,brk) (brk,mmap) (brk,read) + 3 unigrams brk mmap read */
	is(s.n, 6, "6 back-off entries");
	/* back-off entries add the escape, 16 bits = 4096, to -log2 P:
	 * 0.15*7/8 + 0.05*7/9 = 0.170139 -> 2.555215 bit -> 654.14 -> 654 + 4096 */
	is(found(&s, SC_ANY, BRK, MMAP), 4750, "bigram (brk, mmap) 654 + 4096");
	/* 0.15*1/8 + 0.05*1/9 = 0.024306 -> 5.362570 bit -> 1372.82 -> 1373 + 4096 */
	is(found(&s, SC_ANY, BRK, READ), 5469, "bigram (brk, read) 1373 + 4096");
	/* 0.15*1/1 + 0.05*1/9 = 0.155556 -> 2.684498 bit -> 687.23 -> 687 + 4096 */
	is(found(&s, SC_ANY, EXECVE, BRK), 4783, "bigram (execve, brk) 687 + 4096");
	/* 0.05*7/9 = 0.038889 -> 4.684498 bit -> 1199.23 -> 1199 + 4096 */
	is(found(&s, SC_ANY, SC_ANY, MMAP), 5295, "unigram mmap 1199 + 4096");
	/* 0.05*1/9 = 0.005556 -> 7.491853 bit -> 1917.91 -> 1918 + 4096 */
	is(found(&s, SC_ANY, SC_ANY, READ), 6014, "unigram read 1918 + 4096");
	is(found(&s, SC_ANY, SC_ANY, BRK), 6014, "unigram brk 1918 + 4096");
	is(found(&s, SC_ANY, SC_ANY, EXECVE), -1, "no unigram for a never-called execve");
	sc_model_free(m);
	sc_profile_free(p);
}

static void test_model_depth1(void)
{
	struct sc_profile *p = hand_profile(1);
	struct sc_model *m = sc_model_new(p);
	struct seen s = { 0 };

	/* rows become (execve,brk) 1, (brk,mmap) 3+4 = 7, (brk,read) 1 */
	is(p->ntrans, 3, "depth 1 folds a away: 3 transitions");
	is(sc_profile_count(p, READ, BRK, MMAP), 7, "depth 1 (brk, mmap) = 7 whatever a");
	/* 0.95*7/8 + 0.05*7/9 = 0.870139 -> 0.200682 bit -> 51.37 -> 51 */
	is(sc_model_cost(m, SC_ANY, BRK, MMAP), 51 >> 2, "depth 1 (brk, mmap) 51 >> 2");
	/* 0.95*1/8 + 0.05*1/9 = 0.124306 -> 3.008037 bit -> 770.06 -> 770 */
	is(sc_model_cost(m, SC_ANY, BRK, READ), 770 >> 2, "depth 1 (brk, read) 770 >> 2");
	sc_model_backoff(m, collect, &s);
	is(s.n, 3, "depth 1: unigram back-off entries only");
	is(found(&s, SC_ANY, BRK, MMAP), -1, "depth 1: no bigram back-off");
	/* 0.05*7/9 -> 1199, + the 4096 escape */
	is(found(&s, SC_ANY, SC_ANY, MMAP), 5295, "depth 1 unigram mmap 1199 + 4096");
	sc_model_free(m);
	sc_profile_free(p);
}

static void test_window(void)
{
	struct sc_score s;
	int fires = 0;

	/* window 4, threshold 100/syscall: thr_sum 400 */
	memset(&s, 0, sizeof(s));
	is(sc_score_push(&s, 100, 0, 4, 400), 0, "1st push: window not full");
	is(sc_score_push(&s, 100, 0, 4, 400), 0, "2nd push");
	is(sc_score_push(&s, 100, 0, 4, 400), 0, "3rd push");
	is(s.fill, 3, "fill 3 after 3 pushes");
	/* full: 100+100+100+101 = 401 > 400: rising edge */
	is(sc_score_push(&s, 101, 0, 4, 400), 1, "4th push 401 > 400 fires");
	is(s.sum, 401, "sum 401");
	is(s.pos, 0, "pos wrapped to 0");
	/* replaces the first 100: sum stays 401, still above: no new event */
	is(sc_score_push(&s, 100, 0, 4, 400), 0, "still above: edge trigger, no fire");
	/* replaces the second 100 with 0: 301 <= 400, falls below */
	is(sc_score_push(&s, 0, 0, 4, 400), 0, "falls to 301");
	is(s.above, 0, "below again");
	/* replaces the third 100 with 200: 0+... ring [100,0,200,101] = 401 */
	is(sc_score_push(&s, 200, 0, 4, 400), 1, "rises again to 401: fires");
	is(s.sum, 401, "sum 401 = 100+0+200+101");
	is(s.fill, 4, "fill stays at the window");
	/* equal to the threshold is not above it */
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 8; i++)
		fires += sc_score_push(&s, 100, 0, 4, 400);
	is(fires, 0, "a sum equal to thr_sum never fires");
	/* thr_sum 0 = no threshold */
	memset(&s, 0, sizeof(s));
	fires = 0;
	for (int i = 0; i < 10; i++)
		fires += sc_score_push(&s, SC_COST_CAP, 0, 4, 0);
	is(fires, 0, "no threshold: never fires");
	is(s.sum, 4 * SC_COST_CAP, "capped costs sum without overflow");
	/* window 0 means the default 32 */
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 40; i++)
		sc_score_push(&s, 1, 0, 0, 0);
	is(s.fill, SC_WINDOW_DEFAULT, "window 0 -> default 32");
	is(s.sum, 32, "sum over the default window");
	/* the largest window, filled with 1..70: last 64 are 7..70 */
	memset(&s, 0, sizeof(s));
	for (int i = 1; i <= 70; i++)
		sc_score_push(&s, i, 0, SC_WINDOW_MAX, 0);
	/* sum 7..70 = (7+70)*64/2 = 2464 */
	is(s.sum, 2464, "window 64 keeps the last 64 (sum 2464)");
	is(s.pos, 6, "pos after 70 pushes in 64 = 6");
	/* window 3 wraps pos 0,1,2,0 */
	memset(&s, 0, sizeof(s));
	sc_score_push(&s, 5, 0, 3, 0);
	sc_score_push(&s, 6, 0, 3, 0);
	sc_score_push(&s, 7, 0, 3, 0);
	is(s.pos, 0, "window 3: pos wraps after 3");
	sc_score_push(&s, 8, 0, 3, 0);
	is(s.sum, 21, "window 3: 6+7+8 = 21");
}

int main(void)
{
	test_costs();
	test_model();
	test_model_depth1();
	test_window();
	return tap_done();
}
