# The real-service harness (docs: tests/services/README.md), sourced by
# tests/services.bats and tests/services/report.  Daemons from Debian run
# in the foreground on 127.0.0.1 under private configurations in $SVC_WORK,
# as copies named scfi-<service> so that their profiles never bind the
# machine's own daemons, with the payload library (payload.c) loaded.
#
# Callers set SVC_ROOT (the checkout) and SVC_WORK (an empty temp folder),
# then call svc_init.  Every function returns non-zero on failure with the
# reason on stderr; every run is bounded by a timeout.

SVC_SERVICES="nginx redis memcached"
LOADER=${LOADER:-$SVC_ROOT/loader/loader}
EXTRACTOR=${EXTRACTOR:-$SVC_ROOT/extractor/extractor}
SVC_PY=/usr/bin/python3
SVC_SIGNAL=RTMIN+5	# payload.c's SCFI_SIGNAL

svc_comm() { echo "scfi-$1"; }

# the daemon binary of a service, or nothing when it is not installed
svc_binary() {
	case "$1" in
	nginx) echo /usr/sbin/nginx ;;
	redis) echo /usr/bin/redis-server ;;
	memcached) echo /usr/bin/memcached ;;
	esac
}

# what is missing to run the suite here, or nothing
svc_missing() {
	local m="" s c
	for s in $SVC_SERVICES; do
		[ -x "$(svc_binary "$s")" ] || m+=" $(svc_binary "$s")"
	done
	for c in curl ab redis-cli redis-benchmark strace gcc ss "$SVC_PY"; do
		command -v "$c" > /dev/null || m+=" $c"
	done
	echo "${m# }"
}

# a TCP port of 127.0.0.1 nothing listens on, below the ephemeral range
svc_free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 20000))	# below the ephemeral ports
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

svc_init() {
	mkdir -p "$SVC_WORK/bin" "$SVC_WORK/www" "$SVC_WORK/redis"
	gcc -O2 -Wall -Werror -shared -fPIC -o "$SVC_WORK/payload.so" \
		"$SVC_ROOT/tests/services/payload.c" -ldl || return 1
	local s
	for s in $SVC_SERVICES; do
		cp "$(svc_binary "$s")" "$SVC_WORK/bin/$(svc_comm "$s")" || return 1
	done
	# static files: two small pages and a large one
	printf '<html><body>syscfi</body></html>\n' > "$SVC_WORK/www/index.html"
	seq 1 400 > "$SVC_WORK/www/small.txt"
	head -c 700000 /dev/urandom > "$SVC_WORK/www/large.bin"
	# the file the exfil attack reads: no daemon ever reads it
	echo "SECRET-$RANDOM$RANDOM" > "$SVC_WORK/secret"
	SVC_PORT_nginx=$(svc_free_port)
	SVC_PORT_redis=$(svc_free_port)
	SVC_PORT_memcached=$(svc_free_port)
	svc_nginx_conf
	svc_redis_seed
}

# a dump file for redis to load at every start, training's first included
svc_redis_seed() {
	svc_start redis || return 1
	redis-cli -p "$SVC_PORT_redis" SET seed 1 > /dev/null &&
		redis-cli -p "$SVC_PORT_redis" SAVE > /dev/null
	local rc=$?
	svc_stop
	return $rc
}

svc_port() { local v="SVC_PORT_$1"; echo "${!v}"; }

svc_nginx_conf() {
	cat > "$SVC_WORK/nginx.conf" <<-EOF
	worker_processes 2;
	user root;
	pid $SVC_WORK/nginx.pid;
	error_log $SVC_WORK/nginx-error.log warn;
	events { worker_connections 512; }
	http {
	    access_log $SVC_WORK/access.log;
	    client_body_temp_path $SVC_WORK/body;
	    default_type application/octet-stream;
	    keepalive_requests 100000;
	    sendfile on;
	    server {
	        listen 127.0.0.1:$SVC_PORT_nginx;
	        root $SVC_WORK/www;
	    }
	}
	EOF
}

