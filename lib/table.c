// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Compile a profile set into the one open-addressed table of u64 slots the
 * BPF program probes (layout in bpf/syscfi.h), and look things up in it
 * exactly as the BPF program does, so the offline replay and the kernel
 * read the same bits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "score.h"
#include "table.h"

struct entries {
	uint64_t *v;		/* sc_slot() values, in insertion order */
	size_t n, cap;
	uint32_t id;
	int depth;
};

__attribute__((format(printf, 3, 4)))
static void terr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int push(struct entries *e, uint64_t slot)
{
	if (e->n == e->cap) {
		size_t c = e->cap ? e->cap * 2 : 1024;
		uint64_t *v = realloc(e->v, c * sizeof(*v));

		if (!v)
			return -1;
		e->v = v;
		e->cap = c;
	}
	e->v[e->n++] = slot;
	return 0;
}

static int push_backoff(void *ctx, unsigned a, unsigned b, unsigned x,
			uint16_t cost)
{
	struct entries *e = ctx;

	return push(e, sc_slot(sc_key(e->id, a, b, x), cost, 0));
}

/* known transitions, then back-off entries, of profile id; *unseen gets
 * the cost of a transition matching nothing */
static int profile_entries(struct entries *e, const struct sc_profile *p,
			   uint32_t id, uint16_t *unseen)
{
	struct sc_model *m = sc_model_new(p);
	struct sc_trans *v;
	size_t n;
	int rc = 0;

	if (!m)
		return -1;
	/* sorted: the same profiles always give the same table */
	v = sc_profile_sorted(p, &n);
	if (!v) {
		sc_model_free(m);
		return -1;
	}
	e->id = id;
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned a = p->depth == 1 ? SC_ANY : v[i].a;

		rc = push(e, sc_slot(sc_key(id, a, v[i].b, v[i].x),
				     sc_model_cost(m, v[i].a, v[i].b, v[i].x), 1));
	}
	if (!rc)
		rc = sc_model_backoff(m, push_backoff, e);
	*unseen = sc_model_unseen_cost(m);
	free(v);
	sc_model_free(m);
	return rc;
}

/*
 * Place every entry within SC_PROBE_MAX probes of its home, or fail (1) so
 * the caller doubles the table; -1 on a duplicate key.  Robin Hood
 * insertion: an entry further from its home takes the slot of one nearer
 * to its own.  Clusters stay gap-free, so the BPF probe (home, home+1, ...
 * until empty) finds every key as before, but the longest distance from
 * home shrinks and a load of 1/2 fits the bound without doubling.
 */
static int place_all(uint64_t *slots, uint32_t bits, const struct entries *e)
{
	uint32_t mask = (1u << bits) - 1;

	for (size_t k = 0; k < e->n; k++) {
		uint64_t cur = e->v[k];
		uint32_t i = sc_hash(sc_slot_key(cur), bits), d = 0;

		for (;; i = (i + 1) & mask, d++) {
			uint64_t s = slots[i];
			uint32_t sd;

			if (d >= SC_PROBE_MAX)
				return 1;
			if (!s) {
				slots[i] = cur;
				break;
			}
			if (sc_slot_key(s) == sc_slot_key(cur))
				return -1;
			sd = (i - sc_hash(sc_slot_key(s), bits)) & mask;
			if (sd < d) {
				slots[i] = cur;
				cur = s;
				d = sd;
			}
		}
	}
	return 0;
}

/* zeroed slots; large tables ask for huge pages: first-touch faults of
 * 4 KiB pages dominate the build time of a big table */
static uint64_t *slots_alloc(uint32_t bits)
{
	size_t len = sizeof(uint64_t) << bits, huge = 2u << 20;
	void *p;

	if (len < huge)
		return calloc((size_t)1 << bits, sizeof(uint64_t));
	if (posix_memalign(&p, huge, len))
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);	/* a hint: fine if refused */
	memset(p, 0, len);
	return p;
}

