// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Parsed lines (TAP): the file's lines, through the reader, against the
 * same file parsed here one line at a time; notices split off; lines
 * longer than a read; the ends (read error, missing file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strace.h"
#include "syscalls.h"
#include "tap.h"

static char path[] = "/tmp/test_ahead.XXXXXX";

static void put(const char *s, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(s, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* a growing buffer of text */
struct text {
	char *s;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3)))
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < t->cap - t->n)
			break;
		t->cap = t->cap * 2 + (size_t)k + 1;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			exit(2);
	}
	t->n += (size_t)k;
}

/*
 * Lines of every kind: calls, results, comms, errors, signals, notices,
 * pids and numbers past 32 bits, a run of clone results, lines longer
 * than a read, and a last line without its newline.
 */
static void make_trace(struct text *t)
{
	for (int i = 0; i < 30000; i++) {
		int pid = 100 + i % 7;

		switch (i % 13) {
		case 0: add(t, "%d execve(\"/usr/bin/prog%d\", [\"p\"], 0x1 /* 1 vars */) = 0\n", pid, i % 5); break;
		case 1: add(t, "%d clone(child_stack=NULL, flags=SIGCHLD) = %d\n", pid, 1000 + i); break;
		case 2: add(t, "[pid %d] read(3, \"abc\", 3) = 3\n", pid); break;
		case 3: add(t, "%d futex(0x7f00, FUTEX_WAIT, 0, NULL <unfinished ...>\n", pid); break;
		case 4: add(t, "%d <... futex resumed>) = 0\n", pid); break;
		case 5: add(t, "this is not strace %d\n", i); break;
		case 6: add(t, "strace: Process 4000000000 attached\n"); break;
		case 7: add(t, "%d syscall_0xdeadbeef(0x1) = -1 ENOSYS (Function not implemented)\n", pid); break;
		case 8:
			/* signals, interrupted calls, sigaction arguments */
			if (i % 4 == 0)
				add(t, "%d read(0, 0x7f, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n", pid);
			else if (i % 4 == 1)
				add(t, "%d --- SIGRT_%d {si_signo=SIGRT_%d, si_code=SI_USER} ---\n", pid, 1 + i % 32, 1 + i % 32);
			else if (i % 4 == 2)
				add(t, "%d rt_sigaction(SIGUSR1, {sa_handler=0x55, sa_mask=[], sa_flags=SA_RESTORER|SA_RESETHAND, sa_restorer=0x7f}, NULL, 8) = 0\n", pid);
			else
				add(t, "\n");
			break;
		case 9: add(t, "%d +++ exited with 0 +++\n", pid); break;
		case 10: add(t, "%d 12:00:00.123456 write(1, \"x\", 1) = 1 <0.000010>\n", pid); break;
		case 11:
			if (i % 5000 == 11) {
				add(t, "%d write(1, \"", pid);
				for (int k = 0; k < 300000; k += 10)
					add(t, "0123456789");
				add(t, "\", 300000) = 300000\n");
			} else {
				add(t, "%d getpid() = %d\n", pid, pid);
			}
			break;
		default: add(t, "%d close(3) = 0\n", pid); break;
		}
		if (i == 20000)
			for (int k = 0; k < 3000; k++)
				add(t, "7 clone3({flags=CLONE_VM%s}, 88) = %d\n",
				    k % 2 ? "|CLONE_SIGHAND" : "", 8 + k);
	}
	add(t, "5 openat(AT_FDCWD, \"/etc/pas");
}

static int same_line(const struct sc_line *a, const struct sc_line *b)
{
	return a->type == b->type && a->pid == b->pid && a->nr == b->nr &&
	       a->ret_kind == b->ret_kind && a->ret == b->ret &&
	       a->cut == b->cut && a->intr == b->intr && a->sig == b->sig &&
	       a->act == b->act && a->cflags == b->cflags &&
	       a->has_comm == b->has_comm &&
	       (!a->has_comm || !strncmp(a->comm, b->comm, 16)) &&
	       a->reason == b->reason && a->namelen == b->namelen;
}

