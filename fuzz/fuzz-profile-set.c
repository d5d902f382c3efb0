// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: a folder of profiles, all or nothing.  The input's
 * NUL-separated parts are the files p0.json, p1.json, ... of a folder;
 * sc_profile_set_load must load every one of them exactly when each
 * loads on its own and no two share a comm, and otherwise load nothing
 * and name the file at fault.  Loading the same files given one by one
 * must agree with loading the folder.
 */
#include "profile.h"

#include "fuzz.h"

#define FZ_SET_MAX	6

static char paths[FZ_SET_MAX][96];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_dir_make();

	(void)argc;
	(void)argv;
	for (int i = 0; i < FZ_SET_MAX; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/p%d.json", dir, i);
	return 0;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	FZ_ASSERT(f);
	FZ_ASSERT(fwrite(p, 1, n, f) == n || n == 0);
	FZ_ASSERT(fclose(f) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *p = data, *e = data + len;
	struct sc_profile_set set = { 0 }, one = { 0 };
	char *dirs[1] = { fz_dir }, *files[FZ_SET_MAX];
	char err[512] = "";
	int nfiles = 0, expect_ok = 1, rc;

	for (int i = 0; i < FZ_SET_MAX; i++)
		unlink(paths[i]);
	while (nfiles < FZ_SET_MAX && p <= e && len) {
		const uint8_t *z = nfiles + 1 < FZ_SET_MAX ?
			memchr(p, 0, (size_t)(e - p)) : NULL;
		const uint8_t *end = z ? z : e;

		put(paths[nfiles], p, (size_t)(end - p));
		files[nfiles] = paths[nfiles];
		nfiles++;
		if (!z)
			break;
		p = z + 1;
	}

	/* what the set should be: each file on its own, comms distinct */
	for (int i = 0; i < nfiles && expect_ok; i++) {
		struct sc_profile *q = sc_profile_load(paths[i], err, sizeof(err));

		if (!q || sc_profile_set_find(&one, q->comm)) {
			expect_ok = 0;
			sc_profile_free(q);
		} else {
			FZ_ASSERT(sc_profile_set_add(&one, q) == 0);
		}
	}

	rc = sc_profile_set_load(&set, dirs, 1, err, sizeof(err));
	FZ_ASSERT((rc == 0) == expect_ok);
	if (rc == 0) {
		FZ_ASSERT(set.n == (size_t)nfiles);
		for (size_t i = 0; i < set.n; i++)
			FZ_ASSERT(!strcmp(set.v[i]->comm, one.v[i]->comm));
	} else {
		/* nothing loaded, and the message names one of the files */
		FZ_ASSERT(set.n == 0);
		FZ_ASSERT(!strncmp(err, fz_dir, strlen(fz_dir)));
	}
	sc_profile_set_free(&set);

	rc = sc_profile_set_load(&set, files, nfiles, err, sizeof(err));
	FZ_ASSERT((rc == 0) == expect_ok);
	FZ_ASSERT(rc == 0 || set.n == 0);
	sc_profile_set_free(&set);
	sc_profile_set_free(&one);
	return 0;
}
