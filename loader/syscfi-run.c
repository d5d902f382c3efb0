// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscfi-run: run a command under a seccomp filter that allows only the
 * syscalls its profiles made.  The kernel refuses any other before it
 * runs, for every user, in the command and everything it starts: the
 * filter is inherited by children and kept across exec.  The sequence is
 * left to the loader's BPF program.  usage() is the manual.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp-set.h"
#include "syscalls.h"

static void usage(FILE *f)
{
	fprintf(f,
"NAME\n"
"    syscfi-run - run a command allowed only the syscalls of its profiles\n"
"\n"
"SYNOPSIS\n"
"    syscfi-run [--kill] [--log] PROFILE... -- COMMAND [ARG...]\n"
"\n"
"DESCRIPTION\n"
"    Loads the syscfi profiles (files, or folders of *.json), installs a\n"
"    seccomp filter that allows the union of their syscalls and nothing\n"
"    else, sets no_new_privs, and execs COMMAND (searched in PATH when it\n"
"    has no '/').  Any other syscall fails with EPERM before it runs: it\n"
"    never ran, so refusing it stops its effect, and the program takes its\n"
"    error path (a record that missed a rare honest call costs that call,\n"
"    not the service; --kill when that is not enough).\n"
"\n"
"    The filter stays on COMMAND, its threads, its children and every\n"
"    program they exec, and cannot be removed: give the profile of COMMAND\n"
"    and of every program it may exec.  No root needed.  Only the set is\n"
"    checked; the order is the loader's (syscfi-loader).  seccomp does not\n"
"    see the operations an allowed io_uring_enter submits.\n"
"\n"
"OPTIONS\n"
"    --kill    kill the whole process (SIGSYS, exit status 159 in a shell)\n"
"              instead of failing the syscall\n"
"    --log     have the kernel log each refused syscall (audit, dmesg)\n"
"    -h, --help\n"
"\n"
"    i386 (int 0x80) and x32 syscalls are refused, or killed, whatever\n"
"    their number.  The profiles must be x86_64 ones.\n"
"\n"
"EXIT STATUS\n"
"    COMMAND's own; 2 for bad usage or a bad profile (file:line:column);\n"
"    1 when the filter cannot be installed; 127 when COMMAND is not found,\n"
"    126 when it cannot be run.\n"
"\n"
"EXAMPLES\n"
"    strace -f -o app.syscall ./app && syscfi-extractor -o prof app.syscall\n"
"    syscfi-run prof/app.json -- ./app --serve\n"
"    syscfi-run --kill prof/app.json prof/helper.json -- ./app\n"
"    syscfi-run --log prof/ -- ./app          # every profile of a folder\n"
"    syscfi-extractor --seccomp prof/app.json > app-seccomp.json\n"
"                                             # the same set, for a runtime\n");
}

/* COMMAND's path, looked up in PATH before the filter, so that a missing
 * command is reported while writing a message is still allowed */
