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

enum { READ = 0, WRITE = 1, MMAP = 9, BRK = 12, SIGRETURN = 15, CLONE = 56,
       EXECVE = 59, GETPID = 39, FUTEX = 202, RESTART = 219, SOCKET = 41 };

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

/*
 * Format 2 (bpf/sc_step.h): a loop read -> write -> read with futex in
 * the transparent set, seen; a handler that writes.
 */
static struct sc_profile *v2_profile(void)
{
	struct sc_profile *p = sc_profile_new("v2", SC_ARCH_X86_64, 2);
	uint64_t set[SC_NR_MAX / 64] = { 0 };

	set[FUTEX / 64] |= 1ull << (FUTEX % 64);
	set[SIGRETURN / 64] |= 1ull << (SIGRETURN % 64);
	set[RESTART / 64] |= 1ull << (RESTART % 64);
	set[GETPID / 64] |= 1ull << (GETPID % 64);	/* in the set, never seen */
	sc_profile_set_transparent(p, set);
	sc_profile_add_transparent(p, FUTEX, 5);
	sc_profile_add_transparent(p, SIGRETURN, 1);
	sc_profile_add_transparent(p, RESTART, 1);
	sc_profile_add(p, SC_START, EXECVE, READ, 1);
	sc_profile_add(p, EXECVE, READ, WRITE, 1);
	sc_profile_add(p, READ, WRITE, READ, 3);
	sc_profile_add(p, WRITE, READ, WRITE, 3);
	sc_profile_add(p, SC_SIGNAL, SC_SIGNAL, WRITE, 1);	/* the handler */
	return p;
}

