/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Profiles in memory (profile.c), their JSON files (profile-json.c,
 * design.md section 4) and folders of them (profile-dir.c). */
#ifndef SC_PROFILE_H
#define SC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "syscfi.h"

/* one transition (a, b) -> x and how often it was seen */
struct sc_trans {
	uint16_t a, b, x;	/* syscall numbers or SC_START / SC_SIGNAL / SC_ANY */
	uint64_t count;
};

/* one exec edge: a program this profile execs (design.md section 2) */
struct sc_exec_edge {
	char *path;		/* absolute, as exec'd */
	bool handoff;		/* the target runs unprofiled */
	char profile[16];	/* else: comm of the scoped profile in <this>.d/ */
	struct sc_profile *child;	/* that profile, once a set is loaded */
};

struct sc_profile {
	char comm[16];		/* NUL-terminated, at most 15 bytes */
	char *exe;		/* absolute path or NULL */
	int arch;		/* SC_ARCH_* */
	int version;		/* file format: 1, or 2 with a transparent set */
	int depth;		/* 1 or 2 */
	int window;		/* 1..SC_WINDOW_MAX */
	bool has_threshold;
	double threshold;	/* bits per syscall */
	uint64_t traces, tasks, syscalls;	/* stats */
	uint64_t uring_ops;	/* io_uring opcodes it may submit: bit IORING_OP_* */
	/* transitions: open-addressed hash of (a,b,x) -> count; use the API */
	struct sc_trans *slots;
	size_t nslots, ntrans;
	char *path;		/* file it was read from, or NULL */
	/* version 2: the transparent set (wait and wakeup calls that are in
	 * the syscall set but never in a state), bitwise, and how often each
	 * was seen (SC_NR_MAX counts; a member seen 0 times is not allowed) */
	uint64_t transparent[SC_NR_MAX / 64];
	uint64_t *tcount;
	/* exec edges: with has_exec, every exec is checked against them */
	bool has_exec;
	struct sc_exec_edge *edges;	/* sorted by path, no duplicates */
	size_t nedges;
	/* scope: a profile under a parent binds only through its edges */
	struct sc_profile *parent;
	char *label;		/* "parent/comm" of a scoped profile, else NULL */
};

struct sc_profile_set {
	struct sc_profile **v;
	size_t n, cap;
};

struct sc_profile *sc_profile_new(const char *comm, int arch, int depth);
void sc_profile_free(struct sc_profile *p);

/* add count to (a, b, x); saturates at UINT64_MAX; -1 on ENOMEM.
 * A depth-1 profile stores (SC_ANY, b, x) whatever a is given (its file
 * rows are ["b", "x", count]); sc_profile_count looks up the same way. */
int sc_profile_add(struct sc_profile *p, unsigned a, unsigned b, unsigned x,
		   uint64_t count);
/* make p a version-2 profile with the transparent set (SC_NR_MAX / 64
 * words); -1 on ENOMEM */
int sc_profile_set_transparent(struct sc_profile *p, const uint64_t *set);
/* add count to transparent call x of a version-2 profile (a member) */
void sc_profile_add_transparent(struct sc_profile *p, unsigned x,
				uint64_t count);
/* the documented default transparent set for arch (docs/design.md) */
void sc_transparent_default(int arch, uint64_t set[SC_NR_MAX / 64]);
/* parse "name,name,..." (or "none") into set; -1 naming the bad name in
 * err */
int sc_transparent_parse(int arch, const char *list,
			 uint64_t set[SC_NR_MAX / 64], char *err,
			 size_t errlen);
/* the transparent calls that p allows: members seen at least once */
void sc_profile_transparent_seen(const struct sc_profile *p,
				 uint64_t set[SC_NR_MAX / 64]);

/* count of (a, b, x), 0 if unseen */
uint64_t sc_profile_count(const struct sc_profile *p, unsigned a, unsigned b,
			  unsigned x);
/* set[nr] = 1 for every syscall p may make (its seccomp allow list); adds
 * to set, never clears it */
void sc_profile_syscalls(const struct sc_profile *p, uint8_t set[SC_NR_MAX]);
/* transitions sorted by (name of a, name of b, name of x); caller frees */
struct sc_trans *sc_profile_sorted(const struct sc_profile *p, size_t *n);
/* whether some transition of p ends in syscall x */
bool sc_profile_makes(const struct sc_profile *p, unsigned x);
/* merge src's counts and stats into dst (same comm/arch/depth) */
int sc_profile_merge(struct sc_profile *dst, const struct sc_profile *src);

