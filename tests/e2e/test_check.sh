#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon check, run only inside the client namespace of the rig (it sends
# real DNS queries and connects): all ok (the path MTU is the veth's); NXDOMAIN;
# one dead nameserver of two; a hosts-file pin to 0.0.0.0; an nft OUTPUT drop
# (rule named); refused; black-holed (timeouts, and the 10 s bound holds); a
# path that loses packets above 1000 bytes (the path MTU found), a router
# that reports a smaller MTU; a third-party security process present; the
# agent not running.
. "$(dirname "$0")/lib.sh"

DEAD_NS=100.100.77.3

# run_check NAME [OPTIONS...]: the JSON report in $WORK/NAME.json, exit status in $CHECK_RC
run_check() {
	local name=$1 t0
	shift
	t0=$(now_ms)
	ip netns exec "$CNS" "$AEGISMON" check --json --no-config --agent-root "$ROOT" "$@" \
		>"$WORK/$name.json" 2>"$WORK/$name.err"
	CHECK_RC=$?
	CHECK_MS=$(($(now_ms) - t0))
	CHECK_OUT=$WORK/$name.json
	jq -e -s 'length == 12 and .[-1].kind == "summary"' "$CHECK_OUT" >/dev/null ||
		fail "check $name: not 11 checks and a summary: $(cat "$CHECK_OUT" "$WORK/$name.err")"
}
# status CHECK: its status in the last report
status() { jq -r -s --arg n "$1" '.[] | select(.kind=="check" and .name==$n) | .status' "$CHECK_OUT"; }
field() { jq -r -s --arg n "$1" ".[] | select(.kind==\"check\" and .name==\$n) | $2" "$CHECK_OUT"; }
expect() { # expect CHECK STATUS [SUMMARY-REGEX]
	local st
	st=$(status "$1")
	[ "$st" = "$2" ] || fail "check $1: status '$st', expected '$2': $(field "$1" .summary) $(field "$1" .evidence)"
	[ -z "${3:-}" ] || assert_match "$(field "$1" .summary)" "$3" "summary of $1"
}

install_agent AliYunDun AliYunDunMonitor AliYunDunUpdate
net_rig
ip -n "$SNS" addr add "$DEAD_NS/32" dev "vs$$"
ip -n "$CNS" route add "$DEAD_NS/32" dev "vc$$"
net_check_isolated
start_dnsmasq
start_server hold 80
start_server hold 443
for name in AliYunDun AliYunDunMonitor AliYunDunUpdate; do
	start_agent "$name"
	wait_for 5 exec_done "$LAST_PID" "$name" || fail "$name did not start"
done

# 1. all ok: the names of a host without a public address, answered, reachable
run_check ok
# resources judges this host, which a parallel build or guest may keep busy:
# the rest must be ok whatever it says (case 9 makes it fail on purpose)
if [ "$(status resources)" = fail ]; then
	assert_match "$(field resources .summary)" "^CPU at [0-9]+%; " "resources failed, and not for a busy CPU"
	assert_eq "$(jq -r 'select(.kind=="check" and .status=="fail") | .name' "$CHECK_OUT")" resources "the failed checks"
	echo "   (this host was busy: resources $(field resources .summary | cut -c1-60))"
else
	assert_eq "$CHECK_RC" 0 "exit status of an all-ok check ($(jq -c 'select(.status=="fail")' "$CHECK_OUT"))"
	assert_eq "$(jq -r -s '.[-1].verdict' "$CHECK_OUT")" ok "verdict"