static uint32_t thr_sum(double bits, uint32_t window)
{
	uint64_t s = (uint64_t)sc_bits_to_cost(bits) * window;

	if (s > UINT32_MAX)
		return UINT32_MAX;
	return s ? (uint32_t)s : 1;	/* 0 would mean "no threshold" */
}

int sc_table_build(struct sc_table *t, const struct sc_profile_set *set,
		   double threshold_override, char *err, size_t errlen)
{
	struct entries e = { 0 };
	uint32_t bits = SC_TABLE_BITS_MIN;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (set->n > SC_PROFILES_MAX) {
		terr(err, errlen, "%zu profiles: at most %u fit in the table",
		     set->n, SC_PROFILES_MAX);
		return -1;
	}
	t->nprofiles = (uint32_t)set->n;
	t->info = calloc(set->n + 1, sizeof(*t->info));
	if (!t->info)
		goto oom;
	for (size_t i = 0; i < set->n; i++) {
		const struct sc_profile *p = set->v[i];
		struct sc_profile_info *in = &t->info[i + 1];

		if (profile_entries(&e, p, (uint32_t)i + 1, &in->unseen_cost))
			goto oom;
		in->flags = p->depth == 1 ? SC_PF_DEPTH1 : 0;
		in->window = p->window >= 1 && p->window <= SC_WINDOW_MAX ?
			     (uint32_t)p->window : SC_WINDOW_DEFAULT;
		if (threshold_override >= 0)
			in->thr_sum = thr_sum(threshold_override, in->window);
		else if (p->has_threshold)
			in->thr_sum = thr_sum(p->threshold, in->window);
	}
	while ((size_t)1 << bits < 2 * e.n)
		bits++;
	for (;; bits++) {
		int r;

		if (bits > SC_TABLE_BITS_MAX) {
			terr(err, errlen, "%zu table entries do not fit in 2^%d slots "
			     "within %d probes", e.n, SC_TABLE_BITS_MAX, SC_PROBE_MAX);
			goto fail;
		}
		free(t->slots);
		t->slots = slots_alloc(bits);
		if (!t->slots)
			goto oom;
		r = place_all(t->slots, bits, &e);
		if (r < 0) {
			terr(err, errlen, "duplicate key in the transition table");
			goto fail;
		}
		if (r == 0)
			break;
	}
	t->bits = bits;
	t->used = e.n;
	rc = 0;
	goto out;
oom:
	terr(err, errlen, "out of memory building the transition table");
fail:
	sc_table_free(t);
out:
	free(e.v);
	return rc;
}

void sc_table_free(struct sc_table *t)
{
	free(t->slots);
	free(t->info);
	memset(t, 0, sizeof(*t));
}

uint64_t sc_table_lookup(const struct sc_table *t, uint64_t key)
{
	uint32_t mask, home;

	if (!t->slots)
		return 0;
	mask = (1u << t->bits) - 1;
	home = sc_hash(key, t->bits);
	for (uint32_t i = 0; i < SC_PROBE_MAX; i++) {
		uint64_t s = t->slots[(home + i) & mask];

		if (!s)
			return 0;
		if (sc_slot_key(s) == key)
			return s;
	}
	return 0;
}

int sc_table_check(const struct sc_table *t, uint32_t profile, unsigned a,
		   unsigned b, unsigned x, uint16_t *cost)
{
	const struct sc_profile_info *in;
	uint64_t s;

	if (profile == 0 || profile > t->nprofiles) {
		*cost = SC_COST_CAP;
		return 0;
	}
	in = &t->info[profile];
	if (in->flags & SC_PF_DEPTH1)
		a = SC_ANY;
	s = sc_table_lookup(t, sc_key(profile, a, b, x));
	if (s && (s & SC_SLOT_KNOWN)) {
		*cost = sc_slot_cost(s);
		return 1;
	}
	s = sc_table_lookup(t, sc_key(profile, SC_ANY, b, x));
	if (!s)
		s = sc_table_lookup(t, sc_key(profile, SC_ANY, SC_ANY, x));
	*cost = s ? sc_slot_cost(s) : in->unseen_cost;
	return 0;
}
