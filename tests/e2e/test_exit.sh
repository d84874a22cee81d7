#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_exited: AliYunDun exits by itself with code 3.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_trace --grace 60
start_agent AliYunDun exit 3 300
pid=$LAST_PID
wait_diag agent_exited ".subject.pid==$pid"
assert_eq "$(diag agent_exited .subject.exit_code ".subject.pid==$pid")" 3 "exit code"
assert_eq "$(diag agent_exited .severity ".subject.pid==$pid")" warning "severity"
assert_match "$(diag agent_exited .summary ".subject.pid==$pid")" "AliYunDun \\(pid $pid\\) exited with code 3" "summary"
up=$(diag agent_exited .subject.uptime_ms ".subject.pid==$pid")
[ "$up" -ge 250 ] && [ "$up" -lt 10000 ] || fail "uptime_ms $up not about 300 ms"
stop_trace
pass "exit code 3"
