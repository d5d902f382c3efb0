# Shared by every bats file: paths, skips, and the BPF requirement.
ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# SYSCFI_EXTRACTOR: another build of it (make sanitize: the ASan/UBSan one)
EXTRACTOR="${SYSCFI_EXTRACTOR:-$ROOT/extractor/extractor}"
LOADER="$ROOT/loader/loader"
TESTDATA="$ROOT/tests/testdata"

# Skip (with the reason) when the kernel side cannot run here; under
# SYSCFI_REQUIRE_BPF=1 (CI) the same reason is a failure.
requires_bpf() {
	local why=""
	if [ "$(id -u)" -ne 0 ]; then why="not root"
	elif [ ! -r /sys/kernel/btf/vmlinux ]; then why="no BTF at /sys/kernel/btf/vmlinux"
	elif [ ! -x "$LOADER" ]; then why="loader not built"
	fi
	[ -z "$why" ] && return 0
	if [ "${SYSCFI_REQUIRE_BPF:-0}" = 1 ]; then
		echo "SYSCFI_REQUIRE_BPF=1 but BPF tests cannot run: $why" >&2
		return 1
	fi
	skip "$why"
}

# strace_exec_race TRACE: 0 when strace printed a child's finished execve
# before its parent's clone result, a race in strace's output (about one
# run in 50 of the threaded sample, whose posix_spawn child execs while
# its parent waits in clone3).  The extractor links such a child only
# when one task has a process-creating call in flight (README, "Limits";
# tests/extractor.bats has such a trace): a test that compares scoped
# profiles of live runs records such a run again.
strace_exec_race() {
	awk 'NR == 1 { root = $1 }
	/(clone3?|vfork|fork)\(.*= [0-9]+$/ ||
	/<\.\.\. (clone3?|vfork|fork) resumed>.*= [0-9]+$/ { linked[$NF] = 1 }
	/(execve\(|<\.\.\. execve resumed>).*= 0$/ && $1 != root && !linked[$1] { race = 1 }
	END { exit !race }' "$1"
}
