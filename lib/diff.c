/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * extractor --diff: a profile update as lines a reviewer reads and a CI job
 * greps.  Every section is written by walking two sorted lists side by side,
 * so the output is stable whatever order the files were written in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "diff.h"
#include "profile.h"
#include "syscalls.h"
#include "uring.h"

/* one profile's lines, kept until we know there is at least one */
struct pout {
	FILE *f;
	char *buf;
	size_t len;
	bool added, failed;
};

__attribute__((format(printf, 3, 4)))
static void line(struct pout *o, char sign, const char *fmt, ...)
{
	va_list ap;

	if (sign == '+')
		o->added = true;
	fprintf(o->f, "%c ", sign);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
}

/* a path or name as one token: bytes outside printable ASCII, space and
 * backslash as \xHH, so that a line splits on spaces and drives no terminal */
static char *token(const char *s)
{
	char *r = malloc(strlen(s) * 4 + 1), *q = r;

	if (!r)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '\\')
			q += sprintf(q, "\\x%02x", *p);
		else
			*q++ = (char)*p;
	*q = '\0';
	return r;
}

/* ---- sorted string lists --------------------------------------------------- */

struct strlist {
	char **v;
	size_t n, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static void sl_add(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->failed = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		l->failed = true;
		return;
	}
	l->v[l->n++] = s;
}

static int cmp_str(const void *l, const void *r)
{
	return strcmp(*(char *const *)l, *(char *const *)r);
}

static void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* "- kind s" for what only a has, "+ kind s" for what only b has */
static void diff_lists(struct pout *o, const char *kind, struct strlist *a,
		       struct strlist *b)
{
	size_t i = 0, j = 0;

	if (a->failed || b->failed) {
		o->failed = true;
		return;
	}
	if (a->n)	/* an empty list has no array: qsort wants one */
		qsort(a->v, a->n, sizeof(*a->v), cmp_str);
	if (b->n)
		qsort(b->v, b->n, sizeof(*b->v), cmp_str);
	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->v[i], b->v[j]);

		if (c < 0)
			line(o, '-', "%s %s", kind, a->v[i++]);
		else if (c > 0)
			line(o, '+', "%s %s", kind, b->v[j++]);
		else
			i++, j++;
	}
}

/* ---- the sections ------------------------------------------------------------ */

/* the single-valued fields, "none" when absent */
enum { F_ARCH, F_EXE, F_DEPTH, F_WINDOW, F_THRESHOLD, F_EXEC_CHECK, F_N };
static const char *const field_name[F_N] = {
	"arch", "exe", "depth", "window", "threshold", "exec-check",
};

static void fields(const struct sc_profile *p, char v[F_N][64], char **exe)
{
	*exe = p && p->exe ? token(p->exe) : NULL;
	for (int i = 0; i < F_N; i++)
		strcpy(v[i], "none");
	if (!p)
		return;
	snprintf(v[F_ARCH], 64, "%s", sc_arch_name(p->arch));
	snprintf(v[F_DEPTH], 64, "%d", p->depth);
	snprintf(v[F_WINDOW], 64, "%d", p->window);
	if (p->has_threshold)
		snprintf(v[F_THRESHOLD], 64, "%.15g", p->threshold);
	snprintf(v[F_EXEC_CHECK], 64, "%s", p->has_exec ? "yes" : "no");
}

static void diff_fields(struct pout *o, const struct sc_profile *a,
			const struct sc_profile *b)
{
	char va[F_N][64], vb[F_N][64], *ea, *eb;

	fields(a, va, &ea);
	fields(b, vb, &eb);
	for (int i = 0; i < F_N; i++) {
		const char *x = i == F_EXE && ea ? ea : va[i];
		const char *y = i == F_EXE && eb ? eb : vb[i];

		if (!strcmp(x, y))
			continue;
		/* a profile that comes or goes has no "none" side worth a line */
		if (a && (b || strcmp(x, "none")))
			line(o, '-', "%s %s", field_name[i], x);
		if (b && (a || strcmp(y, "none")))
			line(o, '+', "%s %s", field_name[i], y);
	}
	free(ea);
	free(eb);
}

