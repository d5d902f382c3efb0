/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The profile store: the folder that the extractor and `loader --learn`
 * merge what they learned into.  One rule for which comm can name a file
 * (sc_comm_ok), one way to make the folders (DIR and the scope folders
 * DIR/a.d/b.d/ of exec'd programs), one merge rule; the files are
 * written with sc_profile_save / sc_profile_save_all.
 */
#ifndef SC_STORE_H
#define SC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include "profile.h"

struct sc_store {
	const char *dir;
	/* a writer running as root (the learner): every folder from / to
	 * dir and below it must be root's, not writable by others (those
	 * above dir may be sticky, as /tmp) and not a symbolic link, so that
	 * no other user can choose where root writes */
	bool root_only;
};

/* dir, made (0755) if it is missing, and checked as root_only says;
 * -1 with err filled ("DIR: reason") */
int sc_store_open(struct sc_store *st, const char *dir, bool root_only,
		  char *err, size_t errlen);
/* why p cannot have a file in a store: a comm of its scope chain breaks
 * sc_comm_ok, or the chain is deeper than SC_SCOPE_DEPTH_MAX folders;
 * NULL when it can */
const char *sc_store_refused(const struct sc_profile *p);
/* the file of p (DIR/<comm>.json, DIR/<parent>.d/<comm>.json, ...), its
 * scope folders made; malloc'd, or NULL with err filled */
char *sc_store_path(const struct sc_store *st, const struct sc_profile *p,
		    char *err, size_t errlen);
/* add src to dst, which must agree on arch, depth, version and
 * transparent set; stored is the one of them read from the store, whose
 * file the refusal names: -1, "FILE: cannot merge: ..." */
int sc_store_merge(struct sc_profile *dst, const struct sc_profile *src,
		   const struct sc_profile *stored, char *err, size_t errlen);

#endif
