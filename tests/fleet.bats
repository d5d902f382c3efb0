#!/usr/bin/env bats
# The fleet deployment (deploy/, docs/fleet.md): the static tools, the image
# FROM scratch that podman builds offline, its root filesystem enforcing a
# profile under chroot (no container runtime runs on the test machines), and
# the Kubernetes manifests checked against what the loader needs.
# podman keeps its storage in this suite's temp folder: no image outlives it.

load helpers
load kernel-helpers

setup_file() {
	make -C "$ROOT" --no-print-directory -s static >/dev/null
	export FDIR="$(mktemp -d /tmp/syscfi-fleet.XXXXXX)"
	export PODMAN="podman --root $FDIR/storage --runroot $FDIR/run --storage-driver vfs"
	export TEST_IMAGE="localhost/syscfi-test:$$"
	export STATIC="$ROOT/build/static"
}

teardown_file() {
	if command -v podman >/dev/null; then
		$PODMAN image umount -a -f >/dev/null 2>&1 || true
		$PODMAN rmi -a -f >/dev/null 2>&1 || true
	fi
	rm -rf "$FDIR"
}

teardown() {
	if [ -n "${LOADER_PID:-}" ]; then
		kill -KILL "$LOADER_PID" 2>/dev/null || true
		wait "$LOADER_PID" 2>/dev/null || true
	fi
	# a test that failed half-way must not leave enforcement pinned
	if [ -n "${PIN:-}" ] && [ -e "$PIN" ]; then
		"$LOADER" --unpin="$PIN" >/dev/null 2>&1 || true
	fi
	[ -z "${KDIR:-}" ] || rm -rf "$KDIR"
}

needs() {
	local tool=$1 pkg=$2
	command -v "$tool" >/dev/null ||
		skip "$tool not installed (make image installs $pkg)"
}

# the image, built once for the suite by `make image` into podman's
# temporary storage; ROOTFS is a copy of its root filesystem
build_image() {
	needs podman podman
	if [ ! -e "$FDIR/built" ]; then
		make -C "$ROOT" --no-print-directory -s image IMAGE="$TEST_IMAGE" \
			> "$FDIR/build.log" 2>&1 || { cat "$FDIR/build.log"; return 1; }
		mkdir "$FDIR/rootfs"
		cp -a "$($PODMAN image mount "$TEST_IMAGE")/." "$FDIR/rootfs/"
		$PODMAN image umount "$TEST_IMAGE" >/dev/null
		touch "$FDIR/built"
	fi
	ROOTFS="$FDIR/rootfs"
}

# configmap_files DIR: the profiles of deploy/k8s/configmap.yaml written
# into DIR, one file a key
configmap_files() {
	python3 - "$ROOT/deploy/k8s/configmap.yaml" "$1" <<-'PY'
	import os, sys, yaml
	cm = yaml.safe_load(open(sys.argv[1]))
	for key, text in cm["data"].items():
	    with open(os.path.join(sys.argv[2], key), "w") as f:
	        f.write(text)
	PY
}

# kubelet_layout FROM TO: the files of FROM laid out in TO the way the
# kubelet mounts a ConfigMap: a hidden timestamped folder, ..data linking to
# it, and one symbolic link a key
kubelet_layout() {
	local from=$1 to=$2 ts=..2026_11_27_20_00_00.000000001 f
	mkdir -p "$to/$ts"
	cp "$from"/* "$to/$ts/"
	ln -s "$ts" "$to/..data"
	for f in "$from"/*; do
		ln -s "..data/${f##*/}" "$to/${f##*/}"
	done
}

# in_image ARGS...: run ARGS in the image's root filesystem, as a privileged
# container of deploy/k8s/daemonset.yaml would: the host's /sys/fs/bpf and
# /sys/kernel/btf, $CM at /etc/syscfi/profiles and a /proc of the host's PID
# namespace (hostPID), in a mount namespace of
# its own so that every mount goes with it.  The command replaces the
# caller (its pid is the loader's): call it with run, or in the background.
in_image() {
	mkdir -p "$ROOTFS/sys/fs/bpf" "$ROOTFS/sys/kernel/btf" "$ROOTFS/proc"
	exec unshare -m --propagation private sh -c '
		r=$1 cm=$2; shift 2
		mount --bind /sys/fs/bpf "$r/sys/fs/bpf" &&
		mount --bind -o ro /sys/kernel/btf "$r/sys/kernel/btf" &&
		mount --bind -o ro "$cm" "$r/etc/syscfi/profiles" &&
		mount -t proc proc "$r/proc" &&
		exec chroot "$r" "$@"' sh "$ROOTFS" "$CM" "$@"
}

