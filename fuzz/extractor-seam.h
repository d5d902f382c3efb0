/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The extractor's own consumers for the fuzz targets (extractor/run.h), so
 * the reader, parser, sequencer and replay under test are the shipped
 * ones, not a copy; and the replay context they share.
 */
#ifndef SC_FUZZ_EXTRACTOR_SEAM_H
#define SC_FUZZ_EXTRACTOR_SEAM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "syscalls.h"

#include "fuzz.h"

/* c = res/'s profiles compiled as --check compiles them (the kernel's
 * table); inputs are replayed against it.  who names the target. */
static void fz_replay_init(struct ctx *c, const char *who)
{
	char *dirs[1] = { SC_FUZZ_ROOT "/res" };
	char err[512];

	/* --check prints violations: not what the fuzzer wants to read */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	c->mode = M_CHECK;
	c->arch = SC_ARCH_X86_64;
	c->quiet = 1;
	if (sc_profile_set_load(&c->set, dirs, 1, err, sizeof(err)) < 0 ||
	    sc_table_build(&c->table, &c->set, -1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", who, err);
		abort();
	}
	c->ps = calloc(c->table.nprofiles + 1, sizeof(*c->ps));
	if (!c->ps)
		abort();
}

#endif
