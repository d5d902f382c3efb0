// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach-empty [PROG]: load and attach one program of bench/bench_empty.bpf.c
 * (default handle_sys_enter, the empty one), print "ready" on stderr, and
 * stay attached until SIGINT/SIGTERM.  bench/run uses it for the "empty
 * program" line of the table and to price syscfi's unprofiled path.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "handle_sys_enter";
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_program *prog, *chosen = NULL;
	struct bench_empty_bpf *skel;
	struct bpf_link *link;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: attach-empty [PROG]  (a program of bench/bench_empty.bpf.c)\n");
		return 2;
	}
	libbpf_set_print(quiet_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	skel = bench_empty_bpf__open();
	if (!skel) {
		fprintf(stderr, "attach-empty: open failed: %d\n", -errno);
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		int me = !strcmp(bpf_program__name(prog), name);

		bpf_program__set_autoload(prog, me);
		if (me)
			chosen = prog;
	}
	if (!chosen) {
		fprintf(stderr, "attach-empty: no program '%s'\n", name);
		bench_empty_bpf__destroy(skel);
		return 2;
	}
	if (bench_empty_bpf__load(skel)) {
		fprintf(stderr, "attach-empty: load failed: %d\n", -errno);
		bench_empty_bpf__destroy(skel);
		return 1;
	}
	link = bpf_program__attach(chosen);
	if (!link) {
		fprintf(stderr, "attach-empty: attach failed: %d\n", -errno);
		bench_empty_bpf__destroy(skel);
		return 1;
	}
	/* the id lets bench/run read the program's run time (bpf_stats) */
	fprintf(stderr, "ready: %s attached to sys_enter, prog id %u\n", name,
		prog_id(bpf_program__fd(chosen)));
	while (!stop)
		pause();
	bpf_link__destroy(link);
	bench_empty_bpf__destroy(skel);
	return 0;
}
