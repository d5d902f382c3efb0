#!/usr/bin/env bats
# extractor --diff: profile updates as review lines, and the exit code a CI
# gate reads (1: something added, 0: nothing added, 2: bad input).  No BPF.

load helpers

setup() {
	TMP="$(mktemp -d)"
	cd "$TESTDATA"
	# OLD: one run of the demo; NEW: the same folder merged with two more
	"$EXTRACTOR" -q -o "$TMP/old" demo-normal.syscall
	cp -r "$TMP/old" "$TMP/new"
	P=syscfi-demo.json
}

teardown() {
	rm -rf "$TMP"
}

# a copy of OLD's profile changed by a jq filter, as $TMP/edit/$P
edit() {
	mkdir -p "$TMP/edit"
	jq "$1" "$TMP/old/$P" > "$TMP/edit/$P"
}

@test "real update: more traces add a syscall and its transitions, exit 1" {
	"$EXTRACTOR" -q -o "$TMP/new" demo-normal-2.syscall demo-socket.syscall
	run "$EXTRACTOR" --diff "$TMP/old" "$TMP/new"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "@@ syscfi-demo" ]
	[ "${lines[1]}" = "+ syscall socket" ]
	# every transition NEW added, read from the files themselves
	want="$(jq -r --slurpfile o "$TMP/old/$P" \
		'.transitions[] | select(.[0:3] as $k | $o[0].transitions | map(.[0:3]) | index([$k]) | not) | "+ \(.[0]) \(.[1]) \(.[2])"' \
		"$TMP/new/$P" | sort)"
	[ -n "$want" ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -v '^@@\|^+ syscall')" = "$want" ]
	# the reverse update only removes: exit 0, the same lines with "-"
	run "$EXTRACTOR" --diff "$TMP/new" "$TMP/old"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "- syscall socket" ]
	! printf '%s\n' "${lines[@]}" | grep -q '^+'
	# the counts only with --counts
	run "$EXTRACTOR" --diff --counts "$TMP/old" "$TMP/new"
	[ "$status" -eq 1 ]
	printf '%s\n' "${lines[@]}" | grep -qx '~ START execve brk 1 3'
	# and the files alone give the same lines as the folders
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/new/$P"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]}")" = "$("$EXTRACTOR" --diff "$TMP/old" "$TMP/new")" ]
}

@test "new scoped profiles (X.d/) appear whole, as + lines under their name" {
	"$EXTRACTOR" -q -o "$TMP/a" worker.syscall
	cp -r "$TMP/a" "$TMP/b"
	"$EXTRACTOR" -q -o "$TMP/b" pipeline.syscall
	run "$EXTRACTOR" --diff "$TMP/a" "$TMP/b"
	[ "$status" -eq 1 ]
	printf '%s\n' "${lines[@]}" | grep '^@@' > "$TMP/heads"
	[ "$(cat "$TMP/heads")" = "$(printf '@@ sh\n@@ sh/cat')" ]
	printf '%s\n' "${lines[@]}" | grep -qx '+ profile sh/cat'
	printf '%s\n' "${lines[@]}" | grep -qx '+ exec /usr/bin/cat cat'
	printf '%s\n' "${lines[@]}" | grep -qx '+ START execve brk'
	! printf '%s\n' "${lines[@]}" | grep -q '^-'
	run "$EXTRACTOR" --diff "$TMP/b" "$TMP/a"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" | grep -qx -- '- profile sh/cat'
	# a first folder of profiles, against an empty one: all of it is new
	mkdir "$TMP/empty"
	run "$EXTRACTOR" --diff "$TMP/empty" "$TMP/a"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep '^@@')" = "$(printf '@@ syscfi-worker\n@@ syscfi-worker/syscfi-demo')" ]
	run "$EXTRACTOR" --diff "$TMP/empty" "$TMP/empty"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "identical profiles: no output, exit 0" {
	run "$EXTRACTOR" --diff "$TMP/old" "$TMP/new"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$EXTRACTOR" --diff --counts "$TMP/old/$P" "$TMP/new/$P"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a threshold and a window change: both values shown, exit 1" {
	edit '.threshold = 6.5 | .window = 16'
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/edit/$P"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '@@ syscfi-demo\n- window 32\n+ window 16\n- threshold none\n+ threshold 6.5')" ]
	# a threshold changed again is a change too, whichever the direction
	jq '.threshold = 5.25' "$TMP/edit/$P" > "$TMP/lower.json"
	run "$EXTRACTOR" --diff "$TMP/edit/$P" "$TMP/lower.json"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '@@ syscfi-demo\n- threshold 6.5\n+ threshold 5.25')" ]
}

@test "an added exec edge, transparent member and io_uring opcode: exit 1" {
	edit '.exec += [{"path": "/bin/true", "profile": null}] | .transparent.getpid = 0 | .io_uring = ["READ"]'
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/edit/$P"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '@@ syscfi-demo\n+ transparent getpid\n+ io_uring READ\n+ exec /bin/true null')" ]
}

@test "a removed transition only: - lines, exit 0" {
	edit 'del(.transitions[] | select(.[0:3] == ["openat", "read", "read"]))'
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/edit/$P"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '@@ syscfi-demo\n- openat read read')" ]
}

@test "bad input: exit 2 naming the file and position; usage errors" {
	printf '{\n  "format": "syscfi-profile",\n  "version": 9\n}\n' > "$TMP/bad.json"
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/bad.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TMP/bad.json:3:"*": "* ]]
	run "$EXTRACTOR" --diff "$TMP/bad.json" "$TMP/old/$P"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TMP/bad.json:3:"* ]]
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/missing.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TMP/missing.json"* ]]
	# a file against a folder, one argument, --counts without --diff
	run "$EXTRACTOR" --diff "$TMP/old/$P" "$TMP/new"
	[ "$status" -eq 2 ]
	[[ "$output" == *"two files or two folders"* ]]
	run "$EXTRACTOR" --diff "$TMP/old"
	[ "$status" -eq 2 ]
	run "$EXTRACTOR" --counts "$TMP/old" "$TMP/new"
	[ "$status" -eq 2 ]
}
