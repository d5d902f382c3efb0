// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: the added cost of sys_enter programs, measured in pairs.
 *
 * On a shared 2-CPU VM the speed of a syscall drifts by 10-20% over
 * seconds, more than the cost we want to see.  So this program times the
 * loop of bench/loop.h with nothing attached and with each named program
 * of bench/bench_empty.bpf.c attached, switching every few milliseconds
 * (attach, time, detach), and reports the median of the per-pair
 * differences: the drift cancels out within a pair.
 *
 *   floor [-n ITER] [-p PAIRS] [PROG...]     (default PROG: handle_sys_enter)
 *   prints: PROG median_ns added_ns (p25 p75)
 *
 * PROG may also be id:N, a loaded sys_enter program of another process
 * (the loader's): attached a second time, it shows that program's cost
 * next to the empty one's under the same conditions (run with the
 * loader attached, so the tracepoint's slow path is paid by every side).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_empty.skel.h"
#include "loop.h"
#include "bench.h"

#define PROGS_MAX 8
#define PAIRS_MAX 2000

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static long parse_count(const char *s, const char *what, long lo, long hi)
{
	return bench_count("floor", s, what, lo, hi);
}

/* attach program j: one of ours, or one loaded elsewhere (prog_fd >= 0);
 * returns a link or fd to release with detach(), or NULL/-1 */
struct attached {
	struct bpf_link *link;
	int fd;
};

static int attach(struct bpf_program *prog, int prog_fd, struct attached *a)
{
	a->link = NULL;
	a->fd = -1;
	if (prog_fd >= 0) {
		a->fd = bpf_raw_tracepoint_open(NULL, prog_fd);
		return a->fd < 0 ? -1 : 0;
	}
	a->link = bpf_program__attach(prog);
	return a->link ? 0 : -1;
}

static void detach(struct attached *a)
{
	if (a->fd >= 0)
		close(a->fd);
	bpf_link__destroy(a->link);
}

/* the q-quantile of n sorted values */
static double quantile(const double *v, int n, double q)
{
	return v[(int)(q * (n - 1) + 0.5)];
}

int main(int argc, char **argv)
{
	static double base[PAIRS_MAX], with[PROGS_MAX][PAIRS_MAX],
		diff[PROGS_MAX][PAIRS_MAX];
	struct bpf_program *progs[PROGS_MAX];
	int prog_fds[PROGS_MAX];
	const char *names[PROGS_MAX];
	struct bench_empty_bpf *skel;
	long iters = 2000, pairs = 200;
	int nprogs = 0, opt, fd, rc = 1;

	while ((opt = getopt(argc, argv, "n:p:h")) != -1) {
		switch (opt) {
		case 'n':
			iters = parse_count(optarg, "-n", 1, 100000000);
			break;
		case 'p':
			pairs = parse_count(optarg, "-p", 3, PAIRS_MAX);
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: floor [-n ITER] [-p PAIRS] [PROG...]\n"
				"EXAMPLES\n  floor -p 300 handle_sys_enter storage_lookup\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	for (; optind < argc && nprogs < PROGS_MAX; optind++)
		names[nprogs++] = argv[optind];
	if (optind < argc) {
		fprintf(stderr, "floor: at most %d programs\n", PROGS_MAX);
		return 2;
	}
	if (!nprogs)
		names[nprogs++] = "handle_sys_enter";

	libbpf_set_print(quiet_print);
	fd = memfd_create("floor", 0);
	if (fd < 0) {
		perror("floor: memfd_create");
		return 1;
	}
	skel = bench_empty_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: load failed: %d\n", -errno);
		return 1;
	}
	for (int i = 0; i < nprogs; i++)
		prog_fds[i] = -1;
	for (int i = 0; i < nprogs; i++) {
		progs[i] = NULL;
		if (!strncmp(names[i], "id:", 3)) {
			long id = parse_count(names[i] + 3, "id", 1, 0xffffffffL);

			prog_fds[i] = bpf_prog_get_fd_by_id((__u32)id);
			if (prog_fds[i] < 0) {
				fprintf(stderr, "floor: no program with id %ld\n", id);
				goto cleanup;
			}
			continue;
		}
		progs[i] = bpf_object__find_program_by_name(skel->obj, names[i]);
		if (!progs[i]) {
			fprintf(stderr, "floor: no program '%s'\n", names[i]);
			rc = 2;
			goto cleanup;
		}
	}
	for (long i = 0; i < iters; i++)
		loop_once(fd);

	for (long p = 0; p < pairs; p++) {
		/* rotate the order so that neither side always runs first */
		for (int k = 0; k <= nprogs; k++) {
			int j = (int)((k + p) % (nprogs + 1)) - 1;
			struct attached a;

			if (j < 0) {
				base[p] = loop_time(fd, iters);
				continue;
			}
			if (attach(progs[j], prog_fds[j], &a)) {
				fprintf(stderr, "floor: attach %s: %d\n", names[j], -errno);
				goto cleanup;
			}
			with[j][p] = loop_time(fd, iters);
			detach(&a);
		}
		for (int j = 0; j < nprogs; j++)
			diff[j][p] = with[j][p] - base[p];
	}
	qsort(base, (size_t)pairs, sizeof(double), loop_cmp_double);
	printf("%-18s %10.1f %10.1f\n", "none", quantile(base, (int)pairs, 0.5), 0.0);
	for (int j = 0; j < nprogs; j++) {
		qsort(with[j], (size_t)pairs, sizeof(double), loop_cmp_double);
		qsort(diff[j], (size_t)pairs, sizeof(double), loop_cmp_double);
		printf("%-18s %10.1f %10.1f  (%.1f %.1f)\n", names[j],
		       quantile(with[j], (int)pairs, 0.5),
		       quantile(diff[j], (int)pairs, 0.5),
		       quantile(diff[j], (int)pairs, 0.25),
		       quantile(diff[j], (int)pairs, 0.75));
	}
	rc = 0;
cleanup:
	for (int i = 0; i < nprogs; i++)
		if (prog_fds[i] >= 0)
			close(prog_fds[i]);
	bench_empty_bpf__destroy(skel);
	return rc;
}
