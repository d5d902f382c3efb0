// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Profile files: the exact layout, byte-identical round trips, every
 * refusal with its file:line:column, merging and saturation, sets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "syscalls.h"
#include "syscfi.h"
#include "tap.h"

static char dir[64];

static char *names[256];
static int nnames;

/* name in the test folder; a fresh string each call (freed at exit) */
static const char *at(const char *name)
{
	char *s;

	if (asprintf(&s, "%s/%s", dir, name) < 0)
		abort();
	if (nnames == 256)
		abort();
	names[nnames++] = s;
	return s;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (fread(buf, 1, n, f) != (size_t)n)
		buf[0] = 0;
	fclose(f);
	return buf;
}

static const char expected[] =
	"{\n"
	"  \"format\": \"syscfi-profile\",\n"
	"  \"version\": 1,\n"
	"  \"comm\": \"nginx\",\n"
	"  \"exe\": \"/usr/sbin/nginx\",\n"
	"  \"arch\": \"x86_64\",\n"
	"  \"depth\": 2,\n"
	"  \"window\": 32,\n"
	"  \"threshold\": 6.5,\n"
	"  \"stats\": {\"traces\": 3, \"tasks\": 14, \"syscalls\": 120345},\n"
	"  \"transitions\": [\n"
	"    [\"START\", \"execve\", \"brk\", 1],\n"
	"    [\"brk\", \"arch_prctl\", \"mmap\", 3],\n"
	"    [\"brk\", \"arch_prctl\", \"munmap\", 2],\n"
	"    [\"read\", \"write\", \"close\", 7]\n"
	"  ]\n"
	"}\n";

static struct sc_profile *nginx(void)
{
	struct sc_profile *p = sc_profile_new("nginx", SC_ARCH_X86_64, 2);

	p->exe = strdup("/usr/sbin/nginx");
	p->has_threshold = true;
	p->threshold = 6.5;
	p->traces = 3;
	p->tasks = 14;
	p->syscalls = 120345;
	/* added out of order: the file is sorted by names, not numbers */
	sc_profile_add(p, 0, 1, 3, 7);			/* read write close */
	sc_profile_add(p, 12, 158, 11, 2);		/* brk arch_prctl munmap */
	sc_profile_add(p, 12, 158, 9, 3);		/* brk arch_prctl mmap */
	sc_profile_add(p, SC_START, 59, 12, 1);	/* START execve brk */
	return p;
}

static void test_round_trip(void)
{
	char err[512] = "";
	struct sc_profile *p = nginx(), *q;
	char *a, *b;

	is(sc_profile_save(p, at("nginx.json"), err, sizeof(err)), 0, "save");
	a = slurp(at("nginx.json"));
	is_str(a, expected, "the file has the exact documented layout");
	q = sc_profile_load(at("nginx.json"), err, sizeof(err));
	ok(q != NULL, "load it back (%s)", err);
	if (!q)
		return;
	is(q->ntrans, 4, "4 transitions");
	is(sc_profile_count(q, 12, 158, 9), 3, "count of (brk, arch_prctl, mmap)");
	is(sc_profile_count(q, 12, 158, 10), 0, "unseen count is 0");
	ok(q->has_threshold && q->threshold == 6.5, "threshold 6.5");
	is_str(q->exe, "/usr/sbin/nginx", "exe");
	is(q->syscalls, 120345, "stats.syscalls");
	is_str(q->path, at("nginx.json"), "path remembered");
	is(sc_profile_save(q, at("again.json"), err, sizeof(err)), 0, "save again");
	b = slurp(at("again.json"));
	is_str(b, a, "load + save is byte-identical");
	free(a);
	free(b);
	sc_profile_free(q);
	sc_profile_free(p);

	/* depth 1, no exe, no threshold, an odd comm that needs escaping */
	p = sc_profile_new("a\"b", SC_ARCH_I386, 1);
	p->window = 8;
	p->threshold = 0.1;	/* not written: has_threshold is false */
	sc_profile_add(p, 3, 4, 11, 5);	/* i386 read write execve */
	sc_profile_add(p, 99, 4, 11, 1);	/* a folds away: count 6 */
	is(sc_profile_save(p, at("d1.json"), err, sizeof(err)), 0, "save depth 1");
	a = slurp(at("d1.json"));
	is_str(a, "{\n  \"format\": \"syscfi-profile\",\n  \"version\": 1,\n"
	       "  \"comm\": \"a\\\"b\",\n  \"arch\": \"i386\",\n  \"depth\": 1,\n"
	       "  \"window\": 8,\n"
	       "  \"stats\": {\"traces\": 0, \"tasks\": 0, \"syscalls\": 0},\n"
	       "  \"transitions\": [\n    [\"write\", \"execve\", 6]\n  ]\n}\n",
	       "depth-1 rows are [b, x, count]");
	q = sc_profile_load(at("d1.json"), err, sizeof(err));
	ok(q && q->depth == 1 && !strcmp(q->comm, "a\"b") && q->window == 8 &&
	   !q->has_threshold && sc_profile_count(q, 0, 4, 11) == 6,
	   "depth-1 profile reads back (%s)", err);
	sc_profile_free(q);
	free(a);
	sc_profile_free(p);

	/* an empty profile */
	p = sc_profile_new("empty", SC_ARCH_X86_64, 2);
	is(sc_profile_save(p, at("empty.json"), err, sizeof(err)), 0, "save empty");
	q = sc_profile_load(at("empty.json"), err, sizeof(err));
	ok(q && q->ntrans == 0, "empty profile reads back (%s)", err);
	sc_profile_free(q);
	sc_profile_free(p);
}

