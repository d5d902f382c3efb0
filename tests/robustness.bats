#!/usr/bin/env bats
# Bad input, nothing lost: truncated, binary, huge-line, deeply
# nested and duplicate-key inputs are refused or skipped with file:line and
# a reason; a bad profile in a set loads nothing; a profile is never half
# written; missing files write nothing.  The fuzzers' kept inputs
# (tests/testdata/fuzz-regress/) go through the real extractor, and the
# extractor runs once under valgrind.  make sanitize runs this file against
# the ASan/UBSan build (SYSCFI_EXTRACTOR), where a sanitizer report exits 86.

load helpers

setup() {
	TMP="$(mktemp -d)"
	cd "$TESTDATA"
}

teardown() {
	rm -rf "$TMP"
}

# 4 KiB of every byte value (NUL and newline too) in a fixed order
garbage() {
	local i o
	for ((i = 0; i < 4096; i++)); do
		printf -v o '%03o' $(( (i * 2654435761 + 12345) >> 7 & 255 ))
		printf "\\$o"
	done
}

# a small valid profile; $1 = comm, the rest = extra rows
profile() {
	local comm=$1 row
	shift
	printf '{\n  "format": "syscfi-profile",\n  "version": 1,\n'
	printf '  "comm": "%s",\n  "arch": "x86_64",\n  "depth": 2,\n' "$comm"
	printf '  "stats": {"traces": 1, "tasks": 1, "syscalls": 2},\n'
	printf '  "transitions": [\n    ["START", "execve", "brk", 1]'
	for row in "$@"; do printf ',\n    %s' "$row"; done
	printf '\n  ]\n}\n'
}

syscalls_of() { # profile -> stats.syscalls
	jq .stats.syscalls "$1"
}

# ---- traces --------------------------------------------------------------

@test "truncated trace: the cut line is named file:line, the rest is learned" {
	{ head -n 40 worker.syscall; sed -n 41p worker.syscall | head -c 20; } \
		> "$TMP/cut.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/cut.syscall"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cut.syscall:41: line cut short at end of file"* ]]
	[[ "$output" == *"1 lines cut short"* ]]
	# 40 whole lines, the cut call kept as entered: nothing before it lost
	head -n 41 worker.syscall > "$TMP/whole.syscall"
	"$EXTRACTOR" -q -o "$TMP/w" "$TMP/whole.syscall"
	[ "$(syscalls_of "$TMP/p/syscfi-worker.json")" -eq \
	  "$(syscalls_of "$TMP/w/syscfi-worker.json")" ]
}

@test "binary garbage trace: every bad line named file:line, exit 2, nothing written" {
	garbage > "$TMP/bin.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/bin.syscall"
	[ "$status" -eq 2 ]
	[[ "$output" =~ bin\.syscall:1:\ [a-z] ]]
	[[ "$output" =~ [1-9][0-9]*\ malformed\ lines\ skipped ]]
	[[ "$output" =~ bin\.syscall:\ no\ syscall\ line\ in\ it ]]
	[ ! -e "$TMP/p" ] || [ -z "$(ls "$TMP/p")" ]
	# every message names the file (and a line, but for the verdict)
	other=$(grep -v -e '^extractor: [^ ]*bin\.syscall:[0-9][0-9]*: ' \
		-e '^extractor: [0-9]* malformed' \
		-e '^extractor: [^ ]*bin\.syscall: no syscall line' \
		<<< "$output" || true)
	[ -z "$other" ]
}

@test "an empty trace file is an error (exit 2), not an empty profile set" {
	: > "$TMP/empty.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/empty.syscall"
	[ "$status" -eq 2 ]
	[[ "$output" =~ empty\.syscall:\ no\ syscall\ line ]]
	[ ! -e "$TMP/p" ]
}

@test "garbage between the lines of a real trace loses none of its syscalls" {
	"$EXTRACTOR" -q -o "$TMP/clean" demo-normal.syscall
	{ head -n 10 demo-normal.syscall; garbage; echo
	  tail -n +11 demo-normal.syscall; } > "$TMP/mixed.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/mixed.syscall"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mixed.syscall:11: "* ]]
	cmp "$TMP/clean/syscfi-demo.json" "$TMP/p/syscfi-demo.json"
}

