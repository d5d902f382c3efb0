// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscfi.bpf.c - per-thread syscall state machines, checked in the kernel.
 *
 * sys_enter steps every profiled thread through its profile's transition
 * table (docs/architecture.md, "one table, one step function"; the user
 * space mirror is lib/replay.c).  sched_process_exec binds a task to a
 * profile, sched_process_fork passes the binding on to children/threads.
 * Unprofiled tasks pay one load (task->bpf_storage) and leave.
 *
 * The per-syscall path reads nothing but the task's own storage and the
 * table slots (docs/performance.md, "where the time goes"): the profile's
 * settings are copied into the task when it is bound, its syscalls are
 * counted in the task and folded into pstats when it exits or is rebound
 * (and by the fold_tasks iterator when the loader stops), and the lazy
 * binding of --existing/--learn is a second copy of the program, so the
 * loader attaches one that never reads a knob for an unprofiled task.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "syscfi.h"
#include "sc_step.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGKILL		9
#define TS_COMPAT	0x0002		/* arch/x86/include/asm/thread_info.h */
#define X32_SYSCALL_BIT	0x40000000
#define NSEC_PER_SEC	1000000000ull
/* include/linux/errno.h: a syscall a signal interrupted returns these */
#define EINTR			4
#define ERESTARTSYS		512
#define ERESTARTNOINTR		513
#define ERESTARTNOHAND		514
#define ERESTART_RESTARTBLOCK	516
/* a store the compiler may not reorder against another such store */
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* rt_sigreturn finds its struct rt_sigframe one word below the user's
 * stack pointer (the handler's ret popped pretcode) and restores the
 * stack pointer saved in it (sc_sigframe_forged in bpf/sc_step.h).  The
 * frame is user ABI: BTF gives its layout where the kernel has the type,
 * else the uapi one, pretcode (8) and ucontext's uc_flags, uc_link and
 * uc_stack (40), then sigcontext, whose sp is its 16th word. */
#define SIGFRAME_SP_OFF	(8 + 40 + 15 * 8)
_Static_assert(__builtin_offsetof(struct rt_sigframe, uc.uc_mcontext.sp) ==
	       SIGFRAME_SP_OFF, "x86_64 rt_sigframe: the uapi layout");

/* the stack pointer the current rt_sigreturn restores; 0 when the frame
 * cannot be read (a page not present: then nothing is checked).  Out of
 * line: inlined, its helper calls change how the compiler keeps the
 * step's values in registers, on every syscall's path (docs/
 * performance.md) */
static __noinline __u64 sigreturn_sp(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct rt_sigframe *frame;
	__u64 sp = 0;

	if (!regs)
		return 0;
	frame = (struct rt_sigframe *)(BPF_CORE_READ(regs, sp) - sizeof(long));
	if (bpf_core_type_exists(struct rt_sigframe)) {
		if (bpf_core_read_user(&sp, sizeof(sp), &frame->uc.uc_mcontext.sp))
			return 0;
	} else if (bpf_probe_read_user(&sp, sizeof(sp),
				       (char *)frame + SIGFRAME_SP_OFF)) {
		return 0;
	}
	return sp;
}
#define SC_SIGRETURN_SP(ctx) sigreturn_sp()

/* ---- run-time knobs, set by the loader between open and load ------------ */
const volatile __u32 kill_mode = 0;	/* 1: SIGKILL on violations ... */
const volatile __u32 policy = SC_POLICY_STRICT;	/* ... which ones: kills() */
const volatile __u32 existing_mode = 0;	/* 1: bind pre-existing tasks by comm */
const volatile __u32 hot_slots_on = 1;	/* 0: SYSCFI_TEST_NO_HOT_SLOTS, read at binding only */
const volatile __u32 table_nslots = SC_TABLE_SLOTS_MIN;	/* slots of trans */
const volatile __u32 rate_per_sec = 10;	/* events per task per second, 0 = no limit */
const volatile __u32 rate_burst = 20;	/* token bucket depth */
/* --guarded: an unseen transition into one of these is unseen-guarded */
const volatile __u64 guarded[SC_NR_MAX / 64] = {};
/* --learn (docs/learning.md): count transitions instead of checking them */
const volatile __u32 learn_mode = 0;	/* SC_LEARN_* */
const volatile __u32 learn_pid = 0;	/* SC_LEARN_PID: the process (tgid) */
const volatile __u64 learn_cgroup = 0;	/* SC_LEARN_CGROUP: cgroup v2 id ... */
const volatile __u32 learn_cg_level = 0;	/* ... and its depth below the root */
const volatile __u32 learn_max_programs = 1;	/* ids 1..this */

/* ---- profile sets and their swap (docs/architecture.md, "Reload") ------
 * The programs attached are small dispatchers that tail-call slot 0 of
 * their hook's jump table (jt_*): the step programs of the profile set in
 * force, one BPF object a set, whose maps (table, settings, bindings,
 * counters) are that set's own; task storage, hot slots, the ring and the
 * counters of .bss are shared by every set.  A reload loads the new set's
 * object, moves the old programs to slot 1 and puts the new ones in slot
 * 0; until set_cur reaches the new set's generation, the new programs hand
 * every event to the old ones (slot 1), so a task meets one set at a time
 * and never none.  One store of set_cur then swaps every hook at once.
 * The sys_enter step asks set_cur only for a task whose state is not of
 * its generation (or one it would bind): that state is made only by a set
 * in force, so the syscall of a task already brought over reads no word
 * outside its own state. */
const volatile __u32 set_gen = 0;	/* the generation of this object's set */
__u32 set_cur SEC(".data.sets") = 0;	/* the generation in force */
__u32 set_made SEC(".data.sets") = 0;	/* the last generation handed out */
__u32 set_refused SEC(".data.sets") = 0;	/* reloads refused (loader --reload) */
__u32 loader_pid SEC(".data.sets") = 0;	/* the loader that reads the ring, 0: none */

/* per-thread state: the contract's (struct sc_core, bpf/sc_step.h) first,
 * so that in a hot slot what every step reads shares the first cache
 * line with the slot's tag; the rest is read at binding, exit or on a
 * violation.  c.spare is the hot slot: in the storage, 1 + the index of
 * the slot that holds the state; 0: the state is here. */
struct sc_task {
	struct sc_core c;
	__u64 folded;		/* of c.nsyscalls, already added to pstats */
	__u64 rl_last_ns;	/* last token refill */
	__u32 rl_tokens;
	__u32 dropped;		/* events dropped since the last one sent */
	__u32 max_sum;		/* highest full-window score sum, for pstats */
	__u32 killed;		/* a violation of this task killed it */
	__u32 pad[4];		/* puts tcache sets on 32-byte boundaries */
	/* known slots of trans met lately, SC_TCACHE_WAYS to a set, newest
	 * first: a task in a loop finds its transitions here and reads no
	 * table page.  trans never changes while the maps live (a --pin
	 * adopter refuses other profiles), so an entry stays true; the key in
	 * it names the profile too.  A set is 32 bytes at a multiple of 32 in
	 * the slot: one cache line. */
	__u64 tcache[SC_TCACHE_SETS][SC_TCACHE_WAYS];
};

/* the compiled transition table: slot index -> packed slot (syscfi.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);		/* resized by the loader: table_nslots */
} trans SEC(".maps");

