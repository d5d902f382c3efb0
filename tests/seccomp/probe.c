// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe: a program that makes one syscall its normal run never makes, for
 * tests/seccomp.bats.
 *
 *   probe normal|mkdir|x32|i386|socket DIR
 *
 * Every mode says "probe: start" and ends with one line of what happened.
 * "mkdir" makes DIR with mkdir(2); "x32" with the x32 number of mkdir
 * (bit 30 set); "i386" with int 0x80 (the ia32 table's mkdir, 39); "socket"
 * opens a TCP socket.  Raw write(2) only, so that every run makes the same
 * calls up to the one under test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X32_BIT		0x40000000L
#define I386_MKDIR	39

static void say(const char *what, long rc, int err)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "probe: %s: %s\n", what,
			 rc >= 0 ? "done" : err == EPERM ? "EPERM" :
			 err == ENOSYS ? "ENOSYS" : "failed");

	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		_exit(3);
}

/* int 0x80 passes 32-bit pointers: the path must sit below 4 GiB */
static long i386_mkdir(const char *dir)
{
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long rc = I386_MKDIR;

	if (low == MAP_FAILED)
		return -1;
	snprintf(low, 4096, "%s", dir);
	__asm__ volatile("int $0x80" : "+a"(rc) : "b"(low), "c"(0755)
			 : "memory");
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		rc = -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *dir = argc > 2 ? argv[2] : "";
	long rc = 0;

	if (argc != 3)
		return 2;
	say("start", 0, 0);
	errno = 0;
	if (!strcmp(mode, "mkdir"))
		rc = mkdir(dir, 0755);
	else if (!strcmp(mode, "x32"))
		rc = syscall(X32_BIT | SYS_mkdir, dir, 0755);
	else if (!strcmp(mode, "i386"))
		rc = i386_mkdir(dir);
	else if (!strcmp(mode, "socket"))
		rc = socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(mode, "normal"))
		return 2;
	say(mode, rc, errno);
	return 0;
}