fi
expect endpoint_choice ok "jsrv2.aegis.aliyun.com and update2.aegis.aliyun.com: no public address"
expect processes ok "running: AliYunDun x1, AliYunDunMonitor x1, AliYunDunUpdate x1"
expect dns ok "2 names resolved by all 1 nameserver"
expect hosts_file ok
expect reachability ok "$SERVER_IP:80"
expect firewall ok
[ "$(field agent_installed .evidence.chosen)" = aegis_12_93 ] || fail "agent_installed: highest version not chosen"
assert_match "$(field resources .summary)" "CPU [0-9]+% busy \(0\.[0-9] s sample\), memory [0-9]+% used .* on [0-9]+ CPUs; agent: 3 processes" "resources summary"
assert_eq "$(field reachability '.evidence.probes[0].icmp_1000.result')" ok "ping -s 1000 to the endpoint"
# the path MTU: every size up to the veth's MTU passes with DF set, in one probe
VETH_MTU=$(ip -n "$CNS" -o link show "vc$$" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
[ -n "$VETH_MTU" ] || fail "cannot read the MTU of vc$$"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.interface_mtu')" "$VETH_MTU" "interface MTU of the route to the endpoint"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.largest_df_packet')" "$VETH_MTU" "largest DF packet on a clean path"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.probes')" 1 "probes of the path MTU search on a clean path"
expect reachability ok "path MTU $VETH_MTU \\(interface $VETH_MTU\\)"

# 2. NXDOMAIN for a name
run_check nx --server nx.aegis.aliyun.com
assert_eq "$CHECK_RC" 1 "exit status with a failed check"
expect dns fail "nx.aegis.aliyun.com: $SERVER_IP NXDOMAIN"
expect reachability skip

# 3. one dead nameserver of two: resolved, with the dead one named
printf 'nameserver %s\nnameserver %s\noptions timeout:1 attempts:1\n' "$DEAD_NS" "$SERVER_IP" >"/etc/netns/$CNS/resolv.conf"
run_check deadns
expect dns warn "$DEAD_NS refused"
printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$SERVER_IP" >"/etc/netns/$CNS/resolv.conf"

# 4. a hosts-file pin to a sinkhole
printf '127.0.0.1 localhost\n0.0.0.0 jsrv2.aegis.aliyun.com # added by a miner\n' >"/etc/netns/$CNS/hosts"
run_check pin
expect hosts_file fail "pins an Aegis name to a sinkhole \\(line 2: 0.0.0.0 jsrv2.aegis.aliyun.com\\)"
rm -f "/etc/netns/$CNS/hosts"

# 5. an nft OUTPUT drop in the client namespace: named, and connects fail with EPERM
in_client nft add table inet aegcheck
in_client nft add chain inet aegcheck out '{ type filter hook output priority 0; policy accept; }'
in_client nft add rule inet aegcheck out ip daddr "$SERVER_IP" tcp dport 80 drop
handle=$(in_client nft -a list chain inet aegcheck out | sed -n 's/.*tcp dport 80 drop # handle \([0-9]*\)/\1/p')
run_check nftdrop
expect firewall fail "inet aegcheck out handle $handle: ip daddr $SERVER_IP tcp dport 80 drop"
expect reachability fail "$SERVER_IP:80 timeout" # the SYN dies in OUTPUT: no answer
# the same in text: a header over the right columns, the evidence as lines, not JSON
ip netns exec "$CNS" "$AEGISMON" check --no-config --agent-root "$ROOT" >"$WORK/text.out" 2>&1
head -1 "$WORK/text.out" | grep -Eq '^CHECK +STATUS +FINDING$' || fail "check's header: $(head -1 "$WORK/text.out")"
fw=$(grep -n '^firewall ' "$WORK/text.out" | cut -d: -f1)
[ -n "$fw" ] || fail "no firewall line in check's text output: $(cat "$WORK/text.out")"
# the status sits under STATUS, the finding under FINDING
hdr=$(head -1 "$WORK/text.out")
line=$(sed -n "${fw}p" "$WORK/text.out")
st_col=$(($(awk '{ print index($0, "STATUS") }' <<<"$hdr")))
fi_col=$(($(awk '{ print index($0, "FINDING") }' <<<"$hdr")))
assert_eq "${line:$((st_col - 1)):4}" fail "the status under STATUS"
assert_match "${line:$((fi_col - 1))}" "^1 rule drop" "the finding under FINDING"
grep -q '"rules"\|{"' "$WORK/text.out" && fail "check's text output has raw JSON: $(cat "$WORK/text.out")"
grep -Eq "^ +rules\[0\]\.handle: $handle$" "$WORK/text.out" ||
	fail "the firewall's evidence is not told as lines: $(sed -n "$fw,\$p" "$WORK/text.out")"
