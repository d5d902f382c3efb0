/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One violation, as the loader prints the kernel's events and as the
 * offline replay (extractor --check) prints its own: one JSON object a
 * line (design.md section 6), or one text line.  The fields are the same
 * by name and form; each side fills what it knows (the kernel has no
 * trace file, the replay no time, no action and no cgroup).
 */
#ifndef SC_EVENT_FMT_H
#define SC_EVENT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "table.h"

struct sc_event_view {
	const char *file;	/* replay: the trace and its line; NULL: kernel */
	unsigned long line;
	const char *time;	/* kernel: ISO 8601, UTC */
	uint32_t kind;		/* SC_EV_* */
	bool killed;		/* kernel: the action */
	long long pid;
	long long tid, ppid, uid;	/* kernel */
	const char *comm;	/* bytes as the task had them, up to comm_len */
	size_t comm_len;
	const char *profile;	/* its label ("parent/comm") */
	const char *trans[3];	/* a, b and x, by name */
	int ntrans;		/* 0 (none), 2 (an exec: the state) or 3 */
	bool has_score;		/* score, threshold and score_sum */
	double score;		/* bits per syscall */
	double threshold;	/* < 0: the profile has none */
	uint64_t score_sum;	/* the window's integer sum, for a to-the-bit match */
	const char *arg;	/* path, ip:port or opcode; NULL or "": none */
	size_t arg_len;
	uint64_t cgroup;	/* kernel */
	uint32_t dropped;
	uint64_t nsyscalls;
};

/* the JSON object, one line of ASCII without its newline (bad UTF-8 as
 * \ufffd, every non-ASCII character escaped); malloc'd, NULL on ENOMEM */
char *sc_event_json(const struct sc_event_view *v);
/* the text line without its newline: every byte of a name or path outside
 * printable ASCII escaped, so a line is one event and drives no terminal.
 * One layout for both: where, then "violation KIND", then key=value
 * fields; each side leaves out what it does not know.
 *   kernel: "TIME violation KIND ACTION pid=.. tid=.. ppid=.. uid=.. comm=..
 *            profile=.. transition=a,b,x score=.. [threshold=..] [arg=..]
 *            [dropped=..]"
 *   replay: "FILE:LINE: violation KIND pid=.. comm=.. profile=..
 *            [transition=a,b,x score=.. [threshold=..]] [arg=..]" */
void sc_event_text(const struct sc_event_view *v, char *buf, size_t len);
/* one symbol of a transition by name: the syscall's, the sentinel's,
 * "*" for the depth-1 wildcard, "syscall_0x.." for a number without one
 * (buf holds it) */
const char *sc_event_sym(int arch, unsigned nr, char *buf, size_t len);
/* a profile's threshold in bits per syscall, < 0 when it has none */
double sc_event_threshold(const struct sc_table *t, uint32_t id);

#endif
