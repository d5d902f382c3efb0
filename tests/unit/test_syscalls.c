// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Syscall table: names, numbers, sentinels, strace's raw form. */
#include <string.h>

#include "syscfi.h"
#include "syscalls.h"
#include "tap.h"

int main(void)
{
	const int X = SC_ARCH_X86_64, I = SC_ARCH_I386;

	is(sc_syscall_nr(X, "read"), 0, "x86_64 read = 0");
	is(sc_syscall_nr(X, "execve"), 59, "x86_64 execve = 59");
	is(sc_syscall_nr(X, "exit_group"), 231, "x86_64 exit_group = 231");
	is(sc_syscall_nr(X, "newfstatat"), 262, "x86_64 newfstatat = 262");
	is(sc_syscall_nr(I, "execve"), 11, "i386 execve = 11");
	is(sc_syscall_nr(I, "read"), 3, "i386 read = 3");
	is(sc_syscall_nr(X, "socketcall"), -1, "socketcall is i386 only");
	is(sc_syscall_nr(I, "socketcall"), 102, "i386 socketcall = 102");
	is(sc_syscall_nr(X, "no_such_call"), -1, "unknown name -> -1");
	is(sc_syscall_nr(X, ""), -1, "empty name -> -1");
	is(sc_syscall_nr(X, "rea"), -1, "prefix of a name -> -1");
	is(sc_syscall_nr(X, "readx"), -1, "name with a suffix -> -1");
	is(sc_syscall_nr(X, "START"), SC_START, "START sentinel");
	is(sc_syscall_nr(X, "UNKNOWN"), SC_UNKNOWN, "UNKNOWN sentinel");
	is(sc_syscall_nr(X, "start"), -1, "sentinels are case-sensitive");
	is(sc_syscall_nr(X, "ANY"), -1, "SC_ANY has no name");
	is(sc_syscall_nr(X, "syscall_0x1b6"), 0x1b6, "syscall_0x1b6 = 438");
	is(sc_syscall_nr(X, "syscall_0x3b"), 59, "raw form of a named number");
	is(sc_syscall_nr(X, "syscall_0x1ff"), 511, "raw 0x1ff is the last number");
	is(sc_syscall_nr(X, "syscall_0x200"), -1, "raw 0x200 is outside 0..511");
	is(sc_syscall_nr(X, "syscall_0x"), -1, "raw form without digits");
	is(sc_syscall_nr(X, "syscall_0x1g"), -1, "raw form with a bad digit");
	is(sc_syscall_raw_nr("syscall_0xffffffff", 18), 0xffffffffL,
	   "raw_nr gives large values");
	is(sc_syscall_raw_nr("read", 4), -1, "raw_nr of a plain name");
	is(sc_syscall_nr_n(X, "readv", 4), 0, "nr_n uses only len bytes");
	is(sc_syscall_nr_n(X, "execve(\"/bin/ls\"", 6), 59,
	   "nr_n on a strace line");
	is(sc_syscall_nr(7, "read"), -1, "bad arch -> -1");

	is_str(sc_syscall_name(X, 0), "read", "name of 0");
	is_str(sc_syscall_name(X, 59), "execve", "name of 59");
	is_str(sc_syscall_name(I, 11), "execve", "i386 name of 11");
	is_str(sc_syscall_name(X, SC_START), "START", "name of SC_START");
	is_str(sc_syscall_name(X, SC_UNKNOWN), "UNKNOWN", "name of SC_UNKNOWN");
	is_str(sc_syscall_name(X, 500), "syscall_0x1f4", "unnamed 500 in raw form");
	is_str(sc_syscall_name(X, -1), NULL, "name of -1 is NULL");
	is_str(sc_syscall_name(X, SC_ANY), NULL, "SC_ANY has no name");
	is_str(sc_syscall_name(X, 1000), NULL, "name of 1000 is NULL");

	/* every number round-trips through its name, on both arches */
	for (int arch = 0; arch < 2; arch++) {
		int bad = 0;

		for (int nr = 0; nr < SC_NR_MAX; nr++)
			if (sc_syscall_nr(arch, sc_syscall_name(arch, nr)) != nr)
				bad++;
		is(bad, 0, "%s: nr -> name -> nr for 0..511", sc_arch_name(arch));
	}
	is(sc_arch_parse("x86_64"), X, "arch x86_64");
	is(sc_arch_parse("i386"), I, "arch i386");
	is(sc_arch_parse("arm64"), -1, "arch arm64 unknown");
	is_str(sc_arch_name(I), "i386", "arch name i386");
	return tap_done();
}
