#!/usr/bin/env bats
# Reload without a gap: SIGHUP and --reload swap the profile set whole or
# not at all, no event goes unchecked while they do, running tasks keep
# their state, and nothing cached from the old set survives the swap
# (docs/architecture.md, "Reload").

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog reload rl
	PIN=/sys/fs/bpf/syscfi-test-$$-$BATS_TEST_NUMBER
	build_prog "$PROG"
	mkdir "$KDIR/p"
}

teardown() {
	[ -n "${LOOP_PID:-}" ] && kill "$LOOP_PID" 2>/dev/null
	stop_loader
	[ -n "${PIN:-}" ] && [ -e "$PIN" ] && "$LOADER" --unpin="$PIN" 2>/dev/null
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# wait_line PATTERN [N]: until the loader's stderr has N lines matching
# PATTERN (default 1), for up to 15 s
wait_line() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c -- "$1" "$KDIR/loader.err")" -ge "${2:-1}" ] && return 0
		sleep 0.05
	done
	echo "no line '$1' from the loader:" >&2
	cat "$KDIR/loader.err" >&2
	return 1
}

# a profile file replaced whole, as a deployment does
put_profile() {
	write_profile "$KDIR/new.json" "$2" && mv "$KDIR/new.json" "$1"
}

@test "reload: while the swap is held open, the old set alone decides" {
	ops_trans po | write_profile "$KDIR/p/$PROG.json" "$PROG"
	mkfifo "$KDIR/fifo"
	SYSCFI_TEST_RELOAD_DELAY_MS=4000 start_loader --json --kill "$KDIR/p"
	# bound before the reload, held in openat of the FIFO until the swap
	# is open, then getuid: the new set allows it, the old one does not
	"$KDIR/$PROG" pou "$KDIR/fifo" &
	local pid=$! st=0
	ops_trans pou | put_profile "$KDIR/p/$PROG.json" "$PROG"
	kill -HUP "$LOADER_PID"
	wait_line 'swap held open'
	cat "$KDIR/fifo" > /dev/null &
	wait "$pid" || st=$?
	[ "$st" -eq 137 ]
	# started while the swap is open: bound and checked, then killed
	run "$KDIR/$PROG" pu
	[ "$status" -eq 137 ]
	# both violations happened before the swap ended
	[ "$(grep -c '^reloaded:' "$KDIR/loader.err")" -eq 0 ]
	wait_line '^reloaded: 1 profiles'
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	grep -q "\"kind\":\"unseen-syscall\",\"action\":\"killed\",\"pid\":$pid,.*\"transition\":\[\"openat\",\"close\",\"getuid\"\]" "$KDIR/events"
	grep -q '"kind":"unseen-syscall","action":"killed",.*"transition":\["execve","getpid","getuid"\]' "$KDIR/events"
}

@test "reload: under load, a broken folder is refused with file and line, and the old set keeps enforcing" {
	local many
	many=$(printf 'p%.0s' {1..3000})
	ops_trans "$many" | write_profile "$KDIR/p/$PROG.json" "$PROG"
	start_loader --json --kill "$KDIR/p"
	# load: the program runs again and again, 3000 getpid a run
	( while [ ! -e "$KDIR/stop" ]; do
		"$KDIR/$PROG" "$many" || echo "killed: $?" >> "$KDIR/loop.out"
	  done ) &
	LOOP_PID=$!
	sleep 0.5
	# a syntax error
	printf '{\n  "format": "syscfi-profile",\n  "version": 1,\n  "comm" "x"\n}\n' \
		> "$KDIR/p/broken.json"
	kill -HUP "$LOADER_PID"
	wait_line 'reload refused'
	grep -q "^loader: reload refused: $KDIR/p/broken.json:4:[0-9]*: .*; the profiles in force stay" "$KDIR/loader.err"
	# a profile a fresh start refuses as well (i386 numbers)
	rm "$KDIR/p/broken.json"
	ops_trans pu | write_profile "$KDIR/p/other.json" other
	sed -i 's/"x86_64"/"i386"/' "$KDIR/p/other.json"
	kill -HUP "$LOADER_PID"
	wait_line 'reload refused' 2
	grep -q "reload refused: $KDIR/p/other.json:[0-9]*:[0-9]*: \"arch\": \"i386\"" "$KDIR/loader.err"
	# the loader runs on with the old set: getuid is still a kill
	kill -0 "$LOADER_PID"
	run "$KDIR/$PROG" pu
	[ "$status" -eq 137 ]
	touch "$KDIR/stop"
	wait "$LOOP_PID"
	LOOP_PID=
	# no run of the loop was ever killed, through both refusals
	[ ! -e "$KDIR/loop.out" ]
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	grep -q '^summary: 0 reloads, 2 refused' "$KDIR/loader.err"
	[ "$(grep -c '^reloaded:' "$KDIR/loader.err")" -eq 0 ]
}