@test "a 10 MB line: refused as one line by number, the trace around it kept" {
	{ head -c 10485760 /dev/zero | tr '\0' x; echo; cat demo-normal.syscall; } \
		> "$TMP/huge.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/huge.syscall"
	[ "$status" -eq 0 ]
	[[ "$output" == *"huge.syscall:1: not a syscall line"* ]]
	[[ "$output" == *"1 malformed lines skipped"* ]]
	"$EXTRACTOR" -q -o "$TMP/clean" demo-normal.syscall
	cmp "$TMP/clean/syscfi-demo.json" "$TMP/p/syscfi-demo.json"
}

@test "a 10 MB syscall line (a long string argument) is one syscall" {
	n=$(grep -n '^read(' demo-normal.syscall | head -1 | cut -d: -f1)
	[ -n "$n" ]
	{ head -n $((n - 1)) demo-normal.syscall
	  printf 'read(3, "'; head -c 10485760 /dev/zero | tr '\0' a
	  printf '"..., 4096) = 4096\n'
	  tail -n +$((n + 1)) demo-normal.syscall; } > "$TMP/long.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/long.syscall"
	[ "$status" -eq 0 ]
	"$EXTRACTOR" -q -o "$TMP/clean" demo-normal.syscall
	cmp "$TMP/clean/syscfi-demo.json" "$TMP/p/syscfi-demo.json"
}

@test "pids past any pid (20 digits, [pid -3]): refused by line, no overflow" {
	f="$TESTDATA/fuzz-regress/parse/pid-overflow"
	run "$EXTRACTOR" -o "$TMP/p" "$f"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pid-overflow:2: pid out of range"* ]]
	[[ "$output" == *"pid-overflow:5: bad [pid N] prefix"* ]]
	[[ "$output" == *"pid-overflow:6: bad [pid N] prefix"* ]]
	[[ "$output" == *"3 malformed lines skipped"* ]]
}

@test "100000 tids never seen created fit in 300 MB (buffers grow by need)" {
	awk 'BEGIN { for (i = 1; i <= 100000; i++)
		printf "%d read(0, \"\", 1) = 0\n", i + 100 }' > "$TMP/tids.syscall"
	# the sanitized build reserves terabytes of shadow memory: there the
	# bound cannot be set, and the run checks the growing buffers instead
	local limit="ulimit -v 300000;"
	[ -z "${SYSCFI_EXTRACTOR:-}" ] || limit=
	run bash -c "$limit"' exec "$0" -q -o "$1" "$2"' \
		"$EXTRACTOR" "$TMP/p" "$TMP/tids.syscall"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "numeric traces: garbage and bad numbers named file:line" {
	{ printf '0 1 2\n'; garbage; printf '\n3 x4 5\n-1\n99999999999999999999\n'; } \
		> "$TMP/bad.nr"
	run "$EXTRACTOR" --format numbers --comm nr -o "$TMP/p" "$TMP/bad.nr"
	[ "$status" -eq 0 ]
	[[ "$output" =~ bad\.nr:[0-9]+:\ not\ a\ number ]]
	[[ "$output" == *"negative syscall number"* ]]
	[ "$(syscalls_of "$TMP/p/nr.json")" -ge 3 ]
	run "$EXTRACTOR" --format pid-numbers --comm pn -o "$TMP/p" "$TMP/bad.nr"
	[ "$status" -eq 0 ]
	[[ "$output" =~ bad\.nr:1:\ expected\ \"PID\ NR\" ]]
}

# ---- profiles --------------------------------------------------------------

@test "truncated profile: file:line:column, exit 2, nothing checked" {
	mkdir "$TMP/p"
	profile t '["execve", "brk", "mmap", 1]' | head -c 150 > "$TMP/p/t.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" =~ t\.json:[0-9]+:[0-9]+:\ .*expected ]]
}

@test "binary garbage as a profile: file:line:column, exit 2" {
	mkdir "$TMP/p"
	garbage > "$TMP/p/g.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" =~ g\.json:[0-9]+:[0-9]+:\  ]]
}

