#!/usr/bin/env bats
# Deny before effect: syscfi-run runs a program under a seccomp filter made
# of its profiles' syscalls, and `extractor --seccomp` writes the same set
# as an OCI/Docker seccomp profile.  No BPF here: seccomp needs no root.
# The probe (tests/seccomp/probe.c) is recorded with strace in its normal
# mode, then made to try one syscall that run never made.

load helpers
bats_require_minimum_version 1.5.0

RUN="$ROOT/loader/syscfi-run"

setup_file() {
	[ -x "$ROOT/loader/syscfi-run" ] || return 0
	# readable by nobody, for the unprivileged test
	export SDIR="$(mktemp -d)"
	chmod 755 "$SDIR"
	gcc -O2 -Wall -o "$SDIR/sr-probe" "$ROOT/tests/seccomp/probe.c"
	(cd "$SDIR" && strace -f -qq -o probe.syscall ./sr-probe normal x >/dev/null &&
		"$EXTRACTOR" -q -o prof probe.syscall 2>/dev/null)
	chmod -R a+rX "$SDIR"
}

teardown_file() {
	if [ -n "${SDIR:-}" ]; then rm -rf "$SDIR"; fi
}

setup() {
	[ -x "$RUN" ] || skip "loader/syscfi-run not built"
	TMP="$(mktemp -d)"
	PROBE="$SDIR/sr-probe"
	PROF="$SDIR/prof/sr-probe.json"
	ulimit -c 0	# SIGSYS dumps core by default
}

teardown() {
	if [ -n "${TMP:-}" ]; then rm -rf "$TMP"; fi
}

# names of the syscalls a profile's transitions hold, sorted, one a line
profile_names() {
	jq -r '.transitions[][0:3][] | select(. != "START" and . != "UNKNOWN")' "$@" |
		sort -u
}

@test "syscfi-run: the recorded run passes under its filter, same output" {
	[ -s "$PROF" ]
	expected="$("$PROBE" normal x)"
	run "$RUN" "$PROF" -- "$PROBE" normal x
	[ "$status" -eq 0 ]
	[ "$output" = "$expected" ]
	# and so does a real program's: the sample service, with its output file
	[ -x "$ROOT/build/examples/syscfi-demo" ] || skip "examples not built (make examples)"
	cp "$ROOT/build/examples/syscfi-demo" "$TMP/sdemo"
	(cd "$TMP" && strace -f -qq -o demo.syscall ./sdemo normal >/dev/null &&
		"$EXTRACTOR" -q -o prof demo.syscall)
	run "$RUN" "$TMP/prof/sdemo.json" -- "$TMP/sdemo" normal "$TMP/out"
	[ "$status" -eq 0 ]
	[ "$output" = "syscfi-demo: done" ]
	[ "$(cat "$TMP/out")" = "lines $(grep -c '' /etc/os-release)" ]
	# its socket mode fails at socket(), before it writes its output
	run "$RUN" "$TMP/prof/sdemo.json" -- "$TMP/sdemo" socket "$TMP/out2"
	[ "$status" -eq 1 ]
	[ ! -e "$TMP/out2" ]
}

@test "syscfi-run: a syscall the profile never made fails with EPERM and has no effect" {
	# without the filter the probe does make the directory
	run "$PROBE" mkdir "$TMP/free"
	[ "$output" = "$(printf 'probe: start: done\nprobe: mkdir: done')" ]
	[ -d "$TMP/free" ]
	run "$RUN" "$PROF" -- "$PROBE" mkdir "$TMP/d"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'probe: start: done\nprobe: mkdir: EPERM')" ]
	[ ! -e "$TMP/d" ]
	run "$RUN" "$PROF" -- "$PROBE" socket x
	[ "$output" = "$(printf 'probe: start: done\nprobe: socket: EPERM')" ]
}

@test "syscfi-run --kill: the process dies of SIGSYS (159) before the effect" {
	run "$RUN" --kill "$PROF" -- "$PROBE" mkdir "$TMP/d"
	[ "$status" -eq 159 ]
	[ "$output" = "probe: start: done" ]
	[ ! -e "$TMP/d" ]
	# the recorded run is not killed
	run "$RUN" --kill "$PROF" -- "$PROBE" normal x
	[ "$status" -eq 0 ]
}

@test "syscfi-run: x32 numbers (bit 30) are refused, whatever the number" {
	# mkdir's x32 number; unfiltered this kernel answers ENOSYS (or runs it)
	run "$RUN" "$PROF" -- "$PROBE" x32 "$TMP/d"
	[ "$output" = "$(printf 'probe: start: done\nprobe: x32: EPERM')" ]
	[ ! -e "$TMP/d" ]
	run "$RUN" --kill "$PROF" -- "$PROBE" x32 "$TMP/d"
	[ "$status" -eq 159 ]
	[ ! -e "$TMP/d" ]
}