# the daemon's command line (after the binary), one word a line
svc_args() {
	case "$1" in
	nginx) printf '%s\n' -p "$SVC_WORK" -e "$SVC_WORK/nginx-error.log" \
		-c "$SVC_WORK/nginx.conf" -g 'daemon off; master_process on;' ;;
	redis) printf '%s\n' --port "$SVC_PORT_redis" --bind 127.0.0.1 \
		--save '' --appendonly no --dir "$SVC_WORK/redis" \
		--dbfilename dump.rdb --logfile "$SVC_WORK/redis.log" \
		--protected-mode no --daemonize no ;;
	memcached) printf '%s\n' -l 127.0.0.1 -p "$SVC_PORT_memcached" -U 0 -t 4 \
		-u root -m 64 ;;
	esac
}

# svc_start NAME [TRACE]: start the daemon (under strace -f -o TRACE when
# given) with the payload and the SCFI_* variables of the caller's
# environment; SVC_PID is the daemon (nginx: its master), SVC_LAUNCHER what
# to wait for.  Returns once it listens.
svc_start() {
	local name=$1 trace=${2:-} bin args i port
	bin=$SVC_WORK/bin/$(svc_comm "$name")
	readarray -t args < <(svc_args "$name")
	port=$(svc_port "$name")
	: > "$SVC_WORK/redis.log"
	if [ -n "$trace" ]; then
		local envs=(-E "LD_PRELOAD=$SVC_WORK/payload.so") v
		for v in SCFI_ATTACK SCFI_MARKER SCFI_PORT SCFI_FILE; do
			if [ -n "${!v:-}" ]; then envs+=(-E "$v=${!v}"); fi
		done
		strace -f -o "$trace" "${envs[@]}" "$bin" "${args[@]}" \
			> "$SVC_WORK/$name.out" 2>&1 &
		SVC_LAUNCHER=$!
		SVC_PID=
		for ((i = 0; i < 100; i++)); do
			SVC_PID=$(pgrep -P "$SVC_LAUNCHER" -x "$(svc_comm "$name")" | head -1)
			[ -n "$SVC_PID" ] && break
			sleep 0.05
		done
	else
		LD_PRELOAD="$SVC_WORK/payload.so" "$bin" "${args[@]}" \
			> "$SVC_WORK/$name.out" 2>&1 &
		SVC_LAUNCHER=$!
		SVC_PID=$SVC_LAUNCHER
	fi
	for ((i = 0; i < 200; i++)); do
		ss -Hltn "sport = :$port" | grep -q . && break
		kill -0 "$SVC_LAUNCHER" 2> /dev/null || break
		sleep 0.05
	done
	if ! ss -Hltn "sport = :$port" | grep -q . || [ -z "$SVC_PID" ]; then
		echo "svc: $name did not start listening on $port:" >&2
		tail -5 "$SVC_WORK/$name.out" "$SVC_WORK/nginx-error.log" \
			"$SVC_WORK/redis.log" 2> /dev/null >&2
		svc_stop
		return 1
	fi
	case "$name" in
	nginx) svc_nginx_workers 2 || return 1 ;;
	redis)	# it listens before its dump file is loaded
		for ((i = 0; i < 200; i++)); do
			grep -q 'Ready to accept connections' "$SVC_WORK/redis.log" && break
			sleep 0.05
		done ;;
	esac
	return 0
}

# the nginx master's workers; waits until there are N of them
svc_nginx_workers() {
	local n=$1 i w
	for ((i = 0; i < 200; i++)); do
		w=$(pgrep -P "$SVC_PID" | sort -n)
		[ "$(echo "$w" | grep -c .)" -eq "$n" ] && { echo "$w" > "$SVC_WORK/workers"; return 0; }
		sleep 0.05
	done
	echo "svc: nginx has not $n workers: $w" >&2
	return 1
}

# stop the daemon (SIGTERM, then SIGKILL after 10 s) and what started it
svc_stop() {
	[ -n "${SVC_LAUNCHER:-}" ] || return 0
	[ -z "${SVC_PID:-}" ] || kill -TERM "$SVC_PID" 2> /dev/null || true
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$SVC_LAUNCHER" 2> /dev/null || break
		sleep 0.05
	done
	kill -KILL "$SVC_LAUNCHER" ${SVC_PID:-} 2> /dev/null || true
	{ wait "$SVC_LAUNCHER"; } 2> /dev/null || true
	SVC_LAUNCHER= SVC_PID=
	# the workers of an nginx master that was killed
	local w
	for w in $(cat "$SVC_WORK/workers" 2> /dev/null); do
		if [ "$(cat "/proc/$w/comm" 2> /dev/null)" = "$(svc_comm nginx)" ]; then
			kill -KILL "$w" 2> /dev/null || true
		fi
	done
	rm -f "$SVC_WORK/workers"
	return 0
}

