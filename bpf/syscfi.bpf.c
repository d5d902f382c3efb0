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

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGKILL		9
#define TS_COMPAT	0x0002		/* arch/x86/include/asm/thread_info.h */
#define X32_SYSCALL_BIT	0x40000000
#define NR_OPEN		2
#define NR_CONNECT	42
#define NR_EXECVE	59
#define NR_OPENAT	257
#define NR_EXECVEAT	322
#define NR_OPENAT2	437
#define NSEC_PER_SEC	1000000000ull
/* a store the compiler may not reorder against another such store */
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* ---- run-time knobs, set by the loader between open and load ------------ */
const volatile __u32 kill_mode = 0;	/* 1: SIGKILL on every violation */
const volatile __u32 existing_mode = 0;	/* 1: bind pre-existing tasks by comm */
const volatile __u32 hot_slots_on = 1;	/* 0: --no-hot-slots, read at binding only */
const volatile __u32 table_nslots = SC_TABLE_SLOTS_MIN;	/* slots of trans */
const volatile __u32 rate_per_sec = 10;	/* events per task per second, 0 = no limit */
const volatile __u32 rate_burst = 20;	/* token bucket depth */
/* --learn (docs/learning.md): count transitions instead of checking them */
const volatile __u32 learn_mode = 0;	/* SC_LEARN_* */
const volatile __u32 learn_pid = 0;	/* SC_LEARN_PID: the process (tgid) */
const volatile __u64 learn_cgroup = 0;	/* SC_LEARN_CGROUP: cgroup v2 id ... */
const volatile __u32 learn_cg_level = 0;	/* ... and its depth below the root */
const volatile __u32 learn_max_programs = 1;	/* ids 1..this */

/* sc_task.flags: the profile's SC_PF_* and this, "settings copied" */
#define TF_INFO		(1u << 31)

/* per-thread state; profile 0 marks "looked at, no profile" (--existing).
 * What every step reads and writes comes first: in a hot slot it shares
 * the first cache line with the slot's tag (docs/performance.md, "hot
 * slots"); the rest is read at binding, exit or on a violation. */
struct sc_task {
	__u32 profile;
	__u16 a, b;
	__u64 nsyscalls;	/* under this profile, as events report them */
	/* the profile's sc_profile_info, copied when the task is bound */
	__u32 flags;		/* SC_PF_* | TF_INFO; 0: no settings, no check */
	__u32 window;
	__u32 thr_sum;
	__u16 unseen_cost;
	__u16 hot;		/* in the storage: 1 + index of the hot slot that
				 * holds the state; 0: the state is here */
	struct sc_score score;
	__u64 folded;		/* of nsyscalls, already added to pstats */
	__u64 rl_last_ns;	/* last token refill */
	__u32 rl_tokens;
	__u32 dropped;		/* events dropped since the last one sent */
	__u64 pad;		/* puts tcache sets on 32-byte boundaries */
	/* known slots of trans met lately, SC_TCACHE_WAYS to a set, newest
	 * first: a task in a loop finds its transitions here and reads no table
	 * page (docs/performance.md, "the transition cache").  trans never
	 * changes while the maps live (a --pin adopter refuses other profiles),
	 * so an entry stays true; the key in it names the profile too.  A set
	 * is 32 bytes at a multiple of 32 in the slot: one cache line. */
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
 * task storage.  The step reaches a hot slot with no helper call, one
 * array page: a task-storage hit costs about 75 ns inside the program on
 * this VM, a slot 30 (docs/performance.md, "hot slots").  The task's
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
_Static_assert(__builtin_offsetof(struct sc_hot, t.score.ring) <= 64,
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

/* task -> its binding and state; absent for unprofiled tasks */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_task);
} tasks SEC(".maps");

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

/* --learn: comm at exec or at lazy binding -> program id (--comm: 1) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, char[SC_COMM_LEN]);
	__type(value, __u32);
	__uint(max_entries, 1);		/* resized: learn_max_programs */
} learn_names SEC(".maps");

/* --learn: program id -> the comm that claimed it (names live in learn_names) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, char[SC_COMM_LEN]);
	__uint(max_entries, 1);		/* resized: learn_max_programs */
} learn_ids SEC(".maps");

