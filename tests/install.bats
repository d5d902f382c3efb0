#!/usr/bin/env bats
# make install into a DESTDIR: the layout, the installed tools running from
# there, the man pages rendering cleanly and the systemd unit verifying.
# No BPF: nothing here loads a program.

load helpers

setup_file() {
	export DEST="$(mktemp -d)"
	make -C "$ROOT" --no-print-directory -s install DESTDIR="$DEST" PREFIX=/usr >/dev/null
}

teardown_file() {
	rm -rf "$DEST"
}

@test "make install DESTDIR= PREFIX=/usr lays out every file, and only those" {
	cd "$DEST"
	[ "$(find . -type f | sort)" = "$(printf '%s\n' \
		./etc/default/syscfi \
		./usr/bin/syscfi-extractor \
		./usr/bin/syscfi-run \
		./usr/lib/systemd/system/syscfi.service \
		./usr/sbin/syscfi-loader \
		./usr/share/man/man1/syscfi-extractor.1 \
		./usr/share/man/man1/syscfi-run.1 \
		./usr/share/man/man5/syscfi-profile.5 \
		./usr/share/man/man8/syscfi-loader.8)" ]
	[ -d etc/syscfi/profiles ]
	for f in usr/bin/syscfi-extractor usr/bin/syscfi-run usr/sbin/syscfi-loader; do
		[ "$(stat -c %a "$f")" = 755 ]
	done
	for f in usr/share/man/man*/* usr/lib/systemd/system/syscfi.service etc/default/syscfi; do
		[ "$(stat -c %a "$f")" = 644 ]
	done
	# the unit runs the installed loader, with the installed options
	grep -qx 'ExecStart=/usr/sbin/syscfi-loader --pin --json $SYSCFI_OPTIONS $SYSCFI_PROFILES' \
		usr/lib/systemd/system/syscfi.service
	grep -qx 'EnvironmentFile=-/etc/default/syscfi' usr/lib/systemd/system/syscfi.service
	! grep -q @ usr/lib/systemd/system/syscfi.service
}

@test "the default PREFIX is /usr/local; an edited config is not overwritten" {
	d="$(mktemp -d)"
	make -C "$ROOT" --no-print-directory -s install DESTDIR="$d" >/dev/null
	[ -x "$d/usr/local/sbin/syscfi-loader" ]
	[ -f "$d/usr/local/lib/systemd/system/syscfi.service" ]
	[ -f "$d/usr/local/share/man/man5/syscfi-profile.5" ]
	grep -q '^ExecStart=/usr/local/sbin/syscfi-loader ' "$d/usr/local/lib/systemd/system/syscfi.service"
	echo 'SYSCFI_OPTIONS=--rate 5' > "$d/etc/default/syscfi"
	make -C "$ROOT" --no-print-directory -s install DESTDIR="$d" >/dev/null
	[ "$(cat "$d/etc/default/syscfi")" = 'SYSCFI_OPTIONS=--rate 5' ]
	rm -rf "$d"
}

@test "the installed tools run from the DESTDIR" {
	run "$DEST/usr/sbin/syscfi-loader" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--pin"* ]]
	run "$DEST/usr/bin/syscfi-run" --help
	[ "$status" -eq 0 ]
	run "$DEST/usr/bin/syscfi-extractor" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--diff"* ]]
	# and work: a profile built and compared with the installed extractor
	cd "$TESTDATA"
	"$DEST/usr/bin/syscfi-extractor" -q -o "$DEST/p" demo-normal.syscall
	run "$DEST/usr/bin/syscfi-extractor" --diff "$DEST/p" "$DEST/p"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	rm -rf "$DEST/p"
}

@test "the man pages render with man -l, without a warning" {
	command -v man >/dev/null || skip "man not installed (scripts/deps installs man-db)"
	for f in "$DEST"/usr/share/man/man*/*; do
		run env MANWIDTH=80 man -l "$f"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -gt 20 ]
		! grep -qi warn <<<"$output"
		# groff's own warnings (bad macros, bad escapes) on stderr
		run env MANWIDTH=80 man --warnings -l "$f"
		[ "$status" -eq 0 ]
		err="$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)"
		[ -z "$err" ] || { echo "$f: $err"; false; }
	done
	# each names itself and its section
	MANWIDTH=80 man -l "$DEST/usr/share/man/man5/syscfi-profile.5" | head -1 | grep -q 'SYSCFI-PROFILE(5)'
	MANWIDTH=80 man -l "$DEST/usr/share/man/man8/syscfi-loader.8" | tr -s ' \n' '  ' | grep -q 'SIGHUP reloads the profiles'
}

# systemd-analyze verify checks that ExecStart's program exists and is
# executable on this machine; the installed unit names /usr/sbin, so it is
# verified as a copy that names the DESTDIR's loader, nothing else changed
@test "systemd-analyze verify accepts the unit, and would refuse a bad one" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	unit="$DEST/usr/lib/systemd/system/syscfi.service"
	mkdir -p "$DEST/verify"
	sed "s|/usr/sbin/|$DEST/usr/sbin/|g" "$unit" > "$DEST/verify/syscfi.service"
	run systemd-analyze verify --man=no "$DEST/verify/syscfi.service"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the check is real: a misspelt setting or a missing program is reported
	sed 's/^Restart=on-failure/Restart=on-failures/' "$DEST/verify/syscfi.service" \
		> "$DEST/verify/bad1.service"
	run systemd-analyze verify --man=no "$DEST/verify/bad1.service"
	[ -n "$output" ]
	run systemd-analyze verify --man=no "$unit"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/usr/sbin/syscfi-loader"* ]] || [ -x /usr/sbin/syscfi-loader ]
	rm -rf "$DEST/verify"
}

@test "the unit: pins, JSON events to the journal, stop unpins, reload is SIGHUP" {
	unit="$DEST/usr/lib/systemd/system/syscfi.service"
	grep -qx 'Restart=on-failure' "$unit"
	grep -qx 'RestartPreventExitStatus=2' "$unit"
	grep -qx 'StandardOutput=journal' "$unit"
	grep -q '^ExecStopPost=.*/usr/sbin/syscfi-loader --unpin' "$unit"
	# systemctl reload: the loader rereads its profiles on SIGHUP
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit"
	# the example options are what the unit expects
	( . "$DEST/etc/default/syscfi"
	  [ "$SYSCFI_OPTIONS" = "--kill --policy graded" ]
	  [ "$SYSCFI_PROFILES" = /etc/syscfi/profiles ] )
}
