#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_blocked_local: the client's own nftables drops (1) TCP SYNs to the
# endpoint in OUTPUT, (2) UDP to the endpoint in OUTPUT, (3) the SYN-ACK in
# INPUT. Each is diagnosed at the first drop, long before the connect times out.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_server hold
start_trace --grace 60

# (1) TCP in OUTPUT
in_client nft add table inet aegistest || fail "nft in the client namespace"
in_client nft add chain inet aegistest out '{ type filter hook output priority 0; }'
in_client nft add rule inet aegistest out ip daddr 100.100.0.0/16 tcp dport 80 drop
t0=$(now_ms)
client_agent connect "$SERVER_IP" 80 1
pid=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$pid and .subject.proto==\"tcp\"" 10
echo "   first dropped SYN to diagnosis: $(($(now_ms) - t0)) ms"
c=".subject.pid==$pid and .subject.proto==\"tcp\""
assert_eq "$(diag connect_blocked_local .subject.hook "$c")" OUTPUT "hook"
assert_eq "$(diag connect_blocked_local .subject.daddr "$c")" "$SERVER_IP" "daddr"
assert_eq "$(diag connect_blocked_local '.evidence[0].type' "$c")" nf_drop "drop evidence"
assert_eq "$(diag connect_blocked_local '.evidence[0].reason' "$c")" NETFILTER_DROP "drop reason"
if [ -n "${AEGISMON_FORCE_NO_DROP_REASON:-}" ]; then # test_fallback_drop_site
	assert_eq "$(diag connect_blocked_local '.evidence[0].reason_from' "$c")" "drop site" "drop told by its site"
fi
# the rule that dropped it is named: table, chain, handle, text
handle=$(in_client nft -a list chain inet aegistest out | sed -n 's/.*tcp dport 80 drop # handle \([0-9]*\).*/\1/p')
[ -n "$handle" ] || fail "cannot read the rule handle back from nft"
assert_eq "$(diag connect_blocked_local '.rules[0].table' "$c")" aegistest "rule table"
assert_eq "$(diag connect_blocked_local '.rules[0].chain' "$c")" out "rule chain"
assert_eq "$(diag connect_blocked_local '.rules[0].handle' "$c")" "$handle" "rule handle"
assert_eq "$(diag connect_blocked_local '.rules[0].verdict' "$c")" drop "rule verdict"
assert_match "$(diag connect_blocked_local '.rules[0].rule' "$c")" "ip daddr 100.100.0.0/16 tcp dport 80 drop" "rule text"
assert_match "$(diag connect_blocked_local .drop_location "$c")" "^[A-Za-z0-9_.]+\\+0x[0-9a-f]+$" "drop location symbol"
kill "$pid" 2>/dev/null

# (2) UDP in OUTPUT
in_client nft add rule inet aegistest out ip daddr 100.100.0.0/16 udp dport 443 drop
client_agent udp "$SERVER_IP" 443
upid=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$upid and .subject.proto==\"udp\"" 10
assert_eq "$(diag connect_blocked_local .subject.dport ".subject.pid==$upid")" 443 "udp dport"

# (3) the SYN-ACK dropped in INPUT
in_client nft flush table inet aegistest
in_client nft add chain inet aegistest in '{ type filter hook input priority 0; }'
in_client nft add rule inet aegistest in ip saddr 100.100.0.0/16 tcp sport 80 drop
client_agent connect "$SERVER_IP" 80 1
ipid=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$ipid and .subject.hook==\"INPUT\"" 10
assert_eq "$(diag connect_blocked_local '.evidence[0].direction' ".subject.pid==$ipid")" ingress "direction"
ihandle=$(in_client nft -a list chain inet aegistest in | sed -n 's/.*tcp sport 80 drop # handle \([0-9]*\).*/\1/p')
assert_eq "$(diag connect_blocked_local '.rules[0].handle' ".subject.pid==$ipid")" "$ihandle" "INPUT rule handle"
assert_eq "$(diag connect_blocked_local '.rules[0].hook' ".subject.pid==$ipid")" input "INPUT rule hook"
stop_trace
[ "$(count_diag connect_timeout)" = 0 ] || fail "a local drop was reported as a timeout"
pass "local drops in OUTPUT (tcp, udp) and INPUT"
