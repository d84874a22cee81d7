#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_unreachable (no route), connection_reset (RST after ESTABLISHED) and
# endpoint_sinkholed (the agent connects to 0.0.0.0).
. "$(dirname "$0")/lib.sh"
# the hook the kernel matrix promises for this kernel (cgroup/connect4+6 from
# 5.18); test_fallback_connect.sh runs the same through the syscall tracepoints
: "${E2E_EXPECT_CONNECT:=$(kernel_connect_hook)}"

install_agent AliYunDun
net_rig
start_server reset
start_trace --grace 60

# twice, as the agent retries: its first connection may go before sockops
# (on demand) is there, and before 6.12 its end is then not heard
client_agent connect "$SERVER_IP" 80 2
rpid=$LAST_PID
wait_diag connection_reset ".subject.pid==$rpid"
assert_eq "$(diag connection_reset .subject.errno ".subject.pid==$rpid")" ECONNRESET "errno"
assert_eq "$(diag connection_reset '.evidence[0].oldstate' ".subject.pid==$rpid")" ESTABLISHED "from ESTABLISHED"
wait "$rpid" # its retry done before the route goes

client_agent connect 0.0.0.0 80 1
spid=$LAST_PID
wait_diag endpoint_sinkholed ".subject.pid==$spid"
[ "$(count_diag connect_refused ".subject.pid==$spid")" = 0 ] || fail "the sinkhole's refusal was reported on its own"

ip -n "$CNS" route del "$SERVER_IP/32"
client_agent connect "$SERVER_IP" 80 1
upid=$LAST_PID
wait_diag connect_unreachable ".subject.pid==$upid"
assert_eq "$(diag connect_unreachable .subject.errno ".subject.pid==$upid")" ENETUNREACH "errno"
stop_trace
pass "unreachable, reset, sinkhole"