# is the daemon still up, with all its workers?
svc_alive() {
	kill -0 "${SVC_PID:-0}" 2> /dev/null || return 1
	[ "$1" != nginx ] || [ "$(pgrep -P "$SVC_PID" | grep -c .)" -ge 2 ]
}

# ---------------------------------------------------------------- workloads
# svc_workload NAME train|calib|enforce|untrained: one bounded run of the
# workload against the running daemon; non-zero when any request failed

svc_workload() {
	local rc=0
	"svc_work_$1" "$2" > "$SVC_WORK/work-$1-$2.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || { echo "svc: $1 $2 workload failed:" >&2; tail -5 "$SVC_WORK/work-$1-$2.log" >&2; }
	return $rc
}

# curl one URL, check the status: svc_curl WANT-STATUS ARGS...
svc_curl() {
	local want=$1 got
	shift
	got=$(timeout 20 curl -s -o /dev/null -w '%{http_code}' "$@") || true
	[ "$got" = "$want" ] || { echo "curl $*: $got, expected $want"; return 1; }
}

# ab, then check every request completed with the expected status
# svc_ab N NON2XX ARGS...
svc_ab() {
	local n=$1 non2xx=$2 out
	shift 2
	local rc
	out=$(timeout 60 ab -q -r -n "$n" "$@" 2>&1) ||
		{ rc=$?; echo "ab $*: $out" | tail -5; echo "ab: exit status $rc"; return 1; }
	echo "$out" | grep -q "^Complete requests: *$n\$" || { echo "ab $*: $out" | grep -i request; return 1; }
	echo "$out" | grep -q '^Failed requests: *0$' || { echo "ab $*: $out" | grep -i -A4 failed; return 1; }
	if [ "$non2xx" -eq 0 ]; then
		! echo "$out" | grep -q '^Non-2xx' || { echo "ab $*: non-2xx"; return 1; }
	else
		echo "$out" | grep -q "^Non-2xx responses: *$non2xx\$" || { echo "ab $*: 404s"; return 1; }
	fi
	echo "ab $*: $n ok"
}

svc_nginx_reload() {
	local old new i
	old=$(cat "$SVC_WORK/workers")
	kill -HUP "$SVC_PID" || return 1
	for ((i = 0; i < 200; i++)); do
		new=$(pgrep -P "$SVC_PID" | sort -n)
		[ "$(comm -12 <(echo "$old") <(echo "$new") | grep -c .)" -eq 0 ] &&
			[ "$(echo "$new" | grep -c .)" -eq 2 ] && break
		sleep 0.05
	done
	svc_nginx_workers 2
}