__u64 learn_lost = 0;		/* counts not kept: learn_counts was full */
__u64 learn_lost_programs = 0;	/* programs not learned: no id left */
__u32 learn_next_id = 0;	/* last program id handed out */

/* one slot of the open-addressed table, or 0; same probe as sc_table_lookup.
 * n is table_nslots, read once by the caller for its up to three probes.
 * It must stay that constant: with a copy from the task's state instead,
 * the verifier cannot bound the probe and the lazy program goes past its
 * 1 M instruction limit (docs/performance.md, second and fourth passes) */
static __always_inline __u64 table_lookup(__u64 key, __u32 n)
{
	__u32 i, idx = sc_home(key, n);
	__u64 *slot;

	for (i = 0; i < SC_PROBE_MAX; i++) {
		slot = bpf_map_lookup_elem(&trans, &idx);
		if (!slot || !(*slot & SC_SLOT_USED))
			return 0;
		if (sc_slot_key(*slot) == key)
			return *slot;
		idx = sc_next_slot(idx, n);
	}
	return 0;
}

/* 1 if (a, b) -> x is known to task t's profile p; *cost as sc_table_check */
static __always_inline int table_check(struct sc_task *t, __u32 p, __u32 flags,
				       __u16 unseen_cost, __u32 a, __u32 b,
				       __u32 x, __u16 *cost)
{
	__u64 slot, key = sc_key(p, (flags & SC_PF_DEPTH1) ? SC_ANY : a, b, x);
	__u64 *set = t->tcache[sc_tcache_set(key)];
	__u64 hit = 0, c = 0, d, ne;
	__u32 n = table_nslots, w;

	/* no branch per way: which way holds a loop's transition changes
	 * from step to step, and a branch on it is mispredicted that often
	 * (docs/performance.md, "the transition cache").  A key is in a set
	 * at most once; only known slots are cached; no key is 0. */
	for (w = 0; w < SC_TCACHE_WAYS; w++) {
		slot = set[w];
		d = sc_slot_key(slot) ^ key;
		d |= 0 - d;		/* top bit set iff the keys differ */
		/* hide what d and ne are, or the compiler makes them branches */
		asm volatile("" : "+r"(d));
		ne = (__u64)((__s64)d >> 63);	/* all ones iff they differ */
		asm volatile("" : "+r"(ne));
		hit |= ~ne;
		c |= sc_slot_cost(slot) & ~ne;
	}
	if (hit) {
		*cost = (__u16)c;
		return 1;
	}
	slot = table_lookup(key, n);
	if (slot & SC_SLOT_KNOWN) {
		/* first in, first out: the oldest way goes */
		for (w = SC_TCACHE_WAYS - 1; w > 0; w--)
			set[w] = set[w - 1];
		set[0] = slot;
		*cost = sc_slot_cost(slot);
		return 1;
	}
	if (!(flags & SC_PF_DEPTH1))
		slot = table_lookup(sc_key(p, SC_ANY, b, x), n);
	if (!slot)
		slot = table_lookup(sc_key(p, SC_ANY, SC_ANY, x), n);
	*cost = slot ? sc_slot_cost(slot) : unseen_cost;
	return 0;
}

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

	if (!s || !s->hot)
		return s;
	h = hot_slot(s->hot - 1);
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

	if (s->hot)
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
	s->hot = i + 1;
	/* nothing of the binding is left in the storage to count or check */
	s->profile = 0;
	s->folded = s->nsyscalls;
	return &h->t;
}

/* give the hot slot of storage s back (the task exits, execs into another
 * tid or leaves its profile); its rate limit state goes back to s */
static __always_inline void hot_release(struct sc_task *s)
{
	struct sc_hot *h;

	if (!s->hot)
		return;
	h = hot_slot(s->hot - 1);
	s->hot = 0;
	if (!h)
		return;
	s->rl_last_ns = h->t.rl_last_ns;
	s->rl_tokens = h->t.rl_tokens;
	s->dropped = h->t.dropped;
	WRITE_ONCE(h->pid, 0);
	WRITE_ONCE(h->start, 0);
	WRITE_ONCE(h->busy, 0);
}

