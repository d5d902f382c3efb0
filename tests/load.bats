#!/usr/bin/env bats
# Load: fork storms, a thousand threads and violation floods under
# enforcement.  tests/kernel/storm.c makes exactly the syscalls written into
# the profiles below, so "no false violation" is checked under --kill: one
# wrong binding or state would kill the program.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog load sld
	gcc -O2 -static -nostdlib -fno-stack-protector -o "$KDIR/$PROG" \
		"$ROOT/tests/kernel/storm.c"
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# storm forks N: the parent forks N times then waits N times; each child
# makes getpid and exits
forks_trans() {
	printf '%s\n' "START execve fork" "execve fork fork" "fork fork fork" \
		"fork fork wait4" "fork wait4 wait4" "wait4 wait4 wait4" \
		"wait4 wait4 exit_group" "START fork getpid" "fork getpid exit_group"
}

# storm threads N: the main thread clones N times, wakes the threads with
# futex and waits on each thread's tid with futex; a thread waits in futex
# (or not at all when released already) and calls exit
threads_trans() {
	printf '%s\n' "START execve clone" "execve clone clone" "clone clone clone" \
		"clone clone futex" "clone futex futex" "futex futex futex" \
		"futex futex exit_group" "clone futex exit_group" \
		"START clone futex" "clone futex exit" "futex futex exit" "START clone exit"
}

# VmRSS of a pid in kB
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

@test "load: a fork storm of 2000 children under --kill: all bound, none killed" {
	forks_trans | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" forks 2000
	[ "$status" -eq 0 ]
	kill -0 "$LOADER_PID"
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	[ ! -s "$KDIR/events" ]
	# 2001 tasks; parent 2000 fork + 2000 wait4 + exit_group, children 2 each
	[ "$(summary_of "$PROG")" = "2001 8001 0 0 0" ]
}

@test "load: 6000 short-lived children in a row give their hot slots back" {
	# tid mod 4096 picks a slot; the children outnumber the slots, so each
	# slot is claimed again after its first child exited.  Only the parent,
	# alive throughout, may hold a slot a child wants (its tid mod 4096)
	forks_trans | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" forks 6000
	[ "$status" -eq 0 ]
	stop_loader
	[ ! -s "$KDIR/events" ]
	[ "$(summary_of "$PROG" | cut -d' ' -f1,3)" = "6001 0" ]
	local taken
	taken=$(sed -n 's/^summary: \([0-9]*\) bindings found their hot slot taken.*/\1/p' \
		"$KDIR/loader.err")
	[ "${taken:-0}" -le 1 ]
}

@test "load: a program with 1000 threads under --kill: all bound, none killed" {
	threads_trans | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill "$KDIR/p.json"
	run timeout 60 "$KDIR/$PROG" threads 1000
	[ "$status" -eq 0 ]
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	[ ! -s "$KDIR/events" ]
	local tasks viol kills
	read -r tasks _ viol kills _ <<< "$(summary_of "$PROG")"
	[ "$tasks" -eq 1001 ] && [ "$viol" -eq 0 ] && [ "$kills" -eq 0 ]
}

@test "load: --kill on the main thread takes down its 1000 live threads" {
	threads_trans | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill "$KDIR/p.json"
	# the 1000 threads block until the main thread releases them, after
	# its violation: if they outlived it the process would never be reaped
	run timeout 60 "$KDIR/$PROG" threads 1000 bad
	[ "$status" -eq 137 ]
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q '"kind":"unknown-syscall","action":"killed".*"transition":\["clone","clone","syscall_0x3e8"\]' "$KDIR/events"
	local tasks viol kills
	read -r tasks _ viol kills _ <<< "$(summary_of "$PROG")"
	[ "$tasks" -eq 1001 ] && [ "$viol" -eq 1 ] && [ "$kills" -eq 1 ]
}

@test "load: 20 s violation flood, no rate limit: machine responsive, loader memory flat, drops counted" {
	ops_trans "" | write_profile "$KDIR/p.json" "$PROG"
	# millions of events a second: printed to /dev/null, not kept
	ln -s /dev/null "$KDIR/events"
	start_loader --json --rate 0 "$KDIR/p.json"
	"$KDIR/$PROG" flood 20 &
	local flood=$! i t0 t1 worst=0 rss first max=0
	sleep 2
	first=$(rss_kb "$LOADER_PID")
	for ((i = 0; i < 16; i++)); do
		# responsiveness: 10 fresh processes (fork, exec, exit) in a row
		t0=$(date +%s%N)
		for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done
		t1=$(date +%s%N)
		(( (t1 - t0) / 1000000 > worst )) && worst=$(( (t1 - t0) / 1000000 ))
		rss=$(rss_kb "$LOADER_PID")
		(( rss > max )) && max=$rss
		sleep 1
	done
	wait "$flood"
	kill -0 "$LOADER_PID"
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	echo "# flood: worst 10 x /bin/true ${worst} ms; loader VmRSS ${first} -> max ${max} kB" >&3
	[ "$worst" -lt 5000 ]
	# flat: under 1 MiB of growth over the run
	[ $((max - first)) -lt 1024 ]
	local tasks sys viol kills dropped lost reserved
	read -r tasks sys viol kills dropped <<< "$(summary_of "$PROG")"
	[ "$tasks" -eq 1 ] && [ "$kills" -eq 0 ]
	[ "$viol" -gt 1000000 ]
	# no rate limit: what was not sent found the ring buffer full, or full
	# up to the reserve kept for other profiles, and the summary says so
	lost=$(sed -n 's/^summary: \([0-9]*\) events lost to a full ring buffer.*/\1/p' "$KDIR/loader.err")
	reserved=$(sed -n 's/^summary: \([0-9]*\) events of profiles that filled the ring to its reserve.*/\1/p' "$KDIR/loader.err")
	[ "$((${lost:-0} + ${reserved:-0}))" -eq "$dropped" ]
}