svc_work_nginx() {
	local u="http://127.0.0.1:$SVC_PORT_nginx" i
	case "$1" in
	train)
		for ((i = 0; i < 3; i++)); do
			svc_curl 200 "$u/index.html" || return 1
			svc_curl 200 "$u/large.bin" || return 1
			svc_curl 200 -I "$u/small.txt" || return 1
			svc_curl 404 "$u/missing$i" || return 1
			svc_curl 200 -H 'Connection: close' "$u/small.txt" || return 1
			# keep-alive: one connection, several requests
			timeout 20 curl -sf -o /dev/null -o /dev/null -o /dev/null \
				"$u/index.html" "$u/large.bin" "$u/small.txt" || return 1
		done
		svc_ab 200 0 -c 2 -k "$u/index.html" || return 1
		svc_ab 100 0 -c 2 "$u/small.txt" || return 1
		svc_ab 20 0 -c 2 -k "$u/large.bin" || return 1
		svc_ab 50 0 -c 2 -i "$u/index.html" || return 1
		svc_ab 20 20 -c 2 -k "$u/nothing" || return 1
		# a reload, then a worker killed: the master's reaping and
		# respawning paths
		svc_nginx_reload || return 1
		svc_ab 100 0 -c 2 -k "$u/small.txt" || return 1
		kill -KILL "$(head -1 "$SVC_WORK/workers")"
		sleep 0.3
		svc_nginx_workers 2 || return 1
		svc_ab 100 0 -c 2 -k "$u/index.html" || return 1
		svc_curl 200 "$u/large.bin" || return 1
		;;
	calib)
		svc_ab 300 0 -c 4 -k "$u/small.txt" || return 1
		svc_ab 40 0 -c 4 "$u/large.bin" || return 1
		svc_ab 100 0 -c 4 -i -k "$u/small.txt" || return 1
		svc_ab 50 50 -c 4 "$u/gone" || return 1
		svc_nginx_reload || return 1
		svc_ab 300 0 -c 4 "$u/index.html" || return 1
		# the peak's concurrency, briefly: calibration must see it
		svc_ab 1500 0 -c 16 -k "$u/index.html" || return 1
		svc_ab 600 0 -c 16 "$u/small.txt" || return 1
		;;
	enforce)
		svc_ab 1000 1000 -c 20 -k "$u/absent" || return 1
		svc_ab 400 0 -c 20 -k "$u/large.bin" || return 1
		svc_ab 10000 0 -c 20 -k "$u/small.txt" || return 1
		svc_ab 3000 0 -c 20 -i "$u/index.html" || return 1
		svc_nginx_reload || return 1
		svc_ab 3000 0 -c 20 "$u/index.html" || return 1
		svc_ab 200 0 -c 20 "$u/large.bin" || return 1
		for ((i = 0; i < 5; i++)); do
			svc_curl 200 -H 'Connection: close' "$u/index.html" || return 1
		done
		;;
	untrained)
		# methods the training never used: 405 from a static location
		svc_curl 405 -X POST -d 'a=b' "$u/index.html" || return 1
		svc_curl 405 -X PUT -d 'x' "$u/new.txt" || return 1
		;;
	esac
}

# redis-cli against the suite's server: svc_rcli EXPECTED ARGS...
svc_rcli() {
	local want=$1 got
	shift
	got=$(timeout 20 redis-cli -p "$SVC_PORT_redis" "$@" 2>&1) || true
	case "$got" in
	$want) return 0 ;;
	esac
	echo "redis-cli ${*:0:80}: '${got:0:80}', expected '${want:0:80}'"
	return 1
}

# redis-benchmark; every request answered without error
svc_rbench() {
	local out
	out=$(timeout 60 redis-benchmark -p "$SVC_PORT_redis" -q "$@" 2>&1) ||
		{ echo "redis-benchmark $*: $out" | tail -3; return 1; }
	! echo "$out" | grep -qiE 'error|closed|reset' ||
		{ echo "redis-benchmark $*: $out" | grep -iE 'error|closed|reset' | head -3; return 1; }
	echo "redis-benchmark $*: ok"
}

svc_redis_processed() {
	redis-cli -p "$SVC_PORT_redis" info stats | tr -d '\r' |
		awk -F: '$1 == "total_commands_processed" { print $2 }'
}

# wait for a BGSAVE to finish (the child reaped)
svc_redis_bgsave() {
	svc_rcli 'Background saving started' BGSAVE || return 1
	local i
	for ((i = 0; i < 100; i++)); do
		redis-cli -p "$SVC_PORT_redis" info persistence | tr -d '\r' |
			grep -q '^rdb_bgsave_in_progress:0' && return 0
		sleep 0.1
	done
	echo "BGSAVE did not end"
	return 1
}