/* hot slots: the state of a profiled task lives in the slot of its tid
 * (tid mod SC_HOT_SLOTS) when it could claim it at binding, else in its
 * task storage.  The step reaches a hot slot with no helper call, in one
 * array page, where a task-storage hit costs a helper call on every
 * syscall (docs/performance.md, "Hot slots").  The task's
 * storage stays the binding's record (and what makes task->bpf_storage
 * non-NULL), with the slot's index in it. */
#define SC_HOT_SLOTS	4096

struct sc_hot {
	__u32 busy;		/* claimed (compare-and-swap from 0) */
	__u32 pid;		/* the owner: task->pid ... */
	__u64 start;		/* ... and task->start_time, unique together */
	struct sc_task t;
} __attribute__((aligned(1024)));	/* a slot never straddles two pages */

_Static_assert(sizeof(struct sc_hot) == 1024, "struct sc_hot: one 1 KiB slot");
_Static_assert(__builtin_offsetof(struct sc_hot, t.c.score.ring) <= 64,
	       "the tag and what a step reads share the slot's first cache line");
_Static_assert((__builtin_offsetof(struct sc_hot, t.tcache) & 31) == 0,
	       "a transition cache set is in one cache line");

/* mmapable: the slots start on a page boundary (a plain array's start
 * after the map's header, 312 bytes in) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sc_hot);
	__uint(max_entries, SC_HOT_SLOTS);
} hot SEC(".maps");

/* profile id -> window, threshold, flags */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_profile_info);
	__uint(max_entries, 1);		/* resized: number of profiles + 1 */
} pinfo SEC(".maps");

/* profile id -> counters, per CPU (summed by the loader) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_profile_stats);
	__uint(max_entries, 1);		/* resized: number of profiles + 1 */
} pstats SEC(".maps");

/* comm at exec (basename cut to 15 bytes) -> profile id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, char[SC_COMM_LEN]);
	__type(value, __u32);
	__uint(max_entries, 1);		/* resized */
} by_comm SEC(".maps");

/* executable (kernel dev_t, inode) -> profile id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sc_exe_key);
	__type(value, __u32);
	__uint(max_entries, 1);		/* resized */
} by_exe SEC(".maps");

/* exec edges of edge-checked profiles: (parent id, target) -> scoped
 * profile id or SC_EDGE_HANDOFF (syscfi.h, design.md section 2) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sc_edge_key);
	__type(value, __u32);
	__uint(max_entries, 1);		/* resized: two keys an edge */
} exec_edges SEC(".maps");

/* one edge key per CPU: too big for the exec handler's stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_edge_key);
	__uint(max_entries, 1);
} edge_scratch SEC(".maps");

/* task -> its binding and state; absent for unprofiled tasks */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_task);
} tasks SEC(".maps");

/* the jump tables: slot 0 the set in force, slot 1 the set it replaces
 * while a swap is open.  One table a hook: a program array takes programs
 * of one attach point only */
#define JT(name)							\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY);			\
		__uint(max_entries, 2);					\
		__type(key, __u32);					\
		__type(value, __u32);					\
	} name SEC(".maps")
JT(jt_enter);
JT(jt_exec);
JT(jt_fork);
JT(jt_exit);
JT(jt_uring);

/* counters of the sets a reload replaced, by profile id (the loader adds
 * them to pstats in the summary); no program reads them */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_profile_stats);
	__uint(max_entries, 1);		/* resized: number of profiles + 1 */
} pbase SEC(".maps");

/* profile id -> its name, so that a loader that adopts pinned state keeps
 * every id on its profile; no program reads it */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_pname);
	__uint(max_entries, 1);		/* resized: number of profiles + 1 */
} pnames SEC(".maps");

/* violations for the loader */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* profile id -> when it last put an event in the ring (ring_room) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);		/* resized: number of profiles + 1 */
} plast SEC(".maps");

/* events lost because the ring buffer was full, all profiles */
__u64 ringbuf_full = 0;
/* events not sent: their profile had filled the ring up to its reserve */
__u64 ring_reserved = 0;
/* profiled execs and children left unbound: no task storage (ENOMEM) */
__u64 bind_failed = 0;
/* bindings whose hot slot another live task held: state in task storage */
__u64 hot_taken = 0;

/* --learn: sc_key(program id, a, b, x) -> times seen (saturating) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 1);		/* resized: --max-transitions */
} learn_counts SEC(".maps");

/* --learn: (exec'ing program id or 0, comm) -> program id (--comm: 1) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sc_learn_name);
	__type(value, __u32);
	__uint(max_entries, 1);		/* resized: learn_max_programs */
} learn_names SEC(".maps");

/* --learn: program id -> the name that claimed it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct sc_learn_name);
	__uint(max_entries, 1);		/* resized: learn_max_programs */
} learn_ids SEC(".maps");

/* --learn: exec edges seen, (parent id, path as exec'd) -> child id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sc_edge_key);
	__type(value, __u32);
	__uint(max_entries, 1);		/* resized: learn_max_programs * 4 */
} learn_edges SEC(".maps");

__u64 learn_lost = 0;		/* counts not kept: learn_counts was full */
__u64 learn_lost_programs = 0;	/* programs not learned: no id left */
__u32 learn_next_id = 0;	/* last program id handed out */
__u64 learn_exec_unkeyed = 0;	/* execs by a relative path or an fd: not learned */
__u64 learn_edges_lost = 0;	/* edges not kept: learn_edges was full */

/* ---- the kill domain (docs/design.md, "kill domain") --------------------
 * Under --kill a violation kills every task that shares the violator's
 * address space or file table, so that a throwaway CLONE_VM/CLONE_FILES
 * child cannot leave its parent a socket or a mapping to use.  With the
 * task iterator and bpf_send_signal_task (6.13+) they are found and
 * signalled at once; without them each one is marked and dies at its
 * next syscall entry (domain_walk = 0, set by the loader). */
const volatile __u32 domain_walk = 1;

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;
extern int bpf_send_signal_task(struct task_struct *task, int sig,
				enum pid_type type, __u64 value) __weak __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __weak __ksym;
extern void bpf_task_release(struct task_struct *p) __weak __ksym;

/* tasks of other thread groups signalled (walk) or marked domains (mark) */
__u64 domain_signalled = 0;
__u64 domain_marked = 0;

/* the fallback: mm and files_struct addresses of killed domains -> when.
 * An address is freed only after its last task is gone; a new mm or file
 * table made later at the same address is unmarked when it appears (fork,
 * exec), so no innocent task inherits a mark. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 4096);
} doomed SEC(".maps");

/* io_uring opcodes (bit IORING_OP_*) each profile may submit; --learn:
 * those each learned program id submitted */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);		/* resized like pinfo (learn: ids + 1) */
} uring_ops SEC(".maps");

/* slot i of the table, or 0: the step's slot reader (bpf/sc_step.h).  The
 * probe's nslots is table_nslots, a .rodata constant, so the verifier
 * bounds the probe without walking every path of a variable size */
static __always_inline __u64 read_slot(__u32 i)
{
	__u64 *slot = bpf_map_lookup_elem(&trans, &i);

	return slot ? *slot : 0;
}

