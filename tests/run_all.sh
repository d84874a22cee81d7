#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make test: unit tests, e2e tests (root, real BPF), fuzz smoke. No test is skipped.
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

echo "== unit =="
tests/run_unit.sh build/tests/test_* 2>&1 | tee "$log"; tally "$log" unit
echo "== e2e =="
tests/e2e/run.sh 2>&1 | tee "$log"; tally "$log" e2e
echo "== prometheus rules =="
tests/prometheus/run.sh 2>&1 | tee "$log"; tally "$log" prometheus
echo "== docs =="
tests/docs/test_man.sh 2>&1 | tee "$log"; tally "$log" docs
echo "== fuzz smoke =="
tests/fuzz/run.sh smoke build/fuzz/fuzz_* 2>&1 | tee "$log"; tally "$log" fuzz

echo "total: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
