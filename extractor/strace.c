// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * strace output, one line at a time.
 *
 * A line is   [PID | "[pid N]"] [TIMESTAMP] ["[IP]"] BODY [" <DURATION>"]
 * and BODY is one of
 *   name(args) = ret [ERRNO (text)] [(extra)]     complete syscall
 *   name(args <unfinished ...>                    entry, result comes later
 *   <... name resumed>args) = ret                 the rest of an unfinished call
 *   --- SIGxxx {...} ---                          signal delivery (not a syscall)
 *   +++ exited with N +++ | +++ killed by SIGxxx [(core dumped)] +++
 *   +++ superseded by execve +++
 *    > /lib/libc.so.6(write+0x14) [0x1234]       -k stack frame
 *   strace: Process N attached | [ Process PID=N runs in 32 bit mode. ]
 *
 * Speed matters more than anything else here (logs run to gigabytes): the
 * prefix and the name are read byte by byte, but arguments are never
 * scanned; the result is found from the end of the line with memrchr,
 * since the arguments (strings, structs) may hold anything while the
 * text after the result is short and has a fixed shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "strace.h"
#include "syscalls.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* [A-Za-z0-9_]: a table, since every name byte of every line asks */
static const unsigned char name_chars[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1,
};

static int is_name_char(char c)
{
	return name_chars[(unsigned char)c];
}

static const char *skip_spaces(const char *p, const char *e)
{
	while (p < e && *p == ' ')
		p++;
	return p;
}

static int starts(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && !memcmp(p, lit, n);
}
#define STARTS(p, e, lit) starts(p, e, lit, sizeof(lit) - 1)

static int ends(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && !memcmp(e - n, lit, n);
}
#define ENDS(p, e, lit) ends(p, e, lit, sizeof(lit) - 1)

/* decimal or 0x hex, optional '-'; returns end of number or NULL */
static const char *parse_long(const char *p, const char *e, long *v)
{
	int neg = 0;
	unsigned long x = 0;
	const char *s;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	if (e - p > 2 && p[0] == '0' && p[1] == 'x') {
		p += 2;
		s = p;
		for (; p < e; p++) {
			int d;

			if (is_digit(*p))
				d = *p - '0';
			else if (*p >= 'a' && *p <= 'f')
				d = *p - 'a' + 10;
			else
				break;
			x = x * 16 + (unsigned long)d;
		}
	} else {
		s = p;
		for (; p < e && is_digit(*p); p++)
			x = x * 10 + (unsigned long)(*p - '0');
	}
	if (p == s)
		return NULL;
	/* negate unsigned: -(long)x overflows for x = 2^63 */
	*v = neg ? (long)(0UL - x) : (long)x;
	return p;
}

/*
 * Basename of the first quoted string argument of an exec line, decoding
 * strace's escapes (\" \\ \n \t \xHH \ooo), cut as the kernel cuts comm.
 * Only the part after the last '/' is kept while decoding; the whole
 * string goes to path when it fits and strace printed all of it.
 */
static int exec_comm(const char *p, const char *e, char comm[16],
		     char path[SC_EXEC_PATH_LEN])
{
	char base[256];
	size_t n = 0, plen = 0;
	const char *q = memchr(p, '"', (size_t)(e - p));

	if (!q)
		return 0;
	for (q++; q < e && *q != '"'; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '\\' && q + 1 < e) {
			q++;
			c = (unsigned char)*q;
			if (c == 'n') c = '\n';
			else if (c == 't') c = '\t';
			else if (c == 'r') c = '\r';
			else if (c == 'x' && q + 2 < e) {
				char hex[3] = { q[1], q[2], 0 };

				c = (unsigned char)strtoul(hex, NULL, 16);
				q += 2;
			} else if (c >= '0' && c <= '7') {
				unsigned v = 0;
				int k;

				for (k = 0; k < 3 && q < e && *q >= '0' && *q <= '7'; k++, q++)
					v = v * 8 + (unsigned)(*q - '0');
				q--;
				c = (unsigned char)v;
			}
		}
		if (plen < SC_EXEC_PATH_LEN)
			path[plen++] = (char)c;
		if (c == '/') {
			n = 0;
			continue;
		}
		if (n < sizeof(base) - 1)
			base[n++] = (char)c;
	}
	if (q >= e)
		return 0;	/* unterminated string */
	base[n] = '\0';
	/* cut by strace (-s) or by our buffer: no path to key an edge with */
	if (plen >= SC_EXEC_PATH_LEN || (e - q > 3 && !memcmp(q + 1, "...", 3)))
		plen = 0;
	path[plen] = '\0';
	if (n == 0) {
		/* execveat(fd</usr/bin/x>, "", ..., AT_EMPTY_PATH): use -y */
		const char *lt = memchr(p, '<', (size_t)(e - p));
		const char *gt = lt ? memchr(lt, '>', (size_t)(e - lt)) : NULL;

		if (!gt || gt - lt - 1 >= (long)sizeof(base))
			return 0;
		memcpy(base, lt + 1, (size_t)(gt - lt - 1));
		base[gt - lt - 1] = '\0';
		sc_comm_from_path(base, comm);
		return comm[0] != '\0';
	}
	sc_comm_from_path(base, comm);
	return 1;
}

