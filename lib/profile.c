// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Profiles in memory: an open-addressed hash of transition counts, the
 * transparent set, merging, sorting by names, and sets of profiles.  The
 * JSON form is profile-json.c's, folders are profile-dir.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "profile-int.h"
#include "sysset.h"
#include "syscalls.h"
#include "syscfi.h"

#define EMPTY_A		SC_TRANS_EMPTY

/* ---- the transition hash ------------------------------------------------ */

/* the kernel table's hash of the same packed symbols (syscfi.h) */
static size_t trans_hash(unsigned a, unsigned b, unsigned x)
{
	return sc_hash(((uint64_t)a << 20) | ((uint64_t)b << 10) | x);
}

/* inline in sc_profile_add: the extractor's learner calls it for every
 * syscall of a trace */
static inline __attribute__((always_inline)) struct sc_trans *
trans_find(const struct sc_profile *p, unsigned a, unsigned b, unsigned x)
{
	size_t mask = p->nslots - 1, i;

	if (!p->nslots)
		return NULL;
	for (i = trans_hash(a, b, x) & mask;; i = (i + 1) & mask) {
		struct sc_trans *t = &p->slots[i];

		if (t->a == EMPTY_A)
			return NULL;
		if (t->a == a && t->b == b && t->x == x)
			return t;
	}
}

struct sc_trans *sc_trans_find(const struct sc_profile *p, unsigned a,
			       unsigned b, unsigned x)
{
	return trans_find(p, a, b, x);
}

/* at most 3/4 full: a row probes ~2.5 slots on average, and the hash,
 * the biggest buffer of a loader's start-up, is half of what 1/2 gives */
static int trans_full(size_t ntrans, size_t nslots)
{
	return ntrans * 4 > nslots * 3;
}

/* rehash into n slots (a power of two, trans_full false) */
static int trans_resize(struct sc_profile *p, size_t n)
{
	struct sc_trans *s = sc_big_alloc(n * sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct sc_trans){ .a = EMPTY_A };
	for (size_t i = 0; i < p->nslots; i++) {
		struct sc_trans *o = &p->slots[i];
		size_t j;

		if (o->a == EMPTY_A)
			continue;
		for (j = trans_hash(o->a, o->b, o->x) & (n - 1); s[j].a != EMPTY_A;
		     j = (j + 1) & (n - 1))
			;
		s[j] = *o;
	}
	free(p->slots);
	p->slots = s;
	p->nslots = n;
	return 0;
}

static int trans_grow(struct sc_profile *p)
{
	return trans_resize(p, p->nslots ? p->nslots * 2 : 64);
}

