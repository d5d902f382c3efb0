// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Compile a profile set into the one open-addressed table of u64 slots the
 * BPF program probes (layout in bpf/syscfi.h), and look things up in it
 * exactly as the BPF program does, so the offline replay and the kernel
 * read the same bits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bigmem.h"
#include "parallel.h"
#include "score.h"
#include "table.h"

/* the probe and the back-off are the kernel's own (bpf/sc_step.h) */
#define SC_READ_SLOT(ctx, i) (((const struct sc_table *)(ctx))->slots[i])
#include "sc_step.h"

struct entries {
	uint64_t *v;		/* sc_slot() values */
	size_t n, cap;
	uint32_t id;
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

/* a profile's entries go to a segment sized by max_entries() */
static int push(struct entries *e, uint64_t slot)
{
	if (e->n == e->cap)
		return -1;	/* max_entries() is wrong */
	e->v[e->n++] = slot;
	return 0;
}

static int push_backoff(void *ctx, unsigned a, unsigned b, unsigned x,
			uint16_t cost)
{
	struct entries *e = ctx;

	return push(e, sc_slot(sc_key(e->id, a, b, x), cost, 0));
}

/* known transitions, then back-off entries, of profile id, in the order
 * of the profile's hash: the table sorts them (sort_by_hash), so this
 * order never shows; *unseen gets the cost of a transition matching
 * nothing */
static int profile_entries(struct entries *e, const struct sc_profile *p,
			   uint32_t id, uint16_t *unseen)
{
	struct sc_model *m = sc_model_new(p);
	int rc = 0;

	if (!m)
		return -1;
	e->id = id;
	for (size_t i = 0; i < p->nslots && !rc; i++) {
		const struct sc_trans *tr = &p->slots[i];

		if (tr->a > SC_SYM_MASK)	/* a free slot */
			continue;
		rc = push(e, sc_slot(sc_key(id, tr->a, tr->b, tr->x),
				     sc_model_cost_row(m, tr), 1));
	}
	if (!rc)
		rc = sc_model_backoff(m, push_backoff, e);
	*unseen = sc_model_unseen_cost(m);
	sc_model_free(m);
	return rc;
}

/* most entries a profile can give: its transitions, as many bigrams, and
 * a unigram per syscall */
static size_t max_entries(const struct sc_profile *p)
{
	return (p->depth == 1 ? 1 : 2) * p->ntrans + SC_NR_MAX;
}

#define RADIX_BITS	11
#define RADIX_N		(1u << RADIX_BITS)

/*
 * Sort slot values by (sc_hash(key), key): three stable counting passes
 * of 11 bits over the hash, then the rare runs of one hash by key.  The
 * order is a function of the set of entries alone, so the same profiles
 * always give the same table.  -1 on a duplicate key.
 */
static int sort_by_hash(uint64_t *v, uint64_t *tmp, size_t n)
{
	size_t pos[3][RADIX_N] = { { 0 } };
	uint64_t *src = v, *dst = tmp, *sw;

	for (size_t i = 0; i < n; i++) {
		uint32_t h = sc_hash(sc_slot_key(v[i]));

		for (int d = 0; d < 3; d++)
			pos[d][(h >> (d * RADIX_BITS)) & (RADIX_N - 1)]++;
	}
	for (int d = 0; d < 3; d++) {
		size_t sum = 0;

		for (uint32_t b = 0; b < RADIX_N; b++) {
			size_t c = pos[d][b];

			pos[d][b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint32_t h = sc_hash(sc_slot_key(src[i]));

			dst[pos[d][(h >> (d * RADIX_BITS)) & (RADIX_N - 1)]++] = src[i];
		}
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	/* one hash, several keys: insertion sort by key (runs of 2 or 3) */
	for (size_t i = 1; i < n; i++) {
		uint64_t cur = v[i], key = sc_slot_key(cur);
		uint32_t h = sc_hash(key);
		size_t j = i;

		while (j > 0 && sc_hash(sc_slot_key(v[j - 1])) == h &&
		       sc_slot_key(v[j - 1]) >= key) {
			if (sc_slot_key(v[j - 1]) == key)
				return -1;
			v[j] = v[j - 1];
			j--;
		}
		v[j] = cur;
	}
	return 0;
}

/*
 * Slots of entries sorted by hash, thus by home: each goes to the first
 * slot at or after its home that the entry before did not take.  That is
 * the layout Robin Hood insertion ends with (every cluster in the order
 * of its homes), which has the shortest longest probe, and it is written
 * front to back.  Positions count on past the last slot; those wrap to
 * slot 0, and the first entries move up behind them: start at *wrap
 * until the number of wrapped entries stops changing.  Returns 0 with
 * *wrap set, or 1 when some entry would be SC_PROBE_MAX or more from its
 * home (the caller grows the table).
 */
static int place_check(const uint64_t *v, size_t n, uint32_t nslots,
		       uint64_t *wrap)
{
	uint64_t next, home, at;

	*wrap = 0;
	for (int round = 0;; round++) {
		size_t k;

		for (k = 0, next = *wrap; k < n; k++, next = at + 1) {
			home = sc_home(sc_slot_key(v[k]), nslots);
			at = home > next ? home : next;
			if (at - home >= SC_PROBE_MAX)
				return 1;
		}
		if (next <= nslots + *wrap)
			return 0;
		if (round == 3)		/* not settling: grow instead */
			return 1;
		*wrap = next - nslots;
	}
}

/* the layout place_check found, into zeroed slots */
static void place_write(const uint64_t *v, size_t n, uint32_t nslots,
			uint64_t wrap, uint64_t *slots)
{
	uint64_t next = wrap, home, at;

	for (size_t k = 0; k < n; k++, next = at + 1) {
		home = sc_home(sc_slot_key(v[k]), nslots);
		at = home > next ? home : next;
		slots[at >= nslots ? at - nslots : at] = v[k];
	}
}

/* zeroed slots; large tables ask for huge pages: first-touch faults of
 * 4 KiB pages dominate the build time of a big table */
static uint64_t *slots_alloc(uint32_t nslots)
{
	size_t len = sizeof(uint64_t) * nslots, huge = 2u << 20;
	void *p;

	if (len < huge)
		return calloc(nslots, sizeof(uint64_t));
	len = (len + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, len))
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);	/* a hint: fine if refused */
	memset(p, 0, len);
	return p;
}

/* slots for n entries at a load of about 0.8; whole 4 KiB pages of them
 * past one page (a BPF array takes whole pages anyway) */
static uint64_t size_for(uint64_t n)
{
	uint64_t s = n + n / 4 + 1;

	if (s <= SC_TABLE_SLOTS_MIN)
		return SC_TABLE_SLOTS_MIN;
	return s <= 512 ? s : (s + 511) & ~511ull;
}

static uint32_t thr_sum(double bits, uint32_t window)
{
	uint64_t s = (uint64_t)sc_bits_to_cost(bits) * window;

	if (s > UINT32_MAX)
		return UINT32_MAX;
	return s ? (uint32_t)s : 1;	/* 0 would mean "no threshold" */
}

struct plan_job {
	const struct sc_profile_set *set;
	struct sc_profile_info *info;
	double threshold_override;
	uint64_t *v;		/* profile i's entries at v + off[i] */
	size_t *off, *n;
};

/* entries and settings of profile i (id i + 1), on any thread */
static int plan_one(void *ctx, size_t i)
{
	struct plan_job *j = ctx;
	const struct sc_profile *p = j->set->v[i];
	struct sc_profile_info *in = &j->info[i + 1];
	struct entries e = { .v = j->v + j->off[i], .cap = max_entries(p) };

	if (profile_entries(&e, p, (uint32_t)i + 1, &in->unseen_cost))
		return -1;
	j->n[i] = e.n;
	in->flags = p->depth == 1 ? SC_PF_DEPTH1 : 0;
	if (p->version >= 2) {
		in->flags |= SC_PF_V2;
		sc_profile_transparent_seen(p, (uint64_t *)in->transparent);
	}
	if (p->has_exec)
		in->flags |= SC_PF_EDGES;
	in->window = p->window >= 1 && p->window <= SC_WINDOW_MAX ?
		     (uint32_t)p->window : SC_WINDOW_DEFAULT;
	if (j->threshold_override >= 0)
		in->thr_sum = thr_sum(j->threshold_override, in->window);
	else if (p->has_threshold)
		in->thr_sum = thr_sum(p->threshold, in->window);
	return 0;
}

static void plan_done(void *ctx)
{
	(void)ctx;
	sc_model_drop_spares();
}

uint32_t sc_table_size_bound(const struct sc_profile_set *set)
{
	uint64_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += max_entries(set->v[i]);
	n = size_for(n);
	return n > SC_TABLE_SLOTS_MAX ? SC_TABLE_SLOTS_MAX : (uint32_t)n;
}

int sc_table_plan(struct sc_table *t, const struct sc_profile_set *set,
		  double threshold_override, char *err, size_t errlen)
{
	return sc_table_plan_min(t, set, threshold_override, 0, err, errlen);
}

int sc_table_plan_min(struct sc_table *t, const struct sc_profile_set *set,
		      double threshold_override, uint32_t nslots_min, char *err,
		      size_t errlen)
{
	struct plan_job j = { .set = set, .threshold_override = threshold_override };
	uint64_t *tmp = NULL, nslots;
	size_t reserve = 0, n = 0;
	int r;

	memset(t, 0, sizeof(*t));
	if (set->n > SC_PROFILES_MAX) {
		terr(err, errlen, "%zu profiles: at most %u fit in the table",
		     set->n, SC_PROFILES_MAX);
		return -1;
	}
	t->nprofiles = (uint32_t)set->n;
	t->info = calloc(set->n + 1, sizeof(*t->info));
	j.info = t->info;
	j.off = calloc(set->n + 1, sizeof(*j.off));
	j.n = calloc(set->n + 1, sizeof(*j.n));
	if (!t->info || !j.off || !j.n)
		goto oom;
	for (size_t i = 0; i < set->n; i++) {
		j.off[i] = reserve;
		reserve += max_entries(set->v[i]);
	}
	j.v = sc_big_alloc((reserve ? reserve : 1) * sizeof(*j.v));
	if (!j.v)
		goto oom;
	/* models and entries, a profile at a time on a few threads */
	if (sc_parallel_for(set->n, plan_one, plan_done, &j) != set->n)
		goto oom;
	for (size_t i = 0; i < set->n; i++) {
		memmove(j.v + n, j.v + j.off[i], j.n[i] * sizeof(*j.v));
		n += j.n[i];
	}
	tmp = sc_big_alloc((n ? n : 1) * sizeof(*tmp));
	if (!tmp)
		goto oom;
	r = sort_by_hash(j.v, tmp, n);
	free(tmp);
	if (r) {
		terr(err, errlen, "duplicate key in the transition table");
		goto fail;
	}
	nslots = size_for(n);
	if (nslots < nslots_min)
		nslots = nslots_min;
	for (;; nslots = size_for(nslots)) {
		if (nslots > SC_TABLE_SLOTS_MAX) {
			terr(err, errlen, "%zu table entries do not fit in %u slots "
			     "within %d probes", n, SC_TABLE_SLOTS_MAX, SC_PROBE_MAX);
			goto fail;
		}
		if (!place_check(j.v, n, (uint32_t)nslots, &t->wrap))
			break;
	}
	t->nslots = (uint32_t)nslots;
	t->used = n;
	t->order = j.v;
	free(j.off);
	free(j.n);
	return 0;
oom:
	terr(err, errlen, "out of memory building the transition table");
fail:
	free(j.v);
	free(j.off);
	free(j.n);
	sc_table_free(t);
	return -1;
}

int sc_table_place(struct sc_table *t, uint64_t *dst)
{
	if (!t->order && t->used) {
		errno = EINVAL;		/* placed already */
		return -1;
	}
	if (!dst) {
		free(t->slots);
		t->slots = slots_alloc(t->nslots);
		if (!t->slots)
			return -1;
		dst = t->slots;
	}
	place_write(t->order, t->used, t->nslots, t->wrap, dst);
	free(t->order);
	t->order = NULL;
	return 0;
}

int sc_table_build(struct sc_table *t, const struct sc_profile_set *set,
		   double threshold_override, char *err, size_t errlen)
{
	if (sc_table_plan(t, set, threshold_override, err, errlen))
		return -1;
	if (sc_table_place(t, NULL)) {
		terr(err, errlen, "out of memory building the transition table");
		sc_table_free(t);
		return -1;
	}
	return 0;
}

void sc_table_free(struct sc_table *t)
{
	free(t->slots);
	free(t->order);
	free(t->info);
	memset(t, 0, sizeof(*t));
}

uint64_t sc_table_lookup(const struct sc_table *t, uint64_t key)
{
	if (!t->slots)
		return 0;
	return sc_probe((void *)t, key, t->nslots);
}

int sc_table_guarded(const struct sc_table *t, unsigned x)
{
	return (int)((t->guarded[x / 64] >> (x % 64)) & 1);
}

int sc_table_check(const struct sc_table *t, uint32_t profile, unsigned a,
		   unsigned b, unsigned x, uint16_t *cost)
{
	const struct sc_profile_info *in;
	int in_set;

	if (profile == 0 || profile > t->nprofiles || !t->slots) {
		*cost = SC_COST_CAP;
		return 0;
	}
	in = &t->info[profile];
	return sc_check((void *)t, t->nslots, profile, in->flags,
			in->unseen_cost, a, b, x, cost, &in_set);
}