/*
 * Signal names as strace prints them on x86_64 and i386 (its signalent
 * tables), without "SIG"; the real-time ones are SIGRTMIN (32) and
 * SIGRT_n (32 + n).  Older names strace or a reader may use are aliases.
 * Found through a small hash table: posix_spawn's child makes two
 * rt_sigaction calls a signal, a third of some traces' lines, and a scan
 * of this table cost 200 instructions a name.
 */
static const struct { char name[7]; unsigned char len, sig; } sig_names[] = {
	{ "HUP", 3, 1 }, { "INT", 3, 2 }, { "QUIT", 4, 3 }, { "ILL", 3, 4 },
	{ "TRAP", 4, 5 }, { "ABRT", 4, 6 }, { "BUS", 3, 7 }, { "FPE", 3, 8 },
	{ "KILL", 4, 9 }, { "USR1", 4, 10 }, { "SEGV", 4, 11 },
	{ "USR2", 4, 12 }, { "PIPE", 4, 13 }, { "ALRM", 4, 14 },
	{ "TERM", 4, 15 }, { "STKFLT", 6, 16 }, { "CHLD", 4, 17 },
	{ "CONT", 4, 18 }, { "STOP", 4, 19 }, { "TSTP", 4, 20 },
	{ "TTIN", 4, 21 }, { "TTOU", 4, 22 }, { "URG", 3, 23 },
	{ "XCPU", 4, 24 }, { "XFSZ", 4, 25 }, { "VTALRM", 6, 26 },
	{ "PROF", 4, 27 }, { "WINCH", 5, 28 }, { "IO", 2, 29 }, { "PWR", 3, 30 },
	{ "SYS", 3, 31 }, { "RTMIN", 5, 32 },
	{ "IOT", 3, 6 }, { "CLD", 3, 17 }, { "POLL", 4, 29 }, { "UNUSED", 6, 31 },
};

#define SIG_HASH	128
static unsigned char sig_hash[SIG_HASH];	/* index in sig_names + 1 */

static unsigned sig_hash_of(const char *n, size_t len)
{
	return ((unsigned char)n[0] * 31u + (unsigned char)n[len - 1] * 7u +
		(unsigned)len) & (SIG_HASH - 1);
}

__attribute__((constructor))
static void sig_hash_init(void)
{
	for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
		unsigned h = sig_hash_of(sig_names[i].name, sig_names[i].len);

		while (sig_hash[h])
			h = (h + 1) & (SIG_HASH - 1);
		sig_hash[h] = (unsigned char)(i + 1);
	}
}

/* "SIGxxx" at p -> its number, *end after it; 0 when it names none */
static int sig_number(const char *p, const char *e, const char **end)
{
	const char *n;
	size_t len;

	if (!STARTS(p, e, "SIG"))
		return 0;
	n = p + 3;
	for (p = n; p < e && is_name_char(*p); p++)
		;
	*end = p;
	len = (size_t)(p - n);
	if (len > 3 && !memcmp(n, "RT_", 3)) {
		long v;
		const char *q = parse_long(n + 3, p, &v);

		return q == p && v >= 1 && v <= SC_SIG_MAX - 32 ? 32 + (int)v : 0;
	}
	if (!len)
		return 0;
	for (unsigned h = sig_hash_of(n, len); sig_hash[h];
	     h = (h + 1) & (SIG_HASH - 1)) {
		unsigned i = sig_hash[h] - 1u;

		if (sig_names[i].len == len && !memcmp(sig_names[i].name, n, len))
			return sig_names[i].sig;
	}
	return 0;
}

