// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Event output: the kernel's events by name (times, transitions, socket
 * addresses), written as lib/event-fmt.h formats them, the offline
 * replay's formatter: one text line, or with --json the object of
 * design.md section 6 plus "score_sum", "cgroup", "dropped", "nsyscalls".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "event-fmt.h"
#include "loader.h"
#include "replay.h"
#include "syscalls.h"
#include "uring.h"

#define NR_CONNECT 42

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int event_ctx_init(struct event_ctx *ec, const struct loader_opts *opts,
		   const struct sc_profile_set *set, const struct sc_table *table,
		   FILE *out)
{
	memset(ec, 0, sizeof(*ec));
	ec->opts = opts;
	ec->set = set;
	ec->table = table;
	ec->out = out;
	ec->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	ec->unwritten = calloc(set->n + 1, sizeof(*ec->unwritten));
	ec->delivered = calloc(set->n + 1, sizeof(*ec->delivered));
	return ec->unwritten && ec->delivered ? 0 : -1;
}

int event_ctx_grow(struct event_ctx *ec, size_t n)
{
	size_t had = ec->set->n;	/* still the set before the swap */
	uint64_t *u;

	if (n <= had)
		return 0;
	u = realloc(ec->unwritten, (n + 1) * sizeof(*u));
	if (!u)
		return -1;
	memset(u + had + 1, 0, (n - had) * sizeof(*u));
	ec->unwritten = u;
	return 0;
}

void event_ctx_free(struct event_ctx *ec)
{
	free(ec->unwritten);
	free(ec->delivered);
	ec->unwritten = NULL;
	ec->delivered = NULL;
}

uint64_t event_unwritten(const struct event_ctx *ec, uint32_t id)
{
	return ec->unwritten && id <= ec->set->n ? ec->unwritten[id] : 0;
}

uint64_t event_delivered(const struct event_ctx *ec, uint32_t id)
{
	return ec && ec->delivered && id <= ec->set->n ? ec->delivered[id] : 0;
}

void event_summary(const struct event_ctx *ec)
{
	if (ec->write_errors)
		fprintf(stderr, "summary: %llu events could not be written (%s; counted in dropped)\n",
			(unsigned long long)ec->write_errors,
			strerror(ec->first_errno));
}

void format_sockaddr(const unsigned char *raw, size_t len, char *buf,
		     size_t buflen)
{
	char ip[INET6_ADDRSTRLEN];
	sa_family_t fam;

	buf[0] = 0;
	if (len < sizeof(fam))
		return;
	memcpy(&fam, raw, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, raw, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "%s:%u", ip, ntohs(sin.sin_port));
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, raw, sizeof(sin6));
		inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, buflen, "[%s]:%u", ip, ntohs(sin6.sin6_port));
	} else if (fam == AF_UNIX) {
		const char *path = (const char *)raw + sizeof(fam);
		size_t n = len - sizeof(fam);

		/* abstract sockets start with a NUL; show them as @name */
		if (n && path[0] == 0)
			snprintf(buf, buflen, "unix:@%.*s", (int)strnlen(path + 1, n - 1),
				 path + 1);
		else
			snprintf(buf, buflen, "unix:%.*s", (int)strnlen(path, n), path);
	} else {
		snprintf(buf, buflen, "family %u", fam);
	}
}

/* name of one symbol of a transition */
static const char *sym_name(unsigned nr, char *buf, size_t len)
{
	return sc_event_sym(SC_ARCH_X86_64, nr, buf, len);
}

/* the event's third symbol: the violating syscall, in its own table */
static const char *x_name(const struct sc_event *ev, char *buf, size_t len)
{
	const char *n;

	if (ev->kind == SC_EV_COMPAT_SYSCALL) {
		n = (ev->nr & 0x40000000) ? NULL :
		    sc_syscall_name(SC_ARCH_I386, (int)ev->nr);
		if (n && ev->nr >= 0 && ev->nr < SC_NR_MAX)
			return n;
	}
	if (ev->kind == SC_EV_COMPAT_SYSCALL || ev->kind == SC_EV_UNKNOWN_SYSCALL) {
		snprintf(buf, len, "syscall_0x%" PRIx64, (uint64_t)ev->nr);
		return buf;
	}
	return sym_name(ev->x, buf, len);
}

/* an exec event: its transition is the two syscalls before the exec */
static bool exec_kind(uint32_t kind)
{
	return kind == SC_EV_EXEC_UNPROFILED || kind == SC_EV_EXEC_UNEXPECTED;
}

static const char *profile_name(const struct event_ctx *ec, uint32_t id)
{
	if (id >= 1 && id <= ec->set->n)
		return sc_profile_label(ec->set->v[id - 1]);
	return "?";
}

