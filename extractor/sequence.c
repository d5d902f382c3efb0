// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Trace sequencer: turns parsed strace lines into per-thread events.
 *
 * Two orders make this harder than a dictionary of tids:
 *  - with -f, a child's first lines often come before the parent's clone
 *    result (always so for vfork: the parent resumes after the child's
 *    exec).  Such a tid is "unlinked": its events go to a bounded ring
 *    until the clone result names it, then they are replayed under the
 *    parent's binding; a ring that overflowed replays as an UNKNOWN start.
 *    An unlinked tid's exec cannot wait for the link (its new image's
 *    binding is an edge of the parent's profile): the parent is the one
 *    task of the file with a process-creating call in flight, if there is
 *    only one (parent_in_flight), else the exec binds as a top-level one.
 *  - an unfinished call's result comes lines later, possibly on another
 *    tid (a non-leader thread's execve resumes in the leader).
 * Memory: one record per live (or exited but unlinked) thread and per
 * announced child not yet seen; nothing grows with the trace's length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sequence.h"
#include "syscalls.h"

#define HASH_INIT	64
#define LINKS_MAX	(1ul << 16)	/* children announced but never traced */

static unsigned long tid_hash(long tid, unsigned long mask)
{
	return sc_hash((uint64_t)tid) & mask;
}

static int map_init(struct sc_tidmap *m)
{
	m->mask = HASH_INIT - 1;
	m->n = 0;
	m->b = calloc(HASH_INIT, sizeof(*m->b));
	return m->b ? 0 : -1;
}

/* nr (-1: the arch has no such call) is of kind SC_SEQ_* */
static void mark_call(struct sc_seq *s, int nr, uint8_t kind)
{
	if (nr >= 0 && nr < SC_NR_MAX)
		s->call_kind[nr] |= kind;
}

int sc_seq_init(struct sc_seq *s, int arch, const struct sc_seq_ops *ops,
		void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->arch = arch;
	s->nr_execve = sc_syscall_nr(arch, "execve");
	s->nr_execveat = sc_syscall_nr(arch, "execveat");
	s->nr_clone = sc_syscall_nr(arch, "clone");
	s->nr_clone3 = sc_syscall_nr(arch, "clone3");
	s->nr_fork = sc_syscall_nr(arch, "fork");
	s->nr_vfork = sc_syscall_nr(arch, "vfork");
	s->nr_rt_sigreturn = sc_syscall_nr(arch, "rt_sigreturn");
	s->nr_sigreturn = sc_syscall_nr(arch, "sigreturn");
	mark_call(s, s->nr_execve, SC_SEQ_EXEC);
	mark_call(s, s->nr_execveat, SC_SEQ_EXEC);
	mark_call(s, s->nr_clone, SC_SEQ_CLONE);
	mark_call(s, s->nr_clone3, SC_SEQ_CLONE);
	mark_call(s, s->nr_fork, SC_SEQ_CLONE);
	mark_call(s, s->nr_vfork, SC_SEQ_CLONE);
	if (map_init(&s->tasks) || map_init(&s->links)) {
		free(s->tasks.b);
		free(s->links.b);
		return -1;
	}
	return 0;
}

/* ---- signal dispositions (design.md, "Signals in a trace") --------------- */

#define SIG_KILL	9
#define SIG_STOP	19

/* a table with every signal at act (SC_ACT_UNKNOWN: nothing known) */
static struct sc_sighand *sighand_new(uint8_t act)
{
	struct sc_sighand *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	h->refs = 1;
	memset(h->act, act, sizeof(h->act));
	return h;
}

static void sighand_put(struct sc_sighand *h)
{
	if (h && !--h->refs)
		free(h);
}

static struct sc_sighand *sighand_ref(struct sc_sighand *h)
{
	if (h)
		h->refs++;
	return h;
}

/* a private copy of h (NULL: unknown); reset: as exec leaves it, every
 * handler back to SIG_DFL, SIG_IGN kept, unknown ones known not to be
 * handlers */
static struct sc_sighand *sighand_copy(const struct sc_sighand *h, int reset)
{
	struct sc_sighand *c = sighand_new(SC_ACT_UNKNOWN);

	if (!c)
		return NULL;
	if (h)
		memcpy(c->act, h->act, sizeof(c->act));
	if (!reset)
		return c;
	for (int i = 1; i <= SC_SIG_MAX; i++) {
		int k = c->act[i] & SC_ACT_KIND;

		c->act[i] = k == SC_ACT_HANDLER ? SC_ACT_DFL :
			    k == SC_ACT_UNKNOWN ? SC_ACT_NOHANDLER : (uint8_t)k;
	}
	return c;
}

/* t's table, made on first need: a task starts with nothing known */
static struct sc_sighand *task_sighand(struct sc_seq_task *t)
{
	if (!t->sighand)
		t->sighand = sighand_new(SC_ACT_UNKNOWN);
	return t->sighand;
}

/* t exec'd: its process gets a table of its own (a CLONE_SIGHAND sharer
 * that is not a thread keeps the old one), reset */
static void sighand_exec(struct sc_seq_task *t)
{
	struct sc_sighand *n = sighand_copy(t->sighand, 1);

	sighand_put(t->sighand);
	t->sighand = n;
}

/* a successful sigaction of t: signal sig gets act (SIGKILL and SIGSTOP
 * cannot change: the kernel refuses, so such a line is never a success) */
static void sighand_set(struct sc_seq_task *t, int sig, int act)
{
	struct sc_sighand *h = task_sighand(t);

	if (h && sig >= 1 && sig <= SC_SIG_MAX && sig != SIG_KILL &&
	    sig != SIG_STOP)
		h->act[sig] = (uint8_t)act;
}

/* signals whose default action is to ignore: the kernel drops them at
 * sending (SIGCONT's own effect happens there too) */
static int default_ignored(int sig)
{
	return sig == 17 /* SIGCHLD */ || sig == 18 /* SIGCONT */ ||
	       sig == 23 /* SIGURG */ || sig == 28 /* SIGWINCH */;
}

/* what the untraced kernel does with signal sig under table h: *delivered
 * and *handler; the disposition is returned */
static int verdict(const struct sc_sighand *h, int sig, int *delivered,
		   int *handler)
{
	int act = h && sig >= 1 && sig <= SC_SIG_MAX ? h->act[sig] :
		  SC_ACT_UNKNOWN;

	if (sig == SIG_KILL || sig == SIG_STOP)
		act = SC_ACT_DFL;	/* cannot be caught nor ignored */
	switch (act & SC_ACT_KIND) {
	case SC_ACT_HANDLER:
		*delivered = *handler = 1;
		break;
	case SC_ACT_IGN:
		*delivered = *handler = 0;
		break;
	case SC_ACT_UNKNOWN:
		*delivered = 1;
		*handler = !default_ignored(sig);
		break;
	default:	/* SIG_DFL, or SC_ACT_NOHANDLER taken as SIG_DFL */
		*delivered = !default_ignored(sig);
		*handler = 0;
		break;
	}
	return act;
}

/* signal sig shown for t: what the untraced kernel does with it; returns
 * whether a handler runs */
static int deliver(struct sc_seq *s, struct sc_seq_task *t, int sig,
		   long restart_nr)
{
	int delivered, handler;
	int act = verdict(t->sighand, sig, &delivered, &handler);

	if (handler && (act & SC_ACT_RESETHAND))
		t->sighand->act[sig] = SC_ACT_DFL;
	if (t->bind.bound && s->ops->signal)
		s->ops->signal(s->ctx, t, sig, delivered, handler,
			       restart_nr);
	return handler;
}

/* ---- the two hash tables (tasks, links): chained, doubled at load 1 ----- */

/* the pointer that links tid's entry into its chain, or the chain's end */
static struct sc_tidnode **map_slot(const struct sc_tidmap *m, long tid)
{
	struct sc_tidnode **pp = &m->b[tid_hash(tid, m->mask)];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->next;
	return pp;
}

static void map_grow(struct sc_tidmap *m)
{
	unsigned long nmask = m->mask * 2 + 1;
	struct sc_tidnode **nb = calloc(nmask + 1, sizeof(*nb));

	if (!nb)
		return;		/* longer chains, still correct */
	for (unsigned long i = 0; i <= m->mask; i++) {
		struct sc_tidnode *e = m->b[i], *next;

		for (; e; e = next) {
			unsigned long h = tid_hash(e->tid, nmask);

			next = e->next;
			e->next = nb[h];
			nb[h] = e;
		}
	}
	free(m->b);
	m->b = nb;
	m->mask = nmask;
}

/* link e under e->tid, in front of any older entry of that tid */
static void map_put(struct sc_tidmap *m, struct sc_tidnode *e)
{
	struct sc_tidnode **head;

	if (m->n >= m->mask + 1)
		map_grow(m);
	head = &m->b[tid_hash(e->tid, m->mask)];
	e->next = *head;
	*head = e;
	m->n++;
}

/* unlink e itself (not merely an entry of its tid); 0 if it was not there */
static int map_unlink(struct sc_tidmap *m, struct sc_tidnode *e)
{
	struct sc_tidnode **pp = &m->b[tid_hash(e->tid, m->mask)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (!*pp)
		return 0;
	*pp = e->next;
	m->n--;
	return 1;
}

/* a task or a link from its node, the first member of both */
static struct sc_seq_task *task_of(struct sc_tidnode *e)
{
	return (struct sc_seq_task *)e;
}

/* inline: every line asks, and mostly for the previous line's task */
static inline __attribute__((always_inline)) struct sc_seq_task *
task_find(const struct sc_seq *s, long tid)
{
	if (s->last && s->last->node.tid == tid)
		return s->last;	/* runs of lines from one thread are common */
	return task_of(*map_slot(&s->tasks, tid));
}

static void task_remove(struct sc_seq *s, struct sc_seq_task *t)
{
	if (s->ops->exit)
		s->ops->exit(s->ctx, t);
	if (s->last == t)
		s->last = NULL;
	map_unlink(&s->tasks, &t->node);
	sighand_put(t->sighand);
	free(t->buf);
	free(t);
}

static struct sc_link *link_take(struct sc_seq *s, long tid)
{
	struct sc_tidnode *e = *map_slot(&s->links, tid);

	if (e)
		map_unlink(&s->links, e);
	return (struct sc_link *)e;
}

static void links_clear(struct sc_seq *s)
{
	for (unsigned long i = 0; i <= s->links.mask; i++) {
		struct sc_tidnode *e = s->links.b[i], *next;

		for (; e; e = next) {
			next = e->next;
			sighand_put(((struct sc_link *)e)->sighand);
			free(e);
		}
		s->links.b[i] = NULL;
	}
	s->links.n = 0;
}

int sc_seq_known(const struct sc_seq *s, long tid)
{
	const struct sc_seq_task *t = task_find(s, tid);

	return t && !t->dead;
}

int sc_seq_has_link(const struct sc_seq *s, long tid)
{
	return *map_slot(&s->links, tid) != NULL;
}

/* as sc_seq_link, handing the child sighand (a reference, or NULL) */
static int link_put(struct sc_seq *s, long tid, const struct sc_seq_bind *bind,
		    unsigned call, struct sc_sighand *sighand)
{
	struct sc_link *l = link_take(s, tid);	/* a reused pid replaces */

	if (l)
		sighand_put(l->sighand);
	else
		l = malloc(sizeof(*l));
	if (!l) {
		sighand_put(sighand);
		return -1;
	}
	if (s->links.n >= LINKS_MAX)
		links_clear(s);	/* children that were never traced */
	l->node.tid = tid;
	l->bind = *bind;
	l->call = call;
	l->sighand = sighand;
	l->nframes = 0;
	l->lost = 0;
	memset(l->frames, 0, sizeof(l->frames));
	map_put(&s->links, &l->node);
	return 0;
}

int sc_seq_link(struct sc_seq *s, long tid, const struct sc_seq_bind *bind,
		unsigned call)
{
	return link_put(s, tid, bind, call, NULL);
}

/* a child forked inside a signal handler returns through it: it starts
 * with its parent's open frames (sc_core_fork in bpf/sc_step.h) */
static void inherit_frames(struct sc_core *child, uint8_t nframes,
			   uint8_t lost, const struct sc_frame *frames)
{
	child->nframes = nframes;
	child->lost = lost;
	memcpy(child->frames, frames, sizeof(child->frames));
}

/* ---- tasks ---------------------------------------------------------------- */

static struct sc_seq_task *task_new(struct sc_seq *s, long tid,
				    const char *file)
{
	struct sc_seq_task *t = calloc(1, sizeof(*t));
	struct sc_link *l;

	if (!t)
		return NULL;
	t->node.tid = tid;
	t->file = file;
	t->intr_nr = -1;
	map_put(&s->tasks, &t->node);

	l = link_take(s, tid);
	if (l) {
		t->linked = 1;
		t->sighand = l->sighand;
		t->bind = l->bind;
		if (t->bind.bound) {
			s->ops->start(s->ctx, t, l->call);
			inherit_frames(&t->rs, l->nframes, l->lost, l->frames);
		}
		free(l);
	}
	return t;
}

static struct sc_seq_task *task_get(struct sc_seq *s, long tid,
				    const char *file)
{
	struct sc_seq_task *t = task_find(s, tid);

	if (t && t->dead) {	/* pid reused before anyone linked the old one */
		task_remove(s, t);
		t = NULL;
	}
	return t ? t : task_new(s, tid, file);
}

static int is_clone(const struct sc_seq *s, long nr)
{
	return nr >= 0 && nr < SC_NR_MAX && (s->call_kind[nr] & SC_SEQ_CLONE);
}

static int is_exec(const struct sc_seq *s, long nr)
{
	return nr >= 0 && nr < SC_NR_MAX && (s->call_kind[nr] & SC_SEQ_EXEC);
}

/*
 * buffer one event of an unlinked task (the ring keeps the latest).  The
 * buffer grows 4, 8, ... SC_SEQ_BUF as nbuf reaches each size: most
 * unlinked tids make a few calls, and a trace of many of them (strace -p
 * of a busy server) would otherwise cost 12 KiB a tid.
 */
static void buffer(struct sc_seq_task *t, int kind, long nr,
		   unsigned long line, int sig, int act)
{
	struct sc_seq_ev *ev;
	unsigned n = t->nbuf;

	if (n < SC_SEQ_BUF && (n == 0 || (n >= 4 && !(n & (n - 1))))) {
		struct sc_seq_ev *nb = realloc(t->buf, (n ? 2 * n : 4) *
					       sizeof(*t->buf));

		if (!nb)
			return;
		t->buf = nb;
	}
	ev = &t->buf[n % SC_SEQ_BUF];
	ev->nr = nr;
	ev->line = line;
	ev->kind = (uint8_t)kind;
	ev->sig = (int16_t)sig;
	ev->act = (uint8_t)act;
	t->nbuf++;
}

static void task_free(struct sc_seq_task *t)
{
	sighand_put(t->sighand);
	free(t->buf);
	free(t);
}

/*
 * The clone result naming child arrived: replay what it did before its
 * creation was known, under the parent's binding, with the dispositions
 * it got from its parent (sighand, a reference) and its own sigactions
 * on top.  Its exec (if any) already rebound it; the replay only covers
 * the old image.
 */
static void link_late(struct sc_seq *s, struct sc_seq_task *child,
		      const struct sc_seq_bind *bind, unsigned call,
		      struct sc_sighand *sighand,
		      const struct sc_core *parent)
{
	struct sc_seq_task *tmp = NULL, *run = child;
	unsigned n = child->nbuf > SC_SEQ_BUF ? SC_SEQ_BUF : child->nbuf;
	unsigned first = child->nbuf - n;

	if (child->frozen) {
		/* exec'd already: replay the old image on a scratch copy */
		tmp = malloc(sizeof(*tmp));
		if (!tmp) {
			sighand_put(sighand);
			return;
		}
		memcpy(tmp, child, sizeof(*tmp));
		run = tmp;
	} else {
		sighand_put(child->sighand);
	}
	run->sighand = sighand;
	run->bind = *bind;
	run->linked = 1;
	if (bind->bound) {
		if (child->nbuf > SC_SEQ_BUF) {
			s->unknown_tids++;
			s->ops->unknown(s->ctx, run);
		} else {
			s->ops->start(s->ctx, run, call);
			inherit_frames(&run->rs, parent->nframes, parent->lost,
				       parent->frames);
		}
	}
	for (unsigned i = first; child->buf && i < child->nbuf; i++) {
		const struct sc_seq_ev *ev = &child->buf[i % SC_SEQ_BUF];

		if (ev->kind == SC_SEQ_EV_SIGNAL) {
			deliver(s, run, ev->sig, ev->nr);
			continue;
		}
		if (ev->act)
			sighand_set(run, ev->sig, ev->act);
		if (!bind->bound)
			continue;
		s->ops->syscall(s->ctx, run, ev->nr, child->file, ev->line);
		if (child->frozen && i + 1 == child->nbuf) {
			struct sc_seq_bind nb;

			s->ops->exec(s->ctx, run, child->exec_comm,
				     child->exec_path, child->file, ev->line, 1, &nb);
		}
	}
	if (tmp) {
		/* what the exec kept of the old image's dispositions, where
		 * the child has not set its own since */
		struct sc_sighand *h = child->sighand, *old = tmp->sighand;

		for (int i = 1; h && i <= SC_SIG_MAX; i++)
			if (h->act[i] == SC_ACT_NOHANDLER && old &&
			    (old->act[i] & SC_ACT_KIND) != SC_ACT_UNKNOWN)
				h->act[i] = (old->act[i] & SC_ACT_KIND) ==
					    SC_ACT_IGN ? SC_ACT_IGN : SC_ACT_DFL;
		sighand_put(old);
	}
	free(tmp);
	child->linked = 1;
	child->nbuf = 0;
	free(child->buf);
	child->buf = NULL;
}

/* what the sequencer reads of a call's arguments (from the line that
 * shows them: the call's own, or its unfinished half) */
struct call_args {
	const char *comm;	/* exec: the new comm, or NULL */
	const char *path;	/* exec: the path as exec'd (with comm) */
	int sig, act;		/* sigaction: SC_ACT_* for sig */
	int cflags;		/* clone, clone3: SC_CLONE_* */
};

/* the dispositions a child of t's clone-family call nr starts with (a
 * reference): shared with CLONE_SIGHAND (threads), else a copy; flags
 * not read count as a copy */
static struct sc_sighand *child_sighand(struct sc_seq *s,
					struct sc_seq_task *t, long nr,
					int cflags)
{
	if ((nr == s->nr_clone || nr == s->nr_clone3) &&
	    (cflags & SC_CLONE_SIGHAND))
		return sighand_ref(task_sighand(t));
	return sighand_copy(t->sighand, cflags & SC_CLONE_CLEAR_SIGHAND);
}

/*
 * The parent of t, a task not linked yet, when the trace can tell: a
 * task's creation is printed before the child's first line, so an
 * unlinked child's parent is a task whose clone-family call is still in
 * flight (its result not printed yet).  strace -f may print a vfork or
 * posix_spawn child's finished execve before that result.  The parent
 * is the one task of t's file with a process-creating call in flight;
 * NULL when there is none, or more than one.
 */
static struct sc_seq_task *parent_in_flight(const struct sc_seq *s,
					    const struct sc_seq_task *t)
{
	struct sc_seq_task *found = NULL;

	for (unsigned long i = 0; i <= s->tasks.mask; i++) {
		for (struct sc_tidnode *e = s->tasks.b[i]; e; e = e->next) {
			struct sc_seq_task *p = task_of(e);

			if (p == t || !p->pending || !is_clone(s, p->pend_nr) ||
			    (p->pend_cflags & SC_CLONE_SIGHAND) ||
			    p->file != t->file || (!p->linked && !p->frozen))
				continue;
			if (found)
				return NULL;
			found = p;
		}
	}
	return found;
}

/* a complete syscall of t (result known or not) */
static void complete(struct sc_seq *s, struct sc_seq_task *t, long nr,
		     int ret_kind, long ret, const struct call_args *args,
		     const char *file, unsigned long line)
{
	const char *comm = args->comm, *path = args->path;
	int exec_ok = is_exec(s, nr) && ret_kind == SC_RET_VALUE && ret == 0 &&
		      comm;
	/* rt_sigaction, sigaction: 0; signal: the old handler; -1: failed */
	int act_ok = args->act && ret_kind == SC_RET_VALUE && ret != -1;

	if (exec_ok && !t->linked && !t->frozen) {
		/* the new image's binding depends on the parent's (an exec
		 * edge): link t now if the trace tells its parent */
		struct sc_seq_task *p = parent_in_flight(s, t);

		if (p)
			link_late(s, t, &p->bind, (unsigned)p->pend_nr,
				  child_sighand(s, p, p->pend_nr, p->pend_cflags),
				  &p->rs);
	}
	if (act_ok)
		sighand_set(t, args->sig, args->act);
	if (exec_ok)
		sighand_exec(t);
	if (!t->linked && !t->frozen) {
		buffer(t, SC_SEQ_EV_CALL, nr, line, act_ok ? args->sig : 0,
		       act_ok ? args->act : 0);
		if (exec_ok) {
			/* the new image's binding is known without the link */
			struct sc_seq_bind nb;
			struct sc_seq_task tmp = *t;

			t->frozen = 1;
			memcpy(t->exec_comm, comm, 16);
			snprintf(t->exec_path, sizeof(t->exec_path), "%s", path);
			tmp.bind.bound = 0;
			s->ops->exec(s->ctx, &tmp, comm, path, file, line, 0, &nb);
			t->bind = nb;
			s->ops->start(s->ctx, t, (unsigned)nr);
		}
	} else {
		if (t->bind.bound)
			s->ops->syscall(s->ctx, t, nr, file, line);
		if (exec_ok) {
			struct sc_seq_bind nb;

			s->ops->exec(s->ctx, t, comm, path, file, line, 0, &nb);
			t->bind = nb;
			s->ops->start(s->ctx, t, (unsigned)nr);
		}
	}
	if (is_clone(s, nr) && ret_kind == SC_RET_VALUE && ret > 0) {
		struct sc_seq_task *child = task_find(s, ret);

		if (!t->linked && !t->frozen) {
			/* parent's own binding unknown: child is unknown too */
			if (!child)
				child = task_new(s, ret, file);
			return;
		}
		if (child && !child->linked) {
			link_late(s, child, &t->bind, (unsigned)nr,
				  child_sighand(s, t, nr, args->cflags), &t->rs);
			if (child->dead)
				task_remove(s, child);
		} else if (!child &&
			   !link_put(s, ret, &t->bind, (unsigned)nr,
				     child_sighand(s, t, nr, args->cflags))) {
			struct sc_link *l = (struct sc_link *)*map_slot(&s->links, ret);

			l->nframes = t->rs.nframes;
			l->lost = t->rs.lost;
			memcpy(l->frames, t->rs.frames, sizeof(l->frames));
		}
	}
}

/*
 * complete() of most calls, in short: a call of a linked task that
 * neither execs, clones nor sets a signal action (act: its SC_ACT_*).
 * 0 when the call is not one of those: complete() is then the one.
 */
static inline __attribute__((always_inline)) int
complete_plain(struct sc_seq *s, struct sc_seq_task *t, long nr, int act,
	       const char *file, unsigned long line)
{
	if ((!t->linked && !t->frozen) || act ||
	    ((unsigned long)nr < SC_NR_MAX && s->call_kind[nr]))
		return 0;
	if (t->bind.bound)
		s->ops->syscall(s->ctx, t, nr, file, line);
	return 1;
}

/* complete() of a syscall line's call, with the arguments it shows */
static void complete_line(struct sc_seq *s, struct sc_seq_task *t,
			  const struct sc_line *l, const char *file,
			  unsigned long line)
{
	struct call_args a = { l->has_comm ? l->comm : NULL,
			       l->has_comm ? l->path : NULL, l->sig, l->act,
			       l->cflags };

	complete(s, t, l->nr, l->ret_kind, l->ret, &a, file, line);
}

/* the arguments of t's pending call */
static struct call_args pend_args(const struct sc_seq_task *t)
{
	struct call_args a = {
		t->pend_has_comm ? t->pend_comm : NULL,
		t->pend_has_comm ? t->pend_path : NULL,
		t->pend_sig, t->pend_act, t->pend_cflags,
	};

	return a;
}

static void flush_pending(struct sc_seq *s, struct sc_seq_task *t)
{
	if (!t->pending)
		return;
	struct call_args none = { NULL, NULL, 0, 0, 0 };

	t->pending = 0;
	complete(s, t, t->pend_nr, SC_RET_NONE, 0, &none, t->file,
		 t->pend_line);
}

static void task_exit(struct sc_seq *s, struct sc_seq_task *t)
{
	flush_pending(s, t);
	if (!t->linked && t->nbuf > 0 && t->nbuf <= SC_SEQ_BUF) {
		t->dead = 1;	/* keep: its parent's clone result may follow */
		return;
	}
	task_remove(s, t);
}

/* the call of a syscall line with a result, if a signal interrupted it;
 * never a sigreturn, whose result is the one of the call it returns to */
static long interrupted(const struct sc_seq *s, const struct sc_line *l)
{
	if (!l->intr || l->nr == s->nr_rt_sigreturn || l->nr == s->nr_sigreturn)
		return -1;
	return l->nr;
}

/* the one live task, for unprefixed lines after prefixed ones */
static long solo_tid(struct sc_seq *s, long fallback)
{
	struct sc_seq_task *t = task_find(s, s->solo_tid), *found = NULL;

	if (t && !t->dead)
		return t->node.tid;
	for (unsigned long i = 0; i <= s->tasks.mask; i++)
		for (struct sc_tidnode *e = s->tasks.b[i]; e; e = e->next) {
			if (task_of(e)->dead)
				continue;
			if (found)
				return fallback;	/* several: cannot tell */
			found = task_of(e);
		}
	if (!found)
		return fallback;
	s->solo_tid = found->node.tid;
	return found->node.tid;
}

/* the first prefixed line names the root, known so far as default_tid */
static void name_root(struct sc_seq *s, long default_tid, long tid)
{
	struct sc_seq_task *t = task_find(s, default_tid);

	if (!t || t->dead || tid == default_tid || task_find(s, tid) ||
	    sc_seq_has_link(s, tid))
		return;
	map_unlink(&s->tasks, &t->node);
	t->node.tid = tid;
	map_put(&s->tasks, &t->node);
}

void sc_seq_line(struct sc_seq *s, const struct sc_line *l, long default_tid,
		 const char *file, unsigned long line)
{
	long tid = l->pid >= 0 ? l->pid : default_tid;
	struct sc_seq_task *t;

	switch (l->type) {
	case SC_LINE_SKIP:
		return;
	case SC_LINE_ATTACHED:
		/* a new child (or an attached pid): never the unprefixed root */
		if (!task_find(s, l->pid))
			task_new(s, l->pid, file);
		return;
	case SC_LINE_ERROR:
		s->ops->error(s->ctx, file, line, l->reason);
		return;
	default:
		break;
	}
	if ((l->type == SC_LINE_SYSCALL || l->type == SC_LINE_UNFINISHED ||
	     l->type == SC_LINE_RESUMED) && l->nr < 0) {
		s->ops->error(s->ctx, file, line, "unknown syscall name");
		return;
	}
	if (l->type == SC_LINE_SYSCALL || l->type == SC_LINE_UNFINISHED ||
	    l->type == SC_LINE_RESUMED)
		s->ncalls++;
	if (l->pid >= 0 && !s->saw_prefix) {
		s->saw_prefix = 1;
		name_root(s, default_tid, l->pid);
	} else if (l->pid < 0 && s->saw_prefix) {
		tid = solo_tid(s, default_tid);
	}
	t = task_get(s, tid, file);
	if (!t)
		return;
	s->last = t;
	switch (l->type) {
	case SC_LINE_SIGNAL: {
		/* the call just before, if this signal interrupted it.  A
		 * handler's frame sets the registers the next signal sees
		 * (ax 0: no call); a signal without one leaves them, as the
		 * kernel's get_signal() takes the next in the same loop (and
		 * the untraced kernel never saw an undelivered one) */
		long restart_nr = t->intr_nr;
		int delivered, handler;

		if (!t->linked && !t->frozen) {
			/* told at the link; the table there may differ */
			buffer(t, SC_SEQ_EV_SIGNAL, restart_nr, line, l->sig, 0);
			verdict(t->sighand, l->sig, &delivered, &handler);
		} else {
			handler = deliver(s, t, l->sig, restart_nr);
		}
		if (handler)
			t->intr_nr = -1;
		break;
	}
	case SC_LINE_SYSCALL:
		flush_pending(s, t);
		t->intr_nr = interrupted(s, l);
		if (!complete_plain(s, t, l->nr, l->act, file, line))
			complete_line(s, t, l, file, line);
		break;
	case SC_LINE_UNFINISHED:
		flush_pending(s, t);
		t->intr_nr = -1;
		t->pending = 1;
		t->pend_nr = l->nr;
		t->pend_line = line;
		t->pend_has_comm = l->has_comm;
		t->pend_sig = l->sig;
		t->pend_act = l->act;
		t->pend_cflags = l->cflags;
		if (l->has_comm) {
			memcpy(t->pend_comm, l->comm, 16);
			memcpy(t->pend_path, l->path, sizeof(t->pend_path));
		}
		if (is_exec(s, l->nr) && l->has_comm) {
			s->exec_valid = 1;
			s->exec_tid = tid;
			memcpy(s->exec_comm, l->comm, 16);
			memcpy(s->exec_path, l->path, sizeof(s->exec_path));
			s->exec_bind = t->bind;
			if (!t->linked && !t->frozen)
				s->exec_bind.bound = 0;
		}
		break;
	case SC_LINE_RESUMED:
		if (t->pending && t->pend_nr == l->nr) {
			struct call_args a = pend_args(t);

			if (l->ret_kind == SC_RET_NONE && !l->cut)
				break;	/* resumed, then unfinished again */
			t->pending = 0;
			t->intr_nr = interrupted(s, l);
			if (complete_plain(s, t, l->nr, a.act, file,
					   t->pend_line))
				break;
			complete(s, t, l->nr, l->ret_kind, l->ret, &a, file,
				 t->pend_line);
			break;
		}
		if (!t->pending && is_exec(s, l->nr) && s->exec_valid &&
		    s->exec_tid != tid) {
			/* a non-leader's execve, finishing in the leader */
			struct sc_seq_task *o = task_find(s, s->exec_tid);
			char comm[16];

			memcpy(comm, s->exec_comm, 16);
			s->exec_valid = 0;
			if (o && o->pending) {
				o->pending = 0;
				if (o->bind.bound && (o->linked || o->frozen))
					s->ops->syscall(s->ctx, o, o->pend_nr,
							file, o->pend_line);
			}
			if (l->ret_kind == SC_RET_VALUE && l->ret == 0) {
				struct sc_seq_bind nb;
				struct sc_seq_task tmp = *t;

				tmp.bind = s->exec_bind;
				s->ops->exec(s->ctx, &tmp, comm, s->exec_path,
					     file, line, 0,
					     &nb);
				/* the thread group's table, as the thread that
				 * exec'd had it */
				if (o && o != t && o->sighand) {
					sighand_put(t->sighand);
					t->sighand = sighand_ref(o->sighand);
				}
				sighand_exec(t);
				t->intr_nr = -1;
				t->bind = nb;
				t->linked = 1;
				t->frozen = 1;
				t->pending = 0;
				s->ops->start(s->ctx, t, (unsigned)l->nr);
			}
			break;
		}
		s->ops->error(s->ctx, file, line, t->pending ?
			      "resumed call does not match the unfinished one" :
			      "resumed call without an unfinished one");
		flush_pending(s, t);
		break;
	case SC_LINE_EXITED:
		task_exit(s, t);
		break;
	case SC_LINE_SUPERSEDED:
		/* its pending execve finishes in the leader's tid */
		if (t->pending && is_exec(s, t->pend_nr) && s->exec_valid &&
		    s->exec_tid == tid) {
			if (t->bind.bound && (t->linked || t->frozen))
				s->ops->syscall(s->ctx, t, t->pend_nr, file,
						t->pend_line);
			t->pending = 0;
		}
		task_exit(s, t);
		break;
	}
}

void sc_seq_finish(struct sc_seq *s)
{
	for (unsigned long i = 0; i <= s->tasks.mask; i++) {
		struct sc_tidnode *e = s->tasks.b[i], *next;

		for (; e; e = next) {
			next = e->next;
			if (!task_of(e)->dead)
				flush_pending(s, task_of(e));
			if (s->ops->exit)
				s->ops->exit(s->ctx, task_of(e));
			task_free(task_of(e));
		}
	}
	links_clear(s);
	free(s->tasks.b);
	free(s->links.b);
	s->last = NULL;
	s->tasks.b = NULL;
	s->links.b = NULL;
}
