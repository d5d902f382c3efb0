// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscfi-timer: an interval timer whose signals interrupt blocking calls.
 *
 *   syscfi-timer [MILLISECONDS]     (default 300, at most 10000)
 *
 * setitimer(ITIMER_REAL) raises SIGALRM every 20 ms; its handler
 * (SA_RESTART) writes one byte to a pipe.  The main loop reads a byte of
 * that pipe, then sleeps: 12 ms on even rounds, so that the next read
 * blocks until a tick lands inside it (the read is restarted after the
 * handler); 25 ms on odd rounds, so that a tick interrupts the sleep
 * (nanosleep returns EINTR and the loop sleeps again for the rest).  It
 * runs until the run time is over.  SIGCHLD
 * is left at its default action and a short-lived child is forked once,
 * so a trace also shows a signal that an untraced process never receives.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int tick_pipe[2];

static void on_alarm(int sig)
{
	char c = (char)sig;
	int saved = errno;

	/* the pipe has room for far more ticks than one run makes */
	if (write(tick_pipe[1], &c, 1) < 0)
		_exit(3);
	errno = saved;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct sigaction sa;
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 300;
	double end;
	unsigned ticks = 0;
	pid_t child;

	if (ms <= 0 || ms > 10000) {
		fprintf(stderr, "usage: syscfi-timer [MILLISECONDS 1..10000]\n");
		return 2;
	}
	if (pipe(tick_pipe) < 0) {
		perror("pipe");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0) {
		perror("timer");
		return 1;
	}
	child = fork();
	if (child == 0)
		_exit(0);
	end = now() + ms / 1000.0;
	while (now() < end) {
		struct timespec rest = { 0, ticks % 2 ? 25000000 : 12000000 };
		char c;

		if (read(tick_pipe[0], &c, 1) == 1)
			ticks++;
		while (nanosleep(&rest, &rest) < 0 && errno == EINTR)
			;
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("%u ticks\n", ticks);
	return 0;
}
