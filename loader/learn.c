// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --learn: the enforcement program in learn_mode counts the depth-2
 * transitions of the targeted tasks (same start, exec and fork rules as
 * enforcement); this file names the counts and writes one profile per
 * program into DIR (docs/learning.md).
 *
 * Flushes never double count: the profiles in DIR are read once, at
 * start (the base); every flush writes base + the kernel's counts so far,
 * which only grow.  A learner killed at any time leaves the last flush.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "store.h"
#include "syscalls.h"
#include "text.h"
#include "syscfi.skel.h"

#define CGROUP2_MAGIC 0x63677270	/* linux/magic.h CGROUP2_SUPER_MAGIC */

/* what the last flush wrote of one program: unchanged programs are not
 * rewritten */
struct written {
	uint64_t total, ntrans, tasks, syscalls, uring_ops, nedges;
};

struct learner {
	const struct loader_opts *opts;
	struct syscfi_bpf *skel;
	struct sc_store store;		/* -o DIR */
	struct sc_profile_set base;	/* DIR's profiles as read at start */
	struct sc_learn_name *names;	/* program id -> scope and comm ("" unused) */
	struct written *written;	/* program id -> last flush */
	bool *refused;			/* program id -> reported, not written */
	uint32_t nids;			/* max_programs + 1 */
	uint64_t last_ntrans;		/* for "+N new" */
	uint64_t last_lost, last_lost_programs;
	uint64_t last_unkeyed, last_edges_lost;
	size_t nwritten;		/* profile files written, all flushes */
};

/* cgroup v2 directory -> id (its inode) and depth below the hierarchy's
 * root (the mount point: the first ancestor on another device) */
static int cgroup_of(const char *path, uint64_t *id, uint32_t *level)
{
	char *cur = realpath(path, NULL), *slash;
	struct statfs sfs;
	struct stat st, up;
	int rc = -1;

	if (!cur || stat(cur, &st) || statfs(cur, &sfs)) {
		fprintf(stderr, "loader: --cgroup %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (sfs.f_type != CGROUP2_MAGIC || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "loader: --cgroup %s: not a cgroup v2 directory\n", path);
		goto out;
	}
	*id = st.st_ino;
	*level = 0;
	while ((slash = strrchr(cur, '/')) && slash != cur) {
		*slash = 0;
		if (stat(cur, &up) || up.st_dev != st.st_dev)
			break;
		(*level)++;
	}
	rc = 0;
out:
	free(cur);
	return rc;
}

static int configure(struct learner *L)
{
	const struct loader_opts *o = L->opts;
	struct syscfi_bpf *skel = L->skel;
	int err = 0;

	skel->rodata->learn_mode = (uint32_t)o->learn;
	memcpy((void *)skel->rodata->learn_transparent, o->transparent,
	       sizeof(o->transparent));
	skel->rodata->hot_slots_on = !o->no_hot;
	choose_programs(skel, o->learn != SC_LEARN_COMM, PROGS_LEARN);
	skel->rodata->learn_pid = o->learn_pid;
	skel->rodata->learn_max_programs = o->max_programs;
	if (o->learn == SC_LEARN_CGROUP &&
	    cgroup_of(o->learn_cgroup, (uint64_t *)&skel->rodata->learn_cgroup,
		      (uint32_t *)&skel->rodata->learn_cg_level))
		return -1;
	err = err ?: bpf_map__set_max_entries(skel->maps.learn_counts,
					      o->max_transitions);
	err = err ?: bpf_map__set_max_entries(skel->maps.learn_names, o->max_programs);
	err = err ?: bpf_map__set_max_entries(skel->maps.learn_ids, o->max_programs);
	err = err ?: bpf_map__set_max_entries(skel->maps.learn_edges,
					      o->max_programs * 4);
	err = err ?: bpf_map__set_max_entries(skel->maps.pstats, L->nids);
	err = err ?: bpf_map__set_max_entries(skel->maps.uring_ops, L->nids);
	if (err)
		fprintf(stderr, "loader: cannot size the BPF maps: %s\n", strerror(-err));
	return err ? -1 : 0;
}

/* --comm NAME is program id 1 before anything runs */
static int name_target(struct learner *L)
{
	struct sc_learn_name name = {0};
	uint32_t id = 1;

	memcpy(name.comm, L->opts->learn_comm,
	       strnlen(L->opts->learn_comm, SC_COMM_LEN - 1));
	if (bpf_map_update_elem(bpf_map__fd(L->skel->maps.learn_names), &name, &id,
				BPF_NOEXIST) ||
	    bpf_map_update_elem(bpf_map__fd(L->skel->maps.learn_ids), &id, &name,
				BPF_NOEXIST))
		return -errno;
	L->skel->bss->learn_next_id = 1;
	return 0;
}

/* a program exec'd by a learned one is scoped under it, never top
 * level: one whose parent is not named (yet) waits for the next flush */
static int scope_programs(struct learner *L, struct sc_profile **cur)
{
	bool moved = true;

	for (uint32_t id = 1; id < L->nids; id++)
		if (cur[id])
			cur[id]->parent = NULL;
	while (moved) {
		moved = false;
		for (uint32_t id = 1; id < L->nids; id++) {
			uint32_t par = L->names[id].parent;

			if (!cur[id] || !par)
				continue;
			/* a parent's id is handed out before its child's */
			if (par >= id || !cur[par]) {
				sc_profile_free(cur[id]);
				cur[id] = NULL;
				moved = true;	/* its own children go too */
				continue;
			}
			cur[id]->parent = cur[par];
		}
	}
	return 0;
}

/* the exec edges seen: (parent id, path) -> child id */
static int read_edges(struct learner *L, struct sc_profile **cur)
{
	int fd = bpf_map__fd(L->skel->maps.learn_edges);
	struct sc_edge_key key, next;
	void *prev = NULL;
	uint32_t child;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		key.path[sizeof(key.path) - 1] = 0;
		if (bpf_map_lookup_elem(fd, &key, &child) || key.parent >= L->nids ||
		    child >= L->nids || !cur[key.parent] || !cur[child] ||
		    sc_edge_path_refused(key.path))
			continue;
		if (sc_profile_add_edge(cur[key.parent], key.path, cur[child]->comm))
			return -1;
	}
	return 0;
}