svc_work_redis() {
	local i
	case "$1" in
	train)
		head -c 200000 /dev/urandom | base64 -w0 > "$SVC_WORK/bigval"
		svc_rcli '[0-9]*' DEL ctr list || return 1	# from an earlier run
		for ((i = 0; i < 3; i++)); do
			svc_rcli PONG PING || return 1
			svc_rcli OK SET "k$i" "v$i" || return 1
			svc_rcli "v$i" GET "k$i" || return 1
			svc_rcli "$((i + 1))" INCR ctr || return 1
			svc_rcli '[0-9]*' LPUSH list "a$i" "b$i" || return 1
			svc_rcli "*a$i*" LRANGE list 0 -1 || return 1
			svc_rcli OK -x SET big < "$SVC_WORK/bigval" || return 1
			svc_rcli "$(cat "$SVC_WORK/bigval")" GET big || return 1
			svc_rcli 1 DEL "k$i" || return 1
			svc_rcli '*redis_version*' INFO || return 1
			svc_rcli '*addr=*' CLIENT LIST || return 1
		done
		svc_rbench -c 1 -n 150 -t ping,set,get,incr,lpush,lrange_100 -d 100 || return 1
		svc_rbench -c 2 -n 100 -P 4 -t set,get,lpush,lrange_100 -d 100 || return 1
		svc_rbench -c 1 -n 20 -t set,get -d 100000 || return 1
		svc_rcli OK SAVE || return 1
		# a save of a dataset past 4 MB takes redis's incremental-fsync
		# path (sync_file_range): a rare path exercised on purpose
		svc_rbench -c 1 -n 120 -t set -d 100000 -r 80 || return 1
		svc_redis_bgsave || return 1
		svc_rbench -c 2 -n 200 -t get,set -d 10 -r 100 || return 1
		;;
	calib)
		svc_rbench -c 4 -n 2000 -P 4 -t set,get,incr,lpush,lrange_100,ping -d 200 -r 1000 || return 1
		# the peak's concurrency and pipelining, briefly
		svc_rbench -c 16 -P 8 -n 6000 -t set,get,lpush,lrange_100,incr -d 50 -r 5000 || return 1
		svc_redis_bgsave || return 1
		svc_rbench -c 4 -n 50 -t get,set -d 80000 || return 1
		svc_rcli '*redis_version*' INFO || return 1
		;;
	enforce)
		local before after
		before=$(svc_redis_processed)
		svc_rbench -c 20 -P 16 -n 20000 -t lpush,lrange_100,incr,get,set,ping -d 300 -r 10000 || return 1
		svc_rbench -c 20 -n 200 -t get,set -d 150000 || return 1
		svc_redis_bgsave || return 1
		svc_rbench -c 20 -P 16 -n 20000 -t set,get -d 20 -r 100000 || return 1
		svc_rcli '*redis_version*' INFO || return 1
		svc_rcli '[0-9]*' DEL ctr list || return 1
		after=$(svc_redis_processed)
		# 20000 x 7 (ping is two tests) + 400 + 40000, and the checks
		[ $((after - before)) -ge 180400 ] ||
			{ echo "redis: only $((after - before)) commands processed"; return 1; }
		echo "redis: $((after - before)) commands processed"
		;;
	untrained)
		svc_rcli 1 HSET h f v || return 1
		svc_rcli '*f*v*' HGETALL h || return 1
		svc_rcli '*rewriting*' BGREWRITEAOF || return 1
		sleep 1
		svc_rcli PONG PING || return 1
		;;
	esac
}

svc_work_memcached() {
	local m=("$SVC_PY" "$SVC_ROOT/tests/services/memc-client" --port "$SVC_PORT_memcached")
	case "$1" in
	train)
		timeout 60 "${m[@]}" --threads 1 --ops 150 --large 10 --seed 1 || return 1
		timeout 60 "${m[@]}" --threads 2 --ops 100 --large 25 --pipeline 3 --seed 2 || return 1
		;;
	calib)
		timeout 60 "${m[@]}" --threads 4 --ops 200 --large 30 --pipeline 2 --seed 3 --prefix c || return 1
		# the peak's concurrency, briefly
		timeout 60 "${m[@]}" --threads 16 --ops 100 --large 10 --pipeline 4 --seed 6 --prefix d ;;
	enforce)
		timeout 60 "${m[@]}" --threads 20 --ops 300 --large 40 --large-size 500000 \
			--pipeline 6 --seed 4 --prefix e ;;
	untrained)
		timeout 60 "${m[@]}" --threads 1 --ops 20 --seed 5 --prefix u --extra ;;
	esac
}

# ------------------------------------------------------------- the loader
# svc_loader_start OUT ARGS...: the loader in the background, events in
# OUT.events, stderr in OUT.err; returns once ready
svc_loader_start() {
	local out=$1 i
	shift
	: > "$out.err"	# not only in the child: no earlier "ready:" is found
	"$LOADER" "$@" > "$out.events" 2> "$out.err" &
	SVC_LOADER_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^ready:' "$out.err" 2> /dev/null && return 0
		kill -0 "$SVC_LOADER_PID" 2> /dev/null || break
		sleep 0.05
	done
	echo "svc: loader $* did not get ready:" >&2
	cat "$out.err" >&2
	svc_loader_stop
	return 1
}

