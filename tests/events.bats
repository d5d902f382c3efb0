#!/usr/bin/env bats
# Events that are never lost or forged (docs/security.md, "Events"):
# hostile names and paths in JSON and text, a reader that goes away,
# storms that must not hide another profile's event, stale bytes; and the
# small refusals around them (i386 profiles, -o folders, profile files that
# are not regular files).  tests/kernel/evprog.c makes exactly the
# syscalls of its letters.

load helpers
load kernel-helpers

setup() {
	unique_prog events ev
	gcc -O2 -static -nostdlib -fno-stack-protector \
		-fno-tree-loop-distribute-patterns -o "$KDIR/$PROG" \
		"$ROOT/tests/kernel/evprog.c"
}

teardown() {
	stop_loader
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
}

# profile_json FILE COMM [EXE]: a profile that knows only START execve
# exit_group, so that every other syscall is a violation; any bytes in COMM
# and EXE (jq escapes them)
profile_json() {
	jq -n --arg comm "$2" --arg exe "${3:-}" '{format: "syscfi-profile",
		version: 1, comm: $comm, arch: "x86_64", depth: 2, window: 32,
		stats: {traces: 1, tasks: 1, syscalls: 1},
		transitions: [["START", "execve", "exit_group", 1]]}
		+ (if $exe == "" then {} else {exe: $exe} end)' > "$1"
}

# check_accounts EVENTS ERR json|text: for every profile of the summary,
# lines delivered + dropped = violations, and more than 0 violations;
# with json, every line must parse as strict UTF-8 JSON
check_accounts() {
	PYTHONPATH="$ROOT/tests" PYTHONDONTWRITEBYTECODE=1 python3 - "$@" <<'EOF'
import json, re, sys
from text_escape import esc
events, err, mode = sys.argv[1:4]

got = {}
for line in open(events, 'rb').read().split(b'\n')[:-1]:
    if mode == 'json':
        o = json.loads(line)            # bytes: strict UTF-8, or it raises
        name = esc(o['profile'].encode())
    else:
        m = re.search(rb' profile=(\S+) ', line)
        name = m.group(1).decode()
    got[name] = got.get(name, 0) + 1
bad = 0
for line in open(err, 'rb').read().decode('ascii').splitlines():
    f = line.split()
    if len(f) == 7 and f[0] == 'summary:' and f[1] != 'profile':
        viol, dropped = int(f[4]), int(f[6])
        n = got.pop(f[1], 0)
        print(f[1], 'violations', viol, 'delivered', n, 'dropped', dropped)
        if viol == 0 or n + dropped != viol:
            bad = 1
if got:
    print('events of no profile in the summary:', got)
    bad = 1
sys.exit(bad)
EOF
}

# the hostile run: three programs, each under its own profile
#  - PROG renames itself to bad UTF-8 and to a name cut inside a
#    two-byte character, and opens paths with a newline, ESC and a bad byte
#  - a copy named so that its 15-byte comm is cut inside a character,
#    bound by its exe
#  - a copy whose name, and so its profile's, holds a newline and ESC
hostile_run() {
	local cut hostile
	cut="$KDIR/$(printf '%-14s' "$PROG" | tr ' ' x)é"
	hostile="h${PROG:2:8}"$'\n\e]2'
	cp "$KDIR/$PROG" "$cut"
	cp "$KDIR/$PROG" "$KDIR/$hostile"
	profile_json "$KDIR/p1.json" "$PROG"
	profile_json "$KDIR/p2.json" "${PROG:0:14}c" "$cut"
	profile_json "$KDIR/p3.json" "$hostile"
	start_loader "$@" --rate 0 "$KDIR/p1.json" "$KDIR/p2.json" "$KDIR/p3.json"
	"$KDIR/$PROG" nonoo $'\xff\xfe\x80AB' "$KDIR/"$'x\ny\e[31mz' \
		"aaaaaaaaaaaaaa"$'\xc3\xa9' "$KDIR/p"$'\xff' \
		"$KDIR/"$'2026-01-01T00:00:00.000000Z violation forged'
	"$cut" Z 2
	"$KDIR/$hostile" Z 2
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
}

@test "events: --json delivers every violation of bad UTF-8 comms, cut comms and hostile paths, each line valid JSON" {
	requires_bpf
	hostile_run --json
	cat "$KDIR/loader.err"
	run check_accounts "$KDIR/events" "$KDIR/loader.err" json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 3 ]
	# ASCII only: no raw control or high byte reaches a terminal
	! LC_ALL=C grep -q $'[\x01-\x1f\x7f-\xff]' "$KDIR/events"
	run python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], "rb")]
