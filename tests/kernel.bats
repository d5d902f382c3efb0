#!/usr/bin/env bats
# End-to-end kernel enforcement with a program whose syscalls the test
# chooses one by one (tests/kernel/scprog.c) and profiles written from
# that exact sequence.  Every test runs the real BPF program.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog kernel sck
	build_prog "$PROG"
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

@test "kernel: a run inside its profile gives no event and keeps its exit status" {
	ops_trans pugo | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" pugo "$KDIR/out"
	[ "$status" -eq 0 ]
	[ -f "$KDIR/out" ]
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	[ ! -s "$KDIR/events" ]
	# 1 task, 6 syscalls checked (getpid getuid getppid openat close
	# exit_group: the execve that bound it was not yet under the profile)
	[ "$(summary_of "$PROG")" = "1 6 0 0 0" ]
}

@test "kernel: one extra transition gives exactly one unseen-transition event" {
	{ ops_trans pugo; echo getpid getpid getuid; } | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	"$KDIR/$PROG" ppugo "$KDIR/out" &
	local pid=$!
	wait $pid
	[ -f "$KDIR/out" ]
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	run cat "$KDIR/events"
	[[ "$output" == *'"kind":"unseen-transition"'* ]]
	[[ "$output" == *'"action":"alert"'* ]]
	[[ "$output" == *"\"pid\":$pid,\"tid\":$pid,"* ]]
	[[ "$output" == *"\"comm\":\"$PROG\",\"profile\":\"$PROG\""* ]]
	[[ "$output" == *'"transition":["execve","getpid","getpid"]'* ]]
	[ "$(summary_of "$PROG")" = "1 7 1 0 0" ]
}

@test "kernel: --kill kills at the violation, before the file is written" {
	ops_trans pugo | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" ppugo "$KDIR/out"
	[ "$status" -eq 137 ]		# 128 + SIGKILL
	[ ! -e "$KDIR/out" ]
	stop_loader
	[ "$(count_kind unseen-transition)" -eq 1 ]
	grep -q '"action":"killed"' "$KDIR/events"
	[ "$(summary_of "$PROG" | cut -d' ' -f3,4)" = "1 1" ]
}

@test "kernel: the event carries the path of openat" {
	ops_trans pu | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	"$KDIR/$PROG" po "$KDIR/out"
	stop_loader
	run head -1 "$KDIR/events"
	[[ "$output" == *'"transition":["execve","getpid","openat"]'* ]]
	[[ "$output" == *"\"arg\":\"$KDIR/out\""* ]]
}

@test "kernel: a forked child inherits the profile and starts in (START, fork)" {
	# the parent's run, without the child's transitions
	printf '%s\n' "START execve getpid" "execve getpid fork" "getpid fork wait4" \
		"fork wait4 exit_group" | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" pfug
	[ "$status" -eq 0 ]
	stop_loader
	# only the child violates, from its own state; the parent is clean
	[ "$(wc -l < "$KDIR/events")" -eq 3 ]
	run head -1 "$KDIR/events"
	[[ "$output" == *'"transition":["START","fork","getuid"]'* ]]
	! grep -q '"transition":\["getpid","fork","getuid"\]' "$KDIR/events"
	[ "$(summary_of "$PROG" | cut -d' ' -f1)" = 2 ]
}

@test "kernel: parent and child both inside the profile: no event" {
	printf '%s\n' "START execve getpid" "execve getpid fork" "getpid fork wait4" \
		"fork wait4 exit_group" "START fork getuid" "fork getuid getppid" \
		"getuid getppid exit_group" | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" pfug
	[ "$status" -eq 0 ]
	stop_loader
	[ ! -s "$KDIR/events" ]
	[ "$(summary_of "$PROG")" = "2 7 0 0 0" ]
}

@test "kernel: PR_SET_NAME does not escape the profile" {
	ops_trans npu | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	"$KDIR/$PROG" npp
	stop_loader
	run head -1 "$KDIR/events"
	[[ "$output" == *'"comm":"renamed"'* ]]
	[[ "$output" == *"\"profile\":\"$PROG\""* ]]
	[[ "$output" == *'"transition":["prctl","getpid","getpid"]'* ]]
}

