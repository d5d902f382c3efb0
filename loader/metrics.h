/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --metrics ADDR:PORT: the loader's counters in Prometheus's text format
 * at /metrics, served from the enforcement poll loop (metrics.c).
 */
#ifndef SC_METRICS_H
#define SC_METRICS_H

#include <stdint.h>
#include <sys/socket.h>

struct enforcer;
struct metrics;

/* "IPv4:PORT" or "[IPv6]:PORT", numeric, port 1..65535; -1 with the
 * reason in err */
int metrics_parse(const char *arg, struct sockaddr_storage *ss,
		  socklen_t *len, char *err, size_t errlen);
/* bind and listen on arg (already parsed once); NULL with the reason on
 * stderr (the address is taken, not ours to bind...) */
struct metrics *metrics_open(const char *arg);
/* where the counters come from: the enforcer's base object (the ring),
 * and at each scrape its set in force, so a reload needs no call */
void metrics_source(struct metrics *m, const struct enforcer *E);
/* wait up to timeout_ms for events on ring_fd (the ring buffer's epoll
 * fd), serving scrapes meanwhile; returns when ring_fd is readable, the
 * time is up or a signal came, after a bounded amount of work.  -errno on
 * a poll error. */
int metrics_wait(struct metrics *m, int ring_fd, int timeout_ms);
void metrics_close(struct metrics *m);

#endif
