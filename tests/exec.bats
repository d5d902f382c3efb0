#!/usr/bin/env bats
# Exec edges (design.md section 2): a profiled task's exec is checked
# against its profile's edges, the target binds the profile scoped under
# it or runs unprofiled, and nothing else switches profile silently.
# Every test but the offline ones runs the real BPF program.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog exec sce
	build_prog "$PROG"
	# a second program, with a top-level profile of its own in most tests
	OTHER=$(printf 'sco%d_%d' $$ "$BATS_TEST_NUMBER" | cut -c1-15)
	build_prog "$OTHER"
	mkdir -p "$KDIR/p/$PROG.d"
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# with_edges FILE JSON: FILE's profile gets "exec": JSON
with_edges() {
	jq --argjson e "$2" '. + {exec: $e}' "$1" > "$1.tmp"
	mv "$1.tmp" "$1"
}

# PROG's profile: getpid, then the exec of argv[3]; edges JSON
prog_execs() {
	ops_trans px | write_profile "$KDIR/p/$PROG.json" "$PROG"
	with_edges "$KDIR/p/$PROG.json" "$1"
}

@test "exec: exec of another profiled program that training never exec'd is killed (exec-unexpected)" {
	prog_execs '[]'
	# OTHER run alone (no letters): execve, exit_group, in its own profile
	ops_trans "" | write_profile "$KDIR/p/$OTHER.json" "$OTHER"
	start_loader --json --kill "$KDIR/p"
	run "$KDIR/$OTHER"
	[ "$status" -eq 0 ]
	run "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	[ "$status" -eq 137 ]
	stop_loader
	cat "$KDIR/events"
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q "\"kind\":\"exec-unexpected\",\"action\":\"killed\".*\"profile\":\"$PROG\",\"transition\":\[\"getpid\",\"execve\"\].*\"arg\":\"$KDIR/$OTHER\"" "$KDIR/events"
	[ "$(summary_of "$PROG" | cut -d' ' -f3,4)" = "1 1" ]
}

@test "exec: a recorded target binds its scoped profile, and that profile's violation is caught" {
	prog_execs "[{\"path\":\"$KDIR/$OTHER\",\"profile\":\"$OTHER\"}]"
	# alone, OTHER's own run is allowed; exec'd by PROG it must getpid first
	ops_trans "" | write_profile "$KDIR/p/$OTHER.json" "$OTHER"
	ops_trans p | write_profile "$KDIR/p/$PROG.d/$OTHER.json" "$OTHER"
	ln "$KDIR/$OTHER" "$KDIR/hardlink$$"
	start_loader --json "$KDIR/p"
	run "$KDIR/$OTHER"
	[ "$status" -eq 0 ]
	run "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	[ "$status" -eq 0 ]
	# another path to the same file is the same binary: the same edge
	run "$KDIR/$PROG" px "" "$KDIR/hardlink$$"
	[ "$status" -eq 0 ]
	stop_loader
	cat "$KDIR/events"
	[ "$(wc -l < "$KDIR/events")" -eq 2 ]
	[ "$(grep -c "\"kind\":\"unseen-transition\".*\"profile\":\"$PROG/$OTHER\",\"transition\":\[\"START\",\"execve\",\"exit_group\"\]" "$KDIR/events")" -eq 2 ]
	[ "$(summary_of "$OTHER" | cut -d' ' -f1,3)" = "1 0" ]
	[ "$(summary_of "$PROG/$OTHER" | cut -d' ' -f1,3)" = "2 2" ]

	start_loader --json --kill "$KDIR/p"
	run "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	[ "$status" -eq 137 ]
	stop_loader
	grep -q "\"kind\":\"unseen-transition\",\"action\":\"killed\".*\"profile\":\"$PROG/$OTHER\"" "$KDIR/events"
}

