// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary bytes as one profile file (lib/profile.c).
 * A refusal must say "path:..." and why; whatever loads must be writable,
 * read back to the same profile, written again to the same bytes, and
 * compile into the kernel's table.
 */
#include <math.h>

#include "profile.h"
#include "syscfi.h"
#include "table.h"

#include "fuzz.h"

static char out1[96], out2[96];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_dir_make();

	(void)argc;
	(void)argv;
	snprintf(out1, sizeof(out1), "%s/a.json", dir);
	snprintf(out2, sizeof(out2), "%s/b.json", dir);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	FZ_ASSERT(f);
	FZ_ASSERT(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	FZ_ASSERT(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	FZ_ASSERT(buf);
	FZ_ASSERT(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void same_profile(const struct sc_profile *p, const struct sc_profile *q)
{
	size_t n, m;
	struct sc_trans *a = sc_profile_sorted(p, &n);
	struct sc_trans *b = sc_profile_sorted(q, &m);

	FZ_ASSERT(!strcmp(p->comm, q->comm));
	FZ_ASSERT(!p->exe == !q->exe && (!p->exe || !strcmp(p->exe, q->exe)));
	FZ_ASSERT(p->arch == q->arch && p->depth == q->depth &&
		  p->window == q->window);
	FZ_ASSERT(p->has_threshold == q->has_threshold);
	FZ_ASSERT(!p->has_threshold || p->threshold == q->threshold);
	FZ_ASSERT(p->traces == q->traces && p->tasks == q->tasks &&
		  p->syscalls == q->syscalls);
	FZ_ASSERT(n == m);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(a[i].a == b[i].a && a[i].b == b[i].b &&
			  a[i].x == b[i].x && a[i].count == b[i].count);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_file f;
	struct sc_profile *p, *q;
	struct sc_profile_set set = { 0 };
	struct sc_table table;
	char err[512] = "";
	char *t1, *t2;
	size_t n1, n2;

	fz_file_open(&f, data, len);
	p = sc_profile_load(f.path, err, sizeof(err));
	fz_file_close(&f);
	if (!p) {
		/* "path: reason" or "path:line:column: reason" */
		FZ_ASSERT(!strncmp(err, f.path, strlen(f.path)));
		FZ_ASSERT(err[strlen(f.path)] == ':');
		FZ_ASSERT(strlen(err) > strlen(f.path) + 2);
		return 0;
	}
	FZ_ASSERT(p->comm[0] && strlen(p->comm) < 16);
	FZ_ASSERT(p->depth == 1 || p->depth == 2);
	FZ_ASSERT(p->window >= 1 && p->window <= SC_WINDOW_MAX);
	FZ_ASSERT(!p->has_threshold || (isfinite(p->threshold) &&
					p->threshold >= 0));

	FZ_ASSERT(sc_profile_save(p, out1, err, sizeof(err)) == 0);
	q = sc_profile_load(out1, err, sizeof(err));
	if (!q)
		fprintf(stderr, "fuzz-profile: reload: %s\n", err);
	FZ_ASSERT(q);
	same_profile(p, q);
	FZ_ASSERT(sc_profile_save(q, out2, err, sizeof(err)) == 0);
	t1 = slurp(out1, &n1);
	t2 = slurp(out2, &n2);
	FZ_ASSERT(n1 == n2 && !memcmp(t1, t2, n1));
	free(t1);
	free(t2);
	sc_profile_free(q);

	FZ_ASSERT(sc_profile_set_add(&set, p) == 0);
	if (sc_table_build(&table, &set, -1, err, sizeof(err)) == 0)
		sc_table_free(&table);
	else
		FZ_ASSERT(err[0]);
	sc_profile_set_free(&set);
	return 0;
}