@test "kernel: exec of an unprofiled program is exec-unprofiled (and killed with --kill)" {
	ops_trans px | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" px "" /bin/true
	[ "$status" -eq 0 ]
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q '"kind":"exec-unprofiled".*"arg":"/bin/true"' "$KDIR/events"

	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" px "" /bin/true
	[ "$status" -eq 137 ]
	stop_loader
	grep -q '"kind":"exec-unprofiled","action":"killed"' "$KDIR/events"
}

@test "kernel: a profile found by exe binds a program of another name" {
	cp "$KDIR/$PROG" "$KDIR/other$BATS_TEST_NUMBER"
	ops_trans p | write_profile "$KDIR/p.json" "byexe$$" "$KDIR/other$BATS_TEST_NUMBER"
	start_loader --json "$KDIR/p.json"
	"$KDIR/other$BATS_TEST_NUMBER" pp
	"$KDIR/$PROG" pp	# same bytes, other inode and comm: unprofiled
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 2 ]
	grep -q "\"comm\":\"other$BATS_TEST_NUMBER\",\"profile\":\"byexe$$\"" "$KDIR/events"
	! grep -q "\"comm\":\"$PROG\"" "$KDIR/events"
}

@test "kernel: x32-numbered syscall is compat-syscall, syscall 1000 unknown-syscall" {
	ops_trans p | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	"$KDIR/$PROG" XZ
	stop_loader
	grep -q '"kind":"compat-syscall".*"transition":\["START","execve","syscall_0x40000027"\]' "$KDIR/events"
	grep -q '"kind":"unknown-syscall".*"transition":\["START","execve","syscall_0x3e8"\]' "$KDIR/events"
}

@test "kernel: int 0x80 from a profiled task is compat-syscall, or refused by the kernel" {
	# A kernel built without ia32 entry raises SIGSEGV on int 0x80 before
	# any syscall entry: no bypass there either.  Either way, the call
	# must never run.
	ops_trans p | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" i
	stop_loader
	case "$status" in
	137) grep -q '"kind":"compat-syscall".*"action":"killed"' "$KDIR/events" ;;
	139) run grep -c "\"comm\":\"$PROG\"" "$KDIR/events"
	     [ "$output" = 0 ] ;;
	*) echo "int 0x80 ran: status $status" >&2; false ;;
	esac
}

@test "kernel: a process started before the loader is untouched without --existing" {
	ops_trans pu | write_profile "$KDIR/p.json" "$PROG"
	"$KDIR/$PROG" Sppu &
	local pid=$!
	sleep 0.3	# let it exec before the loader attaches
	start_loader --json --kill "$KDIR/p.json"
	wait $pid
	stop_loader
	[ ! -s "$KDIR/events" ]
	[ "$(summary_of "$PROG")" = "0 0 0 0 0" ]
}

@test "kernel: --existing binds a running process in UNKNOWN state" {
	ops_trans pu | write_profile "$KDIR/p.json" "$PROG"
	"$KDIR/$PROG" Sppu &
	local pid=$!
	sleep 0.3	# let it exec before the loader attaches
	start_loader --json --existing "$KDIR/p.json"
	wait $pid
	stop_loader
	# nanosleep and the first getpid only fill the state; (getpid, getpid)
	# -> getuid is the first checked transition
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q "\"pid\":$pid,.*\"transition\":\[\"getpid\",\"getpid\",\"getuid\"\]" "$KDIR/events"
}

@test "kernel: events are rate limited per task and the drops counted" {
	ops_trans "" | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --rate 5 "$KDIR/p.json"
	"$KDIR/$PROG" "$(printf 'Z%.0s' {1..100})"
	stop_loader
	# burst of 2 x 5 events, the other 90 dropped and counted
	[ "$(wc -l < "$KDIR/events")" -eq 10 ]
	[ "$(summary_of "$PROG")" = "1 101 100 0 90" ]
}

