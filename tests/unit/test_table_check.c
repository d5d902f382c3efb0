// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * More table checks (test_table.c has the basics): a hand set entry by entry
 * (costs from test_model's hand arithmetic), back-off order, thresholds,
 * and a 1M-transition synthetic set compared with a naive sorted map.
 */
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "score.h"
#include "syscalls.h"
#include "table.h"
#include "tap.h"

enum { READ = 0, MMAP = 9, BRK = 12, EXECVE = 59 };

/* the 4-row hand profile of test_model.c (N = 9) */
static struct sc_profile *hand_profile(const char *comm, int depth)
{
	struct sc_profile *p = sc_profile_new(comm, SC_ARCH_X86_64, depth);

	sc_profile_add(p, SC_START, EXECVE, BRK, 1);
	sc_profile_add(p, EXECVE, BRK, MMAP, 3);
	sc_profile_add(p, EXECVE, BRK, READ, 1);
	sc_profile_add(p, READ, BRK, MMAP, 4);
	return p;
}

static int check(const struct sc_table *t, uint32_t id, unsigned a, unsigned b,
		 unsigned x, uint16_t *cost)
{
	*cost = 0xdead;
	return sc_table_check(t, id, a, b, x, cost);
}

static void test_hand(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_table t;
	char err[256] = "";
	uint16_t c;
	int r;

	sc_profile_set_add(&set, hand_profile("two", 2));
	set.v[0]->has_threshold = true;
	set.v[0]->threshold = 6.5;
	sc_profile_set_add(&set, hand_profile("one", 1));
	set.v[1]->window = 8;
	is(sc_table_build(&t, &set, -1, err, sizeof(err)), 0, "build (%s)", err);
	/* depth 2: 4 known + 3 bigram + 3 unigram; depth 1: 3 known + 3 unigram */
	is(t.used, 16, "16 entries");
	is(t.nslots, SC_TABLE_SLOTS_MIN, "the smallest table holds them");
	is(t.nprofiles, 2, "2 profiles");
	is(t.info[1].flags, 0, "profile 1: depth 2");
	is(t.info[2].flags, SC_PF_DEPTH1, "profile 2: depth 1");
	is(t.info[1].window, 32, "profile 1 window 32");
	is(t.info[2].window, 8, "profile 2 window 8");
	/* 6.5 bits = 1664, * 32 = 53248 */
	is(t.info[1].thr_sum, 53248, "thr_sum = 1664 * 32");
	is(t.info[2].thr_sum, 0, "no threshold: thr_sum 0");
	is(t.info[1].unseen_cost, SC_COST_CAP, "unseen cost is the cap");

	r = check(&t, 1, EXECVE, BRK, MMAP, &c);
	ok(r == 1 && c == 96 >> 2, "known (execve, brk, mmap): 1, cost 96 >> 2 (got %d, %u)", r, c);
	r = check(&t, 1, READ, BRK, MMAP, &c);
	ok(r == 1 && c == 11 >> 2, "known (read, brk, mmap): cost 11 >> 2 (got %d, %u)", r, c);
	/* unseen, bigram (brk, mmap) seen: 654 + the 16-bit escape 4096 */
	r = check(&t, 1, SC_START, BRK, MMAP, &c);
	ok(r == 0 && c == 4750, "unseen (START, brk, mmap): bigram back-off 654 + 4096 (got %d, %u)", r, c);
	/* unseen, bigram (brk, brk) unseen, unigram brk: 1918 + 4096 */
	r = check(&t, 1, EXECVE, BRK, BRK, &c);
	ok(r == 0 && c == 6014, "unseen (execve, brk, brk): unigram back-off 1918 + 4096 (got %d, %u)", r, c);
	/* execve was never the syscall made: nothing matches */
	r = check(&t, 1, READ, BRK, EXECVE, &c);
	ok(r == 0 && c == SC_COST_CAP, "unseen, no back-off: the cap (got %d, %u)", r, c);
	/* a back-off key itself is never "known" */
	ok(sc_table_lookup(&t, sc_key(1, SC_ANY, BRK, MMAP)) != 0,
	   "the bigram back-off slot exists");
	r = check(&t, 1, SC_ANY, BRK, MMAP, &c);
	ok(r == 0 && c == 4750, "asking for the back-off key is still unseen");

	/* depth 1: a is ignored; (brk, mmap) = 0.95*7/8 + 0.05*7/9 -> 51 */
	r = check(&t, 2, 300, BRK, MMAP, &c);
	ok(r == 1 && c == 51 >> 2, "depth 1 (any, brk, mmap): known, 51 >> 2 (got %d, %u)", r, c);
	r = check(&t, 2, SC_START, BRK, READ, &c);
	ok(r == 1 && c == 770 >> 2, "depth 1 (brk, read): 770 >> 2 (got %d, %u)", r, c);
	r = check(&t, 2, READ, BRK, BRK, &c);
	ok(r == 0 && c == 6014, "depth 1 unseen (brk, brk): unigram 1918 + 4096 (got %d, %u)", r, c);
	/* profiles do not see each other's entries */
	r = check(&t, 2, EXECVE, BRK, EXECVE, &c);
	ok(r == 0 && c == SC_COST_CAP, "depth 1 unseen, no back-off: cap");
	r = check(&t, 0, EXECVE, BRK, MMAP, &c);
	ok(r == 0 && c == SC_COST_CAP, "profile id 0 matches nothing");
	r = check(&t, 3, EXECVE, BRK, MMAP, &c);
	ok(r == 0 && c == SC_COST_CAP, "profile id past the set matches nothing");
	sc_table_free(&t);

	/* --threshold overrides every profile's */
	is(sc_table_build(&t, &set, 2.0, err, sizeof(err)), 0, "build with override");
	is(t.info[1].thr_sum, 512 * 32, "override 2 bits: 512 * 32");
	is(t.info[2].thr_sum, 512 * 8, "override applies to a profile without one");
	sc_table_free(&t);
	is(sc_table_build(&t, &set, 0, err, sizeof(err)), 0, "build with override 0");
	is(t.info[1].thr_sum, 1, "threshold 0 is thr_sum 1, not 'none'");
	sc_table_free(&t);
	sc_profile_set_free(&set);
}

/* ---- a large synthetic set against a naive map ------------------------ */

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct naive {
	uint64_t *slot;	/* sorted by key */
	size_t n, cap;
	uint32_t id;
};

static void naive_push(struct naive *nv, uint64_t slot)
{
	if (nv->n == nv->cap) {
		nv->cap = nv->cap ? nv->cap * 2 : 1 << 20;
		nv->slot = realloc(nv->slot, nv->cap * sizeof(*nv->slot));
	}
	nv->slot[nv->n++] = slot;
}

static int naive_backoff(void *ctx, unsigned a, unsigned b, unsigned x,
			 uint16_t cost)
{
	struct naive *nv = ctx;

	naive_push(nv, sc_slot(sc_key(nv->id, a, b, x), cost, 0));
	return 0;
}

static int by_key(const void *l, const void *r)
{
	uint64_t a = sc_slot_key(*(const uint64_t *)l);
	uint64_t b = sc_slot_key(*(const uint64_t *)r);

	return a < b ? -1 : a > b;
}

static uint64_t naive_find(const struct naive *nv, uint64_t key)
{
	uint64_t probe = key << SC_SLOT_KEY_SHIFT, *s;

	s = bsearch(&probe, nv->slot, nv->n, sizeof(*s), by_key);
	return s ? *s : 0;
}

static void test_synthetic(void)
{
	static const size_t sizes[] = { 600000, 300000, 100000 };
	struct sc_profile_set set = { 0 };
	struct naive nv = { 0 };
	struct sc_table t, t2;
	char err[256] = "";
	size_t total = 0, bad = 0, far = 0, occupied = 0, mism = 0;
	uint32_t maxd = 0;

	for (int i = 0; i < 3; i++) {
		char comm[16];
		struct sc_profile *p;

		snprintf(comm, sizeof(comm), "synth%d", i);
		p = sc_profile_new(comm, SC_ARCH_X86_64, 2);
		while (p->ntrans < sizes[i]) {
			uint64_t r = next();
			unsigned a = r % 513, b = (r >> 10) % 513, x = (r >> 20) % 512;

			/* skewed counts, like real traces */
			sc_profile_add(p, a, b, x, 1 + ((r >> 40) % 1000 == 0 ? 5000 : (r >> 50) % 20));
		}
		total += p->ntrans;
		sc_profile_set_add(&set, p);
	}
	is(total, 1000000, "1M distinct transitions in 3 profiles");
	is(sc_table_build(&t, &set, -1, err, sizeof(err)), 0, "build (%s)", err);

	/* the naive map: every entry the table should hold, sorted by key */
	for (size_t i = 0; i < set.n; i++) {
		const struct sc_profile *p = set.v[i];
		struct sc_model *m = sc_model_new(p);

		nv.id = (uint32_t)i + 1;
		for (size_t k = 0; k < p->nslots; k++) {
			const struct sc_trans *tr = &p->slots[k];

			if (tr->a > SC_ANY)	/* a free slot */
				continue;
			naive_push(&nv, sc_slot(sc_key(nv.id, tr->a, tr->b, tr->x),
					       sc_model_cost(m, tr->a, tr->b, tr->x), 1));
		}
		sc_model_backoff(m, naive_backoff, &nv);
		sc_model_free(m);
	}
	qsort(nv.slot, nv.n, sizeof(*nv.slot), by_key);
	is(t.used, nv.n, "the table holds every known and back-off entry (%zu)", nv.n);
	ok(t.nslots >= t.used + t.used / 4, "%u slots: load <= 0.8", t.nslots);
	ok(t.nslots <= t.used + t.used / 4 + 512,
	   "and not larger than needed: probing forced no growth");

	for (size_t i = 0; i < nv.n; i++)
		if (sc_table_lookup(&t, sc_slot_key(nv.slot[i])) != nv.slot[i])
			bad++;
	is(bad, 0, "every entry found, with its exact slot value");

	for (uint32_t i = 0; i < t.nslots; i++) {
		uint64_t s = t.slots[i];
		uint32_t d;

		if (!s)
			continue;
		occupied++;
		d = (i + t.nslots - sc_home(sc_slot_key(s), t.nslots)) % t.nslots;
		if (d > maxd)
			maxd = d;
		if (d >= SC_PROBE_MAX)
			far++;
	}
	is(occupied, t.used, "occupied slots = entries");
	is(far, 0, "no key farther than SC_PROBE_MAX-1 from home (max %u)", maxd);

	/* random keys, mostly absent: the table agrees with the naive map */
	for (int i = 0; i < 1000000; i++) {
		uint64_t r = next();
		uint64_t key = sc_key(1 + r % 4, (r >> 8) % 1024, (r >> 20) % 1024,
				      (r >> 32) % 512);

		if (sc_table_lookup(&t, key) != naive_find(&nv, key))
			mism++;
	}
	is(mism, 0, "1M random lookups equal the naive map");

	/* sc_table_check against the naive back-off order */
	mism = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t r = next();
		uint32_t id = 1 + r % 3;
		unsigned a = (r >> 8) % 513, b = (r >> 20) % 513, x = (r >> 32) % 512;
		uint64_t s = naive_find(&nv, sc_key(id, a, b, x));
		uint16_t want, got;
		int known = s && (s & SC_SLOT_KNOWN);

		if (!known)
			s = naive_find(&nv, sc_key(id, SC_ANY, b, x));
		if (!known && !s)
			s = naive_find(&nv, sc_key(id, SC_ANY, SC_ANY, x));
		want = s ? sc_slot_cost(s) : SC_COST_CAP;
		if (sc_table_check(&t, id, a, b, x, &got) != known || got != want)
			mism++;
	}
	is(mism, 0, "200k checks follow known -> bigram -> unigram -> unseen");

	is(sc_table_build(&t2, &set, -1, err, sizeof(err)), 0, "build again");
	ok(t2.nslots == t.nslots &&
	   !memcmp(t.slots, t2.slots, sizeof(*t.slots) * t.nslots),
	   "the same set gives the same table, slot for slot");
	sc_table_free(&t2);
	sc_table_free(&t);
	free(nv.slot);
	sc_profile_set_free(&set);
}

