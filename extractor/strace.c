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

/* for the small helpers of the per-line path, which gcc would otherwise
 * leave as calls when they have several callers */
#define INLINE	inline __attribute__((always_inline))

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

static uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t load32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* memcmp(p, lit, n) == 0 for a literal: two overlapping loads a side
 * for 4 to 16 bytes, which the compiler folds into constants (gcc calls
 * memcmp for most of those lengths) */
static INLINE int same_bytes(const char *p, const char *lit, size_t n)
{
	if (n >= 8 && n <= 16)
		return !((load64(p) ^ load64(lit)) |
			 (load64(p + n - 8) ^ load64(lit + n - 8)));
	if (n >= 4 && n < 8)
		return !((load32(p) ^ load32(lit)) |
			 (load32(p + n - 4) ^ load32(lit + n - 4)));
	return !memcmp(p, lit, n);
}

static INLINE int starts(const char *p, const char *e, const char *lit,
			 size_t n)
{
	return (size_t)(e - p) >= n && same_bytes(p, lit, n);
}
#define STARTS(p, e, lit) starts(p, e, lit, sizeof(lit) - 1)

static INLINE int ends(const char *p, const char *e, const char *lit,
		       size_t n)
{
	return (size_t)(e - p) >= n && same_bytes(e - n, lit, n);
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
 * A name of up to 24 bytes as a key of three words, read with loads that
 * stay inside the name (the last one overlaps the others), so that two
 * names of one length compare as three words, not byte by byte.
 */
struct name_key {
	uint64_t w[3];
};

/* a byte repeated in each byte of a word: ONES * b */
#define ONES	0x0101010101010101ull

#define NAME_KEY_MAX	24

/* len 1..NAME_KEY_MAX; inline: it runs for every line */
static INLINE struct name_key name_key(const char *n, unsigned len)
{
	struct name_key k = { { 0, 0, 0 } };

	if (len >= 8) {
		k.w[0] = load64(n);
		k.w[1] = load64(n + (len > 16 ? 8 : len - 8));
		if (len > 16)
			k.w[2] = load64(n + len - 8);
	} else if (len >= 4) {
		k.w[0] = load32(n) | (uint64_t)load32(n + len - 4) << 32;
	} else {
		k.w[0] = (unsigned char)n[0] | (unsigned char)n[len / 2] << 8 |
			 (unsigned)(unsigned char)n[len - 1] << 16;
	}
	return k;
}

/*
 * The end of the run of digits at p: eight bytes at a time while eight
 * remain (a pid has five to seven), then byte by byte.  A byte b is a
 * digit when b ^ '0' is 0..9, i.e. neither it nor it + 6 reaches 0x10; a
 * carry out of a non-digit byte only disturbs the bytes after it.
 */
static INLINE const char *skip_digits(const char *p, const char *e)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (e - p >= 8) {
		uint64_t a = load64(p) ^ (ONES * '0');
		uint64_t stop = (a | (a + ONES * 6)) & (ONES * 0xf0);

		if (stop)	/* the first byte is the lowest */
			return p + __builtin_ctzll(stop) / 8;
		p += 8;
	}
#endif
	while (p < e && is_digit(*p))
		p++;
	return p;
}

/*
 * The value of the digits [p, q) (q from skip_digits, e the line's end),
 * -1 past INT_MAX.  Up to eight digits with eight bytes readable are
 * converted in one word, without a loop whose end varies from line to
 * line (a pid has five to seven digits): digit values in the word's low
 * bytes are moved to its top, then summed in pairs, fours and eights.
 */
static INLINE long digits_value(const char *p, const char *q, const char *e)
{
	size_t n = (size_t)(q - p);
	unsigned long v = 0;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 1 && n <= 8 && e - p >= 8) {
		uint64_t x = (load64(p) ^ 0x3030303030303030ull) << (8 * (8 - n));

		x = x * 10 + (x >> 8);
		x = ((x & 0x000000ff000000ffull) * (100 + (1000000ull << 32)) +
		     ((x >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32))) >> 32;
		return (long)x;
	}
#endif
	(void)e;
	/* unsigned: a long run wraps instead of overflowing */
	for (int big = 0; p < q; p++) {
		big |= v > INT_MAX / 10;
		v = v * 10 + (unsigned long)(*p - '0');
		if (big)
			return -1;
	}
	return v > INT_MAX ? -1 : (long)v;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* the top bit of each byte of x that is > lo and < hi (0 <= lo < hi <=
 * 128), exactly: the low seven bits are summed without carries, and
 * bytes of 0x80 and above are left out */
