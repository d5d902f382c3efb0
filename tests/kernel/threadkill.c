// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * threadkill [bad] DIR: a second thread blocks on a pipe; the main thread
 * wakes it, then sleeps 0.3 s and writes DIR/main.out.  With "bad" the woken
 * thread makes a syscall its normal run never made (getppid) before it
 * returns.  Under loader --kill that thread's violation must take the whole
 * process down: DIR/main.out is never written.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static int bad;

static void *worker(void *arg)
{
	char c;

	(void)arg;
	if (read(fds[0], &c, 1) == 1 && bad)
		syscall(SYS_getppid);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec nap = { 0, 300000000 };
	char path[4096];
	pthread_t t;
	int fd;

	bad = argc > 2 && !strcmp(argv[1], "bad");
	if (argc < 2 || pipe(fds) || pthread_create(&t, NULL, worker, NULL))
		return 2;
	/* no pthread_join: whether it waits on a futex depends on timing */
	if (write(fds[1], "x", 1) != 1)
		return 2;
	nanosleep(&nap, NULL);
	snprintf(path, sizeof(path), "%s/main.out", argv[argc - 1]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 2;
	close(fd);
	return 0;
}