static void test_lines(void)
{
	struct text t = { 0 };
	struct sc_lines a;
	struct sc_line got, want;
	size_t pos = 0, n = 0, bad = 0, longest = 0;
	unsigned long want_line = 0, line;
	int warned = 0, warn, rc;

	make_trace(&t);
	put(t.s, t.n);
	ok(t.n > 4 * READ_CHUNK, "the trace spans %zu reads", t.n / READ_CHUNK + 1);
	if (!ok(sc_lines_open(&a, path, SC_ARCH_X86_64) == 0, "open"))
		return;
	while ((rc = sc_lines_next(&a, &got, &line, &warn)) > 0) {
		const char *s = t.s + pos, *nl;
		size_t len;
		int cut;

		nl = memchr(s, '\n', t.n - pos);
		cut = !nl;
		len = nl ? (size_t)(nl - s) : t.n - pos;
		pos += len + !cut;
		want_line++;
		if (len > longest)
			longest = len;
		sc_strace_parse(s, len, SC_ARCH_X86_64, cut, &want);
		if (line != want_line || !same_line(&got, &want) ||
		    warn != (cut && want.type != SC_LINE_ERROR)) {
			if (bad++ < 5)
				printf("# line %lu: got type %d pid %ld nr %ld at "
				       "line %lu\n", want_line, got.type, got.pid,
				       got.nr, line);
		}
		warned += !!warn;
		n++;
	}
	sc_lines_close(&a);
	is(rc, 0, "the end is the end of the file, not an error");
	is(bad, 0, "every line parsed as one at a time, in order");
	is(pos, t.n, "no line lost: the lines reach the end of the file");
	is(warned, 1, "the last line, cut short, is the one to warn about");
	ok(longest > READ_CHUNK, "a line longer than a read (%zu bytes)", longest);
	free(t.s);
}

/* strace's own notice printed inside a line, and at the end of the file */
static void test_notice(void)
{
	static const char s[] =
		"10 clone3({flags=CLONE_VM}, 88strace: Process 11 attached\n"
		" <unfinished ...>\n"
		"11 read(0, \"\", 1) = 0\n"
		"10 write(1, \"x\", 1strace: Process 12 attached\n";
	static const struct { int type; long pid; unsigned long line; int cut; } want[] = {
		{ SC_LINE_ATTACHED, 11, 1, 0 },
		{ SC_LINE_UNFINISHED, 10, 2, 0 },
		{ SC_LINE_SYSCALL, 11, 3, 0 },
		{ SC_LINE_ATTACHED, 12, 4, 0 },
		{ SC_LINE_UNFINISHED, 10, 4, 1 },
	};
	struct sc_lines a;
	struct sc_line l;
	unsigned long line;
	size_t n = 0, bad = 0;
	int warn;

	put(s, sizeof(s) - 1);
	if (!ok(sc_lines_open(&a, path, SC_ARCH_X86_64) == 0, "open"))
		return;
	for (; sc_lines_next(&a, &l, &line, &warn) > 0; n++)
		if (n >= 5 || l.type != want[n].type || l.pid != want[n].pid ||
		    line != want[n].line || l.cut != want[n].cut || warn)
			bad++;
	sc_lines_close(&a);
	is(n, 5, "a notice inside a line: two lines, the halves joined");
	is(bad, 0, "notice first, then the joined line; the held half at EOF");
}

static void test_errors(void)
{
	struct sc_lines a;
	struct sc_line l;
	unsigned long line;
	int warn;

	errno = 0;
	ok(sc_lines_open(&a, "/nonexistent/trace", SC_ARCH_X86_64) < 0 &&
	   errno == ENOENT, "missing file: -1, ENOENT");
	/* reading /proc/self/mem from 0 fails (nothing is mapped there) */
	if (!ok(sc_lines_open(&a, "/proc/self/mem", SC_ARCH_X86_64) == 0, "open"))
		return;
	errno = 0;
	ok(sc_lines_next(&a, &l, &line, &warn) < 0 && errno == EIO,
	   "read error: -1, EIO");
	errno = 0;
	ok(sc_lines_next(&a, &l, &line, &warn) < 0 && errno == EIO,
	   "and again on the next call");
	sc_lines_close(&a);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	test_lines();
	test_notice();
	test_errors();
	unlink(path);
	return tap_done();
}
