/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-thread syscall sequences out of parsed strace lines, with the start
 * rules of design.md section 1: exec binds a new comm in (START, execve),
 * clone-family children inherit their parent's binding in (START, call),
 * tids never seen created start in (UNKNOWN, UNKNOWN).
 *
 * The sequencer only decides who did what and when a task starts; what a
 * syscall means (learning, checking, scoring) is up to the callbacks.
 */
#ifndef SC_SEQUENCE_H
#define SC_SEQUENCE_H

#include <stdint.h>

#include "replay.h"
#include "strace.h"

/* events buffered for a tid whose creation has not been seen yet; a
 * posix_spawn child makes ~130 calls before its parent's clone returns */
#define SC_SEQ_BUF	512

/* what a task runs under: set at exec, copied to children */
struct sc_seq_bind {
	int bound;		/* comm known */
	char comm[16];
	void *prof;		/* consumer's handle for comm (may be NULL) */
	uint32_t profile;	/* consumer's profile id (check/score) */
};

/* what a buffered event is */
#define SC_SEQ_EV_CALL		0	/* a syscall: nr; a successful
					 * sigaction: sig gets act */
#define SC_SEQ_EV_SIGNAL	1	/* a signal line: sig; nr = restart_nr */

struct sc_seq_ev {
	long nr;		/* as parsed (may be >= SC_NR_MAX) */
	unsigned long line;
	int16_t sig;
	uint8_t kind, act;
};

/*
 * Signal dispositions of one process (design.md, "Signals in a trace"):
 * shared by its threads and by CLONE_SIGHAND children, copied at fork.
 * act[sig] is an SC_ACT_* of strace.h (with SC_ACT_RESETHAND), or
 * SC_ACT_NOHANDLER: SIG_DFL or SIG_IGN, the trace cannot tell which (an
 * unknown disposition across an exec).
 */
#define SC_ACT_NOHANDLER	5

struct sc_sighand {
	unsigned refs;
	uint8_t act[SC_SIG_MAX + 1];
};

/* an entry of a chained hash table keyed by tid: the first member of a
 * task and of a link, so that one table implementation serves both */
struct sc_tidnode {
	long tid;
	struct sc_tidnode *next;
};

struct sc_tidmap {
	struct sc_tidnode **b;	/* mask + 1 chains */
	unsigned long mask, n;
};

struct sc_seq_task {
	struct sc_tidnode node;		/* first: tid and hash chain */
	const char *file;		/* trace file its lines come from */
	struct sc_seq_bind bind;
	/* consumer state */
	struct sc_core rs;		/* the step's state (build, check, score) */
	/* an <unfinished ...> call waiting for its result */
	int pending;
	long pend_nr;
	unsigned long pend_line;
	int pend_has_comm;
	char pend_comm[16];
	int pend_sig, pend_act, pend_cflags;	/* sigaction, clone arguments */
	/* signals */
	struct sc_sighand *sighand;	/* NULL: all unknown (not allocated) */
	long intr_nr;			/* the last call, interrupted, and no
					 * handler ran since (-1: none) */
	char pend_path[SC_EXEC_PATH_LEN];
	/* creation not seen yet: ring of the latest events */
	int linked;		/* creation seen, or never expected */
	int frozen;		/* exec'd while unlinked: buffer complete */
	int dead;		/* exited before being linked */
	unsigned nbuf;		/* events ever buffered (ring index) */
	char exec_comm[16];	/* comm of the exec ending the buffer */
	char exec_path[SC_EXEC_PATH_LEN];	/* and its path (strace.h) */
	struct sc_seq_ev *buf;	/* SC_SEQ_BUF entries, only while unlinked */
};