@test "kernel: a million violations: every one counted, events rate limited, drops reported" {
	ops_trans "" | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" L
	[ "$status" -eq 0 ]
	stop_loader
	local ev tasks sys viol kills dropped
	ev=$(wc -l < "$KDIR/events")
	read -r tasks sys viol kills dropped <<< "$(summary_of "$PROG")"
	[ "$viol" -eq 1000000 ]
	[ "$kills" -eq 0 ]
	# burst 20 at 10 a second: a handful of events, the rest counted
	[ "$ev" -ge 20 ] && [ "$ev" -le 200 ]
	[ "$((ev + dropped))" -eq 1000000 ]
	# the events after the first burst say how many were dropped before them
	[ "$ev" -eq 20 ] || grep -q '"dropped":[1-9]' "$KDIR/events"
}

@test "kernel: --kill still kills a process violating in a tight loop" {
	ops_trans "" | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" Lo "$KDIR/out"
	[ "$status" -eq 137 ]
	[ ! -e "$KDIR/out" ]
	stop_loader
	[ "$(count_kind unknown-syscall)" -ge 1 ]
}

@test "kernel: --threshold raises one anomaly-score when a full window is above it" {
	local ops
	ops=$(printf 'pu%.0s' {1..20})
	# every transition known, but getpid is followed by getuid or getppid:
	# each costs about a bit, of which a quarter counts
	{ ops_trans "$ops"; echo execve getpid getppid; echo getuid getpid getppid
	  echo getpid getppid exit_group; } | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --threshold 0.125 "$KDIR/p.json"
	"$KDIR/$PROG" "$ops"
	stop_loader
	[ "$(count_kind unseen-transition)" -eq 0 ]
	# edge-triggered: one event when the 32-syscall window first fills
	[ "$(count_kind anomaly-score)" -eq 1 ]
	grep -q '"kind":"anomaly-score".*"threshold":0.125,' "$KDIR/events"
	grep -q '"nsyscalls":32}' "$KDIR/events"

	start_loader --json --threshold 100 "$KDIR/p.json"
	"$KDIR/$PROG" "$ops"
	stop_loader
	[ ! -s "$KDIR/events" ]
}

@test "kernel: the event of connect carries ip:port" {
	ops_trans pc | grep -v 'getpid socket connect' | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	"$KDIR/$PROG" pc
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q '"transition":\["getpid","socket","connect"\].*"arg":"127.0.0.1:9"' "$KDIR/events"
}

@test "kernel: two processes whose tids share a hot slot are both checked alike" {
	# tid mod 4096 picks a task's hot slot (bpf/syscfi.bpf.c): the second
	# process finds it taken and keeps its state in its task storage
	[ -w /proc/sys/kernel/ns_last_pid ] || skip "no writable ns_last_pid"
	ops_trans ssp | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	local max a b try base
	max=$(cat /proc/sys/kernel/pid_max)
	[ "$max" -gt 8300 ] || skip "pid_max $max leaves no two tids 4096 apart"
	for ((try = 0; try < 20; try++)); do
		base=$(( (RANDOM % (max - 8200)) + 100 ))
		echo $((base - 1)) > /proc/sys/kernel/ns_last_pid
		"$KDIR/$PROG" sspp &
		a=$!
		echo $((base + 4095)) > /proc/sys/kernel/ns_last_pid
		"$KDIR/$PROG" sspp &
		b=$!
		wait $a $b
		[ $(( (b - a) % 4096 )) -eq 0 ] && break
		a=
	done
	[ -n "$a" ]
	stop_loader
	# each: (nanosleep, getpid) -> getpid and (getpid, getpid) -> exit_group
	[ "$(grep -c "\"pid\":$a,\"tid\":$a," "$KDIR/events")" -eq 2 ]
	[ "$(grep -c "\"pid\":$b,\"tid\":$b," "$KDIR/events")" -eq 2 ]
	# every process of every try: the same two events
	local n=$((2 * try + 2))
	[ "$(grep -c '"transition":\["nanosleep","getpid","getpid"\]' "$KDIR/events")" -eq $n ]
	[ "$(grep -c '"transition":\["getpid","getpid","exit_group"\]' "$KDIR/events")" -eq $n ]
	# tasks, syscalls (2 nanosleep, 2 getpid, exit_group each), violations
	[ "$(summary_of "$PROG" | cut -d' ' -f1-3)" = "$n $((5 * n)) $((2 * n))" ]
	# the second process did find the slot taken (none do without slots)
	if [ "${SYSCFI_TEST_NO_HOT_SLOTS:-}" = 1 ]; then
		! grep -q 'hot slot taken' "$KDIR/loader.err"
	else
		grep -q '^summary: [1-9][0-9]* bindings found their hot slot taken' "$KDIR/loader.err"
	fi
}

