// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The replay step of docs/architecture.md on the hand profile of
 * test_model.c: known/unseen, compat and out-of-range numbers leave the
 * state, UNKNOWN states are not scored, forks, the anomaly edge.
 */
#include <string.h>

#include "profile.h"
#include "replay.h"
#include "syscalls.h"
#include "table.h"
#include "tap.h"

enum { READ = 0, MMAP = 9, BRK = 12, CLONE = 56, EXECVE = 59 };

static struct sc_profile *hand_profile(void)
{
	struct sc_profile *p = sc_profile_new("hand", SC_ARCH_X86_64, 2);

	sc_profile_add(p, SC_START, EXECVE, BRK, 1);
	sc_profile_add(p, EXECVE, BRK, MMAP, 3);
	sc_profile_add(p, EXECVE, BRK, READ, 1);
	sc_profile_add(p, READ, BRK, MMAP, 4);
	/* window 2, 1 bit a syscall: thr_sum = 256 * 2 = 512 */
	p->window = 2;
	p->has_threshold = true;
	p->threshold = 1.0;
	return p;
}

int main(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_task_state st, child;
	struct sc_step r;
	struct sc_table t;
	char err[256] = "";

	sc_profile_set_add(&set, hand_profile());
	if (!ok(sc_table_build(&t, &set, -1, err, sizeof(err)) == 0, "build (%s)", err))
		return tap_done();

	sc_task_start(&st, 1, EXECVE);
	ok(st.a == SC_START && st.b == EXECVE && st.score.fill == 0,
	   "exec: state (START, execve), empty score");
	/* (START, execve) -> brk: known, cost 17 >> 2 = 4 (test_model T1) */
	is(sc_task_step(&t, &st, BRK, 0, &r), 0, "brk: known");
	ok(r.checked && r.a == SC_START && r.b == EXECVE && r.x == BRK && r.cost == 4,
	   "brk: checked (START, execve, brk), cost 4");
	ok(st.a == EXECVE && st.b == BRK, "state (execve, brk)");
	/* (execve, brk) -> mmap: 96 >> 2 = 24; window [4, 24] = 28 <= 512 */
	is(sc_task_step(&t, &st, MMAP, 0, &r), 0, "mmap: known");
	ok(r.cost == 24 && !r.anomaly, "mmap: cost 24, no anomaly (sum 28)");

	/* compat and out-of-range numbers: violations, state and score kept */
	is(sc_task_step(&t, &st, 11, 1, &r), SC_EV_COMPAT_SYSCALL, "compat syscall");
	ok(!r.checked && r.cost == 0 && st.a == BRK && st.b == MMAP &&
	   st.score.sum == 28, "compat: state and score unchanged");
	is(sc_task_step(&t, &st, 600, 0, &r), SC_EV_UNKNOWN_SYSCALL, "nr 600");
	is(sc_task_step(&t, &st, -1, 0, &r), SC_EV_UNKNOWN_SYSCALL, "nr -1");
	ok(st.a == BRK && st.b == MMAP && st.score.fill == 2,
	   "unknown-syscall: state and score unchanged");

	/* (brk, mmap) -> read: unseen; unigram read 1918 + 16-bit escape
	 * 4096 = 6014; window [24, 6014] = 6038 > 512: the anomaly edge */
	is(sc_task_step(&t, &st, READ, 0, &r), SC_EV_UNSEEN_TRANSITION, "read: unseen");
	ok(r.a == BRK && r.b == MMAP && r.cost == 6014, "unseen cost from the unigram: 1918 + 4096");
	is(r.anomaly, 1, "window mean over 1 bit: anomaly");
	is(st.score.sum, 24 + 6014, "window sum 6038");
	/* mean = 6038 / 2 / 256 bits */
	ok(sc_task_score(&st) == 6038.0 / 2 / 256, "score %.4f bits", sc_task_score(&st));
	sc_task_step(&t, &st, BRK, 0, &r);
	is(r.anomaly, 0, "still above: no second anomaly");
	is(st.nsyscalls, 7, "every step counted, violations too");

	/* a child: same profile, (START, clone), fresh score */
	sc_task_fork(&child, &st, CLONE);
	ok(child.profile == 1 && child.a == SC_START && child.b == CLONE &&
	   child.score.fill == 0 && child.nsyscalls == 0, "fork: (START, clone), fresh");
	is(sc_task_step(&t, &child, BRK, 0, &r), SC_EV_UNSEEN_TRANSITION,
	   "child: (START, clone) -> brk unseen");

	/* a task whose start was not seen: two free steps */
	sc_task_unknown(&st, 1);
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "UNKNOWN state: no verdict");
	ok(!r.checked && st.score.fill == 0 && st.a == SC_UNKNOWN && st.b == READ,
	   "not checked, not scored, state (UNKNOWN, read)");
	is(sc_task_step(&t, &st, BRK, 0, &r), 0, "(UNKNOWN, read) -> brk: no verdict");
	ok(!r.checked && st.a == READ && st.b == BRK, "state (read, brk)");
	is(sc_task_step(&t, &st, MMAP, 0, &r), 0, "(read, brk) -> mmap: known");
	ok(r.checked && r.cost == 11 >> 2 && st.score.fill == 1, "checked, cost 11 >> 2, scored");
	is(sc_task_step(&t, &st, EXECVE, 0, &r), SC_EV_UNSEEN_TRANSITION,
	   "(brk, mmap) -> execve: unseen");
	is(r.cost, SC_COST_CAP, "nothing matches: the cap");

	/* an unbound task is not checked */
	sc_task_start(&st, 0, EXECVE);
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "profile 0: no verdict");
	ok(!r.checked, "profile 0: not checked");

	sc_table_free(&t);
	sc_profile_set_free(&set);
	return tap_done();
}
