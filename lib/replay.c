// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf/sc_step.h on a compiled table in user space: the slot reader is an
 * array index where the kernel does a map lookup.
 */
#include <string.h>

#include "syscfi.h"
#include "table.h"

#define SC_READ_SLOT(ctx, i) (((const struct sc_table *)(ctx))->slots[i])
#define SC_GUARDED(ctx, x) sc_table_guarded((const struct sc_table *)(ctx), (x))
#include "replay.h"
#include "score.h"

/* the profile's settings as the loader puts them in the pinfo map */
static const struct sc_profile_info *info_of(const struct sc_table *t,
					     uint32_t profile)
{
	if (!profile || profile > t->nprofiles || !t->slots)
		return NULL;
	return &t->info[profile];
}

void sc_task_start(const struct sc_table *t, struct sc_core *st,
		   uint32_t profile, unsigned start_call)
{
	sc_core_start(st, profile, start_call);
	sc_core_settings(st, info_of(t, profile));
}

void sc_task_unknown(const struct sc_table *t, struct sc_core *st,
		     uint32_t profile)
{
	sc_core_unknown(st, profile);
	sc_core_settings(st, info_of(t, profile));
}

void sc_task_fork(struct sc_core *child, const struct sc_core *parent,
		  unsigned call)
{
	sc_core_fork(child, parent, call);
}

int sc_task_step(const struct sc_table *t, struct sc_core *st, long nr,
		 int compat, struct sc_verdict *v)
{
	return (int)sc_step((void *)t, t->nslots, st, nr, compat, 0, v);
}

void sc_task_signal(struct sc_core *st, int handler, long restart_nr)
{
	/* no user stack here: the frame's pointer is unknown, not checked */
	sc_signal(st, handler, restart_nr, 0);
}

static void learn_settings(struct sc_core *st, uint32_t flags,
			   const uint64_t *transp)
{
	st->flags = flags | SC_TF_INFO;
	if (transp)
		memcpy(st->transparent, transp, sizeof(st->transparent));
}

void sc_learn_start(struct sc_core *st, unsigned start_call, uint32_t flags,
		    const uint64_t *transp)
{
	sc_core_start(st, 1, start_call);
	learn_settings(st, flags, transp);
}

void sc_learn_unknown(struct sc_core *st, uint32_t flags,
		      const uint64_t *transp)
{
	sc_core_unknown(st, 1);
	learn_settings(st, flags, transp);
}

void sc_task_learn(struct sc_core *st, long nr, struct sc_verdict *v)
{
	sc_step(NULL, 0, st, nr, 0, 1, v);
}

double sc_task_score(const struct sc_core *st)
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
	case SC_EV_UNSEEN_SYSCALL: return "unseen-syscall";
	case SC_EV_SIGRETURN: return "sigreturn-unexpected";
	case SC_EV_IO_URING_OPCODE: return "io-uring-opcode";
	case SC_EV_EXEC_UNEXPECTED: return "exec-unexpected";
	case SC_EV_UNSEEN_GUARDED: return "unseen-guarded";
	case SC_EV_SIGRETURN_FORGED: return "sigreturn-forged";
	}
	return "unknown";
}