/* copy profile p's settings into the task: the step reads no pinfo */
static __always_inline void task_settings(struct sc_task *t, __u32 p)
{
	struct sc_profile_info *pi = bpf_map_lookup_elem(&pinfo, &p);

	if (!pi) {
		t->flags = 0;	/* as before: a profile without settings is not checked */
		return;
	}
	t->flags = pi->flags | TF_INFO;
	t->window = pi->window;
	t->thr_sum = pi->thr_sum;
	t->unseen_cost = pi->unseen_cost;
}

/* add the task's syscalls not yet counted to its profile's pstats entry;
 * --learn counts them in the step instead (only 0..511, as the extractor) */
static __always_inline void task_fold(struct sc_task *t)
{
	struct sc_profile_stats *st;
	__u64 n = t->nsyscalls;

	if (!t->profile || learn_mode || n == t->folded)
		return;
	st = stats_of(t->profile);
	if (st)
		st->syscalls += n - t->folded;
	t->folded = n;
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

/* a child starts with its parent's bucket, and a fork costs the parent a
 * token: the first children of a task start with burst, burst - 1, ...
 * tokens and later ones with what the parent refilled since.  A storm of
 * fresh children sends about burst^2 / 2 events and then the parent's
 * rate, not a full burst each (docs/design.md section 6) */
static __always_inline void rate_fork(struct sc_task *parent,
				      struct sc_task *child)
{
	if (rate_per_sec)
		rate_refill(parent, bpf_ktime_get_ns());
	child->rl_last_ns = parent->rl_last_ns;
	child->rl_tokens = parent->rl_tokens;
	if (parent->rl_tokens)
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
	ev->nsyscalls = t->nsyscalls;
	ev->kind = kind;
	ev->killed = killed;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->profile = t->profile;
	ev->score_sum = t->score.sum;
	ev->score_fill = t->score.fill;
	ev->dropped = t->dropped;
	ev->nr = 0;
	ev->a = t->a;
	ev->b = t->b;
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
	__u32 p = t->profile;
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
	case NR_EXECVE:
	case NR_OPEN:
		ptr = (const void *)BPF_CORE_READ(regs, di);
		break;
	case NR_EXECVEAT:
	case NR_OPENAT:
	case NR_OPENAT2:
		ptr = (const void *)BPF_CORE_READ(regs, si);
		break;
	case NR_CONNECT:
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

/* report (and in kill mode, first kill) one violation of task t */
static __noinline void violation(struct sc_task *t, __u32 kind,
				      struct pt_regs *regs, long nr, __u32 x)
{
	struct sc_profile_stats *st = stats_of(t->profile);
	struct sc_event *ev;

	if (learn_mode)
		return;		/* learning: nothing is a violation */
	/* the kill never waits for user space or for room in the ring */
	if (kill_mode)
		bpf_send_signal(SIGKILL);
	if (st) {
		st->violations++;
		if (kill_mode)
			st->kills++;
	}
	ev = event_begin(t, st);
	if (!ev)
		return;
	fill_event(ev, t, kind, kill_mode);
	ev->nr = nr;
	ev->x = x;
	if (regs)
		read_arg(ev, regs, nr);
	event_end(ev, t);
}

/* --learn: the program id of a comm, handed out on first sight; 0 if
 * every id is taken (counted).  An id is claimed by a BPF_NOEXIST insert
 * into learn_ids, atomic without the fetching atomics of -mcpu=v3. */
static __always_inline __u32 learn_id(const char *comm)
{
	__u32 *id, nid = 0;
	int i;

	id = bpf_map_lookup_elem(&learn_names, comm);
	if (id)
		return *id;
	for (i = 0; i < 8 && !nid; i++) {
		nid = learn_next_id + 1 + i;
		if (nid > learn_max_programs)
			break;
		if (bpf_map_update_elem(&learn_ids, &nid, comm, BPF_NOEXIST))
			nid = 0;
	}
	if (nid > learn_max_programs)
		nid = 0;
	if (nid) {
		learn_next_id = nid;
		if (!bpf_map_update_elem(&learn_names, comm, &nid, BPF_NOEXIST))
			return nid;
	}
	/* another CPU named it meanwhile, or no id is left */
	id = bpf_map_lookup_elem(&learn_names, comm);
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
		return learn_target_now() ? learn_id(comm) : 0;
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
	t->profile = id;
	t->a = SC_UNKNOWN;
	t->b = SC_UNKNOWN;
	task_settings(t, id);
	st = stats_of(id);
	if (st)
		st->tasks++;
	return t;
}

/* the step of every syscall; lazy: bind unseen tasks (--existing,
 * --learn --pid/--cgroup), learn: count instead of check.  Both are
 * constants in the copies below, so their dead branches cost nothing. */
static __always_inline int sys_enter(struct pt_regs *regs, long nr,
				     struct task_struct *task, int lazy,
				     int learn)
{
	struct sc_profile_stats *st;
	struct sc_task *s, *t;
	__u32 x, p;
	__u16 cost;
	int known, fire;

	t = hot_of(task);
	if (!t) {
		s = bpf_task_storage_get(&tasks, task, 0, 0);
		if (!s) {
			if (!lazy)
				return 0;
			s = bind_existing(task);
			if (!s)
				return 0;
		}
		t = state_of(s);
		if (!t)
			return 0;
	}
	p = t->profile;
	if (!p)
		return 0;
	t->nsyscalls++;
	if (learn) {
		/* --learn counts what it learns from, as the extractor: 0..511 */
		st = stats_of(p);
		if (st && (__u64)nr < SC_NR_MAX)
			st->syscalls++;
	}

	if ((task->thread_info.status & TS_COMPAT) || (nr & X32_SYSCALL_BIT)) {
		violation(t, SC_EV_COMPAT_SYSCALL, NULL, nr, 0);
		return 0;
	}
	if (nr < 0 || nr >= SC_NR_MAX) {
		violation(t, SC_EV_UNKNOWN_SYSCALL, NULL, nr, 0);
		return 0;
	}
	x = nr;
	if (t->a == SC_UNKNOWN || t->b == SC_UNKNOWN)
		goto shift;
	if (learn) {
		learn_count(p, t->a, t->b, x);
		goto shift;
	}
	if (!(t->flags & TF_INFO))
		goto shift;
	known = table_check(t, p, t->flags, t->unseen_cost, t->a, t->b, x, &cost);
	/* events carry the score with this syscall's cost in it, as the replay */
	fire = sc_score_push(&t->score, cost, t->window, t->thr_sum);
	if (!known)
		violation(t, SC_EV_UNSEEN_TRANSITION, regs, nr, x);
	if (fire)
		violation(t, SC_EV_ANOMALY_SCORE, regs, nr, x);
shift:
	t->a = t->b;
	t->b = x;
	return 0;
}

/* the plain copy's step for a task with storage, out of line: the program
 * an unprofiled task runs is then a few instructions whose exit is next to
 * their entry, not a jump to the end of the whole step's code (docs/
 * performance.md, "the unprofiled exit") */
static __noinline int sys_enter_stored(struct pt_regs *regs, long nr,
				       struct task_struct *task)
{
	return sys_enter(regs, nr, task, 0, 0);
}

/* the loader autoloads exactly one of these three (loader/enforce.c
 * choose_programs) */
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long nr)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (no_storage(task))
		return 0;
	return sys_enter_stored(regs, nr, task);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter_lazy, struct pt_regs *regs, long nr)
{
	return sys_enter(regs, nr, bpf_get_current_task_btf(), 1, 0);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter_learn, struct pt_regs *regs, long nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int lazy = lazy_mode();

	if (!lazy && no_storage(task))
		return 0;
	return sys_enter(regs, nr, task, lazy, 1);
}

