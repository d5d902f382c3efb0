// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Profiles' syscall sets as seccomp allow lists: see seccomp-set.h.
 *
 * Why deny with EPERM by default, not kill: a syscall seccomp refuses
 * never runs, so refusing it already stops its effect; EPERM then lets the
 * program take its error path (a record that missed a rare but honest
 * call costs one failed call, not the service).  --kill is for when an
 * attacker must not get to try again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "seccomp-set.h"
#include "syscalls.h"

int sc_syscall_union(char *const *paths, int npaths, uint8_t set[SC_NR_MAX],
		     char *err, size_t errlen)
{
	struct sc_profile_set ps = { 0 };
	int rc = 0;

	memset(set, 0, SC_NR_MAX);
	if (sc_profile_set_load(&ps, paths, npaths, err, errlen) < 0)
		return -1;
	if (!ps.n) {
		snprintf(err, errlen, "no profile in %s%s", paths[0],
			 npaths > 1 ? " ..." : "");
		rc = -1;
	}
	for (size_t i = 0; i < ps.n && !rc; i++) {
		const struct sc_profile *p = ps.v[i];

		/* the numbers of an i386 profile are another table's */
		if (p->arch != SC_ARCH_X86_64) {
			snprintf(err, errlen, "%s: arch %s: seccomp filters are "
				 "made of x86_64 profiles only", p->path,
				 sc_arch_name(p->arch));
			rc = -1;
			break;
		}
		sc_profile_syscalls(p, set);
	}
	sc_profile_set_free(&ps);
	if (!rc)
		set[sc_syscall_nr(SC_ARCH_X86_64, "execve")] = 1;
	return rc;
}

/* a name a runtime can resolve: the table's, not strace's syscall_0x1c3 */
static const char *oci_name(int nr)
{
	const char *s = sc_syscall_name(SC_ARCH_X86_64, nr);

	return s && sc_syscall_raw_nr(s, (unsigned)strlen(s)) < 0 ? s : NULL;
}

static int cmp_name(const void *l, const void *r)
{
	return strcmp(*(const char *const *)l, *(const char *const *)r);
}

int sc_seccomp_oci_write(FILE *f, const uint8_t set[SC_NR_MAX], bool kill,
			 unsigned *unnamed)
{
	const char *names[SC_NR_MAX];
	size_t n = 0;

	*unnamed = 0;
	for (int nr = 0; nr < SC_NR_MAX; nr++) {
		if (!set[nr])
			continue;
		if (oci_name(nr))
			names[n++] = oci_name(nr);
		else
			(*unnamed)++;
	}
	qsort(names, n, sizeof(names[0]), cmp_name);
	/* the field names of the OCI runtime spec's linux.seccomp object,
	 * which Docker and Podman take as a --security-opt seccomp= file;
	 * only x86_64 is listed, so i386 and x32 calls are refused too */
	fprintf(f, "{\n  \"defaultAction\": \"%s\",\n",
		kill ? "SCMP_ACT_KILL_PROCESS" : "SCMP_ACT_ERRNO");
	if (!kill)
		fprintf(f, "  \"defaultErrnoRet\": %d,\n", EPERM);
	fprintf(f, "  \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
		"  \"syscalls\": [\n    {\n      \"names\": [");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n        \"%s\"", i ? "," : "", names[i]);
	fprintf(f, "\n      ],\n      \"action\": \"SCMP_ACT_ALLOW\"\n    }\n"
		"  ]\n}\n");
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* out replaced whole: written to a temporary beside it, then renamed */
static int write_file(const char *out, const uint8_t set[SC_NR_MAX],
		      bool kill, unsigned *unnamed, char *err, size_t errlen)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd = -1, rc = -1;

	if (asprintf(&tmp, "%s.XXXXXX", out) < 0) {
		tmp = NULL;
		snprintf(err, errlen, "%s: out of memory", out);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (sc_seccomp_oci_write(f, set, kill, unnamed) || fsync(fileno(f))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, out)) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int sc_seccomp_oci_file(char *const *paths, int npaths, bool kill,
			const char *out, char *err, size_t errlen)
{
	uint8_t set[SC_NR_MAX];
	unsigned unnamed = 0;

	if (sc_syscall_union(paths, npaths, set, err, errlen))
		return -1;
	if (!out || !strcmp(out, "-")) {
		if (sc_seccomp_oci_write(stdout, set, kill, &unnamed)) {
			snprintf(err, errlen, "stdout: %s", strerror(errno));
			return -1;
		}
	} else if (write_file(out, set, kill, &unnamed, err, errlen)) {
		return -1;
	}
	err[0] = '\0';
	if (unnamed)
		snprintf(err, errlen, "warning: %u syscalls of the profiles have "
			 "no name in this build's tables (syscall_0x...): left "
			 "out, so a runtime denies them", unnamed);
	return 0;
}