@test "deeply nested JSON: refused with file:line:column, no crash" {
	mkdir "$TMP/p"
	{ printf '{"format": "syscfi-profile", "stats": '
	  head -c 200000 /dev/zero | tr '\0' '['; } > "$TMP/p/deep.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" =~ deep\.json:1:[0-9]+:\ .*depth ]]
	# nesting jansson accepts but the format does not: a row of arrays
	profile n '[[[[["execve"]]]], "brk", "mmap", 1]' > "$TMP/p/deep.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" =~ deep\.json:10:[0-9]+:\ transition\ 2 ]]
}

@test "duplicate keys and duplicate transitions: file:line:column, exit 2" {
	mkdir "$TMP/p"
	profile d | sed 's/"depth": 2,/"depth": 2, "depth": 1,/' > "$TMP/p/d.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"d.json:6:"*"duplicate object key"* ]]
	profile d | sed 's/"traces": 1,/"traces": 1, "traces": 1,/' > "$TMP/p/d.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"d.json:7:"*"duplicate object key"* ]]
	profile d '["START", "execve", "brk", 4]' > "$TMP/p/d.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"d.json:10:5: transition 2: duplicate transition"* ]]
}

@test "one bad profile in a set: nothing loaded, exit 2, the file named" {
	mkdir "$TMP/p"
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	# the good profile alone: the compromised run violates it
	run "$EXTRACTOR" --check "$TMP/p" demo-compromised.syscall
	[ "$status" -eq 1 ]
	profile zz | sed 's/"brk", 1/"brk", -1/' > "$TMP/p/zz.json"
	"$EXTRACTOR" --check "$TMP/p" demo-compromised.syscall \
		> "$TMP/out" 2> "$TMP/err" && st=0 || st=$?
	[ "$st" -eq 2 ]
	[ ! -s "$TMP/out" ]	# not one violation: nothing was loaded
	grep -q 'zz\.json:9:[0-9]*: ' "$TMP/err"
	run "$EXTRACTOR" --score "$TMP/p" demo-compromised.syscall
	[ "$status" -eq 2 ]
	[[ "$output" != *"syscfi-demo"$'\t'* ]]
	# validate writes thresholds into the set: with a bad file, none at all
	cp "$TMP/p/syscfi-demo.json" "$TMP/before.json"
	run "$EXTRACTOR" --validate -o "$TMP/p" demo-normal-2.syscall
	[ "$status" -eq 2 ]
	cmp "$TMP/before.json" "$TMP/p/syscfi-demo.json"
}

@test "merging into a folder with a bad profile writes no profile at all" {
	mkdir "$TMP/p"
	"$EXTRACTOR" -q -o "$TMP/p" worker.syscall
	ls "$TMP/p" > "$TMP/names"
	cp "$TMP/p/syscfi-worker.d/syscfi-demo.json" "$TMP/demo.json"
	echo '{"format": "syscfi-profile",' > "$TMP/p/syscfi-worker.json"
	run "$EXTRACTOR" -o "$TMP/p" worker.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"syscfi-worker.json:2:"* ]]
	cmp "$TMP/demo.json" "$TMP/p/syscfi-worker.d/syscfi-demo.json"
	[ "$(ls -A "$TMP/p")" = "$(cat "$TMP/names")" ]
}

# ---- writing -----------------------------------------------------------------

@test "killed mid-write (file size limit): the old profiles stay whole" {
	mkdir "$TMP/p"
	"$EXTRACTOR" -q -o "$TMP/p" worker.syscall
	ls "$TMP/p" > "$TMP/names"
	cp "$TMP/p/syscfi-worker.json" "$TMP/worker.json"
	# SIGXFSZ kills it on the first write past 2 KiB: inside a profile
	run bash -c 'ulimit -f 2; exec "$0" -q -o "$1" worker.syscall' \
		"$EXTRACTOR" "$TMP/p"
	[ "$status" -eq $((128 + 25)) ]
	cmp "$TMP/worker.json" "$TMP/p/syscfi-worker.json"
	[ "$(ls "$TMP/p")" = "$(cat "$TMP/names")" ]
	# whatever it left is hidden, and the folder still loads whole
	run "$EXTRACTOR" --check "$TMP/p" worker.syscall
	[ "$status" -eq 0 ]
}