static INLINE uint64_t bytes_between(uint64_t x, unsigned lo, unsigned hi)
{
	uint64_t low = x & ONES * 0x7f;

	return (ONES * (127 + hi) - low) & ~x & (low + ONES * (127 - lo)) &
	       ONES * 0x80;
}

/* the top bit of each byte of x that is not [A-Za-z0-9_] */
static INLINE uint64_t non_name_bytes(uint64_t x)
{
	uint64_t name = bytes_between(x, '0' - 1, '9' + 1) |
			bytes_between(x | ONES * 0x20, 'a' - 1, 'z' + 1) |
			bytes_between(x, '_' - 1, '_' + 1);

	return ~name & ONES * 0x80;
}
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* the top bit of each zero byte of x: exact for the lowest one (a borrow
 * only disturbs the bytes above it) */
static INLINE uint64_t zero_bytes(uint64_t x)
{
	return (x - ONES) & ~x & ONES * 0x80;
}

/* the byte at p + the lowest byte flagged in s0 (bytes 0..7) or else in
 * s1 (bytes 8..15), one of them not 0: both offsets are worked out and
 * one picked by a mask, as a branch on s0 would be mispredicted as often
 * as a loop's end */
static INLINE const char *first_flagged(const char *p, uint64_t s0,
					uint64_t s1)
{
	uint64_t in0 = -(uint64_t)(s0 != 0);
	uint64_t n0 = (uint64_t)__builtin_ctzll(s0 | 1ull << 63) / 8;
	uint64_t n1 = 8 + (uint64_t)__builtin_ctzll(s1 | 1ull << 63) / 8;

	return p + ((n0 & in0) | (n1 & ~in0));
}
#endif

/* the end of the syscall name at p: the first byte not [A-Za-z0-9_] */
static INLINE const char *skip_name(const char *p, const char *e)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (e - p >= 16) {
		uint64_t s0 = non_name_bytes(load64(p));
		uint64_t s1 = non_name_bytes(load64(p + 8));

		if (s0 | s1)
			return first_flagged(p, s0, s1);
		p += 16;
	}
#endif
	while (p < e && is_name_char(*p))
		p++;
	return p;
}

/* where the name at p would end if it is a name seen before: the first
 * '(' or ' ' in the next sixteen bytes (what follows a name), or NULL */
static INLINE const char *name_end_guess(const char *p, const char *e)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (e - p >= 16) {
		uint64_t x0 = load64(p), x1 = load64(p + 8);
		uint64_t s0 = zero_bytes(x0 ^ ONES * '(') | zero_bytes(x0 ^ ONES * ' ');
		uint64_t s1 = zero_bytes(x1 ^ ONES * '(') | zero_bytes(x1 ^ ONES * ' ');

		if (s0 | s1)
			return first_flagged(p, s0, s1);
	}
#endif
	(void)p;
	(void)e;
	return NULL;
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
static uint64_t sig_key[sizeof(sig_names) / sizeof(sig_names[0])];

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
		sig_key[i] = name_key(sig_names[i].name, sig_names[i].len).w[0];
	}
}

/* "SIGxxx" at p -> its number, *end after it; 0 when it names none */
static int sig_number(const char *p, const char *e, const char **end)
{
	const char *n;
	size_t len;
	uint64_t key;

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
	/* no name is longer than one key word */
	if (!len || len > 8)
		return 0;
	key = name_key(n, (unsigned)len).w[0];
	for (unsigned h = sig_hash_of(n, len); sig_hash[h];
	     h = (h + 1) & (SIG_HASH - 1)) {
		unsigned i = sig_hash[h] - 1u;

		if (sig_names[i].len == len && sig_key[i] == key)
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
static INLINE int parse_result(const char *p, const char *e,
			       struct sc_line *out, int want)
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
			/* a one-digit result (a sigaction's 0) needs no
			 * general parse */
			if (want && is_digit(*r) && (r + 1 == e || r[1] == ' '))
				out->ret = *r - '0';
			else if (want && !parse_long(r, e, &out->ret))
				return -1;
			out->ret_kind = SC_RET_VALUE;
			return 0;
		}
		q = eq;
	}
	return -1;
}

/* strip " <0.000123>" (-T) and trailing spaces */
static INLINE const char *strip_tail(const char *p, const char *e)
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