@test "syscfi-run: int 0x80 (ia32 mkdir) has no effect" {
	# the filter lists x86_64 alone, so an ia32 call meets the deny
	# action; on kernels without ia32 entry int 0x80 is a SIGSEGV first
	for opt in "" --kill; do
		run "$RUN" $opt "$PROF" -- "$PROBE" i386 "$TMP/d"
		[ "$status" -ne 0 ]
		[ ! -e "$TMP/d" ]
	done
}

@test "syscfi-run: an unprivileged user gets the same filter" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become nobody"
	chmod 1777 "$TMP"
	chmod 755 "$(dirname "$TMP")" 2>/dev/null || true
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	run as_nobody "$PROBE" mkdir "$TMP/free"
	[ -d "$TMP/free" ]
	run as_nobody "$RUN" "$PROF" -- "$PROBE" normal x
	[ "$status" -eq 0 ]
	run as_nobody "$RUN" "$PROF" -- "$PROBE" mkdir "$TMP/d"
	[ "$output" = "$(printf 'probe: start: done\nprobe: mkdir: EPERM')" ]
	[ ! -e "$TMP/d" ]
}

@test "syscfi-run: children and the programs they exec keep the filter" {
	# sh runs the probe; from one recording, sh's profile and the probe's,
	# scoped under it (sh.d/): the file of sh brings its exec closure
	(cd "$TMP" && strace -f -qq -o sh.syscall sh -c "$PROBE normal x; true" \
		>/dev/null && "$EXTRACTOR" -q -o prof sh.syscall)
	[ -s "$TMP/prof/sh.json" ] && [ -s "$TMP/prof/sh.d/sr-probe.json" ]
	run "$RUN" "$TMP/prof/sh.json" -- sh -c "$PROBE normal x; true"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'probe: start: done\nprobe: normal: done')" ]
	# the grandchild's mkdir is refused as the child's would be
	run "$RUN" "$TMP/prof/sh.json" -- sh -c "$PROBE mkdir $TMP/d; true"
	[ "$output" = "$(printf 'probe: start: done\nprobe: mkdir: EPERM')" ]
	[ ! -e "$TMP/d" ]
}

@test "syscfi-run: nothing but execve between installing the filter and the exec" {
	run strace -qq -e trace=seccomp,execve,brk,munmap,write "$RUN" "$PROF" -- \
		"$PROBE" normal x
	[ "$status" -eq 0 ]
	after="$(printf '%s\n' "$output" | grep -A1 '^seccomp(SECCOMP_SET_MODE_FILTER, [^,]*, {len=' )"
	[ "$(printf '%s\n' "$after" | sed -n 2p | cut -c1-7)" = 'execve(' ]
}

@test "syscfi-run --log: the kernel logs the refused syscall" {
	[ "$(id -u)" -eq 0 ] || skip "dmesg needs root"
	grep -qw errno /proc/sys/kernel/seccomp/actions_logged || skip "errno actions not logged"
	cp "$PROBE" "$TMP/srlog$$"
	# the kernel's own rate limit may drop one line: try three times
	for i in 1 2 3; do
		"$RUN" --log "$PROF" -- "$TMP/srlog$$" mkdir "$TMP/d" >/dev/null
		dmesg | grep "comm=\"srlog$$\"" | grep -q 'syscall=83 ' && break
		sleep 2
	done
	dmesg | grep "comm=\"srlog$$\"" | grep -q 'syscall=83 '
	[ ! -e "$TMP/d" ]
}

@test "syscfi-run: errors: usage 2, bad or i386 profile 2 with file:line:column, command 127/126" {
	run "$RUN" "$PROF"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: syscfi-run"* ]]
	run "$RUN" -- "$PROBE" normal x
	[ "$status" -eq 2 ]
	printf '{\n  "format": "syscfi-profile",\n  "version": 1,\n  oops\n}\n' > "$TMP/bad.json"
	run "$RUN" "$PROF" "$TMP/bad.json" -- "$PROBE" normal x
	[ "$status" -eq 2 ]
	[[ "$output" == "syscfi-run: $TMP/bad.json:4:"* ]]
	jq '.arch = "i386" | .transitions = [["START", "execve", "brk", 1]]' "$PROF" > "$TMP/i386.json"
	run "$RUN" "$TMP/i386.json" -- "$PROBE" normal x
	[ "$status" -eq 2 ]
	[[ "$output" == *"i386.json: arch i386: seccomp filters are made of x86_64 profiles only" ]]
	run -127 "$RUN" "$PROF" -- "$TMP/none"
	[[ "$output" == *"$TMP/none: No such file or directory" ]]
	run -127 "$RUN" "$PROF" -- sr-no-such-command
	[[ "$output" == *"sr-no-such-command: command not found" ]]
	run "$RUN" "$PROF" -- "$TMP"
	[ "$status" -eq 126 ]
}

