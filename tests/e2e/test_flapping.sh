#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_flapping: AliYunDun starts and exits four times in a row.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_trace --grace 30 --flap-count 3 --flap-window 60
for i in 1 2 3 4; do
	start_agent AliYunDun exit 1 100
	wait "$LAST_PID"
done
wait_diag agent_flapping '.subject.process=="AliYunDun"'
assert_eq "$(count_diag agent_flapping)" 1 "one flapping diagnosis per window"
assert_match "$(diag agent_flapping .summary)" 'AliYunDun restarted 3 times within [0-9]+ s' "summary"
assert_eq "$(diag agent_flapping .severity)" critical "severity"
stop_trace
# the four exits are aggregated by the dedup interval, none is lost
assert_eq "$(jq -s '[.[] | select(.kind=="summary")][0].causes.agent_exited' "$OUT")" 4 "exits counted"
pass "restart loop"