int sc_trans_reserve(struct sc_profile *p, size_t n)
{
	size_t want = p->nslots ? p->nslots : 64;

	while (trans_full(p->ntrans + n, want))
		want *= 2;
	return want == p->nslots ? 0 : trans_resize(p, want);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct sc_profile *sc_profile_new(const char *comm, int arch, int depth)
{
	struct sc_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	snprintf(p->comm, sizeof(p->comm), "%s", comm ? comm : "");
	p->arch = arch;
	p->version = 1;
	p->depth = depth;
	p->window = SC_WINDOW_DEFAULT;
	return p;
}

int sc_profile_set_transparent(struct sc_profile *p, const uint64_t *set)
{
	if (!p->tcount) {
		p->tcount = calloc(SC_NR_MAX, sizeof(*p->tcount));
		if (!p->tcount)
			return -1;
	}
	p->version = 2;
	memcpy(p->transparent, set, sizeof(p->transparent));
	for (unsigned x = 0; x < SC_NR_MAX; x++)
		if (!(set[x / 64] >> (x % 64) & 1))
			p->tcount[x] = 0;
	return 0;
}

void sc_profile_add_transparent(struct sc_profile *p, unsigned x,
				uint64_t count)
{
	if (p->tcount && x < SC_NR_MAX && (p->transparent[x / 64] >> (x % 64) & 1))
		p->tcount[x] = sat_add(p->tcount[x], count);
}

void sc_profile_transparent_seen(const struct sc_profile *p,
				 uint64_t set[SC_NR_MAX / 64])
{
	memset(set, 0, SC_NR_MAX / 8);
	if (!p->tcount)
		return;
	for (unsigned x = 0; x < SC_NR_MAX; x++)
		if (p->tcount[x])
			set[x / 64] |= 1ull << (x % 64);
}

/*
 * Calls that wait for, or wake, another task or a timer: which of them a
 * thread makes, and where, depends on timing (a lock that is free at full
 * speed is contended under strace; data that is there already needs no
 * poll), so they are in the syscall set but never in a state.  The end of
 * a signal handler and a restarted call are here for the same reason.
 */
static const char *const transparent_default[] = {
	"futex", "futex_waitv", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"poll", "ppoll", "select", "pselect6", "nanosleep", "clock_nanosleep",
	"rt_sigreturn", "rt_sigsuspend", "sched_yield", "restart_syscall",
	"pause",
};

void sc_transparent_default(int arch, uint64_t set[SC_NR_MAX / 64])
{
	sc_transparent_parse(arch, "default", set, NULL, 0);
}

int sc_transparent_parse(int arch, const char *list,
			 uint64_t set[SC_NR_MAX / 64], char *err,
			 size_t errlen)
{
	return sc_sysset_parse(arch, list, transparent_default,
			       sizeof(transparent_default) / sizeof(transparent_default[0]),
			       set, err, errlen);
}

void sc_profile_free(struct sc_profile *p)
{
	if (!p)
		return;
	free(p->slots);
	free(p->exe);
	free(p->path);
	free(p->tcount);
	sc_profile_free_edges(p);
	free(p);
}

int sc_profile_add(struct sc_profile *p, unsigned a, unsigned b, unsigned x,
		   uint64_t count)
{
	struct sc_trans *t;
	size_t i, mask;

	if (p->depth == 1)
		a = SC_ANY;	/* depth 1 keeps (b, x) only */
	t = trans_find(p, a, b, x);
	if (t) {
		t->count = sat_add(t->count, count);
		return 0;
	}
	if (trans_full(p->ntrans + 1, p->nslots) && trans_grow(p))
		return -1;
	mask = p->nslots - 1;
	for (i = trans_hash(a, b, x) & mask; p->slots[i].a != EMPTY_A;
	     i = (i + 1) & mask)
		;
	p->slots[i] = (struct sc_trans){ .a = a, .b = b, .x = x, .count = count };
	p->ntrans++;
	return 0;
}

uint64_t sc_profile_count(const struct sc_profile *p, unsigned a, unsigned b,
			  unsigned x)
{
	const struct sc_trans *t;

	if (p->depth == 1)
		a = SC_ANY;
	t = sc_trans_find(p, a, b, x);
	return t ? t->count : 0;
}

/*
 * Every syscall of a transition: each x, each real a and b (START, UNKNOWN
 * and the depth-1 wildcard are not syscalls), so the start calls
 * ((START, execve), (START, clone), ...) too, and the members of the
 * transparent set it made, which are in no transition.
 */
void sc_profile_syscalls(const struct sc_profile *p, uint8_t set[SC_NR_MAX])
{
	for (size_t i = 0; i < p->nslots; i++) {
		const struct sc_trans *t = &p->slots[i];

		if (t->a == EMPTY_A)
			continue;
		if (t->a < SC_NR_MAX)
			set[t->a] = 1;
		if (t->b < SC_NR_MAX)
			set[t->b] = 1;
		if (t->x < SC_NR_MAX)
			set[t->x] = 1;
	}
	/* the transparent calls it made are in its set, outside any state */
	if (p->tcount)
		for (unsigned x = 0; x < SC_NR_MAX; x++)
			if (p->tcount[x])
				set[x] = 1;
}

/* ---- sorting by names ----------------------------------------------------- */

const char *sc_sym_name(int arch, unsigned nr)
{
	const char *s = nr == SC_ANY ? "" : sc_syscall_name(arch, (int)nr);

	return s ? s : "";
}

static int rank_arch;

static int sym_cmp(const void *l, const void *r)
{
	return strcmp(sc_sym_name(rank_arch, *(const uint16_t *)l),
		      sc_sym_name(rank_arch, *(const uint16_t *)r));
}

/*
 * Sort v[i] = rank key (30 bits) << 32 | slot index by the rank key: three
 * stable counting passes of 10 bits (ranks are below 1024), linear time.
 */
static void radix_sort_keys(uint64_t *v, uint64_t *tmp, size_t n)
{
	uint64_t *src = v, *dst = tmp, *t;

	for (int shift = 32; shift < 62; shift += SC_SYM_BITS) {
		size_t pos[SC_SYM_MASK + 2] = { 0 };

		for (size_t i = 0; i < n; i++)
			pos[((src[i] >> shift) & SC_SYM_MASK) + 1]++;
		for (size_t b = 1; b <= SC_SYM_MASK + 1; b++)
			pos[b] += pos[b - 1];
		for (size_t i = 0; i < n; i++)
			dst[pos[(src[i] >> shift) & SC_SYM_MASK]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

/*
 * SC_ANY and the nameless come first.  Sorting (rank a, rank b, rank x)
 * as one integer sorts by names without a string compare per step.
 */
void sc_name_ranks(int arch, uint16_t rank[SC_SYM_MASK + 1])
{
	uint16_t syms[SC_UNKNOWN + 2];
	int n = 0;

	for (unsigned s = 0; s <= SC_UNKNOWN; s++)
		syms[n++] = (uint16_t)s;
	syms[n++] = SC_ANY;
	rank_arch = arch;
	qsort(syms, (size_t)n, sizeof(syms[0]), sym_cmp);
	memset(rank, 0, (SC_SYM_MASK + 1) * sizeof(rank[0]));
	for (int i = 0; i < n; i++)
		rank[syms[i]] = (uint16_t)i;
}

struct sc_trans *sc_profile_sorted(const struct sc_profile *p, size_t *n)
{
	uint64_t *keys = malloc((p->ntrans ? p->ntrans : 1) * sizeof(*keys));
	struct sc_trans *out = malloc((p->ntrans ? p->ntrans : 1) * sizeof(*out));
	uint16_t rank[SC_SYM_MASK + 1];
	size_t k = 0;

	if (!keys || !out) {
		free(keys);
		free(out);
		return NULL;
	}
	sc_name_ranks(p->arch, rank);
	for (size_t i = 0; i < p->nslots; i++) {
		const struct sc_trans *t = &p->slots[i];
		uint64_t r;

		if (t->a == EMPTY_A)
			continue;
		r = ((uint64_t)rank[t->a] << 20) | ((uint64_t)rank[t->b] << 10) |
		    rank[t->x];
		keys[k++] = (r << 32) | i;	/* slot index breaks no ties: keys are unique */
	}
	/* out (16 bytes a transition) is the scratch space until it is filled */
	radix_sort_keys(keys, (uint64_t *)out, k);
	for (size_t i = 0; i < k; i++)
		out[i] = p->slots[keys[i] & 0xffffffffu];
	free(keys);
	*n = k;
	return out;
}

bool sc_profile_makes(const struct sc_profile *p, unsigned x)
{
	for (size_t i = 0; i < p->nslots; i++)
		if (p->slots[i].a != EMPTY_A && p->slots[i].x == x)
			return true;
	return false;
}

int sc_profile_merge(struct sc_profile *dst, const struct sc_profile *src)
{
	if (strcmp(dst->comm, src->comm) || dst->arch != src->arch ||
	    dst->depth != src->depth || dst->version != src->version ||
	    memcmp(dst->transparent, src->transparent,
		   sizeof(dst->transparent))) {
		errno = EINVAL;
		return -1;
	}
	if (src->tcount)
		for (unsigned x = 0; x < SC_NR_MAX; x++)
			sc_profile_add_transparent(dst, x, src->tcount[x]);
	for (size_t i = 0; i < src->nslots; i++) {
		const struct sc_trans *t = &src->slots[i];

		if (t->a != EMPTY_A && sc_profile_add(dst, t->a, t->b, t->x, t->count))
			return -1;
	}
	dst->traces = sat_add(dst->traces, src->traces);
	dst->tasks = sat_add(dst->tasks, src->tasks);
	dst->syscalls = sat_add(dst->syscalls, src->syscalls);
	dst->uring_ops |= src->uring_ops;
	if (!dst->exe && src->exe) {
		dst->exe = strdup(src->exe);
		if (!dst->exe)
			return -1;
	}
	if (!dst->has_threshold && src->has_threshold) {
		dst->has_threshold = true;
		dst->threshold = src->threshold;
	}
	return sc_profile_merge_edges(dst, src);
}

/* ---- sets ----------------------------------------------------------------------- */

void sc_profile_set_free(struct sc_profile_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sc_profile_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

struct sc_profile *sc_profile_set_find(const struct sc_profile_set *set,
				       const char *comm)
{
	return sc_profile_set_find_in(set, NULL, comm);
}

int sc_profile_set_add(struct sc_profile_set *set, struct sc_profile *p)
{
	if (sc_profile_set_find_in(set, p->parent, p->comm)) {
		errno = EEXIST;
		return -1;
	}
	if (set->n == set->cap) {
		size_t c = set->cap ? set->cap * 2 : 8;
		struct sc_profile **v = realloc(set->v, c * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		set->v = v;
		set->cap = c;
	}
	set->v[set->n++] = p;
	return 0;
}


void sc_comm_from_path(const char *path, char comm[16])
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	snprintf(comm, 16, "%s", base);
}
