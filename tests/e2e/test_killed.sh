#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_killed: killall -9 from an "uninstall" script kills a running (seeded)
# multi-threaded AliYunDun; the sender, its argv and its parent chain are named.
# Then a freshly exec'd AliYunDun is killed with SIGTERM by kill(1).
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun threads
victim=$LAST_PID
wait_for 5 grep -q AliYunDun "/proc/$victim/comm" || fail "stand-in agent did not start"

start_trace --grace 1
has_diag agent_not_running && fail "agent_not_running while both core processes run"

mkdir -p "$WORK/bin"
cat >"$WORK/bin/uninstall.sh" <<'SH'
#!/bin/sh
killall -9 AliYunDun
SH
chmod +x "$WORK/bin/uninstall.sh"
t0=$(now_ms)
"$WORK/bin/uninstall.sh"
wait_diag agent_killed ".subject.pid==$victim"
echo "   kill to diagnosis: $(($(now_ms) - t0)) ms (includes 50 ms polling)"

c=".subject.pid==$victim"
assert_eq "$(diag agent_killed .subject.signal "$c")" SIGKILL "signal"
assert_eq "$(diag agent_killed .severity "$c")" critical "severity"
assert_eq "$(diag agent_killed .primary "$c")" true "primary"
assert_eq "$(diag agent_killed '.evidence[0].type' "$c")" signal "first evidence"
assert_eq "$(diag agent_killed '.evidence[0].sender_comm' "$c")" killall "sender comm"
assert_eq "$(diag agent_killed '.evidence[0].sender_uid' "$c")" 0 "sender uid"
assert_eq "$(diag agent_killed '.evidence[0].sender_chain[0].comm' "$c")" uninstall.sh "sender's parent"
assert_match "$(diag agent_killed '.evidence[0].sender_args' "$c")" '^killall -9 AliYunDun' "sender argv"
assert_match "$(diag agent_killed .summary "$c")" 'killed by SIGKILL from pid [0-9]+ \(killall, uid 0\) <- uninstall.sh' "summary"
assert_eq "$(diag agent_killed .subject.exe "$c")" "$CLIENT_DIR/AliYunDun" "exe"
assert_eq "$(diag agent_killed '.evidence[1].type' "$c")" exit "exit evidence"

# not back within the grace period: agent_not_running, explained by the kill
wait_diag agent_not_running '.subject.process=="AliYunDun"' 5
assert_eq "$(diag agent_not_running .primary '.subject.process=="AliYunDun"')" false "not_running is not primary"
assert_eq "$(diag agent_not_running .explained_by '.subject.process=="AliYunDun"')" agent_killed "explained_by"
[ "$(count_diag agent_not_running '.subject.process=="AliYunDunUpdate"')" = 0 ] || fail "AliYunDunUpdate was never gone"

# a new instance, seen at exec, killed with SIGTERM by kill(1) from this shell
start_agent AliYunDun
second=$LAST_PID
# its own exec: another process named AliYunDun on the host (a concurrent
# test) must not let the signal reach the shell before it has exec'd
exec_seen() { jq -e -s --argjson p "$second" '[.[] | select(.kind=="event" and .type=="exec" and .pid==$p)] | length > 0' "$OUT" >/dev/null 2>&1; }
wait_for 5 exec_seen || fail "no exec event for the new instance"
kill -TERM "$second"
wait_diag agent_killed ".subject.pid==$second"
assert_eq "$(diag agent_killed .subject.signal ".subject.pid==$second")" SIGTERM "signal of the second kill"
assert_eq "$(diag agent_killed '.evidence[0].sender_pid' ".subject.pid==$second")" "$$" "kill(1) from this shell"

stop_trace
assert_eq "$TRACE_RC" 1 "trace exit status when a problem was diagnosed"
assert_eq "$(jq -r -s '[.[] | select(.kind=="summary")][0].verdict' "$OUT")" fail "summary verdict"
pass "killed by killall (sender chain) and by kill -TERM"
