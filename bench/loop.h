/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The syscall loop timed by syscall-loop and floor: SC_LOOP_CALLS cheap
 * syscalls of six kinds a turn, in an order chosen so that the depth-2
 * transitions (a, b) -> x vary (getppid follows three different pairs,
 * lseek two), which is what a state-machine lookup pays for.  The calls
 * go through syscall(2) so that no libc cache hides one.
 */
#ifndef BENCH_LOOP_H
#define BENCH_LOOP_H

#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SC_LOOP_CALLS 10

static inline void loop_once(int fd)
{
	char c;

	syscall(SYS_getppid);
	syscall(SYS_getuid);
	syscall(SYS_lseek, fd, 0L, SEEK_SET);
	syscall(SYS_read, fd, &c, 0UL);
	syscall(SYS_getppid);
	syscall(SYS_fcntl, fd, F_GETFL);
	syscall(SYS_lseek, fd, 0L, SEEK_SET);
	syscall(SYS_getppid);
	syscall(SYS_geteuid);
	syscall(SYS_read, fd, &c, 0UL);
}

static inline double loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per syscall of iters turns */
static inline double loop_time(int fd, long iters)
{
	double t0 = loop_now_ns();

	for (long i = 0; i < iters; i++)
		loop_once(fd);
	return (loop_now_ns() - t0) / ((double)iters * SC_LOOP_CALLS);
}

static inline int loop_cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

#endif