# the image's ENTRYPOINT and CMD, one word a line
image_argv() {
	$PODMAN image inspect "$TEST_IMAGE" \
		--format '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' |
		sed '/^$/d'
}

@test "make static: the loader, the extractor and syscfi-run are statically linked and run" {
	for t in syscfi-loader syscfi-extractor syscfi-run; do
		run file -b "$STATIC/$t"
		[[ "$output" == *"statically linked"* ]]
		# no program interpreter: nothing to find in an empty image
		[ -z "$(readelf -l "$STATIC/$t" | grep INTERP)" ]
		run "$STATIC/$t" --help
		[ "$status" -eq 0 ]
	done
	# the BPF object is in the loader (its skeleton), not beside it
	[ -z "$(ls "$STATIC" | grep -v '^syscfi-')" ]
}

@test "make image: FROM scratch, built offline, holds the static tools and the profile folder only" {
	build_image
	cd "$ROOTFS"
	[ "$(find . -mindepth 1 | sort)" = "$(printf '%s\n' ./etc ./etc/syscfi \
		./etc/syscfi/profiles ./usr ./usr/bin ./usr/bin/syscfi-extractor \
		./usr/bin/syscfi-run ./usr/sbin ./usr/sbin/syscfi-loader)" ]
	cmp usr/sbin/syscfi-loader "$STATIC/syscfi-loader"
	cmp usr/bin/syscfi-extractor "$STATIC/syscfi-extractor"
	cmp usr/bin/syscfi-run "$STATIC/syscfi-run"
	# events as JSON lines on stdout, pinned; the metrics port documented
	[ "$(image_argv | head -3 | tr '\n' ' ')" = "/usr/sbin/syscfi-loader --json --pin " ]
	[ "$(image_argv | tail -1)" = /etc/syscfi/profiles ]
	run $PODMAN image inspect "$TEST_IMAGE" --format '{{json .Config.ExposedPorts}}'
	[ "$output" = '{"9477/tcp":{}}' ]
	# one layer a COPY, no base image under them
	[ "$($PODMAN image inspect "$TEST_IMAGE" --format '{{len .RootFS.Layers}}')" -eq 3 ]
}

@test "the image's root filesystem enforces a profile under chroot; its pins outlive the loader" {
	requires_bpf
	build_image
	unique_prog fleet-k flt
	build_prog "$PROG"
	mkdir "$KDIR/p"
	ops_trans pu | write_profile "$KDIR/p/$PROG.json" "$PROG"
	CM="$KDIR/cm"
	kubelet_layout "$KDIR/p" "$CM"
	PIN="/sys/fs/bpf/syscfi-fleet-$$"
	# the image's own command line (ENTRYPOINT + CMD: --kill, graded), its
	# pins moved aside from the machine's default folder
	mapfile -t argv < <(image_argv)
	LOADER=in_image start_loader "${argv[@]:0:3}" --pin="$PIN" "${argv[@]:3}"
	grep -q '^ready: 1 profiles' "$KDIR/loader.err"

	# the host's program: its profiled run passes, a syscall outside its
	# profile is killed, and the event is a JSON line on stdout
	run "$KDIR/$PROG" pu
	[ "$status" -eq 0 ]
	run "$KDIR/$PROG" pg
	[ "$status" -eq 137 ]
	for ((i = 0; i < 40; i++)); do
		grep -q '"action":"killed"' "$KDIR/events" && break
		sleep 0.05
	done
	run jq -r 'select(.profile == "'"$PROG"'") | "\(.kind) \(.action) \(.transition[2])"' "$KDIR/events"
	[ "$output" = "unseen-syscall killed getppid" ]

	# SIGTERM, as the kubelet stops a container: the loader exits 0 and
	# leaves its pins, so the node stays enforced until the next pod
	kill -TERM "$LOADER_PID"
	wait "$LOADER_PID"
	LOADER_PID=
	grep -q '^pinned: enforcement continues' "$KDIR/loader.err"
	[ -d "$PIN" ]
	run "$KDIR/$PROG" pg
	[ "$status" -eq 137 ]
	# --unpin from the image ends it
	run in_image /usr/sbin/syscfi-loader --unpin="$PIN"
	[ "$status" -eq 0 ]
	[ ! -e "$PIN" ]
	run "$KDIR/$PROG" pg
	[ "$status" -eq 0 ]
}

