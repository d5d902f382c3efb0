// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The scoring model (docs/scoring.md): design.md section 3's interpolated
 * trigram model over one profile's counts,
 *   P(x | a,b) = 0.80*c3/ctx3 + 0.15*c2/ctx2 + 0.05*c1/N
 * for known transitions, whose cost -log2 P is scaled down by
 * 2^SC_KNOWN_SHIFT, plus an escape cost of SC_ESCAPE_BITS on every
 * back-off entry: a transition the profile never saw costs its bigram (or
 * unigram) cost plus the escape, so novelty always weighs more than the
 * rarest known path.  Chosen by measurement (scripts/evaluate, numbers in
 * docs/scoring.md) over the plain baseline, Witten-Bell escapes, other
 * escape levels and a lower unseen cost.  The formula lives in
 * model_prob() and backoff_cost(); the kernel only adds the results.
 */
#include <math.h>
#include <stdlib.h>

#include "score.h"
#include "syscfi.h"

#define SYMS	(SC_SIGNAL + 1)	/* 0..511, START, UNKNOWN, SIGNAL */

/* interpolation weights; depth-1 profiles fold the trigram weight into
 * the bigram's */
#define W3	0.80
#define W2	0.15
#define W1	0.05
#define W2_DEPTH1 (W3 + W2)

/*
 * Escape cost of a back-off entry, in bits: P(novel transition) taken as
 * 2^-16.  Measured: +0.03 to +0.07 AUC on the Linux set against 0 bits,
 * nothing lost on the UNM set; 8 bits does less, 32 no better.
 */
#define SC_ESCAPE_BITS	SC_NOVELTY_BITS

/*
 * SC_KNOWN_SHIFT (bpf/syscfi.h): known transitions weigh a quarter of
 * their -log2 P.  Between normal
 * runs their costs are mostly noise (a rare but known path costs 10 bits
 * and more), while novelty is what most often separates an attack; at a
 * quarter, the window sum is mostly the novelties with their back-off
 * costs, and a run of rare known paths still counts.  Measured in
 * docs/scoring.md: 1/16 is no better, 1 loses up to 0.07 AUC on
 * per-process mixed-program data.
 */

/*
 * Sparse counts keyed by two symbols: profiles see a few thousand of the
 * 514 * 514 pairs, and dense arrays (4 MiB a profile) cost more in page
 * faults than the whole table build.
 */
struct pair_map {
	struct pair_ent { uint32_t key; double v; } *e;	/* key PAIR_FREE: free */
	size_t mask, n, cap;	/* cap: entries allocated, >= mask + 1 */
};

#define PAIR_FREE	UINT32_MAX

struct sc_model {
	const struct sc_profile *p;	/* c3 comes from the profile itself */
	int depth;
	double n;			/* total count */
	double c1[SYMS];		/* c1(x) */
	double ctx2[SYMS];		/* sum over x of c2(b, x) */
	struct pair_map c2;		/* c2(b, x), key b << 10 | x */
	struct pair_map ctx3;		/* sum over x of c3(a, b, x), key a << 10 | b */
};

static uint32_t pair_key(unsigned hi, unsigned lo)
{
	return (uint32_t)hi << SC_SYM_BITS | lo;
}

/*
 * A loader compiles profile after profile: keep the last freed buffers of
 * this thread (up to SPARE_MAX bytes each) for the next model, because
 * fresh pages cost a page fault each and dominate a big build.
 */
#define SPARE_MAX	(4u << 20)
static __thread struct pair_ent *spare[2];
static __thread size_t spare_cap[2];

