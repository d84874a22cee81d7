#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Issue #20, item 4: nft for local drops runs only where the agent's sockets
# live, and never in the event loop.
# (a) uid 65534, in a network namespace of its own (unshare -Urn), makes a
#     drop rule for endpoint addresses and a 150,000-element set, and connects
#     there 24 times from a process that is not the agent: no diagnosis of any
#     cause comes of it, and meanwhile a stand-in AliYunDun killed with SIGKILL
#     is diagnosed as usual (before the fix: 24 critical connect_blocked_local
#     and nft run in that namespace, 2 s each, the loop frozen).
# (b) the agent's own drop in the test's client namespace is diagnosed with
#     its rule; with a 150,000-element set added to that ruleset, the next
#     drop's diagnosis waits for nft (at most 3 s) while a kill that comes
#     after it is diagnosed first; one still held at the end is not lost.
. "$(dirname "$0")/lib.sh"

SET_ELEMENTS=150000

# set_files DIR FAMILY TABLE: the elements of set "big" of TABLE in files of
# 10,000 (one netlink message each; 150,000 in one is too large for it)
set_files() {
	awk -v dir="$1" -v tab="$2 $3" -v n="$SET_ELEMENTS" 'BEGIN {
		for (c = 0; c * 10000 < n; c++) {
			f = sprintf("%s/el%02d.nft", dir, c)
			printf "add element %s big { ", tab > f
			for (i = c * 10000; i < (c + 1) * 10000 && i < n; i++)
				printf "%s10.%d.%d.%d", (i > c * 10000 ? ", " : ""), int(i / 65536) % 256, int(i / 256) % 256, i % 256 > f
			print " }" > f
			close(f)
		}
	}'
}

install_agent AliYunDun
net_rig
start_server hold

# ---- (a) a user's own namespace ----
# what uid 65534 may read: the tool, the ruleset files
chmod 711 "$WORK"
U=$WORK/user
mkdir -m 755 "$U"
install -m 0755 "$FAKE" "$U/othertool"
cat >"$U/head.nft" <<'NFT'
table inet usertrap {
	set big { type ipv4_addr; }
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 100.100.77.0/24 tcp dport 80 drop
		ip daddr @big drop
	}
}
NFT
set_files "$U" inet usertrap
chmod 644 "$U"/*.nft
cat >"$U/trap.sh" <<'SH'
#!/bin/sh
# in uid 65534's own network and user namespaces: only lo, the endpoint
# addresses on it (nothing leaves), our drop rule and a large set
U=$1
ip link set lo up && ip addr add 100.100.77.0/24 dev lo || exit 1
nft -f "$U/head.nft" || exit 1
for f in "$U"/el*.nft; do nft -f "$f" || exit 1; done
start=$(date +%s%3N)
bytes=$(nft -j list ruleset | wc -c)
echo "listing $(($(date +%s%3N) - start)) ms $bytes bytes"
echo "netns $(stat -L -c %i /proc/self/ns/net)"
echo ready
# 24 endpoints, each a new connect_blocked_local before the fix
i=101
while [ $i -le 124 ]; do
	timeout 4 "$U/othertool" connect 100.100.77.$i 80 1 >/dev/null 2>&1 &
	i=$((i + 1))
done
wait
echo done
SH
chmod 755 "$U/trap.sh"

# --net-probes always: every drop is seen from the start
start_trace --grace 60 --net-probes always

setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Urn sh "$U/trap.sh" "$U" >"$WORK/trap.out" 2>&1 &
PIDS+=("$!")
wait_for 120 grep -q '^ready$' "$WORK/trap.out" || fail "uid 65534's namespace was not set up: $(cat "$WORK/trap.out")"
echo "   uid 65534's ruleset: $(grep '^listing' "$WORK/trap.out") for nft -j"
userns=$(sed -n 's/^netns //p' "$WORK/trap.out")
[ -n "$userns" ] || fail "no namespace inode from uid 65534's script"
user_drops() { jq -s --argjson ns "$userns" '[.[] | select(.kind=="event" and .type=="nf_drop" and .netns==$ns)] | length' "$OUT"; }
wait_for 10 test "$(user_drops)" -gt 0 || fail "no drop seen in uid 65534's namespace (the test does not test)"

# meanwhile, the agent is killed: diagnosed as usual
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 grep -q AliYunDun "/proc/$victim/comm" || fail "stand-in agent did not start"
t0=$(now_ms)
kill -KILL "$victim"
wait "$victim" 2>/dev/null
wait_diag agent_killed ".subject.pid==$victim" 10
echo "   kill to diagnosis while uid 65534's drops come: $(($(now_ms) - t0)) ms"

wait_for 15 grep -q '^done$' "$WORK/trap.out" || fail "uid 65534's connects did not end"
sleep 1 # the last drops and socket ends reach the correlator
echo "   drops seen in uid 65534's namespace: $(user_drops)"
n=$(jq -s --argjson ns "$userns" '[.[] | select(.kind=="diagnosis" and
	([.evidence[]? | select(.netns==$ns)] | length > 0))] | length' "$OUT")
[ "$n" = 0 ] || fail "$n diagnoses from uid 65534's own namespace: $(jq -c -s --argjson ns "$userns" \
	'[.[] | select(.kind=="diagnosis" and ([.evidence[]? | select(.netns==$ns)] | length > 0)) | .cause]' "$OUT")"
for c in connect_blocked_local connect_timeout connect_refused connect_unreachable; do
	[ "$(count_diag "$c")" = 0 ] || fail "$c diagnosed with no agent connect yet"
done

# ---- (b) the agent's own namespace ----
in_client nft add table inet aegistrust || fail "nft in the client namespace"
in_client nft add set inet aegistrust big '{ type ipv4_addr; }'
in_client nft add chain inet aegistrust out '{ type filter hook output priority 0; }'
in_client nft add rule inet aegistrust out ip daddr 100.100.0.0/16 tcp dport 80 drop
in_client nft add rule inet aegistrust out ip daddr 100.100.0.0/16 tcp dport 443 drop
in_client nft add rule inet aegistrust out ip daddr 100.100.0.0/16 tcp dport 8080 drop
client_agent connect "$SERVER_IP" 80 1
pid=$LAST_PID
wait_diag connect_blocked_local ".subject.pid==$pid" 10
c=".subject.pid==$pid"
handle=$(in_client nft -a list chain inet aegistrust out | sed -n 's/.*tcp dport 80 drop # handle \([0-9]*\).*/\1/p')
assert_eq "$(diag connect_blocked_local '.rules[0].table' "$c")" aegistrust "rule table"
assert_eq "$(diag connect_blocked_local '.rules[0].handle' "$c")" "$handle" "rule handle"
assert_match "$(diag connect_blocked_local '.rules[0].rule' "$c")" "ip daddr 100.100.0.0/16 tcp dport 80 drop" "rule text"
kill "$pid" 2>/dev/null

