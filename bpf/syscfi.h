/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * syscfi.h - the one header shared by the BPF program and user space.
 *
 * Only fixed-width types, constants, layouts and the integer score
 * arithmetic live here, so the kernel and the offline replay compile the
 * very same code and agree to the bit (design.md, "same verdict and the
 * same score").  Nothing here may use floats, libc or kernel headers.
 */
#ifndef SYSCFI_H
#define SYSCFI_H

#ifdef __BPF__
/* vmlinux.h is included by the .bpf.c before us and defines __u8.. __u64 */
#define SC_INLINE static __always_inline
#else
#include <linux/types.h>
#define SC_INLINE static inline
#endif

/* ---- alphabet ---------------------------------------------------------- */

#define SC_NR_MAX	512		/* native syscalls are 0..511 */
#define SC_START	512		/* sentinel: start of a task */
#define SC_UNKNOWN	513		/* sentinel: start not observed */
#define SC_SIGNAL	514		/* sentinel: a signal handler's start */
#define SC_ANY		1023		/* wildcard in back-off keys */
#define SC_SYM_BITS	10		/* a, b, x each fit in 10 bits */
#define SC_SYM_MASK	((1u << SC_SYM_BITS) - 1)

#define SC_PROFILE_BITS	16
#define SC_PROFILES_MAX	((1u << SC_PROFILE_BITS) - 1)	/* id 0 is never used */
#define SC_COMM_LEN	16		/* TASK_COMM_LEN */
#define SC_WINDOW_MAX	64		/* power of two; ring buffer of costs */
#define SC_WINDOW_DEFAULT 32

/* ---- transition table ---------------------------------------------------
 * One open-addressed table (a BPF array of __u64 slots) holds every loaded
 * profile.  A slot packs:
 *   bit 0       occupied
 *   bit 1       known transition (0: a back-off entry, used only for cost)
 *   bits 2..17  cost of the transition, 1/256 bit units (u16)
 *   bits 18..63 key = profile(16) | a(10) | b(10) | x(10)
 * Lookups probe linearly from sc_home(key, nslots) for at most
 * SC_PROBE_MAX slots, wrapping from the last slot to slot 0; an empty slot
 * ends the probe.  nslots is any number (not a power of two: the loader
 * sizes the table to the entries, at a load of about 0.8, and grows it by
 * 1.25x until every key is found within that bound).  Inside a cluster the
 * entries are in the order of their homes (Robin Hood), which keeps the
 * longest probe short at that load.
 * Back-off entries: (SC_ANY, b, x) bigram cost and (SC_ANY, SC_ANY, x)
 * unigram cost; a depth-1 profile's known transitions are (SC_ANY, b, x).
 */
#define SC_SLOT_USED	1ull
#define SC_SLOT_KNOWN	2ull
#define SC_SLOT_COST_SHIFT 2
#define SC_SLOT_KEY_SHIFT 18
#define SC_PROBE_MAX	32
#define SC_TABLE_SLOTS_MIN 64
#define SC_TABLE_SLOTS_MAX (1u << 26)	/* 512 MiB */

SC_INLINE __u64 sc_key(__u32 profile, __u32 a, __u32 b, __u32 x)
{
	return ((__u64)(profile & 0xffff) << 30) |
	       ((__u64)(a & SC_SYM_MASK) << 20) |
	       ((__u64)(b & SC_SYM_MASK) << 10) | (x & SC_SYM_MASK);
}

/* the fields of a key, as sc_key packed them */
SC_INLINE __u32 sc_key_profile(__u64 key)
{
	return (__u32)(key >> 30) & 0xffff;
}

SC_INLINE __u32 sc_key_a(__u64 key)
{
	return (__u32)(key >> 20) & SC_SYM_MASK;
}

SC_INLINE __u32 sc_key_b(__u64 key)
{
	return (__u32)(key >> 10) & SC_SYM_MASK;
}

SC_INLINE __u32 sc_key_x(__u64 key)
{
	return (__u32)key & SC_SYM_MASK;
}

/* Fibonacci hashing: the top 32 bits of key * 2^64/phi spread sequential keys */
SC_INLINE __u32 sc_hash(__u64 key)
{
	return (__u32)((key * 0x9E3779B97F4A7C15ull) >> 32);
}

/* home slot of key: the hash scaled to 0..nslots-1 by a multiply and a
 * shift (fastrange), so a table of any size costs no division; homes keep
 * the order of hashes, whatever nslots is */
SC_INLINE __u32 sc_home(__u64 key, __u32 nslots)
{
	return (__u32)(((__u64)sc_hash(key) * nslots) >> 32);
}

/* the slot after i in a probe: wraps to 0 after the last */
SC_INLINE __u32 sc_next_slot(__u32 i, __u32 nslots)
{
	return i + 1 >= nslots ? 0 : i + 1;
}

/* per-task cache of known slots (bpf/syscfi.bpf.c struct sc_task):
 * SC_TCACHE_SETS sets of SC_TCACHE_WAYS slots, each set 32 bytes of one
 * cache line; the set is picked by the low bits of the key's hash, while
 * the home slot comes from its high bits.  Four ways, because a loop's
 * few transitions often share a set: with one way they would evict each
 * other on every turn and send each step to the table */
#define SC_TCACHE_SETS	16
#define SC_TCACHE_WAYS	4

SC_INLINE __u32 sc_tcache_set(__u64 key)
{
	return sc_hash(key) & (SC_TCACHE_SETS - 1);
}

SC_INLINE __u64 sc_slot(__u64 key, __u16 cost, int known)
{
	return (key << SC_SLOT_KEY_SHIFT) |
	       ((__u64)cost << SC_SLOT_COST_SHIFT) |
	       (known ? SC_SLOT_KNOWN : 0) | SC_SLOT_USED;
}

SC_INLINE __u64 sc_slot_key(__u64 slot) { return slot >> SC_SLOT_KEY_SHIFT; }
SC_INLINE __u16 sc_slot_cost(__u64 slot)
{
	return (__u16)(slot >> SC_SLOT_COST_SHIFT);
}

/* ---- costs and the score --------------------------------------------------
 * Cost of a syscall = -log2 P in 1/256 bit (u16, capped).  The loader
 * precomputes costs; the kernel only adds integers.  Score = sum of the
 * last W costs; alert when a full window's sum exceeds threshold * W.
 */
#define SC_COST_ONE	256		/* 1 bit */
#define SC_COST_CAP	0xffff
/* the escape every back-off cost includes: P(a novel transition) = 2^-16
 * (lib/score.c says why) */
#define SC_NOVELTY_BITS	16
/* known transitions weigh 1 / 2^SC_KNOWN_SHIFT of their -log2 P */
#define SC_KNOWN_SHIFT	2

struct sc_score {
	__u32 sum;		/* sum of ring[0..fill), a step that fills the
				 * window at its weight (sc_score_push) */
	__u16 pos;		/* next slot to overwrite */
	__u16 fill;		/* valid entries, <= window */
	__u8 above;		/* window mean above threshold (edge trigger) */
	__u8 nfull;		/* steps in the window that fill it */
	__u8 pad[2];
	__u16 ring[SC_WINDOW_MAX];
	/* bit i: ring[i] fills the window; read only while nfull, off the
	 * step's cache line (two words: the struct keeps a 4-byte alignment) */
	__u32 full[SC_WINDOW_MAX / 32];
};

/* the window a score uses: the given one, or the default when it is out
 * of range (a task bound before its settings came) */
SC_INLINE __u32 sc_window_of(__u32 window)
{
	return window == 0 || window > SC_WINDOW_MAX ? SC_WINDOW_DEFAULT : window;
}

/*
 * A binding that ends (exit, exec) before its window ever filled: the
 * mean of its costs stands for its window, so that a short thread is
 * judged as a long one is.  The sum a full window of that mean would
 * hold (rounded down), or 0 once the window filled or if nothing was
 * scored; sc_score_short_above() says whether that mean is above the
 * threshold (exactly: sum * window > thr_sum * fill).
 */
SC_INLINE __u32 sc_score_short_sum(const struct sc_score *s, __u32 window)
{
	window = sc_window_of(window);
	if (!s->fill || s->fill >= window)
		return 0;
	return (__u32)((__u64)s->sum * window / s->fill);
}

SC_INLINE int sc_score_short_above(const struct sc_score *s, __u32 window,
				   __u32 thr_sum)
{
	window = sc_window_of(window);
	return thr_sum && s->fill && s->fill < window &&
	       (__u64)s->sum * window > (__u64)thr_sum * s->fill;
}

/* may the score's window (or short binding) set a threshold?  Not while
 * it holds a step that fills it: that crosses any threshold, and a normal
 * run that makes one needs more training, not a threshold above the cap
 * (loader --calibrate, extractor --validate) */
SC_INLINE int sc_score_calibrates(const struct sc_score *s)
{
	return !s->nfull;
}

/* what a step that fills the window weighs beyond its own cost */
SC_INLINE __u32 sc_score_fill_extra(__u16 cost, __u32 window)
{
	return (window - 1) * cost;
}

/*
 * Push one cost into a window of `window` (1..SC_WINDOW_MAX) entries.
 * A step that fills the window (fills != 0) weighs window * cost: while
 * the window holds it, the window's mean is at least that cost whatever
 * the other steps, so at the cap it crosses any threshold below the cap.
 * Returns 1 exactly when a full window's sum goes from <= thr_sum to
 * > thr_sum (thr_sum = threshold in 1/256 bit * window; 0 = no threshold).
 */
SC_INLINE int sc_score_push(struct sc_score *s, __u16 cost, int fills,
			    __u32 window, __u32 thr_sum)
{
	__u32 pos = s->pos & (SC_WINDOW_MAX - 1);
	__u32 *word = &s->full[pos / 32], bit = 1u << (pos % 32);
	int fire = 0;

	window = sc_window_of(window);
	if (s->fill >= window) {
		s->sum -= s->ring[pos];
		if (s->nfull && (*word & bit)) {
			s->sum -= sc_score_fill_extra(s->ring[pos], window);
			*word &= ~bit;
			s->nfull--;
		}
	} else {
		s->fill++;
	}
	if (fills) {
		*word |= bit;
		s->nfull++;
		s->sum += sc_score_fill_extra(cost, window);
	}
	s->ring[pos] = cost;
	s->sum += cost;
	pos++;
	s->pos = pos >= window ? 0 : pos;
	if (thr_sum && s->fill >= window) {
		if (s->sum > thr_sum) {
			fire = !s->above;
			s->above = 1;
		} else {
			s->above = 0;
		}
	}
	return fire;
}

/* ---- per-profile settings (array map indexed by profile id) ------------- */

#define SC_PF_DEPTH1	1u		/* profile checks b -> x only */
#define SC_PF_V2	2u		/* format 2: transparent set, signal frames,
					 * re-issued calls (bpf/sc_step.h) */
#define SC_PF_EDGES	4u		/* its execs are checked against exec edges */

struct sc_profile_info {
	__u32 flags;		/* SC_PF_* */
	__u32 window;		/* 1..SC_WINDOW_MAX */
	__u32 thr_sum;		/* threshold * window, 1/256 bit; 0 = none */
	__u16 unseen_cost;	/* cost when no back-off entry matches */
	__u16 pad;
	__u64 transparent[SC_NR_MAX / 64];	/* SC_PF_V2: the transparent set */
};

/* a profile's name ("parent/comm" when scoped), by profile id: ids are
 * kept by name from one profile set to the next (docs/architecture.md,
 * "Reload") */
#define SC_LABEL_LEN	160		/* 9 comms of 15 bytes and their '/' */

struct sc_pname {
	char label[SC_LABEL_LEN];
};

/* violations by kind (enum sc_event_kind, below): kinds are 1..15 */
#define SC_EV_KINDS	16

/* per-profile counters (per-CPU array indexed by profile id); counted at
 * binding, exit, exec and violation, never on a plain syscall */
struct sc_profile_stats {
	__u64 tasks;		/* tasks bound (exec, fork, --existing) */
	__u64 syscalls;		/* syscalls checked */
	__u64 violations;
	__u64 kills;
	__u64 dropped;		/* events not sent: rate limit or ring full */
	__u64 max_sum;		/* highest full-window score sum of a task,
				 * windows holding a step that fills them left
				 * out (folded like syscalls; loader --calibrate) */
	__u64 unbound;		/* bindings ended (exit, exec): tasks - unbound
				 * are bound now */
	__u64 kinds[SC_EV_KINDS];	/* violations by kind */
};

/* key of the exe binding map: the executable's device and inode */
struct sc_exe_key {
	__u64 dev;
	__u64 ino;
};

/* ---- exec edges (design.md section 2) ------------------------------------
 * One hash map holds every edge of every edge-checked profile.  A binary is
 * keyed by the (dev, inode) of the file the kernel runs, with path all
 * zero; a `#!` script (or any image another binfmt hands to an
 * interpreter) by the path as exec'd, with dev and ino 0.  The value is
 * the target's scoped profile id, or SC_EDGE_HANDOFF. */
#define SC_EXEC_PATH_LEN 256		/* edge paths are shorter than this */
#define SC_EDGE_HANDOFF	0xffffffffu	/* the target runs unprofiled */

struct sc_edge_key {
	__u32 parent;		/* the exec'ing task's profile id */
	__u32 pad;
	__u64 dev;
	__u64 ino;
	char path[SC_EXEC_PATH_LEN];
};

/* --learn: a program id's name, its comm scoped under the id of the
 * program that exec'd it (0: top level) */
struct sc_learn_name {
	__u32 parent;
	char comm[SC_COMM_LEN];
};

/* ---- --learn: who is learned (bpf/syscfi.bpf.c learn_mode) -------------- */

#define SC_LEARN_OFF	0		/* enforcement */
#define SC_LEARN_COMM	1		/* execs of one comm (program id 1) */
#define SC_LEARN_PID	2		/* one process, bound lazily, and its children */
#define SC_LEARN_CGROUP	3		/* every task of a cgroup v2 subtree */

/* --learn: learn_counts key of a transparent call x: (T, T, x) */
#define SC_TRANSPARENT_KEY 515

/* --kill --policy: which violations kill (docs/design.md, "Policies") */
#define SC_POLICY_STRICT 0		/* every violation */
#define SC_POLICY_GRADED 1		/* all but an unseen transition between
					 * known syscalls: the score decides */

/* ---- events -------------------------------------------------------------- */

enum sc_event_kind {
	SC_EV_UNSEEN_TRANSITION = 1,
	SC_EV_ANOMALY_SCORE,
	SC_EV_EXEC_UNPROFILED,
	SC_EV_COMPAT_SYSCALL,
	SC_EV_UNKNOWN_SYSCALL,
	SC_EV_UNSEEN_SYSCALL,		/* unseen, and x outside the syscall set */
	SC_EV_SIGRETURN,		/* rt_sigreturn with no signal frame open */
	SC_EV_IO_URING_OPCODE,	/* nr: the io_uring opcode (IORING_OP_*) */
	SC_EV_EXEC_UNEXPECTED,
	SC_EV_UNSEEN_GUARDED,		/* unseen, x in the set and guarded */
	SC_EV_SIGRETURN_FORGED,	/* rt_sigreturn through a frame whose saved
				 * stack pointer no delivery recorded */
	SC_EV_END			/* one past the last kind */
};
_Static_assert(SC_EV_END <= SC_EV_KINDS,
	       "struct sc_profile_stats counts every kind");

/* io_uring opcodes a profile may submit: one bit per IORING_OP_* below
 * this; a larger opcode is never in a profile's set */
#define SC_URING_OPS	64

#define SC_ARG_LEN	128

struct sc_event {
	__u64 ktime_ns;		/* bpf_ktime_get_boot_ns() */
	__u64 cgroup;		/* cgroup v2 id */
	__u64 nsyscalls;	/* syscalls this task made under its profile */
	__u32 kind;		/* enum sc_event_kind */
	__u32 killed;		/* SIGKILL sent */
	__u32 pid, tid, ppid, uid;
	__u32 profile;		/* profile id */
	__u32 score_sum;	/* window sum, 1/256 bit */
	__u32 score_fill;	/* entries in the window */
	__u32 dropped;		/* this task's events dropped before this one */
	__s64 nr;		/* raw syscall number (compat/unknown) */
	__u16 a, b, x;		/* the transition (a, b) -> x */
	__u16 pad;
	char comm[SC_COMM_LEN];
	char arg[SC_ARG_LEN];	/* path or ip:port, where readable */
};

#endif /* SYSCFI_H */
