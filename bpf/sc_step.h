/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sc_step.h - the contract of docs/design.md in code: one thread's state,
 * the per-syscall step, the table probe and back-off, signal frames and
 * the transparent set.  It is compiled into the BPF program and into the
 * offline replay and learner, so the two cannot disagree: the includer
 * only says how one table slot is read.
 *
 * Before including it, define
 *   SC_READ_SLOT(ctx, i)      the u64 slot i of the table (0 if none)
 * and optionally a per-thread cache of known slots in front of the probe
 * (the kernel has one; user space does not):
 *   SC_CACHE_GET(ctx, c, key) a known slot of key, or 0
 *   SC_CACHE_PUT(ctx, c, slot)
 * and the guarded set (the loader's and the replay's --guarded; none when
 * not defined):
 *   SC_GUARDED(ctx, x)        nonzero when syscall x (< SC_NR_MAX) is guarded
 * Plain C only: no libc, no floats, bounded loops, no recursion.
 */
#ifndef SC_STEP_H
#define SC_STEP_H

#include "syscfi.h"
#include "sc_nr.h"


/* sc_core.flags beyond the profile's SC_PF_*: settings copied (no
 * settings, no check: a profile id the table does not know) */
#define SC_TF_INFO	(1u << 31)
/* sc_core.flags bits the step never reads or writes: the includer's (the
 * kernel keeps the generation of the profile set there) */
#define SC_TF_SPARE	0x7fff0000u
#define SC_TF_SPARE_SHIFT 16

/* unseen transitions a thread remembers having paid for (a power of 2) */
#define SC_NOVEL_MAX	32

/* signal frames kept per thread; past this the oldest is forgotten */
#define SC_FRAMES_MAX	4
#define SC_LOST_MAX	255

/* how far below the stack pointer recorded at delivery the one an
 * rt_sigreturn restores may be: a runtime that injects a call from its
 * handler (Go's preemption and panics) pushes a return address onto the
 * interrupted stack.  One red zone's worth; a forged frame must still
 * name the interrupted stack to within these bytes. */
#define SC_SIGFRAME_SP_SLACK 128

struct sc_frame {
	__u16 a, b;		/* the state the signal interrupted */
	__u16 restart;		/* its pending re-issue (1 + nr, 0: none) */
	__u16 pad;
	__u64 sp;		/* the interrupted user stack pointer, which
				 * the handler's frame saves; 0: unknown (the
				 * replay), nothing to compare */
};

/*
 * One thread under a profile.  The first part is what every step reads
 * and writes; the frames and the transparent set are read on signals and
 * on the (few) wait syscalls.
 */
struct sc_core {
	__u64 nsyscalls;	/* under this binding, as events report them */
	__u32 profile;		/* 0: looked at, no profile */
	__u16 a, b;		/* the last two syscalls, or sentinels */
	__u16 restart;		/* 1 + a syscall a signal interrupted; 0: none */
	__u8 nframes;		/* open signal frames, <= SC_FRAMES_MAX */
	__u8 lost;		/* frames forgotten past the bound (saturates) */
	/* the profile's settings, copied at binding (sc_core_settings) */
	__u32 flags;		/* SC_PF_* | SC_TF_INFO */
	__u32 window;
	__u32 thr_sum;
	__u16 unseen_cost;
	__u16 spare;		/* free for the includer (the kernel: hot slot) */
	struct sc_score score;
	struct sc_frame frames[SC_FRAMES_MAX];
	__u64 transparent[SC_NR_MAX / 64];	/* SC_PF_V2: the set, bitwise */
	/* the last SC_NOVEL_MAX unseen transitions, sc_novel_key; 0: free */
	__u32 novel[SC_NOVEL_MAX];
	__u32 novel_pos;	/* where the next one goes */
};

/* what one step found */
struct sc_verdict {
	__u32 kind;		/* 0 or SC_EV_* (a violation) */
	__u8 anomaly;		/* the score crossed the threshold */
	__u8 checked;		/* the transition was looked up and scored */
	__u8 skipped;		/* SC_SKIP_*: the state did not move */
	__u8 learn;		/* learn mode: count (a, b) -> x */
	__u16 a, b, x;		/* the transition looked at */
	__u16 cost;		/* cost added to the score (when checked) */
	__u8 fills;		/* that cost fills the score's window */
};

