#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# DNS answers nobody asked for are not believed (issue #20, item 3). uid
# 65534, in a network namespace of its own (nothing else there: only lo),
# sends itself UDP from port 53 carrying answers for Aegis names with no query
# sent: NXDOMAIN, a sinkhole (0.0.0.0 and 127.0.0.1) and an ordinary address.
# aegismon (host scope: the probes on every socket, so the user's packets are
# seen) must report no dns_nxdomain, no endpoint_sinkholed, learn nothing
# (metrics and the kernel's endpoint map), and count and say the unmatched
# answers. The user's own lookup, asked and answered in its namespace, is
# set aside too. Then real lookups through dnsmasq are still diagnosed: matching
# works, it does not just drop everything.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_dnsmasq
start_trace --grace 60 --net-scope host --metrics "$WORK/m.prom"

# the answers, built by hand; the user binds port 53 in its own namespace
# and sends to a socket of its own (an ingress packet needs a receiving socket)
cat >"$WORK/spoof.py" <<'EOF'
import socket, struct

def qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"

def answer(qid, name, rcode, addrs):
    msg = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(addrs), 0, 0)
    msg += qname(name) + struct.pack("!HH", 1, 1)
    for a in addrs:
        msg += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 86400, 4) + socket.inet_aton(a)
    return msg

rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 40053))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.bind(("127.0.0.1", 53))
for m in (answer(0x1111, "jsrv.aegis.aliyun.com", 3, []),
          answer(0x2222, "jsrv.aegis.aliyun.com", 0, ["0.0.0.0", "127.0.0.1"]),
          answer(0x3333, "update.aegis.aliyun.com", 0, ["203.0.113.77"])):
    tx.sendto(m, ("127.0.0.1", 40053))
    rx.recv(512)
print("sent 3")
EOF
setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Urn \
	sh -c 'ip link set lo up && exec /usr/bin/python3 -' <"$WORK/spoof.py" >"$WORK/spoof.out" 2>&1 ||
	fail "the unprivileged sender failed: $(cat "$WORK/spoof.out")"
grep -q "sent 3" "$WORK/spoof.out" || fail "the unprivileged sender did not send: $(cat "$WORK/spoof.out")"

# the user's own lookup, asked and answered in its own namespace: a matched
# answer on its own socket, but no namespace of the agent's
cat >"$WORK/own.py" <<'EOF'
import socket, struct
name = b"".join(bytes([len(l)]) + l.encode() for l in "jsrv.aegis.aliyun.com".split(".")) + b"\0"
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", 53))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cli.bind(("127.0.0.1", 40054))
cli.sendto(struct.pack("!HHHHHH", 0x4444, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1), ("127.0.0.1", 53))
q, peer = srv.recvfrom(512)
srv.sendto(q[:2] + struct.pack("!H", 0x8183) + q[4:], peer)
cli.recv(512)
print("asked and answered")
EOF
setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Urn \
	sh -c 'ip link set lo up && exec /usr/bin/python3 -' <"$WORK/own.py" >"$WORK/own.out" 2>&1 ||
	fail "the user's own lookup failed: $(cat "$WORK/own.out")"

