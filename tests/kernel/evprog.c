// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * evprog: a static program without libc for tests/events.bats, whose
 * syscalls after execve are exactly those of its letters (argv[1]); the
 * letters that take an argument take the next one of argv[2..]:
 *   n NAME  prctl(PR_SET_NAME, NAME): any bytes, cut by the kernel to 15
 *   o PATH  openat(AT_FDCWD, PATH, O_RDONLY) (the file need not exist)
 *   C N     N times connect(-1, a sockaddr_un of 120 'A's): long args
 *   c       connect(-1, { AF_UNIX, "a" }, 3): a sockaddr of 3 bytes
 *   Z N     syscall 1000, N times (a violation each, nothing else)
 *   f N     N children one after another, each making syscall 1000 three
 *           times and exit_group, each waited for (wait4)
 *   s       nanosleep 0.3 s
 * then exit_group(0).
 */
#include "sys6.h"

#define NR_NANOSLEEP	35
#define NR_CONNECT	42
#define NR_FORK		57
#define NR_WAIT4	61
#define NR_PRCTL	157
#define NR_EXIT_GROUP	231
#define NR_OPENAT	257
#define NR_BOGUS	1000
#define AT_FDCWD	-100
#define PR_SET_NAME	15
#define AF_UNIX		1

static long num(const char *s)
{
	long v = 0;

	while (s && *s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

__attribute__((used)) void evprog_main(long *sp)
{
	long argc = sp[0], i, n;
	char **argv = (char **)(sp + 1);
	const char *ops = argc > 1 ? argv[1] : "";
	int next = 2, status;
	static unsigned char longun[122] = { AF_UNIX, 0 };
	static unsigned char shortun[3] = { AF_UNIX, 0, 'a' };
	long ts[2] = { 0, 300000000 };

	for (i = 2; i < (long)sizeof(longun); i++)
		longun[i] = 'A';
	for (; *ops; ops++) {
		const char *arg = next < argc ? argv[next] : 0;

		switch (*ops) {
		case 'n':
			sys6(NR_PRCTL, PR_SET_NAME, (long)arg, 0, 0);
			next++;
			break;
		case 'o':
			sys6(NR_OPENAT, AT_FDCWD, (long)arg, 0, 0);
			next++;
			break;
		case 'C':
			for (n = num(arg), next++; n > 0; n--)
				sys6(NR_CONNECT, -1, (long)longun, sizeof(longun), 0);
			break;
		case 'c':
			sys6(NR_CONNECT, -1, (long)shortun, sizeof(shortun), 0);
			break;
		case 'Z':
			for (n = num(arg), next++; n > 0; n--)
				sys6(NR_BOGUS, 0, 0, 0, 0);
			break;
		case 'f':
			for (n = num(arg), next++; n > 0; n--) {
				if (sys6(NR_FORK, 0, 0, 0, 0) == 0) {
					sys6(NR_BOGUS, 0, 0, 0, 0);
					sys6(NR_BOGUS, 0, 0, 0, 0);
					sys6(NR_BOGUS, 0, 0, 0, 0);
					sys6(NR_EXIT_GROUP, 0, 0, 0, 0);
				}
				sys6(NR_WAIT4, -1, (long)&status, 0, 0);
			}
			break;
		case 's':
			sys6(NR_NANOSLEEP, (long)ts, 0, 0, 0);
			break;
		}
	}
	sys6(NR_EXIT_GROUP, 0, 0, 0, 0);
	for (;;)
		;
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall evprog_main\n");