#define HEAD "{\"format\": \"syscfi-profile\", \"version\": 1, \"comm\": \"t\",\n" \
	     " \"arch\": \"x86_64\", \"depth\": 2,\n"

/* write text, load it, expect err == "<path>:<want>" */
static void refuse(const char *text, const char *want, const char *what)
{
	char err[512] = "", full[512];
	const char *path = at("bad.json");
	struct sc_profile *p;

	put(path, text);
	p = sc_profile_load(path, err, sizeof(err));
	snprintf(full, sizeof(full), "%s:%s", path, want);
	ok(p == NULL, "refused: %s", what);
	is_str(err, full, "message for %s", what);
	sc_profile_free(p);
}

static void test_refusals(void)
{
	refuse(HEAD " \"transitions\": [\n    [\"read\", \"write\", \"close\", 1],,\n]}\n",
	       "4:35: unexpected token near ','",
	       "syntax error");
	refuse(HEAD " \"depth\": 2, \"transitions\": []}\n",
	       "3:8: duplicate object key near '\"depth\"'", "duplicate key");
	refuse(HEAD " \"transitions\": [\n    [\"read\", \"write\", \"close\", 1],\n"
	       "    [\"read\", \"wirte\", \"close\", 1]\n]}\n",
	       "5:5: transition 2: unknown syscall name \"wirte\" for x86_64",
	       "unknown syscall name");
	refuse(HEAD " \"transitions\": [\n    [\"read\", \"write\", \"close\", -1]\n]}\n",
	       "4:5: transition 1: count must be a non-negative integer",
	       "negative count");
	refuse(HEAD " \"transitions\": [\n  [\"read\", \"write\", \"close\", 1],\n"
	       "  [\"read\", \"write\", \"open\", 1.5]\n]}\n",
	       "5:3: transition 2: count must be a non-negative integer",
	       "non-integer count");
	refuse(HEAD " \"transitions\": [[\"read\", \"write\", \"close\", 1], [\"write\", \"close\", 1]]}\n",
	       "3:49: transition 2: expected [a, b, x, count] for a depth-2 profile",
	       "wrong row length");
	refuse(HEAD " \"transitions\": [\n    [\"read\", \"write\", \"close\", 1],\n"
	       "    [\"brk\", \"brk\", \"brk\", 1],\n    [\"read\", \"write\", \"close\", 2]\n]}\n",
	       "6:5: transition 3: duplicate transition", "duplicate transition");
	refuse(HEAD " \"transitions\": [\n    [\"read\", \"write\", \"START\", 1]\n]}\n",
	       "4:5: transition 1: START cannot be the syscall made", "START as x");
	refuse(HEAD " \"transitions\": [\n    [\"UNKNOWN\", \"write\", \"read\", 1]\n]}\n",
	       "4:5: transition 1: UNKNOWN states are never learned", "UNKNOWN");
	refuse(HEAD " \"transitions\": [\n    [\"read\", 1, \"read\", 1]\n]}\n",
	       "4:5: transition 1: syscall names must be strings", "number as name");
	refuse("{\"format\": \"syscfi-profil\", \"version\": 1}\n",
	       "1:2: \"format\" must be \"syscfi-profile\"", "wrong format");
	refuse("{\"format\": \"syscfi-profile\",\n \"version\": 3}\n",
	       "2:2: unsupported version 3 (this build reads 1 and 2)", "version 3");
	refuse("{\"format\": \"syscfi-profile\", \"version\": 1, \"arch\": \"arm64\"}\n",
	       "1:44: \"arch\" must be \"x86_64\" or \"i386\"", "unknown arch");
	refuse("{\"format\": \"syscfi-profile\", \"version\": 1, \"arch\": \"x86_64\",\n"
	       "  \"depth\": 3}\n",
	       "2:3: \"depth\" must be an integer in 1..2", "depth 3");
	refuse(HEAD " \"window\": 0, \"transitions\": []}\n",
	       "3:2: \"window\" must be an integer in 1..64", "window 0");
	refuse(HEAD " \"window\": 65, \"transitions\": []}\n",
	       "3:2: \"window\" must be an integer in 1..64", "window 65");
	refuse("{\"format\": \"syscfi-profile\", \"version\": 1, \"arch\": \"x86_64\",\n"
	       "  \"depth\": 2, \"comm\": \"\"}\n",
	       "2:15: \"comm\" must be a string of 1 to 15 bytes", "empty comm");
	refuse("{\"format\": \"syscfi-profile\", \"version\": 1, \"arch\": \"x86_64\",\n"
	       "  \"depth\": 2, \"comm\": \"0123456789abcdef\"}\n",
	       "2:15: \"comm\" must be a string of 1 to 15 bytes", "16-byte comm");
	refuse(HEAD " \"threshold\": -1, \"transitions\": []}\n",
	       "3:2: \"threshold\" must be a non-negative number of bits",
	       "negative threshold");
	refuse(HEAD " \"exe\": \"bin/x\", \"transitions\": []}\n",
	       "3:2: \"exe\" must be an absolute path", "relative exe");
	refuse(HEAD " \"transition\": []}\n", "3:2: unknown key \"transition\"",
	       "unknown key");
	refuse(HEAD " \"stats\": {\"traces\": -1}, \"transitions\": []}\n",
	       "3:2: \"stats.traces\" must be a non-negative integer",
	       "negative stat");
	refuse(HEAD " \"exe\": \"/x\"}\n", "1:1: \"transitions\" must be an array",
	       "missing transitions");
	refuse("[1, 2]\n", "1:1: a profile is a JSON object", "not an object");
	refuse("", "1:0: '[' or '{' expected near end of file", "empty file");
	/* depth-1 rows have three elements */
	refuse("{\"format\": \"syscfi-profile\", \"version\": 1, \"comm\": \"t\",\n"
	       " \"arch\": \"x86_64\", \"depth\": 1,\n \"transitions\": [\n"
	       "    [\"read\", \"write\", \"close\", 1]\n]}\n",
	       "4:5: transition 1: expected [b, x, count] for a depth-1 profile",
	       "4-element row in a depth-1 profile");
	/* i386 names are checked against the i386 table */
	refuse("{\"format\": \"syscfi-profile\", \"version\": 1, \"comm\": \"t\",\n"
	       " \"arch\": \"i386\", \"depth\": 2,\n \"transitions\": [\n"
	       "    [\"read\", \"write\", \"arch_prctl\", 1],\n"
	       "    [\"read\", \"write\", \"newfstatat\", 1]\n]}\n",
	       "5:5: transition 2: unknown syscall name \"newfstatat\" for i386",
	       "x86_64-only name in an i386 profile");
}