static void format2(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_core st, child;
	struct sc_verdict r;
	struct sc_table t;
	char err[256] = "";
	int i;

	sc_profile_set_add(&set, v2_profile());
	if (!ok(sc_table_build(&t, &set, -1, err, sizeof(err)) == 0, "v2 build (%s)", err))
		return;
	ok(t.info[1].flags & SC_PF_V2, "a version-2 profile steps with SC_PF_V2");

	sc_task_start(&t, &st, 1, EXECVE);
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "(START, execve) -> read");
	/* a transparent call: no check, no move, no score */
	is(sc_task_step(&t, &st, FUTEX, 0, &r), 0, "futex: no verdict");
	ok(r.skipped == SC_SKIP_TRANSPARENT && !r.checked && st.a == EXECVE &&
	   st.b == READ && st.score.fill == 1, "futex: transparent, state (execve, read)");
	is(sc_task_step(&t, &st, WRITE, 0, &r), 0, "(execve, read) -> write across the futex");
	/* in the transparent set but never seen: outside the syscall set */
	is(sc_task_step(&t, &st, GETPID, 0, &r), SC_EV_UNSEEN_SYSCALL,
	   "getpid: a member seen 0 times is an unseen syscall");
	ok(r.checked && st.b == GETPID, "checked and moved like any call");

	/* signal frames: a handler from (SIGNAL, SIGNAL), the state back after */
	sc_task_start(&t, &st, 1, EXECVE);
	sc_task_step(&t, &st, READ, 0, &r);
	sc_task_step(&t, &st, WRITE, 0, &r);
	sc_task_signal(&st, 1, READ);	/* interrupted a read */
	ok(st.a == SC_SIGNAL && st.b == SC_SIGNAL && st.nframes == 1,
	   "signal to a handler: a frame, state (SIGNAL, SIGNAL)");
	is(sc_task_step(&t, &st, WRITE, 0, &r), 0, "handler: (SIGNAL, SIGNAL) -> write known");
	is(sc_task_step(&t, &st, SIGRETURN, 0, &r), 0, "rt_sigreturn closes the frame");
	ok(r.skipped == SC_SKIP_SIGRETURN && st.a == READ && st.b == WRITE &&
	   st.nframes == 0, "state (read, write) restored");
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "the interrupted read again: no verdict");
	ok(r.skipped == SC_SKIP_REISSUE && st.a == READ && st.b == WRITE,
	   "a re-issue does not move");
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "(read, write) -> read: known");
	ok(r.checked && st.a == WRITE && st.b == READ, "then the state moves again");
	/* a re-issue only for the call right after */
	sc_task_signal(&st, 0, READ);
	is(sc_task_step(&t, &st, RESTART, 0, &r), 0, "restart_syscall after a signal");
	ok(r.skipped == SC_SKIP_REISSUE, "restart_syscall: a re-issue");
	sc_task_signal(&st, 0, READ);
	sc_task_step(&t, &st, WRITE, 0, &r);
	ok(r.checked && !r.skipped, "another call after the signal: an ordinary step");

	/* sigreturn-oriented programming: no frame is open */
	is(sc_task_step(&t, &st, SIGRETURN, 0, &r), SC_EV_SIGRETURN,
	   "rt_sigreturn with no frame: sigreturn-unexpected");
	/* the bound: frames past SC_FRAMES_MAX are forgotten, never a kill */
	sc_task_start(&t, &st, 1, EXECVE);
	for (i = 0; i < SC_FRAMES_MAX + 2; i++)
		sc_task_signal(&st, 1, -1);
	ok(st.nframes == SC_FRAMES_MAX && st.lost == 2, "frames bounded, 2 forgotten");
	for (i = 0; i < SC_FRAMES_MAX + 2; i++)
		if (sc_task_step(&t, &st, SIGRETURN, 0, &r))
			break;
	is(i, SC_FRAMES_MAX + 2, "every rt_sigreturn of an open or forgotten frame passes");
	ok(st.a == SC_UNKNOWN && st.b == SC_UNKNOWN, "a forgotten frame restores UNKNOWN");
	is(sc_task_step(&t, &st, SIGRETURN, 0, &r), SC_EV_SIGRETURN, "one more: a violation");

	/* frames at fork; UNKNOWN tasks forgive */
	sc_task_start(&t, &st, 1, EXECVE);
	sc_task_signal(&st, 1, -1);
	sc_task_fork(&child, &st, CLONE);
	ok(child.nframes == 1 && child.a == SC_START && child.b == CLONE,
	   "a child forked in a handler has its parent's frame");
	sc_task_unknown(&t, &st, 1);
	is(sc_task_step(&t, &st, SIGRETURN, 0, &r), 0,
	   "an UNKNOWN task's rt_sigreturn is forgiven");

	/* a version-1 profile keeps the old rules */
	sc_table_free(&t);
	set.v[0]->version = 1;
	sc_table_build(&t, &set, -1, err, sizeof(err));
	sc_task_start(&t, &st, 1, EXECVE);
	sc_task_signal(&st, 1, -1);
	ok(st.nframes == 0 && st.b == EXECVE, "version 1: no frames");
	sc_task_step(&t, &st, READ, 0, &r);
	sc_task_step(&t, &st, FUTEX, 0, &r);
	ok(r.checked && st.b == FUTEX, "version 1: futex is an ordinary call");
	sc_table_free(&t);
	sc_profile_set_free(&set);
}

/*
 * A run of one call: trained on read, write, write, read (write followed
 * write once, never twice), a run of five writes is known from the third
 * on, at the back-off's probability; a run that starts where write never
 * followed write is not; a guarded call's run is never.
 */
