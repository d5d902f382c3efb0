// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Profiles in memory (a hash of transition counts) and in files (the
 * stable JSON of design.md section 4).  Reading is strict: a profile set
 * loads whole or not at all, and every refusal names file:line:column.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bigmem.h"
#include "parallel.h"
#include "profile.h"
#include "sysset.h"
#include "uring.h"
#include "syscalls.h"
#include "syscfi.h"

#define EMPTY_A		0xffff	/* marks a free slot: symbols are < 1024 */

/* ---- the transition hash ------------------------------------------------ */

static size_t trans_hash(unsigned a, unsigned b, unsigned x)
{
	uint64_t k = ((uint64_t)a << 20) | ((uint64_t)b << 10) | x;

	return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32);
}

static struct sc_trans *trans_find(const struct sc_profile *p, unsigned a,
				   unsigned b, unsigned x)
{
	size_t mask = p->nslots - 1, i;

	if (!p->nslots)
		return NULL;
	for (i = trans_hash(a, b, x) & mask;; i = (i + 1) & mask) {
		struct sc_trans *t = &p->slots[i];

		if (t->a == EMPTY_A)
			return NULL;
		if (t->a == a && t->b == b && t->x == x)
			return t;
	}
}

/* at most 3/4 full: a row probes ~2.5 slots on average, and the hash,
 * the biggest buffer of a loader's start-up, is half of what 1/2 gives */
static int trans_full(size_t ntrans, size_t nslots)
{
	return ntrans * 4 > nslots * 3;
}

/* rehash into n slots (a power of two, trans_full false) */
static int trans_resize(struct sc_profile *p, size_t n)
{
	struct sc_trans *s = sc_big_alloc(n * sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct sc_trans){ .a = EMPTY_A };
	for (size_t i = 0; i < p->nslots; i++) {
		struct sc_trans *o = &p->slots[i];
		size_t j;

		if (o->a == EMPTY_A)
			continue;
		for (j = trans_hash(o->a, o->b, o->x) & (n - 1); s[j].a != EMPTY_A;
		     j = (j + 1) & (n - 1))
			;
		s[j] = *o;
	}
	free(p->slots);
	p->slots = s;
	p->nslots = n;
	return 0;
}

static int trans_grow(struct sc_profile *p)
{
	return trans_resize(p, p->nslots ? p->nslots * 2 : 64);
}

