// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * killdom MODE good|bad RESULT: a static program without libc that makes
 * a raw clone child on a stack of its own, waits for it, looks for a new
 * fd in its table, and writes RESULT (tests/killdom.bats).
 *   MODE vmfiles  clone(CLONE_VM|CLONE_FILES|SIGCHLD)
 *        files    clone(CLONE_FILES|SIGCHLD)
 *        vfork    clone(CLONE_VM|CLONE_VFORK|SIGCHLD)
 * The child's first syscall is socket() with "bad", getpid() with "good",
 * then exit.  The parent's syscalls are the same either way:
 *   close(fd) for fd 3..63, clone, wait4, fcntl(fd, F_GETFD) for fd
 *   3..63, openat(RESULT), write, close, exit_group
 * so its profile holds whatever the child did.
 */
#include "sys6.h"

#define CLONE_VM	0x00000100
#define CLONE_FILES	0x00000400
#define CLONE_VFORK	0x00004000
#define SIGCHLD		17

static char child_stack[64 * 1024] __attribute__((aligned(16)));
static int bad;
static volatile long child_fd = -1;	/* seen by the parent under CLONE_VM */

static void child(void)
{
	if (bad)
		child_fd = sys6(41, 2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0, 0);
	else
		sys6(39, 0, 0, 0, 0);
	sys6(60, 0, 0, 0, 0);
	for (;;)
		;
}

/* clone with the child on child_stack: it calls child() and never comes
 * back here, so nothing of the parent's frame is touched */
static long clone_child(long flags)
{
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call *%%rbx\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(56), "D"(flags),
			   "S"(child_stack + sizeof(child_stack)), "d"(0),
			   "r"(r10), "r"(r8), "b"(child)
			 : "rcx", "r11", "memory");
	return ret;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

__attribute__((used)) void killdom_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	long flags = CLONE_VM | CLONE_FILES | SIGCHLD, fd, found = -1;
	char msg[] = "fd --\n";
	int status;

	if (argc < 4)
		sys6(231, 2, 0, 0, 0);
	if (streq(argv[1], "files"))
		flags = CLONE_FILES | SIGCHLD;
	else if (streq(argv[1], "vfork"))
		flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
	bad = streq(argv[2], "bad");
	/* whatever fd is open after the child ran, the child opened */
	for (long i = 3; i < 64; i++)
		sys6(3, i, 0, 0, 0);
	if (clone_child(flags) < 0)
		sys6(231, 2, 0, 0, 0);
	sys6(61, -1, (long)&status, 0, 0);
	/* the lowest open fd: the child's socket, if it made one */
	for (long i = 63; i >= 3; i--)
		if (sys6(72, i, 1 /* F_GETFD */, 0, 0) >= 0)
			found = i;
	if (found >= 0) {
		msg[3] = (char)('0' + found / 10);
		msg[4] = (char)('0' + found % 10);
	}
	(void)child_fd;
	fd = sys6(257, -100, (long)argv[3], 01101 /* O_WRONLY|O_CREAT|O_TRUNC */, 0644);
	sys6(1, fd, (long)msg, sizeof(msg) - 1, 0);
	sys6(3, fd, 0, 0, 0);
	sys6(231, 0, 0, 0, 0);
	for (;;)
		;
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall killdom_main\n");
