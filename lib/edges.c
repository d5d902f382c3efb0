// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Exec edges and scoped profiles (design.md section 2): which programs a
 * profile execs, and under which profile each one runs.  A scoped profile
 * lives in its parent's folder (DIR/sshd.d/sh.json) and is bound only
 * through an edge of that parent, so one daemon's `sh` and another's never
 * meet, and no learned helper binds by name across the machine.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "syscfi.h"

const char *sc_edge_path_refused(const char *path)
{
	if (path[0] != '/')
		return "not an absolute path";
	if (!strncmp(path, "/dev/fd/", 8))
		return "an exec by file descriptor (/dev/fd/...)";
	/* the kernel reads at most SC_EXEC_PATH_LEN - 1 bytes: a path that
	 * fills them may have been cut */
	if (strlen(path) >= SC_EXEC_PATH_LEN - 1)
		return "too long";
	return NULL;
}

/* index of path's edge, or where it goes (*found 0) */
static size_t edge_pos(const struct sc_profile *p, const char *path, int *found)
{
	size_t lo = 0, hi = p->nedges;

	*found = 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(p->edges[mid].path, path);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct sc_exec_edge *sc_profile_find_edge(const struct sc_profile *p,
						const char *path)
{
	int found;
	size_t i = edge_pos(p, path, &found);

	return found ? &p->edges[i] : NULL;
}

int sc_profile_add_edge(struct sc_profile *p, const char *path,
			const char *child_comm)
{
	struct sc_exec_edge *v, e = { 0 };
	int found;
	size_t i = edge_pos(p, path, &found);

	p->has_exec = true;
	if (found)
		return 0;
	e.path = strdup(path);
	if (!e.path)
		return -1;
	e.handoff = child_comm == NULL;
	if (child_comm)
		snprintf(e.profile, sizeof(e.profile), "%s", child_comm);
	v = realloc(p->edges, (p->nedges + 1) * sizeof(*v));
	if (!v) {
		free(e.path);
		errno = ENOMEM;
		return -1;
	}
	memmove(v + i + 1, v + i, (p->nedges - i) * sizeof(*v));
	v[i] = e;
	p->edges = v;
	p->nedges++;
	return 0;
}

int sc_profile_merge_edges(struct sc_profile *dst, const struct sc_profile *src)
{
	if (src->has_exec)
		dst->has_exec = true;
	for (size_t i = 0; i < src->nedges; i++) {
		const struct sc_exec_edge *e = &src->edges[i];

		if (sc_profile_add_edge(dst, e->path, e->handoff ? NULL : e->profile))
			return -1;
	}
	return 0;
}

void sc_profile_free_edges(struct sc_profile *p)
{
	for (size_t i = 0; i < p->nedges; i++)
		free(p->edges[i].path);
	free(p->edges);
	free(p->label);
	p->edges = NULL;
	p->label = NULL;
	p->nedges = 0;
}

const char *sc_profile_label(const struct sc_profile *p)
{
	return p->label ? p->label : p->comm;
}

/* DIR/a.d/b.d/c + suffix, for the chain of scopes ending at p */
static char *scoped_name(const char *dir, const struct sc_profile *p,
			 const char *suffix)
{
	size_t len = strlen(dir) + strlen(suffix) + 1, at;
	const struct sc_profile *q;
	char *s;

	for (q = p; q; q = q->parent)
		len += strlen(q->comm) + 3;
	s = malloc(len);
	if (!s)
		return NULL;
	/* written from the end: p's comm last, its scopes before it */
	at = len - 1;
	s[at] = '\0';
	at -= strlen(suffix);
	memcpy(s + at, suffix, strlen(suffix));
	for (q = p; q; q = q->parent) {
		size_t n = strlen(q->comm);

		if (q != p) {
			at -= 2;
			memcpy(s + at, ".d", 2);
		}
		at -= n;
		memcpy(s + at, q->comm, n);
		s[--at] = '/';
	}
	at -= strlen(dir);
	memcpy(s + at, dir, strlen(dir));
	memmove(s, s + at, len - at);
	return s;
}

char *sc_profile_file(const char *dir, const struct sc_profile *p)
{
	return scoped_name(dir, p, ".json");
}

char *sc_profile_scope_dir(const char *dir, const struct sc_profile *p)
{
	return scoped_name(dir, p, ".d");
}

struct sc_profile *sc_profile_set_find_in(const struct sc_profile_set *set,
					  const struct sc_profile *parent,
					  const char *comm)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i]->parent == parent && !strcmp(set->v[i]->comm, comm))
			return set->v[i];
	return NULL;
}

int sc_profile_set_link(struct sc_profile_set *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->n; i++) {
		struct sc_profile *p = set->v[i];

		free(p->label);
		p->label = NULL;
		if (p->parent) {
			const char *pl = sc_profile_label(p->parent);

			p->label = malloc(strlen(pl) + strlen(p->comm) + 2);
			if (!p->label) {
				snprintf(err, errlen, "%s: out of memory",
					 p->path ? p->path : p->comm);
				return -1;
			}
			sprintf(p->label, "%s/%s", pl, p->comm);
		}
		for (size_t k = 0; k < p->nedges; k++) {
			struct sc_exec_edge *e = &p->edges[k];

			e->child = NULL;
			if (e->handoff)
				continue;
			e->child = sc_profile_set_find_in(set, p, e->profile);
			if (!e->child) {
				snprintf(err, errlen, "%s: exec edge %s names profile "
					 "\"%s\", which is not in %s.d/",
					 p->path ? p->path : p->comm, e->path,
					 e->profile, p->comm);
				return -1;
			}
		}
	}
	return 0;
}
