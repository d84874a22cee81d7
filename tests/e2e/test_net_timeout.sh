#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_timeout: the far end (the server namespace, standing for a security
# group) drops the SYNs silently. Its drops happen in another namespace, so
# they must not be taken for a local drop.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
in_server nft add table inet sg || fail "nft in the server namespace"
in_server nft add chain inet sg in '{ type filter hook input priority 0; }'
in_server nft add rule inet sg in tcp dport 80 drop
start_server hold
start_trace --grace 60
# twice, as the agent retries: its first connect may go before sockops (on
# demand) is there, and before 6.12 its end is then not heard
client_agent connect "$SERVER_IP" 80 2
pid=$LAST_PID
wait_diag connect_timeout ".subject.pid==$pid" 20
c=".subject.pid==$pid"
assert_eq "$(diag connect_timeout .subject.errno "$c")" ETIMEDOUT "errno"
assert_eq "$(diag connect_timeout '.evidence[0].syn_retries >= 1' "$c")" true "SYN retransmissions counted"
assert_match "$(diag connect_timeout .summary "$c")" "no answer after [0-9]+ SYN retransmissions" "summary"
assert_match "$(diag connect_timeout .advice "$c")" "security group" "advice names the security group"
[ "$(count_diag connect_blocked_local)" = 0 ] || fail "a remote drop was taken for a local one"
stop_trace
pass "timeout with a remote silent drop"