/* the kernel's counts, one fresh profile per named program id */
static int read_counts(struct learner *L, struct sc_profile **cur,
		       uint64_t *ntrans)
{
	int fd_names = bpf_map__fd(L->skel->maps.learn_names);
	int fd_counts = bpf_map__fd(L->skel->maps.learn_counts);
	struct sc_learn_name name, next_name;
	uint64_t key, next, count;
	void *prev = NULL;
	uint32_t id;

	while (bpf_map_get_next_key(fd_names, prev, &next_name) == 0) {
		name = next_name;
		prev = &name;
		if (bpf_map_lookup_elem(fd_names, &name, &id) || id == 0 || id >= L->nids)
			continue;
		name.comm[SC_COMM_LEN - 1] = 0;
		L->names[id] = name;
		if (!cur[id]) {
			cur[id] = sc_profile_new(name.comm, SC_ARCH_X86_64, 2);
			if (!cur[id] ||
			    sc_profile_set_transparent(cur[id], L->opts->transparent))
				return -ENOMEM;
			cur[id]->traces = 1;	/* this learning session */
			/* what it execs is learned as its edges */
			cur[id]->has_exec = true;
		}
	}
	if (scope_programs(L, cur) || read_edges(L, cur))
		return -ENOMEM;
	*ntrans = 0;
	prev = NULL;
	while (bpf_map_get_next_key(fd_counts, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd_counts, &key, &count))
			continue;
		id = sc_key_profile(key);
		if (id >= L->nids || !cur[id])
			continue;	/* named after this read: next flush */
		if (sc_key_a(key) == SC_TRANSPARENT_KEY)
			sc_profile_add_transparent(cur[id], sc_key_x(key), count);
		else if (sc_profile_add(cur[id], sc_key_a(key), sc_key_b(key),
					sc_key_x(key), count))
			return -ENOMEM;
		(*ntrans)++;
	}
	return 0;
}

/* tasks and syscalls per program, summed over CPUs, and the io_uring
 * opcodes it submitted */
static void read_stats(struct learner *L, struct sc_profile **cur)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(L->skel->maps.pstats);
	int fd_uring = bpf_map__fd(L->skel->maps.uring_ops);
	struct sc_profile_stats *per;
	uint32_t id;
	int c;

	for (id = 1; id < L->nids; id++)
		if (cur[id])
			bpf_map_lookup_elem(fd_uring, &id, &cur[id]->uring_ops);

	if (ncpu <= 0 || !(per = calloc((size_t)ncpu, sizeof(*per))))
		return;
	for (id = 1; id < L->nids; id++) {
		if (!cur[id] || bpf_map_lookup_elem(fd, &id, per))
			continue;
		for (c = 0; c < ncpu; c++) {
			cur[id]->tasks += per[c].tasks;
			cur[id]->syscalls += per[c].syscalls;
		}
	}
	free(per);
}