/* the task's cache of known slots: a hit spares the probe (and its table
 * page); a key is in a set at most once, only known slots are kept, no
 * key is 0 */
static __always_inline __u64 tcache_get(struct sc_task *t, __u64 key)
{
	__u64 *set = t->tcache[sc_tcache_set(key)];
	__u32 w;

	for (w = 0; w < SC_TCACHE_WAYS; w++)
		if (sc_slot_key(set[w]) == key)
			return set[w];
	return 0;
}

/* first in, first out: the oldest way goes */
static __always_inline void tcache_put(struct sc_task *t, __u64 slot)
{
	__u64 *set = t->tcache[sc_tcache_set(sc_slot_key(slot))];
	__u32 w;

	for (w = SC_TCACHE_WAYS - 1; w > 0; w--)
		set[w] = set[w - 1];
	set[0] = slot;
}

#define SC_READ_SLOT(ctx, i) read_slot(i)
#define SC_CACHE_GET(ctx, key) tcache_get((struct sc_task *)(ctx), key)
#define SC_CACHE_PUT(ctx, slot) tcache_put((struct sc_task *)(ctx), slot)
#define SC_GUARDED(ctx, x) ((guarded[((x) / 64) & (SC_NR_MAX / 64 - 1)] >> ((x) % 64)) & 1)
#include "sc_step.h"

static __always_inline struct sc_profile_stats *stats_of(__u32 p)
{
	return bpf_map_lookup_elem(&pstats, &p);
}

/* nearly every task: no BPF program gave it storage, so it is not bound;
 * found with one load of its own task_struct, no global read */
static __always_inline int no_storage(struct task_struct *task)
{
	return bpf_core_field_exists(task->bpf_storage) && !task->bpf_storage;
}

/* hot slot i (0..SC_HOT_SLOTS-1) */
static __always_inline struct sc_hot *hot_slot(__u32 i)
{
	return bpf_map_lookup_elem(&hot, &i);
}

/* the slot a task of tid pid may claim */
static __always_inline __u32 hot_index(__u32 pid)
{
	return pid & (SC_HOT_SLOTS - 1);
}

/* the state of a task whose storage is s (or NULL): its hot slot or s */
static __always_inline struct sc_task *state_of(struct sc_task *s)
{
	struct sc_hot *h;

	if (!s || !s->c.spare)
		return s;
	h = hot_slot(s->c.spare - 1);
	return h ? &h->t : s;
}

/* the step's way in: the task's hot slot if the tag names it, no helper */
static __always_inline struct sc_task *hot_of(struct task_struct *task)
{
	__u32 pid = (__u32)task->pid;
	struct sc_hot *h = hot_slot(hot_index(pid));

	if (h && h->pid == pid && h->start == task->start_time && h->busy)
		return &h->t;
	return NULL;
}

/* move the state of task (storage s) into the hot slot of its tid if that
 * is free; the state to use after: the slot's (zeroed) or s */
static __always_inline struct sc_task *hot_claim(struct task_struct *task,
						 struct sc_task *s)
{
	__u32 i = hot_index((__u32)task->pid);
	struct sc_hot *h;

	if (s->c.spare)
		return state_of(s);
	if (!hot_slots_on)
		return s;
	h = hot_slot(i);
	if (!h)
		return s;
	if (__sync_val_compare_and_swap(&h->busy, 0, 1) != 0) {
		__sync_fetch_and_add(&hot_taken, 1);
		return s;	/* another live task's: stay in the storage */
	}
	__builtin_memset(&h->t, 0, sizeof(h->t));
	h->t.rl_last_ns = s->rl_last_ns;
	h->t.rl_tokens = s->rl_tokens;
	h->t.dropped = s->dropped;
	WRITE_ONCE(h->start, task->start_time);
	WRITE_ONCE(h->pid, (__u32)task->pid);
	s->c.spare = i + 1;
	/* nothing of the binding is left in the storage to count or check */
	s->c.profile = 0;
	s->folded = s->c.nsyscalls;
	return &h->t;
}

/* give the hot slot of storage s back (the task exits, execs into another
 * tid or leaves its profile); its rate limit state goes back to s */
static __always_inline void hot_release(struct sc_task *s)
{
	struct sc_hot *h;

	if (!s->c.spare)
		return;
	h = hot_slot(s->c.spare - 1);
	s->c.spare = 0;
	if (!h)
		return;
	s->rl_last_ns = h->t.rl_last_ns;
	s->rl_tokens = h->t.rl_tokens;
	s->dropped = h->t.dropped;
	WRITE_ONCE(h->pid, 0);
	WRITE_ONCE(h->start, 0);
	WRITE_ONCE(h->busy, 0);
}

/* this set's generation where a task's flags keep it (SC_TF_SPARE) */
#define SET_GEN_BITS	((set_gen << SC_TF_SPARE_SHIFT) & SC_TF_SPARE)

/* --learn: the transparent set of the programs learned (the default or
 * --transparent), words of 64 calls */
const volatile __u64 learn_transparent[SC_NR_MAX / 64] = {};

/* copy profile p's settings into the task: the step reads no pinfo.
 * Learned programs have no settings: they step as format 2 with the
 * learn set. */
static __always_inline void task_settings(struct sc_task *t, __u32 p)
{
	__u32 i;

	if (learn_mode) {
		t->c.flags = SC_PF_V2 | SC_TF_INFO;
		for (i = 0; i < SC_NR_MAX / 64; i++)
			t->c.transparent[i] = learn_transparent[i];
		return;
	}
	sc_core_settings(&t->c, bpf_map_lookup_elem(&pinfo, &p));
	t->c.flags |= SET_GEN_BITS;
}

/* add the task's syscalls not yet counted to its profile's pstats entry;
 * --learn counts them in the step instead (only 0..511, as the extractor) */
static __always_inline void task_fold(struct sc_task *t)
{
	struct sc_profile_stats *st;
	__u64 n = t->c.nsyscalls;

	if (!t->c.profile || learn_mode || n == t->folded)
		return;
	st = stats_of(t->c.profile);
	if (st) {
		st->syscalls += n - t->folded;
		if (t->max_sum > st->max_sum)
			st->max_sum = t->max_sum;
	}
	t->folded = n;
}

/* the task's binding ends (exit, exec): its syscalls are counted, and it
 * is no longer one of its profile's bound tasks */
static __always_inline void task_unbind(struct sc_task *t)
{
	struct sc_profile_stats *st;

	if (!t->c.profile || learn_mode)
		return;
	task_fold(t);
	st = stats_of(t->c.profile);
	if (st)
		st->unbound++;
}

/* a step program of a set not yet in force hands the event to the set it
 * replaces (jump table slot 1); with none there it goes on itself */
static __always_inline int set_defers(void)
{
	return set_cur < set_gen;
}

/* was the state of t made under this object's set?  The flags are read by
 * every step anyway: one compare of a word already in the cache line */
static __always_inline int task_gen_ok(const struct sc_task *t)
{
	return ((t->c.flags ^ SET_GEN_BITS) & SC_TF_SPARE) == 0;
}

/* the first event of a task under a new set: ids are kept by name from
 * set to set, so its profile, if the new set still has it, is the same
 * id; its settings are copied again, the transition cache (slots of the
 * old table) is emptied, and the score starts over if the window changed.
 * A task whose profile is gone is unbound, as by an exec into an
 * unprofiled program.  Its state, or NULL when unbound.  Only in the
 * task's own context (its syscall, exec or fork). */
