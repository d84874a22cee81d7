#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_not_running at start: installed but not running. And the negative
# case: everything running, nothing happening, no diagnosis and exit 0.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
"$AEGISMON" trace --json --agent-root "$ROOT" --duration 1 >"$OUT" 2>"$ERR"
rc=$?
assert_eq "$rc" 1 "exit status with the agent down"
assert_eq "$(count_diag agent_not_running '.subject.process=="AliYunDun"')" 1 "AliYunDun not running"
assert_eq "$(count_diag agent_not_running '.subject.process=="AliYunDunUpdate"')" 1 "AliYunDunUpdate not running"
assert_eq "$(count_diag agent_not_running '.subject.process=="AliYunDunMonitor"')" 0 "Monitor is not installed here"
assert_match "$(diag agent_not_running .summary '.subject.process=="AliYunDun"')" "not running \\(agent root .*, version aegis_12_93\\)" "summary"

start_agent AliYunDunUpdate
start_agent AliYunDun
"$AEGISMON" trace --json --agent-root "$ROOT" --duration 1 >"$OUT" 2>"$ERR"
rc=$?
assert_eq "$rc" 0 "exit status with the agent up"
assert_eq "$(jq -s '[.[] | select(.kind=="diagnosis")] | length' "$OUT")" 0 "no diagnosis when all is well"
assert_eq "$(jq -r -s '[.[] | select(.kind=="summary")][0].verdict' "$OUT")" ok "verdict"

rm -rf "$ROOT"
"$AEGISMON" trace --json --agent-root "$ROOT" --duration 0.5 >"$OUT" 2>"$ERR"
assert_match "$(diag agent_not_running .summary)" "not installed" "no install"
# one advice for one situation: trace says what check says (install it, see
# test_check), not "start it"
assert_match "$(diag agent_not_running .advice)" "^Install the agent from the Security Center console" \
	"trace's advice without an install"
pass "not running at start; quiet when healthy"
