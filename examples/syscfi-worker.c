// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscfi-worker: a multi-threaded sample program that forks and execs.
 *
 *   syscfi-worker [THREADS]     (default 3, at most 16)
 *
 * Starts THREADS detached threads, each reading /etc/os-release, then
 * forks a child that execs syscfi-demo (found next to this binary) and
 * waits for it, then runs it once more with posix_spawn (a vfork-style
 * clone: the child's syscalls happen before the parent's clone returns).
 *
 * Deterministic per thread: every thread is created before any is allowed
 * to run (they block on a "go" pipe), so glibc never reuses a finished
 * thread's stack for the next one, and the main thread waits on a "done"
 * pipe instead of pthread_join (whose futex wait depends on timing).
 * Threads never exit on their own: they park in a read of a pipe nobody
 * writes and die with the process's exit_group, because detached threads
 * exiting side by side contend for glibc's stack-cache lock and make
 * futex calls or not as they race.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 16

extern char **environ;

static int go_pipe[2], done_pipe[2], park_pipe[2];

static int read_byte(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static void *work(void *arg)
{
	char buf[512];
	long sum = (long)(size_t)arg;
	int fd;
	ssize_t n;

	if (read_byte(go_pipe[0]) < 0)
		return NULL;
	fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			sum += n;
		close(fd);
	}
	(void)sum;
	if (write(done_pipe[1], "d", 1) != 1)
		return NULL;
	read_byte(park_pipe[0]);	/* until exit_group */
	return NULL;
}

/* path of syscfi-demo: the directory of /proc/self/exe */
static int demo_path(char *path, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", path, len - 1);
	char *slash;

	if (n <= 0)
		return -1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + sizeof("/syscfi-demo") > len)
		return -1;
	strcpy(slash, "/syscfi-demo");
	return 0;
}

int main(int argc, char **argv)
{
	char demo[PATH_MAX];
	pthread_attr_t attr;
	pthread_t tid;
	int nthreads = 3, status = 0;
	pid_t pid;

	if (argc > 1) {
		char *end;
		long v = strtol(argv[1], &end, 10);

		if (*end || v < 1 || v > MAX_THREADS) {
			fprintf(stderr, "usage: syscfi-worker [THREADS 1..%d]\n",
				MAX_THREADS);
			return 2;
		}
		nthreads = (int)v;
	}
	if (demo_path(demo, sizeof(demo)) < 0 || pipe(go_pipe) < 0 ||
	    pipe(done_pipe) < 0 || pipe(park_pipe) < 0)
		return 1;
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED))
		return 1;
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&tid, &attr, work, (void *)(size_t)i))
			return 1;
	for (int i = 0; i < nthreads; i++)
		if (write(go_pipe[1], "g", 1) != 1)
			return 1;
	for (int i = 0; i < nthreads; i++)
		if (read_byte(done_pipe[0]) < 0)
			return 1;

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execl(demo, "syscfi-demo", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;

	char *spawn_argv[] = { "syscfi-demo", NULL };

	if (posix_spawn(&pid, demo, NULL, NULL, spawn_argv, environ) ||
	    waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
