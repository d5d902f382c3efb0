// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * extractor: strace logs -> per-program profiles, and the offline replay
 * of traces against profiles (the same table and step as the kernel).
 * The command line is design.md section 5; usage() shows examples.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "profile.h"
#include "replay.h"
#include "score.h"
#include "seccomp-set.h"
#include "sequence.h"
#include "strace.h"
#include "syscalls.h"
#include "syscfi.h"
#include "table.h"

enum mode { M_BUILD, M_CHECK, M_SCORE, M_VALIDATE, M_DUMP_SIGNALS };
enum format { F_STRACE, F_NUMBERS, F_PID_NUMBERS };

/* per profile id, over one trace (score) or all traces (validate) */
struct pstat {
	int touched;		/* a task ran under it in this trace */
	uint64_t max_sum;	/* largest full-window sum */
	int full;		/* some window was full */
	uint32_t window;
	uint64_t cost_sum, ncost;	/* every scored cost */
	uint64_t unseen;
	double vmax;		/* validate: max per-trace score */
	int vseen;
	uint64_t *hist;		/* validate --target-fpr: full-window means */
	uint64_t nwin;
};

struct ctx {
	int mode, format, arch, depth, json, quiet;
	const char *comm;	/* --comm */
	/* build: the profiles learned, by comm; check/score: loaded ones */
	struct sc_profile_set set;
	unsigned long *last_trace;	/* build: trace id that last bound it */
	size_t last_cap;
	unsigned long trace_id;
	struct sc_table table;
	struct pstat *ps;		/* [nprofiles + 1] */
	double target_fpr, margin;
	uint64_t transparent[SC_NR_MAX / 64];	/* build: of new profiles */
	const char *outdir;	/* build: where profiles are merged into */
	FILE *steps;		/* --steps: every scored step, for scripts/evaluate */
	const char *cur_trace;
	unsigned long malformed, cut, skipped_nr, violations;
	unsigned long exec_unkeyed, exec_deep;	/* build: execs not learned */
	int fatal;
};

static void die_oom(void)
{
	fprintf(stderr, "extractor: out of memory\n");
	exit(2);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: extractor [-o DIR] [--depth 1|2] TRACE...\n"
"       extractor --validate [-o DIR] [--target-fpr F | --margin BITS] TRACE...\n"
"       extractor --check DIR [--json] TRACE...\n"
"       extractor --score DIR TRACE...\n"
"       extractor --seccomp [--kill] [-o FILE] PROFILE...\n"
"       extractor --diff [--counts] OLD NEW\n"
"\n"
"Build per-program syscall profiles (DIR/<comm>.json) from strace logs, or\n"
"replay traces against them with the kernel's own table and step.\n"
"\n"
"  -o, --output DIR     profile folder to build or merge into (default: res)\n"
"  -d, --depth 1|2      transition depth of new profiles (default: 2)\n"
"  -T, --transparent L  transparent set of new profiles: default, none, or\n"
"                       syscall names separated by commas (docs/design.md)\n"
"  -c, --check DIR      report every violation (exit 0 clean, 1 violations)\n"
"  -j, --json           --check: one JSON object per violation\n"
"  -s, --score DIR      TRACE<TAB>PROFILE<TAB>SCORE<TAB>UNSEEN per trace and\n"
"                       profile; SCORE = highest mean over a full window of\n"
"                       the profile's W syscalls (bits/syscall), or the mean\n"
"                       of all scored syscalls when no window filled\n"
"  -V, --validate       set each profile's threshold from normal traces: the\n"
"                       highest SCORE seen plus --margin (default 0.5 bits),\n"
"      --target-fpr F   or the level only a fraction F of the validation\n"
"                       windows exceed, plus --margin (default 0 here)\n"
"      --margin BITS\n"
"  -S, --seccomp        write an OCI/Docker seccomp profile (to -o FILE, or\n"
"                       stdout) allowing the union of the profiles' syscalls;\n"
"                       any other fails with EPERM before it runs\n"
"  -K, --kill           --seccomp: kill the process instead\n"
"      --diff           what NEW (profile file or folder) adds and removes\n"
"                       against OLD, sorted; exit 1 when it adds something,\n"
"                       0 when not; --counts also lists changed counts\n"
"  -f, --format FMT     strace (default) | numbers | pid-numbers\n"
"      --comm NAME      profile name of numeric traces\n"
"  -a, --arch ARCH      x86_64 (default) | i386\n"
"  -q, --quiet          no per-line error messages, only the summary\n"
"      --steps FILE     --score: write every scored step to FILE, one line\n"
"                       TRACE PROFILE TID A B X COST (tab-separated)\n"
"  -h, --help\n"
"      --dump-signals   debugging aid: build nothing, print every signal line\n"
"                       of a task bound at an exec as the untraced kernel\n"
"                       would see it: TID COMM SIGNO DELIVERED HANDLER RESTART\n"
"                       (the interrupted call, or -), tab-separated\n"
"\n"
"strace traces: plain, -f, -ff (app.syscall.PID files given together are\n"
"one trace), -t/-tt/-ttt/-r, -T, -i, -y/-yy, -k, -s, -v, -X.  Numeric\n"
"traces start each task in (START, START).\n"
"\n"
"Examples:\n"
"  strace -f -o app.syscall ./app && extractor -o res app.syscall\n"
"  strace -ff -o run/app.syscall ./app && extractor run/app.syscall.*\n"
"  extractor --check res second-run.syscall\n"
"  extractor --validate -o res validation/*.syscall\n"
"  extractor --score res --format numbers --comm app trace.nr\n"
"  extractor --seccomp -o app-seccomp.json res/app.json res/helper.json\n");
}

