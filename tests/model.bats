#!/usr/bin/env bats
# The format-2 model in the kernel (docs/design.md sections 1 and 3b):
# signal frames, the transparent set, re-issued calls, the graded policy
# and --calibrate.  Programs are scprog (tests/kernel/scprog.c): the exact
# syscalls a test asks for.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	unique_prog model scm
	build_prog "$PROG"
}

teardown() {
	stop_loader
	[ -n "${KDIR:-}" ] && rm -rf "$KDIR"
}

# learn_live OPS...: a version-2 profile of $PROG in $KDIR/live, learned in
# the kernel from one run of each OPS
learn_live() {
	local ops
	start_loader --learn --comm "$PROG" -o "$KDIR/live"
	for ops in "$@"; do
		"$KDIR/$PROG" "$ops"
	done
	stop_loader
	[ -f "$KDIR/live/$PROG.json" ]
}

row() { # row FILE A B X: the count of transition (A, B) -> X, 0 if none
	jq --arg a "$2" --arg b "$3" --arg x "$4" \
		'[.transitions[] | select(.[0] == $a and .[1] == $b and .[2] == $x) | .[3]] | add // 0' "$1"
}

@test "model: a handler runs from (SIGNAL, SIGNAL) and rt_sigreturn brings the state back" {
	learn_live pAKu
	local p="$KDIR/live/$PROG.json"
	[ "$(jq .version "$p")" -eq 2 ]
	[ "$(row "$p" SIGNAL SIGNAL getuid)" -eq 1 ]
	# after the handler: (getpid, kill) -> getuid, as if no signal came
	[ "$(row "$p" getpid kill getuid)" -eq 1 ]
	[ "$(jq .transparent.rt_sigreturn "$p")" -eq 1 ]
	# nothing learned from the handler's state on to the main line
	[ "$(row "$p" getuid rt_sigreturn getuid)" -eq 0 ]
	start_loader --json --kill "$p"
	run "$KDIR/$PROG" pAKu
	stop_loader
	[ "$status" -eq 0 ]
	[ ! -s "$KDIR/events" ]
}

@test "model: rt_sigreturn with no signal frame open is sigreturn-unexpected, killed" {
	learn_live pAKu
	start_loader --json "$KDIR/live/$PROG.json"
	run "$KDIR/$PROG" pR
	stop_loader
	[ "$(count_kind sigreturn-unexpected)" -eq 1 ]
	grep -q '"transition":\["execve","getpid","rt_sigreturn"\]' "$KDIR/events"
	start_loader --json --kill "$KDIR/live/$PROG.json"
	run "$KDIR/$PROG" pR
	stop_loader
	[ "$status" -ne 0 ]
	grep -q '"kind":"sigreturn-unexpected","action":"killed"' "$KDIR/events"
}

@test "model: transparent calls neither move the state nor are checked" {
	learn_live pspu
	local p="$KDIR/live/$PROG.json"
	[ "$(jq .transparent.nanosleep "$p")" -eq 1 ]
	[ "$(row "$p" execve getpid getpid)" -eq 1 ]
	start_loader --json --kill "$p"
	# no sleep at all, and three: the same transitions
	run "$KDIR/$PROG" ppu
	[ "$status" -eq 0 ]
	run "$KDIR/$PROG" psspsu
	[ "$status" -eq 0 ]
	stop_loader
	[ ! -s "$KDIR/events" ]
	# a transparent call the training never made is outside the syscall set
	jq '.transparent.nanosleep = 0' "$p" > "$KDIR/p0.json"
	start_loader --json "$KDIR/p0.json"
	"$KDIR/$PROG" pspu
	stop_loader
	[ "$(count_kind unseen-syscall)" -ge 1 ]
	grep -q '"transition":\["execve","getpid","nanosleep"\]' "$KDIR/events"
}

@test "model: an interrupted sleep, re-issued, does not move the state" {
	learn_live psu
	start_loader --json --kill "$KDIR/live/$PROG.json"
	"$KDIR/$PROG" pSu &
	local pid=$! st=0
	sleep 0.5; kill -STOP $pid; sleep 0.2; kill -CONT $pid
	wait $pid || st=$?
	stop_loader
	[ "$st" -eq 0 ]
	[ ! -s "$KDIR/events" ]
}

@test "model: --policy graded alerts an unseen transition between known syscalls, kills one outside the set" {
	ops_trans pug | write_profile "$KDIR/p.json" "$PROG"
	start_loader --json --kill --policy graded "$KDIR/p.json"
	run "$KDIR/$PROG" pgu
	[ "$status" -eq 0 ]
	run "$KDIR/$PROG" puo "$KDIR/created"
	[ "$status" -eq 137 ]
	stop_loader
	[ ! -e "$KDIR/created" ] || true	# the openat itself ran: see docs/security.md
	grep -q '"kind":"unseen-transition","action":"alert",.*"transition":\["execve","getpid","getppid"\]' "$KDIR/events"
	grep -q '"kind":"unseen-syscall","action":"killed",.*"transition":\["getpid","getuid","openat"\]' "$KDIR/events"
	# strict, the default: the same unseen transition kills
	start_loader --json --kill "$KDIR/p.json"
	run "$KDIR/$PROG" pgu
	[ "$status" -eq 137 ]
	stop_loader
	grep -q '"kind":"unseen-transition","action":"killed"' "$KDIR/events"
}

@test "model: --calibrate writes thresholds; graded kills a run whose score crosses it" {
	learn_live pupugupu pupugupupupu
	local p="$KDIR/live/$PROG.json"
	jq '.window = 4' "$p" > "$KDIR/w.json" && mv "$KDIR/w.json" "$p"
	! jq -e .threshold "$p" > /dev/null
	start_loader --calibrate "$KDIR/live"
	"$KDIR/$PROG" pupugupu
	"$KDIR/$PROG" pupugupupupu
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	grep -q "^calibrate: $PROG: highest window" "$KDIR/loader.err"
	jq -e '.threshold > 0' "$p"
	start_loader --json --kill --policy graded "$KDIR/live"
	run "$KDIR/$PROG" pupugupu
	[ "$status" -eq 0 ]
	# every step a novelty between known syscalls: alerts, then the score
	run "$KDIR/$PROG" pgpgpgpgpgpg
	[ "$status" -eq 137 ]
	stop_loader
	grep -q '"kind":"unseen-transition","action":"alert"' "$KDIR/events"
	grep -q '"kind":"anomaly-score","action":"killed"' "$KDIR/events"
	# calibrate refuses to kill
	run "$LOADER" --calibrate --kill "$KDIR/live"
	[ "$status" -eq 2 ]
}
