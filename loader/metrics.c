// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --metrics ADDR:PORT: Prometheus text exposition (format 0.0.4) at
 * /metrics, from the same counters as the loader's summary.
 *
 * It is served from the enforcement poll loop, not from a thread: what it
 * reads (the profile set, the event context, the skeleton) belongs to
 * that loop, and a reload swaps it there, so nothing needs a lock.  Kills
 * never wait for user space, and the loop stays free for the ring
 * buffer: every socket is non-blocking, a request is at most REQ_MAX
 * bytes, a client has CLIENT_SECONDS in all, at most CLIENTS are open (a
 * new one closes the oldest), and a wake-up serves each ready client once
 * before the ring is drained.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "metrics.h"
#include "replay.h"
#include "syscfi.skel.h"
#include "text.h"

#define REQ_MAX		4096	/* request line and headers */
#define CLIENTS		16
#define CLIENT_SECONDS	5.0

struct client {
	int fd;			/* -1: free */
	double deadline;	/* closed then, done or not */
	size_t got;
	char req[REQ_MAX];
	char *resp;		/* set once the request is read */
	size_t resp_len, sent;
};

struct metrics {
	int lfd;
	struct client c[CLIENTS];
	const struct enforcer *E;	/* its set in force, read at each scrape */
	/* the ring's consumer and producer pages, read-only */
	void *ring;
	size_t ring_len;
	uint64_t ring_peak;	/* most bytes waiting at a wake-up */
};

/* a growing text buffer; on allocation failure it stops growing and
 * says so (failed), and the scrape is answered 500 */
struct buf {
	char *s;
	size_t len, cap;
	int failed;
};

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *s;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
			      b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap ? b->cap * 2 : 16384;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			b->failed = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

int metrics_parse(const char *arg, struct sockaddr_storage *ss,
		  socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	int v6 = arg[0] == '[';
	unsigned long p;
	char *end;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "an IPv6 address is [ADDR]:PORT");
			return -1;
		}
		hl = (size_t)(close - arg - 1);
		colon = close + 1;
		arg++;
	} else {
		colon = strrchr(arg, ':');
		if (!colon) {
			snprintf(err, errlen, "no port: ADDR:PORT, e.g. 127.0.0.1:9477");
			return -1;
		}
		hl = (size_t)(colon - arg);
	}
	port = colon + 1;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || port[0] == '-' || port[0] == '+' ||
	    p == 0 || p > 65535) {
		snprintf(err, errlen, "port '%s': a number from 1 to 65535", port);
		return -1;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, hl ? "the address is too long" :
			 "no address: ADDR:PORT, e.g. 127.0.0.1:9477");
		return -1;
	}
	memcpy(host, arg, hl);
	host[hl] = 0;
	if (!v6 && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (v6 && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
		return 0;
	}
	snprintf(err, errlen, "'%s' is not a numeric %s address", host,
		 v6 ? "IPv6" : "IPv4 (or [IPv6])");
	return -1;
}

