// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Event output: one text line, or with --json the object of design.md
 * section 6 plus "score_sum" (the kernel's integer window sum, comparable
 * bit for bit with the offline replay), "cgroup", "dropped", "nsyscalls".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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
	return ec->unwritten ? 0 : -1;
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
	ec->unwritten = NULL;
}

uint64_t event_unwritten(const struct event_ctx *ec, uint32_t id)
{
	return ec->unwritten && id <= ec->set->n ? ec->unwritten[id] : 0;
}

void event_summary(const struct event_ctx *ec)
{
	if (ec->write_errors)
		fprintf(stderr, "summary: %llu events could not be written (%s; counted in dropped)\n",
			(unsigned long long)ec->write_errors,
			strerror(ec->first_errno));
}

/* the length of the valid UTF-8 sequence at s (at most n bytes), 0 if the
 * byte at s does not start one: overlong forms, surrogates and code
 * points above U+10FFFF are not valid (RFC 3629) */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* s (n bytes, or up to a NUL) as UTF-8 that jansson takes: each byte that
 * is not part of a valid sequence becomes U+FFFD.  out holds 3n + 1 */
static void utf8_clean(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, len;

	n = strnlen(s, n);
	while (i < n && o + 4 <= outlen) {
		len = utf8_seq(u + i, n - i);
		if (len) {
			memcpy(out + o, u + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = 0;
}

void text_escape(const char *s, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	n = strnlen(s, n);
	for (i = 0; i < n && o + 5 <= outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > ' ' && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		switch (c) {
		case '\\': out[o++] = '\\'; break;
		case '\n': out[o++] = 'n'; break;
		case '\t': out[o++] = 't'; break;
		case '\r': out[o++] = 'r'; break;
		default:
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
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

static char *format_json(struct event_ctx *ec, const struct sc_event *ev,
			 const char *time, const char *arg, double score,
			 double thr)
{
	char b0[32], b1[32], b2[32], comm[SC_COMM_LEN * 3 + 1];
	char argu[(SC_ARG_LEN + 32) * 3 + 1];
	json_t *o, *tr;
	char *s;

	utf8_clean(ev->comm, SC_COMM_LEN, comm, sizeof(comm));
	utf8_clean(arg, SC_ARG_LEN + 32, argu, sizeof(argu));
	tr = exec_kind(ev->kind) ?
		json_pack("[ss]", sym_name(ev->a, b0, sizeof(b0)),
			  sym_name(ev->b, b1, sizeof(b1))) :
		json_pack("[sss]", sym_name(ev->a, b0, sizeof(b0)),
			  sym_name(ev->b, b1, sizeof(b1)),
			  x_name(ev, b2, sizeof(b2)));
	if (!tr)
		return NULL;
	o = json_pack("{ss ss ss ss sI sI sI sI ss ss so sf so ss? sI sI sI sI}",
		      "time", time, "event", "violation",
		      "kind", sc_event_kind_name(ev->kind),
		      "action", ev->killed ? "killed" : "alert",
		      "pid", (json_int_t)ev->pid, "tid", (json_int_t)ev->tid,
		      "ppid", (json_int_t)ev->ppid, "uid", (json_int_t)ev->uid,
		      "comm", comm, "profile", profile_name(ec, ev->profile),
		      "transition", tr, "score", score,
		      "threshold", thr < 0 ? json_null() : json_real(thr),
		      "arg", argu[0] ? argu : NULL,
		      "score_sum", (json_int_t)ev->score_sum,
		      "cgroup", (json_int_t)ev->cgroup,
		      "dropped", (json_int_t)ev->dropped,
		      "nsyscalls", (json_int_t)ev->nsyscalls);
	if (!o)
		return NULL;
	/* ASCII only: no byte of a name reaches a terminal that reads the log */
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII |
			  JSON_REAL_PRECISION(10));
	json_decref(o);
	return s;
}

/* the text line, without its newline; every name and path escaped, so a
 * line is one event and nothing in it drives a terminal */
static void format_text(struct event_ctx *ec, const struct sc_event *ev,
			const char *time, const char *arg, double score,
			double thr, char *buf, size_t len)
{
	char b0[32], b1[32], b2[32], comm[SC_COMM_LEN * 4 + 1];
	char prof[SC_COMM_LEN * 4 + 1], argt[(SC_ARG_LEN + 32) * 4 + 1];
	const char *pn = profile_name(ec, ev->profile);
	size_t n;

	text_escape(ev->comm, SC_COMM_LEN, comm, sizeof(comm));
	text_escape(pn, strlen(pn), prof, sizeof(prof));
	text_escape(arg, SC_ARG_LEN + 32, argt, sizeof(argt));
	n = (size_t)snprintf(buf, len,
		"%s violation %s %s pid=%u tid=%u ppid=%u uid=%u comm=%s "
		"profile=%s transition=%s,%s%s%s score=%.3f",
		time, sc_event_kind_name(ev->kind),
		ev->killed ? "killed" : "alert", ev->pid, ev->tid,
		ev->ppid, ev->uid, comm, prof,
		sym_name(ev->a, b0, sizeof(b0)), sym_name(ev->b, b1, sizeof(b1)),
		exec_kind(ev->kind) ? "" : ",",
		exec_kind(ev->kind) ? "" : x_name(ev, b2, sizeof(b2)), score);
	if (n < len && thr >= 0)
		n += (size_t)snprintf(buf + n, len - n, " threshold=%.3f", thr);
	if (n < len && argt[0])
		n += (size_t)snprintf(buf + n, len - n, " arg=%s", argt);
	if (n < len && ev->dropped)
		snprintf(buf + n, len - n, " dropped=%u", ev->dropped);
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

int event_print(struct event_ctx *ec, const struct sc_event *ev)
{
	char time[64], arg[SC_ARG_LEN + 32], line[4096], *s = NULL;
	double score = ev->score_fill ?
		(double)ev->score_sum / SC_COST_ONE / ev->score_fill : 0;
	double thr = profile_threshold(ec, ev->profile);
	struct iovec iov[2];
	int rc;

	format_time(ec, ev->ktime_ns, time, sizeof(time));
	format_arg(ev, arg, sizeof(arg));
	if (ec->opts->json) {
		s = format_json(ec, ev, time, arg, score, thr);
		if (!s) {
			count_unwritten(ec, ev, ENOMEM);
			return -1;
		}
		iov[0].iov_base = s;
	} else {
		format_text(ec, ev, time, arg, score, thr, line, sizeof(line));
		iov[0].iov_base = line;
	}
	iov[0].iov_len = strlen(iov[0].iov_base);
	iov[1].iov_base = "\n";
	iov[1].iov_len = 1;
	rc = write_all(fileno(ec->out), iov, 2);
	if (rc)
		count_unwritten(ec, ev, errno);
	free(s);
	return rc;
}
