// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary bytes as an strace trace, through the
 * extractor's own path (extractor/run.h's run_trace(), so the line
 * reader, the notice splitting, the parser, the sequencer and the replay
 * are the shipped code, not a copy):
 *  - build: learn profiles from the input; every learned count must stay
 *    within the syscalls it was learned from;
 *  - check: replay the input against res/'s profiles (the kernel's table).
 * An input starting with "\0ff\n" is an -ff trace: its NUL-separated parts
 * are the files app.syscall.100, .101, ...
 */
#include "extractor-seam.h"

#define FZ_FF_MAX	8

static struct ctx replay;	/* res/'s profiles, loaded once */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_replay_init(&replay, "fuzz-strace");
	return 0;
}

/* what one profile learned is at most what its tasks ran */
static void check_learned(const struct sc_profile *p)
{
	size_t n;
	struct sc_trans *t = sc_profile_sorted(p, &n);
	uint64_t sum = 0;

	FZ_ASSERT(t || n == 0);
	FZ_ASSERT(n == p->ntrans);
	for (size_t i = 0; i < n; i++) {
		FZ_ASSERT(t[i].count > 0);
		FZ_ASSERT(t[i].x < SC_NR_MAX);
		sum += t[i].count;
	}
	FZ_ASSERT(sum <= p->syscalls);
	FZ_ASSERT(p->traces <= 1);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_file f[FZ_FF_MAX];
	const char *files[FZ_FF_MAX];
	long pids[FZ_FF_MAX];
	struct trace tr = { .name = "fz", .files = files, .pids = pids };
	struct ctx build;
	int rc;

	if (len >= 4 && !memcmp(data, "\0ff\n", 4)) {
		const uint8_t *p = data + 4, *e = data + len;

		while (tr.n < FZ_FF_MAX) {
			const uint8_t *z = tr.n + 1 < FZ_FF_MAX ?
				memchr(p, 0, (size_t)(e - p)) : NULL;
			const uint8_t *end = z ? z : e;

			fz_file_open(&f[tr.n], p, (size_t)(end - p));
			pids[tr.n] = 100 + (long)tr.n;
			tr.n++;
			if (!z)
				break;
			p = z + 1;
		}
	} else {
		fz_file_open(&f[0], data, len);
		pids[0] = -1;
		tr.n = 1;
	}
	for (size_t i = 0; i < tr.n; i++)
		files[i] = f[i].path;

	memset(&build, 0, sizeof(build));
	build.mode = M_BUILD;
	build.depth = len & 1 ? 1 : 2;
	build.arch = SC_ARCH_X86_64;
	build.quiet = 1;
	/* refused only when not one syscall line was taken: then nothing
	 * was learned either */
	rc = run_trace(&build, &tr);
	FZ_ASSERT(rc == 0 || build.set.n == 0);
	for (size_t i = 0; i < build.set.n; i++)
		check_learned(build.set.v[i]);
	sc_profile_set_free(&build.set);
	free(build.last_trace);

	replay.json = (len >> 1) & 1;
	FZ_ASSERT(run_trace(&replay, &tr) == rc);

	for (size_t i = 0; i < tr.n; i++)
		fz_file_close(&f[i]);
	return 0;
}