static __always_inline struct sc_task *task_migrate(struct task_struct *task,
						    struct sc_task *t)
{
	__u32 p = t->c.profile;
	struct sc_profile_info *pi = bpf_map_lookup_elem(&pinfo, &p);
	struct sc_task *s;

	if (pi && pi->window) {
		if (pi->window != t->c.window)
			__builtin_memset(&t->c.score, 0, sizeof(t->c.score));
		sc_core_settings(&t->c, pi);
		t->c.flags |= SET_GEN_BITS;
		__builtin_memset(t->tcache, 0, sizeof(t->tcache));
		return t;
	}
	task_unbind(t);
	s = bpf_task_storage_get(&tasks, task, 0, 0);
	if (!s)
		return NULL;
	hot_release(s);
	if (existing_mode)
		s->c.profile = 0;
	else
		bpf_task_storage_delete(&tasks, task);
	return NULL;
}

/* token bucket per task: refill it for the time since its last refill
 * (a task that never had one starts full) */
static __always_inline void rate_refill(struct sc_task *t, __u64 now)
{
	__u64 elapsed = now - t->rl_last_ns, add;

	if (elapsed >= NSEC_PER_SEC || t->rl_last_ns == 0) {
		t->rl_tokens = rate_burst;
		t->rl_last_ns = now;
	} else {
		add = elapsed * rate_per_sec / NSEC_PER_SEC;
		if (add) {
			t->rl_tokens += add;
			if (t->rl_tokens > rate_burst)
				t->rl_tokens = rate_burst;
			t->rl_last_ns += add * NSEC_PER_SEC / rate_per_sec;
		}
	}
}

/* 1 if task t may send an event now */
static __always_inline int rate_ok(struct sc_task *t)
{
	if (!rate_per_sec)
		return 1;
	rate_refill(t, bpf_ktime_get_ns());
	if (!t->rl_tokens)
		return 0;
	t->rl_tokens--;
	return 1;
}

/* a child starts with its parent's bucket less one token, and a fork
 * costs the parent a token, but never its last: the first children of a
 * task start with burst - 1, burst - 2, ... tokens and later ones with
 * none until refills come.  A storm of fresh children sends about
 * burst^2 / 2 events and then the rate, not a full burst each, and the
 * parent that made them keeps one event of its own (docs/design.md
 * section 6) */
static __always_inline void rate_fork(struct sc_task *parent,
				      struct sc_task *child)
{
	if (rate_per_sec)
		rate_refill(parent, bpf_ktime_get_ns());
	child->rl_last_ns = parent->rl_last_ns;
	child->rl_tokens = parent->rl_tokens ? parent->rl_tokens - 1 : 0;
	if (parent->rl_tokens > 1)
		parent->rl_tokens--;
}

/* the event's context; arg is filled by the caller */
static __always_inline void fill_event(struct sc_event *ev, struct sc_task *t,
				       __u32 kind, __u32 killed)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	ev->ktime_ns = bpf_ktime_get_boot_ns();
	ev->cgroup = bpf_get_current_cgroup_id();
	ev->nsyscalls = t->c.nsyscalls;
	ev->kind = kind;
	ev->killed = killed;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->profile = t->c.profile;
	ev->score_sum = t->c.score.sum;
	ev->score_fill = t->c.score.fill;
	ev->dropped = t->dropped;
	ev->nr = 0;
	ev->a = t->c.a;
	ev->b = t->c.b;
	ev->x = 0;
	ev->pad = 0;
	/* whole: a short read (connect's sockaddr) leaves no byte of the
	 * ring's previous event behind it */
	__builtin_memset(ev->arg, 0, sizeof(ev->arg));
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* the last part of the ring is kept for profiles that sent nothing in the
 * last second: one profile's storm fills the ring up to there and no
 * further, and any other profile still gets its events through
 * (docs/design.md section 6) */
#define RING_RESERVE_DIV	4		/* the last quarter */
#define RING_QUIET_NS		NSEC_PER_SEC

static __always_inline int ring_room(__u64 *last, __u64 now)
{
	__u64 fill = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	if (fill < size - size / RING_RESERVE_DIV || !last || !*last ||
	    now - *last >= RING_QUIET_NS)
		return 1;
	__sync_fetch_and_add(&ring_reserved, 1);
	return 0;
}

/* reserve an event if this task's rate allows and the ring has room for
 * its profile; otherwise count the drop (per task, carried into the next
 * event) */
static __always_inline struct sc_event *event_begin(struct sc_task *t,
						    struct sc_profile_stats *st)
{
	__u32 p = t->c.profile;
	__u64 now, *last = bpf_map_lookup_elem(&plast, &p);
	struct sc_event *ev;

	if (!rate_ok(t))
		goto drop;
	now = bpf_ktime_get_ns();
	if (!ring_room(last, now))
		goto drop;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&ringbuf_full, 1);
		goto drop;
	}
	if (last)
		*last = now;
	return ev;
drop:
	t->dropped++;
	if (st)
		st->dropped++;
	return NULL;
}

static __always_inline void event_end(struct sc_event *ev, struct sc_task *t)
{
	t->dropped = 0;
	bpf_ringbuf_submit(ev, 0);
}

/* path or sockaddr argument of the violating syscall, from its registers */
static __always_inline void read_arg(struct sc_event *ev, struct pt_regs *regs,
				     long nr)
{
	const void *ptr;
	__u64 len;

	switch (nr) {
	case SC_NR_execve:
	case SC_NR_open:
		ptr = (const void *)BPF_CORE_READ(regs, di);
		break;
	case SC_NR_execveat:
	case SC_NR_openat:
	case SC_NR_openat2:
		ptr = (const void *)BPF_CORE_READ(regs, si);
		break;
	case SC_NR_connect:
		ptr = (const void *)BPF_CORE_READ(regs, si);
		len = BPF_CORE_READ(regs, dx);
		if (len > SC_ARG_LEN)
			len = SC_ARG_LEN;
		if (bpf_probe_read_user(ev->arg, len & (SC_ARG_LEN * 2 - 1), ptr))
			ev->arg[0] = 0;
		return;
	default:
		return;
	}
	bpf_probe_read_user_str(ev->arg, sizeof(ev->arg), ptr);
}

/* is this violation a kill?  strict: every one; graded: all but an
 * unseen transition between known syscalls, which only feeds the score */
static __always_inline __u32 kills(__u32 kind)
{
	if (!kill_mode)
		return 0;
	return policy != SC_POLICY_GRADED || kind != SC_EV_UNSEEN_TRANSITION;
}

/* SIGKILL every task outside the current thread group whose mm or file
 * table is the current task's.  Runs only on a kill; it visits every
 * thread of the machine once (the iterator ends; the verifier proves the
 * loop by its states, with no count), about 0.3 us a thread here
 * (docs/security.md, "The kill domain"). */
