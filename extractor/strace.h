/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Streaming strace parser: one line in, one classified record out, no
 * allocation per line.  Covers what strace 5.x/6.x writes with -f, -ff,
 * -t/-tt/-ttt/-r, -T, -i, -y/-yy, -k, -s, -v, -X: see strace.c.
 */
#ifndef SC_STRACE_H
#define SC_STRACE_H

#include <stddef.h>
#include <pthread.h>
#include <stdio.h>

enum sc_line_type {
	SC_LINE_SKIP = 0,	/* blank, -k stack frame, strace notice */
	SC_LINE_SYSCALL,	/* complete call: name(args) = ret */
	SC_LINE_UNFINISHED,	/* name(args <unfinished ...> */
	SC_LINE_RESUMED,	/* <... name resumed>rest = ret */
	SC_LINE_SIGNAL,		/* --- SIGCHLD {...} --- */
	SC_LINE_EXITED,		/* +++ exited with N +++ / +++ killed by SIG +++ */
	SC_LINE_SUPERSEDED,	/* +++ superseded by execve +++ */
	SC_LINE_ATTACHED,	/* strace: Process N attached (pid = N) */
	SC_LINE_ERROR,		/* malformed: see reason */
};

#define SC_RET_NONE	0	/* no result on this line */
#define SC_RET_VALUE	1	/* = N (or = -1 ERRNO: value -1) */
#define SC_RET_UNKNOWN	2	/* = ? */

struct sc_line {
	int type;		/* enum sc_line_type */
	long pid;		/* -f / [pid N] prefix, -1 without one */
	const char *name;	/* syscall name in the line (not NUL-terminated) */
	unsigned namelen;
	long nr;		/* syscall number for the parser's arch, or the
				 * raw value of syscall_0x..., -1 if unknown */
	int ret_kind;		/* SC_RET_* */
	long ret;		/* result when ret_kind == SC_RET_VALUE; only
				 * exec and clone-family results are decoded
				 * (the rest read as 0: nothing uses them) */
	int cut;		/* line had no newline: cut short at EOF */
	/* execve/execveat: basename of the path argument, cut to 15 bytes */
	char comm[16];
	int has_comm;
	const char *reason;	/* SC_LINE_ERROR: why (static string) */
};

/*
 * Parse one line (without its newline; cut = it had none).  Never fails
 * hard: bad input comes back as SC_LINE_ERROR with a reason.
 */
void sc_strace_parse(const char *line, size_t len, int arch, int cut,
		     struct sc_line *out);

/*
 * Line reader.  A thread of its own reads 256 KiB blocks into a ring of
 * SC_READER_SLOTS, so copying out of the page cache runs beside the
 * parsing; lines are handed out in place (a line across two blocks is
 * joined in a side buffer).  Memory: the ring plus the longest line.
 */
#define SC_READER_SLOTS	4

struct sc_rslot {
	char *data;
	size_t len;
	int full, eof, err;
};

struct sc_reader {
	int fd;
	unsigned long lineno;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sc_rslot slot[SC_READER_SLOTS];
	unsigned cur;		/* slot being parsed */
	int have;		/* cur is filled and held by the parser */
	size_t pos;		/* next byte of cur */
	int stop, done;
	char *join;		/* a line that crossed a block boundary */
	size_t joinlen, joincap;
	int join_out;		/* join was handed out: reset on next call */
};

int sc_reader_open(struct sc_reader *r, const char *path);
/* next line (no newline); 1 = got one, 0 = end, -1 = read error (errno) */
int sc_reader_next(struct sc_reader *r, const char **line, size_t *len,
		   int *cut);
void sc_reader_close(struct sc_reader *r);

#endif