static void line_error(struct ctx *c, const char *file, unsigned long line,
		       const char *reason)
{
	c->malformed++;
	if (!c->quiet)
		fprintf(stderr, "extractor: %s:%lu: %s\n", file, line, reason);
}

/* ---- build: learning transitions ------------------------------------------ */

/* the format version and transparent set a new profile of comm is
 * learned with: those of the profile it will be merged into, if there is
 * one (a merge needs the same), else version 2 with --transparent's set */
static void learn_format(const struct ctx *c, struct sc_profile *p)
{
	struct sc_profile *old = NULL;
	char *path, err[512];

	if (c->outdir && asprintf(&path, "%s/%s.json", c->outdir, p->comm) >= 0) {
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
	learn_format(c, p);
	p->parent = parent;
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

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static const char *sym(const struct ctx *c, unsigned nr)
{
	const char *s = nr == SC_ANY ? "*" : sc_syscall_name(c->arch, (int)nr);

	return s ? s : "?";
}

/* one violation, as text or JSON (mode --check only) */
static void report(struct ctx *c, const struct sc_seq_task *t, int kind,
		   const struct sc_verdict *r, long nr, const char *arg,
		   const char *file, unsigned long line)
{
	const struct sc_profile *p = t->bind.profile ?
		c->set.v[t->bind.profile - 1] : NULL;
	char rawname[32];
	const char *x = NULL;

	c->violations++;
	if (c->mode != M_CHECK)
		return;
	if (r) {
		x = sym(c, r->x);
		if (r->x == SC_ANY) {
			snprintf(rawname, sizeof(rawname), "syscall_0x%lx",
				 (unsigned long)nr);
			x = rawname;
		}
	}
	if (c->json) {
		printf("{\"file\":");
		json_str(file);
		printf(",\"line\":%lu,\"pid\":%ld,\"comm\":", line, t->node.tid);
		json_str(t->bind.comm);
		printf(",\"profile\":");
		json_str(p ? sc_profile_label(p) : "");
		printf(",\"kind\":\"%s\"", sc_event_kind_name(kind));
		if (r) {
			printf(",\"transition\":[");
			json_str(sym(c, r->a));
			putchar(',');
			json_str(sym(c, r->b));
			putchar(',');
			json_str(x);
			/* score_sum: the window's integer sum, as the kernel's
			 * events carry it, for a comparison to the bit */
			printf("],\"score\":%.3f,\"score_sum\":%u",
			       sc_task_score(&t->rs), t->rs.score.sum);
		}
		if (arg) {
			printf(",\"arg\":");
			json_str(arg);
		}
		printf("}\n");
		return;
	}
	printf("%s:%lu: pid %ld comm %s: %s", file, line, t->node.tid, t->bind.comm,
	       sc_event_kind_name(kind));
	if (r && kind == SC_EV_ANOMALY_SCORE)
		printf(" %.3f bits/syscall at %s %s -> %s",
		       sc_task_score(&t->rs), sym(c, r->a), sym(c, r->b), x);
	else if (r)
		printf(" %s %s -> %s", sym(c, r->a), sym(c, r->b), x);
	if (arg)
		printf(" %s", arg);
	putchar('\n');
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
		fprintf(c->steps, "%s\t%s\t%ld\t%u\t%u\t%u\t%u\n",
			c->cur_trace, c->set.v[t->bind.profile - 1]->comm,
			t->node.tid, r.a, r.b, r.x, r.cost);
	ps->cost_sum += r.cost;
	ps->ncost++;
	ps->window = c->table.info[t->bind.profile].window;
	if (t->rs.score.fill >= ps->window) {
		ps->full = 1;
		if (t->rs.score.sum > ps->max_sum)
			ps->max_sum = t->rs.score.sum;
		if (ps->hist) {
			uint32_t mean = t->rs.score.sum / ps->window;

			ps->hist[mean > SC_COST_CAP ? SC_COST_CAP : mean]++;
			ps->nwin++;
		}
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

static const struct sc_seq_ops build_ops = {
	b_start, b_unknown, b_syscall, b_exec, s_error, t_signal,
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
	b_start, b_unknown, b_syscall, b_exec, s_error, d_signal,
};
static const struct sc_seq_ops replay_ops = {
	r_start, r_unknown, r_syscall, r_exec, s_error, t_signal,
};

/* ---- traces ------------------------------------------------------------------ */

struct trace {
	const char *name;	/* file, or the -ff prefix */
	char *prefix;		/* -ff: allocated prefix */
	const char **files;
	long *pids;		/* -ff: pid suffix of each file, else -1 */
	size_t n;
};

/*
 * One strace file into the sequencer.  A thread of the parse-ahead stage
 * reads, splits and parses the lines (strace.c); this thread only
 * sequences the records, in file order, and prints what there is to say
 * about them, so that stderr reads as if it all ran here.
 */
static int feed_strace_file(struct ctx *c, struct sc_seq *s, const char *path,
			    long tid)
{
	struct sc_ahead a;
	const struct sc_batch *b;
	int rc = 0;

	if (sc_ahead_open(&a, path, c->arch) < 0) {
		fprintf(stderr, "extractor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((b = sc_ahead_next(&a))) {
		for (size_t i = 0; i < b->n; i++) {
			struct sc_line l;
			int warn;
			unsigned long line = sc_ahead_line(b, i, &l, &warn);

			if (warn) {
				c->cut++;
				if (!c->quiet)
					fprintf(stderr, "extractor: %s:%lu: line cut "
						"short at end of file (kept as an "
						"unfinished call)\n", path, line);
			}
			sc_seq_line(s, &l, tid, path, line);
		}
		if (b->nomem)
			die_oom();
		if (b->err) {
			fprintf(stderr, "extractor: %s: %s\n", path,
				strerror(b->err));
			rc = -1;
		}
	}
	sc_ahead_close(&a);
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

static double trace_score(const struct pstat *ps)
{
	if (ps->full)
		return sc_cost_to_bits((uint32_t)ps->max_sum) / ps->window;
	if (ps->ncost)
		return sc_cost_to_bits((uint32_t)(ps->cost_sum / ps->ncost)) +
		       (double)(ps->cost_sum % ps->ncost) / ps->ncost / SC_COST_ONE;
	return 0;
}

static int run_trace(struct ctx *c, const struct trace *tr)
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

			ps->touched = ps->full = 0;
			ps->max_sum = ps->cost_sum = ps->ncost = ps->unseen = 0;
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
			       trace_score(&c->ps[i]),
			       (unsigned long long)c->ps[i].unseen);
		}
		if (!any)
			printf("%s\t-\t0.000\t0\n", tr->name);
	} else if (c->mode == M_VALIDATE) {
		for (uint32_t i = 1; i <= c->table.nprofiles; i++) {
			struct pstat *ps = &c->ps[i];
			double v = trace_score(ps);

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
static struct trace *group_traces(char **paths, int n, size_t *ntr)
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

static void free_traces(struct trace *tv, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(tv[k].files);
		free(tv[k].pids);
		free(tv[k].prefix);
	}
	free(tv);
}

/* ---- the modes' endings ------------------------------------------------------ */

static int ensure_dir(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	return mkdir(dir, 0755);
}

/* JSON text is UTF-8: a comm that is not cannot be written as a profile */
static int utf8_ok(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 :
			(*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;

		if (n < 0 || (n == 1 && *s < 0xc2))
			return 0;
		for (s++; n > 0; n--, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static int comm_ok(const char *comm)
{
	return comm[0] && strcmp(comm, ".") && strcmp(comm, "..") &&
	       !strchr(comm, '/') && utf8_ok((const unsigned char *)comm);
}

/* p and every profile it is scoped under can name a file */
static int scope_ok(const struct sc_profile *p)
{
	for (; p; p = p->parent)
		if (!comm_ok(p->comm))
			return 0;
	return 1;
}

/* the folders DIR/a.d/b.d/... that hold p's file */
static int ensure_scope(const char *dir, const struct sc_profile *p)
{
	char *sub;
	int rc;

	if (!p->parent)
		return 0;
	if (ensure_scope(dir, p->parent))
		return -1;
	sub = sc_profile_scope_dir(dir, p->parent);
	if (!sub)
		die_oom();
	rc = ensure_dir(sub);
	if (rc)
		fprintf(stderr, "extractor: %s: %s\n", sub, strerror(errno));
	free(sub);
	return rc;
}

/* build: merge into DIR/<comm>.json, and the profiles of programs they
 * exec into DIR/<comm>.d/; load everything before writing any */
static int write_built(struct ctx *c, const char *dir)
{
	struct sc_profile **out = calloc(c->set.n + 1, sizeof(*out));
	char **paths = calloc(c->set.n + 1, sizeof(*paths));
	char err[512];
	int rc = 0;
	size_t nout = 0;

	if (!out || !paths)
		die_oom();
	if (ensure_dir(dir) < 0) {
		fprintf(stderr, "extractor: %s: %s\n", dir, strerror(errno));
		rc = 2;
		goto out;
	}
	for (size_t i = 0; i < c->set.n; i++) {
		struct sc_profile *p = c->set.v[i];
		struct sc_profile *old;

		if (!scope_ok(p)) {
			fprintf(stderr, "extractor: comm \"%s\" cannot name a "
				"profile file, skipped\n", p->comm);
			continue;
		}
		if (ensure_scope(dir, p)) {
			rc = 2;
			goto out;
		}
		paths[nout] = sc_profile_file(dir, p);
		if (!paths[nout])
			die_oom();
		if (access(paths[nout], F_OK)) {
			out[nout++] = p;
			continue;
		}
		old = sc_profile_load(paths[nout], err, sizeof(err));
		if (!old) {
			fprintf(stderr, "extractor: %s\n", err);
			free(paths[nout]);
			paths[nout] = NULL;
			rc = 2;
			goto out;
		}
		if (old->arch != p->arch || old->depth != p->depth ||
		    sc_profile_merge(old, p)) {
			fprintf(stderr, "extractor: %s: cannot merge: arch %s depth "
				"%d version %d there, arch %s depth %d version %d "
				"here\n", paths[nout], sc_arch_name(old->arch),
				old->depth, old->version, sc_arch_name(p->arch),
				p->depth, p->version);
			sc_profile_free(old);
			free(paths[nout]);
			paths[nout] = NULL;
			rc = 2;
			goto out;
		}
		/* keep the merged copy in the set so it is freed with it; the
		 * profiles scoped under p are under it now */
		old->parent = p->parent;
		for (size_t k = 0; k < c->set.n; k++)
			if (c->set.v[k]->parent == p)
				c->set.v[k]->parent = old;
		sc_profile_free(p);
		c->set.v[i] = old;
		out[nout++] = old;
	}
	if (sc_profile_save_all(out, paths, nout, err, sizeof(err))) {
		fprintf(stderr, "extractor: %s\n", err);
		rc = 2;
		goto out;
	}
	if (!c->quiet)
		fprintf(stderr, "extractor: %zu profiles in %s\n", nout, dir);
	if (c->exec_unkeyed)
		fprintf(stderr, "extractor: %lu execs by a relative path, a file "
			"descriptor or a path strace cut: not learned, "
			"no exec edge can name them\n", c->exec_unkeyed);
	if (c->exec_deep)
		fprintf(stderr, "extractor: %lu execs more than %d programs deep: "
			"not learned\n", c->exec_deep, SC_SCOPE_DEPTH_MAX);
out:
	for (size_t i = 0; i < c->set.n + 1; i++)
		free(paths[i]);
	free(paths);
	free(out);
	return rc;
}

/* the threshold level only target_fpr of the windows exceed (cost units) */
static uint32_t fpr_level(const struct pstat *ps, double fpr)
{
	double allowed = fpr * (double)ps->nwin;
	uint64_t above = 0;

	for (long m = SC_COST_CAP; m >= 0; m--) {
		if ((double)(above + ps->hist[m]) > allowed)
			return (uint32_t)m + 1;
		above += ps->hist[m];
	}
	return 1;
}

static int write_validated(struct ctx *c)
{
	struct sc_profile **out = calloc(c->table.nprofiles + 1, sizeof(*out));
	char **paths = calloc(c->table.nprofiles + 1, sizeof(*paths));
	char err[512];
	size_t n = 0;
	int rc = 0;

	if (!out || !paths)
		die_oom();

	for (uint32_t i = 1; i <= c->table.nprofiles; i++) {
		struct sc_profile *p = c->set.v[i - 1];
		struct pstat *ps = &c->ps[i];
		double bits;
		uint32_t cost;

		if (!ps->vseen)
			continue;
		/* --margin defaults to 0.5 bits over the highest score, to 0
		 * over a --target-fpr quantile (which already sets the rate) */
		if (c->target_fpr >= 0 && ps->nwin)
			cost = fpr_level(ps, c->target_fpr) + (c->margin > 0 ?
			       (uint32_t)ceil(c->margin * SC_COST_ONE) : 0);
		else
			cost = (uint32_t)ceil((ps->vmax + (c->margin >= 0 ?
			       c->margin : 0.5)) * SC_COST_ONE);
		bits = sc_cost_to_bits(cost ? cost : 1);
		p->has_threshold = true;
		p->threshold = bits;
		out[n] = p;
		paths[n++] = p->path;
		if (!c->quiet)
			fprintf(stderr, "extractor: %s: threshold %.4f bits/syscall "
				"(highest trace score %.4f)\n", p->path, bits,
				ps->vmax);
	}
	if (!n)
		fprintf(stderr, "extractor: no profile ran in the validation "
			"traces; nothing written\n");
	else if (sc_profile_save_all(out, paths, n, err, sizeof(err))) {
		fprintf(stderr, "extractor: %s\n", err);
		rc = 2;
	}
	free(out);
	free(paths);
	return rc;
}

static int parse_double(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !(*v >= lo && *v <= hi) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "depth", required_argument, NULL, 'd' },
		{ "transparent", required_argument, NULL, 'T' },
		{ "check", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "score", required_argument, NULL, 's' },
		{ "validate", no_argument, NULL, 'V' },
		{ "seccomp", no_argument, NULL, 'S' },
		{ "kill", no_argument, NULL, 'K' },
		{ "target-fpr", required_argument, NULL, 'F' },
		{ "margin", required_argument, NULL, 'M' },
		{ "format", required_argument, NULL, 'f' },
		{ "comm", required_argument, NULL, 'C' },
		{ "arch", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "steps", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "dump-signals", no_argument, NULL, 'D' },
		{ "diff", no_argument, NULL, 'R' },
		{ "counts", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c;
	const char *outdir = "res", *profdir = NULL, *transparent = "default";
	const char *ofile = NULL, *steps_path = NULL;
	struct trace *tv;
	size_t ntr;
	char err[512];
	int opt, rc = 0, nmodes = 0, seccomp = 0, kill = 0, diff = 0;
	unsigned diff_flags = 0;

	memset(&c, 0, sizeof(c));
	c.mode = M_BUILD;
	c.depth = 2;
	c.arch = SC_ARCH_X86_64;
	c.target_fpr = -1;
	c.margin = -1;		/* unset: depends on the mode, see write_validated */
	while ((opt = getopt_long(argc, argv, "o:d:T:c:js:VSKf:a:qh", longopts,
				  NULL)) != -1) {
		double v;

		switch (opt) {
		case 'o': outdir = ofile = optarg; break;
		case 'T': transparent = optarg; break;
		case 'd':
			if (strcmp(optarg, "1") && strcmp(optarg, "2")) {
				fprintf(stderr, "extractor: --depth must be 1 or 2\n");
				return 2;
			}
			c.depth = optarg[0] - '0';
			break;
		case 'c': c.mode = M_CHECK; profdir = optarg; nmodes++; break;
		case 's': c.mode = M_SCORE; profdir = optarg; nmodes++; break;
		case 'V': c.mode = M_VALIDATE; nmodes++; break;
		case 'D': c.mode = M_DUMP_SIGNALS; nmodes++; break;
		case 'S': seccomp = 1; nmodes++; break;
		case 'K': kill = 1; break;
		case 'R': diff = 1; nmodes++; break;
		case 'N': diff_flags |= SC_DIFF_COUNTS; break;
		case 'j': c.json = 1; break;
		case 'F':
			if (parse_double(optarg, 0, 1, &v)) {
				fprintf(stderr, "extractor: --target-fpr: a fraction "
					"0..1\n");
				return 2;
			}
			c.target_fpr = v;
			break;
		case 'M':
			if (parse_double(optarg, 0, 64, &v)) {
				fprintf(stderr, "extractor: --margin: bits 0..64\n");
				return 2;
			}
			c.margin = v;
			break;
		case 'f':
			if (!strcmp(optarg, "strace")) c.format = F_STRACE;
			else if (!strcmp(optarg, "numbers")) c.format = F_NUMBERS;
			else if (!strcmp(optarg, "pid-numbers")) c.format = F_PID_NUMBERS;
			else {
				fprintf(stderr, "extractor: unknown --format %s\n",
					optarg);
				return 2;
			}
			break;
		case 'C':
			if (!optarg[0] || strlen(optarg) > 15 || strchr(optarg, '/')) {
				fprintf(stderr, "extractor: --comm: 1..15 bytes, "
					"no '/'\n");
				return 2;
			}
			c.comm = optarg;
			break;
		case 'a':
			c.arch = sc_arch_parse(optarg);
			if (c.arch < 0) {
				fprintf(stderr, "extractor: unknown --arch %s\n",
					optarg);
				return 2;
			}
			break;
		case 'q': c.quiet = 1; break;
		case 'P': steps_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (nmodes > 1) {
		fprintf(stderr, "extractor: --check, --score, --validate, "
			"--seccomp, --diff and --dump-signals exclude each other\n");
		return 2;
	}
	if (steps_path && c.mode != M_SCORE) {
		fprintf(stderr, "extractor: --steps goes with --score\n");
		return 2;
	}
	if (optind >= argc || (kill && !seccomp) || (diff_flags && !diff)) {
		usage(stderr);
		return 2;
	}
	if (diff) {
		if (argc - optind != 2) {
			usage(stderr);
			return 2;
		}
		rc = sc_diff_paths(argv[optind], argv[optind + 1], diff_flags,
				   stdout, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "extractor: %s\n", err);
		return rc < 0 ? 2 : rc;
	}
	if (seccomp) {
		rc = sc_seccomp_oci_file(argv + optind, argc - optind, kill,
					 ofile, err, sizeof(err)) ? 2 : 0;
		if (err[0])
			fprintf(stderr, "extractor: %s\n", err);
		return rc;
	}
	if (c.format != F_STRACE && !c.comm) {
		fprintf(stderr, "extractor: numeric traces need --comm NAME\n");
		return 2;
	}
	if (sc_transparent_parse(c.arch, transparent, c.transparent, err,
				 sizeof(err))) {
		fprintf(stderr, "extractor: --transparent: %s\n", err);
		return 2;
	}
	if (c.mode == M_BUILD)
		c.outdir = outdir;
	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) || access(argv[i], R_OK)) {
			fprintf(stderr, "extractor: %s: %s\n", argv[i],
				strerror(errno ? errno : EACCES));
			return 2;
		}
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "extractor: %s: is a directory\n", argv[i]);
			return 2;
		}
	}
	if (c.mode == M_VALIDATE)
		profdir = outdir;
	if (c.mode != M_BUILD && c.mode != M_DUMP_SIGNALS) {
		char *dirs[1] = { (char *)profdir };

		if (sc_profile_set_load(&c.set, dirs, 1, err, sizeof(err)) < 0) {
			fprintf(stderr, "extractor: %s\n", err);
			return 2;
		}
		if (c.set.n && c.set.v[0]->arch != c.arch)
			c.arch = c.set.v[0]->arch;
		if (sc_table_build(&c.table, &c.set, -1, err, sizeof(err)) < 0) {
			fprintf(stderr, "extractor: %s\n", err);
			sc_profile_set_free(&c.set);
			return 2;
		}
		c.ps = calloc(c.table.nprofiles + 1, sizeof(*c.ps));
		if (!c.ps)
			die_oom();
		if (c.mode == M_VALIDATE && c.target_fpr >= 0)
			for (uint32_t i = 1; i <= c.table.nprofiles; i++) {
				c.ps[i].hist = calloc(SC_COST_CAP + 1, sizeof(uint64_t));
				if (!c.ps[i].hist)
					die_oom();
			}
	}
	if (steps_path) {
		c.steps = fopen(steps_path, "w");
		if (!c.steps) {
			fprintf(stderr, "extractor: %s: %s\n", steps_path,
				strerror(errno));
			sc_table_free(&c.table);
			sc_profile_set_free(&c.set);
			free(c.ps);
			return 2;
		}
	}
	if (c.format != F_STRACE) {
		ntr = (size_t)(argc - optind);
		tv = calloc(ntr, sizeof(*tv));
		if (!tv)
			die_oom();
		for (size_t i = 0; i < ntr; i++) {
			tv[i].name = argv[optind + (int)i];
			tv[i].files = calloc(1, sizeof(*tv[i].files));
			tv[i].pids = calloc(1, sizeof(*tv[i].pids));
			if (!tv[i].files || !tv[i].pids)
				die_oom();
			tv[i].files[0] = tv[i].name;
			tv[i].pids[0] = -1;
			tv[i].n = 1;
		}
	} else {
		tv = group_traces(argv + optind, argc - optind, &ntr);
	}
	for (size_t i = 0; i < ntr && !rc; i++)
		if (run_trace(&c, &tv[i]) < 0)
			rc = 2;
	fflush(stdout);
	if (c.malformed || c.cut)
		fprintf(stderr, "extractor: %lu malformed lines skipped, %lu lines "
			"cut short\n", c.malformed, c.cut);
	if (!rc) {
		switch (c.mode) {
		case M_BUILD: rc = write_built(&c, outdir); break;
		case M_VALIDATE: rc = write_validated(&c); break;
		case M_CHECK: rc = c.violations ? 1 : 0; break;
		case M_SCORE: case M_DUMP_SIGNALS: break;
		}
	}
	if (c.mode != M_BUILD && c.mode != M_DUMP_SIGNALS) {
		for (uint32_t i = 0; c.ps && i <= c.table.nprofiles; i++)
			free(c.ps[i].hist);
		sc_table_free(&c.table);
	}
	if (c.steps && fclose(c.steps) && !rc) {
		fprintf(stderr, "extractor: --steps: %s\n", strerror(errno));
		rc = 2;
	}
	free(c.ps);
	free(c.last_trace);
	sc_profile_set_free(&c.set);
	free_traces(tv, ntr);
	return rc;
}