/*
 * Read one profile.  On error returns NULL and writes
 * "file:line:column: reason" to err.  Refuses: JSON syntax errors,
 * duplicate keys, wrong types, unknown format/version, unknown arch,
 * unknown syscall names, negative or non-integer counts, duplicate
 * transitions, depth other than 1/2, window outside 1..SC_WINDOW_MAX.
 */
struct sc_profile *sc_profile_load(const char *path, char *err, size_t errlen);
/* how many loads so far took the fast reader of transition rows (the
 * rest went to jansson alone) */
unsigned long sc_profile_fast_loads(void);

/*
 * Write a profile as stable, sorted JSON, one transition a line, through a
 * temporary file in the same directory renamed over path (never half
 * written).  Returns 0, or -1 with err filled.  Counts above INT64_MAX
 * (the largest integer jansson reads) are written as INT64_MAX.
 */
int sc_profile_save(const struct sc_profile *p, const char *path, char *err,
		    size_t errlen);
/* save v[i] to paths[i] for every i, all or nothing: every file is written
 * to its temporary first, and none is renamed into place unless all were
 * (a full disk leaves the old set whole, not half merged) */
int sc_profile_save_all(struct sc_profile *const *v, char *const *paths,
			size_t n, char *err, size_t errlen);

/* a profile file larger than this is refused (a regular file only: a FIFO
 * or a device is refused too) */
#define SC_PROFILE_SIZE_MAX	(256 << 20)

/* 0 when every profile of set is of arch; else -1 and err names the first
 * other one, "file:line:column: reason" (the kernel program checks
 * x86_64 numbers only: an i386 profile would be read as x86_64) */
int sc_profile_set_require_arch(const struct sc_profile_set *set, int arch,
				char *err, size_t errlen);

/* Load every *.json of a directory (sorted by name), or the given files;
 * all or nothing: on error the set is emptied, -1, err filled.  Two
 * profiles with one comm are an error naming both files. */
int sc_profile_set_load(struct sc_profile_set *set, char *const *paths,
			int npaths, char *err, size_t errlen);
void sc_profile_set_free(struct sc_profile_set *set);
struct sc_profile *sc_profile_set_find(const struct sc_profile_set *set,
				       const char *comm);
/* append p (the set owns it); -1 with errno EEXIST if its comm is taken */
int sc_profile_set_add(struct sc_profile_set *set, struct sc_profile *p);

/* ---- exec edges and scopes (lib/edges.c) ---- */

#define SC_SCOPE_DEPTH_MAX 8	/* X.d/Y.d/... folders below a top-level profile */

/* can path key an edge: absolute, not /dev/fd/..., shorter than
 * SC_EXEC_PATH_LEN; else NULL or the reason */
const char *sc_edge_path_refused(const char *path);
/* add or find the edge of path; child_comm NULL: hand over.  An edge
 * already there keeps what it says.  -1 on ENOMEM */
int sc_profile_add_edge(struct sc_profile *p, const char *path,
			const char *child_comm);
const struct sc_exec_edge *sc_profile_find_edge(const struct sc_profile *p,
						const char *path);
/* dst gets src's edges it lacks (and has_exec if src has it) */
int sc_profile_merge_edges(struct sc_profile *dst, const struct sc_profile *src);
void sc_profile_free_edges(struct sc_profile *p);
/* the profile's name in events and messages: "comm" or "parent/comm" */
const char *sc_profile_label(const struct sc_profile *p);
/* DIR/comm.json, DIR/parent.d/comm.json, ... (malloc'd) */
char *sc_profile_file(const char *dir, const struct sc_profile *p);
/* the folder of p's scoped profiles: DIR/comm.d, ... (malloc'd) */
char *sc_profile_scope_dir(const char *dir, const struct sc_profile *p);
/* a profile under parent (NULL: top level) by comm */
struct sc_profile *sc_profile_set_find_in(const struct sc_profile_set *set,
					  const struct sc_profile *parent,
					  const char *comm);
/* set labels, and point every edge at its scoped profile; -1 with err
 * naming the file when an edge names a profile its scope lacks */
int sc_profile_set_link(struct sc_profile_set *set, char *err, size_t errlen);
/* basename of an exec'd path cut to 15 bytes, as the kernel sets comm */
void sc_comm_from_path(const char *path, char comm[16]);

#endif
