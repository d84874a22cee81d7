#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Run every tests/e2e/test_*.sh (each with its own temp root, cgroups and
# cleanup), one at a time; print "e2e: N passed, N failed".
# E2E_ONLY=SUBSTR, E2E_EXCLUDE=SUBSTR: the tests whose name has it, or has not;
# E2E_LIST="test_a test_b": exactly these (the kernel matrix's lists).
# E2E_RETRY=1: a failed test runs once more, and passes if that run passes; it
# is listed as "flaky:" (the kernel matrix's emulated guests, where a test
# competes with another guest for the CPU; a test that fails twice fails).
set -u
cd "$(dirname "$0")"
passed=0 failed=0 failures=() flaky=()
if [ "$(id -u)" -ne 0 ]; then
	echo "e2e tests load BPF and need root: run 'sudo make test'" >&2
	echo "e2e: 0 passed, 1 failed"
	exit 1
fi
# bash's notices of background jobs that died by a signal ("lib.sh: line 185:
# 6915 Killed  "$(agent_path ...)""): the stand-in agents, servers and storms a
# test kills on purpose. Dropped so that a real failure stands out; a notice
# about aegismon itself is kept, as it never dies by a signal unasked.
quiet_job_notices() {
	awk '/^[^ ]+: line [0-9]+: +[0-9]+ (Killed|Terminated|Segmentation fault|Aborted|Hangup|Interrupt|Quit|Bus error|User defined signal [12])( \(core dumped\))? / &&
		!/[Aa][Ee][Gg][Ii][Ss][Mm][Oo][Nn]/ { next } { print; fflush() }'
}
# the filter itself: an expected notice goes, one about aegismon and any
# other line stay
sample=$'./lib.sh: line 185:  6915 Killed                  "$(agent_path "$name")" "$@"\n'
sample+=$'test_x.sh: line 9:  77 Segmentation fault      (core dumped) "$AEGISMON" trace\n'
sample+=$'FAIL [test_x]: Killed by a signal\n'
if [ "$(quiet_job_notices <<<"${sample%$'\n'}" | wc -l)" != 2 ] ||
	quiet_job_notices <<<"${sample%$'\n'}" | grep -q agent_path; then
	echo "e2e: the job-notice filter is broken" >&2
	echo "e2e: 0 passed, 1 failed"
	exit 1
fi
# run_one TEST LIMIT: the test's status (124: past its limit, said so)
run_one() {
	local rc
	{ timeout --kill-after=10 "$2" bash "$1" 2>&1 1>&3 | quiet_job_notices >&2; } 3>&1
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 124 ] && echo "FAIL [${1%.sh}]: not done within $2 s" >&2
	return "$rc"
}
for t in test_*.sh; do
	[ -n "${E2E_ONLY:-}" ] && [[ "$t" != *"$E2E_ONLY"* ]] && continue
	[ -n "${E2E_LIST:-}" ] && [[ " $(echo $E2E_LIST) " != *" ${t%.sh} "* ]] && continue
	[ -n "${E2E_EXCLUDE:-}" ] && [[ "$t" == *"$E2E_EXCLUDE"* ]] && continue
	start=$(date +%s%N)
	limit=180
	# a fallback test runs several scenarios again under a switch
	[[ "$t" == test_fallback_* ]] && limit=600
	# a slower machine (the kernel matrix's emulated guests) gets longer
	limit=$((limit * ${E2E_TIME_SCALE:-1}))
	run_one "$t" "$limit"
	rc=$?
	if [ "$rc" -ne 0 ] && [ -n "${E2E_RETRY:-}" ]; then
		echo "   (${t%.sh} failed: once more)"
		run_one "$t" "$limit"
		rc=$?
		[ "$rc" -eq 0 ] && flaky+=("$t")
	fi
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$t")
	fi
	echo "   ($t: $((($(date +%s%N) - start) / 1000000)) ms)"
done
[ ${#flaky[@]} -gt 0 ] && echo "flaky: ${flaky[*]}"
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
