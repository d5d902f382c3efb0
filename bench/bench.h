/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the bench/ programs: command-line numbers. */
#ifndef SC_BENCH_H
#define SC_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* decimal s in lo..hi, or a one-line error naming prog and option, exit 2 */
static inline long bench_count(const char *prog, const char *s,
			       const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: %s: '%s' is not in %ld..%ld\n", prog, what,
			s, lo, hi);
		exit(2);
	}
	return v;
}

#endif