/* the kernel's restart codes strace shows as "= ? NAME": the call was
 * interrupted by a signal (and may be restarted) */
static int restart_code(const char *r, const char *e)
{
	static const char *const codes[] = {
		"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND",
		"ERESTART_RESTARTBLOCK",
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i]);

		if ((size_t)(e - r) >= n && !memcmp(r, codes[i], n) &&
		    (r + n == e || r[n] == ' '))
			return 1;
	}
	return 0;
}

/* the " = ret ..." part at the end of a call; e excludes -T and spaces;
 * the value is decoded only when wanted (hex addresses cost time) */
static int parse_result(const char *p, const char *e, struct sc_line *out,
			int want)
{
	const char *q = e;

	while (q > p) {
		const char *eq = memrchr(p, '=', (size_t)(q - p));

		if (!eq)
			return -1;
		if (eq > p && eq[-1] == ' ' && eq + 1 < e && eq[1] == ' ') {
			const char *r = eq + 2;

			if (r < e && *r == '?') {
				out->ret_kind = SC_RET_UNKNOWN;
				out->intr = e - r > 2 && r[1] == ' ' &&
					    restart_code(r + 2, e);
				return 0;
			}
			if (r >= e || !(is_digit(*r) || *r == '-'))
				return -1;
			if (*r == '-' && STARTS(r, e, "-1 EINTR") &&
			    (e - r == 8 || r[8] == ' '))
				out->intr = 1;
			if (want && !parse_long(r, e, &out->ret))
				return -1;
			out->ret_kind = SC_RET_VALUE;
			return 0;
		}
		q = eq;
	}
	return -1;
}

/* strip " <0.000123>" (-T) and trailing spaces */
static const char *strip_tail(const char *p, const char *e)
{
	while (e > p && e[-1] == ' ')
		e--;
	if (e > p && e[-1] == '>') {
		const char *q = e - 2;

		while (q > p && (is_digit(*q) || *q == '.'))
			q--;
		if (q > p && *q == '<' && q < e - 2 && q[-1] == ' ')
			e = q;
	}
	while (e > p && e[-1] == ' ')
		e--;
	return e;
}

/*
 * Name -> number, through a small direct-mapped cache in front of the
 * shared table: a log uses a few dozen names, and this lookup runs for
 * every line.
 */
#define NCACHE		256
#define NAME_MAX_CACHED	23

struct name_cache {
	int arch;
	unsigned char len;
	char name[NAME_MAX_CACHED];
	long nr;
};

static __thread struct name_cache cache[NCACHE];

static void lookup(struct sc_line *out, int arch)
{
	const char *n = out->name;
	unsigned len = out->namelen;
	struct name_cache *c;

	if (len > NAME_MAX_CACHED) {
		out->nr = sc_syscall_nr_n(arch, n, len);
		if (out->nr < 0)
			out->nr = sc_syscall_raw_nr(n, len);
		return;
	}
	c = &cache[(len * 37u + (unsigned char)n[0] * 7u +
		    (unsigned char)n[len / 2] * 13u +
		    (unsigned char)n[len - 1]) & (NCACHE - 1)];
	if (c->len == len && c->arch == arch && !memcmp(c->name, n, len)) {
		out->nr = c->nr;
		return;
	}
	out->nr = sc_syscall_nr_n(arch, n, len);
	if (out->nr < 0)
		out->nr = sc_syscall_raw_nr(n, len);
	c->arch = arch;
	c->len = (unsigned char)len;
	memcpy(c->name, n, len);
	c->nr = out->nr;
}

/* calls whose result the sequencer needs: exec success, clone's child,
 * a sigaction's success */
static int want_ret(const char *n, unsigned len)
{
	switch (len) {
	case 4: return !memcmp(n, "fork", 4);
	case 5: return !memcmp(n, "clone", 5) || !memcmp(n, "vfork", 5);
	case 6: return !memcmp(n, "clone3", 6) || !memcmp(n, "execve", 6) ||
		       !memcmp(n, "signal", 6);
	case 8: return !memcmp(n, "execveat", 8);
	case 9: return !memcmp(n, "sigaction", 9);
	case 12: return !memcmp(n, "rt_sigaction", 12);
	}
	return 0;
}

