// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The compiled transition table: settings per profile, the back-off order
 * of sc_table_check, and, on a synthetic set of 1M transitions, that every
 * key is found within SC_PROBE_MAX probes and that lookups agree with a
 * naive sorted map of the keys the table should hold.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syscfi.h"
#include "profile.h"
#include "score.h"
#include "table.h"
#include "tap.h"

static char err[256];

/* the profiles of test_score (costs worked out there by hand) */
static void test_small(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_profile *p1 = sc_profile_new("p1", 0, 2);
	struct sc_profile *p2 = sc_profile_new("p2", 0, 1);
	struct sc_table t;
	uint16_t cost = 0;
	uint64_t s;

	sc_profile_add(p1, 0, 1, 2, 1);
	sc_profile_add(p1, 0, 1, 3, 1);
	sc_profile_add(p1, 5, 1, 2, 2);
	p1->window = 16;
	p1->has_threshold = true;
	p1->threshold = 2.0;
	sc_profile_add(p2, SC_ANY, 1, 2, 3);
	sc_profile_add(p2, SC_ANY, 1, 3, 1);
	sc_profile_set_add(&set, p1);
	sc_profile_set_add(&set, p2);

	is(sc_table_build(&t, &set, -1, err, sizeof(err)), 0, "build 2 profiles");
	is(t.nprofiles, 2, "2 profiles, ids 1 and 2");
	/* p1: 3 known + 2 bigram + 2 unigram; p2: 2 known + 2 unigram */
	is(t.used, 11, "11 entries");
	is(t.nslots, SC_TABLE_SLOTS_MIN, "a small set gets the smallest table");
	is(t.info[1].flags, 0, "p1 is depth 2");
	is(t.info[1].window, 16, "p1 window 16");
	is(t.info[1].thr_sum, 512 * 16, "p1 thr_sum = 2 bits * 256 * 16");
	is(t.info[1].unseen_cost, SC_COST_CAP, "p1 unseen cost = cap");
	is(t.info[2].flags, SC_PF_DEPTH1, "p2 is depth 1");
	is(t.info[2].window, SC_WINDOW_DEFAULT, "p2 default window");
	is(t.info[2].thr_sum, 0, "p2 has no threshold");

	/* the order: known, bigram (ANY, b, x), unigram (ANY, ANY, x), cap */
	is(sc_table_check(&t, 1, 0, 1, 2, &cost), 1, "p1 (read, write, open) known");
	is(cost, 221 >> 2, "its cost, 221 >> 2 (known costs weigh a quarter)");
	is(sc_table_check(&t, 1, 5, 1, 3, &cost), 0, "p1 (fstat, write, close) unseen");
	/* back-off costs include the 16-bit escape (4096), see test_score */
	is(cost, 5202, "bigram back-off (ANY, write, close) = 1106 + 4096");
	is(sc_table_check(&t, 1, 7, 7, 2, &cost), 0, "p1 (7, 7, open) unseen");
	is(cost, 5309, "unigram back-off (ANY, ANY, open) = 1213 + 4096");
	is(sc_table_check(&t, 1, 0, 1, 4, &cost), 0, "p1 (read, write, stat) unseen");
	is(cost, SC_COST_CAP, "x never seen: the unseen cost");
	is(sc_table_check(&t, 2, 99, 1, 2, &cost), 1, "p2 depth 1 ignores a");
	is(cost, 106 >> 2, "p2 (write, open) = 106 >> 2");
	is(sc_table_check(&t, 2, 0, 5, 3, &cost), 0, "p2 (fstat, close) unseen");
	is(cost, 5714, "p2 unigram (ANY, ANY, close) = 1618 + 4096");
	is(sc_table_check(&t, 2, 0, 0, 1, &cost), 0, "p2 (read, write) unseen");
	is(cost, SC_COST_CAP, "p1's write does not leak into p2");
	is(sc_table_check(&t, 3, 0, 1, 2, &cost), 0, "profile id 3 does not exist");

	/* the slot bits */
	s = sc_table_lookup(&t, sc_key(1, SC_ANY, 1, 2));
	ok(s && !(s & SC_SLOT_KNOWN), "p1 (ANY, write, open) is a back-off slot");
	s = sc_table_lookup(&t, sc_key(2, SC_ANY, 1, 2));
	ok(s && (s & SC_SLOT_KNOWN), "p2 (ANY, write, open) is a known slot");
	ok(s && sc_slot_key(s) == sc_key(2, SC_ANY, 1, 2), "the slot holds its key");
	is(sc_table_lookup(&t, sc_key(1, 9, 9, 9)), 0, "absent key -> 0");
	sc_table_free(&t);

	is(sc_table_build(&t, &set, 3.0, err, sizeof(err)), 0, "build, override 3 bits");
	is(t.info[1].thr_sum, 768 * 16, "override replaces p1's threshold");
	is(t.info[2].thr_sum, 768 * 32, "override gives p2 one");
	sc_table_free(&t);
	sc_profile_set_free(&set);
}

