// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The exec_edges map of the profiles' exec edges (design.md section 2).
 * Every edge gives two keys: (parent, dev, inode of the path's file), what
 * the kernel matches for a binary, and (parent, path), what it matches for
 * a #! script, whose bprm->file is the interpreter.  A key the other kind
 * of exec never looks up costs nothing, so the loader does not need to
 * know which kind the target is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "loader.h"

uint32_t edges_map_size(const struct sc_profile_set *set)
{
	uint64_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += 2 * set->v[i]->nedges;
	return n ? (n > UINT32_MAX ? UINT32_MAX : (uint32_t)n) : 1;
}

static uint32_t id_of(const struct sc_profile_set *set, const struct sc_profile *p)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i] == p)
			return (uint32_t)i + 1;
	return 0;
}

/* put key -> val, or (compare) check that the map holds it */
static int edge_put(int fd, const struct sc_edge_key *k, uint32_t val,
		    bool compare, const struct sc_profile *p,
		    const struct sc_exec_edge *e)
{
	uint32_t got;

	if (compare)
		return bpf_map_lookup_elem(fd, k, &got) || got != val ? 1 : 0;
	if (!bpf_map_update_elem(fd, k, &val, BPF_NOEXIST))
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* two paths of one file (a link): the first edge wins */
	if (!bpf_map_lookup_elem(fd, k, &got) && got != val)
		fprintf(stderr, "loader: %s: exec edge %s: the same file as an "
			"earlier edge, which says otherwise; the earlier one holds\n",
			p->path ? p->path : sc_profile_label(p), e->path);
	return 0;
}

int edges_fill(int fd, const struct sc_profile_set *set, bool compare)
{
	struct sc_edge_key k;
	struct stat st;
	int r;

	for (size_t i = 0; i < set->n; i++) {
		const struct sc_profile *p = set->v[i];

		for (size_t j = 0; j < p->nedges; j++) {
			const struct sc_exec_edge *e = &p->edges[j];
			uint32_t val = e->handoff ? SC_EDGE_HANDOFF :
				       id_of(set, e->child);

			memset(&k, 0, sizeof(k));
			k.parent = (uint32_t)i + 1;
			snprintf(k.path, sizeof(k.path), "%s", e->path);
			if ((r = edge_put(fd, &k, val, compare, p, e)))
				return r;
			if (root_stat(e->path, &st)) {
				if (!compare)
					fprintf(stderr, "loader: %s: exec edge %s: %s "
						"(an exec of it is exec-unexpected "
						"until the loader starts again)\n",
						p->path ? p->path : sc_profile_label(p),
						e->path, strerror(errno));
				continue;
			}
			memset(k.path, 0, sizeof(k.path));
			k.dev = kernel_dev(st.st_dev);
			k.ino = st.st_ino;
			if ((r = edge_put(fd, &k, val, compare, p, e)))
				return r;
		}
	}
	return 0;
}
