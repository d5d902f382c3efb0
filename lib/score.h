/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The scoring model: transition counts -> fixed-point costs (1/256 bit).
 * Userspace only (floats allowed here); the kernel only adds the integers
 * this produces (sc_score_push in bpf/syscfi.h).
 */
#ifndef SC_SCORE_H
#define SC_SCORE_H

#include <stdint.h>
#include "profile.h"

/* -log2(p) in 1/256 bit, rounded to nearest, capped at SC_COST_CAP */
uint16_t sc_cost_from_prob(double p);
/* fixed-point bits -> double and back (threshold, report) */
double sc_cost_to_bits(uint32_t cost);
uint32_t sc_bits_to_cost(double bits);

/* model over one profile's counts (c3, c2, c1, context totals) */
struct sc_model;
struct sc_model *sc_model_new(const struct sc_profile *p);
void sc_model_free(struct sc_model *m);
/* cost of a known transition (a, b, x) */
uint16_t sc_model_cost(const struct sc_model *m, unsigned a, unsigned b,
		       unsigned x);
/* the same for a row of the model's own profile (its count at hand: no
 * lookup in the profile's hash) */
uint16_t sc_model_cost_row(const struct sc_model *m, const struct sc_trans *t);
/* iterate the back-off entries: bigram (SC_ANY, b, x), unigram (SC_ANY, SC_ANY, x) */
typedef int (*sc_backoff_fn)(void *ctx, unsigned a, unsigned b, unsigned x,
			     uint16_t cost);
int sc_model_backoff(const struct sc_model *m, sc_backoff_fn fn, void *ctx);
/* cost for a transition matching nothing at all */
uint16_t sc_model_unseen_cost(const struct sc_model *m);
/* free the buffers this thread keeps for its next model (a thread that
 * built models calls it before it ends) */
void sc_model_drop_spares(void);

#endif