/* what the parser reads of a call besides its name (sc_line) */
#define NF_RET		1	/* the result's value: exec success, clone's
				 * child, a sigaction's success */
#define NF_EXEC		2	/* execve, execveat: the path */
#define NF_CLONE	4	/* clone, clone3: flags= */
#define NF_SIGACTION	8	/* rt_sigaction, sigaction: the new action */
#define NF_SIGNAL	16	/* signal: the handler */

static unsigned name_flags(const char *n, unsigned len)
{
	static const struct { const char *name; unsigned flags; } special[] = {
		{ "fork", NF_RET }, { "vfork", NF_RET },
		{ "clone", NF_RET | NF_CLONE }, { "clone3", NF_RET | NF_CLONE },
		{ "execve", NF_RET | NF_EXEC }, { "execveat", NF_RET | NF_EXEC },
		{ "signal", NF_RET | NF_SIGNAL },
		{ "sigaction", NF_RET | NF_SIGACTION },
		{ "rt_sigaction", NF_RET | NF_SIGACTION },
	};

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strlen(special[i].name) == len &&
		    !memcmp(special[i].name, n, len))
			return special[i].flags;
	return 0;
}

/*
 * Name -> number and flags, through a small open-addressed table in front
 * of the shared one: a log uses a few dozen names, and this lookup runs
 * for every line.  Entries are never evicted (names that alternate would
 * evict each other); once the table is 3/4 full, further names go to the
 * shared table every time.
 */
#define NCACHE_BITS	9
#define NCACHE		(1u << NCACHE_BITS)

struct name_cache {
	struct name_key k;
	unsigned len;		/* 0: empty */
	unsigned flags;		/* NF_* */
	long nr;
};

static __thread struct name_cache cache[NCACHE];
static __thread unsigned cache_n;
static __thread int cache_arch;

static long name_nr(const char *n, unsigned len, int arch)
{
	long nr = sc_syscall_nr_n(arch, n, len);

	return nr < 0 ? sc_syscall_raw_nr(n, len) : nr;
}

/* the cache entry of the name with key k and length len, or the empty
 * slot it would take (the table is never full) */
static INLINE struct name_cache *cache_slot(const struct name_key *k,
					    unsigned len)
{
	unsigned i = (unsigned)((((k->w[0] ^ k->w[1] ^ k->w[2]) + len) *
				 0x9E3779B97F4A7C15ull) >> (64 - NCACHE_BITS));

	for (;; i = (i + 1) & (NCACHE - 1)) {
		struct name_cache *c = &cache[i];

		if (!c->len || (c->len == len && c->k.w[0] == k->w[0] &&
				c->k.w[1] == k->w[1] && c->k.w[2] == k->w[2]))
			return c;
	}
}

/*
 * The syscall name at out->name, up to the first byte before e that is
 * not [A-Za-z0-9_]: out->namelen and out->nr; returns its NF_*.  A name
 * seen before is found without classifying its bytes: the first '(' or
 * ' ' gives a guess of its end, and a cache entry for the bytes before
 * proves them all name bytes (only names read in full are entered).
 */
static INLINE unsigned read_name(struct sc_line *out, const char *e, int arch)
{
	const char *n = out->name, *q;
	struct name_key k;
	struct name_cache *c;
	unsigned len;

	if (arch != cache_arch) {	/* entries hold one arch's numbers */
		memset(cache, 0, sizeof(cache));
		cache_n = 0;
		cache_arch = arch;
	}
	q = name_end_guess(n, e);
	if (q && q > n) {
		len = (unsigned)(q - n);
		k = name_key(n, len);
		c = cache_slot(&k, len);
		if (c->len) {
			out->namelen = len;
			out->nr = c->nr;
			return c->flags;
		}
	}
	len = (unsigned)(skip_name(n, e) - n);
	out->namelen = len;
	if (!len)
		return 0;
	if (len > NAME_KEY_MAX) {
		out->nr = name_nr(n, len, arch);
		return name_flags(n, len);
	}
	k = name_key(n, len);
	c = cache_slot(&k, len);
	if (c->len) {
		out->nr = c->nr;
		return c->flags;
	}
	out->nr = name_nr(n, len, arch);
	if (cache_n >= NCACHE / 4 * 3)
		return name_flags(n, len);
	cache_n++;
	c->k = k;
	c->len = len;
	c->nr = out->nr;
	c->flags = name_flags(n, len);
	return c->flags;
}