static __noinline int domain_kill_walk(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct mm_struct *mm = cur->mm;
	struct files_struct *files = cur->files;
	struct task_struct *p, *ref;
	struct bpf_iter_task it;
	int tgid = cur->tgid, last = 0;

	if (!mm && !files)
		return 0;
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_THREADS);
	while ((p = bpf_iter_task_next(&it))) {
		if (p->tgid == tgid || p->tgid == last)
			continue;
		if ((!mm || p->mm != mm) && (!files || p->files != files))
			continue;
		ref = bpf_task_acquire(p);
		if (!ref)
			continue;
		if (!bpf_send_signal_task(ref, SIGKILL, PIDTYPE_TGID, 0))
			__sync_fetch_and_add(&domain_signalled, 1);
		bpf_task_release(ref);
		last = p->tgid;	/* the group is hit once, not per thread */
	}
	bpf_iter_task_destroy(&it);
	return 0;
}

/* the fallback: mark the current mm and file table; handle_doomed kills
 * each task that shares them at its next syscall entry */
static __always_inline void domain_kill_mark(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_ns(), key;

	key = (__u64)BPF_CORE_READ(cur, mm);
	if (key)
		bpf_map_update_elem(&doomed, &key, &now, BPF_ANY);
	key = (__u64)BPF_CORE_READ(cur, files);
	if (key)
		bpf_map_update_elem(&doomed, &key, &now, BPF_ANY);
	__sync_fetch_and_add(&domain_marked, 1);
}

/* --kill: the violator's thread group, then the rest of its domain */
static __always_inline void kill_domain(void)
{
	bpf_send_signal(SIGKILL);
	if (domain_walk)
		domain_kill_walk();
	else
		domain_kill_mark();
}

/* count one violation of task t, killed first where the policy says so
 * (with its kill domain, or its process only), and reserve its event:
 * NULL when the event is dropped (counted) */
static __always_inline struct sc_event *violation_begin_as(struct sc_task *t,
							   __u32 kind, __u32 kill,
							   int domain)
{
	struct sc_profile_stats *st = stats_of(t->c.profile);
	struct sc_event *ev;

	/* the kill never waits for user space or for room in the ring */
	if (kill) {
		t->killed = 1;
		if (domain)
			kill_domain();
		else
			bpf_send_signal(SIGKILL);
	}
	if (st) {
		st->violations++;
		if (kind < SC_EV_KINDS)
			st->kinds[kind]++;
		if (kill)
			st->kills++;
	}
	ev = event_begin(t, st);
	if (ev)
		fill_event(ev, t, kind, kill);
	return ev;
}

static __always_inline struct sc_event *violation_begin(struct sc_task *t,
							__u32 kind, int domain)
{
	return violation_begin_as(t, kind, kills(kind), domain);
}

/* report one violation of the step (or of an io_uring request) */
static __noinline void violation(struct sc_task *t, __u32 kind,
				  struct pt_regs *regs, long nr,
				  const struct sc_verdict *v)
{
	struct sc_event *ev;

	if (learn_mode)
		return;		/* learning: nothing is a violation */
	ev = violation_begin(t, kind, 1);
	if (!ev)
		return;
	ev->nr = nr;
	ev->a = v->a;
	ev->b = v->b;
	ev->x = kind == SC_EV_COMPAT_SYSCALL || kind == SC_EV_UNKNOWN_SYSCALL ?
		0 : v->x;
	if (regs && kind != SC_EV_COMPAT_SYSCALL && kind != SC_EV_UNKNOWN_SYSCALL)
		read_arg(ev, regs, nr);
	event_end(ev, t);
}

/* a binding that ends (exit, exec) before its window filled is judged on
 * the mean of its costs (sc_score_short_sum): --calibrate counts it, and
 * above the threshold it is an anomaly-score whose third symbol is the
 * wildcard.  An alert only: the thread is leaving, and nothing the
 * window could weigh is left to stop */
static __noinline void score_at_end(struct sc_task *t)
{
	struct sc_event *ev;
	__u32 s;

	/* a task this loader killed ended on its violation, not its own */
	if (!t->c.profile || learn_mode || !(t->c.flags & SC_TF_INFO) || t->killed)
		return;
	s = sc_score_short_sum(&t->c.score, t->c.window);
	if (s > t->max_sum && sc_score_calibrates(&t->c.score))
		t->max_sum = s;
	if (!sc_score_short_above(&t->c.score, t->c.window, t->c.thr_sum))
		return;
	ev = violation_begin_as(t, SC_EV_ANOMALY_SCORE, 0, 0);
	if (!ev)
		return;
	ev->nr = -1;
	ev->x = SC_ANY;
	event_end(ev, t);
}

/* the end of a task's binding by exit or exec */
static __always_inline void binding_end(struct sc_task *t)
{
	score_at_end(t);
	task_unbind(t);
}

/* --learn: the program id of a comm, handed out on first sight; 0 if
 * every id is taken (counted).  An id is claimed by a BPF_NOEXIST insert
 * into learn_ids, atomic without the fetching atomics of -mcpu=v3. */
static __always_inline __u32 learn_id(__u32 parent, const char *comm)
{
	struct sc_learn_name name = { .parent = parent };
	__u32 *id, nid = 0;
	int i;

	__builtin_memcpy(name.comm, comm, SC_COMM_LEN);
	id = bpf_map_lookup_elem(&learn_names, &name);
	if (id)
		return *id;
	for (i = 0; i < 8 && !nid; i++) {
		nid = learn_next_id + 1 + i;
		if (nid > learn_max_programs)
			break;
		if (bpf_map_update_elem(&learn_ids, &nid, &name, BPF_NOEXIST))
			nid = 0;
	}
	if (nid > learn_max_programs)
		nid = 0;
	if (nid) {
		learn_next_id = nid;
		if (!bpf_map_update_elem(&learn_names, &name, &nid, BPF_NOEXIST))
			return nid;
	}
	/* another CPU named it meanwhile, or no id is left */
	id = bpf_map_lookup_elem(&learn_names, &name);
	if (id)
		return *id;
	__sync_fetch_and_add(&learn_lost_programs, 1);
	return 0;
}

/* --learn --pid/--cgroup: is the current task one of the targets? */
static __always_inline int learn_target_now(void)
{
	if (learn_mode == SC_LEARN_PID)
		return (bpf_get_current_pid_tgid() >> 32) == learn_pid;
	if (learn_mode == SC_LEARN_CGROUP)
		return bpf_get_current_ancestor_cgroup_id(learn_cg_level) ==
		       learn_cgroup;
	return 0;
}

/* --learn: one more (a, b) -> x for program p; never wraps */
static __always_inline void learn_count(__u32 p, __u32 a, __u32 b, __u32 x)
{
	__u64 key = sc_key(p, a, b, x), one = 1, *c;

	c = bpf_map_lookup_elem(&learn_counts, &key);
	if (!c && bpf_map_update_elem(&learn_counts, &key, &one, BPF_NOEXIST)) {
		c = bpf_map_lookup_elem(&learn_counts, &key);	/* raced */
		if (!c) {
			__sync_fetch_and_add(&learn_lost, 1);	/* map full */
			return;
		}
	} else if (!c) {
		return;
	}
	if (*c != ~0ull)
		__sync_fetch_and_add(c, 1);
}

/* profile of a task met on a syscall: --existing binds by its comm,
 * --learn --pid/--cgroup the targets under their comm's program id */