#define SC_SKIP_TRANSPARENT	1	/* a wait/wakeup syscall of the set */
#define SC_SKIP_REISSUE		2	/* the re-issue of an interrupted call */
#define SC_SKIP_SIGRETURN	3	/* rt_sigreturn closed a frame */

/* learning: is v->x a call to count in the transparent set?  Every call
 * that moved nothing is; the learner keeps only the set's members (so
 * rt_sigreturn and restart_syscall are counted whichever rule took them) */
SC_INLINE int sc_learn_transparent(const struct sc_verdict *v)
{
	return v->skipped != 0;
}

#endif /* SC_STEP_H */

/* ---- the table ------------------------------------------------------- */

/* the types above are for everyone; the functions need a slot reader,
 * so they come with the first inclusion after SC_READ_SLOT is defined */
#if defined(SC_READ_SLOT) && !defined(SC_STEP_FUNCS)
#define SC_STEP_FUNCS

#ifndef SC_CACHE_GET
#define SC_CACHE_GET(ctx, key) 0
#define SC_CACHE_PUT(ctx, slot) do { } while (0)
#endif
#ifndef SC_GUARDED
#define SC_GUARDED(ctx, x) ((void)(ctx), 0)
#endif

/*
 * The kind of an unseen transition (a, b) -> x.  x outside the syscall
 * set: unseen-syscall.  x guarded: unseen-guarded, because a
 * syscall that opens a new channel or changes privilege (socket, connect,
 * setuid, ptrace...) made in a context training never showed is what an
 * attacker does, while load and timing only reorder the calls a service
 * makes all the time.  Else unseen-transition.
 */
SC_INLINE __u32 sc_unseen_kind(int in_set, int guarded)
{
	if (!in_set)
		return SC_EV_UNSEEN_SYSCALL;
	if (guarded)
		return SC_EV_UNSEEN_GUARDED;
	return SC_EV_UNSEEN_TRANSITION;
}

/* the stack pointer the current rt_sigreturn will restore, read from the
 * user's signal frame; 0 when it cannot be read.  Only the kernel has the
 * user's memory: the replay reads nothing, and its frames record no
 * stack pointer either */
#ifndef SC_SIGRETURN_SP
#define SC_SIGRETURN_SP(ctx) ((void)(ctx), 0ull)
#endif

/* the slot holding key, or 0: linear probe from its home, at most
 * SC_PROBE_MAX slots, an empty slot ends it */
SC_INLINE __u64 sc_probe(void *ctx, __u64 key, __u32 nslots)
{
	__u32 i, idx = sc_home(key, nslots);
	__u64 s;

	for (i = 0; i < SC_PROBE_MAX; i++) {
		s = SC_READ_SLOT(ctx, idx);
		if (!s)
			return 0;
		if (sc_slot_key(s) == key)
			return s;
		idx = sc_next_slot(idx, nslots);
	}
	return 0;
}

/*
 * Is (a, b) -> x known to profile p?  *cost gets its cost: the known
 * transition's, else the bigram back-off's, else the unigram's, else
 * unseen_cost.  *in_set: 0 when x is outside the profile's syscall set
 * (no entry of x exists), 2 when unseen with a bigram back-off (x has
 * followed b before), else 1.  A depth-1 profile's known entries are
 * (ANY, b, x), so its back-off starts at the unigram.
 */
SC_INLINE int sc_check(void *ctx, __u32 nslots, __u32 p, __u32 flags,
		       __u16 unseen_cost, __u32 a, __u32 b, __u32 x,
		       __u16 *cost, int *in_set)
{
	int depth1 = (flags & SC_PF_DEPTH1) != 0;
	__u64 key = sc_key(p, depth1 ? SC_ANY : a, b, x);
	__u64 s;

	s = SC_CACHE_GET(ctx, key);
	if (s) {
		*cost = sc_slot_cost(s);
		*in_set = 1;
		return 1;
	}
	s = sc_probe(ctx, key, nslots);
	if (s & SC_SLOT_KNOWN) {
		SC_CACHE_PUT(ctx, s);
		*cost = sc_slot_cost(s);
		*in_set = 1;
		return 1;
	}
	if (!depth1)
		s = sc_probe(ctx, sc_key(p, SC_ANY, b, x), nslots);
	*in_set = s ? 2 : 0;
	if (!s) {
		s = sc_probe(ctx, sc_key(p, SC_ANY, SC_ANY, x), nslots);
		*in_set = s != 0;
	}
	*cost = s ? sc_slot_cost(s) : unseen_cost;
	return 0;
}

