#!/usr/bin/env bats
# The anomaly score (docs/scoring.md): the CLI score of a numeric trace is
# the hand-computed window sum of the chosen model, --validate --target-fpr
# picks the quantile of the validation windows (plus --margin), and
# scripts/evaluate is deterministic and reports what it measured.
# Fixtures: tests/testdata/eval/ (hand-*.nr, tiny/).

load helpers

EVAL="$TESTDATA/eval"

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	rm -rf "$TMP"
}

# the profile of tests/unit/test_scoring.c, learned from two numeric traces,
# with window W: (START,START,open) 2, (START,open,read) 2, (open,read,read) 1,
# (open,read,close) 1, (read,read,close) 1, (read,close,write) 2
hand_profile() {
	"$EXTRACTOR" -q -o "$TMP/p" --format numbers --comm hand \
		"$EVAL/tiny/normal/a.nr" "$EVAL/tiny/normal/b.nr"
	sed -i "s/\"window\": [0-9]*/\"window\": $1/" "$TMP/p/hand.json"
}

threshold() {
	jq .threshold "$TMP/p/hand.json"
}

@test "--score of a numeric trace = the hand-computed window mean of the model" {
	hand_profile 8
	run "$EXTRACTOR" --score "$TMP/p" --format numbers --comm hand "$EVAL/hand-seq.nr"
	[ "$status" -eq 0 ]
	# costs 3 3 62 3 (known: a quarter of 15 13 248 15) | 1512+4096
	# 1662+4096 662+4096 | 65535 (unit test):
	# 81730 / 8 / 256 = 39.9072 bits; 4 unseen transitions
	[ "$output" = "$EVAL/hand-seq.nr	hand	39.907	4" ]
}

@test "--score: the highest full window, not the whole trace" {
	hand_profile 4
	run "$EXTRACTOR" --score "$TMP/p" --format numbers --comm hand "$EVAL/hand-seq.nr"
	[ "$status" -eq 0 ]
	# last four costs: 5608 + 5758 + 4758 + 65535 = 81659; / 4 / 256 = 79.745
	[ "$(cut -f3 <<< "$output")" = "79.745" ]
}

# window 1: each validation window is one cost; hand-valid.nr (open read
# close write) costs 3, 3, 62, 3 (1/256 bit; known: a quarter of 15, 13,
# 248, 15)
@test "--validate --target-fpr 0.25: one window of four may exceed -> 4/256 bit" {
	hand_profile 1
	run "$EXTRACTOR" --validate -o "$TMP/p" --target-fpr 0.25 --format numbers \
		--comm hand "$EVAL/hand-valid.nr"
	[ "$status" -eq 0 ]
	# above 3 (level 4) only the 62 window: 1 of 4 = 25%
	[ "$(threshold)" = "0.015625" ]
}

@test "--validate --target-fpr 0: above every validation window" {
	hand_profile 1
	run "$EXTRACTOR" --validate -o "$TMP/p" --target-fpr 0 --format numbers \
		--comm hand "$EVAL/hand-valid.nr"
	[ "$status" -eq 0 ]
	[ "$(threshold)" = "0.24609375" ]	# 63 / 256
	# and the validation trace then raises no anomaly
	run "$EXTRACTOR" --check "$TMP/p" --format numbers --comm hand "$EVAL/hand-valid.nr"
	[ "$status" -eq 0 ]
	[[ "$output" != *anomaly-score* ]]
}

@test "--validate --target-fpr F --margin M adds the margin to the quantile" {
	hand_profile 1
	run "$EXTRACTOR" --validate -o "$TMP/p" --target-fpr 0.25 --margin 0.5 \
		--format numbers --comm hand "$EVAL/hand-valid.nr"
	[ "$status" -eq 0 ]
	[ "$(threshold)" = "0.515625" ]	# (4 + 128) / 256
}

@test "--validate without --target-fpr: highest score + 0.5 bits" {
	hand_profile 1
	run "$EXTRACTOR" --validate -o "$TMP/p" --format numbers --comm hand "$EVAL/hand-valid.nr"
	[ "$status" -eq 0 ]
	[ "$(threshold)" = "0.7421875" ]	# (62 + 128) / 256
}

@test "--target-fpr outside 0..1 is refused" {
	hand_profile 1
	run "$EXTRACTOR" --validate -o "$TMP/p" --target-fpr 1.5 --format numbers \
		--comm hand "$EVAL/hand-valid.nr"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--target-fpr"* ]]
}

