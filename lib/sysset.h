/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sets of syscalls by name, as options give them: the transparent set of
 * new profiles and the guarded set of a loader or a replay.
 */
#ifndef SC_SYSSET_H
#define SC_SYSSET_H

#include <stddef.h>
#include <stdint.h>
#include "syscfi.h"

/*
 * Parse list into set (SC_NR_MAX / 64 words): "none", or comma-separated
 * items: a syscall name adds it, "-name" removes it, "default" adds the
 * n names of defaults.  Returns 0, or -1 with err naming the bad item.
 */
int sc_sysset_parse(int arch, const char *list, const char *const *defaults,
		    size_t n, uint64_t set[SC_NR_MAX / 64], char *err,
		    size_t errlen);

/* the documented default guarded set for arch (docs/design.md) */
void sc_guarded_default(int arch, uint64_t set[SC_NR_MAX / 64]);
/* --guarded LIST: sc_sysset_parse over the default guarded set */
int sc_guarded_parse(int arch, const char *list,
		     uint64_t set[SC_NR_MAX / 64], char *err, size_t errlen);

#endif
