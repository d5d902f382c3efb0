# Helpers of the kernel suites (tests/kernel*.bats): a program whose exact
# syscall sequence the test chooses (tests/kernel/scprog.c), profiles
# written from that sequence, and a loader run in the background.

# op letter of scprog -> the syscalls it makes
op_calls() {
	case "$1" in
	p) echo getpid ;; u) echo getuid ;; g) echo getppid ;;
	o) echo openat close ;; n) echo prctl ;; x) echo execve ;;
	s|S) echo nanosleep ;; f) echo fork ;; c) echo socket connect close ;;
	A) echo rt_sigaction ;; K) echo getpid kill ;; R) echo rt_sigreturn ;;
	T) echo sigaltstack rt_sigaction ;; N|I|F) echo rt_sigaction ;;
	M) echo getpid kill ;; E) echo rt_sigaction rt_sigaction ;;
	J) echo rt_sigaction getpid kill ;;
	esac
}

# transitions of one linear run of OPS from (START, execve), one
# "a b x" a line, ending in exit_group
ops_trans() {
	local ops=$1 a=START b=execve x i
	local calls=()
	for ((i = 0; i < ${#ops}; i++)); do
		read -r -a more <<< "$(op_calls "${ops:i:1}")"
		calls+=("${more[@]}")
	done
	calls+=(exit_group)
	for x in "${calls[@]}"; do
		echo "$a $b $x"
		a=$b b=$x
	done
}

# write_profile FILE COMM [EXE] < "a b x" lines: a depth-2 profile, every
# transition counted once (duplicates merged)
write_profile() {
	local file=$1 comm=$2 exe=${3:-} first=1 a b x
	{
		printf '{\n  "format": "syscfi-profile",\n  "version": 1,\n'
		printf '  "comm": "%s",\n' "$comm"
		[ -n "$exe" ] && printf '  "exe": "%s",\n' "$exe"
		printf '  "arch": "x86_64",\n  "depth": 2,\n  "window": 32,\n'
		printf '  "stats": {"traces": 1, "tasks": 1, "syscalls": 1},\n'
		printf '  "transitions": [\n'
		sort -u | while read -r a b x; do
			[ -z "$x" ] && continue
			[ $first = 1 ] || printf ',\n'
			first=0
			printf '    ["%s", "%s", "%s", 1]' "$a" "$b" "$x"
		done
		printf '\n  ]\n}\n'
	} > "$file"
}

# build scprog once per file as $KDIR/$1 (a unique comm of <= 15 bytes)
build_prog() {
	gcc -O2 -static -nostdlib -fno-stack-protector -mno-red-zone -o "$KDIR/$1" \
		"$ROOT/tests/kernel/scprog.c"
}

# start_loader ARGS...: loader in the background, stdout in $KDIR/events,
# stderr in $KDIR/loader.err; returns once it printed "ready:"
start_loader() {
	# emptied here, not only by the redirection in the child: the wait
	# below must not find the "ready:" of the loader before this one
	: > "$KDIR/loader.err"
	: > "$KDIR/events"
	"$LOADER" "$@" > "$KDIR/events" 2> "$KDIR/loader.err" &
	LOADER_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q '^ready:' "$KDIR/loader.err" 2>/dev/null && return 0
		kill -0 "$LOADER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "loader did not get ready:" >&2
	cat "$KDIR/loader.err" >&2
	return 1
}

# stop the loader (SIGINT) and wait for its summary; $LOADER_RC its status
stop_loader() {
	[ -n "${LOADER_PID:-}" ] || return 0
	kill -INT "$LOADER_PID" 2>/dev/null
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$LOADER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$LOADER_PID" 2>/dev/null; then
		echo "loader $LOADER_PID did not stop on SIGINT in 30 s: killed" >&2
		kill -KILL "$LOADER_PID" 2>/dev/null
	fi
	LOADER_RC=0
	wait "$LOADER_PID" || LOADER_RC=$?
	LOADER_PID=
}

# summary line of one profile: "tasks syscalls violations kills dropped"
summary_of() {
	awk -v p="$1" '$1 == "summary:" && $2 == p { print $3, $4, $5, $6, $7 }' \
		"$KDIR/loader.err"
}

# number of events of a kind in $KDIR/events (JSON lines)
count_kind() {
	grep -c "\"kind\":\"$1\"" "$KDIR/events" || true
}

# unique_prog FOLDER TAG: a temp folder KDIR, and a comm PROG that no other
# process on the machine has (TAG<pid>_<test number>, cut to 15 bytes), so
# suites running side by side never bind each other's programs
unique_prog() {
	KDIR=$(mktemp -d "/tmp/syscfi-$1.XXXXXX")
	PROG=$(printf '%s%d_%d' "$2" $$ "$BATS_TEST_NUMBER" | cut -c1-15)
}