static void test_merge_saturate(void)
{
	struct sc_profile *a = nginx(), *b = nginx(), *c;
	char err[512] = "", *text;

	sc_profile_add(b, 0, 1, 0, 4);	/* read write read: only in b */
	is(sc_profile_merge(a, b), 0, "merge");
	is(sc_profile_count(a, 0, 1, 3), 14, "merge adds counts: 7 + 7");
	is(sc_profile_count(a, 0, 1, 0), 4, "merge adds new transitions");
	is(a->ntrans, 5, "5 transitions after merge");
	is(a->traces, 6, "merge adds stats");
	c = sc_profile_new("other", SC_ARCH_X86_64, 2);
	is(sc_profile_merge(a, c), -1, "merge refuses another comm");
	sc_profile_free(c);
	c = sc_profile_new("nginx", SC_ARCH_X86_64, 1);
	is(sc_profile_merge(a, c), -1, "merge refuses another depth");
	sc_profile_free(c);

	sc_profile_add(a, 1, 2, 3, UINT64_MAX - 1);
	sc_profile_add(a, 1, 2, 3, 5);
	ok(sc_profile_count(a, 1, 2, 3) == UINT64_MAX, "counts saturate at UINT64_MAX");
	a->syscalls = UINT64_MAX;
	is(sc_profile_save(a, at("sat.json"), err, sizeof(err)), 0, "save saturated");
	text = slurp(at("sat.json"));
	ok(strstr(text, "[\"write\", \"open\", \"close\", 9223372036854775807]") != NULL,
	   "saturated counts are written as INT64_MAX, which jansson reads");
	free(text);
	c = sc_profile_load(at("sat.json"), err, sizeof(err));
	ok(c && sc_profile_count(c, 1, 2, 3) == INT64_MAX, "and read back (%s)", err);
	sc_profile_free(c);
	sc_profile_free(a);
	sc_profile_free(b);

	/* many transitions: the hash grows and keeps every count */
	a = sc_profile_new("big", SC_ARCH_X86_64, 2);
	for (unsigned i = 0; i < 20000; i++)
		sc_profile_add(a, i % 500, (i / 500) % 500, i % 7, i + 1);
	{
		int bad = 0;

		for (unsigned i = 0; i < 20000; i++)
			bad += sc_profile_count(a, i % 500, (i / 500) % 500, i % 7) != i + 1;
		is(a->ntrans, 20000, "20000 distinct transitions");
		is(bad, 0, "every count kept through growth");
	}
	sc_profile_free(a);
}

