// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A profile's file: the stable JSON of design.md section 4.  Reading is
 * strict and every refusal names file:line:column: jansson reads the file,
 * except the transition rows of a well-formed file, which a small parser
 * of our own reads (most of a big profile's load time is jansson's
 * allocations for them); anything that parser does not like goes to
 * jansson, so the refusals read the same either way.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile-int.h"
#include "uring.h"
#include "syscalls.h"
#include "syscfi.h"

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

void sc_ferr(char *err, size_t errlen, const char *file, const char *fmt,
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
		sc_ferr(err, errlen, path, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st)) {
		sc_ferr(err, errlen, path, "%s", strerror(errno));
	} else if (!S_ISREG(st->st_mode)) {
		sc_ferr(err, errlen, path, "not a regular file");
	} else if (st->st_size > SC_PROFILE_SIZE_MAX) {
		sc_ferr(err, errlen, path, "%lld bytes: a profile is at most %d MiB",
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
				sc_ferr(err, errlen, path, "a profile is at most %d MiB",
				     SC_PROFILE_SIZE_MAX >> 20);
				goto fail;
			}
			b = realloc(buf, c + 1);
			if (!b) {
				sc_ferr(err, errlen, path, "out of memory");
				goto fail;
			}
			buf = b;
			cap = c;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sc_ferr(err, errlen, path, "read error: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > SC_PROFILE_SIZE_MAX) {
		sc_ferr(err, errlen, path, "a profile is at most %d MiB",
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
	if (sc_trans_find(p, sym[0], sym[1], sym[2])) {
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
	if (sc_trans_reserve(p, json_array_size(trans))) {
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
	if (sc_trans_reserve(p, rows))
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
		if (sc_trans_find(p, sym[0], sym[1], sym[2]) ||
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

/* loads that the row parser served: a test proves with it that the files
 * the tools write take that path */
static atomic_ulong fast_loads;

unsigned long sc_profile_fast_loads(void)
{
	return atomic_load(&fast_loads);
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
	if (p)
		atomic_fetch_add(&fast_loads, 1);
	else
		p = load_slow(path, text, len, err, errlen);
	if (mapped)
		munmap(text, len);
	else
		free(text);
	if (p) {
		p->path = strdup(path);
		if (!p->path) {
			sc_ferr(err, errlen, path, "out of memory");
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

	sc_name_ranks(p->arch, rank);
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
		fprintf(f, "%s    \"%s\": %llu", sep, sc_sym_name(p->arch, order[i]),
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
			fprintf(f, "\"%s\", ", sc_sym_name(p->arch, v[i].a));
		fprintf(f, "\"%s\", \"%s\", %llu]", sc_sym_name(p->arch, v[i].b),
			sc_sym_name(p->arch, v[i].x), file_int(v[i].count));
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -1 : 0;
}

int sc_profile_check_savable(const struct sc_profile *p, const char *path,
			 char *err, size_t errlen)
{
	if (!sc_arch_name(p->arch) || (p->depth != 1 && p->depth != 2) ||
	    p->window < 1 || p->window > SC_WINDOW_MAX || !p->comm[0]) {
		sc_ferr(err, errlen, path, "refusing to write an invalid profile "
		     "(arch, depth 1/2, window 1..%d, comm)", SC_WINDOW_MAX);
		return -1;
	}
	if (p->has_threshold && !(isfinite(p->threshold) && p->threshold >= 0)) {
		sc_ferr(err, errlen, path, "threshold must be a finite number >= 0");
		return -1;
	}
	if (p->exe && p->exe[0] != '/') {
		sc_ferr(err, errlen, path, "exe must be an absolute path");
		return -1;
	}
	return 0;
}

int sc_profile_write(FILE *f, const struct sc_profile *p)
{
	size_t n;
	struct sc_trans *v = sc_profile_sorted(p, &n);
	int rc;

	if (!v) {
		errno = ENOMEM;
		return -1;
	}
	rc = write_profile(f, p, v, n);
	free(v);
	return rc;
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