@test "evaluate: AUC and detection on the tiny set, PNG and SVG written" {
	run "$ROOT/scripts/evaluate" --folds 2 --seed 1 --plot "$TMP/e" \
		--json "$TMP/e.json" "$EVAL/tiny"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "program "*"AUC"*"det@1%"*"det@.1%"*"FA/Msys"* ]]
	# the attacks make transitions no normal run makes: perfect separation,
	# on the folds of the dev part and on the held-out part
	[[ "${lines[1]}" =~ ^tiny\ +dev\ +3\ +2\ +1\.000\ +100%\ +100%\ +0\.0 ]]
	[[ "${lines[2]}" =~ ^tiny\ +held\ +1\ +2\*\ +1\.000\ +100% ]]
	grep -q '<svg' "$TMP/e.svg"
	[ "$(head -c 4 "$TMP/e.png" | tail -c 3)" = "PNG" ]
	# 4 normal traces: 1 held out, 3 in the folds
	[ "$(jq '.[0].normal' "$TMP/e.json")" -eq 4 ]
	[ "$(jq '.[0].held_normal' "$TMP/e.json")" -eq 1 ]
	[ "$(jq '.[0].dev.kernel.pos | length' "$TMP/e.json")" -eq 4 ]	# 2 attacks x 2 folds
}

@test "evaluate: the held-out part does not depend on the seed" {
	"$ROOT/scripts/evaluate" --folds 2 --seed 1 --json "$TMP/a.json" "$EVAL/tiny" >/dev/null
	"$ROOT/scripts/evaluate" --folds 2 --seed 9 --json "$TMP/b.json" "$EVAL/tiny" >/dev/null
	[ "$(jq -c '.[0].held.kernel.neg' "$TMP/a.json")" = "$(jq -c '.[0].held.kernel.neg' "$TMP/b.json")" ]
}

@test "evaluate --candidates: the Python twin of the kernel's statistic agrees with SCORE" {
	run "$ROOT/scripts/evaluate" --folds 2 --candidates --json "$TMP/e.json" "$EVAL/linux/tar"
	[ "$status" -eq 0 ]
	[[ "$output" != *disagrees* ]]
	[ "$(jq '.[0].dev_twin_mismatch' "$TMP/e.json")" -eq 0 ]
	[ "$(jq '.[0].held_twin_mismatch' "$TMP/e.json")" -eq 0 ]
	# step by step too: tar's sh and gzip, and the gzip of that sh, are
	# three scoped profiles, two of them with the comm gzip
	[ "$(jq '.[0].dev_twin_step_mismatch' "$TMP/e.json")" -eq 0 ]
	[ "$(jq '.[0].held_twin_step_mismatch' "$TMP/e.json")" -eq 0 ]
}