/* ---- binding ---------------------------------------------------------- */

/* the transparent set test: only profiles of format 2 have one */
SC_INLINE int sc_transparent(const struct sc_core *c, __u32 x)
{
	return (c->transparent[(x >> 6) & (SC_NR_MAX / 64 - 1)] >> (x & 63)) & 1;
}

/* (re)start c under profile p in (START, call): a fresh score and no
 * frames (exec: call is execve/execveat; numeric traces: START).  The
 * settings are the includer's to copy after (sc_core_settings). */
SC_INLINE void sc_core_start(struct sc_core *c, __u32 p, __u32 call)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->profile = p;
	c->a = SC_START;
	c->b = call;
}

/* a task whose start was not observed: (UNKNOWN, UNKNOWN), and any number
 * of signal frames may be open, so its first rt_sigreturns are forgiven */
SC_INLINE void sc_core_unknown(struct sc_core *c, __u32 p)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->profile = p;
	c->a = SC_UNKNOWN;
	c->b = SC_UNKNOWN;
	c->lost = SC_LOST_MAX;
}

/* the profile's settings into the thread: the step reads nothing else;
 * no settings (NULL), no check */
SC_INLINE void sc_core_settings(struct sc_core *c,
				const struct sc_profile_info *pi)
{
	__u32 i;

	if (!pi) {
		c->flags = 0;
		return;
	}
	c->flags = pi->flags | SC_TF_INFO;
	c->window = pi->window;
	c->thr_sum = pi->thr_sum;
	c->unseen_cost = pi->unseen_cost;
	for (i = 0; i < SC_NR_MAX / 64; i++)
		c->transparent[i] = pi->transparent[i];
}

/* a new thread or process made by call: the parent's profile in (START,
 * call), and the parent's open frames (a child forked in a handler
 * returns through it).  Settings as the parent's. */
SC_INLINE void sc_core_fork(struct sc_core *child, const struct sc_core *parent,
			    __u32 call)
{
	__u32 i;

	sc_core_start(child, parent->profile, call);
	child->flags = parent->flags;
	child->window = parent->window;
	child->thr_sum = parent->thr_sum;
	child->unseen_cost = parent->unseen_cost;
	for (i = 0; i < SC_NR_MAX / 64; i++)
		child->transparent[i] = parent->transparent[i];
	child->nframes = parent->nframes;
	child->lost = parent->lost;
	for (i = 0; i < SC_FRAMES_MAX; i++)
		child->frames[i] = parent->frames[i];
}

/* ---- signals ------------------------------------------------------------ */

/*
 * A signal reaches the thread (the kernel's signal_deliver; the replay's
 * view of a strace "--- SIG ---" line, docs/design.md "Signals").
 * restart_nr: the syscall it interrupted, which the kernel re-issues or
 * user space may retry, or -1.  handler: a handler runs, so the state is
 * saved in a frame and the handler starts in (SIGNAL, SIGNAL).  sp: the
 * interrupted user stack pointer, 0 when unknown.  Past SC_FRAMES_MAX
 * frames, the oldest is forgotten (counted in lost).
 */
SC_INLINE void sc_signal(struct sc_core *c, int handler, long restart_nr,
			 __u64 sp)
{
	__u32 i;

	if (!(c->flags & SC_PF_V2))
		return;
	c->restart = restart_nr >= 0 && restart_nr < SC_NR_MAX ?
		     (__u16)(restart_nr + 1) : 0;
	if (!handler)
		return;
	if (c->nframes >= SC_FRAMES_MAX) {
		for (i = 0; i + 1 < SC_FRAMES_MAX; i++)
			c->frames[i] = c->frames[i + 1];
		c->nframes = SC_FRAMES_MAX - 1;
		if (c->lost < SC_LOST_MAX)
			c->lost++;
	}
	i = c->nframes & (SC_FRAMES_MAX - 1);
	c->frames[i].a = c->a;
	c->frames[i].b = c->b;
	c->frames[i].restart = c->restart;
	c->frames[i].pad = 0;
	c->frames[i].sp = sp;
	c->nframes++;
	c->restart = 0;
	c->a = SC_SIGNAL;
	c->b = SC_SIGNAL;
}

