// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary bytes as a numeric trace, read as --format
 * numbers (even length) or pid-numbers (odd length) through the
 * extractor's own reader (extractor/run.h's run_trace()), learning a
 * profile and then replaying against res/'s syscfi-demo profile.  Every
 * syscall taken in must be counted or skipped, never both or neither.
 */
#include "extractor-seam.h"

static struct ctx replay;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_replay_init(&replay, "fuzz-numbers");
	replay.comm = "syscfi-demo";
	return 0;
}

static void one_format(int format, const char *path)
{
	const char *files[1] = { path };
	long pids[1] = { -1 };
	struct trace tr = { .name = path, .files = files, .pids = pids, .n = 1 };
	struct ctx build;
	struct sc_profile *p;
	size_t n;
	struct sc_trans *t;
	uint64_t sum = 0;

	memset(&build, 0, sizeof(build));
	build.mode = M_BUILD;
	build.format = format;
	build.depth = 2;
	build.arch = SC_ARCH_X86_64;
	build.quiet = 1;
	build.comm = "fz";
	FZ_ASSERT(run_trace(&build, &tr) == 0);
	/* numeric traces always bind their one comm */
	FZ_ASSERT(build.set.n == 1);
	p = build.set.v[0];
	t = sc_profile_sorted(p, &n);
	for (size_t i = 0; i < n; i++) {
		/* every task starts in (START, START): a is never UNKNOWN */
		FZ_ASSERT(t[i].a != SC_UNKNOWN && t[i].b != SC_UNKNOWN);
		sum += t[i].count;
	}
	FZ_ASSERT(sum == p->syscalls);
	free(t);
	sc_profile_set_free(&build.set);
	free(build.last_trace);

	replay.format = format;
	FZ_ASSERT(run_trace(&replay, &tr) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_file f;

	/* one format an input: each reads the file twice (build, then
	 * replay), and inputs run under ASan */
	fz_file_open(&f, data, len);
	one_format(len & 1 ? F_PID_NUMBERS : F_NUMBERS, f.path);
	fz_file_close(&f);
	return 0;
}