@test "--score --steps names a scoped profile by its label" {
	"$EXTRACTOR" -q -o "$TMP/p" "$EVAL"/linux/tar/normal/*.syscall
	"$EXTRACTOR" -q --score "$TMP/p" --steps "$TMP/steps" "$EVAL"/linux/tar/normal/*.syscall \
		>/dev/null
	cut -f2 "$TMP/steps" | sort -u > "$TMP/labels"
	grep -qx tar "$TMP/labels"
	grep -qx tar/sh/gzip "$TMP/labels"
	grep -qx tar/gzip "$TMP/labels"
}

@test "evaluate --candidates: the twin agrees with SCORE on depth-1 profiles" {
	run "$ROOT/scripts/evaluate" --folds 2 --depth 1 --candidates --cand-models known4 \
		--cand-windows 32 --json "$TMP/e.json" "$EVAL/linux/tar"
	[ "$status" -eq 0 ]
	[[ "$output" != *disagrees* ]]
	[ "$(jq '.[0].dev_twin_mismatch' "$TMP/e.json")" -eq 0 ]
	[ "$(jq '.[0].held_twin_mismatch' "$TMP/e.json")" -eq 0 ]
}

@test "evaluate --candidates: knownDrN models, an unknown model is refused" {
	run "$ROOT/scripts/evaluate" --folds 2 --candidates --cand-models known4r8,known4,known4fr8 \
		--cand-windows 32 "$EVAL/linux/tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"known4r8 win32"* ]]
	[[ "$output" == *"known4fr8 win32"* ]]
	# the kernel's model under its model name: the same figures as its twin
	[ "$(grep -E '^mean +dev +chosen ' <<< "$output" | awk '{print $4, $5}')" = \
	  "$(grep -E '^mean +dev +known4r8 win32 ' <<< "$output" | awk '{print $5, $6}')" ]
	run "$ROOT/scripts/evaluate" --candidates --cand-models known4wbr8 "$EVAL/linux/tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *"known4wbr8"* ]]
	run "$ROOT/scripts/evaluate" --candidates --cand-models bogus "$EVAL/linux/tar"
	[ "$status" -eq 2 ]
}

@test "evaluate --candidates: context escapes clamped to 16 bits are the kernel's model" {
	run "$ROOT/scripts/evaluate" --folds 2 --candidates \
		--cand-models known4r8,known4cwb16_16r8,known4cgt4_24p8v64r8d4 \
		--cand-windows 32 --cand-stats win,kwin,gwin16 --json "$TMP/e.json" "$EVAL/linux/tar"
	[ "$status" -eq 0 ]
	# every context's escape held at 16 bits: the same scores as known4r8
	# (the thresholds are normal traces' scores)
	[ "$(jq -c '.[0].dev["known4r8 win32"] | [.auc, .thr1, .thr01]' "$TMP/e.json")" = \
	  "$(jq -c '.[0].dev["known4cwb16_16r8 win32"] | [.auc, .thr1, .thr01]' "$TMP/e.json")" ]
	[ "$(jq -c '.[0].held["known4r8 win32"] | [.auc, .thr1, .thr01]' "$TMP/e.json")" = \
	  "$(jq -c '.[0].held["known4cwb16_16r8 win32"] | [.auc, .thr1, .thr01]' "$TMP/e.json")" ]
	# only the statistics asked for
	[[ "$output" == *"known4cgt4_24p8v64r8d4 kwin32"* ]]
	[[ "$output" == *"known4r8 gwin32/16"* ]]
	! grep -qE '^mean +dev +known4r8 (mean|run|pwin|combo|cum|ema)' <<< "$output"
	run "$ROOT/scripts/evaluate" --candidates --cand-models known4r8d4x "$EVAL/linux/tar"
	[ "$status" -eq 2 ]
	run "$ROOT/scripts/evaluate" --candidates --cand-models known4d4 "$EVAL/linux/tar"
	[ "$status" -eq 2 ]
	run "$ROOT/scripts/evaluate" --candidates --cand-stats win,bogus "$EVAL/linux/tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *bogus* ]]
}

@test "--score --steps: one line per scored step, costs summing to the score" {
	hand_profile 8
	run "$EXTRACTOR" --score "$TMP/p" --steps "$TMP/steps" --format numbers --comm hand \
		"$EVAL/hand-seq.nr"
	[ "$status" -eq 0 ]
	[ "$(wc -l < "$TMP/steps")" -eq 8 ]
	[ "$(cut -f2 "$TMP/steps" | sort -u)" = "hand" ]
	[ "$(awk -F'\t' '{ s += $7 } END { print s }' "$TMP/steps")" -eq 81730 ]
}

@test "--steps without --score is refused" {
	hand_profile 8
	run "$EXTRACTOR" --check "$TMP/p" --steps "$TMP/steps" --format numbers --comm hand \
		"$EVAL/hand-seq.nr"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--steps goes with --score"* ]]
	[ ! -e "$TMP/steps" ]
}

@test "evaluate: the same seed gives the same output" {
	a=$("$ROOT/scripts/evaluate" --folds 2 --seed 7 --json "$TMP/a.json" "$EVAL/tiny")
	b=$("$ROOT/scripts/evaluate" --folds 2 --seed 7 --json "$TMP/b.json" "$EVAL/tiny")
	[ "$a" = "$b" ]
	cmp "$TMP/a.json" "$TMP/b.json"
}

@test "evaluate: a pid-numbers file is cut into one trace per PID" {
	mkdir -p "$TMP/ds/prog/normal" "$TMP/ds/prog/intrusion"
	printf '10 2\n11 2\n10 0\n11 0\n10 3\n11 3\n12 2\n12 0\n12 3\n' > "$TMP/ds/prog/normal/n.int"
	printf '20 2\n20 41\n20 59\n' > "$TMP/ds/prog/intrusion/x.int"
	run "$ROOT/scripts/evaluate" --folds 3 --json "$TMP/e.json" "$TMP/ds"
	[ "$status" -eq 0 ]
	[ "$(jq '.[0].normal' "$TMP/e.json")" -eq 3 ]
	[ "$(jq -r '.[0].format' "$TMP/e.json")" = "pid-numbers" ]
}

@test "evaluate: a program without normal traces is reported as skipped" {
	mkdir -p "$TMP/ds/a/intrusion"
	echo "1 2" > "$TMP/ds/a/intrusion/x.int"
	run "$ROOT/scripts/evaluate" "$TMP/ds"
	[ "$status" -eq 0 ]
	[[ "$output" == *"a "*"skipped: no normal traces"* ]]
}

@test "an unseen transition into a guarded call costs what a call never made costs" {
	# x86_64: 0 read, 1 write, 41 socket, 42 connect, 3 close
	printf '0\n1\n41\n42\n1\n3\n0\n1\n3\n' > "$TMP/train.nr"
	# socket and connect after (write, read): unseen, both in the set
	printf '0\n1\n0\n41\n1\n42\n3\n' > "$TMP/run.nr"
	"$EXTRACTOR" -q -o "$TMP/p" --format numbers --comm g "$TMP/train.nr"
	cost_of() { # cost_of X STEPS: the cost of the first scored step into X
		awk -F'\t' -v x="$1" '$6 == x { print $7; exit }' "$2"
	}
	"$EXTRACTOR" -q --score "$TMP/p" --steps "$TMP/s-arch" --arch x86_64 --format numbers \
		--comm g "$TMP/run.nr" > /dev/null
	[ "$(cost_of 41 "$TMP/s-arch")" -eq 65535 ]
	[ "$(cost_of 42 "$TMP/s-arch")" -eq 65535 ]
	# the steps mark the guarded calls
	[ "$(awk -F'\t' '$6 == 41 { print $8; exit }' "$TMP/s-arch")" = 1 ]
	[ "$(awk -F'\t' '$6 == 1 { print $8; exit }' "$TMP/s-arch")" = 0 ]
	# bare numbers without --arch name no call: nothing is guarded, the
	# back-off prices the novelty
	"$EXTRACTOR" -q --score "$TMP/p" --steps "$TMP/s-bare" --format numbers \
		--comm g "$TMP/run.nr" > /dev/null
	[ "$(cost_of 41 "$TMP/s-bare")" -lt 65535 ]
	[ "$(cost_of 41 "$TMP/s-bare")" -gt $((16 * 256)) ]
	# and --guarded says which
	"$EXTRACTOR" -q --score "$TMP/p" --steps "$TMP/s-conn" --guarded connect \
		--format numbers --comm g "$TMP/run.nr" > /dev/null
	[ "$(cost_of 41 "$TMP/s-conn")" -lt 65535 ]
	[ "$(cost_of 42 "$TMP/s-conn")" -eq 65535 ]
	# the score follows: the guarded run is far more anomalous
	a=$("$EXTRACTOR" -q --score "$TMP/p" --arch x86_64 --format numbers --comm g "$TMP/run.nr" | cut -f3)
	b=$("$EXTRACTOR" -q --score "$TMP/p" --format numbers --comm g "$TMP/run.nr" | cut -f3)
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 2 * b) }'
}

@test "a new guarded call fills the window: SCORE passes the cap; --validate leaves such windows out" {
	# x86_64: 0 read, 1 write, 3 close, 41 socket, 42 connect
	loop() { for i in $(seq "$1"); do printf '0\n1\n3\n'; done; }
	{ loop 20; printf '0\n1\n41\n42\n1\n3\n'; loop 20; } > "$TMP/train.nr"
	# socket after (1, 3): unseen, in the set, guarded
	{ loop 15; printf '41\n'; loop 15; } > "$TMP/bad.nr"
	loop 30 > "$TMP/good.nr"
	"$EXTRACTOR" -q -o "$TMP/p" --format numbers --comm g "$TMP/train.nr"
	score() { "$EXTRACTOR" -q --score "$TMP/p" --format numbers --comm g "$@" | cut -f3; }
	# one window holds it: its mean is at least the cap, 256 bits
	s=$(score --arch x86_64 "$TMP/bad.nr")
	awk -v s="$s" 'BEGIN { exit !(s >= 256) }'
	# not guarded: the back-off's cost and its escape, one step of 32
	s=$(score --arch x86_64 --guarded none "$TMP/bad.nr")
	awk -v s="$s" 'BEGIN { exit !(s > 0.5 && s < 8) }'
	# the threshold comes from the windows that do not hold it
	cp -r "$TMP/p" "$TMP/v"
	run "$EXTRACTOR" --validate -o "$TMP/v" --arch x86_64 --format numbers \
		--comm g "$TMP/good.nr" "$TMP/bad.nr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"32 windows held a new guarded call"*"left out of the threshold"* ]]
	# (the novelties after it, (3, 41) -> 0 and (41, 0) -> 1, are in
	# windows without it: 1.28 bits, plus the 0.5-bit margin)
	t=$(jq .threshold "$TMP/v/g.json")
	awk -v t="$t" 'BEGIN { exit !(t > 1.5 && t < 2) }'
}