static __always_inline __u32 lazy_profile(const char *comm)
{
	__u32 *id;

	if (learn_mode)
		return learn_target_now() ? learn_id(0, comm) : 0;
	id = bpf_map_lookup_elem(&by_comm, comm);
	return id ? *id : 0;
}

/* tasks are bound on their first syscall, not only at exec and fork:
 * handle_sys_enter_lazy is attached instead of handle_sys_enter */
static __always_inline int lazy_mode(void)
{
	return existing_mode || learn_mode == SC_LEARN_PID ||
	       learn_mode == SC_LEARN_CGROUP;
}

/* --existing / --learn: first syscall of a task we have not seen, bound in
 * state UNKNOWN; --existing remembers the others as profile 0 */
static __always_inline struct sc_task *bind_existing(struct task_struct *task)
{
	char comm[SC_COMM_LEN] = {};
	struct sc_profile_stats *st;
	struct sc_task *s, *t;
	__u32 id;

	bpf_get_current_comm(comm, sizeof(comm));
	id = lazy_profile(comm);
	if (!id && learn_mode)
		return NULL;	/* may join the targets later (cgroup) */
	s = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s)
		return NULL;
	if (!id)
		return s;	/* profile 0: remembered as unprofiled */
	t = hot_claim(task, s);
	sc_core_unknown(&t->c, id);
	task_settings(t, id);
	st = stats_of(id);
	if (st)
		st->tasks++;
	return t;
}

/* the step of every syscall (bpf/sc_step.h); lazy: bind unseen tasks
 * (--existing, --learn --pid/--cgroup), learn: count instead of check.
 * Both are constants in the copies below, so their dead branches cost
 * nothing.  While its set is not in force (set_defers) the event goes to
 * the set this one replaces (jump table slot 1; with none there this one
 * takes it).  Only a task not yet brought to this set, or not yet bound,
 * asks: a task's state takes this set's generation only once the set is
 * in force, so the step of a task brought over reads no set_cur. */
static __always_inline int sys_enter(void *ctx, struct pt_regs *regs, long nr,
				     struct task_struct *task, int lazy,
				     int learn)
{
	struct sc_profile_stats *st;
	struct sc_verdict v;
	struct sc_task *s, *t;
	int compat;
	__u32 p;

	t = hot_of(task);
	if (!t) {
		s = bpf_task_storage_get(&tasks, task, 0, 0);
		if (!s) {
			if (!lazy)
				return 0;
			/* learning swaps no set */
			if (!learn && set_defers())
				bpf_tail_call(ctx, &jt_enter, 1);
			s = bind_existing(task);
			if (!s)
				return 0;
		}
		t = state_of(s);
		if (!t)
			return 0;
	}
	p = t->c.profile;
	if (!p)
		return 0;
	if (!task_gen_ok(t)) {
		if (!learn && set_defers())
			bpf_tail_call(ctx, &jt_enter, 1);
		t = task_migrate(task, t);
		if (!t)
			return 0;
	}
	if (learn) {
		/* --learn counts what it learns from, as the extractor: 0..511 */
		st = stats_of(p);
		if (st && (__u64)nr < SC_NR_MAX)
			st->syscalls++;
	}
	compat = (task->thread_info.status & TS_COMPAT) ||
		 (nr & X32_SYSCALL_BIT);
	sc_step(t, table_nslots, &t->c, nr, compat, learn, &v);
	if (learn) {
		if (v.learn)
			learn_count(p, v.a, v.b, v.x);
		else if (sc_learn_transparent(&v))
			learn_count(p, SC_TRANSPARENT_KEY, SC_TRANSPARENT_KEY, v.x);
		return 0;
	}
	if (v.checked && t->c.score.fill >= t->c.window &&
	    t->c.score.sum > t->max_sum && sc_score_calibrates(&t->c.score))
		t->max_sum = t->c.score.sum;
	/* events carry the score with this syscall's cost in it, as the replay */
	if (v.kind)
		violation(t, v.kind, regs, nr, &v);
	if (v.anomaly)
		violation(t, SC_EV_ANOMALY_SCORE, regs, nr, &v);
	return 0;
}

/* the plain copy's step for a task with storage, out of line: the program
 * an unprofiled task runs is then a few instructions whose exit is next to
 * their entry, not a jump to the end of the whole step's code (docs/
 * performance.md, "the unprofiled exit") */
static __noinline int sys_enter_stored(void *ctx, struct pt_regs *regs,
				       long nr, struct task_struct *task)
{
	return sys_enter(ctx, regs, nr, task, 0, 0);
}