/* room for n more transitions: one rehash now instead of several later */
static int trans_reserve(struct sc_profile *p, size_t n)
{
	size_t want = p->nslots ? p->nslots : 64;

	while (trans_full(p->ntrans + n, want))
		want *= 2;
	return want == p->nslots ? 0 : trans_resize(p, want);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct sc_profile *sc_profile_new(const char *comm, int arch, int depth)
{
	struct sc_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	snprintf(p->comm, sizeof(p->comm), "%s", comm ? comm : "");
	p->arch = arch;
	p->version = 1;
	p->depth = depth;
	p->window = SC_WINDOW_DEFAULT;
	return p;
}

int sc_profile_set_transparent(struct sc_profile *p, const uint64_t *set)
{
	if (!p->tcount) {
		p->tcount = calloc(SC_NR_MAX, sizeof(*p->tcount));
		if (!p->tcount)
			return -1;
	}
	p->version = 2;
	memcpy(p->transparent, set, sizeof(p->transparent));
	for (unsigned x = 0; x < SC_NR_MAX; x++)
		if (!(set[x / 64] >> (x % 64) & 1))
			p->tcount[x] = 0;
	return 0;
}

void sc_profile_add_transparent(struct sc_profile *p, unsigned x,
				uint64_t count)
{
	if (p->tcount && x < SC_NR_MAX && (p->transparent[x / 64] >> (x % 64) & 1))
		p->tcount[x] = sat_add(p->tcount[x], count);
}

void sc_profile_transparent_seen(const struct sc_profile *p,
				 uint64_t set[SC_NR_MAX / 64])
{
	memset(set, 0, SC_NR_MAX / 8);
	if (!p->tcount)
		return;
	for (unsigned x = 0; x < SC_NR_MAX; x++)
		if (p->tcount[x])
			set[x / 64] |= 1ull << (x % 64);
}

/*
 * Calls that wait for, or wake, another task or a timer: which of them a
 * thread makes, and where, depends on timing (a lock that is free at full
 * speed is contended under strace; data that is there already needs no
 * poll), so they are in the syscall set but never in a state.  The end of
 * a signal handler and a restarted call are here for the same reason.
 */
static const char *const transparent_default[] = {
	"futex", "futex_waitv", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"poll", "ppoll", "select", "pselect6", "nanosleep", "clock_nanosleep",
	"rt_sigreturn", "rt_sigsuspend", "sched_yield", "restart_syscall",
	"pause",
};

void sc_transparent_default(int arch, uint64_t set[SC_NR_MAX / 64])
{
	sc_transparent_parse(arch, "default", set, NULL, 0);
}

int sc_transparent_parse(int arch, const char *list,
			 uint64_t set[SC_NR_MAX / 64], char *err,
			 size_t errlen)
{
	return sc_sysset_parse(arch, list, transparent_default,
			       sizeof(transparent_default) / sizeof(transparent_default[0]),
			       set, err, errlen);
}

void sc_profile_free(struct sc_profile *p)
{
	if (!p)
		return;
	free(p->slots);
	free(p->exe);
	free(p->path);
	free(p->tcount);
	sc_profile_free_edges(p);
	free(p);
}

int sc_profile_add(struct sc_profile *p, unsigned a, unsigned b, unsigned x,
		   uint64_t count)
{
	struct sc_trans *t;
	size_t i, mask;

	if (p->depth == 1)
		a = SC_ANY;	/* depth 1 keeps (b, x) only */
	t = trans_find(p, a, b, x);
	if (t) {
		t->count = sat_add(t->count, count);
		return 0;
	}
	if (trans_full(p->ntrans + 1, p->nslots) && trans_grow(p))
		return -1;
	mask = p->nslots - 1;
	for (i = trans_hash(a, b, x) & mask; p->slots[i].a != EMPTY_A;
	     i = (i + 1) & mask)
		;
	p->slots[i] = (struct sc_trans){ .a = a, .b = b, .x = x, .count = count };
	p->ntrans++;
	return 0;
}

uint64_t sc_profile_count(const struct sc_profile *p, unsigned a, unsigned b,
			  unsigned x)
{
	const struct sc_trans *t;

	if (p->depth == 1)
		a = SC_ANY;
	t = trans_find(p, a, b, x);
	return t ? t->count : 0;
}

/*
 * Every syscall of a transition: each x, each real a and b (START, UNKNOWN
 * and the depth-1 wildcard are not syscalls), so the start calls
 * ((START, execve), (START, clone), ...) too, and the members of the
 * transparent set it made, which are in no transition.
 */
void sc_profile_syscalls(const struct sc_profile *p, uint8_t set[SC_NR_MAX])
{
	for (size_t i = 0; i < p->nslots; i++) {
		const struct sc_trans *t = &p->slots[i];

		if (t->a == EMPTY_A)
			continue;
		if (t->a < SC_NR_MAX)
			set[t->a] = 1;
		if (t->b < SC_NR_MAX)
			set[t->b] = 1;
		if (t->x < SC_NR_MAX)
			set[t->x] = 1;
	}
	/* the transparent calls it made are in its set, outside any state */
	if (p->tcount)
		for (unsigned x = 0; x < SC_NR_MAX; x++)
			if (p->tcount[x])
				set[x] = 1;
}

/* ---- sorting by names ----------------------------------------------------- */

static const char *sym_name(int arch, unsigned nr)
{
	const char *s = nr == SC_ANY ? "" : sc_syscall_name(arch, (int)nr);

	return s ? s : "";
}

static int rank_arch;

static int sym_cmp(const void *l, const void *r)
{
	return strcmp(sym_name(rank_arch, *(const uint16_t *)l),
		      sym_name(rank_arch, *(const uint16_t *)r));
}

/*
 * Sort v[i] = rank key (30 bits) << 32 | slot index by the rank key: three
 * stable counting passes of 10 bits (ranks are below 1024), linear time.
 */
static void radix_sort_keys(uint64_t *v, uint64_t *tmp, size_t n)
{
	uint64_t *src = v, *dst = tmp, *t;

	for (int shift = 32; shift < 62; shift += SC_SYM_BITS) {
		size_t pos[SC_SYM_MASK + 2] = { 0 };

		for (size_t i = 0; i < n; i++)
			pos[((src[i] >> shift) & SC_SYM_MASK) + 1]++;
		for (size_t b = 1; b <= SC_SYM_MASK + 1; b++)
			pos[b] += pos[b - 1];
		for (size_t i = 0; i < n; i++)
			dst[pos[(src[i] >> shift) & SC_SYM_MASK]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

/*
 * rank[sym] = place of sym's name in strcmp order (SC_ANY, nameless, first).
 * Sorting (rank a, rank b, rank x) as one integer sorts by names without a
 * string compare per step.
 */
static void name_ranks(int arch, uint16_t rank[SC_SYM_MASK + 1])
{
	uint16_t syms[SC_UNKNOWN + 2];
	int n = 0;

	for (unsigned s = 0; s <= SC_UNKNOWN; s++)
		syms[n++] = (uint16_t)s;
	syms[n++] = SC_ANY;
	rank_arch = arch;
	qsort(syms, (size_t)n, sizeof(syms[0]), sym_cmp);
	memset(rank, 0, (SC_SYM_MASK + 1) * sizeof(rank[0]));
	for (int i = 0; i < n; i++)
		rank[syms[i]] = (uint16_t)i;
}

struct sc_trans *sc_profile_sorted(const struct sc_profile *p, size_t *n)
{
	uint64_t *keys = malloc((p->ntrans ? p->ntrans : 1) * sizeof(*keys));
	struct sc_trans *out = malloc((p->ntrans ? p->ntrans : 1) * sizeof(*out));
	uint16_t rank[SC_SYM_MASK + 1];
	size_t k = 0;

	if (!keys || !out) {
		free(keys);
		free(out);
		return NULL;
	}
	name_ranks(p->arch, rank);
	for (size_t i = 0; i < p->nslots; i++) {
		const struct sc_trans *t = &p->slots[i];
		uint64_t r;

		if (t->a == EMPTY_A)
			continue;
		r = ((uint64_t)rank[t->a] << 20) | ((uint64_t)rank[t->b] << 10) |
		    rank[t->x];
		keys[k++] = (r << 32) | i;	/* slot index breaks no ties: keys are unique */
	}
	/* out (16 bytes a transition) is the scratch space until it is filled */
	radix_sort_keys(keys, (uint64_t *)out, k);
	for (size_t i = 0; i < k; i++)
		out[i] = p->slots[keys[i] & 0xffffffffu];
	free(keys);
	*n = k;
	return out;
}

bool sc_profile_makes(const struct sc_profile *p, unsigned x)
{
	for (size_t i = 0; i < p->nslots; i++)
		if (p->slots[i].a != EMPTY_A && p->slots[i].x == x)
			return true;
	return false;
}

int sc_profile_merge(struct sc_profile *dst, const struct sc_profile *src)
{
	if (strcmp(dst->comm, src->comm) || dst->arch != src->arch ||
	    dst->depth != src->depth || dst->version != src->version ||
	    memcmp(dst->transparent, src->transparent,
		   sizeof(dst->transparent))) {
		errno = EINVAL;
		return -1;
	}
	if (src->tcount)
		for (unsigned x = 0; x < SC_NR_MAX; x++)
			sc_profile_add_transparent(dst, x, src->tcount[x]);
	for (size_t i = 0; i < src->nslots; i++) {
		const struct sc_trans *t = &src->slots[i];

		if (t->a != EMPTY_A && sc_profile_add(dst, t->a, t->b, t->x, t->count))
			return -1;
	}
	dst->traces = sat_add(dst->traces, src->traces);
	dst->tasks = sat_add(dst->tasks, src->tasks);
	dst->syscalls = sat_add(dst->syscalls, src->syscalls);
	dst->uring_ops |= src->uring_ops;
	if (!dst->exe && src->exe) {
		dst->exe = strdup(src->exe);
		if (!dst->exe)
			return -1;
	}
	if (!dst->has_threshold && src->has_threshold) {
		dst->has_threshold = true;
		dst->threshold = src->threshold;
	}
	return sc_profile_merge_edges(dst, src);
}

/* ---- positions in the file text ------------------------------------------
 * jansson reports positions only for syntax errors; for a semantic error we
 * find the place ourselves: one pass over the text records where each key
 * of the top-level object and each element of "transitions" begins.
 */
struct pos {
	int line, col;
};

struct keypos {
	char name[24];
	struct pos at;
};

struct textmap {
	struct pos obj;			/* the top-level '{' */
	struct keypos keys[32];
	int nkeys;
	struct pos *elems;		/* elements of "transitions" */
	size_t nelems, cap;
};

static void textmap_scan(struct textmap *m, const char *s, size_t len)
{
	struct pos cur = { 1, 0 }, str_at = { 1, 1 };
	int depth = 0, in_str = 0, esc = 0, in_trans = 0, want_elem = 0;
	size_t str_start = 0, str_len = 0;
	int have_str = 0;

	memset(m, 0, sizeof(*m));
	m->obj = (struct pos){ 1, 1 };
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\n') {
			cur.line++;
			cur.col = 0;
			continue;
		}
		if ((c & 0xc0) != 0x80)	/* columns count characters */
			cur.col++;
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				in_str = 0;
				str_len = i - str_start;
				have_str = depth == 1;
			}
			continue;
		}
		if (isspace(c))
			continue;
		if (in_trans && depth == 2 && want_elem && c != ']' && c != ',') {
			if (m->nelems == m->cap) {
				size_t n = m->cap ? m->cap * 2 : 256;
				struct pos *e = realloc(m->elems, n * sizeof(*e));

				if (!e)
					return;	/* positions are a nicety */
				m->elems = e;
				m->cap = n;
			}
			m->elems[m->nelems++] = cur;
			want_elem = 0;
		}
		switch (c) {
		case '"':
			in_str = 1;
			str_start = i + 1;
			str_at = cur;
			continue;	/* have_str is set when it closes */
		case ':':
			if (depth == 1 && have_str && m->nkeys < 32) {
				struct keypos *k = &m->keys[m->nkeys++];
				size_t n = str_len < sizeof(k->name) - 1 ?
					   str_len : sizeof(k->name) - 1;

				memcpy(k->name, s + str_start, n);
				k->name[n] = 0;
				k->at = str_at;
				in_trans = !strcmp(k->name, "transitions");
			}
			break;
		case '{':
		case '[':
			if (depth == 0 && c == '{')
				m->obj = cur;
			if (depth == 1 && c == '[' && in_trans)
				want_elem = 1;
			else if (depth == 1)
				in_trans = 0;
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			if (depth < 2)
				want_elem = 0;
			if (depth == 1)
				in_trans = 0;
			break;
		case ',':
			if (in_trans && depth == 2)
				want_elem = 1;
			if (depth == 1)
				in_trans = 0;
			break;
		}
		have_str = 0;
	}
}

