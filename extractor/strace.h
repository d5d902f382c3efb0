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
#include <pthread.h>
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
 * Line reader.  A thread of its own reads 256 KiB blocks into a ring of
 * SC_READER_SLOTS, so copying out of the page cache runs beside the
 * splitting and parsing (both on the parse-ahead thread below, in the
 * extractor); lines are handed out in place (a line across two blocks is
 * joined in a side buffer).  Memory: the ring plus the longest line.
 */
#define SC_READER_SLOTS	4

/* the block size; the fuzz build (Makefile FUZZ_CFLAGS) sets a small one:
 * lines then cross block boundaries even in short inputs, and each open
 * stays cheap.  Blocks in flight stay in L2 (256 KiB); larger ones made
 * the copy out of the page cache miss it. */
#ifndef READ_CHUNK
#define READ_CHUNK	(256u << 10)
#endif

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

/*
 * Parse-ahead: a thread of its own takes the lines from an sc_reader
 * (whose own thread reads the file), parses them, splits off the strace
 * notices printed inside a line, and hands the caller batches of parsed
 * records in file order, so that the caller (the sequencer) runs beside
 * the parsing: three threads in all.  A batch holds the records of about
 * a block's worth of lines; SC_AHEAD_BATCHES of them are in flight at
 * most, so memory stays bounded whatever the trace's length.  The thread
 * prints nothing: errors travel at the end of the last batch.
 *
 * A record is 16 bytes, not a whole struct sc_line (88) and its line
 * number: every record moves from one CPU's cache to the other's, and
 * with whole sc_lines the 500 MB bench trace took 0.26 s instead of
 * 0.245 s (before the streaming stores of strace.c).  The few lines whose
 * fields do not fit (exec and clone results, comms, errors, pids or
 * numbers past 32 bits, clone flags) keep their whole sc_line in the
 * batch's ext.  A sigaction's arguments fit in the record: a trace may be
 * a third rt_sigaction lines (posix_spawn resets every signal in the
 * child), and whole lines for those took the 500 MB bench trace from
 * 0.45 s to 0.9 s of CPU.
 * sc_ahead_line() gives a record back as an sc_line.
 */
#define SC_AHEAD_BATCHES	4

/* records a batch holds: about the lines of one block (the fuzz build's
 * small READ_CHUNK makes small batches, so that they turn over often) */
#ifndef AHEAD_RECS
#define AHEAD_RECS	(READ_CHUNK / 64)
#endif
/* lines kept whole: exec, clone and error lines are a few in a hundred */
#define AHEAD_EXT	(AHEAD_RECS / 8)

#define SC_REC_CUT	1	/* l.cut: the line had no newline */
#define SC_REC_WARN	2	/* cut short, kept as a call: the caller warns */
#define SC_REC_EXT	4	/* the line is ext[pid] */
#define SC_REC_INTR	8	/* l.intr */

struct sc_rec {
	uint32_t dline;		/* line number - the batch's line0 */
	uint8_t type;
	uint8_t ret_kind;	/* l.ret_kind | l.act << 4 */
	uint8_t flags;
	uint8_t sig;		/* l.sig */
	int32_t pid;		/* -1: none; SC_REC_EXT: index in ext */
	int32_t nr;
};

struct sc_batch {
	struct sc_rec *rec;
	size_t n;
	struct sc_line *ext;	/* name NULL: the line's bytes are gone */
	size_t next;
	unsigned long line0;
	int full;		/* filled, owned by the caller until released */
	int last;		/* no batch follows this one */
	int err;		/* last: the read failed with this errno */
	int nomem;		/* last: out of memory for a split line */
};

/* what one thread writes for every line stays off the other's cache lines
 * (two of them: the line next door is fetched along).  With the thread's
 * fields next to the caller's locals on its stack, the stage was slower
 * than none: 0.37 to 0.54 s against 0.31 s on the bench trace. */
#define SC_AHEAD_ALIGN	128

struct sc_ahead {
	/* the thread's own */
	struct sc_reader r;
	int arch;
	char *held;		/* the part of a line before a notice in it */
	size_t nheld, heldcap;
	int holding;		/* held waits for the line's second half */
	/* both threads', under mu; a batch's header is written only as it
	 * changes hands */
	pthread_mutex_t mu __attribute__((aligned(SC_AHEAD_ALIGN)));
	pthread_cond_t cv;
	int stop;
	struct sc_batch b[SC_AHEAD_BATCHES];
	/* the caller's own */
	pthread_t thread __attribute__((aligned(SC_AHEAD_ALIGN)));
	int started, inited;
	unsigned cur;		/* batch the caller holds or waits for */
	int have;		/* cur is handed out */
	int done;
} __attribute__((aligned(SC_AHEAD_ALIGN)));

int sc_ahead_open(struct sc_ahead *a, const char *path, int arch);
/*
 * The next batch, in file order (waits for it); the one handed out before
 * goes back to the thread.  NULL after the last.  Every record of a batch
 * comes before its error: the caller handles them, then looks at
 * last/err/nomem.
 */
const struct sc_batch *sc_ahead_next(struct sc_ahead *a);
/* stops the thread wherever it is (the caller may stop early) */
void sc_ahead_close(struct sc_ahead *a);

/* record i of b as the parser gave it (name NULL, namelen 0); returns
 * its line number; *warn: a cut line the caller is to report */
static inline unsigned long sc_ahead_line(const struct sc_batch *b, size_t i,
					  struct sc_line *l, int *warn)
{
	const struct sc_rec *x = &b->rec[i];

	*warn = x->flags & SC_REC_WARN;
	if (x->flags & SC_REC_EXT) {
		*l = b->ext[x->pid];
		return b->line0 + x->dline;
	}
	l->type = x->type;
	l->pid = x->pid;
	l->name = NULL;
	l->namelen = 0;
	l->nr = x->nr;
	l->ret_kind = x->ret_kind & 15;
	l->ret = 0;
	l->cut = x->flags & SC_REC_CUT;
	l->intr = !!(x->flags & SC_REC_INTR);
	l->sig = x->sig;
	l->act = x->ret_kind >> 4;
	l->cflags = 0;
	l->has_comm = 0;
	l->reason = NULL;
	return b->line0 + x->dline;
}

#endif
