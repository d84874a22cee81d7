#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_impostor: a binary named AliYunDun run from outside the agent root.
# It is reported once, and its death is not an agent death.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
start_trace --grace 60
mkdir -p "$WORK/elsewhere"
install -m 0755 "$FAKE" "$WORK/elsewhere/AliYunDun"
"$WORK/elsewhere/AliYunDun" &
fake=$!
PIDS+=("$fake")
wait_diag agent_impostor ".subject.pid==$fake"
assert_eq "$(diag agent_impostor .subject.exe ".subject.pid==$fake")" "$WORK/elsewhere/AliYunDun" "impostor exe"
assert_eq "$(diag agent_impostor .severity)" warning "severity"
kill -KILL "$fake"
wait "$fake" 2>/dev/null
sleep 0.5
[ "$(count_diag agent_killed)" = 0 ] || fail "the impostor's death was reported as the agent's"
stop_trace
pass "impostor outside the root"