/*
 * Small tables, many of them: clusters that run past the last slot wrap
 * to slot 0, and the entries homed there move up behind them.  Every
 * entry must still be found within SC_PROBE_MAX probes of its home.
 */
static void test_wrap(void)
{
	size_t sets = 0, wrapped = 0, lost = 0, far = 0, counted = 0;

	for (int round = 0; round < 3000; round++) {
		struct sc_profile_set set = { 0 };
		struct sc_profile *p = sc_profile_new("w", SC_ARCH_X86_64, 1);
		size_t want = 1 + next() % 400, occupied = 0;
		struct sc_table t;
		char err[256];

		while (p->ntrans < want) {
			uint64_t r = next();

			sc_profile_add(p, SC_ANY, r % 513, (r >> 10) % 16, 1);
		}
		sc_profile_set_add(&set, p);
		if (sc_table_build(&t, &set, -1, err, sizeof(err))) {
			lost++;
			sc_profile_set_free(&set);
			continue;
		}
		sets++;
		for (uint32_t i = 0, wrap = 0; i < t.nslots; i++) {
			uint64_t s = t.slots[i];
			uint32_t home;

			if (!s)
				continue;
			occupied++;
			home = sc_home(sc_slot_key(s), t.nslots);
			if (home > i && !wrap++)
				wrapped++;
			if ((i + t.nslots - home) % t.nslots >= SC_PROBE_MAX)
				far++;
			if (sc_table_lookup(&t, sc_slot_key(s)) != s)
				lost++;
		}
		if (occupied != t.used)
			counted++;
		sc_table_free(&t);
		sc_profile_set_free(&set);
	}
	is(sets, 3000, "3000 small tables built");
	ok(wrapped > 100, "%zu of them have a cluster wrapping past the last slot",
	   wrapped);
	is(lost, 0, "every entry of every table found by the probe");
	is(far, 0, "none farther than SC_PROBE_MAX - 1 from its home");
	is(counted, 0, "occupied slots = entries in every table");
}