static void format_time(const struct event_ctx *ec, uint64_t boot_ns,
			char *buf, size_t len)
{
	int64_t real = (int64_t)boot_ns + ec->boot_to_real_ns;
	time_t sec = (time_t)(real / 1000000000);
	struct tm tm;
	char day[32];

	gmtime_r(&sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06dZ", day, (int)(real % 1000000000 / 1000));
}

/* arg as text: connect's raw sockaddr is formatted, paths are copied */
static void format_arg(const struct sc_event *ev, char *buf, size_t len)
{
	if (ev->kind == SC_EV_IO_URING_OPCODE) {
		const char *op = sc_uring_op_name((unsigned)ev->nr);

		if (op)
			snprintf(buf, len, "%s", op);
		else
			snprintf(buf, len, "opcode_%" PRId64, (int64_t)ev->nr);
		return;
	}
	if (!exec_kind(ev->kind) && ev->kind != SC_EV_COMPAT_SYSCALL &&
	    ev->kind != SC_EV_UNKNOWN_SYSCALL && ev->x == NR_CONNECT) {
		format_sockaddr((const unsigned char *)ev->arg, sizeof(ev->arg),
				buf, len);
		return;
	}
	snprintf(buf, len, "%.*s", (int)strnlen(ev->arg, sizeof(ev->arg)), ev->arg);
}

/* write all of iov to fd; a signal that stops the loader gives up */
static int write_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR && !stopping)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* an event not written is counted with its profile's dropped ones; the
 * first error is said once, and enforcement goes on whatever the reader does */
static void count_unwritten(struct event_ctx *ec, const struct sc_event *ev,
			    int err)
{
	if (ec->unwritten && ev->profile <= ec->set->n)
		ec->unwritten[ev->profile]++;
	if (!ec->write_errors++) {
		ec->first_errno = err;
		fprintf(stderr, "loader: cannot write events: %s; they are counted in dropped from now on, and enforcement goes on\n",
			strerror(err));
	}
}

/* the kernel's event by name, for the shared formatter */
static void view_of(const struct event_ctx *ec, const struct sc_event *ev,
		    const char *time, const char *arg, char names[3][32],
		    struct sc_event_view *v)
{
	memset(v, 0, sizeof(*v));
	v->time = time;
	v->kind = ev->kind;
	v->killed = ev->killed;
	v->pid = ev->pid;
	v->tid = ev->tid;
	v->ppid = ev->ppid;
	v->uid = ev->uid;
	v->comm = ev->comm;
	v->comm_len = SC_COMM_LEN;
	v->profile = profile_name(ec, ev->profile);
	v->trans[0] = sym_name(ev->a, names[0], 32);
	v->trans[1] = sym_name(ev->b, names[1], 32);
	v->ntrans = 2;
	if (!exec_kind(ev->kind))
		v->trans[v->ntrans++] = x_name(ev, names[2], 32);
	v->has_score = true;
	v->score = ev->score_fill ?
		(double)ev->score_sum / SC_COST_ONE / ev->score_fill : 0;
	v->threshold = sc_event_threshold(ec->table, ev->profile);
	v->score_sum = ev->score_sum;
	v->arg = arg;
	v->arg_len = SC_ARG_LEN + 32;
	v->cgroup = ev->cgroup;
	v->dropped = ev->dropped;
	v->nsyscalls = ev->nsyscalls;
}

int event_print(struct event_ctx *ec, const struct sc_event *ev)
{
	char time[64], arg[SC_ARG_LEN + 32], line[4096], names[3][32], *s = NULL;
	struct sc_event_view v;
	struct iovec iov[2];
	int rc;

	format_time(ec, ev->ktime_ns, time, sizeof(time));
	format_arg(ev, arg, sizeof(arg));
	view_of(ec, ev, time, arg, names, &v);
	if (ec->opts->json) {
		s = sc_event_json(&v);
		if (!s) {
			count_unwritten(ec, ev, ENOMEM);
			return -1;
		}
		iov[0].iov_base = s;
	} else {
		sc_event_text(&v, line, sizeof(line));
		iov[0].iov_base = line;
	}
	iov[0].iov_len = strlen(iov[0].iov_base);
	iov[1].iov_base = "\n";
	iov[1].iov_len = 1;
	rc = write_all(fileno(ec->out), iov, 2);
	if (rc)
		count_unwritten(ec, ev, errno);
	else if (ec->delivered && ev->profile <= ec->set->n)
		ec->delivered[ev->profile]++;
	free(s);
	return rc;
}
