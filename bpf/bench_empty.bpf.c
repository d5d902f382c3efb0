// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_empty: an empty program on the raw sys_enter tracepoint.  What it
 * costs is the floor every sys_enter tool pays (the tracepoint slow path
 * plus one BPF call); bench/run compares syscfi's added cost with it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}
