// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The strace line parser, one line shape at a time (TAP).
 */
#include <stdio.h>
#include <string.h>

#include "strace.h"
#include "syscalls.h"

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

static struct sc_line sc_strace_parse_i386(const char *s)
{
	struct sc_line l;

	sc_strace_parse(s, strlen(s), SC_ARCH_I386, 0, &l);
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
	/* signals: the number of the signal named */
	l = parse("99 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---", 0);
	ok(l.type == SC_LINE_SIGNAL && l.sig == 14 && l.pid == 99, "signal number");
	l = parse("--- SIGRT_1 {si_signo=SIGRT_1, si_code=SI_TKILL} ---", 0);
	ok(l.type == SC_LINE_SIGNAL && l.sig == 33, "SIGRT_1 is 33");
	l = parse("--- SIGRTMIN {si_signo=SIGRTMIN} ---", 0);
	ok(l.type == SC_LINE_SIGNAL && l.sig == 32, "SIGRTMIN is 32");
	l = parse("--- SIGRT_32 {si_signo=SIGRT_32} ---", 0);
	ok(l.type == SC_LINE_SIGNAL && l.sig == 64, "SIGRT_32 is 64");
	l = parse("--- SIGRT_33 {si_signo=SIGRT_33} ---", 0);
	ok(l.type == SC_LINE_ERROR, "SIGRT_33: no such signal");
	l = parse("--- SIGSYS {si_signo=SIGSYS} ---", 0);
	ok(l.type == SC_LINE_SIGNAL && l.sig == 31, "SIGSYS is 31");
	l = parse("--- SIGFOO {si_signo=1} ---", 0);
	ok(l.type == SC_LINE_ERROR && l.reason, "unknown signal name: error");
	l = parse("99 --- stopped by SIGTSTP ---", 0);
	ok(l.type == SC_LINE_SKIP, "group stop: not a delivery");

	/* results that say a signal interrupted the call */
	ok(parse("read(0, 0x7f, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)", 0).intr,
	   "ERESTARTSYS: interrupted");
	ok(parse("read(0, 0x7f, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set) <0.019616>", 0).intr,
	   "ERESTARTSYS with -T: interrupted");
	ok(parse("wait4(-1, 0x7f, 0, NULL) = ? ERESTARTNOINTR (To be restarted)", 0).intr,
	   "ERESTARTNOINTR");
	ok(parse("pause() = ? ERESTARTNOHAND (To be restarted if no handler)", 0).intr,
	   "ERESTARTNOHAND");
	ok(parse("clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=25000000}, {tv_sec=0, tv_nsec=5}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)", 0).intr,
	   "ERESTART_RESTARTBLOCK");
	ok(parse("epoll_wait(4, [], 8, -1) = -1 EINTR (Interrupted system call)", 0).intr,
	   "= -1 EINTR");
	l = parse("<... read resumed>0x7ffd, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)", 0);
	ok(l.type == SC_LINE_RESUMED && l.intr, "resumed, interrupted");
	ok(!parse("exit_group(0) = ?", 0).intr, "= ?: not interrupted");
	ok(!parse("read(0, 0x7f, 1) = -1 EINVAL (Invalid argument)", 0).intr,
	   "other errno: not interrupted");
	ok(!parse("read(0, \"= ? ERESTARTSYS\", 15) = 15", 0).intr,
	   "the text inside an argument: not interrupted");
	ok(!parse("foo(0) = -1 ERESTART (Interrupted system call should be restarted)", 0).intr,
	   "ERESTART (a real errno): not interrupted");

