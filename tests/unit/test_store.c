// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The profile store that the extractor and loader --learn share: which
 * comm can name a file (one rule for both), the scope folders it makes,
 * and the merge rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "syscalls.h"
#include "text.h"
#include "tap.h"

static void comm_rule(void)
{
	static const struct { const char *comm; int ok; const char *what; } v[] = {
		{ "nginx", 1, "ASCII" },
		{ "caf\xc3\xa9", 1, "UTF-8 (café)" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 1, "UTF-8 (日本語)" },
		{ "a-b_c.d+e 1", 1, "punctuation and a space" },
		{ "123456789012345", 1, "15 bytes" },
		{ "1234567890123456", 0, "16 bytes" },
		{ "", 0, "empty" },
		{ ".", 0, "." },
		{ "..", 0, ".." },
		{ "...", 1, "..." },
		{ "a/b", 0, "a slash" },
		{ "a\nb", 0, "a newline" },
		{ "a\x1b[2J", 0, "an ESC sequence" },
		{ "a\x7f", 0, "DEL" },
		{ "abcdefghijklm\xc3", 0, "a character cut at 15 bytes" },
		{ "\xff\xfe", 0, "bytes that are not UTF-8" },
		{ "\xc0\xaf", 0, "an overlong '/'" },
		{ "\xed\xa0\x80", 0, "a surrogate" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is(sc_comm_ok(v[i].comm), v[i].ok, "comm rule: %s %s", v[i].what,
		   v[i].ok ? "names a file" : "is refused");
}

static void scopes(const char *tmp)
{
	struct sc_profile *top = sc_profile_new("caf\xc3\xa9", SC_ARCH_X86_64, 2);
	struct sc_profile *mid = sc_profile_new("sh", SC_ARCH_X86_64, 2);
	struct sc_profile *leaf = sc_profile_new("cat", SC_ARCH_X86_64, 2);
	char err[512] = "", *path, want[512];
	struct sc_store st;
	struct stat sb;

	mid->parent = top;
	leaf->parent = mid;
	ok(!sc_store_open(&st, tmp, false, err, sizeof(err)), "store opened %s", err);
	ok(!sc_store_refused(leaf), "a UTF-8 scope chain can name files");
	path = sc_store_path(&st, leaf, err, sizeof(err));
	snprintf(want, sizeof(want), "%s/caf\xc3\xa9.d/sh.d/cat.json", tmp);
	is_str(path, want, "the file of a scoped profile");
	snprintf(want, sizeof(want), "%s/caf\xc3\xa9.d/sh.d", tmp);
	ok(!stat(want, &sb) && S_ISDIR(sb.st_mode), "its scope folders are made");
	free(path);
	snprintf(top->comm, sizeof(top->comm), "x\xff");
	ok(sc_store_refused(leaf) != NULL, "a bad comm up the chain refuses the file");
	sc_profile_free(leaf);
	sc_profile_free(mid);
	sc_profile_free(top);
}

static void merging(void)
{
	struct sc_profile *stored = sc_profile_new("m", SC_ARCH_X86_64, 2);
	struct sc_profile *fresh = sc_profile_new("m", SC_ARCH_X86_64, 2);
	uint64_t set[SC_NR_MAX / 64] = { 1 };
	char err[512] = "";

	stored->path = strdup("/p/m.json");
	sc_profile_add(stored, 1, 2, 3, 4);
	sc_profile_add(fresh, 1, 2, 3, 1);
	ok(!sc_store_merge(stored, fresh, stored, err, sizeof(err)) &&
	   sc_profile_count(stored, 1, 2, 3) == 5, "a merge adds the counts");
	sc_profile_set_transparent(fresh, set);
	ok(sc_store_merge(fresh, stored, stored, err, sizeof(err)) &&
	   strstr(err, "/p/m.json: cannot merge: arch x86_64 depth 2 version 1 there, "
		  "arch x86_64 depth 2 version 2 here"),
	   "another version is refused, the stored file named: %s", err);
	sc_profile_free(stored);
	sc_profile_free(fresh);
}

int main(void)
{
	char tmp[] = "/tmp/sc-test-store.XXXXXX", cmd[64];

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	comm_rule();
	scopes(tmp);
	merging();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		return 2;
	return tap_done();
}