@test "syscfi-run --help: the manual with EXAMPLES" {
	run "$RUN" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *SYNOPSIS* ]]
	[[ "$output" == *"EXIT STATUS"* ]]
	[[ "$output" == *EXAMPLES*"syscfi-run --kill"* ]]
}

@test "extractor --seccomp: an OCI seccomp profile of the union of the profiles" {
	d="$ROOT/res/syscfi-demo.json" w="$ROOT/res/syscfi-worker.json"
	run "$EXTRACTOR" --seccomp "$d" "$w"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$TMP/oci.json"
	# the fields and values of the OCI runtime spec's linux.seccomp object
	python3 - "$TMP/oci.json" <<-'EOF'
	import json, sys
	doc = json.load(open(sys.argv[1]))
	assert set(doc) == {"defaultAction", "defaultErrnoRet", "architectures", "syscalls"}, doc.keys()
	assert doc["defaultAction"] == "SCMP_ACT_ERRNO"
	assert doc["defaultErrnoRet"] == 1            # EPERM
	assert doc["architectures"] == ["SCMP_ARCH_X86_64"]
	[rule] = doc["syscalls"]
	assert set(rule) == {"names", "action"} and rule["action"] == "SCMP_ACT_ALLOW"
	names = rule["names"]
	assert names == sorted(set(names)) and all(isinstance(n, str) for n in names)
	print("\n".join(names))
	EOF
	# the names: every syscall of both profiles, and execve
	python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["syscalls"][0]["names"]))' \
		"$TMP/oci.json" > "$TMP/names"
	{ profile_names "$d" "$w"; echo execve; } | sort -u > "$TMP/expected"
	diff "$TMP/expected" "$TMP/names"
	grep -qx clone3 "$TMP/names"	# the worker's threads, not the demo's
	# every name is one libseccomp, which runc and crun use, resolves
	python3 - "$TMP/names" <<-'EOF'
	import ctypes, sys
	lib = ctypes.CDLL("libseccomp.so.2")
	lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
	bad = [n for n in open(sys.argv[1]).read().split()
	       if lib.seccomp_syscall_resolve_name(n.encode()) < 0]
	assert not bad, bad
	EOF
}

@test "extractor --seccomp --kill -o FILE: SCMP_ACT_KILL_PROCESS, no errno, same names" {
	run "$EXTRACTOR" --seccomp --kill -o "$TMP/k.json" "$ROOT/res/syscfi-demo.json"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(jq -r .defaultAction "$TMP/k.json")" = SCMP_ACT_KILL_PROCESS ]
	[ "$(jq 'has("defaultErrnoRet")' "$TMP/k.json")" = false ]
	"$EXTRACTOR" --seccomp "$ROOT/res/syscfi-demo.json" > "$TMP/e.json"
	[ "$(jq -c '.syscalls' "$TMP/k.json")" = "$(jq -c '.syscalls' "$TMP/e.json")" ]
	[ "$(ls "$TMP")" = "$(printf 'e.json\nk.json')" ]	# no temporary left
}

@test "extractor --seccomp: errors are exit 2 and name the file" {
	printf '{\n  "format": "syscfi-profile",\n  oops\n}\n' > "$TMP/bad.json"
	run "$EXTRACTOR" --seccomp "$ROOT/res/syscfi-demo.json" "$TMP/bad.json"
	[ "$status" -eq 2 ]
	[[ "$output" == "extractor: $TMP/bad.json:3:"* ]]
	jq '.arch = "i386" | .transitions = [["START", "execve", "brk", 1]]' \
		"$ROOT/res/syscfi-demo.json" > "$TMP/i386.json"
	run "$EXTRACTOR" --seccomp -o "$TMP/out.json" "$TMP/i386.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"i386.json: arch i386: seccomp filters are made of x86_64 profiles only" ]]
	[ ! -e "$TMP/out.json" ]
	run "$EXTRACTOR" --kill "$ROOT/res/syscfi-demo.json"
	[ "$status" -eq 2 ]
	run "$EXTRACTOR" --seccomp --check res "$ROOT/res/syscfi-demo.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"exclude each other"* ]]
}