	/* sigaction arguments */
	l = parse("rt_sigaction(SIGALRM, {sa_handler=0x55d0000001, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f}, NULL, 8) = 0", 0);
	ok(l.sig == 14 && l.act == SC_ACT_HANDLER && l.ret == 0, "rt_sigaction: a handler");
	l = parse("rt_sigaction(SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0", 0);
	ok(l.sig == 13 && l.act == SC_ACT_IGN, "rt_sigaction: SIG_IGN");
	l = parse("rt_sigaction(SIGINT, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f}, NULL, 8) = 0", 0);
	ok(l.sig == 2 && l.act == SC_ACT_DFL, "rt_sigaction: SIG_DFL");
	l = parse("rt_sigaction(SIGUSR1, {sa_handler=0x4010, sa_mask=[USR2], sa_flags=SA_RESTORER|SA_RESETHAND|SA_SIGINFO, sa_restorer=0x7f}, NULL, 8) = 0", 0);
	ok(l.sig == 10 && l.act == (SC_ACT_HANDLER | SC_ACT_RESETHAND), "SA_RESETHAND");
	l = parse("rt_sigaction(SIGUSR1, {sa_handler=0x4010, sa_mask=[], sa_flags=SA_ONESHOT}, NULL, 8) = 0", 0);
	ok(l.act == (SC_ACT_HANDLER | SC_ACT_RESETHAND), "SA_ONESHOT");
	l = parse("rt_sigaction(SIGUSR1, {sa_handler=0x4010, sa_mask=[], sa_flags=SA_RESTART}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESETHAND}, 8) = 0", 0);
	ok(l.act == SC_ACT_HANDLER, "the old action's flags are not the new one's");
	l = parse("rt_sigaction(SIGCHLD, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0", 0);
	ok(l.sig == 0 && l.act == SC_ACT_NONE, "a query: no new action");
	l = parse("rt_sigaction(SIGINT, 0x10, NULL, 8) = -1 EFAULT (Bad address)", 0);
	ok(l.sig == 2 && l.act == SC_ACT_UNKNOWN && l.ret == -1,
	   "an address: not decoded, the failure kept");
	l = parse("rt_sigaction(0xe, 0x7ffd0, NULL, 0x8) = 0", 0);
	ok(l.sig == 14 && l.act == SC_ACT_UNKNOWN, "-X raw");
	l = parse("rt_sigaction(0xe /* SIGALRM */, {sa_handler=0x1, sa_mask=[], sa_flags=0x80000000 /* SA_RESETHAND */}, NULL, 8) = 0", 0);
	ok(l.sig == 14 && l.act == (SC_ACT_IGN | SC_ACT_RESETHAND), "-X verbose: numbers");
	l = parse("rt_sigaction(SIGTERM, {sa_handler=0x40, sa_mask=[], sa_flags=0x84000000}, NULL, 8) = 0", 0);
	ok(l.act == (SC_ACT_HANDLER | SC_ACT_RESETHAND), "numeric flags");
	l = parse("rt_sigaction(SIGRT_1, {sa_handler=0x7f, sa_mask=[], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_SIGINFO, sa_restorer=0x7f}, NULL, 8) = 0", 0);
	ok(l.sig == 33 && l.act == SC_ACT_HANDLER, "real-time signal");
	l = parse("rt_sigaction(SIGHUP, {sa_handler=0x55, sa_mask=[], sa_flags=SA_RESTORER}, NULL, 8 <unfinished ...>", 0);
	ok(l.type == SC_LINE_UNFINISHED && l.sig == 1 && l.act == SC_ACT_HANDLER,
	   "unfinished: the arguments are on the first half");
	l = parse("<... rt_sigaction resumed>NULL, 8) = 0", 0);
	ok(l.type == SC_LINE_RESUMED && l.act == SC_ACT_NONE && l.ret_kind == SC_RET_VALUE,
	   "resumed: the result only");
	l = sc_strace_parse_i386("signal(SIGINT, SIG_IGN) = 0 (SIG_DFL)");
	ok(l.sig == 2 && l.act == SC_ACT_IGN && l.ret == 0, "i386 signal(): SIG_IGN");
	l = sc_strace_parse_i386("signal(SIGUSR1, 0x8048000) = 0 (SIG_DFL)");
	ok(l.act == (SC_ACT_HANDLER | SC_ACT_RESETHAND), "i386 signal(): a handler, reset once run");
	l = sc_strace_parse_i386("sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, NULL) = 0");
	ok(l.sig == 10 && l.act == SC_ACT_IGN, "i386 sigaction()");

	/* clone flags */
	l = parse("clone(child_stack=0x7f, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS, parent_tid=[5], tls=0x7f, child_tidptr=0x7f) = 5", 0);
	ok(l.cflags == (SC_CLONE_KNOWN | SC_CLONE_SIGHAND) && l.ret == 5, "clone: a thread");
	l = parse("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 6", 0);
	ok(l.cflags == SC_CLONE_KNOWN, "clone: a fork");
	l = parse("clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88 <unfinished ...>", 0);
	ok(l.type == SC_LINE_UNFINISHED && l.cflags == SC_CLONE_KNOWN, "clone3: posix_spawn");
	l = parse("clone3({flags=CLONE_THREAD|CLONE_VM, exit_signal=0}, 88) = 7", 0);
	ok(l.cflags == (SC_CLONE_KNOWN | SC_CLONE_SIGHAND), "clone3: CLONE_THREAD");
	l = parse("clone3({flags=CLONE_CLEAR_SIGHAND, exit_signal=SIGCHLD}, 88) = 8", 0);
	ok(l.cflags == (SC_CLONE_KNOWN | SC_CLONE_CLEAR_SIGHAND), "clone3: CLONE_CLEAR_SIGHAND");
	l = parse("clone(child_stack=NULL, flags=0x3d0f00) = 9", 0);
	ok(l.cflags == (SC_CLONE_KNOWN | SC_CLONE_SIGHAND), "clone: numeric flags");
	l = parse("clone(0x11, 0) = 9", 0);
	ok(l.cflags == 0, "clone: flags not named, not known");

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
