// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach-empty: load and attach bpf/bench_empty.bpf.c, print "ready" on
 * stderr, and stay attached until SIGINT/SIGTERM.  bench/run uses it for
 * the "empty program" line of the table.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_empty.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static unsigned int prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

int main(void)
{
	struct bench_empty_bpf *skel;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	libbpf_set_print(quiet_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	skel = bench_empty_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "attach-empty: load failed: %d\n", -errno);
		return 1;
	}
	err = bench_empty_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "attach-empty: attach failed: %d\n", err);
		bench_empty_bpf__destroy(skel);
		return 1;
	}
	/* the id lets bench/run read the program's run time (bpf_stats) */
	fprintf(stderr, "ready: empty sys_enter program attached, prog id %u\n",
		bpf_program__fd(skel->progs.handle_sys_enter) >= 0 ?
		prog_id(bpf_program__fd(skel->progs.handle_sys_enter)) : 0);
	while (!stop)
		pause();
	bench_empty_bpf__destroy(skel);
	return 0;
}
