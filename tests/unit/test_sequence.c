// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sequencer's signal events (TAP): strace text in, the signal()
 * callbacks out, as the untraced kernel would see them (design.md,
 * "Signals in a trace"): dispositions through rt_sigaction, fork, threads,
 * exec and SA_RESETHAND, and the call each signal interrupted.
 */
#include <stdio.h>
#include <string.h>

#include "sequence.h"
#include "strace.h"
#include "syscalls.h"
#include "tap.h"

/* the callbacks, as text: "TID SIG delivered handler restart" a line */
static char log_buf[4096];
static unsigned nerrors;

static void t_start(void *ctx, struct sc_seq_task *t, unsigned call)
{
	(void)ctx; (void)t; (void)call;
}

static void t_unknown(void *ctx, struct sc_seq_task *t)
{
	(void)ctx; (void)t;
}

static void t_syscall(void *ctx, struct sc_seq_task *t, long nr,
		      const char *file, unsigned long line)
{
	(void)ctx; (void)t; (void)nr; (void)file; (void)line;
}

static void t_exec(void *ctx, struct sc_seq_task *t, const char *comm,
		   const char *path, const char *file, unsigned long line,
		   int replay, struct sc_seq_bind *nb)
{
	(void)ctx; (void)t; (void)path; (void)file; (void)line;
	if (replay)
		return;
	memset(nb, 0, sizeof(*nb));
	nb->bound = 1;
	memcpy(nb->comm, comm, 16);
}

static void t_error(void *ctx, const char *file, unsigned long line,
		    const char *reason)
{
	(void)ctx;
	nerrors++;
	printf("# %s:%lu: %s\n", file, line, reason);
}

static void t_signal(void *ctx, struct sc_seq_task *t, int signo,
		     int delivered, int handler, long restart_nr)
{
	size_t n = strlen(log_buf);
	const char *r = restart_nr >= 0 ?
		sc_syscall_name(SC_ARCH_X86_64, (int)restart_nr) : "-";

	(void)ctx;
	snprintf(log_buf + n, sizeof(log_buf) - n, "%s%ld %d %d %d %s",
		 n ? "\n" : "", t->node.tid, signo, delivered, handler,
		 r ? r : "?");
}

/* exits, as text: "TID" in the order they came */
static char exit_buf[256];

static void t_exit(void *ctx, struct sc_seq_task *t)
{
	size_t n = strlen(exit_buf);

	(void)ctx;
	snprintf(exit_buf + n, sizeof(exit_buf) - n, "%s%ld", n ? " " : "",
		 t->node.tid);
}

static const struct sc_seq_ops ops = {
	t_start, t_unknown, t_syscall, t_exec, t_error, t_signal, t_exit,
};

/* every line of text through the parser and a fresh sequencer */
static const char *run(const char *text)
{
	struct sc_seq s;
	unsigned long lineno = 0;
	const char *p = text;

	log_buf[0] = '\0';
	nerrors = 0;
	if (sc_seq_init(&s, SC_ARCH_X86_64, &ops, NULL))
		return "(no memory)";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct sc_line l;

		sc_strace_parse(p, n, SC_ARCH_X86_64, 0, &l);
		sc_seq_line(&s, &l, 0, "t", ++lineno);
		p += n + (nl != NULL);
	}
	sc_seq_finish(&s);
	return log_buf;
}

#define EXEC(pid) pid " execve(\"/bin/app\", [\"app\"], 0x1 /* 1 var */) = 0\n"
#define HANDLER(pid, sig, flags) pid " rt_sigaction(" sig ", {sa_handler=0x5500, " \
	"sa_mask=[], sa_flags=SA_RESTORER" flags ", sa_restorer=0x7f00}, NULL, 8) = 0\n"
#define IGNORE(pid, sig) pid " rt_sigaction(" sig ", {sa_handler=SIG_IGN, " \
	"sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f00}, NULL, 8) = 0\n"
#define RESTARTSYS "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)"

