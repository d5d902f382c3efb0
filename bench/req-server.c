// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * req-server: a small static-file server and its client, the "real
 * workload" of bench/run: every request costs the server a read of the
 * request, openat/fstat/read/close of the file and a write of the reply,
 * the way a static web server spends its syscalls.
 *
 *   req-server serve FILE          listen on 127.0.0.1, print the port,
 *                                  serve FILE until a "QUIT" request
 *   req-server client PORT N K     N requests, K per connection; prints
 *                                  the wall time and requests/s
 *   req-server quit PORT           stop the server
 *
 * Requests are "GET\n"; replies are "<length>\n" then the file's bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

#define FILE_MAX (64 * 1024)

static char buf[FILE_MAX + 64];

static void die(const char *what)
{
	fprintf(stderr, "req-server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long parse_count(const char *s, const char *what)
{
	return bench_count("req-server", s, what, 1, INT_MAX);
}

/* write all of len bytes; -1 on error */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* one reply: the file read afresh each time, as a static server does */
static int serve_one(int c, const char *file)
{
	struct stat st;
	ssize_t n;
	int fd, hl;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_size > FILE_MAX) {
		close(fd);
		return -1;
	}
	hl = snprintf(buf, 32, "%lld\n", (long long)st.st_size);
	n = read(fd, buf + hl, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size)
		return -1;
	return write_all(c, buf, (size_t)hl + (size_t)n);
}

static int serve(const char *file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl))
		die("bind");
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		char req[64];
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		for (;;) {
			ssize_t n = read(c, req, sizeof(req));

			if (n <= 0)
				break;
			if (n >= 4 && !memcmp(req, "QUIT", 4)) {
				close(c);
				close(s);
				return 0;
			}
			if (serve_one(c, file))
				break;
		}
		close(c);
	}
}

static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int c, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		die("socket");
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	return c;
}

/* read one reply: "<length>\n" then length bytes */
static int read_reply(int c)
{
	size_t have = 0, want = 0;
	char *nl = NULL;

	for (;;) {
		ssize_t n = read(c, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			return -1;
		have += (size_t)n;
		if (!nl) {
			buf[have] = 0;
			nl = strchr(buf, '\n');
			if (nl)
				want = (size_t)(nl - buf) + 1 + strtoul(buf, NULL, 10);
		}
		if (nl && have >= want)
			return 0;
		if (have >= sizeof(buf) - 1)
			return -1;
	}
}

static int client(int port, long n, long k)
{
	struct timespec t0, t1;
	double s;
	int c = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		if (i % k == 0) {
			if (c >= 0)
				close(c);
			c = dial(port);
		}
		if (write_all(c, "GET\n", 4) || read_reply(c)) {
			fprintf(stderr, "req-server: request %ld failed\n", i);
			return 1;
		}
	}
	if (c >= 0)
		close(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("requests %ld seconds %.4f per_second %.0f us_per_request %.2f\n",
	       n, s, (double)n / s, s * 1e6 / (double)n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client((int)parse_count(argv[2], "PORT"),
			      parse_count(argv[3], "N"), parse_count(argv[4], "K"));
	if (argc == 3 && !strcmp(argv[1], "quit")) {
		int c = dial((int)parse_count(argv[2], "PORT"));

		return write_all(c, "QUIT\n", 5) ? 1 : 0;
	}
	fprintf(stderr, "usage: req-server serve FILE | client PORT N K | quit PORT\n"
		"EXAMPLES\n  req-server serve /etc/services &\n"
		"  req-server client 40000 20000 100\n");
	return 2;
}
