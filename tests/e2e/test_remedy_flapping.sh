#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon run --remediation restart on an agent that keeps dying: each
# restart starts an AliYunDun that exits at once (its mode file), the restarts
# back off (0.3 s, 0.6 s, ...), and after --restart-max the daemon stops and
# reports remediation_failed (critical, with advice); no restart after that.
. "$(dirname "$0")/remedy_lib.sh"

install_agent AliYunDun
echo "exit 1 20" >"$CLIENT_DIR/fake_agent.mode"
start_agent AliYunDun run
first=$LAST_PID
start_daemon --remediation restart --restart-delay 0.3 --restart-max 2 --restart-window 600 --grace 60
kill -KILL "$first"
wait_diag agent_killed ".subject.pid==$first"
wait_diag remediation_failed true 20
assert_eq "$(diag remediation_failed .severity)" critical "severity"
assert_eq "$(diag remediation_failed .primary)" true "primary"
assert_match "$(diag remediation_failed .summary)" '^automatic restarts of the agent stopped: .*2 restarts within 600 s' "summary"
assert_match "$(diag remediation_failed .advice)" "aegismon restart" "advice"
wait_action '.action=="escalate" and .outcome=="failed"'
assert_eq "$(count_action '.action=="restart" and .outcome=="started"')" 2 "restarts before giving up"
# backoff: the second restart waited twice as long as the first
assert_eq "$(jq -s -c '[.[] | select(.kind=="action" and .outcome=="scheduled") | .delay_ms]' "$OUT")" "[300,600]" "delays"
# each restart either failed its verification (the new AliYunDun died within
# 0.3 s) or, on a loaded machine, passed it and the agent died right after
assert_eq "$(count_action '.action=="restart" and .step==null and (.outcome=="failed" or .outcome=="ok")')" 2 "restart outcomes"
if has_action '.step=="verify" and .outcome=="failed"'; then
	assert_match "$(jq -r -s '[.[] | select(.kind=="action" and .step=="verify" and .outcome=="failed")][0].detail' "$OUT")" \
		'AliYunDun \(pid [0-9]+\) exited within 300 ms of its start' "why a restart failed"
fi
# the agent is left alone from now on, even when it dies again
start_agent AliYunDun exit 2 50
wait "$LAST_PID"
wait_diag agent_exited '.subject.exit_code==2'
wait_action '.outcome=="refused" and (.detail | test("remediation_failed"))'
sleep 1
assert_eq "$(count_action '.action=="restart" and .outcome=="started"')" 2 "no restart after remediation_failed"
stop_daemon
pass "restarts back off and stop after --restart-max with remediation_failed"
