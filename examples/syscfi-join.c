// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscfi-join: start one thread and join it.
 *
 * The thread opens, reads and closes /etc/hostname and writes what it
 * read to a pipe; the main thread reads that pipe, joins the thread and
 * prints the length.  Whether the join waits on a futex depends on which
 * thread runs first: a trace shows one order, a full-speed run either.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int link_pipe[2];

static void *work(void *arg)
{
	char buf[256];
	ssize_t n = 0;
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

	(void)arg;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (n < 0)
		n = 0;
	if (write(link_pipe[1], buf, (size_t)n + (n == 0)) < 0)
		return (void *)1;
	return NULL;
}

int main(void)
{
	pthread_t t;
	char buf[256];
	ssize_t n;
	void *res;

	if (pipe(link_pipe) < 0 || pthread_create(&t, NULL, work, NULL)) {
		perror("syscfi-join");
		return 1;
	}
	n = read(link_pipe[0], buf, sizeof(buf));
	if (pthread_join(t, &res) || res) {
		fprintf(stderr, "syscfi-join: thread failed\n");
		return 1;
	}
	printf("%zd bytes\n", n);
	return 0;
}
