#!/usr/bin/env bats
# The extractor on traces recorded with strace on this project's sample
# programs (tests/testdata/, see its README): exact transitions and counts,
# the offline --check/--score replay, errors and exit codes.

load helpers

setup() {
	TMP="$(mktemp -d)"
	cd "$TESTDATA"
}

teardown() {
	rm -rf "$TMP"
}

# rows of a profile: "a b x count" (depth 2) or "b x count" (depth 1)
rows() {
	jq -r '.transitions[] | map(tostring) | join(" ")' "$1"
}

row_count() { # profile a b x -> count, or 0
	jq -r --arg a "$2" --arg b "$3" --arg x "$4" \
		'[.transitions[] | select(.[0] == $a and .[1] == $b and .[2] == $x) | .[3]] | add // 0' "$1"
}

@test "plain trace: one profile, starts at execve, counts add up to the syscalls" {
	run "$EXTRACTOR" -o "$TMP/p" demo-normal.syscall
	[ "$status" -eq 0 ]
	[ "$(ls "$TMP/p")" = "syscfi-demo.json" ]
	p="$TMP/p/syscfi-demo.json"
	[ "$(jq -c .stats "$p")" = '{"traces":1,"tasks":1,"syscalls":37}' ]
	# 39 lines: execve (starts the task), 37 syscalls, +++ exited
	[ "$(jq '[.transitions[][3]] | add' "$p")" -eq 37 ]
	[ "$(rows "$p" | head -1)" = "START execve brk 1" ]
	[ "$(row_count "$p" mmap mmap mmap)" -eq 3 ]
	[ "$(row_count "$p" close write exit_group)" -eq 1 ]
	[ "$(row_count "$p" openat read read)" -eq 1 ]
}

@test "shell pipeline: sh forks twice, one child execs cat" {
	run "$EXTRACTOR" -o "$TMP/p" pipeline.syscall
	[ "$status" -eq 0 ]
	# cat, exec'd by sh, is an edge of sh and a profile scoped under it
	[ "$(ls "$TMP/p" | tr '\n' ' ')" = "sh.d sh.json " ]
	[ "$(ls "$TMP/p/sh.d")" = "cat.json" ]
	[ "$(jq -c .exec "$TMP/p/sh.json")" = '[{"path":"/usr/bin/cat","profile":"cat"}]' ]
	[ "$(jq -c .exec "$TMP/p/sh.d/cat.json")" = '[]' ]
	[ "$(jq -c .stats "$TMP/p/sh.json")" = '{"traces":1,"tasks":3,"syscalls":79}' ]
	[ "$(jq -c .stats "$TMP/p/sh.d/cat.json")" = '{"traces":1,"tasks":1,"syscalls":43}' ]
	[ "$(row_count "$TMP/p/sh.json" START clone set_robust_list)" -eq 2 ]
	[ "$(row_count "$TMP/p/sh.json" START execve brk)" -eq 1 ]
	# the exec is the last syscall of the forked sh, the first of cat
	[ "$(row_count "$TMP/p/sh.json" dup2 close execve)" -eq 1 ]
	[ "$(row_count "$TMP/p/sh.d/cat.json" START execve brk)" -eq 1 ]
	[ "$(row_count "$TMP/p/sh.d/cat.json" close close exit_group)" -eq 1 ]
	# a failed lookup is an ordinary syscall, never an exec
	[ "$(row_count "$TMP/p/sh.json" newfstatat newfstatat newfstatat)" -ge 1 ]
}

