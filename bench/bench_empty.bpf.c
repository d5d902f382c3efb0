// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_empty: programs on the raw sys_enter tracepoint for bench/run.
 *
 * handle_sys_enter is empty: what it costs is the floor every sys_enter
 * tool pays (the tracepoint slow path plus one BPF call); bench/run
 * compares syscfi's added cost with it.  The two others price the first
 * thing syscfi does for an unprofiled task, one at a time (attach-empty
 * PROG loads only the one named):
 *   storage_lookup  a task-storage lookup that finds nothing
 *   bitmap_test     a test of the task's bit in a global tid bitmap (an
 *                   alternative: set at bind/fork, cleared at exit)
 * and two that price where a knob or a setting lives:
 *   rodata_read     a read of a const volatile knob (.rodata is an
 *                   mmapable array map: vmalloc'd memory)
 *   small_array     a lookup in a small plain array map (kmalloc'd)
 * and syscfi's unprofiled exit, and its parts:
 *   knob_then_field  a knob, then task->bpf_storage
 *   field_only       task->bpf_storage alone (syscfi's unprofiled exit)
 *   task_only        bpf_get_current_task_btf() alone
 *   hot_field        a field of the task that the syscall entry reads
 * and where a profiled task's state may live, read and written:
 *   storage_hit      its task storage (every task gets one here)
 *   slot_rw          the slot of its tid in an array (syscfi's hot slots)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TID_LIMIT	(1u << 22)	/* PID_MAX_LIMIT on 64-bit */

/* task -> state, as syscfi's own map; nothing is ever stored here */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} bench_tasks SEC(".maps");

/* one bit per tid: profiled or not; all clear here */
__u64 profiled_tids[TID_LIMIT / 64] = {};

/* a run-time knob, as syscfi's kill_mode or existing_mode */
const volatile __u32 knob = 0;

/* a small array (under 32 KiB, not mmapable: the kernel kmallocs it) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} small SEC(".maps");

/* what the tests below found, so the verifier keeps them */
__u64 hits = 0;

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(storage_lookup, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (bpf_task_storage_get(&bench_tasks, task, 0, 0))
		hits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(bitmap_test, struct pt_regs *regs, long id)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	/* tids are below PID_MAX_LIMIT: the mask only convinces the verifier */
	__u32 w = (tid / 64) & (TID_LIMIT / 64 - 1);

	if (profiled_tids[w] & (1ull << (tid % 64)))
		hits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(rodata_read, struct pt_regs *regs, long id)
{
	if (knob)
		hits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(small_array, struct pt_regs *regs, long id)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&small, &k);

	if (v && *v)
		hits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(knob_then_field, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!knob && !task->bpf_storage)
		return 0;
	hits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(field_only, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!task->bpf_storage)
		return 0;
	hits++;
	return 0;
}

/* the two halves of field_only: the helper call alone, and a load from
 * the line of task_struct that the syscall entry itself reads */
SEC("tp_btf/sys_enter")
int BPF_PROG(task_only, struct pt_regs *regs, long id)
{
	if (!bpf_get_current_task_btf())
		hits++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(hot_field, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->thread_info.flags & (1ull << 63))
		hits++;
	return 0;
}

/* where a profiled task's state lives (docs/performance.md, "hot slots") */
struct bench_state {
	__u64 n;
	__u64 ring[8];
};

/* its task storage: syscfi's state before the hot slots */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bench_state);
} bench_states SEC(".maps");

/* a slot of an array indexed by tid: syscfi's hot slots */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct bench_state);
	__uint(max_entries, 4096);
} bench_slots SEC(".maps");

static __always_inline void bench_touch(struct bench_state *st, long id)
{
	st->n++;
	st->ring[st->n & 7] = id;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(storage_hit, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bench_state *st;

	st = bpf_task_storage_get(&bench_states, task, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st)
		bench_touch(st, id);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(slot_rw, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 i = (__u32)task->pid & 4095;
	struct bench_state *st = bpf_map_lookup_elem(&bench_slots, &i);

	if (st)
		bench_touch(st, id);
	return 0;
}
