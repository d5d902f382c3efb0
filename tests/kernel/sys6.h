/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The raw x86_64 syscall of the libc-free test programs (scprog.c,
 * storm.c): no wrapper in between, so the kernel sees exactly the calls
 * the program makes. */
#ifndef SC_TEST_SYS6_H
#define SC_TEST_SYS6_H

static long sys6(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
