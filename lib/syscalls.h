/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Syscall names <-> numbers, from tables generated at build time out of the
 * system's <asm/unistd_64.h> and <asm/unistd_32.h> (see Makefile). */
#ifndef SC_SYSCALLS_H
#define SC_SYSCALLS_H

enum sc_arch { SC_ARCH_X86_64 = 0, SC_ARCH_I386 = 1 };

/* "x86_64" / "i386" -> arch, -1 if unknown */
int sc_arch_parse(const char *name);
const char *sc_arch_name(int arch);

/*
 * Number of a syscall name for arch, or -1.  Accepts the sentinel names
 * "START", "UNKNOWN" and "SIGNAL" (returning SC_START / SC_UNKNOWN /
 * SC_SIGNAL) and strace's
 * "syscall_0x1b6" form for numbers the headers do not name.
 */
int sc_syscall_nr(int arch, const char *name);
int sc_syscall_nr_n(int arch, const char *name, unsigned len);
/*
 * Value of strace's raw form "syscall_0x1b6" (any size, up to 8 hex
 * digits), or -1 if name is not in that form.  sc_syscall_nr_n only accepts
 * raw numbers below SC_NR_MAX; this lets a parser see larger ones
 * (unknown-syscall violations).
 */
long sc_syscall_raw_nr(const char *name, unsigned len);

/*
 * Name of a number (including the sentinels).  Numbers without a name in
 * the table come back in strace's form "syscall_0x1b6" (a static string
 * that stays valid: the pointer may be kept).  NULL if nr < 0 or
 * nr >= SC_NR_MAX and not a sentinel.
 */
const char *sc_syscall_name(int arch, int nr);

#endif
