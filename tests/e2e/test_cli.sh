#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Usage errors exit 2, a missing privilege exits 3, with a clear message.
. "$(dirname "$0")/lib.sh"

expect_rc() { # expect_rc RC REGEX-ON-STDERR CMD...
	local want=$1 re=$2 rc
	shift 2
	"$@" >"$WORK/o" 2>"$WORK/e"
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$WORK/e")"
	[[ "$(cat "$WORK/e")" =~ $re ]] || fail "'$*' stderr does not match /$re/: $(cat "$WORK/e")"
}
expect_rc 2 "usage" "$AEGISMON"
expect_rc 2 "unknown command 'frobnicate'" "$AEGISMON" frobnicate
expect_rc 2 "unknown option '--bogus'" "$AEGISMON" trace --bogus
expect_rc 2 "--duration: 'abc'" "$AEGISMON" trace --duration abc
expect_rc 2 "--duration: '-1'" "$AEGISMON" trace --duration -1
expect_rc 2 "needs a value" "$AEGISMON" trace --duration
expect_rc 2 "not an absolute path" "$AEGISMON" trace --agent-root relative/dir
expect_rc 2 "--flap-count" "$AEGISMON" trace --flap-count 1
expect_rc 2 "power of two" "$AEGISMON" trace --ringbuf-size 1000
expect_rc 2 "--color" "$AEGISMON" trace --color purple
expect_rc 2 "unexpected argument" "$AEGISMON" trace extra
expect_rc 0 "" "$AEGISMON" version
expect_rc 0 "" "$AEGISMON" -V
grep -q "^aegismon .*(event ABI [0-9]*)" "$WORK/o" || fail "-V does not print the version: $(cat "$WORK/o")"
expect_rc 0 "" "$AEGISMON" version --help
grep -q "^usage: aegismon version" "$WORK/o" || fail "version --help prints no usage: $(cat "$WORK/o")"
# the features table: every value in one column (a label never runs into it)
"$AEGISMON" version --features >"$WORK/o" 2>&1
bad=$(awk '/^features:/ { f = 1; next } /^$/ { f = 0 } f && (substr($0, 47, 1) != " " || substr($0, 48, 1) == " ")' "$WORK/o")
[ -z "$bad" ] || fail "version --features: values out of their column: $bad"
[ "$(awk '/^features:/ { f = 1; next } /^$/ { f = 0 } f' "$WORK/o" | wc -l)" -ge 10 ] ||
	fail "version --features: no features table: $(cat "$WORK/o")"
# accepted and then never written would be worse: the daemon keeps no report
expect_rc 2 "--report is for 'aegismon trace'" "$AEGISMON" run --report "$WORK/r.html"
[ -e "$WORK/r.html" ] && fail "run --report wrote a file"
expect_rc 0 "" "$AEGISMON" trace --help
grep -q -- "--duration" "$WORK/o" || fail "trace --help does not list --duration"
# not root: exit 3 and say what is missing
expect_rc 3 "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups "$AEGISMON" trace --duration 1
# a probe family the kernel refuses is named, and the rest runs
install_agent AliYunDun
AEGISMON_TEST_NO_DNS=1 "$AEGISMON" trace --json --agent-root "$ROOT" --duration 0.5 >"$WORK/o" 2>"$WORK/e"
rc=$?
assert_eq "$rc" 1 "exit status with one family missing (the agent is down)"
grep -q "failed to attach: DNS probes" "$WORK/e" || fail "the missing DNS family is not named: $(cat "$WORK/e")"
assert_eq "$(jq -r -s '[.[] | select(.kind=="diagnosis")][0].cause' "$WORK/o")" agent_not_running "lifecycle still diagnosed"
assert_eq "$(jq -r -s '[.[] | select(.kind=="summary")][0].probes_failed' "$WORK/o")" 1 "summary counts the failure"
pass "usage errors, privilege check, a missing probe family"
