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
 *   T sigaltstack, and A's handler on the alternate stack
 *   N rt_sigaction(SIGUSR1): a handler that calls getppid and sends
 *     SIGALRM (A's handler runs nested in it)   M getpid + kill(SIGUSR1)
 *   J rt_sigaction(SIGUSR2): a handler that calls getuid and leaves by
 *     longjmp; then getpid + kill(SIGUSR2) (the frame stays open)
 *   E SIGUSR2 as in J, and a SIGALRM handler that sends it to itself from
 *     inside, gets the longjmp back, calls getuid and returns
 *   I a SIGALRM handler that calls getuid and injects a call into the
 *     interrupted code, pushing a return address (as Go's preemption)
 *   F a SIGALRM handler that calls getuid, then forges a copy of its
 *     frame with another saved stack pointer and returns through it: the
 *     forged context calls getuid and exits 3
 * then exit_group(0).  Built with -mno-red-zone: I writes below the
 * interrupted stack pointer.
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

#define SIGUSR1		10
#define SIGUSR2		12
#define SIGALRM		14
#define SA_SIGINFO	0x00000004
#define SA_RESTORER	0x04000000
#define SA_ONSTACK	0x08000000
#define SA_NODEFER	0x40000000
/* uapi struct ucontext: the saved sp and ip in uc_mcontext, and the
 * whole struct rt_sigframe (pretcode, ucontext, siginfo) */
#define UC_SP		160
#define UC_IP		168
#define SIGFRAME_SIZE	(8 + 304 + 128)

/* the kernel's struct sigaction: handler, flags, restorer, mask */
static void handle(int sig, void *fn, long flags)
{
	void *sa[4] = { fn, (void *)(flags | SA_RESTORER), (void *)sc_restorer, 0 };

	sys6(13, sig, (long)sa, 0, 8);
}

/* a setjmp that keeps only the callee-saved registers, sp and the
 * return address: enough for a handler to leave by longjmp */
long sc_setjmp(long *jb) __attribute__((returns_twice));
void sc_longjmp(long *jb) __attribute__((noreturn));
__asm__(".globl sc_setjmp\nsc_setjmp:\n"
	"\tmov %rbx, (%rdi)\n\tmov %rbp, 8(%rdi)\n\tmov %r12, 16(%rdi)\n"
	"\tmov %r13, 24(%rdi)\n\tmov %r14, 32(%rdi)\n\tmov %r15, 40(%rdi)\n"
	"\tlea 8(%rsp), %rdx\n\tmov %rdx, 48(%rdi)\n\tmov (%rsp), %rdx\n"
	"\tmov %rdx, 56(%rdi)\n\txor %eax, %eax\n\tret\n"
	".globl sc_longjmp\nsc_longjmp:\n"
	"\tmov (%rdi), %rbx\n\tmov 8(%rdi), %rbp\n\tmov 16(%rdi), %r12\n"
	"\tmov 24(%rdi), %r13\n\tmov 32(%rdi), %r14\n\tmov 40(%rdi), %r15\n"
	"\tmov 48(%rdi), %rsp\n\tmov $1, %eax\n\tjmp *56(%rdi)\n");

static long jb[8];

/* SIGUSR2 (J, E): leaves by longjmp, its frame left open */
static void on_usr2_jump(int sig)
{
	(void)sig;
	sys6(102, 0, 0, 0, 0);
	sc_longjmp(jb);
}

/* SIGUSR1 (N): a SIGALRM handler runs inside this one */
static void on_usr1_nest(int sig)
{
	(void)sig;
	sys6(110, 0, 0, 0, 0);
	sys6(62, sys6(39, 0, 0, 0, 0), SIGALRM, 0, 0);
}

/* SIGALRM (E): a nested handler longjmps back into this one, which then
 * returns past the frame it left open */
static void on_alarm_enclosing(int sig)
{
	(void)sig;
	if (!sc_setjmp(jb))
		sys6(62, sys6(39, 0, 0, 0, 0), SIGUSR2, 0, 0);
	sys6(102, 0, 0, 0, 0);
}

/* I: the injected call returns at once to where the signal landed */
void sc_injected(void);
__asm__(".globl sc_injected\nsc_injected:\n\tret\n");

static void on_alarm_inject(int sig, void *info, void *uc)
{
	unsigned long *sp = (unsigned long *)((char *)uc + UC_SP);
	unsigned long *ip = (unsigned long *)((char *)uc + UC_IP);

	(void)sig;
	(void)info;
	sys6(102, 0, 0, 0, 0);
	*sp -= 8;
	*(unsigned long *)*sp = *ip;
	*ip = (unsigned long)sc_injected;
}

/* F: where the forged frame sends the program, on a stack of its own */
static long forged_stack[512] __attribute__((aligned(16)));
static unsigned char forged[SIGFRAME_SIZE] __attribute__((aligned(16)));

__attribute__((used, noinline)) static void forged_landing(void)
{
	sys6(102, 0, 0, 0, 0);
	sys6(231, 3, 0, 0, 0);
	for (;;)
		;
}

static void on_alarm_forge(int sig, void *info, void *uc)
{
	const unsigned char *frame = (const unsigned char *)uc - 8;
	unsigned i;

	(void)sig;
	(void)info;
	sys6(102, 0, 0, 0, 0);
	/* the real frame, as an attacker who can read it would copy it
	 * (segments, flags, fpstate stay valid), with another stack and
	 * another ip; entered as from a call (sp = 8 mod 16) */
	for (i = 0; i < SIGFRAME_SIZE; i++)
		forged[i] = frame[i];
	*(unsigned long *)(forged + 8 + UC_SP) = (unsigned long)&forged_stack[509];
	*(unsigned long *)(forged + 8 + UC_IP) = (unsigned long)forged_landing;
	/* the kernel takes the frame one word below the stack pointer */
	__asm__ volatile("lea 8(%0), %%rsp\n\tmov $15, %%eax\n\tsyscall"
			 : : "r"(forged) : "memory");
	__builtin_unreachable();
}

static char altstack[65536] __attribute__((aligned(16)));

static void nap(long sec, long nsec)
{
	long ts[2] = { sec, nsec };

	sys6(35, (long)ts, 0, 0, 0);
}

__attribute__((used)) void scprog_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	/* volatile: J and E come back to their sc_setjmp by longjmp */
	const char *volatile ops = argc > 1 ? argv[1] : "";
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
		case 'A': handle(SIGALRM, (void *)on_alarm, 0); break;
		case 'T': {
			/* stack_t: ss_sp, ss_flags, ss_size */
			long ss[3] = { (long)altstack, 0, sizeof(altstack) };

			sys6(131, (long)ss, 0, 0, 0);
			handle(SIGALRM, (void *)on_alarm, SA_ONSTACK);
			break;
		}
		case 'N': handle(SIGUSR1, (void *)on_usr1_nest, 0); break;
		case 'M':
			sys6(62, sys6(39, 0, 0, 0, 0), SIGUSR1, 0, 0);
			break;
		case 'J':
			handle(SIGUSR2, (void *)on_usr2_jump, SA_NODEFER);
			if (!sc_setjmp(jb))
				sys6(62, sys6(39, 0, 0, 0, 0), SIGUSR2, 0, 0);
			break;
		case 'E':
			handle(SIGUSR2, (void *)on_usr2_jump, SA_NODEFER);
			handle(SIGALRM, (void *)on_alarm_enclosing, 0);
			break;
		case 'I': handle(SIGALRM, (void *)on_alarm_inject, SA_SIGINFO); break;
		case 'F': handle(SIGALRM, (void *)on_alarm_forge, SA_SIGINFO); break;
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