struct sc_seq_ops {
	/* a task starts under t->bind: state (START, call) */
	void (*start)(void *ctx, struct sc_seq_task *t, unsigned call);
	/* a task whose start was not seen: state (UNKNOWN, UNKNOWN) */
	void (*unknown)(void *ctx, struct sc_seq_task *t);
	/* one syscall (nr may be outside 0..511) of a bound task */
	void (*syscall)(void *ctx, struct sc_seq_task *t, long nr,
			const char *file, unsigned long line);
	/*
	 * t, bound as t->bind, exec'd comm successfully.  Called before the
	 * sequencer rebinds t (then start() follows), or with replay = 1
	 * when only the old image's side is wanted (a late-linked child).
	 * Returns the handle/id for comm through bind.  path: as exec'd,
	 * "" when the trace does not give it whole (struct sc_line).
	 */
	void (*exec)(void *ctx, struct sc_seq_task *t, const char *comm,
		     const char *path, const char *file, unsigned long line,
		     int replay, struct sc_seq_bind *newbind);
	/* a line the parser or the sequencer refuses */
	void (*error)(void *ctx, const char *file, unsigned long line,
		      const char *reason);
	/* a signal as the untraced kernel sees it in task t (docs/design.md, "Signals"):
	 * delivered = 1 if the untraced kernel would deliver it at all (signal_deliver fires),
	 * handler = 1 if it runs a handler (the step pushes a frame),
	 * restart_nr = the syscall it interrupted, which the kernel re-issues (or user space may
	 * retry), or -1 */
	void (*signal)(void *ctx, struct sc_seq_task *t, int signo, int delivered, int handler,
		       long restart_nr);
	/* t is gone (exit, a superseded thread, or the end of the trace),
	 * once; NULL: nothing to do */
	void (*exit)(void *ctx, struct sc_seq_task *t);
};

struct sc_link {
	struct sc_tidnode node;		/* first: tid and hash chain */
	struct sc_seq_bind bind;
	unsigned call;
	struct sc_sighand *sighand;	/* the child's (a reference), or NULL */
	/* the parent's open signal frames, which the child inherits */
	uint8_t nframes, lost;
	struct sc_frame frames[SC_FRAMES_MAX];
};

#define SC_SEQ_EXEC	1	/* execve, execveat */
#define SC_SEQ_CLONE	2	/* clone, clone3, fork, vfork */

struct sc_seq {
	const struct sc_seq_ops *ops;
	void *ctx;
	int arch;
	int nr_execve, nr_execveat, nr_clone, nr_clone3, nr_fork, nr_vfork;
	/* SC_SEQ_EXEC, SC_SEQ_CLONE by number: one load on every call */
	uint8_t call_kind[SC_NR_MAX];
	int nr_rt_sigreturn, nr_sigreturn;
	struct sc_tidmap tasks;
	struct sc_seq_task *last;	/* the previous line's task */
	struct sc_tidmap links;
	/* execve of a non-leader thread resumes in the leader's tid */
	int exec_valid;
	long exec_tid;
	char exec_comm[16];
	char exec_path[SC_EXEC_PATH_LEN];
	struct sc_seq_bind exec_bind;	/* binding of the thread that exec'd */
	unsigned long unknown_tids;	/* tasks fallen back to UNKNOWN */
	/* strace -f to a terminal/pipe prefixes lines only while several
	 * tasks run: lines without a pid belong to the only one left */
	int saw_prefix;
	long solo_tid;
	unsigned long ncalls;	/* syscall lines taken (not errors) */
};

int sc_seq_init(struct sc_seq *s, int arch, const struct sc_seq_ops *ops,
		void *ctx);
/*
 * Feed one parsed line.  default_tid is used for lines without a pid
 * (plain traces: 0; -ff files: the file's pid suffix).
 */
void sc_seq_line(struct sc_seq *s, const struct sc_line *l, long default_tid,
		 const char *file, unsigned long line);
/* child tid will appear created by call from a task bound as bind (-ff) */
int sc_seq_link(struct sc_seq *s, long tid, const struct sc_seq_bind *bind,
		unsigned call);
/* has tid been seen (and not exited) */
int sc_seq_known(const struct sc_seq *s, long tid);
/* is there a known link for tid (-ff ordering) */
int sc_seq_has_link(const struct sc_seq *s, long tid);
/* end of a trace: complete pending calls, drop everything */
void sc_seq_finish(struct sc_seq *s);

#endif