static struct pos key_pos(const struct textmap *m, const char *key)
{
	for (int i = 0; i < m->nkeys; i++)
		if (!strcmp(m->keys[i].name, key))
			return m->keys[i].at;
	return m->obj;
}

static struct pos elem_pos(const struct textmap *m, size_t i)
{
	return i < m->nelems ? m->elems[i] : key_pos(m, "transitions");
}

__attribute__((format(printf, 5, 6)))
static void perr(char *err, size_t errlen, const char *file, struct pos at,
		 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s:%d:%d: ", file, at.line, at.col);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void ferr(char *err, size_t errlen, const char *file, const char *fmt,
		 ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

/* ---- reading ---------------------------------------------------------------- */

/* the file of a profile, opened for reading: a regular file of at most
 * SC_PROFILE_SIZE_MAX bytes.  O_NONBLOCK: a FIFO planted in a profile
 * folder is refused, not waited on; -1 with err filled */
static int open_profile(const char *path, struct stat *st, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		ferr(err, errlen, path, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st)) {
		ferr(err, errlen, path, "%s", strerror(errno));
	} else if (!S_ISREG(st->st_mode)) {
		ferr(err, errlen, path, "not a regular file");
	} else if (st->st_size > SC_PROFILE_SIZE_MAX) {
		ferr(err, errlen, path, "%lld bytes: a profile is at most %d MiB",
		     (long long)st->st_size, SC_PROFILE_SIZE_MAX >> 20);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* read the whole file; a file that grows while read is cut at the limit
 * and refused */
static char *read_file(const char *path, int fd, const struct stat *st,
		       size_t *len, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;

	/* the file's size up front: one buffer, no regrowth; a power of two,
	 * so that the next file's buffer is likely this one's, pages warm */
	if (st->st_size > 0) {
		for (cap = 65536; cap <= (size_t)st->st_size; cap *= 2)
			;
		buf = malloc(cap + 1);
		cap = buf ? cap : 0;
	}
	for (;;) {
		if (n == cap) {
			size_t c = cap ? cap * 2 : 65536;
			char *b;

			if (n > SC_PROFILE_SIZE_MAX) {
				ferr(err, errlen, path, "a profile is at most %d MiB",
				     SC_PROFILE_SIZE_MAX >> 20);
				goto fail;
			}
			b = realloc(buf, c + 1);
			if (!b) {
				ferr(err, errlen, path, "out of memory");
				goto fail;
			}
			buf = b;
			cap = c;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ferr(err, errlen, path, "read error: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > SC_PROFILE_SIZE_MAX) {
		ferr(err, errlen, path, "a profile is at most %d MiB",
		     SC_PROFILE_SIZE_MAX >> 20);
		goto fail;
	}
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

/*
 * A big profile is mapped, not copied: its pages are the page cache's.
 * Only when its size is not a whole number of pages, so that the rest of
 * the last page reads as zeros and the text ends with a NUL as read_file's
 * does.  NULL: read it instead.
 */
#define MAP_MIN		(1u << 20)

static char *map_file(int fd, const struct stat *st, size_t *len)
{
	long page = sysconf(_SC_PAGESIZE);
	void *m = MAP_FAILED;

	if (st->st_size >= MAP_MIN && st->st_size % page) {
		m = mmap(NULL, (size_t)st->st_size, PROT_READ,
			 MAP_PRIVATE | MAP_POPULATE, fd, 0);
		*len = (size_t)st->st_size;
	}
	return m == MAP_FAILED ? NULL : m;
}

static const char *const known_keys[] = {
	"format", "version", "comm", "exe", "arch", "depth", "window",
	"threshold", "stats", "transparent", "transitions", "io_uring", "exec",
};

/* "transparent": {"name": count, ...} of a version-2 profile */
static int load_transparent(struct sc_profile *p, json_t *obj,
			    const char *file, const struct textmap *m,
			    char *err, size_t errlen)
{
	struct pos at = key_pos(m, "transparent");
	uint64_t set[SC_NR_MAX / 64] = { 0 };
	const char *key;
	json_t *v;
	int nr;

	if (!json_is_object(obj)) {
		perr(err, errlen, file, at,
		     "\"transparent\" must be an object of syscall names and counts");
		return -1;
	}
	json_object_foreach(obj, key, v) {
		nr = sc_syscall_nr(p->arch, key);
		if (nr < 0 || nr >= SC_NR_MAX) {
			perr(err, errlen, file, at,
			     "unknown syscall \"%s\" in \"transparent\"", key);
			return -1;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			perr(err, errlen, file, at,
			     "\"transparent.%s\" must be a non-negative integer", key);
			return -1;
		}
		set[nr / 64] |= 1ull << (nr % 64);
	}
	if (sc_profile_set_transparent(p, set)) {
		perr(err, errlen, file, at, "out of memory");
		return -1;
	}
	json_object_foreach(obj, key, v)
		p->tcount[sc_syscall_nr(p->arch, key)] =
			(uint64_t)json_integer_value(v);
	return 0;
}

/* one row of "transitions": names by position, then the count */
static int load_row(struct sc_profile *p, json_t *row, size_t i,
		    const char *file, const struct textmap *m, char *err,
		    size_t errlen)
{
	size_t want = p->depth == 1 ? 3 : 4, nnames = want - 1;
	unsigned sym[3] = { SC_ANY, 0, 0 };	/* a, b, x */
	unsigned *dstsym = p->depth == 1 ? &sym[1] : &sym[0];
	struct pos at = elem_pos(m, i);
	json_t *cnt;
	json_int_t count;

	if (!json_is_array(row) || json_array_size(row) != want) {
		perr(err, errlen, file, at,
		     "transition %zu: expected [%s, count] for a depth-%d profile",
		     i + 1, p->depth == 1 ? "b, x" : "a, b, x", p->depth);
		return -1;
	}
	for (size_t k = 0; k < nnames; k++) {
		json_t *v = json_array_get(row, k);
		const char *name;
		int nr;

		if (!json_is_string(v)) {
			perr(err, errlen, file, at,
			     "transition %zu: syscall names must be strings",
			     i + 1);
			return -1;
		}
		name = json_string_value(v);
		nr = sc_syscall_nr_n(p->arch, name, (unsigned)json_string_length(v));
		if (nr < 0 || strlen(name) != json_string_length(v)) {
			perr(err, errlen, file, at,
			     "transition %zu: unknown syscall name \"%s\" for %s",
			     i + 1, name, sc_arch_name(p->arch));
			return -1;
		}
		if (nr == SC_UNKNOWN) {
			perr(err, errlen, file, at,
			     "transition %zu: UNKNOWN states are never learned",
			     i + 1);
			return -1;
		}
		if (nr >= SC_NR_MAX && k == nnames - 1) {
			perr(err, errlen, file, at,
			     "transition %zu: %s cannot be the syscall made",
			     i + 1, nr == SC_START ? "START" : "SIGNAL");
			return -1;
		}
		dstsym[k] = (unsigned)nr;
	}
	cnt = json_array_get(row, nnames);
	if (!json_is_integer(cnt) || (count = json_integer_value(cnt)) < 0) {
		perr(err, errlen, file, at,
		     "transition %zu: count must be a non-negative integer",
		     i + 1);
		return -1;
	}
	if (trans_find(p, sym[0], sym[1], sym[2])) {
		perr(err, errlen, file, at, "transition %zu: duplicate transition",
		     i + 1);
		return -1;
	}
	if (sc_profile_add(p, sym[0], sym[1], sym[2], (uint64_t)count)) {
		perr(err, errlen, file, at, "out of memory");
		return -1;
	}
	return 0;
}

static int get_uint(json_t *root, const char *key, bool required,
		    json_int_t lo, json_int_t hi, json_int_t *out,
		    const char *file, const struct textmap *m, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(root, key);

	if (!v) {
		if (required)
			perr(err, errlen, file, m->obj, "missing \"%s\"", key);
		return required ? -1 : 1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		perr(err, errlen, file, key_pos(m, key),
		     "\"%s\" must be an integer in %lld..%lld", key,
		     (long long)lo, (long long)hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int load_stats(struct sc_profile *p, json_t *stats, const char *file,
		      const struct textmap *m, char *err, size_t errlen)
{
	static const char *const names[] = { "traces", "tasks", "syscalls" };
	uint64_t *dst[] = { &p->traces, &p->tasks, &p->syscalls };
	struct pos at = key_pos(m, "stats");
	const char *key;
	json_t *v;

	if (!json_is_object(stats)) {
		perr(err, errlen, file, at, "\"stats\" must be an object");
		return -1;
	}
	json_object_foreach(stats, key, v) {
		size_t k;

		for (k = 0; k < 3; k++)
			if (!strcmp(key, names[k]))
				break;
		if (k == 3) {
			perr(err, errlen, file, at, "unknown key \"stats.%s\"", key);
			return -1;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			perr(err, errlen, file, at,
			     "\"stats.%s\" must be a non-negative integer", key);
			return -1;
		}
		*dst[k] = (uint64_t)json_integer_value(v);
	}
	return 0;
}

/* "io_uring": the opcodes the program may submit, by the kernel's names
 * (IORING_OP_READ is "READ").  Missing: none (docs/design.md, "io_uring") */
static int load_uring(struct sc_profile *p, json_t *root, const char *file,
		      const struct textmap *m, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, "io_uring"), *e;
	size_t i;
	int op;

	if (!v)
		return 0;
	if (!json_is_array(v)) {
		perr(err, errlen, file, key_pos(m, "io_uring"),
		     "\"io_uring\" must be an array of opcode names");
		return -1;
	}
	json_array_foreach(v, i, e) {
		op = json_is_string(e) ? sc_uring_op_parse(json_string_value(e)) : -1;
		if (op < 0) {
			perr(err, errlen, file, key_pos(m, "io_uring"),
			     "io_uring opcode %zu: not an IORING_OP_ name without its prefix (\"READ\")",
			     i);
			return -1;
		}
		if (p->uring_ops >> op & 1) {
			perr(err, errlen, file, key_pos(m, "io_uring"),
			     "io_uring opcode \"%s\" listed twice", json_string_value(e));
			return -1;
		}
		p->uring_ops |= 1ull << op;
	}
	return 0;
}

/* "exec": [{"path": "/abs", "profile": "comm" | null}, ...]: the
 * programs this profile execs (design.md section 2) */
static int load_exec(struct sc_profile *p, json_t *root, const char *file,
		     const struct textmap *m, char *err, size_t errlen)
{
	json_t *edges = json_object_get(root, "exec"), *e, *path, *prof;
	struct pos at = key_pos(m, "exec");
	const char *why, *comm;
	size_t i;

	if (!edges)
		return 0;	/* no edges: execs bind as an unprofiled task's */
	if (!json_is_array(edges)) {
		perr(err, errlen, file, at, "\"exec\" must be an array");
		return -1;
	}
	p->has_exec = true;
	json_array_foreach(edges, i, e) {
		path = json_object_get(e, "path");
		prof = json_object_get(e, "profile");
		if (!json_is_object(e) || json_object_size(e) != 2 ||
		    !json_is_string(path) || !prof ||
		    !(json_is_null(prof) || json_is_string(prof))) {
			perr(err, errlen, file, at, "\"exec\"[%zu] must be "
			     "{\"path\": string, \"profile\": string or null}", i);
			return -1;
		}
		if (strlen(json_string_value(path)) != json_string_length(path) ||
		    (why = sc_edge_path_refused(json_string_value(path)))) {
			perr(err, errlen, file, at, "\"exec\"[%zu]: path %s: %s", i,
			     json_string_value(path), why ? why : "holds a NUL byte");
			return -1;
		}
		comm = json_is_string(prof) ? json_string_value(prof) : NULL;
		if (comm && (!comm[0] || json_string_length(prof) > 15 ||
			     strlen(comm) != json_string_length(prof) ||
			     strchr(comm, '/') || !strcmp(comm, ".") ||
			     !strcmp(comm, ".."))) {
			perr(err, errlen, file, at, "\"exec\"[%zu]: profile must be "
			     "the comm of a profile in the scope folder (1 to 15 "
			     "bytes, no '/'), or null", i);
			return -1;
		}
		if (sc_profile_find_edge(p, json_string_value(path))) {
			perr(err, errlen, file, at, "\"exec\"[%zu]: path %s is "
			     "there twice", i, json_string_value(path));
			return -1;
		}
		if (sc_profile_add_edge(p, json_string_value(path), comm)) {
			perr(err, errlen, file, at, "out of memory");
			return -1;
		}
	}
	return 0;
}

static struct sc_profile *profile_from_json(json_t *root, const char *file,
					    const struct textmap *m, char *err,
					    size_t errlen)
{
	struct sc_profile *p = NULL;
	json_t *v, *trans;
	json_int_t version, depth, window = SC_WINDOW_DEFAULT;
	const char *key, *comm;
	int arch;
	size_t i;

	if (!json_is_object(root)) {
		perr(err, errlen, file, m->obj, "a profile is a JSON object");
		return NULL;
	}
	json_object_foreach(root, key, v) {
		size_t k, nk = sizeof(known_keys) / sizeof(known_keys[0]);

		for (k = 0; k < nk && strcmp(key, known_keys[k]); k++)
			;
		if (k == nk) {
			perr(err, errlen, file, key_pos(m, key),
			     "unknown key \"%s\"", key);
			return NULL;
		}
	}
	v = json_object_get(root, "format");
	if (!v || !json_is_string(v) || strcmp(json_string_value(v), "syscfi-profile")) {
		perr(err, errlen, file, v ? key_pos(m, "format") : m->obj,
		     "\"format\" must be \"syscfi-profile\"");
		return NULL;
	}
	if (get_uint(root, "version", true, 0, LLONG_MAX, &version, file, m,
		     err, errlen) < 0)
		return NULL;
	if (version != 1 && version != 2) {
		perr(err, errlen, file, key_pos(m, "version"),
		     "unsupported version %lld (this build reads 1 and 2)",
		     (long long)version);
		return NULL;
	}
	if (version == 1 && json_object_get(root, "transparent")) {
		perr(err, errlen, file, key_pos(m, "transparent"),
		     "\"transparent\" needs \"version\": 2");
		return NULL;
	}
	v = json_object_get(root, "arch");
	if (!v || !json_is_string(v) || (arch = sc_arch_parse(json_string_value(v))) < 0) {
		perr(err, errlen, file, v ? key_pos(m, "arch") : m->obj,
		     "\"arch\" must be \"x86_64\" or \"i386\"");
		return NULL;
	}
	if (get_uint(root, "depth", true, 1, 2, &depth, file, m, err, errlen) < 0 ||
	    get_uint(root, "window", false, 1, SC_WINDOW_MAX, &window, file, m,
		     err, errlen) < 0)
		return NULL;
	v = json_object_get(root, "comm");
	if (!v || !json_is_string(v) || !(comm = json_string_value(v))[0] ||
	    json_string_length(v) > 15 || strlen(comm) != json_string_length(v)) {
		perr(err, errlen, file, v ? key_pos(m, "comm") : m->obj,
		     "\"comm\" must be a string of 1 to 15 bytes");
		return NULL;
	}
	p = sc_profile_new(comm, arch, (int)depth);
	if (!p) {
		perr(err, errlen, file, m->obj, "out of memory");
		return NULL;
	}
	p->window = (int)window;
	v = json_object_get(root, "exe");
	if (v) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			perr(err, errlen, file, key_pos(m, "exe"),
			     "\"exe\" must be an absolute path");
			goto fail;
		}
		p->exe = strdup(json_string_value(v));
		if (!p->exe) {
			perr(err, errlen, file, m->obj, "out of memory");
			goto fail;
		}
	}
	v = json_object_get(root, "threshold");
	if (v) {
		if (!json_is_number(v) || json_number_value(v) < 0) {
			perr(err, errlen, file, key_pos(m, "threshold"),
			     "\"threshold\" must be a non-negative number of bits");
			goto fail;
		}
		p->has_threshold = true;
		p->threshold = json_number_value(v);
	}
	v = json_object_get(root, "stats");
	if (v && load_stats(p, v, file, m, err, errlen))
		goto fail;
	if (version == 2) {
		v = json_object_get(root, "transparent");
		if (v && load_transparent(p, v, file, m, err, errlen))
			goto fail;
		if (!v && sc_profile_set_transparent(p, (uint64_t[SC_NR_MAX / 64]){ 0 })) {
			perr(err, errlen, file, m->obj, "out of memory");
			goto fail;
		}
	}
	if (load_uring(p, root, file, m, err, errlen))
		goto fail;
	if (load_exec(p, root, file, m, err, errlen))
		goto fail;
	trans = json_object_get(root, "transitions");
	if (!trans || !json_is_array(trans)) {
		perr(err, errlen, file, trans ? key_pos(m, "transitions") : m->obj,
		     "\"transitions\" must be an array");
		goto fail;
	}
	if (trans_reserve(p, json_array_size(trans))) {
		perr(err, errlen, file, m->obj, "out of memory");
		goto fail;
	}
	json_array_foreach(trans, i, v)
		if (load_row(p, v, i, file, m, err, errlen))
			goto fail;
	return p;
fail:
	sc_profile_free(p);
	return NULL;
}

/* jansson for the whole file: exact refusals with their positions */
static struct sc_profile *load_slow(const char *path, const char *text,
				    size_t len, char *err, size_t errlen)
{
	struct sc_profile *p = NULL;
	struct textmap m;
	json_error_t je;
	json_t *root;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		perr(err, errlen, path, (struct pos){ je.line, je.column },
		     "%s", je.text);
		return NULL;
	}
	/* positions only matter for an error: scan the text then, and read
	 * again to report it (a scan of every element costs as much as jansson) */
	memset(&m, 0, sizeof(m));
	p = profile_from_json(root, path, &m, err, errlen);
	if (!p) {
		textmap_scan(&m, text, len);
		p = profile_from_json(root, path, &m, err, errlen);
	}
	json_decref(root);
	free(m.elems);
	return p;
}

/* ---- the fast path --------------------------------------------------------
 * jansson makes five values of every transition row; a 10k-row profile
 * spends most of its load time in malloc.  The fast path hands jansson the
 * file without the transitions' rows, then reads the rows with a strict
 * little parser.  Anything it
 * does not like, it leaves to load_slow, which gives the exact refusal:
 * the fast path only ever accepts what load_slow accepts.
 */
static int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static const char *skip_ws(const char *q, const char *e)
{
	while (q < e && is_ws(*q))
		q++;
	return q;
}

/* index after the string starting at s[i] == '"', or n */
static size_t skip_str(const char *s, size_t n, size_t i)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/* [start] = '[' and [end] = its ']' of the top-level "transitions"; with
 * end NULL, only start (the array is not scanned) */
static int trans_span(const char *s, size_t n, size_t *start, size_t *end)
{
	int depth = 0, key = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			size_t j = skip_str(s, n, i);

			key = depth == 1 && j - i == 13 &&
			      !memcmp(s + i, "\"transitions\"", 13);
			i = j - 1;
			continue;
		}
		if (is_ws(s[i]))
			continue;
		if (s[i] == ':' && key) {
			int d = 0;

			for (i++; i < n && is_ws(s[i]); i++)
				;
			if (i >= n || s[i] != '[')
				return -1;
			*start = i;
			if (!end)
				return 0;
			for (; i < n; i++) {
				if (s[i] == '"')
					i = skip_str(s, n, i) - 1;
				else if (s[i] == '[' || s[i] == '{')
					d++;
				else if ((s[i] == ']' || s[i] == '}') && --d == 0)
					break;
			}
			if (i >= n || s[i] != ']')
				return -1;
			*end = i;
			return 0;
		}
		key = 0;
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
	}
	return -1;
}

/* the rows between q and e (the array without its brackets), or -1 */
static int fast_rows(struct sc_profile *p, const char *q, const char *e)
{
	unsigned nnames = p->depth == 1 ? 2 : 3;

	size_t rows = 0;

	/* a row per '[': room for all of them in one go, and no more (a
	 * bracket inside a name only reserves a slot too many) */
	for (const char *b = q; (b = memchr(b, '[', (size_t)(e - b))); b++)
		rows++;
	if (trans_reserve(p, rows))
		return -1;
	q = skip_ws(q, e);
	if (q == e)
		return 0;
	for (;;) {
		unsigned sym[3] = { SC_ANY, 0, 0 };
		unsigned *dst = p->depth == 1 ? &sym[1] : &sym[0];
		uint64_t count = 0;
		const char *d;

		if (*q != '[')
			return -1;
		q = skip_ws(q + 1, e);
		for (unsigned k = 0; k < nnames; k++) {
			const char *name;
			int nr;

			if (q >= e || *q != '"')
				return -1;
			for (name = ++q; q < e && *q != '"' && *q != '\\' &&
			     (unsigned char)*q >= 0x20; q++)
				;
			if (q >= e || *q != '"')
				return -1;
			nr = sc_syscall_nr_n(p->arch, name, (unsigned)(q - name));
			if (nr < 0 || nr == SC_UNKNOWN ||
			    (nr >= SC_NR_MAX && k == nnames - 1))
				return -1;
			dst[k] = (unsigned)nr;
			q = skip_ws(q + 1, e);
			if (q >= e || *q != ',')
				return -1;
			q = skip_ws(q + 1, e);
		}
		/* a plain non-negative integer jansson would read */
		for (d = q; q < e && *q >= '0' && *q <= '9'; q++) {
			if (count > (uint64_t)INT64_MAX / 10 - 1)
				return -1;
			count = count * 10 + (uint64_t)(*q - '0');
		}
		if (q == d || (*d == '0' && q - d > 1))
			return -1;
		q = skip_ws(q, e);
		if (q >= e || *q != ']')
			return -1;
		if (trans_find(p, sym[0], sym[1], sym[2]) ||
		    sc_profile_add(p, sym[0], sym[1], sym[2], count))
			return -1;
		q = skip_ws(q + 1, e);
		if (q == e)
			return 0;
		if (*q != ',')
			return -1;
		q = skip_ws(q + 1, e);
		if (q == e)
			return -1;
	}
}

/* the profile whose rows are text[start + 1, end), '[' and ']' at start
 * and end, or NULL */
static struct sc_profile *load_rows(const char *text, size_t len, size_t start,
				    size_t end)
{
	struct sc_profile *p;
	struct textmap m;
	json_error_t je;
	json_t *root;
	char *head;
	/* the file without the rows: positions do not matter here, any
	 * refusal is reported by load_slow */
	head = malloc(len - (end - start) + 2);
	if (!head)
		return NULL;
	memcpy(head, text, start + 1);
	memcpy(head + start + 1, text + end, len - end);
	root = json_loadb(head, start + 1 + len - end, JSON_REJECT_DUPLICATES,
			  &je);
	free(head);
	if (!root)
		return NULL;
	memset(&m, 0, sizeof(m));
	p = profile_from_json(root, "", &m, NULL, 0);
	json_decref(root);
	if (p && fast_rows(p, text + start + 1, text + end)) {
		sc_profile_free(p);
		p = NULL;
	}
	return p;
}

static struct sc_profile *load_fast(const char *text, size_t len)
{
	struct sc_profile *p;
	size_t start, end = len;

	if (trans_span(text, len, &start, NULL))
		return NULL;
	/* our files end with the transitions: "]" "}" and blanks.  Rows that
	 * parse up to that "]" prove it closes the array (a syscall name has
	 * no bracket), which spares a scan of every byte of the rows */
	while (end > start && is_ws(text[end - 1]))
		end--;
	if (end > start && text[end - 1] == '}') {
		for (end--; end > start && is_ws(text[end - 1]);)
			end--;
		if (end > start + 1 && text[end - 1] == ']' &&
		    (p = load_rows(text, len, start, end - 1)))
			return p;
	}
	if (trans_span(text, len, &start, &end))
		return NULL;
	return load_rows(text, len, start, end);
}

struct sc_profile *sc_profile_load(const char *path, char *err, size_t errlen)
{
	struct sc_profile *p;
	struct stat st;
	size_t len;
	char *text;
	int mapped, fd = open_profile(path, &st, err, errlen);

	if (fd < 0)
		return NULL;
	text = map_file(fd, &st, &len);
	mapped = text != NULL;
	if (!mapped)
		text = read_file(path, fd, &st, &len, err, errlen);
	close(fd);
	if (!text)
		return NULL;
	p = load_fast(text, len);
	if (!p)
		p = load_slow(path, text, len, err, errlen);
	if (mapped)
		munmap(text, len);
	else
		free(text);
	if (p) {
		p->path = strdup(path);
		if (!p->path) {
			ferr(err, errlen, path, "out of memory");
			sc_profile_free(p);
			p = NULL;
		}
	}
	return p;
}

/* ---- writing ------------------------------------------------------------------ */

/* a JSON string literal for s (quotes included), or -1 */
static int put_json_str(FILE *f, const char *s)
{
	json_t *j = json_string(s);
	char *d;
	int r;

	if (!j)
		return -1;
	d = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	if (!d)
		return -1;
	r = fputs(d, f) < 0 ? -1 : 0;
	free(d);
	return r;
}

/* shortest decimal that reads back as the same double, always with a '.' or
 * an exponent so it stays a JSON real */
static void fmt_real(char *buf, size_t len, double v)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".e"))
		strncat(buf, ".0", len - strlen(buf) - 1);
}