/* (re)start task t under profile p in state (START, call) */
static __always_inline void task_start(struct sc_task *t, __u32 p, __u32 call)
{
	struct sc_profile_stats *st;

	task_fold(t);	/* the syscalls under the previous binding */
	__builtin_memset(&t->score, 0, sizeof(t->score));
	t->profile = p;
	t->a = SC_START;
	t->b = call;
	t->nsyscalls = 0;
	t->folded = 0;
	task_settings(t, p);
	st = stats_of(p);
	if (st)
		st->tasks++;
}

/* --learn: program id of an exec by a learned task or a target, else 0;
 * every program a learned task runs is learned, under its own comm */
static __always_inline __u32 learn_exec_id(struct task_struct *task,
					   const char *comm)
{
	struct sc_task *t = state_of(bpf_task_storage_get(&tasks, task, 0, 0));
	__u32 *id;

	if (t && t->profile)
		return learn_id(comm);
	if (learn_mode == SC_LEARN_COMM) {
		id = bpf_map_lookup_elem(&learn_names, comm);
		return id && *id == 1 ? 1 : 0;
	}
	return learn_target_now() ? learn_id(comm) : 0;
}

/* profile of the image being exec'd: exe inode first, then the new comm */
static __always_inline __u32 profile_of_exec(struct task_struct *task,
					     struct linux_binprm *bprm)
{
	struct sc_exe_key ek = {};
	char comm[SC_COMM_LEN] = {};
	struct inode *inode;
	__u32 *id;