static uint64_t total_count(const struct sc_profile *p)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < p->nslots; i++)
		if (p->slots[i].count)
			sum += p->slots[i].count;
	return sum;
}

/* the profile of DIR read at start that cur adds to, in the same scope */
static struct sc_profile *base_of(struct learner *L, const struct sc_profile *cur)
{
	struct sc_profile *scope = NULL;

	if (cur->parent && !(scope = base_of(L, cur->parent)))
		return NULL;
	return sc_profile_set_find_in(&L->base, scope, cur->comm);
}

/* base + cur -> DIR/<comm>.json (DIR/<parent>.d/<comm>.json for a program
 * a learned one exec'd), unless nothing changed since last time */
static int write_program(struct learner *L, uint32_t id, struct sc_profile *cur)
{
	struct written now = { total_count(cur), cur->ntrans, cur->tasks,
			       cur->syscalls, cur->uring_ops, cur->nedges };
	struct sc_profile *base;
	const char *why;
	char err[512], *path, name[SC_COMM_LEN * 4 + 1];
	int rc = 0;

	if (!memcmp(&now, &L->written[id], sizeof(now)) || L->refused[id])
		return 0;
	if ((why = sc_store_refused(cur))) {
		sc_text_escape(cur->comm, sizeof(cur->comm), name, sizeof(name));
		fprintf(stderr, "loader: program \"%s\" (exec'd as %s) %s, not written\n",
			name, cur->parent ? "a helper" : "a target", why);
		L->refused[id] = true;
		return 0;
	}
	base = base_of(L, cur);
	if (base && sc_store_merge(cur, base, base, err, sizeof(err))) {
		fprintf(stderr, "loader: %s: learn into another folder\n", err);
		L->refused[id] = true;
		return -1;
	}
	path = sc_store_path(&L->store, cur, err, sizeof(err));
	if (!path) {
		fprintf(stderr, "loader: -o %s\n", err);
		return -1;
	}
	if (sc_profile_save(cur, path, err, sizeof(err))) {
		fprintf(stderr, "loader: %s\n", err);
		rc = -1;
	} else {
		L->written[id] = now;
		L->nwritten++;
	}
	free(path);
	return rc;
}

/* execs that could not be learned as edges, said once each time the
 * count grows: enforcing, they are exec-unexpected */
static void report_edges_lost(struct learner *L)
{
	uint64_t unkeyed = L->skel->bss->learn_exec_unkeyed;
	uint64_t lost = L->skel->bss->learn_edges_lost;

	if (unkeyed != L->last_unkeyed)
		fprintf(stderr, "learn: %llu execs by a relative path or a file "
			"descriptor: not learned (no exec edge can name them)\n",
			(unsigned long long)unkeyed);
	if (lost != L->last_edges_lost)
		fprintf(stderr, "learn: exec edge map full (%u entries): %llu "
			"edges lost; raise it with --max-programs N\n",
			L->opts->max_programs * 4, (unsigned long long)lost);
	L->last_unkeyed = unkeyed;
	L->last_edges_lost = lost;
}

/* the kernel's counts so far -> DIR, and one progress line */
static int flush(struct learner *L, double elapsed)
{
	struct sc_profile **cur = calloc(L->nids, sizeof(*cur));
	uint64_t ntrans = 0, lost, lost_programs, syscalls = 0;
	uint32_t id, nprog = 0;
	int rc = 0;

	if (!cur || read_counts(L, cur, &ntrans)) {
		fprintf(stderr, "loader: out of memory reading the counts\n");
		rc = -1;
		goto out;
	}
	read_stats(L, cur);
	/* children first (a parent's id is the smaller): an edge written
	 * never names a scoped file that is not there yet */
	for (id = L->nids - 1; id >= 1; id--) {
		if (!cur[id])
			continue;
		nprog++;
		syscalls += cur[id]->syscalls;
		if (write_program(L, id, cur[id]))
			rc = -1;
	}
	fprintf(stderr, "learn: %.0fs: %u programs, %llu transitions (+%llu), %llu syscalls\n",
		elapsed, nprog, (unsigned long long)ntrans,
		(unsigned long long)(ntrans - L->last_ntrans),
		(unsigned long long)syscalls);
	L->last_ntrans = ntrans;
	lost = L->skel->bss->learn_lost;
	lost_programs = L->skel->bss->learn_lost_programs;
	if (lost != L->last_lost)
		fprintf(stderr, "learn: transition map full (%u entries): %llu counts lost; raise it with --max-transitions N\n",
			L->opts->max_transitions, (unsigned long long)lost);
	if (lost_programs != L->last_lost_programs)
		fprintf(stderr, "learn: program ids used up (%u): %llu programs not learned; raise it with --max-programs N\n",
			L->opts->max_programs, (unsigned long long)lost_programs);
	L->last_lost = lost;
	L->last_lost_programs = lost_programs;
	report_edges_lost(L);
out:
	for (id = 0; cur && id < L->nids; id++)
		sc_profile_free(cur[id]);
	free(cur);
	return rc;
}

