// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The strace line parser, one line shape at a time (TAP).  The parser is
 * compiled in directly: the unit-test rule links only libsyscfi.a.
 */
#include <stdio.h>
#include <string.h>

#include "../../extractor/strace.c"

static int ntest, nfail;

static void ok(int cond, const char *what)
{
	ntest++;
	if (!cond)
		nfail++;
	printf("%sok %d - %s\n", cond ? "" : "not ", ntest, what);
}

static struct sc_line parse(const char *s, int cut)
{
	struct sc_line l;

	sc_strace_parse(s, strlen(s), SC_ARCH_X86_64, cut, &l);
	return l;
}

static int name_is(const struct sc_line *l, const char *n)
{
	return l->namelen == strlen(n) && !memcmp(l->name, n, l->namelen);
}

int main(void)
{
	struct sc_line l;

	l = parse("1234  openat(AT_FDCWD, \"/etc/x\", O_RDONLY) = 3", 0);
	ok(l.type == SC_LINE_SYSCALL && l.pid == 1234 && name_is(&l, "openat") &&
	   l.nr == 257 && l.ret_kind == SC_RET_VALUE, "-f line");
	l = parse("[pid  42] 12:00:01.123456 read(3, \"a = b\", 5) = 5 <0.000012>", 0);
	ok(l.type == SC_LINE_SYSCALL && l.pid == 42 && l.nr == 0,
	   "[pid N], -tt, -T, ' = ' inside a string");
	l = parse("1700000000.123456 close(3</etc/a = b>) = 0", 0);
	ok(l.type == SC_LINE_SYSCALL && l.pid == -1 && l.nr == 3, "-ttt, -y path");
	l = parse("read(3</tmp/f>, \"x\", 1) = 1</tmp/f>", 0);
	ok(l.type == SC_LINE_SYSCALL, "-y decorated result");
	l = parse("12:00:00 [00007f0000001234] getpid() = 7", 0);
	ok(l.type == SC_LINE_SYSCALL && l.nr == 39, "-t, -i");
	l = parse("99 clone(child_stack=NULL, flags=SIGCHLD) = 100", 0);
	ok(l.ret_kind == SC_RET_VALUE && l.ret == 100, "clone result decoded");
	l = parse("99 wait4(-1,  <unfinished ...>", 0);
	ok(l.type == SC_LINE_UNFINISHED && l.nr == 61, "unfinished");
	l = parse("99 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 100", 0);
	ok(l.type == SC_LINE_RESUMED && l.nr == 61 && l.ret_kind == SC_RET_VALUE,
	   "resumed ('==' in args)");
	l = parse("99 read(0, 0x7ffd, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)", 0);
	ok(l.type == SC_LINE_SYSCALL && l.ret_kind == SC_RET_UNKNOWN, "= ? ERESTARTSYS");
	l = parse("99 access(\"/x\", R_OK) = -1 ENOENT (No such file or directory)", 0);
	ok(l.type == SC_LINE_SYSCALL && l.ret_kind == SC_RET_VALUE, "errno result");
	l = parse("99 execve(\"/usr/lib/a\\\"b/very-long-program-name\", [\"x\"], 0x1 /* 2 vars */) = 0", 0);
	ok(l.has_comm && !strcmp(l.comm, "very-long-progr") && l.ret == 0,
	   "execve: basename cut to 15 bytes, escapes");
	l = parse("99 execveat(3</usr/bin/tool>, \"\", [\"t\"], 0x1, AT_EMPTY_PATH) = 0", 0);
	ok(l.has_comm && !strcmp(l.comm, "tool"), "execveat AT_EMPTY_PATH via -y");
	l = parse("99 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---", 0);
	ok(l.type == SC_LINE_SIGNAL, "signal line");
	l = parse("99 +++ killed by SIGKILL (core dumped) +++", 0);
	ok(l.type == SC_LINE_EXITED, "killed");
	l = parse("99 +++ superseded by execve +++", 0);
	ok(l.type == SC_LINE_SUPERSEDED, "superseded");
	l = parse(" > /lib/x86_64-linux-gnu/libc.so.6(write+0x14) [0xf7a31]", 0);
	ok(l.type == SC_LINE_SKIP, "-k frame");
	l = parse("strace: Process 77 attached", 0);
	ok(l.type == SC_LINE_ATTACHED && l.pid == 77, "attach notice");
	l = parse("syscall_0x1c0(0x1) = -1 ENOSYS (Function not implemented)", 0);
	ok(l.type == SC_LINE_SYSCALL && l.nr == 0x1c0, "raw syscall number");
	l = parse("syscall_0xdead(0x1) = -1 ENOSYS (Function not implemented)", 0);
	ok(l.type == SC_LINE_SYSCALL && l.nr == 0xdead, "raw number outside the table");
	l = parse("99 bogus_call(1) = 0", 0);
	ok(l.type == SC_LINE_SYSCALL && l.nr == -1, "unknown name: nr -1");
	l = parse("99 read(3, \"abc", 1);
	ok(l.type == SC_LINE_UNFINISHED && l.cut, "cut at EOF: entered call");
	l = parse("99 read(3, \"abc\", 3)", 0);
	ok(l.type == SC_LINE_ERROR, "no result: error");
	l = parse("hello world", 0);
	ok(l.type == SC_LINE_ERROR && l.reason, "garbage: error with reason");
	l = parse("", 0);
	ok(l.type == SC_LINE_SKIP, "blank line");
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
