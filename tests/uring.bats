#!/usr/bin/env bats
# io_uring: the opcodes a profile may submit (docs/design.md, "io_uring").
# tests/kernel/uring.c reads a file through a ring, or queues an opcode
# its profile never saw with the very same syscalls.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog uring ur
	gcc -O2 -static -nostdlib -fno-stack-protector -o "$KDIR/$PROG" \
		"$ROOT/tests/kernel/uring.c"
	echo hello > "$KDIR/in"
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# the transitions of the three modes; OPS: the "io_uring" field's value,
# "" for no field
uring_profile() {
	{
		echo "START execve io_uring_setup"
		echo "execve io_uring_setup mmap"
		echo "io_uring_setup mmap mmap"
		echo "mmap mmap mmap"
		echo "mmap mmap openat"
		# inline and async: one io_uring_enter submits and waits
		echo "mmap openat io_uring_enter"
		echo "openat io_uring_enter openat"
		echo "io_uring_enter openat write"
		# sqpoll: naps until the completion, or none if it was quick,
		# after waking the SQ thread if it slept
		echo "openat io_uring_enter nanosleep"
		echo "io_uring_enter nanosleep nanosleep"
		echo "io_uring_enter nanosleep openat"
		echo "mmap openat nanosleep"
		echo "openat nanosleep nanosleep"
		echo "nanosleep nanosleep nanosleep"
		echo "nanosleep nanosleep openat"
		echo "openat nanosleep openat"
		echo "nanosleep openat write"
		echo "mmap openat openat"
		echo "openat openat write"
		echo "openat write close"
		echo "write close exit_group"
	} | write_profile "$KDIR/p.json" "$PROG"
	if [ -n "$1" ]; then
		sed -i "s/^  \"window\": 32,/&\n  \"io_uring\": $1,/" "$KDIR/p.json"
	fi
}

@test "uring: reads through a ring inside its profile (inline, async, SQPOLL) under --kill" {
	uring_profile '["READ"]'
	start_loader --json --kill "$KDIR/p.json"
	for mode in inline async sqpoll; do
		run "$KDIR/$PROG" "$mode" good "$KDIR/in" "$KDIR/out.$mode"
		[ "$status" -eq 0 ]
		[ "$(cat "$KDIR/out.$mode")" = hello ]
	done
	stop_loader
	[ ! -s "$KDIR/events" ]
}

@test "uring: an opcode outside the profile's set, with the same syscalls, is caught and killed" {
	uring_profile '["READ"]'
	# without the loader the request runs and the program goes on
	"$KDIR/$PROG" inline bad "$KDIR/in" "$KDIR/plain"
	[ -e "$KDIR/plain.evil" ]
	[ -e "$KDIR/plain" ]
	start_loader --json --kill "$KDIR/p.json"
	for mode in inline async; do
		run "$KDIR/$PROG" "$mode" bad "$KDIR/in" "$KDIR/out.$mode"
		[ "$status" -eq 137 ]
		[ ! -e "$KDIR/out.$mode" ]
	done
	stop_loader
	[ "$(count_kind io-uring-opcode)" -eq 2 ]
	[ "$(count_kind unseen-transition)" -eq 0 ] && [ "$(count_kind unseen-syscall)" -eq 0 ]
	grep -q '"action":"killed".*"transition":\["openat","io_uring_enter","io_uring_enter"\].*"arg":"OPENAT"' \
		"$KDIR/events"
}

@test "uring: under SQPOLL the request is seen in the kernel's iou-sqp thread and kills its owner" {
	uring_profile '["READ"]'
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" sqpoll bad "$KDIR/in" "$KDIR/out"
	[ "$status" -eq 137 ]
	[ ! -e "$KDIR/out" ]
	stop_loader
	[ "$(count_kind io-uring-opcode)" -eq 1 ]
	grep -q '"comm":"iou-sqp-[0-9]*","profile":"'"$PROG"'"' "$KDIR/events"
}

@test "uring: a profile without an io_uring field allows no opcode" {
	uring_profile ""
	start_loader --json "$KDIR/p.json"
	grep -q "p.json: makes io_uring_setup but lists no io_uring opcode" "$KDIR/loader.err"
	run "$KDIR/$PROG" inline good "$KDIR/in" "$KDIR/out"
	[ "$status" -eq 0 ]
	stop_loader
	[ "$(count_kind io-uring-opcode)" -eq 1 ]
	grep -q '"action":"alert".*"arg":"READ"' "$KDIR/events"
}

@test "uring: a bad io_uring field is refused naming the file" {
	uring_profile '["READ", "NO_SUCH_OP"]'
	run "$LOADER" "$KDIR/p.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$KDIR/p.json:"*"io_uring opcode 1"* ]]
	uring_profile '["READ", "READ"]'
	run "$LOADER" "$KDIR/p.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"listed twice"* ]]
}

@test "uring: --learn records the opcodes, and the learned profile passes the good run" {
	start_loader --learn --comm "$PROG" -o "$KDIR/live" --interval 60
	for mode in inline sqpoll; do
		"$KDIR/$PROG" "$mode" good "$KDIR/in" "$KDIR/out"
	done
	stop_loader
	grep -q '^  "io_uring": \["READ"\],$' "$KDIR/live/$PROG.json"
	start_loader --json --kill "$KDIR/live/$PROG.json"
	run "$KDIR/$PROG" inline good "$KDIR/in" "$KDIR/out2"
	[ "$status" -eq 0 ]
	run "$KDIR/$PROG" inline bad "$KDIR/in" "$KDIR/out3"
	[ "$status" -eq 137 ]
	stop_loader
	[ "$(count_kind io-uring-opcode)" -eq 1 ]
}