/* ---- 1M transitions ---------------------------------------------------- */

#define NPROF	100
#define PER	10000

static uint64_t rng = 88172645463325252ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int cmp_u64(const void *l, const void *r)
{
	uint64_t a = *(const uint64_t *)l, b = *(const uint64_t *)r;

	return a < b ? -1 : a > b;
}

static int has(const uint64_t *v, size_t n, uint64_t key)
{
	return bsearch(&key, v, n, sizeof(*v), cmp_u64) != NULL;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_million(void)
{
	struct sc_profile_set set = { 0 };
	size_t nkeys = 0, cap = (size_t)NPROF * PER * 2 + NPROF * 600;
	uint64_t *want = malloc(cap * sizeof(*want));
	static unsigned char bigram[SC_UNKNOWN + 1][SC_NR_MAX];
	static unsigned char unigram[SC_NR_MAX];
	size_t missing = 0, far = 0, notknown = 0, extra = 0, dup = 0, mism = 0;
	struct timespec t0;
	struct sc_table t;
	double ms;

	for (uint32_t id = 1; id <= NPROF; id++) {
		char comm[16];
		struct sc_profile *p;

		snprintf(comm, sizeof(comm), "prof%u", id);
		p = sc_profile_new(comm, 0, 2);
		while (p->ntrans < PER) {
			/* every 16th starts from START, like exec states */
			unsigned a = next() % 16 ? next() % SC_NR_MAX : SC_START;
			unsigned b = next() % SC_NR_MAX, x = next() % SC_NR_MAX;

			sc_profile_add(p, a, b, x, 1 + next() % 100);
		}
		sc_profile_set_add(&set, p);
		/* the keys the table must hold for this profile */
		memset(bigram, 0, sizeof(bigram));
		memset(unigram, 0, sizeof(unigram));
		for (size_t i = 0; i < p->nslots; i++) {
			const struct sc_trans *tr = &p->slots[i];

			if (tr->a > SC_SYM_MASK)
				continue;	/* a free slot */
			want[nkeys++] = sc_key(id, tr->a, tr->b, tr->x);
			bigram[tr->b][tr->x] = 1;
			unigram[tr->x] = 1;
		}
		for (unsigned b = 0; b <= SC_UNKNOWN; b++)
			for (unsigned x = 0; x < SC_NR_MAX; x++)
				if (bigram[b][x])
					want[nkeys++] = sc_key(id, SC_ANY, b, x);
		for (unsigned x = 0; x < SC_NR_MAX; x++)
			if (unigram[x])
				want[nkeys++] = sc_key(id, SC_ANY, SC_ANY, x);
	}
	qsort(want, nkeys, sizeof(*want), cmp_u64);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	is(sc_table_build(&t, &set, -1, err, sizeof(err)), 0,
	   "build %d profiles x %d transitions", NPROF, PER);
	ms = ms_since(&t0);
	printf("# build of %zu entries: %.0f ms, %u slots (load %.2f)\n", t.used,
	       ms, t.nslots, (double)t.used / t.nslots);
	is(t.used, nkeys, "the table holds exactly the expected keys (%zu)", nkeys);
	ok(t.nslots > t.used && t.used * 10 >= (size_t)t.nslots * 7,
	   "load between 0.7 and 1 (%zu entries, %u slots)", t.used, t.nslots);
	ok(t.nslots & (t.nslots - 1), "%u slots: not a power of two", t.nslots);

	/* every key within SC_PROBE_MAX of its home; known bits right */
	for (size_t k = 0; k < nkeys; k++) {
		uint64_t key = want[k], s = sc_table_lookup(&t, key);
		uint32_t home = sc_home(key, t.nslots);
		int known = sc_key_a(key) != SC_ANY;
		uint32_t d;

		if (!s) {
			missing++;
			continue;
		}
		for (d = 0; d < SC_PROBE_MAX; d++)
			if (sc_slot_key(t.slots[(home + d) % t.nslots]) == key)
				break;
		if (d == SC_PROBE_MAX)
			far++;
		if (!!(s & SC_SLOT_KNOWN) != known)
			notknown++;
	}
	is(missing, 0, "every key found by the BPF probe sequence");
	is(far, 0, "every key within %d slots of its home", SC_PROBE_MAX);
	is(notknown, 0, "known bit set on transitions only");

	/* every occupied slot is an expected key, once */
	for (size_t i = 0; i < t.nslots; i++) {
		uint64_t s = t.slots[i];

		if (!s)
			continue;
		if (!has(want, nkeys, sc_slot_key(s)))
			extra++;
		else if (sc_table_lookup(&t, sc_slot_key(s)) != s)
			dup++;
	}
	is(extra, 0, "no slot holds an unexpected key");
	is(dup, 0, "no key is stored twice");

	/* random keys: the table says present exactly when the map does */
	for (int i = 0; i < 1000000; i++) {
		uint32_t id = 1 + next() % (NPROF + 1);	/* includes an absent id */
		unsigned a = next() % 8 ? next() % SC_NR_MAX : SC_ANY;
		unsigned b = next() % 8 ? next() % SC_NR_MAX : SC_ANY;
		uint64_t key = sc_key(id, a, b, next() % SC_NR_MAX);

		if (i % 2) {	/* half of them: keys that are there */
			key = want[next() % nkeys];
		}
		if ((sc_table_lookup(&t, key) != 0) != has(want, nkeys, key))
			mism++;
	}
	is(mism, 0, "1M random lookups agree with a naive map");

	/* the costs are the model's */
	{
		const struct sc_profile *p = set.v[0];
		struct sc_model *m = sc_model_new(p);
		size_t bad = 0;

		for (size_t i = 0; i < p->nslots; i++) {
			const struct sc_trans *tr = &p->slots[i];
			uint16_t c;

			if (tr->a > SC_SYM_MASK)
				continue;
			if (!sc_table_check(&t, 1, tr->a, tr->b, tr->x, &c) ||
			    c != sc_model_cost(m, tr->a, tr->b, tr->x))
				bad++;
		}
		is(bad, 0, "known costs of profile 1 equal sc_model_cost");
		sc_model_free(m);
	}
	sc_table_free(&t);
	sc_profile_set_free(&set);
	free(want);
}

int main(void)
{
	test_small();
	test_million();
	/* the key's fields come back as sc_key packed them, at their widest */
	{
		__u64 k = sc_key(0xffff, SC_TRANSPARENT_KEY, SC_SIGNAL, SC_ANY);

		ok(sc_key_profile(k) == 0xffff && sc_key_a(k) == SC_TRANSPARENT_KEY &&
		   sc_key_b(k) == SC_SIGNAL && sc_key_x(k) == SC_ANY,
		   "sc_key_profile/a/b/x undo sc_key");
	}
	return tap_done();
}