@test "multi-threaded worker: threads, fork and posix_spawn children" {
	run "$EXTRACTOR" -o "$TMP/p" worker.syscall
	[ "$status" -eq 0 ]
	w="$TMP/p/syscfi-worker.json"
	d="$TMP/p/syscfi-worker.d/syscfi-demo.json"
	# root + 2 threads + fork child + posix_spawn child
	[ "$(jq -c .stats "$w")" = '{"traces":1,"tasks":5,"syscalls":210}' ]
	[ "$(row_count "$w" START clone3 rseq)" -eq 2 ]
	[ "$(row_count "$w" START clone set_robust_list)" -eq 1 ]
	[ "$(row_count "$w" clone set_robust_list execve)" -eq 1 ]
	# the vfork-style child runs (and execs) before its parent's clone3
	# returns: its 125 calls are linked through the later result
	[ "$(row_count "$w" START clone3 rt_sigprocmask)" -eq 1 ]
	[ "$(row_count "$w" rt_sigaction rt_sigaction rt_sigaction)" -eq 120 ]
	[ "$(row_count "$w" rt_sigaction rt_sigprocmask execve)" -eq 1 ]
	[ "$(row_count "$w" rt_sigprocmask madvise exit)" -eq 2 ]
	[ "$(jq -c .stats "$d")" = '{"traces":1,"tasks":2,"syscalls":68}' ]
	[ "$(row_count "$d" START execve brk)" -eq 2 ]
}

@test "-f, -ff, -f -tt -T -y and [pid N] output give byte-identical profiles" {
	"$EXTRACTOR" -q -o "$TMP/f" worker.syscall
	"$EXTRACTOR" -q -o "$TMP/ff" ff/worker.syscall.*
	"$EXTRACTOR" -q -o "$TMP/tt" worker-ttTy.syscall
	"$EXTRACTOR" -q -o "$TMP/br" worker-brackets.syscall
	diff -r "$TMP/f" "$TMP/ff"
	diff -r "$TMP/f" "$TMP/tt"
	diff -r "$TMP/f" "$TMP/br"
	# -ff files of one run are one trace
	[ "$(jq .stats.traces "$TMP/ff/syscfi-worker.json")" -eq 1 ]
}