/* which of flags[0..n) the flag list at p ("A|B|C", ended by any other
 * byte) names: bit i for flags[i], in one pass */
static unsigned flag_bits(const char *p, const char *e,
			  const char *const *flags, unsigned n)
{
	unsigned bits = 0;

	while (p < e) {
		const char *q = p;

		while (q < e && is_name_char(*q))
			q++;
		for (unsigned i = 0; i < n; i++)
			if (flags[i][0] == p[0] && strlen(flags[i]) == (size_t)(q - p) &&
			    !memcmp(p, flags[i], (size_t)(q - p)))
				bits |= 1u << i;
		if (q >= e || *q != '|')
			break;
		p = q + 1;
	}
	return bits;
}

/* a sigaction flags field (names or a number) at p: SA_RESETHAND in it */
static int resethand(const char *p, const char *e)
{
	static const char *const names[] = { "SA_RESETHAND", "SA_ONESHOT" };
	long v;

	if (p < e && is_digit(*p))
		return parse_long(p, e, &v) && (v & 0x80000000L);
	return flag_bits(p, e, names, 2) != 0;
}

/* a handler value at p: SIG_DFL, SIG_IGN, or an address (-X raw: 0, 1);
 * *end after it */
static int handler_kind(const char *p, const char *e, const char **end)
{
	long v;

	*end = p + 7;
	if (STARTS(p, e, "SIG_DFL"))
		return SC_ACT_DFL;
	if (STARTS(p, e, "SIG_IGN"))
		return SC_ACT_IGN;
	*end = parse_long(p, e, &v);
	if (!*end)
		return SC_ACT_UNKNOWN;
	return v == 0 ? SC_ACT_DFL : v == 1 ? SC_ACT_IGN : SC_ACT_HANDLER;
}

/*
 * The arguments of a sigaction line, p after the '(':
 *   rt_sigaction(SIGALRM, {sa_handler=0x55.., sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, ...}, NULL, 8)
 *   rt_sigaction(SIGINT, NULL, {sa_handler=SIG_DFL, ...}, 8)     (a query)
 *   signal(SIGINT, SIG_IGN)                                     (i386)
 * The kernel's signal() sets SA_ONESHOT with a handler.  Only these
 * arguments are scanned, and only on these rare lines.
 */
static void sigaction_args(const char *p, const char *e, int is_signal,
			   struct sc_line *out)
{
	const char *q, *close;
	int sig = sig_number(p, e, &q), kind;
	long v;

	if (!sig && (q = parse_long(p, e, &v)) && v >= 1 && v <= SC_SIG_MAX)
		sig = (int)v;	/* -X raw and -X verbose print numbers */
	if (!sig)
		return;
	if (STARTS(q, e, " /* ")) {
		q = memmem(q, (size_t)(e - q), "*/", 2);
		if (!q)
			return;
		q += 2;
	}
	if (!STARTS(q, e, ", "))
		return;
	q += 2;
	if (is_signal) {
		kind = handler_kind(q, e, &q);
		out->sig = sig;
		out->act = kind | (kind == SC_ACT_HANDLER ? SC_ACT_RESETHAND : 0);
		return;
	}
	if (STARTS(q, e, "NULL"))
		return;		/* no new action */
	out->sig = sig;
	if (!STARTS(q, e, "{sa_handler=")) {
		out->act = SC_ACT_UNKNOWN;	/* an address: not decoded */
		return;
	}
	q += 12;
	kind = handler_kind(q, e, &q);
	out->act = kind;
	if (!q)
		return;
	/* strace's order: sa_handler, sa_mask=[...] or ~[...], sa_flags */
	if (STARTS(q, e, ", sa_mask=") &&
	    (close = memchr(q, ']', (size_t)(e - q))) &&
	    STARTS(close + 1, e, ", sa_flags=")) {
		q = close + 12;
	} else {
		close = memchr(q, '}', (size_t)(e - q));
		q = close ? memmem(q, (size_t)(close - q), "sa_flags=", 9) : NULL;
		if (!q)
			return;
		q += 9;
	}
	if (resethand(q, e))
		out->act |= SC_ACT_RESETHAND;
}

