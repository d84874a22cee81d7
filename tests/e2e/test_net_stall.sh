#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# After the handshake. The stand-in agent connects to the server namespace and
# sends data that is lost:
#   1. beyond this host, only packets over 1000 bytes (an nft rule in the
#      server namespace at its device's ingress, prerouting and input, and in
#      its forward hook as the router to a third namespace):
#      path_mtu_blackhole within 15 s of the write, never connect_blocked_local;
#   2. a server that stops acknowledging after the handshake: connection_stalled;
#   3. the same large packets dropped by the client's own OUTPUT rule:
#      connect_blocked_local with the rule named, and neither of the above;
#   4. a healthy bulk transfer, and one with 2% of its data packets lost at
#      random on the far side (losses TCP repairs): no diagnosis;
#   5. the black hole again in the host scope (tcp_retransmit_skb, exact sizes).
# The agent scope's sockops hears a connection made before it was attached
# (on demand) from 6.12 on (the connect asks for its callbacks); before, the
# first connection only attaches the probes (README, known gaps).
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_trace --grace 60

connected() { [ "$(grep -c '^connected' "$WORK/agent.out")" -ge "$1" ]; }
nconn=0
# send PORT FIRST SIZE [WAIT_MS]: a server on PORT (each case its own: a
# diagnosis is per endpoint, repeats fold), the stand-in connects and writes;
# its pid in $pid
send() {
	start_server sink "$1"
	client_agent send "$SERVER_IP" "$@"
	pid=$LAST_PID
	nconn=$((nconn + 1))
	wait_for 10 connected "$nconn" || fail "the stand-in did not connect: $(cat "$WORK/agent.out")"
}
net_causes='["path_mtu_blackhole","connection_stalled","connect_blocked_local","connect_timeout","connection_reset"]'
net_diags() { jq -s --argjson c "$net_causes" "[.[] | select(.kind==\"diagnosis\" and .subject.pid==$1 and (.cause as \$x | \$c | index(\$x)))] | length" "$OUT"; }

# (the host scope, 5.10's, has its probes attached from the start)
if kernel_agent_scope && ! kernel_at_least 6 12; then
	send 8000 0 10 0
	wait_for 10 grep -q "network probes attached" "$ERR" || fail "the warm-up did not attach the network probes"
	kill "$pid"
fi

# 1. the black hole at the far end's hooks
port=8000
for hook in ingress prerouting input; do
	port=$((port + 1))
	if [ "$hook" = ingress ]; then
		in_server nft add table netdev far || fail "nft in the server namespace"
		in_server nft add chain netdev far c "{ type filter hook ingress device vs$$ priority 0; }"
		in_server nft add rule netdev far c ip length '>' 1000 counter drop
		table="netdev far"
	else
		in_server nft add table ip far || fail "nft in the server namespace"
		in_server nft add chain ip far c "{ type filter hook $hook priority 0; }"
		in_server nft add rule ip far c ip length '>' 1000 counter drop
		table="ip far"
	fi
	t0=$(now_ms)
	send $port 200 8000
	c=".subject.pid==$pid"
	wait_diag path_mtu_blackhole "$c" 15
	echo "   $hook: path_mtu_blackhole $(($(now_ms) - t0)) ms after the connect"
	in_server nft list table $table | grep -q 'packets [1-9]' || fail "$hook: the far rule dropped nothing"
	assert_eq "$(diag path_mtu_blackhole '.evidence[-1].type' "$c")" tcp_retrans "$hook: evidence"
	assert_eq "$(diag path_mtu_blackhole '.evidence[-1].retransmissions >= 4' "$c")" true "$hook: retransmissions"
	# the tail (8000 - 5 x 1448 = 760 bytes) may go again as a loss probe, and pass
	assert_eq "$(diag path_mtu_blackhole '.evidence[-1] | .largest_segment_bytes > 960 and .smallest_segment_bytes > 536' "$c")" true \
		"$hook: only large segments lost ($(diag path_mtu_blackhole '.evidence[-1]' "$c"))"
	assert_eq "$(diag path_mtu_blackhole '.evidence[-1].bytes_acked > 200' "$c")" true "$hook: the small request was acknowledged"
	assert_eq "$(diag path_mtu_blackhole '.evidence[-1].pmtu' "$c")" 1500 "$hook: path MTU in use"
	assert_match "$(diag path_mtu_blackhole .summary "$c")" "large packets are lost on the path .*nothing dropped on this host" "$hook: summary"
	assert_match "$(diag path_mtu_blackhole .advice "$c")" "ping -s 1000" "$hook: advice"
	assert_eq "$(count_diag connect_blocked_local)" 0 "$hook: a drop beyond this namespace blamed on the local firewall"
	assert_eq "$(count_diag connection_stalled "$c")" 0 "$hook: also called a stall"
	kill "$pid"
	in_server nft delete table $table
done