static const char *nr_name(int arch, unsigned nr)
{
	const char *s = sc_syscall_name(arch, (int)nr);

	return s ? s : "?";
}

static void syscall_list(const struct sc_profile *p, struct strlist *l)
{
	uint8_t set[SC_NR_MAX] = { 0 };

	if (!p)
		return;
	sc_profile_syscalls(p, set);
	for (unsigned nr = 0; nr < SC_NR_MAX; nr++)
		if (set[nr])
			sl_add(l, "%s", nr_name(p->arch, nr));
}

static void transparent_list(const struct sc_profile *p, struct strlist *l)
{
	if (!p || p->version != 2)
		return;
	for (unsigned nr = 0; nr < SC_NR_MAX; nr++)
		if (p->transparent[nr / 64] >> (nr % 64) & 1)
			sl_add(l, "%s", nr_name(p->arch, nr));
}

static void uring_list(const struct sc_profile *p, struct strlist *l)
{
	for (unsigned op = 0; p && op < 64; op++) {
		const char *s;

		if (!(p->uring_ops >> op & 1))
			continue;
		s = sc_uring_op_name(op);
		if (s)
			sl_add(l, "%s", s);
		else
			sl_add(l, "op_%u", op);
	}
}

/* "PATH PROFILE", null for a hand-over */
static void edge_list(const struct sc_profile *p, struct strlist *l)
{
	for (size_t i = 0; p && i < p->nedges; i++) {
		const struct sc_exec_edge *e = &p->edges[i];
		char *path = token(e->path);
		char *prof = e->handoff ? NULL : token(e->profile);

		if (!path || (!e->handoff && !prof))
			l->failed = true;
		else
			sl_add(l, "%s %s", path, prof ? prof : "null");
		free(path);
		free(prof);
	}
}

typedef void list_fn(const struct sc_profile *p, struct strlist *l);

static void diff_set(struct pout *o, const char *kind, list_fn *fn,
		     const struct sc_profile *a, const struct sc_profile *b)
{
	struct strlist la = { 0 }, lb = { 0 };

	fn(a, &la);
	fn(b, &lb);
	diff_lists(o, kind, &la, &lb);
	sl_free(&la);
	sl_free(&lb);
}

/* a transition's names; a depth-1 row has no a */
struct row {
	const char *a, *b, *x;
	uint64_t count;
};

static struct row *rows(const struct sc_profile *p, size_t *n)
{
	struct sc_trans *t;
	struct row *r;

	*n = 0;
	if (!p)
		return calloc(1, sizeof(*r));
	t = sc_profile_sorted(p, n);
	r = t ? calloc(*n + 1, sizeof(*r)) : NULL;
	for (size_t i = 0; r && i < *n; i++) {
		r[i].a = t[i].a == SC_ANY ? "" : nr_name(p->arch, t[i].a);
		r[i].b = nr_name(p->arch, t[i].b);
		r[i].x = nr_name(p->arch, t[i].x);
		r[i].count = t[i].count;
	}
	free(t);
	return r;
}

static int cmp_row(const void *l, const void *r)
{
	const struct row *p = l, *q = r;
	int c = strcmp(p->a, q->a);

	if (!c)
		c = strcmp(p->b, q->b);
	return c ? c : strcmp(p->x, q->x);
}

static void put_row(struct pout *o, char sign, const struct row *r,
		    const char *tail)
{
	if (r->a[0])
		line(o, sign, "%s %s %s%s", r->a, r->b, r->x, tail);
	else
		line(o, sign, "%s %s%s", r->b, r->x, tail);
}

