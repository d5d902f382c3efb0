/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* In-memory profiles and their JSON files (design.md section 4). */
#ifndef SC_PROFILE_H
#define SC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* one transition (a, b) -> x and how often it was seen */
struct sc_trans {
	uint16_t a, b, x;	/* syscall numbers or SC_START / SC_UNKNOWN / SC_ANY */
	uint64_t count;
};

struct sc_profile {
	char comm[16];		/* NUL-terminated, at most 15 bytes */
	char *exe;		/* absolute path or NULL */
	int arch;		/* SC_ARCH_* */
	int depth;		/* 1 or 2 */
	int window;		/* 1..SC_WINDOW_MAX */
	bool has_threshold;
	double threshold;	/* bits per syscall */
	uint64_t traces, tasks, syscalls;	/* stats */
	/* transitions: open-addressed hash of (a,b,x) -> count; use the API */
	struct sc_trans *slots;
	size_t nslots, ntrans;
	char *path;		/* file it was read from, or NULL */
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
/* count of (a, b, x), 0 if unseen */
uint64_t sc_profile_count(const struct sc_profile *p, unsigned a, unsigned b,
			  unsigned x);
/* transitions sorted by (name of a, name of b, name of x); caller frees */
struct sc_trans *sc_profile_sorted(const struct sc_profile *p, size_t *n);
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

/* basename of an exec'd path cut to 15 bytes, as the kernel sets comm */
void sc_comm_from_path(const char *path, char comm[16]);

#endif
