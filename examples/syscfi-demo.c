// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscfi-demo: a tiny, deterministic "service" to profile and enforce.
 *
 *   syscfi-demo [normal|compromised|socket] [OUTPUT]
 *
 * Every mode reads /etc/os-release and counts its lines (the normal work).
 * "compromised" then forks and runs /bin/sh -c true, "socket" opens a TCP
 * socket: sequences a normal run never makes.  OUTPUT, when given, is
 * written last, after the bad action, so a test running under
 * `loader --kill` can check that a killed run never wrote it.
 *
 * Only raw syscall wrappers (no stdio buffering) so that two runs with the
 * same arguments make the same syscalls in the same order.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define INPUT "/etc/os-release"

static void say(const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* the normal work: count the lines of a small system file */
static long count_lines(const char *path)
{
	char buf[4096];
	long lines = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

/* the "attack": a shell, as an injected payload would start one */
static int run_shell(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int open_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int write_output(const char *path, long lines)
{
	char msg[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int len;

	if (fd < 0)
		return -1;
	len = snprintf(msg, sizeof(msg), "lines %ld\n", lines);
	if (write(fd, msg, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "normal";
	const char *out = argc > 2 ? argv[2] : NULL;
	long lines;

	if (argc > 3 || (strcmp(mode, "normal") && strcmp(mode, "compromised") &&
			 strcmp(mode, "socket"))) {
		say("usage: syscfi-demo [normal|compromised|socket] [OUTPUT]\n");
		return 2;
	}
	lines = count_lines(INPUT);
	if (!strcmp(mode, "compromised") && run_shell() < 0)
		return 1;
	if (!strcmp(mode, "socket") && open_socket() < 0)
		return 1;
	if (out && write_output(out, lines) < 0)
		return 1;
	say(lines >= 0 ? "syscfi-demo: done\n" : "syscfi-demo: no input\n");
	return 0;
}
