/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The compiled transition table: the exact array of slots the loader puts
 * in the BPF map (layout in bpf/syscfi.h), and a lookup that mirrors the
 * BPF program's, so the offline replay checks and scores with the same
 * table the kernel uses.
 */
#ifndef SC_TABLE_H
#define SC_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "profile.h"
#include "syscfi.h"

struct sc_table {
	uint64_t *slots;		/* nslots entries (NULL between plan and place) */
	uint32_t nslots;
	size_t used;
	uint64_t *order;		/* sc_table_plan: the entries in slot order */
	uint64_t wrap;			/* of them, how many wrap to slot 0 */
	struct sc_profile_info *info;	/* indexed by profile id, [0] unused */
	uint32_t nprofiles;
	/* the guarded set (sc_guarded_parse): the kernel's is the loader's
	 * --guarded, the replay's the extractor's; set by the caller */
	uint64_t guarded[SC_NR_MAX / 64];
};

/*
 * Compile a profile set: profile i of the set gets id i + 1.  Costs come
 * from the scoring model (score.h); thresholds from the profile unless
 * threshold_override >= 0.  Grows the table until every key is reachable
 * within SC_PROBE_MAX probes.  Returns 0 or -1 with err filled.
 */
int sc_table_build(struct sc_table *t, const struct sc_profile_set *set,
		   double threshold_override, char *err, size_t errlen);
void sc_table_free(struct sc_table *t);

/*
 * sc_table_build in two steps, so a loader can size its map first and
 * write the slots straight into it: plan sets everything but slots;
 * place writes the nslots slots into dst, which must be zeroed (a fresh
 * BPF array is), or into t->slots (allocated here) when dst is NULL.
 * Both return 0 or -1 (plan fills err).
 */
int sc_table_plan(struct sc_table *t, const struct sc_profile_set *set,
		  double threshold_override, char *err, size_t errlen);
int sc_table_place(struct sc_table *t, uint64_t *dst);

/*
 * A size to create the map with before the plan is done (the loader loads
 * the BPF object meanwhile): enough slots at a load of 0.8 for the most
 * entries the set can give.  sc_table_plan_min starts at nslots_min and
 * picks it unless probing needs more (then t->nslots is larger).
 */
uint32_t sc_table_size_bound(const struct sc_profile_set *set);
int sc_table_plan_min(struct sc_table *t, const struct sc_profile_set *set,
		      double threshold_override, uint32_t nslots_min, char *err,
		      size_t errlen);

/* slot holding key, or 0; the same probe sequence as the BPF program */
uint64_t sc_table_lookup(const struct sc_table *t, uint64_t key);
/* syscall x (< SC_NR_MAX) is in t's guarded set */
int sc_table_guarded(const struct sc_table *t, unsigned x);

/*
 * Check one transition for profile id: returns 1 if known, 0 if unseen;
 * *cost gets the transition's cost (back-off cost when unseen), exactly
 * as the kernel computes it.
 */
int sc_table_check(const struct sc_table *t, uint32_t profile, unsigned a,
		   unsigned b, unsigned x, uint16_t *cost);

#endif