/* flush every interval until a signal or the duration ends */
static int learn_loop(struct learner *L)
{
	double start = now_s(), end, next;
	double interval = L->opts->interval;

	end = L->opts->duration > 0 ? start + L->opts->duration : 0;
	next = start + interval;
	while (!stopping) {
		double t = now_s(), wake = next;

		if (end && t >= end)
			break;
		if (t >= next) {
			if (flush(L, t - start))
				return -1;
			next += interval;
			continue;
		}
		if (end && end < wake)
			wake = end;
		usleep((useconds_t)((wake - t) * 1e6 > 100000 ? 100000 : (wake - t) * 1e6));
	}
	return 0;
}

static void learner_free(struct learner *L)
{
	syscfi_bpf__destroy(L->skel);
	sc_profile_set_free(&L->base);
	free(L->names);
	free(L->written);
	free(L->refused);
}

int learn_run(const struct loader_opts *opts)
{
	struct learner L = { .opts = opts };
	char *dir = (char *)opts->out_dir, err[512];
	double start;
	int rc = EXIT_USAGE, e;

	loader_libbpf_log(opts->verbose);
	L.nids = opts->max_programs + 1;
	L.names = calloc(L.nids, sizeof(*L.names));
	L.written = calloc(L.nids, sizeof(*L.written));
	L.refused = calloc(L.nids, sizeof(*L.refused));
	if (!L.names || !L.written || !L.refused) {
		fprintf(stderr, "loader: out of memory\n");
		goto cleanup;
	}
	if (opts->learn == SC_LEARN_PID && kill((pid_t)opts->learn_pid, 0) &&
	    errno == ESRCH) {
		fprintf(stderr, "loader: --pid %u: no such process\n", opts->learn_pid);
		goto cleanup;
	}
	/* the base: a bad profile in DIR is exit 2 before anything runs */
	if (sc_store_open(&L.store, dir, true, err, sizeof(err))) {
		fprintf(stderr, "loader: -o %s\n", err);
		goto cleanup;
	}
	if (sc_profile_set_load(&L.base, &dir, 1, err, sizeof(err))) {
		fprintf(stderr, "loader: %s\n", err);
		goto cleanup;
	}
	rc = EXIT_KERNEL;
	if (check_kernel())
		goto cleanup;
	L.skel = object_open();
	if (!L.skel)
		goto cleanup;
	if (configure(&L)) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	L.skel = object_load(L.skel, opts->verbose);
	if (!L.skel)
		goto cleanup;
	e = opts->learn == SC_LEARN_COMM ? name_target(&L) : 0;
	if (e) {
		fprintf(stderr, "loader: cannot fill the BPF maps: %s\n", strerror(-e));
		goto cleanup;
	}
	e = syscfi_bpf__attach(L.skel);
	if (e) {
		fprintf(stderr, "loader: cannot attach: %s\n", strerror(-e));
		goto cleanup;
	}
	start = now_s();
	fprintf(stderr, "ready: learning into %s (flush every %gs)\n", opts->out_dir,
		opts->interval);
	rc = learn_loop(&L) ? EXIT_USAGE : EXIT_OK;
	/* detach first so the counts stop moving, then the final flush */
	syscfi_bpf__detach(L.skel);
	if (flush(&L, now_s() - start))
		rc = EXIT_USAGE;
	fprintf(stderr, "learn: done: profiles in %s (%zu file writes)\n", opts->out_dir,
		L.nwritten);

cleanup:
	learner_free(&L);
	return rc;
}