@test "reload: a good reload changes the verdict of running tasks: a transition added passes, one removed is reported" {
	local b="${PROG}b"
	cp "$KDIR/$PROG" "$KDIR/$b"
	mkfifo "$KDIR/fifo"
	# old: $PROG never calls getuid; $b may
	ops_trans po | write_profile "$KDIR/p/$PROG.json" "$PROG"
	ops_trans pou | write_profile "$KDIR/p/$b.json" "$b"
	start_loader --json "$KDIR/p"
	"$KDIR/$PROG" pu	# under the old set: reported
	# both bound under the old set, held in openat until the swap is done
	"$KDIR/$PROG" pou "$KDIR/fifo" &
	local pa=$!
	"$KDIR/$b" pou "$KDIR/fifo" &
	local pb=$!
	# new: the other way round
	ops_trans pou | put_profile "$KDIR/p/$PROG.json" "$PROG"
	ops_trans po | put_profile "$KDIR/p/$b.json" "$b"
	kill -HUP "$LOADER_PID"
	wait_line '^reloaded: 2 profiles'
	cat "$KDIR/fifo" > /dev/null &
	wait "$pa" "$pb"
	stop_loader
	# the run under the old set was reported, the one across the reload not
	[ "$(grep -c "\"comm\":\"$PROG\"" "$KDIR/events")" -eq 2 ]
	! grep -q "\"pid\":$pa," "$KDIR/events"
	# $b kept its binding and state: its getuid, allowed when it started,
	# is reported under the new set
	grep -q "\"kind\":\"unseen-syscall\",\"action\":\"alert\",\"pid\":$pb,.*\"profile\":\"$b\",\"transition\":\[\"openat\",\"close\",\"getuid\"\]" "$KDIR/events"
	grep -q '^summary: 1 reloads, 0 refused' "$KDIR/loader.err"
}

@test "reload: a transition cached as known before the swap is reported after it" {
	local ops=pupupupuopupupup
	mkfifo "$KDIR/fifo"
	ops_trans "$ops" | write_profile "$KDIR/p/$PROG.json" "$PROG"
	start_loader --json --rate 0 "$KDIR/p"
	# three turns of getpid, getuid -> getpid: in the task's transition
	# cache by the time it waits in openat
	"$KDIR/$PROG" "$ops" "$KDIR/fifo" &
	local pid=$!
	ops_trans "$ops" | grep -v '^getpid getuid getpid$' |
		put_profile "$KDIR/p/$PROG.json" "$PROG"
	kill -HUP "$LOADER_PID"
	wait_line '^reloaded:'
	cat "$KDIR/fifo" > /dev/null &
	wait "$pid"
	stop_loader
	# the three turns after the swap are reported, none before it
	[ "$(grep -c "\"kind\":\"unseen-transition\",\"action\":\"alert\",\"pid\":$pid,.*\"transition\":\[\"getpid\",\"getuid\",\"getpid\"\]" "$KDIR/events")" -eq 3 ]
	[ "$(grep -c "\"pid\":$pid," "$KDIR/events")" -eq 3 ]
}

@test "reload: --reload swaps a pinned set, through its loader or without one; a restart with other profiles adopts and reloads" {
	ops_trans psp | write_profile "$KDIR/p/$PROG.json" "$PROG"
	start_loader --json --kill --pin="$PIN" "$KDIR/p"
	# a bad folder: exit 2, named, and the pinned set stays
	mkdir "$KDIR/bad"
	echo '{ "format": ' > "$KDIR/bad/$PROG.json"
	run "$LOADER" --reload="$PIN" "$KDIR/bad"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$KDIR/bad/$PROG.json:2:"*"the pinned set stays"* ]]
	run "$KDIR/$PROG" pu
	[ "$status" -eq 137 ]
	# the running loader rereads its folder: getuid is allowed now
	ops_trans pu | put_profile "$KDIR/p/$PROG.json" "$PROG"
	run "$LOADER" --reload="$PIN"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reloaded: $PIN: the loader (pid $LOADER_PID) swapped in its profiles"* ]]
	# the switch is what --reload waits for; the line comes after it
	wait_line '^reloaded: 1 profiles'
	run "$KDIR/$PROG" pu
	[ "$status" -eq 0 ]
	# its folder broken: the running loader refuses, --reload says so
	echo '{ "format": ' > "$KDIR/p/$PROG.json"
	run "$LOADER" --reload="$PIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *"refused its profiles"* ]]
	run "$KDIR/$PROG" pu
	[ "$status" -eq 0 ]

	# no loader: --reload adopts the pins with their options, swaps, leaves
	kill -KILL "$LOADER_PID"
	wait "$LOADER_PID" || true
	LOADER_PID=
	ops_trans psp | put_profile "$KDIR/p/$PROG.json" "$PROG"
	run "$LOADER" --reload="$PIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no loader runs on it: give the profiles"* ]]
	run "$LOADER" --reload="$PIN" "$KDIR/p"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reloaded: $PIN: 1 profiles"* ]]
	# --kill came from the pins: getuid kills again, with no loader
	run "$KDIR/$PROG" pu
	[ "$status" -eq 137 ]

	# a restart with other profiles adopts the pins and reloads them
	mkdir "$KDIR/p2"
	ops_trans pu | write_profile "$KDIR/p2/$PROG.json" "$PROG"
	start_loader --json --kill --pin="$PIN" "$KDIR/p2"
	grep -q "^pinned: $PIN (adopted the running enforcement, reloaded with these profiles)" "$KDIR/loader.err"
	run "$KDIR/$PROG" pu
	[ "$status" -eq 0 ]
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	# the kills of every set are counted, and the backlog was read
	[ "$(summary_of "$PROG" | cut -d' ' -f4)" -eq 2 ]
	grep -q '"kind":"unseen-syscall","action":"killed",.*"transition":\["execve","getpid","getuid"\]' "$KDIR/events"
}