metric() { sed -n "s/^$1 //p" "$WORK/m.prom" 2>/dev/null; }
# our aegismon's kernel map NAME (other instances may run beside it): the id
# from the map fds it holds
our_map() {
	local f id
	for f in /proc/"$TRACE_PID"/fdinfo/*; do
		id=$(sed -n 's/^map_id:[[:space:]]*//p' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		if [ "$(bpftool map show id "$id" -j 2>/dev/null | jq -r .name)" = "$1" ]; then
			echo "$id"
			return 0
		fi
	done
	return 1
}
EP4=$(our_map endpoints_v4) || fail "no endpoints_v4 map held by aegismon"
# in_ep4 A.B.C.D: that address (a /32) is in our kernel endpoint set
in_ep4() {
	local a b c d k
	IFS=. read -r a b c d <<<"$1"
	k=$(printf '0x20 0x00 0x00 0x00 0x%02x 0x%02x 0x%02x 0x%02x' "$a" "$b" "$c" "$d")
	bpftool -j map dump id "$EP4" 2>/dev/null | jq -e --arg k "$k" 'any(.[]; (.key | join(" ")) == $k)' >/dev/null
}
# the three answers reached aegismon (--events prints them as they come)
spoofs_seen() {
	[ "$(jq -s '[.[] | select(.kind=="event" and .type=="dns" and .saddr=="127.0.0.1" and .sport==53)] | length' "$OUT")" -ge 3 ]
}
wait_for 10 spoofs_seen || fail "the unsolicited answers were not seen by the DNS probes"
sleep 0.3 # a diagnosis, had one been made, is in the output by now
# (in host scope the probes see every namespace: another test's lookups may
# run meanwhile, so what is asserted is what came from the user's "server")
spoofed='.subject.server=="127.0.0.1" or ((.subject.qname // "")|test("^(jsrv|update)[.]aegis[.]aliyun[.]com$"))'
assert_eq "$(count_diag dns_nxdomain "$spoofed")" 0 "dns_nxdomain from an unsolicited answer"
assert_eq "$(count_diag endpoint_sinkholed "$spoofed")" 0 "endpoint_sinkholed from an unsolicited answer"
assert_eq "$(count_diag dns_refused "$spoofed")$(count_diag dns_servfail "$spoofed")" 00 "other DNS causes"
# ... and counted (the metrics file is written every 5 s)
unmatched_at_least() { [ "$(metric aegismon_dns_answers_unmatched_total)" -ge "$1" ] 2>/dev/null; }
wait_for 12 unmatched_at_least 3 ||
	fail "the 3 unsolicited answers were not counted: $(metric aegismon_dns_answers_unmatched_total)"
# nothing learned: the kernel's endpoint filter was not widened
in_ep4 203.0.113.77 && fail "203.0.113.77 from an unsolicited answer is in the kernel endpoint map"
elsewhere_at_least() { [ "$(metric aegismon_dns_queries_elsewhere_total)" -ge "$1" ] 2>/dev/null; }
wait_for 12 elsewhere_at_least 1 ||
	fail "the user's own query in its own namespace was not set aside: $(metric aegismon_dns_queries_elsewhere_total)"
grep -q "warning: DNS answer from 127.0.0.1:53/udp for jsrv.aegis.aliyun.com ignored" "$ERR" ||
	fail "the unmatched answer was not said on stderr with its source"
[ "$(grep -c "warning: DNS answer from" "$ERR")" = 1 ] || fail "the warning was said more than once a minute"

# real lookups, answered by dnsmasq: believed as before
raw() { nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" dns "$SERVER_IP" "$1" >>"$WORK/agent.out" 2>&1; }
raw nx.aegis.aliyun.com
wait_diag dns_nxdomain '.subject.qname=="nx.aegis.aliyun.com"'
assert_eq "$(diag dns_nxdomain .subject.process '.subject.qname=="nx.aegis.aliyun.com"')" AliYunDun "asked by"
assert_eq "$(diag dns_nxdomain .subject.server '.subject.qname=="nx.aegis.aliyun.com"')" "$SERVER_IP" "nameserver"
client_resolve sink.aegis.aliyun.com 80
wait_diag endpoint_sinkholed '.subject.qname=="sink.aegis.aliyun.com"'
client_resolve jsrv.aegis.aliyun.com 80
wait_diag connect_refused '.subject.qname=="jsrv.aegis.aliyun.com"'
learned_some() { [ "$(metric aegismon_learned_endpoints)" -ge 1 ] 2>/dev/null; }
wait_for 12 learned_some || fail "the answered lookup taught nothing: $(metric aegismon_learned_endpoints)"
# learned as a /32 of its own (100.100.77.2), beside the configured /16
in_ep4 "$SERVER_IP" || fail "the learned address is not in the kernel endpoint map"
for c in dns_nxdomain endpoint_sinkholed; do
	[ "$(count_diag "$c" '.subject.server=="127.0.0.1" or .subject.qname=="jsrv.aegis.aliyun.com"')" = 0 ] ||
		fail "$c for the spoofed answers"
done
stop_trace
n=$(jq -s '[.[] | select(.kind=="summary")][0].dns_answers_unmatched' "$OUT")
[ "$n" -ge 3 ] || fail "summary: dns_answers_unmatched=$n"
pass "unsolicited NXDOMAIN, sinkhole and address ignored ($n counted), real lookups still diagnosed"