# 1b. the same in the forward hook of a router namespace between the client
# and a far server (FNS, behind the server namespace; no default route)
net_far_rig
nsenter --net="/run/netns/$FNS" "$FAKE" serve "$FAR_IP" 8009 sink >"$WORK/far.out" 2>&1 &
PIDS+=("$!")
wait_for 5 grep -qs listening "$WORK/far.out" || fail "the far server did not start"
in_server nft add table ip far
in_server nft add chain ip far c '{ type filter hook forward priority 0; }'
in_server nft add rule ip far c ip length '>' 1000 counter drop
client_agent send "$FAR_IP" 8009 200 8000
pid=$LAST_PID
nconn=$((nconn + 1))
wait_for 10 connected "$nconn" || fail "the stand-in did not connect through the router"
c=".subject.pid==$pid"
wait_diag path_mtu_blackhole "$c" 15
in_server nft list table ip far | grep -q 'packets [1-9]' || fail "forward: the router's rule dropped nothing"
assert_eq "$(count_diag connect_blocked_local)" 0 "forward: a router's drop blamed on the local firewall"
kill "$pid"
in_server nft delete table ip far

# 2. a server that stops acknowledging after the handshake: every packet with
# data dropped on its input (the handshake's, 52-60 bytes, passes); a rule
# in place before the connect, so no timing decides what is lost
in_server nft add table ip far
in_server nft add chain ip far c '{ type filter hook input priority 0; }'
in_server nft add rule ip far c ip saddr "$CLIENT_IP" tcp dport 8004 ip length '>' 100 counter drop
send 8004 0 200
c=".subject.pid==$pid"
wait_diag connection_stalled "$c" 15
assert_eq "$(diag connection_stalled '.evidence[-1].largest_segment_bytes' "$c")" 200 "stall: the segment lost"
assert_eq "$(diag connection_stalled '.evidence[-1].in_flight_bytes' "$c")" 200 "stall: bytes in flight"
assert_match "$(diag connection_stalled .summary "$c")" "established, 200 bytes unacknowledged for [0-9.]+ s" "stall: summary"
assert_eq "$(count_diag path_mtu_blackhole "$c")" 0 "stall: called a black hole"
assert_eq "$(count_diag connect_blocked_local)" 0 "stall: blamed on the local firewall"
kill "$pid"
in_server nft delete table ip far

# 3. the same loss made by this host's own firewall
in_client nft add table inet loc
in_client nft add chain inet loc out '{ type filter hook output priority 0; }'
in_client nft add rule inet loc out ip daddr "$SERVER_IP" ip length '>' 1000 drop
handle=$(in_client nft -a list chain inet loc out | sed -n 's/.*ip length > 1000 drop # handle \([0-9]*\)/\1/p')
send 8005 200 8000
c=".subject.pid==$pid"
wait_diag connect_blocked_local "$c" 15
wait_for 5 jq -e -s "[.[] | select(.kind==\"diagnosis\" and .cause==\"connect_blocked_local\" and $c and (.rules | length > 0))] | length > 0" "$OUT" >/dev/null \
	|| fail "the local rule was not named: $(diag connect_blocked_local . "$c")"
assert_eq "$(jq -r -s "[.[] | select(.kind==\"diagnosis\" and .cause==\"connect_blocked_local\" and $c and (.rules | length > 0))][0].rules[0].handle" "$OUT")" "$handle" "local: the rule's handle"
sleep 4 # past the stall threshold: a stall must not be said as well
assert_eq "$(count_diag path_mtu_blackhole "$c")" 0 "local: also called a black hole"
assert_eq "$(count_diag connection_stalled "$c")" 0 "local: also called a stall"
kill "$pid"
in_client nft delete table inet loc

# 4. healthy transfers: clean, then with random losses that recover
send 8006 0 20000000 0
wait_for 30 grep -q '^sent' "$WORK/agent.out" || fail "the clean transfer did not finish"
clean=$pid
in_server nft add table ip far
in_server nft add chain ip far c '{ type filter hook input priority 0; }'
in_server nft add rule ip far c ip length '>' 1000 numgen random mod 100 '<' 2 counter drop
send 8007 0 20000000 0
wait_for 60 eval '[ "$(grep -c "^sent" "$WORK/agent.out")" -ge 2 ]' || fail "the lossy transfer did not finish"
lost=$(in_server nft list table ip far | sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${lost:-0}" -gt 0 ] || fail "no packet of the lossy transfer was lost"
sleep 3
assert_eq "$(net_diags "$clean")" 0 "clean transfer diagnosed"
assert_eq "$(net_diags "$pid")" 0 "lossy transfer ($lost packets lost) diagnosed"
echo "   lossy transfer: $lost data packets lost and repaired, no diagnosis"
kill "$pid" "$clean"
in_server nft delete table ip far

stop_trace
assert_eq "$(jq -s '[.[] | select(.kind=="summary")][0].drops_elsewhere > 0' "$OUT")" true "drops at the far end counted"

# 5. the host scope: the retransmission tracepoint, with the segment's own size
start_trace --grace 60 --net-scope host
in_server nft add table ip far
in_server nft add chain ip far c '{ type filter hook prerouting priority 0; }'
in_server nft add rule ip far c ip length '>' 1000 counter drop
send 8008 200 8000
c=".subject.pid==$pid"
wait_diag path_mtu_blackhole "$c" 15
assert_eq "$(diag path_mtu_blackhole '.evidence[-1].segment_bytes_estimated' "$c")" null "host scope: the segment's size is exact"
assert_eq "$(diag path_mtu_blackhole '.evidence[-1] | .largest_segment_bytes > 960 and .smallest_segment_bytes > 536' "$c")" true "host scope: only large segments lost"
kill "$pid"
in_server nft delete table ip far
stop_trace
pass "black hole at the far ingress, prerouting, input and forward (agent and host scope); a stall; the local drop; clean and lossy transfers"