static void test_sets(void)
{
	struct sc_profile_set set = { 0 };
	char err[512] = "", want[512];
	char *paths[2];
	struct sc_profile *p;

	mkdir(at("set"), 0755);
	p = nginx();
	sc_profile_save(p, at("set/b.json"), err, sizeof(err));
	strcpy(p->comm, "alpha");
	sc_profile_save(p, at("set/a.json"), err, sizeof(err));
	put(at("set/notes.txt"), "not a profile");
	paths[0] = (char *)at("set");
	is(sc_profile_set_load(&set, paths, 1, err, sizeof(err)), 0,
	   "load a directory (%s)", err);
	is(set.n, 2, "two *.json profiles, other files ignored");
	ok(set.n == 2 && !strcmp(set.v[0]->comm, "alpha") &&
	   !strcmp(set.v[1]->comm, "nginx"), "sorted by file name");
	ok(sc_profile_set_find(&set, "nginx") == set.v[1], "find by comm");
	ok(sc_profile_set_find(&set, "nope") == NULL, "find unknown comm");
	{
		struct sc_profile *dup = nginx();

		is(sc_profile_set_add(&set, dup), -1, "set_add refuses a taken comm");
		sc_profile_free(dup);
	}
	sc_profile_set_free(&set);

	/* the same comm in two files names both */
	sc_profile_save(p, at("set/c.json"), err, sizeof(err));
	is(sc_profile_set_load(&set, paths, 1, err, sizeof(err)), -1,
	   "two profiles for one comm are refused");
	snprintf(want, sizeof(want), "%s: comm \"alpha\" is also the comm of %s",
		 at("set/c.json"), at("set/a.json"));
	is_str(err, want, "the message names both files");
	is(set.n, 0, "nothing loaded");
	unlink(at("set/c.json"));

	/* one bad file: all or nothing */
	paths[1] = (char *)at("bad2.json");
	put(paths[1], "{\"format\": 1}");
	is(sc_profile_set_load(&set, paths, 2, err, sizeof(err)), -1,
	   "a bad file fails the whole set");
	is(set.n, 0, "and leaves the set empty");
	snprintf(want, sizeof(want), "%s:1:2: \"format\" must be \"syscfi-profile\"",
		 paths[1]);
	is_str(err, want, "with the bad file's position");
	paths[1] = (char *)at("missing.json");
	is(sc_profile_set_load(&set, paths, 2, err, sizeof(err)), -1,
	   "a missing file fails the set");
	snprintf(want, sizeof(want), "%s: No such file or directory", paths[1]);
	is_str(err, want, "missing file message");
	/* files given one by one */
	paths[0] = (char *)at("set/b.json");
	paths[1] = (char *)at("d1.json");
	is(sc_profile_set_load(&set, paths, 2, err, sizeof(err)), 0,
	   "load two files (%s)", err);
	is(set.n, 2, "two profiles");
	sc_profile_set_free(&set);
	sc_profile_free(p);
}