/* the flags= argument of a clone/clone3 line, p after the '(' */
static void clone_flags(const char *p, const char *e, struct sc_line *out)
{
	static const char *const names[] = {
		"CLONE_SIGHAND", "CLONE_THREAD", "CLONE_CLEAR_SIGHAND",
	};
	const char *q = memmem(p, (size_t)(e - p), "flags=", 6);
	unsigned bits;
	long v;

	if (!q)
		return;
	q += 6;
	if (q < e && is_digit(*q)) {
		/* -X raw: the number (CLONE_SIGHAND 0x800, CLONE_THREAD
		 * 0x10000, CLONE_CLEAR_SIGHAND 0x100000000) */
		if (!parse_long(q, e, &v))
			return;
		out->cflags = SC_CLONE_KNOWN |
			      (v & 0x10800 ? SC_CLONE_SIGHAND : 0) |
			      (v & 0x100000000L ? SC_CLONE_CLEAR_SIGHAND : 0);
		return;
	}
	bits = flag_bits(q, e, names, 3);
	out->cflags = SC_CLONE_KNOWN | (bits & 3 ? SC_CLONE_SIGHAND : 0) |
		      (bits & 4 ? SC_CLONE_CLEAR_SIGHAND : 0);
}

/* the arguments the sequencer reads: of sigaction and clone lines */
static void call_args(const char *p, const char *e, struct sc_line *out)
{
	const char *n = out->name;
	char z = n[out->namelen - 1];

	/* most calls stop here: clone[3], [rt_]sig{nal,action} end so */
	if (z != 'e' && z != 'n' && z != 'l' && z != '3')
		return;

	switch (out->namelen) {
	case 5:
		if (!memcmp(n, "clone", 5))
			clone_flags(p, e, out);
		break;
	case 6:
		if (!memcmp(n, "clone3", 6))
			clone_flags(p, e, out);
		else if (!memcmp(n, "signal", 6))
			sigaction_args(p, e, 1, out);
		break;
	case 9:
		if (!memcmp(n, "sigaction", 9))
			sigaction_args(p, e, 0, out);
		break;
	case 12:
		if (!memcmp(n, "rt_sigaction", 12))
			sigaction_args(p, e, 0, out);
		break;
	}
}

static void error(struct sc_line *out, const char *reason)
{
	out->type = SC_LINE_ERROR;
	out->reason = reason;
}

void sc_strace_parse(const char *line, size_t len, int arch, int cut,
		     struct sc_line *out)
{
	const char *p = line, *e = line + len, *q;
	int is_exec;

	out->type = SC_LINE_SKIP;
	out->pid = -1;
	out->name = NULL;
	out->namelen = 0;
	out->nr = -1;
	out->ret_kind = SC_RET_NONE;
	out->ret = 0;
	out->cut = cut;
	out->intr = 0;
	out->sig = 0;
	out->act = 0;
	out->cflags = 0;
	out->has_comm = 0;
	out->reason = NULL;

	/* pid: "1234  " (-f) or "[pid  1234] " */
	if (STARTS(p, e, "[pid ")) {
		p = skip_spaces(p + 5, e);
		q = parse_long(p, e, &out->pid);
		if (!q || q >= e || *q != ']' || out->pid < 0 ||
		    out->pid > INT_MAX)
			return error(out, "bad [pid N] prefix");
		p = q + 1;
	} else if (p < e && is_digit(*p)) {
		unsigned long v = 0;
		int big = 0;

		/* unsigned: a long digit run wraps instead of overflowing */
		for (q = p; q < e && is_digit(*q); q++) {
			big |= v > INT_MAX / 10;
			v = v * 10 + (unsigned long)(*q - '0');
		}
		if (q < e && *q == ' ') {
			if (big || v > INT_MAX)
				return error(out, "pid out of range");
			out->pid = (long)v;
			p = q;
		}
	}
	p = skip_spaces(p, e);
	/* timestamp: -t 12:00:00, -tt 12:00:00.123456, -ttt/-r 1.000123 */
	if (p < e && is_digit(*p)) {
		for (q = p; q < e && (is_digit(*q) || *q == ':' || *q == '.'); q++)
			;
		if (q < e && *q == ' ')
			p = skip_spaces(q, e);
	}
	/* -i: [00007f1234567890] */
	if (e - p > 2 && *p == '[' && p[1] != ' ') {
		q = memchr(p, ']', (size_t)(e - p));
		if (q)
			p = skip_spaces(q + 1, e);
	}
	if (p == e) {
		if (out->pid >= 0)
			return error(out, "nothing after the pid");
		return;		/* blank line */
	}

