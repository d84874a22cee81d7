#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# scenarios.sh TEST...: run e2e scenario scripts one after the other in the
# environment it was given (the fallback tests set an AEGISMON_FORCE_*
# switch), each with its own root, namespaces and cleanup; fail if one fails.
set -u
cd "$(dirname "$0")"
failed=()
for t in "$@"; do
	start=$(date +%s%N)
	if bash "$t.sh"; then
		echo "   ($t: $((($(date +%s%N) - start) / 1000000)) ms)"
	else
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL [$(basename "${0%.sh}")]: failed under ${FALLBACK:-the switches}: ${failed[*]}" >&2
	exit 1
fi
exit 0
