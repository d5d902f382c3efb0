#!/usr/bin/env bats
# Real services (tests/services/): nginx, redis-server and memcached from
# Debian, each learned live (loader --learn) on a light training workload
# with the attack payload loaded, calibrated, then run on a heavier held-out
# workload and attacked.  The pass criteria of graded enforcement need
# `loader --kill --policy graded` (requires_policy); the monitor-mode checks
# run on any loader.  The figures come from tests/services/report.

load helpers

setup_file() {
	export SVC_ROOT="$ROOT" SVC_WORK="$BATS_FILE_TMPDIR/svc"
	SVC_SKIP=""
	if [ "$(id -u)" -ne 0 ] || [ ! -x "$LOADER" ]; then
		SVC_SKIP="not root, or no loader"
	else
		# shellcheck source=services/lib.bash
		. "$ROOT/tests/services/lib.bash"
		m=$(svc_missing)
		[ -z "$m" ] || SVC_SKIP="missing $m (scripts/services-deps)"
	fi
	export SVC_SKIP
	[ -n "$SVC_SKIP" ] && return 0
	mkdir -p "$SVC_WORK"
	svc_init
	# the ports are chosen once, for every test of the file
	export SVC_PORT_nginx SVC_PORT_redis SVC_PORT_memcached
	local s
	for s in $SVC_SERVICES; do
		mkdir -p "$SVC_WORK/prof-$s"
		svc_train_live "$s" "$SVC_WORK/prof-$s" 2> "$SVC_WORK/train-$s.err" ||
			echo "training failed" >> "$SVC_WORK/train-$s.err"
		svc_calibrate "$s" "$SVC_WORK/prof-$s" 2>> "$SVC_WORK/train-$s.err" ||
			echo "calibration failed" >> "$SVC_WORK/train-$s.err"
	done
}

setup() {
	[ -z "$SVC_SKIP" ] || { requires_bpf; skip "$SVC_SKIP"; }
	requires_bpf
	# shellcheck source=services/lib.bash
	. "$ROOT/tests/services/lib.bash"
}

teardown() {
	svc_stop 2> /dev/null
	svc_loader_stop 2> /dev/null || true
}

# the graded policy is the model these tests are the pass criteria of
requires_policy() {
	svc_has_policy || skip "loader has no --policy graded"
}

# the live-learned (and calibrated) profiles of service $1
trained() {
	if grep -q failed "$SVC_WORK/train-$1.err"; then
		cat "$SVC_WORK/train-$1.err" >&2
		return 1
	fi
	[ -s "$SVC_WORK/prof-$1/$(svc_comm "$1").json" ]
}

# every kill of a run names the rule that fired (its kind), and under the
# graded policy that rule is never a lone unseen transition
kills_name_rule() {
	local bad
	bad=$(jq -c 'select(.action == "killed") | select((.kind // "") == "" or
		.kind == "unseen-transition")' "$SVC_WORK/$1.events")
	[ -z "$bad" ] || { echo "kill without a rule: $bad" >&2; return 1; }
}

# $1's events: one "kind action" a line, for the failure output
show_run() {
	echo "--- $1: $(paste -sd' ' "$SVC_WORK/$1.result" 2> /dev/null)" >&2
	svc_kinds "$1" | sort | uniq -c >&2
	jq -r 'select(.action == "killed") | "killed: \(.kind) \(.transition | join(">"))"' \
		"$SVC_WORK/$1.events" >&2 2> /dev/null || true
	tail -3 "$SVC_WORK/$1.err" >&2
}