# A daemon's profile records the programs it execs by path; in a container
# those paths name the image's files, not the host's, unless --root.  The
# DaemonSet gives /proc/1/root; here pid 1 is the VM's agent, whose root
# procfs refuses to show, so the root of this test's own process stands in.
@test "--root /proc/PID/root: in the image, an exec edge names the host's file" {
	requires_bpf
	build_image
	unique_prog fleet-r flr
	build_prog "$PROG"
	mkdir "$KDIR/p"
	ops_trans px | write_profile "$KDIR/p/$PROG.json" "$PROG"
	jq '. + {exec: [{path: "/usr/bin/true", profile: null}]}' \
		"$KDIR/p/$PROG.json" > "$KDIR/p.json"
	mv "$KDIR/p.json" "$KDIR/p/$PROG.json"
	CM="$KDIR/p"
	# the image has no /usr/bin/true: the edge matches nothing, and the
	# recorded exec is killed
	LOADER=in_image start_loader /usr/sbin/syscfi-loader --kill --json /etc/syscfi/profiles
	grep -q 'exec edge /usr/bin/true: No such file' "$KDIR/loader.err"
	run "$KDIR/$PROG" px - /usr/bin/true
	[ "$status" -eq 137 ]
	stop_loader
	grep -q '"kind":"exec-unexpected"' "$KDIR/events"
	# the host's root: the edge is the host's /usr/bin/true, handed over
	LOADER=in_image start_loader /usr/sbin/syscfi-loader --kill --json --root /proc/$$/root \
		/etc/syscfi/profiles
	[ -z "$(grep 'exec edge' "$KDIR/loader.err")" ]
	run "$KDIR/$PROG" px - /usr/bin/true
	[ "$status" -eq 0 ]
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	[ ! -s "$KDIR/events" ]
}

@test "the ConfigMap's profiles load in the image's loader, mounted as the kubelet mounts them" {
	requires_bpf
	build_image
	KDIR=$(mktemp -d /tmp/syscfi-fleet-cm.XXXXXX)
	mkdir "$KDIR/p"
	configmap_files "$KDIR/p"
	CM="$KDIR/cm"
	kubelet_layout "$KDIR/p" "$CM"
	n=$(ls "$KDIR/p" | wc -l)
	[ "$n" -ge 1 ]
	# monitor mode, one second: the example's programs may run on this
	# machine, and must not be killed by a test
	run in_image /usr/sbin/syscfi-loader --json --duration 1 /etc/syscfi/profiles
	[ "$status" -eq 0 ]
	[[ "$output" == *"ready: $n profiles"* ]]
}