/* rt_sigreturn: the newest frame's state comes back (1); 0 when no frame
 * is open (sigreturn-oriented programming: a violation).  A forgotten
 * frame restores UNKNOWN (2). */
SC_INLINE int sc_sigreturn(struct sc_core *c)
{
	__u32 i;

	if (c->nframes) {
		c->nframes--;
		i = c->nframes & (SC_FRAMES_MAX - 1);
		c->a = c->frames[i].a;
		c->b = c->frames[i].b;
		c->restart = c->frames[i].restart;
		return 1;
	}
	if (c->lost) {
		c->lost--;
		c->a = SC_UNKNOWN;
		c->b = SC_UNKNOWN;
		return 2;
	}
	return 0;
}

/* ---- novelty -------------------------------------------------------------- */

SC_INLINE __u32 sc_novel_key(__u32 a, __u32 b, __u32 x)
{
	return (1u << 31) | (a & SC_SYM_MASK) << 20 | (b & SC_SYM_MASK) << 10 |
	       (x & SC_SYM_MASK);
}

/*
 * Is the unseen transition (a, b) -> x a repeat?  The first time a thread
 * makes it, it pays its whole back-off cost, escape included, and is
 * remembered (the last SC_NOVEL_MAX unseen ones).  Made again while the
 * thread remembers it, it is charged as a known transition of the
 * back-off's probability (sc_repeat_cost): the escape is what a novelty
 * is worth, and a loop that turns more often under load than in training
 * repeats one novelty, it does not make new ones.  Every repeat is still
 * reported.
 */
SC_INLINE int sc_novel_repeat(struct sc_core *c, __u32 x)
{
	__u32 key = sc_novel_key(c->a, c->b, x), i;

	for (i = 0; i < SC_NOVEL_MAX; i++)
		if (c->novel[i] == key)
			return 1;
	c->novel[c->novel_pos & (SC_NOVEL_MAX - 1)] = key;
	c->novel_pos++;
	return 0;
}

SC_INLINE __u16 sc_repeat_cost(__u16 cost)
{
	if (cost <= SC_NOVELTY_BITS * SC_COST_ONE)
		return 0;
	return (__u16)((cost - SC_NOVELTY_BITS * SC_COST_ONE) >> SC_KNOWN_SHIFT);
}

/*
 * Was the frame rt_sigreturn just closed (frames[c->nframes]) forged?
 * The stack pointer saved in the user's frame must be one recorded at a
 * delivery open until this call, or at most SC_SIGFRAME_SP_SLACK bytes
 * below it.  Any of them, not only the newest: a handler that a nested
 * one left by siglongjmp returns past that abandoned frame.  Not checked
 * (0) when the closed frame's stack pointer is unknown, when the saved one
 * cannot be read, or when frames were forgotten (past the bound, or
 * before the task was bound): the call may return through one of those.
 */
SC_INLINE int sc_sigframe_forged(void *ctx, const struct sc_core *c)
{
	__u32 i, n = c->nframes;
	__u64 want, sp;

	/* n < SC_FRAMES_MAX after a close; the mask is for the verifier */
	if (c->lost || !c->frames[n & (SC_FRAMES_MAX - 1)].sp)
		return 0;
	sp = SC_SIGRETURN_SP(ctx);
	if (!sp)
		return 0;
	for (i = 0; i < SC_FRAMES_MAX; i++) {
		if (i > n)
			break;
		want = c->frames[i].sp;
		if (want && sp <= want && want - sp <= SC_SIGFRAME_SP_SLACK)
			return 0;
	}
	return 1;
}

/* ---- the step ------------------------------------------------------------ */

/*
 * One syscall nr of a thread bound to c->profile (compat: made through the
 * ia32/x32 entry).  learn: nothing is checked or scored; v->learn says
 * that (a, b) -> x is to be counted, sc_learn_transparent(v) that x is a
 * call of the transparent set to count.  Returns v->kind.
 */