	if (learn_mode) {
		BPF_CORE_READ_STR_INTO(&comm, task, comm);
		return learn_exec_id(task, comm);
	}
	inode = BPF_CORE_READ(bprm, file, f_inode);
	ek.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ek.ino = BPF_CORE_READ(inode, i_ino);
	id = bpf_map_lookup_elem(&by_exe, &ek);
	if (id)
		return *id;
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	id = bpf_map_lookup_elem(&by_comm, comm);
	return id ? *id : 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct sc_profile_stats *st;
	struct sc_event *ev;
	struct pt_regs *regs;
	struct sc_task *s, *t;
	__u32 p, call;

	p = profile_of_exec(task, bprm);
	s = bpf_task_storage_get(&tasks, task, 0, 0);
	t = state_of(s);
	if (!p) {
		if (!s || !t || !t->profile)
			return 0;
		if (learn_mode)
			goto unbind;	/* no program id left: stop here */
		/* a profiled task escaped into an unprofiled program */
		if (kill_mode)
			bpf_send_signal(SIGKILL);
		st = stats_of(t->profile);
		if (st) {
			st->violations++;
			if (kill_mode)
				st->kills++;
		}
		ev = event_begin(t, st);
		if (ev) {
			fill_event(ev, t, SC_EV_EXEC_UNPROFILED, kill_mode);
			ev->x = t->b;
			bpf_probe_read_kernel_str(ev->arg, sizeof(ev->arg),
						  BPF_CORE_READ(bprm, filename));
			event_end(ev, t);
		}
unbind:
		task_fold(t);
		hot_release(s);
		if (existing_mode)
			s->profile = 0;	/* keep the "unprofiled" mark */
		else
			bpf_task_storage_delete(&tasks, task);
		return 0;
	}
	if (s && t) {
		/* rebound: the old binding's syscalls are counted, and the
		 * slot claimed again (a thread's exec takes the leader's tid) */
		task_fold(t);
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
	call = regs ? BPF_CORE_READ(regs, orig_ax) : NR_EXECVE;
	if (call != NR_EXECVEAT)
		call = NR_EXECVE;
	t = hot_claim(task, s);
	t->dropped = 0;
	task_start(t, p, call);
	return 0;
}

/* Linux >= 6.13: a signal to a task other than the current one */
extern int bpf_send_signal_task(struct task_struct *task, int sig,
				enum pid_type type, __u64 value) __ksym __weak;

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
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	struct sc_task *pt, *cs, *ct;

	pt = state_of(bpf_task_storage_get(&tasks, parent, 0, 0));
	if (!pt || !pt->profile)
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
	task_start(ct, pt->profile, pt->b);
	return 0;
}

/* a bound task's last syscalls go into the summary when it exits, and its
 * hot slot is given back */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task)
{
	struct sc_task *s, *t;

	if (no_storage(task))
		return 0;
	s = bpf_task_storage_get(&tasks, task, 0, 0);
	t = state_of(s);
	if (!s || !t)
		return 0;
	task_fold(t);
	hot_release(s);
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
