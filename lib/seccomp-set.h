/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The set of syscalls a profile makes, and its seccomp forms: a filter that
 * allows that set and nothing else, which the kernel applies before a
 * syscall runs (the BPF program checks the order, after).  syscfi-run
 * loads such a filter with libseccomp; `extractor --seccomp` writes it as
 * an OCI/Docker seccomp profile.  (Not named seccomp.h: -Ilib would hide
 * libseccomp's header.)
 */
#ifndef SC_SECCOMP_SET_H
#define SC_SECCOMP_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "syscfi.h"

/*
 * Load the profiles (files or folders, as sc_profile_set_load) and set
 * set[] to the union of their syscalls, plus execve: whatever installs the
 * filter execs the program after it.  x86_64 profiles only.  Returns 0, or
 * -1 with err filled ("file:line:column: reason" for a bad profile).
 */
int sc_syscall_union(char *const *paths, int npaths, uint8_t set[SC_NR_MAX],
		     char *err, size_t errlen);

/*
 * Write set as an OCI/Docker seccomp profile to f: every syscall of the set
 * allowed by name, anything else denied with EPERM, or kills the process
 * when kill.  A number without a name in this build's tables cannot be
 * named to a runtime: it is left out (so denied) and counted in *unnamed.
 * Returns 0, or -1 (errno) when f could not be written.
 */
int sc_seccomp_oci_write(FILE *f, const uint8_t set[SC_NR_MAX], bool kill,
			 unsigned *unnamed);

/*
 * extractor --seccomp: the union of the profiles, written to out (a file,
 * replaced whole; NULL or "-" for stdout).  Returns 0, or -1 with err
 * filled; on success err holds a warning, or "".
 */
int sc_seccomp_oci_file(char *const *paths, int npaths, bool kill,
			const char *out, char *err, size_t errlen);

#endif
