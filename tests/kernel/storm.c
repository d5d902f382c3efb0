// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * storm: a static program without libc for the load tests (tests/load.bats),
 * so the syscalls the kernel sees are known exactly and the profile can be
 * written by hand, however many tasks take part.
 *   storm forks N          fork N children (each: getpid, exit_group), then
 *                          wait4 each of them, exit_group
 *   storm threads N [bad]  clone N threads that block in futex until released;
 *                          with "bad", syscall 1000 first (a violation while
 *                          every thread is alive); release them, wait for
 *                          each to exit (CLONE_CHILD_CLEARTID), exit_group
 *   storm flood SEC        syscall 1000 in a tight loop for SEC seconds
 *                          (clock_gettime between bursts of 10000)
 * Exit status 0, or 2 when a fork/clone fails.
 */
#define NR_GETPID	39
#define NR_CLONE	56
#define NR_FORK		57
#define NR_EXIT		60
#define NR_WAIT4	61
#define NR_FUTEX	202
#define NR_CLOCK_GETTIME 228
#define NR_EXIT_GROUP	231
#define NR_BOGUS	1000
#define FUTEX_WAIT	0
#define FUTEX_WAKE	1
#define THREADS_MAX	4096
#define STACK_SIZE	8192

/* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|CHILD_CLEARTID: a pthread's set */
#define THREAD_FLAGS	(0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000)

#include "sys6.h"

static void die(long code)
{
	for (;;)
		sys6(NR_EXIT_GROUP, code, 0, 0, 0);
}

static long num(const char *s)
{
	long v = 0;

	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int go;				/* threads wait until this is 1 */
static int tids[THREADS_MAX];		/* cleared by the kernel at thread exit */
static char stacks[THREADS_MAX][STACK_SIZE] __attribute__((aligned(16)));

/* a thread's whole life: futex until released, then exit (not exit_group) */
__attribute__((used, noreturn)) void storm_thread(void)
{
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		sys6(NR_FUTEX, (long)&go, FUTEX_WAIT, 0, 0);
	for (;;)
		sys6(NR_EXIT, 0, 0, 0, 0);
}

/* clone a thread on its own stack; the child never returns from here */
static long spawn(void *stack_top, int *ctid)
{
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "call storm_thread\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"(NR_CLONE), "D"(THREAD_FLAGS), "S"(stack_top), "d"(0),
			   "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static void forks(long n)
{
	long i, status;

	for (i = 0; i < n; i++) {
		long pid = sys6(NR_FORK, 0, 0, 0, 0);

		if (pid == 0) {
			sys6(NR_GETPID, 0, 0, 0, 0);
			die(0);
		}
		if (pid < 0)
			die(2);
	}
	for (i = 0; i < n; i++)
		sys6(NR_WAIT4, -1, (long)&status, 0, 0);
}

static void threads(long n, int bad)
{
	long i;

	if (n > THREADS_MAX)
		n = THREADS_MAX;
	for (i = 0; i < n; i++) {
		tids[i] = 1;
		if (spawn(stacks[i + 1], &tids[i]) < 0)
			die(2);
	}
	if (bad)
		sys6(NR_BOGUS, 0, 0, 0, 0);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	sys6(NR_FUTEX, (long)&go, FUTEX_WAKE, 0x7fffffff, 0);
	for (i = 0; i < n; i++) {
		int v;

		while ((v = __atomic_load_n(&tids[i], __ATOMIC_ACQUIRE)) != 0)
			sys6(NR_FUTEX, (long)&tids[i], FUTEX_WAIT, v, 0);
	}
}

static void flood(long sec)
{
	long start[2], now[2], i;

	sys6(NR_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, (long)start, 0, 0);
	do {
		for (i = 0; i < 10000; i++)
			sys6(NR_BOGUS, 0, 0, 0, 0);
		sys6(NR_CLOCK_GETTIME, 1, (long)now, 0, 0);
	} while ((now[0] - start[0]) * 1000000000 + now[1] - start[1] <
		 sec * 1000000000);
}

__attribute__((used)) void storm_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? num(argv[2]) : 0;

	if (streq(mode, "forks"))
		forks(n);
	else if (streq(mode, "threads"))
		threads(n, argc > 3 && streq(argv[3], "bad"));
	else if (streq(mode, "flood"))
		flood(n);
	else
		die(2);
	die(0);
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall storm_main\n");
