#!/usr/bin/env bats
# Record real programs (the project's sample programs, copied under unique
# names) with strace, extract their profiles, enforce them in the kernel,
# and compare the kernel's verdicts and scores with the offline replay.

load helpers
load kernel-helpers

setup() {
	requires_bpf
	[ -x "$EXTRACTOR" ] || skip "extractor not built"
	[ -x "$ROOT/build/examples/syscfi-demo" ] || skip "examples not built (make examples)"
	KDIR=$(mktemp -d /tmp/syscfi-kx.XXXXXX)
	PROG=$(printf 'skx%d_%d' $$ "$BATS_TEST_NUMBER" | cut -c1-15)
	cp "$ROOT/build/examples/syscfi-demo" "$KDIR/$PROG"
	strace -f -o "$KDIR/normal.syscall" "$KDIR/$PROG" normal "$KDIR/rec.out" > /dev/null
	"$EXTRACTOR" -o "$KDIR/prof" "$KDIR/normal.syscall" 2> /dev/null
	[ -f "$KDIR/prof/$PROG.json" ]
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# kind, transition and score (3 decimals) of each event, sorted: the same
# line format for the kernel's events and extractor --check --json
norm_events() {
	python3 -c '
import json, sys
out = []
for l in sys.stdin:
    e = json.loads(l)
    if e["kind"] in ("exec-unprofiled", "exec-unexpected"):
        out.append("%s %s %s" % (e["kind"], e["profile"], e.get("arg", "")))
        continue
    out.append("%s %s %.3f %d" % (e["kind"], ",".join(e["transition"]), e["score"],
                                 e["score_sum"]))
print("\n".join(sorted(out)))'
}

@test "kernel+extractor: the recorded program runs clean, exit status unchanged" {
	start_loader --json --kill "$KDIR/prof"
	run "$KDIR/$PROG" normal "$KDIR/out"
	[ "$status" -eq 0 ]
	[ -f "$KDIR/out" ]
	stop_loader
	[ ! -s "$KDIR/events" ]
	[ "$(summary_of "$PROG" | cut -d' ' -f1,3,4)" = "1 0 0" ]
}

@test "kernel+extractor: compromised run killed with SIGKILL, its output absent" {
	start_loader --json --kill "$KDIR/prof"
	run "$KDIR/$PROG" compromised "$KDIR/out"
	[ "$status" -eq 137 ]
	[ ! -e "$KDIR/out" ]
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	# its fork: clone is not even in the profile's syscall set
	grep -q '"kind":"unseen-syscall","action":"killed"' "$KDIR/events"
	grep -q "\"comm\":\"$PROG\"" "$KDIR/events"
}

@test "kernel+extractor: same violations and same scores (score_sum, to the bit) as extractor --check" {
	strace -f -o "$KDIR/bad.syscall" "$KDIR/$PROG" compromised > /dev/null
	run "$EXTRACTOR" --check "$KDIR/prof" --json "$KDIR/bad.syscall"
	[ "$status" -eq 1 ]
	echo "$output" | grep '^{' | norm_events > "$KDIR/offline"
	start_loader --json --rate 0 "$KDIR/prof"
	"$KDIR/$PROG" compromised > /dev/null
	stop_loader
	norm_events < "$KDIR/events" > "$KDIR/kernel"
	[ -s "$KDIR/kernel" ]
	diff -u "$KDIR/offline" "$KDIR/kernel"
}

@test "kernel+extractor: threads and children inherit the profile, state per thread" {
	cp "$ROOT/build/examples/syscfi-worker" "$KDIR/skw$$"
	cp "$ROOT/build/examples/syscfi-demo" "$KDIR/syscfi-demo"
	# threads make futex calls or not as they race: three recorded runs,
	# merged, so the enforced run's interleaving is (nearly) always known
	local try
	for i in 1 2 3; do
		for try in 1 2 3 4 5; do
			strace -f -o "$KDIR/w$i.syscall" "$KDIR/skw$$" 4 > /dev/null
			strace_exec_race "$KDIR/w$i.syscall" || break
		done
	done
	"$EXTRACTOR" -o "$KDIR/wprof" "$KDIR"/w[123].syscall 2> /dev/null
	# the exec'd program is an edge, its profile scoped under the worker
	[ -f "$KDIR/wprof/skw$$.d/syscfi-demo.json" ]
	[ ! -e "$KDIR/wprof/syscfi-demo.json" ]
	start_loader --json "$KDIR/wprof"
	run "$KDIR/skw$$" 4
	[ "$status" -eq 0 ]
	stop_loader
	# main + 4 threads + fork child + posix_spawn child, no unseen transition
	# (shown when the test fails: the summary and the events)
	summary_of "skw$$"; cat "$KDIR/events"
	[ "$(summary_of "skw$$" | cut -d' ' -f1,3)" = "7 0" ]
	[ "$(count_kind unseen-transition)" -eq 0 ]
	# both execs bound the scoped profile: checked, no violation
	[ "$(summary_of "skw$$/syscfi-demo" | cut -d' ' -f1,3)" = "2 0" ]
}

@test "kernel+extractor: --kill on a thread's violation kills the whole process" {
	local tk=stk$$
	gcc -O2 -pthread -o "$KDIR/$tk" "$ROOT/tests/kernel/threadkill.c"
	strace -f -o "$KDIR/tk.syscall" "$KDIR/$tk" "$KDIR"
	rm "$KDIR/main.out"
	"$EXTRACTOR" -o "$KDIR/tkprof" "$KDIR/tk.syscall" 2> /dev/null
	start_loader --json --kill "$KDIR/tkprof"
	run "$KDIR/$tk" "$KDIR"
	[ "$status" -eq 0 ]
	[ -f "$KDIR/main.out" ]
	rm "$KDIR/main.out"
	run "$KDIR/$tk" bad "$KDIR"
	[ "$status" -eq 137 ]
	# the main thread was asleep, not violating: it died with its process
	[ ! -e "$KDIR/main.out" ]
	stop_loader
	[ "$(wc -l < "$KDIR/events")" -eq 1 ]
	run cat "$KDIR/events"
	[[ "$output" == *'"transition":["rt_sigprocmask","read","getppid"]'* ]]
	local pid tid
	pid=$(sed 's/.*"pid":\([0-9]*\),.*/\1/' "$KDIR/events")
	tid=$(sed 's/.*"tid":\([0-9]*\),.*/\1/' "$KDIR/events")
	[ "$pid" != "$tid" ]
}