@test "-ff files are linked through clone results whatever their order" {
	files=(ff/worker.syscall.*)
	"$EXTRACTOR" -q -o "$TMP/a" "${files[@]}"
	rev=()
	for ((i = ${#files[@]} - 1; i >= 0; i--)); do rev+=("${files[$i]}"); done
	"$EXTRACTOR" -q -o "$TMP/b" "${rev[@]}"
	diff -r "$TMP/a" "$TMP/b"
}

@test "-k stack lines are skipped" {
	run "$EXTRACTOR" -o "$TMP/p" demo-k.syscall
	[ "$status" -eq 0 ]
	[[ "$output" != *malformed* ]]
	# every line but the frames, the execve and +++ exited is a syscall
	[ "$(grep -c -v '^ > ' demo-k.syscall)" -eq 36 ]
	[ "$(jq -c .stats "$TMP/p/syscfi-demo.json")" = '{"traces":1,"tasks":1,"syscalls":34}' ]
	[ "$(row_count "$TMP/p/syscfi-demo.json" START execve brk)" -eq 1 ]
}

@test "trace cut off mid-line: reported, the entered call kept" {
	run "$EXTRACTOR" -o "$TMP/p" worker-cut.syscall
	[ "$status" -eq 0 ]
	[[ "$output" == *"worker-cut.syscall:120: line cut short at end of file"* ]]
	[[ "$output" == *"1 lines cut short"* ]]
	# the demo child got 9 calls after its exec, then the cut pread64
	d="$TMP/p/syscfi-worker.d/syscfi-demo.json"
	[ "$(jq .stats.syscalls "$d")" -eq 10 ]
	[ "$(row_count "$d" openat read pread64)" -eq 1 ]
	[ "$(row_count "$d" read pread64 newfstatat)" -eq 0 ]
}

@test "edge cases: ERESTARTSYS, signals, restart_syscall, raw numbers, -ttt/-i" {
	run "$EXTRACTOR" -o "$TMP/p" edge-signals.syscall
	[ "$status" -eq 0 ]
	p="$TMP/p/edge.json"
	# interrupted read, a handler that makes no call, its rt_sigreturn,
	# the read re-issued: the state is (rt_sigaction, read) throughout
	[ "$(row_count "$p" rt_sigaction read write)" -eq 1 ]
	[ "$(row_count "$p" read rt_sigreturn read)" -eq 0 ]
	[ "$(row_count "$p" rt_sigaction read read)" -eq 0 ]
	# nanosleep, SIGCONT, restart_syscall: transparent, counted
	[ "$(jq .transparent.rt_sigreturn "$p")" -eq 1 ]
	[ "$(jq .transparent.nanosleep "$p")" -eq 1 ]
	[ "$(jq .transparent.restart_syscall "$p")" -eq 1 ]
	[ "$(row_count "$p" write syscall_0x150 exit_group)" -eq 1 ]
	# syscall 0x7fff is outside the alphabet: not learned, state kept
	[ "$(row_count "$p" read write syscall_0x150)" -eq 1 ]
	[ "$(jq .stats.syscalls "$p")" -eq 9 ]
}

# --dump-signals: TID COMM SIGNO DELIVERED HANDLER RESTART, one line a signal
@test "signals as the untraced kernel sees them: interval timer, default SIGCHLD" {
	run "$EXTRACTOR" --dump-signals timer.syscall
	[ "$status" -eq 0 ]
	# every SIGALRM runs the SA_RESTART handler and interrupted a blocking
	# read (ERESTARTSYS) or a sleep (ERESTART_RESTARTBLOCK, then EINTR)
	[ "$(grep -c $'\t14\t1\t1\tread$' <<<"$output")" -eq 6 ]
	[ "$(grep -c $'\t14\t1\t1\tclock_nanosleep$' <<<"$output")" -eq 9 ]
	# the child's SIGCHLD is ignored by default: an untraced run never gets
	# it, and the read strace shows again is a re-issue
	[ "$(grep $'\t17\t' <<<"$output")" = $'24005\tsyscfi-timer\t17\t0\t0\tread' ]
	[ "${#lines[@]}" -eq 16 ]
	[ "$(grep -c -- '--- SIG' timer.syscall)" -eq 16 ]
	# the same trace builds a profile: a signal line is not a call
	run "$EXTRACTOR" -q -o "$TMP/p" timer.syscall
	[ "$status" -eq 0 ]
	[ "$(jq .stats.tasks "$TMP/p/syscfi-timer.json")" -eq 2 ]
}

@test "signals: a shell's SIGCHLD handler, fork and posix_spawn children, -f and -ff alike" {
	run "$EXTRACTOR" --dump-signals pipeline.syscall
	[ "$status" -eq 0 ]
	# sh catches SIGCHLD; each came after its wait4 had returned
	[ "$output" = $'14288\tsh\t17\t1\t1\t-\n14288\tsh\t17\t1\t1\t-' ]
	run "$EXTRACTOR" --dump-signals worker.syscall
	[ "$output" = $'21718\tsyscfi-worker\t17\t0\t0\t-\n21718\tsyscfi-worker\t17\t0\t0\t-' ]
	run "$EXTRACTOR" --dump-signals ff/worker.syscall.*
	[ "$output" = $'21738\tsyscfi-worker\t17\t0\t0\t-\n21738\tsyscfi-worker\t17\t0\t0\t-' ]
	# SIGCONT, default-ignored, after an ERESTART_RESTARTBLOCK sleep
	run "$EXTRACTOR" --dump-signals edge-signals.syscall
	[ "$output" = $'0\tedge\t14\t1\t1\tread\n0\tedge\t18\t0\t0\tnanosleep' ]
	# a thread and its join: no signal at all
	run "$EXTRACTOR" --dump-signals join.syscall
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$EXTRACTOR" --dump-signals --check res timer.syscall
	[ "$status" -eq 2 ]
}

@test "a non-leader thread's execve, superseded, resumes in the leader" {
	run "$EXTRACTOR" -o "$TMP/p" edge-superseded.syscall
	[ "$status" -eq 0 ]
	# futex is transparent: counted, never in a state
	[ "$(jq .transparent.futex "$TMP/p/mt.json")" -eq 2 ]
	[ "$(row_count "$TMP/p/mt.json" START clone3 execve)" -eq 1 ]
	[ "$(row_count "$TMP/p/mt.d/true.json" START execve brk)" -eq 1 ]
	[ "$(jq .stats.tasks "$TMP/p/mt.d/true.json")" -eq 1 ]
	[ "$(jq -c .exec "$TMP/p/mt.json")" = '[{"path":"/usr/bin/true","profile":"true"}]' ]
}

@test "a child whose start is buffered past the limit starts UNKNOWN" {
	# 600 calls of the child before its parent's clone result
	{
		echo '100 execve("/usr/bin/big", ["big"], 0x1 /* 1 vars */) = 0'
		echo '100 clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>'
		for i in $(seq 300); do echo '101 getpid() = 101'; echo '101 getuid() = 0'; done
		echo '101 exit_group(0) = ?'
		echo '100 <... clone resumed>) = 101'
		echo '100 exit_group(0) = ?'
	} > "$TMP/big.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/big.syscall"
	[ "$status" -eq 0 ]
	p="$TMP/p/big.json"
	[ "$(row_count "$p" START clone getpid)" -eq 0 ]
	# the ring keeps the last 512 calls: 510 transitions are known
	[ "$(row_count "$p" getpid getuid getpid)" -eq 254 ]
	[ "$(row_count "$p" getuid getpid getuid)" -eq 255 ]
	[ "$(row_count "$p" getpid getuid exit_group)" -eq 1 ]
}

# copies of worker.syscall, every pid shifted by 16 per copy (the line
# prefix and the clone results), so that each copy is tasks of its own
worker_copies() { # COPIES
	awk -v copies="$1" '
		{ line[NR] = $0 }
		END {
			for (c = 0; c < copies; c++)
				for (i = 1; i <= NR; i++) {
					s = line[i]
					if (match(s, /^[0-9]+/))
						s = (substr(s, 1, RLENGTH) + c * 16) substr(s, RLENGTH + 1)
					if (s ~ /(clone|clone3|vfork|fork)\(|<\.\.\. (clone|clone3|vfork|fork) resumed>/ &&
					    match(s, /= [0-9]+$/))
						s = substr(s, 1, RSTART + 1) (substr(s, RSTART + 2) + c * 16)
					print s
				}
		}' worker.syscall
}

@test "a trace of many read blocks loses and reorders no line at their edges" {
	# 64 copies (1.6 MB: 7 blocks of 256 KiB, some 10 batches of parsed records)
	# learn exactly 64 times what one copy learns.  Blank lines in front
	# put the 1 MiB block edge inside line 43 of a copy, a line that lies
	# between an <unfinished ...> call (42) and its <... resumed> half (44)
	# of another thread, so the line is joined across two blocks and the
	# pair spans them.
	local one="$TMP/one.syscall" many="$TMP/many.syscall" edge=$((4 << 18)) c s
	worker_copies 1 > "$one"
	worker_copies 64 > "$TMP/copies"
	sed -n '42p; 43p; 44p' "$one" | grep -c 'unfinished ...>$' | grep -qx 2
	sed -n 44p "$one" | grep -q '^[0-9]* <\.\.\. rseq resumed>'
	# the last copy whose line 43 starts before the edge, and where
	s=$(LC_ALL=C awk -v edge=$edge -v n="$(wc -l < "$one")" '
		FNR % n == 43 && off < edge { c = int(FNR / n); at = off }
		{ off += length($0) + 1 }
		END { print c, at }' "$TMP/copies")
	read -r c s <<< "$s"
	{ head -c $((edge - s - 16)) /dev/zero | tr '\0' '\n'; cat "$TMP/copies"; } > "$many"
	[ "$(head -c $edge "$many" | tail -n 1)" = "$((21718 + 16 * c)) rt_sigproc" ]
	[ "$(wc -c < "$many")" -gt $((6 * 262144)) ]

	run "$EXTRACTOR" -o "$TMP/p1" "$one"
	[ "$status" -eq 0 ]
	run "$EXTRACTOR" -o "$TMP/p64" "$many"
	[ "$status" -eq 0 ]
	[ "$output" = "extractor: 2 profiles in $TMP/p64" ]
	for f in syscfi-worker syscfi-worker.d/syscfi-demo; do
		[ "$(jq .stats.syscalls "$TMP/p64/$f.json")" -eq \
		  $((64 * $(jq .stats.syscalls "$TMP/p1/$f.json"))) ]
		[ "$(rows "$TMP/p1/$f.json" | awk '{ $4 *= 64 } 1')" = \
		  "$(rows "$TMP/p64/$f.json")" ]
	done
}

# a trace of one task that execs PATH (strace's octal escapes) and exits
exec_trace() {
	printf '%s\n' "100 execve(\"$1\", [\"x\"], 0x7ffc /* 1 var */) = 0" \
		'100 brk(NULL) = 0x55' '100 getpid() = 100' '100 exit_group(0) = ?' \
		'100 +++ exited with 0 +++'
}

@test "comm rule: a UTF-8 name gets a profile; a control byte or a character cut at 15 bytes is refused, said escaped" {
	exec_trace '/usr/bin/caf\303\251' > "$TMP/u.syscall"
	exec_trace '/usr/bin/a\033b' > "$TMP/c.syscall"
	exec_trace '/usr/bin/abcdefghijklmn\303\251' > "$TMP/cut.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/u.syscall" "$TMP/c.syscall" "$TMP/cut.syscall"
	[ "$status" -eq 0 ]
	[ "$(ls "$TMP/p")" = "café.json" ]
	[ "$(jq -r .comm "$TMP/p/café.json")" = "café" ]
	[[ "$output" == *'comm "a\x1bb" cannot name a profile file, skipped'* ]]
	[[ "$output" == *'comm "abcdefghijklmn\xc3" cannot name a profile file, skipped'* ]]
	# the profile is read back, and a second run merges into it
	"$EXTRACTOR" -q -o "$TMP/p" "$TMP/u.syscall"
	[ "$(jq .stats.traces "$TMP/p/café.json")" -eq 2 ]
	run "$EXTRACTOR" --check "$TMP/p" "$TMP/u.syscall"
	[ "$status" -eq 0 ]
}

@test "--check: a second normal run is clean" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	run "$EXTRACTOR" --check "$TMP/p" demo-normal-2.syscall
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "--check: the compromised run is reported with its transitions" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	run "$EXTRACTOR" --check "$TMP/p" demo-compromised.syscall
	[ "$status" -eq 1 ]
	[[ "$output" == *"demo-compromised.syscall:34: violation unseen-syscall pid=14272 comm=syscfi-demo profile=syscfi-demo transition=read,close,clone score="* ]]
	[[ "$output" == *"demo-compromised.syscall:37: violation exec-unexpected pid=14275 comm=syscfi-demo profile=syscfi-demo arg=/bin/sh"* ]]
	run "$EXTRACTOR" --check "$TMP/p" demo-socket.syscall
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *" violation unseen-syscall pid=14280 "*" transition=read,close,socket score="* ]]
	[ "${#lines[@]}" -eq 3 ]
}

@test "--check --json: one object per violation, with the transition" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	run "$EXTRACTOR" --check "$TMP/p" --json demo-socket.syscall
	[ "$status" -eq 1 ]
	[ "$(echo "${lines[0]}" | jq -c .transition)" = '["read","close","socket"]' ]
	[ "$(echo "${lines[0]}" | jq -r '.kind + " " + .comm + " " + (.line|tostring)')" = "unseen-syscall syscfi-demo 34" ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -s length)" -eq 3 ]
}

@test "--score: TRACE, PROFILE, SCORE, UNSEEN; the bad run scores higher" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	run "$EXTRACTOR" --score "$TMP/p" demo-normal-2.syscall demo-socket.syscall
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	IFS=$'\t' read -r t1 p1 s1 u1 <<< "${lines[0]}"
	IFS=$'\t' read -r t2 p2 s2 u2 <<< "${lines[1]}"
	[ "$t1 $p1 $u1" = "demo-normal-2.syscall syscfi-demo 0" ]
	[ "$t2 $p2 $u2" = "demo-socket.syscall syscfi-demo 3" ]
	awk -v a="$s1" -v b="$s2" 'BEGIN { exit !(a + 2 < b) }'
}

