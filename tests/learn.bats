#!/usr/bin/env bats
# loader --learn (docs/learning.md): profiles learned in the kernel against
# strace + extractor on the same deterministic programs, learned profiles
# enforced, the --cgroup and --pid targets, flushes and a full count map.
# Every test runs the real BPF program; names and folders are unique.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog learn slr
	build_prog "$PROG"
	CG=
}

teardown() {
	stop_loader
	if [ -n "${CG:-}" ] && [ -d "$CG" ]; then
		# the test's processes have exited; give back the cgroup
		rmdir "$CG" 2>/dev/null || true
	fi
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# the transition rows of a profile file (sc_profile_save: one a line)
rows() {
	grep '^    \["' "$1"
}

# wait until the learner printed N progress lines (N flushes)
wait_flushes() {
	local n=$1 i
	for ((i = 0; i < 200; i++)); do
		[ "$(grep -c '^learn: [0-9]*s:' "$KDIR/loader.err")" -ge "$n" ] && return 0
		sleep 0.05
	done
	echo "no $n flushes:" >&2
	cat "$KDIR/loader.err" >&2
	return 1
}

# one periodic flush that began after everything run so far had ended
flush_after() {
	wait_flushes $(($(grep -c '^learn: [0-9]*s:' "$KDIR/loader.err") + 2))
}

# the threaded sample as $KDIR/NAME, with the syscfi-demo it execs
copy_worker() {
	[ -x "$ROOT/build/examples/syscfi-worker" ] || skip "examples not built (make examples)"
	cp "$ROOT/build/examples/syscfi-worker" "$KDIR/$1"
	cp "$ROOT/build/examples/syscfi-demo" "$KDIR/syscfi-demo"
}

# learn_vs_strace COMM CMD...: one run of CMD, learned live (--comm COMM)
# into $KDIR/live and recorded by strace -f + extractor into $KDIR/ex.
# One run for both: a threaded program's run can differ from the next by
# a futex wait, depending on which thread got there first.
learn_vs_strace() {
	local comm=$1 try
	shift
	for try in 1 2 3 4 5; do
		rm -rf "$KDIR/live"
		start_loader --learn --comm "$comm" -o "$KDIR/live" --interval 60
		strace -f -o "$KDIR/trace" "$@" > /dev/null
		stop_loader
		[ "$LOADER_RC" -eq 0 ]
		strace_exec_race "$KDIR/trace" || break
	done
	"$EXTRACTOR" -o "$KDIR/ex" "$KDIR/trace" 2> /dev/null
}

# the whole files agree: transitions, counts and stats
same_profile() {
	diff -u "$KDIR/ex/$1.json" "$KDIR/live/$1.json"
}

@test "learn: a linear program gives the extractor's profile, counts and stats" {
	learn_vs_strace "$PROG" "$KDIR/$PROG" pugopgu "$KDIR/out"
	same_profile "$PROG"
	rows "$KDIR/live/$PROG.json" | grep -qF '["START", "execve", "getpid", 1]'
	grep -qF '"stats": {"traces": 1, "tasks": 1, "syscalls": 9}' "$KDIR/live/$PROG.json"
}

@test "learn: a program that forks: the child from (START, fork), as strace -f" {
	learn_vs_strace "$PROG" "$KDIR/$PROG" pufgpfu "$KDIR/out"
	same_profile "$PROG"
	rows "$KDIR/live/$PROG.json" | grep -qF '["START", "fork", "getppid", 1]'
	grep -qF '"tasks": 3' "$KDIR/live/$PROG.json"
}

@test "learn: threads, fork, posix_spawn and exec (syscfi-worker): both profiles agree" {
	local w=slw$$
	copy_worker "$w"
	learn_vs_strace "$w" "$KDIR/$w" 4
	# main + 4 threads + a fork child + a posix_spawn child, each exec'ing
	# syscfi-demo: learned scoped under the worker, with its edge, as the
	# extractor does
	same_profile "$w"
	same_profile "$w.d/syscfi-demo"
	[ "$(jq -c .exec "$KDIR/live/$w.json")" = "[{\"path\":\"$KDIR/syscfi-demo\",\"profile\":\"syscfi-demo\"}]" ]
	grep -qF '"tasks": 7' "$KDIR/live/$w.json"
	rows "$KDIR/live/$w.json" | grep -qF '["START", "clone3", '
}

@test "learn: a program with a non-ASCII name gets a profile, the extractor's, under the same file name" {
	# é and 13 bytes: a whole comm of 15 bytes, the kernel cuts nothing
	local u=$'\xc3\xa9'"${PROG:0:13}"
	cp "$KDIR/$PROG" "$KDIR/$u"
	learn_vs_strace "$u" "$KDIR/$u" pugopgu "$KDIR/out"
	[ -f "$KDIR/live/$u.json" ]
	same_profile "$u"
	[ "$(jq -r .comm "$KDIR/live/$u.json")" = "$u" ]
}

@test "learn: a dynamically linked program (ld.so, libc) agrees with strace" {
	[ -x "$ROOT/build/examples/syscfi-demo" ] || skip "examples not built (make examples)"
	cp "$ROOT/build/examples/syscfi-demo" "$KDIR/$PROG"
	learn_vs_strace "$PROG" "$KDIR/$PROG" normal "$KDIR/out"
	same_profile "$PROG"
}

@test "learn: an interrupted sleep: both count restart_syscall, the state does not move" {
	start_loader --learn --comm "$PROG" -o "$KDIR/live"
	"$KDIR/$PROG" pSu &
	local pid=$!
	sleep 0.5; kill -STOP $pid; sleep 0.2; kill -CONT $pid
	wait $pid
	stop_loader
	# nanosleep and its restart are transparent: counted, never in a state
	[ "$(jq '.transparent.restart_syscall' "$KDIR/live/$PROG.json")" -eq 1 ]
	[ "$(jq '.transparent.nanosleep' "$KDIR/live/$PROG.json")" -eq 1 ]
	rows "$KDIR/live/$PROG.json" | grep -qF '["execve", "getpid", "getuid", 1]'
	strace -f -o "$KDIR/trace" "$KDIR/$PROG" pSu &
	local i traced=
	for ((i = 0; i < 50; i++)); do
		sleep 0.1
		traced=$(pgrep -x "$PROG" || true)
		[ -z "$traced" ] || break
	done
	sleep 0.3; kill -STOP "$traced"; sleep 0.2; kill -CONT "$traced"
	wait
	"$EXTRACTOR" -o "$KDIR/ex" "$KDIR/trace" 2> /dev/null
	diff <(rows "$KDIR/ex/$PROG.json") <(rows "$KDIR/live/$PROG.json")
	diff <(jq -S .transparent "$KDIR/ex/$PROG.json") <(jq -S .transparent "$KDIR/live/$PROG.json")
}

@test "learn: calls outside 0..511 are neither learned nor counted, as the extractor" {
	learn_vs_strace "$PROG" "$KDIR/$PROG" pZu
	same_profile "$PROG"
	rows "$KDIR/live/$PROG.json" | grep -qF '["execve", "getpid", "getuid", 1]'
}

@test "learn: two runs count twice; a second session merges into DIR (traces 2)" {
	start_loader --learn --comm "$PROG" -o "$KDIR/live" --interval 0.2
	"$KDIR/$PROG" pu
	"$KDIR/$PROG" pu
	flush_after
	stop_loader
	rows "$KDIR/live/$PROG.json" | grep -qF '["START", "execve", "getpid", 2]'
	grep -qF '"stats": {"traces": 1, "tasks": 2, "syscalls": 6}' "$KDIR/live/$PROG.json"
	# periodic flushes and the final one did not add up the same counts
	start_loader --learn --comm "$PROG" -o "$KDIR/live" --interval 0.2
	"$KDIR/$PROG" pu
	flush_after
	stop_loader
	rows "$KDIR/live/$PROG.json" | grep -qF '["START", "execve", "getpid", 3]'
	grep -qF '"stats": {"traces": 2, "tasks": 3, "syscalls": 9}' "$KDIR/live/$PROG.json"
}

@test "learn: a profile learned live, then enforced with --kill, lets the workload run clean" {
	local w=slk$$
	copy_worker "$w"
	start_loader --learn --comm "$w" -o "$KDIR/live"
	"$KDIR/$w" 4 > /dev/null
	stop_loader
	[ -f "$KDIR/live/$w.json" ] && [ -f "$KDIR/live/$w.d/syscfi-demo.json" ]
	start_loader --json --kill "$KDIR/live"
	run "$KDIR/$w" 4
	[ "$status" -eq 0 ]
	stop_loader
	[ ! -s "$KDIR/events" ]
	[ "$(summary_of "$w" | cut -d' ' -f1,3,4)" = "7 0 0" ]
	# and what the learned run never did is still caught (the demo's
	# profile made top level, to run the demo on its own)
	mkdir "$KDIR/top"
	cp "$KDIR/live/$w.d/syscfi-demo.json" "$KDIR/top/"
	start_loader --json --kill "$KDIR/top"
	run "$KDIR/syscfi-demo" compromised
	[ "$status" -eq 137 ]
	stop_loader
	grep -q '"kind":"unseen-syscall","action":"killed"' "$KDIR/events"
}

@test "learn: --cgroup learns a process moved into the cgroup, not one outside it" {
	# /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid v1/v2 system
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] || skip "no cgroup v2 hierarchy mounted"
	CG=$root/syscfi-learn-$$-$BATS_TEST_NUMBER
	mkdir "$CG"
	local out=${PROG:0:12}_o
	cp "$KDIR/$PROG" "$KDIR/$out"
	start_loader --learn --cgroup "$CG" -o "$KDIR/live"
	# both sleep 3 s, then make the same calls; only one is moved in
	"$KDIR/$PROG" Spugo "$KDIR/in" &
	local pin=$!
	"$KDIR/$out" Spugo "$KDIR/outside" &
	local pout=$!
	sleep 0.3
	echo $pin > "$CG/cgroup.procs"
	wait $pin $pout
	stop_loader
	[ ! -e "$KDIR/live/$out.json" ]
	# bound on its first syscall in the cgroup in state UNKNOWN: learned
	# from the third call on (the sleep's return is not a syscall)
	run rows "$KDIR/live/$PROG.json"
	[ "${lines[0]}" = '    ["getpid", "getuid", "getppid", 1],' ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" == *'["openat", "close", "exit_group", 1]'* ]]
	# and a program exec'd inside the cgroup starts at (START, execve),
	# scoped under the learned sh that exec'd it
	start_loader --learn --cgroup "$CG" -o "$KDIR/live2"
	sh -c "echo \$\$ > $CG/cgroup.procs && exec $KDIR/$PROG pu"
	stop_loader
	[ ! -e "$KDIR/live2/$PROG.json" ]
	rows "$KDIR/live2/sh.d/$PROG.json" | grep -qF '["START", "execve", "getpid", 1]'
}

@test "learn: --pid follows the process and the children it forks, not its namesakes" {
	"$KDIR/$PROG" Sfpu &
	local pid=$!
	start_loader --learn --pid $pid -o "$KDIR/live"
	"$KDIR/$PROG" pu		# same program, another process
	wait $pid
	stop_loader
	# the parent is bound at fork (UNKNOWN); its child starts (START, fork)
	run rows "$KDIR/live/$PROG.json"
	[ "$output" = '    ["START", "fork", "getpid", 1],
    ["fork", "getpid", "getuid", 1],
    ["fork", "wait4", "exit_group", 1],
    ["getpid", "getuid", "exit_group", 1]' ]
	grep -qF '"tasks": 2' "$KDIR/live/$PROG.json"
}

@test "learn: --pid differs from strace -p: the kernel learns from the 3rd call on" {
	# strace -p never sees the task's start and extractor binds nothing;
	# the kernel binds the running task in UNKNOWN and learns two calls on
	"$KDIR/$PROG" Spugo "$KDIR/out" &
	local pid=$!
	start_loader --learn --pid $pid -o "$KDIR/live"
	strace -p $pid -o "$KDIR/trace" &
	local spid=$!
	wait $pid
	wait $spid || true
	stop_loader
	"$EXTRACTOR" -o "$KDIR/ex" "$KDIR/trace" 2> /dev/null || true
	[ ! -e "$KDIR/ex/$PROG.json" ]
	rows "$KDIR/live/$PROG.json" | grep -qF '["getpid", "getuid", "getppid", 1]'
}

@test "learn: SIGKILL after a flush leaves a valid profile the extractor reads" {
	start_loader --learn --comm "$PROG" -o "$KDIR/live" --interval 0.2
	"$KDIR/$PROG" pugo "$KDIR/out"
	flush_after
	kill -KILL "$LOADER_PID"
	wait "$LOADER_PID" || true
	LOADER_PID=
	ls "$KDIR/live" > "$KDIR/files"
	[ "$(cat "$KDIR/files")" = "$PROG.json" ]	# no temporary left over
	strace -f -o "$KDIR/trace" "$KDIR/$PROG" pugo "$KDIR/out"
	run "$EXTRACTOR" --check "$KDIR/live" "$KDIR/trace"
	[ "$status" -eq 0 ]
}

@test "learn: a full count map is reported with its size and the option to raise it" {
	start_loader --learn --comm "$PROG" -o "$KDIR/live" --max-transitions 3
	"$KDIR/$PROG" pugpugpu
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	grep -q 'transition map full (3 entries): [0-9]* counts lost; raise it with --max-transitions' "$KDIR/loader.err"
	[ "$(rows "$KDIR/live/$PROG.json" | wc -l)" -eq 3 ]
}

@test "learn: progress lines on stderr: transitions so far and new ones" {
	start_loader --learn --comm "$PROG" -o "$KDIR/live" --interval 0.2
	"$KDIR/$PROG" pu
	flush_after
	grep -q '^learn: [0-9]*s: 1 programs, 3 transitions (+[0-3]), 3 syscalls$' "$KDIR/loader.err"
	"$KDIR/$PROG" pg
	stop_loader
	# the new transitions of all lines add up to the final number
	run awk -F'[(+)]' '/^learn: [0-9]*s:/ { n += $3 } END { print n }' "$KDIR/loader.err"
	[ "$output" = 5 ]
	tail -2 "$KDIR/loader.err" | grep -q '^learn: [0-9]*s: 1 programs, 5 transitions (+[0-9]*), 6 syscalls$'
	tail -1 "$KDIR/loader.err" | grep -q "^learn: done: profiles in $KDIR/live ([0-9]* file writes)$"
}

@test "learn: usage errors exit 2" {
	run "$LOADER" --learn
	[ "$status" -eq 2 ]
	[[ "$output" == *"exactly one of --comm, --pid, --cgroup"* ]]
	run "$LOADER" --learn --comm a --pid 1
	[ "$status" -eq 2 ]
	run "$LOADER" --comm a
	[ "$status" -eq 2 ]
	run "$LOADER" --learn --comm a "$KDIR"
	[ "$status" -eq 2 ]
	run "$LOADER" --learn --cgroup "$KDIR" -o "$KDIR/live"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a cgroup v2 directory"* ]]
	echo '{' > "$KDIR/bad.json"
	run "$LOADER" --learn --comm a -o "$KDIR"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.json:"* ]]
}
