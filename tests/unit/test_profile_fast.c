// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sc_profile_load reads the transitions rows with its own small parser and
 * leaves everything unusual to jansson.  These files sit on the border
 * between the two: each must load (with the right counts) or be refused
 * exactly as strict JSON says, whichever path reads it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syscfi.h"
#include "profile.h"
#include "syscalls.h"
#include "tap.h"

static char path[64];
static char err[512];

#define HEAD "{\"format\": \"syscfi-profile\", \"version\": 1, \"comm\": \"f\", " \
	     "\"arch\": \"x86_64\", \"depth\": 2, "

/* x86_64 numbers */
enum { READ = 0, MMAP = 9, BRK = 12, EXECVE = 59 };

static struct sc_profile *load_text(const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
	err[0] = '\0';
	return sc_profile_load(path, err, sizeof(err));
}

/* loads, and (a, b, x) has count want */
static void loads(const char *text, unsigned a, unsigned b, unsigned x,
		  uint64_t want, size_t ntrans, const char *what)
{
	struct sc_profile *p = load_text(text);

	if (!ok(p && sc_profile_count(p, a, b, x) == want && p->ntrans == ntrans,
		"loads: %s", what)) {
		if (p)
			printf("#   count %llu, %zu transitions\n",
			       (unsigned long long)sc_profile_count(p, a, b, x),
			       p->ntrans);
		else
			printf("#   %s\n", err);
	}
	sc_profile_free(p);
}

/* refused, and the reason mentions word */
static void refused(const char *text, const char *word, const char *what)
{
	struct sc_profile *p = load_text(text);

	if (!ok(!p && strstr(err, word) && !strncmp(err, path, strlen(path)),
		"refused: %s", what))
		printf("#   %s\n", p ? "(loaded)" : err);
	sc_profile_free(p);
}

/* a profile with every field the tools write, saved by sc_profile_save
 * and loaded back: the fast reader takes it, and what it reads is what
 * was saved; a row jansson must unescape is read by jansson alone */
static void files_take_the_fast_path(void)
{
	struct sc_profile *p = sc_profile_new("f\xc3\xa9", SC_ARCH_X86_64, 2), *q;
	uint64_t set[SC_NR_MAX / 64] = { 0 };
	unsigned long before;

	set[MMAP / 64] |= 1ull << (MMAP % 64);
	if (!p || sc_profile_set_transparent(p, set) ||
	    sc_profile_add(p, EXECVE, BRK, MMAP, 3) ||
	    sc_profile_add(p, SC_START, EXECVE, BRK, 1) ||
	    sc_profile_add_edge(p, "/bin/t\"x", NULL) ||
	    sc_profile_add_edge(p, "/bin/y", "y")) {
		ok(0, "building a profile");
		return;
	}
	p->has_exec = true;
	p->exe = strdup("/usr/bin/f");
	p->has_threshold = true;
	p->threshold = 2.5;
	p->uring_ops = 3;
	sc_profile_add_transparent(p, MMAP, 4);
	err[0] = 0;
	ok(!sc_profile_save(p, path, err, sizeof(err)), "saved %s", err);
	before = sc_profile_fast_loads();
	q = sc_profile_load(path, err, sizeof(err));
	is(sc_profile_fast_loads() - before, 1, "a saved profile takes the fast reader");
	ok(q && q->ntrans == 2 && sc_profile_count(q, EXECVE, BRK, MMAP) == 3 &&
	   q->nedges == 2 && q->threshold == 2.5 && q->tcount[MMAP] == 4 &&
	   !strcmp(q->comm, p->comm), "and reads back what was saved");
	sc_profile_free(q);
	sc_profile_free(p);
	before = sc_profile_fast_loads();
	loads(HEAD "\"transitions\": [[\"\\u0072ead\", \"brk\", \"mmap\", 5]]}",
	      READ, BRK, MMAP, 5, 1, "an escaped name, by jansson");
	is(sc_profile_fast_loads() - before, 0, "an escaped name is jansson's");
}

int main(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/sc-test-fast.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);

	loads("{\"format\":\"syscfi-profile\",\"version\":1,\"comm\":\"f\","
	      "\"arch\":\"x86_64\",\"depth\":2,\"transitions\":"
	      "[[\"START\",\"execve\",\"brk\",1],[\"execve\",\"brk\",\"mmap\",2]]}",
	      EXECVE, BRK, MMAP, 2, 2, "compact, no whitespace");
	loads(HEAD "\"transitions\":\t[\r\n\t[ \"execve\" ,\"brk\",\r\n \"mmap\" , 7 ]"
	      "\r\n]\r\n}\r\n", EXECVE, BRK, MMAP, 7, 1, "tabs and CRLF");
	loads("{\"transitions\": [[\"execve\", \"brk\", \"mmap\", 3]], "
	      "\"format\": \"syscfi-profile\", \"version\": 1, \"comm\": \"f\", "
	      "\"arch\": \"x86_64\", \"depth\": 2}",
	      EXECVE, BRK, MMAP, 3, 1, "transitions before the other keys");
	loads("{\"format\": \"syscfi-profile\", \"version\": 1, "
	      "\"comm\": \"transitions\", \"arch\": \"x86_64\", \"depth\": 2, "
	      "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 4]]}",
	      EXECVE, BRK, MMAP, 4, 1, "a comm named \"transitions\"");
	refused(HEAD "\"stats\": {\"transitions\": [1]}, \"transitions\": []}",
		"stats.transitions", "a nested key named transitions");
	loads(HEAD "\"transitions\": [ ]}", EXECVE, BRK, MMAP, 0, 0,
	      "an empty array with a space");
	loads(HEAD "\"transitions\": [[\"\\u0072ead\", \"brk\", \"mmap\", 5]]}",
	      READ, BRK, MMAP, 5, 1, "an escaped name (\\u0072ead = read)");
	loads(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", -0]]}",
	      EXECVE, BRK, MMAP, 0, 1, "count -0 is the integer 0");
	loads(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", "
	      "9223372036854775807]]}", EXECVE, BRK, MMAP,
	      (uint64_t)INT64_MAX, 1, "count INT64_MAX");
	loads(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 0]]}",
	      EXECVE, BRK, MMAP, 0, 1, "count 0");

	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 01]]}",
		":1:", "a count with a leading zero");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1],]}",
		":1:", "a trailing comma");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1]],"
		" \"transitions\": []}", "duplicate", "two transitions keys");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", "
		"9223372036854775808]]}", ":1:", "a count above INT64_MAX");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1e3]]}",
		"count", "a count written as a real");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\" 1]]}",
		":1:", "a missing comma inside a row");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1]"
		" [\"brk\", \"mmap\", \"read\", 1]]}", ":1:",
		"a missing comma between rows");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1]]",
		":1:", "the object never closes");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1],"
		"[\"execve\", \"brk\", \"mmap\", 2]]}", "duplicate",
		"a duplicate row");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"Mmap\", 1]]}",
		"Mmap", "names are case-sensitive");
	refused(HEAD "\"transitions\": [[\"execve\", \"brk\", \"mmap\", 1, 2]]}",
		"transition", "a row with 5 elements");
	refused(HEAD "\"transitions\": {\"a\": 1}}", "transitions",
		"transitions as an object");
	refused(HEAD "\"version\": 1, \"transitions\": []}", "duplicate",
		"a duplicate key outside the rows");
	files_take_the_fast_path();
	unlink(path);
	return tap_done();
}