# the same ruleset with a 150,000-element set: a new generation, nft reads it again
mkdir -m 755 "$WORK/agentset"
set_files "$WORK/agentset" inet aegistrust
for f in "$WORK/agentset"/el*.nft; do in_client nft -f "$f" || fail "cannot load $f"; done
t=$(now_ms)
in_client nft -j list ruleset >/dev/null
echo "   nft -j list ruleset with the set: $(($(now_ms) - t)) ms"

client_agent connect "$SERVER_IP" 443 1
bpid=$LAST_PID
drop443() { jq -e -s '[.[] | select(.kind=="event" and .type=="nf_drop" and .dport==443)] | length > 0' "$OUT" >/dev/null 2>&1; }
wait_for 10 drop443 || fail "no drop of the agent's SYN to port 443"
td=$(now_ms)
# a kill right after the drop: the loop is not waiting for nft
start_agent AliYunDun
victim2=$LAST_PID
wait_for 5 grep -q AliYunDun "/proc/$victim2/comm" || fail "second stand-in agent did not start"
kill -KILL "$victim2"
wait "$victim2" 2>/dev/null
wait_diag agent_killed ".subject.pid==$victim2" 10
echo "   drop to kill diagnosed: $(($(now_ms) - td)) ms"
wait_diag connect_blocked_local ".subject.pid==$bpid" 10
echo "   drop to its diagnosis: $(($(now_ms) - td)) ms, with $(diag connect_blocked_local '.rules | length' ".subject.pid==$bpid") rule(s)"
order=$(jq -r -s --argjson k "$victim2" --argjson b "$bpid" '[.[] | select(.kind=="diagnosis") |
	select((.cause=="agent_killed" and .subject.pid==$k) or (.cause=="connect_blocked_local" and .subject.pid==$b)) | .cause] | join(",")' "$OUT")
assert_eq "$order" "agent_killed,connect_blocked_local" "the kill after the drop is diagnosed while nft runs"
kill "$bpid" 2>/dev/null

# once that read is over (nft at most 5 s per listing), the next drop there
# is matched against the cached listing: no nft run (a figure, not asserted:
# a loaded machine may take longer than 5 s to list 150,000 elements)
sleep 3
client_agent connect "$SERVER_IP" 8080 1
cpid=$LAST_PID
tc=$(now_ms)
wait_diag connect_blocked_local ".subject.pid==$cpid" 10
echo "   next drop's diagnosis, same generation: $(($(now_ms) - tc)) ms after its connect, with $(diag connect_blocked_local '.rules | length' ".subject.pid==$cpid") rule(s)"
kill "$cpid" 2>/dev/null

# a drop held for its rules when the session ends is given back, before the
# summary: a new rule (a new generation: nft lists it all again), a UDP drop,
# and SIGINT as soon as the drop is seen
in_client nft add rule inet aegistrust out ip daddr 100.100.0.0/16 udp dport 443 drop
client_agent udp "$SERVER_IP" 443
upid=$LAST_PID
udrop() { jq -e -s '[.[] | select(.kind=="event" and .type=="nf_drop" and .proto=="udp")] | length > 0' "$OUT" >/dev/null 2>&1; }
wait_for 10 udrop || fail "no drop of the agent's UDP datagram"
stop_trace
has_diag connect_blocked_local ".subject.pid==$upid" || fail "the diagnosis held at the end was lost"
pass "no diagnosis from uid 65534's namespace, kills diagnosed while nft runs, the agent's drop named"