struct metrics *metrics_open(const char *arg)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	socklen_t len;
	char err[128];
	int one = 1;

	if (metrics_parse(arg, &ss, &len, err, sizeof(err))) {
		fprintf(stderr, "loader: --metrics %s: %s\n", arg, err);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		fprintf(stderr, "loader: out of memory\n");
		return NULL;
	}
	for (int i = 0; i < CLIENTS; i++)
		m->c[i].fd = -1;
	m->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0 ||
	    setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->lfd, (struct sockaddr *)&ss, len) || listen(m->lfd, 16)) {
		fprintf(stderr, "loader: --metrics %s: %s\n", arg, strerror(errno));
		if (m->lfd >= 0)
			close(m->lfd);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_source(struct metrics *m, const struct enforcer *E)
{
	long page = sysconf(_SC_PAGESIZE);
	void *ring;

	m->E = E;
	if (m->ring)
		munmap(m->ring, m->ring_len);
	m->ring = NULL;
	if (!E || !E->base || page <= 0)
		return;
	/* the consumer position is at the start of the first page, the
	 * producer's at the start of the second (the layout libbpf reads) */
	ring = mmap(NULL, 2 * (size_t)page, PROT_READ, MAP_SHARED,
		    bpf_map__fd(E->base->maps.events), 0);
	if (ring != MAP_FAILED) {
		m->ring = ring;
		m->ring_len = 2 * (size_t)page;
	}
}

/* bytes reserved in the ring and not yet consumed; 0 if unknown */
static uint64_t ring_used(const struct metrics *m)
{
	const unsigned long *cons = m->ring, *prod;

	if (!m->ring)
		return 0;
	prod = (const unsigned long *)((const char *)m->ring + m->ring_len / 2);
	return __atomic_load_n(prod, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(cons, __ATOMIC_ACQUIRE);
}

/* a label value of the exposition format (malloc'd): UTF-8 (a bad byte becomes U+FFFD), with backslash,
 * double quote and newline escaped */
static char *label_value(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *u = malloc(3 * n + 1), *out = malloc(6 * n + 1);

	if (!u || !out) {
		free(u);
		free(out);
		return NULL;
	}
	sc_utf8_clean(s, n, u, 3 * n + 1);
	for (const char *p = u; *p; p++) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			out[o++] = '\\';
			out[o++] = *p == '\n' ? 'n' : *p;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = 0;
	free(u);
	return out;
}

static void header(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct prow {
	char *label;
	struct sc_profile_stats st;
	uint64_t delivered;
	int ok;
};

/* one metric of every profile */
#define PER_PROFILE(b, rows, n, name, type, help, expr)			\
	do {								\
		header(b, name, type, help);				\
		for (uint32_t i_ = 0; i_ < (n); i_++)			\
			if ((rows)[i_].ok)				\
				bprintf(b, name "{profile=\"%s\"} %llu\n", \
					(rows)[i_].label,		\
					(unsigned long long)(expr(&(rows)[i_]))); \
	} while (0)

#define R_TASKS(r)	((r)->st.tasks)
#define R_LIVE(r)	((r)->st.unbound < (r)->st.tasks ? \
			 (r)->st.tasks - (r)->st.unbound : 0)
#define R_SYSCALLS(r)	((r)->st.syscalls)
#define R_KILLS(r)	((r)->st.kills)
#define R_DROPPED(r)	((r)->st.dropped)
#define R_DELIVERED(r)	((r)->delivered)

static void render(struct metrics *m, struct buf *b)
{
	const struct enforcer *E = m->E;
	const struct sc_profile_set *set = E ? &E->set : NULL;
	const struct event_ctx *ec = E ? &E->ec : NULL;
	uint32_t n = set ? (uint32_t)set->n : 0;
	int ncpu = libbpf_num_possible_cpus();
	struct sc_profile_stats *per = NULL;
	struct prow *rows = calloc(n ? n : 1, sizeof(*rows));
	struct syscfi_bpf *skel = E ? E->skel : NULL;
	uint64_t used = ring_used(m);

	if (ncpu > 0)
		per = calloc((size_t)ncpu, sizeof(*per));
	if (!rows || !per || !skel) {
		b->failed = 1;
		goto done;
	}
	for (uint32_t i = 0; i < n; i++) {
		rows[i].label = label_value(sc_profile_label(set->v[i]));
		if (!rows[i].label) {
			b->failed = 1;
			goto done;
		}
		rows[i].ok = profile_stats(skel, i + 1, per, ncpu, &rows[i].st);
		rows[i].st.dropped += event_unwritten(ec, i + 1);
		rows[i].delivered = event_delivered(ec, i + 1);
	}

	PER_PROFILE(b, rows, n, "syscfi_bindings_total", "counter",
		    "Tasks bound to the profile (exec, fork, --existing): the summary's tasks.",
		    R_TASKS);
	PER_PROFILE(b, rows, n, "syscfi_tasks_bound", "gauge",
		    "Tasks bound to the profile now.", R_LIVE);
	PER_PROFILE(b, rows, n, "syscfi_syscalls_checked_total", "counter",
		    "Syscalls checked under the profile, added when a task exits or execs (and for live tasks when the loader stops).",
		    R_SYSCALLS);
	header(b, "syscfi_violations_total", "counter",
	       "Violations by kind (events sent or not).");
	for (uint32_t i = 0; i < n; i++)
		for (unsigned k = 1; rows[i].ok && k < SC_EV_KINDS; k++)
			if (strcmp(sc_event_kind_name(k), "unknown"))
				bprintf(b, "syscfi_violations_total{profile=\"%s\",kind=\"%s\"} %llu\n",
					rows[i].label, sc_event_kind_name(k),
					(unsigned long long)rows[i].st.kinds[k]);
	PER_PROFILE(b, rows, n, "syscfi_kills_total", "counter",
		    "Violations answered with SIGKILL.", R_KILLS);
	PER_PROFILE(b, rows, n, "syscfi_events_dropped_total", "counter",
		    "Events not printed: rate limit, full ring, ring reserve or a failed write.",
		    R_DROPPED);
	PER_PROFILE(b, rows, n, "syscfi_events_delivered_total", "counter",
		    "Events this loader printed.", R_DELIVERED);

	header(b, "syscfi_profiles", "gauge", "Profiles loaded.");
	bprintf(b, "syscfi_profiles %u\n", n);
	header(b, "syscfi_ring_buffer_size_bytes", "gauge",
	       "Size of the event ring buffer.");
	bprintf(b, "syscfi_ring_buffer_size_bytes %u\n",
		bpf_map__max_entries(E->base->maps.events));
	header(b, "syscfi_ring_buffer_used_bytes", "gauge",
	       "Bytes of events in the ring not yet read by the loader (producer - consumer position).");
	bprintf(b, "syscfi_ring_buffer_used_bytes %llu\n", (unsigned long long)used);
	header(b, "syscfi_ring_buffer_used_max_bytes", "gauge",
	       "Most bytes waiting in the ring when the loader woke to read it.");
	bprintf(b, "syscfi_ring_buffer_used_max_bytes %llu\n",
		(unsigned long long)(used > m->ring_peak ? used : m->ring_peak));
	header(b, "syscfi_ring_full_events_total", "counter",
	       "Events lost to a full ring buffer (in the profiles' dropped).");
	bprintf(b, "syscfi_ring_full_events_total %llu\n",
		(unsigned long long)skel->bss->ringbuf_full);
	header(b, "syscfi_ring_reserve_events_total", "counter",
	       "Events held back because their profile had filled the ring to its reserve (in dropped).");
	bprintf(b, "syscfi_ring_reserve_events_total %llu\n",
		(unsigned long long)skel->bss->ring_reserved);
	header(b, "syscfi_event_write_errors_total", "counter",
	       "Events read from the ring that could not be written (in dropped).");
	bprintf(b, "syscfi_event_write_errors_total %llu\n",
		(unsigned long long)(ec ? ec->write_errors : 0));
	header(b, "syscfi_bind_failed_total", "counter",
	       "Profiled tasks left unchecked: no memory for their task storage.");
	bprintf(b, "syscfi_bind_failed_total %llu\n",
		(unsigned long long)skel->bss->bind_failed);
	header(b, "syscfi_reloads_total", "counter", "Profile set reloads.");
	bprintf(b, "syscfi_reloads_total %llu\n", (unsigned long long)E->reloads);
done:
	for (uint32_t i = 0; rows && i < n; i++)
		free(rows[i].label);
	free(rows);
	free(per);
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->resp);
	c->resp = NULL;
	c->fd = -1;
}

static void respond(struct client *c, const char *status, const char *type,
		    const char *body, size_t len, int head)
{
	struct buf b = { 0 };

	bprintf(&b, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n%.*s", status, type, len,
		head ? 0 : (int)len, body);
	if (b.failed) {
		free(b.s);
		b.s = NULL;
		b.len = 0;
	}
	c->resp = b.s;
	c->resp_len = b.len;
	c->sent = 0;
}

static void error_reply(struct client *c, const char *status)
{
	char body[64];

	snprintf(body, sizeof(body), "%s\n", status);
	respond(c, status, "text/plain; charset=utf-8", body, strlen(body), 0);
}

/* the request line and headers are in: answer it */
static void handle(struct metrics *m, struct client *c)
{
	char *sp1, *sp2, *eol, *q;
	struct buf b = { 0 };
	int head;

	eol = strpbrk(c->req, "\r\n");
	if (eol)
		*eol = 0;
	sp1 = strchr(c->req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
		error_reply(c, "400 Bad Request");
		return;
	}
	*sp1 = *sp2 = 0;
	head = !strcmp(c->req, "HEAD");
	if (!head && strcmp(c->req, "GET")) {
		error_reply(c, "405 Method Not Allowed");
		return;
	}
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = 0;
	if (strcmp(sp1 + 1, "/metrics")) {
		error_reply(c, "404 Not Found");
		return;
	}
	render(m, &b);
	if (b.failed)
		error_reply(c, "500 Internal Server Error");
	else
		respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
			b.s, b.len, head);
	free(b.s);
}

