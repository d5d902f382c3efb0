// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscall-loop: time a tight loop of cheap syscalls of several kinds
 * (bench/loop.h says which and why).
 *
 * Output (stdout), one line a run, then a summary:
 *   run 3: 61.2 ns/syscall
 *   ns/syscall best 60.8 median 61.2 runs 7 calls 1400000
 *
 * --seccomp installs a classic-BPF allow-list filter first (the loop's
 * calls and what start-up and exit need), the way a hand-written
 * seccomp policy looks: a linear list of comparisons, no libseccomp.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "loop.h"
#include "bench.h"

#define RUNS_MAX 1000

static const char usage_text[] =
"usage: syscall-loop [-n ITER] [-r RUNS] [-w WARMUP] [--seccomp] [-q]\n"
"  -n ITER     iterations a run (default 200000; %d syscalls each)\n"
"  -r RUNS     timed runs (default 7); the summary gives best and median\n"
"  -w WARMUP   untimed iterations first (default ITER/10)\n"
"  --seccomp   install a seccomp allow-list filter before the loop\n"
"  -q          only the summary line\n"
"EXAMPLES\n"
"  syscall-loop -n 500000 -r 9\n"
"  syscall-loop --seccomp\n";

static long parse_count(const char *s, const char *what, long lo, long hi)
{
	return bench_count("syscall-loop", s, what, lo, hi);
}

/* allow one syscall number: if (nr == n) return ALLOW */
#define ALLOW_NR(n) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/*
 * The allow-list: what this program needs after the filter is in place
 * (the loop, printing, exit).  The loop's calls are spread through the
 * list rather than first, as in a policy not tuned for this loop.
 */
static int install_seccomp(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		ALLOW_NR(SYS_write),
		ALLOW_NR(SYS_exit_group),
		ALLOW_NR(SYS_exit),
		ALLOW_NR(SYS_brk),
		ALLOW_NR(SYS_mmap),
		ALLOW_NR(SYS_munmap),
		ALLOW_NR(SYS_getppid),
		ALLOW_NR(SYS_newfstatat),
		ALLOW_NR(SYS_fstat),
		ALLOW_NR(SYS_clock_gettime),
		ALLOW_NR(SYS_getuid),
		ALLOW_NR(SYS_rt_sigreturn),
		ALLOW_NR(SYS_rt_sigprocmask),
		ALLOW_NR(SYS_lseek),
		ALLOW_NR(SYS_close),
		ALLOW_NR(SYS_read),
		ALLOW_NR(SYS_futex),
		ALLOW_NR(SYS_fcntl),
		ALLOW_NR(SYS_ioctl),
		ALLOW_NR(SYS_geteuid),
		ALLOW_NR(SYS_nanosleep),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]),
		.filter = insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		perror("syscall-loop: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("syscall-loop: PR_SET_SECCOMP");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seccomp", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long iters = 200000, runs = 7, warmup = -1;
	int use_seccomp = 0, quiet = 0, opt;
	double res[RUNS_MAX];
	int fd;

	while ((opt = getopt_long(argc, argv, "n:r:w:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			iters = parse_count(optarg, "-n", 1, LONG_MAX / SC_LOOP_CALLS);
			break;
		case 'r':
			runs = parse_count(optarg, "-r", 1, RUNS_MAX);
			break;
		case 'w':
			warmup = parse_count(optarg, "-w", 0, LONG_MAX);
			break;
		case 'S':
			use_seccomp = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			printf(usage_text, SC_LOOP_CALLS);
			return 0;
		default:
			fprintf(stderr, usage_text, SC_LOOP_CALLS);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, usage_text, SC_LOOP_CALLS);
		return 2;
	}
	if (warmup < 0)
		warmup = iters / 10;

	fd = memfd_create("syscall-loop", 0);
	if (fd < 0) {
		perror("syscall-loop: memfd_create");
		return 1;
	}
	/* stdout is a pipe in the runner: size its buffer before the filter */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (use_seccomp && install_seccomp())
		return 1;

	for (long i = 0; i < warmup; i++)
		loop_once(fd);
	for (long r = 0; r < runs; r++) {
		res[r] = loop_time(fd, iters);
		if (!quiet)
			printf("run %ld: %.1f ns/syscall\n", r + 1, res[r]);
	}
	qsort(res, (size_t)runs, sizeof(res[0]), loop_cmp_double);
	printf("ns/syscall best %.2f median %.2f runs %ld calls %ld\n",
	       res[0], res[runs / 2], runs, iters * SC_LOOP_CALLS);
	return 0;
}