@test "--validate writes thresholds; the normal run stays clean, the bad one alerts" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	run "$EXTRACTOR" --validate -o "$TMP/p" demo-normal-2.syscall
	[ "$status" -eq 0 ]
	thr=$(jq .threshold "$TMP/p/syscfi-demo.json")
	score=$("$EXTRACTOR" --score "$TMP/p" demo-normal-2.syscall | cut -f3)
	awk -v t="$thr" -v s="$score" 'BEGIN { exit !(t >= s + 0.5 - 0.01 && t <= s + 0.51) }'
	run "$EXTRACTOR" --check "$TMP/p" demo-normal-2.syscall
	[ "$status" -eq 0 ]
	run "$EXTRACTOR" --check "$TMP/p" demo-compromised.syscall
	[[ "$output" == *"anomaly-score"* ]]
}

@test "merging into existing profiles adds counts; output is byte-identical" {
	"$EXTRACTOR" -q -o "$TMP/a" demo-normal.syscall
	"$EXTRACTOR" -q -o "$TMP/b" demo-normal.syscall
	cmp "$TMP/a/syscfi-demo.json" "$TMP/b/syscfi-demo.json"
	"$EXTRACTOR" -q -o "$TMP/a" demo-normal-2.syscall
	[ "$(jq -c .stats "$TMP/a/syscfi-demo.json")" = '{"traces":2,"tasks":2,"syscalls":74}' ]
	[ "$(row_count "$TMP/a/syscfi-demo.json" mmap mmap mmap)" -eq 6 ]
	"$EXTRACTOR" -q -o "$TMP/c" demo-normal.syscall demo-normal-2.syscall
	cmp "$TMP/a/syscfi-demo.json" "$TMP/c/syscfi-demo.json"
}

