#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Run the cmocka unit test binaries given as arguments; print "unit: N passed, N failed".
set -u
passed=0 failed=0
for bin in "$@"; do
	out=$("$bin" 2>&1)
	rc=$?
	echo "$out"
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	# a crash or a binary that ran nothing is a failure too
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
	if [ -z "$p" ] && [ -z "$f" ]; then failed=$((failed + 1)); fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
