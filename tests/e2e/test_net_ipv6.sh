#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# IPv6: the endpoint set, socket tuples and dropped-packet parsing work for
# v6 too. Endpoint 2001:db8:77::2 (documentation prefix) in the server
# namespace, given with --endpoint; refused, then dropped by an ip6 rule.
. "$(dirname "$0")/lib.sh"

SERVER6=2001:db8:77::2
install_agent AliYunDun
net_rig
ip -n "$CNS" addr add 2001:db8:77::1/64 dev "vc$$" nodad
ip -n "$SNS" addr add "$SERVER6/64" dev "vs$$" nodad
[ -z "$(ip -n "$CNS" -6 route show default)" ] || fail "IPv6 default route in the client"
start_trace --grace 60 --endpoint 2001:db8:77::/64

# two tries: the first one's refusal may come before sockops (on demand)
client_agent connect "$SERVER6" 80 2
pid=$LAST_PID
wait_diag connect_refused ".subject.pid==$pid"
assert_eq "$(diag connect_refused .subject.daddr ".subject.pid==$pid")" "$SERVER6" "v6 daddr"
assert_match "$(diag connect_refused .summary ".subject.pid==$pid")" "\\[$SERVER6\\]:80/tcp: refused" "v6 summary"

in_client nft add table ip6 aegistest6
in_client nft add chain ip6 aegistest6 out '{ type filter hook output priority 0; }'
in_client nft add rule ip6 aegistest6 out ip6 daddr 2001:db8:77::/64 tcp dport 443 drop
client_agent connect "$SERVER6" 443 1
bpid=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$bpid"
c=".subject.pid==$bpid"
assert_eq "$(diag connect_blocked_local .subject.daddr "$c")" "$SERVER6" "v6 drop daddr"
assert_eq "$(diag connect_blocked_local '.evidence[0].dport' "$c")" 443 "v6 drop port parsed"
handle=$(in_client nft -a list chain ip6 aegistest6 out | sed -n 's/.*tcp dport 443 drop # handle \([0-9]*\).*/\1/p')
assert_eq "$(diag connect_blocked_local '.rules[0].handle' "$c")" "$handle" "ip6 rule handle"
stop_trace
pass "IPv6 refused and local drop"
