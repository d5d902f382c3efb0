// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the strace line parser and the sequencer without the
 * file reader.  Each line of the input is copied into a buffer of exactly
 * its length, so a read past the end of a line is an ASan report (inside
 * the reader's big buffer it would go unnoticed).  The records the parser
 * hands back must point inside their line.  Then the lines are learned
 * (the extractor's build callbacks) and replayed against res/'s profiles
 * (its check callbacks), as fuzz-strace does through files, only faster.
 */
#include "extractor-seam.h"

static struct ctx replay;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_replay_init(&replay, "fuzz-parse");
	return 0;
}

static void check_record(const char *line, size_t len, const struct sc_line *l)
{
	FZ_ASSERT(l->type >= SC_LINE_SKIP && l->type <= SC_LINE_ERROR);
	if (l->type == SC_LINE_ERROR) {
		FZ_ASSERT(l->reason && l->reason[0]);
		return;
	}
	if (l->type == SC_LINE_SYSCALL || l->type == SC_LINE_UNFINISHED ||
	    l->type == SC_LINE_RESUMED) {
		FZ_ASSERT(l->name >= line && l->namelen > 0 &&
			  l->name + l->namelen <= line + len);
		FZ_ASSERT(l->nr >= -1);
	}
	if (l->has_comm)
		FZ_ASSERT(memchr(l->comm, 0, sizeof(l->comm)) != NULL);
	FZ_ASSERT(l->ret_kind >= SC_RET_NONE && l->ret_kind <= SC_RET_UNKNOWN);
}

/* what the sequencer tells of a signal is within its contract */
static void check_signal(void *ctx, struct sc_seq_task *t, int signo,
			 int delivered, int handler, long restart_nr)
{
	(void)ctx;
	FZ_ASSERT(t && t->bind.bound);
	FZ_ASSERT(signo >= 1 && signo <= SC_SIG_MAX);
	FZ_ASSERT((delivered == 0 || delivered == 1) && (handler == 0 || handler == 1));
	FZ_ASSERT(!handler || delivered);
	FZ_ASSERT(restart_nr >= -1);
}

/* every line of data, each in a buffer of its own length, to s */
static void feed(struct sc_seq *s, int arch, const uint8_t *data, size_t len)
{
	const uint8_t *p = data, *e = data + len;
	unsigned long lineno = 0;

	while (p < e) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = (size_t)((nl ? nl : e) - p);
		char *line = malloc(n ? n : 1);
		struct sc_line l;

		FZ_ASSERT(line);
		memcpy(line, p, n);
		sc_strace_parse(line, n, arch, !nl, &l);
		check_record(line, n, &l);
		sc_seq_line(s, &l, 0, "fz", ++lineno);
		free(line);
		p = nl ? nl + 1 : e;
	}
	sc_seq_finish(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ctx build;
	struct sc_seq s;

	memset(&build, 0, sizeof(build));
	build.mode = M_BUILD;
	build.depth = 2;
	/* inputs ending in an odd byte are read as i386 traces */
	build.arch = len && (data[len - 1] & 1) ? SC_ARCH_I386 : SC_ARCH_X86_64;
	build.quiet = 1;
	static struct sc_seq_ops ops;

	ops = build_ops;
	ops.signal = check_signal;
	FZ_ASSERT(sc_seq_init(&s, build.arch, &ops, &build) == 0);
	build.trace_id = 1;
	feed(&s, build.arch, data, len);
	for (size_t i = 0; i < build.set.n; i++) {
		struct sc_profile *p = build.set.v[i];

		FZ_ASSERT(p->traces <= 1 && p->ntrans <= p->syscalls);
	}
	sc_profile_set_free(&build.set);
	free(build.last_trace);

	FZ_ASSERT(sc_seq_init(&s, replay.arch, &replay_ops, &replay) == 0);
	for (uint32_t i = 1; i <= replay.table.nprofiles; i++)
		memset(&replay.ps[i], 0, sizeof(replay.ps[i]));
	feed(&s, replay.arch, data, len);
	return 0;
}