svc_loader_stop() {
	[ -n "${SVC_LOADER_PID:-}" ] || return 0
	local rc=0
	kill -INT "$SVC_LOADER_PID" 2> /dev/null || true
	wait "$SVC_LOADER_PID" || rc=$?
	SVC_LOADER_PID=
	return $rc
}

# does the loader know graded enforcement / calibration yet?
svc_has_policy() { "$LOADER" --help 2>&1 | grep -q -- '--policy.*graded\|graded.*--policy'; }
svc_has_calibrate() { "$LOADER" --help 2>&1 | grep -q -- '--calibrate'; }

# ------------------------------------------------------------- training
# the payload's signal with no attack set: its handler returns at once,
# so training holds the delivery and the rt_sigreturn, and an attack run
# differs from a normal one by the attack's own syscalls only
svc_signal_idle() {
	local t
	for t in $SVC_PID $(cat "$SVC_WORK/workers" 2> /dev/null); do
		kill -s "$SVC_SIGNAL" "$t" 2> /dev/null || true
	done
	sleep 0.2
}

# svc_train_strace NAME DIR: record the training workload with strace -f,
# extract DIR/scfi-NAME.json
svc_train_strace() {
	local name=$1 dir=$2
	svc_start "$name" "$SVC_WORK/$name.train.syscall" || return 1
	svc_workload "$name" train || { svc_stop; return 1; }
	svc_signal_idle
	svc_stop
	"$EXTRACTOR" -q -o "$dir" "$SVC_WORK/$name.train.syscall" > /dev/null || return 1
	[ -s "$dir/$(svc_comm "$name").json" ]
}

# svc_train_live NAME DIR: the same workload learned by loader --learn
svc_train_live() {
	local name=$1 dir=$2 rc=0
	svc_loader_start "$SVC_WORK/$name.learn" --learn --comm "$(svc_comm "$name")" \
		-o "$dir" --interval 600 || return 1
	svc_start "$name" || { svc_loader_stop; return 1; }
	svc_workload "$name" train || rc=1
	svc_signal_idle
	svc_stop
	svc_loader_stop || rc=1
	[ $rc -eq 0 ] && [ -s "$dir/$(svc_comm "$name").json" ]
}

# svc_calibrate NAME DIR: thresholds for DIR's profiles from the
# calibration workload, with loader --calibrate; a no-op without it
svc_calibrate() {
	local name=$1 dir=$2 rc=0
	svc_has_calibrate || return 0
	svc_loader_start "$SVC_WORK/$name.calib" --calibrate "$dir" || return 1
	svc_start "$name" || { svc_loader_stop; return 1; }
	svc_workload "$name" calib || rc=1
	svc_stop
	svc_loader_stop || rc=1
	return $rc
}

# ---------------------------------------------------------- measurements
# svc_run NAME DIR TAG WORKLOAD LOADER-ARGS...: the loader with DIR's
# profiles, the daemon, the workload; results in $SVC_WORK/TAG.*:
#   .events .err  the loader's output
#   .result       workload=ok|failed and alive=yes|no, one a line
svc_run() {
	local name=$1 dir=$2 tag=$3 work=$4 wrc=0 alive=yes
	shift 4
	local out=$SVC_WORK/$tag
	svc_loader_start "$out" --json --rate 0 "$@" "$dir" || return 1
	if svc_start "$name"; then
		svc_workload "$name" "$work" 2> /dev/null || wrc=1
		svc_alive "$name" || alive=no
		svc_stop
	else
		wrc=1 alive=no
	fi
	svc_loader_stop || true
	printf 'workload=%s\nalive=%s\n' "$([ $wrc -eq 0 ] && echo ok || echo failed)" "$alive" \
		> "$out.result"
}

# the summary columns of a run: "tasks syscalls violations kills dropped"
svc_summary() {
	awk -v p="$(svc_comm "$2")" '$1 == "summary:" && $2 == p { print $3, $4, $5, $6, $7 }' \
		"$SVC_WORK/$1.err"
}

# events of a run, one "kind action" a line
svc_kinds() {
	jq -r '"\(.kind) \(.action)"' "$SVC_WORK/$1.events" 2> /dev/null
}