@test "malformed lines: file:line: reason, skipped, counted, the rest used" {
	{ head -n 5 demo-normal.syscall; echo 'this is not strace'; echo '14266 read(3, "x", 1'; tail -n +6 demo-normal.syscall; } > "$TMP/bad.syscall"
	run "$EXTRACTOR" -o "$TMP/p" "$TMP/bad.syscall"
	[ "$status" -eq 0 ]
	[[ "$output" == *"extractor: $TMP/bad.syscall:6: not a syscall line"* ]]
	[[ "$output" == *"extractor: $TMP/bad.syscall:7: no result"* ]]
	[[ "$output" == *"2 malformed lines skipped"* ]]
	[ "$(jq .stats.syscalls "$TMP/p/syscfi-demo.json")" -eq 37 ]
}

@test "exit 2, nothing written: missing trace, bad profile to merge into, bad options" {
	run "$EXTRACTOR" -o "$TMP/p" demo-normal.syscall no-such.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"no-such.syscall"* ]]
	[ ! -e "$TMP/p" ]
	mkdir "$TMP/q"
	echo '{"format": "syscfi-profile", "version": 1, ' > "$TMP/q/sh.json"
	run "$EXTRACTOR" -o "$TMP/q" pipeline.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"sh.json:"* ]]
	[ ! -e "$TMP/q/cat.json" ]
	run "$EXTRACTOR" --check "$TMP/none" demo-normal.syscall
	[ "$status" -eq 2 ]
	run "$EXTRACTOR" --depth 3 demo-normal.syscall
	[ "$status" -eq 2 ]
	run "$EXTRACTOR" --format numbers demo-normal.syscall
	[ "$status" -eq 2 ]
}