# monitor mode: the heavier workload passes, the loader checks it, and the
# attack made only of syscalls in the profile is seen as an order the
# daemon never takes (an unseen transition or the score): a syscall
# allow-list alone, or a check with every transition taken as known, fails
monitor_case() {
	local name=$1 tag ev
	trained "$name"
	tag=$name-mon
	svc_run "$name" "$SVC_WORK/prof-$name" "$tag" enforce
	show_run "$tag"
	[ "$(svc_result "$tag" workload)" = ok ]
	[ "$(svc_result "$tag" alive)" = yes ]
	read -r _ sys _ <<< "$(svc_summary "$tag" "$name")"
	[ "${sys:-0}" -gt 1000 ]
	# the calibrated threshold holds the held-out load: no score crossing
	[ "$(jq -s 'map(select(.kind == "anomaly-score")) | length' "$SVC_WORK/$tag.events")" -eq 0 ]

	tag=$name-exfil-mon
	svc_attack "$name" "$SVC_WORK/prof-$name" "$tag" exfil
	[ "$(svc_result "$tag" started)" = yes ]
	# monitor mode lets it through: the payload works
	[ "$(svc_result "$tag" leaked)" = yes ]
	ev=$(svc_attack_events "$tag")
	echo "attack events: $ev" >&2
	# a transition through the attack's own syscalls: the delivery of the
	# signal alone is in the training.  (redis makes every one of those
	# transitions in its main loop: there only the return from the handler
	# after the write is new.)
	echo "$ev" | jq -e -s 'map(select(.kind == "unseen-transition" or
		.kind == "unseen-syscall" or .kind == "anomaly-score")
		| select(.transition | any(IN("openat", "read", "close", "write")))) | length > 0' \
		> /dev/null

	# a shell: a new guarded call, which fills the score's window, so it
	# crosses the calibrated threshold however noisy the daemon is
	tag=$name-exec-mon
	svc_attack "$name" "$SVC_WORK/prof-$name" "$tag" exec
	[ "$(svc_result "$tag" started)" = yes ]
	ev=$(svc_attack_events "$tag")
	echo "attack events: $ev" >&2
	echo "$ev" | jq -e -s 'map(select(.kind == "anomaly-score" and .score >= 256)) | length > 0' \
		> /dev/null
}

# graded --kill: the held-out workload runs with no kill and no failure
graded_normal_case() {
	local name=$1 tag=$1-graded
	trained "$name"
	svc_run "$name" "$SVC_WORK/prof-$name" "$tag" enforce --kill --policy graded
	show_run "$tag"
	kills_name_rule "$tag"
	[ "$(svc_result "$tag" workload)" = ok ]
	[ "$(svc_result "$tag" alive)" = yes ]
	read -r _ _ _ kills _ <<< "$(svc_summary "$tag" "$name")"
	[ "$kills" = 0 ]
}

# graded --kill: attack KIND is killed, by a kill that names its rule
graded_attack_case() {
	local name=$1 kind=$2 tag=$1-$2-graded
	trained "$name"
	svc_attack "$name" "$SVC_WORK/prof-$name" "$tag" "$kind" --kill --policy graded
	show_run "$tag"
	[ "$(svc_result "$tag" started)" = yes ]
	kills_name_rule "$tag"
	[ "$(svc_result "$tag" alive)" = no ]
	svc_attack_events "$tag" | jq -e -s 'map(select(.action == "killed")) | length > 0' > /dev/null
	case "$kind" in
	exec) [ "$(svc_result "$tag" marker)" = no ] ;;	# the shell never ran
	connect) [ "$(svc_result "$tag" connected)" = no ] ;;
	esac
}

@test "services: nginx, monitor: the held-out workload passes; a known-syscalls attack is alerted, a shell crosses the score" {
	monitor_case nginx
}

@test "services: redis, monitor: the held-out workload passes; a known-syscalls attack is alerted, a shell crosses the score" {
	monitor_case redis
}

@test "services: memcached, monitor: the held-out workload passes; a known-syscalls attack is alerted, a shell crosses the score" {
	monitor_case memcached
}

@test "services: nginx, graded --kill: every request of the held-out workload succeeds, no kill" {
	requires_policy
	graded_normal_case nginx
}

@test "services: redis, graded --kill: every request of the held-out workload succeeds, no kill" {
	requires_policy
	graded_normal_case redis
}

@test "services: memcached, graded --kill: every request of the held-out workload succeeds, no kill" {
	requires_policy
	graded_normal_case memcached
}

@test "services: nginx, graded --kill: exec of a shell is killed before the shell runs" {
	requires_policy
	graded_attack_case nginx exec
}

@test "services: redis, graded --kill: exec of a shell is killed before the shell runs" {
	requires_policy
	graded_attack_case redis exec
}

@test "services: memcached, graded --kill: exec of a shell is killed before the shell runs" {
	requires_policy
	graded_attack_case memcached exec
}

@test "services: nginx, graded --kill: an outbound connection is killed" {
	requires_policy
	graded_attack_case nginx connect
}

@test "services: redis, graded --kill: an outbound connection is killed" {
	requires_policy
	graded_attack_case redis connect
}

@test "services: memcached, graded --kill: an outbound connection is killed" {
	requires_policy
	graded_attack_case memcached connect
}