# ---------------------------------------------------------------- attacks
# svc_attack NAME DIR TAG KIND LOADER-ARGS...: start the daemon with
# SCFI_ATTACK=KIND under the loader, open a client connection that stays
# idle, signal the process that holds it (nginx: each worker), and look:
# $SVC_WORK/TAG.result gets
#   marker=yes|no    the shell of "exec" ran
#   connected=yes|no the listener of "connect" got data
#   leaked=yes|no    the secret of "exfil" reached the client
#   alive=yes|no     the signalled processes survived
svc_attack() {
	local name=$1 dir=$2 tag=$3 kind=$4
	shift 4
	local out=$SVC_WORK/$tag port lport targets t
	port=$(svc_port "$name")
	lport=$(svc_free_port)
	rm -f "$out".marker "$out".listened "$out".client
	# the connect attack's listener: records what it receives
	"$SVC_PY" - "$lport" "$out.listened" <<-'EOF' &
	import socket, sys
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(8)
	try:
	    c, _ = s.accept(); c.settimeout(3)
	    open(sys.argv[2], "w").write("connected\n")
	    d = c.recv(100)
	    if d: open(sys.argv[2], "a").write("data\n")
	except Exception:
	    pass
	EOF
	local lpid=$!
	svc_loader_start "$out" --json --rate 0 "$@" "$dir" || { kill "$lpid" || true; return 1; }
	if ! SCFI_ATTACK=$kind SCFI_MARKER=$out.marker SCFI_PORT=$lport \
		SCFI_FILE=$SVC_WORK/secret svc_start "$name" 2> /dev/null; then
		# killed before the attack: a false kill at start-up
		svc_loader_stop || true
		kill "$lpid" 2> /dev/null || true
		wait "$lpid" 2> /dev/null || true
		echo "started=no" > "$out.result"
		: > "$out.targets"; echo 0 > "$out.signalled"
		return 0
	fi
	# an idle client, to be the exfil's channel: one request answered,
	# then the connection held open while the attack runs
	"$SVC_PY" - "$name" "$port" "$out.client" <<-'EOF' &
	import socket, sys, time
	name, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	req = {"nginx": b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
	       "redis": b"PING\r\n", "memcached": b"version\r\n"}[name]
	s = socket.create_connection(("127.0.0.1", port)); s.sendall(req)
	s.settimeout(1.0); got = b""; end = time.time() + 4
	while time.time() < end:
	    try:
	        d = s.recv(65536)
	        if not d: break
	        got += d
	    except socket.timeout:
	        pass
	open(path, "wb").write(got)
	EOF
	local cpid=$!
	sleep 0.5
	if [ "$name" = nginx ]; then targets=$(cat "$SVC_WORK/workers"); else targets=$SVC_PID; fi
	# events from here on are the attack's
	wc -l < "$out.events" > "$out.signalled"
	echo "$targets" > "$out.targets"
	for t in $targets; do kill -s "$SVC_SIGNAL" "$t" 2> /dev/null || true; done
	sleep 1
	local alive=yes
	for t in $targets; do kill -0 "$t" 2> /dev/null || alive=no; done
	wait "$cpid" || true
	svc_stop
	svc_loader_stop || true
	kill "$lpid" 2> /dev/null || true
	wait "$lpid" 2> /dev/null || true
	{
		echo "started=yes"
		echo "marker=$([ -e "$out.marker" ] && echo yes || echo no)"
		echo "connected=$(grep -q data "$out.listened" 2> /dev/null && echo yes || echo no)"
		echo "leaked=$(grep -qF "$(cat "$SVC_WORK/secret")" "$out.client" 2> /dev/null && echo yes || echo no)"
		echo "alive=$alive"
	} > "$out.result"
}

svc_result() { sed -n "s/^$2=//p" "$SVC_WORK/$1.result" | head -1; }

# the attack's events: those of the signalled processes after the signal,
# one JSON object a line
svc_attack_events() {
	local out=$SVC_WORK/$1
	tail -n +$(($(cat "$out.signalled") + 1)) "$out.events" |
		jq -c --argjson t "$(jq -s . < <(tr ' ' '\n' < "$out.targets" | grep .))" \
			'select(.pid as $p | $t | index($p))'
}