/* the dispatchers (the programs attached under enforcement): an
 * unprofiled task leaves the plain one after one load, as it left the
 * step before there were sets; the others go to the set in force
 * (jump table slot 0).  The loader autoloads one sys_enter dispatcher
 * and the matching step (loader/enforce.c choose_programs). */
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long nr)
{
	if (no_storage(bpf_get_current_task_btf()))
		return 0;
	bpf_tail_call(ctx, &jt_enter, 0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter_lazy, struct pt_regs *regs, long nr)
{
	bpf_tail_call(ctx, &jt_enter, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	bpf_tail_call(ctx, &jt_exec, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	bpf_tail_call(ctx, &jt_fork, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task)
{
	if (no_storage(task))
		return 0;
	bpf_tail_call(ctx, &jt_exit, 0);
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(handle_uring_submit, struct io_kiocb *req)
{
	bpf_tail_call(ctx, &jt_uring, 0);
	return 0;
}

/* the steps: a set's programs, in its jump table slots (or attached
 * themselves under --learn, where no set is ever swapped) */
SEC("tp_btf/sys_enter")
int BPF_PROG(step_sys_enter, struct pt_regs *regs, long nr)
{
	/* its dispatcher has seen storage: no second look */
	return sys_enter_stored(ctx, regs, nr, bpf_get_current_task_btf());
}

SEC("tp_btf/sys_enter")
int BPF_PROG(step_sys_enter_lazy, struct pt_regs *regs, long nr)
{
	return sys_enter(ctx, regs, nr, bpf_get_current_task_btf(), 1, 0);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter_learn, struct pt_regs *regs, long nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int lazy = lazy_mode();

	if (!lazy && no_storage(task))
		return 0;
	return sys_enter(ctx, regs, nr, task, lazy, 1);
}

/* (re)start task t under profile p in state (START, call) */
static __always_inline void task_start(struct sc_task *t, __u32 p, __u32 call)
{
	struct sc_profile_stats *st;

	task_fold(t);	/* the syscalls under the previous binding */
	sc_core_start(&t->c, p, call);
	t->folded = 0;
	t->max_sum = 0;
	t->killed = 0;
	task_settings(t, p);
	st = stats_of(p);
	if (st)
		st->tasks++;
}

/* the key of this exec's edge under profile p (syscfi.h), or NULL when
 * the exec can have none: a path that is not absolute, an exec by file
 * descriptor (/dev/fd/N, execveat with a dirfd), or one too long.  For
 * learning (by_path) the key is always the path as exec'd. */
static __always_inline struct sc_edge_key *edge_key(__u32 p,
						    struct linux_binprm *bprm,
						    int by_path)
{
	struct sc_edge_key *k;
	const char *fn, *interp;
	struct inode *inode;
	__u32 zero = 0;
	long n;

	k = bpf_map_lookup_elem(&edge_scratch, &zero);
	if (!k)
		return NULL;
	__builtin_memset(k, 0, sizeof(*k));
	k->parent = p;
	fn = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
	n = bpf_probe_read_kernel_str(k->path, sizeof(k->path), fn);
	if (n <= 1 || n >= SC_EXEC_PATH_LEN || k->path[0] != '/')
		return NULL;
	if (k->path[1] == 'd' && k->path[2] == 'e' && k->path[3] == 'v' &&
	    k->path[4] == '/' && k->path[5] == 'f' && k->path[6] == 'd' &&
	    k->path[7] == '/')
		return NULL;
	/* interp is filename until a binfmt hands the file to an
	 * interpreter (#! scripts, binfmt_misc): then bprm->file is the
	 * interpreter, and the script is known by its path only */
	if (by_path || fn != interp)
		return k;
	__builtin_memset(k->path, 0, sizeof(k->path));
	inode = BPF_CORE_READ(bprm, file, f_inode);
	k->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k->ino = BPF_CORE_READ(inode, i_ino);
	return k;
}

/* --learn: a learned program p execs comm: learned scoped under p, and
 * the edge (p, path) recorded; 0 when the path can key no edge */
static __always_inline __u32 learn_child(__u32 p, const char *comm,
					 struct linux_binprm *bprm)
{
	struct sc_edge_key *k = edge_key(p, bprm, 1);
	__u32 id;

	if (!k) {
		__sync_fetch_and_add(&learn_exec_unkeyed, 1);
		return 0;
	}
	id = learn_id(p, comm);
	if (id && bpf_map_update_elem(&learn_edges, k, &id, BPF_ANY))
		__sync_fetch_and_add(&learn_edges_lost, 1);
	return id;
}

/* --learn: program id of an exec by a learned task or a target, else 0;
 * what a learned task execs is learned scoped under its program */
static __always_inline __u32 learn_exec_id(struct task_struct *task,
					   const char *comm,
					   struct linux_binprm *bprm)
{
	struct sc_task *t = state_of(bpf_task_storage_get(&tasks, task, 0, 0));
	struct sc_learn_name name = {};
	__u32 *id;

	if (t && t->c.profile)
		return learn_child(t->c.profile, comm, bprm);
	if (t)
		return 0;	/* exec'd by a learned one, not learned: no target */
	if (learn_mode == SC_LEARN_COMM) {
		__builtin_memcpy(name.comm, comm, SC_COMM_LEN);
		id = bpf_map_lookup_elem(&learn_names, &name);
		return id && *id == 1 ? 1 : 0;
	}
	return learn_target_now() ? learn_id(0, comm) : 0;
}

/* top-level profile of the image being exec'd: exe inode first, then the
 * new comm.  A #! script is not its interpreter: no exe binding for it. */
static __always_inline __u32 profile_of_exec(struct task_struct *task,
					     struct linux_binprm *bprm)
{
	struct sc_exe_key ek = {};
	char comm[SC_COMM_LEN] = {};
	struct inode *inode;
	__u32 *id;

	if (learn_mode) {
		BPF_CORE_READ_STR_INTO(&comm, task, comm);
		return learn_exec_id(task, comm, bprm);
	}
	if (BPF_CORE_READ(bprm, filename) == BPF_CORE_READ(bprm, interp)) {
		inode = BPF_CORE_READ(bprm, file, f_inode);
		ek.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		ek.ino = BPF_CORE_READ(inode, i_ino);
		id = bpf_map_lookup_elem(&by_exe, &ek);
		if (id)
			return *id;
	}
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	id = bpf_map_lookup_elem(&by_comm, comm);
	return id ? *id : 0;
}

/* an exec that leaves the profile of task t (exec-unprofiled or
 * exec-unexpected): kill first, then count and report with the path */
static __noinline void exec_violation(struct sc_task *t, __u32 kind,
				      struct linux_binprm *bprm)
{
	/* the exec has left the old mm and file table: no domain to kill */
	struct sc_event *ev = violation_begin(t, kind, 0);

	if (!ev)
		return;
	ev->x = t->c.b;
	bpf_probe_read_kernel_str(ev->arg, sizeof(ev->arg),
				  BPF_CORE_READ(bprm, filename));
	event_end(ev, t);
}

/* an edge-checked task t execs: the target's scoped profile, 0 for a
 * hand-over, or exec-unexpected and the image's top-level profile top
 * (as if an unprofiled task had exec'd it: reported, never silent) */
static __always_inline __u32 exec_by_edge(struct sc_task *t, __u32 top,
					  struct linux_binprm *bprm)
{
	struct sc_edge_key *k = edge_key(t->c.profile, bprm, 0);
	__u32 *to = k ? bpf_map_lookup_elem(&exec_edges, k) : NULL;

	if (to)
		return *to == SC_EDGE_HANDOFF ? 0 : *to;
	exec_violation(t, SC_EV_EXEC_UNEXPECTED, bprm);
	return top;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(step_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct pt_regs *regs;
	struct sc_task *s, *t;
	__u32 p, call;
	int checked = 0;

	if (set_defers())
		bpf_tail_call(ctx, &jt_exec, 1);
	s = bpf_task_storage_get(&tasks, task, 0, 0);
	t = state_of(s);
	if (s && t && t->c.profile && !task_gen_ok(t) && !task_migrate(task, t)) {
		s = bpf_task_storage_get(&tasks, task, 0, 0);
		t = state_of(s);
	}
	p = profile_of_exec(task, bprm);
	if (!learn_mode && s && t && t->c.profile && (t->c.flags & SC_PF_EDGES)) {
		p = exec_by_edge(t, p, bprm);
		checked = 1;
	}
	if (!p) {
		if (!s || !t || !t->c.profile)
			return 0;
		/* a profiled task escaped into an unprofiled program; an
		 * edge-checked one was reported above, or handed over */
		if (!learn_mode && !checked)
			exec_violation(t, SC_EV_EXEC_UNPROFILED, bprm);
		binding_end(t);
		hot_release(s);
		/* keep the "unprofiled" mark; learning, it also keeps what a
		 * learned program exec'd but could not learn from becoming
		 * a top-level target */
		if (existing_mode || learn_mode)
			s->c.profile = 0;
		else
			bpf_task_storage_delete(&tasks, task);
		return 0;
	}
	if (s && t) {
		/* rebound: the old binding's syscalls are counted, and the
		 * slot claimed again (a thread's exec takes the leader's tid) */
		binding_end(t);
		hot_release(s);
	} else {
		s = bpf_task_storage_get(&tasks, task, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
	}
	if (!s) {
		/* never run a profiled image unchecked in silence */
		__sync_fetch_and_add(&bind_failed, 1);
		if (kill_mode)
			bpf_send_signal(SIGKILL);
		return 0;
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	call = regs ? BPF_CORE_READ(regs, orig_ax) : SC_NR_execve;
	if (call != SC_NR_execveat)
		call = SC_NR_execve;
	t = hot_claim(task, s);
	t->dropped = 0;
	task_start(t, p, call);
	return 0;
}

/* a profiled child that cannot be bound, under --kill: it dies before its
 * first instruction.  Without the kfunc, the parent that forked it dies
 * instead (docs/security.md) */
static __always_inline void kill_child(struct task_struct *child)
{
	if (bpf_send_signal_task)
		bpf_send_signal_task(child, SIGKILL, PIDTYPE_TGID, 0);
	else
		bpf_send_signal(SIGKILL);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(step_fork, struct task_struct *parent, struct task_struct *child)
{
	struct sc_profile_stats *st;
	struct sc_task *pt, *cs, *ct;

	if (set_defers())
		bpf_tail_call(ctx, &jt_fork, 1);
	pt = state_of(bpf_task_storage_get(&tasks, parent, 0, 0));
	if (!pt || !pt->c.profile)
		return 0;
	/* the fork runs in the parent: its state may be brought over */
	if (!task_gen_ok(pt) && !(pt = task_migrate(parent, pt)))
		return 0;
	cs = bpf_task_storage_get(&tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cs) {
		/* never let a profiled child run unchecked under --kill */
		__sync_fetch_and_add(&bind_failed, 1);
		if (kill_mode)
			kill_child(child);
		return 0;
	}
	cs->dropped = 0;
	rate_fork(pt, cs);
	ct = hot_claim(child, cs);
	task_fold(ct);
	sc_core_fork(&ct->c, &pt->c, pt->c.b);
	ct->folded = 0;
	ct->max_sum = 0;
	ct->killed = 0;
	st = stats_of(ct->c.profile);
	if (st)
		st->tasks++;
	return 0;
}

/* a signal reaches a profiled thread (sc_signal in bpf/sc_step.h).  This
 * runs in the receiving thread before its handler's frame is set up, so
 * the registers still hold the interrupted syscall's number and result,
 * and the stack pointer the frame will save. */
SEC("tp_btf/signal_deliver")
int BPF_PROG(handle_signal_deliver, int sig, struct kernel_siginfo *info,
	     struct k_sigaction *ka)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long handler;
	struct pt_regs *regs;
	long orig, ret, restart = -1;
	struct sc_task *t;
	__u64 sp = 0;

	if (no_storage(task))
		return 0;
	t = hot_of(task);
	if (!t)
		t = state_of(bpf_task_storage_get(&tasks, task, 0, 0));
	if (!t || !t->c.profile)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs) {
		/* the interrupted stack pointer: what the handler's frame
		 * saves, on the altstack or not */
		sp = BPF_CORE_READ(regs, sp);
		orig = BPF_CORE_READ(regs, orig_ax);
		ret = BPF_CORE_READ(regs, ax);
		if (orig >= 0 && (ret == -EINTR || ret == -ERESTARTSYS ||
				  ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
				  ret == -ERESTART_RESTARTBLOCK))
			restart = orig;
	}
	/* SIG_DFL is 0 and SIG_IGN 1: anything else is a handler */
	handler = (unsigned long)BPF_CORE_READ(ka, sa.sa_handler);
	sc_signal(&t->c, handler > 1, restart, sp);
	return 0;
}

/* a bound task's last syscalls go into the summary when it exits, and its
 * hot slot is given back */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(step_exit, struct task_struct *task)
{
	struct sc_task *s, *t;

	if (set_defers())
		bpf_tail_call(ctx, &jt_exit, 1);
	if (no_storage(task))
		return 0;
	s = bpf_task_storage_get(&tasks, task, 0, 0);
	t = state_of(s);
	if (!s || !t)
		return 0;
	binding_end(t);
	hot_release(s);
	return 0;
}

/* ---- io_uring: the opcodes a profile may submit --------------------------
 * A request is seen when it is submitted: in the thread that called
 * io_uring_enter (inline or IOSQE_ASYNC), or in the ring's iou-sqp thread
 * under SQPOLL.  An io thread is a thread of the ring's owner (same tgid,
 * no fork event, no storage of its own): it is checked under its group
 * leader's binding, and a kill from it hits the owner's thread group.
 * Opcodes are a set, not a sequence: under SQPOLL their order against the
 * owner's syscalls depends on timing. */
#define PF_IO_WORKER	0x00000010	/* include/linux/sched.h */

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(step_uring, struct io_kiocb *req)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *owner = task;
	struct sc_profile_info *pi;
	struct sc_verdict v = {};
	struct sc_task *t;
	__u32 p, op = BPF_CORE_READ(req, opcode);
	__u64 bit = op < SC_URING_OPS ? 1ull << op : 0, *ops;

	if (set_defers())
		bpf_tail_call(ctx, &jt_uring, 1);
	if (task->flags & PF_IO_WORKER)
		owner = task->group_leader;
	if (!owner)
		return 0;
	t = state_of(bpf_task_storage_get(&tasks, owner, 0, 0));
	if (!t || !t->c.profile)
		return 0;
	p = t->c.profile;
	/* an io thread may run beside its owner: the owner's state is left
	 * to the owner's own events to bring over; its profile must still
	 * be in this set, whose id it keeps */
	if (!task_gen_ok(t)) {
		pi = bpf_map_lookup_elem(&pinfo, &p);
		if (!pi || !pi->window)
			return 0;
	}
	ops = bpf_map_lookup_elem(&uring_ops, &p);
	if (learn_mode) {
		if (ops && bit)
			__sync_fetch_and_or(ops, bit);
		return 0;
	}
	if (!(t->c.flags & SC_TF_INFO) || (ops && (*ops & bit)))
		return 0;
	v.a = t->c.a;
	v.b = t->c.b;
	v.x = SC_NR_io_uring_enter;
	violation(t, SC_EV_IO_URING_OPCODE, NULL, op, &v);
	return 0;
}

/* ---- the kill domain's fallback (domain_walk = 0): loaded only then ----- */

/* a task whose mm or file table was marked by a kill dies at its next
 * syscall entry; that syscall was not checked, and the one before it,
 * made after the mark, has run (docs/security.md) */
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_doomed, struct pt_regs *regs, long nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm, files;

	if (!domain_marked || no_storage(task))
		return 0;
	mm = (__u64)BPF_CORE_READ(task, mm);
	files = (__u64)BPF_CORE_READ(task, files);
	if ((mm && bpf_map_lookup_elem(&doomed, &mm)) ||
	    (files && bpf_map_lookup_elem(&doomed, &files))) {
		bpf_send_signal(SIGKILL);
		__sync_fetch_and_add(&domain_signalled, 1);
	}
	return 0;
}

/* a new mm or file table may reuse a marked address: it is not doomed */
static __always_inline void domain_unmark_new(struct task_struct *task,
					      struct task_struct *parent)
{
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);
	__u64 files = (__u64)BPF_CORE_READ(task, files);

	if (!domain_marked)
		return;
	if (mm && (!parent || mm != (__u64)BPF_CORE_READ(parent, mm)))
		bpf_map_delete_elem(&doomed, &mm);
	if (files && (!parent || files != (__u64)BPF_CORE_READ(parent, files)))
		bpf_map_delete_elem(&doomed, &files);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_doomed_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	domain_unmark_new(child, parent);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_doomed_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	domain_unmark_new(task, NULL);
	return 0;
}

/* run once by the loader when it stops (not attached with the others):
 * the syscalls of the tasks still alive go into the summary too */
SEC("iter/task")
int fold_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct sc_task *t;

	if (!task)
		return 0;
	t = state_of(bpf_task_storage_get(&tasks, task, 0, 0));
	if (t)
		task_fold(t);
	return 0;
}
