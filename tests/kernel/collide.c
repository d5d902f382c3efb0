// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * collide NSLOTS N: print N transitions "a b x" (x86_64 syscall names)
 * whose keys under profile id 1 all have the same home slot in a table of
 * NSLOTS slots (bpf/syscfi.h sc_home).  A profile made of them cannot be
 * laid out within SC_PROBE_MAX probes at that size: the loader's planned
 * table outgrows its up-front bound and it loads the BPF object again
 * (tests/loader.bats).
 */
#include <stdio.h>
#include <stdlib.h>
#include "syscfi.h"
#include "syscalls.h"

int main(int argc, char **argv)
{
	int arch = sc_arch_parse("x86_64");
	unsigned nslots, want, found = 0;
	long home = -1;

	if (argc != 3 || arch < 0)
		return 2;
	nslots = (unsigned)strtoul(argv[1], NULL, 10);
	want = (unsigned)strtoul(argv[2], NULL, 10);
	if (!nslots || !want)
		return 2;
	for (int a = 0; a < SC_NR_MAX && found < want; a++) {
		for (int b = 0; b < SC_NR_MAX && found < want; b++) {
			for (int x = 0; x < SC_NR_MAX && found < want; x++) {
				const char *na = sc_syscall_name(arch, a);
				const char *nb = sc_syscall_name(arch, b);
				const char *nx = sc_syscall_name(arch, x);
				long h;

				if (!na || !nb || !nx)
					continue;
				h = (long)sc_home(sc_key(1, a, b, x), nslots);
				if (home < 0)
					home = h;
				if (h != home)
					continue;
				printf("%s %s %s\n", na, nb, nx);
				found++;
			}
		}
	}
	return found == want ? 0 : 1;
}