static char *find_command(const char *cmd, int *status)
{
	const char *path = getenv("PATH");
	char *dirs = NULL, *dir, *save, *full = NULL;
	int err = ENOENT;

	if (strchr(cmd, '/')) {
		struct stat st;

		err = 0;
		if (stat(cmd, &st))
			err = errno;
		else if (S_ISDIR(st.st_mode))
			err = EISDIR;
		else if (access(cmd, X_OK))
			err = errno;
		if (err) {
			fprintf(stderr, "syscfi-run: %s: %s\n", cmd, strerror(err));
			*status = err == ENOENT ? 127 : 126;
			return NULL;
		}
		full = strdup(cmd);
		if (!full)
			goto oom;
		return full;
	}
	/* execvp's own default when PATH is unset */
	dirs = strdup(path ? path : "/bin:/usr/bin");
	if (!dirs)
		goto oom;
	for (dir = strtok_r(dirs, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if (asprintf(&full, "%s/%s", dir, cmd) < 0)
			goto oom;
		if (!stat(full, &st) && S_ISREG(st.st_mode) && !access(full, X_OK))
			break;
		if (!stat(full, &st) && S_ISREG(st.st_mode))
			err = EACCES;
		free(full);
		full = NULL;
	}
	free(dirs);
	if (!full) {
		fprintf(stderr, "syscfi-run: %s: %s\n", cmd, err == ENOENT ?
			"command not found" : strerror(err));
		*status = err == ENOENT ? 127 : 126;
	}
	return full;
oom:
	free(dirs);
	fprintf(stderr, "syscfi-run: out of memory\n");
	*status = 1;
	return NULL;
}

static int build_filter(scmp_filter_ctx ctx, const uint8_t set[SC_NR_MAX],
			uint32_t deny, bool log)
{
	int rc;

	/* i386 and x32 calls: the filter lists x86_64 alone, so the first
	 * fails its arch check and meets this action; x32 numbers carry
	 * bit 30 and so match no allowed number: the default action */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny);
	if (!rc && log)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (rc) {
		fprintf(stderr, "syscfi-run: seccomp attribute: %s\n",
			strerror(-rc));
		return -1;
	}
	for (int nr = 0; nr < SC_NR_MAX; nr++) {
		if (!set[nr])
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc) {
			fprintf(stderr, "syscfi-run: cannot allow %s (%d): %s\n",
				sc_syscall_name(SC_ARCH_X86_64, nr), nr,
				strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kill", no_argument, NULL, 'k' },
		{ "log", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t set[SC_NR_MAX];
	bool kill = false, log = false;
	scmp_filter_ctx ctx;
	char err[512], *path;
	int opt, sep, rc, status = 0;
	uint32_t deny;

	/* '+': options end at the first profile, so COMMAND's are its own */
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k': kill = true; break;
		case 'l': log = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	for (sep = optind; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	if (sep == optind || sep >= argc - 1) {
		fprintf(stderr, "syscfi-run: usage: syscfi-run [--kill] [--log] "
			"PROFILE... -- COMMAND [ARG...] (--help: the manual)\n");
		return 2;
	}
	if (sc_syscall_union(argv + optind, sep - optind, set, err,
			     sizeof(err))) {
		fprintf(stderr, "syscfi-run: %s\n", err);
		return 2;
	}
	/* the launcher's own calls once the filter is on: the exec, and the
	 * exit when it fails (sc_syscall_union added execve) */
	set[sc_syscall_nr(SC_ARCH_X86_64, "exit_group")] = 1;
	path = find_command(argv[sep + 1], &status);
	if (!path)
		return status;
	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		fprintf(stderr, "syscfi-run: profiles are x86_64; this is "
			"another architecture\n");
		return 1;
	}
	deny = kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(EPERM);
	ctx = seccomp_init(deny);
	if (!ctx) {
		fprintf(stderr, "syscfi-run: seccomp_init failed\n");
		return 1;
	}
	if (build_filter(ctx, set, deny, log))
		return 1;
	/* without it an unprivileged task may not install a filter, and a
	 * set-uid program could run with a filter its owner never chose */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		fprintf(stderr, "syscfi-run: no_new_privs: %s\n", strerror(errno));
		return 1;
	}
	/* once the filter is on, every syscall must be in the set: keep the
	 * free() calls at the end of seccomp_load from giving memory back
	 * to the kernel (brk) */
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	rc = seccomp_load(ctx);
	if (rc) {
		fprintf(stderr, "syscfi-run: seccomp_load: %s\n", strerror(-rc));
		return 1;
	}
	execv(path, argv + sep + 1);
	/* a message only when the set lets it out: --kill would kill us on
	 * a write the profiles never made */
	rc = errno;
	if (set[sc_syscall_nr(SC_ARCH_X86_64, "write")])
		fprintf(stderr, "syscfi-run: %s: %s\n", path, strerror(rc));
	_exit(rc == ENOENT ? 127 : 126);
}
