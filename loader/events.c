// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Event output: one text line, or with --json the object of design.md
 * section 6 plus "score_sum" (the kernel's integer window sum, comparable
 * bit for bit with the offline replay), "cgroup", "dropped", "nsyscalls".
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

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

void event_ctx_init(struct event_ctx *ec, const struct loader_opts *opts,
		    const struct sc_profile_set *set, const struct sc_table *table,
		    FILE *out)
{
	memset(ec, 0, sizeof(*ec));
	ec->opts = opts;
	ec->set = set;
	ec->table = table;
	ec->out = out;
	ec->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
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
	const char *n = sc_syscall_name(SC_ARCH_X86_64, (int)nr);

	if (n)
		return n;
	snprintf(buf, len, "syscall_0x%x", nr);
	return buf;
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

/* threshold of a profile in bits per syscall, < 0 when it has none */
static double profile_threshold(const struct event_ctx *ec, uint32_t id)
{
	const struct sc_profile_info *pi;

	if (id < 1 || id > ec->table->nprofiles)
		return -1;
	pi = &ec->table->info[id];
	if (!pi->thr_sum || !pi->window)
		return -1;
	return (double)pi->thr_sum / SC_COST_ONE / pi->window;
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

static int print_json(struct event_ctx *ec, const struct sc_event *ev,
		      const char *time, const char *arg, double score, double thr)
{
	char b0[32], b1[32], b2[32], comm[SC_COMM_LEN + 1];
	json_t *o, *tr;
	char *s;
	int rc = -1;

	snprintf(comm, sizeof(comm), "%.*s", SC_COMM_LEN, ev->comm);
	tr = exec_kind(ev->kind) ?
		json_pack("[ss]", sym_name(ev->a, b0, sizeof(b0)),
			  sym_name(ev->b, b1, sizeof(b1))) :
		json_pack("[sss]", sym_name(ev->a, b0, sizeof(b0)),
			  sym_name(ev->b, b1, sizeof(b1)),
			  x_name(ev, b2, sizeof(b2)));
	if (!tr)
		return -1;
	o = json_pack("{ss ss ss ss sI sI sI sI ss ss so sf so ss? sI sI sI sI}",
		      "time", time, "event", "violation",
		      "kind", sc_event_kind_name(ev->kind),
		      "action", ev->killed ? "killed" : "alert",
		      "pid", (json_int_t)ev->pid, "tid", (json_int_t)ev->tid,
		      "ppid", (json_int_t)ev->ppid, "uid", (json_int_t)ev->uid,
		      "comm", comm, "profile", profile_name(ec, ev->profile),
		      "transition", tr, "score", score,
		      "threshold", thr < 0 ? json_null() : json_real(thr),
		      "arg", arg[0] ? arg : NULL,
		      "score_sum", (json_int_t)ev->score_sum,
		      "cgroup", (json_int_t)ev->cgroup,
		      "dropped", (json_int_t)ev->dropped,
		      "nsyscalls", (json_int_t)ev->nsyscalls);
	if (!o)
		return -1;
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(10));
	if (s && fprintf(ec->out, "%s\n", s) > 0)
		rc = 0;
	free(s);
	json_decref(o);
	return rc;
}

int event_print(struct event_ctx *ec, const struct sc_event *ev)
{
	char time[64], arg[SC_ARG_LEN + 32], b0[32], b1[32], b2[32];
	double score = ev->score_fill ?
		(double)ev->score_sum / SC_COST_ONE / ev->score_fill : 0;
	double thr = profile_threshold(ec, ev->profile);
	int rc;

	format_time(ec, ev->ktime_ns, time, sizeof(time));
	format_arg(ev, arg, sizeof(arg));
	if (ec->opts->json) {
		rc = print_json(ec, ev, time, arg, score, thr);
	} else {
		rc = fprintf(ec->out,
			     "%s violation %s %s pid=%u tid=%u ppid=%u uid=%u comm=%.*s "
			     "profile=%s transition=%s,%s%s%s score=%.3f",
			     time, sc_event_kind_name(ev->kind),
			     ev->killed ? "killed" : "alert", ev->pid, ev->tid,
			     ev->ppid, ev->uid, SC_COMM_LEN, ev->comm,
			     profile_name(ec, ev->profile),
			     sym_name(ev->a, b0, sizeof(b0)),
			     sym_name(ev->b, b1, sizeof(b1)),
			     exec_kind(ev->kind) ? "" : ",",
			     exec_kind(ev->kind) ? "" :
			     x_name(ev, b2, sizeof(b2)), score) < 0 ? -1 : 0;
		if (!rc && thr >= 0)
			rc = fprintf(ec->out, " threshold=%.3f", thr) < 0 ? -1 : 0;
		if (!rc && arg[0])
			rc = fprintf(ec->out, " arg=%s", arg) < 0 ? -1 : 0;
		if (!rc && ev->dropped)
			rc = fprintf(ec->out, " dropped=%u", ev->dropped) < 0 ? -1 : 0;
		if (!rc)
			rc = fputc('\n', ec->out) == EOF ? -1 : 0;
	}
	fflush(ec->out);
	return rc;
}
