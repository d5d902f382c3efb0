/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a profile update adds and removes, for the review of profile changes
 * (extractor --diff). */
#ifndef SC_DIFF_H
#define SC_DIFF_H

#include <stddef.h>
#include <stdio.h>

/* also list transitions whose count changed ("~ a b x OLD NEW") */
#define SC_DIFF_COUNTS	1u

/*
 * Compare two profile files, or two profile folders (their scoped X.d/
 * folders included), and write one line per difference to out, sorted:
 * profiles by name, then per profile its fields, syscalls, transparent set,
 * io_uring opcodes, exec edges and transitions.  Returns 1 when NEW adds
 * something (a "+" line), 0 when it only removes or nothing differs, -1 on
 * bad input with err filled ("file:line:column: reason").
 */
int sc_diff_paths(const char *oldp, const char *newp, unsigned flags,
		  FILE *out, char *err, size_t errlen);

#endif