static void diff_transitions(struct pout *o, const struct sc_profile *a,
			     const struct sc_profile *b, unsigned flags)
{
	size_t na, nb, i = 0, j = 0;
	struct row *ra = rows(a, &na), *rb = rows(b, &nb);

	if (!ra || !rb) {
		o->failed = true;
		goto out;
	}
	/* by name, whatever the numbers' order: the two may differ in arch */
	qsort(ra, na, sizeof(*ra), cmp_row);
	qsort(rb, nb, sizeof(*rb), cmp_row);
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : cmp_row(&ra[i], &rb[j]);

		if (c < 0) {
			put_row(o, '-', &ra[i++], "");
		} else if (c > 0) {
			put_row(o, '+', &rb[j++], "");
		} else {
			if ((flags & SC_DIFF_COUNTS) && ra[i].count != rb[j].count) {
				char tail[48];

				snprintf(tail, sizeof(tail), " %llu %llu",
					 (unsigned long long)ra[i].count,
					 (unsigned long long)rb[j].count);
				put_row(o, '~', &rb[j], tail);
			}
			i++, j++;
		}
	}
out:
	free(ra);
	free(rb);
}

/* ---- profiles and sets ------------------------------------------------------- */

/* one profile against its update (either may be NULL: added or removed) */
static int diff_profile(FILE *out, const struct sc_profile *a,
			const struct sc_profile *b, unsigned flags, bool *added)
{
	const struct sc_profile *p = b ? b : a;
	struct pout o = { 0 };
	char *label;

	o.f = open_memstream(&o.buf, &o.len);
	if (!o.f)
		return -1;
	label = token(sc_profile_label(p));
	if (!label)
		o.failed = true;
	else if (!a || !b)
		line(&o, b ? '+' : '-', "profile %s", label);
	diff_fields(&o, a, b);
	diff_set(&o, "syscall", syscall_list, a, b);
	diff_set(&o, "transparent", transparent_list, a, b);
	diff_set(&o, "io_uring", uring_list, a, b);
	diff_set(&o, "exec", edge_list, a, b);
	diff_transitions(&o, a, b, flags);
	if (fclose(o.f) || o.failed) {
		free(o.buf);
		free(label);
		return -1;
	}
	if (o.len)
		fprintf(out, "@@ %s\n%s", label, o.buf);
	*added |= o.added;
	free(o.buf);
	free(label);
	return 0;
}

static int cmp_label(const void *l, const void *r)
{
	return strcmp(sc_profile_label(*(struct sc_profile *const *)l),
		      sc_profile_label(*(struct sc_profile *const *)r));
}

static int load_side(const char *path, struct sc_profile_set *set, bool *dir,
		     char *err, size_t errlen)
{
	char *paths[1] = { (char *)path };
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	*dir = S_ISDIR(st.st_mode);
	if (sc_profile_set_load(set, paths, 1, err, errlen))
		return -1;
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), cmp_label);
	return 0;
}

int sc_diff_paths(const char *oldp, const char *newp, unsigned flags,
		  FILE *out, char *err, size_t errlen)
{
	struct sc_profile_set a = { 0 }, b = { 0 };
	bool da, db, added = false;
	size_t i = 0, j = 0;
	int rc = -1;

	if (load_side(oldp, &a, &da, err, errlen) ||
	    load_side(newp, &b, &db, err, errlen))
		goto out;
	if (da != db) {
		snprintf(err, errlen, "%s: %s, %s: %s: compare two files or two folders",
			 oldp, da ? "a folder" : "a file", newp,
			 db ? "a folder" : "a file");
		goto out;
	}
	while (i < a.n || j < b.n) {
		int c = i >= a.n ? 1 : j >= b.n ? -1 : cmp_label(&a.v[i], &b.v[j]);
		const struct sc_profile *p = c <= 0 ? a.v[i++] : NULL;
		const struct sc_profile *q = c >= 0 ? b.v[j++] : NULL;

		if (diff_profile(out, p, q, flags, &added)) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = added ? 1 : 0;
	if (fflush(out)) {
		snprintf(err, errlen, "writing the diff: %s", strerror(errno));
		rc = -1;
	}
out:
	sc_profile_set_free(&a);
	sc_profile_set_free(&b);
	return rc;
}