@test "--check refuses a profile with an unknown syscall name (exit 2)" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	sed -i 's/"brk", "mmap", "access"/"brk", "mmap", "no_such_call"/' "$TMP/p/syscfi-demo.json"
	run "$EXTRACTOR" --check "$TMP/p" demo-normal-2.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"syscfi-demo.json:"*"no_such_call"* ]]
}

@test "--depth 1 profiles hold (b, x) rows" {
	run "$EXTRACTOR" --depth 1 -o "$TMP/p" demo-normal.syscall
	[ "$status" -eq 0 ]
	[ "$(jq .depth "$TMP/p/syscfi-demo.json")" -eq 1 ]
	[ "$(jq -c '.transitions[] | select(.[0] == "mmap" and .[1] == "mmap")' "$TMP/p/syscfi-demo.json")" = '["mmap","mmap",4]' ]
	run "$EXTRACTOR" --check "$TMP/p" demo-normal-2.syscall
	[ "$status" -eq 0 ]
}

@test "numeric formats: numbers and pid-numbers start in (START, START)" {
	printf '0 1\n2 0\n' > "$TMP/t.nr"
	run "$EXTRACTOR" --format numbers --comm num -o "$TMP/p" "$TMP/t.nr"
	[ "$status" -eq 0 ]
	[ "$(rows "$TMP/p/num.json" | tr '\n' ,)" = "START START read 1,START read write 1,read write open 1,write open read 1," ]
	printf '7 0\n8 1\n7 3\n8 3\n' > "$TMP/t.pnr"
	run "$EXTRACTOR" --format pid-numbers --comm pn -o "$TMP/p" "$TMP/t.pnr"
	[ "$status" -eq 0 ]
	[ "$(rows "$TMP/p/pn.json" | tr '\n' ,)" = "START START read 1,START START write 1,START read close 1,START write close 1," ]
	[ "$(jq .stats.tasks "$TMP/p/pn.json")" -eq 2 ]
	printf '0 1 600\n' > "$TMP/u.nr"
	run "$EXTRACTOR" --check "$TMP/p" --format numbers --comm num "$TMP/u.nr"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown-syscall"* ]]
}

