// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-thread step of docs/architecture.md in user space.  The BPF
 * program's step is the same five lines on the same table; any change
 * here is a change there.
 */
#include <string.h>

#include "replay.h"
#include "score.h"

void sc_task_start(struct sc_task_state *st, uint32_t profile,
		   unsigned start_call)
{
	memset(st, 0, sizeof(*st));
	st->profile = profile;
	st->a = SC_START;
	st->b = (uint16_t)start_call;
}

void sc_task_unknown(struct sc_task_state *st, uint32_t profile)
{
	memset(st, 0, sizeof(*st));
	st->profile = profile;
	st->a = SC_UNKNOWN;
	st->b = SC_UNKNOWN;
}

void sc_task_fork(struct sc_task_state *child,
		  const struct sc_task_state *parent, unsigned call)
{
	sc_task_start(child, parent->profile, call);
}

int sc_task_step(const struct sc_table *t, struct sc_task_state *st, long nr,
		 int compat, struct sc_step *r)
{
	memset(r, 0, sizeof(*r));
	r->a = st->a;
	r->b = st->b;
	r->x = nr >= 0 && nr < SC_NR_MAX ? (uint16_t)nr : SC_ANY;
	st->nsyscalls++;
	/* 1. not in the alphabet: a violation, the state stays */
	if (compat)
		return r->kind = SC_EV_COMPAT_SYSCALL;
	if (nr < 0 || nr >= SC_NR_MAX)
		return r->kind = SC_EV_UNKNOWN_SYSCALL;
	/* 2. a state holding UNKNOWN is neither checked nor scored (nor is
	 * a task bound to no profile of this table) */
	if (st->a != SC_UNKNOWN && st->b != SC_UNKNOWN && st->profile &&
	    st->profile <= t->nprofiles) {
		const struct sc_profile_info *in = &t->info[st->profile];

		r->checked = 1;
		/* 3. known, or unseen with its back-off cost */
		if (!sc_table_check(t, st->profile, st->a, st->b, (unsigned)nr,
				    &r->cost))
			r->kind = SC_EV_UNSEEN_TRANSITION;
		/* 4. the shared integer score */
		r->anomaly = sc_score_push(&st->score, r->cost, in->window,
					   in->thr_sum);
	}
	/* 5. */
	st->a = st->b;
	st->b = (uint16_t)nr;
	return r->kind;
}

double sc_task_score(const struct sc_task_state *st)
{
	if (!st->score.fill)
		return 0;
	return sc_cost_to_bits(st->score.sum) / st->score.fill;
}

const char *sc_event_kind_name(unsigned kind)
{
	switch (kind) {
	case SC_EV_UNSEEN_TRANSITION: return "unseen-transition";
	case SC_EV_ANOMALY_SCORE: return "anomaly-score";
	case SC_EV_EXEC_UNPROFILED: return "exec-unprofiled";
	case SC_EV_COMPAT_SYSCALL: return "compat-syscall";
	case SC_EV_UNKNOWN_SYSCALL: return "unknown-syscall";
	case SC_EV_EXEC_UNEXPECTED: return "exec-unexpected";
	}
	return "unknown";
}
