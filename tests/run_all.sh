#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make test: unit tests, e2e tests (root, real BPF), fuzz smoke. No test is skipped.
# TEST_SUITES="unit e2e": only these suites (CI's second, sanitized pass).
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0
tally() { # parse the "name: N passed, N failed" line of a suite
	local line p f
	line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	if [ -z "$line" ]; then f=1; p=0; echo "suite $2 printed no result line: counted as failed"; fi
	total_p=$((total_p + p)); total_f=$((total_f + f))
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

all_suites="unit e2e prometheus docs fuzz pkg"
for want in ${TEST_SUITES:-}; do
	[[ " $all_suites " == *" $want "* ]] || {
		echo "run_all: no suite '$want' in TEST_SUITES (the suites: $all_suites)" >&2
		echo "total: 0 passed, 1 failed"
		exit 1
	}
done
# suite NAME TALLY-NAME COMMAND...: run one suite, tally it, say how long it took
suite() {
	local name=$1 tname=$2 t0=$SECONDS
	shift 2
	if [[ " ${TEST_SUITES:-$all_suites} " != *" $tname "* ]]; then
		return
	fi
	echo "== $name =="
	"$@" 2>&1 | tee "$log"
	tally "$log" "$tname"
	times+=("$tname $((SECONDS - t0)) s")
}
times=()
suite unit unit tests/run_unit.sh build/tests/test_*
suite e2e e2e tests/e2e/run.sh
suite "prometheus rules" prometheus tests/prometheus/run.sh
suite docs docs tests/docs/test_man.sh
suite "fuzz smoke" fuzz tests/fuzz/run.sh smoke build/fuzz/fuzz_*
suite packages pkg tests/pkg/test_packages.sh

echo "time: $(printf '%s, ' "${times[@]}" | sed 's/, $//')"
echo "total: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
