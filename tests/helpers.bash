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
