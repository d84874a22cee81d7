#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# scenarios.sh TEST...: run e2e scenario scripts one after the other in the
# environment it was given (the fallback tests set an AEGISMON_FORCE_*
# switch), each with its own root, namespaces and cleanup, and the limit a
# test has on its own (run.sh): one that hangs fails by name, and the rest
# still run; fail if one fails.
set -u
cd "$(dirname "$0")"
failed=()
for t in "$@"; do
	start=$(date +%s%N)
	if timeout --kill-after=10 $((180 * ${E2E_TIME_SCALE:-1})) bash "$t.sh"; then
		echo "   ($t: $((($(date +%s%N) - start) / 1000000)) ms)"
	else
		rc=$?
		[ "$rc" -eq 124 ] && echo "FAIL [$t]: not done within $((180 * ${E2E_TIME_SCALE:-1})) s under ${FALLBACK:-the switches}" >&2
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL [$(basename "${0%.sh}")]: failed under ${FALLBACK:-the switches}: ${failed[*]}" >&2
	exit 1
fi
exit 0