static int pair_init(struct pair_map *m, size_t want)
{
	size_t n = 16;

	/* there are at most SYMS * SYMS pairs, whatever the transitions */
	if (want > (size_t)SYMS * SYMS)
		want = (size_t)SYMS * SYMS;
	while (n < 2 * want)
		n *= 2;
	m->e = NULL;
	for (int i = 0; i < 2 && !m->e; i++) {
		if (spare[i] && spare_cap[i] >= n) {
			m->e = spare[i];
			m->cap = spare_cap[i];
			spare[i] = NULL;
			spare_cap[i] = 0;
		}
	}
	if (!m->e) {
		m->e = malloc(n * sizeof(*m->e));
		if (!m->e)
			return -1;
		m->cap = n;
	}
	for (size_t i = 0; i < n; i++)
		m->e[i].key = PAIR_FREE;
	m->mask = n - 1;
	m->n = 0;
	return 0;
}

void sc_model_drop_spares(void)
{
	for (int k = 0; k < 2; k++) {
		free(spare[k]);
		spare[k] = NULL;
		spare_cap[k] = 0;
	}
}

static void pair_release(struct pair_map *m)
{
	int k = spare_cap[0] <= spare_cap[1] ? 0 : 1;	/* the smaller spare */

	if (!m->e)
		return;
	if (m->cap * sizeof(*m->e) <= SPARE_MAX && m->cap > spare_cap[k]) {
		free(spare[k]);
		spare[k] = m->e;
		spare_cap[k] = m->cap;
	} else {
		free(m->e);
	}
	m->e = NULL;
}

static struct pair_ent *pair_slot(const struct pair_map *m, uint32_t key)
{
	size_t i = sc_hash(key) & m->mask;

	while (m->e[i].key != PAIR_FREE && m->e[i].key != key)
		i = (i + 1) & m->mask;
	return &m->e[i];
}

/* never fills up: sized for every transition of the profile */
static void pair_add(struct pair_map *m, uint32_t key, double v)
{
	struct pair_ent *e = pair_slot(m, key);

	if (e->key == PAIR_FREE) {
		e->key = key;
		e->v = 0;
		m->n++;
	}
	e->v += v;
}

static double pair_get(const struct pair_map *m, uint32_t key)
{
	const struct pair_ent *e = m->e ? pair_slot(m, key) : NULL;

	return e && e->key == key ? e->v : 0;
}

uint16_t sc_cost_from_prob(double p)
{
	double c;

	if (!(p > 0))			/* also NaN */
		return SC_COST_CAP;
	c = round(-log2(p) * SC_COST_ONE);
	if (c <= 0)
		return 0;
	return c >= SC_COST_CAP ? SC_COST_CAP : (uint16_t)c;
}

double sc_cost_to_bits(uint32_t cost)
{
	return (double)cost / SC_COST_ONE;
}

