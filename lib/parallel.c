// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sc_parallel_for: a shared counter hands out indices to a few threads. */
#include <pthread.h>
#include <unistd.h>

#include "parallel.h"

struct pfor {
	size_t n;
	size_t next;		/* next index to hand out (atomic) */
	size_t failed;		/* lowest failed index, n if none (atomic) */
	int (*fn)(void *ctx, size_t i);
	void (*done)(void *ctx);
	void *ctx;
};

static void *worker(void *arg)
{
	struct pfor *pf = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&pf->next, 1, __ATOMIC_RELAXED);
		size_t f;

		if (i >= pf->n || i > __atomic_load_n(&pf->failed, __ATOMIC_ACQUIRE))
			break;
		if (!pf->fn(pf->ctx, i))
			continue;
		f = __atomic_load_n(&pf->failed, __ATOMIC_RELAXED);
		while (i < f && !__atomic_compare_exchange_n(&pf->failed, &f, i, 0,
							      __ATOMIC_RELEASE,
							      __ATOMIC_RELAXED))
			;
	}
	if (pf->done)
		pf->done(pf->ctx);
	return NULL;
}

size_t sc_parallel_for(size_t n, int (*fn)(void *ctx, size_t i),
		       void (*done)(void *ctx), void *ctx)
{
	struct pfor pf = { .n = n, .failed = n, .fn = fn, .done = done, .ctx = ctx };
	pthread_t tid[SC_WORKERS_MAX - 1];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cpus > SC_WORKERS_MAX ? SC_WORKERS_MAX : cpus > 1 ? (size_t)cpus : 1;
	size_t started = 0;

	if (want > n)
		want = n ? n : 1;
	/* a thread that cannot start leaves its share to the others */
	while (started + 1 < want &&
	       !pthread_create(&tid[started], NULL, worker, &pf))
		started++;
	worker(&pf);
	for (size_t k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	return pf.failed;
}
