// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gen-profiles: write synthetic profiles for the loader's start-up and
 * memory benchmark: NPROF profiles named scb-gen-N totalling TOTAL
 * distinct transitions over real syscall names (so the loader parses,
 * resolves and compiles them as it would real ones).
 *
 *   gen-profiles -o DIR -p 100 -t 1000000
 *
 * Transitions of one profile are distinct: transition i of a profile is
 * triple number (i * STRIDE) mod K^3 over K names, STRIDE prime to K^3,
 * which is a bijection on 0..K^3-1, then written in that order.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "syscfi.h"
#include "syscalls.h"
#include "bench.h"

static const char usage_text[] =
"usage: gen-profiles -o DIR [-p NPROF] [-t TOTAL]\n"
"  -o DIR     output directory (created)\n"
"  -p NPROF   number of profiles (default 100)\n"
"  -t TOTAL   transitions over all profiles (default 1000000)\n"
"EXAMPLES\n"
"  gen-profiles -o /tmp/p100 -p 100 -t 1000000\n";

static long parse_count(const char *s, const char *what, long lo, long hi)
{
	return bench_count("gen-profiles", s, what, lo, hi);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int write_profile(const char *dir, long id, long ntrans,
			 const char **names, uint64_t k)
{
	uint64_t space = k * k * k, stride = 2654435761u % space, off;
	char path[PATH_MAX], comm[SC_COMM_LEN];
	FILE *f;

	while (gcd(stride, space) != 1)
		stride++;
	off = (uint64_t)id * 7919u % space;
	snprintf(comm, sizeof(comm), "scb-gen-%u", (unsigned)(id & 0xffff));
	snprintf(path, sizeof(path), "%s/%s.json", dir, comm);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen-profiles: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"format\": \"syscfi-profile\",\n  \"version\": 1,\n"
		"  \"comm\": \"%s\",\n  \"arch\": \"x86_64\",\n  \"depth\": 2,\n"
		"  \"window\": %d,\n  \"stats\": {\"traces\": 1, \"tasks\": 1, "
		"\"syscalls\": %ld},\n  \"transitions\": [\n",
		comm, SC_WINDOW_DEFAULT, ntrans);
	for (long i = 0; i < ntrans; i++) {
		uint64_t t = (off + (uint64_t)i * stride) % space;
		uint64_t a = t / (k * k), b = t / k % k, x = t % k;

		/* name 0 of a stands for START: profiles begin there */
		fprintf(f, "    [\"%s\", \"%s\", \"%s\", %lu]%s\n",
			a == 0 ? "START" : names[a], names[b], names[x],
			(unsigned long)(1 + t % 1000), i + 1 < ntrans ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "gen-profiles: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *names[SC_NR_MAX];
	long nprof = 100, total = 1000000;
	uint64_t k = 0;
	int opt;

	while ((opt = getopt(argc, argv, "o:p:t:h")) != -1) {
		switch (opt) {
		case 'o':
			dir = optarg;
			break;
		case 'p':
			nprof = parse_count(optarg, "-p", 1, 60000);
			break;
		case 't':
			total = parse_count(optarg, "-t", 1, 100000000);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (!dir || optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "gen-profiles: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* the names the kernel's table gives, not strace's syscall_0x form */
	for (int nr = 0; nr < SC_NR_MAX; nr++) {
		const char *n = sc_syscall_name(SC_ARCH_X86_64, nr);

		if (n && strncmp(n, "syscall_", 8))
			names[k++] = n;
	}
	for (long p = 0; p < nprof; p++) {
		long n = total / nprof + (p < total % nprof);

		if ((uint64_t)n > k * k * k) {
			fprintf(stderr, "gen-profiles: %ld transitions do not fit "
				"in one profile\n", n);
			return 1;
		}
		if (write_profile(dir, p, n, names, k))
			return 1;
	}
	printf("%ld profiles, %ld transitions in %s\n", nprof, total, dir);
	return 0;
}