@test "exec: a recorded hand-over runs the target unprofiled, with no event" {
	prog_execs "[{\"path\":\"$KDIR/$OTHER\",\"profile\":null}]"
	# OTHER's own profile would not allow its run
	ops_trans p | write_profile "$KDIR/p/$OTHER.json" "$OTHER"
	start_loader --json --kill "$KDIR/p"
	run "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	[ "$status" -eq 0 ]
	run "$KDIR/$OTHER"
	[ "$status" -eq 137 ]
	stop_loader
	cat "$KDIR/events"
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	grep -q "\"profile\":\"$OTHER\"" "$KDIR/events"
	[ "$(summary_of "$PROG" | cut -d' ' -f1,3)" = "1 0" ]
}

@test "exec: a #! script does not bind to its interpreter's exe profile" {
	# PROG as an interpreter, profiled by exe; its profile allows getpid only
	ops_trans p | write_profile "$KDIR/p/$PROG.json" "$PROG" "$KDIR/$PROG"
	# the kernel runs: PROG u SCRIPT, so PROG makes a getuid
	printf '#!%s u\n' "$KDIR/$PROG" > "$KDIR/script$$"
	chmod +x "$KDIR/script$$"
	start_loader --json "$KDIR/p"
	run "$KDIR/script$$"
	[ "$status" -eq 0 ]
	"$KDIR/$PROG" u &
	local pid=$!
	wait $pid
	stop_loader
	cat "$KDIR/events"
	# the direct run only: bound by exe, its getuid is unseen
	grep -q "\"pid\":$pid,.*\"transition\":\[\"START\",\"execve\",\"getuid\"\]" "$KDIR/events"
	[ "$(grep -vc "\"pid\":$pid," "$KDIR/events")" -eq 0 ]
}

@test "exec: a script's edge is its path as exec'd, and binds the script's scoped profile" {
	printf '#!%s u\n' "$KDIR/$OTHER" > "$KDIR/script$$"
	chmod +x "$KDIR/script$$"
	ln -s "$KDIR/script$$" "$KDIR/alias$$"
	prog_execs "[{\"path\":\"$KDIR/script$$\",\"profile\":\"script$$\"}]"
	# what the interpreter does for the script: getuid, exit
	ops_trans u | write_profile "$KDIR/p/$PROG.d/script$$.json" "script$$"
	start_loader --json --kill "$KDIR/p"
	run "$KDIR/$PROG" px "" "$KDIR/script$$"
	[ "$status" -eq 0 ]
	# the interpreter itself, or the script by another path, has no edge
	run "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	[ "$status" -eq 137 ]
	run "$KDIR/$PROG" px "" "$KDIR/alias$$"
	[ "$status" -eq 137 ]
	# the scoped profile checks what the script makes the interpreter do
	printf '#!%s p\n' "$KDIR/$OTHER" > "$KDIR/script$$"
	run "$KDIR/$PROG" px "" "$KDIR/script$$"
	[ "$status" -eq 137 ]
	stop_loader
	cat "$KDIR/events"
	[ "$(count_kind exec-unexpected)" -eq 2 ]
	grep -q "\"kind\":\"unseen-syscall\",\"action\":\"killed\".*\"profile\":\"$PROG/script$$\",\"transition\":\[\"START\",\"execve\",\"getpid\"\]" "$KDIR/events"
	[ "$(summary_of "$PROG/script$$" | cut -d' ' -f1,3)" = "2 1" ]
}

@test "exec: a scoped profile never binds by name across the machine" {
	prog_execs "[{\"path\":\"$KDIR/$OTHER\",\"profile\":\"$OTHER\"}]"
	ops_trans p | write_profile "$KDIR/p/$PROG.d/$OTHER.json" "$OTHER" "$KDIR/$OTHER"
	start_loader --json --kill "$KDIR/p"
	# run by the test's shell, OTHER is not PROG's: no profile (comm or exe)
	run "$KDIR/$OTHER"
	[ "$status" -eq 0 ]
	stop_loader
	[ ! -s "$KDIR/events" ]
}

@test "exec: an edge naming a profile its scope folder lacks is refused, file named" {
	prog_execs "[{\"path\":\"$KDIR/$OTHER\",\"profile\":\"nosuch\"}]"
	run "$LOADER" "$KDIR/p"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$KDIR/p/$PROG.json: exec edge $KDIR/$OTHER names profile \"nosuch\""* ]]
	prog_execs '[{"path":"bin/sh","profile":null}]'
	run "$LOADER" "$KDIR/p"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$PROG.json:"*"path bin/sh: not an absolute path"* ]]
}