@test "-h shows usage with examples" {
	run "$EXTRACTOR" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"Examples:"* ]]
	[[ "$output" == *"--check DIR"* ]]
}

@test "exec edges: --check gives exec-unexpected under an edge-checked profile, exec-unprofiled under an old one" {
	"$EXTRACTOR" -q -o "$TMP/p" demo-normal.syscall
	[ "$(jq -c .exec "$TMP/p/syscfi-demo.json")" = '[]' ]
	run "$EXTRACTOR" --check "$TMP/p" --json demo-compromised.syscall
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.kind | startswith("exec")) | .kind + " " + .arg')" = "exec-unexpected /bin/sh" ]
	# a profile without "exec" (as written before edges): the old rule
	jq 'del(.exec)' "$TMP/p/syscfi-demo.json" > "$TMP/old.json"
	mkdir "$TMP/old" && mv "$TMP/old.json" "$TMP/old/syscfi-demo.json"
	run "$EXTRACTOR" --check "$TMP/old" --json demo-compromised.syscall
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.kind | startswith("exec")) | .kind + " " + .arg')" = "exec-unprofiled sh" ]
}

@test "exec edges: a recorded exec binds the scoped profile in --check; merging keeps edges and files stable" {
	"$EXTRACTOR" -q -o "$TMP/p" pipeline.syscall
	run "$EXTRACTOR" --check "$TMP/p" pipeline.syscall
	[ "$status" -eq 0 ]
	# the replay really checks cat under sh/cat: without its rows it violates
	jq '.transitions = []' "$TMP/p/sh.d/cat.json" > "$TMP/cat.json"
	cp "$TMP/p/sh.d/cat.json" "$TMP/cat.keep"
	mv "$TMP/cat.json" "$TMP/p/sh.d/cat.json"
	run "$EXTRACTOR" --check "$TMP/p" --json pipeline.syscall
	[ "$status" -eq 1 ]
	[ "$(echo "${lines[0]}" | jq -r .profile)" = "sh/cat" ]
	mv "$TMP/cat.keep" "$TMP/p/sh.d/cat.json"
	# a second merge of the same trace: counts double, edges and layout stay
	cp -r "$TMP/p" "$TMP/once"
	"$EXTRACTOR" -q -o "$TMP/p" pipeline.syscall
	[ "$(find "$TMP/p" | sed "s|$TMP/p||" | sort)" = "$(find "$TMP/once" | sed "s|$TMP/once||" | sort)" ]
	[ "$(jq -c .exec "$TMP/p/sh.json")" = "$(jq -c .exec "$TMP/once/sh.json")" ]
	[ "$(jq .stats.syscalls "$TMP/p/sh.d/cat.json")" -eq 86 ]
}

