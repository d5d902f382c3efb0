#!/usr/bin/env bats
# loader --metrics ADDR:PORT: Prometheus text at /metrics.  The counters
# are the summary's, scraped while the loader runs; promtool accepts the
# output; a real Prometheus (Debian's, as a plain process on 127.0.0.1)
# scrapes it; clients that stall or misbehave hold up neither events nor
# other scrapes; bad or taken addresses stop the start with nothing loaded.

load helpers
load kernel-helpers

setup() {
	unique_prog metrics mx
	PROM_PID=
	HOLD_PID=
	PIN=
}

teardown() {
	stop_loader
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	[ -n "$HOLD_PID" ] && kill "$HOLD_PID" 2>/dev/null && wait "$HOLD_PID" 2>/dev/null
	[ -n "$PIN" ] && [ -e "$PIN" ] && "$LOADER" --unpin="$PIN" >/dev/null 2>&1
	if [ -n "${KDIR:-}" ]; then rm -rf "$KDIR"; fi
	return 0
}

# a TCP port of 127.0.0.1 nothing listens on now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# the profile of $PROG: "pu" and "S" are clean runs
clean_profile() {
	build_prog "$PROG"
	{ ops_trans pu; ops_trans S; } | write_profile "$KDIR/$PROG.json" "$PROG"
}

# scrape [URL]: the body of /metrics in $KDIR/scrape, curl bounded in time
scrape() {
	curl -sS -g --max-time 5 -o "$KDIR/scrape" -w '%{http_code}' \
		"${1:-http://127.0.0.1:$PORT/metrics}"
}

# metric NAME LABELS: its value in $KDIR/scrape ("" when absent)
metric() {
	awk -v k="$1$2" '$1 == k { print $2 }' "$KDIR/scrape"
}

# check_metrics: for every profile of the summary, the scraped counters
# equal its line; violations by kind add up to its violations and equal
# the events of each kind (no event was dropped here); delivered equals
# the events printed
check_metrics() {
	PYTHONPATH="$ROOT/tests" PYTHONDONTWRITEBYTECODE=1 python3 - "$KDIR/scrape" "$KDIR/loader.err" "$KDIR/events" <<'EOF'
import json, re, sys
from text_escape import esc
scrape, err, events = sys.argv[1:4]

def unlabel(v):  # the exposition format's label escapes
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v)

m = {}
for line in open(scrape, encoding='utf-8'):
    if line.startswith('#') or not line.strip():
        continue
    mm = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line.rstrip('\n'))
    assert mm, line
    labels = dict((k, unlabel(v)) for k, v in
                  re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', mm.group(2) or ''))
    prof = esc(labels.get('profile', '').encode()) if 'profile' in labels else None
    m.setdefault(mm.group(1), {})[(prof, labels.get('kind'))] = int(mm.group(3))

ev = {}
for line in open(events, 'rb'):
    o = json.loads(line)
    key = (esc(o['profile'].encode()), o['kind'])
    ev[key] = ev.get(key, 0) + 1

n = 0
for line in open(err):
    f = line.split()
    if len(f) != 7 or f[0] != 'summary:' or not f[2].isdigit():
        continue
    p, (tasks, sysc, viol, kills, dropped) = f[1], map(int, f[2:])
    n += 1
    got = (m['syscfi_bindings_total'][(p, None)],
           m['syscfi_syscalls_checked_total'][(p, None)],
           sum(v for (q, k), v in m['syscfi_violations_total'].items() if q == p),
           m['syscfi_kills_total'][(p, None)],
           m['syscfi_events_dropped_total'][(p, None)])
    assert got == (tasks, sysc, viol, kills, dropped), (p, got, f[2:])
    assert dropped == 0, p
    for (q, k), v in m['syscfi_violations_total'].items():
        if q == p:
            assert v == ev.get((p, k), 0), (p, k, v, ev.get((p, k), 0))
    printed = sum(v for (q, k), v in ev.items() if q == p)
    assert m['syscfi_events_delivered_total'][(p, None)] == printed, p
assert n > 0, 'no profile in the summary'
print('%d profiles checked' % n)
EOF
}

