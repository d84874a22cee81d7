#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# DNS answers for Aegis names, from dnsmasq in the endpoint namespace:
# NXDOMAIN, REFUSED, SERVFAIL (raw UDP queries: resolver-independent), a name
# pinned to 0.0.0.0 (glibc getaddrinfo: endpoint_sinkholed), and a good answer
# whose address is learned, so the connect failure that follows names it.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_dnsmasq
start_trace --grace 60

raw() { nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" dns "$SERVER_IP" "$1" >>"$WORK/agent.out" 2>&1; }
raw nx.aegis.aliyun.com
wait_diag dns_nxdomain '.subject.qname=="nx.aegis.aliyun.com"'
assert_eq "$(diag dns_nxdomain .subject.server)" "$SERVER_IP" "nameserver"
assert_eq "$(diag dns_nxdomain .subject.rcode)" NXDOMAIN "rcode"
assert_eq "$(diag dns_nxdomain .subject.process)" AliYunDun "asked by"
assert_eq "$(diag dns_nxdomain .primary)" true "DNS failure is primary"

raw other.aegis.aliyun.com
wait_diag dns_refused '.subject.qname=="other.aegis.aliyun.com"'

raw sf.aegis.aliyun.com
wait_diag dns_servfail '.subject.qname=="sf.aegis.aliyun.com"'

# not an Aegis name: nothing at all
nsenter --net="/run/netns/$CNS" "$FAKE" dns "$SERVER_IP" nx.example.com >/dev/null
sleep 0.3
[ "$(jq -s '[.[] | select(.qname=="nx.example.com" or .subject.qname=="nx.example.com")] | length' "$OUT")" = 0 ] ||
	fail "a non-Aegis name was reported"

client_resolve sink.aegis.aliyun.com 80
wait_diag endpoint_sinkholed '.subject.qname=="sink.aegis.aliyun.com"'
assert_match "$(diag endpoint_sinkholed .summary '.subject.qname=="sink.aegis.aliyun.com"')" "resolves to 0.0.0.0" "summary"

# a good answer, then a refused connect to the learned address: named by the name
client_resolve jsrv.aegis.aliyun.com 80
wait_diag connect_refused '.subject.qname=="jsrv.aegis.aliyun.com"'
assert_match "$(diag connect_refused .summary)" "jsrv.aegis.aliyun.com \\($SERVER_IP\\):80/tcp: refused" "attributed to the name"
# DNS over TCP: glibc with 'options use-vc'
printf 'nameserver %s\noptions use-vc timeout:1 attempts:1\n' "$SERVER_IP" >"/etc/netns/$CNS/resolv.conf"
client_resolve tcp.nx.aegis.aliyun.com 80
wait_diag dns_nxdomain '.subject.qname=="tcp.nx.aegis.aliyun.com"'
assert_eq "$(diag dns_nxdomain .subject.proto '.subject.qname=="tcp.nx.aegis.aliyun.com"')" tcp "over TCP"
stop_trace
pass "nxdomain, refused, servfail, sinkhole, learned name, DNS over TCP"
