/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Collects the back-off entries sc_model_backoff reports, for the model
 * tests (test_model.c, test_score.c). */
#ifndef SC_TEST_BACKOFF_H
#define SC_TEST_BACKOFF_H

#include <stdint.h>

struct seen {
	unsigned a[16], b[16], x[16];
	uint16_t cost[16];
	int n;
};

static int collect(void *ctx, unsigned a, unsigned b, unsigned x, uint16_t cost)
{
	struct seen *s = ctx;

	if (s->n == 16)
		return -1;
	s->a[s->n] = a;
	s->b[s->n] = b;
	s->x[s->n] = x;
	s->cost[s->n++] = cost;
	return 0;
}

/* cost of (a, b, x) among the collected entries, -1 if absent */
static long found(const struct seen *s, unsigned a, unsigned b, unsigned x)
{
	for (int i = 0; i < s->n; i++)
		if (s->a[i] == a && s->b[i] == b && s->x[i] == x)
			return s->cost[i];
	return -1;
}

#endif