	switch (*p) {
	case '-':
		if (STARTS(p, e, "--- ")) {
			/* "--- stopped by SIGTSTP ---" is a group stop, not a
			 * delivery (the delivery has a line of its own) */
			if (STARTS(p + 4, e, "stopped by "))
				return;
			out->sig = sig_number(p + 4, e, &q);
			if (!out->sig)
				return error(out, "unknown signal name");
			out->type = SC_LINE_SIGNAL;
			return;
		}
		break;
	case '+':
		if (!STARTS(p, e, "+++ "))
			break;
		if (STARTS(p + 4, e, "exited with") ||
		    STARTS(p + 4, e, "killed by")) {
			out->type = SC_LINE_EXITED;
			return;
		}
		if (STARTS(p + 4, e, "superseded by execve")) {
			out->type = SC_LINE_SUPERSEDED;
			return;
		}
		return error(out, "unknown +++ line");
	case '>':
		return;		/* -k stack frame */
	case '[':
		if (STARTS(p, e, "[ Process PID="))
			return;	/* personality change notice */
		break;
	case 's':
		if (STARTS(p, e, "strace: Process ") && ENDS(p, e, " attached") &&
		    parse_long(p + 16, e, &out->pid)) {
			out->type = SC_LINE_ATTACHED;
			return;
		}
		if (STARTS(p, e, "strace: "))
			return;
		break;
	case '<':
		if (!STARTS(p, e, "<... "))
			break;
		p += 5;
		out->name = p;
		while (p < e && is_name_char(*p))
			p++;
		out->namelen = (unsigned)(p - out->name);
		if (!out->namelen || !STARTS(p, e, " resumed>"))
			return error(out, "bad <... resumed> line");
		lookup(out, arch);
		out->type = SC_LINE_RESUMED;
		e = strip_tail(p, e);
		if (ENDS(p, e, "<unfinished ...>"))
			return;	/* resumed and interrupted again: no result yet */
		if (parse_result(p, e, out, want_ret(out->name, out->namelen)) < 0) {
			if (cut)
				return;
			return error(out, "no result in resumed line");
		}
		return;
	}

	out->name = p;
	while (p < e && is_name_char(*p))
		p++;
	out->namelen = (unsigned)(p - out->name);
	if (!out->namelen || p == e || *p != '(')
		return error(out, cut ? "line cut short at end of file" :
			     "not a syscall line");
	lookup(out, arch);
	is_exec = (out->namelen == 6 && !memcmp(out->name, "execve", 6)) ||
		  (out->namelen == 8 && !memcmp(out->name, "execveat", 8));
	if (is_exec)
		out->has_comm = exec_comm(p, e, out->comm, out->path);
	else if (out->namelen >= 5 && out->namelen <= 12)
		call_args(p + 1, e, out);
	e = strip_tail(p, e);
	if (ENDS(p, e, "<unfinished ...>")) {
		out->type = SC_LINE_UNFINISHED;
		return;
	}
	if (parse_result(p, e, out, want_ret(out->name, out->namelen)) < 0) {
		if (cut) {
			/* cut while printing: the call was entered */
			out->type = SC_LINE_UNFINISHED;
			return;
		}
		return error(out, "no result");
	}
	out->type = SC_LINE_SYSCALL;
}

/* a buffer that grows by doubling to hold at least need bytes */
static int buf_room(char **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;
	char *b;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	b = realloc(*buf, c);
	if (!b)
		return -1;
	*buf = b;
	*cap = c;
	return 0;
}