@test "exec: the kernel's exec events equal extractor --check on the same runs" {
	command -v strace > /dev/null || skip "strace not installed"
	# PROG recorded exec'ing OTHER: an edge and a scoped profile
	strace -f -o "$KDIR/rec.syscall" "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	"$EXTRACTOR" -q -o "$KDIR/prof" "$KDIR/rec.syscall"
	[ -f "$KDIR/prof/$PROG.d/$OTHER.json" ]
	[ "$(jq -c .exec "$KDIR/prof/$PROG.json")" = "[{\"path\":\"$KDIR/$OTHER\",\"profile\":\"$OTHER\"}]" ]
	# a third program with a top-level profile of its own
	local third=sct$$
	build_prog "$third"
	ops_trans "" | write_profile "$KDIR/prof/$third.json" "$third"
	norm() {
		jq -r '[.kind, .profile, (.arg // "")] | join(" ")' | sort
	}
	# recorded target (clean), unrecorded target with a profile, no profile
	strace -f -o "$KDIR/a.syscall" "$KDIR/$PROG" px "" "$KDIR/$OTHER"
	strace -f -o "$KDIR/b.syscall" "$KDIR/$PROG" px "" "$KDIR/$third"
	strace -f -o "$KDIR/c.syscall" "$KDIR/$PROG" px "" /bin/true
	run "$EXTRACTOR" --check "$KDIR/prof" --json "$KDIR"/[abc].syscall
	[ "$status" -eq 1 ]
	echo "$output" | grep '^{' | norm > "$KDIR/offline"
	start_loader --json --rate 0 "$KDIR/prof"
	"$KDIR/$PROG" px "" "$KDIR/$OTHER"
	"$KDIR/$PROG" px "" "$KDIR/$third"
	"$KDIR/$PROG" px "" /bin/true
	stop_loader
	norm < "$KDIR/events" > "$KDIR/kernel"
	cat "$KDIR/kernel"
	[ "$(wc -l < "$KDIR/kernel")" -eq 2 ]
	grep -q "^exec-unexpected $PROG $KDIR/$third$" "$KDIR/kernel"
	grep -q "^exec-unexpected $PROG /bin/true$" "$KDIR/kernel"
	diff -u "$KDIR/offline" "$KDIR/kernel"
}

@test "exec: --learn scopes what a learned program execs; --kill then spares an unrelated rm" {
	local lp=lrn$$
	printf 'in\n' > "$KDIR/in"
	printf '#!/bin/sh\n/bin/sh -c "rm -f %s/gone; cat %s/in"\n' "$KDIR" "$KDIR" > "$KDIR/$lp"
	chmod +x "$KDIR/$lp"
	start_loader --learn --comm "$lp" -o "$KDIR/live" --interval 60
	"$KDIR/$lp" > /dev/null
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	find "$KDIR/live" | sort
	# no helper got a top-level profile
	[ "$(ls "$KDIR/live" | tr '\n' ' ')" = "$lp.d $lp.json " ]
	[ "$(ls "$KDIR/live/$lp.d" | tr '\n' ' ')" = "sh.d sh.json " ]
	[ -f "$KDIR/live/$lp.d/sh.d/rm.json" ]
	[ -f "$KDIR/live/$lp.d/sh.d/cat.json" ]
	[ "$(jq -c .exec "$KDIR/live/$lp.json")" = '[{"path":"/bin/sh","profile":"sh"}]' ]
	jq -e '.exec | map(.profile) | index("rm") and index("cat")' "$KDIR/live/$lp.d/sh.json"

	start_loader --json --kill "$KDIR/live"
	# an unrelated rm and cat, run by the test's shell, are not profiled
	touch "$KDIR/other"
	run rm -f "$KDIR/other"
	[ "$status" -eq 0 ]
	run cat "$KDIR/in"
	[ "$status" -eq 0 ]
	stop_loader
	[ ! -e "$KDIR/other" ]
	[ ! -s "$KDIR/events" ]
}
