// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * thread-exec PROG ARG...: a second thread execs PROG while the main
 * thread waits.  The exec takes over the process: the thread gets the
 * leader's tid (de_thread), so a task bound at that exec changes tid, and
 * its hot slot (bpf/syscfi.bpf.c) must follow.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static char **args;

static void *run(void *unused)
{
	(void)unused;
	execv(args[0], args);
	perror("thread-exec: execv");
	_exit(127);
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc < 2) {
		fprintf(stderr, "usage: thread-exec PROG [ARG...]\n");
		return 2;
	}
	args = argv + 1;
	if (pthread_create(&t, NULL, run, NULL)) {
		perror("thread-exec: pthread_create");
		return 1;
	}
	for (;;)
		pause();	/* the exec ends this thread */
}
