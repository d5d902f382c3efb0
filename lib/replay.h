/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-thread state machine of bpf/sc_step.h on a compiled table in
 * user space: the offline replay (check, score) and the learner.  The
 * step itself is the one the BPF program compiles; only the slot reader
 * differs.
 */
#ifndef SC_REPLAY_H
#define SC_REPLAY_H

#include <stdint.h>
#include "syscfi.h"
#include "sc_step.h"
#include "table.h"

/* bind to profile in state (START, start_call) with a fresh score and
 * the profile's settings from t (successful exec: start_call =
 * execve/execveat; numeric traces: SC_START) */
void sc_task_start(const struct sc_table *t, struct sc_core *st,
		   uint32_t profile, unsigned start_call);
/* bind in (UNKNOWN, UNKNOWN): a task whose start was not observed */
void sc_task_unknown(const struct sc_table *t, struct sc_core *st,
		     uint32_t profile);
/* child/thread of parent, created by call: same profile, (START, call) */
void sc_task_fork(struct sc_core *child, const struct sc_core *parent,
		  unsigned call);

/*
 * One syscall nr of a bound task (compat: from the ia32 table).  Fills v
 * and returns v->kind (0 when the transition is known or unchecked).
 */
int sc_task_step(const struct sc_table *t, struct sc_core *st, long nr,
		 int compat, struct sc_verdict *v);

/* a signal reaches the task (sc_signal in bpf/sc_step.h) */
void sc_task_signal(struct sc_core *st, int handler, long restart_nr);

/*
 * Learning: a task of a profile being built.  flags are the profile's
 * SC_PF_* (SC_PF_V2: transparent set and signal frames apply), transp
 * its transparent set (SC_NR_MAX / 64 words, NULL: none).  sc_task_learn
 * steps nr and says in v what to count: v->learn for (v->a, v->b) ->
 * v->x, sc_learn_transparent(v) for a call v->x of the transparent set.
 */
void sc_learn_start(struct sc_core *st, unsigned start_call, uint32_t flags,
		    const uint64_t *transp);
void sc_learn_unknown(struct sc_core *st, uint32_t flags,
		      const uint64_t *transp);
void sc_task_learn(struct sc_core *st, long nr, struct sc_verdict *v);

/* design.md section 6 name of an SC_EV_* kind ("unknown" for others) */
const char *sc_event_kind_name(unsigned kind);

/* the task's window mean in bits per syscall (0 with an empty window) */
double sc_task_score(const struct sc_core *st);

#endif
