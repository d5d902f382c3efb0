// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A deterministic mutation smoke test of the profile reader: every
 * truncation and thousands of byte edits of a valid file must be refused
 * with "file:line:column: reason" or load, and whatever loads must save
 * and load again to the same bytes.  Run it under valgrind too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "tap.h"

static const char base[] =
	"{\n"
	"  \"format\": \"syscfi-profile\",\n"
	"  \"version\": 1,\n"
	"  \"comm\": \"fz\",\n"
	"  \"exe\": \"/bin/fz\",\n"
	"  \"arch\": \"x86_64\",\n"
	"  \"depth\": 2,\n"
	"  \"window\": 16,\n"
	"  \"threshold\": 3.25,\n"
	"  \"stats\": {\"traces\": 1, \"tasks\": 2, \"syscalls\": 30},\n"
	"  \"transitions\": [\n"
	"    [\"START\", \"execve\", \"brk\", 1],\n"
	"    [\"brk\", \"brk\", \"mmap\", 12],\n"
	"    [\"execve\", \"brk\", \"brk\", 3]\n"
	"  ]\n"
	"}\n";

static const char alphabet[] = "{}[]\",:0123456789-.e \nabrkSTARTUNKOWxz/\\";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);

	if (f) {
		if (fread(buf, 1, 4095, f) == 0)
			buf[0] = 0;
		fclose(f);
	}
	return buf;
}

/* 0: refused properly or loaded and round-tripped; 1: something wrong */
static int try(const char *path, const char *out, const char *text, size_t len,
	       int *loaded)
{
	char err[512] = "", pfx[300];
	struct sc_profile *p;
	FILE *f = fopen(path, "w");
	int bad = 0;

	fwrite(text, 1, len, f);
	fclose(f);
	p = sc_profile_load(path, err, sizeof(err));
	snprintf(pfx, sizeof(pfx), "%s:", path);
	if (!p) {
		int line = 0, col = -1;

		/* "path:LINE:COL: reason" */
		if (strncmp(err, pfx, strlen(pfx)) ||
		    sscanf(err + strlen(pfx), "%d:%d:", &line, &col) != 2 ||
		    line < 1 || col < 0) {
			printf("# bad message: %s\n", err);
			bad = 1;
		}
		return bad;
	}
	(*loaded)++;
	if (sc_profile_save(p, out, err, sizeof(err))) {
		printf("# accepted but cannot save: %s\n", err);
		bad = 1;
	} else {
		struct sc_profile *q = sc_profile_load(out, err, sizeof(err));
		char *a = slurp(out), *b;

		if (!q) {
			printf("# saved file refused: %s\n", err);
			bad = 1;
		} else {
			sc_profile_save(q, out, err, sizeof(err));
			b = slurp(out);
			bad = strcmp(a, b) != 0;
			free(b);
		}
		free(a);
		sc_profile_free(q);
	}
	sc_profile_free(p);
	return bad;
}

int main(void)
{
	char dir[] = "/tmp/sc-test-fuzz.XXXXXX", path[64], out[64];
	char buf[sizeof(base)];
	size_t len = sizeof(base) - 1;
	uint64_t rng = 0x2545F4914F6CDD1Dull;
	int bad = 0, loaded = 0, n = 0;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/m.json", dir);
	snprintf(out, sizeof(out), "%s/o.json", dir);

	bad = try(path, out, base, len, &loaded);
	ok(!bad && loaded == 1, "the base file loads and round-trips");

	bad = 0;
	loaded = 0;
	for (size_t cut = 0; cut < len - 1; cut++)
		bad += try(path, out, base, cut, &loaded);
	is(bad, 0, "%zu truncations: each refused with a position", len - 1);
	is(loaded, 0, "no truncation loads");

	bad = 0;
	loaded = 0;
	for (n = 0; n < 4000; n++) {
		int edits = 1 + n % 3;

		memcpy(buf, base, len);
		for (int e = 0; e < edits; e++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			buf[rng % len] = alphabet[(rng >> 32) % (sizeof(alphabet) - 1)];
		}
		bad += try(path, out, buf, len, &loaded);
	}
	is(bad, 0, "4000 mutants: refused with a position, or loaded and round-tripped");
	ok(loaded > 0 && loaded < 4000, "some mutants load (%d), most do not", loaded);

	unlink(path);
	unlink(out);
	rmdir(dir);
	return tap_done();
}