SC_INLINE __u32 sc_step(void *ctx, __u32 nslots, struct sc_core *c, long nr,
			int compat, int learn, struct sc_verdict *v)
{
	__u32 x, r;
	int known, in_set, new_guarded;

	v->kind = 0;
	v->anomaly = 0;
	v->checked = 0;
	v->skipped = 0;
	v->learn = 0;
	v->cost = 0;
	v->fills = 0;
	v->a = c->a;
	v->b = c->b;
	v->x = nr >= 0 && nr < SC_NR_MAX ? (__u16)nr : SC_ANY;
	c->nsyscalls++;
	/* 1. outside the alphabet: a violation; the state stays */
	if (compat)
		return v->kind = SC_EV_COMPAT_SYSCALL;
	if (nr < 0 || nr >= SC_NR_MAX)
		return v->kind = SC_EV_UNKNOWN_SYSCALL;
	x = (__u32)nr;
	if (c->flags & SC_PF_V2) {
		/* 2. a call the kernel re-issues after a signal, or user
		 * space retries, only happens by timing: it moves nothing */
		if (c->restart) {
			r = c->restart - 1u;
			c->restart = 0;
			if (x == r || x == SC_NR_restart_syscall) {
				v->skipped = SC_SKIP_REISSUE;
				return 0;
			}
		}
		/* 3. the end of a handler brings back what it interrupted;
		 * a forged frame closes the newest one all the same (the
		 * kernel restores the forged one), and is reported */
		if (x == SC_NR_rt_sigreturn) {
			r = sc_sigreturn(c);
			if (r) {
				v->skipped = SC_SKIP_SIGRETURN;
				if (r == 1 && !learn && sc_sigframe_forged(ctx, c))
					v->kind = SC_EV_SIGRETURN_FORGED;
				return v->kind;
			}
			if (!learn)
				v->kind = SC_EV_SIGRETURN;
		}
		/* 4. wait and wakeup calls: in the set, never in a state */
		if (sc_transparent(c, x)) {
			v->skipped = SC_SKIP_TRANSPARENT;
			return v->kind;
		}
	}
	/* 5. a state holding UNKNOWN is neither checked, scored nor learned */
	if (c->a == SC_UNKNOWN || c->b == SC_UNKNOWN)
		goto shift;
	if (learn) {
		v->learn = 1;
		goto shift;
	}
	if (!(c->flags & SC_TF_INFO))
		goto shift;
	/* 6. known, or unseen with its back-off cost, and the score */
	v->checked = 1;
	known = sc_check(ctx, nslots, c->profile, c->flags, c->unseen_cost,
			 c->a, c->b, x, &v->cost, &in_set);
	new_guarded = !known && SC_GUARDED(ctx, x) != 0;
	/* a run of one call: x after (x, x) is known when x has followed x
	 * before, at the back-off's probability, as a repeat is charged.
	 * How many times a loop turns (a write per client, a close per
	 * descriptor) follows the load, not the program; a guarded call
	 * still counts every time */
	if (!known && in_set == 2 && x == c->a && x == c->b && !new_guarded) {
		v->cost = sc_repeat_cost(v->cost);
		known = 1;
	}
	if (!known) {
		/* a guarded call in a context training never showed (made
		 * elsewhere or never) weighs what a call never made weighs,
		 * and the first time it fills the window: it is what an
		 * attacker adds to a program, whatever its counts say, and
		 * it kills under every policy, so in monitor mode the
		 * score crosses any threshold for it too */
		if (new_guarded)
			v->cost = c->unseen_cost;
		if (sc_novel_repeat(c, x))
			v->cost = sc_repeat_cost(v->cost);
		else
			v->fills = new_guarded;
	}
	v->anomaly = sc_score_push(&c->score, v->cost, v->fills, c->window,
				   c->thr_sum);
	if (!known && !v->kind)
		v->kind = sc_unseen_kind(in_set, new_guarded);
shift:
	/* 7. */
	c->a = c->b;
	c->b = (__u16)x;
	return v->kind;
}

#endif /* SC_READ_SLOT */
