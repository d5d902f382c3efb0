/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The extractor's work, apart from its command line: a trace (one file, a
 * set of strace -ff files or a numeric trace) is read, parsed and
 * sequenced into one of three consumers: build (learning profiles),
 * replay (checking against them, as the kernel does, and scoring) or the
 * signal dump.  main.c parses the options and writes the results; the
 * fuzz targets drive run_trace() and the consumers directly.
 */
#ifndef SC_EXTRACTOR_RUN_H
#define SC_EXTRACTOR_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "sequence.h"
#include "syscfi.h"
#include "table.h"

enum mode { M_BUILD, M_CHECK, M_SCORE, M_VALIDATE, M_DUMP_SIGNALS };
enum format { F_STRACE, F_NUMBERS, F_PID_NUMBERS };

/* the highest value of the score's statistic in one trace */
struct smax {
	uint64_t max_sum;	/* largest full-window sum */
	int full;		/* some window was full */
	int short_seen;		/* some binding ended before its window filled */
	double short_best;	/* the highest mean of such a binding, bits */
};

/* per profile id, over one trace (score) or all traces (validate) */
struct pstat {
	int touched;		/* a task ran under it in this trace */
	struct smax all;	/* every window: SCORE */
	struct smax cal;	/* the windows a threshold is set from: those
				 * that hold no step filling the window (it
				 * crosses any threshold) */
	uint64_t nfilled;	/* windows and short bindings left out of cal */
	uint32_t window;
	uint64_t cost_sum, ncost;	/* every scored cost */
	uint64_t unseen;
	double vmax;		/* validate: max per-trace score */
	int vseen;
	uint64_t *hist;		/* validate --target-fpr: full-window means */
	uint64_t nwin;
};

struct ctx {
	int mode, format, arch, depth, json, quiet;
	const char *comm;	/* --comm */
	/* build: the profiles learned, by comm; check/score: loaded ones */
	struct sc_profile_set set;
	unsigned long *last_trace;	/* build: trace id that last bound it */
	size_t last_cap;
	unsigned long trace_id;
	struct sc_table table;
	struct pstat *ps;		/* [nprofiles + 1] */
	double target_fpr, margin;
	uint64_t transparent[SC_NR_MAX / 64];	/* build: of new profiles */
	const char *outdir;	/* build: where profiles are merged into */
	FILE *steps;		/* --steps: every scored step, for scripts/evaluate */
	const char *cur_trace;
	unsigned long malformed, cut, skipped_nr, violations;
	unsigned long exec_unkeyed, exec_deep;	/* build: execs not learned */
	int fatal;
};

struct trace {
	const char *name;	/* file, or the -ff prefix */
	char *prefix;		/* -ff: allocated prefix */
	const char **files;
	long *pids;		/* -ff: pid suffix of each file, else -1 */
	size_t n;
};

extern const struct sc_seq_ops build_ops, replay_ops;

/* prints "out of memory" and exits 2 */
void die_oom(void) __attribute__((noreturn));
/* one trace through the sequencer into c's mode's consumer; -1 on an
 * error (already printed) */
int run_trace(struct ctx *c, const struct trace *tr);
/* the command line's files as traces (-ff files grouped by prefix) */
struct trace *group_traces(char **paths, int n, size_t *ntr);
void free_traces(struct trace *tv, size_t n);

#endif
