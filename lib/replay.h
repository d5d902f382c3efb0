/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-thread state machine of docs/architecture.md, in user space.
 * bpf/syscfi.bpf.c implements the same steps on the same table; keep the
 * two in step (tests compare their verdicts and scores to the bit).
 */
#ifndef SC_REPLAY_H
#define SC_REPLAY_H

#include <stdint.h>
#include "syscfi.h"
#include "table.h"

struct sc_task_state {
	uint32_t profile;	/* profile id in the table, 0 = unbound */
	uint16_t a, b;		/* last two syscalls (or sentinels) */
	uint64_t nsyscalls;	/* syscalls stepped under this binding */
	struct sc_score score;
};

struct sc_step {
	int kind;		/* 0, or SC_EV_UNSEEN_TRANSITION / _COMPAT_ / _UNKNOWN_SYSCALL */
	int anomaly;		/* 1: this step raised anomaly-score */
	int checked;		/* 0 when the state held UNKNOWN */
	uint16_t a, b, x;	/* the transition looked at */
	uint16_t cost;		/* cost added to the score (when checked) */
};

/* bind to profile in state (START, start_call) with a fresh score
 * (successful exec: start_call = execve/execveat; new task: its clone call;
 * numeric traces: SC_START) */
void sc_task_start(struct sc_task_state *st, uint32_t profile,
		   unsigned start_call);
/* bind in (UNKNOWN, UNKNOWN): a task whose start was not observed */
void sc_task_unknown(struct sc_task_state *st, uint32_t profile);
/* child/thread of parent, created by call: same profile, (START, call) */
void sc_task_fork(struct sc_task_state *child,
		  const struct sc_task_state *parent, unsigned call);

/*
 * One syscall nr of a bound task (compat: from the ia32 table).  Fills r
 * and returns r->kind (0 when the transition is known or unchecked).
 */
int sc_task_step(const struct sc_table *t, struct sc_task_state *st, long nr,
		 int compat, struct sc_step *r);

/* design.md section 6 name of an SC_EV_* kind ("unknown" for others) */
const char *sc_event_kind_name(unsigned kind);

/* the task's window mean in bits per syscall (0 with an empty window) */
double sc_task_score(const struct sc_task_state *st);

#endif