uint32_t sc_bits_to_cost(double bits)
{
	double c;

	if (!(bits > 0))
		return 0;
	c = round(bits * SC_COST_ONE);
	return c >= UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

/* a symbol the dense arrays hold (x never START/UNKNOWN; a, b may be START) */
static int sym_ok(unsigned s)
{
	return s < SYMS;
}

struct sc_model *sc_model_new(const struct sc_profile *p)
{
	struct sc_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->p = p;
	m->depth = p->depth;
	if (pair_init(&m->c2, p->ntrans) ||
	    (p->depth != 1 && pair_init(&m->ctx3, p->ntrans))) {
		sc_model_free(m);
		return NULL;
	}
	for (size_t i = 0; i < p->nslots; i++) {
		const struct sc_trans *t = &p->slots[i];
		double c = (double)t->count;

		/* free slots have a == 0xffff; depth 1 has a == SC_ANY */
		if (p->depth == 1 ? t->a != SC_ANY : !sym_ok(t->a))
			continue;
		if (!sym_ok(t->b) || !sym_ok(t->x))
			continue;
		m->n += c;
		m->c1[t->x] += c;
		m->ctx2[t->b] += c;
		pair_add(&m->c2, pair_key(t->b, t->x), c);
		if (p->depth != 1)
			pair_add(&m->ctx3, pair_key(t->a, t->b), c);
	}
	return m;
}

void sc_model_free(struct sc_model *m)
{
	if (!m)
		return;
	pair_release(&m->c2);
	pair_release(&m->ctx3);
	free(m);
}

/* c / ctx, or 0 where the context was never seen */
static double ratio(double c, double ctx)
{
	return ctx > 0 ? c / ctx : 0;
}

/*
 * The model.  P(x | a, b) using the orders given: order 3 (a known
 * depth-2 transition), 2 (bigram back-off, or a depth-1 transition),
 * 1 (unigram back-off).  a/b are ignored below their order.
 */
static double model_prob(const struct sc_model *m, int order, unsigned a,
			 unsigned b, unsigned x, const struct sc_trans *row)
{
	double p1 = ratio(m->c1[x], m->n), p2 = 0, p3 = 0;

	if (order >= 2)
		p2 = ratio(pair_get(&m->c2, pair_key(b, x)), m->ctx2[b]);
	if (m->depth == 1)
		return (order >= 2 ? W2_DEPTH1 * p2 : 0) + W1 * p1;
	if (order >= 3)
		p3 = ratio((double)(row ? row->count :
					    sc_profile_count(m->p, a, b, x)),
			   pair_get(&m->ctx3, pair_key(a, b)));
	return W3 * p3 + W2 * p2 + W1 * p1;
}

/* cost of a known transition: -log2 P scaled down by 2^SC_KNOWN_SHIFT */
static uint16_t known_cost(double p)
{
	return (uint16_t)(sc_cost_from_prob(p) >> SC_KNOWN_SHIFT);
}

uint16_t sc_model_cost(const struct sc_model *m, unsigned a, unsigned b,
		       unsigned x)
{
	if (!sym_ok(b) || !sym_ok(x) || (m->depth != 1 && !sym_ok(a)))
		return SC_COST_CAP;
	return known_cost(model_prob(m, m->depth == 1 ? 2 : 3, a, b, x, NULL));
}

uint16_t sc_model_cost_row(const struct sc_model *m, const struct sc_trans *t)
{
	if (!sym_ok(t->b) || !sym_ok(t->x) || (m->depth != 1 && !sym_ok(t->a)))
		return SC_COST_CAP;
	return known_cost(model_prob(m, m->depth == 1 ? 2 : 3, t->a, t->b,
				     t->x, t));
}

/* cost of a back-off entry: -log2 P + the escape, capped like any cost */
static uint16_t backoff_cost(double p)
{
	uint32_t c = sc_cost_from_prob(p) + SC_ESCAPE_BITS * SC_COST_ONE;

	return c >= SC_COST_CAP ? SC_COST_CAP : (uint16_t)c;
}

int sc_model_backoff(const struct sc_model *m, sc_backoff_fn fn, void *ctx)
{
	int rc = 0;

	/* depth 1: (ANY, b, x) are the known transitions themselves; the
	 * bigrams come in the map's order: the table sorts its entries */
	for (size_t i = 0; m->depth != 1 && i <= m->c2.mask && !rc; i++) {
		const struct pair_ent *e = &m->c2.e[i];
		unsigned b = e->key >> SC_SYM_BITS, x = e->key & SC_SYM_MASK;

		if (e->key != PAIR_FREE && e->v > 0)
			rc = fn(ctx, SC_ANY, b, x,
				backoff_cost(model_prob(m, 2, SC_ANY, b, x, NULL)));
	}
	if (rc)
		return rc;
	for (unsigned x = 0; x < SC_NR_MAX; x++) {
		if (!(m->c1[x] > 0))
			continue;
		rc = fn(ctx, SC_ANY, SC_ANY, x,
			backoff_cost(model_prob(m, 1, SC_ANY, SC_ANY, x, NULL)));
		if (rc)
			return rc;
	}
	return 0;
}

uint16_t sc_model_unseen_cost(const struct sc_model *m)
{
	(void)m;
	return SC_COST_CAP;
}