/* one read or one write, as the socket allows */
static void serve(struct metrics *m, struct client *c, short revents)
{
	ssize_t n;
	bool nul;

	if (!c->resp) {
		if (!(revents & (POLLIN | POLLHUP | POLLERR)))
			return;
		n = recv(c->fd, c->req + c->got, REQ_MAX - 1 - c->got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		/* the request is read as a string: a NUL in it is no request */
		nul = memchr(c->req + c->got, 0, (size_t)n) != NULL;
		c->got += (size_t)n;
		c->req[c->got] = 0;
		if (nul)
			error_reply(c, "400 Bad Request");
		else if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
			handle(m, c);
		else if (c->got >= REQ_MAX - 1)
			error_reply(c, "431 Request Header Fields Too Large");
		else
			return;		/* more to come */
		if (!c->resp)
			client_close(c);	/* no memory for a reply */
		return;
	}
	if (!(revents & (POLLOUT | POLLHUP | POLLERR)))
		return;
	n = send(c->fd, c->resp + c->sent, c->resp_len - c->sent,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->resp_len)
		client_close(c);
}

static void accept_new(struct metrics *m, double now)
{
	for (int tries = 0; tries < CLIENTS; tries++) {
		struct client *c = NULL;
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		/* a free slot, else the oldest client's */
		for (int i = 0; i < CLIENTS; i++)
			if (m->c[i].fd < 0) {
				c = &m->c[i];
				break;
			} else if (!c || m->c[i].deadline < c->deadline) {
				c = &m->c[i];
			}
		if (c->fd >= 0)
			client_close(c);
		c->fd = fd;
		c->deadline = now + CLIENT_SECONDS;
		c->got = 0;
		c->resp = NULL;
		c->resp_len = c->sent = 0;
	}
}

int metrics_wait(struct metrics *m, int ring_fd, int timeout_ms)
{
	struct pollfd p[2 + CLIENTS];
	int who[2 + CLIENTS], n = 0, rc;
	double now = now_s();

	p[n++] = (struct pollfd){ .fd = ring_fd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = m->lfd, .events = POLLIN };
	for (int i = 0; i < CLIENTS; i++) {
		struct client *c = &m->c[i];
		int left;

		if (c->fd < 0)
			continue;
		left = (int)((c->deadline - now) * 1000) + 1;
		if (left < timeout_ms)
			timeout_ms = left < 0 ? 0 : left;
		who[n] = i;
		p[n++] = (struct pollfd){ .fd = c->fd,
					  .events = c->resp ? POLLOUT : POLLIN };
	}
	rc = poll(p, (nfds_t)n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	now = now_s();
	if (p[0].revents) {
		uint64_t used = ring_used(m);

		if (used > m->ring_peak)
			m->ring_peak = used;
	}
	for (int j = 2; j < n; j++)
		if (p[j].revents && m->c[who[j]].fd == p[j].fd)
			serve(m, &m->c[who[j]], p[j].revents);
	for (int i = 0; i < CLIENTS; i++)
		if (m->c[i].fd >= 0 && now >= m->c[i].deadline)
			client_close(&m->c[i]);
	if (p[1].revents & POLLIN)
		accept_new(m, now);
	return 0;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < CLIENTS; i++)
		if (m->c[i].fd >= 0)
			client_close(&m->c[i]);
	if (m->ring)
		munmap(m->ring, m->ring_len);
	close(m->lfd);
	free(m);
}
