/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the parts of the profile code share and nothing else may use:
 * profile.c (the set in memory), profile-json.c (its JSON form) and
 * profile-dir.c (folders: listing, atomic writes, the store).
 */
#ifndef SC_PROFILE_INT_H
#define SC_PROFILE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "profile.h"

#define SC_TRANS_EMPTY	0xffff	/* a of a free slot: symbols are < 1024 */

/* the slot of (a, b, x) as stored (depth 1: a is SC_ANY), or NULL */
struct sc_trans *sc_trans_find(const struct sc_profile *p, unsigned a,
			       unsigned b, unsigned x);
/* room for n more transitions: one rehash now instead of several later */
int sc_trans_reserve(struct sc_profile *p, size_t n);
/* a symbol's name in files ("" for SC_ANY and the nameless) */
const char *sc_sym_name(int arch, unsigned nr);
/* rank[sym] = place of sym's name in strcmp order */
void sc_name_ranks(int arch, uint16_t rank[SC_SYM_MASK + 1]);

/* "file: reason" into err (nothing when err is NULL) */
__attribute__((format(printf, 4, 5)))
void sc_ferr(char *err, size_t errlen, const char *file, const char *fmt, ...);

/* profile-json.c: the file text of p (sorted, stable), -1 on a write
 * error or ENOMEM; and whether p can be written at all (-1, err filled) */
int sc_profile_write(FILE *f, const struct sc_profile *p);
int sc_profile_check_savable(const struct sc_profile *p, const char *path,
			     char *err, size_t errlen);

#endif