static void runs(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_profile *p = sc_profile_new("runs", SC_ARCH_X86_64, 2);
	struct sc_core st;
	struct sc_verdict r;
	struct sc_table t;
	char err[256] = "";
	uint16_t backoff;
	int i, kinds = 0;

	sc_profile_add(p, SC_START, EXECVE, READ, 1);
	sc_profile_add(p, EXECVE, READ, WRITE, 1);
	sc_profile_add(p, READ, WRITE, WRITE, 1);
	sc_profile_add(p, WRITE, WRITE, READ, 1);
	sc_profile_add(p, WRITE, READ, SOCKET, 1);
	sc_profile_add(p, READ, SOCKET, SOCKET, 1);
	sc_profile_add(p, SOCKET, SOCKET, READ, 1);
	sc_profile_set_add(&set, p);
	if (!ok(sc_table_build(&t, &set, -1, err, sizeof(err)) == 0,
		"runs: build (%s)", err))
		return;
	t.guarded[SOCKET / 64] |= 1ull << (SOCKET % 64);
	/* the bigram back-off's cost, escape included */
	sc_table_check(&t, 1, SC_ANY, WRITE, WRITE, &backoff);
	sc_task_start(&t, &st, 1, EXECVE);
	sc_task_step(&t, &st, READ, 0, &r);
	sc_task_step(&t, &st, WRITE, 0, &r);
	is(sc_task_step(&t, &st, WRITE, 0, &r), 0, "(read, write) -> write: known");
	for (i = 0; i < 3; i++) {
		kinds |= (int)sc_task_step(&t, &st, WRITE, 0, &r);
		ok(r.checked && r.cost == (backoff - SC_NOVELTY_BITS * SC_COST_ONE) >>
		   SC_KNOWN_SHIFT,
		   "write %d of the run: the back-off's cost at the known weight", i + 3);
	}
	is(kinds, 0, "a run of five writes: no violation");
	ok(st.a == WRITE && st.b == WRITE, "the state stays (write, write)");
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "(write, write) -> read: known");
	ok(st.novel_pos == 0, "no novelty remembered");
	/* guarded: socket twice was trained, a third is still a novelty */
	sc_task_step(&t, &st, SOCKET, 0, &r);
	sc_task_start(&t, &st, 1, EXECVE);
	sc_task_step(&t, &st, READ, 0, &r);
	sc_task_step(&t, &st, WRITE, 0, &r);
	sc_task_step(&t, &st, WRITE, 0, &r);
	sc_task_step(&t, &st, READ, 0, &r);
	sc_task_step(&t, &st, SOCKET, 0, &r);
	is(sc_task_step(&t, &st, SOCKET, 0, &r), 0, "(read, socket) -> socket: known");
	is(sc_task_step(&t, &st, SOCKET, 0, &r), SC_EV_UNSEEN_GUARDED,
	   "a third socket: a guarded call's run does not grow");
	/* the bigram (read, read) was never seen: no run to extend */
	sc_task_start(&t, &st, 1, EXECVE);
	sc_task_step(&t, &st, READ, 0, &r);
	is(sc_task_step(&t, &st, READ, 0, &r), SC_EV_UNSEEN_TRANSITION,
	   "(execve, read) -> read: unseen");
	is(sc_task_step(&t, &st, READ, 0, &r), SC_EV_UNSEEN_TRANSITION,
	   "(read, read) -> read: read never followed read in training");
	sc_table_free(&t);
	sc_profile_set_free(&set);
}

int main(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_core st, child;
	struct sc_verdict r;
	struct sc_table t;
	char err[256] = "";

	sc_profile_set_add(&set, hand_profile());
	if (!ok(sc_table_build(&t, &set, -1, err, sizeof(err)) == 0, "build (%s)", err))
		return tap_done();

	sc_task_start(&t, &st, 1, EXECVE);
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
	sc_task_unknown(&t, &st, 1);
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "UNKNOWN state: no verdict");
	ok(!r.checked && st.score.fill == 0 && st.a == SC_UNKNOWN && st.b == READ,
	   "not checked, not scored, state (UNKNOWN, read)");
	is(sc_task_step(&t, &st, BRK, 0, &r), 0, "(UNKNOWN, read) -> brk: no verdict");
	ok(!r.checked && st.a == READ && st.b == BRK, "state (read, brk)");
	is(sc_task_step(&t, &st, MMAP, 0, &r), 0, "(read, brk) -> mmap: known");
	ok(r.checked && r.cost == 11 >> 2 && st.score.fill == 1, "checked, cost 11 >> 2, scored");
	is(sc_task_step(&t, &st, EXECVE, 0, &r), SC_EV_UNSEEN_SYSCALL,
	   "(brk, mmap) -> execve: unseen, and outside the syscall set");
	is(r.cost, SC_COST_CAP, "nothing matches: the cap");

	/* an unbound task is not checked */
	sc_task_start(&t, &st, 0, EXECVE);
	is(sc_task_step(&t, &st, READ, 0, &r), 0, "profile 0: no verdict");
	ok(!r.checked, "profile 0: not checked");

	sc_table_free(&t);
	sc_profile_set_free(&set);
	format2();
	runs();
	return tap_done();
}