/* strace text, the callbacks it must give, what the case shows */
static const struct {
	const char *text, *want, *what;
} cases[] = {
	/* the call a signal interrupted */
	{ EXEC("10")
	  HANDLER("10", "SIGALRM", "|SA_RESTART")
	  "10 read(3, 0x7ffd, 1) " RESTARTSYS "\n"
	  "10 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n"
	  "10 write(4, \"\\16\", 1) = 1\n"
	  "10 rt_sigreturn({mask=[]}) = 0\n"
	  "10 read(3, \"\\16\", 1) = 1\n",
	  "10 14 1 1 read", "a handler interrupting a read: delivered, frame, restart read" },
	{ EXEC("10")
	  HANDLER("10", "SIGALRM", "")
	  "10 read(3,  <unfinished ...>\n"
	  "11 getpid() = 11\n"
	  "10 <... read resumed>0x7ffd, 1) " RESTARTSYS " <0.019616>\n"
	  "10 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n",
	  "10 14 1 1 read", "resumed and -T: the call still counts" },
	{ EXEC("10")
	  HANDLER("10", "SIGALRM", "")
	  "10 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=25000000}, "
	  "{tv_sec=0, tv_nsec=5}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)\n"
	  "10 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n"
	  "10 rt_sigreturn({mask=[]}) = -1 EINTR (Interrupted system call)\n"
	  "10 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n",
	  "10 14 1 1 clock_nanosleep\n10 14 1 1 -",
	  "ERESTART_RESTARTBLOCK; rt_sigreturn's EINTR is not an interruption" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  "10 epoll_wait(4, [], 8, -1) = -1 EINTR (Interrupted system call)\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER} ---\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER} ---\n",
	  "10 10 1 1 epoll_wait\n10 10 1 1 -",
	  "= -1 EINTR; after a handler's frame, the next signal interrupted nothing" },
	{ EXEC("10")
	  HANDLER("10", "SIGALRM", "")
	  "10 read(3, 0x7ffd, 1) " RESTARTSYS "\n"
	  "10 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---\n"
	  "10 --- SIGSTOP {si_signo=SIGSTOP, si_code=SI_USER} ---\n"
	  "10 --- stopped by SIGSTOP ---\n"
	  "10 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n"
	  "10 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---\n",
	  "10 17 0 0 read\n10 19 1 0 read\n10 14 1 1 read\n10 14 1 1 -",
	  "signals without a handler leave the interrupted call to the next one" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  "10 read(3, 0x7ffd, 1) " RESTARTSYS "\n"
	  "10 write(1, \"x\", 1) = 1\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER} ---\n"
	  "10 pause() = ? ERESTARTNOHAND (To be restarted if no handler)\n"
	  "11 write(1, \"x\", 1) = 1\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER} ---\n",
	  "10 10 1 1 -\n10 10 1 1 pause",
	  "a call of the same thread between: not interrupted; another thread's: no matter" },
	{ "10 read(3, 0x7ffd, 1) " RESTARTSYS "\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER} ---\n"
	  EXEC("10"),
	  "", "a task not bound yet: no callback" },
	/* dispositions of one process */
	{ EXEC("10")
	  HANDLER("10", "SIGALRM", "")
	  "10 wait4(-1,  <unfinished ...>\n"
	  "10 <... wait4 resumed>0x7ffd, 0, NULL) " RESTARTSYS "\n"
	  "10 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11} ---\n"
	  "10 wait4(-1, NULL, 0, NULL) = 11\n"
	  "10 --- SIGWINCH {si_signo=SIGWINCH} ---\n"
	  "10 --- SIGURG {si_signo=SIGURG} ---\n"
	  "10 --- SIGCONT {si_signo=SIGCONT} ---\n",
	  "10 17 0 0 wait4\n10 28 0 0 -\n10 23 0 0 -\n10 18 0 0 -",
	  "default-ignored signals are not delivered; the re-issued call is told" },
	{ EXEC("10")
	  IGNORE("10", "SIGPIPE")
	  "10 --- SIGPIPE {si_signo=SIGPIPE} ---\n"
	  "10 --- SIGTERM {si_signo=SIGTERM} ---\n",
	  "10 13 0 0 -\n10 15 1 0 -", "SIG_IGN: not delivered; SIG_DFL terminate: no handler" },
	{ EXEC("10")
	  HANDLER("10", "SIGINT", "")
	  "10 rt_sigaction(SIGINT, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER, "
	  "sa_restorer=0x7f00}, NULL, 8) = 0\n"
	  "10 --- SIGINT {si_signo=SIGINT} ---\n"
	  HANDLER("10", "SIGINT", "")
	  "10 rt_sigaction(SIGINT, NULL, {sa_handler=0x5500, sa_mask=[], sa_flags=0}, 8) = 0\n"
	  "10 rt_sigaction(SIGINT, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, NULL, 8) = -1 EINVAL (Invalid argument)\n"
	  "10 --- SIGINT {si_signo=SIGINT} ---\n",
	  "10 2 1 0 -\n10 2 1 1 -", "back to SIG_DFL; a query and a failure change nothing" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "|SA_RESETHAND")
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 rt_sigreturn({mask=[]}) = 0\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n",
	  "10 10 1 1 -\n10 10 1 0 -", "SA_RESETHAND: one handler run, then SIG_DFL" },
	{ EXEC("10")
	  "10 rt_sigaction(SIGUSR1, {sa_handler=0x5500, sa_mask=[], sa_flags=SA_RESTORER, "
	  "sa_restorer=0x7f00}, NULL, 8 <unfinished ...>\n"
	  "11 getpid() = 11\n"
	  "10 <... rt_sigaction resumed>) = 0\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGKILL {si_signo=SIGKILL} ---\n"
	  "10 --- SIGSTOP {si_signo=SIGSTOP} ---\n"
	  "10 --- stopped by SIGSTOP ---\n"
	  "10 --- SIGTSTP {si_signo=SIGTSTP} ---\n",
	  "10 10 1 1 -\n10 9 1 0 -\n10 19 1 0 -\n10 20 1 0 -",
	  "a sigaction across unfinished/resumed; SIGKILL, stop signals: no handler" },
	{ EXEC("10")
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGCHLD {si_signo=SIGCHLD} ---\n",
	  "10 10 1 0 -\n10 17 0 0 -",
	  "dispositions from before the first exec: no handler, taken as SIG_DFL" },
	{ EXEC("10")
	  "10 rt_sigaction(SIGUSR1, 0x7ffd0, NULL, 8) = 0\n"
	  "10 rt_sigaction(SIGCHLD, 0x7ffd0, NULL, 8) = 0\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGCHLD {si_signo=SIGCHLD} ---\n",
	  "10 10 1 1 -\n10 17 1 0 -",
	  "an action strace did not decode: delivered, a handler unless default-ignored" },
	/* dispositions through fork, threads, exec */
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  "10 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
	  "child_tidptr=0x7f) = 11\n"
	  IGNORE("10", "SIGUSR1")
	  HANDLER("11", "SIGUSR2", "")
	  "11 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGUSR2 {si_signo=SIGUSR2} ---\n",
	  "11 10 1 1 -\n10 10 0 0 -\n10 12 1 0 -", "fork: a copy, each side on its own after" },
	{ EXEC("10")
	  "10 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
	  "CLONE_SYSVSEM, exit_signal=0, stack=0x7f, stack_size=0x7fff80}, 88) = 11\n"
	  HANDLER("10", "SIGUSR1", "")
	  IGNORE("11", "SIGUSR2")
	  "11 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGUSR2 {si_signo=SIGUSR2} ---\n",
	  "11 10 1 1 -\n10 12 0 0 -", "threads share one table" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  "10 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, "
	  "stack_size=0x9000}, 88 <unfinished ...>\n"
	  "11 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  IGNORE("11", "SIGUSR2")
	  "11 --- SIGUSR2 {si_signo=SIGUSR2} ---\n"
	  "11 exit_group(0) = ?\n"
	  "11 +++ exited with 0 +++\n"
	  "10 <... clone3 resumed>) = 11\n"
	  "10 --- SIGUSR2 {si_signo=SIGUSR2} ---\n",
	  "11 10 1 1 -\n11 12 0 0 -\n10 12 1 0 -",
	  "a child seen before the clone result: told at the link, its own table a copy" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  IGNORE("10", "SIGPIPE")
	  "10 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD}, 88 <unfinished ...>\n"
	  "11 execve(\"/bin/tool\", [\"tool\"], 0x1 /* 1 var */) = 0\n"
	  "10 <... clone3 resumed>) = 11\n"
	  "11 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "11 --- SIGPIPE {si_signo=SIGPIPE} ---\n",
	  "11 10 1 0 -\n11 13 0 0 -",
	  "posix_spawn: the exec keeps the parent's SIG_IGN, drops its handler" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  IGNORE("10", "SIGPIPE")
	  EXEC("10")
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "10 --- SIGPIPE {si_signo=SIGPIPE} ---\n",
	  "10 10 1 0 -\n10 13 0 0 -", "exec: handlers to SIG_DFL, SIG_IGN kept" },
	{ EXEC("10")
	  HANDLER("10", "SIGUSR1", "")
	  IGNORE("10", "SIGPIPE")
	  "10 clone3({flags=CLONE_CLEAR_SIGHAND, exit_signal=SIGCHLD}, 88) = 11\n"
	  "11 --- SIGUSR1 {si_signo=SIGUSR1} ---\n"
	  "11 --- SIGPIPE {si_signo=SIGPIPE} ---\n",
	  "11 10 1 0 -\n11 13 0 0 -", "CLONE_CLEAR_SIGHAND: as an exec leaves them" },
	{ EXEC("10")
	  "10 clone3({flags=CLONE_VM|CLONE_SIGHAND|CLONE_THREAD}, 88) = 11\n"
	  HANDLER("10", "SIGUSR1", "")
	  "11 execve(\"/bin/tool\", [\"tool\"], 0x1 /* 1 var */ <unfinished ...>\n"
	  "10 +++ superseded by execve +++\n"
	  "10 <... execve resumed>) = 0\n"
	  "10 --- SIGUSR1 {si_signo=SIGUSR1} ---\n",
	  "10 10 1 0 -", "a thread's exec resets the thread group's table" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(run(cases[i].text), cases[i].want, "%s", cases[i].what);
	ok(nerrors == 0, "no line refused");
	/* every task's end is told once: at its exit, or at the end of the
	 * trace for one still running (10 here) */
	exit_buf[0] = '\0';
	run(EXEC("10")
	    "10 clone3({flags=CLONE_VM|CLONE_THREAD}, 88) = 11\n"
	    "10 clone3({flags=CLONE_VM|CLONE_THREAD}, 88) = 12\n"
	    "12 getpid() = 10\n"
	    "12 +++ exited with 0 +++\n"
	    "11 getpid() = 10\n"
	    "11 +++ exited with 0 +++\n"
	    "10 getpid() = 10\n");
	is_str(exit_buf, "12 11 10", "exits in order, the live task at the end");
	return tap_done();
}
