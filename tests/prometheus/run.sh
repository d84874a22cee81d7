#!/usr/bin/env bash
# The Prometheus alert rules (scripts/aegismon.rules.yml): promtool's syntax
# check, then its unit tests (aegismon.rules.test.yml: every alert fires once
# and stays quiet once). Prints "prometheus: N passed, N failed" for run_all.sh.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
step() { # name, command...
	local name=$1
	shift
	if "$@"; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		fail=$((fail + 1))
	fi
}
if ! command -v promtool >/dev/null; then
	echo "promtool not found: install Debian's prometheus package (scripts/deps.sh)"
	echo "prometheus: 0 passed, 1 failed"
	exit 1
fi
step "promtool check rules" promtool check rules scripts/aegismon.rules.yml
step "promtool test rules" promtool test rules tests/prometheus/aegismon.rules.test.yml
echo "prometheus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
