#!/usr/bin/env bats
# The kill domain: under --kill, a violation takes down every task that
# shares the violator's address space or file table
# (tests/kernel/killdom.c makes the raw clone children).

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog killdom kd
	gcc -O2 -static -nostdlib -fno-stack-protector -o "$KDIR/$PROG" \
		"$ROOT/tests/kernel/killdom.c"
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# the "a b x" lines of a run of one syscall CALL (three or more) that
# follows (A, B) and is followed by NEXT
run_of() {
	echo "$1 $2 $3"
	echo "$2 $3 $3"
	echo "$3 $3 $3"
	echo "$3 $3 $4"
}

# the good run of killdom: the parent's and the child's transitions
killdom_profile() {
	{
		run_of START execve close clone
		echo "close clone wait4"
		run_of clone wait4 fcntl openat
		echo "fcntl openat write"
		echo "openat write close"
		echo "write close exit_group"
		echo "START clone getpid"
		echo "clone getpid exit"
	} | write_profile "$KDIR/p.json" "$PROG"
}

@test "killdom: the good runs are inside the profile" {
	killdom_profile
	start_loader --json --kill "$KDIR/p.json"
	for mode in vmfiles files vfork; do
		run "$KDIR/$PROG" "$mode" good "$KDIR/out.$mode"
		[ "$status" -eq 0 ]
		[ "$(cat "$KDIR/out.$mode")" = "fd --" ]
	done
	stop_loader
	[ ! -s "$KDIR/events" ]
	grep -q '^kill domain: ' "$KDIR/loader.err"
}

@test "killdom: a CLONE_VM|CLONE_FILES child's violation kills its parent before it uses the fd" {
	killdom_profile
	# without the loader the parent finds the child's socket and writes
	"$KDIR/$PROG" vmfiles bad "$KDIR/plain"
	[ "$(cat "$KDIR/plain")" = "fd 03" ]
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" vmfiles bad "$KDIR/out"
	[ "$status" -eq 137 ]
	[ ! -e "$KDIR/out" ]
	stop_loader
	[ "$(count_kind unseen-syscall)" -eq 1 ]
	grep -q '"transition":\["START","clone","socket"\]' "$KDIR/events"
	grep -q '"action":"killed"' "$KDIR/events"
}

@test "killdom: a CLONE_FILES child (own memory, shared fd table) takes its parent down" {
	killdom_profile
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" files bad "$KDIR/out"
	[ "$status" -eq 137 ]
	[ ! -e "$KDIR/out" ]
}

@test "killdom: a vfork-style child (CLONE_VM|CLONE_VFORK) takes its waiting parent down" {
	killdom_profile
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" vfork bad "$KDIR/out"
	[ "$status" -eq 137 ]
	[ ! -e "$KDIR/out" ]
}

@test "killdom: without --kill the domain is only reported" {
	killdom_profile
	start_loader --json "$KDIR/p.json"
	run "$KDIR/$PROG" vmfiles bad "$KDIR/out"
	[ "$status" -eq 0 ]
	[ "$(cat "$KDIR/out")" = "fd 03" ]
	stop_loader
	# the child's socket (not in the profile's set) and its exit after it
	[ "$(count_kind unseen-syscall)" -ge 1 ]
	[ $(($(count_kind unseen-syscall) + $(count_kind unseen-transition))) -eq 2 ]
	! grep -q '"action":"killed"' "$KDIR/events"
}

@test "killdom: the fallback (no task iterator) kills the parent at its next syscall" {
	killdom_profile
	SYSCFI_KILL_DOMAIN=mark start_loader --json --kill "$KDIR/p.json"
	grep -q '^kill domain: .*die at their next syscall' "$KDIR/loader.err"
	for mode in vmfiles files vfork; do
		run "$KDIR/$PROG" "$mode" bad "$KDIR/out.$mode"
		[ "$status" -eq 137 ]
		[ ! -e "$KDIR/out.$mode" ]
	done
	# a new process that may get a killed domain's mm or file table
	# address is not doomed
	run "$KDIR/$PROG" vmfiles good "$KDIR/out"
	[ "$status" -eq 0 ]
}