in_client nft delete table inet aegcheck

# 6. refused: nothing listens on 443 nor 80 of the other address
run_check refused --server jsrv2.aegis.aliyun.com --endpoint 100.100.0.0/16
expect reachability ok
in_server nft add table inet aegsrv
in_server nft add chain inet aegsrv in '{ type filter hook input priority 0; policy accept; }'
in_server nft add rule inet aegsrv in tcp dport 80 reject with tcp reset
run_check refused
expect reachability fail "$SERVER_IP:80 refused"
in_server nft delete table inet aegsrv

# 7. black-holed: the server namespace drops everything; the whole check stays under 10 s
in_server nft add table inet aeghole
in_server nft add chain inet aeghole in '{ type filter hook input priority 0; policy drop; }'
run_check hole --timeout 2
in_server nft delete table inet aeghole
expect dns fail "timeout"
[ "$CHECK_MS" -lt 10000 ] || fail "a black-holed check took $CHECK_MS ms (bound 10 s)"
echo "   black-holed check: $CHECK_MS ms"
# the same with DNS answered: the endpoint is probed, nothing answers, and no
# path MTU search spends its budget on it
in_server nft add table inet aeghole
in_server nft add chain inet aeghole in '{ type filter hook input priority 0; policy drop; }'
in_server nft add rule inet aeghole in udp dport 53 accept
run_check hole2 --timeout 2
in_server nft delete table inet aeghole
expect dns ok
expect reachability fail "$SERVER_IP:80 timeout"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.probes')" 0 "path MTU probes into a black hole"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.largest_df_packet')" null "path MTU of a black hole"
[ "$CHECK_MS" -lt 10000 ] || fail "a check of a black-holed endpoint took $CHECK_MS ms (bound 10 s)"
echo "   black-holed endpoint, DNS answered: $CHECK_MS ms"

# 7b. the path MTU black hole of the seed's `ping -s 1000`: beyond the client,
# the server namespace drops every IPv4 packet above 1000 bytes (no ICMP
# "fragmentation needed" comes back); handshakes and small pings pass
in_server nft add table ip aegmtu
in_server nft add chain ip aegmtu in '{ type filter hook input priority 0; policy accept; }'
in_server nft add rule ip aegmtu in ip length gt 1000 drop
run_check mtu
expect reachability warn "^TCP reachable, but the path to $SERVER_IP carries packets up to [0-9]+ bytes only \\(interface MTU $VETH_MTU\\)"
assert_eq "$(field reachability '.evidence.probes[0].icmp_1000.result')" timeout "ping -s 1000 across the MTU black hole"
largest=$(field reachability '.evidence.probes[0].path_mtu.largest_df_packet')
[[ "$largest" =~ ^[0-9]+$ ]] && [ "$largest" -le 1000 ] && [ "$largest" -ge $((1000 - 16)) ] ||
	fail "largest DF packet through a 1000-byte path: '$largest' (expected 984-1000): $(field reachability .evidence)"
assert_match "$(field reachability .summary)" "up to $largest bytes only" "the summary names the path MTU"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.interface_mtu')" "$VETH_MTU" "interface MTU behind the black hole"
assert_eq "$(field reachability '.evidence.probes[0].path_mtu.reported_mtu')" null "reported MTU (no ICMP came back)"
probes=$(field reachability '.evidence.probes[0].path_mtu.probes')
[ "$probes" -le 8 ] || fail "the path MTU search sent $probes probes (at most 8)"
assert_match "$(field reachability .advice)" "ping -s 1000 jsrv2.aegis.aliyun.com.*tcp_mtu_probing=1" "advice"
echo "   $(field reachability .summary)"
echo "   path MTU search: largest $largest in $probes probes, $(field reachability '.evidence.probes[0].path_mtu.ms') ms; check $CHECK_MS ms"
# the text report shows it as well
ip netns exec "$CNS" "$AEGISMON" check --no-config --agent-root "$ROOT" --color never >"$WORK/mtu.txt" 2>&1
grep -Eq "^reachability +warn +TCP reachable, but .* carries packets up to [0-9]+ bytes only" "$WORK/mtu.txt" ||
	fail "the text report does not show the path MTU: $(grep -A1 ^reachability "$WORK/mtu.txt")"