comms = {e["comm"] for e in ev}
args = {e["arg"] for e in ev if e["arg"]}
assert "\ufffd\ufffd\ufffdAB" in comms, comms
assert "aaaaaaaaaaaaaa\ufffd" in comms, comms
assert sys.argv[2] + "/x\ny\x1b[31mz" in args, args
assert sys.argv[2] + "/p\ufffd" in args, args
assert any(e["profile"].endswith("\n\x1b]2") for e in ev)
' "$KDIR/events" "$KDIR"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "events: text events escape newlines, ESC and bad bytes: one line an event, none forged" {
	requires_bpf
	hostile_run
	run check_accounts "$KDIR/events" "$KDIR/loader.err" text
	echo "$output"
	[ "$status" -eq 0 ]
	# every line is an event of its own: none starts inside a path
	run grep -cv '^[0-9-]*T[0-9:]*\.[0-9]*Z violation [a-z-]* \(alert\|killed\) pid=' "$KDIR/events"
	[ "$output" = 0 ]
	! LC_ALL=C grep -q $'[\x01-\x1f\x7f-\xff]' "$KDIR/events"
	grep -qF 'arg='"$KDIR"'/x\ny\x1b[31mz' "$KDIR/events"
	grep -qF 'comm=\xff\xfe\x80AB ' "$KDIR/events"
	grep -qF 'violation\x20forged' "$KDIR/events"
}

@test "events: a reader that goes away (| head -1) does not end enforcement" {
	requires_bpf
	profile_json "$KDIR/p.json" "$PROG"
	mkfifo "$KDIR/pipe"
	head -1 < "$KDIR/pipe" > "$KDIR/first" &
	local head_pid=$! i
	: > "$KDIR/loader.err"
	"$LOADER" --kill --json "$KDIR/p.json" > "$KDIR/pipe" 2> "$KDIR/loader.err" &
	LOADER_PID=$!
	for ((i = 0; i < 200; i++)); do
		grep -q '^ready:' "$KDIR/loader.err" && break
		sleep 0.05
	done
	run "$KDIR/$PROG" Z 1
	[ "$status" -eq 137 ]
	wait "$head_pid"			# the reader got its line and left
	grep -q '"action":"killed"' "$KDIR/first"
	run "$KDIR/$PROG" Z 1		# its event meets the closed pipe
	[ "$status" -eq 137 ]
	sleep 0.5
	run "$KDIR/$PROG" Z 1		# and the loader still enforces
	[ "$status" -eq 137 ]
	kill -0 "$LOADER_PID"
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	grep -q '^loader: cannot write events: Broken pipe' "$KDIR/loader.err"
	[ "$(grep -c 'cannot write events' "$KDIR/loader.err")" -eq 1 ]
	grep -q '^summary: 2 events could not be written (Broken pipe; counted in dropped)$' "$KDIR/loader.err"
	[ "$(summary_of "$PROG")" = "3 3 3 3 2" ]
}

# storm_run RATE ARGS...: profile a (PROG, plus the "a b x" lines of
# $KDIR/a.trans if there are any) storms with ARGS while the
# loader (--rate RATE) reads nothing, so that only the ring holds events;
# then b, a copy under another profile, makes one violation.  Every profile
# must account for each violation, and b's event must be delivered, not
# only counted
storm_run() {
	local rate=$1 b="${PROG:0:14}b"
	shift
	profile_json "$KDIR/a.json" "$PROG"
	if [ -f "$KDIR/a.trans" ]; then
		jq --arg t "$(cat "$KDIR/a.trans")" '.transitions += [$t | split("\n")[] |
			split(" ") + [1]]' "$KDIR/a.json" > "$KDIR/a.tmp"
		mv "$KDIR/a.tmp" "$KDIR/a.json"
	fi
	cp "$KDIR/$PROG" "$KDIR/$b"
	profile_json "$KDIR/b.json" "$b"
	start_loader --json --rate "$rate" "$KDIR/a.json" "$KDIR/b.json"
	kill -STOP "$LOADER_PID"
	"$KDIR/$PROG" "$@"
	"$KDIR/$b" Z 1
	kill -CONT "$LOADER_PID"
	stop_loader
	check_accounts "$KDIR/events" "$KDIR/loader.err" json
	[ "$(grep -c "\"profile\":\"$b\"" "$KDIR/events")" -eq 1 ]
}