@test "metrics: counters scraped during a run equal the summary, by kind, and promtool accepts them" {
	requires_bpf
	clean_profile
	PORT=$(free_port)
	start_loader --json --kill --policy graded --metrics "127.0.0.1:$PORT" \
		"$KDIR/$PROG.json"
	# one sleeper alive while scraped: the gauge of bound tasks
	"$KDIR/$PROG" S &
	local sleeper=$! i
	for ((i = 0; i < 50; i++)); do
		[ "$(scrape)" = 200 ]
		[ "$(metric syscfi_tasks_bound "{profile=\"$PROG\"}")" = 1 ] && break
		sleep 0.1
	done
	[ "$(metric syscfi_tasks_bound "{profile=\"$PROG\"}")" = 1 ]
	"$KDIR/$PROG" pu
	# three unseen transitions between known syscalls: alerts under graded
	"$KDIR/$PROG" up
	# getppid is not in the set: unseen-syscall, killed
	run "$KDIR/$PROG" pug
	[ "$status" -eq 137 ]
	wait "$sleeper"
	# the loader prints the events it reads; wait for all four
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l < "$KDIR/events")" -ge 4 ] && break
		sleep 0.1
	done
	[ "$(scrape)" = 200 ]
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
	cat "$KDIR/scrape"
	[ "$(metric syscfi_tasks_bound "{profile=\"$PROG\"}")" = 0 ]
	[ "$(metric syscfi_bindings_total "{profile=\"$PROG\"}")" = 4 ]
	[ "$(metric syscfi_kills_total "{profile=\"$PROG\"}")" = 1 ]
	[ "$(metric syscfi_violations_total "{profile=\"$PROG\",kind=\"unseen-syscall\"}")" = 1 ]
	[ "$(metric syscfi_violations_total "{profile=\"$PROG\",kind=\"unseen-transition\"}")" = 3 ]
	[ "$(metric syscfi_ring_buffer_size_bytes)" = 262144 ]
	[ "$(metric syscfi_ring_buffer_used_bytes)" = 0 ]
	[ "$(metric syscfi_reloads_total)" = 0 ]
	check_metrics
	if command -v promtool >/dev/null; then
		promtool check metrics < "$KDIR/scrape"
	elif [ "${SYSCFI_REQUIRE_BPF:-0}" = 1 ]; then
		echo "promtool missing (scripts/services-deps installs prometheus)" >&2
		return 1
	fi
}

@test "metrics: names that need escaping are valid label values; [::1]; 404, 405, HEAD and HTTP/1.0" {
	requires_bpf
	command -v promtool >/dev/null || {
		[ "${SYSCFI_REQUIRE_BPF:-0}" = 1 ] && return 1
		skip "promtool not installed (scripts/services-deps installs prometheus)"
	}
	# a comm with a double quote, a backslash and a newline
	PROG=$'m"\\\n'"$$_$BATS_TEST_NUMBER"
	PROG=${PROG:0:15}
	build_prog "$PROG"
	{ ops_trans pu; ops_trans S; } | sort -u | jq -R -s --arg comm "$PROG" \
		'{format: "syscfi-profile", version: 1, comm: $comm,
		  arch: "x86_64", depth: 2, window: 32,
		  stats: {traces: 1, tasks: 1, syscalls: 1},
		  transitions: (split("\n") | map(select(length > 0) |
				split(" ") + [1]))}' > "$KDIR/odd.json"
	ip -6 addr show lo | grep -q 'inet6 ::1/' || skip "no ::1 on lo"
	PORT=$(free_port)
	start_loader --json --metrics "[::1]:$PORT" "$KDIR/odd.json"
	"$KDIR/$PROG" up
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l < "$KDIR/events")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(scrape "http://[::1]:$PORT/metrics")" = 200 ]
	promtool check metrics < "$KDIR/scrape"
	grep -F "syscfi_kills_total{profile=\"m\\\"\\\\\\n$$" "$KDIR/scrape"
	[ "$(scrape "http://[::1]:$PORT/")" = 404 ]
	[ "$(scrape "http://[::1]:$PORT/metricsx")" = 404 ]
	[ "$(curl -sS -g --max-time 5 -o /dev/null -w '%{http_code}' -X POST "http://[::1]:$PORT/metrics")" = 405 ]
	run curl -sS -g --max-time 5 -I "http://[::1]:$PORT/metrics"
	[[ "$output" == *"Content-Type: text/plain; version=0.0.4"* ]]
	run curl -sS -g --max-time 5 --http1.0 -i "http://[::1]:$PORT/metrics?x=1"
	[[ "$output" == "HTTP/1.1 200 OK"* ]]
	[[ "$output" == *"syscfi_reloads_total 0"* ]]
	[ "$(scrape "http://[::1]:$PORT/metrics")" = 200 ]
	stop_loader
	check_metrics
}

@test "metrics: idle, slow and oversized clients stall neither events nor other scrapes" {
	requires_bpf
	clean_profile
	PORT=$(free_port)
	start_loader --json --metrics "127.0.0.1:$PORT" "$KDIR/$PROG.json"
	# 20 connections that never finish a request (more than it keeps
	# open), and one that sent half a request line
	python3 - "$PORT" > "$KDIR/hold.out" 2>&1 <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
held = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    if i % 2:
        s.sendall(b"GET /metr")
    held.append(s)
print("held", flush=True)
time.sleep(30)
EOF
	HOLD_PID=$!
	for ((i = 0; i < 50; i++)); do
		grep -q held "$KDIR/hold.out" && break
		sleep 0.1
	done
	grep -q held "$KDIR/hold.out"
	local t0 t1
	t0=$(date +%s%N)
	"$KDIR/$PROG" up
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l < "$KDIR/events")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l < "$KDIR/events")" -eq 3 ]
	[ "$(scrape)" = 200 ]
	t1=$(date +%s%N)
	# events and the scrape came while every slot was held, well before
	# a held client's 5 s ran out
	[ $(( (t1 - t0) / 1000000 )) -lt 3000 ]
	[ "$(metric syscfi_violations_total "{profile=\"$PROG\",kind=\"unseen-transition\"}")" = 3 ]
	# a request that never ends its headers: 431 after 4 KiB, not more
	run python3 - "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 8000)
except OSError:
    pass
print(s.recv(100).split(b"\r\n")[0].decode())
EOF
	[ "$output" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	# a NUL in the request: 400 at once, not a wait for its end
	run python3 - "$PORT" <<'EOF2'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"GET /metrics HTTP/1.1\r\nX: \0")
print(s.recv(100).split(b"\r\n")[0].decode())
EOF2
	[ "$output" = "HTTP/1.1 400 Bad Request" ]
	[ "$(scrape)" = 200 ]
	kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null || true
	HOLD_PID=
	stop_loader
	[ "$LOADER_RC" -eq 0 ]
}

@test "metrics: a real Prometheus scrapes the loader and answers a query with the summary's value" {
	requires_bpf
	if ! command -v prometheus >/dev/null; then
		[ "${SYSCFI_REQUIRE_BPF:-0}" = 1 ] && return 1
		skip "prometheus not installed (scripts/services-deps installs it)"
	fi
	clean_profile
	PORT=$(free_port)
	start_loader --json --kill --policy graded --metrics "127.0.0.1:$PORT" \
		"$KDIR/$PROG.json"
	run "$KDIR/$PROG" pug
	[ "$status" -eq 137 ]
	"$KDIR/$PROG" up
	local pport
	pport=$(free_port)
	mkdir "$KDIR/tsdb"
	cat > "$KDIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: syscfi
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
	prometheus --config.file="$KDIR/prometheus.yml" \
		--storage.tsdb.path="$KDIR/tsdb" \
		--web.listen-address="127.0.0.1:$pport" \
		> "$KDIR/prometheus.log" 2>&1 &
	PROM_PID=$!
	local q="syscfi_violations_total{profile=\"$PROG\",kind=\"unseen-syscall\"}"
	local i val=
	for ((i = 0; i < 60; i++)); do
		kill -0 "$PROM_PID" || break
		val=$(curl -sS --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" \
			--data-urlencode "query=$q" 2>/dev/null |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null) || true
		[ -n "$val" ] && break
		sleep 0.5
	done
	[ -n "$val" ] || { tail -20 "$KDIR/prometheus.log" >&2; false; }
	[ "$val" = 1 ]
	# the target is up, and every value Prometheus holds is the summary's
	val=$(curl -sS --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode "query=up{job=\"syscfi\"}" | jq -r '.data.result[0].value[1]')
	[ "$val" = 1 ]
	val=$(curl -sS --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode "query=sum(syscfi_violations_total{profile=\"$PROG\"})" |
		jq -r '.data.result[0].value[1]')
	kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true
	PROM_PID=
	stop_loader
	[ "$(summary_of "$PROG" | awk '{print $3}')" = "$val" ]
	# the kill, the second run's three novelties and, as that run ends
	# before its window fills, its mean above the threshold
	[ "$val" = 5 ]
}

@test "metrics: a bad --metrics address is exit 2 naming the problem" {
	[ -x "$LOADER" ] || skip "loader not built"
	ops_trans pu | write_profile "$KDIR/p.json" "$PROG"
	local bad
	for bad in 127.0.0.1 127.0.0.1: 127.0.0.1:0 127.0.0.1:65536 \
		   127.0.0.1:x localhost:9477 :9477 '[::1]' '[::1:9477' ::1:9477 \
		   '[127.0.0.1]:9477' 1.2.3:9477; do
		run "$LOADER" --metrics "$bad" "$KDIR/p.json"
		[ "$status" -eq 2 ]
		[[ "$output" == "loader: --metrics $bad: "* ]]
		[ "${#lines[@]}" -eq 1 ]
	done
	run "$LOADER" --metrics 1.2.3:9477 "$KDIR/p.json"
	[[ "$output" == *"not a numeric IPv4"* ]]
	run "$LOADER" --metrics 127.0.0.1:0 "$KDIR/p.json"
	[[ "$output" == *"1 to 65535"* ]]
	run "$LOADER" --learn --comm x --metrics 127.0.0.1:9477
	[ "$status" -eq 2 ]
	run "$LOADER" --unpin --metrics 127.0.0.1:9477
	[ "$status" -eq 2 ]
}

@test "metrics: an address in use stops the start before anything loads or pins (exit 1)" {
	requires_bpf
	ops_trans pu | write_profile "$KDIR/p.json" "$PROG"
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(30)' > "$KDIR/port" &
	HOLD_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -s "$KDIR/port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$KDIR/port")
	PIN="/sys/fs/bpf/syscfi-metrics-$$"
	run "$LOADER" --pin="$PIN" --metrics "127.0.0.1:$PORT" "$KDIR/p.json"
	[ "$status" -eq 1 ]
	[ "$output" = "loader: --metrics 127.0.0.1:$PORT: Address already in use" ]
	# nothing was pinned, not even the folder
	[ ! -e "$PIN" ]
}