/* a flag's name and length, for flag_bits */
struct flag_name {
	const char *name;
	size_t len;
};
#define FLAG(s) { s, sizeof(s) - 1 }

/* which of flags[0..n) the flag list at p ("A|B|C", ended by any other
 * byte) names: bit i for flags[i], in one pass */
static unsigned flag_bits(const char *p, const char *e,
			  const struct flag_name *flags, unsigned n)
{
	unsigned bits = 0;

	while (p < e) {
		const char *q = p;

		while (q < e && is_name_char(*q))
			q++;
		for (unsigned i = 0; i < n; i++)
			if (flags[i].len == (size_t)(q - p) &&
			    !memcmp(p, flags[i].name, flags[i].len))
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
	static const struct flag_name names[] = {
		FLAG("SA_RESETHAND"), FLAG("SA_ONESHOT"),
	};
	long v;

	if (p < e && is_digit(*p))
		return parse_long(p, e, &v) && (v & 0x80000000L);
	return flag_bits(p, e, names, 2) != 0;
}

static int is_hex_digit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* a handler value at p: SIG_DFL, SIG_IGN, or an address (-X raw: 0, 1);
 * *end after it */
static int handler_kind(const char *p, const char *e, const char **end)
{
	const char *q;
	long v;

	*end = p + 7;
	if (STARTS(p, e, "SIG_DFL"))
		return SC_ACT_DFL;
	if (STARTS(p, e, "SIG_IGN"))
		return SC_ACT_IGN;
	/* an address of up to 16 hex digits is 0 or 1 only if all its
	 * digits but the last are 0: no need to decode it */
	if (STARTS(p, e, "0x")) {
		for (q = p + 2; q < e && is_hex_digit(*q); q++)
			;
		if (q - p > 2 && q - p <= 18) {
			const char *z = p + 2;

			while (z < q - 1 && *z == '0')
				z++;
			*end = q;
			if (z < q - 1 || (*z != '0' && *z != '1'))
				return SC_ACT_HANDLER;
			return *z == '0' ? SC_ACT_DFL : SC_ACT_IGN;
		}
	}
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
	static const struct flag_name names[] = {
		FLAG("CLONE_SIGHAND"), FLAG("CLONE_THREAD"),
		FLAG("CLONE_CLEAR_SIGHAND"),
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
static void call_args(const char *p, const char *e, unsigned flags,
		      struct sc_line *out)
{
	if (flags & NF_CLONE)
		clone_flags(p, e, out);
	else if (flags & (NF_SIGACTION | NF_SIGNAL))
		sigaction_args(p, e, flags & NF_SIGNAL, out);
}

static void error(struct sc_line *out, const char *reason)
{
	out->type = SC_LINE_ERROR;
	out->reason = reason;
}

/* sc_strace_parse, inline in sc_lines_next: it runs for every line */
static INLINE void parse_line(const char *line, size_t len, int arch, int cut,
			      struct sc_line *out)
{
	const char *p = line, *e = line + len, *q;
	unsigned flags;

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
	if (p < e && is_digit(*p)) {
		long v;

		q = skip_digits(p, e);
		if (q < e && *q == ' ') {
			v = digits_value(p, q, e);
			if (v < 0 || v > INT_MAX)
				return error(out, "pid out of range");
			out->pid = v;
			p = q;
		}
	} else if (STARTS(p, e, "[pid ")) {
		p = skip_spaces(p + 5, e);
		q = parse_long(p, e, &out->pid);
		if (!q || q >= e || *q != ']' || out->pid < 0 ||
		    out->pid > INT_MAX)
			return error(out, "bad [pid N] prefix");
		p = q + 1;
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
		flags = read_name(out, e, arch);
		p += out->namelen;
		if (!out->namelen || !STARTS(p, e, " resumed>")) {
			out->nr = -1;
			return error(out, "bad <... resumed> line");
		}
		out->type = SC_LINE_RESUMED;
		e = strip_tail(p, e);
		if (e[-1] == '>' && ENDS(p, e, "<unfinished ...>"))
			return;	/* resumed and interrupted again: no result yet */
		if (parse_result(p, e, out, flags & NF_RET) < 0) {
			if (cut)
				return;
			return error(out, "no result in resumed line");
		}
		return;
	}

	out->name = p;
	flags = read_name(out, e, arch);
	p += out->namelen;
	if (!out->namelen || p == e || *p != '(') {
		out->nr = -1;
		return error(out, cut ? "line cut short at end of file" :
			     "not a syscall line");
	}
	if (flags & NF_EXEC)
		out->has_comm = exec_comm(p, e, out->comm, out->path);
	else if (flags)
		call_args(p + 1, e, flags, out);
	e = strip_tail(p, e);
	if (e[-1] == '>' && ENDS(p, e, "<unfinished ...>")) {
		out->type = SC_LINE_UNFINISHED;
		return;
	}
	if (parse_result(p, e, out, flags & NF_RET) < 0) {
		if (cut) {
			/* cut while printing: the call was entered */
			out->type = SC_LINE_UNFINISHED;
			return;
		}
		return error(out, "no result");
	}
	out->type = SC_LINE_SYSCALL;
}

void sc_strace_parse(const char *line, size_t len, int arch, int cut,
		     struct sc_line *out)
{
	parse_line(line, len, arch, cut, out);
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

/* the next line if the buffer holds all of it (the common case: no
 * read, no end of file to handle), else NULL */
static INLINE const char *buffered_line(struct sc_reader *r, size_t *len)
{
	const char *s = r->buf + r->pos;
	const char *nl = memchr(s, '\n', r->len - r->pos);

	if (!nl)
		return NULL;
	*len = (size_t)(nl - s);
	r->pos += *len + 1;
	r->lineno++;
	return s;
}

int sc_reader_next(struct sc_reader *r, const char **line, size_t *len,
		   int *cut)
{
	*cut = 0;
	if ((*line = buffered_line(r, len)))
		return 1;
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
static INLINE const char *notice_in(const char *line, size_t len)
{
	static const char tag[] = "strace: Process ";
	const size_t taglen = sizeof(tag) - 1;

	if (len < taglen + 10 || line[len - 1] != 'd' ||
	    !ENDS(line, line + len, " attached") ||
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

/*
 * The next line to parse after the common case, a whole line in the
 * buffer without a notice, did not apply: got is the line already taken
 * from the buffer (*len long), or NULL.  *report: whether a cut line is
 * to be reported (not the halves of a split line).  1 = a line, 0 = the
 * end, -1 = an error.
 */
static int lines_take(struct sc_lines *a, const char *got, const char **line,
		      size_t *len, int *cut, int *report)
{
	const char *notice;
	int rc = 1;

	*line = got;
	*cut = 0;
	*report = 1;
	if (a->end)
		return a->end > 0 ? 0 : (errno = a->err, -1);
	if (!got)
		rc = sc_reader_next(&a->r, line, len, cut);
	if (rc <= 0) {
		a->end = rc < 0 ? -1 : 1;
		a->err = errno ? errno : EIO;
		/* a line split by a notice, whose second half never came */
		if (a->holding) {
			a->holding = 0;
			*line = a->held;
			*len = a->nheld;
			*cut = 1;
			*report = 0;
			return 1;
		}
		return a->end > 0 ? 0 : (errno = a->err, -1);
	}
	if (a->holding) {
		if (held_add(a, *line, *len) < 0)
			goto nomem;
		a->holding = 0;
		*line = a->held;
		*len = a->nheld;
		*report = 0;
		return 1;
	}
	notice = *cut ? NULL : notice_in(*line, *len);
	if (!notice)
		return 1;
	a->nheld = 0;
	if (held_add(a, *line, (size_t)(notice - *line)) < 0) {
		/* the notice still comes out; the error, next */
		a->end = -1;
		a->err = ENOMEM;
	} else {
		a->holding = 1;
	}
	*len -= (size_t)(notice - *line);
	*line = notice;
	*report = 0;
	return 1;
nomem:
	a->end = -1;
	a->err = ENOMEM;
	errno = ENOMEM;
	return -1;
}

int sc_lines_next(struct sc_lines *a, struct sc_line *l,
		  unsigned long *lineno, int *warn)
{
	const char *line = NULL;
	size_t len = 0;
	int cut = 0, report = 1, rc;

	if (a->end || a->holding || !(line = buffered_line(&a->r, &len)) ||
	    notice_in(line, len)) {
		rc = lines_take(a, line, &line, &len, &cut, &report);
		if (rc <= 0)
			return rc;
	}
	parse_line(line, len, a->arch, cut, l);
	*lineno = a->r.lineno;
	*warn = report && cut && l->type != SC_LINE_ERROR;
	return 1;
}

void sc_lines_close(struct sc_lines *a)
{
	sc_reader_close(&a->r);
	free(a->held);
	a->held = NULL;
}