/* the loader's way: a map sized before the plan, slots placed later */
static void test_plan_min(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_table t, ref;
	char err[256] = "";
	uint32_t bound;
	size_t same = 0;

	sc_profile_set_add(&set, hand_profile("two", 2));
	sc_profile_set_add(&set, hand_profile("one", 1));
	is(sc_table_build(&ref, &set, -1, err, sizeof(err)), 0, "reference build");
	bound = sc_table_size_bound(&set);
	/* 2 * 4 + 512 and 4 + 512 entries at most, 1.25 slots each */
	ok(bound >= (2 * 4 + 512 + 4 + 512) * 5 / 4 && bound >= ref.nslots,
	   "bound %u slots covers the most entries the set can give", bound);
	is(sc_table_plan_min(&t, &set, -1, bound, err, sizeof(err)), 0, "plan at the bound");
	is(t.nslots, bound, "the plan takes the bound");
	ok(t.slots == NULL && t.used == ref.used, "no slots yet, %zu entries", t.used);
	is(sc_table_place(&t, NULL), 0, "place");
	for (uint32_t i = 0; i < ref.nslots; i++)
		if (ref.slots[i] &&
		    sc_table_lookup(&t, sc_slot_key(ref.slots[i])) == ref.slots[i])
			same++;
	is(same, ref.used, "every entry of the tight table found in the big one");
	ok(sc_table_place(&t, NULL) != 0, "placing twice is refused");
	sc_table_free(&t);
	sc_table_free(&ref);
	sc_profile_set_free(&set);
}

int main(void)
{
	test_hand();
	test_synthetic();
	test_wrap();
	test_plan_min();
	return tap_done();
}
