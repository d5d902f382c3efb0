/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Streaming strace parser: one line in, one classified record out, no
 * allocation per line.  Covers what strace 5.x/6.x writes with -f, -ff,
 * -t/-tt/-ttt/-r, -T, -i, -y/-yy, -k, -s, -v, -X: see strace.c.
 */
#ifndef SC_STRACE_H
#define SC_STRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "syscfi.h"

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

/* a sigaction line's new action (sc_line.act): the kind, and a flag */
#define SC_ACT_NONE	0	/* none given (NULL), or not a sigaction line */
#define SC_ACT_DFL	1	/* SIG_DFL */
#define SC_ACT_IGN	2	/* SIG_IGN */
#define SC_ACT_HANDLER	3	/* a handler's address */
#define SC_ACT_UNKNOWN	4	/* given, but not decoded (-X raw, a bad pointer) */
#define SC_ACT_KIND	7	/* mask of the kind */
#define SC_ACT_RESETHAND 8	/* SA_RESETHAND (SA_ONESHOT, or the signal() call) */

/* a clone/clone3 line's flags (sc_line.cflags) */
#define SC_CLONE_KNOWN		1	/* flags= was read */
#define SC_CLONE_SIGHAND	2	/* CLONE_SIGHAND or CLONE_THREAD */
#define SC_CLONE_CLEAR_SIGHAND	4	/* CLONE_CLEAR_SIGHAND */

/* the last signal number strace names (SIGRT_32 on x86_64 and i386) */
#define SC_SIG_MAX	64

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
	/* the result says a signal interrupted the call: = ? ERESTARTSYS,
	 * ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK, = -1 EINTR */
	int intr;
	/* SC_LINE_SIGNAL: the signal (1..SC_SIG_MAX); a sigaction line
	 * (rt_sigaction, sigaction, signal) with a new action: its signal */
	int sig;
	int act;		/* sigaction lines: SC_ACT_*, on the line with the arguments */
	int cflags;		/* clone/clone3: SC_CLONE_*, on the line with the arguments */
	/* execve/execveat: basename of the path argument, cut to 15 bytes */
	char comm[16];
	int has_comm;
	/* with has_comm: the path argument as exec'd, "" when strace cut it
	 * ("..."), it is empty (execveat by fd) or too long for an exec edge */
	char path[SC_EXEC_PATH_LEN];
	const char *reason;	/* SC_LINE_ERROR: why (static string) */
};

/*
 * Parse one line (without its newline; cut = it had none).  Never fails
 * hard: bad input comes back as SC_LINE_ERROR with a reason.
 */
void sc_strace_parse(const char *line, size_t len, int arch, int cut,
		     struct sc_line *out);

/*
 * Line reader: read() into one buffer, lines handed out in place; a line
 * that does not end in the buffer is moved to its front before the next
 * read.  Memory: the buffer, which grows only to hold the longest line.
 * All of it runs on the caller's thread, as wc -l does: the parse costs
 * several times the copy out of the page cache, so a reading thread has
 * little to hide, and handing blocks between threads costs about as much.
 */

/* the read size; the fuzz build (Makefile FUZZ_CFLAGS) sets a small one:
 * lines then cross block boundaries even in short inputs, and each open
 * stays cheap */
#ifndef READ_CHUNK
#define READ_CHUNK	(256u << 10)
#endif

struct sc_reader {
	int fd;
	unsigned long lineno;
	char *buf;
	size_t cap;		/* buf's size */
	size_t pos, len;	/* the lines not handed out yet */
	int eof, done;
};

int sc_reader_open(struct sc_reader *r, const char *path);
/* next line (no newline), valid until the next call; 1 = got one, 0 =
 * end, -1 = read error (errno) */
int sc_reader_next(struct sc_reader *r, const char **line, size_t *len,
		   int *cut);
void sc_reader_close(struct sc_reader *r);

/*
 * Parsed lines: the reader's lines through sc_strace_parse, with the
 * strace notices printed inside a line split off (the notice first, then
 * the line's two halves joined).
 */
struct sc_lines {
	struct sc_reader r;
	int arch;
	char *held;		/* the part of a line before a notice in it */
	size_t nheld, heldcap;
	int holding;		/* held waits for the line's second half */
	int end;		/* 1: end of file, -1: error err */
	int err;
};

int sc_lines_open(struct sc_lines *a, const char *path, int arch);
/*
 * The next line into *l (l->name points into the reader's buffer, until
 * the next call), its line number into *lineno, and into *warn whether it
 * is a line cut short at the end of the file and kept as a call, which the
 * caller is to report.  1 = a line, 0 = end, -1 = error (errno; ENOMEM:
 * no memory for a split line).  Every line read comes out before the
 * error.
 */
int sc_lines_next(struct sc_lines *a, struct sc_line *l,
		  unsigned long *lineno, int *warn);
void sc_lines_close(struct sc_lines *a);

#endif