/* jansson reads integers up to INT64_MAX: larger saturated counts are
 * written as that */
static unsigned long long file_int(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (unsigned long long)INT64_MAX : v;
}

/* the transparent set by name, one member a line */
static void write_transparent(FILE *f, const struct sc_profile *p)
{
	uint16_t rank[SC_SYM_MASK + 1];
	unsigned order[SC_NR_MAX], n = 0;
	const char *sep = "\n";

	name_ranks(p->arch, rank);
	for (unsigned x = 0; x < SC_NR_MAX; x++)
		if (p->transparent[x / 64] >> (x % 64) & 1)
			order[n++] = x;
	for (unsigned i = 1; i < n; i++)	/* insertion sort by name: few */
		for (unsigned j = i; j > 0 && rank[order[j]] < rank[order[j - 1]]; j--) {
			unsigned t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	fputs("  \"transparent\": {", f);
	for (unsigned i = 0; i < n; i++, sep = ",\n")
		fprintf(f, "%s    \"%s\": %llu", sep, sym_name(p->arch, order[i]),
			file_int(p->tcount ? p->tcount[order[i]] : 0));
	fputs(n ? "\n  },\n" : "},\n", f);
}

/* "exec" of an edge-checked profile, one edge a line, sorted by path */
static int write_edges(FILE *f, const struct sc_profile *p)
{
	if (!p->has_exec)
		return 0;
	fputs("  \"exec\": [", f);
	for (size_t i = 0; i < p->nedges; i++) {
		const struct sc_exec_edge *e = &p->edges[i];

		fputs(i ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
		if (put_json_str(f, e->path))
			return -1;
		fputs(", \"profile\": ", f);
		if (e->handoff)
			fputs("null", f);
		else if (put_json_str(f, e->profile))
			return -1;
		fputc('}', f);
	}
	fputs(p->nedges ? "\n  ],\n" : "],\n", f);
	return ferror(f) ? -1 : 0;
}

static int write_profile(FILE *f, const struct sc_profile *p,
			 const struct sc_trans *v, size_t n)
{
	char real[40];

	fprintf(f, "{\n  \"format\": \"syscfi-profile\",\n  \"version\": %d,\n  \"comm\": ",
		p->version);
	if (put_json_str(f, p->comm))
		return -1;
	fputs(",\n", f);
	if (p->exe) {
		fputs("  \"exe\": ", f);
		if (put_json_str(f, p->exe))
			return -1;
		fputs(",\n", f);
	}
	fprintf(f, "  \"arch\": \"%s\",\n  \"depth\": %d,\n  \"window\": %d,\n",
		sc_arch_name(p->arch), p->depth, p->window);
	if (p->has_threshold) {
		fmt_real(real, sizeof(real), p->threshold);
		fprintf(f, "  \"threshold\": %s,\n", real);
	}
	if (p->uring_ops) {
		fputs("  \"io_uring\": ", f);
		sc_uring_ops_write(f, p->uring_ops);
		fputs(",\n", f);
	}
	fprintf(f, "  \"stats\": {\"traces\": %llu, \"tasks\": %llu, \"syscalls\": %llu},\n",
		file_int(p->traces), file_int(p->tasks), file_int(p->syscalls));
	if (p->version == 2)
		write_transparent(f, p);
	if (write_edges(f, p))
		return -1;
	fputs("  \"transitions\": [", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n    [" : "\n    [", f);
		if (p->depth != 1)
			fprintf(f, "\"%s\", ", sym_name(p->arch, v[i].a));
		fprintf(f, "\"%s\", \"%s\", %llu]", sym_name(p->arch, v[i].b),
			sym_name(p->arch, v[i].x), file_int(v[i].count));
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -1 : 0;
}

static int check_savable(const struct sc_profile *p, const char *path,
			 char *err, size_t errlen)
{
	if (!sc_arch_name(p->arch) || (p->depth != 1 && p->depth != 2) ||
	    p->window < 1 || p->window > SC_WINDOW_MAX || !p->comm[0]) {
		ferr(err, errlen, path, "refusing to write an invalid profile "
		     "(arch, depth 1/2, window 1..%d, comm)", SC_WINDOW_MAX);
		return -1;
	}
	if (p->has_threshold && !(isfinite(p->threshold) && p->threshold >= 0)) {
		ferr(err, errlen, path, "threshold must be a finite number >= 0");
		return -1;
	}
	if (p->exe && p->exe[0] != '/') {
		ferr(err, errlen, path, "exe must be an absolute path");
		return -1;
	}
	return 0;
}

/*
 * Write p to a hidden temporary next to path (so the later rename() is
 * atomic) and return its name (malloc'd), or NULL with err filled.
 */
static char *stage_profile(const struct sc_profile *p, const char *path,
			   char *err, size_t errlen)
{
	struct sc_trans *v;
	const char *slash = strrchr(path, '/');
	char *tmp;
	size_t n, dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	int fd, ok = 0;
	FILE *f;

	if (check_savable(p, path, err, errlen))
		return NULL;
	v = sc_profile_sorted(p, &n);
	tmp = malloc(dirlen + strlen(path + dirlen) + 16);
	if (!v || !tmp) {
		ferr(err, errlen, path, "out of memory");
		goto out;
	}
	sprintf(tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ferr(err, errlen, path, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		ferr(err, errlen, path, "%s", strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (write_profile(f, p, v, n) || fflush(f) || fsync(fileno(f))) {
		ferr(err, errlen, path, "write %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f)) {
		ferr(err, errlen, path, "close %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	ok = 1;
out:
	free(v);
	if (!ok) {
		free(tmp);
		return NULL;
	}
	return tmp;
}

/* fsync the folder holding path, so renames into it are durable; a
 * failure here loses nothing */
static void sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int sc_profile_save_all(struct sc_profile *const *v, char *const *paths,
			size_t n, char *err, size_t errlen)
{
	char **tmp = calloc(n ? n : 1, sizeof(*tmp));
	size_t i;
	int rc = -1;

	if (!tmp) {
		ferr(err, errlen, n ? paths[0] : "-", "out of memory");
		return -1;
	}
	/* every file is written before any is renamed into place */
	for (i = 0; i < n; i++)
		if (!(tmp[i] = stage_profile(v[i], paths[i], err, errlen)))
			goto out;
	for (i = 0; i < n; i++) {
		if (rename(tmp[i], paths[i])) {
			ferr(err, errlen, paths[i], "rename from %s: %s", tmp[i],
			     strerror(errno));
			goto out;
		}
		free(tmp[i]);
		tmp[i] = NULL;
	}
	for (i = 0; i < n; i++)
		sync_dir_of(paths[i]);
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		if (tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
	}
	free(tmp);
	return rc;
}

int sc_profile_save(const struct sc_profile *p, const char *path, char *err,
		    size_t errlen)
{
	struct sc_profile *v = (struct sc_profile *)p;
	char *pathv = (char *)path;

	return sc_profile_save_all(&v, &pathv, 1, err, errlen);
}

/* ---- sets ----------------------------------------------------------------------- */

void sc_profile_set_free(struct sc_profile_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sc_profile_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

struct sc_profile *sc_profile_set_find(const struct sc_profile_set *set,
				       const char *comm)
{
	return sc_profile_set_find_in(set, NULL, comm);
}

int sc_profile_set_add(struct sc_profile_set *set, struct sc_profile *p)
{
	if (sc_profile_set_find_in(set, p->parent, p->comm)) {
		errno = EEXIST;
		return -1;
	}
	if (set->n == set->cap) {
		size_t c = set->cap ? set->cap * 2 : 8;
		struct sc_profile **v = realloc(set->v, c * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		set->v = v;
		set->cap = c;
	}
	set->v[set->n++] = p;
	return 0;
}

/* the files of a set, in load order */
struct file_list {
	char **v;
	long *parent;	/* index of the file whose scope folder holds v[i], or -1 */
	size_t n, cap;
	long scope;	/* parent of the files being added */
};

static int list_add(struct file_list *l, char *path)
{
	if (!path)
		return -1;
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, c * sizeof(*v));
		long *par;

		if (!v) {
			free(path);
			return -1;
		}
		l->v = v;
		par = realloc(l->parent, c * sizeof(*par));
		if (!par) {
			free(path);
			return -1;
		}
		l->parent = par;
		l->cap = c;
	}
	l->parent[l->n] = l->scope;
	l->v[l->n++] = path;
	return 0;
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->parent);
}

static int cmp_str(const void *l, const void *r)
{
	return strcmp(*(char *const *)l, *(char *const *)r);
}

/* append the *.json of dir, sorted by name */
static int list_dir(struct file_list *l, const char *dir, char *err,
		    size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = l->n;
	char *path;

	if (!d) {
		ferr(err, errlen, dir, "%s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		/* *.json, not hidden (our own temporaries start with '.') */
		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".json"))
			continue;
		if (asprintf(&path, "%s%s%s", dir,
			     dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name) < 0)
			path = NULL;
		if (list_add(l, path)) {
			closedir(d);
			ferr(err, errlen, dir, "out of memory");
			return -1;
		}
	}
	closedir(d);
	if (l->n > first)
		qsort(l->v + first, l->n - first, sizeof(*l->v), cmp_str);
	return 0;
}

/* the scope folders of files first..n-1: the profiles of X.d/ are scoped
 * under X.json, recursively (design.md section 2) */
static int list_scopes(struct file_list *l, size_t first, int depth,
		       char *err, size_t errlen)
{
	size_t end = l->n, len, sub;
	struct stat st;
	char *dir;
	int rc;

	for (size_t i = first; i < end; i++) {
		len = strlen(l->v[i]);
		if (len <= 5 || strcmp(l->v[i] + len - 5, ".json"))
			continue;
		if (asprintf(&dir, "%.*s.d", (int)(len - 5), l->v[i]) < 0) {
			ferr(err, errlen, l->v[i], "out of memory");
			return -1;
		}
		if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
			free(dir);
			continue;
		}
		if (depth >= SC_SCOPE_DEPTH_MAX) {
			ferr(err, errlen, dir, "scope folders nested deeper than %d",
			     SC_SCOPE_DEPTH_MAX);
			free(dir);
			return -1;
		}
		l->scope = (long)i;
		sub = l->n;
		rc = list_dir(l, dir, err, errlen);
		l->scope = -1;
		free(dir);
		if (rc || list_scopes(l, sub, depth + 1, err, errlen))
			return -1;
	}
	return 0;
}

struct load_job {
	char **paths;
	struct sc_profile **got;	/* by file */
	char **errs;			/* message of a file that failed */
};

static int load_one(void *ctx, size_t i)
{
	struct load_job *j = ctx;
	char err[512];

	j->got[i] = sc_profile_load(j->paths[i], err, sizeof(err));
	if (j->got[i])
		return 0;
	j->errs[i] = strdup(err);
	return -1;
}

/* read every file (on a few threads), then add them in order: the error
 * is the first file's in that order, whichever thread met it first */
static int load_files(struct sc_profile_set *set, const struct file_list *l,
		      char *err, size_t errlen)
{
	struct load_job j = { .paths = l->v };
	size_t failed, i, base = set->n;
	int rc = 0;

	j.got = calloc(l->n + 1, sizeof(*j.got));
	j.errs = calloc(l->n + 1, sizeof(*j.errs));
	if (!j.got || !j.errs) {
		free(j.got);
		free(j.errs);
		ferr(err, errlen, l->v[0], "out of memory");
		return -1;
	}
	json_object_seed(0);	/* jansson's hash seed, set before threads */
	failed = sc_parallel_for(l->n, load_one, NULL, &j);
	for (i = 0; i < l->n && !rc; i++) {
		struct sc_profile *p = j.got[i], *other;

		/* a scope folder's files come after their parent's */
		if (p && l->parent[i] >= 0)
			p->parent = set->v[base + (size_t)l->parent[i]];
		if (i == failed) {
			snprintf(err, errlen, "%s",
				 j.errs[i] ? j.errs[i] : "out of memory");
			rc = -1;
		} else if ((other = sc_profile_set_find_in(set, p->parent, p->comm))) {
			ferr(err, errlen, l->v[i], "comm \"%s\" is also the comm of %s",
			     p->comm, other->path ? other->path : "another profile");
			rc = -1;
		} else if (sc_profile_set_add(set, p)) {
			ferr(err, errlen, l->v[i], "out of memory");
			rc = -1;
		} else {
			j.got[i] = NULL;	/* the set owns it */
		}
	}
	for (i = 0; i < l->n; i++) {
		sc_profile_free(j.got[i]);
		free(j.errs[i]);
	}
	free(j.got);
	free(j.errs);
	return rc;
}

int sc_profile_set_load(struct sc_profile_set *set, char *const *paths,
			int npaths, char *err, size_t errlen)
{
	struct file_list l = { .scope = -1 };
	char listerr[512] = "";
	int rc = 0;

	/* the files, in order, up to the first argument that fails */
	for (int i = 0; i < npaths && !rc; i++) {
		size_t first = l.n;
		struct stat st;

		if (stat(paths[i], &st)) {
			ferr(listerr, sizeof(listerr), paths[i], "%s", strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = list_dir(&l, paths[i], listerr, sizeof(listerr));
		} else if (list_add(&l, strdup(paths[i]))) {
			ferr(listerr, sizeof(listerr), paths[i], "out of memory");
			rc = -1;
		}
		if (!rc)
			rc = list_scopes(&l, first, 0, listerr, sizeof(listerr));
	}
	/* a bad file before the failing argument is the error, as when the
	 * files were read one argument after another */
	if (l.n && load_files(set, &l, err, errlen))
		rc = -2;
	else if (rc)
		snprintf(err, errlen, "%s", listerr);
	else if (sc_profile_set_link(set, err, errlen))
		rc = -1;
	list_free(&l);
	if (rc) {
		sc_profile_set_free(set);	/* all or nothing */
		return -1;
	}
	return 0;
}

int sc_profile_set_require_arch(const struct sc_profile_set *set, int arch,
				char *err, size_t errlen)
{
	const struct sc_profile *p = NULL;
	struct textmap m = { 0 };
	struct stat st;
	size_t i, len;
	char *text;
	int fd;

	for (i = 0; i < set->n && !p; i++)
		if (set->v[i]->arch != arch)
			p = set->v[i];
	if (!p)
		return 0;
	/* the position of "arch" is found again only now, as for any error */
	fd = p->path ? open_profile(p->path, &st, NULL, 0) : -1;
	text = fd >= 0 ? read_file(p->path, fd, &st, &len, NULL, 0) : NULL;
	if (fd >= 0)
		close(fd);
	if (text)
		textmap_scan(&m, text, len);
	m.obj = m.obj.line ? m.obj : (struct pos){ 1, 1 };
	perr(err, errlen, p->path ? p->path : p->comm, key_pos(&m, "arch"),
	     "\"arch\": \"%s\": only %s profiles can be enforced in the kernel",
	     sc_arch_name(p->arch), sc_arch_name(arch));
	free(text);
	free(m.elems);
	return -1;
}

void sc_comm_from_path(const char *path, char comm[16])
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	snprintf(comm, 16, "%s", base);
}
