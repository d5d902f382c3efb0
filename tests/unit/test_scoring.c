// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The chosen model end to end (docs/scoring.md): a numeric sequence
 * replayed through the compiled table and the shared sc_score_push gives
 * the window sum worked out here by hand from the counts: known
 * transitions, bigram and unigram back-off (with the 16-bit escape),
 * the unseen cap, the sliding window and the anomaly edge.
 */
#include <stdio.h>
#include <string.h>

#include "profile.h"
#include "replay.h"
#include "syscalls.h"
#include "table.h"
#include "tap.h"

enum { READ = 0, WRITE = 1, OPEN = 2, CLOSE = 3, EXIT_GROUP = 231 };

/*
 * Counts, as a numeric trace (start state (START, START)) would give them:
 *   (START, START, open) 2   (START, open, read) 2   (open, read, read) 1
 *   (open, read, close) 1    (read, read, close) 1   (read, close, write) 2
 * N = 9; c1: open 2, read 3, close 2, write 2.
 * c2: (START, open) 2, (open, read) 2, (read, read) 1, (read, close) 2,
 *     (close, write) 2; ctx2: START 2, open 2, read 3, close 2, write 0.
 * ctx3: (START, START) 2, (START, open) 2, (open, read) 2, (read, read) 1,
 *       (read, close) 2.
 */
static struct sc_profile *profile(int window, double threshold)
{
	struct sc_profile *p = sc_profile_new("seq", SC_ARCH_X86_64, 2);

	sc_profile_add(p, SC_START, SC_START, OPEN, 2);
	sc_profile_add(p, SC_START, OPEN, READ, 2);
	sc_profile_add(p, OPEN, READ, READ, 1);
	sc_profile_add(p, OPEN, READ, CLOSE, 1);
	sc_profile_add(p, READ, READ, CLOSE, 1);
	sc_profile_add(p, READ, CLOSE, WRITE, 2);
	p->window = window;
	if (threshold > 0) {
		p->has_threshold = true;
		p->threshold = threshold;
	}
	return p;
}

static const long seq[8] = { OPEN, READ, CLOSE, WRITE, READ, OPEN, READ, EXIT_GROUP };

/*
 * Cost of each step, -log2 P in 1/256 bit rounded; a known step weighs a
 * quarter of it (>> 2), a back-off entry costs it + 4096:
 * 1 (START, START) -> open, known: 0.8*2/2 + 0.15*2/2 + 0.05*2/9
 *   = 0.961111 -> 0.057225 bit -> 14.65 -> 15 >> 2 = 3
 * 2 (START, open) -> read, known: 0.8 + 0.15 + 0.05*3/9 = 0.966667
 *   -> 0.048910 bit -> 12.52 -> 13 >> 2 = 3
 * 3 (open, read) -> close, known: 0.8*1/2 + 0.15*2/3 + 0.05*2/9
 *   = 0.511111 -> 0.968291 bit -> 247.88 -> 248 >> 2 = 62
 * 4 (read, close) -> write, known: as step 1 -> 3
 * 5 (close, write) -> read: unseen, write never a context (no bigram):
 *   unigram 0.05*3/9 = 0.016667 -> 5.906891 bit -> 1512 + 4096 = 5608
 * 6 (write, read) -> open: unseen, bigram (read, open) unseen: unigram
 *   0.05*2/9 = 0.011111 -> 6.491853 bit -> 1662 + 4096 = 5758
 * 7 (read, open) -> read: unseen trigram, bigram (open, read) seen:
 *   0.15*2/2 + 0.05*3/9 = 0.166667 -> 2.584963 bit -> 662 + 4096 = 4758
 * 8 (open, read) -> exit_group: never made: the unseen cap 65535
 */
static const uint16_t want_cost[8] = { 3, 3, 62, 3, 5608, 5758, 4758, 65535 };
static const int want_known[8] = { 1, 1, 1, 1, 0, 0, 0, 0 };

static int run(struct sc_table *t, struct sc_core *st, int *fired_at,
	       int *costs_ok)
{
	struct sc_verdict r;
	int nfired = 0;

	*costs_ok = 1;
	*fired_at = -1;
	/* a numeric trace starts in (START, START) */
	sc_task_start(t, st, 1, SC_START);
	for (int i = 0; i < 8; i++) {
		int kind = sc_task_step(t, st, seq[i], 0, &r);

		if (r.cost != want_cost[i] || !r.checked ||
		    (kind == 0) != want_known[i]) {
			*costs_ok = 0;
			printf("#   step %d: cost %u kind %d, want %u known %d\n",
			       i + 1, r.cost, kind, want_cost[i], want_known[i]);
		}
		if (r.anomaly) {
			nfired++;
			if (*fired_at < 0)
				*fired_at = i + 1;
		}
	}
	return nfired;
}