@test "the ConfigMap's profiles replay the sample service's run clean (extractor --check)" {
	needs python3 python3-yaml
	KDIR=$(mktemp -d)
	configmap_files "$KDIR"
	# every key is a file name the loader reads: *.json, no folder
	for f in "$KDIR"/*; do
		[[ "$f" == *.json ]]
	done
	run "$EXTRACTOR" --check "$KDIR" "$ROOT/res/syscfi-demo.syscall"
	[ "$status" -eq 0 ]
	# and the compromised run (fork, exec a shell) is not
	run "$EXTRACTOR" --check "$KDIR" "$TESTDATA/demo-compromised.syscall"
	[ "$status" -eq 1 ]
}

# check_manifests [DIR]: tests/fleet/check-manifests on deploy/k8s (or a
# changed copy), against the Containerfile and the image `make image` makes
check_manifests() {
	run "$BATS_TEST_DIRNAME/fleet/check-manifests" "${1:-$ROOT/deploy/k8s}" \
		"${CONTAINERFILE:-$ROOT/deploy/Containerfile}" \
		"$(make -C "$ROOT" --no-print-directory -s image-name)"
}

@test "the manifests: the DaemonSet has what the loader needs, and the image make image builds" {
	needs python3 python3-yaml
	check_manifests
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# check-manifests, loaded once, on changed copies of the manifests: each
# change must be refused with the message beside it
@test "the manifest check refuses a DaemonSet without what the loader needs" {
	needs python3 python3-yaml
	run python3 - "$BATS_TEST_DIRNAME/fleet/check-manifests" "$ROOT" \
		"$(make -C "$ROOT" --no-print-directory -s image-name)" <<-'PY'
	import copy, importlib.machinery, sys, types
	tool, root, image = sys.argv[1:]
	loader = importlib.machinery.SourceFileLoader("check_manifests", tool)
	cm = types.ModuleType(loader.name)
	loader.exec_module(cm)
	docs0 = cm.load_dir(f"{root}/deploy/k8s")
	entry0, exposed = cm.entrypoint(f"{root}/deploy/Containerfile")
	# d the DaemonSet, s its pod spec, c its container, e the ENTRYPOINT
	changes = [
	    ('s["hostPID"] = False', "hostPID is not true"),
	    ('c["securityContext"]["privileged"] = False', "not privileged"),
	    ('s["volumes"][0]["hostPath"]["path"] = "/var/bpf"',
	     "/sys/fs/bpf is not the host's /sys/fs/bpf"),
	    ('c["volumeMounts"][0]["readOnly"] = True', "--pin cannot pin"),
	    ('del c["volumeMounts"][1]', "/sys/kernel/btf is not the host's"),
	    ('c["image"] = "docker.io/library/syscfi:1"', "no container runs the image"),
	    ('s["volumes"][2]["configMap"]["name"] = "profiles"',
	     "no ConfigMap profiles in namespace kube-system"),
	    ('c["volumeMounts"][2]["mountPath"] = "/profiles"',
	     "no ConfigMap mounted at /etc/syscfi/profiles"),
	    ('c["args"][-1] = "/profiles"', "profiles are not /etc/syscfi/profiles"),
	    ('d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] = "9090"',
	     "prometheus.io/port is 9090, --metrics says 9477"),
	    ('del d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"]',
	     "no prometheus.io/scrape"),
	    ('c["args"][c["args"].index("--metrics") + 1] = "127.0.0.1:9477"',
	     "not reachable from the pod's network"),
	    ('c["ports"][0]["containerPort"] = 9000', "9477 is not a container port"),
	    ('c["readinessProbe"]["httpGet"]["port"] = 8080',
	     "readinessProbe does not ask the metrics port"),
	    ('del c["resources"]["limits"]["memory"]', "no memory limit"),
	    ('s["tolerations"] = []', "no toleration"),
	    ('c["command"] = ["/usr/sbin/syscfi-loader"]', "replaces the image's ENTRYPOINT"),
	    ('e.remove("--json")', "without --json"),
	    ('e.remove("--pin")', "without --pin"),
	    ('i = c["args"].index("--root"); del c["args"][i:i + 2]',
	     "without --root /proc/1/root"),
	]
	missed = 0
	for expr, want in changes:
	    docs, e = copy.deepcopy(docs0), list(entry0)
	    d = [x for _, x in docs if x["kind"] == "DaemonSet"][0]
	    s = d["spec"]["template"]["spec"]
	    c = s["containers"][0]
	    exec(expr)
	    got = cm.problems_of(docs, e, exposed, image)
	    if not any(want in p for p in got):
	        print(f"{expr}: wanted {want!r}, got {got}")
	        missed += 1
	print(f"{len(changes)} changes, {missed} missed")
	PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "20 changes, 0 missed" ]
}

@test "the DaemonSet's command line uses only options the image's loader has" {
	needs python3 python3-yaml
	mapfile -t opts < <(python3 - "$ROOT/deploy/k8s/daemonset.yaml" <<-'PY'
	import sys, yaml
	c = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
	for a in c["args"]:
	    if str(a).startswith("-"):
	        print(str(a).split("=")[0])
	PY
	)
	[ "${#opts[@]}" -gt 0 ]
	help=$("$STATIC/syscfi-loader" --help)
	missing=()
	for o in "${opts[@]}"; do
		grep -q -- "$o\b" <<<"$help" || missing+=("$o")
	done
	# --metrics comes with the loader's Prometheus endpoint; until that
	# loader is built here, it is the one option allowed to be missing
	if [ "${missing[*]}" = --metrics ]; then
		skip "this loader has no --metrics"
	fi
	[ "${#missing[@]}" -eq 0 ] || { echo "not in --help: ${missing[*]}"; false; }
}