grep -q "fix: .*tcp_mtu_probing" "$WORK/mtu.txt" || fail "the text report has no fix for the MTU: $(cat "$WORK/mtu.txt")"
in_server nft delete table ip aegmtu

# 7c. a router on the way with a smaller MTU that says so: the server
# namespace forwards to a far endpoint over a 1200-byte link and sends ICMP
# "fragmentation needed" (the hosts file adds the far address to jsrv2)
net_far_rig 1200
for port in 80 443; do
	nsenter --net="/run/netns/$FNS" "$FAKE" serve "$FAR_IP" "$port" hold >"$WORK/far$port.out" 2>&1 &
	PIDS+=("$!")
	wait_for 5 grep -qs listening "$WORK/far$port.out" || fail "far server on $port did not start"
done
printf '127.0.0.1 localhost\n%s jsrv2.aegis.aliyun.com\n' "$FAR_IP" >"/etc/netns/$CNS/hosts"
run_check router
far=$(jq -c -s --arg a "$FAR_IP" '.[] | select(.name=="reachability") | .evidence.probes[] | select(.address==$a)' "$CHECK_OUT")
[ -n "$far" ] || fail "the far address was not probed: $(field reachability .evidence)"
assert_eq "$(jq -r .icmp_1000.result <<<"$far")" ok "ping -s 1000 through the 1200-byte router"
assert_eq "$(jq -r .path_mtu.reported_mtu <<<"$far")" 1200 "the MTU the router reported: $far"
assert_eq "$(jq -r .path_mtu.largest_df_packet <<<"$far")" 1200 "largest DF packet through the 1200-byte router"
assert_eq "$(jq -r .path_mtu.interface_mtu <<<"$far")" "$VETH_MTU" "interface MTU toward the far endpoint"
assert_eq "$(jq -r .path_mtu.probes <<<"$far")" 2 "probes with a router that reports its MTU"
# PMTU discovery works here (the router said so): the 1000-byte ping passes, no warning
expect reachability ok "path MTU .*$FAR_IP 1200 \\(interface $VETH_MTU, a router reports 1200\\)"
echo "   router with a 1200-byte link: $(field reachability .summary)"
rm -f "/etc/netns/$CNS/hosts"
ip -n "$CNS" route del "$FAR_IP/32"
ip netns del "$FNS"

# 8. a third-party security product runs (a stand-in named like SafeDog's daemon)
install -m 0755 "$FAKE" "$WORK/safedog"
"$WORK/safedog" run >/dev/null 2>&1 &
PIDS+=("$!")
sdpid=$!
run_check thirdparty
expect third_party warn "SafeDog .*\\(safedog, pid $sdpid\\)"
kill -KILL "$sdpid"

# 9. every CPU busy (real spinning processes): the resources check fails
spinners=()
for _ in $(seq "$(nproc)"); do
	"$FAKE" spin >/dev/null 2>&1 &
	PIDS+=("$!")
	spinners+=("$!")
done
sleep 0.5
run_check busy
expect resources fail "CPU at (9[5-9]|100)%"
kill -KILL "${spinners[@]}"

# 10. the agent not running
for p in "${PIDS[@]}"; do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = AliYunDunMonito ] && kill -KILL "$p"
done
sleep 0.2
run_check notrunning
expect processes fail "not running: AliYunDunMonitor"

# 11. not installed: install it, as trace advises (test_not_running)
ROOT=$WORK/nothing-here run_check notinstalled
expect agent_installed fail "no agent install under $WORK/nothing-here"
assert_match "$(field agent_installed .advice)" "^Install the agent from the Security Center console" \
	"check's advice without an install"
pass "all ok, NXDOMAIN, dead nameserver, hosts pin, nft drop, refused, black hole, path MTU black hole, router MTU, third party, not running, not installed"