@test "kernel: a table that outgrows its up-front bound is loaded again, and enforces" {
	# 40 transitions with one home slot in the 1024 slots the loader sizes
	# for them (2 x 40 + 512 entries at 0.8): 40 > SC_PROBE_MAX in a row,
	# so the plan grows the table and the loader loads the object again
	gcc -O2 -Wall -I"$ROOT/lib" -I"$ROOT/bpf" -I"$ROOT/build" -o "$KDIR/collide" \
		"$ROOT/tests/kernel/collide.c" "$ROOT/lib/syscalls.c"
	"$KDIR/collide" 1024 40 | write_profile "$KDIR/p.json" "$PROG"
	start_loader -v --json "$KDIR/p.json"
	grep -q '^ready: 1 profiles, 40 transitions' "$KDIR/loader.err"
	[ "$(grep -c 'ms BPF object opened' "$KDIR/loader.err")" -eq 2 ]
	run "$KDIR/$PROG" p
	stop_loader
	# none of the profile's transitions is the program's, nor are its
	# syscalls in the profile's set
	[ "$(count_kind unseen-syscall)" -eq 2 ]
	grep -q '"transition":\["START","execve","getpid"\]' "$KDIR/events"
	[ "$(summary_of "$PROG")" = "1 2 2 0 0" ]
}

@test "kernel: a thread that execs a profiled program takes the leader's tid and stays checked" {
	gcc -O2 -Wall -pthread -o "$KDIR/thread-exec" "$ROOT/tests/kernel/thread-exec.c"
	ops_trans pu | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	# inside the profile: clean, and the exec'd image's exit status is kept
	run "$KDIR/thread-exec" "$KDIR/$PROG" pu
	[ "$status" -eq 0 ]
	# one transition more: caught, under the process's (leader's) pid
	"$KDIR/thread-exec" "$KDIR/$PROG" ppu &
	local pid=$!
	wait $pid
	stop_loader
	[ "$(count_kind unseen-transition)" -eq 2 ]
	grep -q "\"pid\":$pid,\"tid\":$pid,.*\"transition\":\[\"execve\",\"getpid\",\"getpid\"\]" "$KDIR/events"
	grep -q '"transition":\["getpid","getpid","getuid"\]' "$KDIR/events"
	# tasks: two execs; syscalls: getpid getuid exit_group, then one getpid more
	[ "$(summary_of "$PROG" | cut -d' ' -f1-3)" = "2 7 2" ]
}

@test "kernel: a profiled thread that execs moves its state to the leader's tid" {
	# thread-exec and true recorded with strace, profiled by the extractor;
	# under the loader the exec'ing thread leaves its own tid's hot slot
	# for the leader's, and everything after the exec is checked as before
	command -v strace > /dev/null || skip "strace not installed"
	local te="$KDIR/te$$"
	gcc -O2 -Wall -pthread -o "$te" "$ROOT/tests/kernel/thread-exec.c"
	cp /bin/true "$KDIR/true$$"
	strace -f -o "$KDIR/te.syscall" "$te" "$KDIR/true$$"
	"$EXTRACTOR" -q -o "$KDIR/prof" "$KDIR/te.syscall"
	start_loader --json "$KDIR/prof"
	local i
	for ((i = 0; i < 5; i++)); do
		"$te" "$KDIR/true$$"
	done
	# and once into a program it never exec'd: the thread's exec has no edge
	"$te" /bin/echo escaped > /dev/null &
	local pid=$!
	wait $pid
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q "\"kind\":\"exec-unexpected\".*\"pid\":$pid,.*\"arg\":\"/bin/echo\"" "$KDIR/events"
	# te: 6 runs of 2 tasks; true, scoped under te: 5 tasks, no violation
	[ "$(summary_of "te$$" | cut -d' ' -f1,3)" = "12 1" ]
	[ "$(summary_of "te$$/true$$" | cut -d' ' -f1,3)" = "5 0" ]
}
