// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The build, replay and signal-dump consumers of the sequencer, and the
 * traces that feed them (run.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event-fmt.h"
#include "replay.h"
#include "run.h"
#include "score.h"
#include "strace.h"
#include "syscalls.h"
#include "syscfi.h"

void die_oom(void)
{
	fprintf(stderr, "extractor: out of memory\n");
	exit(2);
}

static void line_error(struct ctx *c, const char *file, unsigned long line,
		       const char *reason)
{
	c->malformed++;
	if (!c->quiet)
		fprintf(stderr, "extractor: %s:%lu: %s\n", file, line, reason);
}

/* ---- build: learning transitions ------------------------------------------ */

/* the format version and transparent set a new profile is learned
 * with: those of the file it will be merged into, if there is one (a merge needs the same), else version 2 with --transparent's set */
static void learn_format(const struct ctx *c, struct sc_profile *p)
{
	struct sc_profile *old = NULL;
	char *path, err[512];

	if (c->outdir && (path = sc_profile_file(c->outdir, p))) {
		if (!access(path, F_OK))
			old = sc_profile_load(path, err, sizeof(err));
		free(path);
	}
	if (old && old->version < 2) {
		sc_profile_free(old);
		return;		/* stays version 1 */
	}
	if (sc_profile_set_transparent(p, old ? old->transparent : c->transparent))
		die_oom();
	sc_profile_free(old);	/* a bad file is reported when merging */
}

/* the profile of comm, top level or scoped under parent; a profile built
 * from strace is edge-checked (design.md section 2), a numeric trace
 * has no execs to learn from */
static struct sc_profile *build_profile(struct ctx *c, struct sc_profile *parent,
					const char *comm)
{
	struct sc_profile *p = sc_profile_set_find_in(&c->set, parent, comm);

	if (p)
		return p;
	p = sc_profile_new(comm, c->arch, c->depth);
	if (!p)
		die_oom();
	p->parent = parent;
	learn_format(c, p);
	p->has_exec = c->format == F_STRACE;
	if (sc_profile_set_add(&c->set, p))
		die_oom();
	if (c->set.n > c->last_cap) {
		size_t ncap = c->set.n * 2;

		c->last_trace = realloc(c->last_trace, ncap * sizeof(*c->last_trace));
		if (!c->last_trace)
			die_oom();
		memset(c->last_trace + c->last_cap, 0,
		       (ncap - c->last_cap) * sizeof(*c->last_trace));
		c->last_cap = ncap;
	}
	return p;
}

static size_t profile_index(const struct ctx *c, const struct sc_profile *p)
{
	for (size_t i = 0; i < c->set.n; i++)
		if (c->set.v[i] == p)
			return i;
	return 0;
}

/* the learner's settings of profile p: version 2 steps with its
 * transparent set and signal frames */
static uint32_t learn_flags(const struct sc_profile *p)
{
	return p && p->version >= 2 ? SC_PF_V2 : 0;
}

static void b_start(void *ctx, struct sc_seq_task *t, unsigned call)
{
	struct ctx *c = ctx;
	struct sc_profile *p = t->bind.prof;
	size_t i;

	sc_learn_start(&t->rs, call, learn_flags(p), p ? p->transparent : NULL);
	if (!p)
		return;
	p->tasks++;
	i = profile_index(c, p);
	if (c->last_trace[i] != c->trace_id) {
		c->last_trace[i] = c->trace_id;
		p->traces++;
	}
}

static void b_unknown(void *ctx, struct sc_seq_task *t)
{
	struct sc_profile *p = t->bind.prof;

	b_start(ctx, t, SC_UNKNOWN);
	sc_learn_unknown(&t->rs, learn_flags(p), p ? p->transparent : NULL);
}

static void b_syscall(void *ctx, struct sc_seq_task *t, long nr,
		      const char *file, unsigned long line)
{
	struct ctx *c = ctx;
	struct sc_profile *p = t->bind.prof;
	struct sc_verdict v;

	(void)file;
	(void)line;
	if (!p)
		return;
	if (nr < 0 || nr >= SC_NR_MAX) {
		c->skipped_nr++;	/* not in the alphabet: nothing to learn */
		return;
	}
	p->syscalls++;
	sc_task_learn(&t->rs, nr, &v);
	if (v.learn && sc_profile_add(p, v.a, v.b, v.x, 1))
		die_oom();
	if (sc_learn_transparent(&v))
		sc_profile_add_transparent(p, v.x, 1);
}

/* scope folders above p */
static int scope_depth(const struct sc_profile *p)
{
	int d = 0;

	for (; p->parent; p = p->parent)
		d++;
	return d;
}

static void b_exec(void *ctx, struct sc_seq_task *t, const char *comm,
		   const char *path, const char *file, unsigned long line,
		   int replay, struct sc_seq_bind *nb)
{
	struct sc_profile *parent = t->bind.bound ? t->bind.prof : NULL;
	struct ctx *c = ctx;

	(void)file;
	(void)line;
	if (replay)
		return;
	memset(nb, 0, sizeof(*nb));
	nb->bound = 1;
	memcpy(nb->comm, comm, 16);
	if (!t->bind.bound) {
		nb->prof = build_profile(c, NULL, comm);
		return;
	}
	/* a descendant of a profiled program that could not be learned
	 * (below) learns nothing, and above all no top-level profile */
	if (!parent)
		return;
	/* a program a profiled one execs: an edge, and a profile scoped
	 * under the exec'ing one, never a top-level profile of its own */
	if (sc_edge_path_refused(path)) {
		c->exec_unkeyed++;
		return;
	}
	if (scope_depth(parent) >= SC_SCOPE_DEPTH_MAX) {
		c->exec_deep++;
		return;
	}
	nb->prof = build_profile(c, parent, comm);
	if (sc_profile_add_edge(parent, path, comm))
		die_oom();
}

/* ---- check / score: the replay -------------------------------------------- */

/* one violation, as text or JSON (mode --check only), in the loader's
 * fields and form */
static void report(struct ctx *c, const struct sc_seq_task *t, int kind,
		   const struct sc_verdict *r, long nr, const char *arg,
		   const char *file, unsigned long line)
{
	const struct sc_profile *p = t->bind.profile ?
		c->set.v[t->bind.profile - 1] : NULL;
	struct sc_event_view v = {
		.file = file, .line = line, .kind = (uint32_t)kind,
		.pid = t->node.tid, .comm = t->bind.comm,
		.comm_len = sizeof(t->bind.comm),
		.profile = p ? sc_profile_label(p) : "",
		.arg = arg, .arg_len = arg ? strlen(arg) : 0,
	};
	char names[3][32], text[8192], *s;

	c->violations++;
	if (c->mode != M_CHECK)
		return;
	if (r) {
		v.trans[0] = sc_event_sym(c->arch, r->a, names[0], 32);
		v.trans[1] = sc_event_sym(c->arch, r->b, names[1], 32);
		v.trans[2] = sc_event_sym(c->arch, r->x, names[2], 32);
		/* a number outside the table: the number itself, as the
		 * kernel's unknown-syscall names it */
		if (r->x == SC_ANY && nr >= 0) {
			snprintf(names[2], sizeof(names[2]), "syscall_0x%lx",
				 (unsigned long)nr);
			v.trans[2] = names[2];
		}
		v.ntrans = 3;
		/* score_sum: the window's integer sum, as the kernel's events
		 * carry it, for a comparison to the bit */
		v.has_score = true;
		v.score = sc_task_score(&t->rs);
		v.threshold = sc_event_threshold(&c->table, t->bind.profile);
		v.score_sum = t->rs.score.sum;
	}
	if (c->json) {
		s = sc_event_json(&v);
		if (!s)
			die_oom();
		puts(s);
		free(s);
		return;
	}
	sc_event_text(&v, text, sizeof(text));
	puts(text);
}

/* --validate --target-fpr: one more window mean (1/256 bit) in the
 * histogram of profile ps */
static void hist_add(struct pstat *ps, uint32_t mean)
{
	if (!ps->hist)
		return;
	ps->hist[mean > SC_COST_CAP ? SC_COST_CAP : mean]++;
	ps->nwin++;
}

static void short_sample(struct smax *m, double mean)
{
	m->short_seen = 1;
	if (mean > m->short_best)
		m->short_best = mean;
}

/* the end of t's binding (exit, exec, the end of the trace): a binding
 * whose window never filled is judged on the mean of its costs, as the
 * kernel judges it (bpf/syscfi.h sc_score_short_sum): a sample of the
 * score, and an anomaly-score when above the threshold */
static void binding_end(struct ctx *c, struct sc_seq_task *t, const char *file,
			unsigned long line)
{
	const struct sc_core *st = &t->rs;
	struct pstat *ps;
	double mean;

	if (!t->bind.profile || !(st->flags & SC_TF_INFO))
		return;
	if (!sc_score_short_sum(&st->score, st->window))
		return;
	ps = &c->ps[t->bind.profile];
	mean = sc_task_score(st);
	short_sample(&ps->all, mean);
	if (!sc_score_calibrates(&st->score)) {
		ps->nfilled++;
	} else {
		short_sample(&ps->cal, mean);
		hist_add(ps, st->score.sum / st->score.fill);
	}
	if (sc_score_short_above(&st->score, st->window, st->thr_sum)) {
		struct sc_verdict r = { .a = st->a, .b = st->b, .x = SC_ANY };

		report(c, t, SC_EV_ANOMALY_SCORE, &r, -1, NULL, file, line);
	}
}

static void r_exit(void *ctx, struct sc_seq_task *t)
{
	struct ctx *c = ctx;

	binding_end(c, t, c->cur_trace, 0);
}

static void r_start(void *ctx, struct sc_seq_task *t, unsigned call)
{
	struct ctx *c = ctx;

	sc_task_start(&c->table, &t->rs, t->bind.profile, call);
	if (t->bind.profile)
		c->ps[t->bind.profile].touched = 1;
}

static void r_unknown(void *ctx, struct sc_seq_task *t)
{
	struct ctx *c = ctx;

	sc_task_unknown(&c->table, &t->rs, t->bind.profile);
	if (t->bind.profile)
		c->ps[t->bind.profile].touched = 1;
}

static void r_syscall(void *ctx, struct sc_seq_task *t, long nr,
		      const char *file, unsigned long line)
{
	struct ctx *c = ctx;
	struct sc_verdict r;
	struct pstat *ps;

	if (!t->bind.profile)
		return;
	ps = &c->ps[t->bind.profile];
	sc_task_step(&c->table, &t->rs, nr, 0, &r);
	if (r.kind) {
		if (r.kind == SC_EV_UNSEEN_TRANSITION ||
		    r.kind == SC_EV_UNSEEN_SYSCALL)
			ps->unseen++;
		report(c, t, r.kind, &r, nr, NULL, file, line);
	}
	if (r.anomaly)
		report(c, t, SC_EV_ANOMALY_SCORE, &r, nr, NULL, file, line);
	if (!r.checked)
		return;
	if (c->steps)
		fprintf(c->steps, "%s\t%s\t%ld\t%u\t%u\t%u\t%u\t%d\n",
			c->cur_trace,
			sc_profile_label(c->set.v[t->bind.profile - 1]),
			t->node.tid, r.a, r.b, r.x, r.cost,
			sc_table_guarded(&c->table, r.x));
	ps->cost_sum += r.cost;
	ps->ncost++;
	ps->window = c->table.info[t->bind.profile].window;
	if (t->rs.score.fill >= ps->window) {
		ps->all.full = 1;
		if (t->rs.score.sum > ps->all.max_sum)
			ps->all.max_sum = t->rs.score.sum;
		if (!sc_score_calibrates(&t->rs.score)) {
			ps->nfilled++;
			return;
		}
		ps->cal.full = 1;
		if (t->rs.score.sum > ps->cal.max_sum)
			ps->cal.max_sum = t->rs.score.sum;
		hist_add(ps, t->rs.score.sum / ps->window);
	}
}

/* id of a top-level profile by comm (scoped ones bind through edges) */
static uint32_t profile_id(const struct ctx *c, const char *comm)
{
	for (size_t i = 0; i < c->set.n; i++)
		if (!c->set.v[i]->parent && !strcmp(c->set.v[i]->comm, comm))
			return (uint32_t)i + 1;
	return 0;
}

/* id of a profile of the set */
static uint32_t id_of(const struct ctx *c, const struct sc_profile *p)
{
	for (size_t i = 0; i < c->set.n; i++)
		if (c->set.v[i] == p)
			return (uint32_t)i + 1;
	return 0;
}

/* the kernel's exec_by_edge: an edge-checked profile's exec binds the
 * target's scoped profile (0: handed over), or is exec-unexpected and
 * binds as an unprofiled task's would (top) */
static uint32_t r_exec_edge(struct ctx *c, const struct sc_seq_task *t,
			    uint32_t top, const char *comm, const char *path,
			    const char *file, unsigned long line)
{
	const struct sc_profile *pp = c->set.v[t->bind.profile - 1];
	const struct sc_exec_edge *e = sc_edge_path_refused(path) ? NULL :
		sc_profile_find_edge(pp, path);

	if (e)
		return e->handoff ? 0 : id_of(c, e->child);
	report(c, t, SC_EV_EXEC_UNEXPECTED, NULL, 0, path[0] ? path : comm,
	       file, line);
	return top;
}

static void r_exec(void *ctx, struct sc_seq_task *t, const char *comm,
		   const char *path, const char *file, unsigned long line,
		   int replay, struct sc_seq_bind *nb)
{
	struct ctx *c = ctx;
	uint32_t id = profile_id(c, comm);

	if (t->bind.bound && t->bind.profile &&
	    c->set.v[t->bind.profile - 1]->has_exec)
		id = r_exec_edge(c, t, id, comm, path, file, line);
	else if (t->bind.bound && t->bind.profile && !id)
		/* a profiled task escaping into a program without a profile */
		report(c, t, SC_EV_EXEC_UNPROFILED, NULL, 0, comm, file, line);
	if (t->bind.bound)
		binding_end(c, t, file, line);
	if (replay)
		return;
	memset(nb, 0, sizeof(*nb));
	nb->bound = 1;
	memcpy(nb->comm, comm, 16);
	nb->profile = id;
	nb->prof = id ? c->set.v[id - 1] : NULL;
}

static void s_error(void *ctx, const char *file, unsigned long line,
		    const char *reason)
{
	line_error(ctx, file, line, reason);
}

/* a signal line, for the learner and the replay alike: what the untraced
 * kernel's signal_deliver would give the step.  A signal the kernel never
 * delivers only makes strace's repeat of the call it interrupted a
 * re-issue: the untraced run makes that call once. */
static void t_signal(void *ctx, struct sc_seq_task *t, int signo,
		     int delivered, int handler, long restart_nr)
{
	(void)ctx;
	(void)signo;
	if (!t->bind.bound)
		return;
	if (delivered)
		sc_task_signal(&t->rs, handler, restart_nr);
	else if (restart_nr >= 0)
		sc_task_signal(&t->rs, 0, restart_nr);
}

const struct sc_seq_ops build_ops = {
	b_start, b_unknown, b_syscall, b_exec, s_error, t_signal, NULL,
};

/* --dump-signals: the sequencer's signal events, for checking by hand */
static void d_signal(void *ctx, struct sc_seq_task *t, int signo,
		     int delivered, int handler, long restart_nr)
{
	struct ctx *c = ctx;
	const char *r = restart_nr < 0 ? "-" :
		sc_syscall_name(c->arch, (int)restart_nr);

	printf("%ld\t%s\t%d\t%d\t%d\t%s\n", t->node.tid, t->bind.comm, signo,
	       delivered, handler, r ? r : "?");
}

static const struct sc_seq_ops dump_ops = {
	b_start, b_unknown, b_syscall, b_exec, s_error, d_signal, NULL,
};
const struct sc_seq_ops replay_ops = {
	r_start, r_unknown, r_syscall, r_exec, s_error, t_signal, r_exit,
};

/* ---- traces ------------------------------------------------------------------ */

/* one strace file into the sequencer */
static int feed_strace_file(struct ctx *c, struct sc_seq *s, const char *path,
			    long tid)
{
	struct sc_lines a;
	struct sc_line l;
	unsigned long line;
	int warn, rc;

	if (sc_lines_open(&a, path, c->arch) < 0) {
		fprintf(stderr, "extractor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((rc = sc_lines_next(&a, &l, &line, &warn)) > 0) {
		if (warn) {
			c->cut++;
			if (!c->quiet)
				fprintf(stderr, "extractor: %s:%lu: line cut "
					"short at end of file (kept as an "
					"unfinished call)\n", path, line);
		}
		sc_seq_line(s, &l, tid, path, line);
	}
	if (rc < 0 && errno == ENOMEM)
		die_oom();
	if (rc < 0)
		fprintf(stderr, "extractor: %s: %s\n", path, strerror(errno));
	sc_lines_close(&a);
	return rc;
}

/* numeric traces: "NR NR ..." (one task) or "PID NR" lines */
static int feed_numbers(struct ctx *c, struct sc_seq *s, const char *path)
{
	struct sc_reader r;
	struct sc_seq_bind bind;
	struct sc_line l;
	const char *line;
	size_t len;
	int cut, rc;

	memset(&bind, 0, sizeof(bind));
	bind.bound = 1;
	snprintf(bind.comm, sizeof(bind.comm), "%s", c->comm);
	if (c->mode == M_BUILD) {
		bind.prof = build_profile(c, NULL, bind.comm);
	} else {
		bind.profile = profile_id(c, bind.comm);
		bind.prof = bind.profile ? c->set.v[bind.profile - 1] : NULL;
	}
	if (sc_reader_open(&r, path) < 0) {
		fprintf(stderr, "extractor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.type = SC_LINE_SYSCALL;
	l.ret_kind = SC_RET_NONE;
	if (c->format == F_NUMBERS)
		sc_seq_link(s, 0, &bind, SC_START);
	while ((rc = sc_reader_next(&r, &line, &len, &cut)) > 0) {
		const char *p = line, *e = line + len;
		int field = 0;
		long v[2] = { -1, -1 };

		while (p < e) {
			char num[24], *end;
			const char *q;
			size_t n;

			while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
				p++;
			if (p == e)
				break;
			for (q = p; q < e && *q != ' ' && *q != '\t' && *q != '\r'; q++)
				;
			n = (size_t)(q - p);
			if (n >= sizeof(num))
				n = sizeof(num) - 1;
			memcpy(num, p, n);
			num[n] = '\0';
			errno = 0;
			v[field < 2 ? field : 1] = strtol(num, &end, 0);
			if (*end || errno || n == 0) {
				line_error(c, path, r.lineno, "not a number");
				field = -1;
				break;
			}
			p = q;
			if (c->format == F_NUMBERS && v[0] < 0) {
				line_error(c, path, r.lineno,
					   "negative syscall number");
			} else if (c->format == F_NUMBERS) {
				l.pid = 0;
				l.nr = v[0];
				sc_seq_line(s, &l, 0, path, r.lineno);
			} else if (++field > 2) {
				break;
			}
		}
		if (c->format != F_PID_NUMBERS || field == -1 ||
		    (field == 0 && p == e))
			continue;
		if (field != 2) {
			line_error(c, path, r.lineno, "expected \"PID NR\"");
			continue;
		}
		if (v[0] < 0) {
			line_error(c, path, r.lineno, "negative pid");
			continue;
		}
		if (v[1] < 0) {
			line_error(c, path, r.lineno, "negative syscall number");
			continue;
		}
		/* every pid is a task of its own, from (START, START) */
		if (!sc_seq_known(s, v[0]) && !sc_seq_has_link(s, v[0]))
			sc_seq_link(s, v[0], &bind, SC_START);
		l.pid = v[0];
		l.nr = v[1];
		sc_seq_line(s, &l, 0, path, r.lineno);
	}
	if (rc < 0)
		fprintf(stderr, "extractor: %s: %s\n", path, strerror(errno));
	sc_reader_close(&r);
	return rc;
}

static int cmp_pid(const void *l, const void *r)
{
	const long *a = l, *b = r;

	return *a < *b ? -1 : *a > *b;
}

/* -ff: feed parents before children, so every child finds its link */
static int feed_ff(struct ctx *c, struct sc_seq *s, const struct trace *tr)
{
	char *done = calloc(tr->n, 1);
	int rc = 0;

	if (!done)
		die_oom();
	for (size_t k = 0; k < tr->n && rc >= 0; k++) {
		size_t pick = tr->n;

		for (size_t i = 0; i < tr->n && pick == tr->n; i++)
			if (!done[i] && sc_seq_has_link(s, tr->pids[i]))
				pick = i;
		for (size_t i = 0; i < tr->n && pick == tr->n; i++)
			if (!done[i])
				pick = i;	/* the lowest pid: a root */
		done[pick] = 1;
		rc = feed_strace_file(c, s, tr->files[pick], tr->pids[pick]);
	}
	free(done);
	return rc;
}

/* the highest value of the statistic the kernel compares with the
 * threshold: a full window's mean, or a short binding's mean at its end */
static double trace_score(const struct smax *m, uint32_t window)
{
	double full = m->full ?
		sc_cost_to_bits((uint32_t)m->max_sum) / window : 0;

	return m->short_seen && m->short_best > full ? m->short_best : full;
}

int run_trace(struct ctx *c, const struct trace *tr)
{
	struct sc_seq s;
	int rc = 0;

	if (sc_seq_init(&s, c->arch, c->mode == M_BUILD ? &build_ops :
			c->mode == M_DUMP_SIGNALS ? &dump_ops : &replay_ops, c) < 0)
		die_oom();
	c->trace_id++;
	c->cur_trace = tr->name;
	if (c->mode != M_BUILD && c->mode != M_DUMP_SIGNALS) {
		for (uint32_t i = 1; i <= c->table.nprofiles; i++) {
			struct pstat *ps = &c->ps[i];

			ps->touched = 0;
			memset(&ps->all, 0, sizeof(ps->all));
			memset(&ps->cal, 0, sizeof(ps->cal));
			ps->cost_sum = ps->ncost = ps->unseen = 0;
		}
	}
	if (c->format != F_STRACE)
		rc = feed_numbers(c, &s, tr->files[0]);
	else if (tr->pids[0] >= 0)
		rc = feed_ff(c, &s, tr);
	else
		rc = feed_strace_file(c, &s, tr->files[0], 0);
	sc_seq_finish(&s);
	if (rc < 0)
		return -1;
	/* a file with no syscall line at all is not a trace: binary junk,
	 * the program's own output, a numeric trace without --format */
	if (c->format == F_STRACE && !s.ncalls) {
		fprintf(stderr, "extractor: %s: no syscall line in it (not an "
			"strace log? numeric traces need --format)\n", tr->name);
		return -1;
	}
	if (c->mode == M_SCORE) {
		int any = 0;

		for (uint32_t i = 1; i <= c->table.nprofiles; i++) {
			if (!c->ps[i].touched)
				continue;
			any = 1;
			printf("%s\t%s\t%.3f\t%llu\n", tr->name, c->set.v[i - 1]->comm,
			       trace_score(&c->ps[i].all, c->ps[i].window),
			       (unsigned long long)c->ps[i].unseen);
		}
		if (!any)
			printf("%s\t-\t0.000\t0\n", tr->name);
	} else if (c->mode == M_VALIDATE) {
		for (uint32_t i = 1; i <= c->table.nprofiles; i++) {
			struct pstat *ps = &c->ps[i];
			double v = trace_score(&ps->cal, ps->window);

			if (!ps->touched || !ps->ncost)
				continue;
			if (!ps->vseen || v > ps->vmax)
				ps->vmax = v;
			ps->vseen = 1;
		}
	}
	return 0;
}

/* group the command line into traces: app.syscall.123 app.syscall.124 ... */
struct trace *group_traces(char **paths, int n, size_t *ntr)
{
	struct trace *tv = calloc((size_t)n, sizeof(*tv));
	size_t nt = 0;

	if (!tv)
		die_oom();
	for (int i = 0; i < n; i++) {
		const char *dot = strrchr(paths[i], '.');
		const char *slash = strrchr(paths[i], '/');
		size_t plen = 0;
		long pid = -1;
		struct trace *tr = NULL;

		if (dot && dot[1] && (!slash || dot > slash + 1) &&
		    strspn(dot + 1, "0123456789") == strlen(dot + 1) &&
		    strlen(dot + 1) < 10) {
			plen = (size_t)(dot - paths[i]);
			pid = strtol(dot + 1, NULL, 10);
			for (size_t k = 0; k < nt && !tr; k++)
				if (tv[k].prefix && strlen(tv[k].prefix) == plen &&
				    !memcmp(tv[k].prefix, paths[i], plen))
					tr = &tv[k];
		}
		if (!tr) {
			tr = &tv[nt++];
			tr->files = calloc((size_t)n, sizeof(*tr->files));
			tr->pids = calloc((size_t)n, sizeof(*tr->pids));
			if (!tr->files || !tr->pids)
				die_oom();
			tr->name = paths[i];
			if (pid >= 0) {
				tr->prefix = strndup(paths[i], plen);
				if (!tr->prefix)
					die_oom();
				tr->name = tr->prefix;
			}
		}
		tr->files[tr->n] = paths[i];
		tr->pids[tr->n] = pid;
		tr->n++;
	}
	/* -ff groups: files by pid */
	for (size_t k = 0; k < nt; k++) {
		struct trace *tr = &tv[k];

		if (tr->pids[0] < 0 || tr->n < 2)
			continue;
		for (size_t i = 1; i < tr->n; i++)	/* insertion sort: pairs */
			for (size_t j = i; j > 0 && cmp_pid(&tr->pids[j - 1],
							    &tr->pids[j]) > 0; j--) {
				long tp = tr->pids[j];
				const char *tf = tr->files[j];

				tr->pids[j] = tr->pids[j - 1];
				tr->files[j] = tr->files[j - 1];
				tr->pids[j - 1] = tp;
				tr->files[j - 1] = tf;
			}
	}
	*ntr = nt;
	return tv;
}

void free_traces(struct trace *tv, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(tv[k].files);
		free(tv[k].pids);
		free(tv[k].prefix);
	}
	free(tv);
}
