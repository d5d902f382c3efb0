// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uring MODE good|bad INPUT RESULT: a static program without libc that
 * reads INPUT through an io_uring and writes what it read to RESULT
 * (tests/uring.bats).  Its syscalls are the same in both runs:
 *   io_uring_setup, mmap x3, openat(INPUT), io_uring_enter (MODE inline
 *   or async) or nanosleep until the completion (MODE sqpoll, after an
 *   io_uring_enter that only wakes the SQ thread if it sleeps), openat
 *   (RESULT), write, close, exit_group
 * "good" queues IORING_OP_READ of INPUT; "bad" queues IORING_OP_OPENAT of
 * RESULT.evil (O_CREAT) instead: the same syscalls, another opcode.
 * MODE async sets IOSQE_ASYNC; sqpoll sets up the ring with
 * IORING_SETUP_SQPOLL, so no syscall submits the request.
 */
typedef unsigned int u32;
typedef unsigned long u64;

#include "sys6.h"

/* io_uring_enter(ring, submit, wait, flags, NULL, 0): six arguments */
static long sys_enter(long ring, long submit, long wait, long flags)
{
	register long r10 __asm__("r10") = flags;
	register long r8 __asm__("r8") = 0;
	register long r9 __asm__("r9") = 0;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(426), "D"(ring), "S"(submit), "d"(wait), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* mmap needs six arguments */
static long sys_mmap(long len, long fd, long off)
{
	register long r10 __asm__("r10") = 1;	/* MAP_SHARED */
	register long r8 __asm__("r8") = fd;
	register long r9 __asm__("r9") = off;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(9), "D"(0), "S"(len), "d"(3 /* PROT_READ|WRITE */),
			   "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

struct sq_off { u32 head, tail, mask, entries, flags, dropped, array, resv1; u64 user; };
struct cq_off { u32 head, tail, mask, entries, overflow, cqes, flags, resv1; u64 user; };
struct params {
	u32 sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle;
	u32 features, wq_fd, resv[3];
	struct sq_off sq;
	struct cq_off cq;
};
struct sqe {
	unsigned char opcode, flags;
	unsigned short ioprio;
	int fd;
	u64 off, addr;
	u32 len, op_flags;
	u64 user_data;
	unsigned short buf_index, personality;
	int file_index;
	u64 addr3, pad;
};
struct cqe { u64 user_data; int res; u32 flags; };

#define IORING_SETUP_SQPOLL	2
#define IORING_ENTER_GETEVENTS	1
#define IORING_ENTER_SQ_WAKEUP	2	/* only wakes the SQ thread: it submits */
#define IOSQE_ASYNC		16
#define OP_OPENAT		18
#define OP_READ			22

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void die(void)
{
	sys6(231, 2, 0, 0, 0);
}

__attribute__((used)) void uring_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	static char buf[64], evil[4096];
	static struct params p;
	int sqpoll, bad, async, ring, in, out;
	volatile u32 *sq_tail, *cq_head, *cq_tail;
	struct sqe *sqes;
	struct cqe *cqes;
	char *sqr, *cqr;
	long n = -1, i;

	if (argc < 5)
		die();
	sqpoll = streq(argv[1], "sqpoll");
	async = streq(argv[1], "async");
	bad = streq(argv[2], "bad");
	for (i = 0; argv[4][i] && i < 4000; i++)
		evil[i] = argv[4][i];
	evil[i++] = '.', evil[i++] = 'e', evil[i++] = 'v', evil[i++] = 'i', evil[i++] = 'l';
	if (sqpoll) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 2000;	/* ms: it polls through the test */
	}
	ring = (int)sys6(425, 4, (long)&p, 0, 0);
	if (ring < 0)
		die();
	sqr = (char *)sys_mmap(p.sq.array + p.sq_entries * 4, ring, 0);
	cqr = (char *)sys_mmap(p.cq.cqes + p.cq_entries * sizeof(struct cqe), ring,
			       0x8000000);
	sqes = (struct sqe *)sys_mmap(p.sq_entries * sizeof(struct sqe), ring,
				      0x10000000);
	if ((long)sqr < 0 || (long)cqr < 0 || (long)sqes < 0)
		die();
	in = (int)sys6(257, -100, (long)argv[3], 0, 0);
	sq_tail = (u32 *)(sqr + p.sq.tail);
	cq_head = (u32 *)(cqr + p.cq.head);
	cq_tail = (u32 *)(cqr + p.cq.tail);
	cqes = (struct cqe *)(cqr + p.cq.cqes);
	if (bad) {
		sqes[0].opcode = OP_OPENAT;
		sqes[0].fd = -100;
		sqes[0].addr = (u64)evil;
		sqes[0].len = 0644;
		sqes[0].op_flags = 0101;	/* O_WRONLY|O_CREAT */
	} else {
		sqes[0].opcode = OP_READ;
		sqes[0].fd = in;
		sqes[0].addr = (u64)buf;
		sqes[0].len = sizeof(buf) - 1;
	}
	sqes[0].flags = async ? IOSQE_ASYNC : 0;
	((u32 *)(sqr + p.sq.array))[*sq_tail & *(u32 *)(sqr + p.sq.mask)] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (sqpoll) {
		long ts[2] = { 0, 10000000 };

		/* IORING_SQ_NEED_WAKEUP: the thread sleeps; wake it, as
		 * liburing does */
		if (__atomic_load_n((u32 *)(sqr + p.sq.flags), __ATOMIC_ACQUIRE) & 1)
			sys_enter(ring, 0, 0, IORING_ENTER_SQ_WAKEUP);

		for (i = 0; i < 300 && __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head; i++)
			sys6(35, (long)ts, 0, 0, 0);
	} else {
		sys_enter(ring, 1, 1, IORING_ENTER_GETEVENTS);
	}
	if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) != *cq_head)
		n = cqes[*cq_head & *(u32 *)(cqr + p.cq.mask)].res;
	if (!bad && n > 0)
		buf[n] = 0;
	out = (int)sys6(257, -100, (long)argv[4], 01101 /* O_WRONLY|O_CREAT|O_TRUNC */, 0644);
	if (n > 0 && !bad) {
		sys6(1, out, (long)buf, n, 0);
	} else {
		/* the completion's result, as -errno or a number */
		char msg[24], *q = msg + sizeof(msg);
		unsigned long v = n < 0 ? -n : n;

		*--q = '\n';
		do
			*--q = (char)('0' + v % 10);
		while (v /= 10);
		if (n < 0)
			*--q = '-';
		sys6(1, out, (long)q, msg + sizeof(msg) - q, 0);
	}
	sys6(3, out, 0, 0, 0);
	sys6(231, 0, 0, 0, 0);
	for (;;)
		;
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall uring_main\n");