@test "exec edges: a bad edge or a missing scoped profile is exit 2, the file named" {
	"$EXTRACTOR" -q -o "$TMP/p" pipeline.syscall
	mv "$TMP/p/sh.d/cat.json" "$TMP/cat.json"
	run "$EXTRACTOR" --check "$TMP/p" pipeline.syscall
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TMP/p/sh.json: exec edge /usr/bin/cat names profile \"cat\", which is not in sh.d/"* ]]
	mv "$TMP/cat.json" "$TMP/p/sh.d/cat.json"
	for bad in '[{"path":"cat","profile":"cat"}]' '[{"path":"/dev/fd/3","profile":null}]' \
		   '[{"path":"/a","profile":"x/y"}]' '[{"path":"/a"}]' \
		   '[{"path":"/a","profile":null},{"path":"/a","profile":null}]' '{}'; do
		jq --argjson e "$bad" '.exec = $e' "$TMP/p/sh.json" > "$TMP/bad.json"
		mkdir -p "$TMP/b" && cp "$TMP/bad.json" "$TMP/b/sh.json"
		run "$EXTRACTOR" --check "$TMP/b" pipeline.syscall
		[ "$status" -eq 2 ] || { echo "$bad: $status"; false; }
		[[ "$output" == *"$TMP/b/sh.json:"*"exec"* ]] || { echo "$bad: $output"; false; }
	done
}

@test "a child's exec printed before its parent's clone result binds as the parent's exec edge" {
	# line 330: the posix_spawn child's execve, finished; line 332: its
	# parent's clone3 result.  The parent is the one task with a
	# process-creating call in flight, so the exec is the worker's edge.
	"$EXTRACTOR" -q -o "$TMP/race" worker-exec-race.syscall
	[ -f "$TMP/race/skwf.d/syscfi-demo.json" ]
	[ ! -e "$TMP/race/syscfi-demo.json" ]
	# the same as the trace in the order the kernel saw it
	awk 'NR == FNR { if ($0 ~ /^10067 <\.\.\. clone3 resumed>/) { r = $0; skip = FNR }; next }
	     FNR == 330 { print r } FNR != skip { print }' \
		worker-exec-race.syscall worker-exec-race.syscall > "$TMP/ordered.syscall"
	[ "$(sed -n 330p "$TMP/ordered.syscall" | cut -d' ' -f1-4)" = "10067 <... clone3 resumed>)" ]
	"$EXTRACTOR" -q -o "$TMP/ordered" "$TMP/ordered.syscall"
	diff -r "$TMP/race" "$TMP/ordered"
}

