// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one event formatter: the loader's events and extractor --check's
 * violations share names, number forms and escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event-fmt.h"
#include "syscalls.h"
#include "syscfi.h"
#include "tap.h"

static struct sc_event_view base(void)
{
	return (struct sc_event_view){
		.kind = SC_EV_UNSEEN_SYSCALL, .pid = 7, .comm = "a\xff\nb",
		.comm_len = SC_COMM_LEN, .profile = "p/q\x1b",
		.trans = { "read", "close", "clone" }, .ntrans = 3,
		.has_score = true, .score = 8.103881836, .threshold = -1,
		.score_sum = 66387, .arg = "/tmp/caf\xc3\xa9 x", .arg_len = 64,
	};
}

static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int main(void)
{
	struct sc_event_view k = base(), o = base();
	char *jk, *jo, line[512];
	const char *common, *lead = "{\"file\":\"t.syscall\",\"line\":34,\"event\":";

	k.time = "2026-11-27T19:08:40.561214Z";
	k.killed = true;
	k.tid = 8;
	o.file = "t.syscall";
	o.line = 34;
	jk = sc_event_json(&k);
	jo = sc_event_json(&o);
	if (!jk || !jo) {
		ok(0, "out of memory");
		return tap_done();
	}
	ok(ascii(jk), "kernel JSON is one line of ASCII: %s", jk);
	ok(ascii(jo), "replay JSON is one line of ASCII: %s", jo);
	ok(strstr(jk, "\"comm\":\"a\\uFFFD\\nb\"") != NULL,
	   "a byte that is not UTF-8 is U+FFFD, a newline \\n");
	ok(strstr(jk, "\"arg\":\"/tmp/caf\\u00E9 x\"") != NULL,
	   "a UTF-8 character is escaped, not replaced");
	ok(!strncmp(jk, "{\"time\":", 8) && strstr(jk, "\"action\":\"killed\",\"pid\":7,\"tid\":8,") &&
	   strstr(jk, "\"score_sum\":66387,\"cgroup\":0,\"dropped\":0,\"nsyscalls\":0}"),
	   "the kernel's fields, in the documented order");
	ok(!strncmp(jo, lead, strlen(lead)) &&
	   !strstr(jo, "\"time\"") && !strstr(jo, "\"action\"") && !strstr(jo, "\"cgroup\""),
	   "the replay leads with file and line, without the kernel's own fields");
	/* from "kind" to "score_sum", bar the kernel's ids, both read the same */
	common = "\"comm\":\"a\\uFFFD\\nb\",\"profile\":\"p/q\\u001B\","
		 "\"transition\":[\"read\",\"close\",\"clone\"],\"score\":8.103881836,"
		 "\"threshold\":null,\"arg\":\"/tmp/caf\\u00E9 x\",\"score_sum\":66387";
	ok(strstr(jk, common) && strstr(jo, common), "the same fields in the same form");
	free(jk);
	free(jo);

	sc_event_text(&k, line, sizeof(line));
	is_str(line, "2026-11-27T19:08:40.561214Z violation unseen-syscall killed "
	       "pid=7 tid=8 ppid=0 uid=0 comm=a\\xff\\nb profile=p/q\\x1b "
	       "transition=read,close,clone score=8.104 arg=/tmp/caf\\xc3\\xa9\\x20x",
	       "the kernel's text line, escaped");
	sc_event_text(&o, line, sizeof(line));
	is_str(line, "t.syscall:34: violation unseen-syscall pid=7 comm=a\\xff\\nb "
	       "profile=p/q\\x1b transition=read,close,clone score=8.104 "
	       "arg=/tmp/caf\\xc3\\xa9\\x20x",
	       "the replay's text line: the kernel's layout without its own fields");
	/* the same key=value fields, from comm= on, in both lines */
	{
		char kl[512];

		sc_event_text(&k, kl, sizeof(kl));
		ok(!strcmp(strstr(kl, " comm="), strstr(line, " comm=")),
		   "from comm= to the end, both lines read the same");
	}
	/* an exec kind in the replay: no transition, no score */
	o.kind = SC_EV_EXEC_UNEXPECTED;
	o.ntrans = 0;
	o.has_score = false;
	o.arg = "/bin/sh";
	o.arg_len = 7;
	sc_event_text(&o, line, sizeof(line));
	is_str(line, "t.syscall:34: violation exec-unexpected pid=7 comm=a\\xff\\nb "
	       "profile=p/q\\x1b arg=/bin/sh", "an exec: where, kind, task, path");
	/* a threshold is printed when the profile has one */
	k.threshold = 2.5;
	sc_event_text(&k, line, sizeof(line));
	ok(strstr(line, " score=8.104 threshold=2.500 arg=") != NULL,
	   "the threshold follows the score: %s", line);
	/* a line cut short stays a string */
	sc_event_text(&k, line, 20);
	ok(strlen(line) == 19, "a short buffer holds the start of the line");
	/* symbol names: one rule for both */
	{
		char b[32];

		is_str(sc_event_sym(SC_ARCH_X86_64, 0, b, sizeof(b)), "read", "a named syscall");
		is_str(sc_event_sym(SC_ARCH_X86_64, SC_START, b, sizeof(b)), "START", "a sentinel");
		is_str(sc_event_sym(SC_ARCH_X86_64, SC_ANY, b, sizeof(b)), "*", "the wildcard");
		is_str(sc_event_sym(SC_ARCH_X86_64, 600, b, sizeof(b)), "syscall_0x258",
		       "a number without a name");
	}
	return tap_done();
}
