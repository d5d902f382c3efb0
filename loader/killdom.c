// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kill domain's mode (bpf/syscfi.bpf.c domain_walk): walk the tasks
 * and signal the violator's domain at once where the kernel has the task
 * iterator and bpf_send_signal_task, else mark it for the fallback
 * programs.  SYSCFI_KILL_DOMAIN=mark forces the fallback (its tests).
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "syscfi.skel.h"

/* the kfuncs domain_kill_walk calls, all in vmlinux BTF */
static const char *const walk_kfuncs[] = {
	"bpf_iter_task_new", "bpf_iter_task_next", "bpf_iter_task_destroy",
	"bpf_send_signal_task", "bpf_task_acquire", "bpf_task_release",
};

static bool walk_available(void)
{
	const char *force = getenv("SYSCFI_KILL_DOMAIN");
	struct btf *btf;
	bool ok = true;

	if (force && !strcmp(force, "mark"))
		return false;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	for (size_t i = 0; ok && i < sizeof(walk_kfuncs) / sizeof(walk_kfuncs[0]); i++)
		ok = btf__find_by_name_kind(btf, walk_kfuncs[i], BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return ok;
}

void kill_domain_configure(struct syscfi_bpf *skel, bool kill)
{
	bool walk = walk_available();

	skel->rodata->domain_walk = walk;
	/* the fallback's programs cost every syscall a little: only when used */
	bpf_program__set_autoload(skel->progs.handle_doomed, kill && !walk);
	bpf_program__set_autoload(skel->progs.handle_doomed_fork, kill && !walk);
	bpf_program__set_autoload(skel->progs.handle_doomed_exec, kill && !walk);
}

void kill_domain_report(const struct syscfi_bpf *skel)
{
	fprintf(stderr, "kill domain: %s\n", skel->rodata->domain_walk ?
		"tasks sharing the violator's memory or file table are killed at once" :
		"tasks sharing the violator's memory or file table die at their next syscall (no task iterator or bpf_send_signal_task kfunc)");
}
