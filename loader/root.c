// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --root DIR: where the paths that profiles name (an "exe", an exec edge's
 * "path") are looked up.  They name the files of the machine the profiled
 * programs run on; a loader in a container has a root of its own, in which
 * they are missing or other files, so it is given the host's: with the
 * host's PID namespace, /proc/1/root.  Each path is resolved with DIR as
 * its "/" (openat2 RESOLVE_IN_ROOT), so an absolute symlink on the host,
 * /etc/alternatives/x -> /usr/bin/y say, lands on the host's file too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "loader.h"

static int root_fd = -1;

int root_open(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "loader: --root %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (root_fd >= 0)
		close(root_fd);
	root_fd = fd;
	return 0;
}

int root_stat(const char *path, struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT,
	};
	int fd, r, e;

	if (root_fd < 0)
		return stat(path, st);
	fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0)
		return -1;
	r = fstat(fd, st);
	e = errno;
	close(fd);
	errno = e;
	return r;
}