int sc_reader_open(struct sc_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return -1;
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	if (buf_room(&r->buf, &r->cap, READ_CHUNK) < 0) {
		sc_reader_close(r);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* keep the unfinished line (pos..len), moved to the front, and read more
 * after it; the buffer grows only for a line longer than it */
static int reader_fill(struct sc_reader *r)
{
	size_t keep = r->len - r->pos;
	ssize_t n;

	if (keep && r->pos)
		memmove(r->buf, r->buf + r->pos, keep);
	r->pos = 0;
	r->len = keep;
	if (keep > r->cap - READ_CHUNK / 2 &&
	    buf_room(&r->buf, &r->cap, r->cap * 2) < 0) {
		errno = ENOMEM;
		return -1;
	}
	do
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	r->eof = n == 0;
	r->len += (size_t)n;
	return 0;
}

int sc_reader_next(struct sc_reader *r, const char **line, size_t *len,
		   int *cut)
{
	for (;;) {
		const char *s = r->buf + r->pos;
		size_t n = r->len - r->pos;
		const char *nl = n ? memchr(s, '\n', n) : NULL;

		if (nl) {
			*line = s;
			*len = (size_t)(nl - s);
			*cut = 0;
			r->pos += *len + 1;
			r->lineno++;
			return 1;
		}
		if (r->done)
			return 0;
		if (r->eof) {
			r->done = 1;
			if (!n)
				return 0;
			*line = s;
			*len = n;
			*cut = 1;
			r->pos = r->len;
			r->lineno++;
			return 1;
		}
		if (reader_fill(r) < 0) {
			r->done = 1;
			r->pos = r->len;
			return -1;
		}
	}
}

void sc_reader_close(struct sc_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->len = r->pos = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* ---- parsed lines ------------------------------------------------------------ */

/*
 * strace writing to a terminal or a pipe (no -o) may print its own notice
 * in the middle of a line, which then reads
 *   clone3(..., 88strace: Process 9 attached
 *    <unfinished ...>
 * The notice is the line's tail: where it starts, or NULL for a line
 * without one (a notice alone on its line is a line like any other).
 */
static const char *notice_in(const char *line, size_t len)
{
	static const char tag[] = "strace: Process ";
	const size_t taglen = sizeof(tag) - 1;

	if (len < taglen + 10 || !ENDS(line, line + len, " attached") ||
	    !memcmp(line, tag, taglen))
		return NULL;
	return memmem(line, len, tag, taglen);
}

static int held_add(struct sc_lines *a, const char *s, size_t n)
{
	if (buf_room(&a->held, &a->heldcap, a->nheld + n) < 0)
		return -1;
	memcpy(a->held + a->nheld, s, n);
	a->nheld += n;
	return 0;
}

int sc_lines_open(struct sc_lines *a, const char *path, int arch)
{
	memset(a, 0, sizeof(*a));
	a->arch = arch;
	return sc_reader_open(&a->r, path);
}

/* parse a line into *l; warn: a cut line kept as a call is to be
 * reported (not for the halves of a split line) */
static int lines_parse(struct sc_lines *a, const char *line, size_t len,
		       int cut, int warn, struct sc_line *l,
		       unsigned long *lineno, int *warned)
{
	sc_strace_parse(line, len, a->arch, cut, l);
	*lineno = a->r.lineno;
	*warned = warn && cut && l->type != SC_LINE_ERROR;
	return 1;
}

int sc_lines_next(struct sc_lines *a, struct sc_line *l,
		  unsigned long *lineno, int *warn)
{
	const char *line, *notice;
	size_t len;
	int cut, rc;

	if (a->end)
		return a->end > 0 ? 0 : (errno = a->err, -1);
	rc = sc_reader_next(&a->r, &line, &len, &cut);
	if (rc <= 0) {
		a->end = rc < 0 ? -1 : 1;
		a->err = errno ? errno : EIO;
		/* a line split by a notice, whose second half never came */
		if (a->holding) {
			a->holding = 0;
			return lines_parse(a, a->held, a->nheld, 1, 0, l,
					   lineno, warn);
		}
		return sc_lines_next(a, l, lineno, warn);
	}
	if (a->holding) {
		if (held_add(a, line, len) < 0)
			goto nomem;
		a->holding = 0;
		return lines_parse(a, a->held, a->nheld, cut, 0, l, lineno,
				   warn);
	}
	notice = cut ? NULL : notice_in(line, len);
	if (!notice)
		return lines_parse(a, line, len, cut, 1, l, lineno, warn);
	a->nheld = 0;
	if (held_add(a, line, (size_t)(notice - line)) < 0) {
		/* the notice still comes out; the error, next */
		a->end = -1;
		a->err = ENOMEM;
	} else {
		a->holding = 1;
	}
	return lines_parse(a, notice, len - (size_t)(notice - line), 0, 0, l,
			   lineno, warn);
nomem:
	a->end = -1;
	a->err = ENOMEM;
	errno = ENOMEM;
	return -1;
}

void sc_lines_close(struct sc_lines *a)
{
	sc_reader_close(&a->r);
	free(a->held);
	a->held = NULL;
}