@test "events: a storm of fresh children of one profile hides no event of another" {
	requires_bpf
	# the parent's own forks and waits are known: only its 600 children
	# violate, 3 times each
	printf '%s\n' "START execve fork" "execve fork wait4" "fork wait4 fork" \
		"wait4 fork wait4" "fork wait4 exit_group" > "$KDIR/a.trans"
	storm_run 10 f 600
	# a child starts with its parent's bucket and a fork costs the parent
	# a token: about 20 + 19 + ... events, then 10 a second, where a full
	# burst a child would fill the ring up to its reserve (about 847)
	local a
	a=$(grep -c "\"profile\":\"$PROG\"" "$KDIR/events")
	echo "storm events delivered: $a"
	[ "$a" -le 300 ]
}

@test "events: with no rate limit, one profile's storm leaves the ring's reserve to another" {
	requires_bpf
	storm_run 0 Z 5000
	grep -q '^summary: [0-9]* events of profiles that filled the ring to its reserve not sent' "$KDIR/loader.err"
}

@test "events: connect with a 3-byte sockaddr shows no byte of an earlier event" {
	requires_bpf
	profile_json "$KDIR/p.json" "$PROG"
	start_loader --json --rate 0 "$KDIR/p.json"
	# 1201 events of 232 bytes go round the 256 KiB ring: the last one
	# lands on bytes an earlier event's long path filled
	"$KDIR/$PROG" C 800
	sleep 0.5
	"$KDIR/$PROG" Cc 399
	stop_loader
	[ "$(summary_of "$PROG" | cut -d' ' -f3,5)" = "1202 0" ]
	grep -q '"arg":"unix:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"' "$KDIR/events"
	run grep -c '"arg":"unix:a"' "$KDIR/events"
	[ "$output" -eq 1 ]
}

@test "events: an i386 profile is refused with file:line:column, exit 2" {
	profile_json "$KDIR/p.json" "$PROG"
	jq '.arch = "i386"' "$KDIR/p.json" > "$KDIR/i386.json"
	rm "$KDIR/p.json"
	run timeout 10 "$LOADER" --duration 1 "$KDIR"
	[ "$status" -eq 2 ]
	echo "$output"
	local line
	line=$(grep -n '"arch"' "$KDIR/i386.json" | cut -d: -f1)
	[[ "$output" == "loader: $KDIR/i386.json:$line:3: \"arch\": \"i386\": only x86_64 profiles can be enforced in the kernel" ]]
}

@test "events: --learn -o refuses a symlink, another user's folder and one others may write" {
	[ "$(id -u)" -eq 0 ] || skip "not root"
	mkdir -m 755 "$KDIR/real"
	ln -s "$KDIR/real" "$KDIR/link"
	mkdir -m 777 "$KDIR/open"
	mkdir -m 755 "$KDIR/theirs"
	chown nobody "$KDIR/theirs"
	chmod 755 "$KDIR"
	# DIR, then the folder whose check fails and why; nothing is made
	local d why
	while IFS='|' read -r d why; do
		run timeout 10 "$LOADER" --learn --duration 1 --comm x -o "$KDIR/$d"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == "loader: -o $KDIR/$d: $why (the learner writes as root"* ]]
	done <<-EOF
		link|link: a symbolic link
		link/sub|link: a symbolic link
		open|open: writable by group or others
		open/sub|open: writable by group or others
		theirs|theirs: not owned by root
	EOF
	[ ! -e "$KDIR/real/sub" ] && [ ! -e "$KDIR/open/sub" ]
	# a safe one passes the check (and fails later on a bad profile in it)
	echo '{' > "$KDIR/real/bad.json"
	run timeout 10 "$LOADER" --learn --duration 1 --comm x -o "$KDIR/real"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.json:"* ]]
}

@test "events: a FIFO, a link to /dev/zero and a too-big file are refused by name, exit 2, no hang" {
	profile_json "$KDIR/a.json" "$PROG"
	mkdir "$KDIR/fifo" "$KDIR/zero" "$KDIR/big"
	cp "$KDIR/a.json" "$KDIR/fifo/a.json"
	mkfifo "$KDIR/fifo/b.json"
	ln -s /dev/zero "$KDIR/zero/b.json"
	truncate -s 257M "$KDIR/big/b.json"
	run timeout 10 "$LOADER" "$KDIR/fifo"
	[ "$status" -eq 2 ]
	[ "$output" = "loader: $KDIR/fifo/b.json: not a regular file" ]
	run timeout 10 "$LOADER" "$KDIR/zero"
	[ "$status" -eq 2 ]
	[ "$output" = "loader: $KDIR/zero/b.json: not a regular file" ]
	run timeout 10 "$LOADER" "$KDIR/big"
	[ "$status" -eq 2 ]
	[ "$output" = "loader: $KDIR/big/b.json: 269484032 bytes: a profile is at most 256 MiB" ]
	run timeout 10 "$EXTRACTOR" --check "$KDIR/fifo" /dev/null
	[ "$status" -eq 2 ]
}