@test "a failed write (EFBIG) exits 2, names the file, leaves no temporary" {
	mkdir "$TMP/p"
	"$EXTRACTOR" -q -o "$TMP/p" worker.syscall
	ls -A "$TMP/p" > "$TMP/names"
	cp "$TMP/p/syscfi-worker.json" "$TMP/worker.json"
	run bash -c 'trap "" XFSZ; ulimit -f 2; exec "$0" -o "$1" worker.syscall' \
		"$EXTRACTOR" "$TMP/p"
	[ "$status" -eq 2 ]
	[[ "$output" == *"syscfi-worker.json: write "*"File too large"* ]]
	cmp "$TMP/worker.json" "$TMP/p/syscfi-worker.json"
	[ "$(ls -A "$TMP/p")" = "$(cat "$TMP/names")" ]
}

@test "missing inputs: exit 2, the path named, nothing written" {
	run "$EXTRACTOR" -o "$TMP/p" demo-normal.syscall "$TMP/missing.syscall"
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing.syscall: No such file or directory"* ]]
	[ ! -e "$TMP/p" ]
	run "$EXTRACTOR" -o "$TMP/p" "$TMP"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is a directory"* ]]
	[ ! -e "$TMP/p" ]
	run "$EXTRACTOR" --check "$TMP/nodir" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"nodir: No such file or directory"* ]]
	run "$EXTRACTOR" --format numbers --comm n -o "$TMP/p" "$TMP/missing.nr"
	[ "$status" -eq 2 ]
	[ ! -e "$TMP/p" ]
}

@test "an output path that is a file: exit 2, named" {
	touch "$TMP/file"
	run "$EXTRACTOR" -o "$TMP/file" demo-normal.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"file: Not a directory"* ]]
	[ ! -s "$TMP/file" ]
}

@test "an empty profile folder loads as an empty set" {
	mkdir "$TMP/empty"
	run "$EXTRACTOR" --check "$TMP/empty" demo-normal.syscall
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# ---- the fuzzers' kept inputs, valgrind ------------------------------------

@test "fuzz-regress: every kept input ends in a clean exit code" {
	local f n=0
	for f in "$TESTDATA"/fuzz-regress/{parse,strace,numbers}/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		cp "$f" "$TMP/in"
		for args in "-q -o $TMP/p" "-q --check $ROOT/res" \
			    "-q --format numbers --comm fz -o $TMP/p" \
			    "-q --format pid-numbers --comm fz -o $TMP/p"; do
			run "$EXTRACTOR" $args "$TMP/in"
			[ "$status" -le 2 ] || { echo "$f: $args: $status"; false; }
		done
	done
	for f in "$TESTDATA"/fuzz-regress/profile/* "$TESTDATA"/fuzz-regress/profile-set/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		rm -rf "$TMP/set" && mkdir "$TMP/set"
		# a profile-set input is NUL-separated files
		i=0
		while IFS= read -r -d '' part || [ -n "$part" ]; do
			printf '%s' "$part" > "$TMP/set/p$i.json"
			i=$((i + 1))
		done < "$f"
		run "$EXTRACTOR" --check "$TMP/set" demo-normal.syscall
		[ "$status" -le 2 ] || { echo "$f: $status"; false; }
	done
	[ "$n" -gt 0 ]
}

@test "valgrind: build and check on a real trace, no errors, no leaks" {
	command -v valgrind > /dev/null || skip "valgrind not installed"
	vg=(valgrind -q --error-exitcode=99 --leak-check=full
	    --errors-for-leak-kinds=definite,indirect)
	# the sanitized build checks itself (ASan and LeakSanitizer exit 86)
	[ -z "${SYSCFI_EXTRACTOR:-}" ] || vg=()
	run "${vg[@]}" "$EXTRACTOR" -q -o "$TMP/p" worker.syscall demo-normal.syscall
	[ "$status" -eq 0 ]
	run "${vg[@]}" "$EXTRACTOR" -q --check "$TMP/p" worker.syscall \
		demo-compromised.syscall
	[ "$status" -eq 1 ]	# the compromised run violates
	run "${vg[@]}" "$EXTRACTOR" -q --score "$TMP/p" ff/worker.syscall.*
	[ "$status" -eq 0 ]
}
