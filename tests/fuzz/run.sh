#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Run libFuzzer targets over their seed corpora.
#   run.sh smoke BIN...   ~10 s each (make fuzz-smoke, make test)
#   run.sh long BIN...    300 s each (make fuzz)
# BIN is build/fuzz/fuzz_<name>; its seeds are tests/fuzz/corpus/<name>/. The
# fuzzer works on a temporary copy, so the tree is never modified. A crash,
# leak, sanitizer report or timeout fails the target; its reproducer is kept
# in build/fuzz/artifacts/ (FUZZ_ARTIFACTS overrides). The last line is
# "fuzz: N passed, N failed"; the exit status is non-zero on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)

mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
smoke) secs=10 runs=5000000 ;;
long) secs=300 runs=-1 ;;
*)
	echo "usage: $0 smoke|long BIN..." >&2
	exit 2
	;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/aegismon-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# UBSan reports alone do not stop a -fsanitize=undefined build: make them fatal.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

for bin in "$@"; do
	name=$(basename "$bin")
	target=${name#fuzz_}
	seeds="$here/corpus/$target"
	wd="$work/$target"
	log="$wd/log"
	mkdir -p "$wd/corpus" "$wd/artifacts"

	if [ ! -x "$bin" ] || [ ! -f "$bin" ]; then
		fail "$name" "not an executable: $bin"
		continue
	fi
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		fail "$name" "no seed corpus in $seeds"
		continue
	fi
	cp -p "$seeds"/* "$wd/corpus/"

	# correlate inputs are many fixed-size records: allow a longer sequence
	extra=()
	case "$target" in
	correlate) extra+=(-max_len=16384) ;;
	esac

	echo "== $name: ${secs}s over $(ls "$wd/corpus" | wc -l) seeds"
	"$bin" "${extra[@]}" -max_total_time="$secs" -runs="$runs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$wd/artifacts/" "$wd/corpus" >"$log" 2>&1
	rc=$?

	arts=$(ls -A "$wd/artifacts")
	if [ "$rc" -eq 0 ] && [ -z "$arts" ] && ! grep -q 'runtime error:' "$log"; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		echo "PASS $name: ${execs:-?} runs"
		passed=$((passed + 1))
		continue
	fi
	tail -n 60 "$log"
	keep=${FUZZ_ARTIFACTS:-$(dirname "$bin")/artifacts}
	if [ -n "$arts" ]; then
		mkdir -p "$keep"
		cp "$wd/artifacts"/* "$keep/"
		echo "reproducer(s) in $keep: $arts (run: $bin $keep/<file>)"
	fi
	fail "$name" "exit status $rc"
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
