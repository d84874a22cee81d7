#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_refused: nothing listens at the endpoint; then agent_online once a
# listener appears and the agent connects again.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_trace --grace 60
# two tries, as the agent retries: the first one's refusal may come before
# sockops, which the first try brings (on demand); the second's is heard
client_agent connect "$SERVER_IP" 80 2
pid=$LAST_PID
wait_diag connect_refused ".subject.pid==$pid"
c=".subject.pid==$pid"
assert_eq "$(diag connect_refused .subject.daddr "$c")" "$SERVER_IP" "daddr"
assert_eq "$(diag connect_refused .subject.dport "$c")" 80 "dport"
assert_eq "$(diag connect_refused .subject.proto "$c")" tcp "proto"
assert_eq "$(diag connect_refused .subject.errno "$c")" ECONNREFUSED "errno"
assert_match "$(diag connect_refused .summary "$c")" "AliYunDun \\(pid $pid\\) -> $SERVER_IP:80/tcp: refused" "summary"
wait "$pid"

# recovery: the endpoint listens now
start_server hold
client_agent connect "$SERVER_IP" 80 1
pid2=$LAST_PID
wait_diag agent_online ".subject.pid==$pid2"
assert_eq "$(diag agent_online .severity)" info "severity"
assert_match "$(diag agent_online .summary)" "connected to $SERVER_IP:80/tcp again \\(after connect_refused\\)" "summary"
stop_trace
[ "$(count_diag connect_blocked_local)" = 0 ] || fail "a refused connect was taken for a local drop"
pass "refused, then online"
