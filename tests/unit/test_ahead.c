// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The parse-ahead stage (TAP): its records, batch after batch, against
 * the same file parsed here one line at a time; notices split off; the
 * ends (read error, missing file) and closing early, with a batch taken
 * or none.
 */
#include <errno.h>
#include <signal.h>
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
 * Lines of every kind the records carry: the compact ones and the ones
 * kept whole (results, comms, errors, pids and numbers past 32 bits), a
 * run of clone results longer than a batch's ext, lines longer than a
 * block, and a last line without its newline.
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
	       a->reason == b->reason && !a->name && !a->namelen;
}

static void test_records(void)
{
	struct text t = { 0 };
	struct sc_ahead a;
	const struct sc_batch *b;
	size_t pos = 0, nrec = 0, nbatch = 0, over = 0, bad = 0, ext = 0;
	unsigned long want_line = 0;
	int warned = 0, end_ok = 0;

	make_trace(&t);
	put(t.s, t.n);
	ok(t.n > 4 * READ_CHUNK, "the trace spans %zu blocks", t.n / READ_CHUNK + 1);
	if (!ok(sc_ahead_open(&a, path, SC_ARCH_X86_64) == 0, "open"))
		return;
	while ((b = sc_ahead_next(&a))) {
		nbatch++;
		over += b->n > AHEAD_RECS || b->next > AHEAD_EXT;
		ext += b->next;
		for (size_t i = 0; i < b->n; i++) {
			const char *s = t.s + pos, *nl;
			size_t len;
			int cut, warn;
			struct sc_line got, want;
			unsigned long line = sc_ahead_line(b, i, &got, &warn);

			nl = memchr(s, '\n', t.n - pos);
			cut = !nl;
			len = nl ? (size_t)(nl - s) : t.n - pos;
			pos += len + !cut;
			want_line++;
			sc_strace_parse(s, len, SC_ARCH_X86_64, cut, &want);
			want.name = NULL;
			want.namelen = 0;
			if (line != want_line || !same_line(&got, &want) ||
			    warn != (cut && want.type != SC_LINE_ERROR) * SC_REC_WARN) {
				if (bad++ < 5)
					printf("# record %zu (line %lu): got type %d pid %ld "
					       "nr %ld at line %lu\n", nrec, want_line,
					       got.type, got.pid, got.nr, line);
			}
			warned += !!warn;
			nrec++;
		}
		if (b->last)
			end_ok = !b->err && !b->nomem;
	}
	sc_ahead_close(&a);
	is(over, 0, "no batch holds more than its room");
	is(bad, 0, "every record is its line, parsed one at a time, in order");
	is(pos, t.n, "no line lost: the records reach the end of the file");
	is(warned, 1, "the last line, cut short, is the one to warn about");
	ok(end_ok, "the last batch ends clean");
	ok(ext > AHEAD_EXT && nbatch > 4, "%zu batches, %zu lines kept whole",
	   nbatch, ext);
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
	struct sc_ahead a;
	const struct sc_batch *b;
	size_t n = 0, bad = 0;

	put(s, sizeof(s) - 1);
	if (!ok(sc_ahead_open(&a, path, SC_ARCH_X86_64) == 0, "open"))
		return;
	while ((b = sc_ahead_next(&a))) {
		for (size_t i = 0; i < b->n; i++, n++) {
			struct sc_line l;
			int warn;
			unsigned long line = sc_ahead_line(b, i, &l, &warn);

			if (n >= 5 || l.type != want[n].type || l.pid != want[n].pid ||
			    line != want[n].line || l.cut != want[n].cut || warn)
				bad++;
		}
	}
	sc_ahead_close(&a);
	is(n, 5, "a notice inside a line: two records, the halves joined");
	is(bad, 0, "notice first, then the joined line; the held half at EOF");
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("not ok - stuck (deadlock?)\n");
	exit(1);
}

/* the caller may stop at any point: close must end both threads */
static void test_early_close(void)
{
	struct text t = { 0 };
	struct sc_ahead a;

	for (int i = 0; i < 100000; i++)
		add(&t, "%d getpid() = %d\n", i, i);
	put(t.s, t.n);
	free(t.s);
	signal(SIGALRM, on_alarm);
	alarm(20);
	ok(sc_ahead_open(&a, path, SC_ARCH_X86_64) == 0, "open");
	sc_ahead_close(&a);
	ok(1, "closed with no batch taken");
	ok(sc_ahead_open(&a, path, SC_ARCH_X86_64) == 0, "open");
	ok(sc_ahead_next(&a) != NULL, "one batch taken");
	usleep(50000);	/* the thread fills the rest of the ring and waits */
	sc_ahead_close(&a);
	ok(1, "closed with the ring full");
	alarm(0);
}

static void test_errors(void)
{
	struct sc_ahead a;
	const struct sc_batch *b;

	errno = 0;
	ok(sc_ahead_open(&a, "/nonexistent/trace", SC_ARCH_X86_64) < 0 &&
	   errno == ENOENT, "missing file: -1, ENOENT");
	/* reading /proc/self/mem from 0 fails (nothing is mapped there) */
	if (!ok(sc_ahead_open(&a, "/proc/self/mem", SC_ARCH_X86_64) == 0, "open"))
		return;
	b = sc_ahead_next(&a);
	ok(b && b->last && b->err == EIO && b->n == 0,
	   "read error: the last batch carries EIO");
	ok(!sc_ahead_next(&a), "nothing after the last batch");
	sc_ahead_close(&a);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	test_records();
	test_notice();
	test_early_close();
	test_errors();
	unlink(path);
	return tap_done();
}
