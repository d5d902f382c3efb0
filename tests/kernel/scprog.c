// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * scprog: a static program without libc whose every syscall after execve
 * is one letter of argv[1], so a test knows the exact sequence the kernel
 * sees and can write its profile by hand (tests/kernel.bats).
 *   p getpid   u getuid   g getppid   o openat(argv[2], O_CREAT) + close
 *   f fork: the child runs the rest of the letters, the parent waits (wait4)
 *   n prctl(PR_SET_NAME, "renamed")   x execve(argv[3])   s nanosleep 0.2 s
 *   S nanosleep 3 s   i int 0x80 getpid   X x32-numbered getpid   Z syscall 1000
 *   L syscall 1000, a million times
 *   c socket(AF_INET, SOCK_STREAM) + connect(127.0.0.1:9) + close
 *   A rt_sigaction(SIGALRM): a handler that calls getuid, then returns
 *     through rt_sigreturn   K getpid + kill(pid, SIGALRM): the handler
 *     runs on the way back from kill   R rt_sigreturn with no signal frame
 * then exit_group(0).
 */
typedef unsigned long u64;

#include "sys6.h"

/* SIGALRM's handler; the kernel returns from it into sc_restorer */
static void on_alarm(int sig)
{
	(void)sig;
	sys6(102, 0, 0, 0, 0);
}

void sc_restorer(void);
__asm__(".globl sc_restorer\nsc_restorer:\n\tmov $15, %eax\n\tsyscall\n");

static void nap(long sec, long nsec)
{
	long ts[2] = { sec, nsec };

	sys6(35, (long)ts, 0, 0, 0);
}

__attribute__((used)) void scprog_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	const char *ops = argc > 1 ? argv[1] : "";
	static char name[16] = "renamed";
	int status;

	for (; *ops; ops++) {
		switch (*ops) {
		case 'p': sys6(39, 0, 0, 0, 0); break;
		case 'u': sys6(102, 0, 0, 0, 0); break;
		case 'g': sys6(110, 0, 0, 0, 0); break;
		case 'o': {
			long fd = sys6(257, -100, argc > 2 ? (long)argv[2] : 0,
				       0101 /* O_WRONLY|O_CREAT */, 0644);
			sys6(3, fd, 0, 0, 0);
			break;
		}
		case 'f':
			if (sys6(57, 0, 0, 0, 0) != 0) {
				sys6(61, -1, (long)&status, 0, 0);
				goto out;	/* parent: the child did the rest */
			}
			break;
		case 'n': sys6(157, 15 /* PR_SET_NAME */, (long)name, 0, 0); break;
		case 'x': {
			char *nargv[] = { argc > 3 ? argv[3] : 0, 0 };
			sys6(59, (long)nargv[0], (long)nargv, 0, 0);
			break;
		}
		case 's': nap(0, 200000000); break;
		case 'S': nap(3, 0); break;
		case 'i': {
			long ret;
			__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
			break;
		}
		case 'X': sys6(39 | 0x40000000, 0, 0, 0, 0); break;
		case 'Z': sys6(1000, 0, 0, 0, 0); break;
		case 'c': {
			/* sockaddr_in: family 2, port 9 (big endian), 127.0.0.1 */
			unsigned char sa[16] = { 2, 0, 0, 9, 127, 0, 0, 1 };
			long fd = sys6(41, 2, 1, 0, 0);

			sys6(42, fd, (long)sa, sizeof(sa), 0);
			sys6(3, fd, 0, 0, 0);
			break;
		}
		case 'A': {
			/* the kernel's struct sigaction: handler, flags,
			 * restorer, mask; SA_RESTORER is 0x04000000 */
			void *sa[4] = { (void *)on_alarm, (void *)0x04000000,
					(void *)sc_restorer, 0 };

			sys6(13, 14, (long)sa, 0, 8);
			break;
		}
		case 'K':
			sys6(62, sys6(39, 0, 0, 0, 0), 14, 0, 0);
			break;
		case 'R': sys6(15, 0, 0, 0, 0); break;
		case 'L':
			for (long i = 0; i < 1000000; i++)
				sys6(1000, 0, 0, 0, 0);
			break;
		}
	}
out:
	sys6(231, 0, 0, 0, 0);
	for (;;)
		;
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall scprog_main\n");
