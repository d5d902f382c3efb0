#!/usr/bin/env bats
# The loader's command line: usage, exit codes, refusals, clean stop.

load helpers
load kernel-helpers

setup() {
	KDIR=$(mktemp -d /tmp/syscfi-loader.XXXXXX)
	chmod 755 "$KDIR"
	PROG=$(printf 'scl%d_%d' $$ "$BATS_TEST_NUMBER" | cut -c1-15)
	ops_trans pu | write_profile "$KDIR/good.json" "$PROG"
	chmod 644 "$KDIR/good.json"
}

teardown() {
	stop_loader
	rm -rf "$KDIR"
}

@test "loader: -h shows usage with EXAMPLES and exits 0" {
	[ -x "$LOADER" ] || skip "loader not built"
	run "$LOADER" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: loader"* ]]
	[[ "$output" == *"EXAMPLES"* ]]
	[[ "$output" == *"--kill"* ]]
}

@test "loader: no profile argument is bad usage (exit 2)" {
	[ -x "$LOADER" ] || skip "loader not built"
	run "$LOADER" --json
	[ "$status" -eq 2 ]
	[[ "$output" == *"no profiles given"* ]]
}

@test "loader: bad numeric options are refused with exit 2" {
	[ -x "$LOADER" ] || skip "loader not built"
	run "$LOADER" --threshold abc "$KDIR/good.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--threshold: invalid value 'abc'"* ]]
	run "$LOADER" --duration -3 "$KDIR/good.json"
	[ "$status" -eq 2 ]
	run "$LOADER" --rate 1x "$KDIR/good.json"
	[ "$status" -eq 2 ]
	run "$LOADER" --no-such-option "$KDIR/good.json"
	[ "$status" -eq 2 ]
}

@test "loader: the hot-slot switch is a testing aid, not an option" {
	[ -x "$LOADER" ] || skip "loader not built"
	run "$LOADER" -h
	[[ "$output" != *"hot"* ]]
	run "$LOADER" --no-hot-slots "$KDIR/good.json"
	[ "$status" -eq 2 ]
	SYSCFI_TEST_NO_HOT_SLOTS=yes run "$LOADER" "$KDIR/good.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"SYSCFI_TEST_NO_HOT_SLOTS=yes: only 1 is understood"* ]]
}

@test "loader: a bad profile in a set is exit 2 naming file:line:column" {
	[ -x "$LOADER" ] || skip "loader not built"
	mkdir "$KDIR/set"
	cp "$KDIR/good.json" "$KDIR/set/a.json"
	printf '%s\n' "START execve nosuchcall" | write_profile "$KDIR/set/b.json" "sclbad$$"
	run "$LOADER" "$KDIR/set"
	[ "$status" -eq 2 ]
	[[ "$output" == *"b.json:10:"*"nosuchcall"* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
}

@test "loader: an empty profile directory is exit 2" {
	[ -x "$LOADER" ] || skip "loader not built"
	mkdir "$KDIR/empty"
	run "$LOADER" "$KDIR/empty"
	[ "$status" -eq 2 ]
}

@test "loader: not root is exit 1 with a one-line reason" {
	[ -x "$LOADER" ] || skip "loader not built"
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv missing"
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$LOADER" "$KDIR/good.json"
	else
		run "$LOADER" "$KDIR/good.json"
	fi
	[ "$status" -eq 1 ]
	[ "$output" = "loader: must run as root (needs CAP_BPF and CAP_PERFMON)" ]
}

@test "loader: --duration stops cleanly with ready line and summary" {
	requires_bpf
	run "$LOADER" --duration 0.5 "$KDIR/good.json"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ready: 1 profiles, 3 transitions" ]]
	[[ "$output" == *"summary: profile"* ]]
	[[ "$output" == *"summary: $PROG "* ]]
}

@test "loader: SIGTERM detaches everything; nothing stays loaded or pinned" {
	requires_bpf
	start_loader "$KDIR/good.json"
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$LOADER_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u)
	[ -n "$ids" ]
	kill -TERM "$LOADER_PID"
	LOADER_RC=0
	wait "$LOADER_PID" || LOADER_RC=$?
	LOADER_PID=
	[ "$LOADER_RC" -eq 0 ]
	grep -q '^summary:' "$KDIR/loader.err"
	local id
	for id in $ids; do
		! bpftool prog show id "$id" >/dev/null 2>&1
	done
}

@test "loader: text events name kind, pid, comm, profile and transition" {
	requires_bpf
	build_prog "$PROG"
	start_loader "$KDIR/good.json"
	"$KDIR/$PROG" pg
	stop_loader
	run cat "$KDIR/events"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *" violation unseen-syscall alert pid="*" comm=$PROG profile=$PROG transition=execve,getpid,getppid score="* ]]
}

@test "loader: hundreds of profiles load, maps sized from the set" {
	requires_bpf
	mkdir "$KDIR/many"
	local i
	for ((i = 0; i < 300; i++)); do
		ops_trans pugpug | write_profile "$KDIR/many/p$i.json" "scm${$}_$i"
	done
	run "$LOADER" --duration 0.2 "$KDIR/many"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ready: 300 profiles, 1800 transitions" ]]
}