static void test_comm(void)
{
	char comm[16];

	sc_comm_from_path("/usr/sbin/nginx", comm);
	is_str(comm, "nginx", "basename");
	sc_comm_from_path("nginx", comm);
	is_str(comm, "nginx", "no slash");
	sc_comm_from_path("/opt/x/a-very-long-program-name", comm);
	is_str(comm, "a-very-long-pro", "cut to 15 bytes");
	sc_comm_from_path("/bin/", comm);
	is_str(comm, "", "trailing slash gives an empty comm, as the kernel's");
}

/* a set is saved whole or not at all: one unwritable target leaves every
 * other file as it was, and no temporary behind */
static void test_save_all(void)
{
	struct sc_profile *a = sc_profile_new("alpha", SC_ARCH_X86_64, 2);
	struct sc_profile *b = sc_profile_new("beta", SC_ARCH_X86_64, 2);
	struct sc_profile *v[2] = { a, b };
	char *paths[2];
	char err[256], *before, *after, cmd[160];
	int rc;

	sc_profile_add(a, SC_START, 59, 12, 1);
	sc_profile_add(b, SC_START, 59, 9, 1);
	paths[0] = (char *)at("all-a.json");
	paths[1] = (char *)at("no-such-dir/all-b.json");
	is(sc_profile_save(a, paths[0], err, sizeof(err)), 0, "first version saved");
	before = slurp(paths[0]);
	sc_profile_add(a, 12, 9, 0, 5);
	is(sc_profile_save_all(v, paths, 2, err, sizeof(err)), -1,
	   "save_all fails when one target cannot be written");
	ok(strstr(err, "no-such-dir/all-b.json") != NULL, "the error names it: %s", err);
	after = slurp(paths[0]);
	is_str(after, before, "the other profile is untouched");
	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q '^\\.all-a'", dir);
	rc = system(cmd);
	ok(rc != 0, "no temporary left behind");
	paths[1] = (char *)at("all-b.json");
	is(sc_profile_save_all(v, paths, 2, err, sizeof(err)), 0, "both saved");
	free(after);
	after = slurp(paths[0]);
	ok(strcmp(after, before) != 0, "the first one now has the new counts");
	free(before);
	free(after);
	sc_profile_free(a);
	sc_profile_free(b);
}

/* the "io_uring" opcode set: written in opcode order, read back, merged,
 * and refused when a name is unknown or repeated */
static void test_uring(void)
{
	char err[512] = "", *text;
	struct sc_profile *p = sc_profile_new("ring", SC_ARCH_X86_64, 2), *q, *r;

	sc_profile_add(p, SC_START, 59, 425, 1);
	p->uring_ops = (1ull << 23) | (1ull << 22) | (1ull << 18);	/* WRITE READ OPENAT */
	is(sc_profile_save(p, at("ring.json"), err, sizeof(err)), 0, "save a set");
	text = slurp(at("ring.json"));
	ok(strstr(text, "\n  \"io_uring\": [\"OPENAT\", \"READ\", \"WRITE\"],\n") != NULL,
	   "written as names in opcode order");
	free(text);
	q = sc_profile_load(at("ring.json"), err, sizeof(err));
	ok(q && q->uring_ops == p->uring_ops, "read back (%s)", err);
	ok(sc_profile_makes(p, 425) && !sc_profile_makes(p, 426),
	   "sc_profile_makes: io_uring_setup, not io_uring_enter");
	r = sc_profile_new("ring", SC_ARCH_X86_64, 2);
	r->uring_ops = 1ull << 45;	/* SOCKET */
	ok(q && !sc_profile_merge(r, q) && r->uring_ops == (p->uring_ops | 1ull << 45),
	   "a merge is the union");
	sc_profile_free(p);
	sc_profile_free(q);
	sc_profile_free(r);
	refuse(HEAD " \"io_uring\": [\"READ\", \"READX\"], \"transitions\": []}\n",
	       "3:2: io_uring opcode 1: not an IORING_OP_ name without its prefix (\"READ\")",
	       "unknown opcode name");
	refuse(HEAD " \"io_uring\": \"READ\", \"transitions\": []}\n",
	       "3:2: \"io_uring\" must be an array of opcode names", "io_uring not an array");
}

