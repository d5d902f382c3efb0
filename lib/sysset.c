// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "syscalls.h"
#include "sysset.h"

int sc_sysset_parse(int arch, const char *list, const char *const *defaults,
		    size_t n, uint64_t set[SC_NR_MAX / 64], char *err,
		    size_t errlen)
{
	const char *q = list;

	memset(set, 0, SC_NR_MAX / 8);
	if (!strcmp(list, "none"))
		return 0;
	while (*q) {
		size_t len = strcspn(q, ",");
		int del = *q == '-', nr;

		if (len == 7 && !strncmp(q, "default", 7)) {
			for (size_t i = 0; i < n; i++) {
				nr = sc_syscall_nr(arch, defaults[i]);
				/* a default the architecture lacks */
				if (nr >= 0 && nr < SC_NR_MAX)
					set[nr / 64] |= 1ull << (nr % 64);
			}
		} else {
			nr = sc_syscall_nr_n(arch, q + del, (unsigned)(len - del));
			if (nr < 0 || nr >= SC_NR_MAX) {
				snprintf(err, errlen, "unknown syscall \"%.*s\"",
					 (int)(len - del), q + del);
				return -1;
			}
			if (del)
				set[nr / 64] &= ~(1ull << (nr % 64));
			else
				set[nr / 64] |= 1ull << (nr % 64);
		}
		q += len;
		if (*q == ',')
			q++;
	}
	return 0;
}

/*
 * Calls that open a new channel out of the process, run other code, or
 * change what the process may do.  A service makes them at start-up, in
 * fixed places; load and timing do not move them, so an unseen
 * transition into one is not a reordering of the service's work.  Left
 * out on purpose: accept/accept4, sendto/sendmsg (a server's hot path,
 * whose order varies with readiness), mmap/mprotect and clone (memory and
 * threads grow with load), kill (daemons signal their children), prctl
 * (threads name themselves when a pool grows).
 */
static const char *const guarded_default[] = {
	/* new sockets and endpoints */
	"socket", "socketpair", "connect", "bind", "listen",
	/* other code: programs, in-memory files, other processes */
	"execve", "execveat", "memfd_create", "ptrace", "process_vm_readv",
	"process_vm_writev", "pidfd_getfd",
	/* identity and privilege */
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setfsuid", "setfsgid", "setgroups", "capset", "personality",
	/* the system: mounts, namespaces, modules, BPF, keys */
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"open_tree", "move_mount", "fsopen", "fsmount", "init_module",
	"finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
	"request_key", "iopl", "ioperm",
};

void sc_guarded_default(int arch, uint64_t set[SC_NR_MAX / 64])
{
	sc_guarded_parse(arch, "default", set, NULL, 0);
}

int sc_guarded_parse(int arch, const char *list,
		     uint64_t set[SC_NR_MAX / 64], char *err, size_t errlen)
{
	return sc_sysset_parse(arch, list, guarded_default,
			       sizeof(guarded_default) / sizeof(guarded_default[0]),
			       set, err, errlen);
}