/* the cost of stepping x in st */
static uint16_t step_cost(struct sc_table *t, struct sc_core *st, long x)
{
	struct sc_verdict r;

	sc_task_step(t, st, x, 0, &r);
	return r.cost;
}

/*
 * A novelty is paid once per thread: (close, write) -> read (5608, step 5
 * above) made again costs (5608 - 4096) >> 2 = 378 while the thread
 * remembers it, its full cost once SC_NOVEL_MAX other novelties came after.
 */
static void repeats(struct sc_table *t)
{
	struct sc_core st;
	uint16_t c;
	int i;

	sc_task_start(t, &st, 1, SC_START);
	step_cost(t, &st, OPEN);
	step_cost(t, &st, READ);
	step_cost(t, &st, CLOSE);
	step_cost(t, &st, WRITE);
	is(step_cost(t, &st, READ), 5608, "a novelty: its back-off cost and the escape");
	step_cost(t, &st, CLOSE);	/* (write, read) -> close: a second one */
	step_cost(t, &st, WRITE);	/* (read, close) -> write: known */
	is(step_cost(t, &st, READ), 378, "made again: (5608 - 4096) >> 2");
	/* SC_NOVEL_MAX novelties of syscalls never made, each a new one */
	for (i = 0; i < SC_NOVEL_MAX; i++)
		step_cost(t, &st, 100 + i);
	step_cost(t, &st, CLOSE);
	step_cost(t, &st, WRITE);
	c = step_cost(t, &st, READ);
	is(c, 5608, "forgotten after %d other novelties: paid in full again",
	   SC_NOVEL_MAX);
}

int main(void)
{
	struct sc_profile_set set8 = { 0 }, set4 = { 0 };
	struct sc_core st;
	struct sc_table t8, t4;
	char err[256] = "";
	int fired_at, costs_ok, n;

	/* window 8: the whole sequence */
	sc_profile_set_add(&set8, profile(8, 0));
	if (!ok(sc_table_build(&t8, &set8, -1, err, sizeof(err)) == 0, "build (%s)", err))
		return tap_done();
	n = run(&t8, &st, &fired_at, &costs_ok);
	ok(costs_ok, "8 steps: known, known, known, known, unigram, unigram, bigram, cap");
	/* 3 + 3 + 62 + 3 + 5608 + 5758 + 4758 + 65535 = 81730 */
	is(st.score.sum, 81730, "window 8: sum of the hand costs = 81730");
	is(st.score.fill, 8, "window 8 full");
	ok(sc_task_score(&st) == 81730.0 / 8 / 256, "score %.4f = 81730/8/256 bits",
	   sc_task_score(&st));
	is(n, 0, "no threshold: no anomaly");

	/*
	 * Window 4, threshold 10 bits: thr_sum = 2560 * 4 = 10240.  Sums after
	 * each full window: step 4: 3+3+62+3 = 71; 5: 3+62+3+5608 = 5676;
	 * 6: 62+3+5608+5758 = 11431 > 10240: the edge; 7: 3+5608+5758+4758
	 * = 16127 (still above, no second event); 8: 5608+5758+4758+65535 = 81659.
	 */
	sc_profile_set_add(&set4, profile(4, 10.0));
	if (!ok(sc_table_build(&t4, &set4, -1, err, sizeof(err)) == 0, "build (%s)", err))
		return tap_done();
	is(t4.info[1].thr_sum, 10240, "threshold 10 bits * window 4 = 10240");
	n = run(&t4, &st, &fired_at, &costs_ok);
	ok(costs_ok, "window 4: the same costs");
	is(st.score.sum, 81659, "window 4: the last four costs, 81659");
	is(fired_at, 6, "the anomaly fires at step 6 (sum 11431 > 10240)");
	is(n, 1, "edge-triggered: one anomaly while above");

	repeats(&t8);

	sc_table_free(&t8);
	sc_table_free(&t4);
	sc_profile_set_free(&set8);
	sc_profile_set_free(&set4);
	return tap_done();
}