/* exec edges: the file layout, a round trip, scopes on disk and in sets */
static void test_edges(void)
{
	struct sc_profile_set set = { 0 };
	struct sc_profile *p = nginx(), *sh, *q;
	char err[512] = "", *path, *paths[1];
	char *text;

	/* added out of order, one twice: sorted, one per path */
	sc_profile_add_edge(p, "/usr/bin/id", NULL);
	sc_profile_add_edge(p, "/bin/sh", "sh");
	sc_profile_add_edge(p, "/bin/sh", NULL);
	mkdir(at("e"), 0755);
	mkdir(at("e/nginx.d"), 0755);
	sc_profile_save(p, at("e/nginx.json"), err, sizeof(err));
	text = slurp(at("e/nginx.json"));
	ok(strstr(text, "  \"stats\": {\"traces\": 3, \"tasks\": 14, \"syscalls\": 120345},\n"
		  "  \"exec\": [\n"
		  "    {\"path\": \"/bin/sh\", \"profile\": \"sh\"},\n"
		  "    {\"path\": \"/usr/bin/id\", \"profile\": null}\n"
		  "  ],\n  \"transitions\": [\n") != NULL,
	   "edges sorted by path, one a line, before the transitions");
	free(text);
	q = sc_profile_load(at("e/nginx.json"), err, sizeof(err));
	ok(q && q->has_exec && q->nedges == 2 && !q->edges[0].handoff &&
	   !strcmp(q->edges[0].profile, "sh") && q->edges[1].handoff,
	   "edges read back (%s)", err);
	sc_profile_free(q);

	/* a set: the scope folder loads with its parent, bound to it */
	sh = sc_profile_new("sh", SC_ARCH_X86_64, 2);
	sh->has_exec = true;
	sc_profile_save(sh, at("e/nginx.d/sh.json"), err, sizeof(err));
	sc_profile_save(sh, at("e/sh.json"), err, sizeof(err));
	paths[0] = (char *)at("e");
	is(sc_profile_set_load(&set, paths, 1, err, sizeof(err)), 0,
	   "a folder with a scope folder loads (%s)", err);
	is(set.n, 3, "parent, its scoped sh and a top-level sh");
	q = sc_profile_set_find(&set, "nginx");
	ok(q && q->edges[0].child && q->edges[0].child->parent == q &&
	   sc_profile_set_find(&set, "sh") != q->edges[0].child,
	   "the edge names the scoped sh, not the top-level one");
	ok(q && q->edges[0].child &&
	   !strcmp(sc_profile_label(q->edges[0].child), "nginx/sh"),
	   "a scoped profile's label is parent/comm");
	path = q && q->edges[0].child ? sc_profile_file("D", q->edges[0].child) : NULL;
	is_str(path ? path : "", "D/nginx.d/sh.json", "its file under DIR");
	free(path);
	sc_profile_set_free(&set);

	/* a file given alone brings its scope folder; a missing target fails */
	paths[0] = (char *)at("e/nginx.json");
	is(sc_profile_set_load(&set, paths, 1, err, sizeof(err)), 0,
	   "a file with a scope folder loads (%s)", err);
	is(set.n, 2, "with its scoped profile");
	sc_profile_set_free(&set);
	unlink(at("e/nginx.d/sh.json"));
	is(sc_profile_set_load(&set, paths, 1, err, sizeof(err)), -1,
	   "an edge to a profile its scope lacks is refused");
	ok(strstr(err, "nginx.json: exec edge /bin/sh names profile \"sh\"") != NULL,
	   "naming the file and the edge: %s", err);
	is(set.n, 0, "nothing loaded");
	sc_profile_free(sh);
	sc_profile_free(p);
}

int main(void)
{
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/sc-test-profile.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_refusals();
	test_merge_saturate();
	test_sets();
	test_comm();
	test_save_all();
	test_uring();
	test_edges();
	rc = tap_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	while (nnames)
		free(names[--nnames]);
	return rc;
}
