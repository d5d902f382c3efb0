/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A parallel for over independent items (profiles to read, profiles to
 * compile): the start-up of a loader with many profiles is CPU work that
 * splits by profile.
 */
#ifndef SC_PARALLEL_H
#define SC_PARALLEL_H

#include <stddef.h>

/*
 * Run fn(ctx, i) for i = 0..n-1 on up to SC_WORKERS_MAX threads (no more
 * than the CPUs online; the caller is one of them), handing out i in
 * increasing order.  Once fn(ctx, i) fails (nonzero), no index above i is
 * handed out.  Each thread calls done(ctx), if given, when it runs out of
 * work (to free what it kept per thread).  Returns n when every call
 * succeeded, else the lowest i whose call failed: every index below it
 * ran, so reporting that one is deterministic.
 */
#define SC_WORKERS_MAX 4
size_t sc_parallel_for(size_t n, int (*fn)(void *ctx, size_t i),
		       void (*done)(void *ctx), void *ctx);

#endif
